"""test_daemon.py - the walking skeleton end to end: the demo feeds served by a real nginx on
loopback, the daemon polling them and publishing to a real Kafka broker, kcat (an independent
client) reading the topics back. Asserts on keys, headers, JSON values, dedup verdicts, state
across restarts, delivery-before-done, conditional GET and the graceful stop."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

import helpers

ROOT = Path(__file__).resolve().parents[2]
DEMO_FEEDS = ROOT / "conf" / "demo" / "feeds"
EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "articles" / "expected.json").read_text())
FEED_NAMES = {
	"meridian-press.xml": "Meridian-Press",
	"harbour-courier.xml": "Harbour-Courier",
	"valley-times.atom": "Valley-Times",
	"northline.json": "Northline-News",
	"riverbend-observer.rdf": "Riverbend-Observer",
	"coastal-ledger.xml": "Coastal-Ledger",
}
SCHEMA = json.loads((ROOT / "docs" / "schema" / "article.schema.json").read_text())
TOTAL_ITEMS = sum(len(group) for group in EXPECTED["wire_groups"]) + len(EXPECTED["unique"]) + \
	len(EXPECTED.get("short", []))


@pytest.fixture
def demo_site(tmp_path, http_server):
	site = tmp_path / "site"
	shutil.copytree(DEMO_FEEDS, site)
	return http_server(site)


def demo_config(directory, bootstrap, site, topics, extra=None, interval="5m"):
	feeds = [(site.url(name), {"name": label, "interval": interval})
		 for name, label in FEED_NAMES.items()]
	sections = {"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1]},
		    "feeds": {"min_interval": "1s"},
		    "clean": {"rules": str(ROOT / "conf" / "rules" / "boilerplate.rules")}}
	sections.update(helpers.plugin_sections())
	for section, keys in (extra or {}).items():
		sections.setdefault(section, {}).update(keys)
	return helpers.write_config(directory, bootstrap, feeds, sections)


def run_once(config, timeout=120):
	return helpers.run_wiresift(["-c", config, "--once"], timeout=timeout)


def by_guid(records):
	return {record["value"]["guid"]: record for record in records}


def expected_key(entry):
	"""'feedfile#guid' -> guid."""
	return entry.split("#", 1)[1]


def test_check_config_ok_and_errors_name_file_and_line(tmp_path):
	good = helpers.write_config(tmp_path / "good", "127.0.0.1:9", ["http://127.0.0.1:1/feed"])
	result = helpers.run_wiresift(["-t", "-c", good])
	assert result.returncode == 0, result.stderr
	assert "configuration OK" in result.stdout

	bad = tmp_path / "bad.conf"
	bad.write_text("[daemon]\nstate_dir = /tmp/x\n[feeds]\ninterval = soon\n")
	result = helpers.run_wiresift(["-t", "-c", bad])
	assert result.returncode != 0
	assert "%s:4:" % bad in result.stderr and "interval" in result.stderr

	bad.write_text("[daemon]\nstate_dri = /tmp/x\n")
	result = helpers.run_wiresift(["-t", "-c", bad])
	assert result.returncode != 0 and "%s:2: unknown key" % bad in result.stderr

	bad.write_text("[kafka]\nbootstrap.servers = 127.0.0.1:9\n\nlinger.ms = forever\n")
	result = helpers.run_wiresift(["-t", "-c", bad])
	assert result.returncode != 0 and "%s:4: [kafka] linger.ms" % bad in result.stderr

	feeds = tmp_path / "feeds.list"
	feeds.write_text("# list\nhttp://127.0.0.1:1/a name=a\nhttp://127.0.0.1:1/b colour=red\n")
	bad.write_text("[feeds]\nlist = %s\n" % feeds)
	result = helpers.run_wiresift(["-t", "-c", bad])
	assert result.returncode != 0 and "%s:3:" % feeds in result.stderr


def test_demo_feeds_to_kafka_with_dedup_and_headers(tmp_path, kafka, demo_site):
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	config = demo_config(tmp_path / "daemon", kafka.bootstrap, demo_site, topics)
	result = run_once(config)
	assert result.returncode == 0, result.stderr[-3000:]

	articles = helpers.kcat_consume(kafka.bootstrap, topics[0], timeout=20)
	duplicates = helpers.kcat_consume(kafka.bootstrap, topics[1], timeout=20)
	assert len(articles) + len(duplicates) == TOTAL_ITEMS, result.stderr[-3000:]

	for record in articles + duplicates:
		value = record["value"]
		assert isinstance(value, dict), record["raw"]
		jsonschema.validate(value, SCHEMA)
		assert record["key"] == value["id"]
		assert record["headers"]["content-type"] == "application/json"
		assert record["headers"]["wiresift-schema"] == "2"
		assert record["headers"]["dedup-status"] == value["dedup"]["status"]
		assert value["schema"] == 2
		assert value["text"] and value["title"]
		assert value["published"].endswith("Z")
		assert value["source"]["feed"].startswith(demo_site.url(""))
	for record in articles:
		assert record["value"]["dedup"]["status"] == "unique"
	for record in duplicates:
		assert record["value"]["dedup"]["status"] == "duplicate"

	# Every wire group: exactly one article, the other copies duplicates of it.
	published = by_guid(articles + duplicates)
	for group in EXPECTED["wire_groups"]:
		members = [published[expected_key(entry)]["value"] for entry in group]
		originals = [m for m in members if m["dedup"]["status"] == "unique"]
		assert len(originals) == 1, [m["title"] for m in members]
		for member in members:
			if member is not originals[0]:
				assert member["dedup"]["duplicate_of"] == originals[0]["id"]
				assert member["dedup"]["group"] == originals[0]["dedup"]["group"]
	# Independent write-ups of the same event stay apart.
	for entry in EXPECTED["unique"]:
		assert published[expected_key(entry)]["value"]["dedup"]["status"] == "unique", entry

	# The tagger plugins ran: language, source, entities.
	english = [r for r in articles if r["value"]["lang"] and r["value"]["lang"]["code"] == "en"]
	assert len(english) >= len(articles) - 1
	assert all(r["value"]["source"]["name"] in FEED_NAMES.values() for r in articles)
	assert any(r["value"]["tags"]["entities"] for r in articles)


def test_restart_republishes_nothing(tmp_path, kafka, demo_site):
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	config = demo_config(tmp_path / "daemon", kafka.bootstrap, demo_site, topics)
	first = run_once(config)
	assert first.returncode == 0, first.stderr[-3000:]
	count = len(helpers.kcat_consume(kafka.bootstrap, topics[0], timeout=20)) + \
		len(helpers.kcat_consume(kafka.bootstrap, topics[1], timeout=20))
	assert count == TOTAL_ITEMS

	second = run_once(config)
	assert second.returncode == 0, second.stderr[-3000:]
	assert "event=article.delivered" not in second.stderr
	time.sleep(1)
	again = len(helpers.kcat_consume(kafka.bootstrap, topics[0])) + \
		len(helpers.kcat_consume(kafka.bootstrap, topics[1]))
	assert again == TOTAL_ITEMS
	# The second poll was conditional: nginx answered 304 to our validators.
	requests = demo_site.requests()
	assert any(r["status"] == 304 and r["if_none_match"] for r in requests), requests[-6:]


def test_unacknowledged_items_are_published_after_restart(tmp_path, kafka, demo_site,
							   wiresift_daemon):
	"""Kill the daemon while Kafka is unreachable (nothing acknowledged): after a restart with
	the broker reachable, every item arrives; nothing was marked done without a report."""
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	dead_broker = "127.0.0.1:%d" % helpers.free_port()
	config = demo_config(tmp_path / "daemon", dead_broker, demo_site, topics)
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=feed\.fetched .*new=[1-9]", timeout=30)
	time.sleep(1)
	daemon.stop(signal.SIGKILL)
	assert "event=article.delivered" not in daemon.log()

	config = demo_config(tmp_path / "daemon", kafka.bootstrap, demo_site, topics)
	result = run_once(config)
	assert result.returncode == 0, result.stderr[-3000:]
	count = len(helpers.kcat_consume(kafka.bootstrap, topics[0], timeout=20)) + \
		len(helpers.kcat_consume(kafka.bootstrap, topics[1], timeout=20))
	assert count == TOTAL_ITEMS


def test_sigterm_drains_and_exits_cleanly(tmp_path, kafka, demo_site, wiresift_daemon):
	topics = (helpers.unique_topic("articles"), helpers.unique_topic("duplicates"))
	config = demo_config(tmp_path / "daemon", kafka.bootstrap, demo_site, topics,
			     interval="2s")
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=article\.delivered", timeout=60)
	# Polls repeat (interval 2s) and are conditional from the second on.
	helpers.wait_until(lambda: any(r["status"] == 304 for r in demo_site.requests()), 20)
	assert daemon.stop(signal.SIGTERM, timeout=30) == 0
	log = daemon.log()
	assert "event=daemon.draining" in log
	assert "event=daemon.stopped undelivered=0" in log
	assert any(r["status"] == 304 for r in demo_site.requests())


def test_process_prints_the_messages_offline():
	feeds = sorted(str(p) for p in DEMO_FEEDS.iterdir())
	config = ROOT / "conf" / "demo" / "wiresift.conf"
	result = helpers.run_wiresift(["process", "-c", config] + feeds,
				      env={"WIRESIFT_PLUGIN_DIR": str(helpers.build_dir() / "plugins")})
	assert result.returncode == 0, result.stderr
	lines = [json.loads(line) for line in result.stdout.splitlines()]
	assert len(lines) == TOTAL_ITEMS
	assert sum(1 for m in lines if m["dedup"]["status"] == "duplicate") == \
		sum(len(group) - 1 for group in EXPECTED["wire_groups"])


def test_parse_prints_items_as_json_lines():
	result = helpers.run_wiresift(["parse", DEMO_FEEDS / "meridian-press.xml"])
	assert result.returncode == 0, result.stderr
	lines = [json.loads(line) for line in result.stdout.splitlines()]
	items = [line for line in lines if "record" not in line]
	assert len(items) >= 3
	# the feed's own fields come once, last, with the number of items and what was repaired
	assert lines[-1]["record"] == "feed" and lines[-1]["feed"]["items"] == len(items)
	assert lines[-1]["feed"]["format"] == "rss2.0" and lines[-1]["feed"]["problems"] == []
	for item in items:
		assert item["feed"]["format"] == "rss2.0"
		assert item["title"] and item["url"].startswith("https://")
		assert item["published"].endswith("Z")


def test_parse_says_why_a_feed_could_not_be_read(tmp_path):
	page = tmp_path / "page.html"
	page.write_text("<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>")
	result = helpers.run_wiresift(["parse", page])
	assert result.returncode == 1
	lines = [json.loads(line) for line in result.stdout.splitlines()]
	assert len(lines) == 1 and lines[0]["record"] == "feed"
	assert lines[0]["feed"]["items"] == 0 and lines[0]["feed"]["problems"] == ["html-not-feed"]
	assert "HTML page" in lines[0]["feed"]["error"] and "HTML page" in result.stderr


# The demo's events, by words of their titles (conf/demo/feeds/: read them to check).
DEMO_EVENTS = {
	"dam": ("Kestrel Gorge", "Ashwater", "stuck gate"),
	"comet": ("comet", "stargazer"),
	"library": ("library reopens",), "cycle lanes": ("cycle lanes",),
	"fish market": ("fish market",), "football": ("Rovers",),
	"ferry": ("Ferry terminal",), "sea temperature": ("warmest November",),
}


def demo_event(title):
	"""The event a demo title names (a two-line correction notice is left out: too short to
	call either way)."""
	if title.startswith("Correction"):
		return None
	found = [event for event, words in DEMO_EVENTS.items()
		 if any(word.lower() in title.lower() for word in words)]
	return found[0] if len(found) == 1 else None


def test_process_groups_write_ups_of_one_event_under_one_story():
	feeds = sorted(DEMO_FEEDS.iterdir())
	result = helpers.run_wiresift(["process", "-c", ROOT / "conf" / "demo" / "wiresift.conf"]
				      + feeds,
				      env={"WIRESIFT_PLUGIN_DIR": str(helpers.build_dir() / "plugins")})
	assert result.returncode == 0, result.stderr
	messages = [json.loads(line) for line in result.stdout.splitlines()]
	by_event = {}
	for message in messages:
		jsonschema.validate(message, SCHEMA)
		event = demo_event(message["title"])
		if event is not None:
			by_event.setdefault(event, set()).add(message["story"]["id"])
	assert len(by_event) == len(DEMO_EVENTS), by_event
	# Several write-ups (and wire copies) of the dam and the comet: one story each; every
	# event its own story.
	assert all(len(stories) == 1 for stories in by_event.values()), by_event
	assert len({next(iter(stories)) for stories in by_event.values()}) == len(DEMO_EVENTS)
	dam = [m for m in messages if demo_event(m["title"]) == "dam"]
	assert len(dam) >= 5 and any(m["dedup"]["status"] == "duplicate" for m in dam)
	assert len({m["source"]["name"] for m in dam}) >= 4
	assert max(m["story"]["size"] for m in dam) >= len(dam)


def test_process_explain_names_the_rule_behind_each_removal():
	feeds = [DEMO_FEEDS / "northline.json", DEMO_FEEDS / "harbour-courier.xml"]
	result = helpers.run_wiresift(["process", "-c", ROOT / "conf" / "demo" / "wiresift.conf",
				       "--explain"] + feeds,
				      env={"WIRESIFT_PLUGIN_DIR": str(helpers.build_dir() / "plugins")})
	assert result.returncode == 0, result.stderr
	explained = [line for line in result.stderr.splitlines()
		     if line.startswith("explain: ") and " rule=" in line]
	rules = {line.split(" rule=", 1)[1].split(" ", 1)[0] for line in explained}
	assert {"html:blockquote.twitter-tweet", "also-read", "dateline"} <= rules, explained
	# What was removed is gone from the messages, and the article text stayed.
	messages = [json.loads(line) for line in result.stdout.splitlines()]
	text = "\n".join(m["text"] for m in messages)
	assert "Also Read:" not in text and "pic.twitter.com" not in text
	assert all(m["word_count"] > 0 for m in messages)
	assert any(m["dateline"] == "LORRIN, Esterland" for m in messages)
	# And for every article, why it joined its story or opened one.
	stories = [line for line in result.stderr.splitlines() if ": story: id=" in line]
	assert len(stories) == len(messages), stories
	for line, message in zip(stories, messages):
		assert "id=%s " % message["id"] in line
		assert ("joined story=%s" % message["story"]["id"] in line or
			"opened story=%s" % message["story"]["id"] in line), line
	assert any(" shared=" in line and " score=" in line and " threshold=" in line
		   for line in stories), stories


def _without_plugin_dir():
	"""The environment of a fresh shell: no WIRESIFT_PLUGIN_DIR (tests/run.sh sets one)."""
	return {key: value for key, value in os.environ.items() if key != "WIRESIFT_PLUGIN_DIR"}


def test_build_tree_binary_finds_its_plugins_without_environment(tmp_path):
	binary = helpers.wiresift_binary().resolve()
	result = subprocess.run([str(binary), "-t", "-c", str(ROOT / "conf" / "wiresift.conf")],
				env=_without_plugin_dir(), cwd=tmp_path, capture_output=True,
				text=True, timeout=60)
	assert result.returncode == 0, result.stderr
	assert "configuration OK" in result.stdout and "5 plugins" in result.stdout


def test_process_without_config_runs_the_shipped_pipeline(tmp_path):
	"""No -c and no /etc/wiresift/wiresift.conf: the shipped conf/wiresift.conf (all five
	plugins) is used, and stderr says so; the messages carry the plugins' tags."""
	if Path("/etc/wiresift/wiresift.conf").exists():
		pytest.skip("/etc/wiresift/wiresift.conf exists: process would use it")
	binary = helpers.wiresift_binary().resolve()
	feeds = sorted(str(p) for p in DEMO_FEEDS.iterdir())
	result = subprocess.run([str(binary), "process"] + feeds, env=_without_plugin_dir(),
				cwd=tmp_path, capture_output=True, text=True, timeout=120)
	assert result.returncode == 0, result.stderr
	assert "using %s" % (ROOT / "conf" / "wiresift.conf") in result.stderr
	messages = [json.loads(line) for line in result.stdout.splitlines()]
	assert len(messages) == TOTAL_ITEMS
	assert all(m["source"]["domain"] for m in messages)
	assert sum(1 for m in messages if m["lang"] and m["lang"]["code"] == "en") >= \
		TOTAL_ITEMS - len(EXPECTED.get("short", []))
	assert any(m["tags"]["entities"] for m in messages)
	assert any(m["tags"]["keywords"] for m in messages)
	assert any(m["tags"]["topics"] for m in messages)
