"""test_reload_scale.py - a SIGHUP reload of a long feeds list costs the event loop time in
proportion to the feeds, not to their square: the daemon's reload.requested -> reload.applied
(ingest_reload: the running feeds matched to the new list) at 25,000 and at 100,000 feeds.
Matching each new feed by a scan of the running list made the second 16 times the first (1.3 s
at 100,000 feeds); by a map, about 4 times (0.06-0.09 s). No broker: the feeds' fetches are
refused (nothing listens on port 9), which this does not look at."""

import signal

import helpers
from cluster_helpers import log_stamp


def reload_seconds(tmp_path, wiresift_daemon, count):
	"""The fastest of three reloads of count feeds (ingest_reload's time, from the log)."""
	urls = ["http://127.0.0.1:9/f/%06d.xml" % i for i in range(count)]
	config = helpers.write_config(tmp_path / ("d-%d" % count), "127.0.0.1:9", urls,
				      {"feeds": {"interval": "1d"},	# (not 100,000 feed.failed lines)
				       "daemon": {"log_level": "error",
						  "log_levels": "main:info,ingest:info"}})
	daemon = wiresift_daemon(config)
	daemon.wait_for_log(r"event=daemon\.started", timeout=120)
	times = []
	for attempt in range(3):
		mark = len(daemon.log())
		daemon.send_signal(signal.SIGHUP)
		daemon.wait_for_log(r"event=reload\.applied feeds=%d " % count, timeout=120,
				    start=mark)
		lines = daemon.log()[mark:].splitlines()
		requested = next(log_stamp(line) for line in lines if "event=reload.requested" in line)
		applied = next(log_stamp(line) for line in lines if "event=reload.applied" in line)
		times.append(applied - requested)
	daemon.stop()
	return min(times)


def test_a_reload_costs_in_proportion_to_the_feeds(tmp_path, wiresift_daemon):
	small = reload_seconds(tmp_path, wiresift_daemon, 25000)
	large = reload_seconds(tmp_path, wiresift_daemon, 100000)
	# 4 x the feeds: about 4 x the time when linear, 16 x when quadratic (log stamps are
	# in milliseconds: the small one is at least 1 ms here)
	assert large < 10 * max(small, 0.005), (small, large)
