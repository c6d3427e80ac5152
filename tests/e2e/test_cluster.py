"""test_cluster.py - cluster mode ([cluster] group, daemon/cluster/) on the three-node KRaft
cluster of tests/kafka/broker.sh --brokers 3, which is checked first: it replicates every
partition to all three nodes, demands two in sync for acks=all, keeps serving with one node
killed, and that node rejoins with its data and address.

Then instances of one group poll 24 growing feeds on a loopback nginx: every feed polled by
exactly one instance while membership is stable (nginx's log, one user agent per instance), the
feeds of a SIGKILLed instance taken over (the time is reported), nothing lost and nothing twice
for a read_committed reader across two SIGKILLs and a SIGTERM (articles and their state records
go out in one Kafka transaction), the state topic as documented; the same with a broker node
killed and restarted mid-run; an instance paused past its session timeout fenced (nothing
twice); a poll that outlives its lost partition (its response held by the test's server
until the instance knows it lost it) cancelled, or its transaction aborted; a feed's next
owner publishing its updates once, also from a record of the older JSON layout; a standby
without partitions not ready until it takes over; a second daemon on one state_dir refused
(its lock); and the [cluster] settings checks. With the broker killed, a transaction the
failover fenced renews the instance's producer: no instance exits; with the broker that
coordinates an instance's transactions paused past transaction.timeout.ms, it is fenced for
sure, and renewed.
Global dedup and the fingerprints topic are test_cluster_fingerprints.py's, revokes
test_cluster_revoke.py's; what they share is cluster_helpers.py."""

import collections
import datetime
import os
import random
import re
import signal

import jsonschema

import helpers
from cluster_helpers import (FEEDS, STATE_SCHEMA, Cluster, check_one_original_each,
			  check_operator_view, committed_articles, effective_setting, feed_partition,
			  holding_cluster, http_get, metadata, owned_feeds, packed_ids, produce_acked)
from test_delivery import VOCABULARY, figure


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


def test_instances_share_the_feeds_and_take_over_a_killed_one(tmp_path, kafka_cluster,
							       http_server, wiresift_daemon):
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	chooser = random.Random(16)
	for name in "abc":
		cluster.start(name)
	cluster.wait_stable("abc")
	check_operator_view(cluster, "abc")
	cluster.assert_one_poller_each()

	takeovers, groups = [], []
	for victim in "ac":
		# A wire story on three feeds just before the SIGKILL: the victim may die with its
		# copy's fingerprint judged by all and its transaction open (docs/cluster.md).
		groups.append(cluster.generator.plant(chooser.sample(range(FEEDS), 3), " ".join(
			chooser.choice(VOCABULARY) for _ in range(80))))
		cluster.grow_for(chooser.uniform(0.3, 2.0))
		delivered_before = cluster.daemons[victim].log().count("event=article.delivered")
		cluster.daemons[victim].stop(signal.SIGKILL)
		survivors = [name for name in "abc" if name != victim]
		takeovers.append(cluster.wait_stable(survivors))
		figure("cluster: takeover after SIGKILL of %s (s)" % victim, "%.1f" % takeovers[-1])
		assert delivered_before > 0
		cluster.start(victim)
		cluster.wait_stable("abc")

	cluster.daemons["b"].stop(signal.SIGTERM)
	figure("cluster: handover after SIGTERM (s)", "%.1f" % cluster.wait_stable("ac"))
	cluster.assert_one_poller_each()

	records = cluster.wait_all_published()
	missing = cluster.generator.served - {url for url, _ in records}
	copies = collections.defaultdict(list)
	for url, stamp in records:
		copies[url].append(stamp)
	twice = {url: sorted(stamps) for url, stamps in copies.items() if len(stamps) > 1}
	figure("cluster: articles served", len(cluster.generator.served))
	figure("cluster: articles missing", len(missing))
	figure("cluster: articles published twice", len(twice))
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	# An article and the state record naming it commit together or not at all: what a
	# SIGKILLed instance had not committed is aborted, and its feed's next owner publishes it.
	assert not twice, "published twice: %s" % twice
	check_one_original_each(groups, committed_articles(cluster.bootstrap, cluster.topics[:2]))

	# The state topic: one record per feed (latest), each as docs/schema/feed-state.schema.json
	# says, in the partition the feed belongs to, naming what was delivered from it.
	latest = {}
	for record in helpers.kcat_read_all(cluster.bootstrap, cluster.topics[3]):
		jsonschema.validate(record["value"], STATE_SCHEMA)
		assert record["key"] == record["value"]["url"]
		assert record["partition"] == feed_partition(record["key"], 6)
		latest[record["key"]] = record
	assert len(latest) == FEEDS
	assert all(packed_ids(record["value"]) for record in latest.values())
	assert all(record["value"]["next_poll"] > 0 for record in latest.values())


def test_a_broker_killed_and_restarted_mid_run_loses_nothing(tmp_path, kafka_cluster,
							     http_server, wiresift_daemon):
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	for config in cluster.configs.values():	# a shorter transaction: [cluster] commit_interval
		config.write_text(config.read_text().replace("[cluster]\n",
							     "[cluster]\ncommit_interval = 200ms\n"))
	for name in "ab":
		cluster.start(name)
	for name in "ab":
		cluster.daemons[name].wait_for_log(r"event=cluster\.joining .*commit_interval_ms=200\b")
	cluster.wait_stable("ab")
	cluster.grow_for(random.Random(3).uniform(0.3, 2.0))
	kafka_cluster.kill_node(2)
	cluster.grow_for(5)
	kafka_cluster.start_node(2)
	cluster.grow_for(3)
	cluster.wait_stable("ab")
	cluster.assert_one_poller_each()
	urls = [url for url, _ in cluster.wait_all_published()]
	missing = cluster.generator.served - set(urls)
	figure("cluster, broker killed: articles served", len(cluster.generator.served))
	figure("cluster, broker killed: articles missing", len(missing))
	figure("cluster, broker killed: articles published twice", len(urls) - len(set(urls)))
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	# A transaction the broker failover broke is aborted and polled again: never twice.
	assert len(urls) == len(set(urls)), "published twice: %s" % sorted(
		url for url, count in collections.Counter(urls).items() if count > 1)
	# One the failover fenced (it outlived transaction.timeout.ms while its coordinator
	# moved) renews the producer: the instance goes on, it does not exit.
	renewed = sum(cluster.daemons[name].log().count("event=cluster.producer_renewed")
		      for name in "ab")
	figure("cluster, broker killed: producers renewed", renewed)
	for name in "ab":
		assert cluster.daemons[name].running(), "instance %s exited" % name
		assert "event=cluster.transaction_fatal" not in cluster.daemons[name].log()


def coordinator_node(bootstrap, transactional_id):
	"""The node leading the __transaction_state partition of transactional_id: Kafka's
	partitionFor, abs(String.hashCode) mod the partition count."""
	partitions = metadata(bootstrap, "__transaction_state")["topics"][0]["partitions"]
	code = 0
	for char in transactional_id:
		code = (31 * code + ord(char)) & 0xFFFFFFFF
	code = abs(code - (1 << 32) if code >= 1 << 31 else code)
	wanted = code % len(partitions)
	return next(p["leader"] for p in partitions if p["partition"] == wanted)


def test_a_paused_transaction_coordinator_renews_the_producer(tmp_path, kafka_cluster,
							       http_server, wiresift_daemon):
	"""The broker coordinating instance a's transactions paused (SIGSTOP) for 20 s while a
	commits every 200 ms: its transaction outlives transaction.timeout.ms (10 s) before it
	can end, the coordinator that took over aborts it and bumps the epoch, and a's next call
	is answered "fenced". a renews its producer (cluster.producer_renewed) and goes on: no
	instance exits, nothing is lost, nothing is published twice."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	for config in cluster.configs.values():
		config.write_text(config.read_text().replace("[cluster]\n",
							     "[cluster]\ncommit_interval = 200ms\n"))
	for name in "ab":
		cluster.start(name)
	joining = cluster.daemons["a"].wait_for_log(
		r"event=cluster\.joining .*transactional_id=(\S+)")
	cluster.wait_stable("ab")
	cluster.grow_for(1)
	node = coordinator_node(cluster.bootstrap, joining.group(1))
	pid = kafka_cluster.pid(node)
	os.kill(pid, signal.SIGSTOP)
	try:
		cluster.grow_for(20)
	finally:
		os.kill(pid, signal.SIGCONT)
	cluster.grow_for(3)
	cluster.wait_stable("ab")
	urls = [url for url, _ in cluster.wait_all_published()]
	missing = cluster.generator.served - set(urls)
	renewed = cluster.daemons["a"].log().count("event=cluster.producer_renewed")
	figure("cluster, coordinator paused: producers renewed", renewed)
	figure("cluster, coordinator paused: transactions aborted",
	       cluster.daemons["a"].log().count("event=cluster.transaction_aborted"))
	for name in "ab":
		assert cluster.daemons[name].running(), "instance %s exited" % name
		assert "event=cluster.transaction_fatal" not in cluster.daemons[name].log()
	assert renewed >= 1, "a's producer was not fenced: node %d paused" % node
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert len(urls) == len(set(urls)), "published twice: %s" % sorted(
		url for url, count in collections.Counter(urls).items() if count > 1)


def test_a_paused_instance_is_fenced_and_nothing_is_published_twice(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Zombie fencing: an instance paused (SIGSTOP) past its session timeout, while its feeds
	grow, finds on resuming that the group gave its partitions away. What it fetched and had
	not committed must never commit (it aborts its transaction on learning its partitions are
	lost; a commit it tries first carries a generation the coordinator refuses; or the broker
	aborted it on timeout and fenced the producer, which then exits): nothing twice, nothing
	lost for a read_committed reader."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	for name in "ab":
		cluster.start(name)
	cluster.wait_stable("ab")
	cluster.grow_for(1.0)
	zombie = cluster.daemons["a"]
	# Only what it logs from the pause on counts: a transaction it aborted when b joined, and
	# the assignment after, must not pass for the loss and the rejoin (they once did, while
	# it exited fenced: it was never started again, and the group never had two members).
	paused_at = len(zombie.log())
	zombie.send_signal(signal.SIGSTOP)
	try:
		figure("cluster: takeover from a paused instance (s)", "%.1f" % cluster.wait_stable("b"))
	finally:
		zombie.send_signal(signal.SIGCONT)

	def lost():
		return re.search(r"event=cluster\.revoked .*lost=yes|"
				 r"event=cluster\.transaction_(?:aborted|fatal)", zombie.log()[paused_at:])
	outcome = helpers.wait_until(lambda: lost() or (not zombie.running() and "exited"), 60,
				     0.2)
	assert outcome, "the paused instance never learnt it lost its partitions:\n%s" % \
		helpers.tail(zombie.log_path, 30)
	# The transaction it had under way ends after that (the committer thread): fenced, it
	# exits; otherwise it rejoins the group. Either comes; then it runs again if it exited.
	lost_at = paused_at + (lost().end() if lost() else 0)
	assert helpers.wait_until(lambda: not zombie.running() or re.search(
		r"event=cluster\.assigned ", zombie.log()[lost_at:]), 60, 0.2), \
		helpers.tail(zombie.log_path, 30)
	if not zombie.running():
		cluster.start("a")
	cluster.wait_stable("ab")
	cluster.grow_for(2)
	urls = [url for url, _ in cluster.wait_all_published()]
	missing = cluster.generator.served - set(urls)
	figure("cluster, paused instance: articles served", len(cluster.generator.served))
	figure("cluster, paused instance: transactions aborted", len(re.findall(
		r"event=cluster\.transaction_aborted", zombie.log())))
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert len(urls) == len(set(urls)), "published twice: %s" % sorted(
		url for url, count in collections.Counter(urls).items() if count > 1)


def test_a_poll_that_outlives_its_lost_partition_is_not_committed(tmp_path, kafka_cluster,
							 wiresift_daemon):
	"""An instance whose poll is under way when its partition is lost (paused past its session
	timeout, the group gave the partition to the other) must not commit what that poll
	brings: its fetch is cancelled when it learns the loss, or its body dropped unparsed
	(cluster.poll_dropped; or, if it was parsed first, its transaction aborts:
	cluster.transaction_aborted reason="articles of partitions no longer ours") and the
	partition's new owner publishes the items, once.
	Every step waits for the event it needs (the request arriving, the takeover, the loss
	logged), never for a time: the test's server holds the poll's response until then."""
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon)
	try:
		cluster.start_owner_and_standby()
		zombie = cluster.daemons["a"]

		server.hold("/feed0.xml", "wiresift-a")
		assert server.held.wait(60), "instance a never polled feed0 again"
		zombie.send_signal(signal.SIGSTOP)
		try:
			cluster.generator.add(FEEDS)	# new items, feed0's among them, for both to fetch
			takeover = cluster.wait_stable("b")
			resumed_at = len(zombie.log())	# paused: its log does not grow
		finally:
			zombie.send_signal(signal.SIGCONT)
		figure("cluster, poll outliving its partition: takeover (s)", "%.1f" % takeover)
		# Back from the pause it learns the partition is lost, or (when the takeover took
		# longer than the transaction timeout) that the broker aborted its open transaction
		# and fenced its producer, which makes it exit (cluster.transaction_fatal).
		lost = zombie.wait_for_log(r"event=cluster\.revoked .*lost=yes|"
					   r"event=cluster\.transaction_fatal ", timeout=60)
		server.release()	# the poll ends now, its partition known lost
		# Its fetch is cancelled as it learns the loss (cluster.poll_dropped, logged just
		# before the cluster.revoked line), or, answered first, its body is dropped
		# unparsed, or its articles go into a transaction that aborts for holding them:
		# that abort says why, and the article.undelivered lines after it name feed0. (Articles of
		# feed0's poll before the pause may end with the transaction open then, aborted
		# as "partitions lost", or committed before the loss: not this poll's.) A fenced
		# instance commits nothing more: it exits.
		aborted = re.compile(
			r'event=cluster\.transaction_aborted reason="articles of partitions no longer '
			r'ours".*\n(?:.*event=article\.undelivered .*\n)*?'
			r'.*event=article\.undelivered feed=feed0 ')
		dropped = re.compile(r"event=cluster\.poll_dropped feed=feed0 ")

		def ended():
			if dropped.search(zombie.log(), resumed_at):
				return "drop"
			if aborted.search(zombie.log(), lost.start()):
				return "abort"
			return not zombie.running() and "event=cluster.transaction_fatal " in \
				zombie.log() and "fence"
		outcome = helpers.wait_until(ended, 60, 0.2)
		assert outcome, "the poll's articles were neither dropped, aborted nor fenced:\n%s" % \
			helpers.tail(zombie.log_path, 30)
		figure("cluster, poll outliving its partition: ended by", outcome)
		cluster.grow_for(1.0)
		urls = [url for url, _ in cluster.wait_all_published()]
		missing = cluster.generator.served - set(urls)
		assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
		assert len(urls) == len(set(urls)), "published twice: %s" % sorted(
			url for url, count in collections.Counter(urls).items() if count > 1)
	finally:
		server.stop()


def atom_feed(entries):
	"""An Atom feed of (id, title, updated, summary) entries."""
	return ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Versions'
		'</title><id>urn:versions</id><updated>2026-12-06T09:00:00Z</updated>%s</feed>' %
		"".join("<entry><title>%s</title><link href=\"https://versions.example/%s\"/>"
			"<id>urn:%s</id><updated>%s</updated><summary>%s</summary></entry>" %
			(title, name, name, updated, summary)
			for name, title, updated, summary in entries)).encode()


def versions_words(seed):
	"""Forty words of a small vocabulary, the same for the same seed: an item's text."""
	return " ".join(random.Random(seed).choice(
		("harbour", "council", "storm", "bridge", "market", "vote", "river", "minister",
		 "village", "engineer", "ferry", "budget")) for _ in range(40))


def versions_cluster(tmp_path, kafka_cluster, wiresift_daemon, before, after):
	"""A Cluster whose HoldingServer shows feed0.xml to instance a as the Atom feed of the
	items `before` and to every other instance as that of `after`; returns (cluster, server)."""
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon)
	server.content = lambda path, agent: path == "/feed0.xml" and atom_feed(
		before if agent == "wiresift-a" else after)
	return cluster, server


def test_a_feeds_next_owner_publishes_its_updates_once(tmp_path, kafka_cluster,
						       wiresift_daemon):
	"""Issue 14's updated items across a takeover: the state record carries each delivered
	item's updated time and content hash (versions), so the instance a feed moves to
	publishes an item the feed updated since once, as an update, and not one whose update
	says what it said. The test's server shows instance a the feed as it was and b as it is
	now (by user agent), so which instance sees which is certain whatever the timing."""
	before = [("changed", "Bridge vote delayed", "2026-12-06T09:00:00Z", versions_words(1)),
		  ("same", "Ferry timetable", "2026-12-06T09:00:00Z", versions_words(2))]
	after = [("changed", "Bridge vote passes", "2026-12-06T10:00:00Z", versions_words(3)),
		 ("same", "Ferry timetable", "2026-12-06T10:00:00Z", versions_words(2)),
		 ("new", "Storm warning", "2026-12-06T10:00:00Z", versions_words(4))]
	cluster, server = versions_cluster(tmp_path, kafka_cluster, wiresift_daemon, before, after)
	urls = lambda: [url for url, _ in cluster.committed_records()
			if url.startswith("https://versions.example/")]
	try:
		cluster.start_owner_and_standby()
		assert helpers.wait_until(lambda: len(urls()) == 2, 60, 0.5), urls()
		cluster.daemons["a"].stop(signal.SIGTERM)	# hands the partition to b
		assert helpers.wait_until(lambda: len(urls()) >= 4, 60, 0.5), urls()
		# b's poll that published them judged "same" too (the same poll, in feed order).
		records = [record for record in cluster.committed_values()
			   if record["url"].startswith("https://versions.example/")]
		published = collections.Counter(record["url"].rsplit("/", 1)[1]
						 for record in records)
		assert published == {"changed": 2, "same": 1, "new": 1}, published
		update = [record for record in records if record.get("update")]
		assert [(record["title"], record["url"]) for record in update] == \
			[("Bridge vote passes", "https://versions.example/changed")]
		cluster.grow_for(2.0)		# b polls on: nothing more of feed0
		assert sorted(urls()) == sorted("https://versions.example/" + name
						for name in ("changed", "changed", "same", "new"))
		state = [record["value"] for record in helpers.kcat_read_all(cluster.bootstrap,
									      cluster.topics[3])
			 if record["key"] == server.url("feed0.xml")]
		for record in state:
			jsonschema.validate(record, STATE_SCHEMA)
		ids = packed_ids(state[-1])
		assert len(ids) == 3 and all(content_hash for _, _, content_hash in ids)
		assert sorted(updated for _, updated, _ in ids) == [unix("2026-12-06T10:00:00Z")] * 3
	finally:
		server.stop()


def unix(text):
	return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def test_a_feed_taken_over_from_a_record_of_the_json_layout_publishes_nothing_again(
		tmp_path, kafka_cluster, wiresift_daemon):
	"""Records written before the ids were packed ("delivered" and "versions", JSON lists of
	the ids themselves) are still read: instance a delivers a feed's two items and stops;
	its packed record of the feed is rewritten in the earlier layout (the ids from the
	articles topic, their versions from a's record, matched by updated time) and produced
	to the state topic; instance b takes the feed over from that record and publishes the
	item the feed updated since once, as an update, the new one, and nothing else."""
	before = [("changed", "Bridge vote delayed", "2026-12-06T09:00:00Z", versions_words(1)),
		  ("same", "Ferry timetable", "2026-12-06T09:01:00Z", versions_words(2))]
	after = [("changed", "Bridge vote passes", "2026-12-06T10:00:00Z", versions_words(3)),
		 ("same", "Ferry timetable", "2026-12-06T10:01:00Z", versions_words(2)),
		 ("new", "Storm warning", "2026-12-06T10:00:00Z", versions_words(4))]
	cluster, server = versions_cluster(tmp_path, kafka_cluster, wiresift_daemon, before, after)
	feed = server.url("feed0.xml")
	mine = lambda: [record for record in cluster.committed_values()
			if record["url"].startswith("https://versions.example/")]
	try:
		for config in cluster.configs.values():
			config.write_text(config.read_text().replace("partitions = 6",
								      "partitions = 1"))
		cluster.start("a")
		assert helpers.wait_until(lambda: len(mine()) == 2, 90, 0.5), mine()
		cluster.daemons["a"].stop(signal.SIGTERM)
		packed = [record["value"] for record in helpers.kcat_read_all(
			cluster.bootstrap, cluster.topics[3]) if record["key"] == feed][-1]
		by_time = {updated: content_hash for _, updated, content_hash in packed_ids(packed)}
		ids = {record["url"].rsplit("/", 1)[1]: record["id"] for record in mine()}
		old = {key: value for key, value in packed.items() if key != "ids"}
		old["delivered"] = [ids["changed"], ids["same"]]
		old["versions"] = {ids[name]: [unix(updated), "%016x" % by_time[unix(updated)]]
				   for name, _, updated, _ in before}
		jsonschema.validate(old, STATE_SCHEMA)
		helpers.kcat_produce(cluster.bootstrap, cluster.topics[3], [(feed, old)])
		cluster.start("b")
		assert helpers.wait_until(lambda: len(mine()) >= 4, 90, 0.5), mine()
		cluster.grow_for(2.0)		# b polls on: nothing more of feed0
		published = collections.Counter(record["url"].rsplit("/", 1)[1] for record in mine())
		assert published == {"changed": 2, "same": 1, "new": 1}, published
		assert [record["title"] for record in mine() if record.get("update")] == \
			["Bridge vote passes"]
		state = [record["value"] for record in helpers.kcat_read_all(
			cluster.bootstrap, cluster.topics[3]) if record["key"] == feed]
		assert "delivered" not in state[-1] and len(packed_ids(state[-1])) == 3
	finally:
		server.stop()


def test_cluster_settings_are_checked(tmp_path):
	"""[cluster] errors stop the start with FILE:LINE or a reason; no broker is needed."""
	def check(extra, name, once=False):
		config = helpers.write_config(tmp_path / name, "127.0.0.1:9", extra=extra)
		args = ["-c", config] + (["--once"] if once else ["-t"])
		return helpers.run_wiresift(args, timeout=30)

	result = check({"cluster": {"group": "g", "members": "3"}}, "unknown")
	assert result.returncode != 0
	assert re.search(r"wiresift\.conf:\d+: unknown key \"members\" in \[cluster\]", result.stderr)
	result = check({"kafka": {"bootstrap.servers": ""}, "cluster": {"group": "g"}}, "embedded")
	assert result.returncode != 0 and "needs [kafka] bootstrap.servers" in result.stderr
	result = check({"cluster": {"group": "g", "topic.state": "wiresift.feeds"}}, "one-topic")
	assert result.returncode != 0 and "must be three names" in result.stderr
	result = check({"cluster": {"group": "g", "topic.fingerprints": "wiresift.state"}},
		       "fingerprints-topic")
	assert result.returncode != 0 and "must be three names" in result.stderr
	result = check({"cluster": {"group": "g", "partitions": "0"}}, "no-partitions")
	assert result.returncode != 0 and "partitions must be 1 to 10000" in result.stderr
	for value in ("5ms", "6s", "soon"):
		result = check({"cluster": {"group": "g", "commit_interval": value}}, "interval")
		assert result.returncode != 0
		assert re.search(r"wiresift\.conf:\d+: commit_interval: ", result.stderr), result.stderr
	assert check({"cluster": {"group": "g", "commit_interval": "10ms"}}, "short").returncode == 0
	assert check({"cluster": {"group": "g", "commit_interval": "5s"}}, "long").returncode == 0
	for value in ("500ms", "0", "never"):
		result = check({"cluster": {"group": "g", "fingerprint_timeout": value}}, "deadline")
		assert result.returncode != 0
		assert re.search(r"wiresift\.conf:\d+: fingerprint_timeout: ", result.stderr), \
			result.stderr
	assert check({"cluster": {"group": "g", "fingerprint_timeout": "1s"}},
		     "deadline-short").returncode == 0
	assert check({"cluster": {"group": "g"}}, "good").returncode == 0
	result = check({"cluster": {"group": "g"}}, "once", once=True)
	assert result.returncode != 0 and "--once does not run in cluster mode" in result.stderr


def test_a_second_daemon_on_one_state_dir_refuses_to_start(tmp_path, wiresift_daemon):
	"""state_dir is locked (state_dir/wiresift.lock): a second daemon on it refuses to start,
	naming the directory and the pid holding it; in cluster mode that keeps the
	transactional.id made from the host and state_dir to one live instance. Single-node here
	(the embedded broker): the lock is taken before anything else, in both modes."""
	config = helpers.write_config(tmp_path / "one", "")
	first = wiresift_daemon(config)
	first.wait_for_log(r"event=daemon\.started")
	result = helpers.run_wiresift(["-c", config], timeout=30)
	assert result.returncode != 0
	assert "state_dir %s is in use by another wiresift (pid %d" % (
		tmp_path / "one" / "state", first.pid) in result.stderr, result.stderr
	assert first.running()
	first.stop()
	result = helpers.run_wiresift(["-c", config, "--once"], timeout=60)
	assert result.returncode == 0, result.stderr	# released when the holder ends


def test_a_standby_without_partitions_is_not_ready_until_it_takes_over(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""One partition, two instances: the one the group leaves without a partition says so on
	/readyz (503), and becomes ready when the other stops and its feeds move to it."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	for config in cluster.configs.values():
		config.write_text(config.read_text().replace("partitions = 6", "partitions = 1"))
	for name in "ab":
		cluster.start(name)

	def roles():
		counts = {name: owned_feeds(cluster.daemons[name]) for name in "ab"}
		owner = [name for name, count in counts.items() if count == FEEDS]
		return owner and (owner[0], "b" if owner[0] == "a" else "a")
	owner, standby = helpers.wait_until(roles, 90, 0.2)
	assert http_get(cluster.daemons[owner], "/readyz")[0] == 200
	status, body = http_get(cluster.daemons[standby], "/readyz")
	assert status == 503 and "no partitions assigned" in body, body
	cluster.daemons[owner].stop(signal.SIGTERM)
	assert helpers.wait_until(lambda: owned_feeds(cluster.daemons[standby]) == FEEDS, 60, 0.2)
	assert helpers.wait_until(lambda: http_get(cluster.daemons[standby], "/readyz")[0] == 200,
				  30, 0.2)
