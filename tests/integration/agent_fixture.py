"""What the agent tests (Redis, Kafka, SQS) share: a ring of synthetic mixed traffic written
by `run --read`, and request-signing keys made with the openssl tool, independently of the
code under test."""

import os
import socket
import subprocess
import time

import harness
import traffic_mix


def rfc3339(ns):
    """Nanoseconds since the epoch as RFC 3339 UTC with nine fraction digits."""
    secs, frac = divmod(ns, 10**9)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%09dZ" % frac


def free_port():
    """A TCP port free on 127.0.0.1 now (for a peer the test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secret_file(directory, name, value):
    """DIRECTORY/NAME holding `value` and a newline, readable by its owner only, as the agent
    wants a file of credentials; returns its path."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return path


def mix_ring(work, count, t0, seed, interface="mix0", ring=None, file_size=1, file_limit=100):
    """Writes `count` packets 1 ms apart from `t0` into a ring (WORK/ring unless `ring` names
    another directory) with `run --read`; returns the ring directory."""
    src = os.path.join(work, interface + ".pcap")
    harness.write_pcap(src, traffic_mix.frames(count, t0, 1000000, seed=seed), nano=True)
    ring = ring or os.path.join(work, "ring")
    p = harness.run_binary(["run", "--read", src, "--interface", interface, "--output-dir", ring,
                            "--file-size", str(file_size), "--file-limit", str(file_limit)], timeout=120)
    os.unlink(src)
    assert p.returncode == 0, p.stderr
    return ring


def redis_server(port, *args):
    """A throw-away redis-server on 127.0.0.1:PORT without persistence (`args`: more
    redis-server arguments), once it answers PING."""
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"] + list(args), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=harness._pdeathsig)
    up = harness.wait_for(lambda: proc.poll() is not None or subprocess.run(
        ["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout.strip() == "PONG", 30,
        interval=0.02)
    if not up or proc.poll() is not None:
        proc.kill()
        proc.wait()
        raise AssertionError("redis-server did not start on port %d" % port)
    return proc


def ring_conf(directory, ring, interface="mix0"):
    """A configuration directory naming `ring` as the interface's ring."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, interface + ".conf"), "w") as f:
        f.write("[capture]\noutput_dir = %s\n" % ring)
    return directory


def ed25519_key(path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", path], check=True)
    return path


def signing_keys(work, key_id="ops"):
    """The sender's Ed25519 key WORK/KID.key and the nodes' WORK/trusted-keys.d/KID.pub."""
    key = ed25519_key(os.path.join(work, key_id + ".key"))
    trusted = os.path.join(work, "trusted-keys.d")
    os.makedirs(trusted, mode=0o755)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", os.path.join(trusted, key_id + ".pub")],
                   check=True)
    return key, trusted
