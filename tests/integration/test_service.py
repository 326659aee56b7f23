#!/usr/bin/env python3
"""Service behaviour of a live daemon: interface loss and return, status file / `status`
command / Prometheus metrics, reload by SIGHUP."""

import json
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

STATUS_KEYS = ("interface", "output_dir", "state", "current_file", "pid", "packets",
               "kernel_drops", "packets_written", "bytes_written", "packets_lost",
               "files_finished", "files_deleted", "files_evicted", "write_errors",
               "interface_restarts", "hook_backlog", "hooks_running", "hook_stages_ok",
               "hook_stages_failed", "hook_stages_retried", "hook_stages_timed_out")

LOSS_WARNING_RE = (r"capture on vethrx failed: [^\n]+; the ring stays open and the "
                   r"interface is retried")
BACK_RE = r"interface vethrx is back; capture resumed"
RELOAD_FAILED_RE = r"reload failed, keeping the running configuration: ([^\n]*)"


def status_cmd(out, *extra):
    return harness.run_binary(["status", "--output-dir", out] + list(extra), config_dir=False)


class Service(harness.IntegrationTest):

    def status_text(self, out):
        return json.dumps(harness.read_status_file(out), indent=1)

    # ------------------------------------------------------------------ 1
    def test_interface_loss_and_return(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        pair.send_udp(50, rate=2000, start=0)
        st = harness.wait_status(out, lambda s: s.get("packets", 0) >= 50, 6)
        self.assertIsNotNone(st, "no status file %s" % harness.status_file_path(out))
        self.assertGreaterEqual(st.get("packets", 0), 50, "status before the loss: %s" % st)
        self.assertEqual(st.get("state"), "capturing", "status before the loss: %s" % st)
        self.assertEqual(st.get("interface_restarts"), 0, "status before the loss: %s" % st)
        pid = st["pid"]
        parts_before = d.part_files()
        self.assertEqual(len(parts_before), 1, "one .part expected: %s" % parts_before)
        part_path = os.path.join(out, parts_before[0])

        # ---- the interface disappears (both veth ends go)
        harness.run([harness.IP, "-n", pair.rx_ns, "link", "del", pair.RX_IF])
        self.assertFalse(harness.link_exists(pair.rx_ns, pair.RX_IF))
        m = harness.wait_stderr(d, LOSS_WARNING_RE, 10)
        self.assertTrue(m, "no warning matching %r within 10 s of deleting vethrx; alive=%s "
                        "rc=%s; stderr: %s" % (LOSS_WARNING_RE, d.alive(), d.proc.poll(),
                                               d.stderr()))
        line = [l for l in d.stderr().splitlines() if m.group(0) in l][0]
        self.assertIn("warning", line, "the loss message should be a warning: %r" % line)
        st = harness.wait_status(
            out, lambda s: str(s.get("state", "")).startswith("interface vethrx unavailable"), 6)
        self.assertTrue(st and str(st.get("state", "")).startswith(
            "interface vethrx unavailable"),
            "status state after the loss should start with 'interface vethrx unavailable': "
            "%s" % st)
        for k in STATUS_KEYS:
            self.assertIn(k, st, "status file lacks key %r: %s" % (k, st))
        self.assertEqual(st["current_file"], parts_before[0], "current_file while unavailable")
        p = status_cmd(out)
        self.assertEqual(p.returncode, 0, "status while the interface is gone (daemon "
                         "running) must exit 0: %s %s" % (p.stdout, p.stderr))
        self.assertIn("interface vethrx unavailable", p.stdout)

        # stays down for a while: the daemon keeps running with its .part open
        deadline = time.time() + 3
        while time.time() < deadline:
            self.assertTrue(d.alive(), "daemon exited (rc %s) after the interface was "
                            "removed; stderr: %s" % (d.proc.poll(), d.stderr()))
            time.sleep(0.2)
        self.assertEqual(d.part_files(), parts_before, ".part changed while the interface "
                         "was gone")
        self.assertIn(part_path, harness.open_fd_targets(pid),
                      "daemon (pid %d) no longer holds %s open" % (pid, part_path))
        # the packets captured before the loss are on disk in the open .part
        early = harness.udp_seqs(part_path, pair.token, strict=False)
        self.assertEqual(sorted(early), list(range(50)), "packets before the loss in .part")

        # ---- the interface comes back with the same name and addresses
        self.assertTrue(harness.veth_relink(pair), "re-created veth has no carrier")
        t_back = time.time()
        m = harness.wait_stderr(d, BACK_RE, 35)
        self.assertTrue(m, "no %r within 35 s of re-creating vethrx; alive=%s; stderr: %s; "
                        "status: %s" % (BACK_RE, d.alive(), d.stderr(), self.status_text(out)))
        st = harness.wait_status(out, lambda s: s.get("state") == "capturing"
                                 and s.get("interface_restarts", 0) >= 1, 6)
        self.assertTrue(st and st.get("state") == "capturing"
                        and st.get("interface_restarts", 0) >= 1,
                        "status after the interface came back (%.1f s): %s"
                        % (time.time() - t_back, st))
        self.assertEqual(d.part_files(), parts_before, "the ring file was not kept open "
                         "across the interface loss")

        pair.send_udp(50, rate=2000, start=1000)
        st = harness.wait_status(out, lambda s: s.get("packets", 0) >= 100, 6)
        self.assertGreaterEqual((st or {}).get("packets", 0), 100,
                                "packets sent after the return not counted: %s" % st)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, list(range(50)) + list(range(1000, 1050)),
                                    "packets before the loss and after the return")
        for _, p in files:
            harness.check_readers(self, p)

    # ------------------------------------------------------------------ 2
    def test_status_and_metrics(self):
        pair = self.veth()
        out = self.mkdir("ring")
        hooks = self.mkdir("hooks.d")
        harness.write_script(os.path.join(hooks, "10-ok"), "exit 0\n")
        metrics = os.path.join(self.tmp, "metrics", "pc.prom")
        os.makedirs(os.path.dirname(metrics))
        d = self.daemon(pair, out, "--metrics-file", metrics, "--hooks-dir", hooks).start()
        sent = 0
        for _ in range(2):
            pair.send_udp(100, rate=2000, start=sent)
            sent += 100
            time.sleep(0.3)
            d.send_signal(signal.SIGUSR1)
            time.sleep(0.3)
        pair.send_udp(100, rate=2000, start=sent)
        sent += 100

        def metrics_now():
            try:
                with open(metrics) as f:
                    return f.read()
            except FileNotFoundError:
                return None

        def metrics_done():
            text = metrics_now()
            if not text:
                return None
            s, _t, _b = harness.parse_prometheus(text)
            ok = (harness.prom_value(s, "packet_capture_packets_total", interface="vethrx")
                  or 0) >= sent
            ok = ok and (harness.prom_value(s, "packet_capture_rotations_total",
                                            interface="vethrx") or 0) >= 2
            ok = ok and (harness.prom_value(s, "packet_capture_hook_stages_total",
                                            interface="vethrx", result="ok") or 0) >= 2
            return ok
        harness.wait_for(metrics_done, 10, interval=0.2)
        text = metrics_now()
        self.assertTrue(text, "metrics file %s not written" % metrics)
        samples, types, bad = harness.parse_prometheus(text)
        self.assertEqual(bad, [], "lines that are not Prometheus text format: %s" % bad)
        pkts = harness.prom_value(samples, "packet_capture_packets_total", interface="vethrx")
        self.assertIsNotNone(pkts, 'no packet_capture_packets_total{interface="vethrx"}:\n'
                             + text)
        self.assertGreaterEqual(pkts, sent, "packets_total below packets sent:\n" + text)
        rot = harness.prom_value(samples, "packet_capture_rotations_total", interface="vethrx")
        self.assertIsNotNone(rot, "no packet_capture_rotations_total:\n" + text)
        self.assertGreaterEqual(rot, 2, "two SIGUSR1 rotations not counted:\n" + text)
        ok = harness.prom_value(samples, "packet_capture_hook_stages_total",
                                interface="vethrx", result="ok")
        self.assertIsNotNone(ok, 'no packet_capture_hook_stages_total{interface="vethrx",'
                             'result="ok"}:\n' + text)
        self.assertGreaterEqual(ok, 2, "hook stages that succeeded not counted:\n" + text)
        for res in ("failed", "retried", "timed_out"):
            self.assertEqual(harness.prom_value(samples, "packet_capture_hook_stages_total",
                                                interface="vethrx", result=res), 0,
                             "hook_stages_total result=%s:\n%s" % (res, text))
        self.assertEqual(types.get("packet_capture_packets_total"), "counter", text)
        self.assertEqual(types.get("packet_capture_hook_backlog_files"), "gauge", text)

        # ---- status while running
        st = harness.wait_status(out, lambda s: s.get("packets", 0) >= sent
                                 and s.get("hook_stages_ok", 0) >= 2, 6)
        self.assertIsNotNone(st, "no status file")
        for k in STATUS_KEYS:
            self.assertIn(k, st, "status file lacks %r: %s" % (k, st))
        self.assertEqual(st["interface"], "vethrx")
        self.assertEqual(os.path.realpath(st["output_dir"]), os.path.realpath(out))
        self.assertEqual(st["state"], "capturing", st)
        self.assertEqual(st["pid"], d.proc.pid, "pid in the status file")
        self.assertGreaterEqual(st["packets"], sent, st)
        self.assertGreaterEqual(st["files_finished"], 2, st)
        part = d.part_files()
        self.assertEqual(st["current_file"], part[0] if part else None, st)

        p = status_cmd(out)
        self.assertEqual(p.returncode, 0, "status while running: exit %d\n%s%s"
                         % (p.returncode, p.stdout, p.stderr))
        self.assertIn("capturing", p.stdout, "state missing from `status`:\n" + p.stdout)
        self.assertIn(part[0], p.stdout, "current file missing from `status`:\n" + p.stdout)
        m = re.search(r"(\d+) captured", p.stdout)
        self.assertTrue(m, "no packet total in `status`:\n" + p.stdout)
        self.assertGreaterEqual(int(m.group(1)), sent, p.stdout)
        self.assertIn(str(st["pid"]), p.stdout, "pid missing from `status`:\n" + p.stdout)

        p = status_cmd(out, "--json")
        self.assertEqual(p.returncode, 0, "status --json while running: %s" % p.stderr)
        arr = json.loads(p.stdout)
        self.assertIsInstance(arr, list, "status --json is not a JSON array: " + p.stdout)
        self.assertEqual(len(arr), 1, p.stdout)
        self.assertEqual(arr[0]["interface"], "vethrx")
        self.assertEqual(arr[0]["state"], "capturing")
        for k in STATUS_KEYS:
            self.assertIn(k, arr[0], "status --json lacks %r" % k)
        self.assertGreaterEqual(arr[0]["packets"], sent)

        # ---- after stop
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        st = harness.read_status_file(out)
        self.assertIsNotNone(st, "status file gone after stop")
        self.assertEqual(st.get("state"), "stopped", "status file after stop: %s" % st)
        p = status_cmd(out)
        self.assertEqual(p.returncode, 3, "status after the daemon stopped must exit 3, got "
                         "%d:\n%s%s" % (p.returncode, p.stdout, p.stderr))
        self.assertIn("stopped", p.stdout)
        p = status_cmd(out, "--json")
        self.assertEqual(p.returncode, 3, "status --json after stop: exit %d" % p.returncode)
        arr = json.loads(p.stdout)
        self.assertIsInstance(arr, list)
        self.assertEqual([a.get("state") for a in arr], ["stopped"], p.stdout)
        marks = harness.ring_marks([x for _, x in harness.ring_files(out)], pair.token)
        harness.assert_exactly_once(self, marks, range(sent), "ring after stop")

    # ------------------------------------------------------------------ 3
    def test_reload_by_sighup(self):
        pair = self.veth()
        out = self.mkdir("ring")
        conf = self.mkdir("conf")
        d = self.daemon(pair, out, config_dir=conf).start()
        pair.trickle(10, 0.2, start=0)
        self.assertEqual(harness.ring_files(out), [], "rotated before rotate_seconds was set")

        with open(os.path.join(conf, "vethrx.conf"), "w") as f:
            f.write("[capture]\nrotate_seconds = 1\n")
        d.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertTrue(d.alive(), "daemon died on SIGHUP: %s" % d.stderr())
        t0 = time.time()
        pair.trickle(45, 0.1, start=100)          # 4.5 s
        elapsed = time.time() - t0
        files = harness.ring_files(out)
        self.assertGreaterEqual(len(files), 3, "rotate_seconds = 1 after SIGHUP: %d files in "
                                "%.1f s: %s; stderr: %s"
                                % (len(files), elapsed, [os.path.basename(p) for _, p in files],
                                   d.stderr()))
        self.assertLessEqual(len(files), int(elapsed) + 2, "too many files for 1 s rotation")
        for _, p in files[1:]:
            cap = harness.read_capture(p)
            if cap.records:
                span = (cap.records[-1][0] - cap.records[0][0]) / 1e9
                self.assertLess(span, 2.5, "%s spans %.2f s with rotate_seconds = 1"
                                % (os.path.basename(p), span))
        n_good = len(files)

        # ---- a bad configuration: logged, the running one kept
        with open(os.path.join(conf, "vethrx.conf"), "w") as f:
            f.write("[capture]\nrotate_seconds = 1\nbogus_key = 3\n")
        d.send_signal(signal.SIGHUP)
        m = harness.wait_stderr(d, RELOAD_FAILED_RE, 5)
        self.assertTrue(m, "no %r after SIGHUP with an unknown key; alive=%s stderr: %s"
                        % (RELOAD_FAILED_RE, d.alive(), d.stderr()))
        self.assertIn("bogus_key", m.group(1), "the reload error should name the bad key")
        self.assertIn("vethrx.conf", m.group(1), "the reload error should name the file")
        time.sleep(0.5)
        self.assertTrue(d.alive(), "daemon exited after a bad reload (rc %s): %s"
                        % (d.proc.poll(), d.stderr()))
        pair.trickle(30, 0.1, start=200)          # 3 s: rotation every second goes on
        files = harness.ring_files(out)
        self.assertGreaterEqual(len(files) - n_good, 2, "rotate_seconds = 1 not kept after "
                                "the failed reload: %s" % [os.path.basename(p) for _, p in files])
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assert_contiguous(files, first=0)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, list(range(10)) + list(range(100, 145))
                                    + list(range(200, 230)), "trickled packets")


if __name__ == "__main__":
    harness.main()
