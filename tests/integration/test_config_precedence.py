#!/usr/bin/env python3
"""Configuration sources and precedence (defaults < INI < environment < flags), checked
end to end through the ring they produce.  Uses --read (no live traffic needed)."""

import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

N = 3000          # 3000 x 1058-byte records = ~3.2 MB: >= 4 files at 1 MB, 1 file at 25 MB
PAYLOAD = 1000
T0 = 1700000000 * 10 ** 9


class ConfigPrecedence(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.token = os.urandom(8)
        self.inp = os.path.join(self.tmp, "cfgin.pcap")
        harness.write_pcap(self.inp, ((T0 + i * 1000000,
                                       harness.test_frame(self.token, i, PAYLOAD))
                                      for i in range(N)))

    def newdir(self, name):
        return tempfile.mkdtemp(prefix=name + "-", dir=self.tmp)

    def replay(self, args=(), env=None, config_dir=None, out=None, pass_out=True):
        out = out or self.newdir("ring")
        conf = config_dir if config_dir is not None else self.newdir("emptyconf")
        cmd = ["run", "--read", self.inp] + (["--output-dir", out] if pass_out else [])
        p = harness.run_binary(cmd + list(args), env=env, config_dir=conf or False,
                               timeout=60)
        self.assertEqual(p.returncode, 0, "run --read %s (env %s): %s" % (args, env, p.stderr))
        return out

    def ring(self, out, prefix="pcap", iface="cfgin"):
        files = harness.ring_files(out, prefix=prefix, iface=iface)
        self.assertTrue(files, "no %s-%s-NNNNNN.pcap in %s" % (prefix, iface, os.listdir(out)))
        return files

    def assert_file_size_1mb(self, out, why, **kw):
        files = self.ring(out, **kw)
        self.assertGreaterEqual(len(files), 4, "%s: expected file size 1 MB (>= 4 files), "
                                "got %d files" % (why, len(files)))
        for _, p in files:
            self.assertLessEqual(os.path.getsize(p), 1000000 + 16 + 1042)
        return files

    def assert_file_size_default(self, out, why, **kw):
        files = self.ring(out, **kw)
        self.assertEqual(len(files), 1, "%s: expected one 25 MB file, got %d files"
                         % (why, len(files)))

    def conf(self, files):
        d = self.newdir("conf")
        for name, content in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(content)
        return d

    # ---------------------------------------------------------------- defaults
    def test_defaults(self):
        out = self.replay()
        self.assert_file_size_default(out, "defaults (25 MB)")
        files = self.ring(out)
        cap = harness.read_capture(files[0][1])
        self.assertTrue(cap.nano, "default tstamp nano")
        self.assertEqual(len(cap.records), N)

    # ---------------------------------------------------------------- environment
    def test_env_filesize(self):
        self.assert_file_size_1mb(self.replay(env={"FILESIZE": "1"}), "FILESIZE=1")

    def test_env_filelimit(self):
        out = self.replay(env={"FILESIZE": "1", "FILELIMIT": "2"})
        files = self.ring(out)
        self.assertEqual(len(files), 2, "FILELIMIT=2: %s" % files)
        self.assertGreater(files[0][0], 0)

    def test_env_prefix_output_dir_format(self):
        out = self.newdir("envout")
        self.replay(env={"OUTPUT_DIR": out, "PREFIX": "envp", "FORMAT": "pcapng",
                         "TSTAMP": "micro"}, out=out, pass_out=False)
        files = harness.ring_files(out, prefix="envp", iface="cfgin", ext="pcapng")
        self.assertEqual(len(files), 1, os.listdir(out))
        cap = harness.read_capture(files[0][1])
        self.assertEqual(cap.format, "pcapng")
        self.assertEqual(cap.interfaces[0]["tsresol"], 6, "TSTAMP=micro in pcapng")

    def test_env_max_bytes(self):
        out = self.replay(env={"FILESIZE": "1", "MAX_BYTES": "2200000"})
        files = self.ring(out)
        self.assertLessEqual(sum(os.path.getsize(p) for _, p in files), 2200000)
        self.assertGreater(files[0][0], 0)

    # ---------------------------------------------------------------- precedence
    def test_flag_beats_env(self):
        self.assert_file_size_1mb(self.replay(["--file-size", "1"], env={"FILESIZE": "25"}),
                                  "--file-size 1 over FILESIZE=25")
        self.assert_file_size_default(self.replay(["--file-size", "25"], env={"FILESIZE": "1"}),
                                      "--file-size 25 over FILESIZE=1")

    def test_ini_value_used(self):
        conf = self.conf({"packet-capture.conf": "[capture]\nfile_size = 1\nprefix = ini\n"})
        out = self.replay(config_dir=conf)
        self.assert_file_size_1mb(out, "INI file_size = 1", prefix="ini")

    def test_env_beats_ini(self):
        conf = self.conf({"packet-capture.conf": "[capture]\nfile_size = 1\n"})
        out = self.replay(config_dir=conf, env={"FILESIZE": "25"})
        self.assert_file_size_default(out, "FILESIZE=25 over INI file_size = 1")

    def test_flag_beats_ini(self):
        conf = self.conf({"packet-capture.conf": "[capture]\nfile_size = 25\nprefix = ini\n"})
        out = self.replay(["--file-size", "1", "--prefix", "flag"], config_dir=conf)
        self.assert_file_size_1mb(out, "--file-size 1 over INI", prefix="flag")

    def test_interface_ini_beats_global_ini(self):
        conf = self.conf({"packet-capture.conf": "[capture]\nfile_size = 25\nprefix = glob\n",
                          "cfgin.conf": "[capture]\nfile_size = 1\n"})
        out = self.replay(config_dir=conf)
        self.assert_file_size_1mb(out, "cfgin.conf over packet-capture.conf", prefix="glob")

    def test_config_dir_env(self):
        conf = self.conf({"packet-capture.conf": "[capture]\nfile_size = 1\n"})
        out = self.replay(env={"CONFIG_DIR": conf}, config_dir=False)
        self.assert_file_size_1mb(out, "CONFIG_DIR env")

    def test_config_flag_replaces_global_file(self):
        conf = self.conf({"packet-capture.conf": "[capture]\nprefix = fromdir\n",
                          "cfgin.conf": "[capture]\nfile_size = 1\n"})
        path = os.path.join(self.newdir("other"), "mine.ini")
        with open(path, "w") as f:
            f.write("[capture]\nprefix = fromfile\n")
        out = self.replay(["--config", path], config_dir=conf)
        self.assert_file_size_1mb(out, "--config FILE plus IFACE.conf", prefix="fromfile")
        self.assertEqual(harness.ring_files(out, prefix="fromdir", iface="cfgin"), [])

    def test_ini_promisc_and_booleans_accepted(self):
        conf = self.conf({"packet-capture.conf": "[capture]\npromisc = false\nsnaplen = 65535\n"
                          "format = pcap\ntstamp = nano\nrotate_seconds = 0\n"
                          "buffer_size = 4\nfile_limit = 5\nmax_bytes = 100000000\n"})
        out = self.replay(config_dir=conf)
        self.assertEqual(len(self.ring(out)), 1)

    def test_additional_args(self):
        out = self.replay(env={"ADDITIONAL_ARGS": "--file-size 1 --prefix 'add'"})
        self.assert_file_size_1mb(out, "ADDITIONAL_ARGS --file-size 1", prefix="add")

    def test_flag_beats_additional_args(self):
        out = self.replay(["--prefix", "real"],
                          env={"ADDITIONAL_ARGS": "--file-size 1 --prefix add"})
        self.assert_file_size_1mb(out, "ADDITIONAL_ARGS plus real flag", prefix="real")
        self.assertEqual(harness.ring_files(out, prefix="add", iface="cfgin"), [])

    # ---------------------------------------------------------------- list
    def test_list_resolves_output_dir_from_interface(self):
        out = self.replay(["--file-size", "1"])
        files = self.ring(out)
        p = harness.run_binary(["list", "--interface", "cfgin", "--json"],
                               env={"OUTPUT_DIR": out})
        self.assertEqual(p.returncode, 0, p.stderr)
        entries = json.loads(p.stdout)
        self.assertEqual(sorted(os.path.basename(e["file"]) for e in entries),
                         sorted(os.path.basename(x) for _, x in files))
        self.assertEqual(sum(e["packets"] for e in entries), N)
        self.assertEqual([e["sequence"] for e in sorted(entries, key=lambda e: e["sequence"])],
                         [s for s, _ in files])
        conf = self.conf({"cfgin.conf": "[capture]\noutput_dir = %s\n" % out})
        p = harness.run_binary(["list", "--interface", "cfgin", "--json"], config_dir=conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(json.loads(p.stdout)), len(files), "list via IFACE.conf output_dir")


if __name__ == "__main__":
    harness.main()
