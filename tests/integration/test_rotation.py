#!/usr/bin/env python3
"""Rotation: by size, file limit, byte budget, SIGUSR1, timer."""

import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MB = 1000 * 1000
PAYLOAD = 1000          # UDP payload; frame = 14 + 20 + 8 + 1000 = 1042, record 1058


class Rotation(harness.IntegrationTest):
    def run_ring(self, args, count, size=PAYLOAD, rate=10000):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, *args).start()
        pair.send_udp(count, size=size, rate=rate)
        d.wait_captured(count - 1)
        rc, err = d.stop()
        stats = self.assert_clean_stop(rc, err, out)
        return pair, out, harness.ring_files(out), stats

    def max_record(self, cap):
        return max((16 + r[1] for r in cap.records), default=0)

    def check_size_limit(self, files, limit_bytes):
        for seq, p in files:
            cap = harness.read_capture(p)
            size = os.path.getsize(p)
            self.assertLessEqual(size, limit_bytes + self.max_record(cap),
                                 "%s is %d bytes: exceeds --file-size %d by more than one "
                                 "record" % (os.path.basename(p), size, limit_bytes))

    def test_file_size(self):
        count = 3000
        pair, out, files, _ = self.run_ring(["--file-size", "1"], count)
        self.assertGreaterEqual(len(files), 3, "3 MB with --file-size 1 must give >= 3 files, "
                                "got %s" % [os.path.basename(p) for _, p in files])
        self.assert_contiguous(files, first=0)
        self.check_size_limit(files, MB)
        for seq, p in files[:-1]:
            # a rotated file was rotated because it was full: close to the limit
            self.assertGreater(os.path.getsize(p), MB - 2 * 1100,
                               "%s rotated early (%d bytes)" % (p, os.path.getsize(p)))
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(count), "--file-size 1")
        self.assertEqual([m[0] for m in marks], list(range(count)), "order across files")
        for _, p in files:
            harness.capinfos_read(self, p)

    def test_file_limit_keeps_newest(self):
        count = 6000            # ~6.3 MB -> 7 files, only 3 may remain
        pair, out, files, _ = self.run_ring(["--file-size", "1", "--file-limit", "3"], count)
        names = [os.path.basename(p) for _, p in files]
        self.assertLessEqual(len(files), 3, "--file-limit 3 left %s" % names)
        # The newest 3, or 2 when the last file was over a quarter full: the ring had already
        # freed its slot for the next file, so that a rotation never waits for an unlink.
        self.assertGreaterEqual(len(files), 2, "expected the newest 2 or 3 files: %s" % names)
        self.assert_contiguous(files, first=None)
        self.assertGreaterEqual(files[0][0], 4, "oldest files not deleted: %s" % names)
        self.check_size_limit(files, MB)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        seqs = [m[0] for m in marks]
        self.assertTrue(seqs)
        # survivors hold the newest packets: a contiguous tail ending at the last packet
        harness.assert_exactly_once(self, marks, range(seqs[0], count),
                                    "newest packets in surviving files")
        self.assertGreater(seqs[0], 0)
        # no other capture files around (deleted, not renamed away)
        left = [f for f in os.listdir(out)
                if f.endswith((".pcap", ".pcapng", ".part")) and f not in names]
        self.assertEqual(left, [], "extra capture files left: %s" % left)

    def test_old_files_unlinked_not_truncated(self):
        """A reader holding the oldest file open keeps its full content when retention
        removes it (unlink, never O_TRUNC or rewrite in place)."""
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--file-size", "1", "--file-limit", "2").start()
        pair.send_udp(1200, size=PAYLOAD, rate=10000)
        first = os.path.join(out, "pcap-vethrx-000000.pcap")
        self.assertTrue(harness.wait_for(lambda: os.path.exists(first), 5),
                        "000000 not finished: %s" % os.listdir(out))
        fd = os.open(first, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        st0 = os.fstat(fd)
        content0 = os.pread(fd, st0.st_size, 0)
        pair.send_udp(3000, size=PAYLOAD, rate=10000, start=1200)
        d.wait_captured(4199)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        self.assertFalse(os.path.exists(first), "000000 should be gone (--file-limit 2)")
        st1 = os.fstat(fd)
        self.assertEqual(st1.st_nlink, 0, "deleted file still linked somewhere")
        self.assertEqual(st1.st_size, st0.st_size, "deleted file was truncated or grown")
        self.assertEqual(os.pread(fd, st0.st_size, 0), content0,
                         "deleted file content changed")

    def test_max_bytes_budget(self):
        # 1058-byte records: 945 fit in a 1 MB file.  6 full files + 850 records leaves
        # the live file ~90% full at the stop, so "2 finished files + live" (2.9 MB) would
        # break the 2.5 MB budget: the live file must count.
        count = 6 * 945 + 850
        budget = 2500000
        pair, out, files, _ = self.run_ring(
            ["--file-size", "1", "--max-bytes", str(budget)], count)
        names = [os.path.basename(p) for _, p in files]
        total = sum(os.path.getsize(p) for _, p in files)
        self.assertLessEqual(total, budget, "ring holds %d bytes > --max-bytes %d: %s"
                             % (total, budget, names))
        self.assertGreater(files[0][0], 0, "nothing was deleted: %s" % names)
        self.assert_contiguous(files, first=None)
        self.assertGreaterEqual(len(files), 1)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        seqs = [m[0] for m in marks]
        harness.assert_exactly_once(self, marks, range(seqs[0], count),
                                    "newest packets within the budget")

    def test_sigusr1_rotates(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        pair.send_udp(100, size=200)
        d.wait_captured(99)
        d.send_signal(signal.SIGUSR1)
        done = harness.wait_for(lambda: harness.ring_files(out), 5)
        self.assertTrue(done, "SIGUSR1 did not finish a file within 5 s: %s" % os.listdir(out))
        self.assertEqual([s for s, _ in done], [0])
        self.assertTrue(harness.wait_for(lambda: d.part_files(), 3),
                        "no new .part after SIGUSR1")
        self.assertEqual(d.part_files(), ["pcap-vethrx-000001.pcap.part"])
        self.assertTrue(d.alive(), "daemon died after SIGUSR1: %s" % d.stderr())
        # list shows finished files only, never the live .part
        p = harness.run_binary(["list", "--output-dir", out, "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        listed = [os.path.basename(e["file"]) for e in json.loads(p.stdout)]
        self.assertEqual(listed, ["pcap-vethrx-000000.pcap"], "list while running")
        pair.send_udp(100, size=200, start=100)
        d.wait_captured(199)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assertEqual([s for s, _ in files], [0, 1])
        first = harness.packet_marks(harness.read_capture(files[0][1]), pair.token)
        second = harness.packet_marks(harness.read_capture(files[1][1]), pair.token)
        harness.assert_exactly_once(self, first, range(100), "file before SIGUSR1")
        harness.assert_exactly_once(self, second, range(100, 200), "file after SIGUSR1")
        for _, p in files:
            harness.check_readers(self, p)

    def test_rotate_seconds_timer(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--rotate-seconds", "1").start()
        count = 40
        pair.trickle(count, 0.1)          # ~4 s of slow traffic
        during = harness.ring_files(out)
        self.assertGreaterEqual(len(during), 3,
                                "--rotate-seconds 1 over ~4 s of traffic gave %s"
                                % [os.path.basename(p) for _, p in during])
        # idle: the file holding the last packets is rotated by the timer, after that
        # an empty live file must not be rotated
        time.sleep(1.5)
        idle1 = harness.ring_files(out)
        time.sleep(2.5)
        idle2 = harness.ring_files(out)
        self.assertEqual([s for s, _ in idle2], [s for s, _ in idle1],
                         "empty files were rotated while idle")
        self.assertGreater(len(idle1), len(during) - 1)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assert_contiguous(files, first=0)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(count), "--rotate-seconds 1")
        # the timer finished the last traffic file without a packet arriving
        last_mark_file = None
        for s, p in idle1:
            if harness.packet_marks(harness.read_capture(p), pair.token):
                last_mark_file = s
        sent_all = {m[0] for s, p in idle1
                    for m in harness.packet_marks(harness.read_capture(p), pair.token)}
        self.assertEqual(sent_all, set(range(count)),
                         "the timer did not finish the file with the last packets while "
                         "idle (finished files: %s)" % [s for s, _ in idle1])
        self.assertIsNotNone(last_mark_file)
        for s, p in files:
            cap = harness.read_capture(p)
            if s != files[-1][0]:
                self.assertGreater(len(cap.records), 0,
                                   "timer rotated a file with zero packets: %s" % p)
            ts = [r[0] for r in cap.records]
            if len(ts) > 1:
                self.assertLess(ts[-1] - ts[0], 2100000000,
                                "%s spans %.2f s with --rotate-seconds 1" % (p, (ts[-1] - ts[0]) / 1e9))


if __name__ == "__main__":
    harness.main()
