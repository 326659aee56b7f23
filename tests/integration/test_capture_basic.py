#!/usr/bin/env python3
"""Basic live capture: every packet exactly once, readable files, nano magic, list index."""

import json
import os
import re
import struct
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

COUNT = 500


class CaptureBasic(harness.IntegrationTest):
    def test_capture_sigterm_all_packets_readable(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        parts = d.part_files()
        self.assertEqual(parts, ["pcap-vethrx-000000.pcap.part"],
                         "first live file name (prefix-iface-seq.pcap.part)")
        pair.send_udp(COUNT, size=200)
        harness.wait_for(lambda: False, 0.5)
        rc, err = d.stop()
        captured, dropped = self.assert_clean_stop(rc, err, out)

        # stderr is just the one exit summary line (plus possibly logs), contains the stats
        self.assertGreaterEqual(captured, COUNT, "captured= count on exit: %s" % err)
        self.assertEqual(dropped, 0, "dropped= count on exit: %s" % err)

        files = harness.ring_files(out)
        self.assert_contiguous(files, first=0)
        unexpected = sorted(set(os.listdir(out)) - {os.path.basename(p) for _, p in files})
        for f in unexpected:
            # state/index files may exist, but no other capture files
            self.assertFalse(f.endswith(".pcap") or f.endswith(".pcapng") or f.endswith(".part"),
                             "unexpected capture file in ring dir: %s" % f)

        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(COUNT), "UDP sequence numbers")
        self.assertEqual([m[0] for m in marks], sorted(m[0] for m in marks),
                         "packets out of order across files")

        total = 0
        for _, p in files:
            with open(p, "rb") as f:
                head = f.read(4)
            self.assertIn(head, (struct.pack("<I", harness.PCAP_NANO),
                                 struct.pack(">I", harness.PCAP_NANO)),
                          "%s: default must be pcap with nanosecond magic 0xa1b23c4d, got %s"
                          % (p, head.hex()))
            cap = harness.read_capture(p)
            self.assertEqual(cap.linktype, 1, "%s: link type should be Ethernet" % p)
            harness.check_readers(self, p, expected_packets=len(cap.records))
            ts = [r[0] for r in cap.records]
            self.assertEqual(ts, sorted(ts), "%s: timestamps go backwards" % p)
            total += len(cap.records)
        self.assertGreaterEqual(total, COUNT)
        self.assertLessEqual(total, captured, "files hold more packets than captured=")
        # nanosecond files must carry real nanosecond timestamps, not microseconds * 1000
        all_ts = [m[2] for m in marks]
        now = harness.time.time() * 1e9
        self.assertLess(abs(all_ts[0] - now), 600e9,
                        "first packet timestamp %d is not near the current time" % all_ts[0])
        self.assertFalse(all(t % 1000 == 0 for t in all_ts),
                         "all %d timestamps are whole microseconds: capture not opened "
                         "with nanosecond precision" % len(all_ts))

        self.check_list(out, files)

    def check_list(self, out, files):
        p = harness.run_binary(["list", "--output-dir", out, "--json"])
        self.assertEqual(p.returncode, 0, "list --json failed: %s" % p.stderr)
        try:
            entries = json.loads(p.stdout)
        except ValueError as e:
            self.fail("list --json printed invalid JSON (%s): %r" % (e, p.stdout[:500]))
        self.assertIsInstance(entries, list, "list --json must print a JSON array")
        self.assertEqual(len(entries), len(files),
                         "list --json: one entry per finished file: %s" % p.stdout[:1000])
        by_name = {}
        for e in entries:
            for k in ("file", "sequence", "first", "last", "packets", "bytes", "drops"):
                self.assertIn(k, e, "list --json entry lacks key %r: %s" % (k, e))
            by_name[os.path.basename(e["file"])] = e
        for seq, path in files:
            name = os.path.basename(path)
            self.assertIn(name, by_name, "list --json lacks %s" % name)
            e = by_name[name]
            cap = harness.read_capture(path)
            self.assertEqual(e["sequence"], seq, "sequence of %s" % name)
            self.assertEqual(e["packets"], len(cap.records), "packets of %s" % name)
            self.assertEqual(e["drops"], 0, "drops of %s" % name)
            size = os.path.getsize(path)
            caplen = sum(r[1] for r in cap.records)
            origlen = sum(r[2] for r in cap.records)
            self.assertIn(e["bytes"], (size, caplen, origlen, caplen + 16 * len(cap.records)),
                          "bytes of %s (file size %d, captured bytes %d)"
                          % (name, size, caplen))
            if cap.records:
                self.assertEqual(harness.parse_rfc3339_ns(e["first"]), cap.records[0][0],
                                 "first timestamp of %s: %s" % (name, e["first"]))
                self.assertEqual(harness.parse_rfc3339_ns(e["last"]), cap.records[-1][0],
                                 "last timestamp of %s: %s" % (name, e["last"]))

        # plain text: one line per finished file, naming it
        p = harness.run_binary(["list", "--output-dir", out])
        self.assertEqual(p.returncode, 0, "list failed: %s" % p.stderr)
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        names = [os.path.basename(x) for _, x in files]
        file_lines = [l for l in lines if any(n in l for n in names)]
        self.assertEqual(len(file_lines), len(files), "list output: %r" % p.stdout)
        for n in names:
            line = [l for l in lines if n in l][0]
            self.assertRegex(line, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|\+00:00)",
                             "list line lacks RFC 3339 ns timestamp: %r" % line)

    def test_sigint_finishes_file(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        pair.send_udp(50, size=100)
        harness.wait_for(lambda: False, 0.3)
        rc, err = d.stop(sig=harness.signal.SIGINT)
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assert_contiguous(files, first=0)
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(50), "after SIGINT")

    def test_buffered_packets_reach_part_within_a_second(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out).start()
        sent = 0
        for burst in (20, 1, 5):   # flushing must not depend on further packets arriving
            pair.send_udp(burst, size=100, start=sent)
            sent += burst
            harness.wait_for(lambda: False, 1.4)
            parts = d.part_files()
            self.assertEqual(len(parts), 1, parts)
            cap = harness.read_capture(os.path.join(out, parts[0]), strict=False)
            marks = harness.packet_marks(cap, pair.token)
            harness.assert_exactly_once(self, marks, range(sent),
                                        ".part content 1.4 s after the last packet "
                                        "(buffered packets reach the file at least once a "
                                        "second)")
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)

    def test_snaplen_and_micro_timestamps(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--snaplen", "96", "--tstamp", "micro", "--prefix",
                        "snap").start()
        self.assertEqual(d.part_files(), ["snap-vethrx-000000.pcap.part"], "--prefix")
        pair.send_udp(100, size=1000)
        harness.wait_for(lambda: False, 0.3)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out, prefix="snap")
        self.assert_contiguous(files, first=0)
        n = 0
        for _, p in files:
            with open(p, "rb") as f:
                head = f.read(4)
            self.assertIn(head, (struct.pack("<I", harness.PCAP_MICRO),
                                 struct.pack(">I", harness.PCAP_MICRO)),
                          "%s: --tstamp micro must write magic 0xa1b2c3d4" % p)
            cap = harness.read_capture(p)
            self.assertLessEqual(cap.snaplen, 96, "%s: header snaplen" % p)
            harness.check_readers(self, p, expected_packets=len(cap.records))
            for ts, incl, orig, frame in cap.records:
                self.assertLessEqual(incl, 96, "%s: record longer than --snaplen 96" % p)
                u = harness.udp_info(frame, cap.linktype)
                if u and u[2][:4] == b"PCTS":
                    self.assertEqual(orig, 14 + 20 + 8 + 1000, "original length kept")
                    n += 1
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(100), "--snaplen 96")
        self.assertEqual(n, 100)

    def promiscuity(self, pair):
        out = harness.run([harness.IP, "-n", pair.rx_ns, "-d", "link", "show",
                           pair.RX_IF]).stdout
        m = re.search(r"promiscuity (\d+)", out)
        self.assertIsNotNone(m, out)
        return int(m.group(1))

    def run_promisc(self, args, env=None):
        pair = self.veth()
        out = tempfile.mkdtemp(prefix="ring-", dir=self.tmp)
        self.assertEqual(self.promiscuity(pair), 0)
        d = self.daemon(pair, out, *args, env=env).start()
        level = self.promiscuity(pair)
        pair.send_udp(20, size=100)
        harness.wait_for(lambda: False, 0.2)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        harness.assert_exactly_once(
            self, harness.ring_marks([p for _, p in harness.ring_files(out)], pair.token),
            range(20), "capture with %s %s" % (args, env or ""))
        self.assertEqual(self.promiscuity(pair), 0, "promiscuous mode left on after exit")
        return level

    def test_promisc_flags(self):
        self.assertGreaterEqual(self.run_promisc(["--promisc", "--buffer-size", "4"]), 1,
                                "--promisc did not put the interface in promiscuous mode")
        self.assertEqual(self.run_promisc(["--no-promisc"]), 0,
                         "--no-promisc left the interface promiscuous")
        self.assertEqual(self.run_promisc([], env={"PROMISC": "no"}), 0, "PROMISC=no")
        self.assertEqual(self.run_promisc(["--no-promisc"], env={"PROMISC": "yes"}), 0,
                         "--no-promisc must beat PROMISC=yes")
        self.assertGreaterEqual(self.run_promisc([], env={"PROMISC": "yes"}), 1, "PROMISC=yes")


if __name__ == "__main__":
    harness.main()
