"""test_stories.py - stories end to end: the demo feeds served by a real nginx on loopback, the
daemon publishing to a real Kafka broker, kcat reading back. Every article carries a story-id
header equal to its "story" field; topic.stories holds each story's summary under its id
(headline, articles with their outlets, size); and a restart keeps the open stories: write-ups
fetched after it join the stories opened before it."""

import shutil
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


def run_with_feeds(directory, kafka, site, feeds, topics):
	sections = {"kafka": {"topic.articles": topics[0], "topic.duplicates": topics[1],
			      "topic.stories": topics[2]},
		    "clean": {"rules": str(ROOT / "conf" / "rules" / "boilerplate.rules")}}
	sections.update(helpers.plugin_sections(("source", "lang", "entities")))
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
