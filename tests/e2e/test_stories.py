"""test_stories.py - stories end to end: the demo feeds served by a real nginx on loopback, the
daemon publishing to a real Kafka broker, kcat reading back. Every article carries a story-id
header equal to its "story" field; topic.stories holds each story's summary under its id
(headline, articles with their outlets, size); and a restart keeps the open stories: write-ups
fetched after it join the stories opened before it; a story whose newest article leaves the window
becomes a tombstone (null value) under its id."""

import email.utils
import shutil
import time
from pathlib import Path

import helpers

ROOT = Path(__file__).resolve().parents[2]
DEMO_FEEDS = ROOT / "conf" / "demo" / "feeds"
FIRST = {"meridian-press.xml": "Meridian-Press", "harbour-courier.xml": "Harbour-Courier"}
LATER = {"riverbend-observer.rdf": "Riverbend-Observer", "coastal-ledger.xml": "Coastal-Ledger",
	 "valley-times.atom": "Valley-Times", "northline.json": "Northline-News"}
# Two of the demo's events, by words of their titles (conf/demo/feeds/: read them to check).
EVENTS = {"dam": ("Kestrel Gorge", "Ashwater", "stuck gate"), "comet": ("comet", "stargazer")}


def event_of(title):
	"""The event a demo title names (a two-line correction notice is left out: too short to
	call either way)."""
	if title.startswith("Correction"):
		return None
	found = [e for e, words in EVENTS.items() if any(w.lower() in title.lower() for w in words)]
	return found[0] if len(found) == 1 else None


def run_with_feeds(directory, kafka, site, feeds, topics, extra=None):
	sections = {"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1],
			      "topic.stories": topics[2]},
		    "clean": {"rules": str(ROOT / "conf" / "rules" / "boilerplate.rules")}}
	sections.update(helpers.plugin_sections(("source", "lang", "entities")))
	sections.update(extra or {})
	config = helpers.write_config(directory, kafka.bootstrap, [
	    (site.url(name), {"name": label}) for name, label in feeds.items()], sections)
	result = helpers.run_wiresift(["-c", config, "--once"], timeout=120)
	assert result.returncode == 0, result.stderr[-3000:]
	return result


def latest_by_key(records):
	latest = {}
	for record in records:
		latest[record["key"]] = record["value"]
	return latest


def test_story_headers_summaries_and_restart(tmp_path, kafka, http_server):
	site_dir = tmp_path / "site"
	shutil.copytree(DEMO_FEEDS, site_dir)
	site = http_server(site_dir)
	topics = tuple(helpers.unique_topic(name) for name in ("articles", "duplicates", "stories"))

	result = run_with_feeds(tmp_path / "daemon", kafka, site, FIRST, topics)
	# wiresift creates topic.stories compacted (cleanup.policy=compact)
	assert any("kafka.topic_created" in line and "topic=%s" % topics[2] in line and
		   "cleanup.policy=compact" in line for line in result.stderr.splitlines())
	first = helpers.kcat_consume(kafka.bootstrap, topics[0], timeout=20) + \
		helpers.kcat_consume(kafka.bootstrap, topics[1], timeout=10)
	assert first
	for record in first:
		assert record["headers"]["story-id"] == record["value"]["story"]["id"]
	before = {}
	for record in first:
		event = event_of(record["value"]["title"])
		if event:
			before.setdefault(event, set()).add(record["value"]["story"]["id"])
	assert set(before) == {"dam", "comet"} and all(len(s) == 1 for s in before.values()), before

	# Each story's summary, under its id: what joined it, from which outlets.
	members = {}
	for record in first:
		members.setdefault(record["value"]["story"]["id"], set()).add(record["value"]["id"])
	summaries = latest_by_key(helpers.kcat_consume(kafka.bootstrap, topics[2],
						       count=len(first), timeout=20))
	for story, ids in members.items():
		summary = summaries.get(story)
		assert summary is not None, (story, summaries.keys())
		assert summary["id"] == story and summary["size"] == len(ids)
		assert {a["id"] for a in summary["articles"]} == ids
		assert all(a["source"] for a in summary["articles"])
		assert summary["headline"] and summary["first_seen"] <= summary["last_seen"]
	dam = summaries[next(iter(before["dam"]))]
	assert {a["source"] for a in dam["articles"]} >= {"Meridian-Press", "Harbour-Courier"}

	# A restart on the same state: the other outlets' write-ups join the same stories.
	run_with_feeds(tmp_path / "daemon", kafka, site, {**FIRST, **LATER}, topics)
	later = [r for r in helpers.kcat_consume(kafka.bootstrap, topics[0], timeout=20) +
		 helpers.kcat_consume(kafka.bootstrap, topics[1], timeout=10)
		 if r["value"]["source"]["name"] in LATER.values()]
	assert later
	joined = {}
	for record in later:
		assert record["headers"]["story-id"] == record["value"]["story"]["id"]
		event = event_of(record["value"]["title"])
		if event:
			joined.setdefault(event, set()).add(record["value"]["story"]["id"])
	assert joined == before, (joined, before)
	summaries = latest_by_key(helpers.kcat_read_all(kafka.bootstrap, topics[2]))
	dam = summaries[next(iter(before["dam"]))]
	assert len({a["source"] for a in dam["articles"]}) >= 4, dam


def rss_feed(title, items):
	"""An RSS 2.0 feed of (guid, title, text, time) items, written for this test."""
	entries = "".join(
	    "<item><guid>%s</guid><title>%s</title><link>https://example.org/%s</link>"
	    "<pubDate>%s</pubDate><description>%s</description></item>" %
	    (guid, headline, guid, email.utils.formatdate(when, usegmt=True), text)
	    for guid, headline, text, when in items)
	return ('<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title>'
		"<link>https://example.org/</link>%s</channel></rss>" % (title, entries))


def test_story_tombstone_when_window_passes(tmp_path, kafka, http_server):
	"""A story whose newest article falls out of [stories] window (by the stream's clock, the
	newest article time seen) leaves topic.stories as a tombstone under its id, also when
	the article that moves the clock comes after a restart."""
	now = time.time()
	site_dir = tmp_path / "site"
	site_dir.mkdir()
	(site_dir / "old.xml").write_text(rss_feed("Old", [
	    ("bridge-1", "Footbridge over the Tamsin river reopens after repairs",
	     "The footbridge over the Tamsin river reopened on Monday after eight months of repairs "
	     "to its cables, the borough council said.", now - 3 * 86400)]))
	(site_dir / "new.xml").write_text(rss_feed("New", [
	    ("choir-1", "Village choir wins national competition with folk medley",
	     "A village choir of forty singers won the national amateur competition on Saturday "
	     "with a medley of folk songs from the valley.", now - 3600)]))
	site = http_server(site_dir)
	topics = tuple(helpers.unique_topic(name) for name in ("articles", "duplicates", "stories"))
	extra = {"stories": {"window": "1h"}}

	run_with_feeds(tmp_path / "daemon", kafka, site, {"old.xml": "Old"}, topics, extra)
	old = helpers.kcat_consume(kafka.bootstrap, topics[0], count=1, timeout=20)
	assert len(old) == 1
	old_story = old[0]["value"]["story"]["id"]
	summaries = helpers.kcat_consume(kafka.bootstrap, topics[2], count=1, timeout=20)
	assert [(r["key"], r["value"] is not None) for r in summaries] == [(old_story, True)]

	run_with_feeds(tmp_path / "daemon", kafka, site, {"old.xml": "Old", "new.xml": "New"},
		       topics, extra)
	new = [r for r in helpers.kcat_consume(kafka.bootstrap, topics[0], count=2, timeout=20)
	       if r["value"]["source"]["name"] == "New"]
	assert len(new) == 1 and new[0]["value"]["story"]["id"] != old_story
	records = helpers.kcat_consume(kafka.bootstrap, topics[2], count=3, timeout=20)
	latest = latest_by_key(records)
	assert old_story in latest and latest[old_story] is None, records
	assert latest.get(new[0]["value"]["story"]["id"]) is not None, records
