"""Shared helpers for the packet-capture integration tests (Python 3 stdlib only).

Every test file does::

    import harness
    ...
    if __name__ == "__main__":
        harness.main()

and is run as ``python3 tests/integration/test_X.py --binary PATH`` (or with the
environment variable PACKET_CAPTURE_BIN).  Needs root (network namespaces).

Pieces:
  * VethPair  - two throw-away network namespaces joined by a veth pair, quiet
                (no IPv6, no ARP, static MACs and neighbours, no ICMP errors).
  * Daemon    - runs ``packet-capture run`` inside the receiving namespace with a
                clean environment; readiness = a ``.part`` file exists.
  * pcap/pcapng reader, UDP sequence extraction, pcap writer (for --read tests).
  * wrappers for tshark / capinfos / tcpdump that assert exit 0.

Traffic only ever goes over the veth pair between namespaces created here.
"""

import atexit
import calendar
import ctypes
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

# --------------------------------------------------------------------------
# Binary / argument handling

BINARY = None
REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IP = shutil.which("ip", path=CLEAN_PATH) or "/usr/sbin/ip"
SYS_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def parse_args(argv=None):
    """Strip ``--binary PATH`` / ``--binary=PATH`` from argv; return the rest."""
    global BINARY
    argv = list(sys.argv if argv is None else argv)
    rest = [argv[0]]
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--binary":
            if i + 1 >= len(argv):
                sys.exit("--binary needs a PATH")
            BINARY = argv[i + 1]
            i += 2
            continue
        if a.startswith("--binary="):
            BINARY = a.split("=", 1)[1]
            i += 1
            continue
        rest.append(a)
        i += 1
    if not BINARY:
        BINARY = os.environ.get("PACKET_CAPTURE_BIN")
    if not BINARY:
        BINARY = os.path.join(REPO_ROOT, "build", "packet-capture")
    BINARY = os.path.abspath(BINARY)
    return rest


def main():
    rest = parse_args()
    unittest.main(argv=rest, verbosity=2)


def binary():
    if BINARY is None:
        parse_args([sys.argv[0]])
    return BINARY


# --------------------------------------------------------------------------
# Generic process helpers

_LIVE_PROCS = []          # Daemons still possibly running (killed at exit)
_LIVE_PAIRS = []          # VethPairs still existing (deleted at exit)
_MOUNTS = []              # mount points to unmount at exit


def _pdeathsig():
    """preexec_fn: SIGKILL the child if the test process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def run(cmd, check=True, timeout=60, env=None, input=None):
    """Run a helper command, return CompletedProcess (text)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, env=env, input=input, preexec_fn=_pdeathsig)
    if check and p.returncode != 0:
        raise AssertionError("command %r failed with exit %d:\nstdout: %s\nstderr: %s"
                             % (cmd, p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def clean_env(extra=None):
    env = {"PATH": CLEAN_PATH}
    if extra:
        env.update(extra)
    return env


def require_root():
    if os.geteuid() != 0:
        raise AssertionError("integration tests need root (network namespaces, raw capture)")


def require_binary():
    b = binary()
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        raise AssertionError("packet-capture binary not found or not executable: %s "
                             "(pass --binary PATH or set PACKET_CAPTURE_BIN)" % b)
    return b


def require_tool(name):
    path = shutil.which(name, path=CLEAN_PATH)
    if not path:
        raise AssertionError("required tool %r is not installed: run "
                             "`bash scripts/install-deps.sh` (package tshark/tcpdump)" % name)
    return path


def _cleanup_all():
    for d in list(_LIVE_PROCS):
        try:
            d.kill()
        except Exception:
            pass
    for p in list(_LIVE_PAIRS):
        try:
            p.close()
        except Exception:
            pass
    for m in list(_MOUNTS):
        subprocess.run(["umount", "-l", m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


atexit.register(_cleanup_all)


def _sigterm_handler(signum, frame):
    # ctest sends SIGTERM/SIGKILL on timeout; make SIGTERM run the cleanup.
    _cleanup_all()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _sigterm_handler)


# --------------------------------------------------------------------------
# Network namespaces

_NS_RE = re.compile(r"^pc-(?:tx|rx)-(\d+)-(\d+)$")
_pair_counter = [0]


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_stale_namespaces():
    """Delete pc-tx-/pc-rx- namespaces left behind by test processes that died."""
    p = run([IP, "netns", "list"], check=False)
    for line in p.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = _NS_RE.match(name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            run([IP, "netns", "del", name], check=False)


class VethPair:
    """Two fresh namespaces TX and RX joined by veth (vethtx <-> vethrx).

    TX: vethtx 10.203.X.1/30, RX: vethrx 10.203.X.2/30.  IPv6 disabled, ARP off,
    static MACs and permanent neighbour entries, ICMP errors suppressed in RX (so the
    only packets on the wire are the ones the test sends).
    """

    TX_IF = "vethtx"
    RX_IF = "vethrx"

    def __init__(self):
        require_root()
        _pair_counter[0] += 1
        n = _pair_counter[0]
        pid = os.getpid()
        self.tx_ns = "pc-tx-%d-%d" % (pid, n)
        self.rx_ns = "pc-rx-%d-%d" % (pid, n)
        octet = (pid * 7 + n) % 250 + 1
        self.tx_ip = "10.203.%d.1" % octet
        self.rx_ip = "10.203.%d.2" % octet
        self.tx_mac = "02:50:43:%02x:%02x:01" % (n % 256, pid % 256)
        self.rx_mac = "02:50:43:%02x:%02x:02" % (n % 256, pid % 256)
        self.token = os.urandom(8)   # marks this run's packets
        self._open = False

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def open(self):
        remove_stale_namespaces()
        _LIVE_PAIRS.append(self)
        self._open = True
        try:
            for ns in (self.tx_ns, self.rx_ns):
                run([IP, "netns", "add", ns])
                run([IP, "netns", "exec", ns, "sysctl", "-qw",
                     "net.ipv6.conf.all.disable_ipv6=1",
                     "net.ipv6.conf.default.disable_ipv6=1"])
            # best effort: no ICMP port-unreachable replies from RX (per-netns sysctls)
            run([IP, "netns", "exec", self.rx_ns, "sysctl", "-qw",
                 "net.ipv4.icmp_msgs_per_sec=0", "net.ipv4.icmp_msgs_burst=0"], check=False)
            run([IP, "link", "add", self.TX_IF, "netns", self.tx_ns, "address", self.tx_mac,
                 "type", "veth", "peer", "name", self.RX_IF, "netns", self.rx_ns,
                 "address", self.rx_mac])
            for ns, ifn, ip, peer_ip, peer_mac in (
                    (self.tx_ns, self.TX_IF, self.tx_ip, self.rx_ip, self.rx_mac),
                    (self.rx_ns, self.RX_IF, self.rx_ip, self.tx_ip, self.tx_mac)):
                run([IP, "-n", ns, "link", "set", ifn, "arp", "off"])
                run([IP, "-n", ns, "addr", "add", ip + "/30", "dev", ifn])
                run([IP, "-n", ns, "link", "set", "lo", "up"])
                run([IP, "-n", ns, "link", "set", ifn, "up"])
                run([IP, "-n", ns, "neigh", "replace", peer_ip, "lladdr", peer_mac,
                     "dev", ifn, "nud", "permanent"])
            # wait for carrier on both ends
            deadline = time.time() + 5
            while time.time() < deadline:
                a = run([IP, "-n", self.tx_ns, "-o", "link", "show", self.TX_IF]).stdout
                b = run([IP, "-n", self.rx_ns, "-o", "link", "show", self.RX_IF]).stdout
                if "LOWER_UP" in a and "LOWER_UP" in b and "NO-CARRIER" not in a + b:
                    break
                time.sleep(0.05)
        except BaseException:
            self.close()
            raise
        return self

    def close(self):
        if not self._open:
            return
        # daemons inside RX must die first, or the namespace lives on
        for d in list(_LIVE_PROCS):
            if d.pair is self:
                try:
                    d.kill()
                except Exception:
                    pass
        for ns in (self.tx_ns, self.rx_ns):
            subprocess.run([IP, "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        self._open = False
        if self in _LIVE_PAIRS:
            _LIVE_PAIRS.remove(self)

    # ---------------------------------------------------------------- traffic
    DEFAULT_RATE = 20000

    def send_udp(self, count, size=100, rate=None, port=9999, start=0, ports=None,
                 timeout=120):
        """Send ``count`` UDP datagrams from TX to RX (run inside the TX namespace).

        Each payload (``size`` bytes, >= 16) is MAGIC(4) + token(8) + seq(4, BE) + padding.
        ``ports``: list of destination ports used round-robin (seq i -> ports[i % len]).
        ``rate``: packets/second, sent in bursts of 16 so the veth backlog never
        overflows; None = DEFAULT_RATE (20 kpps), 0 = as fast as possible.  Returns the
        list of (seq, dst_port) sent.
        """
        if rate is None:
            rate = self.DEFAULT_RATE
        ports = list(ports) if ports else [port]
        size = max(int(size), 16)
        code = r'''
import socket, struct, sys, time
dst = sys.argv[1]; ports = [int(p) for p in sys.argv[2].split(",")]
start = int(sys.argv[3]); count = int(sys.argv[4]); size = int(sys.argv[5])
rate = float(sys.argv[6]); token = bytes.fromhex(sys.argv[7])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
pad = b"\0" * (size - 16)
t0 = time.monotonic()
burst = 16
for i in range(count):
    seq = start + i
    s.sendto(b"PCTS" + token + struct.pack(">I", seq) + pad, (dst, ports[seq % len(ports)]))
    if rate > 0 and (i + 1) % burst == 0:
        due = t0 + (i + 1) / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
print(count)
'''
        p = run([IP, "netns", "exec", self.tx_ns, SYS_PYTHON, "-c", code, self.rx_ip,
                 ",".join(str(x) for x in ports), str(start), str(count), str(size),
                 str(rate or 0), self.token.hex()], timeout=timeout, env=clean_env())
        assert p.stdout.strip() == str(count), p.stdout
        return [(start + i, ports[(start + i) % len(ports)]) for i in range(count)]

    def trickle(self, count, interval, size=100, port=9999, start=0):
        """Send ``count`` packets one by one, ``interval`` seconds apart."""
        code = r'''
import socket, struct, sys, time
dst = sys.argv[1]; port = int(sys.argv[2]); start = int(sys.argv[3])
count = int(sys.argv[4]); size = int(sys.argv[5]); interval = float(sys.argv[6])
token = bytes.fromhex(sys.argv[7])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t0 = time.monotonic()
for i in range(count):
    due = t0 + i * interval
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    s.sendto(b"PCTS" + token + struct.pack(">I", start + i) + b"\0" * (size - 16), (dst, port))
print(count)
'''
        p = run([IP, "netns", "exec", self.tx_ns, SYS_PYTHON, "-c", code, self.rx_ip,
                 str(port), str(start), str(count), str(max(size, 16)), str(interval),
                 self.token.hex()], timeout=count * interval + 60, env=clean_env())
        assert p.stdout.strip() == str(count), p.stdout
        return [(start + i, port) for i in range(count)]


# --------------------------------------------------------------------------
# Daemon

class Daemon:
    """``packet-capture run`` inside the RX namespace of ``pair``.

    env: extra environment on top of a clean one (PATH only).
    output_dir: passed as --output-dir unless pass_output_dir=False (then the test
    provides it another way, e.g. OUTPUT_DIR env); readiness looks there.
    config_dir: an empty directory is passed as --config-dir by default so that a
    host /etc/packet-capture never leaks in; pass config_dir=False to omit.
    """

    def __init__(self, pair, output_dir, args=(), env=None, interface=None,
                 pass_output_dir=True, config_dir=None, ready_glob=".part"):
        self.pair = pair
        self.output_dir = output_dir
        self.interface = interface or (pair.RX_IF if pair else None)
        self.args = list(args)
        self.env = clean_env(env)
        self.pass_output_dir = pass_output_dir
        self.config_dir = config_dir
        self.proc = None
        self.rc = None
        self._errf = None
        self._outf = None
        self._stderr = None
        self.ready_suffix = ready_glob
        self._tmpdirs = []

    def command(self):
        cmd = []
        if self.pair is not None:
            cmd += [IP, "netns", "exec", self.pair.rx_ns]
        cmd += [require_binary(), "run"]
        if self.interface:
            cmd += ["--interface", self.interface]
        if self.pass_output_dir:
            cmd += ["--output-dir", self.output_dir]
        if self.config_dir is None:
            d = tempfile.mkdtemp(prefix="pc-emptyconf-")
            self._tmpdirs.append(d)
            cmd += ["--config-dir", d]
        elif self.config_dir:
            cmd += ["--config-dir", self.config_dir]
        return cmd + self.args

    def start(self, wait_ready=True, timeout=10.0, settle=0.3):
        cmd = self.command()
        self._errf = tempfile.TemporaryFile()
        self._outf = tempfile.TemporaryFile()
        self.cmdline = cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._outf,
                                     stderr=self._errf, env=self.env,
                                     preexec_fn=_pdeathsig, close_fds=True)
        _LIVE_PROCS.append(self)
        if wait_ready:
            self.wait_ready(timeout)
            time.sleep(settle)
        return self

    def part_files(self):
        try:
            return sorted(f for f in os.listdir(self.output_dir) if f.endswith(".part"))
        except FileNotFoundError:
            return []

    def captured_seqs(self):
        """Sequence numbers of the pair's test packets in the ring now: finished files and
        the live .part (read up to its last whole record)."""
        seqs = set()
        try:
            names = os.listdir(self.output_dir)
        except FileNotFoundError:
            return seqs
        for name in names:
            if name.startswith(".") or not (name.endswith(".part") or ".pcap" in name):
                continue
            try:
                cap = read_capture(os.path.join(self.output_dir, name), strict=False)
            except (OSError, PcapError, struct.error):
                continue   # renamed, deleted or not yet holding a header
            seqs.update(m[0] for m in packet_marks(cap, self.pair.token))
        return seqs

    def wait_captured(self, seq, timeout=10.0):
        """Waits until the packet numbered ``seq`` (see VethPair.send_udp) is in the ring,
        so a test can act on packets it sent knowing the daemon has written them."""
        ok = wait_for(lambda: seq in self.captured_seqs(), timeout)
        assert ok, "packet %d not in the ring after %.0f s: %s\n%s" % (
            seq, timeout, sorted(os.listdir(self.output_dir)), self.stderr()[-2000:])

    def wait_ready(self, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.part_files():
                return self.part_files()
            if self.proc.poll() is not None:
                self.rc = self.proc.returncode
                raise AssertionError("packet-capture exited with %d before creating a .part "
                                     "file in %s\ncommand: %s\nstderr: %s"
                                     % (self.rc, self.output_dir, " ".join(self.cmdline),
                                        self.stderr()))
            time.sleep(0.02)
        raise AssertionError("packet-capture did not create a .part file in %s within %.0fs\n"
                             "command: %s\nstderr so far: %s"
                             % (self.output_dir, timeout, " ".join(self.cmdline),
                                self.stderr()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def stderr(self):
        if self._errf is None:
            return self._stderr or ""
        self._errf.seek(0)
        return self._errf.read().decode("utf-8", "replace")

    def stdout(self):
        if self._outf is None:
            return getattr(self, "_stdout", "") or ""
        self._outf.seek(0)
        return self._outf.read().decode("utf-8", "replace")

    def wait(self, timeout=20.0):
        try:
            self.rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("packet-capture did not exit within %.0fs (killed); stderr: %s"
                                 % (timeout, self.stderr()))
        self._forget()
        return self.rc, self.stderr()

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Send ``sig`` and wait; returns (exit_code, stderr). SIGKILL gives -9."""
        if self.proc is None:
            raise AssertionError("daemon not started")
        if self.proc.poll() is not None:
            self.rc = self.proc.returncode
            self._forget()
            raise AssertionError("packet-capture had already exited with %s before %s; "
                                 "stderr: %s" % (self.rc, signal.Signals(sig).name,
                                                 self.stderr()))
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._forget()

    def _forget(self):
        if self in _LIVE_PROCS:
            _LIVE_PROCS.remove(self)
        if self.proc is not None and self.proc.poll() is not None and self._errf is not None:
            self._stderr = self.stderr()
            self._stdout = self.stdout()
            self._errf.close()
            self._outf.close()
            self._errf = self._outf = None
        for d in self._tmpdirs:
            shutil.rmtree(d, ignore_errors=True)
        self._tmpdirs = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        return False


def run_binary(args, env=None, timeout=30, netns=None, config_dir=None):
    """Run the binary to completion with a clean environment; returns CompletedProcess.

    config_dir=None adds an empty --config-dir for ``run``/``list`` (isolation from
    /etc/packet-capture); config_dir=False adds nothing.
    """
    args = list(args)
    tmp = None
    if config_dir is None and args and args[0] in ("run", "list"):
        tmp = tempfile.mkdtemp(prefix="pc-emptyconf-")
        args += ["--config-dir", tmp]
    elif config_dir:
        args += ["--config-dir", config_dir]
    cmd = ([IP, "netns", "exec", netns] if netns else []) + [require_binary()] + args
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=clean_env(env),
                             preexec_fn=_pdeathsig)
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise AssertionError("%s did not exit within %ss (killed; it kept running, "
                                 "so the input was accepted); stderr: %s"
                                 % (" ".join(cmd), timeout, err.decode("utf-8", "replace")))
        return subprocess.CompletedProcess(cmd, p.returncode,
                                           out.decode("utf-8", "replace"),
                                           err.decode("utf-8", "replace"))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


CAPTURED_RE = re.compile(r"captured=(\d+)\s+dropped=(\d+)")


def parse_exit_stats(stderr):
    """Return (captured, dropped) from the exit line, or None."""
    m = None
    for m2 in CAPTURED_RE.finditer(stderr):
        m = m2
    return (int(m.group(1)), int(m.group(2))) if m else None


# --------------------------------------------------------------------------
# Ring directory helpers

def ring_re(prefix="pcap", iface="vethrx", ext="pcap"):
    return re.compile(r"^%s-%s-(\d{6,})\.%s$" % (re.escape(prefix), re.escape(iface),
                                                 re.escape(ext)))


def ring_files(d, prefix="pcap", iface="vethrx", ext="pcap"):
    """Finished ring files as sorted list of (seq, path)."""
    r = ring_re(prefix, iface, ext)
    out = []
    for f in os.listdir(d):
        m = r.match(f)
        if m:
            out.append((int(m.group(1)), os.path.join(d, f)))
    return sorted(out)


def wait_for(pred, timeout, interval=0.05):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() >= deadline:
            return v
        time.sleep(interval)


# --------------------------------------------------------------------------
# pcap / pcapng reading

PCAP_MICRO = 0xA1B2C3D4
PCAP_NANO = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A


class Capture:
    def __init__(self):
        self.format = None       # 'pcap' or 'pcapng'
        self.nano = None         # pcap: nanosecond magic?
        self.magic = None
        self.linktype = None
        self.snaplen = None
        self.records = []        # list of (ts_ns, caplen, origlen, data)
        self.interfaces = []     # pcapng: list of dict(linktype, name, tsresol_ns_div)
        self.end_of_whole_records = 0
        self.trailing_garbage = 0
        self.stats_blocks = 0


class PcapError(AssertionError):
    """Malformed capture file (an AssertionError so that tests report a failure)."""


def read_capture(path, strict=True):
    """Parse a pcap (micro/nano, either byte order) or pcapng file.

    strict=True raises PcapError on a truncated last record / trailing bytes;
    strict=False stops there and records how many trailing bytes remain.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        raise PcapError("%s: too short (%d bytes)" % (path, len(data)))
    m_le = struct.unpack("<I", data[:4])[0]
    if m_le == PCAPNG_SHB:
        return _read_pcapng(path, data, strict)
    return _read_pcap(path, data, strict)


def _read_pcap(path, data, strict):
    c = Capture()
    c.format = "pcap"
    if len(data) < 24:
        raise PcapError("%s: short pcap header" % path)
    for e in ("<", ">"):
        magic = struct.unpack(e + "I", data[:4])[0]
        if magic in (PCAP_MICRO, PCAP_NANO):
            break
    else:
        raise PcapError("%s: bad magic %s" % (path, data[:4].hex()))
    c.magic = magic
    c.nano = magic == PCAP_NANO
    _vmaj, _vmin, _tz, _sig, c.snaplen, c.linktype = struct.unpack(e + "HHiIII", data[4:24])
    off = 24
    mult = 1 if c.nano else 1000
    while off < len(data):
        if off + 16 > len(data):
            break
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        if incl > 0x40000 or off + 16 + incl > len(data):
            break
        c.records.append((sec * 1000000000 + frac * mult, incl, orig,
                          data[off + 16:off + 16 + incl]))
        off += 16 + incl
    c.end_of_whole_records = off
    c.trailing_garbage = len(data) - off
    if strict and c.trailing_garbage:
        raise PcapError("%s: %d trailing bytes after %d whole records (torn record?)"
                        % (path, c.trailing_garbage, len(c.records)))
    return c


def _read_pcapng(path, data, strict):
    c = Capture()
    c.format = "pcapng"
    off = 0
    e = "<"
    while off < len(data):
        if off + 12 > len(data):
            break
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == PCAPNG_SHB:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else None
            if e is None:
                raise PcapError("%s: bad SHB byte-order magic" % path)
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or blen % 4 or off + blen > len(data):
            break
        tail = struct.unpack(e + "I", data[off + blen - 4:off + blen])[0]
        if tail != blen:
            raise PcapError("%s: block at %d: trailing length %d != %d" % (path, off, tail, blen))
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # IDB
            lt, _r, snap = struct.unpack(e + "HHI", body[:8])
            iface = {"linktype": lt, "snaplen": snap, "name": None, "tsresol": 6,
                     "filter": None}
            for code, val in _pcapng_options(body[8:], e):
                if code == 2:
                    iface["name"] = val.decode("utf-8", "replace")
                elif code == 9 and val:
                    iface["tsresol"] = val[0]
                elif code == 11:
                    iface["filter"] = val
            c.interfaces.append(iface)
            if c.linktype is None:
                c.linktype = lt
        elif btype == 6:  # EPB
            ifid, th, tl, incl, orig = struct.unpack(e + "IIIII", body[:20])
            if ifid >= len(c.interfaces):
                raise PcapError("%s: EPB for unknown interface %d" % (path, ifid))
            ts = (th << 32) | tl
            r = c.interfaces[ifid]["tsresol"]
            if r & 0x80:
                ts_ns = ts * 1000000000 // (1 << (r & 0x7F))
            else:
                ts_ns = ts * 10 ** 9 // 10 ** r if r <= 9 else ts // 10 ** (r - 9)
            c.records.append((ts_ns, incl, orig, body[20:20 + incl]))
        elif btype == 3:  # SPB
            orig = struct.unpack(e + "I", body[:4])[0]
            c.records.append((0, len(body) - 4, orig, body[4:4 + orig]))
        elif btype == 5:  # ISB
            c.stats_blocks += 1
        off += blen
    c.end_of_whole_records = off
    c.trailing_garbage = len(data) - off
    if strict and c.trailing_garbage:
        raise PcapError("%s: %d trailing bytes after whole blocks" % (path, c.trailing_garbage))
    if not c.interfaces and c.records:
        raise PcapError("%s: packets without an interface description block" % path)
    return c


def _pcapng_options(buf, e):
    off = 0
    while off + 4 <= len(buf):
        code, ln = struct.unpack(e + "HH", buf[off:off + 4])
        if code == 0:
            return
        val = buf[off + 4:off + 4 + ln]
        yield code, val
        off += 4 + ((ln + 3) & ~3)


def udp_info(frame, linktype):
    """Return (src_port, dst_port, payload) for an IPv4/UDP frame, else None."""
    if linktype == 1:          # Ethernet
        if len(frame) < 14:
            return None
        et = struct.unpack(">H", frame[12:14])[0]
        off = 14
        if et == 0x8100 and len(frame) >= 18:
            et = struct.unpack(">H", frame[16:18])[0]
            off = 18
        if et != 0x0800:
            return None
        ip = frame[off:]
    elif linktype == 113:      # Linux cooked
        if len(frame) < 16 or struct.unpack(">H", frame[14:16])[0] != 0x0800:
            return None
        ip = frame[16:]
    elif linktype == 276:      # Linux cooked v2
        if len(frame) < 20 or struct.unpack(">H", frame[0:2])[0] != 0x0800:
            return None
        ip = frame[20:]
    elif linktype in (101, 228):  # raw IPv4
        ip = frame
    else:
        return None
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
        return None
    ihl = (ip[0] & 15) * 4
    udp = ip[ihl:]
    if len(udp) < 8:
        return None
    sp, dp = struct.unpack(">HH", udp[:4])
    return sp, dp, udp[8:]


def packet_marks(cap, token):
    """List of (seq, dst_port, ts_ns) for this run's test packets, in file order."""
    out = []
    for ts, _incl, _orig, frame in cap.records:
        u = udp_info(frame, cap.linktype)
        if not u:
            continue
        payload = u[2]
        if len(payload) >= 16 and payload[:4] == b"PCTS" and payload[4:12] == token:
            out.append((struct.unpack(">I", payload[12:16])[0], u[1], ts))
    return out


def udp_seqs(path, token, strict=True):
    """Sequence numbers of this run's test packets in one capture file, in file order."""
    return [m[0] for m in packet_marks(read_capture(path, strict=strict), token)]


def ring_marks(paths, token):
    """Concatenate packet_marks over files (in the given order)."""
    out = []
    for p in paths:
        out.extend(packet_marks(read_capture(p), token))
    return out


def assert_exactly_once(testcase, marks, expected_seqs, what=""):
    seqs = [m[0] for m in marks]
    seen = {}
    for s in seqs:
        seen[s] = seen.get(s, 0) + 1
    dups = sorted(s for s, n in seen.items() if n > 1)
    exp = set(expected_seqs)
    missing = sorted(exp - set(seen))
    extra = sorted(set(seen) - exp)
    msg = []
    if dups:
        msg.append("duplicated seqs (%d): %s" % (len(dups), _short(dups)))
    if missing:
        msg.append("missing seqs (%d of %d): %s" % (len(missing), len(exp), _short(missing)))
    if extra:
        msg.append("unexpected seqs (%d): %s" % (len(extra), _short(extra)))
    if msg:
        testcase.fail("%s%s" % (what + ": " if what else "", "; ".join(msg)))


def _short(lst, n=20):
    return ", ".join(str(x) for x in lst[:n]) + (" ..." if len(lst) > n else "")


# --------------------------------------------------------------------------
# pcap writing (for --read tests)

def eth_ipv4_udp(src_ip, dst_ip, sport, dport, payload,
                 src_mac=b"\x02\x50\x43\x00\x00\x01", dst_mac=b"\x02\x50\x43\x00\x00\x02"):
    def ip2b(s):
        return bytes(int(x) for x in s.split("."))
    udp_len = 8 + len(payload)
    udp = struct.pack(">HHHH", sport, dport, udp_len, 0) + payload
    tot = 20 + udp_len
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, tot, 0, 0x4000, 64, 17, 0,
                      ip2b(src_ip), ip2b(dst_ip))
    s = 0
    for i in range(0, 20, 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack(">H", (~s) & 0xFFFF) + hdr[12:]
    return dst_mac + src_mac + b"\x08\x00" + hdr + udp


def test_frame(token, seq, size, dport=9999):
    payload = b"PCTS" + token + struct.pack(">I", seq) + b"\0" * (max(size, 16) - 16)
    return eth_ipv4_udp("10.203.250.1", "10.203.250.2", 40000, dport, payload)


def write_pcap(path, frames, nano=False, snaplen=262144):
    """frames: iterable of (ts_ns, frame_bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_NANO if nano else PCAP_MICRO, 2, 4, 0, 0,
                            snaplen, 1))
        for ts, fr in frames:
            sec, ns = divmod(ts, 1000000000)
            frac = ns if nano else ns // 1000
            f.write(struct.pack("<IIII", sec, frac, len(fr), len(fr)))
            f.write(fr)


def write_pcapng(path, frames, ifname="offline0"):
    """Minimal pcapng: SHB, IDB (ns resolution, if_name), EPBs."""
    def block(btype, body):
        pad = (-len(body)) % 4
        ln = 12 + len(body) + pad
        return struct.pack("<II", btype, ln) + body + b"\0" * pad + struct.pack("<I", ln)

    def opt(code, val):
        return struct.pack("<HH", code, len(val)) + val + b"\0" * ((-len(val)) % 4)

    with open(path, "wb") as f:
        f.write(block(PCAPNG_SHB, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        name = ifname.encode()
        f.write(block(1, struct.pack("<HHI", 1, 0, 262144) + opt(2, name) + opt(9, b"\x09")
                      + opt(0, b"")))
        for ts, fr in frames:
            body = struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(fr), len(fr)) + fr
            f.write(block(6, body))


# --------------------------------------------------------------------------
# Independent readers

def tshark_read(testcase, path):
    tool = require_tool("tshark")
    p = subprocess.run([tool, "-r", path, "-T", "fields", "-e", "frame.number"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    testcase.assertEqual(p.returncode, 0, "tshark -r %s exited %d: %s"
                         % (path, p.returncode, p.stderr.strip()[-1000:]))
    return len([l for l in p.stdout.splitlines() if l.strip()])


def capinfos_read(testcase, path):
    """capinfos -t -c -I: asserts exit 0 and a pcap/pcapng file type; returns dict."""
    tool = require_tool("capinfos")
    p = subprocess.run([tool, "-t", "-c", "-M", "-I", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    testcase.assertEqual(p.returncode, 0, "capinfos -t %s exited %d: %s"
                         % (path, p.returncode, (p.stderr + p.stdout).strip()[-1000:]))
    info = {"raw": p.stdout}
    m = re.search(r"^File type:\s*(.+)$", p.stdout, re.M)
    info["type"] = m.group(1).strip() if m else ""
    m = re.search(r"^Number of packets:\s*(\d+)", p.stdout, re.M)
    info["packets"] = int(m.group(1)) if m else None
    testcase.assertIn("pcap", info["type"].lower(),
                      "capinfos -t %s: file type is %r, not pcap/pcapng" % (path, info["type"]))
    return info


def tcpdump_read(testcase, path):
    tool = require_tool("tcpdump")
    p = subprocess.run([tool, "-n", "-r", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    testcase.assertEqual(p.returncode, 0, "tcpdump -r %s exited %d: %s"
                         % (path, p.returncode, p.stderr.strip()[-1000:]))
    return len([l for l in p.stdout.splitlines() if l.strip()])


def check_readers(testcase, path, expected_packets=None):
    """All three independent readers accept the file and agree on the packet count."""
    n_ts = tshark_read(testcase, path)
    info = capinfos_read(testcase, path)
    n_td = tcpdump_read(testcase, path)
    if expected_packets is not None:
        testcase.assertEqual(n_ts, expected_packets, "tshark packet count for %s" % path)
        testcase.assertEqual(info["packets"], expected_packets, "capinfos count for %s" % path)
        testcase.assertEqual(n_td, expected_packets, "tcpdump packet count for %s" % path)
    return info


# --------------------------------------------------------------------------
# Time

RFC3339_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{9})(Z|\+00:00)$")


def parse_rfc3339_ns(s):
    m = RFC3339_RE.match(s)
    if not m:
        raise ValueError("not RFC 3339 UTC with nanoseconds: %r" % s)
    y, mo, d, h, mi, se = (int(m.group(i)) for i in range(1, 7))
    return calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0)) * 1000000000 + int(m.group(7))


# --------------------------------------------------------------------------
# Test base class

class IntegrationTest(unittest.TestCase):
    def setUp(self):
        require_root()
        require_binary()
        self.tmp = tempfile.mkdtemp(prefix="pc-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def mkdir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        return d

    def veth(self):
        pair = VethPair().open()
        self.addCleanup(pair.close)
        return pair

    def daemon(self, pair, outdir, *args, **kw):
        d = Daemon(pair, outdir, args=args, **kw)
        self.addCleanup(d.kill)
        return d

    def assert_clean_stop(self, rc, err, outdir):
        self.assertEqual(rc, 0, "exit code after SIGTERM/SIGINT; stderr: %s" % err)
        stats = parse_exit_stats(err)
        self.assertIsNotNone(stats, "no 'captured=N dropped=M' on stderr: %r" % err)
        left = [f for f in os.listdir(outdir) if f.endswith(".part")]
        self.assertEqual(left, [], ".part file left after clean stop")
        return stats

    def assert_contiguous(self, files, first=0):
        seqs = [s for s, _ in files]
        self.assertTrue(seqs, "no finished ring files")
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))),
                         "sequence numbers not contiguous: %s" % seqs)
        if first is not None:
            self.assertEqual(seqs[0], first, "first sequence number")


# --------------------------------------------------------------------------
# Hook helpers (generic; used by test_hooks*.py)

def write_script(path, body, executable=True):
    """Write a /bin/sh script ``body`` to ``path`` (0755, or 0644 if not executable)."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body.lstrip("\n"))
    os.chmod(path, 0o755 if executable else 0o644)
    return path


EXIT_SUMMARY_RE = re.compile(r"captured=\d+ dropped=\d+.*$", re.M)


def parse_exit_summary(stderr):
    """Return the last exit summary line as a dict of int values
    (captured, dropped, written, lost_to_disk, files, deleted, hooks_ok, ...), or None."""
    lines = EXIT_SUMMARY_RE.findall(stderr)
    if not lines:
        return None
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", lines[-1])}


def hooks_status(output_dir, as_json=True):
    """``packet-capture hooks status --output-dir DIR [--json]``; asserts exit 0.
    Returns the parsed JSON list (as_json) or the text."""
    import json
    p = run_binary(["hooks", "status", "--output-dir", output_dir] + (["--json"] if as_json else []))
    if p.returncode != 0:
        raise AssertionError("hooks status --output-dir %s exited %d: %s"
                             % (output_dir, p.returncode, p.stderr))
    return json.loads(p.stdout) if as_json else p.stdout


def proc_status_kib(pid, field):
    """A ``kB`` field of /proc/PID/status (e.g. VmHWM), in KiB; None if the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


# --------------------------------------------------------------------------
# Service helpers (generic; used by test_service.py)

def veth_relink(pair, carrier_timeout=5.0):
    """Re-create the veth link of an open ``pair`` inside its existing namespaces, with
    the same names, MACs, addresses and static neighbours (e.g. after the test deleted
    it with ``ip -n RX link del vethrx``, which removes both ends)."""
    run([IP, "link", "add", pair.TX_IF, "netns", pair.tx_ns, "address", pair.tx_mac,
         "type", "veth", "peer", "name", pair.RX_IF, "netns", pair.rx_ns,
         "address", pair.rx_mac])
    for ns, ifn, ip, peer_ip, peer_mac in (
            (pair.tx_ns, pair.TX_IF, pair.tx_ip, pair.rx_ip, pair.rx_mac),
            (pair.rx_ns, pair.RX_IF, pair.rx_ip, pair.tx_ip, pair.tx_mac)):
        run([IP, "-n", ns, "link", "set", ifn, "arp", "off"])
        run([IP, "-n", ns, "addr", "add", ip + "/30", "dev", ifn])
        run([IP, "-n", ns, "link", "set", ifn, "up"])
        run([IP, "-n", ns, "neigh", "replace", peer_ip, "lladdr", peer_mac,
             "dev", ifn, "nud", "permanent"])
    deadline = time.time() + carrier_timeout
    while time.time() < deadline:
        a = run([IP, "-n", pair.tx_ns, "-o", "link", "show", pair.TX_IF]).stdout
        b = run([IP, "-n", pair.rx_ns, "-o", "link", "show", pair.RX_IF]).stdout
        if "LOWER_UP" in a and "LOWER_UP" in b and "NO-CARRIER" not in a + b:
            return True
        time.sleep(0.05)
    return False


def link_exists(ns, ifname):
    return run([IP, "-n", ns, "link", "show", ifname], check=False).returncode == 0


def status_file_path(output_dir, prefix="pcap", iface="vethrx"):
    return os.path.join(output_dir, ".%s-%s.status" % (prefix, iface))


def read_status_file(output_dir, prefix="pcap", iface="vethrx"):
    """The daemon's JSON status file as a dict; None if missing or not (yet) valid JSON."""
    import json
    try:
        with open(status_file_path(output_dir, prefix, iface)) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return None


def wait_status(output_dir, pred, timeout, prefix="pcap", iface="vethrx"):
    """Poll the status file until ``pred(dict)`` is true; returns the last dict read
    (check ``pred`` again on it: it may be the one that timed out)."""
    last = [None]

    def check():
        st = read_status_file(output_dir, prefix, iface)
        if st is not None:
            last[0] = st
            return bool(pred(st))
        return False
    wait_for(check, timeout, interval=0.1)
    return last[0]


def wait_stderr(daemon, pattern, timeout):
    """Wait until the daemon's stderr matches regex ``pattern``; returns the match or None."""
    rx = re.compile(pattern)
    return wait_for(lambda: rx.search(daemon.stderr()), timeout, interval=0.1)


PROM_LINE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?$')
PROM_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """Parse Prometheus text exposition format.  Returns (samples, types, bad_lines):
    samples maps (name, frozenset(labels.items())) -> float; types maps name -> type."""
    samples, types, bad = {}, {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        m = PROM_LINE_RE.match(line)
        if not m:
            bad.append(line)
            continue
        labels = frozenset(PROM_LABEL_RE.findall(m.group(2) or ""))
        try:
            samples[(m.group(1), labels)] = float(m.group(3))
        except ValueError:
            bad.append(line)
    return samples, types, bad


def prom_value(samples, name, **labels):
    """Value of one sample, or None."""
    return samples.get((name, frozenset(labels.items())))


def open_fd_targets(pid):
    """Targets of /proc/PID/fd/* (paths of the files a process holds open)."""
    out = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
            except OSError:
                pass
    except OSError:
        pass
    return out
