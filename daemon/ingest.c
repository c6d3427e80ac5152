/*
 * ingest.c - the running daemon (see ingest.h).
 *
 * Life of a poll: a feed's timer fires -> it joins its host's wait queue -> dispatch() starts
 * it when the host and the global limits allow -> fetch_done() parses the body and sends each
 * new item through the pipeline to the publisher -> on_delivery() (librdkafka's report, on this
 * thread) marks the item seen once all its messages are acknowledged -> when every item of the
 * poll is delivered, the feed's new ETag/Last-Modified are committed. A failed delivery leaves
 * the item unseen and the validators unchanged, so the next poll fetches and sends it again.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed/feed.h"
#include "fetch.h"
#include "ingest.h"
#include "ingest_internal.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "pipeline.h"
#include "publish.h"
#include "spool.h"
#include "state.h"
#include "util.h"
#include "workers.h"

#define SEEN_RETENTION_SECONDS	(90L * 86400)
#define STATE_COMMIT_DELAY_MS	100	/* state writes are grouped into commits this often */

const double fetch_duration_bounds[FETCH_DURATION_BUCKETS] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

static void dispatch(struct ingest *ingest);
static void on_housekeeping(evutil_socket_t fd, short what, void *context);
static void watch_once(struct ingest *ingest);
static void schedule_next(struct feed *feed, long long delay_ms);

static long long
jitter(long long delay_ms, int percent)
{
	long long spread = delay_ms * percent / 100;

	if (spread <= 0)
		return delay_ms;
	return delay_ms - spread + (long long)(random() % (2 * spread + 1));
}

static struct host *
host_for(struct ingest *ingest, const char *url)
{
	CURLU *parsed = curl_url();
	char *hostname = NULL;
	struct host *host;

	if (curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK)
		curl_url_get(parsed, CURLUPART_HOST, &hostname, 0);
	for (host = ingest->hosts; host != NULL; host = host->next)
		if (strcmp(host->name, hostname ? hostname : "") == 0)
			break;
	if (host == NULL) {
		host = xcalloc(1, sizeof *host);
		host->name = xstrdup(hostname ? hostname : "");
		host->next = ingest->hosts;
		ingest->hosts = host;
	}
	curl_free(hostname);
	curl_url_cleanup(parsed);
	return host;
}

/* Persist a feed's health: failures, 410 mark, and its URL if a permanent redirect moved it. */
static void
feed_save_health(struct feed *feed)
{
	state_feed_save_health(feed->ingest->state, feed->config->url, feed->record.failures,
	    feed->record.disabled, strcmp(feed->url, feed->config->url) ? feed->url : NULL);
}

/* --once: one more feed has had its one poll (its items delivered, or it failed). */
static void
poll_done(struct ingest *ingest)
{
	if (ingest->options.once)
		ingest->feeds_done++;
}

void
ingest_feed_counts(const struct ingest *ingest, size_t *ok, size_t *failing, size_t *disabled)
{
	*ok = *failing = *disabled = 0;
	for (size_t i = 0; i < ingest->feed_count; i++) {
		const struct feed *feed = ingest->feeds[i];
		if (feed->record.disabled)
			(*disabled)++;
		else if (feed->record.failures > 0)
			(*failing)++;
		else
			(*ok)++;
	}
}

/* ---- delivery: the only writer of state ---- */

static void
batch_finish(struct batch *batch)
{
	struct feed *feed = batch->feed;
	struct ingest *ingest = feed->ingest;

	if (batch->failed_items == 0 && (batch->etag != NULL || batch->last_modified != NULL)) {
		state_feed_save_validators(ingest->state, feed->config->url, batch->etag,
		    batch->last_modified);
		free(feed->record.etag);
		free(feed->record.last_modified);
		feed->record.etag = batch->etag;
		feed->record.last_modified = batch->last_modified;
		batch->etag = batch->last_modified = NULL;
	}
	poll_done(ingest);
	free(batch->etag);
	free(batch->last_modified);
	free(batch);
}

static void
batch_item_done(struct batch *batch, int failed)
{
	batch->pending_items--;
	if (failed)
		batch->failed_items++;
	if (batch->all_sent && batch->pending_items == 0)
		batch_finish(batch);
}

static void
log_delivered(const struct delivery *delivery)
{
	const struct article *article = delivery->article;
	char similarity[16];

	if (!log_enabled(LOG_LEVEL_INFO, "publish"))
		return;
	snprintf(similarity, sizeof similarity, "%.2f", article->dedup.similarity);
	if (article->dedup.status == DEDUP_DUPLICATE)
		log_event(LOG_LEVEL_INFO, "publish", "article.delivered",
		    "feed=%s id=%s topic=%s dedup=duplicate of=%s similarity=%s title=%s",
		    log_quote(delivery->batch->feed->label), article->id, delivery->topics,
		    article->dedup.duplicate_of ? article->dedup.duplicate_of : "-", similarity,
		    log_quote(article->title));
	else
		log_event(LOG_LEVEL_INFO, "publish", "article.delivered",
		    "feed=%s id=%s topic=%s dedup=unique lang=%s words=%zu title=%s",
		    log_quote(delivery->batch->feed->label), article->id, delivery->topics,
		    article->lang_code[0] ? article->lang_code : "-", article->word_count,
		    log_quote(article->title));
}

static void
delivery_complete(struct ingest *ingest, struct delivery *delivery)
{
	struct feed *feed = delivery->batch->feed;
	struct article *article = delivery->article;

	if (!delivery->failed) {
		/* Acknowledged by Kafka, or durable in the spool that will deliver it. */
		state_mark_seen(ingest->state, feed->config->url, article->id, time(NULL));
		pipeline_commit(ingest->pipeline, article);
		feed->stats.items_published++;
		if (delivery->spooled_messages > 0) {
			ingest->spooled_articles++;
			log_event(LOG_LEVEL_INFO, "publish", "article.spooled",
			    "feed=%s id=%s topic=%s", log_quote(feed->label), article->id,
			    delivery->topics);
		} else {
			if (article->dedup.status == DEDUP_DUPLICATE)
				ingest->delivered_duplicates++;
			else
				ingest->delivered_articles++;
			log_delivered(delivery);
		}
	} else {
		ingest->delivery_failures++;
		log_event(LOG_LEVEL_WARNING, "publish", "article.undelivered",
		    "feed=%s id=%s retry=next-poll", log_quote(feed->label), article->id);
	}
	string_set_remove(&feed->in_flight, article->id);
	batch_item_done(delivery->batch, delivery->failed);
	article_free(article);
	free(delivery->topics);
	free(delivery);
}

/*
 * Fetching pauses while too much awaits Kafka (3/4 of librdkafka's queue: before it refuses
 * messages, which would send them to the spool) or the workers (1/4 of the queue: so that
 * what the workers hand back still fits in it), or the spool is full, and resumes after
 * (below 1/2 of the queue, and 1/10 of it in the workers).
 */
static void
update_backpressure(struct ingest *ingest)
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
		dispatch(ingest);
	}
}

static void
on_article_report(struct ingest *ingest, struct delivery *delivery,
    const struct delivery_report *report)
{
	if (!report->success) {
		ingest->delivery_errors++;
		if (spool_store(ingest->spool, report->topic, delivery->article->id, report->value,
		    report->value_length, report->headers) == 0) {
			delivery->spooled_messages++;
			log_complain("kafka.delivery", "publish", "delivery.spooled",
			    "id=%s topic=%s error=%s possibly_persisted=%s", delivery->article->id,
			    report->topic, log_quote(report->error_text),
			    report->possibly_persisted ? "yes" : "no");
		} else {
			delivery->failed = 1;
			log_complain("kafka.delivery.lost", "publish", "delivery.failed",
			    "id=%s error=%s spool=unwritable", delivery->article->id,
			    log_quote(report->error_text));
		}
	}
	if (--delivery->pending_messages == 0)
		delivery_complete(ingest, delivery);
}

static void
on_delivery(void *message_context, const struct delivery_report *report, void *context)
{
	struct ingest *ingest = context;
	enum message_kind *kind = message_context;

	if (report->success && !ingest->ready) {
		ingest->ready = 1;
		log_event(LOG_LEVEL_INFO, "kafka", "kafka.reachable", "ready=yes");
	}
	if (*kind == MESSAGE_SPOOLED)
		spool_on_report(ingest->spool, message_context, report);
	else
		on_article_report(ingest, message_context, report);
	if (ingest->backpressure)
		update_backpressure(ingest);
}

/* ---- items: seen-filter, pipeline, publish ---- */

static int
already_handled(struct feed *feed, const char *id)
{
	return string_set_contains(&feed->in_flight, id) ||
	    state_seen(feed->ingest->state, feed->config->url, id) == 1;
}

/* The producer's queue is full (or the producer failed): the message goes to the spool. */
static void
spool_refused(struct ingest *ingest, struct delivery *delivery, const char *topic,
    const char *json)
{
	char *headers = publisher_headers_for(delivery->article);

	if (spool_store(ingest->spool, topic, delivery->article->id, json, strlen(json),
	    headers) == 0) {
		delivery->spooled_messages++;
		log_complain("kafka.queue_full", "publish", "delivery.spooled",
		    "id=%s topic=%s error=producer-queue-full", delivery->article->id, topic);
	} else
		delivery->failed = 1;
	free(headers);
}

/* An item that will not be delivered (empty, or dropped by the dedup policy) leaves its poll. */
static void
item_leaves(struct batch *batch, struct article *article)
{
	string_set_remove(&batch->feed->in_flight, article->id);
	article_free(article);
	batch_item_done(batch, 0);
}

static void
publish_item(struct batch *batch, struct article *article)
{
	struct ingest *ingest = batch->feed->ingest;
	struct strlist topics = { 0 };
	struct delivery *delivery;
	struct buffer topic_names = { 0 };
	char *json;

	pipeline_topics(ingest->pipeline, article, &topics);
	if (topics.count == 0) {	/* dedup policy drop: nothing to deliver */
		state_mark_seen(ingest->state, batch->feed->config->url, article->id, batch->now);
		item_leaves(batch, article);
		return;
	}
	json = article_to_json(article);
	delivery = xcalloc(1, sizeof *delivery);
	delivery->kind = MESSAGE_ARTICLE;
	delivery->batch = batch;
	delivery->article = article;
	for (size_t i = 0; i < topics.count; i++) {
		if (publisher_send(ingest->publisher, topics.items[i], article, json, delivery) == 0)
			delivery->pending_messages++;
		else
			spool_refused(ingest, delivery, topics.items[i], json);
		if (i > 0)
			buffer_append(&topic_names, ",", 1);
		buffer_append_string(&topic_names, topics.items[i]);
	}
	delivery->topics = buffer_steal(&topic_names);
	free(json);
	strlist_clear(&topics);
	if (delivery->pending_messages == 0)
		delivery_complete(ingest, delivery);
}

/* The poll's one info line, once its last item is through the pipeline (or it had none new). */
static void
log_fetched(struct batch *batch)
{
	struct feed *feed = batch->feed;

	log_event(LOG_LEVEL_INFO, "fetch", "feed.fetched",
	    "feed=%s status=%ld format=%s items=%d new=%d duplicates=%d bytes=%zu ms=%ld",
	    log_quote(feed->label), batch->status, batch->format, batch->items,
	    batch->new_items - batch->skipped, batch->duplicates, batch->bytes,
	    batch->elapsed_ms);
}

/* Workers (or the loop, see on_item) hand back a cleaned and tagged item, in poll order. */
static void
on_prepared(struct article *article, int result, void *job_context, void *context)
{
	struct batch *batch = job_context;
	struct feed *feed = batch->feed;
	struct ingest *ingest = context;

	batch->in_pipeline--;
	if (result < 0) {
		log_event(LOG_LEVEL_WARNING, "clean", "item.empty", "feed=%s id=%s guid=%s",
		    log_quote(feed->label), article->id, log_quote(article->guid));
		batch->skipped++;
		ingest->items_skipped_empty++;
	} else {
		pipeline_judge(ingest->pipeline, article, batch->now);
		if (article->dedup.status == DEDUP_DUPLICATE)
			batch->duplicates++;
	}
	if (batch->parsed_whole && batch->in_pipeline == 0)
		log_fetched(batch);
	if (result < 0)
		item_leaves(batch, article);
	else
		publish_item(batch, article);
	update_backpressure(ingest);
}

static int
on_item(struct article *article, void *context)
{
	struct batch *batch = context;
	struct feed *feed = batch->feed;

	batch->items++;
	feed->ingest->items_parsed++;
	pipeline_attach_source(article, feed->config, feed->config->url);
	if (already_handled(feed, article->id)) {
		article_free(article);
		return 0;
	}
	batch->new_items++;
	batch->in_pipeline++;
	batch->pending_items++;
	string_set_add(&feed->in_flight, article->id);
	workers_submit(feed->ingest->workers, article, batch->now, batch);
	return 0;
}

/* ---- fetching ---- */

/*
 * The next poll after a successful one: the feed's interval, stretched (never shortened) by
 * what the feed says of itself (Cache-Control max-age, RSS <ttl>, sy:updatePeriod) and, when
 * [feeds] adaptive is on, by how long it has gone without a new item (x1.25 a quiet poll, up to
 * x4; the first new item resets it) - all up to max_interval, never below min_interval; then
 * jittered so feeds with one interval do not fire together.
 */
static long long
next_interval(struct feed *feed, const struct fetch_result *result, const struct feed_meta *meta,
    int changed)
{
	const struct config *config = feed->ingest->config;
	long long interval = feed->interval_ms, hinted = 0;

	feed->unchanged_polls = changed ? 0 : feed->unchanged_polls + 1;
	if (config->adaptive && feed->unchanged_polls > 0) {
		double factor = 1.0;
		for (int i = 0; i < feed->unchanged_polls && factor < 4.0; i++)
			factor *= 1.25;
		hinted = (long long)(interval * (factor < 4.0 ? factor : 4.0));
	}
	if (result->max_age_seconds > 0 && result->max_age_seconds * 1000LL > hinted)
		hinted = result->max_age_seconds * 1000LL;
	if (meta != NULL && meta->ttl_minutes > 0 && meta->ttl_minutes * 60000LL > hinted)
		hinted = meta->ttl_minutes * 60000LL;
	if (meta != NULL && meta->update_period_seconds > 0 &&
	    meta->update_period_seconds * 1000LL > hinted)
		hinted = meta->update_period_seconds * 1000LL;
	if (hinted > interval)
		interval = hinted < config->max_interval_ms ? hinted : config->max_interval_ms;
	if (interval < feed->interval_ms)
		interval = feed->interval_ms;
	if (interval < config->min_interval_ms)
		interval = config->min_interval_ms;
	return jitter(interval, 10);
}

/* After a failure: exponential backoff with jitter, capped; Retry-After is a floor. */
static long long
backoff_delay(struct feed *feed, const struct fetch_result *result)
{
	const struct config *config = feed->ingest->config;
	int exponent = feed->record.failures < 16 ? feed->record.failures : 16;
	long long delay = feed->interval_ms << (exponent > 0 ? exponent - 1 : 0);

	if (delay > config->max_backoff_ms)
		delay = config->max_backoff_ms;
	delay = jitter(delay, 20);
	if (result->retry_after_seconds >= 0 && result->retry_after_seconds * 1000LL > delay)
		delay = result->retry_after_seconds * 1000LL;
	return delay;
}

/* A feed that had failed works again: say so once, and persist the reset count. */
static void
feed_recovered(struct feed *feed, const char *complaint_kind)
{
	char key[600];

	snprintf(key, sizeof key, "%s %s", complaint_kind, feed->url);
	log_complain_clear(key, "fetch", "feed.recovered");
	if (feed->record.failures == 0)
		return;
	feed->record.failures = 0;
	feed_save_health(feed);
}

static void
handle_body(struct feed *feed, struct fetch_result *result)
{
	struct batch *batch = xcalloc(1, sizeof *batch);
	struct feed_meta meta = { 0 };
	char error[256] = "";
	int parsed;

	batch->feed = feed;
	batch->now = time(NULL);
	batch->etag = result->etag ? xstrdup(result->etag) : NULL;
	batch->last_modified = result->last_modified ? xstrdup(result->last_modified) : NULL;
	batch->status = result->status;
	batch->bytes = result->body_length;
	batch->elapsed_ms = result->elapsed_ms;
	parsed = feed_parse(result->body, result->body_length, feed->url, result->content_type,
	    &meta, on_item, batch, error, sizeof error);
	if (parsed < 0) {
		char key[600];
		snprintf(key, sizeof key, "parse %s", feed->url);
		feed->record.failures++;
		feed->ingest->feed_failures++;
		feed->stats.parse_errors++;
		snprintf(feed->stats.last_error, sizeof feed->stats.last_error, "parse: %.180s",
		    error);
		log_complain(key, "parse", "feed.invalid", "feed=%s url=%s error=%s",
		    log_quote(feed->label), log_quote(feed->url), log_quote(error));
		feed_save_health(feed);
		batch->failed_items++;	/* keep the old validators */
	} else {
		feed_recovered(feed, "parse");
		snprintf(batch->format, sizeof batch->format, "%s",
		    meta.format ? meta.format : "-");
		batch->parsed_whole = 1;
		if (batch->in_pipeline == 0)
			log_fetched(batch);
	}
	schedule_next(feed, parsed < 0 ? backoff_delay(feed, result) :
	    next_interval(feed, result, &meta, batch->new_items > 0));
	feed_meta_free(&meta);
	batch->all_sent = 1;
	batch->pending_items++;		/* release the batch through the common path */
	batch_item_done(batch, 0);
}

static void
handle_redirect(struct feed *feed, const struct fetch_result *result)
{
	/* Move only when the new URL answered: a redirect into a failure moves nothing. */
	if (!result->permanent_redirect || result->effective_url == NULL ||
	    (result->outcome != FETCH_OK && result->outcome != FETCH_NOT_MODIFIED) ||
	    strcmp(result->effective_url, feed->url) == 0)
		return;
	log_event(LOG_LEVEL_WARNING, "fetch", "feed.moved", "feed=%s from=%s to=%s",
	    log_quote(feed->label), log_quote(feed->url), log_quote(result->effective_url));
	free(feed->url);
	feed->url = xstrdup(result->effective_url);
	feed_save_health(feed);
}

#define NETWORK_DOWN_FAILURES	12	/* failures in a row, across at least 3 hosts */

static int
is_network_outcome(enum fetch_outcome outcome)
{
	return outcome == FETCH_DNS || outcome == FETCH_CONNECT || outcome == FETCH_TIMEOUT;
}

/*
 * Track whether our own network is down: NETWORK_DOWN_FAILURES fetches in a row ending in DNS,
 * connect or timeout errors, on at least three different hosts, and no success among them.
 * Returns 1 while it is down (the failure is then not the feed's fault).
 */
static int
network_failure(struct ingest *ingest, struct feed *feed, const struct fetch_result *result)
{
	struct host **seen = ingest->network_failure_hosts;

	if (!is_network_outcome(result->outcome)) {
		ingest->network_failures_in_row = 0;
		return 0;
	}
	if (ingest->network_failures_in_row++ == 0)
		seen[0] = seen[1] = seen[2] = NULL;
	for (int i = 0; i < 3; i++) {
		if (seen[i] == feed->host)
			break;
		if (seen[i] == NULL) {
			seen[i] = feed->host;
			break;
		}
	}
	if (!ingest->network_down && ingest->network_failures_in_row >= NETWORK_DOWN_FAILURES &&
	    seen[2] != NULL) {
		ingest->network_down = 1;
		log_event(LOG_LEVEL_ERROR, "ingest", "network.down",
		    "failures_in_row=%d last_error=%s note=\"feeds keep their schedule and are not "
		    "counted as failing until a fetch succeeds\"", ingest->network_failures_in_row,
		    log_quote(result->error));
	}
	return ingest->network_down;
}

/* Any fetch that reached a server ends a network outage. */
static void
network_success(struct ingest *ingest)
{
	ingest->network_failures_in_row = 0;
	if (ingest->network_down) {
		ingest->network_down = 0;
		log_event(LOG_LEVEL_INFO, "ingest", "network.up", "note=\"a fetch succeeded\"");
	}
}

static void
handle_failure(struct feed *feed, const struct fetch_result *result)
{
	struct ingest *ingest = feed->ingest;

	if (result->outcome == FETCH_GONE) {
		feed->record.disabled = 1;
		log_event(LOG_LEVEL_WARNING, "fetch", "feed.gone",
		    "feed=%s url=%s status=410 action=disabled", log_quote(feed->label),
		    log_quote(feed->url));
		feed_save_health(feed);
		poll_done(ingest);
		return;
	}
	char key[600];

	if (network_failure(ingest, feed, result)) {
		/* Our network, not the feed: keep its schedule and its failure count. */
		schedule_next(feed, jitter(feed->interval_ms, 10));
		poll_done(ingest);
		ingest->feed_failures++;
		return;
	}
	snprintf(key, sizeof key, "fetch %s", feed->url);
	feed->record.failures++;
	ingest->feed_failures++;
	log_complain(key, "fetch", "feed.failed",
	    "feed=%s url=%s reason=%s status=%ld failures=%d error=%s", log_quote(feed->label),
	    log_quote(feed->url), fetch_outcome_name(result->outcome), result->status,
	    feed->record.failures, log_quote(result->error));
	feed_save_health(feed);
	schedule_next(feed, backoff_delay(feed, result));
	poll_done(ingest);
}

static void
record_fetch(struct feed *feed, const struct fetch_result *result)
{
	struct ingest *ingest = feed->ingest;
	double seconds = result->elapsed_ms / 1000.0;
	int bucket = 0;

	feed->stats.fetches[result->outcome]++;
	feed->stats.last_attempt = time(NULL);
	feed->stats.last_status = result->status;
	if (result->outcome == FETCH_OK || result->outcome == FETCH_NOT_MODIFIED)
		feed->stats.last_success = feed->stats.last_attempt;
	else
		snprintf(feed->stats.last_error, sizeof feed->stats.last_error, "%s: %.160s",
		    fetch_outcome_name(result->outcome), result->error);
	while (bucket < FETCH_DURATION_BUCKETS && seconds > fetch_duration_bounds[bucket])
		bucket++;
	ingest->fetch_duration_buckets[bucket]++;
	ingest->fetch_duration_sum += seconds;
	ingest->fetch_duration_count++;
}

static void
fetch_done(struct fetch_result *result, void *context)
{
	struct feed *feed = context;
	struct ingest *ingest = feed->ingest;

	feed->fetch = NULL;
	feed->host->active--;
	ingest->active_fetches--;
	feed->polls++;
	record_fetch(feed, result);
	handle_redirect(feed, result);
	if (!is_network_outcome(result->outcome))
		network_success(ingest);
	if (result->outcome == FETCH_OK) {
		feed_recovered(feed, "fetch");
		handle_body(feed, result);
	} else if (result->outcome == FETCH_NOT_MODIFIED) {
		feed_recovered(feed, "fetch");
		if (log_enabled(LOG_LEVEL_DEBUG, "fetch"))
			log_event(LOG_LEVEL_DEBUG, "fetch", "feed.not_modified", "feed=%s ms=%ld",
			    log_quote(feed->label), result->elapsed_ms);
		schedule_next(feed, next_interval(feed, result, NULL, 0));
		poll_done(ingest);
	} else
		handle_failure(feed, result);
	fetch_result_free(result);
	if (feed->host->waiting_head != NULL && !feed->host->in_ready_list) {
		feed->host->in_ready_list = 1;
		if (ingest->ready_tail)
			ingest->ready_tail->next_ready = feed->host;
		else
			ingest->ready_head = feed->host;
		ingest->ready_tail = feed->host;
	}
	dispatch(ingest);
}

static void
start_fetch(struct feed *feed)
{
	struct ingest *ingest = feed->ingest;
	struct fetch_request request = {
		.url = feed->url,
		.etag = feed->record.etag,
		.last_modified = feed->record.last_modified,
		.headers = &feed->config->headers,
		.user_agent = feed->config->user_agent,
		.config = ingest->config,
	};

	feed->host->active++;
	ingest->active_fetches++;
	if (log_enabled(LOG_LEVEL_DEBUG, "fetch"))
		log_event(LOG_LEVEL_DEBUG, "fetch", "feed.fetching", "feed=%s url=%s "
		    "host_active=%d active=%d", log_quote(feed->label), log_quote(feed->url),
		    feed->host->active, ingest->active_fetches);
	if ((feed->fetch = fetch_start(ingest->loop, &request, fetch_done, feed)) == NULL) {
		feed->host->active--;
		ingest->active_fetches--;
		schedule_next(feed, backoff_delay(feed, &(struct fetch_result){
		    .retry_after_seconds = -1 }));
	}
}

static struct host *
ready_pop(struct ingest *ingest)
{
	struct host *host = ingest->ready_head;

	if (host == NULL)
		return NULL;
	ingest->ready_head = host->next_ready;
	if (ingest->ready_head == NULL)
		ingest->ready_tail = NULL;
	host->next_ready = NULL;
	host->in_ready_list = 0;
	return host;
}

static void
ready_push(struct ingest *ingest, struct host *host)
{
	if (host->in_ready_list)
		return;
	host->in_ready_list = 1;
	if (ingest->ready_tail)
		ingest->ready_tail->next_ready = host;
	else
		ingest->ready_head = host;
	ingest->ready_tail = host;
}

/* Start waiting fetches while the global, per-host and backpressure limits allow. */
static void
dispatch(struct ingest *ingest)
{
	const struct config *config = ingest->config;
	struct host *host;
	size_t rounds = 0, limit = ingest->feed_count + 1;

	while (!ingest->draining && !ingest->backpressure &&
	    ingest->active_fetches < config->max_connections && rounds++ < limit &&
	    (host = ready_pop(ingest)) != NULL) {
		if (host->active >= config->max_host_connections || host->waiting_head == NULL)
			continue;	/* re-queued by fetch_done when its fetch finishes */
		struct feed *feed = host->waiting_head;
		host->waiting_head = feed->next_waiting;
		if (host->waiting_head == NULL)
			host->waiting_tail = NULL;
		feed->next_waiting = NULL;
		feed->waiting = 0;
		start_fetch(feed);
		if (host->waiting_head != NULL)
			ready_push(ingest, host);
	}
}

static void
on_feed_timer(evutil_socket_t fd, short what, void *context)
{
	struct feed *feed = context;
	struct host *host = feed->host;

	if (feed->record.disabled || feed->ingest->draining || feed->fetch != NULL ||
	    feed->waiting)
		return;
	feed->waiting = 1;
	if (host->waiting_tail)
		host->waiting_tail->next_waiting = feed;
	else
		host->waiting_head = feed;
	host->waiting_tail = feed;
	ready_push(feed->ingest, host);
	dispatch(feed->ingest);
}

static void
schedule_next(struct feed *feed, long long delay_ms)
{
	struct timeval delay = { delay_ms / 1000, (delay_ms % 1000) * 1000 };

	if (feed->ingest->options.once || feed->record.disabled || feed->removed)
		return;
	evtimer_add(feed->timer, &delay);
}

/* ---- housekeeping: producer health, backpressure, the periodic summary ---- */

/* librdkafka reported a fatal error: spool what it holds, start a fresh producer. */
static void
restart_producer(struct ingest *ingest)
{
	char error[512];
	struct publisher *fresh;

	publisher_purge(ingest->publisher);	/* the purged reports spool their messages */
	if ((fresh = publisher_open(ingest->config, ingest->base, on_delivery, ingest, error,
	    sizeof error)) == NULL) {
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
	    "spool_bytes=%lld dedup_entries=%zu", ingest->feed_count, ok, failing, disabled,
	    (double)(ingest->delivered_articles - ingest->summary_articles) * 60000.0 / minutes_ms,
	    (double)(ingest->delivered_duplicates - ingest->summary_duplicates) * 60000.0 /
	    minutes_ms, workers_pending(ingest->workers), publisher_outstanding(ingest->publisher),
	    spool_rows(ingest->spool), spool_bytes(ingest->spool),
	    pipeline_dedup_size(ingest->pipeline));
	notify_status("%zu feeds (%zu failing), %lld articles, %lld duplicates, spool %lld",
	    ingest->feed_count, failing, ingest->delivered_articles, ingest->delivered_duplicates,
	    spool_rows(ingest->spool));
	ingest->summary_articles = ingest->delivered_articles;
	ingest->summary_duplicates = ingest->delivered_duplicates;
}

static void
on_housekeeping(evutil_socket_t fd, short what, void *context)
{
	struct ingest *ingest = context;

	if (publisher_failed(ingest->publisher) && !ingest->draining)
		restart_producer(ingest);
	update_backpressure(ingest);
	if (ingest->config->summary_interval_ms > 0 && monotonic_ms() >= ingest->next_summary_ms) {
		log_summary(ingest);
		ingest->next_summary_ms = monotonic_ms() + ingest->config->summary_interval_ms;
	}
}

/* ---- start-up and shutdown ---- */

static struct feed *
feed_new(struct ingest *ingest, const struct feed_config *config)
{
	struct feed *feed = xcalloc(1, sizeof *feed);

	feed->ingest = ingest;
	feed->config = config;
	feed->label = config->name ? config->name : config->url;
	feed->interval_ms = config->interval_ms ? config->interval_ms : ingest->config->interval_ms;
	if (state_feed_load(ingest->state, config->url, &feed->record) < 0)
		log_event(LOG_LEVEL_WARNING, "state", "feed.state_unreadable", "feed=%s",
		    log_quote(feed->label));
	feed->url = xstrdup(feed->record.current_url ? feed->record.current_url : config->url);
	feed->host = host_for(ingest, feed->url);
	feed->timer = evtimer_new(ingest->base, on_feed_timer, feed);
	return feed;
}

/*
 * Every topic we may publish to must exist or be creatable: a topic the broker refuses is a
 * start-up error, not a silent loss. An unreachable broker is not (the spool takes over); the
 * daemon is then not ready until a delivery succeeds.
 */
static int
check_topics(struct ingest *ingest, char *error, size_t error_size)
{
	const struct config *config = ingest->config;
	struct strlist topics = { 0 };
	int result = 0;

	strlist_add_unique(&topics, config->topic_articles);
	strlist_add_unique(&topics, config->topic_duplicates);
	for (size_t i = 0; i < config->route_count; i++)
		strlist_add_unique(&topics, config->routes[i].topic);
	ingest->ready = 1;
	for (size_t i = 0; i < topics.count && result >= 0; i++) {
		int found = publisher_check_topic(ingest->publisher, topics.items[i], 3000, error,
		    error_size);
		if (found < 0)
			result = -1;
		else if (found > 0) {
			ingest->ready = 0;
			snprintf(ingest->not_ready_reason, sizeof ingest->not_ready_reason,
			    "kafka %s", error);
			log_event(LOG_LEVEL_WARNING, "kafka", "kafka.unreachable",
			    "error=%s action=spool-until-it-answers", log_quote(error));
			break;
		}
	}
	strlist_clear(&topics);
	return result;
}

/* The dedup entries of delivered articles first, then their seen marks: see dedup/store.c. */
static void
on_state_commit(evutil_socket_t fd, short what, void *context)
{
	struct ingest *ingest = context;

	pipeline_flush(ingest->pipeline);
	state_commit(ingest->state);
}

/* A state write opened a transaction: commit it shortly, with whatever joins it meanwhile. */
static void
state_commit_soon(void *context)
{
	struct ingest *ingest = context;
	struct timeval delay = { 0, STATE_COMMIT_DELAY_MS * 1000 };

	if (!evtimer_pending(ingest->state_commit_timer, NULL))
		evtimer_add(ingest->state_commit_timer, &delay);
}

struct ingest *
ingest_new(struct config *config, struct event_base *base, const struct ingest_options *options,
    char *error, size_t error_size)
{
	struct ingest *ingest = xcalloc(1, sizeof *ingest);
	long removed;

	ingest->config = config;
	ingest->options = *options;
	ingest->base = base;
	srandom((unsigned)(now_ms() ^ getpid()));
	if ((ingest->state = state_open(config->state_dir, error, error_size)) == NULL)
		goto fail;
	ingest->state_commit_timer = evtimer_new(base, on_state_commit, ingest);
	state_set_commit_hook(ingest->state, state_commit_soon, ingest);
	if ((removed = state_expire_seen(ingest->state, time(NULL) - SEEN_RETENTION_SECONDS)) > 0)
		log_event(LOG_LEVEL_INFO, "state", "seen.expired", "removed=%ld", removed);
	if ((ingest->pipeline = pipeline_open(config, PIPELINE_DAEMON, error, error_size)) == NULL)
		goto fail;
	if ((ingest->workers = workers_new(base, workers_configured(config), config, on_prepared,
	    ingest, error, error_size)) == NULL)
		goto fail;
	ingest->spool = spool_new(ingest->state, base, config->spool_max_size);
	if ((ingest->publisher = publisher_open(config, base, on_delivery, ingest, error,
	    error_size)) == NULL)
		goto fail;
	spool_set_publisher(ingest->spool, ingest->publisher);
	if (check_topics(ingest, error, error_size) < 0)
		goto fail;
	ingest->housekeeping = event_new(base, -1, EV_PERSIST, on_housekeeping, ingest);
	event_add(ingest->housekeeping, &(struct timeval){ 1, 0 });
	ingest->next_summary_ms = monotonic_ms() + config->summary_interval_ms;
	ingest->loop = loop_new(base, config->max_host_connections);
	ingest->feeds = xcalloc(config->feed_count, sizeof *ingest->feeds);
	ingest->feed_count = config->feed_count;
	for (size_t i = 0; i < config->feed_count; i++)
		ingest->feeds[i] = feed_new(ingest, &config->feeds[i]);
	return ingest;
fail:
	ingest_free(ingest);
	return NULL;
}

void
ingest_start(struct ingest *ingest)
{
	size_t disabled = 0;

	log_event(LOG_LEVEL_INFO, "ingest", "daemon.started",
	    "feeds=%zu hosts_limit=%ld connections_limit=%ld kafka=%s embedded_broker=%s "
	    "dedup_entries=%zu", ingest->feed_count, ingest->config->max_host_connections,
	    ingest->config->max_connections, log_quote(publisher_bootstrap(ingest->publisher)),
	    publisher_is_embedded(ingest->publisher) ? "yes" : "no",
	    pipeline_dedup_size(ingest->pipeline));
	for (size_t i = 0; i < ingest->feed_count; i++) {
		struct feed *feed = ingest->feeds[i];
		long long first = ingest->options.once ? 0 :
		    (long long)(random() % (feed->interval_ms / 10 < 2000 ?
		    feed->interval_ms / 10 + 1 : 2000));
		struct timeval delay = { first / 1000, (first % 1000) * 1000 };

		if (feed->record.disabled) {
			disabled++;
			poll_done(ingest);
			continue;
		}
		evtimer_add(feed->timer, &delay);
	}
	if (disabled > 0)
		log_event(LOG_LEVEL_WARNING, "ingest", "feeds.disabled", "count=%zu reason=gone",
		    disabled);
	if (ingest->options.once)
		watch_once(ingest);
}

static int
ingest_idle(const struct ingest *ingest)
{
	return ingest->active_fetches == 0 && workers_pending(ingest->workers) == 0 &&
	    publisher_outstanding(ingest->publisher) == 0;
}

static void
on_drain_timer(evutil_socket_t fd, short what, void *context)
{
	struct ingest *ingest = context;

	if (ingest->options.once && !ingest->draining) {
		if (ingest->feeds_done >= ingest->feed_count && ingest_idle(ingest) &&
		    (spool_rows(ingest->spool) == 0 || ingest->once_spool_checks++ > 250))
			event_base_loopexit(ingest->base, NULL);
		return;
	}
	if (ingest_idle(ingest) || monotonic_ms() >= ingest->drain_deadline_ms)
		event_base_loopexit(ingest->base, NULL);
}

void
ingest_drain(struct ingest *ingest, long long deadline_ms)
{
	struct timeval every = { 0, 50000 };

	if (ingest->draining)
		return;
	ingest->draining = 1;
	ingest->drain_deadline_ms = deadline_ms;
	spool_stop(ingest->spool);
	for (size_t i = 0; i < ingest->feed_count; i++)
		evtimer_del(ingest->feeds[i]->timer);
	log_event(LOG_LEVEL_INFO, "ingest", "daemon.draining", "fetches=%d outstanding=%d",
	    ingest->active_fetches, publisher_outstanding(ingest->publisher));
	if (ingest->drain_timer == NULL) {
		ingest->drain_timer = event_new(ingest->base, -1, EV_PERSIST, on_drain_timer, ingest);
		event_add(ingest->drain_timer, &every);
	}
}

/* --once: watch for the end of the single round. */
static void
watch_once(struct ingest *ingest)
{
	struct timeval every = { 0, 20000 };

	ingest->drain_timer = event_new(ingest->base, -1, EV_PERSIST, on_drain_timer, ingest);
	event_add(ingest->drain_timer, &every);
}

int
ingest_remaining_ms(const struct ingest *ingest, long long full_ms)
{
	long long left = ingest->draining ? ingest->drain_deadline_ms - monotonic_ms() : full_ms;

	return left > 0 ? (int)left : 0;
}

int
ingest_finish(struct ingest *ingest, int timeout_ms)
{
	long long spooled_before = ingest->spooled_articles;
	int left;

	for (size_t i = 0; i < ingest->feed_count; i++) {
		if (ingest->feeds[i]->fetch != NULL) {
			fetch_cancel(ingest->loop, ingest->feeds[i]->fetch);
			ingest->feeds[i]->fetch = NULL;
		}
	}
	spool_stop(ingest->spool);
	publisher_flush(ingest->publisher, timeout_ms);
	if (publisher_outstanding(ingest->publisher) > 0) {
		/* Past the deadline: what Kafka has not acknowledged goes to the spool. */
		publisher_purge(ingest->publisher);
	}
	left = publisher_outstanding(ingest->publisher);
	log_event(left ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "ingest", "daemon.stopped",
	    "undelivered=%d spooled_at_stop=%lld spool_rows=%lld", left,
	    ingest->spooled_articles - spooled_before, spool_rows(ingest->spool));
	return left;
}

int
ingest_exit_status(const struct ingest *ingest)
{
	/* An article spooled on the way counts as delivered once the spool is empty again. */
	return ingest->feed_failures == 0 && ingest->delivery_failures == 0 &&
	    spool_rows(ingest->spool) == 0 &&
	    publisher_outstanding(ingest->publisher) == 0 ? 0 : 1;
}

/* ---- reload (SIGHUP) ---- */

static void
host_queue_remove(struct host *host, struct feed *feed)
{
	struct feed **link = &host->waiting_head;

	host->waiting_tail = NULL;
	while (*link != NULL) {
		if (*link == feed)
			*link = feed->next_waiting;
		else {
			host->waiting_tail = *link;
			link = &(*link)->next_waiting;
		}
	}
	feed->next_waiting = NULL;
	feed->waiting = 0;
}

static void
feed_retire(struct ingest *ingest, struct feed *feed)
{
	feed->removed = 1;
	evtimer_del(feed->timer);
	if (feed->waiting)
		host_queue_remove(feed->host, feed);
	if (feed->fetch != NULL) {
		fetch_cancel(ingest->loop, feed->fetch);
		feed->fetch = NULL;
		feed->host->active--;
		ingest->active_fetches--;
	}
	ingest->retired = xrealloc(ingest->retired, (ingest->retired_count + 1) *
	    sizeof *ingest->retired);
	ingest->retired[ingest->retired_count++] = feed;
}

static struct feed *
take_feed(struct ingest *ingest, const char *url)
{
	for (size_t i = 0; i < ingest->feed_count; i++) {
		struct feed *feed = ingest->feeds[i];
		if (feed != NULL && strcmp(feed->config->url, url) == 0) {
			ingest->feeds[i] = NULL;
			return feed;
		}
	}
	return NULL;
}

/* `wiresift enable-feed` cleared a disabled feed's mark in the state database: poll it again. */
static void
feed_reenable_if_cleared(struct ingest *ingest, struct feed *feed)
{
	struct feed_record stored;
	struct timeval soon = { 0, random() % 1000000 };

	if (!feed->record.disabled || state_feed_load(ingest->state, feed->config->url,
	    &stored) < 0)
		return;
	if (!stored.disabled) {
		feed->record.disabled = 0;
		feed->record.failures = 0;
		log_event(LOG_LEVEL_INFO, "fetch", "feed.enabled", "feed=%s url=%s",
		    log_quote(feed->label), log_quote(feed->url));
		evtimer_add(feed->timer, &soon);
	}
	feed_record_clear(&stored);
}

/* Settings a reload cannot change in a running daemon: warn that they wait for a restart. */
static void
warn_restart_needed(const struct config *running, const struct config *fresh)
{
	struct buffer what = { 0 };
	int plugins_differ = running->plugin_count != fresh->plugin_count;

	for (size_t i = 0; !plugins_differ && i < running->plugin_count; i++)
		plugins_differ = strcmp(running->plugins[i].name, fresh->plugins[i].name) != 0;
	if (strcmp(running->bootstrap_servers, fresh->bootstrap_servers) != 0 ||
	    running->kafka_setting_count != fresh->kafka_setting_count)
		buffer_append_string(&what, "kafka,");
	if (strcmp(running->state_dir, fresh->state_dir) != 0)
		buffer_append_string(&what, "state_dir,");
	if (plugins_differ)
		buffer_append_string(&what, "plugins,");
	if (running->workers != fresh->workers)
		buffer_append_string(&what, "workers,");
	if (running->dedup.shingle_size != fresh->dedup.shingle_size ||
	    running->dedup.signature_size != fresh->dedup.signature_size ||
	    running->dedup.bands != fresh->dedup.bands)
		buffer_append_string(&what, "dedup,");
	if (what.length > 0) {
		what.data[what.length - 1] = '\0';
		log_event(LOG_LEVEL_WARNING, "main", "reload.restart_needed", "changed=%s "
		    "note=\"these settings apply at the next start\"", what.data);
	}
	buffer_free(&what);
}

void
ingest_reload(struct ingest *ingest, struct config *fresh)
{
	struct feed **feeds = xcalloc(fresh->feed_count ? fresh->feed_count : 1, sizeof *feeds);
	size_t added = 0, kept = 0, removed = 0;

	warn_restart_needed(ingest->config, fresh);
	for (size_t i = 0; i < fresh->feed_count; i++) {
		struct feed *feed = take_feed(ingest, fresh->feeds[i].url);
		if (feed != NULL) {
			feed_reenable_if_cleared(ingest, feed);
			feed->config = &fresh->feeds[i];
			feed->label = feed->config->name ? feed->config->name : feed->config->url;
			feed->interval_ms = feed->config->interval_ms ? feed->config->interval_ms :
			    fresh->interval_ms;
			kept++;
		} else {
			feed = feed_new(ingest, &fresh->feeds[i]);
			struct timeval soon = { 0, random() % 1000000 };
			if (!feed->record.disabled)
				evtimer_add(feed->timer, &soon);
			added++;
		}
		feeds[i] = feed;
	}
	for (size_t i = 0; i < ingest->feed_count; i++) {
		if (ingest->feeds[i] != NULL) {
			feed_retire(ingest, ingest->feeds[i]);
			removed++;
		}
	}
	free(ingest->feeds);
	ingest->feeds = feeds;
	ingest->feed_count = fresh->feed_count;
	/* The old configuration stays allocated: retired feeds and the running publisher,
	 * plugins and dedup index were built from it. */
	ingest->old_configs = xrealloc(ingest->old_configs, (ingest->old_config_count + 1) *
	    sizeof *ingest->old_configs);
	ingest->old_configs[ingest->old_config_count++] = ingest->config;
	ingest->config = fresh;
	pipeline_set_config(ingest->pipeline, fresh);
	log_set_level(fresh->log_level);
	log_set_component_levels(fresh->log_levels);
	log_event(LOG_LEVEL_INFO, "main", "reload.applied", "feeds=%zu added=%zu removed=%zu "
	    "kept=%zu", fresh->feed_count, added, removed, kept);
	dispatch(ingest);
}

static void
feed_free(struct feed *feed)
{
	if (feed->fetch != NULL)
		fetch_cancel(feed->ingest->loop, feed->fetch);
	event_free(feed->timer);
	feed_record_clear(&feed->record);
	string_set_clear(&feed->in_flight);
	free(feed->url);
	free(feed);
}

void
ingest_free(struct ingest *ingest)
{
	struct host *host, *next;

	if (ingest == NULL)
		return;
	workers_free(ingest->workers);	/* first: no thread may outlive what it uses */
	for (size_t i = 0; i < ingest->feed_count; i++)
		feed_free(ingest->feeds[i]);
	free(ingest->feeds);
	for (size_t i = 0; i < ingest->retired_count; i++)
		feed_free(ingest->retired[i]);
	free(ingest->retired);
	if (ingest->drain_timer)
		event_free(ingest->drain_timer);
	if (ingest->housekeeping)
		event_free(ingest->housekeeping);
	/* Destroying the producer may still report (failed) deliveries: keep state open. */
	publisher_close(ingest->publisher);
	spool_free(ingest->spool);
	loop_free(ingest->loop);
	pipeline_close(ingest->pipeline);
	state_close(ingest->state);
	if (ingest->state_commit_timer)
		event_free(ingest->state_commit_timer);
	for (host = ingest->hosts; host != NULL; host = next) {
		next = host->next;
		free(host->name);
		free(host);
	}
	for (size_t i = 0; i < ingest->old_config_count; i++)
		config_free(ingest->old_configs[i]);
	free(ingest->old_configs);
	config_free(ingest->config);
	free(ingest);
}
