"""`packet-capture hook cloudshark FILE` against fake_cloudshark.py (the documented API).

Covers: upload with filename and tags, ring mode deleting beyond ring_size, 401 -> exit 1,
422 -> exit 1, 503 -> exit 75 (then success), connection refused -> exit 75, a
world-readable token file refused (78), $CREDENTIALS_DIRECTORY honoured, the token never
printed, INI settings and CLOUDSHARK_URL.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_cloudshark.py")
SAMPLE = os.path.join(harness.REPO_ROOT, "tests", "data", "three_udp_micro.pcap")
TOKEN = "tok3n-Secret-1234"


class FakeCloudShark:
    def __init__(self, fail_503=0):
        cmd = [harness.SYS_PYTHON, FAKE, "--port", "0", "--token", TOKEN, "--fail-503", str(fail_503)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=harness._pdeathsig)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise AssertionError("fake_cloudshark.py did not start: %r %s" % (line, self.proc.stderr.read()))
        self.port = int(line)
        self.url = "http://127.0.0.1:%d" % self.port

    def state(self):
        with urllib.request.urlopen(self.url + "/__state", timeout=10) as r:
            return json.load(r)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()


class CloudSharkHook(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = FakeCloudShark()
        self.addCleanup(self.fake.stop)
        self.conf = self.mkdir("conf")
        self.ring = self.mkdir("ring")
        self.token_file = os.path.join(self.tmp, "token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(self.token_file, 0o600)

    def ring_file(self, seq, iface="eth0", prefix="pcap", src=SAMPLE):
        path = os.path.join(self.ring, "%s-%s-%06d.pcap" % (prefix, iface, seq))
        shutil.copyfile(src, path)
        return path

    def hook(self, path, *args, url=None, env=None, token_file=True):
        cmd = [harness.require_binary(), "hook", "cloudshark", "--config-dir", self.conf]
        if url is not False:
            cmd += ["--url", url or self.fake.url]
        if token_file:
            cmd += ["--token-file", self.token_file]
        cmd += list(args) + [path]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                           env=harness.clean_env(env))
        self.assertNotIn(TOKEN, p.stdout + p.stderr, "the token was printed")
        return p

    def assert_exit(self, p, code):
        self.assertEqual(p.returncode, code, "exit status; stdout %r stderr %r" % (p.stdout, p.stderr))

    def test_upload_with_tags(self):
        path = self.ring_file(42)
        p = self.hook(path, "--tags", "site1,lab")
        self.assert_exit(p, 0)
        st = self.fake.state()
        self.assertEqual(len(st["uploads"]), 1)
        up = st["uploads"][0]
        self.assertIn("uploaded %s to CloudShark as %s" % (path, up["id"]), p.stdout)
        self.assertEqual(up["filename"], "pcap-eth0-000042.pcap")
        self.assertEqual(up["method"], "POST")
        with open(path, "rb") as f:
            self.assertEqual(up["sha256"], hashlib.sha256(f.read()).hexdigest(), "content differs")
        self.assertIn("interface:eth0", up["tags"])
        self.assertIn("sequence:42", up["tags"])
        self.assertIn("host:" + socket.gethostname(), up["tags"])
        self.assertIn("site1", up["tags"])
        self.assertIn("lab", up["tags"])

    def test_hook_environment_names_interface_and_sequence(self):
        path = os.path.join(self.ring, "renamed.pcap")
        shutil.copyfile(SAMPLE, path)
        p = self.hook(path, env={"PCAP_INTERFACE": "veth7", "PCAP_SEQUENCE": "9"})
        self.assert_exit(p, 0)
        tags = self.fake.state()["uploads"][0]["tags"]
        self.assertIn("interface:veth7", tags)
        self.assertIn("sequence:9", tags)

    def test_ring_mode_deletes_beyond_ring_size(self):
        other = self.ring_file(1, iface="eth1")
        self.assert_exit(self.hook(other), 0)  # another ring: never touched
        ids = {}
        for seq in range(10, 16):
            p = self.hook(self.ring_file(seq), "--ring", "yes", "--ring-size", "3")
            self.assert_exit(p, 0)
        st = self.fake.state()
        for up in st["uploads"]:
            ids[up["filename"]] = up["id"]
        left = sorted(u["filename"] for u in st["uploads"] if u["id"] in st["captures"])
        self.assertEqual(left, ["pcap-eth0-000013.pcap", "pcap-eth0-000014.pcap", "pcap-eth0-000015.pcap",
                                "pcap-eth1-000001.pcap"])
        self.assertEqual(sorted(st["deleted"]), sorted(ids["pcap-eth0-%06d.pcap" % s] for s in (10, 11, 12)))

    def test_ring_mode_from_ini(self):
        with open(os.path.join(self.conf, "packet-capture.conf"), "w") as f:
            f.write("[cloudshark]\nurl = %s\ntoken_file = %s\nring = yes\nring_size = 5\n"
                    % (self.fake.url, self.token_file))
        with open(os.path.join(self.conf, "eth0.conf"), "w") as f:
            f.write("[cloudshark]\nring_size = 1\n")
        for seq in (1, 2, 3):
            self.assert_exit(self.hook(self.ring_file(seq), url=False, token_file=False), 0)
        st = self.fake.state()
        self.assertEqual(len(st["captures"]), 1)
        self.assertEqual(len(st["deleted"]), 2)

    def test_environment_url(self):
        p = self.hook(self.ring_file(3), url=False, env={"CLOUDSHARK_URL": self.fake.url})
        self.assert_exit(p, 0)

    def test_bad_token_is_permanent(self):
        with open(self.token_file, "w") as f:
            f.write("wrong-token\n")
        p = self.hook(self.ring_file(1))
        self.assert_exit(p, 1)
        self.assertIn("401", p.stderr)
        self.assertIn("API token is invalid", p.stderr)
        self.assertNotIn("wrong-token", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_not_a_capture_is_permanent(self):
        path = os.path.join(self.ring, "pcap-eth0-000001.pcap")
        with open(path, "wb") as f:
            f.write(b"this is not a capture file\n" * 10)
        p = self.hook(path)
        self.assert_exit(p, 1)
        self.assertIn("422", p.stderr)
        self.assertIn("not a supported capture file", p.stderr)
        self.assertEqual(self.fake.state()["uploads"], [])

    def test_503_is_retried_later(self):
        fake = FakeCloudShark(fail_503=2)
        self.addCleanup(fake.stop)
        path = self.ring_file(5)
        for _ in range(2):
            p = self.hook(path, url=fake.url)
            self.assert_exit(p, 75)
            self.assertIn("503", p.stderr)
        self.assert_exit(self.hook(path, url=fake.url), 0)
        self.assertEqual(len(fake.state()["uploads"]), 1)

    def test_connection_refused_is_retried_later(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        p = self.hook(self.ring_file(1), url="http://127.0.0.1:%d" % port)
        self.assert_exit(p, 75)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_world_readable_token_file_is_refused(self):
        os.chmod(self.token_file, 0o644)
        p = self.hook(self.ring_file(1))
        self.assert_exit(p, 78)
        self.assertIn(self.token_file, p.stderr)
        self.assertIn("refused", p.stderr)
        self.assertEqual(self.fake.state()["requests"], 0)

    def test_credentials_directory_wins(self):
        creds = self.mkdir("creds")
        with open(os.path.join(creds, "cloudshark-token"), "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(self.token_file, 0o644)  # would be refused, but is not consulted
        p = self.hook(self.ring_file(1), env={"CREDENTIALS_DIRECTORY": creds})
        self.assert_exit(p, 0)
        p = self.hook(self.ring_file(2), token_file=False, env={"CREDENTIALS_DIRECTORY": creds})
        self.assert_exit(p, 0)
        self.assertEqual(len(self.fake.state()["uploads"]), 2)

    def test_missing_url_and_bad_values(self):
        p = self.hook(self.ring_file(1), url=False)
        self.assert_exit(p, 78)
        self.assertIn("CLOUDSHARK_URL", p.stderr)
        p = self.hook(self.ring_file(1), "--ring-size", "0")
        self.assert_exit(p, 64)
        self.assertIn("--ring-size '0'", p.stderr)
        with open(os.path.join(self.conf, "packet-capture.conf"), "w") as f:
            f.write("[cloudshark]\nring = maybe\n")
        p = self.hook(self.ring_file(1))
        self.assert_exit(p, 78)
        self.assertIn("packet-capture.conf:2", p.stderr)
        self.assertIn("maybe", p.stderr)


if __name__ == "__main__":
    harness.main()
