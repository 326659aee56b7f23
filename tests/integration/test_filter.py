#!/usr/bin/env python3
"""BPF filter: --filter, FILTER env, INI, ADDITIONAL_ARGS and their precedence."""

import os
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

COUNT = 200   # half to 9999, half to 9998 (interleaved)


class Filter(harness.IntegrationTest):
    def capture(self, args=(), env=None, config_dir=None):
        pair = self.veth()
        out = tempfile.mkdtemp(prefix="ring-", dir=self.tmp)
        d = self.daemon(pair, out, *args, env=env, config_dir=config_dir).start()
        pair.send_udp(COUNT, size=100, ports=[9999, 9998])
        time.sleep(0.4)
        rc, err = d.stop()
        self.assert_clean_stop(rc, err, out)
        files = harness.ring_files(out)
        self.assert_contiguous(files, first=0)
        return pair, files

    def assert_only_port(self, pair, files, port):
        other = 9998 if port == 9999 else 9999
        for _, p in files:
            cap = harness.read_capture(p)
            for ts, incl, orig, frame in cap.records:
                u = harness.udp_info(frame, cap.linktype)
                self.assertIsNotNone(u, "%s: non-UDP packet passed the filter" % p)
                self.assertEqual(u[1], port, "%s: packet to port %d passed 'udp port %d'"
                                 % (p, u[1], port))
        marks = harness.ring_marks([p for _, p in files], pair.token)
        expected = [s for s in range(COUNT) if (9999, 9998)[s % 2] == port]
        harness.assert_exactly_once(self, marks, expected, "packets to port %d" % port)
        self.assertFalse([m for m in marks if m[1] == other])

    def test_filter_flag(self):
        pair, files = self.capture(["--filter", "udp port 9999"])
        self.assert_only_port(pair, files, 9999)

    def test_filter_env(self):
        pair, files = self.capture(env={"FILTER": "udp port 9998"})
        self.assert_only_port(pair, files, 9998)

    def test_flag_beats_env(self):
        pair, files = self.capture(["--filter", "udp port 9999"],
                                   env={"FILTER": "udp port 9998"})
        self.assert_only_port(pair, files, 9999)

    def test_no_filter_captures_both(self):
        pair, files = self.capture()
        marks = harness.ring_marks([p for _, p in files], pair.token)
        harness.assert_exactly_once(self, marks, range(COUNT), "no filter")

    def test_ini_filter_and_env_beats_ini(self):
        conf = self.mkdir("conf")
        with open(os.path.join(conf, "packet-capture.conf"), "w") as f:
            f.write("[capture]\nfilter = udp port 9998\n")
        pair, files = self.capture(config_dir=conf)
        self.assert_only_port(pair, files, 9998)
        pair, files = self.capture(config_dir=conf, env={"FILTER": "udp port 9999"})
        self.assert_only_port(pair, files, 9999)

    def test_interface_ini_beats_global_ini(self):
        conf = self.mkdir("conf2")
        with open(os.path.join(conf, "packet-capture.conf"), "w") as f:
            f.write("[capture]\nfilter = udp port 9998\n")
        with open(os.path.join(conf, "vethrx.conf"), "w") as f:
            f.write("[capture]\nfilter = udp port 9999\n")
        pair, files = self.capture(config_dir=conf)
        self.assert_only_port(pair, files, 9999)

    def test_config_file_flag(self):
        conf = self.mkdir("conf3")
        path = os.path.join(conf, "custom.ini")
        with open(path, "w") as f:
            f.write("[capture]\nfilter = udp port 9998\n")
        pair, files = self.capture(["--config", path])
        self.assert_only_port(pair, files, 9998)

    def test_additional_args(self):
        pair, files = self.capture(env={"ADDITIONAL_ARGS": "--filter 'udp port 9998'"})
        self.assert_only_port(pair, files, 9998)

    def test_flag_beats_additional_args(self):
        pair, files = self.capture(["--filter", "udp port 9999"],
                                   env={"ADDITIONAL_ARGS": "--filter 'udp port 9998'"})
        self.assert_only_port(pair, files, 9999)


if __name__ == "__main__":
    harness.main()
