/*
 * delivery.c - librdkafka's delivery reports, on the loop thread: an article whose messages
 * are all acknowledged (or durable in the spool) is marked seen and its dedup entry and story
 * join committed (in cluster mode once its transaction commits: ingest/cluster.c holds it);
 * a poll whose items are all through commits the feed's new validators. It writes the seen
 * marks and validators of delivered polls; other state (feed health in outcome.c, dedup-policy
 * drops in items.c, spool rows in spool.c) is written where it arises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest_internal.h"
#include "log.h"
#include "pipeline.h"
#include "spool.h"
#include "state.h"
#include "util.h"

static void
batch_finish(struct batch *batch)
{
	struct feed *feed = batch->feed;
	struct ingest *ingest = feed->ingest;

	/*
	 * The validators say every item the feed listed is handled. Not so when some failed, nor
	 * (cluster mode, where a transaction's abort fails items routinely) when some were
	 * skipped as in flight in an earlier poll: those may still fail, and a conditional poll
	 * answered 304 would then never list them again (polls wait for their items in flight,
	 * feed_poll_deferred(); this holds even if one does not).
	 */
	if (batch->failed_items == 0 && (batch->in_flight_skipped == 0 ||
	    ingest->cluster == NULL) && (batch->etag != NULL || batch->last_modified != NULL)) {
		state_feed_save_validators(ingest->state, feed->config->url, batch->etag,
		    batch->last_modified);
		free(feed->record.etag);
		free(feed->record.last_modified);
		feed->record.etag = batch->etag;
		feed->record.last_modified = batch->last_modified;
		batch->etag = batch->last_modified = NULL;
		feed_cluster_note(feed);
	}
	feed_poll_resume(feed);
	ingest_poll_done(ingest);
	free(batch->etag);
	free(batch->last_modified);
	free(batch);
}

void
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
	const char *story = article->story.id ? article->story.id : "-";
	char similarity[16];

	if (!log_enabled(LOG_LEVEL_INFO, "publish"))
		return;
	snprintf(similarity, sizeof similarity, "%.2f", article->dedup.similarity);
	if (article->dedup.status == DEDUP_DUPLICATE)
		log_event(LOG_LEVEL_INFO, "publish", "article.delivered",
		    "feed=%s id=%s topic=%s dedup=duplicate of=%s similarity=%s story=%s "
		    "story_size=%zu title=%s", log_quote(delivery->batch->feed->label),
		    article->id, delivery->topics,
		    article->dedup.duplicate_of ? article->dedup.duplicate_of : "-", similarity,
		    story, article->story.size, log_quote(article->title));
	else
		log_event(LOG_LEVEL_INFO, "publish", "article.delivered",
		    "feed=%s id=%s topic=%s dedup=unique lang=%s words=%zu story=%s "
		    "story_size=%zu title=%s", log_quote(delivery->batch->feed->label),
		    article->id, delivery->topics,
		    article->lang_code[0] ? article->lang_code : "-", article->word_count, story,
		    article->story.size, log_quote(article->title));
}

/* A delivered article whose page came with validators: keep its text for a 304. */
static void
page_cache_store(struct ingest *ingest, const struct article *article)
{
	struct page_record record = {
		.etag = article->page_etag,
		.last_modified = article->page_last_modified,
		.text = article->text,
		.method = (char *)article->fulltext_method,
		.words = (long)article->fulltext_words,
	};

	if (ingest->config->fulltext.cache_ms > 0 && article->fulltext_status != NULL &&
	    strcmp(article->fulltext_status, PAGE_EXTRACTED) == 0 && article->text != NULL &&
	    (record.etag != NULL || record.last_modified != NULL))
		state_page_save(ingest->state, article->link, &record, time(NULL));
}

void
ingest_delivery_complete(struct ingest *ingest, struct delivery *delivery)
{
	struct feed *feed = delivery->batch->feed;
	struct article *article = delivery->article;

	if (ingest->cluster != NULL && ingest_cluster_hold(ingest, delivery))
		return;		/* cluster mode: delivered once its transaction commits */
	if (!delivery->failed) {
		/* Acknowledged by Kafka (committed), or durable in the spool that will deliver it. */
		state_mark_seen_updated(ingest->state, feed->config->url, article->id, time(NULL),
		    article->updated, article->content_hash);
		pipeline_commit(ingest->pipeline, article);
		feed->stats.items_published++;
		if (page_status_index(article->fulltext_status) >= 0)
			ingest->page_statuses[page_status_index(article->fulltext_status)]++;
		page_cache_store(ingest, article);
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

static void
on_article_report(struct ingest *ingest, struct delivery *delivery,
    const struct delivery_report *report)
{
	if (!report->success) {
		ingest->delivery_errors++;
		/* Cluster mode spools nothing: the transaction aborts, the feed polls it again. */
		if (ingest->cluster == NULL && spool_store(ingest->spool, report->topic, delivery->article->id, report->value,
		    report->value_length, report->headers) == 0) {
			delivery->spooled_messages++;
			log_complain("kafka.delivery", "publish", "delivery.spooled",
			    "id=%s topic=%s error=%s possibly_persisted=%s", delivery->article->id,
			    report->topic, log_quote(report->error_text),
			    report->possibly_persisted ? "yes" : "no");
		} else {
			delivery->failed = 1;
			log_complain("kafka.delivery.lost", "publish", "delivery.failed",
			    "id=%s error=%s spool=%s", delivery->article->id,
			    log_quote(report->error_text), ingest->cluster != NULL ?
			    "not-in-cluster-mode" : "unwritable");
		}
	}
	if (--delivery->pending_messages == 0)
		ingest_delivery_complete(ingest, delivery);
}

void
ingest_on_delivery(void *message_context, const struct delivery_report *report,
    void *context)
{
	struct ingest *ingest = context;
	enum message_kind *kind = message_context;

	if (report->success && !ingest->ready) {
		ingest->ready = 1;
		log_event(LOG_LEVEL_INFO, "kafka", "kafka.reachable", "ready=yes");
	}
	if (*kind == MESSAGE_SPOOLED)
		spool_on_report(ingest->spool, message_context, report);
	else if (*kind == MESSAGE_STORY)
		ingest_on_story_report(ingest, report);
	else if (*kind == MESSAGE_CLUSTER || *kind == MESSAGE_FINGERPRINT)
		ingest_cluster_on_report(ingest, *kind, report);
	else
		on_article_report(ingest, message_context, report);
	if (ingest->backpressure)
		ingest_update_backpressure(ingest);
}
