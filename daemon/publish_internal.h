/*
 * publish_internal.h - the producer's state (publish.c), shared with the topic checks and
 * creation of publish_topics.c; nothing else reads it.
 */
#ifndef WIRESIFT_PUBLISH_INTERNAL_H
#define WIRESIFT_PUBLISH_INTERNAL_H

#include <event2/event.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include "publish.h"

/* A message sent while sends are held (cluster mode: a commit under way, or the queue full). */
struct held_message {
	char			*topic;
	int			 partition;
	char			*key;
	char			*value;
	size_t			 value_length;
	rd_kafka_headers_t	*headers;
	void			*context;
	struct held_message	*next;
};

struct publisher {
	const struct config	*config;	/* the settings a renewed handle is made from */
	rd_kafka_t		*kafka;
	rd_kafka_queue_t	*main_queue;
	struct event		*wakeup_event;
	struct event		*poll_timer;
	int			 wakeup_pipe[2];
	delivery_fn		 on_delivery;
	void			*context;
	char			*bootstrap;
	int			 embedded;
	int			 outstanding;
	int			 queue_capacity;	/* queue.buffering.max.messages in effect */
	int			 fatal;
	long long		 produced;	/* messages given to librdkafka since open */
	int			 holding;	/* publisher_hold(): sends wait in held */
	int			 bypass;	/* publisher_send_sealed(): past the hold */
	int			 hold_when_full;	/* cluster mode: a full queue holds, never refuses */
	struct held_message	*held, **held_tail;
	int			 held_count;
	int			 creates_topics;	/* broker_creates_topics(): 1, 0, -1 unasked */
	const char		*refusal;	/* why held messages fail (release_failed) */
	pthread_t		 flusher;	/* publisher_send_now()'s, joined at close */
	int			 flusher_running;
	int			 flush_timeout_ms;
	char			*plain_topic;	/* publisher_uncompressed()'s, or NULL */
	rd_kafka_topic_t	*plain_handle;	/* its handle, made with compression.type none */
};

#endif
