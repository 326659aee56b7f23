#!/usr/bin/env python3
"""`cmake --install` into a throw-away tree: what lands where, and that it works.

The install runs with DESTDIR=TMP/dest and --prefix TMP/usr, so even a destination that
ignores --prefix (an absolute path fixed at configure time) stays inside TMP and never
touches the real system; such a destination is reported as a failure.
"""

import filecmp
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SRC = harness.REPO_ROOT
HOOKS = ("10-s3", "20-cloudshark", "30-suricata", "50-zstd", "60-rsync")


def build_dir():
    d = os.path.dirname(harness.binary())
    if os.path.exists(os.path.join(d, "cmake_install.cmake")):
        return d
    return os.path.join(SRC, "build")


class Install(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="pc-install-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.destdir = os.path.join(cls.tmp, "dest")
        cls.prefix = os.path.join(cls.tmp, "usr")       # not /usr: sysconfdir = PREFIX/etc
        cls.root = cls.destdir + cls.prefix              # where PREFIX lands under DESTDIR
        bdir = build_dir()
        # cmake --install (re)writes BUILD/install_manifest.txt; put back what was there.
        manifest = os.path.join(bdir, "install_manifest.txt")
        saved = None
        if os.path.exists(manifest):
            with open(manifest, "rb") as f:
                saved = f.read()
        cmake = shutil.which("cmake", path=harness.CLEAN_PATH) or "cmake"
        env = harness.clean_env({"DESTDIR": cls.destdir})
        try:
            cls.proc = subprocess.run([cmake, "--install", bdir, "--prefix", cls.prefix],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, env=env, timeout=120)
        finally:
            if saved is None:
                try:
                    os.unlink(manifest)
                except FileNotFoundError:
                    pass
            else:
                with open(manifest, "wb") as f:
                    f.write(saved)
        # every file that landed, relative to DESTDIR ("/..." = the path on a real install)
        cls.installed = []
        for dp, _dn, fn in os.walk(cls.destdir):
            for n in fn:
                cls.installed.append("/" + os.path.relpath(os.path.join(dp, n), cls.destdir))
        cls.installed.sort()

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, "cmake --install failed:\n" + self.proc.stdout)

    def p(self, rel):
        return os.path.join(self.root, rel)

    def where(self, name):
        return [x for x in self.installed if os.path.basename(x) == name]

    def assert_file(self, rel, executable=False):
        path = self.p(rel)
        self.assertTrue(os.path.isfile(path), "%s not installed at PREFIX/%s; %s went to: %s"
                        % (os.path.basename(rel), rel, os.path.basename(rel),
                           self.where(os.path.basename(rel)) or "nowhere"))
        if executable:
            self.assertTrue(os.stat(path).st_mode & stat.S_IXUSR, "%s not executable" % rel)
        return path

    # ------------------------------------------------------------------
    def test_everything_under_prefix(self):
        """Nothing escapes --prefix: a destination fixed at configure time would write into
        the real system (/usr/local/...) on `cmake --install build --prefix X`."""
        self.assertTrue(self.installed, "nothing installed:\n" + self.proc.stdout)
        outside = [x for x in self.installed if not x.startswith(self.prefix + "/")]
        self.assertEqual(outside, [], "installed outside --prefix %s (without DESTDIR these "
                         "would land in the real system):\n  %s"
                         % (self.prefix, "\n  ".join(outside)))

    def test_binary(self):
        b = self.assert_file("sbin/packet-capture", executable=True)
        p = subprocess.run([b, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30, env=harness.clean_env())
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^packet-capture \d+\.\d+\.\d+", p.stdout)
        q = subprocess.run([harness.binary(), "--version"], stdout=subprocess.PIPE,
                           text=True, timeout=30, env=harness.clean_env())
        self.assertEqual(p.stdout, q.stdout, "installed binary is not the built one")

    def test_systemd_unit(self):
        u = self.assert_file("lib/systemd/system/packet-capture@.service")
        self.assertTrue(filecmp.cmp(u, os.path.join(SRC, "units", "packet-capture@.service"),
                                    shallow=False), "installed unit differs from units/")
        with open(u) as f:
            text = f.read()
        self.assertIn("[Service]", text)
        # %I: the interface's own name; %i (escaped, as in its device unit's name) for BindsTo.
        self.assertRegex(text, r"(?m)^ExecStart=\S*packet-capture run --interface %I ")
        self.assertRegex(text, r"(?m)^BindsTo=sys-subsystem-net-devices-%i\.device$")
        self.assertRegex(text, r"(?m)^ExecReload=.*-HUP")
        a = self.assert_file("lib/systemd/system/packet-capture-agent.service")
        self.assertTrue(filecmp.cmp(a, os.path.join(SRC, "units", "packet-capture-agent.service"), shallow=False))

    def test_man_page(self):
        m = self.assert_file("share/man/man8/packet-capture.8")
        with open(m) as f:
            head = f.read(4000)
        th = [l for l in head.splitlines() if l.startswith(".TH")]
        self.assertTrue(th, "no .TH line in the man page")
        self.assertRegex(th[0], r'^\.TH\s+"?PACKET-CAPTURE"?\s+"?8"?', th[0])
        man = shutil.which("man", path=harness.CLEAN_PATH)
        if man:
            p = subprocess.run([man, "-l", m], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=60,
                               env=harness.clean_env({"MANPAGER": "cat", "PAGER": "cat",
                                                      "MANWIDTH": "100", "LANG": "C.UTF-8"}))
            self.assertEqual(p.returncode, 0, "man -l %s: %s" % (m, p.stderr))
            self.assertIn("PACKET-CAPTURE(8)", p.stdout)
            for sec in ("NAME", "SYNOPSIS"):
                self.assertRegex(p.stdout, r"(?m)^%s\s*$" % sec, "section %s not rendered" % sec)
            self.assertIn("packet-capture run", p.stdout)

    def test_sysconfdir(self):
        """With a prefix other than /usr, GNUInstallDirs' sysconfdir is PREFIX/etc."""
        conf = self.assert_file("etc/packet-capture/packet-capture.conf")
        readme = self.assert_file("etc/packet-capture/hooks.d/README")
        self.assertTrue(filecmp.cmp(conf, os.path.join(SRC, "etc", "packet-capture",
                                                       "packet-capture.conf"), shallow=False))
        self.assertTrue(filecmp.cmp(readme, os.path.join(SRC, "etc", "packet-capture",
                                                         "hooks.d", "README"), shallow=False))

    def test_example_hooks(self):
        for h in HOOKS:
            path = self.assert_file("share/doc/packet-capture/hooks/" + h, executable=True)
            self.assertTrue(filecmp.cmp(path, os.path.join(SRC, "scripts", "hooks", h),
                                        shallow=False), "%s differs from scripts/hooks" % h)
            with open(path) as f:
                self.assertTrue(f.readline().startswith("#!"), "%s has no #! line" % h)

    def test_selinux_module(self):
        if not os.path.exists("/usr/share/selinux/devel/Makefile"):
            self.assertEqual(self.where("packet_capture.pp"), [],
                             "no selinux-policy-dev, yet a module was installed")
            return
        pp = self.assert_file("share/selinux/packages/packet_capture.pp")
        with open(pp, "rb") as f:
            magic = f.read(4)
        # a policy package: f97cff8f (LE), or bzip2-compressed
        self.assertIn(magic[:3] if magic.startswith(b"BZh") else magic,
                      (b"\x8f\xff\x7c\xf9", b"BZh"), "not a SELinux policy package: %r" % magic)

    def test_installed_example_config_parses(self):
        b = self.assert_file("sbin/packet-capture", executable=True)
        conf = self.p("etc/packet-capture/packet-capture.conf")
        if not os.path.isfile(conf):
            found = [x for x in self.where("packet-capture.conf")]
            self.assertTrue(found, "packet-capture.conf not installed anywhere")
            conf = self.destdir + found[0]
        work = tempfile.mkdtemp(prefix="pc-install-run-", dir=self.tmp)
        token = os.urandom(8)
        src = os.path.join(work, "sample.pcap")
        harness.write_pcap(src, [(1700000000 * 10**9 + i * 1000, harness.test_frame(token, i, 100))
                                 for i in range(20)], nano=True)
        emptyconf = os.path.join(work, "confdir")
        os.makedirs(emptyconf)

        def run(conf_path, outdir):
            return subprocess.run([b, "run", "--read", src, "--config", conf_path,
                                   "--config-dir", emptyconf, "--output-dir", outdir],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=60, env=harness.clean_env(),
                                  preexec_fn=harness._pdeathsig)

        out = os.path.join(work, "out")
        p = run(conf, out)
        self.assertEqual(p.returncode, 0, "installed example config %s rejected (exit %d): %s"
                         % (conf, p.returncode, p.stderr))
        files = [os.path.join(out, f) for f in sorted(os.listdir(out))
                 if re.match(r"^pcap-sample-\d{6,}\.pcap$", f)]
        self.assertTrue(files, "no ring file from --read: %s" % os.listdir(out))
        marks = harness.ring_marks(files, token)
        harness.assert_exactly_once(self, marks, range(20), "--read with the installed config")

        # control: the file given with --config really is parsed
        bad = os.path.join(work, "bad.conf")
        with open(conf) as f, open(bad, "w") as g:
            g.write(f.read().rstrip("\n") + "\n[capture]\nno_such_key = 1\n")
        p = run(bad, os.path.join(work, "out-bad"))
        self.assertEqual(p.returncode, 78, "an unknown key appended to the installed config "
                         "must be exit 78, got %d: %s" % (p.returncode, p.stderr))
        self.assertIn("no_such_key", p.stderr)


if __name__ == "__main__":
    harness.main()
