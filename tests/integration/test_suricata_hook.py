#!/usr/bin/env python3
"""`packet-capture hook suricata FILE` against a real Suricata (7.0, bookworm-backports).

Socket mode: Suricata in unix-socket mode gets the file by `pcap-file` and logs the alert of
the shipped rule (tests/integration/suricata/test.rules) into the given output dir.
Continuous mode: `suricata -r DIR --pcap-file-continuous` sees the file linked (same
filesystem) or copied (another filesystem: a tmpfs) into DIR, alerts on it, and a watcher
never sees a partial or hidden regular file in DIR.
A fake socket peer covers what a healthy Suricata never does: replies in pieces, NOK,
silence, garbage. Suricata comes from `bash scripts/install-test-peers.sh`.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
YAML = os.path.join(HERE, "suricata", "suricata.yaml")
RULES = os.path.join(HERE, "suricata", "test.rules")
MARKER = b"PC-SURICATA-HOOK-TEST"  # what test.rules matches (UDP to port 9999)
SID = 9000001
T0 = 1700000000 * 10 ** 9


def make_pcap(path, n, sport, marker=True, pad=0):
    frames = []
    for i in range(n):
        payload = (MARKER if marker else b"nothing-to-see") + b" %d " % i + b"x" * pad
        frames.append((T0 + i * 1000000,
                       harness.eth_ipv4_udp("10.203.250.1", "10.203.250.2", sport, 9999, payload)))
    harness.write_pcap(path, frames)
    return path


def alerts(logdir):
    """(src_port, signature_id) of every alert in eve.json (tolerates a torn last line)."""
    out = []
    try:
        with open(os.path.join(logdir, "eve.json")) as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("event_type") == "alert":
                    out.append((ev.get("src_port"), ev["alert"]["signature_id"]))
    except FileNotFoundError:
        pass
    return out


class Suricata:
    """A Suricata process of this test; stopped (by PID) in cleanup."""

    def __init__(self, testcase, args, logdir):
        harness.require_tool("suricata")
        self.logdir = logdir
        self.out = open(os.path.join(testcase.tmp, "suricata-%d.out" % id(self)), "w+")
        cmd = [shutil.which("suricata", path=harness.CLEAN_PATH), "-c", YAML, "-S", RULES,
               "-l", logdir, "-k", "none"] + args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=subprocess.STDOUT, env=harness.clean_env(),
                                     preexec_fn=harness._pdeathsig)
        testcase.addCleanup(self.stop)

    def output(self):
        self.out.flush()
        self.out.seek(0)
        return self.out.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()


def hook(args, env=None, timeout=30):
    return harness.run_binary(["hook", "suricata"] + args, env=env, timeout=timeout,
                              config_dir=False)


class SuricataSocketMode(harness.IntegrationTest):
    def start_socket_suricata(self):
        sock = os.path.join(self.tmp, "suricata.sock")
        s = Suricata(self, ["--unix-socket=" + sock], self.mkdir("suricata-log"))

        def ready():
            if not s.alive():
                raise AssertionError("suricata exited: %s" % s.output()[-2000:])
            if not os.path.exists(sock):
                return False
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(sock)
                return True
            except OSError:
                return False
            finally:
                c.close()
        self.assertTrue(harness.wait_for(ready, 30), "suricata socket %s never accepted; %s"
                        % (sock, s.output()[-2000:]))
        return s, sock

    def test_socket_mode_alert_settings_from_ini_and_env(self):
        s, sock = self.start_socket_suricata()
        ring = self.mkdir("ring")
        out_ini = self.mkdir("out-ini")
        out_flag = self.mkdir("out-flag")
        conf = self.mkdir("conf")
        # global file sets a wrong socket and a wrong dir; vethrx.conf fixes the dir; env fixes
        # the socket (defaults < global < IFACE.conf < env < flags)
        with open(os.path.join(conf, "packet-capture.conf"), "w") as f:
            f.write("[suricata]\nsocket = %s/nonexistent.sock\noutput_dir = /nonexistent\n"
                    "timeout = 10\n" % self.tmp)
        with open(os.path.join(conf, "vethrx.conf"), "w") as f:
            f.write("[suricata]\noutput_dir = %s\n" % out_ini)
        f1 = make_pcap(os.path.join(ring, "pcap-vethrx-000001.pcap"), 3, 41001)
        p = hook([f1, "--config-dir", conf], env={"SURICATA_SOCKET": sock})
        self.assertEqual(p.returncode, 0, "stderr: %s" % p.stderr)
        self.assertTrue(harness.wait_for(lambda: len(alerts(out_ini)) >= 3, 20),
                        "no alerts in %s: %s / %s" % (out_ini, alerts(out_ini), s.output()[-1500:]))
        self.assertEqual(sorted(alerts(out_ini)), [(41001, SID)] * 3)
        with open(os.path.join(out_ini, "fast.log")) as f:
            self.assertIn("[1:%d:1]" % SID, f.read())

        # flags win over everything; a relative FILE is made absolute; CONFIG_DIR env works
        f2 = make_pcap(os.path.join(ring, "pcap-vethrx-000002.pcap"), 2, 41002)
        p = subprocess.run([harness.require_binary(), "hook", "suricata",
                            os.path.basename(f2), "--socket", sock, "--output-dir", out_flag],
                           cwd=ring, env=harness.clean_env({"CONFIG_DIR": conf}),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, "stderr: %s" % p.stderr)
        self.assertTrue(harness.wait_for(lambda: len(alerts(out_flag)) >= 2, 20),
                        "no alerts in %s: %s" % (out_flag, s.output()[-1500:]))
        self.assertEqual(sorted(alerts(out_flag)), [(41002, SID)] * 2)

        # a file without the marker is accepted and raises no alert
        out_quiet = self.mkdir("out-quiet")
        f3 = make_pcap(os.path.join(ring, "pcap-vethrx-000003.pcap"), 2, 41003, marker=False)
        p = hook([f3, "--socket", sock, "--output-dir", out_quiet])
        self.assertEqual(p.returncode, 0, "stderr: %s" % p.stderr)
        self.assertTrue(harness.wait_for(
            lambda: os.path.exists(os.path.join(out_quiet, "eve.json")), 20))
        time.sleep(0.5)
        self.assertEqual(alerts(out_quiet), [])

    def test_unreachable_and_bad_settings(self):
        f = make_pcap(os.path.join(self.tmp, "pcap-eth9-000001.pcap"), 1, 41010)
        out = self.mkdir("out")
        p = hook([f, "--socket", os.path.join(self.tmp, "absent.sock"), "--output-dir", out])
        self.assertEqual(p.returncode, 75, "socket absent: stderr %s" % p.stderr)
        self.assertIn("absent.sock", p.stderr)
        # a socket file nobody listens on (stale after a crash): ECONNREFUSED -> 75
        stale = os.path.join(self.tmp, "stale.sock")
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(stale)
        ls.close()
        p = hook([f, "--socket", stale, "--output-dir", out])
        self.assertEqual(p.returncode, 75, "stale socket: stderr %s" % p.stderr)
        # no output dir anywhere -> 78 (empty config dir so /etc is not read)
        empty = self.mkdir("emptyconf")
        p = hook([f, "--socket", stale, "--config-dir", empty])
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("output", p.stderr)
        p = hook([f, "--socket", stale, "--output-dir", os.path.join(self.tmp, "nodir")])
        self.assertEqual(p.returncode, 78, p.stderr)
        # bad values: flag -> 64, INI -> 78 naming file:line, env -> 78
        p = hook([f, "--timeout", "soon", "--output-dir", out])
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("soon", p.stderr)
        conf = self.mkdir("conf")
        with open(os.path.join(conf, "packet-capture.conf"), "w") as fh:
            fh.write("[suricata]\n\ntimeout = -1\n")
        p = hook([f, "--config-dir", conf, "--output-dir", out])
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("packet-capture.conf:3", p.stderr)
        with open(os.path.join(conf, "packet-capture.conf"), "w") as fh:
            fh.write("[suricata]\nsokcet = /x\n")
        p = hook([f, "--config-dir", conf, "--output-dir", out])
        self.assertEqual(p.returncode, 78, p.stderr)
        p = hook([f, "--config-dir", empty, "--output-dir", out],
                 env={"SURICATA_SOCKET": "relative.sock"})
        self.assertEqual(p.returncode, 78, p.stderr)
        # usage: no FILE -> 64; missing file -> 1 (failed for this file)
        p = hook([])
        self.assertEqual(p.returncode, 64, p.stderr)
        p = hook([os.path.join(self.tmp, "gone.pcap"), "--socket", stale, "--output-dir", out])
        self.assertEqual(p.returncode, 1, p.stderr)


class FakeSuricata:
    """A unix-socket peer with scripted replies: replies[i] answers the i-th request.
    A reply is a list of byte chunks (sent with a pause between them) or None (stay silent)."""

    def __init__(self, testcase, replies):
        self.path = os.path.join(testcase.tmp, "fake-%d.sock" % id(self))
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(self.path)
        self.srv.listen(4)
        self.replies = replies
        self.requests = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        testcase.addCleanup(self.close)

    def serve(self):
        try:
            conn, _ = self.srv.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            buf = b""
            for reply in self.replies:
                # one request: a complete JSON value (with or without newline)
                while True:
                    try:
                        req = json.loads(buf.decode())
                        self.requests.append((buf, req))
                        buf = b""
                        break
                    except ValueError:
                        pass
                    try:
                        data = conn.recv(4096)
                    except OSError:
                        return
                    if not data:
                        return
                    buf += data
                if reply is None:
                    time.sleep(3)
                    return
                for chunk in reply:
                    try:
                        conn.sendall(chunk)
                    except OSError:  # the client had a complete reply and left
                        return
                    time.sleep(0.15)
            time.sleep(0.2)

    def close(self):
        self.srv.close()
        self.thread.join(timeout=10)


class SuricataSocketProtocol(harness.IntegrationTest):
    OK_VERSION = [b'{"return": "OK", "message": "0.2"}']

    def run_fake(self, replies, timeout="5"):
        fake = FakeSuricata(self, replies)
        f = make_pcap(os.path.join(self.tmp, "pcap-eth0-000007.pcap"), 1, 41020)
        out = self.mkdir("out")
        t = time.monotonic()
        p = hook([f, "--socket", fake.path, "--output-dir", out, "--timeout", timeout])
        took = time.monotonic() - t
        fake.thread.join(timeout=10)
        return p, fake, f, out, took

    def test_requests_and_replies_in_pieces(self):
        # Suricata 0.2 replies end with "\n" except the handshake's; here both come in pieces
        p, fake, f, out, _ = self.run_fake([
            [b'{"ret', b'urn": "O', b'K", "message": "0.2"}'],
            [b'{"return": "OK", "message": ', b'"Successfully added file to list"}', b"\n"]])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(fake.requests), 2)
        raw0, req0 = fake.requests[0]
        self.assertEqual(req0, {"version": "0.2"})
        raw1, req1 = fake.requests[1]
        self.assertTrue(raw1.endswith(b"\n"), "pcap-file request not newline-terminated: %r" % raw1)
        self.assertEqual(req1, {"command": "pcap-file",
                                "arguments": {"filename": f, "output-dir": out}})

    def test_nok_for_the_file_is_exit_1(self):
        p, fake, *_ = self.run_fake([
            self.OK_VERSION,
            [b'{"return": "NOK", "message": "Using unix socket with pcap-file is not possible"}\n']])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("pcap-file is not possible", p.stderr)

    def test_silence_is_exit_75_after_timeout(self):
        p, fake, _, _, took = self.run_fake([self.OK_VERSION, None], timeout="1")
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertLess(took, 4.5, "did not give up after --timeout 1")
        self.assertGreaterEqual(took, 0.9)

    def test_garbage_close_and_version_refused_are_exit_75(self):
        p, *_ = self.run_fake([[b"<html>nope</html>"]])
        self.assertEqual(p.returncode, 75, p.stderr)
        p, *_ = self.run_fake([[b'{"return": "OK"']])  # closes mid-reply
        self.assertEqual(p.returncode, 75, p.stderr)
        p, *_ = self.run_fake([[b'{"return": "NOK", "message": "Unsupported version"}']])
        self.assertEqual(p.returncode, 75, p.stderr)


class SuricataContinuousMode(harness.IntegrationTest):
    def mount_tmpfs(self, name):
        d = self.mkdir(name)
        harness.run(["mount", "-t", "tmpfs", "-o", "size=256m", "pc-suricata-test", d])
        self.addCleanup(lambda: subprocess.run(["umount", "-l", d]))
        return d

    def test_link_and_copy_into_watched_dir(self):
        fs = self.mount_tmpfs("tmpfs")  # ring A and the watched dir share this filesystem
        ring_same = os.path.join(fs, "ring")
        watch = os.path.join(fs, "watch")
        os.makedirs(ring_same)
        os.makedirs(watch)
        ring_other = self.mkdir("ring-other")  # under /tmp: another filesystem
        self.assertNotEqual(os.stat(ring_other).st_dev, os.stat(watch).st_dev)

        # watcher: every regular file ever seen in the watched dir must be complete, and no
        # hidden regular file (Suricata reads those too) may appear
        expected_size = {}
        bad = []
        stop = threading.Event()

        def watch_loop():
            while not stop.is_set():
                try:
                    entries = list(os.scandir(watch))
                except OSError:
                    continue
                for e in entries:
                    try:
                        if not e.is_file(follow_symlinks=False):
                            continue
                        size = e.stat(follow_symlinks=False).st_size
                    except FileNotFoundError:
                        continue
                    if e.name.startswith("."):
                        bad.append("hidden regular file %s" % e.name)
                    elif e.name not in expected_size:
                        bad.append("unexpected file %s" % e.name)
                    elif size != expected_size[e.name]:
                        bad.append("%s seen with %d of %d bytes" % (e.name, size, expected_size[e.name]))
        watcher = threading.Thread(target=watch_loop, daemon=True)
        watcher.start()
        self.addCleanup(lambda: (stop.set(), watcher.join(timeout=5)))

        log = self.mkdir("suricata-log")
        s = Suricata(self, ["-r", watch, "--pcap-file-continuous",
                            "--set", "pcap-file.delay=1", "--set", "pcap-file.poll-interval=1"], log)
        time.sleep(0.5)
        self.assertTrue(s.alive(), s.output()[-2000:])

        # 1) another filesystem: copied (big enough that a partial file would be visible)
        b = make_pcap(os.path.join(ring_other, "pcap-vethrx-000001.pcap"), 4000, 42001, pad=4000)
        expected_size[os.path.basename(b)] = os.path.getsize(b)
        p = hook([b, "--continuous-dir", watch])
        self.assertEqual(p.returncode, 0, p.stderr)
        target_b = os.path.join(watch, os.path.basename(b))
        self.assertNotEqual(os.stat(target_b).st_ino, os.stat(b).st_ino)
        with open(b, "rb") as f1, open(target_b, "rb") as f2:
            self.assertTrue(f1.read() == f2.read(), "copy differs from the ring file")
        self.assertTrue(harness.wait_for(lambda: sum(1 for a in alerts(log) if a[0] == 42001) >= 4000, 30),
                        "copied file raised no alerts: %d; %s"
                        % (len(alerts(log)), s.output()[-2000:]))

        # 2) same filesystem, finished long ago (backlog/retry): hard link, and still read
        a = make_pcap(os.path.join(ring_same, "pcap-vethrx-000002.pcap"), 3, 42002)
        old = time.time() - 600
        os.utime(a, (old, old))
        expected_size[os.path.basename(a)] = os.path.getsize(a)
        p = hook([a], env={"SURICATA_CONTINUOUS_DIR": watch})
        self.assertEqual(p.returncode, 0, p.stderr)
        target_a = os.path.join(watch, os.path.basename(a))
        self.assertEqual(os.stat(target_a).st_ino, os.stat(a).st_ino, "not a hard link")
        self.assertTrue(harness.wait_for(lambda: sum(1 for x in alerts(log) if x[0] == 42002) >= 3, 30),
                        "linked file (old mtime) raised no alerts; %s" % s.output()[-2000:])

        # 3) retries are idempotent (link and copy); a different file of that name is refused
        for f in (a, b):
            p = hook([f, "--continuous-dir", watch])
            self.assertEqual(p.returncode, 0, "retry of %s: %s" % (f, p.stderr))
        os.makedirs(os.path.join(ring_other, "x"))
        c = make_pcap(os.path.join(ring_other, "x", "pcap-vethrx-000002.pcap"), 1, 42003)
        p = hook([c, "--continuous-dir", watch])
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(os.stat(target_a).st_ino, os.stat(a).st_ino, "existing file replaced")
        # missing watched dir -> 78
        p = hook([a, "--continuous-dir", os.path.join(fs, "nope")])
        self.assertEqual(p.returncode, 78, p.stderr)

        time.sleep(2.5)  # a retry must not make Suricata read a file twice
        self.assertEqual(sum(1 for x in alerts(log) if x[0] == 42002), 3, "file read twice")
        stop.set()
        watcher.join(timeout=5)
        self.assertEqual(bad, [], "watched dir showed partial/hidden files")
        self.assertEqual(sorted(os.listdir(watch)), sorted(expected_size))


if __name__ == "__main__":
    harness.main()
