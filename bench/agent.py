#!/usr/bin/env python3
"""Request latency of `packet-capture agent`: the time from `packet-capture request` putting a
signed request on a local redis-server to the last node's final answer, for one agent and for
N agents (one node name each) on the same Redis, beside the time `packet-capture extract`
alone takes for the same window. All agents share this machine's cores, so with N agents the
N extractions compete for them: the 1-second window shows the bus's own cost, the
one-minute window the cost with extraction.

Usage (root not needed): bench/agent.py [-b build/packet-capture] [-n 20] [-r 3]
Needs redis-server, redis-cli and openssl (scripts/install-test-peers.sh)."""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.dont_write_bytecode = True
import agent_fixture  # noqa: E402
from agent_fixture import free_port, rfc3339  # noqa: E402
import harness  # noqa: E402
import traffic_mix  # noqa: E402

T0 = 1764496800 * 10**9
STEP = 1_000_000  # 1 ms between packets: 1000 packets/s




def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-b", "--binary", default=os.path.join(HERE, "..", "build", "packet-capture"))
    ap.add_argument("-n", "--agents", type=int, default=20)
    ap.add_argument("-r", "--repeat", type=int, default=3)
    ap.add_argument("-s", "--seconds", type=int, default=150, help="seconds of traffic in the ring (1000 packets/s)")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    work = tempfile.mkdtemp(prefix="pcbench-agent-")
    procs = []
    try:
        port = free_port()
        procs.append(agent_fixture.redis_server(port))
        src = os.path.join(work, "mix0.pcap")
        harness.write_pcap(src, traffic_mix.frames(a.seconds * 1000, T0, STEP, seed=3), nano=True)
        ring = os.path.join(work, "ring")
        subprocess.run([binary, "run", "--read", src, "-i", "mix0", "-o", ring, "--file-size", "10",
                        "--file-limit", "1000", "--config-dir", work], check=True, capture_output=True)
        os.unlink(src)
        conf = os.path.join(work, "conf")
        os.makedirs(conf)
        with open(os.path.join(conf, "mix0.conf"), "w") as f:
            f.write("[capture]\noutput_dir = %s\n" % ring)
        keys = os.path.join(work, "keys")
        trusted = os.path.join(work, "trusted")
        os.makedirs(keys)
        os.makedirs(trusted, mode=0o755)
        subprocess.run([binary, "keygen", "ops", "--dir", keys], check=True, capture_output=True)
        shutil.copy(os.path.join(keys, "ops.pub"), trusted)

        def start_agents(count, tag):
            started = []
            for i in range(count):
                node = "%s-%02d" % (tag, i)
                log = open(os.path.join(work, node + ".log"), "wb")
                started.append(subprocess.Popen(
                    [binary, "agent", "--config-dir", conf, "--node", node, "--trusted-keys-dir", trusted,
                     "--state-dir", os.path.join(work, "state-" + node), "--results-dir",
                     os.path.join(work, "results"), "--redis-port", str(port), "--max-concurrent", "1"],
                    stdout=log, stderr=log))
            time.sleep(1.5)
            return started

        windows = [("1 s", T0 + 30 * 10**9, T0 + 31 * 10**9), ("60 s", T0 + 30 * 10**9, T0 + 90 * 10**9)]
        print("agent request latency: ring of %d s at 1000 packets/s, %d runs each, median (min-max)" %
              (a.seconds, a.repeat))
        extract_times = {}
        for label, start, stop in windows:
            runs = []
            for _ in range(a.repeat):
                t = time.monotonic()
                subprocess.run([binary, "extract", "-o", ring, "--from", rfc3339(start), "--to", rfc3339(stop),
                                "--format", "pcapng", "-w", os.path.join(work, "x.pcapng")], check=True,
                               capture_output=True)
                runs.append(time.monotonic() - t)
            extract_times[label] = runs
            print("  extract alone, %-4s window: %.3f s (%.3f-%.3f)" % (label, statistics.median(runs), min(runs),
                                                                       max(runs)))
        for count in sorted({1, a.agents}):
            tag = "bench%d" % count
            agents = start_agents(count, tag)
            procs.extend(agents)
            for label, start, stop in windows:
                runs = []
                for r in range(a.repeat):
                    t = time.monotonic()
                    p = subprocess.run([binary, "request", "--nodere", tag + "-[0-9]+", "-i", "mix0", "--from",
                                        rfc3339(start), "--to", rfc3339(stop), "--key", os.path.join(keys, "ops.key"),
                                        "--redis-port", str(port), "--wait", "120", "--expect", str(count),
                                        "--config-dir", work], capture_output=True, text=True)
                    runs.append(time.monotonic() - t)
                    done = sum(1 for line in p.stdout.splitlines() if " done " in line or " partial " in line)
                    if p.returncode != 0 or done != count:
                        print("    run failed (exit %d, %d of %d done): %s" % (p.returncode, done, count,
                                                                            p.stderr.strip()[-300:]))
                print("  %2d agent%s, %-4s window: request to last answer %.3f s (%.3f-%.3f)" %
                      (count, "" if count == 1 else "s", label, statistics.median(runs), min(runs), max(runs)))
            for proc in agents:
                proc.terminate()
            for proc in agents:
                proc.wait(timeout=30)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, True)


if __name__ == "__main__":
    main()
