#!/usr/bin/env python3
"""`packet-capture extract` against what users do today: `tcpdump -r FILE FILTER` over each
ring file, `mergecap`, and `editcap -A/-B` to cut the window. Packet for packet, byte for
byte: windows inside files and across rotations, VLAN-tagged and IPv6 traffic, several
rings, limits, a live ring being written and deleted under the reader, and bad input."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import traffic_mix  # noqa: E402

T0 = 1764496800 * 10**9          # 2025-11-30T10:00:00Z
STEP = 1000000                   # about 1 ms between packets
COUNT = 30000                    # about 30 s of traffic, 14 MB: 14 files of 1 MB

FILTERS = ["", "tcp and port 443", "host %s" % traffic_mix.NEEDLE_V4_TEXT, "vlan", "ip6",
           "udp or icmp", "not host %s" % traffic_mix.NEEDLE_V4_TEXT, "vlan and tcp",
           "net 10.1.0.0/16 and not port 80", "ip6 and tcp"]


def secs(ns):
    return "%d.%09d" % divmod(ns, 10**9)


def records(path):
    return [(ts, caplen, origlen, data) for ts, caplen, origlen, data in harness.read_capture(path).records]


class ExtractTest(harness.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        for tool in ("tcpdump", "mergecap", "editcap"):
            harness.require_tool(tool)
        cls.work = tempfile.mkdtemp(prefix="pc-extract-")
        cls.frames = traffic_mix.frames(COUNT, T0, STEP, seed=7)
        cls.ring = cls.make_ring("mix0", cls.frames)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, True)

    @classmethod
    def make_ring(cls, iface, frames, directory=None):
        src = os.path.join(cls.work, iface + ".pcap")
        harness.write_pcap(src, frames, nano=True)
        directory = directory or os.path.join(cls.work, "ring-" + iface)
        p = harness.run_binary(["run", "--read", src, "--interface", iface, "--output-dir", directory,
                                "--file-size", "1", "--file-limit", "1000"], timeout=120)
        assert p.returncode == 0, p.stderr
        return directory

    def extract(self, args, expect=0):
        out = os.path.join(self.tmp, "out.pcap")
        p = harness.run_binary(["extract", "--json", "-w", out] + args, timeout=120)
        self.assertEqual(p.returncode, expect, "extract %s: %s" % (args, p.stderr))
        report = json.loads(p.stderr.strip().splitlines()[-1]) if expect == 0 else None
        return out, report, p

    def expected(self, directory, flt, start=None, stop=None, iface="mix0"):
        """tcpdump -r over each ring file, concatenated with mergecap, cut with editcap."""
        parts = []
        for i, (_, path) in enumerate(harness.ring_files(directory, iface=iface)):
            part = os.path.join(self.tmp, "part-%06d.pcap" % i)
            cmd = ["tcpdump", "--time-stamp-precision=nano", "-r", path, "-w", part]
            subprocess.run(cmd + ([flt] if flt else []), check=True, capture_output=True)
            parts.append(part)
        merged = os.path.join(self.tmp, "merged.pcap")
        subprocess.run(["mergecap", "-a", "-F", "nsecpcap", "-w", merged] + parts, check=True, capture_output=True)
        if start is None:
            return records(merged)
        cut = os.path.join(self.tmp, "cut.pcap")
        subprocess.run(["editcap", "-F", "nsecpcap", "-A", secs(start), "-B", secs(stop), merged, cut],
                       check=True, capture_output=True)
        return records(cut)

    def assert_same(self, got, want, what):
        self.assertEqual(len(got), len(want), "%s: packet count" % what)
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                self.fail("%s: packet %d differs: %r vs %r" % (what, i, g[:3], w[:3]))

    def test_same_packets_as_tcpdump_for_filters_and_windows(self):
        first, last = self.frames[0][0], self.frames[-1][0]
        windows = [(first, last + 1),                                   # the whole ring
                   (T0 + 5_500_000_000, T0 + 15_250_000_000),           # inside files, across rotations
                   (T0 + 20_000_000_123, T0 + 20_700_000_000)]          # inside one file
        for start, stop in windows:
            for flt in FILTERS:
                want = self.expected(self.ring, flt, start, stop)
                for index in ([], ["--no-flow-index"]):
                    args = ["-o", self.ring, "--from", secs(start), "--to", secs(stop)] + index
                    out, report, _ = self.extract(args + (["--filter", flt] if flt else []))
                    what = "filter %r window %s..%s %s" % (flt, secs(start), secs(stop), index)
                    cap = harness.read_capture(out)
                    self.assertEqual((cap.format, cap.nano, cap.linktype), ("pcap", True, 1), what)
                    self.assert_same(records(out), want, what)
                    self.assertEqual(report["packets_written"], len(want), what)
                    if start == first:  # the ring holds nothing after its last packet: not complete
                        self.assertEqual((report["coverage"]["from_ns"], report["coverage"]["to_ns"]),
                                         (first, last), what)
                    else:
                        self.assertTrue(report["coverage"]["complete"], what)

    def test_timestamps_out_of_order_are_found_by_their_time(self):
        # A packet stamped long before its neighbours (merged input, a clock step): the ring
        # index keeps each file's earliest and latest times, so the window still finds it.
        frames = traffic_mix.frames(6000, T0, STEP, seed=9)
        early = T0 - 5 * 10**9
        frames[4000] = (early, frames[4000][1])
        ring = self.make_ring("skew0", frames)
        out, report, _ = self.extract(["-o", ring, "--from", secs(early), "--to", secs(early + 1)])
        got = records(out)
        self.assertEqual([r[0] for r in got], [early])
        self.assertEqual(got, self.expected(ring, "", early, early + 1, iface="skew0"))

    def test_window_in_rfc3339_and_filter_as_words(self):
        start, stop = T0 + 3_000_000_000, T0 + 4_000_000_000
        want = self.expected(self.ring, "udp", start, stop)
        out, report, _ = self.extract(["-o", self.ring, "--from", "2025-11-30T11:00:03+01:00",
                                       "--to", "2025-11-30T10:00:04.000000000000Z", "udp"])
        self.assert_same(records(out), want, "RFC 3339 window, filter as words")
        self.assertEqual(report["window"]["from_ns"], start)

    def test_coverage_reports_what_the_ring_no_longer_holds(self):
        first = self.frames[0][0]
        _, report, _ = self.extract(["-o", self.ring, "--from", secs(first - 10**10), "--to", secs(first + 10**9)])
        self.assertFalse(report["coverage"]["complete"])
        self.assertEqual(report["coverage"]["from_ns"], first)
        self.assertEqual(report["coverage"]["to_ns"], first + 10**9)
        # Outside anything the ring holds: an empty but valid file, and nothing covered.
        out, report, _ = self.extract(["-o", self.ring, "--from", secs(first - 10**11), "--to", secs(first - 10**10)])
        self.assertEqual(records(out), [])
        self.assertIsNone(report["coverage"]["from"])
        self.assertFalse(report["coverage"]["complete"])
        self.assertEqual(report["files_read"], 0, "every file skipped by its recorded times")

    def test_limits_end_with_a_valid_file(self):
        window = ["-o", self.ring, "--from", secs(T0), "--to", secs(T0 + 10**11)]
        out, report, _ = self.extract(window + ["--max-packets", "100"])
        self.assertEqual(len(records(out)), 100)
        self.assertEqual(report["limit"], "max-packets")
        harness.check_readers(self, out)
        out, report, _ = self.extract(window + ["--max-bytes", "100000"])
        self.assertLessEqual(os.path.getsize(out), 100000)
        self.assertEqual(report["limit"], "max-bytes")
        harness.check_readers(self, out)
        out, report, _ = self.extract(window + ["--snaplen", "60", "--max-packets", "1000"])
        got = records(out)
        self.assertEqual(len(got), 1000)
        want = self.expected(self.ring, "")[:1000]
        for g, w in zip(got, want):
            self.assertEqual((g[0], g[1], g[2], g[3]), (w[0], min(w[1], 60), w[2], w[3][:60]))
        self.assertEqual(report["limit"], "max-packets")

    def test_several_rings_merge_by_time_into_pcapng(self):
        other = [(ts + 1, fr) for ts, fr in traffic_mix.frames(5000, T0, 6 * STEP, seed=8)]
        shared = os.path.join(self.tmp, "shared")
        shutil.copytree(self.ring, shared)
        self.make_ring("mix1", other, directory=shared)
        start, stop = T0 + 2 * 10**9, T0 + 12 * 10**9
        out, report, _ = self.extract(["-o", shared, "--from", secs(start), "--to", secs(stop), "tcp"])
        cap = harness.read_capture(out)
        self.assertEqual(cap.format, "pcapng")
        host = os.uname().nodename
        self.assertEqual([i["name"] for i in cap.interfaces], [host + "/mix0", host + "/mix1"])
        got = [r[0] for r in cap.records]
        self.assertEqual(got, sorted(got), "merged by time")
        want = self.expected(shared, "tcp", start, stop, "mix0") + self.expected(shared, "tcp", start, stop, "mix1")
        self.assertEqual(sorted((r[0], r[3]) for r in cap.records), sorted((w[0], w[3]) for w in want))
        self.assertEqual(len(report["rings"]), 2)
        harness.check_readers(self, out)
        # As a fleet's inventory names the host (the capture playbook): --host-name.
        out, _report, _ = self.extract(["-o", shared, "--from", secs(start), "--to", secs(stop), "--host-name",
                                        "sensor-7.example", "tcp"])
        self.assertEqual([i["name"] for i in harness.read_capture(out).interfaces],
                         ["sensor-7.example/mix0", "sensor-7.example/mix1"])
        for bad in ("a/b", ".hidden", ""):
            r = harness.run_binary(["extract", "-o", shared, "--last", "5m", "--host-name", bad, "-w",
                                    os.path.join(self.tmp, "bad.pcapng")])
            self.assertEqual(r.returncode, 64, r.stderr)
            self.assertIn("--host-name", r.stderr)

    def test_stdout_streams_to_a_reader(self):
        start, stop = T0, T0 + 10 * 10**9
        want = self.expected(self.ring, "ip6", start, stop)
        cmd = [harness.binary(), "extract", "-o", self.ring, "--from", secs(start), "--to", secs(stop),
               "-w", "-", "ip6"]
        ex = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        copy = os.path.join(self.tmp, "copy.pcap")
        reader = subprocess.run(["tcpdump", "--time-stamp-precision=nano", "-r", "-", "-w", copy],
                                stdin=ex.stdout, capture_output=True, text=True)
        ex.stdout.close()
        self.assertEqual(ex.wait(timeout=60), 0, ex.stderr.read())
        self.assertEqual(reader.returncode, 0, reader.stderr)
        self.assert_same(records(copy), want, "through a pipe")
        # A device is written to, never replaced by a file renamed over it.
        p = harness.run_binary(["extract", "-o", self.ring, "--from", secs(start), "--to", secs(stop),
                                "-w", "/dev/null", "ip6"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null is still a device")
        self.assertFalse([f for f in os.listdir("/dev") if f.startswith(".null.")])

    def test_bad_input_one_line_and_exit_status(self):
        def bad(args, status, *needles):
            p = harness.run_binary(["extract"] + args, timeout=30)
            self.assertEqual(p.returncode, status, "%s: %s" % (args, p.stderr))
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            for n in needles:
                self.assertIn(n, p.stderr)
        out = os.path.join(self.tmp, "x.pcap")
        ring = ["-o", self.ring, "-w", out]
        bad(ring + ["--from", "1764496810", "--to", "1764496800"], 64, "reversed")
        bad(ring + ["--from", "1764496810", "--to", "1764496810"], 64, "empty")
        bad(ring + ["--from", "yesterday", "--to", "1764496800"], 64, "'yesterday'", "RFC 3339")
        bad(ring + ["--last", "5 minutes"], 64, "'5 minutes'")
        bad(ring + ["--last", "5m", "--filter", "host nosuchhost.invalid and"], 64, "--filter")
        bad(["-o", os.path.join(self.tmp, "none"), "-w", out, "--last", "5m"], 78, "does not exist")
        bad(["-o", self.tmp, "-w", out, "--last", "5m"], 78, "no ring")
        bad(["-o", self.ring, "-w", "/nonexistent/dir/x.pcap", "--last", "5m"], 64, "/nonexistent/dir/x.pcap")
        self.assertFalse(os.path.exists(out), "no output left by a refused extraction")

    def test_malformed_ring_file_is_skipped_with_a_warning(self):
        damaged = os.path.join(self.tmp, "damaged")
        shutil.copytree(self.ring, damaged)
        files = harness.ring_files(damaged, iface="mix0")
        victim = files[3][1]
        with open(victim, "r+b") as f:
            f.seek(24 + 8)
            f.write((0x7ffffff0).to_bytes(4, "little"))  # the first record's length: garbage
        good = [r for i, (_, p) in enumerate(files) if i != 3 for r in records(p)]
        out, report, p = self.extract(["-o", damaged, "--from", secs(T0), "--to", secs(T0 + 10**11)])
        self.assertIn(os.path.basename(victim), p.stderr)
        self.assertTrue(any(os.path.basename(victim) in w for w in report["warnings"]))
        self.assert_same(records(out), good, "every other file still comes out")


class ExtractLiveTest(harness.IntegrationTest):
    def test_follow_a_window_that_ends_in_the_future(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--file-size", "1", "--file-limit", "4").start()
        start = time.time_ns()
        stop = start + 3 * 10**9
        result = os.path.join(self.tmp, "live.pcap")
        ex = subprocess.Popen([harness.binary(), "extract", "-o", out, "--from", secs(start), "--to", secs(stop),
                               "--json", "-w", result], stderr=subprocess.PIPE, text=True)
        # Several rotations and deletions while the extraction reads (1 MB files, 4 kept).
        sent = pair.send_udp(9000, size=1000, rate=3000)
        _, err = ex.communicate(timeout=30)
        self.assertEqual(ex.returncode, 0, err)
        took = (time.time_ns() - stop) / 1e9
        self.assertLess(took, 4.0, "waited %.1f s after the window's end" % took)
        report = json.loads(err.strip().splitlines()[-1])
        d.stop()
        got = harness.read_capture(result).records
        marks = [m[0] for m in harness.packet_marks(harness.read_capture(result), pair.token)]
        self.assertTrue(marks, "packets of the window")
        self.assertTrue(all(start <= r[0] < stop for r in got), "every packet inside the window")
        self.assertEqual(marks, list(range(marks[0], marks[0] + len(marks))), "no packet lost or repeated")
        self.assertTrue(report["coverage"]["complete"], report)
        self.assertGreaterEqual(report["files_read"], 2, "followed across a rotation")
        self.assertLess(len(sent), 9001)

    def test_a_signal_ends_a_followed_window_with_a_valid_file(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        start = time.time_ns()
        result = os.path.join(self.tmp, "stopped.pcap")
        ex = subprocess.Popen([harness.binary(), "extract", "-o", out, "--from", secs(start),
                               "--to", secs(start + 600 * 10**9), "--json", "-w", result],
                              stderr=subprocess.PIPE, text=True)
        pair.send_udp(500, size=200, rate=2000)
        time.sleep(1.0)
        ex.send_signal(signal.SIGINT)
        _, err = ex.communicate(timeout=10)
        d.stop()
        self.assertEqual(ex.returncode, 0, err)
        report = json.loads(err.strip().splitlines()[-1])
        self.assertEqual(report["limit"], "signal")
        marks = [m[0] for m in harness.packet_marks(harness.read_capture(result), pair.token)]
        self.assertEqual(marks, list(range(500)), "what was extracted before the signal is kept")

    def test_window_across_a_restart_pcapng_and_flow_index(self):
        pair = self.veth()
        out = self.mkdir("ring")
        start = time.time_ns()
        d = self.daemon(pair, out, "--file-size", "1", "--format", "pcapng").start()
        pair.send_udp(1500, size=600, rate=5000)
        d.wait_captured(1499)
        d.stop()
        d = self.daemon(pair, out, "--file-size", "1", "--format", "pcapng").start()
        pair.send_udp(1500, size=600, rate=5000, start=1500)
        d.wait_captured(2999)
        d.stop()
        stop = time.time_ns()
        files = harness.ring_files(out, ext="pcapng")
        self.assertGreaterEqual(len(files), 2)
        for _, path in files:
            self.assertTrue(os.path.exists(os.path.join(out, "." + os.path.basename(path) + ".flows")),
                            "flow index of " + path)
        result = os.path.join(self.tmp, "both.pcapng")
        p = harness.run_binary(["extract", "-o", out, "--from", secs(start), "--to", secs(stop), "--json",
                                "--format", "pcapng", "-w", result, "udp port 9999"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        report = json.loads(p.stderr.strip().splitlines()[-1])
        self.assertGreater(report["files_indexed"], 0, "read through the flow index")
        cap = harness.read_capture(result)
        marks = [m[0] for m in harness.packet_marks(cap, pair.token)]
        self.assertEqual(marks, list(range(3000)), "both runs, every packet once, in order")
        self.assertEqual(cap.interfaces[0]["name"], os.uname().nodename + "/" + pair.RX_IF)
        # The same packets as tcpdump over the files.
        want = []
        for _, path in files:
            part = os.path.join(self.tmp, "t.pcap")
            subprocess.run(["tcpdump", "--time-stamp-precision=nano", "-r", path, "-w", part, "udp port 9999"],
                           check=True, capture_output=True)
            want += [(r[0], r[3]) for r in harness.read_capture(part).records if start <= r[0] < stop]
        self.assertEqual([(r[0], r[3]) for r in cap.records], want)

    def test_index_rebuild_and_list_window(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--file-size", "1", "--flow-index", "no").start()
        pair.send_udp(3000, size=800, rate=5000)
        d.wait_captured(2999)
        d.stop()
        files = harness.ring_files(out)
        self.assertFalse([f for f in os.listdir(out) if f.endswith(".flows")], "--flow-index no makes none")
        listed = json.loads(harness.run_binary(["list", "-o", out, "--json"]).stdout)
        self.assertEqual({e["flow_index"] for e in listed}, {"missing"})
        p = harness.run_binary(["index", "--rebuild", "-o", out], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("%d flow indexes built" % len(files), p.stdout)
        listed = json.loads(harness.run_binary(["list", "-o", out, "--json"]).stdout)
        self.assertEqual({e["flow_index"] for e in listed}, {"present"})
        # A damaged index: extract warns, reads the file whole, and the result is still right.
        victim = os.path.join(out, "." + os.path.basename(files[0][1]) + ".flows")
        with open(victim, "r+b") as f:
            f.seek(50)
            f.write(b"\xff\xff\xff")
        first = listed[0]["first_ns"]
        last = listed[-1]["last_ns"]
        result = os.path.join(self.tmp, "r.pcap")
        p = harness.run_binary(["extract", "-o", out, "--from", secs(first), "--to", secs(last + 1), "--json",
                                "-w", result, "udp"], timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("damaged flow index", p.stderr)
        marks = [m[0] for m in harness.packet_marks(harness.read_capture(result), pair.token)]
        self.assertEqual(marks, list(range(3000)))
        # list --from/--to: only the files overlapping the window.
        mid = listed[1]
        inside = json.loads(harness.run_binary(["list", "-o", out, "--json", "--from", secs(mid["first_ns"]),
                                                "--to", secs(mid["last_ns"])]).stdout)
        self.assertEqual([e["file"] for e in inside],
                         [e["file"] for e in listed if e["last_ns"] >= mid["first_ns"] and e["first_ns"] < mid["last_ns"]])
        self.assertIn(mid["file"], [e["file"] for e in inside])
        self.assertLess(len(inside), len(listed))


if __name__ == "__main__":
    harness.main()
