#!/usr/bin/env python3
"""`packet-capture agent` and `packet-capture request` end to end: three agents (three nodes)
on one real redis-server with an ACL user per node (and an intruder who may only append to
the request stream), rings written by `run --read`, requests signed with
keys made by the openssl tool (independently of the code under test). Results are compared
packet for packet with `extract` over the same ring; forged, unsigned and replayed requests
are refused; a SIGKILLed agent answers its request exactly once after the restart."""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
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
import test_cloudshark_hook  # noqa: E402  (its fake CloudShark server)
import test_s3_hook  # noqa: E402  (its S3rver: the S3 peer the hook tests use)

T0 = 1764496800 * 10**9  # 2025-11-30T10:00:00Z
COUNT = 6000             # 6 s of traffic, 1 ms apart
NODES = ("node-a", "node-b", "node-c")
REDIS_PASSWORD = "agent-test-password-0123456789"
INTRUDER_PASSWORD = "intruder-password-9876543210"
CONTEXT = b"packet-capture request v1"


class AgentTest(harness.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        for tool in ("redis-server", "redis-cli", "openssl"):
            harness.require_tool(tool)
        cls.work = tempfile.mkdtemp(prefix="pc-agent-")
        cls.port = free_port()
        # Two ACL users: the agents' (streams and channel below pcap:) and nobody else's.
        conf = os.path.join(cls.work, "redis.conf")
        with open(conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir %s\n" % (cls.port, cls.work))
            f.write("user default off\n")
            # One ACL user per node, one for the tests' own reads, and an intruder who may
            # only append to the request stream (and tries to forge requests there).
            for user in NODES + ("agent", "node-s3", "node-alias", "node-cs", "node-od"):
                f.write("user %s on >%s ~pcap:* &capture +@all\n" % (user, REDIS_PASSWORD))
            f.write("user intruder on >%s ~pcap:req -@all +xadd\n" % INTRUDER_PASSWORD)
        cls.redis = subprocess.Popen(["redis-server", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=harness._pdeathsig)
        cls.password_file = os.path.join(cls.work, "redis-password")
        with open(cls.password_file, "w") as f:
            f.write(REDIS_PASSWORD + "\n")
        os.chmod(cls.password_file, 0o600)
        assert harness.wait_for(lambda: cls.redis_cli("PING").strip() == "PONG", 10), "redis-server did not start"

        cls.ring = agent_fixture.mix_ring(cls.work, COUNT, T0, seed=11)
        cls.conf = agent_fixture.ring_conf(os.path.join(cls.work, "conf"), cls.ring)
        cls.key, cls.trusted = agent_fixture.signing_keys(cls.work)
        cls.agents = {}

    @classmethod
    def tearDownClass(cls):
        for proc in cls.agents.values():
            proc.kill()
            proc.wait()
        cls.redis.kill()
        cls.redis.wait()
        shutil.rmtree(cls.work, True)

    @classmethod
    def redis_cli(cls, *args, user="agent", password=REDIS_PASSWORD):
        p = subprocess.run(["redis-cli", "--no-auth-warning", "-p", str(cls.port), "--user", user, "--pass",
                            password] + list(args), capture_output=True, text=True, timeout=30)
        return p.stdout

    @classmethod
    def agent_args(cls, node, conf=None):
        return [harness.require_binary(), "agent", "--config-dir", conf or cls.conf, "--node", node,
                "--trusted-keys-dir", cls.trusted, "--state-dir", os.path.join(cls.work, "state-" + node),
                "--results-dir", os.path.join(cls.work, "results-" + node), "--redis-port", str(cls.port),
                "--redis-user", node, "--redis-password-file", cls.password_file]

    @classmethod
    def start_agent(cls, node, conf=None):
        with open(os.path.join(cls.work, "agent-%s.log" % node), "ab") as log:
            proc = subprocess.Popen(cls.agent_args(node, conf), stdout=log, stderr=log, env=harness.clean_env(),
                                    preexec_fn=harness._pdeathsig)
        cls.agents[node] = proc
        # Listening once its consumer group exists.
        ok = harness.wait_for(lambda: ("name\n%s\n" % node) in cls.redis_cli("XINFO", "GROUPS", "pcap:req")
                              or node in cls.redis_cli("XINFO", "GROUPS", "pcap:req"), 15)
        assert ok, "agent %s did not join the stream: %s" % (node, cls.agent_log(node))
        return proc

    @classmethod
    def agent_log(cls, node):
        with open(os.path.join(cls.work, "agent-%s.log" % node), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def setUp(self):
        super().setUp()
        if "node-a" not in self.agents:
            # The stream must exist for XINFO: the first agent creates it.
            for node in NODES:
                self.start_agent(node)

    # --- helpers

    def sign(self, body, key_id="ops"):
        """The Ed25519 signature of the context, key id and body, by the openssl tool."""
        data = os.path.join(self.tmp, "signing-input")
        with open(data, "wb") as f:
            f.write(CONTEXT + b"\n" + key_id.encode() + b"\n" + body)
        sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", self.key, "-in", data],
                             check=True, capture_output=True).stdout
        return base64.b64encode(sig).decode()

    def body(self, request_id, **fields):
        message = {"v": 1, "id": request_id, "interface": ["mix0"], "ts": rfc3339(time.time_ns())}
        message.update(fields)
        return json.dumps(message).encode()

    def send_entry(self, *fields, user="agent", password=REDIS_PASSWORD):
        entry = self.redis_cli("XADD", "pcap:req", "*", *fields, user=user, password=password).strip()
        self.assertRegex(entry, r"^\d+-\d+$", "XADD as %s" % user)
        return entry

    def answers(self, request_id):
        out = subprocess.run(["redis-cli", "--no-auth-warning", "--json", "-p", str(self.port), "--user", "agent",
                              "--pass", REDIS_PASSWORD, "XRANGE", "pcap:ack", "-", "+"],
                             capture_output=True, text=True, timeout=30).stdout
        found = []
        for _, fields in json.loads(out or "[]"):
            try:
                answer = json.loads(fields[1])
            except ValueError:
                continue  # junk another test put on the stream
            if isinstance(answer, dict) and answer.get("id") == request_id:
                found.append(answer)
        return found

    def wait_answers(self, request_id, predicate, timeout=30):
        ok = harness.wait_for(lambda: predicate(self.answers(request_id)), timeout, interval=0.2)
        return ok, self.answers(request_id)

    def extract_records(self, start, stop, flt):
        out = os.path.join(self.tmp, "want.pcapng")
        p = harness.run_binary(["extract", "-o", self.ring, "--from", rfc3339(start),
                                "--to", rfc3339(stop), "--filter", flt, "--format", "pcapng", "-w", out], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [(ts, data) for ts, _, _, data in harness.read_capture(out).records]

    # --- tests

    def test_nodere_two_of_three_answer_with_what_extract_returns(self):
        start, stop = T0 + 1_250_000_000, T0 + 4_500_000_000
        flt = "tcp and port 443"
        request_id = "nodere-1"
        p = harness.run_binary(["request", "--nodere", "node-(a|b)", "-i", "mix0", "--from", rfc3339(start),
                                "--to", rfc3339(stop), "--filter", flt, "--id", request_id, "--key", self.key,
                                "--key-id", "ops", "--tag", "case-42", "--redis-port", str(self.port),
                                "--redis-user", "agent", "--redis-password-file", self.password_file,
                                "--wait", "30", "--expect", "2", "--json"], timeout=60, config_dir=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        printed = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual(sorted(a["node"] for a in printed if a["state"] == "done"), ["node-a", "node-b"], printed)
        want = self.extract_records(start, stop, flt)
        self.assertGreater(len(want), 100)
        for node in ("node-a", "node-b"):
            result = os.path.join(self.work, "results-" + node, "2025", "11", "30", request_id, node, "mix0")
            cap = harness.read_capture(os.path.join(result, "capture.pcapng"))
            self.assertEqual(cap.format, "pcapng")
            self.assertEqual([(ts, data) for ts, _, _, data in cap.records], want, node)
            with open(os.path.join(result, "manifest.json")) as f:
                manifest = json.load(f)
            with open(os.path.join(result, "capture.pcapng"), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            self.assertEqual(manifest["objects"][0]["sha256"], digest)
            self.assertEqual((manifest["node"], manifest["state"], manifest["packets"], manifest["request"]["tags"]),
                             (node, "done", len(want), ["case-42"]))
            self.assertTrue(manifest["coverage"]["complete"])
        # node-c does not match: it neither answers nor writes anything.
        time.sleep(1)
        self.assertEqual([a for a in self.answers(request_id) if a["node"] == "node-c"], [])
        self.assertFalse(os.path.exists(os.path.join(self.work, "results-node-c", "2025")))
        states = [(a["node"], a["state"]) for a in self.answers(request_id)]
        self.assertEqual(sorted(states), [("node-a", "accepted"), ("node-a", "done"),
                                          ("node-b", "accepted"), ("node-b", "done")])
        status = harness.run_binary(["agent", "status", "--json", "--state-dir",
                                     os.path.join(self.work, "state-node-a")], config_dir=False)
        self.assertEqual(status.returncode, 0, status.stderr)
        entry = [e for e in json.loads(status.stdout) if e["id"] == request_id][0]
        self.assertEqual((entry["state"], entry["answers"][0]["state"]), ("answered", "done"))

    def test_forged_unsigned_and_replayed_requests_are_refused(self):
        window = {"from": rfc3339(T0 + 10**8), "to": rfc3339(T0 + 10**9)}
        good = self.body("signed-1", node="node-a", **window)
        sig = self.sign(good)
        self.send_entry("body", good, "kid", "ops", "alg", "ed25519", "sig", sig)
        ok, got = self.wait_answers("signed-1", lambda a: any(x["state"] == "done" for x in a))
        self.assertTrue(ok, "signed request not answered: %s %s" % (got, self.agent_log("node-a")))
        # The same entry again: a replay.
        self.send_entry("body", good, "kid", "ops", "alg", "ed25519", "sig", sig)
        ok, got = self.wait_answers("signed-1", lambda a: any(x["state"] == "rejected" for x in a))
        self.assertTrue(ok, got)
        self.assertIn("replay", [x for x in got if x["state"] == "rejected"][0]["reason"])
        self.assertEqual(len([x for x in got if x["state"] == "done"]), 1)
        # A body changed after signing, a signature by another key, no signature at all.
        # The intruder may append to the request stream, and nothing else.
        forged = self.body("forged-1", node="node-a", bpf="tcp", **window)
        self.send_entry("body", forged, "kid", "ops", "alg", "ed25519", "sig", sig,
                        user="intruder", password=INTRUDER_PASSWORD)
        self.assertIn("NOPERM", self.redis_cli("XRANGE", "pcap:ack", "-", "+", user="intruder",
                                               password=INTRUDER_PASSWORD))
        unsigned = self.body("unsigned-1", node="node-a", **window)
        self.send_entry("body", unsigned, user="intruder", password=INTRUDER_PASSWORD)
        unknown = self.body("unknown-key-1", node="node-a", **window)
        self.send_entry("body", unknown, "kid", "other", "alg", "ed25519", "sig", self.sign(unknown, "other"))
        for request_id, needle in (("forged-1", "signature"), ("unsigned-1", "unsigned"), ("unknown-key-1", "other")):
            ok, got = self.wait_answers(request_id, lambda a: len(a) > 0)
            self.assertTrue(ok, "%s: no answer; %s" % (request_id, self.agent_log("node-a")))
            self.assertEqual([x["state"] for x in got], ["rejected"], got)
            self.assertIn(needle, got[0]["reason"])
            self.assertFalse(os.path.exists(os.path.join(self.work, "results-node-a", "2025", "11", "30",
                                                         request_id)))
        # A reply stream outside pcap:ack, and an interface without a ring: refused with the reason.
        for request_id, extra, needle in (("reply-1", {"reply_to": "other:stream"}, "reply_to"),
                                          ("iface-1", {"interface": ["nothere0"]}, "nothere0")):
            body = self.body(request_id, node="node-a", **dict(window, **extra))
            self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
            ok, got = self.wait_answers(request_id, lambda a: len(a) > 0)
            self.assertTrue(ok, request_id)
            self.assertEqual(got[0]["state"], "rejected", got)
            self.assertIn(needle, got[0]["reason"])

    def test_an_id_still_in_the_journal_is_not_reused_once_the_seen_ids_forget_it(self):
        window = {"from": rfc3339(T0 + 10**8), "to": rfc3339(T0 + 10**9)}
        first = self.body("reused-1", node="node-a", **window)
        self.send_entry("body", first, "kid", "ops", "alg", "ed25519", "sig", self.sign(first))
        ok, got = self.wait_answers("reused-1", lambda a: any(x["state"] == "done" for x in a))
        self.assertTrue(ok, got)
        # A stop (exit 0), and the seen ids forgotten as they are once the skew has passed.
        agent = self.agents["node-a"]
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=30), 0, self.agent_log("node-a"))
        with open(os.path.join(self.work, "state-node-a", "seen-requests"), "w"):
            pass
        self.start_agent("node-a")
        second = self.body("reused-1", node="node-a", bpf="udp", **window)
        self.send_entry("body", second, "kid", "ops", "alg", "ed25519", "sig", self.sign(second))
        ok, got = self.wait_answers("reused-1", lambda a: any(x["state"] == "rejected" for x in a))
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-a")))
        self.assertIn("already used on this node", got[-1]["reason"])
        self.assertEqual([x["state"] for x in got], ["accepted", "done", "rejected"])

    def test_pubsub_request_is_answered(self):
        body = self.body("channel-1", node="node-b", **{"from": rfc3339(T0 + 10**8), "to": rfc3339(T0 + 10**9)})
        payload = b"PCSIG1 ops ed25519 " + self.sign(body).encode() + b"\n" + body
        subprocess.run(["redis-cli", "--no-auth-warning", "-p", str(self.port), "--user", "agent", "--pass",
                        REDIS_PASSWORD, "-x", "PUBLISH", "capture"], input=payload, check=True, capture_output=True)
        ok, got = self.wait_answers("channel-1", lambda a: any(x["state"] == "done" for x in a))
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-b")))
        self.assertEqual({x["node"] for x in got}, {"node-b"})

    def test_sigkill_during_a_request_answers_it_once_after_the_restart(self):
        # A live ring, and a window reaching 4 s into the future: the agent follows the ring
        # until the window has passed, and is SIGKILLed while it does.
        pair = self.veth()
        out = self.mkdir("live-ring")
        with open(os.path.join(self.conf, pair.RX_IF + ".conf"), "w") as f:
            f.write("[capture]\noutput_dir = %s\n" % out)
        daemon = self.daemon(pair, out, "--file-size", "1", "--file-limit", "20").start()
        start = time.time_ns()
        stop = start + 4 * 10**9
        body = self.body("killed-1", node="node-c", interface=[pair.RX_IF],
                         **{"from": rfc3339(start), "to": rfc3339(stop)})
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ok, got = self.wait_answers("killed-1", lambda a: any(x["state"] == "waiting" for x in a), 15)
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-c")))
        pair.send_udp(1500, size=200, rate=1000)
        self.agents["node-c"].send_signal(signal.SIGKILL)
        self.agents["node-c"].wait()
        self.assertEqual([x["state"] for x in self.answers("killed-1")], ["waiting"])
        pair.send_udp(1000, size=200, rate=1000, start=1500)
        self.start_agent("node-c")
        ok, got = self.wait_answers("killed-1", lambda a: any(x["state"] in ("done", "partial") for x in a), 30)
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-c")))
        time.sleep(2)  # nothing more comes
        daemon.stop()
        got = self.answers("killed-1")
        self.assertEqual([x["state"] for x in got], ["waiting", "done"], got)
        result = os.path.join(self.work, "results-node-c", *time.strftime("%Y/%m/%d", time.gmtime(start // 10**9)).split("/"),
                              "killed-1", "node-c", pair.RX_IF)
        self.assertEqual(sorted(os.listdir(result)), ["capture.pcapng", "manifest.json"])
        cap = harness.read_capture(os.path.join(result, "capture.pcapng"))
        marks = [m[0] for m in harness.packet_marks(cap, pair.token)]
        self.assertGreater(len(marks), 1000, "packets sent before and after the kill")
        self.assertEqual(marks, list(range(marks[0], marks[0] + len(marks))), "no packet lost or repeated")
        self.assertTrue(all(start <= r[0] < stop for r in cap.records))
        self.assertEqual(got[1]["packets"], len(cap.records))

    def test_pcapdaemon_live_request_by_alias_ends_at_its_idle_timeout(self):
        # pcapdaemon's model: no window, a duration, an idle timeout, interfaces named by an
        # alias this node maps to its own interface.
        pair = self.veth()
        out = self.mkdir("alias-ring")
        conf = self.mkdir("conf-alias")
        with open(os.path.join(conf, pair.RX_IF + ".conf"), "w") as f:
            f.write("[capture]\noutput_dir = %s\n" % out)
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[agent]\naliases = uplink=%s mgmt=lo\n" % pair.RX_IF)
        daemon = self.daemon(pair, out, "--file-size", "1", "--file-limit", "20").start()
        self.addCleanup(daemon.stop)
        proc = self.start_agent("node-alias", conf)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        # An alias no node has: every node leaves it alone (it is for other nodes).
        def by_alias(request_id, **fields):
            message = json.loads(self.body(request_id, **fields))
            del message["interface"]
            return json.dumps(message).encode()

        body = by_alias("alias-elsewhere", node="any", alias=["dmz"], duration=5)
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        # Over the configured limit (max_packets 50000): refused, naming the field, to the sender.
        body = by_alias("alias-too-many", node="node-alias", alias=["uplink"], packets=100000)
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ok, got = self.wait_answers("alias-too-many", lambda a: len(a) > 0, 15)
        self.assertTrue(ok, self.agent_log("node-alias"))
        self.assertEqual(got[0]["state"], "rejected", got)
        self.assertIn("packets: 100000 is over the limit of 50000", got[0]["reason"])
        body = by_alias("alias-live", node="node-alias", alias=["uplink"], bpf="udp", duration=60, timeout=2,
                        packets=1000, tags="case-7,live", alertid=655443)
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ok, got = self.wait_answers("alias-live", lambda a: any(x["state"] == "waiting" for x in a), 15)
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-alias")))
        sent_at = time.time()
        pair.send_udp(300, size=200, rate=1000)
        ok, got = self.wait_answers("alias-live", lambda a: any(x["state"] in ("done", "partial", "failed") for x in a), 30)
        ended_after = time.time() - sent_at
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-alias")))
        final = got[-1]
        self.assertEqual((final["state"], final["interface"], final.get("limit")), ("done", pair.RX_IF, "timeout"), final)
        self.assertLess(ended_after, 20, "ended by the 2 s idle timeout, not the 60 s duration")
        self.assertTrue(final["coverage"]["complete"], final)
        cap = harness.read_capture(os.path.join(final["result"], "capture.pcapng"))
        marks = [m[0] for m in harness.packet_marks(cap, pair.token)]
        self.assertEqual(marks, list(range(300)), "every packet sent during the request, once")
        with open(os.path.join(final["result"], "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["limit_hit"], "timeout")
        self.assertEqual(manifest["request"]["tags"], ["case-7", "live"])
        window_seconds = (harness.parse_rfc3339_ns(manifest["window"]["to"]) -
                          harness.parse_rfc3339_ns(manifest["window"]["from"])) / 1e9
        self.assertLess(window_seconds, 20, manifest["window"])
        self.assertEqual(self.answers("alias-elsewhere"), [])
        self.assertIn("names no alias of this node", self.agent_log("node-alias"))
        # A bad alias setting is a configuration error naming the value.
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[agent]\naliases = uplink\n")
        p = harness.run_binary(self.agent_args("node-alias", conf)[1:], config_dir=False)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("'uplink' is not ALIAS=IFACE", p.stderr)

    def test_s3_destination_gets_the_capture_then_the_manifest(self):
        s3 = test_s3_hook.S3rver()
        self.addCleanup(s3.stop)
        conf = self.mkdir("conf-s3")
        shutil.copy(os.path.join(self.conf, "mix0.conf"), conf)
        secrets = [agent_fixture.secret_file(conf, "key-id", test_s3_hook.KEY_ID),
                   agent_fixture.secret_file(conf, "secret", test_s3_hook.SECRET)]
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[s3]\nendpoint = %s\nbucket = %s\nregion = %s\nprefix = fleet\n"
                    "access_key_id_file = %s\nsecret_access_key_file = %s\n"
                    % (s3.endpoint, test_s3_hook.BUCKET, test_s3_hook.REGION, secrets[0], secrets[1]))
        proc = self.start_agent("node-s3", conf)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        window = {"from": rfc3339(T0 + 2 * 10**9), "to": rfc3339(T0 + 3 * 10**9)}
        body = self.body("to-s3", node="node-s3", destination="s3", bucket=test_s3_hook.BUCKET, **window)
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ok, got = self.wait_answers("to-s3", lambda a: any(x["state"] in ("done", "failed") for x in a))
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-s3")))
        final = got[-1]
        prefix = "fleet/requests/2025/11/30/to-s3/node-s3/mix0/"
        self.assertEqual((final["state"], final["result"]), ("done", "s3://%s/%s" % (test_s3_hook.BUCKET, prefix)),
                         final)
        local = os.path.join(self.work, "results-node-s3", "2025", "11", "30", "to-s3", "node-s3", "mix0")
        for name in ("capture.pcapng", "manifest.json"):
            status, data = s3.get(prefix + name)
            self.assertEqual(status, 200, name)
            with open(os.path.join(local, name), "rb") as f:
                self.assertEqual(data, f.read(), name)
        manifest = json.loads(s3.get(prefix + "manifest.json")[1])
        self.assertEqual(manifest["objects"][0]["sha256"], hashlib.sha256(s3.get(prefix + "capture.pcapng")[1]).hexdigest())
        self.assertEqual(manifest["packets"], final["packets"])
        # A message may not choose another bucket, endpoint or ACL: refused, nothing uploaded.
        for request_id, extra, needle in (("other-bucket", {"bucket": "elsewhere"}, "bucket"),
                                          ("other-endpoint", {"endpoint": "http://192.0.2.1"}, "endpoint"),
                                          ("public-acl", {"acl": "public-read"}, "acl")):
            body = self.body(request_id, node="node-s3", destination="s3", **dict(window, **extra))
            self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
            ok, got = self.wait_answers(request_id, lambda a: len(a) > 0)
            self.assertTrue(ok, request_id)
            self.assertEqual(got[0]["state"], "rejected", got)
            self.assertIn(needle, got[0]["reason"])
            self.assertEqual(s3.get("fleet/requests/2025/11/30/%s/node-s3/mix0/manifest.json" % request_id)[0], 404)

    def test_cloudshark_destination_uploads_the_capture_with_the_request_tags(self):
        fake = test_cloudshark_hook.FakeCloudShark()
        self.addCleanup(fake.stop)
        conf = self.mkdir("conf-cs")
        shutil.copy(os.path.join(self.conf, "mix0.conf"), conf)
        token = os.path.join(conf, "token")
        with open(token, "w") as f:
            f.write(test_cloudshark_hook.TOKEN + "\n")
        os.chmod(token, 0o600)
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[cloudshark]\nurl = %s\ntoken_file = %s\n" % (fake.url, token))
        proc = self.start_agent("node-cs", conf)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        body = self.body("to-cloudshark", node="node-cs", destination="cloudshark", tags="case-9,dns storm",
                         customer="acme corp", alertid=655443,
                         **{"from": rfc3339(T0 + 10**9), "to": rfc3339(T0 + 2 * 10**9)})
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ok, got = self.wait_answers("to-cloudshark", lambda a: any(x["state"] in ("done", "failed") for x in a))
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-cs")))
        final = got[-1]
        self.assertEqual(final["state"], "done", final)
        uploads = fake.state()["uploads"]
        self.assertEqual(len(uploads), 1, uploads)
        self.assertEqual(final["result"], fake.url + "/captures/" + final["cloudshark_id"])
        self.assertEqual(uploads[0]["filename"], "to-cloudshark-node-cs-mix0.pcapng")
        self.assertEqual(set(uploads[0]["tags"]), {"request:to-cloudshark", "node:node-cs", "interface:mix0",
                                                   "alertid:655443", "customer:acme_corp", "case-9", "dns_storm"})
        local = os.path.join(self.work, "results-node-cs", "2025", "11", "30", "to-cloudshark", "node-cs",
                             "mix0", "capture.pcapng")
        with open(local, "rb") as f:
            self.assertEqual(uploads[0]["sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertNotIn(test_cloudshark_hook.TOKEN, self.agent_log("node-cs"))
        # pcapdaemon's S3 fields make no sense for CloudShark: refused.
        body = self.body("cs-bucket", node="node-cs", destination="cloudshark", bucket="b",
                         **{"from": rfc3339(T0 + 10**9), "to": rfc3339(T0 + 2 * 10**9)})
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ok, got = self.wait_answers("cs-bucket", lambda a: len(a) > 0)
        self.assertTrue(ok)
        self.assertEqual(got[0]["state"], "rejected", got)

    def test_on_demand_captures_a_live_request_on_an_interface_without_a_ring(self):
        conf = self.mkdir("conf-od")
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[agent]\non_demand = yes\n")
        proc = self.start_agent("node-od", conf)
        self.addCleanup(lambda: (proc.kill(), proc.wait()))
        port = free_port()
        body = self.body("on-demand-1", node="node-od", interface="lo", bpf="udp and port %d" % port, duration=5,
                         timeout=30)
        message = json.loads(body)
        message.pop("from", None)
        self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
        ring = os.path.join(self.work, "state-node-od", "on-demand", "on-demand-1", "lo", "ring")
        started = harness.wait_for(lambda: os.path.isdir(ring) and any(n.endswith(".part") for n in os.listdir(ring)),
                                   15, interval=0.05)
        self.assertTrue(started, self.agent_log("node-od"))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(200):
            sock.sendto(b"on-demand-%05d" % i, ("127.0.0.1", port))
        sock.close()
        ok, got = self.wait_answers("on-demand-1", lambda a: any(x["state"] in ("done", "partial", "failed") for x in a))
        self.assertTrue(ok, "%s %s" % (got, self.agent_log("node-od")))
        final = got[-1]
        self.assertEqual((final["state"], final["interface"]), ("done", "lo"), final)
        cap = harness.read_capture(os.path.join(final["result"], "capture.pcapng"))
        marks = [int(data[-5:]) for _, _, _, data in cap.records]
        self.assertEqual(marks, list(range(200)), "every datagram once, in order")
        self.assertFalse(os.path.exists(os.path.dirname(os.path.dirname(ring))), "the on-demand ring is removed")
        # A window on the past needs a ring; a node without on_demand captures nothing itself.
        for node, request_id, extra, needle in (
                ("node-od", "on-demand-past", {"from": rfc3339(T0), "to": rfc3339(T0 + 10**9)}, "only live"),
                ("node-a", "no-on-demand", {"duration": 2}, "interface lo: ")):
            body = self.body(request_id, node=node, interface="lo", **extra)
            self.send_entry("body", body, "kid", "ops", "alg", "ed25519", "sig", self.sign(body))
            ok, got = self.wait_answers(request_id, lambda a: len(a) > 0)
            self.assertTrue(ok, request_id)
            self.assertEqual(got[0]["state"], "rejected", got)
            self.assertIn(needle, got[0]["reason"])

    def test_request_sends_a_pcapdaemon_message_as_written(self):
        # pcapdaemon's message shape (live: duration, timeout, packets; tags as one string).
        message = os.path.join(self.tmp, "pcapdaemon.json")
        with open(message, "w") as f:
            json.dump({"node": "node-b", "interface": "mix0", "bpf": "udp", "packets": 50, "timeout": 2,
                       "duration": 3, "tags": "blah,tagme", "alertid": 655443, "customer": "importantcustomer"}, f)
        p = harness.run_binary(["request", "--message", message, "--key", self.key, "--redis-port", str(self.port),
                                "--redis-user", "agent", "--redis-password-file", self.password_file, "--wait", "30",
                                "--expect", "1", "--json"], timeout=60, config_dir=False)
        self.assertEqual(p.returncode, 0, p.stderr + self.agent_log("node-b"))
        answers = [json.loads(line) for line in p.stdout.splitlines()]
        self.assertEqual([a["state"] for a in answers][0], "waiting", answers)
        final = answers[-1]
        self.assertEqual((final["node"], final["interface"]), ("node-b", "mix0"), final)
        with open(os.path.join(final["result"], "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["request"]["tags"], ["blah", "tagme"])
        self.assertEqual(manifest["request"]["alertid"], "655443")
        # A message the agents would refuse fails here, naming the field; so do flags beside it.
        with open(message, "w") as f:
            json.dump({"node": "node-b", "interface": "mix0", "snap": "big"}, f)
        p = harness.run_binary(["request", "--message", message, "--key", self.key], config_dir=False)
        self.assertEqual(p.returncode, 65, p.stderr)
        self.assertIn("snap", p.stderr)
        p = harness.run_binary(["request", "--message", message, "--node", "x", "--key", self.key], config_dir=False)
        self.assertEqual(p.returncode, 64, p.stderr)

    def test_request_wait_skips_answers_that_are_not_well_formed(self):
        # Anyone allowed to append to the answer stream can write junk there: the sender skips it.
        cmd = [harness.require_binary(), "request", "--node", "node-b", "-i", "mix0", "--from", rfc3339(T0 + 10**9),
               "--to", rfc3339(T0 + 2 * 10**9), "--id", "junk-1", "--key", self.key, "--redis-port", str(self.port),
               "--redis-user", "agent", "--redis-password-file", self.password_file, "--wait", "20", "--expect", "1"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness.clean_env())
        harness.wait_for(lambda: self.answers("junk-1"), 10, interval=0.05)
        for junk in ('{"id": 1}', '{"id": "junk-1", "state": "done", "packets": "many"}', '[1,2]', 'not json',
                     '{"id": "junk-1", "state": ["done"]}'):
            self.redis_cli("XADD", "pcap:ack", "*", "answer", junk)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertRegex(out, r"(?m)^node-b  mix0  done  \d+ packets")
        self.assertNotIn("many", out)

    def test_bad_flags_and_settings_one_line(self):
        p = harness.run_binary(["request", "--node", "x", "-i", "mix0", "--last", "5m", "--redis-port",
                                str(self.port)], config_dir=False)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("--key", p.stderr)
        p = harness.run_binary(["agent", "--node", "x", "--redis-port", "99999"], config_dir=False)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("99999", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        # The same in agent.conf is a configuration error, and so is a key directory others can write.
        conf = self.mkdir("badconf")
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[redis]\nport = 99999\n")
        p = harness.run_binary(["agent", "--node", "x"], config_dir=conf)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("99999", p.stderr)
        open_results = self.mkdir("open-results")
        os.chmod(open_results, 0o777)
        p = harness.run_binary(["agent", "--node", "x", "--trusted-keys-dir", self.trusted, "--state-dir",
                                self.mkdir("state-x"), "--results-dir", open_results], config_dir=self.mkdir("empty0"))
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn(open_results, p.stderr)
        keys = self.mkdir("open-keys")
        shutil.copy(os.path.join(self.trusted, "ops.pub"), keys)
        os.chmod(keys, 0o777)
        p = harness.run_binary(["agent", "--node", "x", "--trusted-keys-dir", keys], config_dir=self.mkdir("empty"))
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn(keys, p.stderr)


if __name__ == "__main__":
    harness.main()
