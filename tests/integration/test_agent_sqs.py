#!/usr/bin/env python3
"""`packet-capture agent` and `packet-capture request` on SQS: fauxqs (an SQS and SNS emulator
from npm) with the fleet fan-out the README documents: one queue per node subscribed to one SNS
topic (node-a's with raw message delivery, node-b's without, so its messages arrive wrapped in
SNS notifications), and a queue for answers. A nodere request published on the topic is answered
by both nodes, packet for packet what `extract` returns; a request signed by an unknown key sent
straight to a queue, a replayed id and a reply queue other than the configured one are refused."""

import json
import os
import subprocess
import sys
import tempfile
import shutil

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_fixture  # noqa: E402
from agent_fixture import rfc3339  # noqa: E402
import harness  # noqa: E402

T0 = 1764496800 * 10**9  # 2025-11-30T10:00:00Z
COUNT = 4000
NODES = ("node-a", "node-b")
HERE = os.path.dirname(os.path.abspath(__file__))


class SqsAgentTest(harness.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        harness.require_root()
        harness.require_binary()
        for tool in ("openssl", "node"):
            harness.require_tool(tool)
        assert os.path.isdir(os.path.join(HERE, "fauxqs", "node_modules", "fauxqs")), \
            "fauxqs missing: run scripts/install-test-peers.sh"
        cls.work = tempfile.mkdtemp(prefix="pc-sqs-")
        init = os.path.join(cls.work, "init.json")
        with open(init, "w") as f:
            json.dump({"region": "us-east-1",
                       "queues": [{"name": "pcap-" + n} for n in NODES] + [{"name": "pcap-ack"}],
                       "topics": [{"name": "pcap-requests"}],
                       "subscriptions": [
                           {"topic": "pcap-requests", "queue": "pcap-node-a",
                            "attributes": {"RawMessageDelivery": "true"}},
                           {"topic": "pcap-requests", "queue": "pcap-node-b"}]}, f)
        cls.fauxqs = subprocess.Popen(["node", os.path.join(HERE, "fauxqs", "start.mjs"), init],
                                      stdout=subprocess.PIPE, text=True, preexec_fn=harness._pdeathsig)
        line = cls.fauxqs.stdout.readline().split()
        assert line[:1] == ["listening"], "fauxqs did not start: %s" % line
        port = int(line[1])
        cls.endpoint = "http://127.0.0.1:%d/" % port
        cls.port = port
        cls.topic = "arn:aws:sns:us-east-1:000000000000:pcap-requests"

        cls.ring = agent_fixture.mix_ring(cls.work, COUNT, T0, seed=9)
        secrets = [agent_fixture.secret_file(cls.work, "key-id", "AKIDTEST"),
                   agent_fixture.secret_file(cls.work, "secret", "test-secret-key")]
        common = ("[agent]\nbus = sqs\n\n[sqs]\nreply_queue_url = %s\nsns_endpoint = %s\n"
                  "access_key_id_file = %s\nsecret_access_key_file = %s\nwait = 1\n"
                  % (cls.queue("pcap-ack"), cls.endpoint, secrets[0], secrets[1]))
        cls.confs = {}
        for node in NODES + ("sender",):
            conf = agent_fixture.ring_conf(os.path.join(cls.work, "conf-" + node), cls.ring)
            with open(os.path.join(conf, "agent.conf"), "w") as f:
                f.write(common + ("topic_arn = %s\n" % cls.topic if node == "sender"
                                  else "queue_url = %s\n" % cls.queue("pcap-" + node)))
            cls.confs[node] = conf
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
        cls.fauxqs.terminate()
        cls.fauxqs.wait(timeout=30)
        cls.fauxqs.stdout.close()
        shutil.rmtree(cls.work, True)

    @classmethod
    def queue(cls, name):
        return "http://sqs.us-east-1.localhost:%d/000000000000/%s" % (cls.port, name)

    @classmethod
    def agent_log(cls, node):
        with open(os.path.join(cls.work, "agent-%s.log" % node), "rb") as f:
            return f.read().decode("utf-8", "replace")

    @classmethod
    def start_agent(cls, node):
        with open(os.path.join(cls.work, "agent-%s.log" % node), "ab") as log:
            proc = subprocess.Popen([harness.require_binary(), "agent", "--config-dir", cls.confs[node], "--node", node,
                                     "--trusted-keys-dir", cls.trusted, "--state-dir",
                                     os.path.join(cls.work, "state-" + node), "--results-dir",
                                     os.path.join(cls.work, "results-" + node)],
                                    stdout=log, stderr=log, env=harness.clean_env(), preexec_fn=harness._pdeathsig)
        cls.agents[node] = proc
        ok = harness.wait_for(lambda: "listening on SQS queue" in cls.agent_log(node), 30, interval=0.1)
        assert ok, "agent %s did not reach its queue: %s" % (node, cls.agent_log(node))

    def request(self, *args, wait=40, expect=1, key=None, conf="sender"):
        p = harness.run_binary(["request", "--config-dir", self.confs[conf], "--key", key or self.key, "--key-id",
                                os.path.splitext(os.path.basename(key or self.key))[0], "--wait", str(wait),
                                "--expect", str(expect), "--json"] + list(args), timeout=wait + 60, config_dir=False)
        return p, [json.loads(line) for line in p.stdout.splitlines()]

    def test_request_on_the_topic_reaches_both_queues_and_matches_extract(self):
        start, stop = T0 + 700_000_000, T0 + 3_100_000_000
        flt = "tcp"
        p, answers = self.request("--nodere", "node-[ab]", "-i", "mix0", "--from", rfc3339(start), "--to",
                                  rfc3339(stop), "--filter", flt, "--id", "sqs-fanout-1", expect=2)
        self.assertEqual(p.returncode, 0, p.stderr + self.agent_log("node-a") + self.agent_log("node-b"))
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
        # The same id again: a replay, refused by both.
        p, answers = self.request("--nodere", "node-[ab]", "-i", "mix0", "--from", rfc3339(start), "--to",
                                  rfc3339(stop), "--filter", flt, "--id", "sqs-fanout-1", expect=2)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(sorted(a["state"] for a in answers), ["rejected", "rejected"], answers)

    def test_unknown_key_and_foreign_reply_queue_are_refused(self):
        window = ["--from", rfc3339(T0 + 10**8), "--to", rfc3339(T0 + 10**9)]
        # Straight to node-b's queue (no topic), signed by a key no node trusts.
        p, answers = self.request("--node", "node-b", "-i", "mix0", "--id", "sqs-stranger", "--sns-topic-arn", "",
                                  "--sqs-queue-url", self.queue("pcap-node-b"), *window, key=self.stranger)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual([a["state"] for a in answers], ["rejected"], answers)
        self.assertIn("stranger", answers[0]["reason"])
        # A reply queue of the sender's choosing: refused, the refusal on the configured queue.
        p, answers = self.request("--node", "node-a", "-i", "mix0", "--id", "sqs-reply", "--reply-to",
                                  self.queue("pcap-node-b"), *window, wait=8)
        self.assertEqual(p.returncode, 75, p.stderr)
        ok = harness.wait_for(lambda: "sqs-reply rejected: reply_to" in self.agent_log("node-a"), 20, interval=0.2)
        self.assertTrue(ok, self.agent_log("node-a"))

    def test_bad_sqs_settings_one_line(self):
        conf = self.mkdir("badconf")
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[agent]\nbus = sqs\n")
        p = harness.run_binary(["agent", "--node", "x", "--trusted-keys-dir", self.trusted], config_dir=conf)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("queue_url", p.stderr)
        with open(os.path.join(conf, "agent.conf"), "w") as f:
            f.write("[sqs]\nqueue_url = sqs.example/queue\n")
        p = harness.run_binary(["agent", "--node", "x"], config_dir=conf)
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("sqs.example/queue", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == "__main__":
    harness.main()
