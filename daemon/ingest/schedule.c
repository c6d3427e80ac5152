/*
 * schedule.c - fetch scheduling: each feed's timer, the per-host wait queues and the ready
 * list of hosts, ingest_dispatch() starting fetches within the global, per-host and
 * backpressure limits, and the next poll's delay (interval and hints, or backoff).
 */
#include <event2/event.h>
#include <stdlib.h>
#include <sys/time.h>

#include "feed/feed.h"
#include "fetch.h"
#include "ingest/ingest_internal.h"
#include "log.h"

long long
ingest_jitter(long long delay_ms, int percent)
{
	long long spread = delay_ms * percent / 100;

	if (spread <= 0)
		return delay_ms;
	return delay_ms - spread + (long long)(random() % (2 * spread + 1));
}

/*
 * The next poll after a successful one: the feed's interval, stretched (never shortened) by
 * what the feed says of itself (Cache-Control max-age, RSS <ttl>, sy:updatePeriod) and, when
 * [feeds] adaptive is on, by how long it has gone without a new item (x1.25 a quiet poll, up to
 * x4; the first new item resets it) - all up to max_interval, never below min_interval; then
 * jittered so feeds with one interval do not fire together.
 */
long long
feed_next_interval(struct feed *feed, const struct fetch_result *result,
    const struct feed_meta *meta, int changed)
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
	return ingest_jitter(interval, 10);
}

/* After a failure: exponential backoff with jitter, capped; Retry-After is a floor. */
long long
feed_backoff_delay(struct feed *feed, const struct fetch_result *result)
{
	const struct config *config = feed->ingest->config;
	int exponent = feed->record.failures < 16 ? feed->record.failures : 16;
	long long delay = feed->interval_ms << (exponent > 0 ? exponent - 1 : 0);

	if (delay > config->max_backoff_ms)
		delay = config->max_backoff_ms;
	delay = ingest_jitter(delay, 20);
	if (result->retry_after_seconds >= 0 && result->retry_after_seconds * 1000LL > delay)
		delay = result->retry_after_seconds * 1000LL;
	return delay;
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
	feed_handle_fetch(feed, result);
	fetch_result_free(result);
	ingest_host_ready(ingest, feed->host);
	ingest_dispatch(ingest);
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
		.defer_decoding = 1,	/* decoded when parsed: outcome.c */
		.parsed_url = &feed->parsed_url,
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
		feed_schedule_next(feed, feed_backoff_delay(feed, &(struct fetch_result){
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

void
ingest_host_ready(struct ingest *ingest, struct host *host)
{
	if (host->waiting_head != NULL)
		ready_push(ingest, host);
}

/*
 * Start waiting fetches while the global, per-host and backpressure limits allow and fewer
 * than WAITING_BODIES_MAX fetched bodies wait for the workers (outcome.c): the pages of items
 * already in flight first (neither draining nor backpressure holds them), then feeds.
 */
void
ingest_dispatch(struct ingest *ingest)
{
	const struct config *config = ingest->config;
	struct host *host;
	size_t rounds = 0, limit = ingest->feed_count + 1;

	ingest_pages_dispatch(ingest);
	while (!ingest->draining && !ingest->backpressure &&
	    ingest->waiting_bodies < WAITING_BODIES_MAX &&
	    ingest->active_fetches < config->max_connections && rounds++ < limit &&
	    (host = ready_pop(ingest)) != NULL) {
		if (host->active >= config->max_host_connections || host->waiting_head == NULL)
			continue;	/* re-queued when a fetch on it ends (ingest_host_ready) */
		struct feed *feed = host->waiting_head;
		host->waiting_head = feed->next_waiting;
		if (host->waiting_head == NULL)
			host->waiting_tail = NULL;
		feed->next_waiting = NULL;
		feed->waiting = 0;
		if (feed_may_poll(feed))	/* cluster mode: its partition may have moved */
			start_fetch(feed);
		if (host->waiting_head != NULL)
			ready_push(ingest, host);
	}
}

void
ingest_on_feed_timer(evutil_socket_t fd, short what, void *context)
{
	struct feed *feed = context;
	struct host *host = feed->host;

	if (feed->record.disabled || feed->ingest->draining || feed->fetch != NULL ||
	    feed->waiting || !feed_may_poll(feed))
		return;
	if (feed_poll_deferred(feed))
		return;
	feed->waiting = 1;
	if (host->waiting_tail)
		host->waiting_tail->next_waiting = feed;
	else
		host->waiting_head = feed;
	host->waiting_tail = feed;
	ready_push(feed->ingest, host);
	ingest_dispatch(feed->ingest);
}

void
feed_schedule_next(struct feed *feed, long long delay_ms)
{
	struct timeval delay = { delay_ms / 1000, (delay_ms % 1000) * 1000 };

	if (feed->ingest->options.once || feed->record.disabled || feed->removed ||
	    !feed_may_poll(feed))
		return;
	/* A timer counts from libevent's cached time, taken when this loop iteration began: after
	 * a long iteration (a burst of deliveries) the delay would end early, and a Retry-After
	 * would not be the floor it must be. Count from now. */
	event_base_update_cache_time(feed->ingest->base);
	evtimer_add(feed->timer, &delay);
	feed_cluster_note(feed);
}

/*
 * Brings a feed's next poll forward to within delay_ms when its timer waits longer (a reload
 * shortened its interval; a transaction aborted with its items). A feed fetching, queued or
 * deferred has no timer pending: its poll under way, or the one it waits for, comes first.
 */
void
feed_poll_within(struct feed *feed, long long delay_ms)
{
	struct timeval due, now;
	long long left_ms;

	if (!evtimer_pending(feed->timer, &due))
		return;
	gettimeofday(&now, NULL);	/* evtimer_pending gives the due time on this clock */
	left_ms = (due.tv_sec - now.tv_sec) * 1000LL + (due.tv_usec - now.tv_usec) / 1000;
	if (left_ms > delay_ms)
		feed_schedule_next(feed, delay_ms);
}
