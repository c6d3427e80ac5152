"""test_cluster_fingerprints.py - a fingerprint record the brokers refuse for good (cluster mode,
daemon/cluster/fingerprints.c, daemon/ingest/cluster.c). On the three-node cluster of
tests/kafka/broker.sh and the helpers of test_cluster.py.

The fingerprints topic is made before the instance starts with max.message.bytes 300, below
every record's size (about 900 bytes here), so the brokers refuse each record with
MSG_SIZE_TOO_LARGE: a record that no sending again will pass, as a poison record is. Each
refused record's article must be set aside: one error line naming its feed, id and URL and
the brokers' answer (cluster.fingerprint_refused ... action=judged-here), its record never
sent again (so at most one such line per article id), the article judged here without a
record and published: in the end every served item is committed once for a read_committed
reader, and transactions commit again. Before, each record was sent again every 100 ms into
every transaction, every one of them aborted, and nothing was published until
fingerprint_timeout released the articles unpublished, to be polled and refused again.

And one poison record among others: the topic takes 8192 bytes and the producer's batches
at most 6000 (batch.size: the brokers refuse a batch too large as a whole, and with none of
its records taken yet an instance sets them all aside), the instance's records are taken,
then one new item of many has a title of 18,000 random characters (lz4 does not shrink it
below the limit). Its record alone is set aside (one cluster.fingerprint_refused line, its
URL, over 8192 bytes), and every served item is committed once."""

import collections
import random
import re

import helpers
import kafka_group
from test_cluster import FEEDS, Cluster, committed, holding_cluster, metric
from test_delivery import figure


def test_a_record_refused_for_good_is_set_aside_and_its_article_published(
		tmp_path, kafka_cluster, http_server, wiresift_daemon):
	cluster = Cluster(tmp_path, kafka_cluster, http_server, wiresift_daemon)
	assert kafka_group.create_topic(cluster.bootstrap, cluster.topics[4], 1, 3,
					{"max.message.bytes": 300}) == 0
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
	assert all(int(size) > 300 for _, _, _, size in refused)
	# every article was refused once: those committed are those judged here
	committed_ids = {value["id"] for value in cluster.committed_values()}
	assert committed_ids <= set(ids), sorted(committed_ids - set(ids))[:5]
	assert "event=cluster.fingerprint_timeout" not in log
	assert metric(daemon, 'wiresift_cluster_fingerprints_total{result="refused"}') == \
		len(refused)
	# the pipeline goes on: transactions commit with nothing more refused
	before = committed(daemon)
	cluster.grow_for(2.0)
	assert helpers.wait_until(lambda: committed(daemon) > before, 60, 0.5)
	aborted = len(re.findall(r"event=cluster\.transaction_aborted", daemon.log()))
	figure("cluster, every fingerprint refused: articles committed, records refused (once "
	       "each), transactions aborted", "%d, %d, %d" % (len(urls), len(refused), aborted))


def test_a_poison_record_among_others_is_set_aside_alone(tmp_path, kafka_cluster,
							 wiresift_daemon):
	cluster, server = holding_cluster(tmp_path, kafka_cluster, wiresift_daemon)
	poison = {}

	def content(path, agent):
		if path != poison.get("path"):
			return None
		body = (server.root / path.lstrip("/")).read_bytes()
		return body.replace(poison["title"], poison["long"])
	server.content = content
	for config in cluster.configs.values():
		config.write_text(config.read_text().replace("[kafka]\n",
							     "[kafka]\nbatch.size = 6000\n", 1))
	try:
		assert kafka_group.create_topic(cluster.bootstrap, cluster.topics[4], 1, 3,
						{"max.message.bytes": 8192}) == 0
		cluster.start("a")
		daemon = cluster.daemons["a"]
		records = cluster.wait_all_published(timeout=180)
		assert cluster.generator.served <= {url for url, _ in records}
		# the next item goes to feed next_id % FEEDS, titled "Story <next_id>"
		number = cluster.generator.next_id
		link = "https://feed%d.example/story/%d" % (number % FEEDS, number)
		poison.update(path="/feed%d.xml" % (number % FEEDS),
			      title=b"<title>Story %d</title>" % number,
			      long=("<title>%s</title>" % " ".join(
				      "%08x" % random.Random(i).getrandbits(32)
				      for i in range(2000))).encode())
		cluster.generator.add(FEEDS)
		cluster.grow_for(1.0)
		records = cluster.wait_all_published(timeout=180)
		urls = collections.Counter(url for url, _ in records)
		missing = cluster.generator.served - set(urls)
		assert not missing, "%d missing, e.g. %s\n%s" % (
			len(missing), sorted(missing)[:5], helpers.tail(daemon.log_path, 20))
		assert not [url for url, count in urls.items() if count > 1]
		log = daemon.log()
		refused = re.findall(r'event=cluster\.fingerprint_refused feed=feed\d+ id=\S+ '
				     r'url="?([^ "]+)"? bytes=(\d+) error="Broker: Message size too '
				     r'large" action=judged-here', log)
		assert [url for url, _ in refused] == [link], refused
		assert int(refused[0][1]) > 8192
		alone = len(re.findall(r"event=cluster\.fingerprint_failed .*action=send-again-alone",
				       log))
		aborted = len(re.findall(r"event=cluster\.transaction_aborted", log))
		figure("cluster, one poison fingerprint: records sent again alone (lines, limited), "
		       "transactions aborted", "%d, %d" % (alone, aborted))
	finally:
		server.stop()
