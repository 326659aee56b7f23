#!/usr/bin/env python3
"""SIGKILL: the next start repairs the leftover .part (torn record cut off), finishes it
under its final name and continues numbering after it."""

import os
import signal
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PART = "pcap-vethrx-000000.pcap.part"
DONE = "pcap-vethrx-000000.pcap"


class CrashRecovery(harness.IntegrationTest):
    def crash(self, garbage):
        """Capture 200 packets, wait 1.5 s, SIGKILL, append ``garbage`` to the .part.
        Returns (pair, out, expected_size_after_repair, seqs_in_part_before_kill)."""
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        pair.send_udp(200, size=300)
        d.wait_captured(199)
        rc, _err = d.stop(sig=signal.SIGKILL)
        self.assertEqual(rc, -signal.SIGKILL)
        self.assertEqual(harness.ring_files(out), [], "no finished file expected before kill")
        parts = [f for f in os.listdir(out) if f.endswith(".part")]
        self.assertEqual(parts, [PART], "after SIGKILL the live file stays as .part")
        part = os.path.join(out, PART)
        cap = harness.read_capture(part, strict=False)
        # buffered packets reach the .part at least once a second: all 200 are there
        marks = harness.packet_marks(cap, pair.token)
        harness.assert_exactly_once(self, marks, range(200),
                                    ".part content 1.5 s after the packets were sent")
        whole = cap.end_of_whole_records
        with open(part, "rb") as f:
            endian = "<" if f.read(4) == struct.pack("<I", cap.magic) else ">"
        with open(part, "ab") as f:
            f.write(garbage(endian) if callable(garbage) else garbage)
        return pair, out, whole, cap

    def restart_and_check(self, pair, out, whole, cap_before):
        d = self.daemon(pair, out).start()
        self.assertEqual(d.part_files(), ["pcap-vethrx-000001.pcap.part"],
                         "after recovery the new live file follows the repaired one")
        self.assertFalse(os.path.exists(os.path.join(out, PART)), "leftover .part not removed")
        done = os.path.join(out, DONE)
        self.assertTrue(os.path.exists(done), "leftover .part not renamed to %s: %s"
                        % (DONE, os.listdir(out)))
        self.assertEqual(os.path.getsize(done), whole,
                         "repaired file must be truncated to its last whole record")
        cap = harness.read_capture(done)  # strict: no trailing bytes
        self.assertEqual(len(cap.records), len(cap_before.records))
        harness.check_readers(self, done, expected_packets=len(cap.records))
        harness.assert_exactly_once(self, harness.packet_marks(cap, pair.token), range(200),
                                    "packets captured before the kill")

        pair.send_udp(50, size=300, start=200)
        d.wait_captured(249)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assertEqual([s for s, _ in files], [0, 1])
        self.assertEqual(os.path.getsize(done), whole, "repaired file changed after restart")
        new = harness.packet_marks(harness.read_capture(files[1][1]), pair.token)
        harness.assert_exactly_once(self, new, range(200, 250), "packets after restart")
        harness.check_readers(self, files[1][1])

    def test_torn_record_header(self):
        # 7 bytes: less than a record header
        pair, out, whole, cap = self.crash(b"\xde\xad\xbe\xef\x01\x02\x03")
        self.restart_and_check(pair, out, whole, cap)

    def test_torn_record_body(self):
        # a complete-looking record header promising 400 bytes, but only 100 follow
        sec = int(time.time())
        pair, out, whole, cap = self.crash(
            lambda e: struct.pack(e + "IIII", sec, 5, 400, 400) + b"\xab" * 100)
        self.restart_and_check(pair, out, whole, cap)

    def test_crash_after_finished_files(self):
        """Kill while file 000001 is live: restart finishes 000001, leaves 000000 alone
        and continues with 000002."""
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        pair.send_udp(50, size=200)
        d.wait_captured(49)
        d.send_signal(signal.SIGUSR1)
        self.assertTrue(harness.wait_for(
            lambda: d.part_files() == ["pcap-vethrx-000001.pcap.part"], 5), os.listdir(out))
        pair.send_udp(50, size=200, start=50)
        d.wait_captured(99)
        d.stop(sig=signal.SIGKILL)
        first = os.path.join(out, DONE)
        with open(first, "rb") as f:
            content = f.read()
        ino = os.stat(first).st_ino
        part = os.path.join(out, "pcap-vethrx-000001.pcap.part")
        self.assertTrue(os.path.exists(part), os.listdir(out))
        whole = harness.read_capture(part, strict=False).end_of_whole_records
        with open(part, "ab") as f:
            f.write(b"\x01\x02\x03")
        d2 = self.daemon(pair, out).start()
        self.assertEqual(d2.part_files(), ["pcap-vethrx-000002.pcap.part"])
        rc, err = d2.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assertEqual([s for s, _ in files], [0, 1, 2])
        with open(first, "rb") as f:
            self.assertEqual(f.read(), content, "000000 changed by recovery")
        self.assertEqual(os.stat(first).st_ino, ino)
        self.assertEqual(os.path.getsize(files[1][1]), whole)
        harness.check_readers(self, files[1][1])
        harness.assert_exactly_once(self, harness.packet_marks(
            harness.read_capture(files[1][1]), pair.token), range(50, 100),
            "recovered 000001")

    def test_crash_loop_keeps_no_empty_files(self):
        # Three real captures, then a crash loop with no traffic: 15 starts killed at once.
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--file-limit", "10").start()
        for _ in range(3):
            pair.send_udp(20, size=300)
            time.sleep(0.3)
            d.send_signal(signal.SIGUSR1)
            time.sleep(0.3)
        rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        real = harness.ring_files(out)
        self.assertGreaterEqual(len(real), 3, err)
        for _ in range(15):
            d = self.daemon(pair, out, "--file-limit", "10").start(wait_ready=False)
            self.assertTrue(harness.wait_stderr(d, "capturing on", 10), d.stderr())
            time.sleep(0.2)  # its empty .part is created
            d.stop(sig=signal.SIGKILL)
        d = self.daemon(pair, out, "--file-limit", "10").start()
        pair.send_udp(20, size=300)
        time.sleep(0.3)
        rc, err = d.stop()
        self.assertEqual(rc, 0, err)
        files = harness.ring_files(out)
        for f in real:
            self.assertIn(f, files, "a real capture was pushed out by empty files: %s" % files)
        new = [path for f, path in files if (f, path) not in real]
        self.assertEqual(len(new), 1, "the crash loop left files behind: %s" % files)
        self.assertGreater(len(harness.read_capture(new[0]).records), 0, new[0])
        self.assertGreater(files[-1][0], real[-1][0] + 10, "the crash loop's starts did not run: %s" % files)
        self.assertIn("holds no packets", err)

    def test_pcapng_torn_block(self):
        pair = self.veth()
        out = self.mkdir("ring")
        part = os.path.join(out, "pcap-vethrx-000000.pcapng.part")
        d = self.daemon(pair, out, "--format", "pcapng").start()
        pair.send_udp(100, size=300)
        d.wait_captured(99)
        rc, _ = d.stop(sig=signal.SIGKILL)
        self.assertEqual(rc, -signal.SIGKILL)
        self.assertTrue(os.path.exists(part), os.listdir(out))
        cap = harness.read_capture(part, strict=False)
        harness.assert_exactly_once(self, harness.packet_marks(cap, pair.token), range(100),
                                    "pcapng .part content 1.5 s after sending")
        whole = cap.end_of_whole_records
        with open(part, "rb") as f:
            original = f.read(whole)
        with open(part, "ab") as f:   # an EPB header promising 200 bytes, 40 present
            f.write(struct.pack("<II", 6, 200) + b"\x00" * 40)
        d2 = self.daemon(pair, out, "--format", "pcapng").start()
        self.assertEqual(d2.part_files(), ["pcap-vethrx-000001.pcapng.part"])
        done = os.path.join(out, "pcap-vethrx-000000.pcapng")
        self.assertFalse(os.path.exists(part), "leftover .part not removed")
        self.assertTrue(os.path.exists(done), os.listdir(out))
        # the torn block is cut off; closing blocks (e.g. an ISB) may follow the kept ones
        with open(done, "rb") as f:
            self.assertEqual(f.read(whole), original, "whole blocks before the tear changed")
        rep = harness.read_capture(done)   # strict: nothing torn remains
        self.assertEqual(len(rep.records), len(cap.records))
        harness.check_readers(self, done, expected_packets=len(rep.records))
        harness.assert_exactly_once(self, harness.packet_marks(rep, pair.token), range(100))
        rc, err = d2.stop()
        self.assert_clean_stop(rc, err, out)


if __name__ == "__main__":
    harness.main()
