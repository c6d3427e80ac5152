"""test_cluster_fingerprints.py - the fingerprints topic (cluster mode, daemon/cluster/fingerprints.c,
daemon/ingest/cluster.c), the sequencer of global dedup, on the three-node cluster of
tests/kafka/broker.sh and the helpers of cluster_helpers.py.

Wire copies planted on feeds that different instances poll are always judged one original
plus its duplicates, in one story, whichever instance fetched them; a full producer queue
holds articles (parked with their fingerprint records) and spools none; a poll due while its
items are in flight waits for them; an article whose fingerprint record is lost (the tests'
hook) is released as failed after fingerprint_timeout, its feed polled again and the item
published once.

A fingerprint record the brokers refuse for good:

The fingerprints topic is made before the instance starts with max.message.bytes 200, below
every record's size, whole (about 900 bytes here) or without its story features (about 300),
so the brokers refuse each record with MSG_SIZE_TOO_LARGE: a record that no sending again
will pass, as a poison record is. Each refused record is sent again once without its story
features (cluster.fingerprint_shrunk), refused again, and its article must be set aside: one
error line naming its feed, id and URL and the brokers' answer (cluster.fingerprint_refused
... action=judged-here), its record never sent again (so at most one such line per article
id), the article judged here without a record and published: in the end every served item
is committed once for a read_committed reader, and transactions commit again. Before, each
record was sent again every 100 ms into every transaction, every one of them aborted, and
nothing was published until fingerprint_timeout released the articles unpublished, to be
polled and refused again.

And one poison record among others: the topic takes 8192 bytes and the producer's batches
at most 6000 (batch.size: the brokers refuse a batch too large as a whole, and with none of
its records taken yet an instance sets them all aside), the instance's records are taken,
then one new item of many has a title of 18,000 random characters (the fingerprints topic's
records go uncompressed; the title is in the record's story part). Its record alone is
refused, and sent again without its story features (one cluster.fingerprint_shrunk line, its
URL, over 8192 bytes whole), which the brokers take: its article is judged at that record,
dedup only, and published in no story; nothing is set aside, and every served item is
committed once.

Two instances agree on such an article: a wire story with that long title planted on a feed
of each of two instances at once is judged one original and its duplicate, whichever
instance fetched which (both records go without their story features, and every instance
judges them in log order), both in no story. Before, each record was set aside and each copy
judged by its own instance alone: both were published as unique."""

import collections
import random
import re
import signal

import jsonschema
import pytest

import helpers
import kafka_group
from cluster_helpers import (FEEDS, FINGERPRINT_SCHEMA, Cluster, check_one_original_each,
			  committed, committed_articles, decode_fingerprint, holding_cluster,
			  http_get, kcat_read_raw, metric, owned_feeds, polled_by)
from test_delivery import VOCABULARY, figure


def test_a_record_refused_for_good_is_set_aside_and_its_article_published(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	assert kafka_group.create_topic(cluster.bootstrap, cluster.topics[4], 1, 3,
					{"max.message.bytes": 200}) == 0
	cluster.start("a")
	daemon = cluster.daemons["a"]
	records = cluster.wait_all_published(timeout=180)
	cluster.generator.add(FEEDS)
	cluster.grow_for(1.0)
	records = cluster.wait_all_published(timeout=180)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s\n%s" % (len(missing), sorted(missing)[:5],
							 helpers.tail(daemon.log_path, 20))
	assert not [url for url, count in urls.items() if count > 1]

	log = daemon.log()
	refused = re.findall(r'event=cluster\.fingerprint_refused feed=(feed\d+) id=(\S+) '
			     r'url=(\S+) bytes=(\d+) error="Broker: Message size too large" '
			     r'action=judged-here', log)
	ids = collections.Counter(article_id for _, article_id, _, _ in refused)
	assert refused, helpers.tail(daemon.log_path, 20)
	assert all(count == 1 for count in ids.values()), ids.most_common(3)
	assert all(int(size) > 200 for _, _, _, size in refused)
	# each was sent without its story features first, once
	shrunk = collections.Counter(re.findall(r"event=cluster\.fingerprint_shrunk id=(\S+) ",
						 log))
	assert set(shrunk) == set(ids) and all(count == 1 for count in shrunk.values())
	# every article was refused once: those committed are those judged here
	committed_ids = {value["id"] for value in cluster.committed_values()}
	assert committed_ids <= set(ids), sorted(committed_ids - set(ids))[:5]
	assert "event=cluster.fingerprint_timeout" not in log
	assert metric(daemon, 'wiresift_cluster_fingerprints_total{result="refused"}') == \
		len(refused)
	assert metric(daemon, 'wiresift_cluster_fingerprints_total{result="shrunk"}') == \
		sum(shrunk.values())
	# the pipeline goes on: transactions commit with nothing more refused
	before = committed(daemon)
	cluster.grow_for(2.0)
	assert helpers.wait_until(lambda: committed(daemon) > before, 60, 0.5)
	aborted = len(re.findall(r"event=cluster\.transaction_aborted", daemon.log()))
	figure("cluster, every fingerprint refused: articles committed, records shrunk and "
	       "refused (once each), transactions aborted",
	       "%d, %d, %d, %d" % (len(urls), len(shrunk), len(refused), aborted))


def long_title(seed):
	"""A title of 18,000 random characters: a record of over 8192 bytes with it."""
	return ("<title>%s</title>" % " ".join("%08x" % random.Random(seed + i).getrandbits(32)
					       for i in range(2000))).encode()


def poison_cluster(tmp_path, kafka_cluster, wiresift_daemon, poison):
	"""A holding_cluster whose fingerprints topic takes 8192 bytes a record (batches of at
	most 6000 bytes): the feeds poison names (path: (title, long title)) are served with
	their title so replaced. (cluster, server)."""
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon)

	def content(path, agent):
		if path not in poison:
			return None
		body = (server.root / path.lstrip("/")).read_bytes()
		return body.replace(*poison[path])
	server.content = content
	for config in cluster.configs.values():
		config.write_text(config.read_text().replace("[kafka]\n",
							     "[kafka]\nbatch.size = 6000\n", 1))
	assert kafka_group.create_topic(cluster.bootstrap, cluster.topics[4], 1, 3,
					{"max.message.bytes": 8192}) == 0
	return cluster, server


def test_a_poison_record_among_others_is_sent_without_its_story(tmp_path, kafka_cluster,
								wiresift_daemon):
	poison = {}
	cluster, server = poison_cluster(tmp_path, kafka_cluster, wiresift_daemon, poison)
	try:
		cluster.start("a")
		daemon = cluster.daemons["a"]
		records = cluster.wait_all_published(timeout=180)
		assert cluster.generator.served <= {url for url, _ in records}
		# the next item goes to feed next_id % FEEDS, titled "Story <next_id>"
		number = cluster.generator.next_id
		link = "https://feed%d.example/story/%d" % (number % FEEDS, number)
		poison["/feed%d.xml" % (number % FEEDS)] = (b"<title>Story %d</title>" % number,
							    long_title(0))
		cluster.generator.add(FEEDS)
		cluster.grow_for(1.0)
		records = cluster.wait_all_published(timeout=180)
		urls = collections.Counter(url for url, _ in records)
		missing = cluster.generator.served - set(urls)
		assert not missing, "%d missing, e.g. %s\n%s" % (
			len(missing), sorted(missing)[:5], helpers.tail(daemon.log_path, 20))
		assert not [url for url, count in urls.items() if count > 1]
		log = daemon.log()
		shrunk = re.findall(r'event=cluster\.fingerprint_shrunk id=\S+ url="?([^ "]+)"? '
				    r'bytes=(\d+) shrunk_bytes=(\d+) error="Broker: Message size too '
				    r'large" action=send-without-story', log)
		assert [url for url, _, _ in shrunk] == [link], shrunk
		assert int(shrunk[0][1]) > 8192 > int(shrunk[0][2])
		assert "event=cluster.fingerprint_refused" not in log
		# judged at its shrunk record: dedup only, in no story; the others in theirs
		articles = {article["url"]: article for article in
			    committed_articles(cluster.bootstrap, cluster.topics[:2])}
		assert "story" not in articles[link] and articles[link]["dedup"]["status"] == "unique"
		assert all("story" in article for url, article in articles.items() if url != link)
		alone = len(re.findall(r"event=cluster\.fingerprint_failed .*action=send-again-alone",
				       log))
		aborted = len(re.findall(r"event=cluster\.transaction_aborted", log))
		figure("cluster, one poison fingerprint: record bytes whole, shrunk; records sent "
		       "again alone (lines, limited), transactions aborted", "%s, %s; %d, %d" % (
			       shrunk[0][1], shrunk[0][2], alone, aborted))
	finally:
		server.stop()


def test_two_instances_judge_poison_wire_copies_as_one(tmp_path, kafka_cluster,
						       wiresift_daemon):
	poison = {}
	cluster, server = poison_cluster(tmp_path, kafka_cluster, wiresift_daemon, poison)
	try:
		for name in "ab":
			cluster.start(name)
		cluster.wait_stable("ab")
		assert helpers.wait_until(lambda: all(http_get(cluster.daemons[name], "/readyz")[0]
						      == 200 for name in "ab"), 30, 0.2)
		feeds = [polled_by(cluster, name)[0] for name in "ab"]
		number = cluster.generator.next_id
		for index, feed in enumerate(feeds):	# plant() numbers the copies in this order
			poison["/feed%d.xml" % feed] = (b"<title>Story %d</title>" % (number + index),
							long_title(0))
		text = " ".join(random.Random(16).choice(VOCABULARY) for _ in range(80))
		links = cluster.generator.plant(feeds, text)
		cluster.grow_for(1.0)
		records = cluster.wait_all_published(timeout=180)
		assert links <= {url for url, _ in records}
		articles = [article for article in
			    committed_articles(cluster.bootstrap, cluster.topics[:2])
			    if article["url"] in links]
		assert len(articles) == 2, [article["url"] for article in articles]
		unique = [article for article in articles if article["dedup"]["status"] == "unique"]
		assert len(unique) == 1, [(article["url"], article["dedup"]) for article in articles]
		duplicate = [article for article in articles if article is not unique[0]][0]
		assert duplicate["dedup"]["duplicate_of"] == unique[0]["id"], duplicate["dedup"]
		assert all("story" not in article for article in articles)
		for name, link in zip("ab", sorted(links, key=lambda url: int(url.rsplit("/", 1)[1]))):
			log = cluster.daemons[name].log()
			assert re.search(r'event=cluster\.fingerprint_shrunk id=\S+ url="?%s"? ' %
					 re.escape(link), log), name
			assert "event=cluster.fingerprint_refused" not in log
	finally:
		server.stop()


def test_wire_copies_polled_by_different_instances_are_one_original_and_duplicates(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Three instances; each round plants one wire story on a feed of each instance at once
	(fetched within the same second or so by three instances): whatever the timing, a
	read_committed reader finds exactly one original and two duplicates of it (the
	fingerprints topic orders the candidates, and every instance judges in that order).
	All copies of one story are in one story (story features go in the same records). Then
	an instance restarts (its dedup and story indexes are in memory only: rebuilt from the
	topic) and a copy of an earlier story on one of its feeds is judged a duplicate of that
	story's original, in its story."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	chooser = random.Random(1616)
	for name in "abc":
		cluster.start(name)
	cluster.wait_stable("abc")
	assert helpers.wait_until(lambda: all(http_get(cluster.daemons[name], "/readyz")[0] == 200
					      for name in "abc"), 30, 0.2)
	groups, texts = [], []
	for _ in range(8):
		feeds = [chooser.choice(polled_by(cluster, name)) for name in "abc"]
		texts.append(" ".join(chooser.choice(VOCABULARY) for _ in range(80)))
		groups.append(cluster.generator.plant(feeds, texts[-1]))
		cluster.grow_for(chooser.uniform(0.2, 1.0))

	cluster.daemons["b"].stop(signal.SIGTERM)
	cluster.start("b")
	cluster.wait_stable("abc")
	assert helpers.wait_until(lambda: http_get(cluster.daemons["b"], "/readyz")[0] == 200,
				  30, 0.2)
	late = cluster.generator.plant([chooser.choice(polled_by(cluster, "b"))], texts[0])
	cluster.grow_for(1)
	cluster.wait_all_published()
	articles = committed_articles(cluster.bootstrap, cluster.topics[:2])
	originals = check_one_original_each(groups, articles)
	late_copy = [article for article in articles if article["url"] in late]
	assert len(late_copy) == 1 and late_copy[0]["dedup"]["duplicate_of"] == originals[0]["id"], \
		late_copy
	assert late_copy[0]["story"]["id"] == originals[0]["story"]["id"]
	figure("cluster: wire stories planted on three instances' feeds", len(groups))
	# The fingerprints topic: one partition, records as docs/schema/fingerprint.schema.json
	# says, one at least for every article published, read as wiresift reads it
	# (read_uncommitted): the record that judged an article may be in a transaction that
	# aborted after it was read back (a generation refused in the rebalances of the start),
	# and the article, delivered in the next one, is not sent again (docs/cluster.md, "When a
	# transaction aborts"), so a read_committed reader may miss it.
	def unsent():
		keys = {record["key"] for record in kcat_read_raw(cluster.bootstrap,
								   cluster.topics[4])}
		return [(article["url"], article["id"]) for article in articles
			if article["id"] not in keys]
	assert helpers.wait_until(lambda: not unsent(), 30, 1), unsent()[:5]
	fingerprints = kcat_read_raw(cluster.bootstrap, cluster.topics[4])
	figure("cluster: fingerprint record bytes, mean over %d" % len(fingerprints),
	       sum(len(record["raw"]) for record in fingerprints) // len(fingerprints))
	for record in fingerprints:
		value = decode_fingerprint(record["raw"])
		jsonschema.validate(value, FINGERPRINT_SCHEMA)
		assert record["key"] == value["id"] and record["partition"] == 0
		assert "story" in value		# [stories] is on
	metrics = http_get(cluster.daemons["b"], "/metrics")[1]
	read = int(re.search(r'^wiresift_cluster_fingerprints_total\{result="read"\} (\d+)$',
			     metrics, re.M).group(1))
	# The restarted instance read every candidate of the group, its own and the others'.
	assert read >= len(groups) * 3 + 1
	assert re.search(r"^wiresift_cluster_fingerprints_parked 0$", metrics, re.M)


def test_a_full_producer_queue_holds_articles_and_spools_none(tmp_path, kafka_cluster,
							      http_server, wiresift_daemon):
	"""librdkafka's queue bounded to 4 messages: each article sends two (itself and its
	fingerprint), so the first poll of 24 feeds of 4 items fills it many times over (more
	items only made the test slower: each round trip takes at most two articles, and on a
	loaded machine 432 of them outlasted the wait). Cluster mode spools nothing
	(a spooled article would leave its transaction, and its id its feed's state record): what
	the queue refuses waits in the publisher, in order, for room. Every served article is
	committed once, none counted as spooled."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	config.write_text(config.read_text().replace(
		"[kafka]\n", "[kafka]\nqueue.buffering.max.messages = 4\n", 1))
	cluster.generator.add(4 * FEEDS)
	cluster.start("a")
	assert helpers.wait_until(lambda: owned_feeds(cluster.daemons["a"]) == FEEDS, 90, 0.2)
	cluster.grow_for(2)
	records = cluster.wait_all_published(timeout=180)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert not [url for url, count in urls.items() if count > 1]
	metrics = http_get(cluster.daemons["a"], "/metrics")[1]
	assert re.search(r'^wiresift_articles_total\{status="spooled"\} 0$', metrics, re.M), \
		re.findall(r"^wiresift_articles_total.*$", metrics, re.M)
	assert "event=delivery.spooled" not in cluster.daemons["a"].log()
	figure("cluster: articles through a 4-message producer queue", len(urls))


def test_a_poll_due_while_its_items_are_in_flight_waits_for_them(tmp_path, kafka_cluster,
								http_server, wiresift_daemon):
	"""Feeds polled every second, a transaction every 3 s: a feed's validators advance only
	once its poll's items are committed, so its next polls fall due while they are in flight.
	Such a poll waits for them and goes out conditional: each feed is answered 200 once, then
	only 304 (If-None-Match sent), never fetched whole again to skip its own items in flight.
	Before, the 24 feeds were each fetched in full two or three times in the first seconds."""
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	config.write_text(re.sub(r"^\[cluster\]\n", "[cluster]\ncommit_interval = 3s\n",
				 config.read_text(), count=1, flags=re.M))
	cluster.start("a")
	assert helpers.wait_until(lambda: owned_feeds(cluster.daemons["a"]) == FEEDS, 90, 0.2)

	def polls():
		found = {}
		for request in cluster.site.requests():
			if request["uri"].startswith("/feed"):
				found.setdefault(request["uri"], []).append(request)
		return found

	records = cluster.wait_all_published(timeout=90)
	assert cluster.generator.served <= {url for url, _ in records}
	assert helpers.wait_until(lambda: len(polls()) == FEEDS and all(
		len(seen) >= 3 for seen in polls().values()), 60, 0.5), \
		{uri: len(seen) for uri, seen in polls().items()}
	for uri, seen in polls().items():
		assert seen[0]["status"] == 200 and seen[0]["if_none_match"] == "", (uri, seen[0])
		again = [(request["status"], request["if_none_match"]) for request in seen[1:]]
		assert all(status == 304 and etag for status, etag in again), (uri, again)
	assert "event=cluster.transaction_aborted" not in cluster.daemons["a"].log()
	figure("cluster: feeds answered 200 once, then 304, with items in flight", FEEDS)


def test_an_article_whose_fingerprint_never_comes_back_is_polled_again(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	"""Issue 16: a parked article whose fingerprint record never comes back. The daemon built
	with the tests' hooks (build/wiresift-hooks, WIRESIFT_TEST_DROP_FINGERPRINTS=1) loses its
	first record before the producer sees it (test.fingerprint_dropped). With
	fingerprint_timeout = 5s its article is released as failed: a cluster.fingerprint_timeout
	line for its feed, the counter in /metrics (the items of those lines), its feed polled
	again whole (its validators did not advance), and in the end every served item committed
	once, the dropped one too. Before, the article stayed parked, its feed's next polls
	waited for it, and nothing was logged. Other articles may time out too on a loaded
	machine (a fresh producer waits for its transactional id): their late records are judged
	like another instance's, and they are published once all the same."""
	binary = helpers.build_dir() / "wiresift-hooks"
	if not binary.exists():
		pytest.skip("%s not built (make)" % binary)
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	config = cluster.configs["a"]
	config.write_text(re.sub(r"^\[cluster\]\n", "[cluster]\nfingerprint_timeout = 5s\n",
				 config.read_text(), count=1, flags=re.M))
	daemon = cluster.daemons["a"] = wiresift_daemon(
		config, env={"WIRESIFT_TEST_DROP_FINGERPRINTS": "1"}, binary=binary)
	dropped = daemon.wait_for_log(r"event=test\.fingerprint_dropped id=(\S+)",
				      timeout=120).group(1)
	records = cluster.wait_all_published(timeout=120)
	urls = collections.Counter(url for url, _ in records)
	missing = cluster.generator.served - set(urls)
	assert not missing, "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5])
	assert not [url for url, count in urls.items() if count > 1]
	url = [value["url"] for value in cluster.committed_values() if value["id"] == dropped]
	assert len(url) == 1, (dropped, url)
	feed = re.match(r"https://(feed\d+)\.example/", url[0]).group(1)
	lines = [(name.strip('"'), int(items)) for name, items in re.findall(
		r"event=cluster\.fingerprint_timeout feed=(\S+) items=(\d+) ", daemon.log())]
	assert feed in [name for name, _ in lines], (feed, lines)
	assert metric(daemon, "wiresift_cluster_fingerprint_timeouts_total") == \
		sum(items for _, items in lines)
	# Polled again, whole: its first poll's items were released, its validators kept.
	assert len([request for request in cluster.site.requests()
		    if request["uri"] == "/%s.xml" % feed and request["status"] == 200]) >= 2
	assert helpers.wait_until(lambda: metric(
		daemon, "wiresift_cluster_fingerprints_parked") == 0, 60, 0.5)
	figure("cluster, a fingerprint lost: articles timed out (lines), committed once in the end",
	       "%d (%d), %d" % (sum(items for _, items in lines), len(lines), len(urls)))
