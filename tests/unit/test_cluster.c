/*
 * test_cluster.c - cluster mode's zombie fence (daemon/cluster/txn.c): a transaction commits
 * only with group metadata the group coordinator checks. librdkafka drops our member id when
 * our session times out and the generation when a heartbeat is refused, before the rebalance
 * callback says the partitions are lost; the coordinator takes a transactional offset commit
 * with no member id and generation -1 from anyone, so a commit then must abort instead (a
 * paused instance once committed 17 articles its partitions' next owner had already
 * published). The metadata is librdkafka's own, made as its consumer would hold it.
 * And the state record's writer of its JSON members (feedstate_encode, daemon/cluster/
 * feedstate.c, here without packed ids: test_feedids.c has those): the bytes jansson's
 * json_dumps(JSON_COMPACT) gives, on generated records in the JSON layout that records
 * already in a topic were written in (feedstate_records.h), odd strings among them.
 * And which of a poll's changes make a feed's record be written (cluster_feed_changed): a
 * poll that delivers nothing writes none, whatever the interval; new validators wait for the
 * record's next write, or for the partition to be handed on; a poll dropped at a revoke
 * makes its feed's record say it is due now (cluster_feed_due). And an article delivered
 * after its partition stopped being ours aborts its transaction (cluster_feed_delivered).
 * And the workers' cancel (daemon/workers.c), with which a revoked partition's items leave
 * the queue unprepared: each job is handed back once, in submission order, cancelled only
 * if no worker had taken it.
 */
#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "feedstate_records.h"
#include "cluster/cluster_internal.h"
#include "util.h"
#include "workers.h"

static int
fences(int32_t generation, const char *member, int32_t *seen)
{
	rd_kafka_consumer_group_metadata_t *metadata =
	    rd_kafka_consumer_group_metadata_new_with_genid("wiresift", generation, member, NULL);
	int result = txn_metadata_fences(metadata, seen);

	rd_kafka_consumer_group_metadata_destroy(metadata);
	return result;
}

static void
test_a_member_of_a_generation_is_fenced(void)
{
	int32_t generation = 0;

	CHECK(fences(7, "wiresift-member-1f2e", &generation) == 1);
	CHECK(generation == 7);
	CHECK(fences(0, "m", &generation) == 1);
	CHECK(generation == 0);
}

static void
test_a_dropped_membership_is_not(void)
{
	int32_t generation = 0;

	/* Session timed out: member id reset, generation kept. */
	CHECK(fences(7, "", &generation) == 0);
	CHECK(generation == 7);
	/* Heartbeat refused (illegal generation): generation reset, member id kept. */
	CHECK(fences(-1, "wiresift-member-1f2e", &generation) == 0);
	CHECK(generation == -1);
	/* Both: what the coordinator takes from anyone. */
	CHECK(fences(-1, "", &generation) == 0);
	CHECK(fences(-1, "", NULL) == 0);
}

static void
test_a_consumer_without_a_group_is_not(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char error[256];
	rd_kafka_t *consumer;

	/* A group member that has not joined yet holds generation -1 and no member id. */
	CHECK(rd_kafka_conf_set(conf, "group.id", "wiresift-unit", error, sizeof error) ==
	    RD_KAFKA_CONF_OK);
	rd_kafka_conf_set(conf, "bootstrap.servers", "127.0.0.1:1", NULL, 0);
	rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
	consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
	CHECK(consumer != NULL);
	if (consumer == NULL)
		return;
	rd_kafka_consumer_group_metadata_t *metadata = rd_kafka_consumer_group_metadata(consumer);
	CHECK(metadata != NULL);
	if (metadata != NULL) {
		CHECK(txn_metadata_fences(metadata, NULL) == 0);
		rd_kafka_consumer_group_metadata_destroy(metadata);
	}
	rd_kafka_destroy(consumer);
}

/* The writer's bytes are jansson's dump's, and read back to the same record. */
static int
encodes_as_jansson(json_t *record)
{
	struct buffer out = { 0 };
	char *dumped = json_dumps(record, JSON_COMPACT);
	json_t *back;
	int same;

	if (record == NULL || dumped == NULL)
		return 0;
	feedstate_encode(record, NULL, &out);
	same = out.length == strlen(dumped) &&
	    memcmp(out.data, dumped, out.length) == 0;
	back = json_loadb(out.data, out.length, 0, NULL);
	same = same && back != NULL && json_equal(back, record);
	if (!same)
		fprintf(stderr, "  jansson: %.200s\n  ours:    %.200s\n", dumped,
		    out.data != NULL ? out.data : "");
	json_decref(back);
	free(dumped);
	buffer_free(&out);
	return same;
}

static void
test_a_full_record_is_written_as_jansson_writes_it(void)
{
	json_t *record = records_make(1, CLUSTER_DELIVERED_MAX, 0);

	CHECK(json_array_size(json_object_get(record, "delivered")) == CLUSTER_DELIVERED_MAX);
	CHECK(encodes_as_jansson(record));
	json_decref(record);
}

static void
test_records_with_odd_ids_are_written_as_jansson_writes_them(void)
{
	int odd_seen = 0;

	for (uint64_t seed = 1; seed <= 200; seed++) {
		json_t *record = records_make(seed, (int)(seed % 40), 1);
		char *dumped = json_dumps(record, JSON_COMPACT);

		odd_seen += dumped != NULL && strstr(dumped, "\\u00") != NULL;
		CHECK(encodes_as_jansson(record));
		free(dumped);
		json_decref(record);
	}
	CHECK(odd_seen > 0);	/* the generator made control characters to escape */
}

static void
test_an_empty_record_is_written_as_jansson_writes_it(void)
{
	json_t *record = json_pack("{s:s,s:[]}", "url", "https://example.org/\u2028feed",
	    "delivered");

	CHECK(encodes_as_jansson(record));
	json_decref(record);
}

/* An instance owning the one partition, with no producer: what is marked, not written. */
static void
cluster_init(struct cluster *cluster, enum partition_phase *phase)
{
	memset(cluster, 0, sizeof *cluster);
	cluster->partitions = 1;
	*phase = PARTITION_OWNED;
	cluster->phase = phase;
	cluster->feeds = json_object();
	cluster->dirty = json_object();
	cluster->unwritten = json_object();
	cluster->txn_delivered = json_array();
}

static void
cluster_free(struct cluster *cluster)
{
	json_decref(cluster->feeds);
	json_decref(cluster->dirty);
	json_decref(cluster->unwritten);
	json_decref(cluster->txn_delivered);
	feedids_map_clear(&cluster->ids);
}

static int
marked(const struct cluster *cluster, const char *url)
{
	return (json_object_get(cluster->dirty, url) != NULL ? 1 : 0) |
	    (json_object_get(cluster->unwritten, url) != NULL ? 2 : 0);
}

static void
test_a_poll_that_delivers_nothing_writes_no_record(void)
{
	const char *url = "https://example.org/feed.xml";
	struct feed_record record = { .etag = "\"1\"" };
	enum partition_phase phase;
	struct cluster cluster;

	cluster_init(&cluster, &phase);
	cluster_feed_changed(&cluster, url, &record, 100000);
	CHECK(marked(&cluster, url) == 1);	/* a new record */
	json_object_clear(cluster.dirty);
	/* Polls answered 304, 61 s and 15 min apart: next_poll moves later only. */
	cluster_feed_changed(&cluster, url, &record, 100061);
	cluster_feed_changed(&cluster, url, &record, 100961);
	CHECK(marked(&cluster, url) == 0);
	/* Earlier than the record says by more than a minute (a shorter interval): written. */
	cluster_feed_changed(&cluster, url, &record, 100100);
	CHECK(marked(&cluster, url) == 1);
	json_object_clear(cluster.dirty);
	record.failures = 1;
	cluster_feed_changed(&cluster, url, &record, 100200);
	CHECK(marked(&cluster, url) == 1);
	cluster_free(&cluster);
}

static void
test_new_validators_wait_for_the_next_delivery_or_the_hand_on(void)
{
	const char *url = "https://example.org/feed.xml";
	struct feed_record record = { .etag = "\"1\"" };
	enum partition_phase phase;
	struct cluster cluster;

	cluster_init(&cluster, &phase);
	cluster_feed_changed(&cluster, url, &record, 100000);
	json_object_clear(cluster.dirty);
	record.etag = "\"2\"";
	cluster_feed_changed(&cluster, url, &record, 100001);
	CHECK(marked(&cluster, url) == 2);
	CHECK_STR(json_string_value(json_object_get(json_object_get(cluster.feeds, url),
	    "etag")), "\"2\"");	/* in the record, for its next write */
	cluster_feed_delivered(&cluster, url, "item-1", 0, 0);
	CHECK(marked(&cluster, url) & 1);
	json_object_clear(cluster.dirty);
	/* Handed on: the unwritten validators are written, and any that come later at once. */
	phase = PARTITION_RELEASING;
	feedstate_hand_on(&cluster, 0);
	CHECK(marked(&cluster, url) == 1);
	json_object_clear(cluster.dirty);
	record.last_modified = "Sun, 06 Dec 2026 19:30:00 GMT";
	cluster_feed_changed(&cluster, url, &record, 100002);
	CHECK(marked(&cluster, url) == 1);
	cluster_free(&cluster);
}

/*
 * An article acknowledged after its feed's partition stopped being ours (lost with the
 * transaction sealed: the loop's sends held by the publisher go into the next transaction,
 * which the loss did not taint; or handed on at the release deadline with it unacknowledged)
 * must not commit: its next owner publishes it. Its delivery taints the open transaction,
 * which aborts, and names it in no state record; while the partition is ours or being handed
 * on, a delivery is recorded.
 */
static void
test_an_article_of_a_partition_no_longer_ours_aborts_its_transaction(void)
{
	const char *url = "https://example.org/feed.xml";
	enum partition_phase phase;
	struct cluster cluster;

	cluster_init(&cluster, &phase);
	cluster_feed_delivered(&cluster, url, "item-1", 0, 0);
	phase = PARTITION_RELEASING;
	cluster_feed_delivered(&cluster, url, "item-2", 0, 0);
	CHECK(cluster.txn_tainted == 0);
	CHECK(json_array_size(cluster.txn_delivered) == 2);
	CHECK(feedids_get(&cluster.ids, url) != NULL && feedids_get(&cluster.ids, url)->count == 2);
	json_object_clear(cluster.dirty);
	phase = PARTITION_NOT_OURS;
	cluster_feed_delivered(&cluster, url, "item-3", 0, 0);
	CHECK(cluster.txn_tainted == 1);
	CHECK_STR(cluster.txn_taint_reason, "articles of partitions no longer ours");
	CHECK(json_array_size(cluster.txn_delivered) == 2);
	CHECK(feedids_get(&cluster.ids, url)->count == 2);
	CHECK(json_object_size(cluster.dirty) == 0);
	cluster_free(&cluster);
}

/* A poll dropped at a revoke: the record says the feed is due now, for its next owner. */
static void
test_a_poll_dropped_at_a_revoke_makes_its_feed_due_now(void)
{
	const char *url = "https://example.org/feed.xml";
	struct feed_record record = { .etag = "\"1\"" };
	time_t later = time(NULL) + 300, now;
	enum partition_phase phase;
	struct cluster cluster;
	json_int_t due;

	cluster_init(&cluster, &phase);
	cluster_feed_changed(&cluster, url, &record, later);	/* polled: the next in 5 min */
	json_object_clear(cluster.dirty);
	phase = PARTITION_RELEASING;
	now = time(NULL);
	cluster_feed_due(&cluster, url);
	due = json_integer_value(json_object_get(json_object_get(cluster.feeds, url),
	    "next_poll"));
	CHECK(due >= (json_int_t)now && due <= (json_int_t)time(NULL));
	CHECK(marked(&cluster, url) == 1);	/* written with the hand-on */
	/* Due already: nothing changes, nothing more is written. */
	json_object_clear(cluster.dirty);
	cluster_feed_due(&cluster, url);
	CHECK(marked(&cluster, url) == 0);
	/* Not this instance's to write any more: left alone. */
	phase = PARTITION_NOT_OURS;
	cluster_feed_changed(&cluster, "https://example.org/other.xml", &record, later);
	cluster_feed_due(&cluster, "https://example.org/other.xml");
	CHECK(json_object_get(cluster.feeds, "https://example.org/other.xml") == NULL);
	cluster_free(&cluster);
}

#define CANCEL_JOBS	400

struct cancel_run {
	struct event_base	*base;
	size_t			 handed, cancelled, prepared_even;
	int			 in_order;
	int			 touched;	/* a cancelled article the workers had changed */
};

static void
cancel_collect(struct article *article, int result, void *job_context, void *context)
{
	struct cancel_run *run = context;
	size_t number = (size_t)job_context;

	run->in_order &= number == run->handed + 1;
	run->handed++;
	if (result == WORKERS_CANCELLED) {
		run->cancelled++;
		run->in_order &= number % 2 == 0;	/* only the jobs cancelled() named */
		run->touched |= article->text != NULL;
	} else
		run->prepared_even += number % 2 == 0;
	article_free(article);
	if (run->handed == CANCEL_JOBS)
		event_base_loopbreak(run->base);
}

static int
even_job(void *job_context)
{
	return (size_t)job_context % 2 == 0;
}

static struct article *
cancel_article(size_t number)
{
	struct article *article = article_new();
	struct buffer html = { 0 };

	article->title_raw = xasprintf("Ferry timetable %zu", number);
	article->guid = xasprintf("urn:test:cancel:%zu", number);
	for (int i = 0; i < 40; i++)
		buffer_printf(&html, "<p>The ferry to Oldport leaves at %d past the hour.</p>", i);
	article->content_html = buffer_steal(&html);
	article_assign_id(article);
	return article;
}

static void
test_cancelled_jobs_come_back_unprepared_in_their_turn(void)
{
	char error[512] = "";
	struct config *config = config_load("conf/demo/wiresift.conf", error, sizeof error);
	struct event_base *base = event_base_new();
	struct cancel_run run = { .base = base, .in_order = 1 };
	struct workers *workers = config ? workers_new(base, 1, config, cancel_collect, &run,
	    error, sizeof error) : NULL;
	size_t cancelled;

	CHECK(workers != NULL);
	if (workers == NULL) {
		fprintf(stderr, "  %s\n", error);
		goto out;
	}
	for (size_t i = 1; i <= CANCEL_JOBS; i++)
		workers_submit(workers, cancel_article(i), 1790000000, (void *)i);
	/* One worker has taken a few at most: most even jobs are still unclaimed. */
	cancelled = workers_cancel(workers, even_job);
	CHECK(cancelled > 0 && cancelled <= CANCEL_JOBS / 2);
	event_base_dispatch(base);
	CHECK(run.handed == CANCEL_JOBS && run.in_order);
	CHECK(run.cancelled == cancelled);
	CHECK(run.cancelled + run.prepared_even == CANCEL_JOBS / 2);
	CHECK(!run.touched);
	CHECK(workers_pending(workers) == 0);
	CHECK(workers_cancel(workers, even_job) == 0);
out:
	workers_free(workers);
	config_free(config);
	event_base_free(base);
}

int
main(void)
{
	RUN(test_a_member_of_a_generation_is_fenced);
	RUN(test_a_dropped_membership_is_not);
	RUN(test_a_consumer_without_a_group_is_not);
	RUN(test_a_full_record_is_written_as_jansson_writes_it);
	RUN(test_records_with_odd_ids_are_written_as_jansson_writes_them);
	RUN(test_an_empty_record_is_written_as_jansson_writes_it);
	RUN(test_a_poll_that_delivers_nothing_writes_no_record);
	RUN(test_new_validators_wait_for_the_next_delivery_or_the_hand_on);
	RUN(test_an_article_of_a_partition_no_longer_ours_aborts_its_transaction);
	RUN(test_a_poll_dropped_at_a_revoke_makes_its_feed_due_now);
	RUN(test_cancelled_jobs_come_back_unprepared_in_their_turn);
	return check_finish();
}
