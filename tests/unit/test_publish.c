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
 */
#include <event2/event.h>
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

int
main(void)
{
	RUN(test_copied_and_given_values_are_delivered_as_built);
	RUN(test_held_values_are_delivered_uncopied);
	RUN(test_purged_values_are_reported_failed_with_their_bytes);
	RUN(test_a_refused_value_stays_the_callers);
	RUN(test_a_renewed_handle_reports_the_old_ones_messages_first);
	return check_finish();
}
