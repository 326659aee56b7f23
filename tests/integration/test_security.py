#!/usr/bin/env python3
"""A local attacker against the daemon running as root: an unprivileged user (nobody, through
setpriv) plants files in a ring directory it may write (root's, sticky and world-writable:
symlinks, FIFOs, a forged hook queue, a zero-filled tail) and hooks it was given in hooks.d
(foreign or writable hooks). Each is refused with a log line, nothing outside the ring is
touched, no planted program runs, and capture goes on.
"""

import json
import os
import signal
import stat
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

IFACE = "vethrx"
NOBODY = 65534
ATTACKER = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
# Run as the attacker: each action is (op, path, argument).
ATTACKER_PROGRAM = """
import json, os, sys
for op, path, arg in json.load(sys.stdin):
    if op == "symlink":
        os.symlink(arg, path)
    elif op == "fifo":
        os.mkfifo(path)
    elif op == "write":
        with open(path, "wb") as f:
            f.write(bytes.fromhex(arg))
    elif op == "chmod":
        os.chmod(path, int(arg, 8))
    elif op == "mkdir":
        os.mkdir(path, int(arg, 8))
        os.chmod(path, int(arg, 8))
"""
EX_CONFIG = 78
PAYLOAD = 1000


def ring_name(seq, part=False):
    return "pcap-%s-%06d.pcap%s" % (IFACE, seq, ".part" if part else "")


def pcap_bytes(records, zero_tail=0):
    """A nanosecond pcap with ``records`` 60-byte records and ``zero_tail`` zero bytes after."""
    out = struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, 1)
    for i in range(records):
        out += struct.pack("<IIII", 1700000000 + i, 0, 60, 60) + bytes(60)
    return out + bytes(zero_tail)


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class Security(harness.IntegrationTest):

    def setUp(self):
        super().setUp()
        self.out = self.mkdir("ring")
        self.hooks = self.mkdir("hooks.d")
        self.evidence = self.mkdir("evidence")
        for d in (self.out, self.hooks):
            os.chmod(d, 0o755)
        self.log = os.path.join(self.evidence, "log")

    def marker_hook(self, path, marker):
        return harness.write_script(path, 'touch "%s"\n' % os.path.join(self.evidence, marker))

    def marker_script(self, marker):
        return ('#!/bin/sh\ntouch "%s"\n' % os.path.join(self.evidence, marker)).encode()

    def attack(self, actions):
        """Carries out ``actions`` as the unprivileged attacker (see ATTACKER_PROGRAM)."""
        encoded = [(op, path, arg.hex() if isinstance(arg, bytes) else arg) for op, path, arg in actions]
        harness.run(ATTACKER + [sys.executable, "-c", ATTACKER_PROGRAM], input=json.dumps(encoded))

    def open_ring_to_attacker(self):
        """The ring directory is root's, sticky and world-writable (as under /tmp)."""
        os.chmod(self.tmp, 0o755)
        os.chmod(self.out, 0o1777)

    def planted_symlink(self, target, name):
        """A symlink the attacker made in the ring directory."""
        link = os.path.join(self.out, name)
        self.attack([("symlink", link, target)])
        return link

    def plant_queue(self, jobs, attacker=False):
        queue = {"last_enqueued": max(j["file"]["sequence"] for j in jobs),
                 "stats": {}, "failures": [], "jobs": jobs}
        path = os.path.join(self.out, ".pcap-%s.hooks" % IFACE)
        if attacker:
            self.attack([("write", path, json.dumps(queue).encode())])
        else:
            with open(path, "w") as f:
                json.dump(queue, f)
        return path

    @staticmethod
    def queue_job(seq, stages, not_before_ns=0):
        return {"file": {"file": ring_name(seq), "sequence": seq, "first": "", "last": "",
                         "first_ns": 0, "last_ns": 0, "packets": 0, "bytes": 24, "drops": 0},
                "stages": stages, "stages_resolved": True, "next_stage": 0, "attempt": 1,
                "not_before_ns": not_before_ns}

    def finish_one_file(self, pair, daemon, seq):
        pair.send_udp(20, size=PAYLOAD)
        time.sleep(0.3)
        daemon.send_signal(signal.SIGUSR1)
        ok = harness.wait_for(lambda: os.path.exists(os.path.join(self.out, ring_name(seq))), 5)
        self.assertTrue(ok, "file %d not finished; ring: %s; stderr: %s"
                        % (seq, sorted(os.listdir(self.out)), daemon.stderr()))

    def test_planted_ring_files_and_hooks_are_refused(self):
        # Outside the ring: a root-only file and a root-only capture.
        secret = os.path.join(self.tmp, "root-file")
        write_bytes(secret, b"secret\n")
        outside_pcap = os.path.join(self.tmp, "outside.pcap")
        write_bytes(outside_pcap, pcap_bytes(3) + b"torn")
        outside_size = os.path.getsize(outside_pcap)
        for f in (secret, outside_pcap):
            os.chmod(f, 0o600)
        # The attacker's own directory and program.
        self.open_ring_to_attacker()
        att = os.path.join(self.tmp, "att")
        os.makedirs(att)
        os.chown(att, NOBODY, NOBODY)
        self.attack([("write", os.path.join(att, "x"), self.marker_script("att-ran")),
                     ("chmod", os.path.join(att, "x"), "755"),
                     ("write", os.path.join(att, "theirs"), self.marker_script("link-ran")),
                     ("chmod", os.path.join(att, "theirs"), "755")])

        # (2) state file temporaries, (3) ring files, (5) FIFOs, (7) a zero-filled tail,
        # (1) a queue entry naming a program outside hooks.d, for a file that exists: all
        # planted by the attacker in the ring directory.
        self.attack([
            ("symlink", os.path.join(self.out, ".pcap-%s.status.tmp" % IFACE), secret),
            ("symlink", os.path.join(self.out, ".pcap-%s.index.tmp" % IFACE), secret),
            ("symlink", os.path.join(self.out, ring_name(60, part=True)), outside_pcap),
            ("symlink", os.path.join(self.out, ring_name(70)), outside_pcap),
            ("fifo", os.path.join(self.out, ring_name(80, part=True)), None),
            ("fifo", os.path.join(self.out, ring_name(81)), None),
            ("write", os.path.join(self.out, ring_name(40, part=True)), pcap_bytes(3, 65536)),
            ("write", os.path.join(self.out, ring_name(50)), pcap_bytes(1))])
        self.plant_queue([self.queue_job(50, ["../att/x"])], attacker=True)

        # (6) hooks.d: one good hook and badly named ones (the administrator's), a hook given to
        # the attacker, a world-writable one the attacker filled, and a symlink to the
        # attacker's program.
        harness.write_script(os.path.join(self.hooks, "10-good"),
                             'echo "$(basename "$0") $PCAP_SEQUENCE" >> "%s"\n' % self.log)
        bad_names = ["20-x.disabled", "30-y.bak", "40-z.orig", "90 space", "a;$(id)"]
        for i, name in enumerate(bad_names):
            self.marker_hook(os.path.join(self.hooks, name), "bad-name-%d" % i)
        foreign = os.path.join(self.hooks, "50-foreign")
        write_bytes(foreign, b"")
        os.chown(foreign, NOBODY, NOBODY)
        writable = os.path.join(self.hooks, "55-writable")
        write_bytes(writable, b"")
        os.chmod(writable, 0o777)
        self.attack([("write", foreign, self.marker_script("foreign-ran")), ("chmod", foreign, "755"),
                     ("write", writable, self.marker_script("writable-ran"))])
        os.symlink(os.path.join(att, "theirs"), os.path.join(self.hooks, "60-link"))

        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks, "--file-size", "1")
        d.start(wait_ready=False)  # the planted .part names would look like readiness
        # The daemon numbers on after what it adopted (the recovered 40 and the real 50):
        # start-up did not hang on the FIFOs.
        live = os.path.join(self.out, ring_name(51, part=True))
        ok = harness.wait_for(lambda: os.path.exists(live), 10)
        self.assertTrue(ok, "no %s; ring: %s; stderr: %s" % (live, sorted(os.listdir(self.out)), d.stderr()))
        time.sleep(0.3)
        self.finish_one_file(pair, d, 51)
        self.finish_one_file(pair, d, 52)
        ok = harness.wait_for(lambda: os.path.exists(self.log) and
                              b"10-good 52" in read_bytes(self.log), 10)
        self.assertTrue(ok, "the good hook did not run for 52; stderr: %s" % d.stderr())
        self.assertTrue(d.alive(), "capture stopped: %s" % d.stderr())
        rc, err = d.stop()
        self.assertEqual(rc, 0, err)

        # Nothing outside the ring was touched, nothing planted ran.
        self.assertEqual(read_bytes(secret), b"secret\n")
        self.assertEqual(os.path.getsize(outside_pcap), outside_size)
        ran = sorted(os.listdir(self.evidence))
        self.assertEqual(ran, ["log"], "planted programs ran: %s; stderr: %s" % (ran, err))
        ran_for = [l.split() for l in read_bytes(self.log).decode().splitlines()]
        self.assertEqual({l[0] for l in ran_for}, {"10-good"})
        self.assertNotIn("50", [l[1] for l in ran_for], "the forged queue entry was run")
        self.assertIn("stage name '../att/x'", err)
        # Planted ring entries: still what they were, never published or indexed.
        for name in (ring_name(60, part=True), ring_name(70)):
            self.assertTrue(os.path.islink(os.path.join(self.out, name)), name)
            self.assertRegex(err, r"skipping %s.*not a regular file" % name.replace(".", r"\."))
        self.assertFalse(os.path.lexists(os.path.join(self.out, ring_name(60))))
        self.assertTrue(stat.S_ISFIFO(os.lstat(os.path.join(self.out, ring_name(80, part=True))).st_mode))
        index = [json.loads(l) for l in read_bytes(os.path.join(self.out, ".pcap-%s.index" % IFACE)).splitlines()]
        seqs = {r["sequence"] for r in index}
        self.assertFalse(seqs & {60, 70, 80, 81}, "planted files indexed: %s" % sorted(seqs))
        # (7) the zero-filled tail is cut off: 3 packets, as capinfos counts them too.
        rec40 = [r for r in index if r["sequence"] == 40]
        self.assertEqual(len(rec40), 1, "40 not recovered: %s" % err)
        self.assertEqual(rec40[0]["packets"], 3, err)
        self.assertEqual(harness.capinfos_read(self, os.path.join(self.out, ring_name(40)))["packets"], 3)
        # (6) each badly named hook logged once as skipped, each untrusted one refused.
        for name in bad_names:
            self.assertEqual(err.count("skipping %s: not a run-parts name" % os.path.join(self.hooks, name)),
                             1, "%r: %s" % (name, err))
        self.assertRegex(err, r"refusing to run \S*50-foreign: it is owned by uid 65534")
        self.assertRegex(err, r"refusing to run \S*55-writable: it is writable by group or others")
        self.assertRegex(err, r"refusing to run \S*60-link: it is a symlink whose target is owned by uid 65534")
        self.assertTrue(os.path.islink(os.path.join(self.out, ".pcap-%s.status.tmp" % IFACE)))

    def test_symlinked_lock_file_refused(self):
        self.open_ring_to_attacker()
        target = os.path.join(self.tmp, "nologin")
        self.planted_symlink(target, ".pcap-%s.lock" % IFACE)
        pair = self.veth()
        d = self.daemon(pair, self.out)
        d.start(wait_ready=False)
        rc, err = d.wait(timeout=20)
        self.assertEqual(rc, EX_CONFIG, err)
        self.assertIn("lock file", err)
        self.assertFalse(os.path.lexists(target), "the lock symlink's target was created")

    def test_ring_directory_others_control_refused(self):
        # The attacker creates the --output-dir first, under a sticky world-writable parent.
        public = self.mkdir("public")
        os.chmod(self.tmp, 0o755)
        os.chmod(public, 0o1777)
        pair = self.veth()
        for name, mode, why in (("theirs", "755", "owned by uid 65534"),
                                ("open", "777", "owned by uid 65534")):
            ring = os.path.join(public, name)
            self.attack([("mkdir", ring, mode)])
            d = self.daemon(pair, ring)
            d.start(wait_ready=False)
            rc, err = d.wait(timeout=20)
            self.assertEqual(rc, EX_CONFIG, err)
            self.assertIn(why, err)
            self.assertEqual(len(err.strip().splitlines()), 1, "one line: %r" % err)
            self.assertEqual(os.listdir(ring), [], "the daemon wrote into %s" % ring)
        # Root's own directory, but writable by others without the sticky bit.
        os.chmod(self.out, 0o777)
        d = self.daemon(pair, self.out)
        d.start(wait_ready=False)
        rc, err = d.wait(timeout=20)
        self.assertEqual(rc, EX_CONFIG, err)
        self.assertIn("writable by group or others", err)

    def test_retry_time_a_day_ahead_is_clamped(self):
        self.open_ring_to_attacker()
        self.attack([("write", os.path.join(self.out, ring_name(5)), pcap_bytes(1))])
        day_ahead = time.time_ns() + 86400 * 10**9
        queue = self.plant_queue([self.queue_job(5, ["10-good"], day_ahead)], attacker=True)
        harness.write_script(os.path.join(self.hooks, "10-good"), "exit 0\n")
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks).start()
        with open(queue) as f:
            saved = json.load(f)
        d.kill()  # the held-back job would make a clean stop wait out the hook drain
        jobs = [j for j in saved["jobs"] if j["file"]["sequence"] == 5]
        self.assertEqual(len(jobs), 1, saved)
        # At most one longest backoff (300 s) from now, not a day.
        self.assertLessEqual(jobs[0]["not_before_ns"], time.time_ns() + 301 * 10**9, saved)

    def test_planted_out_of_range_queue_is_kept_and_rebuilt(self):
        # The ring's finished files, then the attacker replaces the queue with one whose numbers
        # wrap around (twice, so two damaged copies must both be kept).
        harness.write_script(os.path.join(self.hooks, "10-good"),
                             'echo "$PCAP_SEQUENCE" >> "%s"\n' % self.log)
        self.open_ring_to_attacker()
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks).start()
        self.finish_one_file(pair, d, 0)
        self.assertTrue(harness.wait_for(lambda: os.path.exists(self.log), 10), d.stderr())
        d.stop()
        queue = os.path.join(self.out, ".pcap-%s.hooks" % IFACE)
        for round_ in (1, 2):
            os.unlink(self.log)
            os.unlink(queue)  # the attacker cannot remove root's file in a sticky directory
            self.attack([("write", queue, json.dumps({"last_enqueued": -5, "stats": {}, "failures": [],
                                                      "jobs": []}).encode())])
            d = self.daemon(pair, self.out, "--hooks-dir", self.hooks).start()
            ok = harness.wait_for(lambda: os.path.exists(self.log) and b"0\n" in read_bytes(self.log), 10)
            self.assertTrue(ok, "file 0 was not queued again: %s" % d.stderr())
            self.assertTrue(d.alive(), d.stderr())
            rc, err = d.stop()
            self.assertEqual(rc, 0, err)
            self.assertIn("/last_enqueued is not a whole number from 0", err)
            copies = [f for f in os.listdir(self.out) if f.startswith(".pcap-%s.hooks.damaged-" % IFACE)]
            self.assertEqual(len(copies), round_, copies)

    def test_hooks_dir_given_to_another_user_runs_nothing(self):
        os.chmod(self.tmp, 0o755)
        os.chown(self.hooks, NOBODY, NOBODY)
        planted = os.path.join(self.hooks, "10-planted")
        self.attack([("write", planted, self.marker_script("planted-ran")), ("chmod", planted, "755")])
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks).start()
        self.finish_one_file(pair, d, 0)
        self.assertTrue(harness.wait_stderr(d, r"refusing the hooks directory \S*hooks\.d: it is owned by uid 65534", 10),
                        d.stderr())
        self.assertTrue(d.alive(), d.stderr())
        rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        self.assertEqual(os.listdir(self.evidence), [], "the planted hook ran: %s" % err)

    def test_hooks_get_only_the_documented_environment(self):
        dump = os.path.join(self.evidence, "env")
        harness.write_script(os.path.join(self.hooks, "10-env"), 'env > "%s.tmp" && mv "%s.tmp" "%s"\n'
                             % (dump, dump, dump))
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks, env={
            "NOTIFY_SOCKET": "/nonexistent/notify", "WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1",
            "SECRET_TOKEN": "hunter2", "LANG": "C.UTF-8", "MY_SETTING": "passed",
            "PCAP_ZSTD_DIR": "/archive", "PCAP_FILE": "/stale", "HOOK_PASS_ENVIRONMENT": "MY_SETTING"})
        d.start()
        self.finish_one_file(pair, d, 0)
        self.assertTrue(harness.wait_for(lambda: os.path.exists(dump), 10), d.stderr())
        d.stop()
        env = dict(l.split("=", 1) for l in read_bytes(dump).decode().splitlines() if "=" in l)
        for shell_own in ("PWD", "OLDPWD", "SHLVL", "_"):
            env.pop(shell_own, None)
        per_file = {"PCAP_FILE", "PCAP_INTERFACE", "PCAP_SEQUENCE", "PCAP_PACKETS", "PCAP_BYTES",
                    "PCAP_FIRST_TIME", "PCAP_LAST_TIME", "PCAP_DROPPED", "PCAP_HOOK_ATTEMPT"}
        self.assertEqual(set(env), per_file | {"PATH", "LANG", "PCAP_ZSTD_DIR", "MY_SETTING", "CONFIG_DIR"}, env)
        self.assertEqual(os.path.dirname(env["PCAP_FILE"]), self.out)
        self.assertEqual(env["MY_SETTING"], "passed")
        self.assertEqual(env["CONFIG_DIR"], d.cmdline[d.cmdline.index("--config-dir") + 1])

    def test_hook_timeout_ends_detached_grandchildren(self):
        marker = "876543.5"  # a sleep no other process runs
        harness.write_script(os.path.join(self.hooks, "10-detach"),
                             "setsid sh -c 'trap \"\" TERM; sleep %s' >/dev/null 2>&1 &\n"
                             "setsid sh -c 'trap \"\" TERM; sleep %s' &\n"
                             "trap '' TERM\nsleep 1000\n" % (marker, marker))
        pair = self.veth()
        d = self.daemon(pair, self.out, "--hooks-dir", self.hooks, "--hook-timeout", "1")
        d.start()
        self.finish_one_file(pair, d, 0)
        tree = lambda: harness.run(["pgrep", "-f", "sleep " + marker], check=False).stdout.split()
        self.assertTrue(harness.wait_for(lambda: tree(), 5), "the hook's tree never started: %s" % d.stderr())
        self.assertTrue(harness.wait_stderr(d, r"10-detach.*after its timeout", 15), d.stderr())
        # SIGTERM at 1 s, SIGKILL 5 s later to everything the hook started, however detached.
        self.assertTrue(harness.wait_for(lambda: not tree(), 10), "left running: %s" % tree())
        # The daemon (ip netns exec execs it) adopted and reaped them: no zombies left behind.
        zombies = lambda: [l for l in harness.run(["ps", "-eo", "ppid=,stat=,comm="]).stdout.splitlines()
                           if int(l.split()[0]) == d.proc.pid and l.split()[1].startswith("Z")]
        self.assertTrue(harness.wait_for(lambda: not zombies(), 5), "zombies left: %s" % zombies())
        self.assertTrue(d.alive(), d.stderr())
        rc, err = d.stop()
        self.assertEqual(rc, 0, err)


if __name__ == "__main__":
    harness.main()
