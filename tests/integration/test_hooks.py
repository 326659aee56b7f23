#!/usr/bin/env python3
"""Hook pipeline as a user sees it: real hook scripts in a hooks.d directory, a live
capture over a veth pair, and the contract of DESIGN.md "Hook contract":
order, environment, run-parts rules, exit 75 retries with backoff, failures, timeout
(SIGTERM, then SIGKILL), no capabilities, ``-z`` from ADDITIONAL_ARGS, ``hooks run``.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MB = 1000 * 1000
PAYLOAD = 1000          # frame 1042 bytes, record 1058: ~945 packets per 1 MB file
IFACE = "vethrx"


def ring_name(seq):
    return "pcap-%s-%06d.pcap" % (IFACE, seq)


def read_text(path):
    with open(path) as f:
        return f.read()


def pid_alive(pid):
    """True if ``pid`` exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class HookTest(harness.IntegrationTest):
    """Common set-up: a hooks.d directory, a ring directory and a shared hook log."""

    def setUp(self):
        super().setUp()
        self.hooks = self.mkdir("hooks.d")
        self.out = self.mkdir("ring")
        self.state = self.mkdir("state")          # hooks write their evidence here
        self.log = os.path.join(self.state, "log")

    def hook(self, name, body, executable=True, directory=None):
        return harness.write_script(os.path.join(directory or self.hooks, name), body,
                                    executable)

    def start(self, pair, *args, env=None):
        a = ["--hooks-dir", self.hooks, "--file-size", "1"] + list(args)
        return self.daemon(pair, self.out, *a, env=env).start()

    def log_lines(self, path=None):
        try:
            with open(path or self.log) as f:
                return [l.split() for l in f.read().splitlines() if l.strip()]
        except FileNotFoundError:
            return []

    def wait_log(self, pred, timeout, what, daemon=None):
        ok = harness.wait_for(lambda: pred(self.log_lines()), timeout, 0.05)
        if not ok:
            self.fail("%s: not seen within %ss; hook log: %s%s"
                      % (what, timeout, self.log_lines(),
                         ("\ndaemon stderr: " + daemon.stderr()) if daemon else ""))
        return ok

    def rotate(self, daemon, expect_seq):
        """SIGUSR1 and wait until file ``expect_seq`` is finished."""
        daemon.send_signal(signal.SIGUSR1)
        path = os.path.join(self.out, ring_name(expect_seq))
        ok = harness.wait_for(lambda: os.path.exists(path), 5)
        self.assertTrue(ok, "SIGUSR1 did not finish %s within 5 s; ring: %s; daemon alive: %s; "
                        "stderr: %s" % (ring_name(expect_seq), sorted(os.listdir(self.out)),
                                        daemon.alive(), daemon.stderr()))
        return path

    def stop_clean(self, daemon, timeout=40):
        rc, err = daemon.stop(timeout=timeout)
        self.assert_clean_stop(rc, err, self.out)
        summary = harness.parse_exit_summary(err)
        self.assertIsNotNone(summary, "no exit summary line on stderr: %s" % err)
        for key in ("captured", "dropped", "written", "lost_to_disk", "files", "deleted",
                    "hooks_ok", "hooks_failed", "hooks_pending", "evicted"):
            self.assertIn(key, summary, "exit summary lacks %s=: %s" % (key, err))
        return err, summary

    def status(self):
        st = harness.hooks_status(self.out)
        self.assertEqual(len(st), 1, "hooks status --json: expected one ring: %s" % st)
        self.assertEqual(st[0]["ring"], "pcap-" + IFACE)
        return st[0]


class Hooks(HookTest):
    # ------------------------------------------------------------------ (1)
    def test_every_file_every_hook_once_in_order_with_env(self):
        """Every finished file (size rotation, SIGUSR1, SIGTERM stop) runs every hook
        exactly once, in lexical order; env values match the file; the file is complete
        (no .part, readable whole) while the hook runs."""
        capinfos = harness.require_tool("capinfos")
        copies = self.mkdir("copies")
        envs = self.mkdir("envs")
        check = r'''
echo "$0 $PCAP_SEQUENCE $PCAP_PACKETS" >> "%(log)s"
env | grep '^PCAP_' > "%(envs)s/$PCAP_SEQUENCE.$(basename "$0")"
echo "arg1=$1" >> "%(envs)s/$PCAP_SEQUENCE.$(basename "$0")"
echo "nargs=$#" >> "%(envs)s/$PCAP_SEQUENCE.$(basename "$0")"
'''
        self.hook("10-first", check % {"log": self.log, "envs": envs} + r'''
case "$PCAP_FILE" in
  /*) echo "absolute=yes" ;;
  *) echo "absolute=no" ;;
esac >> "%(envs)s/$PCAP_SEQUENCE.check"
case "$PCAP_FILE" in
  *.part) echo "part=yes" ;;
  *) echo "part=no" ;;
esac >> "%(envs)s/$PCAP_SEQUENCE.check"
if [ -f "$PCAP_FILE" ]; then echo "exists=yes"; else echo "exists=no"; fi >> "%(envs)s/$PCAP_SEQUENCE.check"
if [ -e "$PCAP_FILE.part" ]; then echo "partexists=yes"; else echo "partexists=no"; fi >> "%(envs)s/$PCAP_SEQUENCE.check"
echo "capinfos=$(%(capinfos)s -c -M "$PCAP_FILE" 2>&1 | sed -n 's/^Number of packets: *//p')" >> "%(envs)s/$PCAP_SEQUENCE.check"
echo "capinfos_rc=$(%(capinfos)s -c -M "$PCAP_FILE" >/dev/null 2>&1; echo $?)" >> "%(envs)s/$PCAP_SEQUENCE.check"
cp "$PCAP_FILE" "%(copies)s/$PCAP_SEQUENCE.pcap"
echo "hello-stdout-$PCAP_SEQUENCE"
echo "hello-stderr-$PCAP_SEQUENCE" >&2
exit 0
''' % {"envs": envs, "copies": copies, "capinfos": capinfos})
        self.hook("20-second", check % {"log": self.log, "envs": envs} + "exit 0\n")

        pair = self.veth()
        d = self.start(pair)
        n1 = 2400                       # 2 files by size + the start of a third
        pair.send_udp(n1, size=PAYLOAD, rate=10000)
        self.wait_log(lambda l: len(l) >= 4, 10, "hooks for the two size-rotated files", d)
        self.rotate(d, 2)               # third file finished by SIGUSR1
        pair.send_udp(50, size=PAYLOAD, start=n1)
        d.wait_captured(n1 + 50 - 1)
        err, summary = self.stop_clean(d)   # fourth file finished at stop

        files = harness.ring_files(self.out)
        self.assertEqual([s for s, _ in files], [0, 1, 2, 3],
                         "ring files after stop: %s" % sorted(os.listdir(self.out)))
        lines = self.log_lines()
        got = [(os.path.basename(l[0]), int(l[1])) for l in lines]
        # every file, every hook, exactly once, 10-first before 20-second for each file,
        # and files in order (one job at a time, no retries)
        expected = []
        for s in range(4):
            expected += [("10-first", s), ("20-second", s)]
        self.assertEqual(got, expected, "hook runs (name, seq) in log order")

        marks_all = []
        for seq, path in files:
            cap = harness.read_capture(path)
            n = len(cap.records)
            marks_all += harness.packet_marks(cap, pair.token)
            for name in ("10-first", "20-second"):
                runs = [l for l in lines if os.path.basename(l[0]) == name and int(l[1]) == seq]
                self.assertEqual(len(runs), 1)
                self.assertEqual(runs[0][0], os.path.join(self.hooks, name),
                                 "hook $0 is the hooks.d path")
                self.assertEqual(int(runs[0][2]), n, "%s: PCAP_PACKETS for %s vs packets in "
                                 "the file" % (name, ring_name(seq)))
                env = dict(l.split("=", 1) for l in
                           read_text(os.path.join(envs, "%d.%s" % (seq, name))).splitlines())
                self.assertEqual(env.get("PCAP_FILE"), path, "PCAP_FILE (absolute, complete)")
                self.assertEqual(env.get("arg1"), path, "argv[1] is the finished file")
                self.assertEqual(env.get("nargs"), "1", "hook gets exactly one argument")
                self.assertEqual(env.get("PCAP_INTERFACE"), IFACE)
                self.assertEqual(env.get("PCAP_SEQUENCE"), str(seq))
                self.assertEqual(env.get("PCAP_PACKETS"), str(n))
                self.assertEqual(env.get("PCAP_BYTES"), str(os.path.getsize(path)),
                                 "PCAP_BYTES vs file size of %s" % path)
                self.assertEqual(env.get("PCAP_DROPPED"), "0")
                self.assertEqual(env.get("PCAP_HOOK_ATTEMPT"), "1")
                self.assertTrue(n > 0)
                self.assertEqual(harness.parse_rfc3339_ns(env.get("PCAP_FIRST_TIME", "")),
                                 cap.records[0][0], "PCAP_FIRST_TIME vs first record of %s" % path)
                self.assertEqual(harness.parse_rfc3339_ns(env.get("PCAP_LAST_TIME", "")),
                                 cap.records[-1][0], "PCAP_LAST_TIME vs last record of %s" % path)
            chk = dict(l.split("=", 1) for l in
                       read_text(os.path.join(envs, "%d.check" % seq)).splitlines())
            self.assertEqual(chk, {"absolute": "yes", "part": "no", "exists": "yes",
                                   "partexists": "no", "capinfos": str(n), "capinfos_rc": "0"},
                             "what hook 10-first saw for %s at hook time" % ring_name(seq))
            with open(path, "rb") as a, open(os.path.join(copies, "%d.pcap" % seq), "rb") as b:
                self.assertTrue(a.read() == b.read(),
                                "%s: the copy the hook made differs from the final file "
                                "(file not complete at hook time)" % ring_name(seq))
            # hook output lands in the daemon's log, stderr as a warning
            self.assertRegex(err, r"(?m)^packet-capture: hook 10-first: hello-stdout-%d$" % seq)
            self.assertRegex(err, r"(?m)^packet-capture: warning: hook 10-first: "
                             r"hello-stderr-%d$" % seq)
        harness.assert_exactly_once(self, marks_all, range(n1 + 50), "ring")
        self.assertEqual(summary["files"], 4, err)
        self.assertEqual(summary["hooks_ok"], 8, err)
        self.assertEqual(summary["hooks_failed"], 0, err)
        self.assertEqual(summary["hooks_pending"], 0, err)
        self.assertEqual(summary["evicted"], 0, err)
        st = self.status()
        self.assertEqual(st["backlog"], 0, st)
        self.assertEqual(st["pending"], [], st)
        self.assertEqual(st["stages_succeeded"], 8, st)
        self.assertEqual(st["stages_failed"], 0, st)

    # ------------------------------------------------------------------ (2)
    def test_run_parts_rules_and_rescan(self):
        """Dotfiles, *~, *.dpkg-*, *.rpm*, non-executables and directories are never run;
        hooks.d is rescanned for every file."""
        rec = 'echo "$(basename "$0") $PCAP_SEQUENCE" >> "%s"\n' % self.log
        self.hook("20-run", rec)
        self.hook("10-run", rec)
        for skipped in (".hidden", "x~", "y.dpkg-old", "y2.dpkg-dist", "z.rpmnew",
                        "z2.rpmsave", "30-noexec"):
            self.hook(skipped, rec, executable=(skipped != "30-noexec"))
        os.makedirs(os.path.join(self.hooks, "40-dir"))
        os.chmod(os.path.join(self.hooks, "40-dir"), 0o755)

        pair = self.veth()
        d = self.start(pair)
        pair.send_udp(20, size=PAYLOAD)
        d.wait_captured(19)
        self.rotate(d, 0)
        self.wait_log(lambda l: len(l) >= 2, 10, "hooks for file 0", d)
        time.sleep(0.5)
        # a hook added now runs for the next file (and not again for file 0)
        self.hook("15-new", rec)
        pair.send_udp(20, size=PAYLOAD, start=20)
        d.wait_captured(39)
        err, summary = self.stop_clean(d)
        got = [(l[0], int(l[1])) for l in self.log_lines()]
        self.assertEqual(got, [("10-run", 0), ("20-run", 0),
                               ("10-run", 1), ("15-new", 1), ("20-run", 1)],
                         "hooks run (lexical order, run-parts skips, rescan per file); "
                         "stderr: %s" % err)
        self.assertEqual(summary["hooks_ok"], 5, err)
        self.assertEqual(summary["hooks_failed"], 0, err)

    # ------------------------------------------------------------------ (3)
    def test_exit_75_retried_with_backoff(self):
        """Exit 75 twice, then 0: attempts 1, 2, 3 with backoff >= 1 s then >= 2 s; the
        later stage waits and runs once, after attempt 3."""
        self.hook("10-flaky", r'''
echo "10-flaky $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%s"
if [ "$PCAP_SEQUENCE" = 0 ] && [ "$PCAP_HOOK_ATTEMPT" -lt 3 ]; then exit 75; fi
exit 0
''' % self.log)
        self.hook("20-after", r'''
echo "20-after $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%s"
''' % self.log)
        pair = self.veth()
        d = self.start(pair)
        pair.send_udp(20, size=PAYLOAD)
        d.wait_captured(19)
        self.rotate(d, 0)
        self.wait_log(lambda l: any(x[0] == "20-after" and x[1] == "0" for x in l), 15,
                      "20-after for file 0 after two retries", d)
        st = self.status()
        pair.send_udp(20, size=PAYLOAD, start=20)
        d.wait_captured(39)
        err, summary = self.stop_clean(d)
        lines = self.log_lines()
        f0 = [l for l in lines if l[1] == "0"]
        self.assertEqual([(l[0], l[2]) for l in f0],
                         [("10-flaky", "1"), ("10-flaky", "2"), ("10-flaky", "3"),
                          ("20-after", "1")],
                         "file 0: (stage, PCAP_HOOK_ATTEMPT) in order; stderr: %s" % err)
        t = [float(l[3]) for l in f0]
        self.assertGreaterEqual(t[1] - t[0], 0.9, "first retry came too early (backoff 1 s)")
        self.assertGreaterEqual(t[2] - t[1], 1.9, "second retry came too early (backoff 2 s)")
        self.assertLess(t[2] - t[0], 10, "retries far slower than the 1 s, 2 s backoff")
        f1 = [(l[0], l[2]) for l in lines if l[1] == "1"]
        self.assertEqual(f1, [("10-flaky", "1"), ("20-after", "1")], "file 1")
        self.assertEqual(st["stages_retried"], 2, st)
        self.assertEqual(st["stages_failed"], 0, st)
        self.assertEqual(summary["hooks_failed"], 0, err)
        self.assertEqual(summary["hooks_ok"], 4, err)

    # ------------------------------------------------------------------ (4)
    def test_failing_hook_skips_later_stages(self):
        """Exit 3 with stderr 'boom': later stages skipped for that file only, one error
        line with the stderr, not retried, counted, and shown by hooks status."""
        self.hook("10-fail", r'''
echo "10-fail $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT" >> "%s"
if [ "$PCAP_SEQUENCE" = 0 ]; then echo "boom" >&2; exit 3; fi
exit 0
''' % self.log)
        self.hook("20-after", 'echo "20-after $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT" >> "%s"\n'
                  % self.log)
        pair = self.veth()
        d = self.start(pair)
        pair.send_udp(20, size=PAYLOAD)
        d.wait_captured(19)
        self.rotate(d, 0)
        self.wait_log(lambda l: len(l) >= 1, 10, "10-fail for file 0", d)
        harness.wait_for(lambda: self.status()["stages_failed"] >= 1, 5)
        time.sleep(1.5)               # a retry (wrongly) would come after ~1 s
        st = self.status()
        txt = harness.hooks_status(self.out, as_json=False)
        pair.send_udp(20, size=PAYLOAD, start=20)
        d.wait_captured(39)
        err, summary = self.stop_clean(d)

        got = [(l[0], l[1], l[2]) for l in self.log_lines()]
        self.assertEqual(got, [("10-fail", "0", "1"), ("10-fail", "1", "1"),
                               ("20-after", "1", "1")],
                         "20-after must be skipped for file 0 only; 10-fail not retried")
        path0 = os.path.join(self.out, ring_name(0))
        self.assertTrue(os.path.exists(path0), "a file whose hook failed is kept")
        errs = [l for l in err.splitlines() if "hook 10-fail failed" in l]
        self.assertEqual(len(errs), 1, "exactly one failure line: %s" % err)
        self.assertRegex(errs[0], r"error: hook 10-fail failed for \S*%s: exit 3; stderr: "
                         r".*boom.*later stages skipped" % re.escape(ring_name(0)))
        self.assertEqual(st["stages_failed"], 1, st)
        self.assertEqual(st["stages_retried"], 0, st)
        self.assertEqual(st["backlog"], 0, st)
        fails = st["recent_failures"]
        self.assertEqual(len(fails), 1, st)
        self.assertIn(ring_name(0), fails[0]["file"])
        self.assertEqual(fails[0]["stage"], "10-fail")
        self.assertIn("exit 3", fails[0]["outcome"])
        self.assertIn("boom", fails[0]["stderr"])
        self.assertRegex(txt, r"1 failed")
        self.assertRegex(txt, r"(?m)^\s*failed:.*%s.*10-fail.*exit 3" % re.escape(ring_name(0)))
        self.assertEqual(summary["hooks_failed"], 1, err)
        self.assertEqual(summary["hooks_ok"], 2, err)
        self.assertEqual(summary["hooks_pending"], 0, err)

    # ------------------------------------------------------------------ (5)
    def _timeout_case(self, trap, timeout_s, window):
        pids = os.path.join(self.state, "pids")
        self.hook("10-hang", r'''
if [ "$PCAP_SEQUENCE" != 0 ]; then exit 0; fi
%s
echo "10-hang $PCAP_SEQUENCE $(date +%%s.%%N)" >> "%s"
sleep 1000 &
echo "$$ $!" > "%s"
wait
echo "10-hang-after-wait $PCAP_SEQUENCE" >> "%s"
''' % (trap, self.log, pids, self.log))
        self.hook("20-after", 'echo "20-after $PCAP_SEQUENCE" >> "%s"\n' % self.log)
        pair = self.veth()
        d = self.start(pair, "--hook-timeout", str(timeout_s))
        pair.send_udp(20, size=PAYLOAD)
        d.wait_captured(19)
        self.rotate(d, 0)
        ok = harness.wait_for(lambda: os.path.exists(pids) and len(read_text(pids).split()) == 2,
                              10)
        self.assertTrue(ok, "hook 10-hang did not start; stderr: %s" % d.stderr())
        t_start = time.time()
        sh_pid, sleep_pid = (int(x) for x in read_text(pids).split())
        self.assertTrue(pid_alive(sh_pid) and pid_alive(sleep_pid))
        gone = harness.wait_for(lambda: not pid_alive(sh_pid) and not pid_alive(sleep_pid),
                                window[1] + 5, 0.05)
        t_gone = time.time() - t_start
        self.assertTrue(gone, "hook (pid %d) / its child (pid %d) still running %.0f s after "
                        "start with --hook-timeout %d" % (sh_pid, sleep_pid, t_gone, timeout_s))
        self.assertGreaterEqual(t_gone, window[0], "hook ended before its timeout")
        self.assertLessEqual(t_gone, window[1], "hook ended too late (%.1f s)" % t_gone)
        ok = harness.wait_for(lambda: self.status()["stages_failed"] == 1, 5)
        st = self.status()
        self.assertTrue(ok, "timed-out hook not counted as failed: %s" % st)
        pair.send_udp(20, size=PAYLOAD, start=20)
        d.wait_captured(39)
        err, summary = self.stop_clean(d)
        got = [l[0] for l in self.log_lines() if l[1] == "0"]
        self.assertEqual(got, ["10-hang"], "file 0: later stage must be skipped after the "
                         "timeout and the hook must not finish its wait normally")
        self.assertEqual([l[0] for l in self.log_lines() if l[1] == "1"], ["20-after"])
        self.assertRegex(err, r"error: hook 10-hang failed for \S*%s" % re.escape(ring_name(0)))
        self.assertEqual(st["stages_failed"], 1, st)
        self.assertEqual(summary["hooks_failed"], 1, err)
        self.assertEqual(len(st["recent_failures"]), 1, st)
        self.assertEqual(st["recent_failures"][0]["stage"], "10-hang")

    def test_timeout_sigterm(self):
        """A hook sleeping 1000 s with --hook-timeout 2 is ended (SIGTERM to its process
        group, child included) and counted failed."""
        self._timeout_case("", 2, (1.5, 5.0))

    def test_timeout_sigkill_when_sigterm_ignored(self):
        """A hook ignoring SIGTERM is SIGKILLed 5 s after the SIGTERM."""
        self._timeout_case("trap '' TERM", 2, (2 + 4.0, 2 + 5 + 3.0))

    # ------------------------------------------------------------------ (6)
    def test_hooks_have_no_capabilities(self):
        caps = os.path.join(self.state, "caps")
        raw = os.path.join(self.state, "raw")
        self.hook("10-caps", r'''
grep '^Cap' /proc/$$/status > "%s"
%s -c 'import socket
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    print("raw-socket-ok")
except PermissionError:
    print("raw-socket-denied")' > "%s" 2>&1
echo done >> "%s"
''' % (caps, harness.SYS_PYTHON, raw, self.log))
        pair = self.veth()
        d = self.start(pair)
        # the daemon itself runs with capabilities (so the check below means something)
        with open("/proc/%d/status" % d.proc.pid) as f:
            dcaps = dict(l.split(":", 1) for l in f.read().splitlines() if l.startswith("Cap"))
        self.assertNotEqual(int(dcaps["CapEff"].strip(), 16), 0, "daemon has no capabilities?")
        pair.send_udp(10, size=PAYLOAD)
        d.wait_captured(9)
        self.rotate(d, 0)
        self.wait_log(lambda l: len(l) >= 1, 10, "10-caps", d)
        self.stop_clean(d)
        got = dict(l.split(":", 1) for l in read_text(caps).splitlines())
        for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            self.assertIn(k, got)
            self.assertEqual(int(got[k].strip(), 16), 0, "%s of the hook is %s" % (k, got[k].strip()))
        self.assertEqual(read_text(raw).strip(), "raw-socket-denied",
                         "a hook could open a packet socket")

    def test_hooks_inherit_no_daemon_descriptors(self):
        """A hook must not inherit the daemon's capture socket (through it a hook without
        capabilities could still map the capture ring or replace the filter), nor its
        lock, the file being written, signalfd/eventfd."""
        fds = os.path.join(self.state, "fds.json")
        path = os.path.join(self.hooks, "10-fds")
        with open(path, "w") as f:
            f.write("#!%s\n" % harness.SYS_PYTHON + r'''
import json, os
out = {}
d = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
for n in os.listdir(d):
    if int(n) == d:
        continue
    try:
        out[n] = os.readlink("/proc/self/fd/" + n)
    except OSError as e:
        out[n] = "?" + str(e)
with open(%r, "w") as f:
    json.dump(out, f)
''' % fds)
        os.chmod(path, 0o755)
        pair = self.veth()
        d = self.start(pair)
        pair.send_udp(10, size=PAYLOAD)
        d.wait_captured(9)
        self.rotate(d, 0)
        ok = harness.wait_for(lambda: os.path.exists(fds) and os.path.getsize(fds) > 0, 10)
        self.assertTrue(ok, "hook 10-fds did not run: %s" % d.stderr())
        time.sleep(0.2)
        self.stop_clean(d)
        got = json.loads(read_text(fds))
        self.assertEqual(got.get("0"), "/dev/null", "stdin of the hook: %s" % got)
        bad = {n: t for n, t in got.items() if int(n) > 2 and (
            t.startswith(("socket:", "anon_inode:")) or t.startswith(self.out)
            or ".part" in t or ".lock" in t)}
        self.assertEqual(bad, {}, "descriptors of the daemon leaked into the hook (all open "
                         "fds of the hook: %s)" % got)

    # ------------------------------------------------------------------ (7)
    def test_post_rotate_from_additional_args_runs_last(self):
        z = os.path.join(self.state, "zcmd")
        harness.write_script(z, 'echo "z $PCAP_SEQUENCE $1 $PCAP_PACKETS" >> "%s"\n' % self.log)
        self.hook("10-a", 'echo "10-a $PCAP_SEQUENCE $1 $PCAP_PACKETS" >> "%s"\n' % self.log)
        self.hook("20-b", 'echo "20-b $PCAP_SEQUENCE $1 $PCAP_PACKETS" >> "%s"\n' % self.log)
        pair = self.veth()
        d = self.start(pair, env={"ADDITIONAL_ARGS": "-z" + z})
        pair.send_udp(15, size=PAYLOAD)
        d.wait_captured(14)
        self.rotate(d, 0)
        pair.send_udp(7, size=PAYLOAD, start=15)
        d.wait_captured(21)
        err, summary = self.stop_clean(d)
        got = self.log_lines()
        exp = []
        for seq, n in ((0, 15), (1, 7)):
            p = os.path.join(self.out, ring_name(seq))
            exp += [["10-a", str(seq), p, str(n)], ["20-b", str(seq), p, str(n)],
                    ["z", str(seq), p, str(n)]]
        self.assertEqual(got, exp, "-z from ADDITIONAL_ARGS after hooks.d, per file; "
                         "stderr: %s" % err)
        self.assertEqual(summary["hooks_ok"], 6, err)

    # ------------------------------------------------------------------ (8)
    def test_hooks_run_by_hand(self):
        ring = self.mkdir("byhand")
        path = os.path.join(ring, "pcap-eth7-000042.pcap")
        token = os.urandom(8)
        frames = [(1700000000 * 10 ** 9 + i * 1000, harness.test_frame(token, i, 100))
                  for i in range(5)]
        harness.write_pcap(path, frames, nano=True)
        envs = self.mkdir("envs")
        rec = r'''
echo "$(basename "$0") $PCAP_SEQUENCE $PCAP_PACKETS $1" >> "%s"
env | grep '^PCAP_' > "%s/$(basename "$0")"
''' % (self.log, envs)
        self.hook("10-a", rec)
        self.hook("20-b", rec + 'if [ -e "%s/fail20" ]; then echo "bad thing" >&2; exit 3; fi\n'
                  % self.state)
        z = harness.write_script(os.path.join(self.state, "zz"), rec)

        # relative FILE from another directory: hooks still get the absolute path
        cmd = [harness.require_binary(), "hooks", "run", os.path.basename(path),
               "--hooks-dir", self.hooks, "-z", z]
        p = subprocess.run(cmd, cwd=ring, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30, env=harness.clean_env())
        self.assertEqual(p.returncode, 0, "hooks run: %s %s" % (p.stdout, p.stderr))
        self.assertRegex(p.stdout, r"(?m)^10-a: ok$")
        self.assertRegex(p.stdout, r"(?m)^20-b: ok$")
        self.assertLess(p.stdout.index("10-a: ok"), p.stdout.index("20-b: ok"))
        got = self.log_lines()
        self.assertEqual([l[0] for l in got], ["10-a", "20-b", "zz"])
        for l in got:
            self.assertEqual(l[1:], ["42", "5", path])
        env = dict(l.split("=", 1) for l in read_text(os.path.join(envs, "10-a")).splitlines())
        self.assertEqual(env["PCAP_FILE"], path)
        self.assertEqual(env["PCAP_INTERFACE"], "eth7")
        self.assertEqual(env["PCAP_SEQUENCE"], "42")
        self.assertEqual(env["PCAP_PACKETS"], "5")
        self.assertEqual(env["PCAP_BYTES"], str(os.path.getsize(path)))
        self.assertEqual(env["PCAP_HOOK_ATTEMPT"], "1")
        self.assertEqual(harness.parse_rfc3339_ns(env["PCAP_FIRST_TIME"]), frames[0][0])
        self.assertEqual(harness.parse_rfc3339_ns(env["PCAP_LAST_TIME"]), frames[-1][0])

        # a failing stage: its exit status, later stages not run
        open(os.path.join(self.state, "fail20"), "w").close()
        os.unlink(self.log)
        p = harness.run_binary(["hooks", "run", path, "--hooks-dir", self.hooks, "-z", z])
        self.assertEqual(p.returncode, 1, "a permanently failing stage exits 1: %s %s"
                         % (p.stdout, p.stderr))
        self.assertRegex(p.stdout, r"(?m)^10-a: ok$")
        self.assertRegex(p.stdout, r"(?m)^20-b: exit 3$", "the hook's own status is shown")
        self.assertNotRegex(p.stdout, r"(?m)^20-b: ok$")
        self.assertEqual([l[0] for l in self.log_lines()], ["10-a", "20-b"],
                         "-z must not run after a failed stage")
        self.assertIn("bad thing", p.stdout + p.stderr, "the failing hook's stderr is shown")


if __name__ == "__main__":
    harness.main()
