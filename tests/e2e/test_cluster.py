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
until the instance knows it lost it) cancelled, or its transaction aborted; a revoke under
backpressure as an instance joins cancelling the polls under way, every item still published
once (issue 16's stall); an
article whose fingerprint record is lost (the tests' hook) released as failed after
fingerprint_timeout, its feed polled again and the item published once; a standby without
partitions not ready until it takes over; and the [cluster] settings
checks."""

import base64
import collections
import ctypes
import datetime
import json
import math
import random
import re
import signal
import struct
import subprocess
import time
import urllib.error
import urllib.request

import jsonschema
import pytest

import helpers
import kafka_group
from test_delivery import VOCABULARY, GrowingFeeds, figure

STATE_SCHEMA = json.loads((helpers.ROOT / "docs" / "schema" /
			   "feed-state.schema.json").read_text())
FINGERPRINT_SCHEMA = json.loads((helpers.ROOT / "docs" / "schema" /
				 "fingerprint.schema.json").read_text())


def packed_ids(record):
	"""A state record's "ids" (docs/schema/feed-state.schema.json, x-ids-layout), read here
	on their own: [(XXH3-64 of the id, updated time or None, content hash or None)], oldest
	first."""
	data = base64.b64decode(record["ids"], validate=True)
	assert data[0] == 1, "ids layout version %d" % data[0]
	at, previous, entries = 1, 0, []
	while at < len(data):
		(id_hash,) = struct.unpack_from("<Q", data, at)
		at += 8
		code = shift = 0
		while True:
			byte = data[at]
			at += 1
			code |= (byte & 0x7f) << shift
			shift += 7
			if byte < 0x80:
				break
		updated = content_hash = None
		if code >= 2:
			zigzag = code - 2
			updated = previous + ((zigzag >> 1) ^ -(zigzag & 1))
			previous = updated
		elif code == 1:
			updated = 0
		if code >= 1:
			(content_hash,) = struct.unpack_from("<Q", data, at)
			at += 8
		entries.append((id_hash, updated, content_hash))
	assert at == len(data)
	return entries


def kcat_read_raw(bootstrap, topic, timeout=60):
	"""Every record now in topic as {key, raw (bytes), partition, offset}, in offset order, read
	as wiresift reads the fingerprints topic (read_uncommitted). kcat -J cannot carry binary
	values, so each record comes as a line "PARTITION OFFSET KEYLEN VALUELEN" and its bytes."""
	command = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
		   "-X", "isolation.level=read_uncommitted", "-f", "%p %o %K %S\n%k%s"]
	try:
		out = subprocess.run(command, capture_output=True, timeout=timeout).stdout
	except subprocess.TimeoutExpired:
		return []
	records, at = [], 0
	while at < len(out):
		end = out.index(b"\n", at)
		partition, offset, key_length, value_length = map(int, out[at:end].split())
		at = end + 1
		key, at = out[at:at + max(key_length, 0)], at + max(key_length, 0)
		raw, at = out[at:at + max(value_length, 0)], at + max(value_length, 0)
		records.append({"key": key.decode(), "raw": raw, "partition": partition,
				"offset": offset})
	return sorted(records, key=lambda record: (record["partition"], record["offset"]))


def decode_fingerprint(raw):
	"""A binary fingerprint record (docs/schema/fingerprint.schema.json, x-binary-layout),
	written from the layout described there, as the JSON object that schema describes; it
	must be whole (no bytes left over, none missing)."""
	at = 0

	def take(layout):
		nonlocal at
		values = struct.unpack_from("<" + layout, raw, at)
		at += struct.calcsize("<" + layout)
		return values

	def string():
		nonlocal at
		(length,) = take("I")
		if length == 0xFFFFFFFF:
			return None
		assert at + length <= len(raw), "string past the end"
		at += length
		return raw[at - length:at].decode()

	magic, version, flags, shingle_size, signature_size, bands = take("BBBBHH")
	assert (magic, version) == (0xFB, 1), raw[:2]
	(when,) = take("q")
	record = {"time": when, "id": string(), "feed": string(),
		  "sketch": [shingle_size, signature_size, bands]}
	exact, words, shingles = take("QII")
	size = (signature_size * 4 + 63) // 64 * 8
	record.update(exact="%016x" % exact, words=words, shingles=shingles,
		      signature=raw[at:at + size].hex())
	assert at + size <= len(raw)
	at += size
	record["bands"] = ["%016x" % key for key in take("%dQ" % bands)]
	if flags & 1:
		(story_time,) = take("q")
		story = {"time": story_time, "outlet": string(), "title": string(), "entities": []}
		for _ in range(take("I")[0]):
			story["entities"].append([string(), string(), take("i")[0]])
		story["items"] = [["%016x" % key, count, salient] for key, count, salient in
				  (take("QHH") for _ in range(take("I")[0]))]
		record["story"] = story
	assert at == len(raw), "%d bytes left over" % (len(raw) - at)
	if record["feed"] is None:
		del record["feed"]
	return record


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


# --- cluster mode: instances sharing the feeds ----------------------------------------------

FEEDS = 24


def feed_partition(url, partitions):
	"""XXH64(url, seed 0) mod partitions, by the C library's XXH64 (libxxhash) through ctypes."""
	library = ctypes.CDLL("libxxhash.so.0")
	library.XXH64.restype = ctypes.c_ulonglong
	library.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_ulonglong]
	data = url.encode()
	return library.XXH64(data, len(data), 0) % partitions


def owned_feeds(daemon):
	"""Feeds the instance says it polls (its last cluster.feeds line), 0 when not running."""
	if not daemon.running():
		return 0
	found = re.findall(r"event=cluster\.feeds owned=(\d+)", daemon.log())
	return int(found[-1]) if found else 0


class WireFeeds(GrowingFeeds):
	"""GrowingFeeds that can also carry wire copies: one text under its own link on several
	feeds at once (each copy a new item of its feed)."""

	def plant(self, indices, text):
		links = set()
		for index in indices:
			link = "https://feed%d.example/wire/%d" % (index, self.next_id)
			self.items[index].append((self.next_id, link, text))
			self.served.add(link)
			self.next_id += 1
			links.add(link)
		for index in indices:
			self._write(index)
		return links


def cluster_config(directory, name, bootstrap, generator, site, topics, group):
	return helpers.write_config(directory / name, bootstrap, generator.feeds(site), {
		"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		"feeds": {"min_interval": "1s", "max_host_connections": "8", "max_backoff": "5s",
			  "user_agent": "wiresift-" + name},
		"daemon": {"shutdown_timeout": "5s", "summary_interval": "10s"},
		"cluster": {"group": group, "topic.feeds": topics[2], "topic.state": topics[3],
			    "topic.fingerprints": topics[4], "partitions": 6, "session_timeout": "6s"},
		"metrics": {"listen": "127.0.0.1:0"},
	})


class Cluster:
	"""Instances of one group on the three-node cluster, polling growing feeds."""

	def __init__(self, tmp_path, kafka_cluster, http_server, wiresift_daemon):
		self.generator = WireFeeds(tmp_path / "site", feed_count=FEEDS, keep=400)
		self.generator.add(2 * FEEDS)
		self.site = http_server(self.generator.dir)
		self.bootstrap = kafka_cluster.bootstrap
		self.topics = tuple(helpers.unique_topic(kind) for kind in
				    ("articles", "duplicates", "feeds", "state", "fingerprints"))
		self.group = group = helpers.unique_topic("group")
		self.configs = {name: cluster_config(tmp_path, name, self.bootstrap, self.generator,
						     self.site, self.topics, group)
				for name in ("a", "b", "c")}
		self.start_daemon = wiresift_daemon
		self.daemons = {}

	def start(self, name):
		self.daemons[name] = self.start_daemon(self.configs[name])

	def start_owner_and_standby(self):
		"""One partition: instance a polls every feed, b joins and stands by, and keeps the
		partition once it has it (cooperative-sticky moves nothing it need not)."""
		for config in self.configs.values():
			config.write_text(config.read_text().replace("partitions = 6", "partitions = 1"))
		self.start("a")
		assert helpers.wait_until(lambda: owned_feeds(self.daemons["a"]) == FEEDS, 90, 0.2)
		self.start("b")
		self.daemons["b"].wait_for_log(r"event=cluster\.assigned ", timeout=60)

	def grow_for(self, seconds):
		"""Adds a new item to six feeds every half second for seconds."""
		deadline = time.monotonic() + seconds
		while time.monotonic() < deadline:
			self.generator.add(6)
			time.sleep(0.5)

	def wait_stable(self, names, timeout=90):
		"""Grows the feeds until the running instances names poll all feeds between them,
		each some; returns the seconds that took."""
		begun = time.monotonic()
		while True:
			counts = [owned_feeds(self.daemons[name]) for name in names]
			if sum(counts) == FEEDS and all(counts):
				return time.monotonic() - begun
			if time.monotonic() - begun > timeout:
				raise AssertionError("instances %s own %s of %d feeds after %ds; last "
						     "log lines:\n%s" % (names, counts, FEEDS, timeout,
						     "\n".join(helpers.tail(self.daemons[name].log_path, 15)
							       for name in names)))
			self.grow_for(0.5)

	def pollers_since(self, since):
		"""{feed path: set of user agents that fetched it} for requests at or after since
		(a time.time(); nginx logs whole seconds)."""
		pollers = {}
		for request in self.site.requests():
			when = datetime.datetime.fromisoformat(request["time"]).timestamp()
			if when >= since and request["uri"].startswith("/feed"):
				pollers.setdefault(request["uri"], set()).add(request["user_agent"])
		return pollers

	def assert_one_poller_each(self, seconds=4, longest=30):
		"""Over a window of stable membership every feed is polled, each by one instance. The
		window is at least seconds long, and grows (to longest) until every feed has been
		polled in it: a loaded machine can delay a poll past the shortest window, and a
		feed polled late is not a feed polled twice."""
		since = math.ceil(time.time()) + 1
		self.grow_for(seconds)
		pollers = self.pollers_since(since)
		while len(pollers) < FEEDS and time.time() - since < longest:
			self.grow_for(1)
			pollers = self.pollers_since(since)
		assert len(pollers) == FEEDS, "feeds polled in the window: %d" % len(pollers)
		shared = {uri: agents for uri, agents in pollers.items() if len(agents) > 1}
		assert not shared, "feeds polled by more than one instance: %s" % shared

	def committed_records(self):
		"""(article URL, record timestamp in s) of the articles and duplicates topics, read as
		a read_committed consumer (kcat -X isolation.level=read_committed)."""
		records = []
		for topic in self.topics[:2]:
			result = subprocess.run(
				["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning", "-e",
				 "-q", "-X", "isolation.level=read_committed", "-f", "%T %s\\n"],
				capture_output=True, text=True, timeout=60)
			for line in result.stdout.splitlines():
				stamp, _, value = line.partition(" ")
				if value.startswith("{"):
					records.append((json.loads(value)["url"], int(stamp) / 1000))
		return records

	def committed_values(self):
		"""The article messages (parsed) of the articles and duplicates topics, as a
		read_committed consumer reads them."""
		values = []
		for topic in self.topics[:2]:
			result = subprocess.run(
				["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning", "-e",
				 "-q", "-X", "isolation.level=read_committed", "-f", "%s\\n"],
				capture_output=True, text=True, timeout=60)
			values += [json.loads(line) for line in result.stdout.splitlines()
				   if line.startswith("{")]
		return values

	def wait_all_published(self, timeout=60):
		"""The committed records once every served article is among them (or at timeout)."""
		deadline = time.monotonic() + timeout
		while True:
			records = self.committed_records()
			urls = {url for url, _ in records}
			if self.generator.served <= urls or time.monotonic() > deadline:
				return records


def holding_cluster(tmp_path, kafka_cluster, wiresift_daemon, etags=False):
	"""A Cluster whose feeds a helpers.HoldingServer serves (which can hold a request until
	told): (cluster, server). The caller stops the server."""
	servers = []

	def start(root):
		servers.append(helpers.HoldingServer(root, etags=etags))
		return servers[0]
	cluster = Cluster(tmp_path, kafka_cluster, start, wiresift_daemon)
	return cluster, servers[0]


def http_get(daemon, path):
	"""(status, body) of path on the instance's metrics listener."""
	address = daemon.wait_for_log(r"event=metrics\.listening address=(\S+)").group(1)
	try:
		with urllib.request.urlopen("http://%s%s" % (address, path), timeout=10) as response:
			return response.status, response.read().decode()
	except urllib.error.HTTPError as error:
		return error.code, error.read().decode()


def committed(daemon):
	"""The transactions the instance committed, from its /metrics."""
	return int(re.search(r'^wiresift_cluster_transactions_total\{result="committed"\} (\d+)$',
			     http_get(daemon, "/metrics")[1], re.M).group(1))


def check_operator_view(cluster, names):
	"""/readyz, /metrics and /feeds of each instance agree with the partitions it holds."""
	polled = 0
	for name in names:
		daemon = cluster.daemons[name]
		assert http_get(daemon, "/readyz")[0] == 200
		metrics = http_get(daemon, "/metrics")[1]
		owned = int(re.search(r'^wiresift_cluster_partitions\{state="owned"\} (\d+)$',
				      metrics, re.M).group(1))
		assert owned > 0
		assert re.search(r"^wiresift_cluster_rebalances_total [1-9]", metrics, re.M)
		assert re.search(r"^wiresift_cluster_generation [1-9]", metrics, re.M), metrics
		assert committed(daemon) >= 0
		feeds = json.loads(http_get(daemon, "/feeds")[1])
		for feed in feeds:
			assert feed["partition"] == feed_partition(feed["url"], 6)
		here = [feed for feed in feeds if feed["polled_here"]]
		assert ("wiresift_cluster_feeds %d" % len(here)) in metrics
		polled += len(here)
	assert polled == FEEDS
	# Their first articles commit within the next commit_interval (500 ms by default).
	assert helpers.wait_until(lambda: sum(committed(cluster.daemons[name]) for name in names),
				  30, 0.2)


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


# --- global dedup: the fingerprints topic as the sequencer ----------------------------------

def committed_articles(bootstrap, topics):
	"""The article records (parsed) of topics, read as a read_committed consumer."""
	articles = []
	for topic in topics:
		result = subprocess.run(
			["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
			 "-X", "isolation.level=read_committed", "-f", "%s\\n"],
			capture_output=True, text=True, timeout=60)
		articles += [json.loads(line) for line in result.stdout.splitlines()
			     if line.startswith("{")]
	return articles


def polled_by(cluster, name):
	"""Indices of the feeds the instance polls now (its /feeds)."""
	feeds = json.loads(http_get(cluster.daemons[name], "/feeds")[1])
	return sorted(int(re.search(r"feed(\d+)\.xml", feed["url"]).group(1)) for feed in feeds
		      if feed["polled_here"])


def check_one_original_each(groups, articles):
	"""Each group of wire copies is published once each, as one unique article (on the
	articles topic) and duplicates of it (on the duplicates topic), all in one story; returns
	the groups' originals."""
	by_url = collections.defaultdict(list)
	for article in articles:
		by_url[article["url"]].append(article)
	originals = []
	for links in groups:
		copies = [by_url[link] for link in sorted(links)]
		assert all(len(found) == 1 for found in copies), \
			"copies published %s times" % [len(found) for found in copies]
		copies = [found[0] for found in copies]
		unique = [copy for copy in copies if copy["dedup"]["status"] == "unique"]
		assert len(unique) == 1, "group %s judged %s" % (sorted(links), [
			(copy["url"], copy["dedup"]["status"]) for copy in copies])
		for copy in copies:
			if copy is not unique[0]:
				assert copy["dedup"]["duplicate_of"] == unique[0]["id"], copy["dedup"]
		# Stories go through the same log: every instance put the copies in one story.
		assert len({copy["story"]["id"] for copy in copies}) == 1, [
			(copy["url"], copy["story"]["id"]) for copy in copies]
		originals.append(unique[0])
	return originals


def test_wire_copies_polled_by_different_instances_are_one_original_and_duplicates(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Three instances; each round plants one wire story on a feed of each instance at once
	(fetched within the same second or so by three instances): whatever the timing, a
	read_committed reader finds exactly one original and two duplicates of it (the
	fingerprints topic orders the candidates, and every instance judges in that order).
	All copies of one story are in one story (story features go in the same records). Then
	an instance restarts (its dedup and story indexes are in memory only: rebuilt from the
	topic) and a copy of an earlier story on one of its feeds is judged a duplicate of that
	story's original, in its story."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	chooser = random.Random(1616)
	for name in "abc":
		cluster.start(name)
	cluster.wait_stable("abc")
	assert helpers.wait_until(lambda: all(http_get(cluster.daemons[name], "/readyz")[0] == 200
					      for name in "abc"), 30, 0.2)
	groups, texts = [], []
	for _ in range(8):
		feeds = [chooser.choice(polled_by(cluster, name)) for name in "abc"]
		texts.append(" ".join(chooser.choice(VOCABULARY) for _ in range(80)))
		groups.append(cluster.generator.plant(feeds, texts[-1]))
		cluster.grow_for(chooser.uniform(0.2, 1.0))

	cluster.daemons["b"].stop(signal.SIGTERM)
	cluster.start("b")
	cluster.wait_stable("abc")
	assert helpers.wait_until(lambda: http_get(cluster.daemons["b"], "/readyz")[0] == 200,
				  30, 0.2)
	late = cluster.generator.plant([chooser.choice(polled_by(cluster, "b"))], texts[0])
	cluster.grow_for(1)
	cluster.wait_all_published()
	articles = committed_articles(cluster.bootstrap, cluster.topics[:2])
	originals = check_one_original_each(groups, articles)
	late_copy = [article for article in articles if article["url"] in late]
	assert len(late_copy) == 1 and late_copy[0]["dedup"]["duplicate_of"] == originals[0]["id"], \
		late_copy
	assert late_copy[0]["story"]["id"] == originals[0]["story"]["id"]
	figure("cluster: wire stories planted on three instances' feeds", len(groups))
	# The fingerprints topic: one partition, records as docs/schema/fingerprint.schema.json
	# says, one at least for every article published, read as wiresift reads it
	# (read_uncommitted): the record that judged an article may be in a transaction that
	# aborted after it was read back (a generation refused in the rebalances of the start),
	# and the article, delivered in the next one, is not sent again (docs/cluster.md, "When a
	# transaction aborts"), so a read_committed reader may miss it.
	def unsent():
		keys = {record["key"] for record in kcat_read_raw(cluster.bootstrap,
								   cluster.topics[4])}
		return [(article["url"], article["id"]) for article in articles
			if article["id"] not in keys]
	assert helpers.wait_until(lambda: not unsent(), 30, 1), unsent()[:5]
	fingerprints = kcat_read_raw(cluster.bootstrap, cluster.topics[4])
	figure("cluster: fingerprint record bytes, mean over %d" % len(fingerprints),
	       sum(len(record["raw"]) for record in fingerprints) // len(fingerprints))
	for record in fingerprints:
		value = decode_fingerprint(record["raw"])
		jsonschema.validate(value, FINGERPRINT_SCHEMA)
		assert record["key"] == value["id"] and record["partition"] == 0
		assert "story" in value		# [stories] is on
	metrics = http_get(cluster.daemons["b"], "/metrics")[1]
	read = int(re.search(r'^wiresift_cluster_fingerprints_total\{result="read"\} (\d+)$',
			     metrics, re.M).group(1))
	# The restarted instance read every candidate of the group, its own and the others'.
	assert read >= len(groups) * 3 + 1
	assert re.search(r"^wiresift_cluster_fingerprints_parked 0$", metrics, re.M)


def test_a_full_producer_queue_holds_articles_and_spools_none(tmp_path, kafka_cluster,
							      http_server, wiresift_daemon):
	"""librdkafka's queue bounded to 4 messages: each article sends two (itself and its
	fingerprint), so the first poll of 24 feeds of 20 items fills it. Cluster mode spools nothing
	(a spooled article would leave its transaction, and its id its feed's state record): what
	the queue refuses waits in the publisher, in order, for room. Every served article is
	committed once, none counted as spooled."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	config.write_text(config.read_text().replace(
		"[kafka]\n", "[kafka]\nqueue.buffering.max.messages = 4\n", 1))
	cluster.generator.add(18 * FEEDS)
	cluster.start("a")
	assert helpers.wait_until(lambda: owned_feeds(cluster.daemons["a"]) == FEEDS, 90, 0.2)
	cluster.grow_for(2)
	records = cluster.wait_all_published(timeout=90)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert not [url for url, count in urls.items() if count > 1]
	metrics = http_get(cluster.daemons["a"], "/metrics")[1]
	assert re.search(r'^wiresift_articles_total\{status="spooled"\} 0$', metrics, re.M), \
		re.findall(r"^wiresift_articles_total.*$", metrics, re.M)
	assert "event=delivery.spooled" not in cluster.daemons["a"].log()
	figure("cluster: articles through a 4-message producer queue", len(urls))


def test_a_poll_due_while_its_items_are_in_flight_waits_for_them(tmp_path, kafka_cluster,
								http_server, wiresift_daemon):
	"""Feeds polled every second, a transaction every 3 s: a feed's validators advance only
	once its poll's items are committed, so its next polls fall due while they are in flight.
	Such a poll waits for them and goes out conditional: each feed is answered 200 once, then
	only 304 (If-None-Match sent), never fetched whole again to skip its own items in flight.
	Before, the 24 feeds were each fetched in full two or three times in the first seconds."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	config.write_text(re.sub(r"^\[cluster\]\n", "[cluster]\ncommit_interval = 3s\n",
				 config.read_text(), count=1, flags=re.M))
	cluster.start("a")
	assert helpers.wait_until(lambda: owned_feeds(cluster.daemons["a"]) == FEEDS, 90, 0.2)

	def polls():
		found = {}
		for request in cluster.site.requests():
			if request["uri"].startswith("/feed"):
				found.setdefault(request["uri"], []).append(request)
		return found

	records = cluster.wait_all_published(timeout=90)
	assert cluster.generator.served <= {url for url, _ in records}
	assert helpers.wait_until(lambda: len(polls()) == FEEDS and all(
		len(seen) >= 3 for seen in polls().values()), 60, 0.5), \
		{uri: len(seen) for uri, seen in polls().items()}
	for uri, seen in polls().items():
		assert seen[0]["status"] == 200 and seen[0]["if_none_match"] == "", (uri, seen[0])
		again = [(request["status"], request["if_none_match"]) for request in seen[1:]]
		assert all(status == 304 and etag for status, etag in again), (uri, again)
	assert "event=cluster.transaction_aborted" not in cluster.daemons["a"].log()
	figure("cluster: feeds answered 200 once, then 304, with items in flight", FEEDS)


def test_an_article_whose_fingerprint_never_comes_back_is_polled_again(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Issue 16: a parked article whose fingerprint record never comes back. The daemon built
	with the tests' hooks (build/wiresift-hooks, WIRESIFT_TEST_DROP_FINGERPRINTS=1) loses its
	first record before the producer sees it (test.fingerprint_dropped). With
	fingerprint_timeout = 5s its article is released as failed: a cluster.fingerprint_timeout
	line for its feed, the counter in /metrics (the items of those lines), its feed polled
	again whole (its validators did not advance), and in the end every served item committed
	once, the dropped one too. Before, the article stayed parked, its feed's next polls
	waited for it, and nothing was logged. Other articles may time out too on a loaded
	machine (a fresh producer waits for its transactional id): their late records are judged
	like another instance's, and they are published once all the same."""
	binary = helpers.build_dir() / "wiresift-hooks"
	if not binary.exists():
		pytest.skip("%s not built (make)" % binary)
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	config.write_text(re.sub(r"^\[cluster\]\n", "[cluster]\nfingerprint_timeout = 5s\n",
				 config.read_text(), count=1, flags=re.M))
	daemon = cluster.daemons["a"] = wiresift_daemon(
		config, env={"WIRESIFT_TEST_DROP_FINGERPRINTS": "1"}, binary=binary)
	dropped = daemon.wait_for_log(r"event=test\.fingerprint_dropped id=(\S+)",
				      timeout=120).group(1)
	records = cluster.wait_all_published(timeout=120)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert not [url for url, count in urls.items() if count > 1]
	url = [value["url"] for value in cluster.committed_values() if value["id"] == dropped]
	assert len(url) == 1, (dropped, url)
	feed = re.match(r"https://(feed\d+)\.example/", url[0]).group(1)
	lines = [(name.strip('"'), int(items)) for name, items in re.findall(
		r"event=cluster\.fingerprint_timeout feed=(\S+) items=(\d+) ", daemon.log())]
	assert feed in [name for name, _ in lines], (feed, lines)
	assert metric(daemon, "wiresift_cluster_fingerprint_timeouts_total") == \
		sum(items for _, items in lines)
	# Polled again, whole: its first poll's items were released, its validators kept.
	assert len([request for request in cluster.site.requests()
		    if request["uri"] == "/%s.xml" % feed and request["status"] == 200]) >= 2
	assert helpers.wait_until(lambda: metric(
		daemon, "wiresift_cluster_fingerprints_parked") == 0, 60, 0.5)
	figure("cluster, a fingerprint lost: articles timed out (lines), committed once in the end",
	       "%d (%d), %d" % (sum(items for _, items in lines), len(lines), len(urls)))

def metric(daemon, name):
	"""A metric's value on the instance's /metrics (name with its labels, if any)."""
	found = re.search(r"^%s (\d+)$" % re.escape(name), http_get(daemon, "/metrics")[1], re.M)
	return int(found.group(1)) if found else None


def test_a_revoke_under_backpressure_cancels_the_held_polls_and_loses_nothing(
		tmp_path, kafka_cluster, wiresift_daemon):
	"""Issue 16's stall, under backpressure: instance a, its producer queue bounded to 40
	messages (backpressure on above 30 outstanding, off below 20), polls 24 feeds answered with
	ETags (and 304 to a matching If-None-Match); the test's server holds a's next poll of one
	feed of each partition while every feed gets 20 new items; once a's backpressure is on, b
	joins, so a must hand partitions on, each with a poll under way. a cancels the held polls
	of the feeds b takes at the revoke (cluster.poll_dropped ... fetch=cancelled, each counted
	in its cluster.revoked line's dropped=; the server sees those connections closed
	unanswered) and hands the partitions on. From then on the feeds do not change, so an item
	whose feed's validators moved past it (its later polls answered 304) would never be
	published: every served item must be committed once, and both instances must end with
	backpressure off, nothing outstanding in the producer, nothing parked or preparing.
	(Written for a transaction aborted for holding articles of partitions no longer a's: the
	held polls, answered after the hand-on, were parsed into a's open transaction. Since
	revokes cancel fetches under way and drop what is not in the open transaction, a plain
	revoke ends no transaction that way; only a lost partition can, see
	test_a_poll_that_outlives_its_lost_partition_is_not_committed.)"""
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon, etags=True)
	try:
		for config in cluster.configs.values():
			config.write_text(config.read_text().replace(
				"[kafka]\n", "[kafka]\nqueue.buffering.max.messages = 40\n", 1))
		cluster.start("a")
		first = cluster.daemons["a"]
		assert helpers.wait_until(lambda: owned_feeds(first) == FEEDS, 90, 0.2)
		held = {}
		for index in range(FEEDS):
			held.setdefault(feed_partition(server.url("feed%d.xml" % index), 6), index)
		for index in held.values():
			server.hold("/feed%d.xml" % index, "wiresift-a")
		cluster.generator.add(20 * FEEDS)
		assert helpers.wait_until(lambda: server.held_count == len(held), 60, 0.2), \
			"a polled %d of the %d held feeds" % (server.held_count, len(held))
		first.wait_for_log(r"event=backpressure\.on ", timeout=60)
		cluster.start("b")
		handed = first.wait_for_log(r"event=cluster\.revoked .*lost=no dropped=(\d+)",
					    timeout=90)
		server.release()	# the held polls of the feeds a kept are answered now
		cluster.wait_stable("ab")
		moved = [index for index in polled_by(cluster, "b") if index in held.values()]
		assert moved, "b took none of the partitions of the held feeds"
		log = first.log()
		for index in moved:
			assert re.search(r"event=cluster\.poll_dropped feed=feed%d reason=partition-"
					 r"revoked fetch=cancelled" % index, log[:handed.start()]), index
		abandoned = {path for _, path, agent in server.abandoned if agent == "wiresift-a"}
		assert abandoned == {"/feed%d.xml" % index for index in moved}, (abandoned, moved)
		assert int(handed.group(1)) >= len(moved), handed.group(0)
		records = cluster.wait_all_published(timeout=120)
		urls = collections.Counter(url for url, _ in records)
		missing = cluster.generator.served - set(urls)
		assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
		assert not [url for url, count in urls.items() if count > 1]

		def settled(daemon):
			return all(metric(daemon, name) == 0 for name in (
				"wiresift_backpressure", "wiresift_kafka_queue_messages",
				"wiresift_cluster_fingerprints_parked", "wiresift_articles_preparing"))
		for daemon in cluster.daemons.values():
			assert helpers.wait_until(lambda: settled(daemon), 60, 0.5), \
				helpers.tail(daemon.log_path, 20)
		log = first.log()
		figure("cluster, revoke under backpressure: articles served", len(urls))
		figure("cluster, revoke under backpressure: held polls cancelled, dropped=",
		       "%d, %s" % (len(moved), handed.group(1)))
		figure("cluster, revoke under backpressure: a's aborts, undelivered (polled again)",
		       "%d, %d" % (len(re.findall(r"event=cluster\.transaction_aborted", log)),
				   metric(first, 'wiresift_articles_total{status="undelivered"}')))
		figure("cluster, revoke under backpressure: most outstanding at backpressure.on",
		       max(int(n) for n in re.findall(r"event=backpressure\.on outstanding=(\d+)",
						       log)))
	finally:
		server.stop()


def log_stamp(line):
	"""The time (s since the epoch) of a log line's ts=."""
	found = re.search(r"ts=(\S+)Z ", line)
	return datetime.datetime.fromisoformat(found.group(1) + "+00:00").timestamp()


def test_a_partition_revoked_with_items_queued_hands_them_on_unsent(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Instance a, one worker, polls every feed and has thousands of items queued (fetched
	bodies, items waiting for the worker or parked for their fingerprint) when b joins: a is
	paused (SIGSTOP, within its session, here 60 s) until b's JoinGroup is at the group
	coordinator (kafka_group.py: the group PreparingRebalance), so the revoke finds that
	queue.
	a drops what of the revoked feeds is not in its open transaction (its cluster.revoked line
	says how many items and fetched bodies: some must be; the bodies, each logged
	cluster.poll_dropped, go at the revoke, none after it), leaves their validators as
	committed, and hands the
	partitions on once that transaction is through, instead of preparing, judging and
	committing them first; b fetches those feeds again from their state records. Every item
	is then in Kafka once for a read_committed reader (none lost with the dropped work, none
	twice), and no transaction of a's aborts for articles of partitions no longer its own."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	# a's session outlasts the pause below however long b takes to start on a loaded machine
	text = config.read_text().replace("[daemon]\n", "[daemon]\nworkers = 1\n", 1)
	assert "session_timeout = 6s" in text
	config.write_text(text.replace("session_timeout = 6s", "session_timeout = 60s"))
	cluster.start("a")
	first = cluster.daemons["a"]
	assert helpers.wait_until(lambda: owned_feeds(first) == FEEDS, 90, 0.2)
	cluster.generator.add(300 * FEEDS)
	# more queued than the 2 * FEEDS items of the start: the new ones are
	assert helpers.wait_until(lambda: (metric(first, "wiresift_articles_preparing") or 0) +
				  (metric(first, "wiresift_cluster_fingerprints_parked") or 0) >
				  100, 60, 0.05), "a never had items queued"
	first.send_signal(signal.SIGSTOP)
	try:
		cluster.start("b")
		# b's join waits for a, paused with its queue: the revoke that follows finds it there
		# (a resumed before b's JoinGroup reaches the coordinator could work its queue off
		# first, and drop nothing). The group is PreparingRebalance from that JoinGroup until
		# a rejoins; b logging cluster.joining, and a fixed wait after it, did not say that.
		assert helpers.wait_until(lambda: kafka_group.group_state(
			cluster.bootstrap, cluster.group) == "PreparingRebalance", 45, 0.2), \
			"b's join not at the coordinator after 45 s (group %s):\n%s" % (
				kafka_group.group_state(cluster.bootstrap, cluster.group),
				helpers.tail(cluster.daemons["b"].log_path, 10))
	finally:
		first.send_signal(signal.SIGCONT)
	handed = first.wait_for_log(r"^ts=(\S+) .*event=cluster\.revoked .*lost=no dropped=(\d+)",
				    timeout=90)
	cluster.wait_stable("ab")
	records = cluster.wait_all_published(timeout=120)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert not [url for url, count in urls.items() if count > 1]
	# What of the revoked feeds a dropped (items, fetched bodies not parsed yet) is counted
	# in dropped=; the bodies, each logged (cluster.poll_dropped without fetch=), are dropped
	# at the revoke, before its hand-on line. (Before they were dropped as they came up, some
	# after the hand-on, and not counted: once, when a's transaction aborted as it resumed,
	# the revoked feeds had only bodies queued, dropped=0 and 10 bodies.)
	log = first.log()
	bodies = re.findall(r"event=cluster\.poll_dropped feed=\S+ reason=partition-revoked$",
			    log[:handed.start()], re.M)
	dropped = [int(n) for n in re.findall(r"event=cluster\.revoked .* dropped=(\d+)", log)]
	assert int(handed.group(2)) > 0, "%s\n%s" % (handed.group(0),
						    helpers.tail(first.log_path, 20))
	assert not re.search(r"event=cluster\.poll_dropped .*reason=partition-revoked$",
			     log[log.rindex("event=cluster.revoked "):], re.M)
	assert sum(dropped) >= len(bodies), (dropped, len(bodies))
	assert "partitions no longer ours" not in log
	revoked_at = [log_stamp(line) for line in log.splitlines()
		      if "event=cluster.feeds " in line and "released=0" not in line]
	figure("cluster, revoked with items queued: items served, dropped by a (of them bodies)",
	       "%d, %s (%d)" % (len(urls), handed.group(2), len(bodies)))
	figure("cluster, revoked with items queued: revoke to hand-on (s)",
	       "%.1f" % (log_stamp(handed.group(0)) - revoked_at[0]))
