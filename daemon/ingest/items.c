/*
 * items.c - one poll's items: the seen filter, submission to the workers (clean, tag), the
 * judge (dedup) and routing back on the loop thread in poll order, then the publisher; a
 * message the producer refuses goes to the spool (in cluster mode, which spools nothing, its
 * article is undelivered and its feed polls it again). The loop appends the verdicts in the
 * buffer the worker wrote the message in (article_json_take: not measured, not copied) and
 * hands it with its length and its headers (made once for all its topics) to the producer,
 * which takes that buffer for the last topic's message (publisher_send_owned: not copied).
 */
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_internal.h"
#include "log.h"
#include "page.h"
#include "pipeline.h"
#include "publish.h"
#include "spool.h"
#include "state.h"
#include "util.h"
#include "workers.h"

/*
 * Is the item in flight, or delivered and not updated since? One delivered before whose feed
 * now gives it a later updated time goes through again as an update (its page, if any, is
 * asked for with a conditional GET; publish_item drops it if it says what it said before).
 * One delivered without an updated time on record (or before the state kept them) gets its
 * current one recorded, and is not an update.
 */
static int
already_handled(struct batch *batch, struct article *article, time_t now)
{
	struct feed *feed = batch->feed;
	struct state *state = feed->ingest->state;
	time_t recorded;

	if (string_set_contains(&feed->in_flight, article->id)) {
		batch->in_flight_skipped++;	/* not handled yet: see batch_finish() */
		return 1;
	}
	feed_cluster_seen(feed, article->id, now);
	if (state_seen_updated(state, feed->config->url, article->id, &recorded,
	    &article->seen_content_hash) != 1)
		return 0;
	if (article->updated > 0 && recorded > 0 && article->updated > recorded) {
		article->is_update = 1;
		return 0;
	}
	if (article->updated > 0 && recorded == 0)
		state_mark_seen_updated(state, feed->config->url, article->id, now,
		    article->updated, 0);
	return 1;
}

/* The producer's queue is full (or the producer failed): the message goes to the spool. */
static void
spool_refused(struct ingest *ingest, struct delivery *delivery, const char *topic,
    const char *json, size_t json_length, const char *headers)
{
	if (spool_store(ingest->spool, topic, delivery->article->id, json, json_length,
	    headers) == 0) {
		delivery->spooled_messages++;
		log_complain("kafka.queue_full", "publish", "delivery.spooled",
		    "id=%s topic=%s error=producer-queue-full", delivery->article->id, topic);
	} else
		delivery->failed = 1;
}

/* An item that will not be delivered (empty, or dropped by the dedup policy) leaves its poll. */
static void
item_leaves(struct batch *batch, struct article *article)
{
	string_set_remove(&batch->feed->in_flight, article->id);
	article_free(article);
	batch_item_done(batch, 0);
}

/*
 * One topic's message; the last topic's is given to the producer (*json then NULL: no copy
 * made, freed by librdkafka after its report), the others copied. -1: refused, *json kept.
 */
static int
send_message(struct publisher *publisher, const char *topic, const char *key, char **json,
    size_t json_length, const char *headers, struct delivery *delivery, int last)
{
	if (!last)
		return publisher_send_raw(publisher, topic, key, *json, json_length, headers,
		    delivery);
	if (publisher_send_owned(publisher, topic, key, *json, json_length, headers,
	    delivery) != 0)
		return -1;
	*json = NULL;
	return 0;
}

static void
publish_item(struct batch *batch, struct article *article)
{
	struct ingest *ingest = batch->feed->ingest;
	struct strlist topics = { 0 };
	struct delivery *delivery;
	struct buffer topic_names = { 0 };
	char *json, *headers;
	size_t json_length;

	if (article->content_hash == 0)		/* else the worker's (pipeline.c) */
		article->content_hash = article_content_hash(article);
	if (article->is_update && article->content_hash == article->seen_content_hash) {
		/* an update that says what it said: its new time recorded, nothing published */
		log_event(LOG_LEVEL_DEBUG, "ingest", "item.unchanged", "feed=%s id=%s",
		    log_quote(batch->feed->label), article->id);
		state_mark_seen_updated(ingest->state, batch->feed->config->url, article->id,
		    batch->now, article->updated, article->content_hash);
		feed_cluster_delivered(batch->feed, article);	/* its new time, for a next owner */
		item_leaves(batch, article);
		return;
	}
	pipeline_topics(ingest->pipeline, article, &topics);
	if (topics.count == 0) {	/* dedup policy drop: nothing to deliver */
		state_mark_seen_updated(ingest->state, batch->feed->config->url, article->id,
		    batch->now, article->updated, article->content_hash);
		feed_cluster_delivered(batch->feed, article);
		item_leaves(batch, article);
		return;
	}
	json = article_json_take(article, &json_length);
	headers = publisher_headers_for(article);
	delivery = xcalloc(1, sizeof *delivery);
	delivery->kind = MESSAGE_ARTICLE;
	delivery->batch = batch;
	delivery->article = article;
	for (size_t i = 0; i < topics.count; i++) {
		if (send_message(ingest->publisher, topics.items[i], article->id, &json,
		    json_length, headers, delivery, i + 1 == topics.count) == 0)
			delivery->pending_messages++;
		else if (ingest->cluster != NULL)
			/* Refused (the transaction not taking messages after an abortable error,
			 * which then aborts it): never spooled outside it; polled again. */
			delivery->failed = 1;
		else
			spool_refused(ingest, delivery, topics.items[i], json, json_length,
			    headers);
		if (i > 0)
			buffer_append(&topic_names, ",", 1);
		buffer_append_string(&topic_names, topics.items[i]);
	}
	delivery->topics = buffer_steal(&topic_names);
	free(headers);
	free(json);		/* NULL once the producer took it */
	strlist_clear(&topics);
	article_shed_delivered(article);	/* the page cache's text stays (delivery.c) */
	if (delivery->pending_messages == 0)
		ingest_delivery_complete(ingest, delivery);
}

/* The poll's one info line, once its last item is through the pipeline (or it had none new). */
void
batch_log_fetched(struct batch *batch)
{
	struct feed *feed = batch->feed;

	log_event(LOG_LEVEL_INFO, "fetch", "feed.fetched",
	    "feed=%s status=%ld format=%s items=%d new=%d duplicates=%d bytes=%zu ms=%ld",
	    log_quote(feed->label), batch->status, batch->format, batch->items,
	    batch->new_items - batch->skipped, batch->duplicates, batch->bytes,
	    batch->elapsed_ms);
}

/*
 * A prepared item (result 0) or an empty one (result < 0) is judged as of when (dedup only:
 * ingest_internal.h) and routed.
 */
void
ingest_item_judge(struct ingest *ingest, struct batch *batch, struct article *article,
    int result, time_t when, int dedup_only)
{
	struct feed *feed = batch->feed;

	batch->in_pipeline--;
	if (result < 0) {
		log_event(LOG_LEVEL_WARNING, "clean", "item.empty", "feed=%s id=%s guid=%s",
		    log_quote(feed->label), article->id, log_quote(article->guid));
		batch->skipped++;
		ingest->items_skipped_empty++;
	} else {
		if (dedup_only)
			pipeline_judge_dedup(ingest->pipeline, article, when);
		else
			pipeline_judge(ingest->pipeline, article, when);
		if (article->dedup.status == DEDUP_DUPLICATE)
			batch->duplicates++;
		ingest_publish_stories(ingest);
	}
	if (batch->parsed_whole && batch->in_pipeline == 0)
		batch_log_fetched(batch);
	if (result < 0)
		item_leaves(batch, article);
	else
		publish_item(batch, article);
	ingest_update_backpressure(ingest);
	ingest_parse_waiting(ingest);	/* the workers have room for one more */
}

/*
 * The workers hand back a cleaned and tagged item, in poll order. In cluster mode it waits
 * for its turn in the fingerprints topic (ingest/cluster.c), still counted in its poll.
 */
void
ingest_on_prepared(struct article *article, int result, void *job_context, void *context)
{
	struct batch *batch = job_context;
	struct ingest *ingest = context;

	if (ingest_cluster_drop_revoked(ingest, batch, article, result))
		return;		/* cluster mode: its feed's partition was revoked */
	if (result == PIPELINE_NEEDS_PAGE) {	/* back to the workers once it is fetched */
		ingest_page_request(ingest, batch, article);
		ingest_parse_waiting(ingest);
		return;
	}
	if (result >= 0)	/* its message is built: thousands may wait to be judged */
		article_shed_prepared(article);
	if (result >= 0 && ingest_cluster_park(ingest, batch, article)) {
		ingest_parse_waiting(ingest);
		return;
	}
	ingest_item_judge(ingest, batch, article, result, batch->now, 0);
}

int
ingest_on_item(struct article *article, void *context)
{
	struct batch *batch = context;
	struct feed *feed = batch->feed;

	batch->items++;
	feed->ingest->items_parsed++;
	pipeline_attach_source(article, feed->config, feed->config->url);
	page_set_mode(article, feed->ingest->config, feed->config);
	if (already_handled(batch, article, batch->now)) {
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
