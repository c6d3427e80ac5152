"""test_cluster.py - cluster mode's ground: the three-node KRaft cluster of tests/kafka/broker.sh
(--brokers 3) that the cluster tests run on. It replicates every partition to all three nodes,
demands two in sync for acks=all, keeps serving with one node killed, and that node rejoins with
its data and address."""

import json
import subprocess

import helpers


def metadata(bootstrap, topic=None):
	command = ["kcat", "-L", "-J", "-b", bootstrap]
	if topic:
		command += ["-t", topic]
	result = subprocess.run(command, capture_output=True, text=True, timeout=30)
	assert result.returncode == 0, result.stderr
	return json.loads(result.stdout)


def effective_setting(log, name):
	"""The value a node logged for name in its KafkaConfig dump at start-up."""
	for line in log.splitlines():
		if line.strip().startswith(name + " = "):
			return line.split("=", 1)[1].strip()
	return None


def test_three_nodes_replicate_everything(kafka_cluster):
	addresses = kafka_cluster.bootstrap.split(",")
	assert len(addresses) == 3
	assert all(address.startswith("127.0.0.1:") for address in addresses)
	brokers = metadata(addresses[0])["brokers"]
	assert sorted(broker["id"] for broker in brokers) == [1, 2, 3]
	for node in (1, 2, 3):
		log = kafka_cluster.log(node)
		assert effective_setting(log, "min.insync.replicas") == "2"
		assert effective_setting(log, "default.replication.factor") == "3"
		assert effective_setting(log, "transaction.state.log.replication.factor") == "3"

	topic = helpers.unique_topic("replicated")
	helpers.kcat_produce(kafka_cluster.bootstrap, topic, [("k%d" % i, {"n": i}) for i in range(9)])
	partitions = metadata(kafka_cluster.bootstrap, topic)["topics"][0]["partitions"]
	assert len(partitions) == 3
	for partition in partitions:
		assert sorted(replica["id"] for replica in partition["replicas"]) == [1, 2, 3]


def produce_acked(bootstrap, topic, records):
	"""Produces with acks=all; kcat's complaints about a node that is down are expected here,
	a failed delivery is not (and the caller reads every record back anyway)."""
	lines = "".join("%s\t%s\n" % (key, json.dumps(value)) for key, value in records)
	result = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t",
				 "-X", "acks=all"], input=lines, capture_output=True, text=True,
				timeout=60)
	assert result.returncode == 0 and "Delivery failed" not in result.stderr, result.stderr


def test_a_killed_node_loses_nothing_and_rejoins(kafka_cluster):
	topic = helpers.unique_topic("failover")
	first = [("a%d" % i, {"n": i}) for i in range(20)]
	helpers.kcat_produce(kafka_cluster.bootstrap, topic, first)
	address = kafka_cluster.bootstrap.split(",")[1]

	kafka_cluster.kill_node(2)
	# acks=all still succeeds with two of three in sync (min.insync.replicas 2).
	second = [("b%d" % i, {"n": 100 + i}) for i in range(20)]
	produce_acked(kafka_cluster.bootstrap, topic, second)
	assert kafka_cluster.start_node(2) == address
	records = helpers.kcat_consume(kafka_cluster.bootstrap, topic, count=40, timeout=60)
	assert sorted(record["key"] for record in records) == sorted(k for k, _ in first + second)

	# The restarted node catches up: every partition has all three in sync again.
	def all_in_sync():
		partitions = metadata(address, topic)["topics"][0]["partitions"]
		return all(len(partition["isrs"]) == 3 for partition in partitions)
	assert helpers.wait_until(all_in_sync, 60, 0.5)
