/*
 * publish.h - the Kafka producer (librdkafka): idempotent, acks=all, key = article id, JSON
 * value with headers. Delivery reports arrive on the event loop thread (librdkafka's main queue
 * signals a pipe that libevent watches) and are handed to the caller's delivery callback: that
 * callback, and only it, may mark an article as done.
 */
#ifndef WIRESIFT_PUBLISH_H
#define WIRESIFT_PUBLISH_H

#include <stddef.h>
#include "article.h"
#include "config.h"

struct event_base;
struct publisher;

/* What librdkafka reported for one message. */
struct delivery_report {
	int		 success;	/* acknowledged by all in-sync replicas */
	const char	*error_text;	/* when not */
	int		 possibly_persisted;	/* a failed message may still have been written */
	const char	*topic;
	const char	*key;
	size_t		 key_length;
	const char	*value;
	size_t		 value_length;
	char		*headers;	/* "name=value\n" lines, valid during the callback */
};

typedef void (*delivery_fn)(void *message_context, const struct delivery_report *report,
	    void *publisher_context);

/* Check the [kafka] settings as librdkafka would take them (for wiresift -t). */
int	 publisher_check_config(const struct config *config, char *error, size_t error_size);
/* config must outlive the publisher: publisher_renew() makes its new handle from it. */
struct publisher *publisher_open(const struct config *config, struct event_base *base,
	    delivery_fn on_delivery, void *publisher_context, char *error, size_t error_size);
/* The headers of an article's message as "name=value\n" lines; caller frees. */
char	*publisher_headers_for(const struct article *article);
/*
 * Queue one message (headers as "name=value\n" lines; value copied), e.g. as it was spooled.
 * 0: queued (NOT delivered: wait for the delivery callback); -1: refused (queue full or
 * fatal), the callback will not be called for it. The sends below answer the same way.
 */
int	 publisher_send_raw(struct publisher *publisher, const char *topic, const char *key,
	    const char *value, size_t value_length, const char *headers, void *message_context);
/*
 * publisher_send_raw() without the copy: value (malloc'd) is given away when this returns 0
 * (librdkafka frees it after its delivery report has been served, so report->value is valid
 * in the callback as ever); on -1 it is still the caller's (to spool, then free).
 */
int	 publisher_send_owned(struct publisher *publisher, const char *topic, const char *key,
	    char *value, size_t value_length, const char *headers, void *message_context);
/* Queue a message (no headers) to one partition: cluster mode's state records. */
int	 publisher_send_to(struct publisher *publisher, const char *topic, int partition,
	    const char *key, const char *value, size_t value_length, void *message_context);
/*
 * publisher_send_to() without the copy, as publisher_send_owned() gives its value away (held
 * while a transaction is sealed, it is kept as it is): cluster mode's fingerprint records.
 */
int	 publisher_send_to_owned(struct publisher *publisher, const char *topic, int partition,
	    const char *key, char *value, size_t value_length, void *message_context);
/*
 * Messages of topic go uncompressed (librdkafka's per-topic compression.type none, [kafka]
 * compression.type for the rest), also from a renewed handle: cluster mode's fingerprint
 * records, whose compression cost more CPU than it saved (docs/cluster-costs.md, "The records'
 * bytes"). Called before the first message of topic (librdkafka keeps the settings a topic
 * had first); 0, or -1 (a second topic, or librdkafka refused).
 */
int	 publisher_uncompressed(struct publisher *publisher, const char *topic, char *error,
	    size_t error_size);
/*
 * Cluster mode's transactions (daemon/cluster/txn.c), and start-up while the topics are
 * checked (daemon/ingest/topics.c). While a transaction is being committed
 * librdkafka takes no message: publisher_hold() makes every send above wait here, in order
 * (it returns 0, counts as outstanding, and is reported once released), until
 * publisher_release() produces them, into the transaction begun since, in order, as far as
 * librdkafka's queue has room; the rest (and what is sent meanwhile) waits for the reports
 * that make room. One librdkafka refuses otherwise is reported failed. publisher_send_sealed() is publisher_send_to() past the hold:
 * for the records a sealed transaction still takes (the state records naming its articles).
 */
void	 publisher_hold(struct publisher *publisher);
void	 publisher_release(struct publisher *publisher);
/* Stop holding and report every held message failed with reason (a start refused). */
void	 publisher_refuse_held(struct publisher *publisher, const char *reason);
int	 publisher_send_sealed(struct publisher *publisher, const char *topic, int partition,
	    const char *key, const char *value, size_t value_length, void *message_context);
/* Messages given to librdkafka and not yet reported (outstanding ones less the held). */
int	 publisher_unreported(const struct publisher *publisher);
/* Messages given to librdkafka since the publisher opened (cluster mode: was anything sent
 * this transaction). */
long long publisher_produced(const struct publisher *publisher);
/* librdkafka's handle: cluster mode runs the producer's transactions (daemon/cluster/txn.c,
 * their blocking calls on daemon/cluster/committer.c's thread). */
struct rd_kafka_s *publisher_kafka(struct publisher *publisher);
/*
 * Ask the broker about a topic (blocking, up to 3 x timeout_ms: start-up only). 0: it exists,
 * or the broker creates topics on first use (or cannot say); 1: broker unreachable (reason in
 * error); -1: it does not exist and the broker will not create it.
 */
int	 publisher_check_topic(struct publisher *publisher, const char *topic, int timeout_ms,
	    char *error, size_t error_size);
/*
 * Create topic with cleanup.policy=compact (blocking, start-up only; partitions and
 * replication as the broker's defaults). 0: created; 1: it existed already (as it was);
 * -1: not created (reason in error).
 */
int	 publisher_create_compacted(struct publisher *publisher, const char *topic,
	    int timeout_ms, char *error, size_t error_size);
/* Messages queued or in flight, waiting for a delivery report. */
int	 publisher_outstanding(const struct publisher *publisher);
/* How many messages librdkafka's queue holds at most (queue.buffering.max.messages). */
int	 publisher_queue_capacity(const struct publisher *publisher);
/* Serve delivery reports until none are outstanding or timeout_ms passes. */
void	 publisher_flush(struct publisher *publisher, int timeout_ms);
/*
 * Have what is queued sent without waiting out linger.ms (--once's last messages): a thread
 * waits in rd_kafka_flush() for up to timeout_ms while the loop serves the reports as ever.
 */
void	 publisher_send_now(struct publisher *publisher, int timeout_ms);
/* Wait up to timeout_ms for librdkafka's next event, then serve what is there. */
void	 publisher_wait(struct publisher *publisher, int timeout_ms);
/* Fail everything queued or in flight now; their (failed) reports are served before return. */
void	 publisher_purge(struct publisher *publisher);
/*
 * Cluster mode's renewal after a fatal error (daemon/cluster/txn.c): what librdkafka's handle
 * holds is purged and every (failed) report of it served here, waiting up to timeout_ms;
 * then the handle is destroyed and a new one made from the same settings (the same
 * transactional.id, whose init_transactions the caller runs). Held messages stay held, for
 * the new handle. 0, or -1 with a reason (reports missing: the old handle is kept; or no new
 * handle: sends are refused).
 */
int	 publisher_renew(struct publisher *publisher, int timeout_ms, char *error,
	    size_t error_size);
/* Set when librdkafka reported a fatal error: the producer must be recreated. */
int	 publisher_failed(const struct publisher *publisher);
/* The bootstrap address: the configured one, or the embedded broker's. */
const char *publisher_bootstrap(const struct publisher *publisher);
int	 publisher_is_embedded(const struct publisher *publisher);
void	 publisher_close(struct publisher *publisher);

#endif
