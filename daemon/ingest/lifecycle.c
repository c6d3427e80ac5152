/*
 * lifecycle.c - the running daemon's life: ingest_new() locks state_dir (state_lock.h: one
 * daemon per state_dir) and opens state, pipeline, workers, spool
 * and producer, has the topics checked (topics.c: on a thread, while the first feeds are
 * fetched) and builds one record per feed; ingest_start() arms the feed timers; drain,
 * finish and free take it down in order (the state database closed on a thread while the
 * pipeline's memory is freed). Also --once's end-of-round watch.
 *
 * Life of a poll: a feed's timer fires -> it joins its host's wait queue -> ingest_dispatch()
 * starts it when the host and the global limits allow (schedule.c) -> feed_handle_fetch()
 * parses the body once the workers have room (outcome.c) and sends each new item through the
 * pipeline to the publisher (items.c) -> ingest_on_delivery() (librdkafka's report, on the
 * loop thread; delivery.c) marks the item seen once all its messages are acknowledged -> when
 * every item of the poll is delivered, the feed's new ETag/Last-Modified are committed. A
 * failed delivery leaves the item unseen and the validators unchanged, so the next poll
 * fetches and sends it again.
 */
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "fetch.h"
#include "ingest/ingest_internal.h"
#include "log.h"
#include "loop.h"
#include "pipeline.h"
#include "publish.h"
#include "spool.h"
#include "state.h"
#include "state_lock.h"
#include "story/story.h"
#include "util.h"
#include "workers.h"

#define SEEN_RETENTION_SECONDS	(90L * 86400)
#define STATE_COMMIT_DELAY_MS	100	/* state writes are grouped into commits this often */
#define ONCE_TICK_MS		10	/* --once: the end of the round is looked for this often */
#define ONCE_SPOOL_WAIT_MS	5000	/* and the spool's replay waited for at most this long */
#define ONCE_SEND_NOW_MS	2000	/* the last messages sent past linger.ms for this long */

const double fetch_duration_bounds[FETCH_DURATION_BUCKETS] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

static void watch_once(struct ingest *ingest);

struct host *
ingest_host_for(struct ingest *ingest, const char *url)
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

/* --once: one more feed has had its one poll (its items delivered, or it failed). */
void
ingest_poll_done(struct ingest *ingest)
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

struct feed *
ingest_feed_new(struct ingest *ingest, const struct feed_config *config)
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
	feed->host = ingest_host_for(ingest, feed->url);
	feed->timer = evtimer_new(ingest->base, ingest_on_feed_timer, feed);
	return feed;
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

	ingest->state_lock = -1;
	ingest->config = config;
	ingest->options = *options;
	ingest->base = base;
	srandom((unsigned)(now_ms() ^ getpid()));
	/* One daemon per state_dir (and so per cluster transactional.id): state_lock.h. */
	if ((ingest->state_lock = state_lock_take(config->state_dir, error, error_size)) < 0)
		goto fail;
	if ((ingest->state = state_open(config->state_dir, error, error_size)) == NULL)
		goto fail;
	ingest->state_commit_timer = evtimer_new(base, on_state_commit, ingest);
	state_set_commit_hook(ingest->state, state_commit_soon, ingest);
	if ((removed = state_expire_seen(ingest->state, time(NULL) - SEEN_RETENTION_SECONDS,
	    time(NULL))) > 0)
		log_event(LOG_LEVEL_INFO, "state", "seen.expired", "removed=%ld", removed);
	state_expire_pages(ingest->state, time(NULL) - (time_t)(config->fulltext.cache_ms / 1000));
	if ((ingest->pipeline = pipeline_open(config, PIPELINE_DAEMON, error, error_size)) == NULL)
		goto fail;
	if (pipeline_stories(ingest->pipeline) != NULL)
		story_summaries_enable(pipeline_stories(ingest->pipeline), 1);
	if ((ingest->workers = workers_new(base, workers_configured(config), config,
	    ingest_on_prepared, ingest, error, error_size)) == NULL)
		goto fail;
	ingest->spool = spool_new(ingest->state, base, config->spool_max_size);
	if ((ingest->publisher = publisher_open(config, base, ingest_on_delivery, ingest, error,
	    error_size)) == NULL)
		goto fail;
	spool_set_publisher(ingest->spool, ingest->publisher);
	/* Cluster mode's transactions hold sends themselves: it checks before it starts. */
	if (ingest_topics_check(ingest, config->cluster.group == NULL, error, error_size) < 0)
		goto fail;
	ingest->housekeeping = event_new(base, -1, EV_PERSIST, ingest_on_housekeeping, ingest);
	event_add(ingest->housekeeping, &(struct timeval){ 1, 0 });
	ingest->next_summary_ms = monotonic_ms() + config->summary_interval_ms;
	ingest->loop = loop_new(base, config->max_host_connections,
	    config->max_connections);
	ingest->feeds = xcalloc(config->feed_count, sizeof *ingest->feeds);
	ingest->feed_count = config->feed_count;
	for (size_t i = 0; i < config->feed_count; i++)
		ingest->feeds[i] = ingest_feed_new(ingest, &config->feeds[i]);
	if (config->cluster.group != NULL) {
		if (options->once) {
			snprintf(error, error_size, "--once does not run in cluster mode ([cluster] "
			    "group): the group, not the instance, decides which feeds it polls");
			goto fail;
		}
		if (ingest_cluster_open(ingest, error, error_size) < 0)
			goto fail;
	}
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
	    "dedup_entries=%zu open_stories=%zu", ingest->feed_count,
	    ingest->config->max_host_connections, ingest->config->max_connections,
	    log_quote(publisher_bootstrap(ingest->publisher)),
	    publisher_is_embedded(ingest->publisher) ? "yes" : "no",
	    pipeline_dedup_size(ingest->pipeline), pipeline_story_count(ingest->pipeline));
	for (size_t i = 0; i < ingest->feed_count && ingest->cluster == NULL; i++) {
		struct feed *feed = ingest->feeds[i];
		long long first = ingest->options.once ? 0 :
		    (long long)(random() % (feed->interval_ms / 10 < 2000 ?
		    feed->interval_ms / 10 + 1 : 2000));
		struct timeval delay = { first / 1000, (first % 1000) * 1000 };

		if (feed->record.disabled) {
			disabled++;
			ingest_poll_done(ingest);
			continue;
		}
		evtimer_add(feed->timer, &delay);
	}
	if (disabled > 0)
		log_event(LOG_LEVEL_WARNING, "ingest", "feeds.disabled", "count=%zu reason=gone",
		    disabled);
	if (ingest->options.once)
		watch_once(ingest);
	ingest_topics_settle(ingest, 0);	/* checked already (cluster mode): ready */
}

/* Nothing fetched, parsed or prepared is left: only deliveries may be awaited. */
static int
ingest_work_done(const struct ingest *ingest)
{
	return !ingest_topics_pending(ingest) && ingest->active_fetches == 0 &&
	    ingest->pages_pending == 0 &&
	    ingest->waiting_bodies == 0 && workers_pending(ingest->workers) == 0 &&
	    ingest_cluster_parked(ingest) == 0;
}

/* --once: every feed has been fetched (or is disabled): no fetch is to come. */
static int
ingest_polls_done(struct ingest *ingest)
{
	while (ingest->once_polled < ingest->feed_count &&
	    (ingest->feeds[ingest->once_polled]->polls > 0 ||
	    ingest->feeds[ingest->once_polled]->record.disabled))
		ingest->once_polled++;
	return ingest->once_polled >= ingest->feed_count;
}

static int
ingest_idle(const struct ingest *ingest)
{
	return ingest_work_done(ingest) && publisher_outstanding(ingest->publisher) == 0;
}

static void
on_drain_timer(evutil_socket_t fd, short what, void *context)
{
	struct ingest *ingest = context;

	if (ingest->options.once && !ingest->draining) {
		/* The round's last messages go without waiting out linger.ms. */
		if (ingest_work_done(ingest) && ingest_polls_done(ingest))
			publisher_send_now(ingest->publisher, ONCE_SEND_NOW_MS);
		if (ingest->feeds_done >= ingest->feed_count && ingest_idle(ingest) &&
		    (spool_rows(ingest->spool) == 0 ||
		    ingest->once_spool_checks++ > ONCE_SPOOL_WAIT_MS / ONCE_TICK_MS))
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
	ingest_parse_waiting(ingest);	/* draining: drops the fetched bodies not yet parsed */
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
	struct timeval every = { 0, ONCE_TICK_MS * 1000 };

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

	ingest_topics_settle(ingest, 1);	/* what the producer holds goes, or is refused */
	for (size_t i = 0; i < ingest->feed_count; i++) {
		if (ingest->feeds[i]->fetch != NULL) {
			fetch_cancel(ingest->loop, ingest->feeds[i]->fetch);
			ingest->feeds[i]->fetch = NULL;
		}
	}
	spool_stop(ingest->spool);
	cluster_settle(ingest->cluster);	/* cluster mode: nothing stays held for a commit */
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
ingest_start_refused(const struct ingest *ingest)
{
	return ingest->start_refused;
}

int
ingest_exit_status(const struct ingest *ingest)
{
	/* An article spooled on the way counts as delivered once the spool is empty again. */
	return ingest->feed_failures == 0 && ingest->delivery_failures == 0 &&
	    spool_rows(ingest->spool) == 0 &&
	    publisher_outstanding(ingest->publisher) == 0 ? 0 : 1;
}

/* The feed's fetch under way, if any, ends unanswered: nothing of it is taken. 1 if one was. */
int
feed_fetch_cancel(struct feed *feed)
{
	struct ingest *ingest = feed->ingest;

	if (feed->fetch == NULL)
		return 0;
	fetch_cancel(ingest->loop, feed->fetch);
	feed->fetch = NULL;
	feed->host->active--;
	ingest->active_fetches--;
	return 1;
}

void
ingest_feed_free(struct feed *feed)
{
	if (feed->fetch != NULL)
		fetch_cancel(feed->ingest->loop, feed->fetch);
	event_free(feed->timer);
	feed_record_clear(&feed->record);
	string_set_clear(&feed->in_flight);
	free(feed->url);
	fetch_url_free(feed->parsed_url);
	free(feed);
}

static void *
state_close_main(void *argument)
{
	state_close(argument);
	return NULL;
}

/*
 * The dedup and story logs are made durable first, then the seen marks that rely on them
 * (state_close: the last commit, the checkpoint and its fsyncs) on a thread, while this one
 * frees the pipeline's memory: the two took 10-93 ms and ~60 ms one after the other.
 */
static void
close_pipeline_and_state(struct ingest *ingest)
{
	pthread_t thread;
	int threaded;

	pipeline_close_stores(ingest->pipeline);
	if (ingest->state != NULL)
		state_set_commit_hook(ingest->state, NULL, NULL);	/* the loop is gone */
	threaded = ingest->state != NULL &&
	    thread_start(&thread, state_close_main, ingest->state, "wiresift-close") == 0;
	pipeline_close(ingest->pipeline);
	if (threaded)
		pthread_join(thread, NULL);
	else
		state_close(ingest->state);
}

void
ingest_free(struct ingest *ingest)
{
	struct host *host, *next;

	if (ingest == NULL)
		return;
	workers_free(ingest->workers);	/* first: no thread may outlive what it uses */
	ingest_pages_free(ingest);
	cluster_close(ingest->cluster);	/* writes its feeds' last state, leaves the group */
	for (size_t i = 0; i < ingest->feed_count; i++)
		ingest_feed_free(ingest->feeds[i]);
	free(ingest->feeds);
	for (size_t i = 0; i < ingest->retired_count; i++)
		ingest_feed_free(ingest->retired[i]);
	free(ingest->retired);
	if (ingest->drain_timer)
		event_free(ingest->drain_timer);
	if (ingest->housekeeping)
		event_free(ingest->housekeeping);
	ingest_topics_free(ingest);	/* its thread may still ask the producer */
	/* Destroying the producer may still report (failed) deliveries: keep state open. */
	publisher_close(ingest->publisher);
	spool_free(ingest->spool);
	loop_free(ingest->loop);
	close_pipeline_and_state(ingest);
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
	state_lock_release(ingest->state_lock);	/* last: the state is closed */
	free(ingest);
}
