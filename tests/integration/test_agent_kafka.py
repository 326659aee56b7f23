#!/usr/bin/env python3
"""`packet-capture agent` and `packet-capture request` on Kafka: librdkafka's mock cluster
(three brokers, a request topic of three partitions) run as a process, two agents in their own
consumer groups. A nodere request answered by both is compared packet for packet with
`extract`; a request signed by an unknown key and a reused id are refused; an agent SIGKILLed
while it follows a live window, with a broker down meanwhile, answers once after its restart
and its result holds every packet once."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import shutil

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_fixture  # noqa: E402
from agent_fixture import rfc3339  # noqa: E402
import harness  # noqa: E402

T0 = 1764496800 * 10**9  # 2025-11-30T10:00:00Z
COUNT = 4000
NODES = ("node-a", "node-b")


class KafkaAgentTest(harness.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        harness.require_tool("openssl")
        cls.work = tempfile.mkdtemp(prefix="pc-kafka-")
        mock = os.path.join(os.path.dirname(harness.require_binary()), "tests", "integration", "kafka_mock_cluster")
        assert os.access(mock, os.X_OK), "build the kafka_mock_cluster test helper first: %s" % mock
        cls.cluster = subprocess.Popen([mock, "3", "pcap.req:3", "pcap.ack:1"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, preexec_fn=harness._pdeathsig)
        line = cls.cluster.stdout.readline().split()
        assert line[:1] == ["bootstrap"], "mock cluster did not start: %s" % line
        cls.brokers = line[1]

        cls.ring = agent_fixture.mix_ring(cls.work, COUNT, T0, seed=5)
        cls.conf = agent_fixture.ring_conf(os.path.join(cls.work, "conf"), cls.ring)
        with open(os.path.join(cls.conf, "agent.conf"), "w") as f:
            f.write("[agent]\nbus = kafka\n\n[kafka]\nbrokers = %s\n" % cls.brokers)
        cls.key, cls.trusted = agent_fixture.signing_keys(cls.work)
        cls.stranger = agent_fixture.ed25519_key(os.path.join(cls.work, "stranger.key"))
        cls.agents = {}
        for node in NODES:
            cls.start_agent(node)

    @classmethod
    def tearDownClass(cls):
        for proc in cls.agents.values():
            proc.kill()
            proc.wait()
        cls.cluster.stdin.close()
        cls.cluster.wait(timeout=30)
        cls.cluster.stdout.close()
        shutil.rmtree(cls.work, True)

    @classmethod
    def log_path(cls, node):
        return os.path.join(cls.work, "agent-%s.log" % node)

    @classmethod
    def agent_log(cls, node):
        with open(cls.log_path(node), "rb") as f:
            return f.read().decode("utf-8", "replace")

    @classmethod
    def start_agent(cls, node, conf=None):
        before = os.path.getsize(cls.log_path(node)) if os.path.exists(cls.log_path(node)) else 0
        with open(cls.log_path(node), "ab") as log:
            proc = subprocess.Popen([harness.require_binary(), "agent", "--config-dir", conf or cls.conf, "--node", node,
                                     "--trusted-keys-dir", cls.trusted, "--state-dir",
                                     os.path.join(cls.work, "state-" + node), "--results-dir",
                                     os.path.join(cls.work, "results-" + node)],
                                    stdout=log, stderr=log, env=harness.clean_env(), preexec_fn=harness._pdeathsig)
        cls.agents[node] = proc
        # Ready once the group has given it the request topic's partitions.
        ok = harness.wait_for(lambda: "reading pcap.req partitions" in cls.agent_log(node)[before:], 60, interval=0.2)
        assert ok, "agent %s got no partitions: %s" % (node, cls.agent_log(node))
        return proc

    def request(self, *args, wait=60, expect=1, key=None):
        p = harness.run_binary(["request", "--config-dir", self.conf, "--key", key or self.key, "--key-id",
                                os.path.splitext(os.path.basename(key or self.key))[0], "--wait", str(wait),
                                "--expect", str(expect), "--json"] + list(args), timeout=wait + 60, config_dir=False)
        return p, [json.loads(line) for line in p.stdout.splitlines()]

    def test_nodere_request_both_nodes_answer_with_what_extract_returns(self):
        start, stop = T0 + 500_000_000, T0 + 3_200_000_000
        flt = "udp or port 443"
        p, answers = self.request("--nodere", "node-.", "-i", "mix0", "--from", rfc3339(start), "--to", rfc3339(stop),
                                  "--filter", flt, "--id", "kafka-nodere-1", expect=2)
        self.assertEqual(p.returncode, 0, p.stderr + self.agent_log("node-a"))
        finals = [a for a in answers if a["state"] == "done"]
        self.assertEqual(sorted(a["node"] for a in finals), list(NODES), answers)
        want = os.path.join(self.tmp, "want.pcapng")
        e = harness.run_binary(["extract", "-o", self.ring, "--from", rfc3339(start), "--to", rfc3339(stop),
                                "--filter", flt, "--format", "pcapng", "-w", want], timeout=60)
        self.assertEqual(e.returncode, 0, e.stderr)
        want_records = [(ts, data) for ts, _, _, data in harness.read_capture(want).records]
        self.assertGreater(len(want_records), 100)
        for answer in finals:
            got = harness.read_capture(os.path.join(answer["result"], "capture.pcapng"))
            self.assertEqual([(ts, data) for ts, _, _, data in got.records], want_records, answer["node"])
            self.assertEqual(answer["packets"], len(want_records))

    def test_unknown_key_and_reused_id_are_refused(self):
        window = ["--from", rfc3339(T0 + 10**8), "--to", rfc3339(T0 + 10**9)]
        p, answers = self.request("--node", "node-b", "-i", "mix0", "--id", "kafka-stranger", *window,
                                  key=self.stranger)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual([a["state"] for a in answers], ["rejected"], answers)
        self.assertIn("stranger", answers[0]["reason"])
        p, answers = self.request("--node", "node-b", "-i", "mix0", "--id", "kafka-once", *window)
        self.assertEqual(p.returncode, 0, p.stderr)
        p, answers = self.request("--node", "node-b", "-i", "mix0", "--id", "kafka-once", *window)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(answers[-1]["state"], "rejected", answers)
        self.assertIn("kafka-once", answers[-1]["reason"])

    def test_sigkill_mid_request_with_a_broker_down_answers_once_after_restart(self):
        pair = self.veth()
        out = self.mkdir("live-ring")
        conf = self.mkdir("conf-live")
        shutil.copy(os.path.join(self.conf, "agent.conf"), conf)
        with open(os.path.join(conf, pair.RX_IF + ".conf"), "w") as f:
            f.write("[capture]\noutput_dir = %s\n" % out)
        daemon = self.daemon(pair, out, "--file-size", "1", "--file-limit", "20").start()
        self.addCleanup(daemon.stop)
        node = "node-a"
        self.agents[node].terminate()  # a clean stop leaves the group at once
        self.assertEqual(self.agents[node].wait(timeout=30), 0, self.agent_log(node))
        self.start_agent(node, conf)
        start = time.time_ns()
        stop = start + 28 * 10**9
        # Sent without waiting: a sender's consumer that lives through the broker's outage below
        # takes minutes to fetch again from the mock cluster. The agent's journal shows when the
        # broker acknowledged (acks=all) the answer instead.
        p = harness.run_binary(["request", "--config-dir", self.conf, "--key", self.key, "--node", node,
                                "-i", pair.RX_IF, "--from", rfc3339(start), "--to", rfc3339(stop), "--filter", "udp",
                                "--id", "kafka-killed"], timeout=60, config_dir=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        ok = harness.wait_for(lambda: "kafka-killed accepted" in self.agent_log(node), 30, interval=0.1)
        self.assertTrue(ok, self.agent_log(node))
        pair.send_udp(1500, size=200, rate=1000)
        self.agents[node].send_signal(signal.SIGKILL)
        self.agents[node].wait()
        # A broker goes down while the agent is away, and is back before it restarts.
        self.cluster.stdin.write("down 1\n")
        self.cluster.stdin.flush()
        pair.send_udp(1000, size=200, rate=1000, start=1500)
        time.sleep(2)
        self.cluster.stdin.write("up 1\n")
        self.cluster.stdin.flush()
        self.start_agent(node, conf)
        pair.send_udp(500, size=200, rate=1000, start=2500)
        state_dir = os.path.join(self.work, "state-" + node)

        def journal():
            s = harness.run_binary(["agent", "status", "--json", "--config-dir", conf, "--state-dir", state_dir],
                                   config_dir=False)
            return [e for e in json.loads(s.stdout or "[]") if e["id"] == "kafka-killed"]
        ok = harness.wait_for(lambda: [e["state"] for e in journal()] == ["answered"], 120, interval=0.5)
        self.assertTrue(ok, "%s %s" % (journal(), self.agent_log(node)))
        answers = journal()[0]["answers"]
        self.assertEqual([a["state"] for a in answers], ["done"], answers)
        final = answers[0]
        cap = harness.read_capture(os.path.join(final["result"], "capture.pcapng"))
        marks = [m[0] for m in harness.packet_marks(cap, pair.token)]
        self.assertEqual(marks, list(range(3000)), "every packet sent during the window, once")
        self.assertEqual(final["packets"], len(cap.records))
        self.assertEqual(sorted(os.listdir(final["result"])), ["capture.pcapng", "manifest.json"])

    def test_bad_kafka_settings_one_line(self):
        p = harness.run_binary(["agent", "--node", "x", "--bus", "nats"], config_dir=False)
        self.assertEqual(p.returncode, 64, p.stderr)
        self.assertIn("nats", p.stderr)
        self.assertIn("redis, kafka or sqs", p.stderr)
        conf = self.mkdir("badconf")
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[kafka]\ntopic = bad/topic\n")
        p = harness.run_binary(["agent", "--node", "x"], config_dir=conf)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("bad/topic", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    harness.main()
