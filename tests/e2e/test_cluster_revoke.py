"""test_cluster_revoke.py - a partition revoked while a fetch of one of its feeds, or of an
item's linked page ([fulltext]), is under way (cluster mode, daemon/ingest/cluster.c): the
fetch is cancelled at the revoke, so a feed or page server that holds its answer does not hold
the hand-on. On the three-node cluster of tests/kafka/broker.sh and the helpers of
test_cluster.py.

Instance a polls every feed; the test's server holds a's next poll of one feed of each of the 6
partitions for 30 s (longer than the 15 s a revoked partition may wait for its polls); b joins
and takes three partitions. a must give up the held fetches of those at once (the server sees
the connections closed, unanswered; a logs cluster.poll_dropped ... fetch=cancelled and counts
them in its cluster.revoked line's dropped=), hand the partitions on, and b poll those feeds
from their state records. Every served item is then committed once for a read_committed
reader. Reported: revoke to hand-on, and revoke to the new owner's first poll of each held
feed it took (before, both waited for the 15 s deadline).

The same with the held requests those of linked pages: every item's page is fetched
([fulltext] mode = always, the feeds' links pointing at the test's server), and a's page
fetch of a new item of one feed of each partition is held. a must cancel those of the feeds b
takes at the revoke (cluster.poll_dropped ... page=cancelled, counted in dropped=; the server
sees them closed unanswered) and hand on without waiting for them; b fetches the items again,
with their pages, and every served item is committed once (before, the hand-on waited for
the held pages until the 15 s deadline)."""

import collections
import random
import re
import time

import helpers
from test_cluster import (FEEDS, feed_partition, holding_cluster, log_stamp, owned_feeds,
			  polled_by)
from test_delivery import VOCABULARY, figure

HOLD_SECONDS = 30


def held_feeds(server):
	"""One feed of each partition: {partition: feed index}."""
	held = {}
	for index in range(FEEDS):
		held.setdefault(feed_partition(server.url("feed%d.xml" % index), 6), index)
	return held


def first_request(server, path, agent, since):
	"""time.time() of the first request of path by agent at or after since, or None."""
	times = [when for when, seen_path, seen_agent in list(server.requests)
		 if seen_path == path and seen_agent == agent and when >= since]
	return min(times) if times else None


def test_a_revoke_cancels_the_revoked_feeds_fetches_under_way(tmp_path, kafka_cluster,
							       wiresift_daemon):
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon)
	try:
		cluster.start("a")
		first = cluster.daemons["a"]
		assert helpers.wait_until(lambda: owned_feeds(first) == FEEDS, 90, 0.2)
		held = held_feeds(server)
		for index in held.values():
			server.hold("/feed%d.xml" % index, "wiresift-a", HOLD_SECONDS)
		cluster.generator.add(2 * FEEDS)
		assert helpers.wait_until(lambda: server.held_count == len(held), 60, 0.1), \
			"a polled %d of the %d held feeds" % (server.held_count, len(held))
		held_since = max(when for when, path, agent in server.requests
				 if agent == "wiresift-a" and path in
				 {"/feed%d.xml" % index for index in held.values()})
		cluster.start("b")
		handed = first.wait_for_log(r"^ts=(\S+) .*event=cluster\.revoked .*lost=no "
					    r"dropped=(\d+)", timeout=90)
		revoked = first.wait_for_log(r"^ts=(\S+) .*event=cluster\.feeds .*released=[1-9]")
		cluster.wait_stable("ab")
		moved = [index for index in polled_by(cluster, "b") if index in held.values()]
		assert moved, "b took none of the partitions of the held feeds"
		polled = {index: helpers.wait_until(lambda index=index: first_request(
			server, "/feed%d.xml" % index, "wiresift-b", held_since), 60, 0.1)
			for index in moved}
		revoke = log_stamp(revoked.group(0))
		figure("cluster, revoke with fetches held %d s: revoke to hand-on (s)" % HOLD_SECONDS,
		       "%.1f" % (log_stamp(handed.group(0)) - revoke))
		figure("cluster, revoke with fetches held %d s: revoke to the new owner's polls of "
		       "the held feeds (s)" % HOLD_SECONDS, "%.1f-%.1f" % (
			       min(polled.values()) - revoke, max(polled.values()) - revoke))

		# a gave each held request of a moved feed up at the revoke, unanswered, and says so
		log = first.log()
		for index in moved:
			assert re.search(r"event=cluster\.poll_dropped feed=feed%d reason=partition-"
					 r"revoked fetch=cancelled" % index, log), index
		abandoned = {path for _, path, agent in server.abandoned if agent == "wiresift-a"}
		assert abandoned == {"/feed%d.xml" % index for index in moved}, (abandoned, moved)
		assert int(handed.group(2)) >= len(moved), handed.group(0)

		# nothing lost with the cancelled fetches, nothing twice
		cluster.generator.add(FEEDS)
		cluster.grow_for(1.0)
		records = cluster.wait_all_published(timeout=120)
		urls = collections.Counter(url for url, _ in records)
		missing = cluster.generator.served - set(urls)
		assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
		assert not [url for url, count in urls.items() if count > 1]
	finally:
		server.stop()


def page_site(server):
	"""server.content for a site whose feeds link to its own pages: each feed as written, its
	links (and guids) https://feedN.example/... served as server.url("page/feedN.example/..."),
	and every /page/ path an article page of its own words. Returns (content, unmap), unmap
	giving a published URL back as the generator served it."""
	prefix = server.url("page/")

	def content(path, agent):
		if path.startswith("/page/"):
			words = random.Random(path).choices(VOCABULARY, k=400)
			paragraphs = "".join("<p>%s.</p>" % " ".join(words[i:i + 40]).capitalize()
					     for i in range(0, len(words), 40))
			return ("<!DOCTYPE html><html><head><title>Story</title></head><body>"
				"<article><h1>Story</h1>%s</article></body></html>" % paragraphs).encode()
		if path.startswith("/feed"):
			try:
				body = (server.root / path.lstrip("/")).read_bytes()
			except OSError:
				return None
			return body.replace(b"https://feed", prefix.encode() + b"feed")
		return None
	return content, lambda url: url.replace(prefix, "https://", 1)


def test_a_revoke_cancels_the_revoked_feeds_page_fetches(tmp_path, kafka_cluster,
							 wiresift_daemon):
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon)
	server.content, unmap = page_site(server)
	for config in cluster.configs.values():
		text = config.read_text()
		assert "[fulltext]\nmode = never\n" in text and "max_host_connections = 8" in text
		config.write_text(text.replace("[fulltext]\nmode = never\n", "[fulltext]\nmode = "
					       "always\n").replace("max_host_connections = 8",
								   "max_host_connections = 16"))
	try:
		cluster.start("a")
		first = cluster.daemons["a"]
		assert helpers.wait_until(lambda: owned_feeds(first) == FEEDS, 90, 0.2)
		held = held_feeds(server)
		# the next FEEDS items go one to each feed, item n to feed n % FEEDS
		base = cluster.generator.next_id
		pages = {index: "/page/feed%d.example/story/%d" % (
			index, base + (index - base) % FEEDS) for index in held.values()}
		for path in pages.values():
			server.hold(path, "wiresift-a", HOLD_SECONDS)
		cluster.generator.add(FEEDS)
		assert helpers.wait_until(lambda: server.held_count == len(held), 60, 0.1), \
			"a asked for %d of the %d held pages" % (server.held_count, len(held))
		cluster.start("b")
		handed = first.wait_for_log(r"^ts=(\S+) .*event=cluster\.revoked .*lost=no "
					    r"dropped=(\d+)", timeout=90)
		revoked = first.wait_for_log(r"^ts=(\S+) .*event=cluster\.feeds .*released=[1-9]")
		server.release()	# the held pages of the feeds a kept are answered now
		cluster.wait_stable("ab")
		moved = [index for index in polled_by(cluster, "b") if index in held.values()]
		assert moved, "b took none of the partitions of the held feeds"
		figure("cluster, revoke with pages held %d s: revoke to hand-on (s)" % HOLD_SECONDS,
		       "%.1f" % (log_stamp(handed.group(0)) - log_stamp(revoked.group(0))))

		# a gave each held page fetch of a moved feed up at the revoke, before the hand-on
		log = first.log()
		for index in moved:
			assert re.search(r"event=cluster\.poll_dropped feed=feed%d reason=partition-"
					 r"revoked page=cancelled " % index, log[:handed.start()]), index
		abandoned = {path for _, path, agent in server.abandoned if agent == "wiresift-a"}
		assert abandoned == {pages[index] for index in moved}, (abandoned, moved)
		assert int(handed.group(2)) >= len(moved), handed.group(0)

		# nothing lost with the cancelled pages (b fetched those items again), nothing twice
		cluster.generator.add(FEEDS)
		cluster.grow_for(1.0)
		deadline = time.monotonic() + 120
		while True:
			urls = collections.Counter(unmap(url) for url, _ in cluster.committed_records())
			missing = cluster.generator.served - set(urls)
			if not missing or time.monotonic() > deadline:
				break
			time.sleep(1)
		assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
		assert not [url for url, count in urls.items() if count > 1]
		for index in moved:
			assert [when for when, path, agent in list(server.requests)
				if path == pages[index] and agent == "wiresift-b"], index
	finally:
		server.stop()
