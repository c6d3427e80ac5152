/*
 * publish.c - librdkafka producer on the libevent loop (see publish.h).
 *
 * librdkafka's main queue is told to write a byte to a pipe whenever it has something for us
 * (rd_kafka_queue_io_event_enable); libevent watches the pipe and we take the queue's events
 * (delivery reports, errors, log lines) with rd_kafka_queue_poll and handle them right here on
 * the loop thread. Delivery reports are events (RD_KAFKA_EVENT_DR), not a callback, so that
 * rd_kafka_flush() and the transactional calls that flush (cluster mode runs them on its
 * committer thread, daemon/cluster/committer.c) only wait for the loop to serve them and never
 * run our handlers on their own thread.
 * Nothing is counted as published when rd_kafka_producev returns 0: that only means queued.
 * A message's value is copied into librdkafka's (RD_KAFKA_MSG_F_COPY) unless the caller gives
 * it away (publisher_send_owned, publisher_send_to_owned: RD_KAFKA_MSG_F_FREE, librdkafka
 * frees it when the event that reported it is destroyed, after our handler ran; a refused one
 * stays the caller's). A held one is kept as it is, not copied again (hold()).
 *
 * Cluster mode holds sends while a transaction is being committed (librdkafka takes no message
 * between commit and the next begin): publisher_hold() keeps them in order here, and
 * publisher_release() produces them into the next transaction. It also holds, rather than
 * refuses, what librdkafka's full queue does not take (the caller would spool it, outside any
 * transaction): those go on, in order, as delivery reports make room.
 * Checking and creating topics is publish_topics.c's; struct publisher is in
 * publish_internal.h for it.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "kafka_threads.h"
#include "log.h"
#include "publish.h"
#include "publish_internal.h"
#include "util.h"

#define DEFAULT_QUEUE_MESSAGES	20000	/* librdkafka's queue bound unless [kafka] sets one */
#define STRINGIFY_VALUE(x)	#x
#define STRINGIFY(x)		STRINGIFY_VALUE(x)

/* "name=value\n" lines of a message's headers; caller frees. */
static char *
headers_text(const rd_kafka_message_t *message)
{
	rd_kafka_headers_t *headers = NULL;
	struct buffer text = { 0 };
	const char *name;
	const void *value;
	size_t size;

	if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return xstrdup("");
	for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++)
		buffer_printf(&text, "%s=%.*s\n", name, (int)size, value ? (const char *)value : "");
	return buffer_steal(&text);
}

static void
on_delivery_report(struct publisher *publisher, const rd_kafka_message_t *message)
{
	struct delivery_report report = {
		.success = message->err == RD_KAFKA_RESP_ERR_NO_ERROR,
		.topic = rd_kafka_topic_name(message->rkt),
		.key = message->key,
		.key_length = message->key_len,
		.value = message->payload,
		.value_length = message->len,
	};

	publisher->outstanding--;
	if (!report.success) {
		report.error_text = rd_kafka_err2str(message->err);
		report.possibly_persisted = rd_kafka_message_status(message) !=
		    RD_KAFKA_MSG_STATUS_NOT_PERSISTED;
		report.headers = headers_text(message);
	}
	publisher->on_delivery(message->_private, &report, publisher->context);
	free(report.headers);
}

/* An error event; a fatal one (the event gives the underlying error) needs a new producer. */
static void
on_error(struct publisher *publisher, rd_kafka_event_t *event)
{
	int error = (int)rd_kafka_event_error(event);
	char key[64];

	if (rd_kafka_event_error_is_fatal(event)) {
		log_event(LOG_LEVEL_ERROR, "kafka", "kafka.fatal", "error=%s action=restart-producer",
		    log_quote(rd_kafka_event_error_string(event)));
		publisher->fatal = 1;
		return;
	}
	snprintf(key, sizeof key, "kafka.error.%d", error);
	log_complain(key, "kafka", "kafka.error", "code=%s error=%s",
	    rd_kafka_err2name((rd_kafka_resp_err_t)error),
	    log_quote(rd_kafka_event_error_string(event)));
}

/* librdkafka's log lines: events of the main queue, or (before it exists) this callback. */
static void
on_kafka_log(const rd_kafka_t *kafka, int level, const char *facility, const char *message)
{
	enum log_level ours = level <= 3 ? LOG_LEVEL_ERROR : level <= 5 ? LOG_LEVEL_WARNING :
	    level == 6 ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG;

	log_event(ours, "kafka", "kafka.log", "facility=%s message=%s", log_quote(facility),
	    log_quote(message));
}

static void
on_log_event(rd_kafka_event_t *event)
{
	const char *facility = "", *message = "";
	int level = 7;

	rd_kafka_event_log(event, &facility, &message, &level);
	on_kafka_log(NULL, level, facility, message);
}

static void
serve_event(struct publisher *publisher, rd_kafka_event_t *event)
{
	const rd_kafka_message_t *message;

	switch (rd_kafka_event_type(event)) {
	case RD_KAFKA_EVENT_DR:
		while ((message = rd_kafka_event_message_next(event)) != NULL)
			on_delivery_report(publisher, message);
		break;
	case RD_KAFKA_EVENT_ERROR:
		on_error(publisher, event);
		break;
	case RD_KAFKA_EVENT_LOG:
		on_log_event(event);
		break;
	default:
		break;
	}
	rd_kafka_event_destroy(event);	/* after the reports: flush() waits for this */
}

static void drain_held(struct publisher *publisher);

/* Everything the main queue holds now (as rd_kafka_poll(rk, 0) would serve). */
static void
serve_queue(struct publisher *publisher)
{
	rd_kafka_event_t *event;

	for (int i = 0; i < 100000 && (event = rd_kafka_queue_poll(publisher->main_queue, 0));
	    i++)
		serve_event(publisher, event);
	drain_held(publisher);	/* reports made room for what waits */
}

static void
on_wakeup(evutil_socket_t fd, short what, void *context)
{
	char drain[256];

	while (read(fd, drain, sizeof drain) > 0)
		;
	serve_queue(context);
}

static void
on_poll_timer(evutil_socket_t fd, short what, void *context)
{
	serve_queue(context);
}

static int
conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *error,
    size_t error_size)
{
	char reason[256];

	if (rd_kafka_conf_set(conf, key, value, reason, sizeof reason) != RD_KAFKA_CONF_OK) {
		snprintf(error, error_size, "[kafka] %s: %s", key, reason);
		return -1;
	}
	return 0;
}

/* The message bound of librdkafka's queue, as configured (ours or [kafka]'s). */
static int
queue_capacity(rd_kafka_conf_t *conf)
{
	char value[32];
	size_t size = sizeof value;
	long capacity;

	if (rd_kafka_conf_get(conf, "queue.buffering.max.messages", value, &size) !=
	    RD_KAFKA_CONF_OK)
		return DEFAULT_QUEUE_MESSAGES;
	capacity = strtol(value, NULL, 10);
	return capacity > 0 && capacity < 100000000 ? (int)capacity : DEFAULT_QUEUE_MESSAGES;
}

static rd_kafka_conf_t *
build_conf(const struct config *config, struct publisher *publisher, char *error,
    size_t error_size)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	static const char *defaults[][2] = {
		{ "enable.idempotence", "true" },
		{ "acks", "all" },
		{ "linger.ms", "50" },
		{ "compression.type", "lz4" },
		{ "log.queue", "true" },
		/* Bounded in memory: beyond this, or after message.timeout.ms, we spool to disk. */
		{ "queue.buffering.max.messages", STRINGIFY(DEFAULT_QUEUE_MESSAGES) },
		{ "queue.buffering.max.kbytes", "65536" },
		{ "message.timeout.ms", "60000" },
		{ "client.id", "wiresift" },
	};

	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		if (conf_set(conf, defaults[i][0], defaults[i][1], error, error_size) < 0)
			goto fail;
	if (config->bootstrap_servers[0] == '\0') {
		if (conf_set(conf, "test.mock.num.brokers", "1", error, error_size) < 0)
			goto fail;
		publisher->embedded = 1;
	} else if (conf_set(conf, "bootstrap.servers", config->bootstrap_servers, error,
	    error_size) < 0)
		goto fail;
	for (size_t i = 0; i < config->kafka_setting_count; i++) {
		const struct kafka_setting *setting = &config->kafka_settings[i];
		char reason[256];
		if (rd_kafka_conf_set(conf, setting->key, setting->value, reason, sizeof reason) !=
		    RD_KAFKA_CONF_OK) {
			snprintf(error, error_size, "%s:%d: [kafka] %s: %s", config->path,
			    setting->line, setting->key, reason);
			goto fail;
		}
	}
	if (config->cluster.group != NULL && cluster_producer_conf(config, conf, error,
	    error_size) < 0)
		goto fail;
	/* Its threads sleep with a timer slack (librdkafka 2.0.2 spins before its timers). */
	if (kafka_threads_slack(conf, error, error_size) < 0)
		goto fail;
	publisher->queue_capacity = queue_capacity(conf);
	/* Reports, errors and log lines as events of the main queue (serve_queue). */
	rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR |
	    RD_KAFKA_EVENT_LOG);
	rd_kafka_conf_set_log_cb(conf, on_kafka_log);
	rd_kafka_conf_set_opaque(conf, publisher);
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

int
publisher_check_config(const struct config *config, char *error, size_t error_size)
{
	struct publisher scratch = { 0 };
	rd_kafka_conf_t *conf = build_conf(config, &scratch, error, error_size);

	if (conf == NULL)
		return -1;
	rd_kafka_conf_destroy(conf);
	return 0;
}

/*
 * publisher_uncompressed()'s topic, its handle made with its own compression.type (none)
 * before any message of it, so that librdkafka takes those settings for it: a topic it knows
 * already keeps the ones it had (rd_kafka_topic_new ignores the new).
 */
static int
open_plain_topic(struct publisher *publisher, char *error, size_t error_size)
{
	rd_kafka_topic_conf_t *conf = rd_kafka_topic_conf_new();
	char reason[256];

	if (rd_kafka_topic_conf_set(conf, "compression.type", "none", reason, sizeof reason) !=
	    RD_KAFKA_CONF_OK) {
		rd_kafka_topic_conf_destroy(conf);
		snprintf(error, error_size, "kafka topic %s: %s", publisher->plain_topic, reason);
		return -1;
	}
	if ((publisher->plain_handle = rd_kafka_topic_new(publisher->kafka,
	    publisher->plain_topic, conf)) == NULL) {
		snprintf(error, error_size, "kafka topic %s: %s", publisher->plain_topic,
		    rd_kafka_err2str(rd_kafka_last_error()));
		return -1;
	}
	return 0;
}

int
publisher_uncompressed(struct publisher *publisher, const char *topic, char *error,
    size_t error_size)
{
	if (publisher->plain_topic != NULL)
		return strcmp(publisher->plain_topic, topic) == 0 ? 0 : -1;
	publisher->plain_topic = xstrdup(topic);
	return publisher->kafka != NULL ? open_plain_topic(publisher, error, error_size) : 0;
}

/* librdkafka's handle and its main queue, which signals the pipe (publisher_open made it). */
static int
open_handle(struct publisher *publisher, char *error, size_t error_size)
{
	rd_kafka_conf_t *conf;
	char reason[512];

	if ((conf = build_conf(publisher->config, publisher, error, error_size)) == NULL)
		return -1;
	if ((publisher->kafka = rd_kafka_new(RD_KAFKA_PRODUCER, conf, reason, sizeof reason)) ==
	    NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(error, error_size, "kafka producer: %s", reason);
		return -1;
	}
	rd_kafka_set_log_queue(publisher->kafka, NULL);	/* logs to the main queue: our thread */
	publisher->main_queue = rd_kafka_queue_get_main(publisher->kafka);
	rd_kafka_queue_io_event_enable(publisher->main_queue, publisher->wakeup_pipe[1], "1", 1);
	return publisher->plain_topic != NULL ? open_plain_topic(publisher, error, error_size) :
	    0;
}

/* The handle and its queue go (what they still hold is dropped unreported). */
static void
close_handle(struct publisher *publisher)
{
	if (publisher->plain_handle != NULL)
		rd_kafka_topic_destroy(publisher->plain_handle);
	publisher->plain_handle = NULL;
	if (publisher->main_queue != NULL) {
		rd_kafka_queue_io_event_enable(publisher->main_queue, -1, NULL, 0);
		rd_kafka_queue_destroy(publisher->main_queue);
		publisher->main_queue = NULL;
	}
	if (publisher->kafka != NULL)
		rd_kafka_destroy(publisher->kafka);
	publisher->kafka = NULL;
}

struct publisher *
publisher_open(const struct config *config, struct event_base *base, delivery_fn on_delivery,
    void *publisher_context, char *error, size_t error_size)
{
	struct publisher *publisher = xcalloc(1, sizeof *publisher);
	struct timeval every_second = { 1, 0 };

	publisher->config = config;
	publisher->on_delivery = on_delivery;
	publisher->context = publisher_context;
	publisher->held_tail = &publisher->held;
	publisher->wakeup_pipe[0] = publisher->wakeup_pipe[1] = -1;
	publisher->hold_when_full = config->cluster.group != NULL;
	publisher->creates_topics = -1;
	publisher->refusal = "not queued after the transaction's commit";
	if (pipe2(publisher->wakeup_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (open_handle(publisher, error, error_size) < 0)
		goto fail;
	if (publisher->embedded) {
		rd_kafka_mock_cluster_t *cluster = rd_kafka_handle_mock_cluster(publisher->kafka);
		publisher->bootstrap = xstrdup(cluster ? rd_kafka_mock_cluster_bootstraps(cluster) :
		    "");
	} else
		publisher->bootstrap = xstrdup(config->bootstrap_servers);
	if (base != NULL) {
		publisher->wakeup_event = event_new(base, publisher->wakeup_pipe[0],
		    EV_READ | EV_PERSIST, on_wakeup, publisher);
		publisher->poll_timer = event_new(base, -1, EV_PERSIST, on_poll_timer, publisher);
		event_add(publisher->wakeup_event, NULL);
		event_add(publisher->poll_timer, &every_second);
	}
	return publisher;
fail:
	publisher_close(publisher);
	return NULL;
}

int
publisher_renew(struct publisher *publisher, int timeout_ms, char *error, size_t error_size)
{
	int64_t deadline = monotonic_ms() + timeout_ms;
	int holding = publisher->holding;

	publisher->holding = 1;		/* nothing held goes to the old handle */
	if (publisher->flusher_running) {
		pthread_join(publisher->flusher, NULL);	/* within its timeout */
		publisher->flusher_running = 0;
	}
	rd_kafka_purge(publisher->kafka, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	while (publisher_unreported(publisher) > 0 && monotonic_ms() < deadline)
		publisher_wait(publisher, 100);
	publisher->holding = holding;
	if (publisher_unreported(publisher) > 0) {
		snprintf(error, error_size, "%d message(s) of the old producer not reported within "
		    "%d ms of their purge", publisher_unreported(publisher), timeout_ms);
		return -1;
	}
	close_handle(publisher);
	publisher->fatal = 0;
	if (open_handle(publisher, error, error_size) < 0) {
		publisher->fatal = 1;	/* sends are refused: the caller ends the process */
		return -1;
	}
	return 0;
}

/*
 * Kept for publisher_release(): counted as outstanding, its report comes once released. An
 * owned value (publisher_send_owned) is kept as it is, any other copied.
 */
static void
hold(struct publisher *publisher, const char *topic, int partition, const char *key,
    const char *value, size_t value_length, int owned, rd_kafka_headers_t *headers,
    void *message_context)
{
	struct held_message *message = xcalloc(1, sizeof *message);

	message->topic = xstrdup(topic);
	message->partition = partition;
	message->key = xstrdup(key);
	if (owned)
		message->value = (char *)value;
	else if (value != NULL) {	/* NULL stays NULL: a tombstone (topic.stories) */
		message->value = xmalloc(value_length + 1);
		memcpy(message->value, value, value_length);
	}
	message->value_length = value_length;
	message->headers = headers;
	message->context = message_context;
	*publisher->held_tail = message;
	publisher->held_tail = &message->next;
	publisher->held_count++;
	publisher->outstanding++;
}

/*
 * One message to librdkafka, or held. Owned: value is malloc'd and becomes the publisher's
 * when this returns 0 (librdkafka frees it once its report is served: RD_KAFKA_MSG_F_FREE, no
 * copy); on -1 it is still the caller's, as librdkafka leaves it on a refusal.
 */
static int
produce(struct publisher *publisher, const char *topic, int partition, const char *key,
    const char *value, size_t value_length, int owned, rd_kafka_headers_t *headers,
    void *message_context)
{
	rd_kafka_resp_err_t result;

	/* Held, or behind held ones librdkafka had no room for yet (their order is kept). */
	if ((publisher->holding || publisher->held != NULL) && !publisher->bypass &&
	    !publisher->fatal) {
		hold(publisher, topic, partition, key, value, value_length, owned, headers,
		    message_context);
		return 0;
	}
	if (publisher->fatal) {
		rd_kafka_headers_destroy(headers);
		return -1;
	}
	result = rd_kafka_producev(publisher->kafka,
	    RD_KAFKA_V_TOPIC(topic),
	    RD_KAFKA_V_PARTITION(partition),
	    RD_KAFKA_V_KEY(key, strlen(key)),
	    RD_KAFKA_V_VALUE((void *)value, value_length),
	    RD_KAFKA_V_MSGFLAGS(owned ? RD_KAFKA_MSG_F_FREE : RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_HEADERS(headers),
	    RD_KAFKA_V_OPAQUE(message_context),
	    RD_KAFKA_V_END);
	if (result == RD_KAFKA_RESP_ERR__QUEUE_FULL && publisher->hold_when_full &&
	    !publisher->bypass) {
		/* Cluster mode spools nothing (a spooled article would leave its transaction):
		 * it waits here, in order, for the reports that make room (serve_queue). */
		hold(publisher, topic, partition, key, value, value_length, owned, headers,
		    message_context);
		return 0;
	}
	if (result != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_headers_destroy(headers);
		if (result != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			log_complain("kafka.produce", "kafka", "kafka.produce_failed",
			    "topic=%s error=%s", topic, log_quote(rd_kafka_err2str(result)));
		return -1;
	}
	publisher->outstanding++;
	publisher->produced++;
	return 0;
}

/* One header per line, "name=value"; built by appending (it is done for every message). */
static void
header_line(struct buffer *text, const char *name, const char *value)
{
	buffer_append_string(text, name);
	buffer_append(text, "=", 1);
	buffer_append_string(text, value);
	buffer_append(text, "\n", 1);
}

char *
publisher_headers_for(const struct article *article)
{
	struct buffer text = { 0 };

	buffer_reserve(&text, 128);
	buffer_append_string(&text, "content-type=application/json\nwiresift-schema="
	    ARTICLE_SCHEMA_TEXT "\n");
	if (article->lang_code[0] != '\0')
		header_line(&text, "lang", article->lang_code);
	header_line(&text, "dedup-status", article->dedup.status == DEDUP_DUPLICATE ?
	    "duplicate" : "unique");
	if (article->source_domain != NULL && *article->source_domain != '\0')
		header_line(&text, "source-domain", article->source_domain);
	if (article->story.id != NULL)
		header_line(&text, "story-id", article->story.id);
	return buffer_steal(&text);
}

/* librdkafka's headers from "name=value\n" lines. */
static rd_kafka_headers_t *
headers_from_lines(const char *headers_lines)
{
	rd_kafka_headers_t *headers = rd_kafka_headers_new(5);
	const char *line = headers_lines ? headers_lines : "", *equals, *end;

	for (; *line != '\0'; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (end == NULL)
			end = line + strlen(line);
		equals = memchr(line, '=', (size_t)(end - line));
		if (equals != NULL)
			rd_kafka_header_add(headers, line, equals - line, equals + 1,
			    end - equals - 1);
	}
	return headers;
}

int
publisher_send_raw(struct publisher *publisher, const char *topic, const char *key,
    const char *value, size_t value_length, const char *headers_lines, void *message_context)
{
	return produce(publisher, topic, RD_KAFKA_PARTITION_UA, key, value, value_length, 0,
	    headers_from_lines(headers_lines), message_context);
}

int
publisher_send_owned(struct publisher *publisher, const char *topic, const char *key,
    char *value, size_t value_length, const char *headers_lines, void *message_context)
{
	return produce(publisher, topic, RD_KAFKA_PARTITION_UA, key, value, value_length, 1,
	    headers_from_lines(headers_lines), message_context);
}

int
publisher_send_to(struct publisher *publisher, const char *topic, int partition,
    const char *key, const char *value, size_t value_length, void *message_context)
{
	return produce(publisher, topic, partition, key, value, value_length, 0,
	    rd_kafka_headers_new(1), message_context);
}

int
publisher_send_to_owned(struct publisher *publisher, const char *topic, int partition,
    const char *key, char *value, size_t value_length, void *message_context)
{
	return produce(publisher, topic, partition, key, value, value_length, 1,
	    rd_kafka_headers_new(1), message_context);
}

int
publisher_send_sealed(struct publisher *publisher, const char *topic, int partition,
    const char *key, const char *value, size_t value_length, void *message_context)
{
	int result;

	publisher->bypass = 1;
	result = produce(publisher, topic, partition, key, value, value_length, 0,
	    rd_kafka_headers_new(1), message_context);
	publisher->bypass = 0;
	return result;
}

void
publisher_hold(struct publisher *publisher)
{
	publisher->holding = 1;
}

/* A held message librdkafka refused (fatal, closing): reported failed, as it would have been. */
static void
release_failed(struct publisher *publisher, struct held_message *message)
{
	struct delivery_report report = {
		.success = 0,
		.error_text = publisher->refusal,
		.topic = message->topic,
		.key = message->key,
		.key_length = strlen(message->key),
		.value = message->value,
		.value_length = message->value_length,
		.headers = xstrdup(""),
	};

	publisher->outstanding--;
	publisher->on_delivery(message->context, &report, publisher->context);
	free(report.headers);
}

/*
 * The first held message to librdkafka (it counts as outstanding already), its value handed
 * over (RD_KAFKA_MSG_F_FREE: the held message's own, no longer its once taken; a refused one
 * stays).
 */
static rd_kafka_resp_err_t
give(struct publisher *publisher, struct held_message *message)
{
	rd_kafka_resp_err_t result;

	if (publisher->fatal)
		return RD_KAFKA_RESP_ERR__FATAL;
	result = rd_kafka_producev(publisher->kafka,
	    RD_KAFKA_V_TOPIC(message->topic),
	    RD_KAFKA_V_PARTITION(message->partition),
	    RD_KAFKA_V_KEY(message->key, strlen(message->key)),
	    RD_KAFKA_V_VALUE(message->value, message->value_length),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
	    RD_KAFKA_V_HEADERS(message->headers),
	    RD_KAFKA_V_OPAQUE(message->context),
	    RD_KAFKA_V_END);
	if (result == RD_KAFKA_RESP_ERR_NO_ERROR)
		message->value = NULL;	/* librdkafka's now */
	return result;
}

/*
 * Not holding: the held messages go to librdkafka in order, as far as its queue has room; the
 * rest waits for the reports that make room (serve_queue comes back here). A release after a
 * commit may hold more than the queue takes at once: failing those would have every one of
 * them polled again.
 */
static void
drain_held(struct publisher *publisher)
{
	struct held_message *message;
	rd_kafka_resp_err_t result;

	while (!publisher->holding && (message = publisher->held) != NULL) {
		if ((result = give(publisher, message)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return;
		if ((publisher->held = message->next) == NULL)
			publisher->held_tail = &publisher->held;
		publisher->held_count--;
		if (result == RD_KAFKA_RESP_ERR_NO_ERROR)
			publisher->produced++;
		else {
			rd_kafka_headers_destroy(message->headers);
			if (!publisher->fatal)
				log_complain("kafka.produce", "kafka", "kafka.produce_failed",
				    "topic=%s error=%s", message->topic,
				    log_quote(rd_kafka_err2str(result)));
			release_failed(publisher, message);
		}
		free(message->topic);
		free(message->key);
		free(message->value);
		free(message);
	}
}

void
publisher_release(struct publisher *publisher)
{
	publisher->holding = 0;
	drain_held(publisher);
}

void
publisher_refuse_held(struct publisher *publisher, const char *reason)
{
	int fatal = publisher->fatal;

	publisher->refusal = reason;
	publisher->fatal = 1;		/* give() refuses each: reported failed, in order */
	publisher->holding = 0;
	drain_held(publisher);
	publisher->fatal = fatal;
}

int
publisher_unreported(const struct publisher *publisher)
{
	return publisher->outstanding - publisher->held_count;
}

long long
publisher_produced(const struct publisher *publisher)
{
	return publisher->produced;
}

struct rd_kafka_s *
publisher_kafka(struct publisher *publisher)
{
	return publisher->kafka;
}

void
publisher_purge(struct publisher *publisher)
{
	rd_kafka_purge(publisher->kafka, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	publisher_flush(publisher, 2000);	/* serve the purged messages' (failed) reports */
}

int
publisher_failed(const struct publisher *publisher)
{
	return publisher->fatal;
}

int
publisher_outstanding(const struct publisher *publisher)
{
	return publisher->outstanding;
}

int
publisher_queue_capacity(const struct publisher *publisher)
{
	return publisher->queue_capacity;
}

void
publisher_flush(struct publisher *publisher, int timeout_ms)
{
	int64_t deadline = monotonic_ms() + timeout_ms;

	while (publisher->outstanding > 0 && monotonic_ms() < deadline)
		publisher_wait(publisher, 100);
}

static void *
flush_main(void *argument)
{
	struct publisher *publisher = argument;

	rd_kafka_flush(publisher->kafka, publisher->flush_timeout_ms);
	return NULL;
}

/*
 * rd_kafka_flush() sends at once what linger.ms would keep back, for as long as it waits. With
 * delivery reports as events it only waits for the loop to serve them (see the top), so it
 * can wait on a thread of its own while the loop goes on.
 */
void
publisher_send_now(struct publisher *publisher, int timeout_ms)
{
	if (publisher->flusher_running || publisher->held != NULL || publisher->outstanding == 0)
		return;
	publisher->flush_timeout_ms = timeout_ms;
	publisher->flusher_running = thread_start(&publisher->flusher, flush_main, publisher,
	    "wiresift-flush") == 0;
}

void
publisher_wait(struct publisher *publisher, int timeout_ms)
{
	rd_kafka_event_t *event = rd_kafka_queue_poll(publisher->main_queue, timeout_ms);

	if (event != NULL)
		serve_event(publisher, event);
	serve_queue(publisher);
}

const char *
publisher_bootstrap(const struct publisher *publisher)
{
	return publisher->bootstrap;
}

int
publisher_is_embedded(const struct publisher *publisher)
{
	return publisher->embedded;
}

void
publisher_close(struct publisher *publisher)
{
	if (publisher == NULL)
		return;
	if (publisher->wakeup_event != NULL)
		event_free(publisher->wakeup_event);
	if (publisher->poll_timer != NULL)
		event_free(publisher->poll_timer);
	publisher->fatal = 1;		/* what is still held fails: nothing takes it now */
	publisher->holding = 0;
	drain_held(publisher);
	if (publisher->flusher_running)
		pthread_join(publisher->flusher, NULL);	/* within its timeout */
	close_handle(publisher);
	for (int i = 0; i < 2; i++)
		if (publisher->wakeup_pipe[i] >= 0)
			close(publisher->wakeup_pipe[i]);
	free(publisher->bootstrap);
	free(publisher->plain_topic);
	free(publisher);
}
