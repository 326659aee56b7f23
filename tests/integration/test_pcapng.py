#!/usr/bin/env python3
"""--format pcapng: valid pcapng read by tshark/capinfos/tcpdump, interface named."""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

COUNT = 300


class Pcapng(harness.IntegrationTest):
    def capture(self, args, env=None):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, *args, env=env).start()
        self.assertEqual(d.part_files(), ["pcap-vethrx-000000.pcapng.part"],
                         "pcapng live file name")
        pair.send_udp(COUNT, size=200)
        d.wait_captured(COUNT - 1)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out, ext="pcapng")
        self.assert_contiguous(files, first=0)
        self.assertEqual(harness.ring_files(out, ext="pcap"), [],
                         "no .pcap files with --format pcapng")
        return pair, out, files

    def check_files(self, pair, files, tsresol):
        for _, p in files:
            with open(p, "rb") as f:
                self.assertEqual(f.read(4), b"\x0a\x0d\x0d\x0a", "%s: not a pcapng SHB" % p)
            cap = harness.read_capture(p)
            self.assertEqual(cap.format, "pcapng")
            self.assertGreaterEqual(len(cap.interfaces), 1, "%s: no IDB" % p)
            idb = cap.interfaces[0]
            self.assertEqual(idb["linktype"], 1, "%s: IDB link type" % p)
            self.assertEqual(idb["name"], "vethrx", "%s: IDB if_name option" % p)
            self.assertEqual(idb["tsresol"], tsresol, "%s: IDB if_tsresol" % p)
            info = harness.check_readers(self, p, expected_packets=len(cap.records))
            self.assertIn("pcapng", info["type"].lower(), "capinfos -t: %s" % info["type"])
            self.assertRegex(info["raw"], r"(?m)^\s*Name = vethrx\s*$",
                             "capinfos -I does not show the interface name:\n%s" % info["raw"])
            ts = [r[0] for r in cap.records]
            self.assertEqual(ts, sorted(ts))
            if ts:
                now = time.time() * 1e9
                self.assertLess(abs(ts[0] - now), 600e9,
                                "%s: first timestamp %d is not near now (tsresol misuse?)"
                                % (p, ts[0]))
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(COUNT), "pcapng capture")
        if tsresol == 9:
            self.assertFalse(all(m[2] % 1000 == 0 for m in marks),
                             "if_tsresol 9 but every timestamp is a whole microsecond")

    def test_pcapng_flag(self):
        pair, out, files = self.capture(["--format", "pcapng"])
        self.check_files(pair, files, tsresol=9)
        p = harness.run_binary(["list", "--output-dir", out, "--json"])
        self.assertEqual(p.returncode, 0, p.stderr)
        entries = json.loads(p.stdout)
        self.assertEqual(sorted(os.path.basename(e["file"]) for e in entries),
                         sorted(os.path.basename(x) for _, x in files), "list --json files")
        for e in entries:
            cap = harness.read_capture(os.path.join(out, os.path.basename(e["file"])))
            self.assertEqual(e["packets"], len(cap.records), "list --json packets: %s" % e)
            if cap.records:
                self.assertEqual(harness.parse_rfc3339_ns(e["first"]), cap.records[0][0])
                self.assertEqual(harness.parse_rfc3339_ns(e["last"]), cap.records[-1][0])

    def test_pcapng_env_micro(self):
        pair, out, files = self.capture([], env={"FORMAT": "pcapng", "TSTAMP": "micro"})
        self.check_files(pair, files, tsresol=6)

    def test_pcapng_tshark_interface_column(self):
        pair, out, files = self.capture(["--format", "pcapng"])
        tshark = harness.require_tool("tshark")
        p = harness.run([tshark, "-r", files[0][1], "-T", "fields", "-e", "frame.interface_name",
                         "-c", "5"], check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        names = set(l.strip() for l in p.stdout.splitlines() if l.strip())
        self.assertEqual(names, {"vethrx"}, "tshark frame.interface_name: %r" % p.stdout)

    def test_pcapng_sigusr1_each_file_self_contained(self):
        pair = self.veth()
        out = self.mkdir("ring")
        d = self.daemon(pair, out, "--format", "pcapng").start()
        pair.send_udp(50, size=100)
        d.wait_captured(49)
        d.send_signal(harness.signal.SIGUSR1)
        self.assertTrue(harness.wait_for(lambda: d.part_files() ==
                                         ["pcap-vethrx-000001.pcapng.part"], 5),
                        "no rotation on SIGUSR1: %s" % os.listdir(out))
        pair.send_udp(50, size=100, start=50)
        d.wait_captured(99)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out, ext="pcapng")
        self.assertEqual([s for s, _ in files], [0, 1])
        for _, p in files:
            # each file must start with its own SHB + IDB
            cap = harness.read_capture(p)
            self.assertTrue(cap.interfaces, "%s has no IDB" % p)
            harness.check_readers(self, p, expected_packets=len(cap.records))
        self.check_files_marks(pair, files, 100)

    def check_files_marks(self, pair, files, n):
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(n))


if __name__ == "__main__":
    harness.main()
