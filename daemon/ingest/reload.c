/*
 * reload.c - SIGHUP: a newly loaded configuration replaces the running one; added feeds
 * start, removed ones stop (retired, freed at exit), the others keep their state and in-flight
 * work; settings that need a restart are named in a warning.
 */
#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_internal.h"
#include "log.h"
#include "pipeline.h"
#include "state.h"
#include "util.h"

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
	feed_fetch_cancel(feed);
	ingest->retired = xrealloc(ingest->retired, (ingest->retired_count + 1) *
	    sizeof *ingest->retired);
	ingest->retired[ingest->retired_count++] = feed;
}

/* URL -> index in ingest->feeds of the running feeds (a feeds list names a URL once). */
static json_t *
feeds_by_url(const struct ingest *ingest)
{
	json_t *map = json_object();

	for (size_t i = 0; i < ingest->feed_count; i++)
		json_object_set_new_nocheck(map, ingest->feeds[i]->config->url,
		    json_integer((json_int_t)i));
	return map;
}

/*
 * The running feed of url, taken out of ingest->feeds, or NULL. Found in the map: a scan of
 * the list for each feed of the new one was quadratic, 0.1-0.2 s of the loop at 20,000 feeds
 * and seconds at 100,000 (tests/bench/cluster_scale.py).
 */
static struct feed *
take_feed(struct ingest *ingest, json_t *by_url, const char *url)
{
	json_t *at = json_object_get(by_url, url);
	size_t i;
	struct feed *feed;

	if (at == NULL)
		return NULL;
	i = (size_t)json_integer_value(at);
	feed = ingest->feeds[i];
	ingest->feeds[i] = NULL;
	json_object_del(by_url, url);
	return feed;
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

/*
 * A shorter interval applies at once: a feed whose timer waits out its old, longer interval
 * is polled within the new one instead (spread over it, as feeds with one interval are). A
 * failing feed keeps its backoff.
 */
static void
feed_poll_sooner(struct feed *feed, long long min_interval_ms)
{
	long long span = feed->interval_ms > min_interval_ms ? feed->interval_ms : min_interval_ms;

	if (feed->record.failures == 0)
		feed_poll_within(feed, random() % (span + 1));
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
	if (running->stories.enabled != fresh->stories.enabled ||
	    running->stories.window_seconds != fresh->stories.window_seconds)
		buffer_append_string(&what, "stories,");
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
	json_t *by_url = feeds_by_url(ingest);

	warn_restart_needed(ingest->config, fresh);
	for (size_t i = 0; i < fresh->feed_count; i++) {
		struct feed *feed = take_feed(ingest, by_url, fresh->feeds[i].url);
		if (feed != NULL) {
			long long was_ms = feed->interval_ms;
			feed_reenable_if_cleared(ingest, feed);
			feed->config = &fresh->feeds[i];
			feed->label = feed->config->name ? feed->config->name : feed->config->url;
			feed->interval_ms = feed->config->interval_ms ? feed->config->interval_ms :
			    fresh->interval_ms;
			if (feed->interval_ms < was_ms)
				feed_poll_sooner(feed, fresh->min_interval_ms);
			kept++;
		} else {
			feed = ingest_feed_new(ingest, &fresh->feeds[i]);
			struct timeval soon = { 0, random() % 1000000 };
			if (!feed->record.disabled && ingest->cluster == NULL)
				evtimer_add(feed->timer, &soon);
			added++;
		}
		feeds[i] = feed;
	}
	json_decref(by_url);
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
	if (ingest->cluster != NULL)
		ingest_cluster_feeds_changed(ingest);
	ingest_dispatch(ingest);
}
