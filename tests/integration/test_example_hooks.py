#!/usr/bin/env python3
"""Example user hooks in scripts/hooks/: run as the pipeline runs them (absolute path as $1,
PCAP_* environment) and check what they leave behind. zstd and rsync come from
`bash scripts/install-test-peers.sh`."""

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HOOKS = os.path.join(harness.REPO_ROOT, "scripts", "hooks")


class ExampleHooks(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        self.ring = self.mkdir("ring")
        self.file = os.path.join(self.ring, "pcap-eth0-000042.pcap")
        frames = [(1700000000 * 10 ** 9 + i, harness.test_frame(b"exhooks!", i, 700))
                  for i in range(500)]
        harness.write_pcap(self.file, frames)
        with open(self.file, "rb") as f:
            self.data = f.read()
        self.env = {"PCAP_FILE": self.file, "PCAP_INTERFACE": "eth0", "PCAP_SEQUENCE": "42",
                    "PCAP_PACKETS": "500", "PCAP_BYTES": str(len(self.data)),
                    "PCAP_FIRST_TIME": "2023-11-14T22:13:20.000000000Z",
                    "PCAP_LAST_TIME": "2023-11-14T22:13:20.000000499Z",
                    "PCAP_DROPPED": "0", "PCAP_HOOK_ATTEMPT": "1"}

    def run_hook(self, name, extra=None, path_prefix=None):
        env = dict(self.env, **(extra or {}))
        env = harness.clean_env(env)
        if path_prefix:
            env["PATH"] = path_prefix + ":" + env["PATH"]
        return subprocess.run([os.path.join(HOOKS, name), self.file], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                              text=True, timeout=60)

    def test_hooks_are_executable_posix_sh_with_the_contract(self):
        for name in ("10-s3", "20-cloudshark", "30-suricata", "50-zstd", "60-rsync"):
            path = os.path.join(HOOKS, name)
            self.assertTrue(os.access(path, os.X_OK), "%s not executable" % name)
            with open(path) as f:
                text = f.read()
            self.assertTrue(text.startswith("#!/bin/sh\n"), name)
            for var in ("PCAP_FILE", "PCAP_INTERFACE", "PCAP_SEQUENCE", "PCAP_PACKETS",
                        "PCAP_BYTES", "PCAP_FIRST_TIME", "PCAP_LAST_TIME", "PCAP_DROPPED",
                        "PCAP_HOOK_ATTEMPT", "75"):
                self.assertIn(var, text, "%s: contract header lacks %s" % (name, var))
            harness.run(["sh", "-n", path])

    def test_zstd_archive_roundtrip(self):
        harness.require_tool("zstd")
        archive = os.path.join(self.tmp, "archive")
        p = self.run_hook("50-zstd", {"PCAP_ZSTD_DIR": archive})
        self.assertEqual(p.returncode, 0, p.stderr)
        out = os.path.join(archive, "pcap-eth0-000042.pcap.zst")
        self.assertEqual(os.listdir(archive), ["pcap-eth0-000042.pcap.zst"], "temp file left")
        raw = subprocess.run(["zstd", "-q", "-d", "-c", out], stdout=subprocess.PIPE, check=True).stdout
        self.assertTrue(raw == self.data, "archive does not decompress to the same bytes")
        self.assertTrue(os.path.exists(self.file), "ring file must stay")
        # a retry (attempt 2) succeeds and keeps the archive
        p = self.run_hook("50-zstd", {"PCAP_ZSTD_DIR": archive, "PCAP_HOOK_ATTEMPT": "2"})
        self.assertEqual(p.returncode, 0, p.stderr)
        # default dir: archive/ next to the ring file (writable under the hardened unit)
        p = self.run_hook("50-zstd", {})
        self.assertEqual(p.returncode, 0, p.stderr)
        ring_dir = os.path.dirname(self.file)
        self.assertTrue(os.path.isfile(os.path.join(ring_dir, "archive", "pcap-eth0-000042.pcap.zst")),
                        os.listdir(ring_dir))

    def test_rsync_to_local_dir(self):
        harness.require_tool("rsync")
        dest = self.mkdir("remote")
        p = self.run_hook("60-rsync", {"PCAP_RSYNC_DEST": dest + "/", "PCAP_RSYNC_ARGS": ""})
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(dest, "pcap-eth0-000042.pcap"), "rb") as f:
            self.assertTrue(f.read() == self.data)
        p = self.run_hook("60-rsync", {})
        self.assertEqual(p.returncode, 78, "no destination: %s" % p.stderr)
        # unreachable destination (a local path that cannot exist) -> not 0
        p = self.run_hook("60-rsync", {"PCAP_RSYNC_DEST": "/nonexistent/dir/deeper/",
                                       "PCAP_RSYNC_ARGS": ""})
        self.assertNotEqual(p.returncode, 0)

    def test_builtin_one_liners_pass_file_and_status_through(self):
        # a `packet-capture` on PATH that is the built binary
        bindir = self.mkdir("bin")
        os.symlink(harness.require_binary(), os.path.join(bindir, "packet-capture"))
        p = self.run_hook("30-suricata", {"SURICATA_SOCKET": os.path.join(self.tmp, "absent.sock"),
                                          "CONFIG_DIR": self.mkdir("conf")}, path_prefix=bindir)
        self.assertEqual(p.returncode, 78, "no output_dir configured: %s" % p.stderr)
        conf = self.mkdir("conf2")
        with open(os.path.join(conf, "eth0.conf"), "w") as f:
            f.write("[suricata]\noutput_dir = %s\n" % self.tmp)
        p = self.run_hook("30-suricata", {"SURICATA_SOCKET": os.path.join(self.tmp, "absent.sock"),
                                          "CONFIG_DIR": conf}, path_prefix=bindir)
        self.assertEqual(p.returncode, 75, "Suricata unreachable: %s" % p.stderr)
        self.assertIn(self.file, p.stderr)
        for name in ("10-s3", "20-cloudshark", "30-suricata"):
            with open(os.path.join(HOOKS, name)) as f:
                lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith("#")]
            stage = name.split("-", 1)[1]
            self.assertEqual(lines, ['exec packet-capture hook %s "$1"' % stage], name)


if __name__ == "__main__":
    harness.main()
