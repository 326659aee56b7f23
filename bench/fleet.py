#!/usr/bin/env python3
"""A fleet on one machine: N `packet-capture agent` processes (nodes fleet-000 … fleet-N-1,
each with its own small ring, state, configuration and trusted key) on one local
redis-server answer one signed `nodere` request, and each uploads its capture and manifest to
a local S3 server that verifies SigV4 signatures (tests/integration/s3rver).

Reports the time from the request entering Redis to the last node's final answer (from the
streams' own entry ids, i.e. Redis's clock, and the wall time of `packet-capture request
--wait --expect N`, which includes its own start-up), how long the fleet took to start, and
each agent's memory: RSS and PSS (/proc/PID/smaps_rollup) idle before the first request,
and after the last one with the peak RSS (VmHWM). Then lists the bucket: exactly one
manifest.json per node for each request, each with the sha256 of its capture.pcapng object.
Exit 1 if any manifest is missing or wrong, or a request failed.

Usage (root not needed): bench/fleet.py [-b build/packet-capture] [-n 100] [-r 3] [-s 5]
Needs redis-server, redis-cli, openssl, node and tests/integration/s3rver
(scripts/install-test-peers.sh)."""

import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import signal
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
import test_s3_hook  # noqa: E402  (its S3rver: the SigV4-verifying S3 peer of the tests)

T0 = 1764496800 * 10**9  # 2025-11-30T10:00:00Z: the rings' first packet, 1 ms apart
PREFIX = "fleet"
FINAL = ("done", "partial", "failed", "rejected")


def log(msg):
    print(msg, flush=True)


def memory(pid):
    """kB of RSS, PSS and private memory (USS: what this process alone holds, i.e. what one
    more agent costs) from smaps_rollup, peak RSS (VmHWM) and the thread count of a process."""
    out = {"uss": 0}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("Rss:", "Pss:"):
                out[parts[0][:-1].lower()] = int(parts[1])
            elif parts[0] in ("Private_Clean:", "Private_Dirty:"):
                out["uss"] += int(parts[1])
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            parts = line.split()
            if parts[0] == "VmHWM:":
                out["hwm"] = int(parts[1])
            elif parts[0] == "Threads:":
                out["threads"] = int(parts[1])
    return out


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (0 once it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def mib(kb):
    return kb / 1024.0


class Fleet:
    def __init__(self, binary, work, count, seconds, destination="s3"):
        self.binary, self.work, self.count, self.seconds = binary, work, count, seconds
        self.destination = destination
        self.nodes = ["fleet-%03d" % i for i in range(count)]
        self.agents = {}
        self.redis = self.s3 = None

    # --- peers

    def redis_cli(self, *args):
        return subprocess.run(["redis-cli", "--json", "-p", str(self.port)] + list(args), capture_output=True,
                              text=True, timeout=60).stdout

    def start_peers(self):
        self.port = free_port()
        self.redis = agent_fixture.redis_server(self.port)
        self.s3 = test_s3_hook.S3rver()  # creates the bucket test_s3_hook.BUCKET as it starts
        self.key, trusted = agent_fixture.signing_keys(self.work)
        self.public_key = os.path.join(trusted, "ops.pub")

    # --- nodes

    def node_dir(self, node, *parts):
        return os.path.join(self.work, "nodes", node, *parts)

    def prepare(self, i, node):
        """The node's ring (SECONDS of mixed traffic, its own seed), configuration directory
        (agent.conf, mix0.conf, S3 key files), trusted key, state and results directories."""
        os.makedirs(self.node_dir(node))
        agent_fixture.mix_ring(self.node_dir(node), self.seconds * 1000, T0, seed=1000 + i,
                               ring=self.node_dir(node, "ring"), file_size=1, file_limit=100)
        conf = agent_fixture.ring_conf(self.node_dir(node, "conf"), self.node_dir(node, "ring"))
        trusted = self.node_dir(node, "conf", "trusted-keys.d")
        os.makedirs(trusted, mode=0o755)
        shutil.copy(self.public_key, trusted)
        secrets = [agent_fixture.secret_file(conf, "s3-key-id", test_s3_hook.KEY_ID),
                   agent_fixture.secret_file(conf, "s3-secret", test_s3_hook.SECRET)]
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[agent]\nnode = %s\ntrusted_keys_dir = %s\nstate_dir = %s\nresults_dir = %s\n"
                    "default_destination = %s\n\n" % (node, trusted, self.node_dir(node, "state"),
                                                      self.node_dir(node, "results"), self.destination))
            f.write("[redis]\nhost = 127.0.0.1\nport = %d\n\n" % self.port)
            f.write("[s3]\nendpoint = %s\nbucket = %s\nregion = %s\nprefix = %s\naccess_key_id_file = %s\n"
                    "secret_access_key_file = %s\n" % (self.s3.endpoint, test_s3_hook.BUCKET, test_s3_hook.REGION,
                                                       PREFIX, secrets[0], secrets[1]))

    def prepare_all(self):
        t = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            for f in [pool.submit(self.prepare, i, node) for i, node in enumerate(self.nodes)]:
                f.result()
        return time.monotonic() - t

    def groups(self):
        """The consumer groups of the request stream: one per node listening."""
        out = self.redis_cli("XINFO", "GROUPS", "pcap:req")
        try:
            return {g["name"] for g in json.loads(out)}
        except (ValueError, TypeError, KeyError):
            return set()  # no stream yet

    def agent_log(self, node):
        with open(self.node_dir(node, "agent.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def start_agents(self, timeout):
        """Starts every agent and waits until each one's consumer group exists (it reads the
        stream from then on); returns the seconds that took."""
        t = time.monotonic()
        for node in self.nodes:
            with open(self.node_dir(node, "agent.log"), "wb") as out:
                self.agents[node] = subprocess.Popen(
                    [self.binary, "agent", "--config-dir", self.node_dir(node, "conf")], stdin=subprocess.DEVNULL,
                    stdout=out, stderr=out, env=harness.clean_env(), preexec_fn=harness._pdeathsig)
        want = set(self.nodes)
        while True:
            dead = [n for n, p in self.agents.items() if p.poll() is not None]
            if dead:
                raise RuntimeError("agent %s exited (%d): %s" % (dead[0], self.agents[dead[0]].returncode,
                                                                 self.agent_log(dead[0])[-1000:]))
            missing = want - self.groups()
            if not missing:
                return time.monotonic() - t
            if time.monotonic() - t > timeout:
                raise RuntimeError("%d agents did not join the request stream within %d s, e.g. %s: %s"
                                   % (len(missing), timeout, min(missing), self.agent_log(min(missing))[-1000:]))
            time.sleep(0.05)

    def stop_agents(self):
        for proc in self.agents.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for proc in self.agents.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def memory(self):
        return {node: memory(proc.pid) for node, proc in self.agents.items()}

    def cpu(self):
        """CPU seconds used so far by the agents (together), s3rver and redis-server."""
        return {"agents": sum(cpu_seconds(p.pid) for p in self.agents.values()),
                "s3rver": cpu_seconds(self.s3.proc.pid), "redis": cpu_seconds(self.redis.pid)}

    # --- one request

    def stream(self, key):
        """Entries of a stream as (milliseconds of its id, {field: value})."""
        out = []
        for entry_id, fields in json.loads(self.redis_cli("XRANGE", key, "-", "+") or "[]"):
            out.append((int(entry_id.split("-")[0]), dict(zip(fields[::2], fields[1::2]))))
        return out

    def request(self, request_id, wait):
        start, stop = T0 + 10**9, T0 + (self.seconds - 1) * 10**9
        t = time.monotonic()
        p = subprocess.run([self.binary, "request", "--nodere", "fleet-.*", "-i", "mix0", "--from", rfc3339(start),
                            "--to", rfc3339(stop), "--id", request_id, "--key", self.key, "--key-id", "ops",
                            "--redis-port", str(self.port), "--wait", str(wait), "--expect", str(self.count),
                            "--json", "--config-dir", self.work], capture_output=True, text=True,
                           env=harness.clean_env(), timeout=wait + 60)
        wall = time.monotonic() - t
        printed = []
        for line in p.stdout.splitlines():
            try:
                printed.append(json.loads(line))
            except ValueError:
                pass
        # Redis's own clock: the request entry's id, then each answer entry's id.
        sent = [ms for ms, f in self.stream("pcap:req") if json.loads(f.get("body", "{}")).get("id") == request_id]
        answers = []
        for ms, f in self.stream("pcap:ack"):
            try:
                a = json.loads(f["answer"])
            except (KeyError, ValueError):
                continue
            if a.get("id") == request_id:
                answers.append((ms, a))
        return {"exit": p.returncode, "stderr": p.stderr, "wall": wall, "printed": printed,
                "sent_ms": sent[0] if sent else None, "answers": answers}

    def local_objects(self):
        """The `directory` destination's files of every node, as keys like the bucket's."""
        keys = []
        for node in self.nodes:
            top = self.node_dir(node, "results")
            for d, _, files in os.walk(top):
                keys += [PREFIX + "/" + os.path.relpath(os.path.join(d, f), top) for f in files]
        return keys

    def get(self, key):
        """(status, body) of an object: from the bucket, or the node's results directory."""
        if self.destination == "s3":
            return self.s3.get(key)
        node = key.split("/")[-3]
        try:
            with open(self.node_dir(node, "results", key[len(PREFIX) + 1:]), "rb") as f:
                return 200, f.read()
        except FileNotFoundError:
            return 404, b""

    def check_bucket(self, request_id):
        """Problems with the request's objects: exactly one manifest.json per node, naming the
        node, done, with packets, and the sha256 of the capture.pcapng beside it. With
        `--destination directory`, the same checks on the nodes' results directories."""
        listed = self.s3.list(PREFIX + "/requests/") if self.destination == "s3" else self.local_objects()
        keys = [k for k in listed if "/%s/" % request_id in k]
        problems = []
        manifests = {}
        self.stored_bytes = 0
        for k in keys:
            if k.endswith("/manifest.json"):
                node = k.split("/")[-3]
                manifests.setdefault(node, []).append(k)
        for node in self.nodes:
            found = manifests.pop(node, [])
            if len(found) != 1:
                problems.append("%s: %d manifest.json objects" % (node, len(found)))
                continue
            status, body = self.get(found[0])
            if status != 200:
                problems.append("%s: GET %s: HTTP %d" % (node, found[0], status))
                continue
            manifest = json.loads(body)
            capture_key = found[0][:-len("manifest.json")] + "capture.pcapng"
            status, capture = self.get(capture_key)
            if status != 200:
                problems.append("%s: GET %s: HTTP %d" % (node, capture_key, status))
                continue
            self.stored_bytes += len(body) + len(capture)
            digest = hashlib.sha256(capture).hexdigest()
            if manifest.get("objects", [{}])[0].get("sha256") != digest:
                problems.append("%s: manifest sha256 %s, capture.pcapng %s" % (
                    node, manifest.get("objects", [{}])[0].get("sha256"), digest))
            if (manifest.get("node"), manifest.get("state")) != (node, "done") or not manifest.get("packets"):
                problems.append("%s: manifest says node %s, state %s, %s packets" % (
                    node, manifest.get("node"), manifest.get("state"), manifest.get("packets")))
        for node, found in sorted(manifests.items()):
            problems.append("manifest of a node outside the fleet: %s" % found)
        return len(keys), problems


def spread(values, fmt):
    if not values:
        return "-"
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(values), min(values), max(values))


def report_memory(label, mem, fields):
    for field, name in fields:
        values = [m[field] for m in mem.values()]
        log("  %-38s mean %6.1f MiB, max %6.1f MiB" % ("%s %s:" % (label, name), mib(statistics.mean(values)),
                                                        mib(max(values))))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-b", "--binary", default=os.path.join(HERE, "..", "build", "packet-capture"))
    ap.add_argument("-n", "--agents", type=int, default=100)
    ap.add_argument("-r", "--repeat", type=int, default=3, help="requests sent one after the other")
    ap.add_argument("-s", "--seconds", type=int, default=5, help="seconds of traffic in each ring (1000 packets/s)")
    ap.add_argument("-w", "--wait", type=int, default=120, help="seconds `request --wait` waits for the answers")
    ap.add_argument("-d", "--destination", choices=("s3", "directory"), default="s3",
                    help="where the agents put results (directory: the local results only, to time S3's share)")
    ap.add_argument("--start-timeout", type=int, default=180, help="seconds the agents may take to start")
    a = ap.parse_args()
    if a.seconds < 3:
        ap.error("-s: at least 3 seconds (the request's window is 1 s from each end)")
    binary = os.path.abspath(a.binary)
    if not os.access(binary, os.X_OK):
        sys.exit("no packet-capture binary at %s (-b PATH)" % binary)
    harness.BINARY = binary
    # Stopped by a signal (ctest's timeout, ^C): clean up as on any other exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="pcbench-fleet-")
    fleet = Fleet(binary, work, a.agents, a.seconds, a.destination)
    failed = False
    try:
        fleet.start_peers()
        prep = fleet.prepare_all()
        log("fleet: %d agents, rings of %d s (%d packets each) written in %.1f s; redis-server 127.0.0.1:%d, "
            "s3rver %s; load average %.1f on %d cores" % (a.agents, a.seconds, a.seconds * 1000, prep, fleet.port,
                                                        fleet.s3.endpoint, os.getloadavg()[0], os.cpu_count()))
        startup = fleet.start_agents(a.start_timeout)
        log("  all %d agents listening (consumer group in Redis) %.2f s after the first was started"
            % (a.agents, startup))
        idle = fleet.memory()
        runs = []
        for r in range(a.repeat):
            request_id = "fleet-%d-%d" % (os.getpid(), r)
            cpu = fleet.cpu()
            res = fleet.request(request_id, a.wait)
            cpu = {k: v - cpu[k] for k, v in fleet.cpu().items()}
            finals = [(ms, x) for ms, x in res["answers"] if x.get("state") in FINAL]
            accepted = [ms for ms, x in res["answers"] if x.get("state") == "accepted"]
            states = {}
            for _, x in finals:
                states[x["state"]] = states.get(x["state"], 0) + 1
            objects, problems = fleet.check_bucket(request_id)
            ok = (res["exit"] == 0 and states.get("done", 0) + states.get("partial", 0) == a.agents
                  and not problems and res["sent_ms"] is not None)
            failed |= not ok
            run = {"wall": res["wall"], "ok": ok}
            if res["sent_ms"] is not None and finals:
                run["last_final"] = (max(ms for ms, _ in finals) - res["sent_ms"]) / 1000.0
                run["median_final"] = statistics.median(ms - res["sent_ms"] for ms, _ in finals) / 1000.0
                run["first_final"] = (min(ms for ms, _ in finals) - res["sent_ms"]) / 1000.0
            if res["sent_ms"] is not None and accepted:
                run["last_accepted"] = (max(accepted) - res["sent_ms"]) / 1000.0
            runs.append(run)
            log("  request %d (%s): exit %d, final answers %s, %d objects stored (%.1f MB), %s" % (
                r + 1, request_id, res["exit"], ", ".join("%d %s" % (v, k) for k, v in sorted(states.items())) or "none",
                objects, fleet.stored_bytes / 1e6, "all %d manifests present and matching their captures" % a.agents if not problems
                else "%d problems" % len(problems)))
            log("    request entered Redis -> last accepted %s s, first final %s s, median final %s s, "
                "last final %s s; `request` wall time %.3f s" % tuple(
                    ["%.3f" % run[k] if k in run else "-" for k in ("last_accepted", "first_final", "median_final",
                                                                    "last_final")] + [res["wall"]]))
            log("    CPU used meanwhile: agents %.2f s, s3rver %.2f s, redis-server %.2f s (%d cores)" % (
                cpu["agents"], cpu["s3rver"], cpu["redis"], os.cpu_count()))
            for _, x in finals:
                if x["state"] not in ("done", "partial"):
                    log("    ANSWER %s %s: %s" % (x.get("node"), x["state"], x.get("reason") or x.get("error") or x))
            for p in problems[:20]:
                log("    PROBLEM " + p)
            if res["exit"] != 0:
                log("    request exit %d: %s" % (res["exit"], res["stderr"].strip()[-500:]))
        after = fleet.memory()
        log("time to the last final answer over %d request%s, median (min-max):" % (a.repeat, "" if a.repeat == 1
                                                                                     else "s"))
        log("  request entered Redis -> last final answer: %s s" % spread([r["last_final"] for r in runs
                                                                           if "last_final" in r], "%.3f"))
        log("  `request` start -> exit (all %d answers):   %s s" % (a.agents, spread([r["wall"] for r in runs],
                                                                                       "%.3f")))
        log("memory per agent process (%d processes, %d threads each at most):" % (
            a.agents, max(m["threads"] for m in after.values())))
        report_memory("idle", idle, (("rss", "RSS"), ("pss", "PSS"), ("uss", "private (USS)")))
        report_memory("after the requests", after, (("rss", "RSS"), ("pss", "PSS"), ("uss", "private (USS)"),
                                                    ("hwm", "peak RSS (VmHWM)")))
        log("RESULT %s" % ("FAIL" if failed else "OK"))
    except Exception as e:  # a peer or an agent that did not start: say so, clean up, fail
        log("FAIL: %s" % e)
        failed = True
    finally:
        fleet.stop_agents()
        if fleet.s3:
            fleet.s3.stop()
        if fleet.redis:
            fleet.redis.kill()
            fleet.redis.wait()
        shutil.rmtree(work, True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
