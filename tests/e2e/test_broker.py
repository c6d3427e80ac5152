"""test_broker.py - proves the end-to-end fixtures themselves: the real Kafka broker starts,
carries records with keys and headers unchanged, keeps them over a restart; nginx serves files
with validators and answers conditional requests; the config writer and the daemon runner do
what the daemon tests rely on."""

import configparser
import gzip
import http.client
import os
import re
import signal
import subprocess
import threading
import time

import pytest

import helpers

FEED_TEXT = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Fixture wire</title><link>http://example.invalid/</link>
<description>A feed written for the fixture tests.</description>
<item><title>Harbour cranes idle after storm</title><link>http://example.invalid/a/1</link>
<guid>fixture-1</guid><description>The port authority said the cranes would restart once
the wind dropped below the safety limit.</description></item>
</channel></rss>
"""


def request(server, path, headers=None, method="GET"):
	"""One HTTP request that follows no redirect: (status, headers dict (lower-case), body)."""
	connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
	try:
		connection.request(method, "/" + path.lstrip("/"), headers=headers or {})
		response = connection.getresponse()
		body = response.read()
		return response.status, {k.lower(): v for k, v in response.getheaders()}, body
	finally:
		connection.close()


# --- Kafka ---------------------------------------------------------------------------------

def test_broker_listens_on_loopback(kafka):
	assert re.fullmatch(r"127\.0\.0\.1:\d+", kafka.bootstrap)
	assert kafka.running()
	assert kafka.pid() is not None
	assert "Kafka Server started" in kafka.log()
	helpers.kcat_topics(kafka.bootstrap)	# answers metadata requests


def test_start_twice_finds_the_running_broker(kafka):
	pid = kafka.pid()
	result = subprocess.run([str(helpers.BROKER_SCRIPT), "start", str(kafka.dir)],
				capture_output=True, text=True, timeout=60)
	assert result.returncode == 0, result.stderr
	assert result.stdout.strip() == "bootstrap=" + kafka.bootstrap
	assert kafka.pid() == pid


def test_hundred_records_round_trip(kafka):
	topic = helpers.unique_topic("roundtrip")
	sent = {}
	for batch in range(4):
		headers = {"content-type": "application/json", "batch": str(batch),
			   "wiresift-schema": "1"}
		records = []
		for i in range(25):
			number = batch * 25 + i
			key = "article-%03d" % number
			value = {"schema": 1, "id": key, "title": "Item %d" % number,
				 "text": "Ümlaut, emoji \u2603 and \"quotes\" survive", "n": number}
			records.append((key, value))
			sent[key] = (value, headers)
		helpers.kcat_produce(kafka.bootstrap, topic, records, headers)

	received = helpers.kcat_consume(kafka.bootstrap, topic, count=100, timeout=30)
	assert len(received) == 100
	assert sorted(record["key"] for record in received) == sorted(sent)
	for record in received:
		value, headers = sent[record["key"]]
		assert record["value"] == value
		assert record["headers"] == headers
		assert record["topic"] == topic

	# The broker created the topic with num.partitions=3; keys spread over them and each
	# partition's offsets run from 0 without a gap.
	partitions = {}
	for record in received:
		partitions.setdefault(record["partition"], []).append(record["offset"])
	assert set(partitions) == {0, 1, 2}
	for offsets in partitions.values():
		assert offsets == list(range(len(offsets)))

	# Nothing more than what was sent.
	assert len(helpers.kcat_consume(kafka.bootstrap, topic)) == 100


def test_consume_waits_for_records_still_to_come(kafka):
	topic = helpers.unique_topic("later")
	records = [("k%d" % i, {"n": i}) for i in range(5)]
	producer = threading.Timer(1.5, helpers.kcat_produce, (kafka.bootstrap, topic, records))
	producer.start()
	try:
		begun = time.monotonic()
		received = helpers.kcat_consume(kafka.bootstrap, topic, count=5, timeout=30)
		assert time.monotonic() - begun >= 1.0
	finally:
		producer.join()
	assert sorted(record["value"]["n"] for record in received) == list(range(5))


def test_consume_without_count_reads_what_is_there(kafka):
	assert helpers.kcat_consume(kafka.bootstrap, helpers.unique_topic("absent"),
				    timeout=10) == []


def test_restart_keeps_data_and_address(kafka):
	topic = helpers.unique_topic("durable")
	records = [("key-%d" % i, {"n": i}) for i in range(10)]
	helpers.kcat_produce(kafka.bootstrap, topic, records, {"phase": "before"})
	before = helpers.kcat_consume(kafka.bootstrap, topic, count=10)
	bootstrap = kafka.bootstrap
	old_pid = kafka.pid()

	kafka.restart()
	assert kafka.bootstrap == bootstrap
	assert kafka.pid() != old_pid
	after = helpers.kcat_consume(kafka.bootstrap, topic, count=10)
	assert after == before

	helpers.kcat_produce(kafka.bootstrap, topic, [("key-10", {"n": 10})], {"phase": "after"})
	everything = helpers.kcat_consume(kafka.bootstrap, topic, count=11)
	assert len(everything) == 11
	assert [r for r in everything if r["key"] == "key-10"][0]["headers"] == {"phase": "after"}


def test_stop_then_start_after_a_crash(kafka):
	topic = helpers.unique_topic("crash")
	helpers.kcat_produce(kafka.bootstrap, topic, [("a", "one"), ("b", "two")])
	helpers.kcat_consume(kafka.bootstrap, topic, count=2)
	bootstrap = kafka.bootstrap
	os.kill(kafka.pid(), signal.SIGKILL)
	assert helpers.wait_until(lambda: not kafka.running(), 10)
	kafka.start()
	assert kafka.bootstrap == bootstrap
	values = sorted(record["value"] for record in
			helpers.kcat_consume(kafka.bootstrap, topic, count=2))
	assert values == ["one", "two"]


# --- HTTP ----------------------------------------------------------------------------------

@pytest.fixture
def feed_server(tmp_path, http_server):
	root = tmp_path / "www"
	root.mkdir()
	(root / "feed.xml").write_text(FEED_TEXT)
	(root / "feed.json").write_text('{"version": "https://jsonfeed.org/version/1.1", '
					'"title": "Fixture", "items": []}\n' + " " * 80)
	return http_server(root)


def test_nginx_serves_with_validators_and_answers_304(feed_server):
	status, headers, body = request(feed_server, "feed.xml")
	assert status == 200
	assert body.decode() == FEED_TEXT
	assert headers["content-type"].startswith("text/xml")
	etag = headers["etag"]
	last_modified = headers["last-modified"]
	assert etag.startswith('"') and last_modified.endswith("GMT")

	status, headers, body = request(feed_server, "feed.xml", {"If-None-Match": etag})
	assert status == 304 and body == b""
	assert headers["etag"] == etag

	status, _, _ = request(feed_server, "feed.xml", {"If-Modified-Since": last_modified})
	assert status == 304

	status, _, body = request(feed_server, "feed.xml", {"If-None-Match": '"not-it"'})
	assert status == 200 and body.decode() == FEED_TEXT

	# nginx logs a request after it has sent the response: wait for the fourth line.
	helpers.wait_until(lambda: len(feed_server.requests()) >= 4, timeout=10)
	log = feed_server.requests()
	assert [entry["status"] for entry in log] == [200, 304, 304, 200]
	assert log[1]["if_none_match"] == etag
	assert log[2]["if_modified_since"] == last_modified


def test_nginx_gzips_feeds(feed_server):
	for path in ("feed.xml", "feed.json"):
		status, headers, body = request(feed_server, path, {"Accept-Encoding": "gzip"})
		assert status == 200
		assert headers.get("content-encoding") == "gzip", path
		plain = (feed_server.root / path).read_bytes()
		assert gzip.decompress(body) == plain


def test_nginx_status_paths(feed_server):
	status, _, _ = request(feed_server, "status/410")
	assert status == 410
	status, headers, _ = request(feed_server, "status/429")
	assert status == 429 and headers["retry-after"] == "2"
	status, headers, _ = request(feed_server, "status/503")
	assert status == 503 and headers["retry-after"] == "2"
	status, headers, _ = request(feed_server, "redirect/feed.xml")
	assert status == 301 and headers["location"].endswith("/feed.xml")
	status, headers, _ = request(feed_server, "redirect302/feed.xml")
	assert status == 302 and headers["location"].endswith("/feed.xml")
	status, _, _ = request(feed_server, "missing.xml")
	assert status == 404
	assert feed_server.url("/feed.xml") == "http://127.0.0.1:%d/feed.xml" % feed_server.port


def test_nginx_stop_frees_the_port(feed_server):
	port = feed_server.port
	feed_server.stop()
	with pytest.raises(OSError):
		http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()


# --- config writer and daemon runner -------------------------------------------------------

def test_write_config(tmp_path):
	path = helpers.write_config(
		tmp_path, "127.0.0.1:1234",
		feeds=["http://127.0.0.1:8080/a.xml",
		       ("http://127.0.0.1:8080/b.xml", {"name": "Bee", "interval": "5s",
							"tags": ["wire", "test"]})],
		extra={"kafka": {"topic.articles": "t.articles", "linger.ms": 5},
		       "dedup": {"threshold": 0.8},
		       'plugin "lang"': {}})
	parser = configparser.ConfigParser(interpolation=None)
	parser.read(path)
	assert parser["kafka"]["bootstrap.servers"] == "127.0.0.1:1234"
	assert parser["kafka"]["topic.articles"] == "t.articles"
	assert parser["kafka"]["topic.duplicates"] == "news.duplicates"
	assert parser["kafka"]["linger.ms"] == "5"
	assert parser["dedup"]["threshold"] == "0.8"
	assert parser["feeds"]["allow_private"] == "yes"
	assert parser.has_section('plugin "lang"')
	assert (tmp_path / "state").is_dir()
	lines = [line for line in open(parser["feeds"]["list"]).read().splitlines()
		 if not line.startswith("#")]
	assert lines == ["http://127.0.0.1:8080/a.xml",
			 "http://127.0.0.1:8080/b.xml name=Bee interval=5s tags=wire,test"]


def test_daemon_runner_with_a_stand_in(tmp_path, monkeypatch, wiresift_daemon):
	"""The runner's contract, checked against a shell stand-in for build/wiresift so it holds
	whatever state the daemon is in: arguments passed, log captured, exit code returned. The
	stand-in sets its TERM trap before it says it started, as the daemon installs its signal
	handlers before its start line: a stop right after the line must reach the trap."""
	build = tmp_path / "fake-build"
	build.mkdir()
	fake = build / "wiresift"
	fake.write_text("#!/bin/sh\n"
			"[ \"$1\" = -c ] || { echo \"usage, got: $*\" >&2; exit 3; }\n"
			"trap 'echo \"level=info event=stop\" >&2; exit 7' TERM\n"
			"echo \"level=info event=start args=$*\" >&2\n"
			"while :; do sleep 0.05; done\n")
	fake.chmod(0o755)
	monkeypatch.setenv("WIRESIFT_BUILD", str(build))
	config = helpers.write_config(tmp_path / "conf", "127.0.0.1:1")

	daemon = wiresift_daemon(config)
	match = daemon.wait_for_log(r"event=start args=(.*)$", timeout=10)
	assert match.group(1) == "-c %s" % config
	assert daemon.running()
	assert daemon.stop() == 7
	assert "event=stop" in daemon.log()
	with pytest.raises(AssertionError):
		daemon.wait_for_log(r"never printed", timeout=0.5)

	result = helpers.run_wiresift(["-x", "y"], timeout=10)
	assert result.returncode == 3
	assert result.stderr.strip() == "usage, got: -x y"


def test_config_accepted_by_daemon(tmp_path):
	if not helpers.wiresift_binary().exists():
		pytest.skip("%s not built" % helpers.wiresift_binary())
	config = helpers.write_config(tmp_path, "127.0.0.1:9092",
				      feeds=[("http://127.0.0.1:8080/feed.xml",
					      {"name": "Local", "interval": "30s", "tags": ["wire"]})])
	result = helpers.run_wiresift(["-t", "-c", config], timeout=30)
	assert result.returncode == 0, result.stderr
