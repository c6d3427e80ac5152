/*
 * outcome.c - what a finished feed fetch means: a body is parsed and its items sent on
 * (items.c) once the workers have room for them (until then it waits, as fetched: see
 * ingest_parse_waiting), a 304 keeps everything, a failure counts against the feed's health (backoff,
 * 410 disables) unless our own network is down, a permanent redirect moves the feed; the
 * fetch statistics of /metrics and /feeds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "content_decode.h"
#include "feed/feed.h"
#include "fetch.h"
#include "ingest/ingest_internal.h"
#include "log.h"
#include "spare.h"
#include "state.h"
#include "util.h"
#include "workers.h"

/*
 * A fetched body is parsed when the workers hold fewer than PARSE_AHEAD_PER_WORKER articles
 * per worker; until then it waits in ingest->waiting_bodies, in the order fetched. Parsed
 * articles are several times the size of their share of the body (fields, then text, tokens
 * and message on the workers), and a cold start fetches faster than the workers prepare: parsed
 * at once, 5,000-12,000 articles piled up before the workers (peak RSS 300-500 MB for 40,000
 * news-size items). ingest_dispatch() starts no fetch while WAITING_BODIES_MAX bodies wait.
 *
 * A body waits as it came, gzip or deflate still on (fetch.c's defer_decoding): it is decoded
 * when its turn to be parsed comes, and its buffer is given back (spare.h) once parsed, for
 * the next body. A cold start's fetches complete in waves of a hundred and more bodies,
 * which used to be inflated at once into as many fresh ~120 KB buffers, freed a wave later;
 * now each is inflated into the buffer the body before it was parsed from, still mapped and in
 * cache. Until it is decoded a fetch counts for nothing: one whose body does not decode (too
 * large once inflated, bad data) fails then as it would have failed when fetched (the same
 * reason and error, fetch.c's), and one that does is recorded, moves its feed and clears its
 * failures then. A body dropped unparsed (draining, feed removed, partition revoked) is not
 * decoded at all.
 */
#define PARSE_AHEAD_PER_WORKER	128

static void fetch_answered(struct feed *feed, const struct fetch_result *result);
static void fetch_settle(struct feed *feed, struct fetch_result *result);

struct waiting_body {
	struct waiting_body	*next;
	struct feed		*feed;
	struct fetch_result	 result;	/* the body and validators, moved here */
};

/* Persist a feed's health: failures, 410 mark, and its URL if a permanent redirect moved it. */
static void
feed_save_health(struct feed *feed)
{
	state_feed_save_health(feed->ingest->state, feed->config->url, feed->record.failures,
	    feed->record.disabled, strcmp(feed->url, feed->config->url) ? feed->url : NULL);
	feed_cluster_note(feed);
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

/* One line when the set of things the parser had to repair changes, not on every poll. */
static void
note_problems(struct feed *feed, unsigned problems)
{
	char names[512];

	if (problems == feed->stats.problems)
		return;
	feed->stats.problems = problems;
	feed_problem_names(problems, names, sizeof names);
	log_event(problems != 0 ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "parse", "feed.repaired",
	    "feed=%s problems=%s", log_quote(feed->label), problems != 0 ? log_quote(names) :
	    "none");
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
	    &meta, ingest_on_item, batch, error, sizeof error);
	note_problems(feed, meta.problems);
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
			batch_log_fetched(batch);
	}
	feed_schedule_next(feed, parsed < 0 ? feed_backoff_delay(feed, result) :
	    feed_next_interval(feed, result, &meta, batch->new_items > 0));
	feed_meta_free(&meta);
	batch->all_sent = 1;
	batch->pending_items++;		/* release the batch through the common path */
	batch_item_done(batch, 0);
}

/* A waiting body's Content-Encoding undone; else result says the failure, as fetch.c would. */
static int
body_decode(struct fetch_result *result)
{
	char error[sizeof result->error] = "";
	int status;

	status = content_decode(result->content_encoding, &result->body, &result->body_length,
	    result->max_size, error, sizeof error);
	free(result->content_encoding);
	result->content_encoding = NULL;
	if (status == 0)
		return 0;
	free(result->body);
	result->body = NULL;
	result->body_length = 0;
	result->outcome = status == -1 ? FETCH_TOO_LARGE : FETCH_OTHER;
	if (status == -1)
		snprintf(result->error, sizeof result->error, "response over %lld bytes",
		    result->max_size);
	else
		snprintf(result->error, sizeof result->error, "%s", error);
	return -1;
}

/* The fetched body joins the queue of bodies waiting to be parsed; result keeps nothing. */
static void
body_wait(struct feed *feed, struct fetch_result *result)
{
	struct ingest *ingest = feed->ingest;
	struct waiting_body *waiting = xcalloc(1, sizeof *waiting);

	waiting->feed = feed;
	waiting->result = *result;
	memset(result, 0, sizeof *result);
	if (ingest->waiting_tail != NULL)
		ingest->waiting_tail->next = waiting;
	else
		ingest->waiting_head = waiting;
	ingest->waiting_tail = waiting;
	ingest->waiting_bodies++;
}

static struct waiting_body *
body_next(struct ingest *ingest)
{
	struct waiting_body *waiting = ingest->waiting_head;

	if ((ingest->waiting_head = waiting->next) == NULL)
		ingest->waiting_tail = NULL;
	ingest->waiting_bodies--;
	return waiting;
}

/*
 * Parse waiting bodies, oldest first, while the workers have room for their items. Draining,
 * or for a feed a reload removed, the body is dropped unparsed: its items stay unseen and its
 * validators unchanged, so the next poll fetches them again. (Cluster mode drops a revoked
 * feed's bodies at the revoke: ingest_drop_waiting.)
 */
void
ingest_parse_waiting(struct ingest *ingest)
{
	size_t room = (size_t)workers_count(ingest->workers) * PARSE_AHEAD_PER_WORKER;
	int resume = ingest->waiting_bodies >= WAITING_BODIES_MAX;

	while (ingest->waiting_head != NULL && (ingest->draining ||
	    workers_pending(ingest->workers) < room)) {
		struct waiting_body *waiting = body_next(ingest);
		struct fetch_result *result = &waiting->result;

		if (ingest->draining || waiting->feed->removed)
			ingest_poll_done(ingest);
		else if (result->content_encoding == NULL)
			handle_body(waiting->feed, result);
		else if (body_decode(result) == 0) {
			fetch_answered(waiting->feed, result);
			handle_body(waiting->feed, result);
		} else
			fetch_settle(waiting->feed, result);	/* failed after all */
		spare_give(waiting->result.body);	/* for the next body (spare.h) */
		waiting->result.body = NULL;
		fetch_result_free(&waiting->result);
		free(waiting);
	}
	if (resume && ingest->waiting_bodies < WAITING_BODIES_MAX)
		ingest_dispatch(ingest);
}

size_t
ingest_drop_waiting(struct ingest *ingest, int (*drop)(struct feed *feed))
{
	struct waiting_body **link = &ingest->waiting_head, *waiting;
	size_t dropped = 0;

	ingest->waiting_tail = NULL;
	while ((waiting = *link) != NULL) {
		if (!drop(waiting->feed)) {
			ingest->waiting_tail = waiting;
			link = &waiting->next;
			continue;
		}
		*link = waiting->next;
		ingest->waiting_bodies--;
		spare_give(waiting->result.body);	/* as ingest_parse_waiting's */
		waiting->result.body = NULL;
		fetch_result_free(&waiting->result);
		free(waiting);
		ingest_poll_done(ingest);
		dropped++;
	}
	return dropped;
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
		ingest_poll_done(ingest);
		return;
	}
	char key[600];

	if (network_failure(ingest, feed, result)) {
		/* Our network, not the feed: keep its schedule and its failure count. */
		feed_schedule_next(feed, ingest_jitter(feed->interval_ms, 10));
		ingest_poll_done(ingest);
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
	feed_schedule_next(feed, feed_backoff_delay(feed, result));
	ingest_poll_done(ingest);
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

/* A fetch that gave a body (decoded): counted, its redirect followed, its feed healthy. */
static void
fetch_answered(struct feed *feed, const struct fetch_result *result)
{
	record_fetch(feed, result);
	handle_redirect(feed, result);
	feed_recovered(feed, "fetch");
}

/* What a finished fetch means for its feed: its items, its schedule, its health. */
void
feed_handle_fetch(struct feed *feed, struct fetch_result *result)
{
	if (!is_network_outcome(result->outcome))
		network_success(feed->ingest);
	if (result->outcome == FETCH_OK && result->content_encoding != NULL) {
		/* to be decoded when parsed: till then it counts for nothing */
		body_wait(feed, result);
		ingest_parse_waiting(feed->ingest);
	} else
		fetch_settle(feed, result);
}

/* A fetch whose body, if any, is decoded: what it means. */
static void
fetch_settle(struct feed *feed, struct fetch_result *result)
{
	struct ingest *ingest = feed->ingest;

	if (result->outcome == FETCH_OK) {
		fetch_answered(feed, result);
		body_wait(feed, result);
		ingest_parse_waiting(ingest);
		return;
	}
	record_fetch(feed, result);
	handle_redirect(feed, result);
	if (result->outcome == FETCH_NOT_MODIFIED) {
		feed_recovered(feed, "fetch");
		if (log_enabled(LOG_LEVEL_DEBUG, "fetch"))
			log_event(LOG_LEVEL_DEBUG, "fetch", "feed.not_modified", "feed=%s ms=%ld",
			    log_quote(feed->label), result->elapsed_ms);
		feed_schedule_next(feed, feed_next_interval(feed, result, NULL, 0));
		ingest_poll_done(ingest);
	} else
		handle_failure(feed, result);
}
