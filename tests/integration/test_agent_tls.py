#!/usr/bin/env python3
"""`packet-capture agent` and `request` over TLS, certificates made by the openssl tool.
Redis: a real redis-server (its tls-port, plain port off): an agent answers a request sent
over TLS; a server certificate from another CA, or one that does not carry the expected name,
is refused with the reason; a server that requires client certificates gets one; a
certificate without its key, or a key every user may read, is a configuration error.
Kafka: no broker with TLS runs here (librdkafka's mock cluster speaks plaintext), so
`openssl s_server` stands in for one: the request's first Kafka request (ApiVersions, with the
client id) arrives decrypted there over a verified connection; another CA or another name is
refused in the handshake."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_fixture  # noqa: E402
from agent_fixture import free_port, rfc3339  # noqa: E402
import harness  # noqa: E402

T0 = 1764496800 * 10**9  # 2025-11-30T10:00:00Z
COUNT = 3000


def slurp(path):
    with open(path, "rb") as f:
        return f.read()


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(d, name):
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", cert, "-days", "2", "-subj", "/CN=" + name)
    return key, cert


def make_cert(d, name, ca, san):
    """A certificate NAME.pem (key NAME.key) signed by ca = (key, cert), valid for `san`."""
    key, csr, cert = (os.path.join(d, name + ext) for ext in (".key", ".csr", ".pem"))
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n" % san)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
            "-subj", "/CN=" + name)
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial", "-out", cert, "-days", "2",
            "-extfile", ext)
    os.chmod(key, 0o600)
    return key, cert


def make_pki(work, server, client):
    """WORK/pki: the fleet's CA, a rogue CA, a certificate for `server` on localhost and
    127.0.0.1 and one for the client `client`, both signed by the fleet's CA."""
    d = os.path.join(work, "pki")
    os.makedirs(d)
    ca = make_ca(d, "fleet-ca")
    return ca, make_ca(d, "rogue-ca"), make_cert(d, server, ca, "DNS:localhost,IP:127.0.0.1"), \
        make_cert(d, client, ca, "DNS:" + client)


class RedisTlsTest(harness.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        for tool in ("redis-server", "redis-cli", "openssl"):
            harness.require_tool(tool)
        cls.work = tempfile.mkdtemp(prefix="pc-redis-tls-")
        cls.ca, cls.rogue_ca, cls.server, cls.client = make_pki(cls.work, "redis", "node-t")
        cls.servers = []
        # Plain port off: every client must speak TLS. One server leaves client certificates
        # optional, the other requires one.
        cls.port = cls.tls_server("optional")
        cls.port_mtls = cls.tls_server("yes")
        cls.ring = agent_fixture.mix_ring(cls.work, COUNT, T0, seed=5)
        cls.conf = agent_fixture.ring_conf(os.path.join(cls.work, "conf"), cls.ring)
        cls.key, cls.trusted = agent_fixture.signing_keys(cls.work)
        cls.agent = None

    @classmethod
    def tls_server(cls, auth_clients):
        port = free_port()
        proc = subprocess.Popen(["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
                                 "--tls-cert-file", cls.server[1], "--tls-key-file", cls.server[0],
                                 "--tls-ca-cert-file", cls.ca[1], "--tls-auth-clients", auth_clients,
                                 "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=harness._pdeathsig)
        cls.servers.append(proc)
        up = harness.wait_for(lambda: cls.cli(port, "PING").strip() == "PONG", 15)
        assert up, "redis-server with TLS did not start on %d" % port
        return port

    @classmethod
    def cli(cls, port, *args):
        return subprocess.run(["redis-cli", "--tls", "--cacert", cls.ca[1], "--cert", cls.client[1], "--key",
                               cls.client[0], "-p", str(port)] + list(args), capture_output=True, text=True,
                              timeout=30).stdout

    @classmethod
    def tearDownClass(cls):
        for proc in cls.servers + ([cls.agent] if cls.agent else []):
            proc.kill()
            proc.wait()
        shutil.rmtree(cls.work, True)

    def request(self, *extra, port=None, wait=True):
        args = ["request", "--node", "node-t", "-i", "mix0", "--from", rfc3339(T0 + 10**9), "--to",
                rfc3339(T0 + 2 * 10**9), "--key", self.key, "--redis-port", str(port or self.port)] + list(extra)
        if wait:
            args += ["--wait", "30", "--expect", "1", "--json"]
        return harness.run_binary(args, timeout=60, config_dir=False)

    def test_agent_answers_over_tls(self):
        with open(os.path.join(self.work, "agent.log"), "ab") as log:
            type(self).agent = subprocess.Popen(
                [harness.require_binary(), "agent", "--config-dir", self.conf, "--node", "node-t", "--trusted-keys-dir",
                 self.trusted, "--state-dir", os.path.join(self.work, "state"), "--results-dir",
                 os.path.join(self.work, "results"), "--redis-port", str(self.port), "--redis-tls", "yes",
                 "--redis-tls-ca-file", self.ca[1]], stdout=log, stderr=log, env=harness.clean_env(),
                preexec_fn=harness._pdeathsig)
        joined = harness.wait_for(lambda: "node-t" in self.cli(self.port, "XINFO", "GROUPS", "pcap:req"), 20)
        self.assertTrue(joined, slurp(os.path.join(self.work, "agent.log")).decode(errors="replace"))
        p = self.request("--redis-tls", "yes", "--redis-tls-ca-file", self.ca[1], "--id", "tls-1")
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = [json.loads(line) for line in p.stdout.splitlines()]
        final = [a for a in answers if a["state"] not in ("accepted", "waiting")]
        self.assertEqual([a["state"] for a in final], ["done"], answers)
        with open(os.path.join(final[0]["result"], "manifest.json")) as f:
            manifest = json.load(f)
        # What extract alone returns for the same window.
        e = harness.run_binary(["extract", "-o", self.ring, "--from", rfc3339(T0 + 10**9), "--to",
                                rfc3339(T0 + 2 * 10**9), "--json", "-w", os.path.join(self.tmp, "same.pcap")],
                               config_dir=False)
        self.assertEqual(e.returncode, 0, e.stderr)
        self.assertEqual(manifest["packets"], json.loads(e.stderr.strip().splitlines()[-1])["packets_matched"])
        self.assertGreater(manifest["packets"], 500)

    def test_untrusted_or_misnamed_server_certificate_is_refused(self):
        p = self.request("--redis-tls", "yes", "--redis-tls-ca-file", self.rogue_ca[1], wait=False)
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertIn("127.0.0.1:%d" % self.port, p.stderr)
        self.assertIn("certificate", p.stderr)
        p = self.request("--redis-tls", "yes", "--redis-tls-ca-file", self.ca[1], "--redis-tls-server-name",
                         "redis.other.example", wait=False)
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertIn("not trusted for 'redis.other.example'", p.stderr)
        # The name the certificate does carry passes.
        p = self.request("--redis-tls", "yes", "--redis-tls-ca-file", self.ca[1], "--redis-tls-server-name",
                         "localhost", wait=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        # Plain text to the TLS port: refused, not hung.
        start = time.monotonic()
        p = self.request(wait=False)
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertLess(time.monotonic() - start, 20)

    def test_client_certificate_for_a_server_that_requires_one(self):
        p = self.request("--redis-tls", "yes", "--redis-tls-ca-file", self.ca[1], port=self.port_mtls, wait=False)
        self.assertEqual(p.returncode, 69, p.stderr)
        p = self.request("--redis-tls", "yes", "--redis-tls-ca-file", self.ca[1], "--redis-tls-cert-file",
                         self.client[1], "--redis-tls-key-file", self.client[0], port=self.port_mtls, wait=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.cli(self.port_mtls, "XLEN", "pcap:req").strip(), "1")

    def test_bad_tls_settings_are_configuration_errors(self):
        p = self.request("--redis-tls", "yes", "--redis-tls-cert-file", self.client[1], wait=False)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("tls_key_file", p.stderr)
        open_key = os.path.join(self.tmp, "open.key")
        shutil.copy(self.client[0], open_key)
        os.chmod(open_key, 0o644)
        p = self.request("--redis-tls", "yes", "--redis-tls-cert-file", self.client[1], "--redis-tls-key-file",
                         open_key, wait=False)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn(open_key, p.stderr)
        # TLS settings without tls = yes: an error, not a silent plaintext connection.
        p = self.request("--redis-tls-ca-file", self.ca[1], wait=False)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("tls is not yes", p.stderr)
        p = self.request("--redis-tls", "maybe", wait=False)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("--redis-tls 'maybe': expected yes or no", p.stderr)
        conf = os.path.join(self.tmp, "conf")
        os.makedirs(conf)
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[redis]\ntls = maybe\n")
        p = harness.run_binary(["request", "--node", "node-t", "-i", "mix0", "--last", "1m", "--key", self.key,
                                "--config-dir", conf], config_dir=False)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("maybe", p.stderr)


class KafkaTlsTest(harness.IntegrationTest):
    """librdkafka's TLS settings as `request --bus kafka` and the agent set them."""

    @classmethod
    def setUpClass(cls):
        harness.require_binary()
        harness.require_tool("openssl")
        cls.work = tempfile.mkdtemp(prefix="pc-kafka-tls-")
        cls.ca, cls.rogue_ca, cls.broker, cls.client = make_pki(cls.work, "broker", "node-k")
        cls.conf = os.path.join(cls.work, "conf")
        os.makedirs(cls.conf)
        with open(os.path.join(cls.conf, "agent.conf"), "w") as f:
            f.write("[agent]\nbus = kafka\n\n[kafka]\ntimeout = 2\n")  # no broker will answer: fail fast

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, True)

    def tls_server(self, address, *extra):
        """openssl s_server as a TLS endpoint: (process, its output file, port)."""
        port = free_port()
        out = os.path.join(self.tmp, "s_server-%d.out" % port)
        # s_server ends at end-of-file on its input: keep that open.
        with open(out, "wb") as log:
            proc = subprocess.Popen(["openssl", "s_server", "-accept", "%s:%d" % (address, port), "-cert",
                                     self.broker[1], "-key", self.broker[0]] + list(extra), stdin=subprocess.PIPE,
                                    stdout=log, stderr=subprocess.STDOUT, preexec_fn=harness._pdeathsig)

        def stop():
            proc.stdin.close()
            proc.kill()
            proc.wait()
        self.addCleanup(stop)
        up = harness.wait_for(lambda: b"ACCEPT" in slurp(out), 10)
        self.assertTrue(up, "openssl s_server did not start")
        return proc, out, port

    def send(self, address, port, *extra):
        return harness.run_binary(["request", "--config-dir", self.conf, "--kafka-brokers", "%s:%d" % (address, port),
                                   "--kafka-tls", "yes", "--node", "x", "-i", "eth0", "--last", "1m", "--unsigned"]
                                  + list(extra), timeout=60, config_dir=False)

    def test_requests_travel_over_a_verified_connection(self):
        _proc, out, port = self.tls_server("127.0.0.1")
        p = self.send("127.0.0.1", port, "--kafka-tls-ca-file", self.ca[1])
        self.assertEqual(p.returncode, 69, p.stderr)  # s_server speaks no Kafka
        # What s_server decrypted: librdkafka's ApiVersions request, naming the client.
        self.assertTrue(harness.wait_for(lambda: b"packet-capture" in slurp(out), 10),
                        slurp(out)[-2000:])
        self.assertNotIn("certificate verify failed", p.stderr)

    def test_another_ca_or_another_name_is_refused_in_the_handshake(self):
        _proc, out, port = self.tls_server("127.0.0.1")
        p = self.send("127.0.0.1", port, "--kafka-tls-ca-file", self.rogue_ca[1])
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertIn("certificate verify failed", p.stderr)
        self.assertNotIn(b"packet-capture", slurp(out))
        # 127.0.0.2 is loopback too, but not a name the broker's certificate carries.
        _proc, out, port = self.tls_server("127.0.0.2")
        p = self.send("127.0.0.2", port, "--kafka-tls-ca-file", self.ca[1])
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertIn("certificate verify failed", p.stderr)
        self.assertNotIn(b"packet-capture", slurp(out))

    def test_client_certificate_for_a_broker_that_requires_one(self):
        _proc, out, port = self.tls_server("127.0.0.1", "-Verify", "1", "-CAfile", self.ca[1])
        p = self.send("127.0.0.1", port, "--kafka-tls-ca-file", self.ca[1], "--kafka-tls-cert-file", self.client[1],
                      "--kafka-tls-key-file", self.client[0])
        self.assertTrue(harness.wait_for(lambda: b"packet-capture" in slurp(out), 10),
                        slurp(out)[-2000:])
        p = self.send("127.0.0.1", port, "--kafka-tls-cert-file", self.client[1])
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("[kafka] tls_cert_file and tls_key_file", p.stderr)


if __name__ == "__main__":
    harness.main()
