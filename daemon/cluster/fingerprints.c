/*
 * fingerprints.c - cluster mode's global dedup (see cluster.h): the fingerprints topic
 * (topic.fingerprints, one partition, retention = the longer of the [dedup] and [stories]
 * windows) is the sequencer. An instance does not judge its article when the workers hand it
 * back: it parks it, sends its record (id, feed, time, dedup sketch, story features, in
 * fprecord.c's binary layout) into the open transaction, and judges it when a
 * read_uncommitted consumer of the partition reads that record back, after every record
 * before it in the log. Every instance reads every record in the same order and judges the
 * others' (dedup_check(), then story_assign()) on an article holding what those look at, so
 * all of them hold the same dedup and story indexes at each offset and take the same
 * decisions. A record whose id was judged before (sent again after an aborted transaction, a
 * crash, or by two instances that polled one feed during a rebalance) takes that first
 * judgement (dedup_check()'s "same article judged again").
 *
 * Records are read as read_uncommitted: an article's record must be judged before its own
 * transaction commits, so records of transactions that abort are judged too (docs/cluster.md
 * says what follows). A record the producer could not deliver (the transaction it was in
 * aborted before it was written) is sent again while its article is parked; one the brokers
 * refuse for good (too large for the topic: refused_for_good) is sent again without its story
 * features (shrink(): flags bit 0 clear), and its article judged, when that record comes
 * back, dedup only, as every instance judges such a record; one refused for good in that
 * form (or without story features to drop) is set aside, never sent again, its article
 * judged here without a record (the refused hook). A record that may have been refused for
 * another's size is sent again alone first, whole or shrunk. An article whose
 * record has not come back within [cluster] fingerprint_timeout leaves the park unjudged, and
 * the ingest side releases it as failed (expire()).
 *
 * The dedup and story indexes are in memory only in cluster mode (pipeline.c), rebuilt at
 * start by reading the partition from its beginning; the instance says it is caught up
 * (/readyz) once it has read to the end the partition had when it started. The summaries of
 * the stories another instance's article changed are that instance's to publish.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "cluster/cluster_internal.h"
#include "cluster/fprecord.h"
#include "dedup/dedup_internal.h"
#include "log.h"
#include "publish.h"
#include "spool.h"
#include "util.h"

#define FP_READ_MAX		500	/* records judged a turn of the loop (read_records) */
#define FP_BUCKETS_MIN		1024
#define FP_ADMIN_TIMEOUT_MS	15000
#define FP_PARTITION		0
#define FP_SET_ASIDE_MAX	10000	/* ids remembered as refused (whole, shrunk); then forgotten */

/* An article waiting for its record to come back. */
struct parked {
	struct parked	*next;		/* in its bucket */
	struct parked	*older, *newer;	/* in the order parked: deadlines in order */
	int64_t		 deadline_ms;	/* monotonic: released as failed then */
	void		*item;		/* the ingest side's */
	const struct article *article;	/* the item's, unchanged while parked: its record */
	uint8_t		*value;		/* the record (fprecord.c) until the producer takes it */
	size_t		 length;
	int		 unsent;	/* refused or not delivered: sent again by the tick */
	int		 suspect;	/* refused for good once: sent again alone (fingerprints_tick) */
	int		 shrunk;	/* sent without its story features (shrink()) */
	time_t		 when;		/* of its poll: judged as of then if it is refused */
	char		*refusal;	/* refused for good: the brokers' answer */
	char		 id[];
};

struct fingerprints {
	struct cluster		*cluster;
	struct fingerprint_hooks hooks;
	struct dedup_hasher	 hasher;	/* the sketches' sizes, to read records */
	rd_kafka_t		*reader;	/* read_uncommitted, partition 0 */
	rd_kafka_queue_t	*queue;
	int			 wake[2];	/* librdkafka writes when the queue fills */
	struct event		*readable;
	struct event		*more;		/* due at once: the catch-up's next chunk */
	struct parked		**buckets;
	size_t			 bucket_count;
	struct parked		*oldest, *newest;	/* the first to time out first */
	size_t			 unsent;
	int64_t			 end_at_start;	/* the partition's end when we started */
	int64_t			 next_offset;	/* of the next record to read */
	int64_t			 caught_up_ms;	/* monotonic_ms() when it read end_at_start */
	struct string_set	 shrink;	/* ids whose whole record was refused for good */
	struct string_set	 set_aside;	/* ids whose record the brokers refused for good */
	struct parked		*refused;	/* their articles, for the tick (next: the list) */
	size_t			 largest_sent;	/* the longest record the brokers took */
};

static enum message_kind fingerprint_kind = MESSAGE_FINGERPRINT;

void *
cluster_fingerprint_kind(void)
{
	return &fingerprint_kind;
}

static size_t
bucket_of(const struct fingerprints *fp, const char *id)
{
	return (size_t)(XXH64(id, strlen(id), 0) % fp->bucket_count);
}

/* Appended at the end of its chain: the oldest of one id is taken first. */
static void
parked_insert(struct fingerprints *fp, struct parked *entry)
{
	struct parked **link = &fp->buckets[bucket_of(fp, entry->id)];

	while (*link != NULL)
		link = &(*link)->next;
	*link = entry;
	fp->cluster->status.fingerprints_parked++;
}

static void
parked_grow(struct fingerprints *fp)
{
	struct parked **old = fp->buckets;
	size_t old_count = fp->bucket_count;

	fp->bucket_count = old_count ? old_count * 2 : FP_BUCKETS_MIN;
	fp->buckets = xcalloc(fp->bucket_count, sizeof *fp->buckets);
	fp->cluster->status.fingerprints_parked = 0;
	for (size_t i = 0; i < old_count; i++)
		while (old[i] != NULL) {
			struct parked *entry = old[i];
			old[i] = entry->next;
			entry->next = NULL;
			parked_insert(fp, entry);
		}
	free(old);
}

static void
parked_append(struct fingerprints *fp, struct parked *entry)
{
	entry->older = fp->newest;
	if (fp->newest != NULL)
		fp->newest->newer = entry;
	else
		fp->oldest = entry;
	fp->newest = entry;
}

static void
parked_unlink(struct fingerprints *fp, struct parked *entry)
{
	if (entry->older != NULL)
		entry->older->newer = entry->newer;
	else
		fp->oldest = entry->newer;
	if (entry->newer != NULL)
		entry->newer->older = entry->older;
	else
		fp->newest = entry->older;
}

static struct parked *
parked_find(struct fingerprints *fp, const char *id, int remove)
{
	struct parked **link = &fp->buckets[bucket_of(fp, id)], *entry;

	while (*link != NULL && strcmp((*link)->id, id) != 0)
		link = &(*link)->next;
	if ((entry = *link) != NULL && remove) {
		*link = entry->next;
		parked_unlink(fp, entry);
		fp->cluster->status.fingerprints_parked--;
		if (entry->unsent)
			fp->unsent--;
	}
	return entry;
}

static void
parked_free(struct parked *entry)
{
	free(entry->value);
	free(entry->refusal);
	free(entry);
}

/*
 * The article's record, in *length bytes: whole, or shrunk (once the brokers refused it whole
 * for good): without its story features, flags bit 0 clear, which every instance judges
 * dedup only (judge() here, on_fingerprint_remote there). fprecord_encode() writes the story
 * part when the article has features: it is given a copy that has none.
 */
static uint8_t *
encode(const struct fingerprints *fp, const struct parked *entry, size_t *length)
{
	struct article dedup_only;

	if (!entry->shrunk)
		return fprecord_encode(&fp->hasher, entry->article, entry->when, length);
	dedup_only = *entry->article;
	dedup_only.story_features = NULL;
	return fprecord_encode(&fp->hasher, &dedup_only, entry->when, length);
}

/*
 * The record goes to the producer as it is (owned: no copy, none either while a transaction
 * is sealed and the publisher holds it), so the park keeps none: one to send again (its
 * delivery failed) is written again from the parked article, byte for byte the same. The
 * record each parked article kept, librdkafka's copy of it and the publisher's while sealed
 * were about a third of the loop thread's page faults in a cluster instance's cold start.
 */
static void
send_record(struct fingerprints *fp, struct parked *entry)
{
	int refused;

	if (entry->value == NULL)
		entry->value = encode(fp, entry, &entry->length);
	if (cluster_test_drop_fingerprint != NULL && cluster_test_drop_fingerprint(entry->id)) {
		if (entry->unsent)
			fp->unsent--;
		entry->unsent = 0;	/* taken as sent: it never comes back */
		return;
	}
	refused = publisher_send_to_owned(fp->cluster->publisher,
	    fp->cluster->config->cluster.topic_fingerprints, FP_PARTITION, entry->id,
	    (char *)entry->value, entry->length, &fingerprint_kind) != 0;
	if (!refused)
		entry->value = NULL;	/* the producer's now */
	if (refused && !entry->unsent)
		fp->unsent++;
	else if (!refused && entry->unsent)
		fp->unsent--;
	entry->unsent = refused;
}

int
cluster_fingerprint_park(struct cluster *cluster, const struct article *article, time_t when,
    void *item)
{
	struct fingerprints *fp = cluster->fingerprints;
	struct parked *entry;

	if (string_set_contains(&fp->set_aside, article->id))
		return 0;	/* refused for good before: not sent into one more transaction */
	entry = xcalloc(1, sizeof *entry + strlen(article->id) + 1);
	strcpy(entry->id, article->id);
	entry->item = item;
	entry->article = article;
	entry->when = when;
	entry->shrunk = article->story_features != NULL &&
	    string_set_contains(&fp->shrink, article->id);	/* refused whole before */
	entry->deadline_ms = monotonic_ms() + cluster->config->cluster.fingerprint_timeout_ms;
	if (cluster->status.fingerprints_parked >= (long long)fp->bucket_count)
		parked_grow(fp);
	parked_insert(fp, entry);
	parked_append(fp, entry);
	send_record(fp, entry);
	return 1;
}

/*
 * Unparks the articles dropped() takes (their feeds' partitions were revoked). Their records
 * stay in the transaction: read back, each is judged as another instance's would be, as every
 * instance judges it, and a later record of the same id takes that judgement.
 */
size_t
cluster_fingerprints_drop(struct cluster *cluster, int (*dropped)(void *item, void *context),
    void *context)
{
	struct fingerprints *fp = cluster->fingerprints;
	size_t count = 0;

	for (size_t i = 0; fp != NULL && i < fp->bucket_count; i++)
		for (struct parked **link = &fp->buckets[i]; *link != NULL; ) {
			struct parked *entry = *link;
			if (!dropped(entry->item, context)) {
				link = &entry->next;
				continue;
			}
			*link = entry->next;
			parked_unlink(fp, entry);	/* and from the deadlines' order */
			cluster->status.fingerprints_parked--;
			if (entry->unsent)
				fp->unsent--;
			parked_free(entry);
			count++;
		}
	return count;
}

/*
 * The brokers' answers that sending the record again does not change (librdkafka's text of
 * the error: the delivery report carries no code): a record larger than the topic's
 * max.message.bytes, one they cannot take.
 */
static int
refused_for_good(const char *error_text)
{
	static const rd_kafka_resp_err_t permanent[] = {
		RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
		RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_INVALID_RECORD,
		RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
	};

	for (size_t i = 0; error_text != NULL && i < sizeof permanent / sizeof permanent[0]; i++)
		if (strcmp(error_text, rd_kafka_err2str(permanent[i])) == 0)
			return 1;
	return 0;
}

/* A set of ids past FP_SET_ASIDE_MAX is forgotten all at once: it only saves refusals. */
static void
remember(struct string_set *set, const char *id)
{
	if (set->count >= FP_SET_ASIDE_MAX)
		string_set_clear(set);
	string_set_add(set, id);
}

/*
 * A record refused for good: its id is set aside (never sent again: each failed produce
 * makes the open transaction abortable, so sending it into every transaction aborted them
 * all until fingerprint_timeout) and its article goes to be judged here, without a record,
 * at the next tick (not inside the delivery report: judging publishes).
 */
static void
set_aside(struct fingerprints *fp, struct parked *entry, const char *error_text)
{
	remember(&fp->set_aside, entry->id);
	fp->cluster->status.fingerprints_refused++;
	entry->refusal = xstrdup(error_text);
	entry->next = fp->refused;
	fp->refused = entry;
}

/*
 * A record refused whole for good goes again without its story features (the story part is
 * nearly all of a long record: up to a few hundred features, the title, the entities), into
 * the next transaction (this one aborts), and so does every later record of its id. Read
 * back, it is judged at its own place in the log, dedup only, on every instance alike; its
 * article joins no story. Whether it was refused with its batch is asked again of it: it is
 * a new record (not suspect).
 */
static void
shrink(struct fingerprints *fp, struct parked *entry, const char *error_text)
{
	size_t whole = entry->length;

	remember(&fp->shrink, entry->id);
	entry->shrunk = 1;
	entry->suspect = 0;
	free(entry->value);
	entry->value = encode(fp, entry, &entry->length);
	if (!entry->unsent) {
		entry->unsent = 1;	/* the tick sends it */
		fp->unsent++;
	}
	fp->cluster->status.fingerprints_shrunk++;
	log_event(LOG_LEVEL_WARNING, "cluster", "cluster.fingerprint_shrunk",
	    "id=%s url=%s bytes=%zu shrunk_bytes=%zu error=%s action=send-without-story",
	    entry->id, log_quote(entry->article->link), whole, entry->length,
	    log_quote(error_text));
}

static void
judge_refused(struct fingerprints *fp)
{
	struct parked *entry;

	while ((entry = fp->refused) != NULL) {
		fp->refused = entry->next;
		fp->hooks.refused(fp->hooks.context, entry->item, entry->when, entry->length,
		    entry->refusal);
		parked_free(entry);
	}
}

/*
 * A record not delivered is sent again by the tick. One refused for good is taken as too
 * large itself when it is over twice as long as any the brokers took (a poison record is far
 * longer than the others; with none taken yet, any), or when it was refused so before; else
 * it is sent again once, alone: the brokers refuse a batch too large as a whole, with every
 * record in it, and a record of the size of those they take is likely not the one at fault.
 * Too large itself, it is shrunk (sent without its story features) when it has them, or else
 * set aside.
 */
void
cluster_fingerprint_on_report(struct cluster *cluster, int success, const char *key,
    size_t key_length, size_t length, const char *error_text)
{
	struct fingerprints *fp = cluster->fingerprints;
	int for_good = refused_for_good(error_text);
	struct parked *entry = NULL;
	char *id;

	if (success) {
		cluster->status.fingerprints_sent++;
		if (fp != NULL && length > fp->largest_sent)
			fp->largest_sent = length;
		return;
	}
	id = fp != NULL && key != NULL ? xstrndup(key, key_length) : NULL;
	if (id != NULL)
		entry = parked_find(fp, id, 0);
	if (entry != NULL && for_good &&
	    (entry->suspect || entry->length > 2 * fp->largest_sent)) {
		if (!entry->shrunk && entry->article->story_features != NULL)
			shrink(fp, entry, error_text);
		else
			set_aside(fp, parked_find(fp, id, 1), error_text);
		free(id);
		return;
	}
	cluster->status.fingerprints_failed++;
	log_complain("cluster.fingerprint", "cluster", "cluster.fingerprint_failed",
	    "error=%s action=%s", log_quote(error_text), for_good ? "send-again-alone" :
	    "send-again");
	if (entry != NULL) {
		entry->suspect |= for_good;
		if (!entry->unsent) {
			entry->unsent = 1;	/* the tick sends it again */
			fp->unsent++;
		}
	}
	free(id);
}

/* One record, in log order: ours (parked here) judged now, another's into the index. */
static void
judge(struct fingerprints *fp, const rd_kafka_message_t *message)
{
	struct fprecord record;
	struct article *article = NULL;
	struct parked *entry = NULL;
	int valid = fprecord_open(&record, message->payload, message->len) == 0 &&
	    record.time > 0;

	fp->cluster->status.fingerprints_read++;
	if (valid && (entry = parked_find(fp, record.id, 1)) != NULL) {
		void *item = entry->item;
		parked_free(entry);
		fp->hooks.local(fp->hooks.context, item, record.time, fprecord_has_story(&record));
	} else if (valid && (article = fprecord_article(&record, &fp->hasher)) != NULL)
		fp->hooks.remote(fp->hooks.context, article, record.time);
	else
		log_complain("cluster.fingerprint.invalid", "cluster",
		    "cluster.fingerprint_skipped", "offset=%" PRId64 " reason=%s",
		    message->offset, valid ? "not a record of this [dedup] configuration" :
		    "not a fingerprint record");
	fprecord_close(&record);
}

static void
progress(struct fingerprints *fp)
{
	struct cluster_status *status = &fp->cluster->status;
	int64_t low = 0, high = 0;

	if (rd_kafka_get_watermark_offsets(fp->reader,
	    fp->cluster->config->cluster.topic_fingerprints, FP_PARTITION, &low, &high) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0)
		status->fingerprints_lag = high > fp->next_offset ? high - fp->next_offset : 0;
	if (!status->fingerprints_caught_up && fp->next_offset >= fp->end_at_start) {
		status->fingerprints_caught_up = 1;
		fp->caught_up_ms = monotonic_ms();
		log_event(LOG_LEVEL_INFO, "cluster", "cluster.fingerprints_caught_up",
		    "topic=%s records=%lld end=%" PRId64,
		    fp->cluster->config->cluster.topic_fingerprints, status->fingerprints_read,
		    fp->end_at_start);
	}
}

/*
 * Up to FP_READ_MAX records a call; when there may be more (a catch-up), the loop comes back
 * for them at its next turn (fp->more, a timer due at once: it runs after the loop's next
 * look at its sockets, where event_active would run it again before), so the polls and the
 * tick that are ready run between chunks: not at the next tick or the next wake-up of
 * librdkafka's, which paced a start's catch-up at one chunk per tick (100 ms), and not all
 * at once, which held every poll until the whole window was judged. A chunk is about 10-15
 * ms of judging (20-25 us a record of the articles corpus, bench_fpwindow judge).
 */
static void
read_records(struct fingerprints *fp)
{
	static const struct timeval now = { 0, 0 };
	rd_kafka_message_t *message = NULL;
	int count = 0;

	while (count < FP_READ_MAX &&
	    (message = rd_kafka_consumer_poll(fp->reader, 0)) != NULL) {
		count++;
		if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			if (message->offset > fp->next_offset)
				fp->next_offset = message->offset;
		} else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_complain("cluster.fingerprint.read", "cluster",
			    "cluster.fingerprint_read_failed", "error=%s",
			    log_quote(rd_kafka_message_errstr(message)));
		else {
			fp->next_offset = message->offset + 1;
			judge(fp, message);
		}
		rd_kafka_message_destroy(message);
	}
	if (count == FP_READ_MAX && fp->more != NULL)
		evtimer_add(fp->more, &now);
	progress(fp);
}

static void
on_readable(evutil_socket_t fd, short what, void *context)
{
	char drain[64];

	while (read(fd, drain, sizeof drain) > 0)
		continue;
	read_records(context);
}

static void
on_more(evutil_socket_t fd, short what, void *context)
{
	read_records(context);
}

/*
 * Articles whose record did not come back within [cluster] fingerprint_timeout (the produce
 * kept failing, the reader lost the record, a bug) leave the park, oldest first, and go to
 * the ingest side to be released as failed: not judged (that would be out of the log's
 * order), their feeds poll them again. A record of theirs read later is judged as another
 * instance's (judge()): into the indexes, the article being gone. The timeout runs from the
 * end of the start's catch-up at the earliest: until the window has been read no record of
 * ours can come back (they all come after it), however long reading it takes.
 */
static void
expire(struct fingerprints *fp)
{
	int64_t now = monotonic_ms();
	void **items = NULL;
	size_t count = 0, size = 0;

	if (!fp->cluster->status.fingerprints_caught_up ||
	    now < fp->caught_up_ms + fp->cluster->config->cluster.fingerprint_timeout_ms)
		return;
	while (fp->oldest != NULL && fp->oldest->deadline_ms <= now) {
		struct parked *entry = parked_find(fp, fp->oldest->id, 1);
		if (count == size) {
			size = size ? size * 2 : 16;
			items = xrealloc(items, size * sizeof *items);
		}
		items[count++] = entry->item;
		parked_free(entry);
	}
	fp->cluster->status.fingerprints_timed_out += (long long)count;
	if (count > 0)
		fp->hooks.expired(fp->hooks.context, items, count);
	free(items);
}

/*
 * The records to send again: the first one refused for good once (suspect) the producer
 * takes, by itself (a produce request of its own as far as the producer's 50 ms linger
 * allows), or else all.
 */
static void
send_again(struct fingerprints *fp)
{
	for (size_t i = 0; fp->unsent > 0 && i < fp->bucket_count; i++)
		for (struct parked *entry = fp->buckets[i]; entry != NULL; entry = entry->next)
			if (entry->unsent && entry->suspect) {
				send_record(fp, entry);
				if (!entry->unsent)
					return;		/* the producer took it */
			}
	for (size_t i = 0; fp->unsent > 0 && i < fp->bucket_count; i++)
		for (struct parked *entry = fp->buckets[i]; entry != NULL; entry = entry->next)
			if (entry->unsent)
				send_record(fp, entry);
}

/*
 * From cluster.c's tick (every 100 ms, or [cluster] commit_interval when shorter), not a
 * timer of its own: two timers of one period, set apart by the reader's start, woke the loop
 * thread up to twice a period (an idle instance's loop woke 21-31 times a second).
 */
void
fingerprints_tick(struct fingerprints *fp)
{
	if (fp == NULL || fp->readable == NULL)
		return;		/* not open (yet), or its reader could not start */
	send_again(fp);
	judge_refused(fp);
	read_records(fp);
	expire(fp);
}

/* The longer of the dedup and stories windows: what a starting instance must read again. */
static long long
fingerprints_window(const struct config *config)
{
	return config->stories.enabled && config->stories.window_seconds >
	    config->dedup.window_seconds ? config->stories.window_seconds :
	    config->dedup.window_seconds;
}

/* One partition, retention = the window; an existing topic is taken as it is. */
static int
create_topic(struct fingerprints *fp, char *error, size_t error_size)
{
	const struct config *config = fp->cluster->config;
	char retention[32], reason[256] = "no answer from the brokers";
	rd_kafka_NewTopic_t *topic = rd_kafka_NewTopic_new(config->cluster.topic_fingerprints, 1,
	    config->cluster.replication_factor > 0 ? config->cluster.replication_factor : -1,
	    NULL, 0);
	rd_kafka_queue_t *queue = rd_kafka_queue_new(fp->cluster->reader);
	rd_kafka_event_t *event;
	int status = -1;

	snprintf(retention, sizeof retention, "%lld", fingerprints_window(config) * 1000);
	rd_kafka_NewTopic_set_config(topic, "retention.ms", retention);
	rd_kafka_NewTopic_set_config(topic, "cleanup.policy", "delete");
	rd_kafka_CreateTopics(fp->cluster->reader, &topic, 1, NULL, queue);
	if ((event = rd_kafka_queue_poll(queue, FP_ADMIN_TIMEOUT_MS)) != NULL) {
		size_t count = 0;
		const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(
		    rd_kafka_event_CreateTopics_result(event), &count);
		rd_kafka_resp_err_t code = rd_kafka_event_error(event) ? rd_kafka_event_error(event) :
		    count == 1 ? rd_kafka_topic_result_error(results[0]) : RD_KAFKA_RESP_ERR_UNKNOWN;

		if (code == RD_KAFKA_RESP_ERR_NO_ERROR)
			log_event(LOG_LEVEL_INFO, "cluster", "cluster.topic_created",
			    "topic=%s partitions=1 retention_ms=%s",
			    config->cluster.topic_fingerprints, retention);
		status = code == RD_KAFKA_RESP_ERR_NO_ERROR ||
		    code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS ? 0 : -1;
		snprintf(reason, sizeof reason, "%s", rd_kafka_err2str(code));
		rd_kafka_event_destroy(event);
	}
	if (status < 0)
		snprintf(error, error_size, "[cluster] creating topic %s: %s",
		    config->cluster.topic_fingerprints, reason);
	rd_kafka_NewTopic_destroy(topic);
	rd_kafka_queue_destroy(queue);
	return status;
}

/*
 * The reader holds the partition for the instance's life, so its fetch wait is what an idle
 * instance pays: the broker holds a fetch that finds nothing new for fetch.wait.max.ms, and
 * at 20 ms that was 45-50 fetches a second per instance, the most of an idle instance's
 * wake-ups (its CPU, and the broker's). A record does not wait for it: the broker answers a
 * held fetch as soon as the partition's high watermark moves past it. What waits is the end
 * of the catch-up at start when the partition ends with a transaction marker (no record to
 * read up to it: a fetch that finds nothing says where the end is), once, up to this wait.
 */
static int
open_reader(struct fingerprints *fp, char *error, size_t error_size)
{
	static const char *const settings[][2] = {
		{ "enable.partition.eof", "true" }, { "enable.auto.commit", "false" },
		{ "isolation.level", "read_uncommitted" }, { "fetch.wait.max.ms", "500" },
		{ "auto.offset.reset", "earliest" },
	};
	rd_kafka_conf_t *conf = cluster_kafka_conf(fp->cluster, "fingerprints", error,
	    error_size);
	char group[300];

	if (conf == NULL)
		return -1;
	/* librdkafka wants a group.id for assign(); this one never joins (no subscribe). */
	snprintf(group, sizeof group, "%s.fingerprints-reader",
	    fp->cluster->config->cluster.group);
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], error, error_size) !=
		    RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(conf);
			return -1;
		}
	if (rd_kafka_conf_set(conf, "group.id", group, error, error_size) != RD_KAFKA_CONF_OK ||
	    (fp->reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, error_size)) == NULL) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_poll_set_consumer(fp->reader);
	return 0;
}

/* The partition's end now (up to 15 s while a new topic shows up), then read from its start. */
static int
start_reading(struct fingerprints *fp, char *error, size_t error_size)
{
	const char *topic = fp->cluster->config->cluster.topic_fingerprints;
	int64_t deadline = monotonic_ms() + FP_ADMIN_TIMEOUT_MS, low = 0, high = -1;
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t code;

	while ((code = rd_kafka_query_watermark_offsets(fp->reader, topic, FP_PARTITION, &low,
	    &high, 2000)) != RD_KAFKA_RESP_ERR_NO_ERROR && monotonic_ms() < deadline)
		usleep(200 * 1000);	/* start-up only, before the loop runs */
	if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
		fp->end_at_start = high;
		rd_kafka_topic_partition_list_add(list, topic, FP_PARTITION)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
		code = rd_kafka_assign(fp->reader, list);
	}
	rd_kafka_topic_partition_list_destroy(list);
	if (code != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(error, error_size, "[cluster] reading %s: %s", topic,
		    rd_kafka_err2str(code));
		return -1;
	}
	log_event(LOG_LEVEL_INFO, "cluster", "cluster.fingerprints_reading",
	    "topic=%s from=%" PRId64 " to=%" PRId64, topic, low, high);
	return 0;
}

static int
watch_queue(struct fingerprints *fp, struct event_base *base, char *error, size_t error_size)
{
	if (pipe(fp->wake) < 0 || fcntl(fp->wake[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(fp->wake[1], F_SETFL, O_NONBLOCK) < 0) {
		snprintf(error, error_size, "[cluster] pipe: %s", strerror(errno));
		return -1;
	}
	fp->queue = rd_kafka_queue_get_consumer(fp->reader);
	rd_kafka_queue_io_event_enable(fp->queue, fp->wake[1], "1", 1);
	fp->readable = event_new(base, fp->wake[0], EV_READ | EV_PERSIST, on_readable, fp);
	fp->more = evtimer_new(base, on_more, fp);
	event_add(fp->readable, NULL);
	return 0;
}

int
cluster_fingerprints_open(struct cluster *cluster, struct event_base *base,
    const struct fingerprint_hooks *hooks, char *error, size_t error_size)
{
	const struct dedup_config *dedup = &cluster->config->dedup;
	struct fingerprints *fp = xcalloc(1, sizeof *fp);

	fp->cluster = cluster;
	fp->hooks = *hooks;
	fp->wake[0] = fp->wake[1] = -1;
	dedup_hasher_init(&fp->hasher, dedup->shingle_size, dedup->signature_size, dedup->bands);
	parked_grow(fp);
	cluster->fingerprints = fp;
	if (publisher_uncompressed(cluster->publisher, cluster->config->cluster.topic_fingerprints,
	    error, error_size) < 0 ||
	    create_topic(fp, error, error_size) < 0 || open_reader(fp, error, error_size) < 0 ||
	    start_reading(fp, error, error_size) < 0 ||
	    watch_queue(fp, base, error, error_size) < 0)
		return -1;
	return 0;
}

long long
cluster_fingerprints_parked(const struct cluster *cluster)
{
	return cluster->status.fingerprints_parked;
}

void
fingerprints_close(struct fingerprints *fp)
{
	if (fp == NULL)
		return;
	if (fp->readable != NULL)
		event_free(fp->readable);
	if (fp->more != NULL)
		event_free(fp->more);
	for (size_t i = 0; i < fp->bucket_count; i++)
		while (fp->buckets[i] != NULL) {
			struct parked *entry = fp->buckets[i];
			fp->buckets[i] = entry->next;
			if (fp->hooks.discard != NULL)
				fp->hooks.discard(fp->hooks.context, entry->item);
			parked_free(entry);
		}
	free(fp->buckets);
	while (fp->refused != NULL) {
		struct parked *entry = fp->refused;
		fp->refused = entry->next;
		if (fp->hooks.discard != NULL)
			fp->hooks.discard(fp->hooks.context, entry->item);
		parked_free(entry);
	}
	string_set_clear(&fp->set_aside);
	string_set_clear(&fp->shrink);
	if (fp->queue != NULL) {
		rd_kafka_queue_io_event_enable(fp->queue, -1, NULL, 0);
		rd_kafka_queue_destroy(fp->queue);
	}
	if (fp->reader != NULL) {
		rd_kafka_consumer_close(fp->reader);
		rd_kafka_destroy(fp->reader);
	}
	for (int i = 0; i < 2; i++)
		if (fp->wake[i] >= 0)
			close(fp->wake[i]);
	dedup_hasher_free(&fp->hasher);
	free(fp);
}
