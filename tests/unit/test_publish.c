/*
 * test_publish.c - the producer's hold on a message's value (daemon/publish.c) against
 * librdkafka's embedded mock broker: a value sent with publisher_send_raw() is copied (the
 * caller's buffer is scribbled over right after, and the report still carries what was sent),
 * one given with publisher_send_owned() or publisher_send_to_owned() is not (its report
 * carries the very buffer given, freed by librdkafka after the report), also when held first
 * (cluster mode's hold) or failed (the spool's path: a purged message's report still has its
 * value), and a refused one stays the caller's (freed here: a second free by the producer aborts glibc's malloc). Every report's
 * value is compared with the message as built, a plain reference string per message.
 * And publisher_renew() (cluster mode's new producer after a fatal error): the old handle's
 * messages, in flight behind a slow broker, are each reported failed once before it returns,
 * held ones stay held for the new handle, and the new handle delivers.
 * And publisher_uncompressed() (cluster mode's fingerprints topic): that topic's messages go
 * as they are, the others LZ4-compressed ([kafka]'s default), also from a renewed handle: the
 * bytes a consumer fetches of a value LZ4 makes tiny tell which.
 */
#include <event2/event.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "publish.h"
#include "util.h"

#define MESSAGES	64
#define WIDE		8192	/* a value of one byte repeated: LZ4 makes it tiny */
#define WIDE_COUNT	16

struct sent {
	char	 expected[256];		/* the reference: the value as built */
	char	*given;			/* the buffer handed over (owned), else NULL */
	int	 reports, success, value_matches, same_buffer;
};

static void
on_report(void *message_context, const struct delivery_report *report, void *context)
{
	struct sent *sent = message_context;
	size_t length = strlen(sent->expected);

	sent->reports++;
	sent->success = report->success;
	sent->value_matches = report->value_length == length &&
	    memcmp(report->value, sent->expected, length) == 0;
	sent->same_buffer = sent->given != NULL && report->value == sent->given;
}

static struct config *open_config;	/* outlives its publisher (publisher_renew reads it) */

static struct publisher *
open_embedded(const char *max_bytes)
{
	struct config *config = config_defaults();
	struct publisher *publisher;
	char error[256] = "";

	free(config->bootstrap_servers);
	config->bootstrap_servers = xstrdup("");	/* librdkafka's mock broker */
	if (max_bytes != NULL) {
		config->kafka_settings = xcalloc(1, sizeof *config->kafka_settings);
		config->kafka_settings[0].key = xstrdup("message.max.bytes");
		config->kafka_settings[0].value = xstrdup(max_bytes);
		config->kafka_setting_count = 1;
	}
	publisher = publisher_open(config, NULL, on_report, NULL, error, sizeof error);
	if (publisher == NULL) {
		fprintf(stderr, "publisher_open: %s\n", error);
		config_free(config);
	} else
		open_config = config;
	return publisher;
}

static void
close_embedded(struct publisher *publisher)
{
	publisher_close(publisher);
	config_free(open_config);
	open_config = NULL;
}

static void
build(struct sent *sent, int i)
{
	memset(sent, 0, sizeof *sent);
	snprintf(sent->expected, sizeof sent->expected,
	    "{\"schema\":2,\"id\":\"item-%d\",\"text\":\"%0*d\"}", i, 40 + i, i);
}

/* The i-th message: copied (even i, the caller's buffer scribbled after) or given (odd i;
 * one in two of those to partition 0, publisher_send_to_owned). */
static int
send_one(struct publisher *publisher, struct sent *sent, int i)
{
	size_t length = strlen(sent->expected);
	char *value = xmalloc(length + 1);
	char key[32];
	int result;

	memcpy(value, sent->expected, length + 1);
	snprintf(key, sizeof key, "item-%d", i);
	if (i % 2 == 0) {
		result = publisher_send_raw(publisher, "t", key, value, length, "lang=en\n", sent);
		memset(value, 'X', length);	/* the producer has its copy */
		free(value);
		return result;
	}
	sent->given = value;
	if (i % 4 == 3)		/* to a partition, as cluster mode's fingerprint records */
		result = publisher_send_to_owned(publisher, "t", 0, key, value, length, sent);
	else
		result = publisher_send_owned(publisher, "t", key, value, length, "lang=en\n",
		    sent);
	if (result != 0)
		free(value);			/* refused: still ours */
	return result;
}

/* MESSAGES messages built and sent, alternately copied and given; each send accepted. */
static void
send_all(struct publisher *publisher, struct sent *sent)
{
	for (int i = 0; i < MESSAGES; i++) {
		build(&sent[i], i);
		CHECK(send_one(publisher, &sent[i], i) == 0);
	}
}

static void
check_all_reported(struct sent *sent, int count, int success)
{
	for (int i = 0; i < count; i++) {
		CHECK(sent[i].reports == 1);
		CHECK(sent[i].success == success);
		CHECK(sent[i].value_matches);
		CHECK(sent[i].same_buffer == (i % 2 == 1));	/* given ones not copied */
	}
}

static void
test_copied_and_given_values_are_delivered_as_built(void)
{
	struct publisher *publisher = open_embedded(NULL);
	struct sent sent[MESSAGES];

	CHECK(publisher != NULL);
	if (publisher == NULL)
		return;
	send_all(publisher, sent);
	CHECK(publisher_outstanding(publisher) == MESSAGES);
	publisher_flush(publisher, 10000);
	CHECK(publisher_outstanding(publisher) == 0);
	check_all_reported(sent, MESSAGES, 1);
	close_embedded(publisher);
}

static void
test_held_values_are_delivered_uncopied(void)
{
	struct publisher *publisher = open_embedded(NULL);
	struct sent sent[MESSAGES];

	CHECK(publisher != NULL);
	if (publisher == NULL)
		return;
	publisher_hold(publisher);
	send_all(publisher, sent);
	CHECK(publisher_unreported(publisher) == 0);
	publisher_release(publisher);
	publisher_flush(publisher, 10000);
	check_all_reported(sent, MESSAGES, 1);
	/* Held, then refused (a transaction that will not start): reported failed, as sent. */
	publisher_hold(publisher);
	send_all(publisher, sent);
	publisher_refuse_held(publisher, "refused");
	CHECK(publisher_outstanding(publisher) == 0);
	check_all_reported(sent, MESSAGES, 0);
	close_embedded(publisher);
}

/* A failed message's report (what the spool stores) has its value, given or copied. */
static void
test_purged_values_are_reported_failed_with_their_bytes(void)
{
	struct publisher *publisher = open_embedded(NULL);
	struct sent sent[MESSAGES];

	CHECK(publisher != NULL);
	if (publisher == NULL)
		return;
	send_all(publisher, sent);
	publisher_purge(publisher);	/* within linger.ms: all still queued */
	CHECK(publisher_outstanding(publisher) == 0);
	check_all_reported(sent, MESSAGES, 0);
	close_embedded(publisher);
}

/* Too large for message.max.bytes: refused at once, no report, the value still the caller's. */
static void
test_a_refused_value_stays_the_callers(void)
{
	struct publisher *publisher = open_embedded("1000");
	struct sent sent[2];

	CHECK(publisher != NULL);
	if (publisher == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		memset(&sent[i], 0, sizeof sent[i]);
		memset(sent[i].expected, 'a', sizeof sent[i].expected - 1);
		sent[i].expected[sizeof sent[i].expected - 1] = '\0';
	}
	/* 255 bytes fit; the same made 2,000 bytes do not */
	{
		size_t length = 2000;
		char *value = xmalloc(length);

		memset(value, 'a', length);
		sent[1].given = value;
		CHECK(publisher_send_owned(publisher, "t", "big", value, length, "", &sent[1]) ==
		    -1);
		free(value);	/* ours: freed once, here */
	}
	CHECK(send_one(publisher, &sent[0], 0) == 0);
	publisher_flush(publisher, 10000);
	CHECK(sent[0].reports == 1 && sent[0].success && sent[0].value_matches);
	CHECK(sent[1].reports == 0);
	CHECK(publisher_outstanding(publisher) == 0);
	close_embedded(publisher);
}

static void
test_a_renewed_handle_reports_the_old_ones_messages_first(void)
{
	struct publisher *publisher = open_embedded(NULL);
	struct sent sent[MESSAGES], held[4];
	rd_kafka_mock_cluster_t *mock;
	char before[128], error[256] = "";

	CHECK(publisher != NULL);
	if (publisher == NULL)
		return;
	mock = rd_kafka_handle_mock_cluster(publisher_kafka(publisher));
	rd_kafka_mock_broker_set_rtt(mock, 1, 4000);	/* requests stay in flight */
	send_all(publisher, sent);
	for (int i = 0; i < 5; i++)
		publisher_wait(publisher, 100);		/* past linger.ms: sent, unanswered */
	CHECK(publisher_unreported(publisher) == MESSAGES);
	publisher_hold(publisher);
	for (int i = 0; i < 4; i++) {
		build(&held[i], i);
		CHECK(send_one(publisher, &held[i], i) == 0);
	}
	snprintf(before, sizeof before, "%s", rd_kafka_name(publisher_kafka(publisher)));
	CHECK(publisher_renew(publisher, 5000, error, sizeof error) == 0);
	check_all_reported(sent, MESSAGES, 0);	/* all, once, before it returned */
	for (int i = 0; i < 4; i++)
		CHECK(held[i].reports == 0);
	CHECK(publisher_outstanding(publisher) == 4);
	CHECK(strcmp(rd_kafka_name(publisher_kafka(publisher)), before) != 0);
	CHECK(!publisher_failed(publisher));
	publisher_release(publisher);		/* the held ones go to the new handle */
	publisher_flush(publisher, 10000);
	check_all_reported(held, 4, 1);
	CHECK(publisher_outstanding(publisher) == 0);
	close_embedded(publisher);
}

/* WIDE_COUNT messages of WIDE bytes to topic, each given (to partition 0), all delivered. */
static void
send_wide(struct publisher *publisher, const char *topic)
{
	struct sent sent[WIDE_COUNT];

	for (int i = 0; i < WIDE_COUNT; i++) {
		char *value = xmalloc(WIDE);
		build(&sent[i], i);
		memset(value, 'a', WIDE);
		if (publisher_send_to_owned(publisher, topic, 0, "wide", value, WIDE, &sent[i]))
			free(value);
	}
	publisher_flush(publisher, 10000);
	for (int i = 0; i < WIDE_COUNT; i++)
		CHECK(sent[i].reports == 1 && sent[i].success);
}

/* The bytes the brokers sent a consumer (its statistics: each broker's rxbytes). */
static int
on_stats(rd_kafka_t *kafka, char *json, size_t length, void *opaque)
{
	long long *received = opaque;
	json_t *root = json_loadb(json, length, 0, NULL), *broker;
	const char *name;

	*received = 0;
	json_object_foreach(json_object_get(root, "brokers"), name, broker)
		*received += json_integer_value(json_object_get(broker, "rxbytes"));
	json_decref(root);
	return 0;
}

static rd_kafka_t *
open_consumer(struct publisher *publisher, long long *received)
{
	rd_kafka_mock_cluster_t *mock = rd_kafka_handle_mock_cluster(publisher_kafka(publisher));
	const char *settings[][2] = { { "bootstrap.servers", mock != NULL ?
	    rd_kafka_mock_cluster_bootstraps(mock) : "" },
	    { "group.id", "test-publish" }, { "statistics.interval.ms", "100" } };
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char error[256];

	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		CHECK(rd_kafka_conf_set(conf, settings[i][0], settings[i][1], error,
		    sizeof error) == RD_KAFKA_CONF_OK);
	rd_kafka_conf_set_stats_cb(conf, on_stats);
	rd_kafka_conf_set_opaque(conf, received);
	return rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
}

/* The bytes fetched for partition 0 of topic, read from its start to its count messages
 * (from the producer's mock brokers: a renewed handle has new ones). */
static long long
bytes_fetched(struct publisher *publisher, const char *topic, int count)
{
	long long received = -1, last;
	rd_kafka_t *consumer = open_consumer(publisher, &received);
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	int64_t deadline = monotonic_ms() + 20000;
	int read = 0;

	rd_kafka_poll_set_consumer(consumer);
	rd_kafka_topic_partition_list_add(list, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(consumer, list);
	rd_kafka_topic_partition_list_destroy(list);
	while (read < count && monotonic_ms() < deadline) {
		rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 100);
		if (message != NULL) {
			read += message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
			rd_kafka_message_destroy(message);
		}
	}
	/* the statistics after the last fetch: the next report */
	for (last = received = -1; received == last && monotonic_ms() < deadline; ) {
		rd_kafka_message_t *message = rd_kafka_consumer_poll(consumer, 100);
		if (message != NULL)
			rd_kafka_message_destroy(message);
	}
	rd_kafka_consumer_close(consumer);
	rd_kafka_destroy(consumer);
	return read == count ? received : -1;
}

static void
test_an_uncompressed_topic_goes_as_it_is(void)
{
	struct publisher *publisher = open_embedded(NULL);
	char error[256] = "";
	long long plain, packed;

	CHECK(publisher != NULL);
	if (publisher == NULL)
		return;
	CHECK(publisher_uncompressed(publisher, "plain", error, sizeof error) == 0);
	CHECK(publisher_uncompressed(publisher, "other", error, sizeof error) < 0);
	for (int round = 0; round < 2; round++) {	/* the second from a renewed handle */
		if (round == 1)
			CHECK(publisher_renew(publisher, 5000, error, sizeof error) == 0);
		send_wide(publisher, "plain");
		send_wide(publisher, "packed");
		plain = bytes_fetched(publisher, "plain", WIDE_COUNT);
		packed = bytes_fetched(publisher, "packed", WIDE_COUNT);
		CHECK(plain > WIDE_COUNT * WIDE);
		CHECK(packed > 0 && packed < WIDE_COUNT * WIDE / 4);
	}
	close_embedded(publisher);
}

int
main(void)
{
	RUN(test_copied_and_given_values_are_delivered_as_built);
	RUN(test_held_values_are_delivered_uncopied);
	RUN(test_purged_values_are_reported_failed_with_their_bytes);
	RUN(test_a_refused_value_stays_the_callers);
	RUN(test_a_renewed_handle_reports_the_old_ones_messages_first);
	RUN(test_an_uncompressed_topic_goes_as_it_is);
	return check_finish();
}
