"""Throw-away hosts for the fleet test: systemd-nspawn containers that boot this machine's own
root under an overlay whose upper layer is a tmpfs (every write, dpkg's included, vanishes
with it), systemd as PID 1, each in its own network namespace with a veth to this machine
addressed inside a private /30. The same recipe as tests/package/run-package-test.sh: see the
comments there for why each option is needed."""

import os
import random
import subprocess
import time
import uuid


def _run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def free_subnets(count):
    """count private /30 networks (10.A.B.C/30) that nothing on this machine uses."""
    used = _run(["ip", "-4", "-o", "addr", "show"]).stdout + _run(["ip", "-4", "route", "show"]).stdout
    out = []
    while len(out) < count:
        a, b, c = random.randrange(20, 220), random.randrange(250), random.randrange(60) * 4
        prefix = "10.%d.%d." % (a, b)
        if prefix in used or any(s[0].startswith(prefix) for s in out):
            continue
        out.append(("10.%d.%d.%d" % (a, b, c + 1), "10.%d.%d.%d" % (a, b, c + 2)))
    return out


class NspawnHost:
    """One container. boot() starts it (returns at once); wait_running() waits for systemd;
    address() sets the veth; stop() tears everything down (also after a failed boot)."""

    def __init__(self, name, work, binds=()):
        self.name = name  # also its host name; the host end of the veth is ve-NAME
        self.work = os.path.join(work, name)
        self.binds = list(binds)  # (host path, container path), read-only
        self.host_if = "ve-" + name
        self.iface = "host0"
        self.proc = None
        self.pid1 = None
        self.host_ip = self.guest_ip = None

    @property
    def root(self):
        """This container's root as seen from this machine."""
        return "/proc/%d/root" % self.pid1

    def boot(self):
        os.makedirs(self.work)
        overlay, root = os.path.join(self.work, "overlay"), os.path.join(self.work, "root")
        os.makedirs(overlay)
        os.makedirs(root)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1g,mode=0755", "pc-fleet-test", overlay], check=True)
        os.makedirs(os.path.join(overlay, "upper"))
        os.makedirs(os.path.join(overlay, "work"))
        subprocess.run(["mount", "-t", "overlay", "-o", "lowerdir=/,upperdir=%s/upper,workdir=%s/work" % (overlay, overlay),
                        "pc-fleet-test", root], check=True)
        with open(os.path.join(self.work, "preset"), "w") as f:
            f.write("disable *\n")
        with open(os.path.join(self.work, "machine-id"), "w") as f:
            f.write(uuid.uuid4().hex + "\n")
        cmd = ["systemd-nspawn", "-b", "-D", root, "--register=no", "--keep-unit", "-M", self.name,
               "--console=passive", "--network-veth", "--tmpfs=/etc/systemd/system", "--tmpfs=/var/log/journal",
               "--bind-ro=%s/machine-id:/etc/machine-id" % self.work,
               "--bind-ro=%s/preset:/etc/systemd/system-preset/00-test.preset" % self.work]
        cmd += ["--bind-ro=%s:%s" % b for b in self.binds]
        cmd.append("systemd.firstboot=off")
        self.log = open(os.path.join(self.work, "nspawn.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_running(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid1 is None:
            kids = _run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)]).stdout.split()
            if kids and open("/proc/%s/comm" % kids[0]).read().strip() == "systemd":
                self.pid1 = int(kids[0])
            elif self.proc.poll() is not None:
                raise RuntimeError("%s: systemd-nspawn exited: %s" % (self.name, self.tail_log()))
            else:
                time.sleep(0.1)
        state = ""
        while time.monotonic() < deadline:
            state = self.run(["systemctl", "is-system-running", "--wait"], timeout=60).stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(0.5)
        raise RuntimeError("%s did not boot (state %r): %s" % (self.name, state, self.tail_log()))

    def tail_log(self):
        with open(os.path.join(self.work, "nspawn.log")) as f:
            return "".join(f.readlines()[-15:])

    def run(self, cmd, check=False, timeout=120, input=None):
        """A command in all of the container's namespaces."""
        r = _run(["nsenter", "-t", str(self.pid1), "-a"] + cmd, timeout=timeout, input=input)
        if check and r.returncode != 0:
            raise RuntimeError("%s: %s: exit %d: %s" % (self.name, " ".join(cmd), r.returncode, r.stderr.strip()))
        return r

    def address(self, host_ip, guest_ip):
        self.host_ip, self.guest_ip = host_ip, guest_ip
        subprocess.run(["ip", "addr", "add", host_ip + "/30", "dev", self.host_if], check=True)
        subprocess.run(["ip", "link", "set", self.host_if, "up"], check=True)
        self.run(["ip", "addr", "add", guest_ip + "/30", "dev", self.iface], check=True)
        self.run(["ip", "link", "set", self.iface, "up"], check=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # nspawn: an orderly shutdown of the container
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                if self.pid1:
                    _run(["kill", "-KILL", str(self.pid1)])
                self.proc.kill()
                self.proc.wait(10)
        if _run(["ip", "link", "show", self.host_if]).returncode == 0:
            _run(["ip", "link", "del", self.host_if])
        for m in ("root", "overlay"):
            path = os.path.join(self.work, m)
            if os.path.ismount(path) and _run(["umount", path]).returncode != 0:
                _run(["umount", "-l", path])
