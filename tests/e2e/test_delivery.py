"""test_delivery.py - nothing lost: articles keep flowing while the real Kafka broker is stopped
for 60 s (librdkafka's bounded queue overflows and messages expire, so the disk spool must
engage and replay), and the daemon is SIGKILLed at random moments in 10 rounds. In both, every
article the feeds served is read back from Kafka with kcat, by its URL: zero missing.

The figures (articles served, missing, re-sent) are written to the test log and to
$WIRESIFT_FIGURES when that is set."""

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

import helpers

VOCABULARY = ("harbour river council minister village engineer storm bridge market vote "
	      "school hospital railway budget court police farmer festival museum election "
	      "drought flood tunnel airport union strike factory energy solar wind coast "
	      "island border treaty summit league season player coach stadium concert "
	      "library theatre science rocket comet telescope virus vaccine clinic nurse "
	      "teacher student exam housing rent price wage pension tax bank loan credit "
	      "export import harvest wheat fishing ferry cargo port canal dam reservoir "
	      "glacier forest wildfire rescue volunteer charity mayor senator judge lawyer").split()


def figure(name, value):
	line = "figure: %s = %s" % (name, value)
	print(line)
	path = os.environ.get("WIRESIFT_FIGURES")
	if path:
		with open(path, "a") as out:
			out.write(line + "\n")


class GrowingFeeds:
	"""feed_count RSS files in directory; add(n) appends n new items spread over the feeds,
	each with its own URL and 60 random words, rewriting files atomically."""

	def __init__(self, directory, feed_count, keep=150):
		self.dir = Path(directory)
		self.dir.mkdir(parents=True, exist_ok=True)
		self.feed_count = feed_count
		self.keep = keep
		self.items = [[] for _ in range(feed_count)]
		self.served = set()
		self.next_id = 0
		self.random = random.Random(7)
		for index in range(feed_count):
			self._write(index)

	def _write(self, index):
		entries = []
		for number, link, text in reversed(self.items[index][-self.keep:]):
			entries.append(
				"<item><title>Story %d</title><link>%s</link><guid>%s</guid>"
				"<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>"
				"<description>&lt;p&gt;%s&lt;/p&gt;</description></item>" %
				(number, link, link, text))
		body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Feed %d</title>'
			"<link>https://feed%d.example/</link><description>x</description>%s"
			"</channel></rss>" % (index, index, "".join(entries)))
		temporary = self.dir / (".feed%d.xml" % index)
		temporary.write_text(body)
		os.replace(temporary, self.dir / ("feed%d.xml" % index))

	def add(self, count):
		touched = set()
		for _ in range(count):
			index = self.next_id % self.feed_count
			link = "https://feed%d.example/story/%d" % (index, self.next_id)
			text = " ".join(self.random.choice(VOCABULARY) for _ in range(60))
			self.items[index].append((self.next_id, link, text))
			self.served.add(link)
			self.next_id += 1
			touched.add(index)
		for index in touched:
			self._write(index)

	def feeds(self, site):
		return [(site.url("feed%d.xml" % index), {"name": "feed%d" % index, "interval": "1s"})
			for index in range(self.feed_count)]


def published_urls(bootstrap, topics):
	records = []
	for topic in topics:
		records += helpers.kcat_read_all(bootstrap, topic, timeout=60)
	return [record["value"]["url"] for record in records if isinstance(record["value"], dict)]


def wait_for_all(bootstrap, topics, served, timeout):
	deadline = time.monotonic() + timeout
	while True:
		urls = published_urls(bootstrap, topics)
		if served <= set(urls) or time.monotonic() > deadline:
			return urls
		time.sleep(2)


def config_for(directory, bootstrap, generator, site, topics, extra_kafka=None):
	kafka = {"topic.articles": topics[0], "topic.duplicates": topics[1]}
	kafka.update(extra_kafka or {})
	return helpers.write_config(directory, bootstrap, generator.feeds(site), {
		"kafka": kafka,
		"feeds": {"min_interval": "1s", "max_host_connections": "8",
			  "max_backoff": "5s"},
		"daemon": {"shutdown_timeout": "5s", "summary_interval": "10s"},
	})


def test_broker_down_60s_while_10000_articles_flow(tmp_path, http_server, wiresift_daemon):
	broker = helpers.KafkaBroker(tmp_path / "broker")
	bootstrap = broker.start()
	generator = GrowingFeeds(tmp_path / "site", feed_count=100, keep=150)
	site = http_server(generator.dir)
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	config = config_for(tmp_path / "daemon", bootstrap, generator, site, topics, {
		# Small on purpose: librdkafka's queue overflows and messages expire during the
		# outage, so the disk spool has to take them.
		"message.timeout.ms": "8000",
		"queue.buffering.max.messages": "2000",
	})
	daemon = wiresift_daemon(config)
	try:
		daemon.wait_for_log(r"event=daemon\.started", timeout=20)
		# 10,000 articles over ~45 s: 220 every second.
		begun = time.monotonic()
		for second in range(46):
			generator.add(min(220, 10000 - len(generator.served)))
			if second == 10:
				broker.stop()
				stopped_at = time.monotonic()
			time.sleep(max(0, begun + second + 1 - time.monotonic()))
		assert len(generator.served) == 10000
		time.sleep(max(0, stopped_at + 60 - time.monotonic()))
		broker.start()
		urls = wait_for_all(bootstrap, topics, generator.served, timeout=150)
	finally:
		log = daemon.log()
		daemon.stop()
		broker.stop()
	missing = generator.served - set(urls)
	figure("outage: articles served", len(generator.served))
	figure("outage: articles in kafka (distinct)", len(set(urls)))
	figure("outage: articles missing", len(missing))
	figure("outage: duplicate records re-sent", len(urls) - len(set(urls)))
	figure("outage: spool appends logged", log.count("event=delivery.spooled"))
	assert not missing, "%d missing, e.g. %s\n%s" % (len(missing), sorted(missing)[:5],
							  log[-3000:])
	assert "event=delivery.spooled" in log, "the spool never engaged"
	assert "event=spool.replayed" in log


def test_sigkill_at_random_moments_loses_nothing(tmp_path, kafka, http_server, wiresift_daemon):
	generator = GrowingFeeds(tmp_path / "site", feed_count=40, keep=200)
	site = http_server(generator.dir)
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	config = config_for(tmp_path / "daemon", kafka.bootstrap, generator, site, topics)
	chooser = random.Random(11)
	for round_number in range(10):
		generator.add(150)
		daemon = wiresift_daemon(config)
		time.sleep(chooser.uniform(0.3, 2.5))
		generator.add(150)
		time.sleep(chooser.uniform(0.0, 1.0))
		daemon.stop(signal.SIGKILL)
	# A last, clean run takes whatever the killed ones left.
	result = helpers.run_wiresift(["-c", config, "--once"], timeout=180)
	assert result.returncode == 0, result.stderr[-3000:]
	urls = wait_for_all(kafka.bootstrap, topics, generator.served, timeout=60)
	missing = generator.served - set(urls)
	figure("sigkill: articles served", len(generator.served))
	figure("sigkill: articles missing", len(missing))
	figure("sigkill: duplicate records re-sent (10 kills)", len(urls) - len(set(urls)))
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])


def test_stop_past_the_deadline_spools_and_next_start_replays(tmp_path, kafka, http_server,
							       wiresift_daemon):
	"""SIGTERM while the broker is unreachable: the daemon exits 0 within its deadline, the
	unacknowledged articles are in the spool, and the next start (broker reachable) sends
	them from the spool, not from the feeds (which are gone by then)."""
	generator = GrowingFeeds(tmp_path / "site", feed_count=5)
	generator.add(50)
	site = http_server(generator.dir)
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	dead = "127.0.0.1:%d" % helpers.free_port()
	config = config_for(tmp_path / "daemon", dead, generator, site, topics)
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=feed\.fetched .*new=10", timeout=30)
	time.sleep(1)
	begun = time.monotonic()
	assert daemon.stop(signal.SIGTERM, timeout=30) == 0
	assert time.monotonic() - begun < 15
	assert "spool_rows=50" in daemon.log(), daemon.log()[-2000:]
	for path in generator.dir.glob("feed*.xml"):
		path.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>gone'
				'</title></channel></rss>')
	config = config_for(tmp_path / "daemon", kafka.bootstrap, generator, site, topics)
	result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
	urls = wait_for_all(kafka.bootstrap, topics, generator.served, timeout=30)
	assert generator.served <= set(urls), result.stderr[-3000:]
	assert "event=spool.replayed" in result.stderr


def test_full_spool_pauses_fetching_and_says_so(tmp_path, http_server, wiresift_daemon):
	"""Broker unreachable, messages expire into a small spool: when it is full, fetching pauses
	(backpressure.on, spool.full) and nothing is dropped: every served article is either in
	the spool or still unseen for a later poll."""
	generator = GrowingFeeds(tmp_path / "site", feed_count=10)
	generator.add(200)
	site = http_server(generator.dir)
	dead = "127.0.0.1:%d" % helpers.free_port()
	config = config_for(tmp_path / "daemon", dead, generator, site,
			    ("a", "d"), {"message.timeout.ms": "1500"})
	text = Path(config).read_text().replace("[daemon]\n", "[daemon]\nspool_max_size = 40k\n")
	Path(config).write_text(text)
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=spool\.full .*fetching=paused", timeout=40)
	daemon.wait_for_log(r"event=backpressure\.on", timeout=10)
	mark = len(site.requests())
	time.sleep(3)
	assert len(site.requests()) == mark, "fetching went on with a full spool"
	assert daemon.stop(signal.SIGTERM, timeout=30) == 0
	assert "event=daemon.stopped undelivered=0" in daemon.log()
