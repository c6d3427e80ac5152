/*
 * housekeeping.c - once a second on the loop: restart a failed producer, pause or resume
 * fetching for backpressure, and the periodic summary line.
 */
#include "ingest/ingest_internal.h"
#include "log.h"
#include "notify.h"
#include "pipeline.h"
#include "publish.h"
#include "spool.h"
#include "util.h"
#include "workers.h"

/*
 * Fetching pauses while too much awaits Kafka (3/4 of librdkafka's queue: before it refuses
 * messages, which would send them to the spool) or the workers (1/4 of the queue: so that
 * what the workers hand back still fits in it), or the spool is full, and resumes after
 * (below 1/2 of the queue, and 1/10 of it in the workers).
 */
void
ingest_update_backpressure(struct ingest *ingest)
{
	int outstanding = publisher_outstanding(ingest->publisher);
	int capacity = publisher_queue_capacity(ingest->publisher);
	size_t preparing = workers_pending(ingest->workers);
	size_t preparing_high = (size_t)capacity / 4, preparing_low = (size_t)capacity / 10;
	int paused = spool_is_full(ingest->spool) || outstanding > capacity / 4 * 3 ||
	    preparing > preparing_high || (ingest->backpressure &&
	    (outstanding > capacity / 2 || preparing > preparing_low));

	if (paused == ingest->backpressure)
		return;
	ingest->backpressure = paused;
	if (paused) {
		log_event(LOG_LEVEL_WARNING, "ingest", "backpressure.on",
		    "outstanding=%d preparing=%zu spool_bytes=%lld fetching=paused", outstanding,
		    preparing, spool_bytes(ingest->spool));
	} else {
		log_event(LOG_LEVEL_INFO, "ingest", "backpressure.off",
		    "outstanding=%d preparing=%zu spool_bytes=%lld fetching=resumed", outstanding,
		    preparing, spool_bytes(ingest->spool));
		ingest_dispatch(ingest);
	}
}

/* librdkafka reported a fatal error: spool what it holds, start a fresh producer. */
static void
restart_producer(struct ingest *ingest)
{
	char error[512];
	struct publisher *fresh;

	publisher_purge(ingest->publisher);	/* the purged reports spool their messages */
	if ((fresh = publisher_open(ingest->config, ingest->base, ingest_on_delivery, ingest,
	    error, sizeof error)) == NULL) {
		log_complain("kafka.restart", "kafka", "kafka.restart_failed", "error=%s",
		    log_quote(error));
		return;
	}
	publisher_close(ingest->publisher);
	ingest->publisher = fresh;
	spool_set_publisher(ingest->spool, fresh);
	log_event(LOG_LEVEL_WARNING, "kafka", "kafka.restarted", "spool_rows=%lld",
	    spool_rows(ingest->spool));
}

static void
log_summary(struct ingest *ingest)
{
	size_t ok, failing, disabled;
	long long minutes_ms = ingest->config->summary_interval_ms;

	ingest_feed_counts(ingest, &ok, &failing, &disabled);
	log_event(LOG_LEVEL_INFO, "ingest", "summary",
	    "feeds=%zu ok=%zu failing=%zu disabled=%zu articles_per_min=%.1f "
	    "duplicates_per_min=%.1f preparing=%zu kafka_queue=%d spool_rows=%lld "
	    "spool_bytes=%lld dedup_entries=%zu open_stories=%zu", ingest->feed_count, ok,
	    failing, disabled,
	    (double)(ingest->delivered_articles - ingest->summary_articles) * 60000.0 / minutes_ms,
	    (double)(ingest->delivered_duplicates - ingest->summary_duplicates) * 60000.0 /
	    minutes_ms, workers_pending(ingest->workers), publisher_outstanding(ingest->publisher),
	    spool_rows(ingest->spool), spool_bytes(ingest->spool),
	    pipeline_dedup_size(ingest->pipeline), pipeline_story_count(ingest->pipeline));
	notify_status("%zu feeds (%zu failing), %lld articles, %lld duplicates, spool %lld",
	    ingest->feed_count, failing, ingest->delivered_articles, ingest->delivered_duplicates,
	    spool_rows(ingest->spool));
	ingest->summary_articles = ingest->delivered_articles;
	ingest->summary_duplicates = ingest->delivered_duplicates;
}

void
ingest_on_housekeeping(evutil_socket_t fd, short what, void *context)
{
	struct ingest *ingest = context;

	/* Cluster mode's transactional producer is not replaced: txn.c renews it in place. */
	/* Not while the start-up topic check still asks the producer (topics.c). */
	if (publisher_failed(ingest->publisher) && !ingest->draining && ingest->cluster == NULL &&
	    !ingest_topics_pending(ingest))
		restart_producer(ingest);
	ingest_update_backpressure(ingest);
	if (ingest->config->summary_interval_ms > 0 && monotonic_ms() >= ingest->next_summary_ms) {
		log_summary(ingest);
		ingest->next_summary_ms = monotonic_ms() + ingest->config->summary_interval_ms;
	}
}
