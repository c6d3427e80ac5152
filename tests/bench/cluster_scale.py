#!/usr/bin/env python3
"""cluster_scale.py - cluster mode at an operator's scale: a group of three instances over tens
of thousands of feeds whose state records are full, run by hand (not part of make test or make
bench):

    cluster_scale.py BUILD_DIR WORK_DIR [FEEDS ...]

For each feed count (default 20000) it runs one group from scratch and prints one
"scale.FEEDS.STEP key=value ..." line per step:

- seed: the state topic (12 partitions, compacted, created by a first instance that then
  leaves) is filled with one record per feed holding SCALE_SEED_IDS (990) delivered ids, packed
  as the daemon packs them (feedids.c: about 22 KB a record with 1000), so every record the
  group reads and writes is of the size a feed that delivered a thousand items has.
- cold: three instances start together; ready_s (every /readyz 200), items_s (every item
  published: each feed serves SCALE_ITEMS (1) new items, so each owner rewrites every record,
  the seeded ids and the new ones), RSS per instance.
- http: /feeds and /metrics of each instance, seconds and bytes.
- hup: SIGHUP to all; seconds until each logs reload.applied.
- kill: SIGKILL of one instance; from the kill to the survivors' cluster.assigned (the session
  timeout and the rebalance), to the last cluster.caught_up of its partitions (the state
  catch-up: reading those state partitions, waiting for its open transaction to be aborted),
  and to the first poll of every one of its feeds (nginx's log).
- join: a fourth instance starts; seconds to its /readyz 200 and to the last cluster.caught_up.
- leave: SIGTERM of one; seconds to its exit and to the others' last cluster.caught_up.
- loop: after each step, the slowest answer of any instance's /readyz, asked every 0.2 s by
  a thread (the metrics listener runs on the event loop: how long the loop was held).
- topic: the state topic's bytes on the broker's disk (segments); read: kcat reading state
  partition 0 alone, read_committed, nothing parsed (how fast the broker serves a catch-up).

Feeds are poll.py's "many" corpus on its loopback nginx (small feeds: the point is the count
and the state), polled every SCALE_INTERVAL (60s: due again by the time an instance is killed,
so its feeds are polled at once by their next owner; 100,000 feeds make 1,700 polls/s answered
304). One broker (tests/kafka/broker.sh, one node) under WORK_DIR. Environment: SCALE_ITEMS,
SCALE_SEED_IDS, SCALE_INTERVAL, SCALE_SESSION_TIMEOUT (the [cluster] session_timeout, 10s, the
default), SCALE_STEPS (cold,http,hup,kill,join,leave: which to run after cold),
SCALE_PERF (a directory: perf record -g of each survivor from the kill to its catch-up).
"""

import base64
import ctypes
import http.client
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
import poll  # noqa: E402
from poll import helpers, say  # noqa: E402
import cluster_helpers  # noqa: E402

PARTITIONS = 12
ITEMS = int(os.environ.get("SCALE_ITEMS", "1"))
SEED_IDS = int(os.environ.get("SCALE_SEED_IDS", "990"))
INTERVAL = os.environ.get("SCALE_INTERVAL", "60s")
SESSION_TIMEOUT = os.environ.get("SCALE_SESSION_TIMEOUT", "10s")
STEPS = os.environ.get("SCALE_STEPS", "cold,http,hup,kill,join,leave").split(",")
# the bench's nginx, with the path of each request logged (which feed was polled when)
poll.NGINX_CONF = poll.NGINX_CONF.replace("'$msec $status $body_bytes_sent'",
					  "'$msec $status $body_bytes_sent $uri'")


def varint(value):
	out = bytearray()
	while value >= 0x80:
		out.append((value & 0x7f) | 0x80)
		value >>= 7
	out.append(value)
	return bytes(out)


def seed_pool(count):
	"""count packed entries (feedids.c's layout: hash, updated time as a varint difference
	from the previous one, content hash), one after another 60 s apart: 17 bytes each."""
	step = varint(((60 << 1) ^ 0) + 2)
	rng = random.Random(16)
	return b"".join(struct.pack("<Q", rng.getrandbits(64)) + step +
			struct.pack("<Q", rng.getrandbits(64)) for _ in range(count))


def seed_record(url, index, pool, now):
	"""A state record of SEED_IDS delivered ids, the first one's time absolute."""
	first = struct.pack("<Q", index * 0x9E3779B97F4A7C15 % (1 << 64)) + \
		varint(((now - 86400) << 1) + 2) + struct.pack("<Q", index)
	start = index % (len(pool) // 17 - SEED_IDS) * 17
	packed = b"\x01" + first + pool[start:start + (SEED_IDS - 1) * 17]
	return json.dumps({"url": url, "failures": 0, "disabled": False, "updated": now,
			   "ids": base64.b64encode(packed).decode()}, separators=(",", ":"))


def partition_of(url):
	"""XXH64(url, seed 0) mod PARTITIONS, as the daemon (libxxhash through ctypes)."""
	if not hasattr(partition_of, "library"):
		partition_of.library = ctypes.CDLL("libxxhash.so.0")
		partition_of.library.XXH64.restype = ctypes.c_ulonglong
		partition_of.library.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
						       ctypes.c_ulonglong]
	data = url.encode()
	return partition_of.library.XXH64(data, len(data), 0) % PARTITIONS


def seed_state(bootstrap, topic, urls):
	"""One full record per feed, each into its feed's partition (kcat, LZ4 as the daemon)."""
	pool, now = seed_pool(SEED_IDS * 3), int(time.time())
	by_partition = [[] for _ in range(PARTITIONS)]
	for index, url in enumerate(urls):
		by_partition[partition_of(url)].append(
			"%s\t%s\n" % (url, seed_record(url, index, pool, now)))
	size = 0
	for partition, lines in enumerate(by_partition):
		text = "".join(lines)
		size += len(text)
		subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(partition),
				"-K", "\t", "-z", "lz4", "-X", "acks=all",
				"-X", "message.max.bytes=10000000"],
			       input=text, text=True, check=True, timeout=600)
	return size


def seconds_of(duration):
	match = re.fullmatch(r"(\d+)([smh]?)", duration)
	return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def config_for(work, name, bootstrap, urls, build, topics, group):
	directory = work / name
	shutil.rmtree(directory, ignore_errors=True)
	config = poll.daemon_config(directory, bootstrap, urls, build, INTERVAL, topics)
	text = config.read_text() + "\n[metrics]\nlisten = 127.0.0.1:%d\n" % helpers.free_port()
	text = text.replace("[daemon]\n", "[daemon]\nlog_levels = main:info,cluster:info\n", 1)
	text += ("\n[cluster]\ngroup = %s\ntopic.feeds = %s\ntopic.state = %s\n"
		 "topic.fingerprints = %s\npartitions = %d\nsession_timeout = %s\n" % (
			 group, topics[2], topics[3], topics[4], PARTITIONS, SESSION_TIMEOUT))
	config.write_text(text)
	return helpers.WiresiftDaemon(config, directory / "daemon.log")


def get(daemon, path, timeout=60):
	"""(seconds, bytes, body) of path on the instance's metrics listener; body None if not 200."""
	match = re.search(r"^listen = (\S+)$", daemon.config.read_text(), re.M)
	begun = time.monotonic()
	try:
		with urllib.request.urlopen("http://%s%s" % (match.group(1), path),
					    timeout=timeout) as reply:
			body = reply.read()
		return time.monotonic() - begun, len(body), body.decode()
	except (OSError, http.client.HTTPException):	# a reply cut short counts as none
		return time.monotonic() - begun, 0, None


def ready(daemon):
	return get(daemon, "/readyz", 5)[2] == "ready\n"


def delivered(daemons):
	total = 0
	for daemon in daemons:
		text = get(daemon, "/metrics")[2] or ""
		total += sum(int(n) for n in re.findall(
			r'^wiresift_articles_total\{status="(?:published|duplicate)"\} (\d+)$', text, re.M))
	return total


def rss_mb(daemon):
	status = Path("/proc/%d/status" % daemon.pid).read_text()
	return tuple(int(re.search(r"^%s:\s+(\d+) kB" % key, status, re.M).group(1)) // 1024
		     for key in ("VmRSS", "VmHWM"))


def events(daemon, event, since):
	"""[(epoch s, rest of line)] of the daemon's log lines of event at or after since."""
	found = []
	for line in daemon.log().splitlines():
		if "event=%s " % event in line or line.endswith("event=%s" % event):
			stamp = cluster_helpers.log_stamp(line)
			if stamp >= since - 0.01:
				found.append((stamp, line))
	return found


def wait(predicate, timeout, step=0.2):
	end = time.monotonic() + timeout
	while time.monotonic() < end:
		if predicate():
			return True
		time.sleep(step)
	return False


class FirstPolls:
	"""{path: first time polled at or after since} for paths, from nginx's access log, read
	on from where the last update() stopped (the whole log each time held the GIL, and so
	the Prober, for seconds at 100,000 feeds)."""

	def __init__(self, nginx, since, paths):
		self.log, self.since, self.paths = open(nginx.access_log()), since, paths
		self.first = {}

	def update(self):
		for line in self.log:
			parts = line.split()
			if len(parts) >= 4 and parts[3] in self.paths and parts[3] not in self.first \
					and float(parts[0]) >= self.since:
				self.first[parts[3]] = float(parts[0])
		return self.first


def partitions_of(daemon):
	"""The partitions whose feeds the instance polls, from its /feeds."""
	body = get(daemon, "/feeds")[2]
	owned = set()
	for feed in json.loads(body) if body else []:
		if feed.get("polled_here"):
			owned.add(feed["partition"])
	return owned


class Prober:
	"""Asks each running instance's /readyz every 0.2 s from a thread: the metrics listener
	runs on the event loop, so the slowest answer in a step is how long the loop was held."""

	def __init__(self, ctx):
		self.ctx, self.worst, self.stopped = ctx, 0.0, False
		self.thread = threading.Thread(target=self.run, daemon=True)
		self.thread.start()

	def run(self):
		while not self.stopped:
			for daemon in list(self.ctx["daemons"]):
				if daemon.running():
					self.worst = max(self.worst, get(daemon, "/readyz", 60)[0])
			time.sleep(0.2)

	def take(self):
		"""The slowest answer since the last call."""
		worst, self.worst = self.worst, 0.0
		return worst


def line(count, step, **fields):
	print("scale.%d.%s %s load=%s" % (count, step, " ".join(
		"%s=%s" % (key, ("%.2f" % value) if isinstance(value, float) else value)
		for key, value in fields.items()), os.getloadavg()[0]), flush=True)


def step_cold(ctx):
	daemons, feeds = ctx["daemons"], len(ctx["urls"])
	begun = time.monotonic()
	for daemon in daemons:
		daemon.start()
	wait(lambda: all(ready(d) for d in daemons), 1800, 0.5)
	ready_s = time.monotonic() - begun
	expected = feeds * ITEMS
	wait(lambda: delivered(daemons) >= expected, 3600, 1.0)
	items_s = time.monotonic() - begun
	time.sleep(3)
	ctx["cold_end"] = time.monotonic()
	line(feeds, "cold", ready_s=ready_s, items_s=items_s, items=delivered(daemons),
	     rss_mb=",".join("%d/%d" % rss_mb(d) for d in daemons))


def step_http(ctx):
	for index, daemon in enumerate(ctx["daemons"]):
		for path in ("/feeds", "/metrics"):
			times = [get(daemon, path) for _ in range(3)]
			line(len(ctx["urls"]), "http", instance=index, path=path,
			     seconds=",".join("%.3f" % t[0] for t in times), bytes=times[0][1])


def step_hup(ctx):
	daemons, begun = ctx["daemons"], time.time()
	for daemon in daemons:
		daemon.send_signal(signal.SIGHUP)
	wait(lambda: all(events(d, "reload.applied", begun) for d in daemons), 300)
	line(len(ctx["urls"]), "hup", seconds=",".join(
		"%.2f" % (min(t for t, _ in events(d, "reload.applied", begun)) - begun)
		for d in daemons))


def survivors_caught_up(survivors, since, partitions):
	"""The last time any of partitions was caught up by a survivor, or None while one is not."""
	last = {}
	for daemon in survivors:
		for stamp, text in events(daemon, "cluster.caught_up", since):
			found = re.search(r"partition=(\d+)", text)
			last[int(found.group(1))] = stamp
	if not partitions <= set(last):
		return None
	return max(last[p] for p in partitions)


def step_kill(ctx):
	daemons, urls, nginx = ctx["daemons"], ctx["urls"], ctx["nginx"]
	victim, survivors = daemons[0], daemons[1:]
	partitions = partitions_of(victim)
	paths = {"/" + url.split("/", 3)[3] for url in urls
		 if partition_of(url) in partitions}
	# every feed due, so each of the victim's is polled at once by its next owner: a poll
	# answered 304 does not write the record, whose next poll is its last delivery's
	time.sleep(max(0.0, ctx["cold_end"] + seconds_of(INTERVAL) + 5 - time.monotonic()))
	recorders = perf_start(survivors, "kill")
	killed = time.time()
	victim.stop(signal.SIGKILL)
	wait(lambda: survivors_caught_up(survivors, killed, partitions) is not None, 600)
	perf_stop(recorders)
	caught = survivors_caught_up(survivors, killed, partitions) or time.time()
	assigned = min((t for d in survivors for t, _ in events(d, "cluster.assigned", killed)),
		       default=caught)
	unstable = [t for d in survivors for t, _ in events(d, "cluster.state_unstable", killed)]
	first = FirstPolls(nginx, killed, paths)
	wait(lambda: time.sleep(1.5) or len(first.update()) >= len(paths), 600, 1)
	polls = first.update()
	line(len(urls), "kill", partitions=len(partitions), feeds=len(paths),
	     assigned_s=assigned - killed, caught_up_s=caught - killed,
	     first_unstable_s=(min(unstable) - killed) if unstable else "-",
	     all_polled_s=(max(polls.values()) - killed) if len(polls) == len(paths) else "-",
	     polled=len(polls), rss_mb=",".join("%d/%d" % rss_mb(d) for d in survivors))
	ctx["daemons"] = survivors


def step_join(ctx):
	daemons, urls = ctx["daemons"], ctx["urls"]
	joiner = ctx["make"]("instance-join")
	begun, begun_mono = time.time(), time.monotonic()
	joiner.start()
	wait(lambda: ready(joiner), 600)
	ready_s = time.monotonic() - begun_mono
	time.sleep(2)
	caught = [t for d in daemons + [joiner] for t, _ in events(d, "cluster.caught_up", begun)]
	revoked = [t for d in daemons for t, _ in events(d, "cluster.revoked", begun)]
	line(len(urls), "join", ready_s=ready_s,
	     last_caught_up_s=(max(caught) - begun) if caught else "-",
	     handed_on_s=(max(revoked) - begun) if revoked else "-",
	     rss_mb=",".join("%d/%d" % rss_mb(d) for d in daemons + [joiner]))
	ctx["daemons"] = daemons + [joiner]


def step_leave(ctx):
	daemons, urls = ctx["daemons"], ctx["urls"]
	leaver, others = daemons[0], daemons[1:]
	partitions = partitions_of(leaver)
	begun, begun_mono = time.time(), time.monotonic()
	leaver.stop(signal.SIGTERM, timeout=120)
	exit_s = time.monotonic() - begun_mono
	wait(lambda: survivors_caught_up(others, begun, partitions) is not None, 600)
	caught = survivors_caught_up(others, begun, partitions)
	line(len(urls), "leave", partitions=len(partitions), exit_s=exit_s,
	     caught_up_s=(caught - begun) if caught else "-")
	ctx["daemons"] = others


def perf_start(daemons, label):
	directory = os.environ.get("SCALE_PERF")
	if not directory:
		return []
	Path(directory).mkdir(parents=True, exist_ok=True)
	return [subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-o",
				  str(Path(directory) / ("%s-%d.data" % (label, i))), "-p",
				  str(d.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		for i, d in enumerate(daemons)]


def perf_stop(recorders):
	for recorder in recorders:
		recorder.send_signal(signal.SIGINT)
	for recorder in recorders:
		recorder.wait(timeout=120)


def topic_bytes(broker_dir, topic):
	return sum(f.stat().st_size for f in Path(broker_dir).rglob("*")
		   if f.suffix == ".log" and f.parent.name.startswith(topic + "-"))


def read_line(feeds, bootstrap, topic):
	"""How fast the broker serves one state partition to a read_committed consumer alone
	(kcat, nothing parsed): what a catch-up cannot beat."""
	begun = time.monotonic()
	result = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o",
				 "beginning", "-e", "-q", "-X", "isolation.level=read_committed",
				 "-f", "%S\\n"], capture_output=True, text=True, timeout=600)
	sizes = [int(n) for n in result.stdout.split()]
	seconds = time.monotonic() - begun
	line(feeds, "read", partition=0, records=len(sizes), mb=sum(sizes) / 1e6,
	     seconds=seconds, mb_per_s=sum(sizes) / 1e6 / seconds)


def run(feeds, build, work, nginx, bootstrap, feeds_root):
	urls = poll.feed_urls(nginx.port, "scale-%d" % feeds, feeds)
	topics = tuple(helpers.unique_topic("scale." + kind) for kind in
		       ("articles", "duplicates", "feeds", "state", "fingerprints"))
	group = helpers.unique_topic("scale-group")

	def make(name):
		return config_for(work / ("run-%d" % feeds), name, bootstrap, urls, build, topics, group)
	creator = make("creator")	# creates the topics, then leaves: the seed goes in before
	creator.start()
	creator.wait_for_log(r"event=cluster\.assigned", 120)
	creator.stop(signal.SIGTERM, timeout=60)
	begun = time.monotonic()
	size = seed_state(bootstrap, topics[3], urls)
	line(feeds, "seed", records=feeds, ids=SEED_IDS, mb=size / 1e6,
	     seconds=time.monotonic() - begun)
	ctx = {"urls": urls, "nginx": nginx, "make": make,
	       "daemons": [make("instance-%d" % i) for i in range(3)]}
	prober = Prober(ctx)
	try:
		for step in ["cold"] + [s for s in STEPS if s != "cold"]:
			globals()["step_" + step](ctx)
			line(feeds, "loop", after=step, slowest_readyz_s=prober.take())
			time.sleep(2)
		line(feeds, "topic", state_mb=topic_bytes(work / "broker", topics[3]) / 1e6)
		read_line(feeds, bootstrap, topics[3])
	finally:
		prober.stopped = True
		for daemon in ctx["daemons"]:
			daemon.stop(timeout=120)


def main(argv):
	dirs = poll.bench_dirs(argv[:3], __doc__)
	if dirs is None:
		return 2
	build, work = dirs
	counts = [int(n) for n in argv[3:]] or [20000]
	feeds_root = work / "feeds"
	for count in counts:
		poll.generate_feeds(feeds_root, "scale-%d" % count, count, ITEMS, "many")
	with poll.bench_servers(feeds_root, work) as (nginx, bootstrap):
		for count in counts:
			poll.warm_page_cache(feeds_root / ("scale-%d" % count))
			run(count, build, work, nginx, bootstrap, feeds_root)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
