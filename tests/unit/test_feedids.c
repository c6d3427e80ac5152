/*
 * test_feedids.c - the delivered ids of cluster state records in their compact form
 * (daemon/cluster/feedids.c, feedstate.c): a record read in either layout hands over every
 * delivered id, once, with the version it was delivered with, and no other id; the compact
 * record written is read back the same; a redelivered id moves to the end, an aborted
 * delivery is undone, the oldest go past CLUSTER_DELIVERED_MAX; malformed packed ids are
 * refused whole, and the record read before them stays; the index over the hashes finds
 * what a linear scan of a plain model finds, over random deliveries, removals, aborted
 * transactions and read-backs. Records of the earlier JSON layout come from
 * feedstate_records.h (odd ids: quotes, control characters, multi-byte UTF-8, ""); their
 * versions are read back here from the JSON itself, not from the code under test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "feedstate_records.h"
#include "cluster/cluster_internal.h"
#include "cluster/feedids.h"

#define RANDOM_SEED 0x16f1d5eedULL
#include "xorshift.h"

#define URL	"https://news.example.com/feed.xml"

/* A cluster of one partition, owned, with an open transaction: what feedstate.c touches. */
struct bench_cluster {
	struct cluster		 cluster;
	enum partition_phase	 phase[1];
};

static struct cluster *
cluster_make(struct bench_cluster *made)
{
	memset(made, 0, sizeof *made);
	made->phase[0] = PARTITION_OWNED;
	made->cluster.partitions = 1;
	made->cluster.phase = made->phase;
	made->cluster.feeds = json_object();
	made->cluster.dirty = json_object();
	made->cluster.txn_delivered = json_array();
	made->cluster.txn_stage = TXN_OPEN;
	return &made->cluster;
}

static void
cluster_free(struct cluster *cluster)
{
	json_decref(cluster->feeds);
	json_decref(cluster->dirty);
	json_decref(cluster->txn_delivered);
	feedids_map_clear(&cluster->ids);
}

/* The cluster's record of URL as written into a transaction. */
static char *
written(struct cluster *cluster)
{
	struct buffer out = { 0 };

	feedstate_encode(json_object_get(cluster->feeds, URL), feedids_get(&cluster->ids, URL),
	    &out);
	return buffer_steal(&out);
}

static int
take(struct cluster *cluster, const char *value)
{
	return feedstate_take(cluster, URL, value, strlen(value));
}

/* Every id of the JSON record is handed over once with its JSON version; counts them. */
static int
hands_over_as_json_says(struct cluster *cluster, json_t *lists)
{
	json_t *versions = json_object_get(lists, "versions"), *id;
	size_t i;
	int good = 0;

	json_array_foreach(json_object_get(lists, "delivered"), i, id) {
		json_t *version = json_object_get(versions, json_string_value(id));
		const char *hash = json_string_value(json_array_get(version, 1));
		time_t updated = 1;
		uint64_t content_hash = 1;

		good += cluster_feed_handed(cluster, URL, json_string_value(id), &updated,
		    &content_hash) == 1 &&
		    updated == (time_t)json_integer_value(json_array_get(version, 0)) &&
		    content_hash == (hash ? strtoull(hash, NULL, 16) : 0) &&
		    cluster_feed_handed(cluster, URL, json_string_value(id), &updated,
		    &content_hash) == 0;
	}
	return good;
}

static void
test_a_record_of_the_json_layout_hands_over_every_id_once(void)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		json_t *lists = records_make(seed, seed == 1 ? CLUSTER_DELIVERED_MAX :
		    (int)(seed % 40), seed % 3 == 0 ? 2 : 1);
		char *value = json_dumps(lists, JSON_COMPACT);
		size_t count = json_array_size(json_object_get(lists, "delivered"));
		struct bench_cluster made;
		struct cluster *cluster = cluster_make(&made);
		struct cluster_feed_state state;
		time_t updated;
		uint64_t content_hash;

		CHECK(take(cluster, value) == 0);
		CHECK(cluster_feed_restore(cluster, URL, &state) == 1);
		CHECK(state.delivered == count);
		CHECK(state.record.failures == json_integer_value(json_object_get(lists,
		    "failures")));
		cluster_feed_state_clear(&state);
		CHECK(hands_over_as_json_says(cluster, lists) == (int)count);
		CHECK(cluster_feed_handed(cluster, URL, "never-delivered", &updated,
		    &content_hash) == 0);
		free(value);
		json_decref(lists);
		cluster_free(cluster);
	}
}

/* The JSON record's ids delivered into cluster, as an owner would deliver them. */
static void
deliver_all(struct cluster *cluster, json_t *lists)
{
	json_t *versions = json_object_get(lists, "versions"), *id;
	size_t i;

	json_array_foreach(json_object_get(lists, "delivered"), i, id) {
		json_t *version = json_object_get(versions, json_string_value(id));
		const char *hash = json_string_value(json_array_get(version, 1));

		cluster_feed_delivered(cluster, URL, json_string_value(id),
		    (time_t)json_integer_value(json_array_get(version, 0)),
		    hash ? strtoull(hash, NULL, 16) : 0);
	}
}

static void
test_a_compact_record_is_read_back_as_written(void)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		json_t *lists = records_make(seed, seed == 1 ? CLUSTER_DELIVERED_MAX :
		    (int)(seed % 40) + 1, seed % 3 == 0 ? 2 : 1), *back;
		struct bench_cluster writer_made, reader_made;
		struct cluster *writer = cluster_make(&writer_made);
		struct cluster *reader = cluster_make(&reader_made);
		char *value;

		deliver_all(writer, lists);
		value = written(writer);
		back = json_loads(value, 0, NULL);
		CHECK(json_is_string(json_object_get(back, "ids")));
		CHECK(json_object_get(back, "delivered") == NULL);
		CHECK(take(reader, value) == 0);
		CHECK(hands_over_as_json_says(reader, lists) ==
		    (int)json_array_size(json_object_get(lists, "delivered")));
		json_decref(back);
		free(value);
		json_decref(lists);
		cluster_free(writer);
		cluster_free(reader);
	}
}

/* Versions that move back, to 0, to the edges: each read back as delivered (or clamped). */
static void
test_updated_times_of_any_order_are_kept(void)
{
	static const int64_t times[] = { 0, 1796500000, 1, -86400, 1796500000, 0, -1,
	    INT64_MAX, INT64_MIN + 1, (int64_t)1 << 61, 42 };
	struct bench_cluster writer_made, reader_made;
	struct cluster *writer = cluster_make(&writer_made);
	struct cluster *reader = cluster_make(&reader_made);
	size_t count = sizeof times / sizeof times[0];
	char id[32], *value;
	int good = 0;

	for (size_t i = 0; i < count; i++) {
		snprintf(id, sizeof id, "id-%zu", i);
		cluster_feed_delivered(writer, URL, id, (time_t)times[i], i % 2 ? i * 977 : 0);
	}
	value = written(writer);
	CHECK(take(reader, value) == 0);
	for (size_t i = 0; i < count; i++) {
		int64_t expected = times[i] > ((int64_t)1 << 61) ? (int64_t)1 << 61 :
		    times[i] < -((int64_t)1 << 61) ? -((int64_t)1 << 61) : times[i];
		time_t updated;
		uint64_t content_hash;

		snprintf(id, sizeof id, "id-%zu", i);
		good += cluster_feed_handed(reader, URL, id, &updated, &content_hash) == 1 &&
		    updated == (time_t)expected && content_hash == (i % 2 ? i * 977 : 0);
	}
	CHECK(good == (int)count);
	free(value);
	cluster_free(writer);
	cluster_free(reader);
}

static void
test_the_oldest_go_and_a_redelivered_id_moves_to_the_end(void)
{
	struct bench_cluster made;
	struct cluster *cluster = cluster_make(&made);
	struct feedids *ids;
	char id[32];

	for (int i = 0; i < CLUSTER_DELIVERED_MAX + 10; i++) {
		snprintf(id, sizeof id, "item-%d", i);
		cluster_feed_delivered(cluster, URL, id, 0, (uint64_t)i + 1);
	}
	cluster_feed_delivered(cluster, URL, "item-500", 7, 99);
	ids = feedids_get(&cluster->ids, URL);
	CHECK(ids != NULL && ids->count == CLUSTER_DELIVERED_MAX);
	CHECK(feedids_find(ids, feedids_hash("item-9")) == -1);
	CHECK(feedids_find(ids, feedids_hash("item-10")) == 0);
	CHECK(feedids_find(ids, feedids_hash("item-500")) == CLUSTER_DELIVERED_MAX - 1);
	CHECK(ids->entries[CLUSTER_DELIVERED_MAX - 1].updated == 7 &&
	    ids->entries[CLUSTER_DELIVERED_MAX - 1].content_hash == 99);
	CHECK(ids->handed == 0);	/* delivered here: the seen cache has them */
	cluster_free(cluster);
}

static void
test_an_aborted_delivery_is_undone(void)
{
	struct bench_cluster made;
	struct cluster *cluster = cluster_make(&made);
	struct feedids *ids;
	json_t *aborted;
	long index;

	cluster_feed_delivered(cluster, URL, "kept", 100, 1);
	json_array_clear(cluster->txn_delivered);	/* that transaction committed */
	cluster_feed_delivered(cluster, URL, "kept", 200, 2);
	cluster_feed_delivered(cluster, URL, "new", 300, 3);
	aborted = json_incref(cluster->txn_delivered);
	for (size_t i = json_array_size(aborted); i-- > 0; )
		feedstate_undeliver(cluster, json_array_get(aborted, i));
	ids = feedids_get(&cluster->ids, URL);
	CHECK(ids->count == 1);
	index = feedids_find(ids, feedids_hash("kept"));
	CHECK(index == 0 && ids->entries[0].updated == 100 && ids->entries[0].content_hash == 1);
	CHECK(feedids_find(ids, feedids_hash("new")) == -1);
	json_decref(aborted);
	cluster_free(cluster);
}

/* The value of a record whose ids are text (not checked to be base64). */
static char *
with_ids(const char *text)
{
	return xasprintf("{\"url\":\"" URL "\",\"updated\":1,\"ids\":\"%s\"}", text);
}

static void
test_malformed_ids_are_refused_whole(void)
{
	static const char *const bad[] = {
		"", "AQ", "AQ=", "A===", "AQ*=", "Ag==",	/* short, bad padding, version 2 */
		"AQEC",				/* an entry's hash cut short */
		"AQECAwQFBgcI",			/* a hash and no varint */
		"AQECAwQFBgcIAg==",		/* a version but no content hash */
		"AQECAwQFBgcI/////////////w==",	/* a varint that does not end */
	};
	struct bench_cluster made;
	struct cluster *cluster = cluster_make(&made);
	struct cluster_feed_state state;
	char *value;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		value = with_ids(bad[i]);
		CHECK(take(cluster, value) == -1);
		CHECK(cluster_feed_restore(cluster, URL, &state) == 0);
		free(value);
	}
	value = with_ids("AQECAwQFBgcIAA==");	/* one id without a version */
	CHECK(take(cluster, value) == 0);
	CHECK(cluster_feed_restore(cluster, URL, &state) == 1 && state.delivered == 1);
	cluster_feed_state_clear(&state);
	free(value);
	value = with_ids(bad[6]);		/* a bad one after it: the good one stays */
	CHECK(take(cluster, value) == -1);
	CHECK(cluster_feed_restore(cluster, URL, &state) == 1 && state.delivered == 1);
	cluster_feed_state_clear(&state);
	free(value);
	cluster_free(cluster);
}

/* A full record of ids like the daemon's is a fraction of what the JSON lists took. */
static void
test_a_full_compact_record_is_small(void)
{
	json_t *lists = records_make(7, CLUSTER_DELIVERED_MAX, 2);
	char *old = json_dumps(lists, JSON_COMPACT), *value;
	struct bench_cluster made;
	struct cluster *cluster = cluster_make(&made);

	CHECK(take(cluster, old) == 0);
	value = written(cluster);
	/* at most 27 bytes an id packed (hash, 10-byte varint, content hash), base64 */
	CHECK(strlen(value) < 300 + (CLUSTER_DELIVERED_MAX * 27 + 2) / 3 * 4);
	CHECK(strlen(value) * 4 < strlen(old));
	free(value);
	free(old);
	json_decref(lists);
	cluster_free(cluster);
}

/*
 * The reference reading of a record for the fast path below: jansson parses the whole value
 * and the ids are decoded from its "ids" string (what feedstate_take did for every record
 * before); -1 when that refuses it. *members: the record without "ids".
 */
static int
reference_take(const char *value, json_t **members, struct feedids *ids)
{
	json_t *record = json_loadb(value, strlen(value), 0, NULL), *packed;

	*members = NULL;
	packed = json_object_get(record, "ids");
	if (!json_is_object(record) || !json_is_string(packed) ||
	    feedids_decode(ids, json_string_value(packed), json_string_length(packed)) < 0) {
		json_decref(record);
		return -1;
	}
	json_object_del(record, "ids");
	*members = record;
	return 0;
}

/* The cluster holds of URL what the reference read of value gives; 1 when the same. */
static int
same_as_reference(struct cluster *cluster, const char *value, int taken)
{
	struct feedids ids = { 0 }, *got = feedids_get(&cluster->ids, URL);
	json_t *members;
	int same = reference_take(value, &members, &ids) == taken;

	if (same && taken == 0) {
		same = json_equal(members, json_object_get(cluster->feeds, URL)) && got != NULL &&
		    got->count == ids.count && got->handed == ids.handed;
		for (size_t i = 0; same && i < ids.count; i++)
			same = got->entries[i].hash == ids.entries[i].hash &&
			    got->entries[i].updated == ids.entries[i].updated &&
			    got->entries[i].content_hash == ids.entries[i].content_hash &&
			    got->entries[i].handed == ids.entries[i].handed;
	}
	json_decref(members);
	feedids_clear(&ids);
	return same;
}

/* value with the first occurrence of from replaced by to (malloc'd). */
static char *
replaced(const char *value, const char *from, const char *to)
{
	const char *at = strstr(value, from);
	struct buffer out = { 0 };

	if (at == NULL)
		return xstrdup(value);
	buffer_append(&out, value, (size_t)(at - value));
	buffer_append_string(&out, to);
	buffer_append_string(&out, at + strlen(from));
	return buffer_steal(&out);
}

/*
 * A record as the daemon writes it is read by the fast path (its members parsed without the
 * packed ids, the ids decoded from the value: feedstate_take_written), into what the reference
 * reading gives; other forms are left to jansson (the fast path says -1 and changes nothing)
 * and read as the reference reads them: "ids" first or alone, escapes in it, a duplicate
 * "ids", a quote or "ids" inside another member's string, bad base64, a missing comma.
 */
static void
test_a_written_record_is_read_as_jansson_reads_it_whole(void)
{
	for (uint64_t seed = 1; seed <= 60; seed++) {
		json_t *lists = records_make(seed, seed == 1 ? CLUSTER_DELIVERED_MAX :
		    (int)(seed % 50), seed % 3 == 0 ? 2 : 1);
		char *old = json_dumps(lists, JSON_COMPACT), *value, *ids, *variant[9];
		struct bench_cluster made, read_made;
		struct cluster *cluster = cluster_make(&made), *reader;

		CHECK(take(cluster, old) == 0);
		if (seed % 4 == 0)	/* a validator holding what looks like the packed member */
			json_object_set_new(json_object_get(cluster->feeds, URL), "etag",
			    json_string("\",\"ids\":\"AAAA\"}"));
		value = written(cluster);
		reader = cluster_make(&read_made);
		CHECK(feedstate_take_written(reader, URL, value, strlen(value)) == 0);
		CHECK(same_as_reference(reader, value, 0));
		cluster_free(reader);
		ids = strstr(value, ",\"ids\":\"");
		CHECK(ids != NULL);
		variant[0] = replaced(value, ids, "}");	/* no ids */
		variant[1] = replaced(value, "{", "{\"ids\":\"AQ==\",");	/* a duplicate, first */
		variant[2] = replaced(value, ",\"ids\":\"", ",\"ids\":\"\\u0041");	/* an escape */
		variant[3] = replaced(value, ",\"ids\":\"", " \"ids\":\"");	/* no comma */
		variant[4] = replaced(value, ",\"ids\":\"", ",\"ids\":\"*");	/* bad base64 */
		variant[5] = replaced(value, ",\"ids\":\"", ",\"ids\":\"A");	/* a length not x4 */
		variant[6] = xstrdup(strstr(value, "\"ids\":\"") - 1);	/* {"ids":...} alone */
		variant[6][0] = '{';
		variant[7] = replaced(value, ",\"ids\":\"", ",\"idz\":\"");	/* another name */
		variant[8] = replaced(value, "{", "{\"ids\":7,");	/* not a string, first */
		for (size_t v = 0; v < sizeof variant / sizeof variant[0]; v++) {
			struct feedids none = { 0 };
			json_t *members;
			int expected = reference_take(variant[v], &members, &none);

			json_decref(members);
			feedids_clear(&none);
			reader = cluster_make(&read_made);
			if (v == 1 || v == 6 || v == 8)	/* the daemon's form at the end */
				CHECK(feedstate_take_written(reader, URL, variant[v],
				    strlen(variant[v])) == expected);
			else if (feedstate_take_written(reader, URL, variant[v],
			    strlen(variant[v])) == 0) {
				CHECK(!"the fast path took another form");
				fprintf(stderr, "  variant %zu of seed %llu\n", v,
				    (unsigned long long)seed);
			}
			if (v != 1 && v != 6 && v != 8)
				CHECK(json_object_size(reader->feeds) == 0 &&
				    feedids_get(&reader->ids, URL) == NULL);
			cluster_free(reader);
			reader = cluster_make(&read_made);
			if (v == 0 || v == 7 || v == 8)	/* no packed ids: read as lists */
				CHECK(take(reader, variant[v]) == 0);
			else
				CHECK(same_as_reference(reader, variant[v], take(reader, variant[v])));
			cluster_free(reader);
			free(variant[v]);
		}
		free(value);
		free(old);
		json_decref(lists);
		cluster_free(cluster);
	}
}

/*
 * Packed ids of every length of padding are read back, and refused with any of their
 * characters replaced by a byte outside the base64 alphabet (a plain reference: strchr).
 */
static void
test_packed_ids_are_base64_exactly(void)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int bad = 0;

	for (int count = 1; count <= 3; count++) {
		struct feedids ids = { 0 }, back = { 0 };
		struct buffer text = { 0 };

		for (int i = 0; i < count; i++)	/* 1 + 17 bytes an id: each padding once */
			feedids_deliver(&ids, 0x0123456789abcdefULL * (uint64_t)(i + 1),
			    1796500000 + i, (uint64_t)i * 7 + (uint64_t)count, 1);
		feedids_encode(&ids, &text);
		CHECK(feedids_decode(&back, text.data, text.length) == 0 &&
		    back.count == ids.count && back.entries[count - 1].content_hash ==
		    ids.entries[count - 1].content_hash);
		for (size_t at = 0; at < text.length; at++) {
			char keep = text.data[at];

			for (int c = 1; c < 256; c++) {
				/* another base64 character, or '=' (where padding may start),
				 * decodes into other bytes, which may not unpack: only the
				 * refusal of the others is checked */
				if (c == keep || c == '=' || strchr(alphabet, c) != NULL)
					continue;
				text.data[at] = (char)c;
				bad += feedids_decode(&back, text.data, text.length) == 0;
				text.data[at] = keep;
			}
		}
		buffer_free(&text);
		feedids_clear(&ids);
		feedids_clear(&back);
	}
	CHECK(bad == 0);
}

/*
 * A plain model of a feed's ids for the random sequences below: the same entries, oldest
 * first, every lookup a linear scan (what feedids_find() was before its index).
 */
struct model {
	struct feedid	 entries[CLUSTER_DELIVERED_MAX + 1];
	size_t		 count;
};

static long
model_find(const struct model *model, uint64_t hash)
{
	for (size_t i = 0; i < model->count; i++)
		if (model->entries[i].hash == hash)
			return (long)i;
	return -1;
}

static void
model_remove(struct model *model, size_t index)
{
	memmove(&model->entries[index], &model->entries[index + 1],
	    (model->count - index - 1) * sizeof model->entries[0]);
	model->count--;
}

static void
model_deliver(struct model *model, uint64_t hash, int64_t updated, uint64_t content_hash)
{
	long index = model_find(model, hash);

	if (index >= 0)
		model_remove(model, (size_t)index);
	if (model->count >= CLUSTER_DELIVERED_MAX)
		model_remove(model, 0);
	model->entries[model->count++] = (struct feedid){ .hash = hash, .updated = updated,
	    .content_hash = content_hash };
}

/*
 * A hash from a pool of `pool`: a third share their low 12 bits (one run in the index), a
 * third their low 4, the rest are spread; the same number gives the same hash.
 */
static uint64_t
pool_hash(unsigned number)
{
	uint64_t spread = (uint64_t)number * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;

	spread ^= spread >> 29;
	if (number % 3 == 0)
		return (spread << 12) | 0x5a5;
	if (number % 3 == 1)
		return (spread << 4) | 0x9;
	return spread;
}

/* ids holds what the model holds, in its order, each found at its place; counts the mismatches. */
static int
differs(const struct feedids *ids, const struct model *model, unsigned pool)
{
	int bad = ids->count != model->count;

	for (size_t i = 0; i < model->count && !bad; i++) {
		long index = feedids_find(ids, model->entries[i].hash);

		bad += index != (long)i || ids->entries[i].hash != model->entries[i].hash ||
		    ids->entries[i].updated != model->entries[i].updated ||
		    ids->entries[i].content_hash != model->entries[i].content_hash;
	}
	for (unsigned n = 0; n < pool && !bad; n += 7)	/* absent ones too */
		bad += feedids_find(ids, pool_hash(n)) != model_find(model, pool_hash(n));
	return bad;
}

/* Random deliveries, removals and lookups: the index finds what the linear scan finds. */
static void
test_the_index_finds_what_a_linear_scan_finds(void)
{
	static const unsigned pools[] = { 40, 900, 1100, 5000 };
	struct feedids ids = { 0 };
	static struct model model;
	int bad = 0;

	for (size_t p = 0; p < sizeof pools / sizeof pools[0]; p++) {
		feedids_clear(&ids);
		model.count = 0;
		for (int step = 0; step < 6000; step++) {
			unsigned what = next_random(100), number = next_random(pools[p]);
			uint64_t hash = pool_hash(number);

			if (what < 80) {
				feedids_deliver(&ids, hash, step, number, 0);
				model_deliver(&model, hash, step, number);
			} else if (what < 90 && model.count > 0) {
				size_t index = what < 85 ? 0 : next_random((unsigned)model.count);

				feedids_remove(&ids, index);
				model_remove(&model, index);
			} else
				bad += feedids_find(&ids, hash) != model_find(&model, hash);
			if (step % 97 == 0 || model.count < 50)
				bad += differs(&ids, &model, pools[p]);
		}
		bad += differs(&ids, &model, pools[p]);
	}
	CHECK(bad == 0);
	feedids_clear(&ids);
}

/* What a delivery into the model replaced: the model's own undo log. */
struct model_undo {
	long		 index;		/* -1: the id was not there */
	struct feedid	 before;
};

/* The model's delivery, remembering what it replaced. */
static void
model_deliver_logged(struct model *model, struct model_undo *undo, uint64_t hash,
    int64_t updated, uint64_t content_hash)
{
	undo->index = model_find(model, hash);
	if (undo->index >= 0)
		undo->before = model->entries[undo->index];
	model_deliver(model, hash, updated, content_hash);
}

/* Undone as an abort undoes it: a new id goes, a redelivered one gets its version back. */
static void
model_undo(struct model *model, const struct model_undo *undo, uint64_t hash)
{
	long index = model_find(model, hash);

	if (index < 0)
		return;
	if (undo->index < 0) {
		model_remove(model, (size_t)index);
		return;
	}
	model->entries[index].updated = undo->before.updated;
	model->entries[index].content_hash = undo->before.content_hash;
}

/*
 * Transactions of random deliveries through the cluster's delivery path, each committed or
 * aborted (undone latest first, as txn.c does), now and then written and read back by another
 * instance: the ids are always the model's, found where the model has them.
 */
static void
test_deliveries_and_aborts_keep_the_index(void)
{
	struct bench_cluster made, reader_made;
	struct cluster *cluster = cluster_make(&made);
	static struct model model;
	struct model_undo undo[40];
	uint64_t hashes[40];
	char id[32];
	int bad = 0;

	for (int txn = 0; txn < 300; txn++) {
		int abort = next_random(4) == 0, deliveries = (int)next_random(40) + 1;

		for (int i = 0; i < deliveries; i++) {
			unsigned number = next_random(txn < 150 ? 1400 : 60);

			snprintf(id, sizeof id, "item-%u", number);
			hashes[i] = feedids_hash(id);
			cluster_feed_delivered(cluster, URL, id, txn * 100 + i, number + 1);
			model_deliver_logged(&model, &undo[i], hashes[i], txn * 100 + i, number + 1);
		}
		if (abort) {
			json_t *aborted = json_incref(cluster->txn_delivered);

			for (size_t i = json_array_size(aborted); i-- > 0; )
				feedstate_undeliver(cluster, json_array_get(aborted, i));
			json_decref(aborted);
			for (int i = deliveries; i-- > 0; )
				model_undo(&model, &undo[i], hashes[i]);
		}
		json_array_clear(cluster->txn_delivered);
		bad += differs(feedids_get(&cluster->ids, URL), &model, 0);
		if (txn % 50 == 49) {
			struct cluster *reader = cluster_make(&reader_made);
			char *value = written(cluster);

			bad += take(reader, value) != 0 ||
			    differs(feedids_get(&reader->ids, URL), &model, 0);
			free(value);
			cluster_free(reader);
		}
	}
	CHECK(bad == 0);
	cluster_free(cluster);
}

int
main(void)
{
	RUN(test_a_record_of_the_json_layout_hands_over_every_id_once);
	RUN(test_a_compact_record_is_read_back_as_written);
	RUN(test_updated_times_of_any_order_are_kept);
	RUN(test_the_oldest_go_and_a_redelivered_id_moves_to_the_end);
	RUN(test_an_aborted_delivery_is_undone);
	RUN(test_malformed_ids_are_refused_whole);
	RUN(test_a_full_compact_record_is_small);
	RUN(test_a_written_record_is_read_as_jansson_reads_it_whole);
	RUN(test_packed_ids_are_base64_exactly);
	RUN(test_the_index_finds_what_a_linear_scan_finds);
	RUN(test_deliveries_and_aborts_keep_the_index);
	return check_finish();
}
