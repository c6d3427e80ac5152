/*
 * spool.h - the disk spool for messages Kafka did not acknowledge: stored in the state database
 * (state.h) and replayed in order, a bounded window at a time, while the broker takes them.
 *
 * Every message context handed to the publisher starts with an enum message_kind, so the one
 * delivery callback can tell an article's report from a replayed spool record's (or a story
 * summary's: ingest/stories.c).
 */
#ifndef WIRESIFT_SPOOL_H
#define WIRESIFT_SPOOL_H

#include "publish.h"
#include "state.h"

struct event_base;
struct spool;

enum message_kind { MESSAGE_ARTICLE = 1, MESSAGE_SPOOLED, MESSAGE_STORY, MESSAGE_CLUSTER,
    MESSAGE_FINGERPRINT };

struct spool *spool_new(struct state *state, struct event_base *base, long long max_bytes);
void	 spool_free(struct spool *spool);
/* The publisher to replay through (set again after a producer restart). */
void	 spool_set_publisher(struct spool *spool, struct publisher *publisher);

/* Store a message Kafka refused or failed to acknowledge. 0: durable in the spool. */
int	 spool_store(struct spool *spool, const char *topic, const char *key, const char *value,
	    size_t value_length, const char *headers);
/* The report of a replayed record (message context of kind MESSAGE_SPOOLED). */
void	 spool_on_report(struct spool *spool, void *message_context,
	    const struct delivery_report *report);

int	 spool_is_full(const struct spool *spool);
long long spool_rows(const struct spool *spool);
long long spool_bytes(const struct spool *spool);
/* Stop replaying (shutdown): nothing new is sent. */
void	 spool_stop(struct spool *spool);

#endif
