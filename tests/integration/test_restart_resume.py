#!/usr/bin/env python3
"""Restart: numbering resumes after the highest sequence, nothing old is overwritten."""

import hashlib
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def fingerprint(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return (st.st_ino, st.st_mtime_ns, st.st_size, digest)


class RestartResume(harness.IntegrationTest):
    def one_run(self, pair, out, start_seq, count, args=(), expect_part=None):
        d = self.daemon(pair, out, *args).start()
        if expect_part is not None:
            self.assertEqual(d.part_files(), [expect_part], "live file name at start")
        pair.send_udp(count, size=100, start=start_seq)
        d.wait_captured(start_seq + count - 1)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)

    def test_restart_continues_numbering(self):
        pair = self.veth()
        out = self.mkdir("ring")
        self.one_run(pair, out, 0, 100, expect_part="pcap-vethrx-000000.pcap.part")
        files1 = harness.ring_files(out)
        self.assertEqual([s for s, _ in files1], [0])
        before = {p: fingerprint(p) for _, p in files1}
        time.sleep(0.05)

        self.one_run(pair, out, 100, 100, expect_part="pcap-vethrx-000001.pcap.part")
        files2 = harness.ring_files(out)
        self.assertEqual([s for s, _ in files2], [0, 1])
        for p, fp in before.items():
            self.assertEqual(fingerprint(p), fp, "%s was modified by the second run" % p)

        self.one_run(pair, out, 200, 100, expect_part="pcap-vethrx-000002.pcap.part")
        files3 = harness.ring_files(out)
        self.assertEqual([s for s, _ in files3], [0, 1, 2])
        for _, p in files2:
            if p in before:
                self.assertEqual(fingerprint(p), before[p])
        marks = harness.ring_marks([p for _, p in files3], pair.token)
        harness.assert_exactly_once(self, marks, range(300), "three runs")
        per_file = [[m[0] for m in harness.packet_marks(harness.read_capture(p), pair.token)]
                    for _, p in files3]
        self.assertEqual(per_file, [list(range(0, 100)), list(range(100, 200)),
                                    list(range(200, 300))])
        for _, p in files3:
            harness.check_readers(self, p)

    def test_resume_after_highest_when_old_files_deleted(self):
        """With --file-limit the oldest files are gone: resume after the highest, not
        after the count of files and not at a gap."""
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--file-limit", "2").start()
        for i in range(3):
            pair.send_udp(30, size=100, start=30 * i)
            d.wait_captured(30 * i + 30 - 1)
            d.send_signal(signal.SIGUSR1)
            self.assertTrue(harness.wait_for(
                lambda: d.part_files() == ["pcap-vethrx-%06d.pcap.part" % (i + 1)], 5),
                "after SIGUSR1 #%d live file is %s" % (i + 1, d.part_files()))
        pair.send_udp(30, size=100, start=90)   # the live file 000003 is not empty
        time.sleep(0.3)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        seqs = [s for s, _ in files]
        self.assertLessEqual(len(files), 2, "--file-limit 2: %s" % seqs)
        self.assertEqual(max(seqs), 3, "highest seq after 3 rotations + stop: %s" % seqs)
        before = {p: fingerprint(p) for _, p in files}

        self.one_run(pair, out, 1000, 10, expect_part="pcap-vethrx-000004.pcap.part")
        after = harness.ring_files(out)
        self.assertIn(4, [s for s, _ in after])
        self.assertEqual(max(s for s, _ in after), 4)
        for p, fp in before.items():
            if os.path.exists(p):   # may be deleted by retention, never rewritten
                self.assertEqual(fingerprint(p), fp, "%s was modified by the restart" % p)
        new = dict(after)[4]
        harness.assert_exactly_once(self, harness.packet_marks(harness.read_capture(new),
                                                               pair.token),
                                    range(1000, 1010), "file of the second run")

    def test_resume_after_highest_existing_file(self):
        """A finished file with a higher number already in the ring (e.g. restored or
        from an earlier incarnation): the next file is numbered after it."""
        pair = self.veth()
        out = self.mkdir("ring")
        self.one_run(pair, out, 0, 10, expect_part="pcap-vethrx-000000.pcap.part")
        src = harness.ring_files(out)[0][1]
        high = os.path.join(out, "pcap-vethrx-000041.pcap")
        with open(src, "rb") as f, open(high, "wb") as g:
            g.write(f.read())
        before = {p: fingerprint(p) for _, p in harness.ring_files(out)}
        self.one_run(pair, out, 10, 10, expect_part="pcap-vethrx-000042.pcap.part")
        after = harness.ring_files(out)
        self.assertEqual([s for s, _ in after], [0, 41, 42])
        for p, fp in before.items():
            self.assertEqual(fingerprint(p), fp, "%s was modified by the restart" % p)


if __name__ == "__main__":
    harness.main()
