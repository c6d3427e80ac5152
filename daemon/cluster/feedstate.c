/*
 * feedstate.c - the state topic of cluster mode (see cluster.h): one compacted record per feed,
 * key = its configured URL, value = JSON
 *
 *   {"url": ..., "etag": ..., "last_modified": ..., "current_url": ..., "failures": N,
 *    "disabled": false, "next_poll": UNIX-SECONDS, "updated": ..., "ids": "BASE64"}
 *
 * ids packs the last CLUSTER_DELIVERED_MAX delivered ids as 64-bit hashes with, for each, the
 * feed's updated time of the item as delivered and the hash of what it said (the seen table's
 * columns, daemon/state.c), so that its next owner re-publishes an item the feed updates since
 * and not one whose update says what it said (feedids.c; about 17 bytes an id, where the JSON
 * lists "delivered" and "versions" of earlier versions took 100-150: those are still read).
 * In memory the JSON members are a jansson object and the ids a struct feedids; a next owner
 * gives a handed-over id to its seen cache when a poll first lists it (cluster_feed_handed).
 *
 * written to the partition of the feed's number in the assignment topic. The reader is a
 * consumer outside any group: a partition assigned to this instance is read from its beginning
 * until librdkafka reports its end (enable.partition.eof) and no transaction is open on it (its
 * last stable offset is its high watermark: an instance cut off from the group may be
 * committing one), then dropped from the reader. Records of feeds we own change in memory and
 * are written (at most one per feed per transaction) into the daemon's transaction (txn.c),
 * once it is sealed and its articles are reported, just before it commits; a failed write is
 * retried in the next one. A feed's new validators and a later next poll wait for its
 * record's next write, or its partition's hand-on (cluster_feed_changed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster_internal.h"
#include "cluster/feedids.h"
#include "json_write.h"
#include "log.h"
#include "publish.h"
#include "util.h"

#define READ_BUDGET_MS	20	/* of the loop for the state reader at a time */

static rd_kafka_topic_partition_list_t *
one_partition(const struct cluster *cluster, int partition, int64_t offset)
{
	rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(list, cluster->config->cluster.topic_state,
	    partition)->offset = offset;
	return list;
}

void
feedstate_reader_assign(struct cluster *cluster, int partition)
{
	rd_kafka_topic_partition_list_t *list = one_partition(cluster, partition,
	    RD_KAFKA_OFFSET_BEGINNING);
	rd_kafka_error_t *error = rd_kafka_incremental_assign(cluster->reader, list);

	if (error != NULL) {
		log_event(LOG_LEVEL_ERROR, "cluster", "cluster.state_read_failed",
		    "partition=%d error=%s", partition, log_quote(rd_kafka_error_string(error)));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(list);
}

void
feedstate_reader_unassign(struct cluster *cluster, int partition)
{
	rd_kafka_topic_partition_list_t *list = one_partition(cluster, partition, 0);
	rd_kafka_error_t *error = rd_kafka_incremental_unassign(cluster->reader, list);

	cluster->stable_wait[partition] = 0;
	if (error != NULL)
		rd_kafka_error_destroy(error);
	rd_kafka_topic_partition_list_destroy(list);
}

/*
 * The record's delivered ids into the map: packed (the base64 text given, or the record's
 * "ids") or an earlier version's lists ("delivered", "versions"); those members leave the
 * record. -1 when malformed (what the map held of the feed stays, as its record does).
 */
static int
take_ids(struct cluster *cluster, const char *url, json_t *record, const char *packed,
    size_t packed_length)
{
	json_t *member = json_object_get(record, "ids");
	struct feedids read = { 0 }, *ids;
	int failed = 0;

	if (packed == NULL && json_is_string(member)) {
		packed = json_string_value(member);
		packed_length = json_string_length(member);
	}
	if (packed != NULL)
		failed = feedids_decode(&read, packed, packed_length) < 0;
	else
		feedids_from_json(&read, json_object_get(record, "delivered"),
		    json_object_get(record, "versions"));
	if (failed) {
		feedids_clear(&read);
		return -1;
	}
	ids = feedids_take(&cluster->ids, url);
	feedids_move(ids, &read);
	json_object_del(record, "ids");
	json_object_del(record, "delivered");
	json_object_del(record, "versions");
	return 0;
}

/*
 * The packed ids at the end of a record as feedstate_encode writes it (,"ids":"BASE64"}):
 * the text between the value's last two quotes (*packed_length bytes), with *cut the length
 * of the members before it (up to its comma); NULL when the record does not end so. A quote
 * inside a JSON string is escaped, so "ids":" with its three quotes bare is a member name
 * and the opening of its value, and a value with no quote up to the closing brace is the
 * last member. Its text is checked by feedids_decode (base64 only); a record whose text is
 * not (escapes) is read by jansson whole.
 */
static const char *
packed_tail(const char *value, size_t length, size_t *cut, size_t *packed_length)
{
	static const char name[] = "\"ids\":\"";
	const char *quote;
	size_t start;

	if (length < sizeof name + 2 || value[length - 1] != '}' || value[length - 2] != '"' ||
	    (quote = memrchr(value, '"', length - 2)) == NULL)
		return NULL;
	start = (size_t)(quote - value) + 1;
	if (start < sizeof name || memcmp(value + start - (sizeof name - 1), name,
	    sizeof name - 1) != 0)
		return NULL;
	*cut = start - (sizeof name - 1);
	if (value[*cut - 1] != ',' && value[*cut - 1] != '{')
		return NULL;
	*cut -= value[*cut - 1] == ',';
	*packed_length = length - 2 - start;
	return value + start;
}

/*
 * A record as feedstate_encode writes it, read without jansson copying and checking the
 * 22 KB base64 string of a full one character by character (most of a catch-up's time:
 * 50,000 feeds took 48 s to take over, tests/bench/cluster_scale.py): the members before
 * the packed ids parsed, the ids decoded from the value itself. -1, nothing changed, when
 * the record is not of that form.
 */
int
feedstate_take_written(struct cluster *cluster, const char *url, const char *value, size_t length)
{
	size_t cut, packed_length;
	const char *packed = packed_tail(value, length, &cut, &packed_length);
	char *members;
	json_t *record;

	if (packed == NULL)
		return -1;
	members = xmalloc(cut + 2);
	memcpy(members, value, cut);
	memcpy(members + cut, "}", 2);
	record = json_loadb(members, cut + 1, 0, NULL);
	free(members);
	if (!json_is_object(record) || take_ids(cluster, url, record, packed, packed_length) < 0) {
		json_decref(record);
		return -1;
	}
	json_object_set_new(cluster->feeds, url, record);
	return 0;
}

int
feedstate_take(struct cluster *cluster, const char *url, const void *value, size_t length)
{
	json_t *record;

	if (value == NULL) {	/* a tombstone */
		json_object_del(cluster->feeds, url);
		feedids_drop(&cluster->ids, url);
		return 0;
	}
	if (feedstate_take_written(cluster, url, value, length) == 0)
		return 0;
	/* Another writer's form (an earlier version's lists, escapes), or malformed. */
	record = json_loadb(value, length, 0, NULL);
	if (record == NULL || !json_is_object(record) ||
	    take_ids(cluster, url, record, NULL, 0) < 0) {
		json_decref(record);
		return -1;
	}
	json_object_set_new(cluster->feeds, url, record);
	return 0;
}

/* A record read back: kept when its partition is still being caught up. */
static void
take_record(struct cluster *cluster, const rd_kafka_message_t *message)
{
	char *url;

	if (message->partition < 0 || message->partition >= cluster->partitions ||
	    cluster->phase[message->partition] != PARTITION_CATCHING_UP || message->key == NULL)
		return;
	url = xstrndup(message->key, message->key_len);
	cluster->status.state_read++;
	if (feedstate_take(cluster, url, message->payload, message->len) < 0)
		log_complain("cluster.state.malformed", "cluster", "cluster.state_malformed",
		    "feed=%s offset=%lld", log_quote(url), (long long)message->offset);
	free(url);
}

/* 1 when offset (the reader's position) is the partition's high watermark. */
static int
at_high_watermark(struct cluster *cluster, int partition, int64_t offset)
{
	int64_t low, high;

	if (rd_kafka_get_watermark_offsets(cluster->reader, cluster->config->cluster.topic_state,
	    partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	return offset >= high;
}

/* At the end for a read_committed reader: caught up unless a transaction is open there. */
static void
reached_end(struct cluster *cluster, int partition, int64_t offset)
{
	if (partition < 0 || partition >= cluster->partitions ||
	    cluster->phase[partition] != PARTITION_CATCHING_UP)
		return;
	if (!at_high_watermark(cluster, partition, offset)) {
		if (!cluster->stable_wait[partition])
			log_event(LOG_LEVEL_INFO, "cluster", "cluster.state_unstable",
			    "partition=%d offset=%lld action=wait-for-open-transaction", partition,
			    (long long)offset);
		cluster->stable_wait[partition] = 1;
		return;
	}
	cluster->stable_wait[partition] = 0;
	cluster_partition_caught_up(cluster, partition);
}

/* From the tick: partitions waiting for an open transaction to end, at their position. */
void
feedstate_check_stable(struct cluster *cluster)
{
	for (int i = 0; i < cluster->partitions; i++) {
		rd_kafka_topic_partition_list_t *list;

		if (!cluster->stable_wait[i])
			continue;
		list = one_partition(cluster, i, RD_KAFKA_OFFSET_INVALID);
		if (rd_kafka_position(cluster->reader, list) == RD_KAFKA_RESP_ERR_NO_ERROR &&
		    list->elems[0].offset >= 0)
			reached_end(cluster, i, list->elems[0].offset);
		rd_kafka_topic_partition_list_destroy(list);
	}
}

/*
 * Serves the reader: records of partitions catching up, and their ends, for at most
 * READ_BUDGET_MS of the loop (1 when it stopped there). It took up to 100,000 records a
 * call, all librdkafka had fetched: 0.6-0.8 s of the loop at a time in a takeover of 8,400
 * full records (tests/bench/cluster_scale.py 50000), and seconds a call before records were
 * read without jansson parsing their ids.
 */
int
feedstate_read(struct cluster *cluster)
{
	int64_t until = monotonic_ms() + READ_BUDGET_MS;
	rd_kafka_message_t *message;

	for (int i = 1; (message = rd_kafka_consumer_poll(cluster->reader, 0)) != NULL; i++) {
		if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			reached_end(cluster, message->partition, message->offset);
		else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_complain("cluster.state.read", "cluster", "cluster.state_read_failed",
			    "partition=%d error=%s", (int)message->partition,
			    log_quote(rd_kafka_message_errstr(message)));
		else
			take_record(cluster, message);
		rd_kafka_message_destroy(message);
		if (i % 32 == 0 && monotonic_ms() >= until)
			return 1;
	}
	return 0;
}

/*
 * The record's value, replacing out's contents: the JSON members by the project's writer
 * (json_write.c, jansson's json_dumps for a record it refuses: a string that is not UTF-8,
 * which jansson never makes), then "ids", packed (feedids.c), spliced in before the closing
 * brace: base64 needs no escaping.
 */
void
feedstate_encode(const json_t *record, const struct feedids *ids, struct buffer *out)
{
	char *dumped;

	buffer_reset(out);
	if (json_write(record, out) != 0) {
		buffer_reset(out);
		if ((dumped = json_dumps(record, JSON_COMPACT)) != NULL)
			buffer_append_string(out, dumped);
		free(dumped);
	}
	if (ids == NULL || out->length < 2 || out->data[out->length - 1] != '}')
		return;
	out->length--;
	buffer_append_string(out, out->length > 1 ? ",\"ids\":\"" : "\"ids\":\"");
	feedids_encode(ids, out);
	buffer_append_string(out, "\"}");
}

static void
write_record(struct cluster *cluster, const char *url, json_t *record)
{
	struct buffer value = { 0 };

	json_object_set_new(record, "updated", json_integer((json_int_t)time(NULL)));
	feedstate_encode(record, feedids_get(&cluster->ids, url), &value);
	/* Past the publisher's hold: the transaction is sealed, these still go into it. */
	if (value.length > 0 && publisher_send_sealed(cluster->publisher,
	    cluster->config->cluster.topic_state, cluster_partition(cluster, url), url,
	    value.data, value.length, cluster_message_kind()) == 0) {
		json_object_set_new(cluster->txn_written, url, json_true());
		json_object_del(cluster->unwritten, url);	/* they are in it */
	} else {
		cluster->status.state_errors++;
		json_object_set_new(cluster->dirty, url, json_true());	/* next transaction */
	}
	buffer_free(&value);
}

/* Writes the records changed since the last call, of feeds whose state we may write. */
void
feedstate_write_dirty(struct cluster *cluster)
{
	json_t *pending = cluster->dirty, *record;
	const char *url;
	void *scratch;

	if (json_object_size(pending) == 0)
		return;
	cluster->dirty = json_object();
	json_object_foreach_safe(pending, scratch, url, record) {
		json_t *state = json_object_get(cluster->feeds, url);

		if (state != NULL && cluster_writes(cluster, url))
			write_record(cluster, url, state);
	}
	json_decref(pending);
}

struct partition_of {
	struct cluster	*cluster;
	int		 partition;
};

static int
in_partition(void *context, const char *url)
{
	struct partition_of *of = context;

	return cluster_partition(of->cluster, url) == of->partition;
}

/* The partition left us: its records and pending writes go. */
void
feedstate_forget(struct cluster *cluster, int partition)
{
	struct partition_of of = { cluster, partition };

	const char *url;
	json_t *record;
	void *scratch;

	json_object_foreach_safe(cluster->feeds, scratch, url, record)
		if (cluster_partition(cluster, url) == partition)
			json_object_del(cluster->feeds, url);
	json_object_foreach_safe(cluster->dirty, scratch, url, record)
		if (cluster_partition(cluster, url) == partition)
			json_object_del(cluster->dirty, url);
	json_object_foreach_safe(cluster->unwritten, scratch, url, record)
		if (cluster_partition(cluster, url) == partition)
			json_object_del(cluster->unwritten, url);
	feedids_drop_if(&cluster->ids, in_partition, &of);
}

/* A failed one fails its transaction too: it aborts, and writes the record again. */
void
cluster_on_report(struct cluster *cluster, int success, const char *key, size_t key_length,
    const char *error_text)
{
	if (success) {
		cluster->status.state_records++;
		return;
	}
	cluster->status.state_errors++;
	log_complain("cluster.state.write", "cluster", "cluster.state_write_failed", "error=%s",
	    log_quote(error_text));
}

/* The record of an owned feed, created when new. */
static json_t *
record_of(struct cluster *cluster, const char *url)
{
	json_t *record = json_object_get(cluster->feeds, url);

	if (record == NULL) {
		record = json_object();
		json_object_set_new(record, "url", json_string(url));
		json_object_set_new(cluster->feeds, url, record);
		feedids_take(&cluster->ids, url);
	}
	return record;
}

/* Sets record[key] to a string or null; 1 when that changed it (compared before building). */
static int
set_string(json_t *record, const char *key, const char *value)
{
	json_t *old = json_object_get(record, key);

	if (old != NULL && (value == NULL ? json_is_null(old) :
	    json_is_string(old) && strcmp(json_string_value(old), value) == 0))
		return 0;
	json_object_set_new(record, key, json_string_or_null(value));
	return 1;
}

static int
set_integer(json_t *record, const char *key, long long value)
{
	json_t *old = json_object_get(record, key);

	if (json_is_integer(old) && json_integer_value(old) == value)
		return 0;
	json_object_set_new(record, key, json_integer((json_int_t)value));
	return 1;
}

static int
set_boolean(json_t *record, const char *key, int value)
{
	json_t *old = json_object_get(record, key);

	if (json_is_boolean(old) && json_is_true(old) == !!value)
		return 0;
	json_object_set_new(record, key, json_boolean(value));
	return 1;
}

/*
 * What a poll changes is written with the next transaction, except what a new owner can do
 * without, which waits for the record's next write (a delivery from the feed, a change of its
 * health) or for its partition to be handed on (feedstate_hand_on()), so that a poll that
 * delivers nothing writes nothing, whatever the interval:
 *
 * - next_poll: every poll moves it later by the feed's interval; a new owner that finds it
 *   passed polls at once, so a later one is not written by itself. One earlier than the
 *   record says by more than CLUSTER_NEXT_POLL_SLACK seconds (a shorter interval after a
 *   reload) is: the new owner would wait too long.
 * - the validators: they advance once a poll's items are delivered, i.e. a transaction after
 *   the record naming those items; written by themselves, that was a second record (of up to
 *   22 KB) for every poll that delivered. A new owner that finds the earlier ones fetches the
 *   feed whole once, and skips its items as delivered (their ids are in the record).
 */
void
cluster_feed_changed(struct cluster *cluster, const char *url, const struct feed_record *state,
    time_t next_poll)
{
	json_t *record;
	json_int_t recorded;
	int changed = 0, validators = 0;

	if (!cluster_writes(cluster, url))
		return;
	record = record_of(cluster, url);
	validators |= set_string(record, "etag", state->etag);
	validators |= set_string(record, "last_modified", state->last_modified);
	changed |= set_string(record, "current_url", state->current_url);
	changed |= set_integer(record, "failures", state->failures);
	changed |= set_boolean(record, "disabled", state->disabled);
	recorded = json_integer_value(json_object_get(record, "next_poll"));
	if (next_poll != 0) {	/* 0: not scheduled here (any more): the last one stands */
		changed |= (long long)next_poll < (long long)recorded - CLUSTER_NEXT_POLL_SLACK;
		set_integer(record, "next_poll", (long long)next_poll);
	}
	if (changed || (validators && !cluster_owns(cluster, url)))	/* handed on: now */
		json_object_set_new(cluster->dirty, url, json_true());
	else if (validators)
		json_object_set_new(cluster->unwritten, url, json_true());
}

void
cluster_feed_due(struct cluster *cluster, const char *url)
{
	time_t now = time(NULL);
	json_t *record;

	if (!cluster_writes(cluster, url))
		return;
	record = record_of(cluster, url);
	if (json_integer_value(json_object_get(record, "next_poll")) <= (json_int_t)now)
		return;
	set_integer(record, "next_poll", (long long)now);
	json_object_set_new(cluster->dirty, url, json_true());
}

void
feedstate_hand_on(struct cluster *cluster, int partition)
{
	const char *url;
	json_t *value;
	void *scratch;

	json_object_foreach_safe(cluster->unwritten, scratch, url, value)
		if (cluster_partition(cluster, url) == partition) {
			json_object_set_new(cluster->dirty, url, json_true());
			json_object_del(cluster->unwritten, url);
		}
}

/*
 * The transaction a delivery belongs to: a report that comes while one ends (its flush timed
 * out) is of that one, since nothing else is in librdkafka then (the publisher holds sends).
 */
static json_t *
transaction_list(struct cluster *cluster)
{
	return cluster->txn_stage == TXN_ENDING ? cluster->ending_delivered :
	    cluster->txn_delivered;
}

/*
 * The undo entry of a delivery: [url, hash] when the feed's ids did not hold it, [url, hash,
 * updated, content hash] (as integers) when they did; built by hand, as it is made for every
 * delivery.
 */
static json_t *
undo_entry(const char *url, uint64_t hash, const struct feedid *before)
{
	json_t *entry = json_array();

	json_array_append_new(entry, json_string_nocheck(url));
	json_array_append_new(entry, json_integer((json_int_t)hash));
	if (before != NULL) {
		json_array_append_new(entry, json_integer((json_int_t)before->updated));
		json_array_append_new(entry, json_integer((json_int_t)before->content_hash));
	}
	return entry;
}

/*
 * In the open transaction: id goes (again) to the end of the feed's ids, with its version.
 * The transaction remembers what was there before, for feedstate_undeliver().
 */
static void
record_delivered(struct cluster *cluster, const char *url, const char *id, time_t updated,
    uint64_t content_hash)
{
	struct feedids *ids = feedids_take(&cluster->ids, url);
	uint64_t hash = feedids_hash(id);
	long index = feedids_find(ids, hash);

	json_array_append_new(transaction_list(cluster), undo_entry(url, hash,
	    index >= 0 ? &ids->entries[index] : NULL));
	feedids_deliver(ids, hash, (int64_t)updated, content_hash, 0);
}

/* An aborted transaction's undo entry (undo_entry()): as it was before. */
void
feedstate_undeliver(struct cluster *cluster, json_t *entry)
{
	struct feedids *ids = feedids_get(&cluster->ids,
	    json_string_value(json_array_get(entry, 0)));
	uint64_t hash = (uint64_t)json_integer_value(json_array_get(entry, 1));
	long index;

	if (ids == NULL || (index = feedids_find(ids, hash)) < 0)
		return;
	if (json_array_size(entry) < 4) {
		feedids_remove(ids, (size_t)index);
		return;
	}
	ids->entries[index].updated = (int64_t)json_integer_value(json_array_get(entry, 2));
	ids->entries[index].content_hash = (uint64_t)json_integer_value(json_array_get(entry, 3));
}

void
cluster_feed_delivered(struct cluster *cluster, const char *url, const char *id,
    time_t updated, uint64_t content_hash)
{
	if (!cluster_writes(cluster, url)) {
		/* A poll that outlived its partition (lost while it ran): the transaction holding
		 * its articles must not commit; the partition's owner publishes them. */
		cluster->txn_tainted = 1;
		snprintf(cluster->txn_taint_reason, sizeof cluster->txn_taint_reason,
		    "articles of partitions no longer ours");
		return;
	}
	record_of(cluster, url);
	record_delivered(cluster, url, id, updated, content_hash);
	json_object_set_new(cluster->dirty, url, json_true());
}

static char *
string_copy(json_t *record, const char *key)
{
	const char *value = json_string_value(json_object_get(record, key));

	return value != NULL ? xstrdup(value) : NULL;
}

int
cluster_feed_restore(struct cluster *cluster, const char *url, struct cluster_feed_state *state)
{
	json_t *record = json_object_get(cluster->feeds, url);
	const struct feedids *ids = feedids_get(&cluster->ids, url);

	memset(state, 0, sizeof *state);
	if (record == NULL)
		return 0;
	state->record.etag = string_copy(record, "etag");
	state->record.last_modified = string_copy(record, "last_modified");
	state->record.current_url = string_copy(record, "current_url");
	state->record.failures = (int)json_integer_value(json_object_get(record, "failures"));
	state->record.disabled = json_is_true(json_object_get(record, "disabled"));
	state->next_poll = (time_t)json_integer_value(json_object_get(record, "next_poll"));
	state->delivered = ids != NULL ? ids->count : 0;
	return 1;
}

int
cluster_feed_handed(struct cluster *cluster, const char *url, const char *id, time_t *updated,
    uint64_t *content_hash)
{
	struct feedids *ids = feedids_get(&cluster->ids, url);
	long index;

	if (ids == NULL || ids->handed == 0 ||
	    (index = feedids_find(ids, feedids_hash(id))) < 0 || !ids->entries[index].handed)
		return 0;
	ids->entries[index].handed = 0;
	ids->handed--;
	*updated = (time_t)ids->entries[index].updated;
	*content_hash = ids->entries[index].content_hash;
	return 1;
}

void
cluster_feed_state_clear(struct cluster_feed_state *state)
{
	feed_record_clear(&state->record);
}
