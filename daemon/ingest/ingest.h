/*
 * ingest.h - the running daemon: every configured feed with its timer and backoff, the
 * per-host and global fetch limits, fetch -> parse -> seen-filter -> pipeline -> publish, and
 * the delivery-report handler. Its files in daemon/ingest/: lifecycle.c (start-up, drain,
 * shutdown), topics.c (start-up's check of the Kafka topics, on a thread), schedule.c
 * (timers, host queues, dispatch), outcome.c (what a finished fetch means), items.c (seen
 * filter, workers, publish), delivery.c (delivery reports: seen marks, dedup commits,
 * validators), housekeeping.c (producer restart, backpressure, summary) and reload.c (SIGHUP).
 * State is written by delivery.c (seen ids, validators), outcome.c (feed health, moved URLs),
 * items.c (seen marks of items the dedup policy drops) and spool.c (spooled messages).
 */
#ifndef WIRESIFT_INGEST_H
#define WIRESIFT_INGEST_H

#include "config.h"

struct event_base;
struct ingest;

struct ingest_options {
	int	once;		/* poll every feed once, wait for delivery, stop */
};

/* Takes ownership of config (freed by ingest_free, or at once when this fails). */
struct ingest *ingest_new(struct config *config, struct event_base *base,
	    const struct ingest_options *options, char *error, size_t error_size);
/* Arm the feed timers. */
void	 ingest_start(struct ingest *ingest);
/*
 * Apply a newly loaded configuration (SIGHUP): added feeds start, removed ones stop, the others
 * keep their state; [feeds], [route], topics and log_level apply at once, the rest at the next
 * start (logged). Takes ownership of fresh.
 */
void	 ingest_reload(struct ingest *ingest, struct config *fresh);
/* Stop polling; the loop exits once in-flight fetches and deliveries finish or at deadline. */
void	 ingest_drain(struct ingest *ingest, long long deadline_ms);
/* Milliseconds left before the drain deadline (full_ms when not draining). */
int	 ingest_remaining_ms(const struct ingest *ingest, long long full_ms);
/* After the loop: flush Kafka up to timeout_ms; returns the number still undelivered. */
int	 ingest_finish(struct ingest *ingest, int timeout_ms);
/* A topic turned out missing and not creatable (the check runs while the feeds are fetched). */
int	 ingest_start_refused(const struct ingest *ingest);
/* Exit status for --once: 0 when every feed was read and every item delivered. */
int	 ingest_exit_status(const struct ingest *ingest);
void	 ingest_free(struct ingest *ingest);

#endif
