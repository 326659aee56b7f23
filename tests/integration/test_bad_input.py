#!/usr/bin/env python3
"""Bad input: one line on stderr naming the value, exit 64 (usage) or 78 (config),
no file created in the output directory."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EX_USAGE = 64
EX_CONFIG = 78

# name: (extra args, env, expected exit, substrings the single stderr line must contain,
#        {config file name: content} placed in the --config-dir)
# "{out}", "{conf}" are replaced by the output dir and config dir.
CASES = {
    "unknown_flag": (["--bogus-flag"], {}, EX_USAGE, ["bogus-flag"], {}),
    "unknown_flag_with_value": (["--file-sizes", "3"], {}, EX_USAGE, ["file-sizes"], {}),
    "file_size_flag_not_a_number": (["--file-size", "abc"], {}, EX_USAGE,
                                    ["abc", "file-size"], {}),
    "file_size_env_not_a_number": ([], {"FILESIZE": "abc"}, EX_CONFIG,
                                   ["abc", "FILESIZE"], {}),
    "file_limit_flag_zero": (["--file-limit", "0"], {}, EX_USAGE, ["file-limit", "0"], {}),
    "file_limit_flag_negative": (["--file-limit", "-1"], {}, EX_USAGE, ["-1"], {}),
    "file_limit_env_zero": ([], {"FILELIMIT": "0"}, EX_CONFIG, ["FILELIMIT", "0"], {}),
    "file_limit_env_negative": ([], {"FILELIMIT": "-3"}, EX_CONFIG, ["FILELIMIT", "-3"], {}),
    "format_flag_bad": (["--format", "pcapx"], {}, EX_USAGE, ["pcapx"], {}),
    "format_env_bad": ([], {"FORMAT": "pcapx"}, EX_CONFIG, ["pcapx", "FORMAT"], {}),
    "tstamp_flag_bad": (["--tstamp", "pico"], {}, EX_USAGE, ["pico"], {}),
    "promisc_env_bad": ([], {"PROMISC": "maybe"}, EX_CONFIG, ["maybe", "PROMISC"], {}),
    "snaplen_flag_bad": (["--snaplen", "big"], {}, EX_USAGE, ["big"], {}),
    "max_bytes_flag_bad": (["--max-bytes", "lots"], {}, EX_USAGE, ["lots"], {}),
    "bpf_flag_does_not_compile": (["--filter", "udpx port 9999"], {}, EX_CONFIG,
                                  ["udpx port 9999"], {}),
    "bpf_env_does_not_compile": ([], {"FILTER": "tcp port ((("}, EX_CONFIG,
                                 ["tcp port ((("], {}),
    "missing_interface": (["--interface", "pcnoexist0"], {}, EX_CONFIG, ["pcnoexist0"], {}),
    "ini_unknown_key": ([], {}, EX_CONFIG, ["packet-capture.conf:3", "file_sise"],
                        {"packet-capture.conf": "[capture]\nprefix = x\nfile_sise = 3\n"}),
    # the header is on line 2; pointing at the first key inside it (line 3) is accepted
    "ini_unknown_section": ([], {}, EX_CONFIG, [("packet-capture.conf:2",
                                                 "packet-capture.conf:3"), "captur"],
                            {"packet-capture.conf": "# comment\n[captur]\nprefix = x\n"}),
    # an unknown section without keys is still an unknown section
    "ini_empty_unknown_section": ([], {}, EX_CONFIG, ["packet-capture.conf:3", "bogus"],
                                  {"packet-capture.conf": "[capture]\nprefix = x\n[bogus]\n"}),
    "ini_bad_value": ([], {}, EX_CONFIG, ["packet-capture.conf:2", "abc"],
                      {"packet-capture.conf": "[capture]\nfile_size = abc\n"}),
    "ini_bad_file_limit": ([], {}, EX_CONFIG, ["packet-capture.conf:3", "0"],
                           {"packet-capture.conf": "[capture]\n\nfile_limit = 0\n"}),
    "iface_ini_unknown_key": ([], {}, EX_CONFIG, ["vethrx.conf:2", "snaplenn"],
                              {"vethrx.conf": "[capture]\nsnaplenn = 100\n"}),
    "config_flag_unknown_key": (["--config", "{conf}/custom.ini"], {}, EX_CONFIG,
                                ["custom.ini:4", "rotate_second"],
                                {"custom.ini": "[capture]\nprefix = x\n\nrotate_second = 5\n"}),
    "ini_bad_bpf": ([], {}, EX_CONFIG, ["udpx port 1"],
                    {"packet-capture.conf": "[capture]\nfilter = udpx port 1\n"}),
}


class BadInput(unittest.TestCase):
    pair = None

    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        cls.pair = harness.VethPair().open()

    @classmethod
    def tearDownClass(cls):
        if cls.pair:
            cls.pair.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="pc-bad-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.out = os.path.join(self.tmp, "ring")
        self.conf = os.path.join(self.tmp, "conf")
        os.makedirs(self.out)
        os.makedirs(self.conf)

    def invoke(self, args, env, interface="vethrx", output_dir=None):
        output_dir = output_dir or self.out
        cmd = ["run"]
        if interface:
            cmd += ["--interface", interface]
        cmd += ["--output-dir", output_dir] + args
        return harness.run_binary(cmd, env=env, netns=self.pair.rx_ns, timeout=10,
                                  config_dir=self.conf)

    def check(self, p, code, needles, out_dir=None):
        out_dir = out_dir or self.out
        lines = p.stderr.rstrip("\n").split("\n")
        self.assertEqual(p.returncode, code,
                         "exit code (64 = usage, 78 = config); stderr: %r" % p.stderr)
        self.assertEqual(len(lines), 1, "expected exactly one line on stderr, got %d: %r"
                         % (len(lines), p.stderr))
        self.assertTrue(lines[0].strip(), "empty stderr")
        for n in needles:
            alts = n if isinstance(n, tuple) else (n,)
            self.assertTrue(any(a in lines[0] for a in alts),
                            "stderr line must name %s: %r" % (" or ".join(map(repr, alts)),
                                                               lines[0]))
        if os.path.isdir(out_dir):
            self.assertEqual(os.listdir(out_dir), [], "files created in output dir")

    def test_unwritable_output_dir_readonly_mount(self):
        ro = os.path.join(self.tmp, "ro")
        os.makedirs(ro)
        harness.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro])
        harness._MOUNTS.append(ro)
        self.addCleanup(lambda: (subprocess.run(["umount", "-l", ro]),
                                 harness._MOUNTS.remove(ro)))
        p = self.invoke([], {}, output_dir=ro)
        self.check(p, EX_CONFIG, [ro], out_dir=ro)

    def test_unwritable_output_dir_below_a_file(self):
        f = os.path.join(self.tmp, "plainfile")
        with open(f, "w") as fh:
            fh.write("x")
        bad = os.path.join(f, "ring")
        p = self.invoke([], {}, output_dir=bad)
        self.check(p, EX_CONFIG, [bad])
        with open(f) as fh:
            self.assertEqual(fh.read(), "x")

    def test_output_dir_env_unwritable(self):
        f = os.path.join(self.tmp, "plainfile2")
        open(f, "w").close()
        bad = os.path.join(f, "ring")
        p = harness.run_binary(["run", "--interface", "vethrx"], env={"OUTPUT_DIR": bad},
                               netns=self.pair.rx_ns, timeout=10, config_dir=self.conf)
        self.check(p, EX_CONFIG, [bad])

    # Configuration files as an attacker might shape them: the daemon stops with exit 78
    # and one line naming the file and line, before creating anything.
    def write_conf(self, content, name="packet-capture.conf"):
        path = os.path.join(self.conf, name)
        with open(path, "wb") as f:
            f.write(content)
        return path

    def test_ini_nul_byte_in_value(self):
        path = self.write_conf(b"[capture]\nfilter=udp\0 and host 10.0.0.1\n")
        p = self.invoke([], {})
        self.check(p, EX_CONFIG, [path + ":2:", "NUL byte"])

    def test_ini_duplicate_key(self):
        path = self.write_conf(b"[capture]\nprefix = a\nsnaplen = 200\nprefix = b\n", "custom.ini")
        p = self.invoke(["--config", path], {})
        self.check(p, EX_CONFIG, [path + ":4:", "duplicate key 'prefix'", "line 2"])

    def test_ini_line_over_64_kib(self):
        path = self.write_conf(b"[capture]\n# fine\nprefix = " + b"a" * (64 * 1024 + 10) + b"\n")
        p = self.invoke([], {})
        self.check(p, EX_CONFIG, [path + ":3:", "at most 65536"])

    def test_ini_long_valid_filter_captures(self):
        """A BPF filter of over 5000 bytes (far beyond inih's line buffer) is read whole and
        applied: packets to its first port are captured, others are not."""
        expr = "udp and (port 9999"
        port = 10000
        while len(expr) < 5200:
            expr += " or port %d" % port
            port += 1
        expr += ")"
        self.write_conf(("[capture]\nfilter = %s\n" % expr).encode())
        d = harness.Daemon(self.pair, self.out, config_dir=self.conf).start()
        try:
            self.pair.send_udp(200, size=100, ports=[9999, 9998])
            time.sleep(0.4)
            rc, err = d.stop()
        finally:
            d.kill()
        self.assertEqual(rc, 0, err)
        files = harness.ring_files(self.out)
        self.assertTrue(files, "no finished ring files")
        marks = harness.ring_marks([p for _, p in files], self.pair.token)
        harness.assert_exactly_once(self, marks, range(0, 200, 2), "packets to port 9999")
        self.assertFalse([m for m in marks if m[1] != 9999], "packets outside the filter captured")

    def test_good_input_still_starts(self):
        """Sanity check of this file's setup: the same invocation without the bad value
        runs (so the failures above are caused by the bad value)."""
        d = harness.Daemon(self.pair, self.out, config_dir=self.conf).start()
        try:
            rc, err = d.stop()
        finally:
            d.kill()
        self.assertEqual(rc, 0, err)


def _make(name, args, env, code, needles, files):
    def t(self):
        for fname, content in files.items():
            with open(os.path.join(self.conf, fname), "w") as f:
                f.write(content)
        a = [x.replace("{out}", self.out).replace("{conf}", self.conf) for x in args]
        iface = "vethrx"
        if "--interface" in a:
            i = a.index("--interface")
            iface = a[i + 1]
            del a[i:i + 2]
        p = self.invoke(a, env, interface=iface)
        self.check(p, code, needles)
    t.__name__ = "test_" + name
    t.__doc__ = "%s -> exit %d" % (" ".join(args) or env or files, code)
    return t


for _name, _case in CASES.items():
    setattr(BadInput, "test_" + _name, _make(_name, *_case))


class KeygenBadInput(unittest.TestCase):
    """`packet-capture keygen`: a bad key id is a usage error, an existing key is never
    replaced (EX_CANTCREAT), each with one line naming the value."""

    EX_CANTCREAT = 73

    def setUp(self):
        harness.require_binary()
        self.dir = tempfile.mkdtemp(prefix="pc-keygen-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def keygen(self, *args):
        return subprocess.run([harness.binary(), "keygen", *args, "--dir", self.dir],
                              capture_output=True, text=True, timeout=30)

    def one_line(self, p, code, needle):
        self.assertEqual(p.returncode, code, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(needle, lines[0])

    def test_bad_key_id(self):
        self.one_line(self.keygen("../soc"), EX_USAGE, "'../soc'")
        self.assertEqual(os.listdir(self.dir), [])

    def test_existing_key_is_not_replaced(self):
        p = self.keygen("soc")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.dir, "soc.key"), "rb") as f:
            first = f.read()
        self.one_line(self.keygen("soc"), self.EX_CANTCREAT, "soc.key: exists already; not replaced")
        with open(os.path.join(self.dir, "soc.key"), "rb") as f:
            self.assertEqual(f.read(), first)
        self.assertEqual(os.stat(os.path.join(self.dir, "soc.key")).st_mode & 0o777, 0o600)


if __name__ == "__main__":
    harness.main()
