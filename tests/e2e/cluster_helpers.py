"""cluster_helpers.py - what the cluster-mode e2e tests (test_cluster*.py) share: reading
the state and fingerprints topics as documented (docs/schema/feed-state.schema.json,
fingerprint.schema.json), the three-node cluster's metadata, feeds on a loopback nginx that
can carry wire copies, a group of instances (Cluster) with their configurations, and what an
instance says on /feeds, /metrics and in its log."""

import base64
import collections
import ctypes
import datetime
import json
import math
import re
import struct
import subprocess
import time
import urllib.error
import urllib.request

import helpers
from test_delivery import GrowingFeeds

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
		   "-X", "isolation.level=read_uncommitted", "-X", "fetch.wait.max.ms=10",
		   "-f", "%p %o %K %S\n%k%s"]
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


def produce_acked(bootstrap, topic, records):
	"""Produces with acks=all; kcat's complaints about a node that is down are expected here,
	a failed delivery is not (and the caller reads every record back anyway)."""
	lines = "".join("%s\t%s\n" % (key, json.dumps(value)) for key, value in records)
	result = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t",
				 "-X", "acks=all"], input=lines, capture_output=True, text=True,
				timeout=60)
	assert result.returncode == 0 and "Delivery failed" not in result.stderr, result.stderr


FEEDS = 24
# Seconds after the last instance exited that a read of its committed records is final: a
# transaction's commit markers are written by its coordinator after the commit returns.
IDLE_READ = 2


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
		assert helpers.wait_until(lambda: owned_feeds(self.daemons["a"]) == FEEDS,
					  helpers.slow(90), 0.2)
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
		each some (for timeout seconds, stretched by helpers.time_factor()); returns the
		seconds that took."""
		timeout = helpers.slow(timeout)
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
				 "-q", "-X", "isolation.level=read_committed", "-X", "fetch.wait.max.ms=10",
				 "-f", "%T %s\\n"],
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
				 "-q", "-X", "isolation.level=read_committed", "-X", "fetch.wait.max.ms=10",
				 "-f", "%s\\n"],
				capture_output=True, text=True, timeout=60)
			values += [json.loads(line) for line in result.stdout.splitlines()
				   if line.startswith("{")]
		return values

	def wait_all_published(self, timeout=60, interval=0.5):
		"""The committed records once every served article is among them (or at timeout,
		stretched by helpers.time_factor() in a sanitizer build; or once a read begun
		IDLE_READ s after the last instance exited is short: none can publish more), read
		again every interval seconds (a read is two kcat runs: read back to back they took
		a core from the instances they wait for)."""
		deadline = time.monotonic() + helpers.slow(timeout)
		idle_since = None
		while True:
			begun = time.monotonic()
			if any(daemon.running() for daemon in self.daemons.values()):
				idle_since = None
			elif idle_since is None:
				idle_since = begun
			records = self.committed_records()
			urls = {url for url, _ in records}
			left = deadline - time.monotonic()
			if self.generator.served <= urls or left < 0 or (
					idle_since is not None and begun - idle_since >= IDLE_READ):
				return records
			time.sleep(min(interval, left))


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


def committed_articles(bootstrap, topics):
	"""The article records (parsed) of topics, read as a read_committed consumer."""
	articles = []
	for topic in topics:
		result = subprocess.run(
			["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
			 "-X", "isolation.level=read_committed", "-X", "fetch.wait.max.ms=10",
			 "-f", "%s\\n"],
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


def metric(daemon, name):
	"""A metric's value on the instance's /metrics (name with its labels, if any)."""
	found = re.search(r"^%s (\d+)$" % re.escape(name), http_get(daemon, "/metrics")[1], re.M)
	return int(found.group(1)) if found else None


def log_stamp(line):
	"""The time (s since the epoch) of a log line's ts=."""
	found = re.search(r"ts=(\S+)Z ", line)
	return datetime.datetime.fromisoformat(found.group(1) + "+00:00").timestamp()
