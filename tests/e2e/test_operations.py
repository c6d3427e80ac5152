"""test_operations.py - what operators rely on: the HTTP listener (/metrics read by the
Prometheus text-format parser, /healthz, /readyz, /feeds), systemd notification (READY, STATUS,
WATCHDOG, STOPPING through a fake NOTIFY_SOCKET), SIGHUP reload with good and bad
configurations, OPML import, journald priorities, the unit's sandboxing score, and a missing
topic on a broker that does not create topics."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import helpers

ROOT = Path(__file__).resolve().parents[2]
DEMO_FEEDS = ROOT / "conf" / "demo" / "feeds"


def get(address, path):
	try:
		with urllib.request.urlopen("http://%s%s" % (address, path), timeout=5) as response:
			return response.status, response.read().decode()
	except urllib.error.HTTPError as error:
		return error.code, error.read().decode()


def listening_address(daemon):
	return daemon.wait_for_log(r"event=metrics\.listening address=(\S+)", timeout=30).group(1)


@pytest.fixture
def site(tmp_path, http_server):
	directory = tmp_path / "site"
	shutil.copytree(DEMO_FEEDS, directory)
	return http_server(directory)


def feeds_for(site, names, interval="1s"):
	return [(site.url(name), {"name": name.split(".")[0], "interval": interval})
		for name in names]


def test_metrics_health_ready_and_feeds(tmp_path, kafka, site, wiresift_daemon):
	names = ["meridian-press.xml", "harbour-courier.xml", "valley-times.atom"]
	config = helpers.write_config(tmp_path / "d", kafka.bootstrap, feeds_for(site, names), {
		"kafka": {"topic.articles": helpers.unique_topic("a"),
			  "topic.duplicates": helpers.unique_topic("d")},
		"feeds": {"min_interval": "1s"},
		"metrics": {"listen": "127.0.0.1:0"},
	})
	daemon = wiresift_daemon(config)
	address = listening_address(daemon)
	daemon.wait_for_log(r"event=article\.delivered", timeout=30)
	helpers.wait_until(lambda: daemon.log().count("event=feed.fetched") >= 3, 20)

	assert get(address, "/healthz") == (200, "ok\n")
	assert get(address, "/readyz") == (200, "ready\n")
	assert get(address, "/nope")[0] == 404

	status, text = get(address, "/metrics")
	assert status == 200
	families = {family.name: family for family in text_string_to_metric_families(text)}
	samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
		   for family in families.values() for sample in family.samples}
	assert samples[("wiresift_feeds", (("state", "ok"),))] == 3
	assert samples[("wiresift_fetches_total", (("outcome", "ok"),))] >= 3
	assert samples[("wiresift_articles_total", (("status", "published"),))] >= 1
	assert samples[("wiresift_items_parsed_total", ())] >= 10
	assert families["wiresift_fetch_duration_seconds"].type == "histogram"
	assert samples[("wiresift_fetch_duration_seconds_count", ())] >= 3
	assert ("wiresift_feed_fetches_total", (("feed", "meridian-press"), ("outcome", "ok"))) \
		in samples
	for name in ("wiresift_kafka_queue_messages", "wiresift_spool_bytes",
		     "wiresift_dedup_index_entries", "wiresift_stories_open",
		     "wiresift_kafka_delivery_errors_total"):
		assert name in families or name.replace("_total", "") in families, name
	assert samples[("wiresift_workers", ())] >= 1
	assert samples[("wiresift_articles_preparing", ())] >= 0

	status, text = get(address, "/feeds")
	feeds = json.loads(text)
	assert status == 200 and [feed["name"] for feed in feeds] == \
		["meridian-press", "harbour-courier", "valley-times"]
	for feed in feeds:
		assert feed["url"].startswith("http://127.0.0.1:")
		assert feed["last_success"].endswith("Z") and feed["last_status"] in (200, 304)
		assert feed["state"] in ("ok", "waiting", "fetching")
		assert feed["next_poll"] is None or feed["next_poll"].endswith("Z")
	assert sum(feed["items_published"] for feed in feeds) >= 1


BROKEN_FEED = (b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Mended</title>'
	       b'<link>http://127.0.0.1/</link><description>d</description>\n'
	       b'<item><title>Caf\xe9 &nbsp;news</title><link>http://127.0.0.1/m/1</link>'
	       b'<description>a<br>b</description></item></channel></rss>\n')


def test_repaired_feed_logged_once_per_change_and_shown_in_feeds(tmp_path, kafka, site,
								wiresift_daemon):
	(Path(site.root) / "mended.xml").write_bytes(BROKEN_FEED)
	names = ["mended.xml", "meridian-press.xml"]
	config = helpers.write_config(tmp_path / "d", kafka.bootstrap, feeds_for(site, names), {
		"kafka": {"topic.articles": helpers.unique_topic("a"),
			  "topic.duplicates": helpers.unique_topic("d")},
		"feeds": {"min_interval": "1s"},
		"metrics": {"listen": "127.0.0.1:0"},
	})
	daemon = wiresift_daemon(config)
	address = listening_address(daemon)
	helpers.wait_until(lambda: daemon.log().count("event=feed.fetched feed=mended") >= 3, 30)
	lines = [line for line in daemon.log().splitlines() if "event=feed.repaired" in line]
	assert len(lines) == 1, lines	# three polls, one set of problems: one line
	assert "level=warning" in lines[0] and "feed=mended" in lines[0]
	for problem in ("mislabelled-charset", "undeclared-entity", "unclosed-tag"):
		assert problem in lines[0]
	feeds = {feed["name"]: feed for feed in json.loads(get(address, "/feeds")[1])}
	assert feeds["mended"]["problems"] == ["mislabelled-charset", "undeclared-entity",
					       "unclosed-tag"]
	assert feeds["meridian-press"]["problems"] == []

	# the publisher fixes the feed: one line saying so, and /feeds is clear
	(Path(site.root) / "mended.xml").write_bytes(
		BROKEN_FEED.replace(b"\xe9 &nbsp;", b"e").replace(b"<br>", b" "))
	daemon.wait_for_log(r"event=feed\.repaired feed=mended problems=none", timeout=30)
	feeds = {feed["name"]: feed for feed in json.loads(get(address, "/feeds")[1])}
	assert feeds["mended"]["problems"] == []


class NotifySocket:
	"""A stand-in for systemd's notification socket: collects the datagrams."""

	def __init__(self, path):
		self.path = str(path)
		self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		self.socket.bind(self.path)
		self.socket.settimeout(0.2)
		self.messages = []

	def collect(self, seconds):
		deadline = time.monotonic() + seconds
		while time.monotonic() < deadline:
			try:
				self.messages.append(self.socket.recv(4096).decode())
			except socket.timeout:
				pass
		return self.messages

	def lines(self):
		return [line for message in self.messages for line in message.splitlines()]


def test_systemd_notify_ready_status_watchdog_stopping(tmp_path, kafka, site, wiresift_daemon):
	notify = NotifySocket(tmp_path / "notify.sock")
	config = helpers.write_config(tmp_path / "d", kafka.bootstrap,
				      feeds_for(site, ["meridian-press.xml"]), {
		"kafka": {"topic.articles": helpers.unique_topic("a")},
		"daemon": {"summary_interval": "1s"},
	})
	daemon = wiresift_daemon(config, env={"NOTIFY_SOCKET": notify.path,
					      "WATCHDOG_USEC": "400000"})
	notify.collect(3)
	lines = notify.lines()
	assert "READY=1" in lines
	assert any(line.startswith("STATUS=") for line in lines)
	assert lines.count("WATCHDOG=1") >= 4, lines	# every 200 ms for 3 s
	assert re.search(r"event=summary feeds=1 ok=1 .* preparing=\d+ kafka_queue=\d+ ",
			 daemon.log()), "no summary line with its fields"
	assert daemon.stop(signal.SIGTERM) == 0
	notify.collect(0.5)
	assert "STOPPING=1" in notify.lines()


def test_reload_applies_good_config_and_rejects_bad(tmp_path, kafka, site, wiresift_daemon):
	directory = tmp_path / "d"
	extra = {"kafka": {"topic.articles": helpers.unique_topic("a"),
			   "topic.duplicates": helpers.unique_topic("d")},
		 "feeds": {"min_interval": "1s"}, "metrics": {"listen": "127.0.0.1:0"}}
	# (valley-times has no <ttl>, so it is polled every second.)
	config = helpers.write_config(directory, kafka.bootstrap,
				      feeds_for(site, ["valley-times.atom", "harbour-courier.xml"]),
				      extra)
	daemon = wiresift_daemon(config)
	address = listening_address(daemon)
	helpers.wait_until(lambda: {r["uri"] for r in site.requests()} >=
			   {"/valley-times.atom", "/harbour-courier.xml"}, 20)

	# Good: harbour-courier removed, northline added, valley-times kept.
	helpers.write_config(directory, kafka.bootstrap,
			     feeds_for(site, ["valley-times.atom", "northline.json"]), extra)
	mark = len(site.requests())
	daemon.send_signal(signal.SIGHUP)
	daemon.wait_for_log(r"event=reload\.applied feeds=2 added=1 removed=1 kept=1", timeout=10)
	helpers.wait_until(lambda: any(r["uri"] == "/northline.json"
				       for r in site.requests()[mark:]), 20)
	time.sleep(2.5)
	after = [r["uri"] for r in site.requests()[mark:]]
	assert "/northline.json" in after and "/valley-times.atom" in after
	assert "/harbour-courier.xml" not in after[2:], after
	# The kept feed kept its validators: its polls after the reload are conditional (304).
	assert any(r["uri"] == "/valley-times.atom" and r["status"] == 304
		   for r in site.requests()[mark:])

	# Bad: rejected with FILE:LINE, the running configuration stays.
	Path(config).write_text(Path(config).read_text() + "\n[feeds]\nintreval = 5m\n")
	daemon.send_signal(signal.SIGHUP)
	daemon.wait_for_log(r'event=reload\.rejected error="%s:\d+: unknown key \\"intreval\\"' %
			    re.escape(str(config)), timeout=10)
	assert daemon.running()
	feeds = json.loads(get(address, "/feeds")[1])
	assert [feed["name"] for feed in feeds] == ["valley-times", "northline"]


def test_reload_with_a_shorter_interval_polls_within_it(tmp_path, kafka, site, wiresift_daemon):
	"""A reload that shortens a feed's interval applies at once: a feed waiting out its old
	interval (1 h) is polled within the new one (2 s), not an hour later; a feed whose
	interval stays is left to its schedule."""
	directory = tmp_path / "d"
	extra = {"kafka": {"topic.articles": helpers.unique_topic("a"),
			   "topic.duplicates": helpers.unique_topic("d")},
		 "feeds": {"min_interval": "1s"}}
	# (neither has a <ttl> or max-age that would stretch the interval)
	names = ["valley-times.atom", "harbour-courier.xml"]

	def feeds(valley_interval):
		return [(site.url(names[0]), {"name": "valley", "interval": valley_interval}),
			(site.url(names[1]), {"name": "harbour", "interval": "1h"})]

	def polls(name):
		return len([r for r in site.requests() if r["uri"] == "/" + name])
	config = helpers.write_config(directory, kafka.bootstrap, feeds("1h"), extra)
	daemon = wiresift_daemon(config)
	assert helpers.wait_until(lambda: polls(names[0]) == 1 and polls(names[1]) == 1, 20)
	helpers.write_config(directory, kafka.bootstrap, feeds("2s"), extra)
	daemon.send_signal(signal.SIGHUP)
	daemon.wait_for_log(r"event=reload\.applied feeds=2 added=0 removed=0 kept=2", timeout=10)
	assert helpers.wait_until(lambda: polls(names[0]) >= 3, 15), polls(names[0])
	assert polls(names[1]) == 1


def test_import_opml_and_opml_in_config(tmp_path):
	opml = tmp_path / "subscriptions.opml"
	opml.write_text('<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head>'
			'<body><outline text="World"><outline type="rss" text="Wire One" '
			'xmlUrl="https://one.example/rss"/><outline type="rss" text="Two" '
			'xmlUrl="https://two.example/atom"/></outline>'
			'<outline text="Loose" xmlUrl="https://three.example/feed"/></body></opml>')
	result = helpers.run_wiresift(["import-opml", opml])
	assert result.returncode == 0, result.stderr
	lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
	assert lines == ['https://one.example/rss name="Wire One" tags=World',
			 "https://two.example/atom name=Two tags=World",
			 "https://three.example/feed name=Loose"]
	# The lines it prints are a valid feeds list, and [feeds] opml = reads the file directly.
	(tmp_path / "imported.list").write_text(result.stdout)
	config = tmp_path / "c.conf"
	config.write_text("[feeds]\nlist = imported.list\n")
	assert "(3 feeds" in helpers.run_wiresift(["-t", "-c", config]).stdout
	config.write_text("[feeds]\nopml = subscriptions.opml\n")
	assert "(3 feeds" in helpers.run_wiresift(["-t", "-c", config]).stdout
	(tmp_path / "broken.opml").write_text("<opml><body><outline")
	config.write_text("[feeds]\nopml = broken.opml\n")
	result = helpers.run_wiresift(["-t", "-c", config])
	assert result.returncode != 0 and "broken.opml:1:" in result.stderr


def test_journald_priorities(tmp_path, kafka):
	config = helpers.write_config(tmp_path / "d", "127.0.0.1:%d" % helpers.free_port(),
				      ["http://127.0.0.1:%d/feed" % helpers.free_port()],
				      {"feeds": {"min_interval": "1s", "interval": "1s"}})
	process = subprocess.Popen([str(helpers.wiresift_binary()), "-c", str(config)],
				   stderr=subprocess.PIPE, text=True,
				   env=dict(os.environ, JOURNAL_STREAM="8:1234"))
	time.sleep(6)
	process.send_signal(signal.SIGTERM)
	_, errors = process.communicate(timeout=30)
	lines = errors.splitlines()
	assert lines and all(re.match(r"<[3467]>ts=", line) for line in lines), lines[:5]
	assert any(line.startswith("<6>") and "event=daemon.started" in line for line in lines)
	assert any(line.startswith("<4>") and "event=feed.failed" in line for line in lines)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_sandboxing_scores_ok():
	result = subprocess.run(["systemd-analyze", "security", "--offline=true",
				 str(ROOT / "systemd" / "wiresift.service")],
				capture_output=True, text=True, timeout=60)
	match = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", result.stdout)
	assert match, result.stdout[-2000:] + result.stderr
	assert float(match.group(1)) <= 2.0, result.stdout[-3000:]


def test_missing_topic_on_a_broker_that_does_not_create_topics(tmp_path, monkeypatch):
	monkeypatch.setenv("BROKER_AUTO_CREATE", "false")
	broker = helpers.KafkaBroker(tmp_path / "broker")
	bootstrap = broker.start()
	try:
		topic = helpers.unique_topic("absent")
		config = helpers.write_config(tmp_path / "d", bootstrap, [], {
			"kafka": {"topic.articles": topic}})
		result = helpers.run_wiresift(["-c", config, "--once"], timeout=60)
	finally:
		broker.stop()
	assert result.returncode != 0
	assert 'topic "%s" does not exist and the broker does not create topics' % topic in \
		result.stderr, result.stderr[-2000:]


def test_enable_feed_brings_back_a_feed_disabled_by_410(tmp_path, kafka, site, wiresift_daemon):
	gone = site.url("status/410")
	config = helpers.write_config(tmp_path / "d", kafka.bootstrap,
				      [(gone, {"name": "gone", "interval": "1s"})],
				      {"kafka": {"topic.articles": helpers.unique_topic("a")},
				       "feeds": {"min_interval": "1s"}})
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=feed\.gone feed=gone", timeout=20)
	time.sleep(2)
	assert len([r for r in site.requests() if r["uri"] == "/status/410"]) == 1

	result = helpers.run_wiresift(["enable-feed", "-c", config, gone])
	assert result.returncode == 0 and "enabled" in result.stdout, result.stderr
	mark = len(daemon.log())
	daemon.send_signal(signal.SIGHUP)
	daemon.wait_for_log(r"event=feed\.enabled feed=gone", timeout=10, start=mark)
	daemon.wait_for_log(r"event=feed\.gone feed=gone", timeout=10, start=mark)
	assert len([r for r in site.requests() if r["uri"] == "/status/410"]) == 2
	# A feed that is not disabled is left alone.
	result = helpers.run_wiresift(["enable-feed", "-c", config, "http://127.0.0.1:1/other"])
	assert result.returncode == 0 and "was not disabled" in result.stdout
