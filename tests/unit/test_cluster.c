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
 */
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "feedstate_records.h"
#include "cluster/cluster_internal.h"

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

int
main(void)
{
	RUN(test_a_member_of_a_generation_is_fenced);
	RUN(test_a_dropped_membership_is_not);
	RUN(test_a_consumer_without_a_group_is_not);
	RUN(test_a_full_record_is_written_as_jansson_writes_it);
	RUN(test_records_with_odd_ids_are_written_as_jansson_writes_them);
	RUN(test_an_empty_record_is_written_as_jansson_writes_it);
	return check_finish();
}
