"""`packet-capture hook s3 FILE` against a real S3 peer: npm @20minutes/s3rver 4.0.4, which
verifies SigV4 signatures (install: `bash scripts/install-test-peers.sh`; missing -> FAIL).

Covers: single PUT read back byte for byte (GET signed here with SigV4), key template and
prefix, multipart above a small threshold, a wrong secret (exit 1, clear error), a missing
bucket (1), connection refused (75), world-readable key file refused (78),
$CREDENTIALS_DIRECTORY honoured, settings from INI/environment/flags.
"""

import datetime
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
S3RVER_DIR = os.path.join(HERE, "s3rver")
SAMPLE = os.path.join(harness.REPO_ROOT, "tests", "data", "three_udp_micro.pcap")
BUCKET = "pcaps"
KEY_ID = "S3RVER"      # s3rver's built-in key pair
SECRET = "S3RVER"
REGION = "us-east-1"


def require_s3rver():
    node = shutil.which("node", path=harness.CLEAN_PATH)
    if not node:
        raise AssertionError("node is not installed: run `bash scripts/install-test-peers.sh`")
    pkg = os.path.join(S3RVER_DIR, "node_modules", "@20minutes", "s3rver", "package.json")
    if not os.path.exists(pkg):
        raise AssertionError("@20minutes/s3rver is not installed in %s: run "
                             "`bash scripts/install-test-peers.sh`" % S3RVER_DIR)
    return node


class S3rver:
    def __init__(self):
        node = require_s3rver()
        self.dir = tempfile.mkdtemp(prefix="pc-s3rver-")
        self.proc = subprocess.Popen([node, os.path.join(S3RVER_DIR, "start.js"), "0", self.dir, BUCKET],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     cwd=S3RVER_DIR, preexec_fn=harness._pdeathsig)
        line = self.proc.stdout.readline().split()
        if len(line) != 2 or line[0] != "listening":
            self.stop()
            raise AssertionError("s3rver did not start: %r" % line)
        self.port = int(line[1])
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        shutil.rmtree(self.dir, True)

    def get(self, key):
        """GET s3://pcaps/KEY with a SigV4 signature computed here; returns (status, body)."""
        return self._signed("/%s/%s" % (BUCKET, urllib.parse.quote(key, safe="/-_.~")))

    def list(self, prefix=""):
        """The keys below PREFIX in the bucket (ListObjectsV2, page after page), sorted."""
        keys, token = [], None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            status, body = self._signed("/" + BUCKET, query)
            if status != 200:
                raise AssertionError("ListObjectsV2 %s: HTTP %d %r" % (prefix, status, body[:300]))
            root = xml.etree.ElementTree.fromstring(body)
            ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            keys += [e.findtext(ns + "Key") for e in root.findall(ns + "Contents")]
            token = root.findtext(ns + "NextContinuationToken")
            if root.findtext(ns + "IsTruncated") != "true" or not token:
                return sorted(keys)

    def _signed(self, path, query=None):
        """GET PATH?QUERY signed with SigV4 here; returns (status, body)."""
        host = "127.0.0.1:%d" % self.port
        now = datetime.datetime.now(datetime.timezone.utc)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = amz_date[:8]
        payload = hashlib.sha256(b"").hexdigest()
        headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        qs = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                      for k, v in sorted((query or {}).items()))
        canonical = "\n".join(["GET", path, qs] + ["%s:%s" % (k, headers[k]) for k in sorted(headers)]
                              + ["", signed, payload])
        scope = "%s/%s/s3/aws4_request" % (day, REGION)
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + SECRET).encode()
        for part in (day, REGION, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        req = urllib.request.Request(self.endpoint + path + ("?" + qs if qs else ""), headers={
            "x-amz-content-sha256": payload, "x-amz-date": amz_date,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                             % (KEY_ID, scope, signed, sig)})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


class S3Hook(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.s3 = S3rver()
        self.addCleanup(self.s3.stop)
        self.conf = self.mkdir("conf")
        self.ring = self.mkdir("ring")
        self.key_id_file = self.secret_file("key-id", KEY_ID)
        self.secret_key_file = self.secret_file("secret", SECRET)
        self.host = socket.gethostname()

    def secret_file(self, name, value, mode=0o600):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(value + "\n")
        os.chmod(path, mode)
        return path

    def ring_file(self, seq, size=None, iface="eth0"):
        path = os.path.join(self.ring, "pcap-%s-%06d.pcap" % (iface, seq))
        if size is None:
            shutil.copyfile(SAMPLE, path)
        else:
            with open(SAMPLE, "rb") as f:
                head = f.read(24)
            with open(path, "wb") as f:
                f.write(head + os.urandom(size - len(head)))
        return path

    def hook(self, path, *args, endpoint=None, bucket=BUCKET, keys=True, env=None):
        cmd = [harness.require_binary(), "hook", "s3", "--config-dir", self.conf]
        if endpoint is not False:
            cmd += ["--endpoint", endpoint or self.s3.endpoint]
        if bucket:
            cmd += ["--bucket", bucket]
        if keys:
            cmd += ["--access-key-id-file", self.key_id_file, "--secret-access-key-file", self.secret_key_file]
        cmd += list(args) + [path]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
                           env=harness.clean_env(env))
        self.assertNotIn(SECRET + "\n", p.stdout + p.stderr)
        return p

    def assert_exit(self, p, code):
        self.assertEqual(p.returncode, code, "exit status; stdout %r stderr %r" % (p.stdout, p.stderr))

    def assert_stored(self, key, path):
        status, body = self.s3.get(key)
        self.assertEqual(status, 200, "GET %s: %r" % (key, body[:300]))
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(len(body), len(data), "size of %s" % key)
        self.assertTrue(body == data, "content of %s differs from %s" % (key, path))

    def test_put_and_read_back(self):
        path = self.ring_file(42)
        p = self.hook(path, "--prefix", "site1")
        self.assert_exit(p, 0)
        key = "site1/%s/eth0/pcap-eth0-000042.pcap" % self.host
        self.assertEqual(p.stdout.strip(), "uploaded %s to s3://%s/%s (%d bytes)"
                         % (path, BUCKET, key, os.path.getsize(path)))
        self.assert_stored(key, path)

    def test_default_key_without_prefix_and_template(self):
        path = self.ring_file(7)
        self.assert_exit(self.hook(path), 0)
        self.assert_stored("%s/eth0/pcap-eth0-000007.pcap" % self.host, path)
        path = self.ring_file(8)
        self.assert_exit(self.hook(path, "--key-template", "x/{iface}-{sequence}.pcap"), 0)
        self.assert_stored("x/eth0-000008.pcap", path)

    def test_multipart_above_threshold(self):
        path = self.ring_file(3, size=12 * 1024 * 1024 + 12345)
        p = self.hook(path, "--multipart-threshold-mb", "1", "--part-size-mb", "5")
        self.assert_exit(p, 0)
        self.assertIn("3 parts", p.stdout)
        self.assert_stored("%s/eth0/pcap-eth0-000003.pcap" % self.host, path)

    def test_settings_from_ini_and_environment(self):
        with open(os.path.join(self.conf, "packet-capture.conf"), "w") as f:
            f.write("[s3]\nendpoint = http://127.0.0.1:1\nbucket = nope\nprefix = global\n"
                    "access_key_id_file = %s\nsecret_access_key_file = %s\n"
                    % (self.key_id_file, self.secret_key_file))
        with open(os.path.join(self.conf, "eth0.conf"), "w") as f:
            f.write("[s3]\nbucket = %s\nprefix = iface\n" % BUCKET)
        path = self.ring_file(1)
        p = self.hook(path, endpoint=False, bucket=None, keys=False,
                      env={"S3_ENDPOINT": self.s3.endpoint, "S3_PREFIX": "fromenv"})
        self.assert_exit(p, 0)
        self.assert_stored("fromenv/%s/eth0/pcap-eth0-000001.pcap" % self.host, path)

    def test_wrong_secret_is_a_clear_permanent_failure(self):
        self.secret_key_file = self.secret_file("wrong", "not-the-secret")
        p = self.hook(self.ring_file(1))
        self.assertNotEqual(p.returncode, 0)
        self.assertNotEqual(p.returncode, 75)
        self.assert_exit(p, 1)
        self.assertIn("403", p.stderr)
        self.assertIn("SignatureDoesNotMatch", p.stderr)
        self.assertNotIn("not-the-secret", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_missing_bucket_is_permanent(self):
        p = self.hook(self.ring_file(1), bucket="no-such-bucket")
        self.assert_exit(p, 1)
        self.assertIn("NoSuchBucket", p.stderr)

    def test_connection_refused_is_retried_later(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        p = self.hook(self.ring_file(1), endpoint="http://127.0.0.1:%d" % port)
        self.assert_exit(p, 75)

    def test_world_readable_secret_refused(self):
        os.chmod(self.secret_key_file, 0o644)
        p = self.hook(self.ring_file(1))
        self.assert_exit(p, 78)
        self.assertIn(self.secret_key_file, p.stderr)
        self.assertIn("refused", p.stderr)

    def test_credentials_directory_wins(self):
        creds = self.mkdir("creds")
        for name, value in (("s3-access-key-id", KEY_ID), ("s3-secret-access-key", SECRET)):
            with open(os.path.join(creds, name), "w") as f:
                f.write(value + "\n")
        self.secret_key_file = self.secret_file("wrong", "not-the-secret", mode=0o644)
        path = self.ring_file(2)
        p = self.hook(path, env={"CREDENTIALS_DIRECTORY": creds})
        self.assert_exit(p, 0)
        self.assert_stored("%s/eth0/pcap-eth0-000002.pcap" % self.host, path)

    def test_bad_settings(self):
        p = self.hook(self.ring_file(1), bucket=None)
        self.assert_exit(p, 78)
        self.assertIn("S3_BUCKET", p.stderr)
        p = self.hook(self.ring_file(1), "--part-size-mb", "4")
        self.assert_exit(p, 64)
        self.assertIn("--part-size-mb '4'", p.stderr)
        p = self.hook(self.ring_file(1), env={"S3_KEY_TEMPLATE": "{nope}/{filename}"})
        self.assert_exit(p, 78)
        self.assertIn("S3_KEY_TEMPLATE='{nope}/{filename}'", p.stderr)
        with open(os.path.join(self.conf, "packet-capture.conf"), "w") as f:
            f.write("[s3]\n\nmultipart_threshold_mb = lots\n")
        p = self.hook(self.ring_file(1))
        self.assert_exit(p, 78)
        self.assertIn("packet-capture.conf:3", p.stderr)


if __name__ == "__main__":
    harness.main()
