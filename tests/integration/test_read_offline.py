#!/usr/bin/env python3
"""--read FILE: replay a capture file into the ring; all packets in order, exit 0."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MB = 1000 * 1000
N = 3000
PAYLOAD = 1000
T0 = 1700000000 * 10 ** 9 + 123456000  # fixed start time, micro-aligned


class ReadOffline(harness.IntegrationTest):
    def make_input(self, name, n=N, nano=False, ng=False):
        token = os.urandom(8)
        frames = []
        for i in range(n):
            ts = T0 + i * 1000000 + (i % 7) * 1000 + (i % 3 if nano or ng else 0)
            frames.append((ts, harness.test_frame(token, i, PAYLOAD, dport=9999)))
        path = os.path.join(self.tmp, name)
        if ng:
            harness.write_pcapng(path, frames)
        else:
            harness.write_pcap(path, frames, nano=nano)
        return path, token, frames

    def replay(self, inp, args, timeout=60):
        p = harness.run_binary(["run", "--read", inp] + args, timeout=timeout)
        self.assertEqual(p.returncode, 0, "run --read exit code; stderr: %s" % p.stderr)
        return p

    def check_ring(self, out, token, frames, iface, ext="pcap", size_limit=MB):
        self.assertEqual([f for f in os.listdir(out) if f.endswith(".part")], [],
                         ".part left after end of input")
        files = harness.ring_files(out, iface=iface, ext=ext)
        self.assertTrue(files, "no ring files named pcap-%s-NNNNNN.%s in %s"
                        % (iface, ext, os.listdir(out)))
        self.assert_contiguous(files, first=0)
        self.assertGreaterEqual(len(files), 3, "%d x %d B with --file-size 1"
                                % (len(frames), PAYLOAD))
        got = []
        for _, p in files:
            cap = harness.read_capture(p)
            size = os.path.getsize(p)
            maxrec = max((16 + r[1] for r in cap.records), default=0)
            if ext == "pcapng":
                # EPB = 32 bytes + padded data (+ options); closing blocks (ISB) allowed
                maxrec = max((32 + ((r[1] + 3) & ~3) + 64 for r in cap.records), default=0)
                maxrec += 256
            self.assertLessEqual(size, size_limit + maxrec,
                                 "%s (%d bytes) exceeds --file-size by more than one record"
                                 % (p, size))
            harness.check_readers(self, p, expected_packets=len(cap.records))
            for ts, incl, orig, frame in cap.records:
                got.append((ts, frame))
        self.assertEqual(len(got), len(frames), "packet count in ring vs input")
        seqs = [m[0] for m in harness.packet_marks(_Fake(got), token)]
        self.assertEqual(seqs, list(range(len(frames))), "packets in input order")
        for i, ((ts, fr), (ets, efr)) in enumerate(zip(got, frames)):
            if fr != efr:
                self.fail("packet %d bytes differ from the input" % i)
            if ts != ets:
                self.fail("packet %d timestamp %d != input %d" % (i, ts, ets))
        return files

    def read_bad(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        out = self.mkdir("ring-" + name)
        return path, out, harness.run_binary(["run", "--read", path, "--output-dir", out], timeout=30)

    def error_lines(self, stderr):
        return [l for l in stderr.splitlines() if ": error: " in l]

    def test_corrupt_input_is_a_data_error(self):
        # Not a capture file at all: one line naming it, exit 65 (EX_DATAERR).
        path, _out, p = self.read_bad("garbage.pcap", b"this is not a capture file\n" * 10)
        self.assertEqual(p.returncode, 65, p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn(path, p.stderr)
        # A damaged record in the middle (a capture length beyond any snaplen): exit 65 with one
        # error line naming the file; the records before it are in the ring.
        inp, _token, frames = self.make_input("whole.pcap", n=5)
        with open(inp, "rb") as f:
            data = bytearray(f.read())
        second = 24 + 16 + len(frames[0][1])
        data[second + 8:second + 12] = (0x7ffffff0).to_bytes(4, "little")
        path, out, p = self.read_bad("damaged.pcap", bytes(data))
        self.assertEqual(p.returncode, 65, p.stderr)
        errors = self.error_lines(p.stderr)
        self.assertEqual(len(errors), 1, p.stderr)
        self.assertIn(path, errors[0])
        self.assertEqual(sum(len(harness.read_capture(f).records) for _, f in
                             harness.ring_files(out, iface="damaged")), 1, p.stderr)
        # A missing file stays a configuration error.
        p = harness.run_binary(["run", "--read", os.path.join(self.tmp, "missing.pcap"),
                                "--output-dir", self.mkdir("ring-missing")], timeout=30)
        self.assertEqual(p.returncode, 78, p.stderr)

    def test_truncated_last_record_is_a_warning(self):
        inp, _token, frames = self.make_input("torn.pcap", n=5)
        with open(inp, "rb") as f:
            data = f.read()
        path, out, p = self.read_bad("torn.pcap", data[:-10])  # the last record cut short
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.error_lines(p.stderr), [], p.stderr)
        self.assertRegex(p.stderr, r"warning: .*torn\.pcap: the last record is cut short")
        self.assertEqual(sum(len(harness.read_capture(f).records) for _, f in
                             harness.ring_files(out, iface="torn")), 4, p.stderr)

    def test_read_pcap_micro_default_ring_name(self):
        inp, token, frames = self.make_input("offline-in.pcap")
        out = self.mkdir("ring")
        t = time.time()
        self.replay(inp, ["--output-dir", out, "--file-size", "1"])
        files = self.check_ring(out, token, frames, iface="offline-in")
        # default output is nanosecond pcap
        for _, f in files:
            self.assertTrue(harness.read_capture(f).nano, "%s: not nanosecond pcap" % f)
        self.assertLess(time.time() - t, 30)

    def test_read_pcap_nano_named_interface(self):
        inp, token, frames = self.make_input("input-nano.pcap", nano=True)
        out = self.mkdir("ring")
        self.replay(inp, ["--interface", "replay0", "--output-dir", out, "--file-size", "1"])
        self.check_ring(out, token, frames, iface="replay0")

    def test_read_pcapng_input(self):
        inp, token, frames = self.make_input("ng-input.pcapng", ng=True)
        out = self.mkdir("ring")
        self.replay(inp, ["--output-dir", out, "--file-size", "1"])
        self.check_ring(out, token, frames, iface="ng-input")

    def test_read_to_pcapng_output(self):
        inp, token, frames = self.make_input("to-ng.pcap", nano=True)
        out = self.mkdir("ring")
        self.replay(inp, ["--output-dir", out, "--file-size", "1", "--format", "pcapng"])
        self.check_ring(out, token, frames, iface="to-ng", ext="pcapng")

    def test_read_micro_output(self):
        inp, token, frames = self.make_input("micro-out.pcap")
        out = self.mkdir("ring")
        self.replay(inp, ["--output-dir", out, "--file-size", "1", "--tstamp", "micro"])
        files = self.check_ring(out, token, frames, iface="micro-out")
        for _, f in files:
            cap = harness.read_capture(f)
            self.assertFalse(cap.nano, "%s: --tstamp micro must write 0xa1b2c3d4" % f)

    def test_read_file_limit_keeps_newest(self):
        inp, token, frames = self.make_input("limited.pcap")
        out = self.mkdir("ring")
        self.replay(inp, ["--output-dir", out, "--file-size", "1", "--file-limit", "2"])
        files = harness.ring_files(out, iface="limited")
        self.assertEqual(len(files), 2, [os.path.basename(p) for _, p in files])
        self.assert_contiguous(files, first=None)
        self.assertGreater(files[0][0], 0)
        marks = harness.ring_marks([p for _, p in files], token)
        seqs = [m[0] for m in marks]
        self.assertEqual(seqs, list(range(seqs[0], N)), "newest packets kept, in order")

    def test_read_prefix_and_list(self):
        inp, token, frames = self.make_input("listed.pcap", n=500)
        out = self.mkdir("ring")
        self.replay(inp, ["--output-dir", out, "--prefix", "cap"])
        files = harness.ring_files(out, prefix="cap", iface="listed")
        self.assertEqual([s for s, _ in files], [0])
        p = harness.run_binary(["list", "--output-dir", out, "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        entries = json.loads(p.stdout)
        self.assertEqual(len(entries), 1, p.stdout)
        e = entries[0]
        self.assertEqual(os.path.basename(e["file"]), "cap-listed-000000.pcap")
        self.assertEqual(e["packets"], 500)
        self.assertEqual(harness.parse_rfc3339_ns(e["first"]), frames[0][0])
        self.assertEqual(harness.parse_rfc3339_ns(e["last"]), frames[-1][0])
        self.assertEqual(e["first"][:19], "2023-11-14T22:13:20")


class _Fake:
    """Adapter so packet_marks can run on a list of (ts, frame)."""

    def __init__(self, got):
        self.linktype = 1
        self.records = [(ts, len(fr), len(fr), fr) for ts, fr in got]


if __name__ == "__main__":
    harness.main()
