#!/usr/bin/env python3
"""Hook pipeline durability and back-pressure:

* the queue survives SIGKILL + restart: every file gets every stage, and a stage whose
  success was recorded never runs again for the same file;
* a hook that sleeps forever during a UDP flood never makes capture wait: no packet
  missing, no kernel drops, bounded memory; at stop the pending files stay queued;
* the backlog budget: files beyond it are evicted (warned, counted), the file a hook is
  reading is never deleted.
"""

import json
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MB = 1000 * 1000
IFACE = "vethrx"
QUEUE = ".pcap-%s.hooks" % IFACE


def ring_name(seq):
    return "pcap-%s-%06d.pcap" % (IFACE, seq)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class HookDurable(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.hooks = self.mkdir("hooks.d")
        self.out = self.mkdir("ring")
        self.state = self.mkdir("state")
        self.log = os.path.join(self.state, "log")

    def lines(self):
        return [l.split() for l in read_text(self.log).splitlines() if l.strip()]

    def status(self):
        st = harness.hooks_status(self.out)
        self.assertEqual(len(st), 1, "hooks status --json: %s" % st)
        return st[0]

    # ------------------------------------------------------------------ (9)
    def test_queue_survives_sigkill_and_restart(self):
        """SIGKILL while hooks run / wait for a retry, start again with the same args:
        every file gets every stage, in order, and no recorded success is run again."""
        no75 = os.path.join(self.state, "no75")
        # "start|retry|ok STAGE SEQ ATTEMPT TIME"
        harness.write_script(os.path.join(self.hooks, "10-slow"), r'''
echo "start 10-slow $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%(log)s"
sleep 2
if [ "$PCAP_HOOK_ATTEMPT" = 1 ] && [ ! -e "%(no75)s" ]; then
  echo "retry 10-slow $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%(log)s"
  exit 75
fi
echo "ok 10-slow $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%(log)s"
exit 0
''' % {"log": self.log, "no75": no75})
        harness.write_script(os.path.join(self.hooks, "20-mark"), r'''
echo "start 20-mark $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%(log)s"
echo "ok 20-mark $PCAP_SEQUENCE $PCAP_HOOK_ATTEMPT $(date +%%s.%%N)" >> "%(log)s"
exit 0
''' % {"log": self.log})
        args = ["--hooks-dir", self.hooks, "--file-size", "1", "--file-limit", "50",
                "--hook-jobs", "2"]
        pair = self.veth()
        d = self.daemon(pair, self.out, *args).start()
        count = 3800                    # 4 files of ~945 packets by size + a live .part
        pair.send_udp(count, size=1000, rate=10000)

        # kill once some file is completely through and others are still in the pipeline
        def some_done():
            ls = self.lines()
            return any(l[0] == "ok" and l[1] == "20-mark" for l in ls)
        self.assertTrue(harness.wait_for(some_done, 20),
                        "no file through both stages within 20 s: %s\n%s"
                        % (self.lines(), d.stderr()))
        time.sleep(0.4)
        st_before = self.status()
        self.assertGreater(st_before["backlog"], 0, "nothing pending at the kill: %s" % st_before)
        t_kill = time.time()
        rc, err1 = d.stop(signal.SIGKILL)
        self.assertEqual(rc, -signal.SIGKILL)
        self.assertTrue(os.path.exists(os.path.join(self.out, QUEUE)), "no durable queue file")

        # start again with the same arguments
        open(no75, "w").close()         # files from now on pass at their first attempt
        d2 = self.daemon(pair, self.out, *args).start()
        pair.send_udp(30, size=1000, start=count)
        d2.wait_captured(count + 30 - 1)

        def drained():
            st = self.status()
            return st["backlog"] == 0 and not st["pending"]
        ok = harness.wait_for(drained, 40, 0.2)
        self.assertTrue(ok, "queue not drained 40 s after restart: %s\nstderr: %s"
                        % (self.status(), d2.stderr()))
        rc, err2 = d2.stop(timeout=40)
        self.assert_clean_stop(rc, err2, self.out)
        summary = harness.parse_exit_summary(err2)
        self.assertIsNotNone(summary, err2)
        self.assertEqual(summary.get("hooks_pending"), 0, err2)
        self.assertEqual(summary.get("hooks_failed"), 0, err2)

        files = harness.ring_files(self.out)
        seqs = [s for s, _ in files]
        self.assertEqual(seqs, list(range(len(seqs))), "ring: %s" % os.listdir(self.out))
        self.assertGreaterEqual(len(seqs), 6, "4 size-rotated + recovered .part + last file")
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(count + 30), "ring after kill/restart")

        ls = [(l[0], l[1], int(l[2]), int(l[3]), float(l[4])) for l in self.lines()]
        report = "\n".join(" ".join(str(x) for x in l) for l in ls)
        report += "\nkill at %.3f\nfirst life: %s\nsecond life: %s" % (t_kill, err1, err2)
        if os.environ.get("PC_TEST_VERBOSE"):
            print("\n" + report)
        for seq in seqs:
            for stage in ("10-slow", "20-mark"):
                oks = [l for l in ls if l[0] == "ok" and l[1] == stage and l[2] == seq]
                self.assertTrue(oks, "%s never succeeded for %s:\n%s"
                                % (stage, ring_name(seq), report))
            # 20-mark only after 10-slow succeeded for that file
            first_ok_slow = min(l[4] for l in ls
                                if l[0] == "ok" and l[1] == "10-slow" and l[2] == seq)
            for l in ls:
                if l[1] == "20-mark" and l[2] == seq and l[0] == "start":
                    self.assertGreaterEqual(l[4], first_ok_slow,
                                            "20-mark started for %s before 10-slow succeeded:\n%s"
                                            % (ring_name(seq), report))
        # A success recorded by a hook well before the kill (0.5 s: the daemon had time to
        # record it) must never be followed by another run of that stage for that file.
        # Successes written after the kill (orphaned hooks) or just before it may repeat.
        for ok in ls:
            if ok[0] != "ok" or ok[4] >= t_kill - 0.5:
                continue
            again = [l for l in ls if l[0] == "start" and l[1] == ok[1] and l[2] == ok[2]
                     and l[4] > ok[4]]
            self.assertEqual(again, [], "%s ran again for %s after it had succeeded:\n%s"
                             % (ok[1], ring_name(ok[2]), report))
        # within one life, a stage that succeeded is not repeated either
        for seq in seqs:
            for stage in ("10-slow", "20-mark"):
                after_restart = [l for l in ls if l[1] == stage and l[2] == seq
                                 and l[0] == "ok" and l[4] > t_kill]
                self.assertLessEqual(len(after_restart), 2,  # orphan + re-run at most
                                     "%s succeeded %d times for %s after the restart:\n%s"
                                     % (stage, len(after_restart), ring_name(seq), report))
        # the exit-75 retry state survived: files retried before the kill continue with
        # PCAP_HOOK_ATTEMPT >= 2 after the restart
        for r in ls:
            if r[0] == "retry" and r[4] < t_kill - 0.5:
                later = [l for l in ls if l[0] == "start" and l[1] == "10-slow" and l[2] == r[2]
                         and l[4] > r[4]]
                self.assertTrue(later, "no retry of 10-slow for %s:\n%s" % (ring_name(r[2]), report))
                self.assertTrue(all(l[3] >= r[3] + 1 for l in later),
                                "attempt counter went back for %s:\n%s" % (ring_name(r[2]), report))

    # ------------------------------------------------------------------ (10)
    FLOOD_COUNT = 200000
    FLOOD_RATE = 50000

    def test_hook_sleeping_forever_during_flood(self):
        """A hook that never returns: capture goes on without a single lost packet, memory
        stays bounded; at stop (drain 1 s) the files stay queued for the next start."""
        pidf = os.path.join(self.state, "pid")
        harness.write_script(os.path.join(self.hooks, "10-forever"), r'''
echo "start 10-forever $PCAP_SEQUENCE" >> "%s"
echo $$ > "%s"
exec sleep 1000000
''' % (self.log, pidf))
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks, "--file-size", "1",
                        "--file-limit", "1000", "--hook-backlog-bytes", str(2000 * MB),
                        "--hook-timeout", "86400", "--hook-drain-seconds", "1").start()
        count = self.FLOOD_COUNT
        t0 = time.time()
        pair.send_udp(count, size=64, rate=self.FLOOD_RATE, timeout=120)
        send_s = time.time() - t0
        time.sleep(1.0)
        self.assertTrue(d.alive(), "daemon died: %s" % d.stderr())
        comm = read_text("/proc/%d/comm" % d.proc.pid).strip()
        self.assertEqual(comm, "packet-capture", "pid %d is not the daemon" % d.proc.pid)
        hwm_kib = harness.proc_status_kib(d.proc.pid, "VmHWM")
        self.assertIsNotNone(hwm_kib)
        hook_pid = int(read_text(pidf).strip() or 0)
        self.assertTrue(hook_pid and pid_alive(hook_pid), "the forever hook is not running")
        st_run = self.status()
        t_stop = time.time()
        rc, err = d.stop(timeout=30)
        stop_s = time.time() - t_stop
        self.assert_clean_stop(rc, err, self.out)
        summary = harness.parse_exit_summary(err)
        self.assertIsNotNone(summary, err)

        files = harness.ring_files(self.out)
        names = [os.path.basename(p) for _, p in files]
        if os.environ.get("PC_TEST_VERBOSE"):
            print("\nsent %d in %.1f s; %d files; VmHWM %d KiB; stop %.1f s; %s"
                  % (count, send_s, len(files), hwm_kib, stop_s, err.strip().splitlines()[-1]))
        self.assertGreaterEqual(len(files), 20, "expected many rotated files: %s" % names)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(count),
                                    "flood of %d at %d pps (sent in %.1f s) with a hook that "
                                    "never returns" % (count, self.FLOOD_RATE, send_s))
        self.assertEqual(summary["dropped"], 0, "kernel drops: %s" % err)
        self.assertEqual(summary["lost_to_disk"], 0, err)
        self.assertEqual(summary["evicted"], 0, err)
        self.assertEqual(summary["deleted"], 0, err)
        self.assertLess(hwm_kib, 200 * 1024, "peak RSS %d KiB >= 200 MiB" % hwm_kib)
        # the hook got exactly one file and is ended at stop; the rest stays queued
        self.assertEqual([l[:2] for l in self.lines()], [["start", "10-forever"]])
        self.assertEqual(self.lines()[0][2], "0")
        self.assertFalse(pid_alive(hook_pid), "hook still running after the daemon stopped")
        self.assertLess(stop_s, 1 + 5 + 4, "stop took %.1f s with --hook-drain-seconds 1" % stop_s)
        self.assertEqual(summary["hooks_pending"], len(files), err)
        self.assertEqual(summary["hooks_ok"], 0, err)
        with open(os.path.join(self.out, QUEUE)) as f:
            queue_text = f.read()
        for n in names:
            self.assertIn(n, queue_text, "%s missing from the durable queue" % n)
        st = self.status()
        self.assertGreater(st["backlog"], 0, st)
        self.assertEqual(st["backlog"], len(files), st)
        self.assertEqual(sorted(os.path.basename(p["file"]) for p in st["pending"]), names)
        self.assertGreater(st_run["backlog"], 0, "status while running: %s" % st_run)

    # ------------------------------------------------------------------ (11)
    def test_backlog_budget_evicts_oldest_waiting_never_the_running(self):
        release = os.path.join(self.state, "release")
        harness.write_script(os.path.join(self.hooks, "10-hold"), r'''
exec 3< "$1"
size0=$(stat -c %%s "$1")
echo "start 10-hold $PCAP_SEQUENCE $size0" >> "%(log)s"
echo $$ > "%(state)s/pid.$PCAP_SEQUENCE"
n=0
while [ ! -e "%(release)s" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done
if [ -e "$1" ]; then e=exists; else e=gone; fi
echo "end 10-hold $PCAP_SEQUENCE $e $(wc -c <&3)" >> "%(log)s"
[ "$e" = exists ] || exit 9
exit 0
''' % {"log": self.log, "state": self.state, "release": release})
        budget = 3 * MB + 300000
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks, "--file-size", "1",
                        "--file-limit", "2", "--hook-backlog-bytes", str(budget),
                        "--hook-timeout", "600").start()
        count = 8000                    # ~8.5 files of 1 MB
        sampled = []
        # send in slices and watch the ring between them
        for i in range(0, count, 1000):
            pair.send_udp(1000, size=1000, start=i, rate=10000)
            d.wait_captured(i + 1000 - 1)
            total = 0
            for f in os.listdir(self.out):
                if f.startswith("pcap-"):
                    try:
                        total += os.path.getsize(os.path.join(self.out, f))
                    except FileNotFoundError:
                        pass
            sampled.append(total)
            self.assertTrue(os.path.exists(os.path.join(self.out, ring_name(0))),
                            "file 0 deleted while its hook is running; ring: %s\n%s"
                            % (sorted(os.listdir(self.out)), d.stderr()))
        time.sleep(0.5)
        self.assertEqual([l[:3] for l in self.lines()], [["start", "10-hold", "0"]],
                         "only file 0 is being hooked")
        self.assertTrue(pid_alive(int(read_text(os.path.join(self.state, "pid.0")))))
        err_run = d.stderr()
        warned = re.findall(r"warning: hook backlog over budget: deleted (\S+) before all its "
                            r"hooks ran", err_run)
        self.assertGreater(len(warned), 0, "no eviction warning: %s" % err_run)
        self.assertNotIn(ring_name(0), warned, "the file being hooked was evicted")
        # oldest waiting files go first: evicted are 1, 2, 3, ... in order
        ev_seqs = [int(re.search(r"-(\d+)\.pcap$", w).group(1)) for w in warned]
        self.assertEqual(ev_seqs, list(range(1, 1 + len(ev_seqs))), "eviction order")
        for w in warned:
            self.assertFalse(os.path.exists(os.path.join(self.out, w)), "%s still there" % w)
        self.assertTrue(max(sampled) <= budget + 2 * MB,
                        "ring grew to %d bytes with a budget of %d" % (max(sampled), budget))
        st_run = self.status()
        self.assertEqual(st_run["files_evicted"], len(warned), st_run)
        pending = [os.path.basename(p["file"]) for p in st_run["pending"]]
        for w in warned:
            self.assertNotIn(w, pending, "evicted file still queued")
        self.assertIn(ring_name(0), pending)

        open(release, "w").close()
        ok = harness.wait_for(lambda: any(l[0] == "end" and l[2] == "0" for l in self.lines()),
                              10)
        self.assertTrue(ok, "hook for file 0 did not end after release: %s" % self.lines())
        end0 = [l for l in self.lines() if l[0] == "end" and l[2] == "0"][0]
        size0 = os.path.getsize(os.path.join(self.out, ring_name(0)))
        self.assertEqual(end0[3:], ["exists", str(size0)],
                         "file 0 while its hook ran: %s" % end0)
        time.sleep(1.0)
        rc, err = d.stop(timeout=30)
        self.assert_clean_stop(rc, err, self.out)
        summary = harness.parse_exit_summary(err)
        warned_all = re.findall(r"warning: hook backlog over budget: deleted (\S+) before all its "
                                r"hooks ran", err)
        self.assertEqual(summary["evicted"], len(warned_all), err)
        self.assertGreater(summary["evicted"], 0, err)
        hooked = sorted({int(l[2]) for l in self.lines() if l[0] == "start"})
        ev_all = {int(re.search(r"-(\d+)\.pcap$", w).group(1)) for w in warned_all}
        self.assertEqual(set(hooked) & ev_all, set(), "an evicted file was handed to a hook")
        self.assertEqual(summary["hooks_failed"], 0, "a hook saw its file disappear: %s"
                         % self.lines())
        self.assertEqual([l[3] for l in self.lines() if l[0] == "end"],
                         ["exists"] * len([l for l in self.lines() if l[0] == "end"]))
        st = self.status()
        self.assertEqual(st["files_evicted"], summary["evicted"], st)


if __name__ == "__main__":
    harness.main()
