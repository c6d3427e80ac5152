"""test_schedule.py - scheduling decisions that need time to show: the adaptive interval of a
feed that stops changing (and snaps back when it changes), and the daemon recognising that its
own network is down (every feed failing to connect) instead of backing every feed off."""

import re
import time
from pathlib import Path

import helpers

ITEM = ("<item><title>Item %d</title><link>https://quiet.example/%d</link>"
	"<description>Words about item number %d for the test.</description></item>")


def write_feed(path, count):
	items = "".join(ITEM % (i, i, i) for i in range(count))
	path.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
			"<link>https://quiet.example/</link><description>q</description>%s"
			"</channel></rss>" % items)


def request_gaps(server, uri):
	times = [time.mktime(time.strptime(r["time"][:19], "%Y-%m-%dT%H:%M:%S"))
		 for r in server.requests() if r["uri"] == uri]
	return [b - a for a, b in zip(times, times[1:])]


def test_adaptive_interval_stretches_quiet_feeds_and_resets_on_change(tmp_path, kafka,
									  http_server,
									  wiresift_daemon):
	site = tmp_path / "site"
	site.mkdir()
	write_feed(site / "quiet.xml", 1)
	server = http_server(site)
	config = helpers.write_config(tmp_path / "d", kafka.bootstrap,
				      [(server.url("quiet.xml"), {"name": "quiet", "interval": "1s"})],
				      {"kafka": {"topic.articles": helpers.unique_topic("a")},
				       "feeds": {"min_interval": "1s", "adaptive": "yes"}})
	daemon = wiresift_daemon(config)
	# Unchanged polls: 1s, then x1.25 each, up to x4 (4 s).
	helpers.wait_until(lambda: len(request_gaps(server, "/quiet.xml")) >= 8, 40)
	gaps = request_gaps(server, "/quiet.xml")
	assert max(gaps[-3:]) >= 3, gaps
	assert max(gaps) <= 5, gaps
	# A new item: the next poll publishes it and the interval snaps back to 1 s.
	seen = len(daemon.log())
	write_feed(site / "quiet.xml", 2)
	daemon.wait_for_log(r"event=feed\.fetched feed=quiet .*new=1", timeout=10, start=seen)
	mark = len(server.requests())
	time.sleep(3.5)
	assert len([r for r in server.requests()[mark:] if r["uri"] == "/quiet.xml"]) >= 2


def test_network_down_is_not_blamed_on_the_feeds(tmp_path, kafka, wiresift_daemon):
	# Twelve feeds on six loopback addresses where nothing listens: every connect is refused,
	# as when our own network is gone.
	port = helpers.free_port()
	feeds = [("http://127.0.0.%d:%d/feed%d.xml" % (11 + i % 6, port, i),
		  {"name": "down%d" % i, "interval": "1s"}) for i in range(12)]
	config = helpers.write_config(tmp_path / "d", kafka.bootstrap, feeds, {
		"kafka": {"topic.articles": helpers.unique_topic("a")},
		"feeds": {"min_interval": "1s", "max_backoff": "60s"}})
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=network\.down", timeout=20)
	time.sleep(4)
	log = daemon.log()
	failures = [int(n) for n in re.findall(r"event=feed\.failed .*? failures=(\d+)", log)]
	assert failures and max(failures) <= 2, failures
	# Feeds keep their 1 s schedule instead of backing off: many attempts in those 4 s.
	assert log.count("event=network.down") == 1
