"""test_cluster_revoke.py - a partition revoked while a fetch of one of its feeds, or of an
item's linked page ([fulltext]), is under way (cluster mode, daemon/ingest/cluster.c): the
fetch is cancelled at the revoke, so a feed or page server that holds its answer does not hold
the hand-on; and a revoke while items are queued or under backpressure. On the three-node
cluster of tests/kafka/broker.sh and the helpers of cluster_helpers.py.

Instance a polls every feed; the test's server holds a's next poll of one feed of each of the 6
partitions for 30 s (longer than the 15 s a revoked partition may wait for its polls); b joins
and takes three partitions. a must give up the held fetches of those at once (the server sees
the connections closed, unanswered; a logs cluster.poll_dropped ... fetch=cancelled and counts
them in its cluster.revoked line's dropped=), hand the partitions on, and b poll those feeds
from their state records. Once that is checked the held polls of the feeds a kept are
answered, and every served item is committed once for a read_committed reader. Reported:
revoke to hand-on, and revoke to the new owner's first poll of each held feed it took
(before, both waited for the 15 s deadline).

The same with the held requests those of linked pages: every item's page is fetched
([fulltext] mode = always, the feeds' links pointing at the test's server), and a's page
fetch of a new item of one feed of each partition is held. a must cancel those of the feeds b
takes at the revoke (cluster.poll_dropped ... page=cancelled, counted in dropped=; the server
sees them closed unanswered) and hand on without waiting for them; b fetches the items again,
with their pages, and every served item is committed once (before, the hand-on waited for
the held pages until the 15 s deadline).

A revoke under backpressure as an instance joins (a producer queue of 40 messages, polls of
the partitions being handed on held by the test's server) cancels the polls under way and
drops what is not in the open transaction: every item committed once, both instances ending
with backpressure off and nothing outstanding, parked or preparing (issue 16's stall). A
partition revoked while thousands of its items are queued (one worker) hands them on unsent:
the new owner polls those feeds from their state records and every item is committed once."""

import collections
import random
import re
import signal
import time

import helpers
import kafka_group
from cluster_helpers import (FEEDS, Cluster, feed_partition, holding_cluster, log_stamp,
			  metric, owned_feeds, polled_by)
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
		# the held polls of the feeds a kept are answered now, not HOLD_SECONDS after they came
		server.release()

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


def test_a_revoke_under_backpressure_cancels_the_held_polls_and_loses_nothing(
		tmp_path, kafka_cluster, wiresift_daemon):
	"""Issue 16's stall, under backpressure: instance a, its producer queue bounded to 40
	messages (backpressure on above 30 outstanding, off below 20), polls 24 feeds answered with
	ETags (and 304 to a matching If-None-Match); the test's server holds a's next poll of one
	feed of each partition while every feed gets 20 new items; once a's backpressure is on, b
	joins, so a must hand partitions on, each with a poll under way. a cancels the held polls
	of the feeds b takes at the revoke (cluster.poll_dropped ... fetch=cancelled, each counted
	in its cluster.revoked line's dropped=; the server sees those connections closed
	unanswered) and hands the partitions on. From then on the feeds do not change, so an item
	whose feed's validators moved past it (its later polls answered 304) would never be
	published: every served item must be committed once, and both instances must end with
	backpressure off, nothing outstanding in the producer, nothing parked or preparing.
	(Written for a transaction aborted for holding articles of partitions no longer a's: the
	held polls, answered after the hand-on, were parsed into a's open transaction. Since
	revokes cancel fetches under way and drop what is not in the open transaction, a plain
	revoke ends no transaction that way; only a lost partition can, see
	test_a_poll_that_outlives_its_lost_partition_is_not_committed.)"""
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon, etags=True)
	try:
		for config in cluster.configs.values():
			config.write_text(config.read_text().replace(
				"[kafka]\n", "[kafka]\nqueue.buffering.max.messages = 40\n", 1))
		cluster.start("a")
		first = cluster.daemons["a"]
		assert helpers.wait_until(lambda: owned_feeds(first) == FEEDS, 90, 0.2)
		held = {}
		for index in range(FEEDS):
			held.setdefault(feed_partition(server.url("feed%d.xml" % index), 6), index)
		for index in held.values():
			server.hold("/feed%d.xml" % index, "wiresift-a")
		cluster.generator.add(20 * FEEDS)
		assert helpers.wait_until(lambda: server.held_count == len(held), 60, 0.2), \
			"a polled %d of the %d held feeds" % (server.held_count, len(held))
		first.wait_for_log(r"event=backpressure\.on ", timeout=60)
		cluster.start("b")
		handed = first.wait_for_log(r"event=cluster\.revoked .*lost=no dropped=(\d+)",
					    timeout=90)
		server.release()	# the held polls of the feeds a kept are answered now
		cluster.wait_stable("ab")
		moved = [index for index in polled_by(cluster, "b") if index in held.values()]
		assert moved, "b took none of the partitions of the held feeds"
		log = first.log()
		for index in moved:
			assert re.search(r"event=cluster\.poll_dropped feed=feed%d reason=partition-"
					 r"revoked fetch=cancelled" % index, log[:handed.start()]), index
		abandoned = {path for _, path, agent in server.abandoned if agent == "wiresift-a"}
		assert abandoned == {"/feed%d.xml" % index for index in moved}, (abandoned, moved)
		assert int(handed.group(1)) >= len(moved), handed.group(0)
		records = cluster.wait_all_published(timeout=120)
		urls = collections.Counter(url for url, _ in records)
		missing = cluster.generator.served - set(urls)
		assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
		assert not [url for url, count in urls.items() if count > 1]

		def settled(daemon):
			return all(metric(daemon, name) == 0 for name in (
				"wiresift_backpressure", "wiresift_kafka_queue_messages",
				"wiresift_cluster_fingerprints_parked", "wiresift_articles_preparing"))
		for daemon in cluster.daemons.values():
			assert helpers.wait_until(lambda: settled(daemon), 60, 0.5), \
				helpers.tail(daemon.log_path, 20)
		log = first.log()
		figure("cluster, revoke under backpressure: articles served", len(urls))
		figure("cluster, revoke under backpressure: held polls cancelled, dropped=",
		       "%d, %s" % (len(moved), handed.group(1)))
		figure("cluster, revoke under backpressure: a's aborts, undelivered (polled again)",
		       "%d, %d" % (len(re.findall(r"event=cluster\.transaction_aborted", log)),
				   metric(first, 'wiresift_articles_total{status="undelivered"}')))
		figure("cluster, revoke under backpressure: most outstanding at backpressure.on",
		       max(int(n) for n in re.findall(r"event=backpressure\.on outstanding=(\d+)",
						       log)))
	finally:
		server.stop()


def test_a_partition_revoked_with_items_queued_hands_them_on_unsent(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Instance a, one worker, polls every feed and has thousands of items queued (fetched
	bodies, items waiting for the worker or parked for their fingerprint) when b joins: a is
	paused (SIGSTOP, within its session, here 60 s) until b's JoinGroup is at the group
	coordinator (kafka_group.py: the group PreparingRebalance), so the revoke finds that
	queue.
	a drops what of the revoked feeds is not in its open transaction (its cluster.revoked line
	says how many items and fetched bodies: some must be; the bodies, each logged
	cluster.poll_dropped, go at the revoke, none after it), leaves their validators as
	committed, and hands the
	partitions on once that transaction is through, instead of preparing, judging and
	committing them first; b fetches those feeds again from their state records. Every item
	is then in Kafka once for a read_committed reader (none lost with the dropped work, none
	twice), and no transaction of a's aborts for articles of partitions no longer its own."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	# a's session outlasts the pause below however long b takes to start on a loaded machine
	text = config.read_text().replace("[daemon]\n", "[daemon]\nworkers = 1\n", 1)
	assert "session_timeout = 6s" in text
	config.write_text(text.replace("session_timeout = 6s", "session_timeout = 60s"))
	cluster.start("a")
	first = cluster.daemons["a"]
	assert helpers.wait_until(lambda: owned_feeds(first) == FEEDS, 90, 0.2)
	cluster.generator.add(300 * FEEDS)
	# more queued than the 2 * FEEDS items of the start: the new ones are
	assert helpers.wait_until(lambda: (metric(first, "wiresift_articles_preparing") or 0) +
				  (metric(first, "wiresift_cluster_fingerprints_parked") or 0) >
				  100, 60, 0.05), "a never had items queued"
	first.send_signal(signal.SIGSTOP)
	try:
		cluster.start("b")
		# b's join waits for a, paused with its queue: the revoke that follows finds it there
		# (a resumed before b's JoinGroup reaches the coordinator could work its queue off
		# first, and drop nothing). The group is PreparingRebalance from that JoinGroup until
		# a rejoins; b logging cluster.joining, and a fixed wait after it, did not say that.
		assert helpers.wait_until(lambda: kafka_group.group_state(
			cluster.bootstrap, cluster.group) == "PreparingRebalance", 45, 0.2), \
			"b's join not at the coordinator after 45 s (group %s):\n%s" % (
				kafka_group.group_state(cluster.bootstrap, cluster.group),
				helpers.tail(cluster.daemons["b"].log_path, 10))
	finally:
		first.send_signal(signal.SIGCONT)
	handed = first.wait_for_log(r"^ts=(\S+) .*event=cluster\.revoked .*lost=no dropped=(\d+)",
				    timeout=90)
	cluster.wait_stable("ab")
	records = cluster.wait_all_published(timeout=120)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert not [url for url, count in urls.items() if count > 1]
	# What of the revoked feeds a dropped (items, fetched bodies not parsed yet) is counted
	# in dropped=; the bodies, each logged (cluster.poll_dropped without fetch=), are dropped
	# at the revoke, before its hand-on line. (Before they were dropped as they came up, some
	# after the hand-on, and not counted: once, when a's transaction aborted as it resumed,
	# the revoked feeds had only bodies queued, dropped=0 and 10 bodies.)
	log = first.log()
	bodies = re.findall(r"event=cluster\.poll_dropped feed=\S+ reason=partition-revoked$",
			    log[:handed.start()], re.M)
	dropped = [int(n) for n in re.findall(r"event=cluster\.revoked .* dropped=(\d+)", log)]
	assert int(handed.group(2)) > 0, "%s\n%s" % (handed.group(0),
						    helpers.tail(first.log_path, 20))
	assert not re.search(r"event=cluster\.poll_dropped .*reason=partition-revoked$",
			     log[log.rindex("event=cluster.revoked "):], re.M)
	assert sum(dropped) >= len(bodies), (dropped, len(bodies))
	assert "partitions no longer ours" not in log
	revoked_at = [log_stamp(line) for line in log.splitlines()
		      if "event=cluster.feeds " in line and "released=0" not in line]
	figure("cluster, revoked with items queued: items served, dropped by a (of them bodies)",
	       "%d, %s (%d)" % (len(urls), handed.group(2), len(bodies)))
	figure("cluster, revoked with items queued: revoke to hand-on (s)",
	       "%.1f" % (log_stamp(handed.group(0)) - revoked_at[0]))
