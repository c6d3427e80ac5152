/*
 * status.c - renders the daemon's state for operators and scripts (see status.h): the
 * Prometheus text exposition format (version 0.0.4) for /metrics, JSON for /feeds.
 */
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cluster/cluster.h"
#include "feed/feed.h"

#include "ingest/ingest_internal.h"
#include "json_write.h"
#include "pipeline.h"
#include "publish.h"
#include "status.h"
#include "workers.h"

/* A label value with \, " and newline escaped, as the exposition format wants. */
static void
append_label(struct buffer *out, const char *value)
{
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			buffer_printf(out, "\\%c", *p);
		else if (*p == '\n')
			buffer_append_string(out, "\\n");
		else
			buffer_append(out, p, 1);
	}
}

static void
metric_header(struct buffer *out, const char *name, const char *type, const char *help)
{
	buffer_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_feeds(const struct ingest *ingest, struct buffer *out)
{
	size_t ok, failing, disabled;

	ingest_feed_counts(ingest, &ok, &failing, &disabled);
	metric_header(out, "wiresift_feeds", "gauge", "Configured feeds by state.");
	buffer_printf(out, "wiresift_feeds{state=\"ok\"} %zu\nwiresift_feeds{state=\"failing\"} "
	    "%zu\nwiresift_feeds{state=\"disabled\"} %zu\n", ok, failing, disabled);
	metric_header(out, "wiresift_feed_fetches_total", "counter",
	    "Fetches per feed by outcome (outcomes that happened).");
	for (size_t i = 0; i < ingest->feed_count; i++) {
		const struct feed *feed = ingest->feeds[i];
		for (int outcome = 0; outcome <= FETCH_OTHER; outcome++) {
			if (feed->stats.fetches[outcome] == 0)
				continue;
			buffer_append_string(out, "wiresift_feed_fetches_total{feed=\"");
			append_label(out, feed->label);
			buffer_printf(out, "\",outcome=\"%s\"} %lld\n", fetch_outcome_name(outcome),
			    feed->stats.fetches[outcome]);
		}
	}
	metric_header(out, "wiresift_fetches_total", "counter", "Fetches by outcome.");
	for (int outcome = 0; outcome <= FETCH_OTHER; outcome++) {
		long long total = 0;
		for (size_t i = 0; i < ingest->feed_count; i++)
			total += ingest->feeds[i]->stats.fetches[outcome];
		buffer_printf(out, "wiresift_fetches_total{outcome=\"%s\"} %lld\n",
		    fetch_outcome_name(outcome), total);
	}
}

static void
metrics_fetch_latency(const struct ingest *ingest, struct buffer *out)
{
	long long cumulative = 0;

	metric_header(out, "wiresift_fetch_duration_seconds", "histogram",
	    "Time from the start of a fetch to its end.");
	for (int i = 0; i < FETCH_DURATION_BUCKETS; i++) {
		cumulative += ingest->fetch_duration_buckets[i];
		buffer_printf(out, "wiresift_fetch_duration_seconds_bucket{le=\"%g\"} %lld\n",
		    fetch_duration_bounds[i], cumulative);
	}
	cumulative += ingest->fetch_duration_buckets[FETCH_DURATION_BUCKETS];
	buffer_printf(out, "wiresift_fetch_duration_seconds_bucket{le=\"+Inf\"} %lld\n"
	    "wiresift_fetch_duration_seconds_sum %.6f\nwiresift_fetch_duration_seconds_count "
	    "%lld\n", cumulative, ingest->fetch_duration_sum, ingest->fetch_duration_count);
}

static void
metrics_articles(const struct ingest *ingest, struct buffer *out)
{
	metric_header(out, "wiresift_items_parsed_total", "counter", "Feed items parsed.");
	buffer_printf(out, "wiresift_items_parsed_total %lld\n", ingest->items_parsed);
	metric_header(out, "wiresift_articles_total", "counter",
	    "Articles by what became of them.");
	buffer_printf(out,
	    "wiresift_articles_total{status=\"published\"} %lld\n"
	    "wiresift_articles_total{status=\"duplicate\"} %lld\n"
	    "wiresift_articles_total{status=\"spooled\"} %lld\n"
	    "wiresift_articles_total{status=\"undelivered\"} %d\n"
	    "wiresift_articles_total{status=\"dropped_empty\"} %lld\n",
	    ingest->delivered_articles, ingest->delivered_duplicates, ingest->spooled_articles,
	    ingest->delivery_failures, ingest->items_skipped_empty);
	metric_header(out, "wiresift_kafka_delivery_errors_total", "counter",
	    "Delivery reports with an error (the message then went to the spool).");
	buffer_printf(out, "wiresift_kafka_delivery_errors_total %lld\n", ingest->delivery_errors);
	metric_header(out, "wiresift_kafka_queue_messages", "gauge",
	    "Messages queued in librdkafka awaiting a delivery report.");
	buffer_printf(out, "wiresift_kafka_queue_messages %d\n",
	    publisher_outstanding(ingest->publisher));
	metric_header(out, "wiresift_dedup_index_entries", "gauge", "Articles in the dedup index.");
	buffer_printf(out, "wiresift_dedup_index_entries %zu\n",
	    pipeline_dedup_size(ingest->pipeline));
	metric_header(out, "wiresift_stories_open", "gauge", "Stories open in the window.");
	buffer_printf(out, "wiresift_stories_open %zu\n", pipeline_story_count(ingest->pipeline));
	metric_header(out, "wiresift_spool_messages", "gauge", "Messages in the disk spool.");
	buffer_printf(out, "wiresift_spool_messages %lld\n", spool_rows(ingest->spool));
	metric_header(out, "wiresift_spool_bytes", "gauge", "Payload bytes in the disk spool.");
	buffer_printf(out, "wiresift_spool_bytes %lld\n", spool_bytes(ingest->spool));
	metric_header(out, "wiresift_backpressure", "gauge", "1 while fetching is paused.");
	buffer_printf(out, "wiresift_backpressure %d\n", ingest->backpressure);
	metric_header(out, "wiresift_fetches_in_flight", "gauge", "Fetches running now.");
	buffer_printf(out, "wiresift_fetches_in_flight %d\n", ingest->active_fetches);
	metric_header(out, "wiresift_fulltext_total", "counter",
	    "Delivered articles by what the page step did (fulltext.status).");
	for (int i = 0; i < PAGE_STATUS_COUNT; i++)
		buffer_printf(out, "wiresift_fulltext_total{status=\"%s\"} %lld\n",
		    page_statuses[i], ingest->page_statuses[i]);
	metric_header(out, "wiresift_pages_waiting", "gauge",
	    "Articles waiting for their linked page (robots.txt, politeness, the fetch).");
	buffer_printf(out, "wiresift_pages_waiting %zu\n", ingest->pages_pending);
	metric_header(out, "wiresift_workers", "gauge", "Threads that clean and tag.");
	buffer_printf(out, "wiresift_workers %d\n", workers_count(ingest->workers));
	metric_header(out, "wiresift_articles_preparing", "gauge",
	    "Articles waiting for or on the worker threads.");
	buffer_printf(out, "wiresift_articles_preparing %zu\n", workers_pending(ingest->workers));
}

/* Cluster mode only: the fingerprints topic, global dedup's log (cluster/fingerprints.c). */
static void
metrics_fingerprints(const struct cluster_status *status, struct buffer *out)
{
	metric_header(out, "wiresift_cluster_fingerprints_total", "counter",
	    "Fingerprint records: sent by this instance and acknowledged, failed (sent again), "
	    "shrunk (refused whole for good by the brokers: sent again without story "
	    "features), refused for good (not sent again, the article judged here), read "
	    "back and judged (every instance's).");
	buffer_printf(out, "wiresift_cluster_fingerprints_total{result=\"sent\"} %lld\n"
	    "wiresift_cluster_fingerprints_total{result=\"failed\"} %lld\n"
	    "wiresift_cluster_fingerprints_total{result=\"shrunk\"} %lld\n"
	    "wiresift_cluster_fingerprints_total{result=\"refused\"} %lld\n"
	    "wiresift_cluster_fingerprints_total{result=\"read\"} %lld\n",
	    status->fingerprints_sent, status->fingerprints_failed, status->fingerprints_shrunk,
	    status->fingerprints_refused,
	    status->fingerprints_read);
	metric_header(out, "wiresift_cluster_fingerprints_parked", "gauge",
	    "Articles waiting for their fingerprint to come back before they are judged.");
	buffer_printf(out, "wiresift_cluster_fingerprints_parked %lld\n",
	    status->fingerprints_parked);
	metric_header(out, "wiresift_cluster_fingerprint_timeouts_total", "counter",
	    "Parked articles released as failed (not published, polled again): their "
	    "fingerprint did not come back within [cluster] fingerprint_timeout.");
	buffer_printf(out, "wiresift_cluster_fingerprint_timeouts_total %lld\n",
	    status->fingerprints_timed_out);
	metric_header(out, "wiresift_cluster_fingerprints_lag", "gauge",
	    "Records of the fingerprints topic not read yet (as of the last fetch).");
	buffer_printf(out, "wiresift_cluster_fingerprints_lag %lld\n", status->fingerprints_lag);
}

/* Cluster mode only: this instance's share of the group's work. */
static void
metrics_cluster(const struct ingest *ingest, struct buffer *out)
{
	struct cluster_status status;

	cluster_get_status(ingest->cluster, &status);
	metric_header(out, "wiresift_cluster_partitions", "gauge",
	    "Partitions of the assignment topic: all, assigned here, and owned here (assigned "
	    "and caught up on their feed state).");
	buffer_printf(out, "wiresift_cluster_partitions{state=\"all\"} %d\n"
	    "wiresift_cluster_partitions{state=\"assigned\"} %d\n"
	    "wiresift_cluster_partitions{state=\"owned\"} %d\n", status.partitions,
	    status.assigned, status.owned);
	metric_header(out, "wiresift_cluster_feeds", "gauge", "Feeds this instance polls.");
	buffer_printf(out, "wiresift_cluster_feeds %zu\n", ingest->cluster_feeds);
	metric_header(out, "wiresift_cluster_rebalances_total", "counter",
	    "Assignments and revocations of partitions this instance went through.");
	buffer_printf(out, "wiresift_cluster_rebalances_total %lld\n", status.rebalances);
	metric_header(out, "wiresift_cluster_dropped_total", "counter",
	    "Items of feeds whose partition was revoked, dropped before their transaction "
	    "(fetched again by the feeds' next owner).");
	buffer_printf(out, "wiresift_cluster_dropped_total %lld\n", status.dropped);
	metric_header(out, "wiresift_cluster_state_records_total", "counter",
	    "Feed-state records: written and acknowledged, failed (written again), read on "
	    "taking partitions over.");
	buffer_printf(out, "wiresift_cluster_state_records_total{result=\"written\"} %lld\n"
	    "wiresift_cluster_state_records_total{result=\"failed\"} %lld\n"
	    "wiresift_cluster_state_records_total{result=\"read\"} %lld\n",
	    status.state_records, status.state_errors, status.state_read);
	metric_header(out, "wiresift_cluster_generation", "gauge",
	    "The consumer group's generation id as this instance last saw it (-1: none yet).");
	buffer_printf(out, "wiresift_cluster_generation %d\n", status.generation);
	metric_header(out, "wiresift_cluster_transactions_total", "counter",
	    "Kafka transactions (articles and their feeds' state) committed, and aborted (their "
	    "articles polled again).");
	buffer_printf(out, "wiresift_cluster_transactions_total{result=\"committed\"} %lld\n"
	    "wiresift_cluster_transactions_total{result=\"aborted\"} %lld\n",
	    status.commits, status.aborts);
	metric_header(out, "wiresift_cluster_producer_renewals_total", "counter",
	    "New transactional producers made after a fatal error (fenced): the open transaction "
	    "counted as aborted.");
	buffer_printf(out, "wiresift_cluster_producer_renewals_total %lld\n",
	    status.producer_renewals);
	metrics_fingerprints(&status, out);
}

void
status_metrics(const struct ingest *ingest, struct buffer *out)
{
	metric_header(out, "wiresift_build_info", "gauge", "Version of the running wiresift.");
	buffer_printf(out, "wiresift_build_info{version=\"%s\"} 1\n", WIRESIFT_VERSION);
	metrics_feeds(ingest, out);
	metrics_fetch_latency(ingest, out);
	metrics_articles(ingest, out);
	if (ingest->cluster != NULL)
		metrics_cluster(ingest, out);
}

static json_t *
json_time(time_t when)
{
	char stamp[21];

	if (when == 0)
		return json_null();
	time_format_rfc3339(when, stamp);
	return json_string(stamp);
}

static const char *
feed_state(const struct feed *feed)
{
	if (feed->record.disabled)
		return "disabled";
	if (feed->fetch != NULL)
		return "fetching";
	if (feed->waiting)
		return "waiting";
	return feed->record.failures > 0 ? "failing" : "ok";
}

/* What the last parse of the feed had to repair, by name (feed_problem_names). */
static json_t *
problems_json(unsigned problems)
{
	char names[512], *rest = NULL;
	json_t *array = json_array();

	feed_problem_names(problems, names, sizeof names);
	for (char *name = strtok_r(names, " ", &rest); name != NULL;
	    name = strtok_r(NULL, " ", &rest))
		json_array_append_new(array, json_string(name));
	return array;
}

static json_t *
feed_json(const struct feed *feed)
{
	struct timeval due;
	json_t *object = json_object();
	time_t next_poll = 0;

	if (evtimer_pending(feed->timer, &due))
		next_poll = due.tv_sec;	/* libevent gives the deadline in wall-clock time */
	json_object_set_new(object, "name", json_string(feed->label));
	json_object_set_new(object, "url", json_string(feed->config->url));
	json_object_set_new(object, "current_url", json_string(feed->url));
	json_object_set_new(object, "state", json_string(feed_state(feed)));
	json_object_set_new(object, "failures", json_integer(feed->record.failures));
	json_object_set_new(object, "last_attempt", json_time(feed->stats.last_attempt));
	json_object_set_new(object, "last_success", json_time(feed->stats.last_success));
	json_object_set_new(object, "last_status", json_integer(feed->stats.last_status));
	json_object_set_new(object, "last_error", feed->stats.last_error[0] ?
	    json_string(feed->stats.last_error) : json_null());
	json_object_set_new(object, "next_poll", json_time(next_poll));
	json_object_set_new(object, "interval_seconds",
	    json_integer(feed->interval_ms / 1000));
	json_object_set_new(object, "items_published", json_integer(feed->stats.items_published));
	json_object_set_new(object, "problems", problems_json(feed->stats.problems));
	if (feed->ingest->cluster != NULL) {
		json_object_set_new(object, "partition", json_integer(
		    cluster_partition(feed->ingest->cluster, feed->config->url)));
		json_object_set_new(object, "polled_here", json_boolean(feed->cluster_owned));
	}
	return object;
}

/* The feeds as a JSON array, one feed per line (readable with curl, valid as a whole). */
char *
status_feeds_json(const struct ingest *ingest)
{
	struct buffer out = { 0 };

	buffer_append_string(&out, "[");
	for (size_t i = 0; i < ingest->feed_count; i++) {
		json_t *feed = feed_json(ingest->feeds[i]);

		buffer_append_string(&out, i > 0 ? ",\n" : "\n");
		json_write(feed, &out);	/* strings built checked: nothing to refuse */
		json_decref(feed);
	}
	buffer_append_string(&out, "\n]\n");
	return buffer_steal(&out);
}

/*
 * Cluster mode: ready once it holds partitions, has read their feed state, and has read the
 * fingerprints topic to the end it had at start.
 */
static int
cluster_ready(const struct ingest *ingest, char *reason, size_t reason_size)
{
	struct cluster_status status;

	if (ingest->cluster == NULL)
		return 1;
	cluster_get_status(ingest->cluster, &status);
	if (status.assigned == 0)
		snprintf(reason, reason_size, "cluster: no partitions assigned in group %s",
		    status.group);
	else if (status.owned < status.assigned)
		snprintf(reason, reason_size, "cluster: reading the feed state of %d partitions",
		    status.assigned - status.owned);
	else if (!status.fingerprints_caught_up)
		snprintf(reason, reason_size, "cluster: reading the fingerprints topic (%lld "
		    "records behind)", status.fingerprints_lag);
	else
		return 1;
	return 0;
}

int
status_ready(const struct ingest *ingest, char *reason, size_t reason_size)
{
	if (!ingest->ready)
		snprintf(reason, reason_size, "%s", ingest->not_ready_reason[0] ?
		    ingest->not_ready_reason : "starting");
	else if (ingest->draining)
		snprintf(reason, reason_size, "draining");
	else if (publisher_failed(ingest->publisher))
		snprintf(reason, reason_size, "kafka producer failed; restarting");
	else if (spool_is_full(ingest->spool))
		snprintf(reason, reason_size, "spool full (%lld bytes): fetching paused",
		    spool_bytes(ingest->spool));
	else
		return cluster_ready(ingest, reason, reason_size);
	return 0;
}
