/*
 * cluster.c - the ingest side of cluster mode (daemon/cluster/, [cluster] group): which feeds
 * run here and what the state topic learns of them. Every function here is a no-op, or is
 * never called, without [cluster]: single-node mode keeps its timers and SQLite state as they
 * are. With it, a feed runs only while its partition is ours: taken over, it starts from the
 * state the last owner wrote (validators, health, moved URL, next poll, delivered ids with
 * their items' updated times and content hashes, each of which goes into the local SQLite
 * cache the seen-filter reads when a poll first lists it); revoked, its timer stops, its fetch
 * under way is cancelled (release), its work not yet in the open transaction is dropped (its
 * fetched bodies not parsed yet, its items waiting for their linked page - the page fetch
 * cancelled -, for a worker or parked for their fingerprint: drop_revoked_work), and the
 * cluster hands its partition on once the open transaction with the rest is through. An
 * article Kafka acknowledged is held here until its transaction ends (daemon/cluster/txn.c):
 * committed, it is delivered; aborted, it is not (it stays unseen, and its feed polls it
 * again).
 * A prepared article waits (parked) for its turn in the fingerprints topic before it is
 * judged, and the other instances' candidates go into the dedup index as they are read; one
 * whose record does not come back within fingerprint_timeout is released as failed, unjudged
 * and unpublished, and its feed polls it again; one whose record the brokers refuse for good
 * (too large for the topic) is judged dedup only at the record sent without its story
 * features, as every instance judges it; refused so too, it is judged here without a record,
 * and its id is never sent again.
 * A feed whose poll falls due while items of its last poll are still in flight (its
 * validators advance only once they are delivered, up to a commit interval and a fingerprint
 * round trip later) is polled once they are through, not fetched again unconditionally.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "cluster/cluster.h"
#include "article.h"
#include "pipeline.h"
#include "publish.h"
#include "ingest/ingest_internal.h"
#include "spool.h"
#include "log.h"
#include "state.h"
#include "story/story.h"
#include "util.h"
#include "workers.h"

/* The first poll of a feed without a recorded next poll: spread over up to 2 s. */
static long long
first_delay_ms(const struct feed *feed)
{
	long long spread = feed->interval_ms / 10 < 2000 ? feed->interval_ms / 10 + 1 : 2000;

	return (long long)(random() % spread);
}

/*
 * A delivered id the state record handed over into the seen cache, when a poll first lists
 * it (the record names ids by their hashes: feedids.c). With the version the record gives
 * (the item's updated time and content hash as delivered), that replaces what this cache held,
 * which may be older (from an earlier ownership): a later update is then published once, here,
 * and one that says what it said is not. Without one it is marked seen if it is not.
 */
void
feed_cluster_seen(struct feed *feed, const char *id, time_t now)
{
	struct state *cache = feed->ingest->state;
	time_t updated;
	uint64_t content_hash;

	if (feed->ingest->cluster == NULL || !cluster_feed_handed(feed->ingest->cluster,
	    feed->config->url, id, &updated, &content_hash))
		return;
	if (updated != 0 || content_hash != 0)
		state_mark_seen_updated(cache, feed->config->url, id, now, updated, content_hash);
	else if (state_seen(cache, feed->config->url, id) == 0)
		state_mark_seen(cache, feed->config->url, id, now);
}

/* The state topic's record replaces what this instance's cache held of the feed. */
static long long
restore(struct feed *feed)
{
	struct ingest *ingest = feed->ingest;
	struct cluster_feed_state state;
	time_t now = time(NULL);
	long long delay;

	if (!cluster_feed_restore(ingest->cluster, feed->config->url, &state))
		return first_delay_ms(feed);
	feed_record_clear(&feed->record);
	feed->record = state.record;
	memset(&state.record, 0, sizeof state.record);
	free(feed->url);
	feed->url = xstrdup(feed->record.current_url ? feed->record.current_url :
	    feed->config->url);
	delay = state.next_poll > now ? (long long)(state.next_poll - now) * 1000 :
	    first_delay_ms(feed);
	log_event(LOG_LEVEL_INFO, "cluster", "feed.taken_over", "feed=%s delivered=%zu "
	    "etag=%s next_poll_in_ms=%lld", log_quote(feed->label), state.delivered,
	    feed->record.etag ? "yes" : "no", delay);
	cluster_feed_state_clear(&state);
	return delay;
}

static void
take(struct feed *feed)
{
	long long delay = restore(feed);
	struct timeval when = { delay / 1000, (delay % 1000) * 1000 };

	feed->cluster_owned = 1;
	feed->cluster_noted = 0;	/* the next note is the record's */
	feed->cluster_noted_poll = 0;
	if (!feed->record.disabled && !feed->removed)
		evtimer_add(feed->timer, &when);
}

/*
 * Revoked: no new poll starts here, and a fetch under way is cancelled (a server holding its
 * answer would hold the hand-on: partition_busy), counted as one dropped item; nothing of it
 * was taken, so its feed's validators stay and its next owner fetches it, at once (its record
 * says it is due: cluster_feed_due). A poll past its
 * fetch ends as drop_revoked_work says, and its feed's state is still written. 1 if a fetch
 * was cancelled.
 */
static int
release(struct feed *feed)
{
	struct ingest *ingest = feed->ingest;

	feed->cluster_owned = 0;
	evtimer_del(feed->timer);
	if (!feed_fetch_cancel(feed))
		return 0;
	ingest_poll_done(ingest);
	ingest_host_ready(ingest, feed->host);
	cluster_count_dropped(ingest->cluster, 1);
	cluster_feed_due(ingest->cluster, feed->config->url);
	log_event(LOG_LEVEL_INFO, "cluster", "cluster.poll_dropped",
	    "feed=%s reason=partition-revoked fetch=cancelled", log_quote(feed->label));
	return 1;
}

/*
 * A revoked feed's item not in the open transaction: dropped, as a failed item of its poll,
 * so the feed's validators do not advance and its next owner fetches it again from the
 * state this instance committed, at once rather than at the next poll this instance had
 * scheduled (cluster_feed_due).
 */
static void
drop_item(struct ingest *ingest, struct batch *batch, struct article *article)
{
	string_set_remove(&batch->feed->in_flight, article->id);
	cluster_feed_due(ingest->cluster, batch->feed->config->url);
	article_free(article);
	batch->in_pipeline--;
	batch_item_done(batch, 1);
	cluster_count_dropped(ingest->cluster, 1);
}

int
ingest_cluster_drop_revoked(struct ingest *ingest, struct batch *batch,
    struct article *article, int result)
{
	if (ingest->cluster == NULL || (result != WORKERS_CANCELLED &&
	    batch->feed->cluster_owned))
		return 0;
	drop_item(ingest, batch, article);
	ingest_parse_waiting(ingest);	/* the workers have room for one more */
	return 1;
}

static int
job_revoked(void *job_context)
{
	const struct batch *batch = job_context;

	return !batch->feed->cluster_owned;
}

/* An article waiting for its fingerprint to come back (fingerprints.c). */
struct parked_item {
	struct batch	*batch;
	struct article	*article;
};

static int
parked_revoked(void *item, void *context)
{
	struct parked_item *parked = item;

	if (parked->batch->feed->cluster_owned)
		return 0;
	drop_item(context, parked->batch, parked->article);
	free(parked);
	return 1;
}

/* A fetched body waiting to be parsed: dropped, logged, if its feed's partition was revoked. */
static int
body_revoked(struct feed *feed)
{
	if (feed->cluster_owned || feed->removed)	/* removed: ingest_parse_waiting's */
		return 0;
	log_event(LOG_LEVEL_INFO, "cluster", "cluster.poll_dropped",
	    "feed=%s reason=partition-revoked", log_quote(feed->label));
	cluster_feed_due(feed->ingest->cluster, feed->config->url);
	return 1;
}

static int
feed_revoked(const struct feed *feed)
{
	return !feed->cluster_owned;
}

/*
 * An item waiting for its linked page: its page fetch cancelled (a page server holding its
 * answer would hold the hand-on until the release deadline) or its place in the site's queue
 * given up, and the item dropped as a failed item of its poll.
 */
static void
page_dropped(struct ingest *ingest, struct batch *batch, struct article *article,
    int cancelled)
{
	log_event(LOG_LEVEL_INFO, "cluster", "cluster.poll_dropped",
	    "feed=%s reason=partition-revoked page=%s id=%s", log_quote(batch->feed->label),
	    cancelled ? "cancelled" : "queued", article->id);
	drop_item(ingest, batch, article);
}

/*
 * Partitions were revoked: what their feeds' polls hold outside the open transaction goes,
 * counted in the partitions' cluster.revoked line: fetched bodies waiting to be parsed, now,
 * one each (their polls end with nothing taken, as a cancelled fetch's); items waiting for
 * their linked page, now (the page fetch cancelled); parked items, now; items waiting for a
 * worker, as the workers hand them back in their turn to ingest_cluster_drop_revoked, before
 * the hand-on (partition_busy waits for them). The number of bodies and page fetches dropped.
 */
static size_t
drop_revoked_work(struct ingest *ingest)
{
	size_t bodies = ingest_drop_waiting(ingest, body_revoked);
	size_t pages = ingest_pages_drop(ingest, feed_revoked, page_dropped);

	cluster_count_dropped(ingest->cluster, (long long)bodies);
	workers_cancel(ingest->workers, job_revoked);
	cluster_fingerprints_drop(ingest->cluster, parked_revoked, ingest);
	return bodies + pages;
}

static void
on_ownership_changed(void *context)
{
	struct ingest *ingest = context;
	size_t taken = 0, released = 0, cancelled = 0, freed = 0;

	for (size_t i = 0; i < ingest->feed_count; i++) {
		struct feed *feed = ingest->feeds[i];
		int owns = cluster_owns(ingest->cluster, feed->config->url);
		if (owns && !feed->cluster_owned) {
			take(feed);
			taken++;
		} else if (!owns && feed->cluster_owned) {
			cancelled += (size_t)release(feed);
			released++;
		}
	}
	if (released > 0)
		freed = drop_revoked_work(ingest);
	if (cancelled > 0 || freed > 0)
		ingest_dispatch(ingest);	/* their hosts' other feeds and pages may start now */
	ingest->cluster_feeds = 0;
	for (size_t i = 0; i < ingest->feed_count; i++)
		ingest->cluster_feeds += ingest->feeds[i]->cluster_owned;
	log_event(LOG_LEVEL_INFO, "cluster", "cluster.feeds", "owned=%zu taken=%zu released=%zu",
	    ingest->cluster_feeds, taken, released);
}

int
ingest_cluster_hold(struct ingest *ingest, struct delivery *delivery)
{
	if (delivery->settled || delivery->failed)
		return 0;
	if (ingest->cluster_held_count == ingest->cluster_held_size) {
		ingest->cluster_held_size = ingest->cluster_held_size ?
		    ingest->cluster_held_size * 2 : 64;
		ingest->cluster_held = xrealloc(ingest->cluster_held,
		    ingest->cluster_held_size * sizeof *ingest->cluster_held);
	}
	ingest->cluster_held[ingest->cluster_held_count++] = delivery;
	feed_cluster_delivered(delivery->batch->feed, delivery->article);
	return 1;
}

/*
 * A transaction's end: what it held is delivered, or, aborted, failed; an aborted article's
 * feed (its validators not advanced) is polled again soon, as a feed is first polled, not at
 * the next poll it had (an interval on: at 5 min, a join's aborted transaction held its items
 * back 5 min).
 */
static void
on_transaction_done(void *context, int committed)
{
	struct ingest *ingest = context;
	struct delivery **held = ingest->cluster_held;
	size_t count = ingest->cluster_held_count;

	ingest->cluster_held = NULL;
	ingest->cluster_held_count = ingest->cluster_held_size = 0;
	for (size_t i = 0; i < count; i++) {
		held[i]->settled = 1;
		if (!committed) {
			held[i]->failed = 1;
			feed_poll_within(held[i]->batch->feed, first_delay_ms(held[i]->batch->feed));
		}
		ingest_delivery_complete(ingest, held[i]);
	}
	free(held);
}

void
ingest_cluster_on_report(struct ingest *ingest, int kind, const struct delivery_report *report)
{
	if (ingest->cluster == NULL)
		return;
	if (kind == MESSAGE_FINGERPRINT)
		cluster_fingerprint_on_report(ingest->cluster, report->success, report->key,
		    report->key_length, report->value_length, report->error_text);
	else
		cluster_on_report(ingest->cluster, report->success, report->key,
		    report->key_length, report->error_text);
}

int
ingest_cluster_park(struct ingest *ingest, struct batch *batch, struct article *article)
{
	struct parked_item *item;

	if (ingest->cluster == NULL || article->dedup_sketch == NULL)
		return 0;
	item = xmalloc(sizeof *item);
	item->batch = batch;
	item->article = article;
	if (cluster_fingerprint_park(ingest->cluster, article, batch->now, item))
		return 1;
	/* Its record was refused for good before (on_fingerprint_refused): judged here. */
	log_event(LOG_LEVEL_WARNING, "cluster", "cluster.fingerprint_set_aside",
	    "feed=%s id=%s url=%s action=judged-here", log_quote(batch->feed->label), article->id,
	    log_quote(article->link));
	free(item);
	return 0;
}

long long
ingest_cluster_parked(const struct ingest *ingest)
{
	return ingest->cluster != NULL ? cluster_fingerprints_parked(ingest->cluster) : 0;
}

/* Judged as every instance judges its record: dedup only when it was sent without story. */
static void
on_fingerprint_local(void *context, void *item, time_t when, int story)
{
	struct parked_item *parked = item;

	ingest_item_judge(context, parked->batch, parked->article, 0, when, !story);
	free(parked);
}

/*
 * Another instance's candidate goes into the dedup index and, with its features, the story
 * index; the summaries of the stories it changes are that instance's to publish, and its
 * verdict (story id, headline) is not written into the article, which is freed unread.
 */
static void
on_fingerprint_remote(void *context, struct article *article, time_t when)
{
	struct ingest *ingest = context;
	struct story_index *stories = pipeline_stories(ingest->pipeline);

	if (stories != NULL && article->story_features != NULL) {
		story_remote_enable(stories, 1);
		pipeline_judge(ingest->pipeline, article, when);
		story_remote_enable(stories, 0);
	} else
		pipeline_judge_dedup(ingest->pipeline, article, when);
	article_free(article);
}

/*
 * The brokers refused the article's record for good (too large for the fingerprints topic),
 * without its story features too (or it had none): it is not sent again, and the article is
 * judged here, as of its poll, against what this instance has read of the log, and
 * published; the other instances never see its record.
 * The transaction the refused record was in aborts (librdkafka), so the article is
 * published from its feed's next poll, judged here again with the same verdict.
 */
static void
on_fingerprint_refused(void *context, void *item, time_t when, size_t length,
    const char *error)
{
	struct parked_item *parked = item;
	int revoked = !parked->batch->feed->cluster_owned;

	log_event(LOG_LEVEL_ERROR, "cluster", "cluster.fingerprint_refused",
	    "feed=%s id=%s url=%s bytes=%zu error=%s action=%s",
	    log_quote(parked->batch->feed->label), parked->article->id,
	    log_quote(parked->article->link), length, log_quote(error),
	    revoked ? "dropped-revoked" : "judged-here");
	if (revoked)	/* as a parked item at the revoke: its next owner polls it */
		drop_item(context, parked->batch, parked->article);
	else
		ingest_item_judge(context, parked->batch, parked->article, 0, when, 0);
	free(parked);
}

static void
on_fingerprint_discard(void *context, void *item)
{
	struct parked_item *parked = item;

	article_free(parked->article);
	free(parked);
}

static int
by_feed(const void *a, const void *b)
{
	const struct feed *one = (*(struct parked_item *const *)a)->batch->feed;
	const struct feed *other = (*(struct parked_item *const *)b)->batch->feed;

	return one < other ? -1 : one > other;
}

/*
 * Not judged (it would be judged out of the log's order) nor published: its poll ends
 * without it, the feed's validators stay where they were, and the feed polls it again.
 */
static void
release_failed(struct ingest *ingest, struct parked_item *parked)
{
	struct batch *batch = parked->batch;

	batch->in_pipeline--;
	if (batch->parsed_whole && batch->in_pipeline == 0)
		batch_log_fetched(batch);
	ingest->delivery_failures++;
	string_set_remove(&batch->feed->in_flight, parked->article->id);
	article_free(parked->article);
	free(parked);
	batch_item_done(batch, 1);	/* may end the poll, and free its batch */
}

/* Parked articles whose fingerprint did not come back in time: one line per feed. */
static void
on_fingerprint_expired(void *context, void **items, size_t count)
{
	struct ingest *ingest = context;
	struct parked_item **parked = (struct parked_item **)items;

	qsort(parked, count, sizeof *parked, by_feed);
	for (size_t i = 0, run; i < count; i += run) {
		for (run = 1; i + run < count &&
		    parked[i + run]->batch->feed == parked[i]->batch->feed; run++)
			continue;
		log_event(LOG_LEVEL_WARNING, "cluster", "cluster.fingerprint_timeout",
		    "feed=%s items=%zu timeout_ms=%lld retry=next-poll",
		    log_quote(parked[i]->batch->feed->label), run,
		    ingest->config->cluster.fingerprint_timeout_ms);
	}
	for (size_t i = 0; i < count; i++)
		release_failed(ingest, parked[i]);
	ingest_update_backpressure(ingest);
	ingest_parse_waiting(ingest);
}

static int
partition_busy(void *context, int partition)
{
	struct ingest *ingest = context;

	for (size_t i = 0; i < ingest->feed_count; i++) {
		const struct feed *feed = ingest->feeds[i];
		if ((feed->fetch != NULL || feed->in_flight.count > 0) &&
		    cluster_partition(ingest->cluster, feed->config->url) == partition)
			return 1;
	}
	return 0;
}

int
ingest_cluster_open(struct ingest *ingest, char *error, size_t error_size)
{
	struct cluster_hooks hooks = { on_ownership_changed, partition_busy, on_transaction_done,
	    ingest };

	struct fingerprint_hooks fingerprints = { on_fingerprint_local, on_fingerprint_remote,
	    on_fingerprint_discard, on_fingerprint_expired, on_fingerprint_refused, ingest };

	ingest->cluster = cluster_open(ingest->config, ingest->base, ingest->publisher, &hooks,
	    error, error_size);
	if (ingest->cluster == NULL)
		return -1;
	return cluster_fingerprints_open(ingest->cluster, ingest->base, &fingerprints, error,
	    error_size);
}

/* Feeds added by a reload start only if their partition is ours (see on_ownership_changed). */
void
ingest_cluster_feeds_changed(struct ingest *ingest)
{
	on_ownership_changed(ingest);
}

int
feed_may_poll(const struct feed *feed)
{
	return feed->ingest->cluster == NULL || feed->cluster_owned;
}

int
feed_poll_deferred(struct feed *feed)
{
	if (feed->ingest->cluster == NULL || feed->in_flight.count == 0)
		return 0;
	feed->poll_deferred = 1;
	return 1;
}

void
feed_poll_resume(struct feed *feed)
{
	if (!feed->poll_deferred || feed->removed || feed->in_flight.count > 0)
		return;
	feed->poll_deferred = 0;
	event_active(feed->timer, EV_TIMEOUT, 0);	/* ingest_on_feed_timer, in this loop turn */
}

/* What the state record holds of the feed's validators and health, as a hash (never 0). */
static uint64_t
noted_hash(const struct feed_record *record)
{
	const char *fields[3] = { record->etag, record->last_modified, record->current_url };
	uint64_t hash = (uint64_t)record->failures * 2 + (record->disabled != 0);

	for (int i = 0; i < 3; i++)
		hash = fields[i] != NULL ? XXH3_64bits_withSeed(fields[i], strlen(fields[i]), hash) :
		    (hash + (uint64_t)i + 1) * 0x9e3779b97f4a7c15ULL;
	return hash != 0 ? hash : 1;
}

static time_t
next_poll_of(struct feed *feed)
{
	struct timeval due;

	/* libevent gives the deadline in wall-clock time; 0: not scheduled */
	return evtimer_pending(feed->timer, &due) ? due.tv_sec : 0;
}

static void
note(struct feed *feed, uint64_t hash, time_t next_poll)
{
	cluster_feed_changed(feed->ingest->cluster, feed->config->url, &feed->record, next_poll);
	feed->cluster_noted = hash;
	if (next_poll != 0)
		feed->cluster_noted_poll = next_poll;
}

/*
 * After every poll. What the record would not write by itself (the next poll moving later:
 * daemon/cluster/feedstate.c) is not given to the cluster then: its lookups in the state
 * records, at every poll answered 304, were 6% of the loop thread's time while polling. The
 * record gets the next poll with the feed's next delivery (feed_cluster_fresh).
 */
void
feed_cluster_note(struct feed *feed)
{
	time_t next_poll;
	uint64_t hash;

	if (feed->ingest->cluster == NULL)
		return;
	next_poll = next_poll_of(feed);
	hash = noted_hash(&feed->record);
	if (hash == feed->cluster_noted && (next_poll == 0 ||
	    next_poll >= feed->cluster_noted_poll - CLUSTER_NEXT_POLL_SLACK))
		return;
	note(feed, hash, next_poll);
}

/* A delivery writes the feed's record: with the next poll it has now. */
static void
feed_cluster_fresh(struct feed *feed)
{
	time_t next_poll = next_poll_of(feed);

	if (next_poll != 0 && next_poll != feed->cluster_noted_poll)
		note(feed, noted_hash(&feed->record), next_poll);
}

void
feed_cluster_delivered(struct feed *feed, const struct article *article)
{
	if (feed->ingest->cluster == NULL)
		return;
	cluster_feed_delivered(feed->ingest->cluster, feed->config->url, article->id,
	    article->updated, article->content_hash);
	feed_cluster_fresh(feed);
}
