/*
 * bench_feedstate.c - the cost of writing one cluster state record (daemon/cluster/feedstate.c)
 * as a transaction that delivered from its feed does: "updated" set, the whole record encoded.
 * The record is full (CLUSTER_DELIVERED_MAX ids, most with a version: feedstate_records.h), as
 * a long-lived feed's is, with ids like links (about 60 bytes) and, second, with ids of 32 hex
 * digits like the daemon's own. Three writers: jansson's json_dumps(JSON_COMPACT) of the JSON
 * lists "delivered" and "versions" (what feedstate.c wrote first), json_write of the same
 * (feedstate_encode without packed ids: what it wrote next), and feedstate_encode with the ids
 * packed (feedids.c: what it writes now). Prints each record's size and microseconds per
 * write (best of five rounds). It asserts nothing about time; for instruction counts run it
 * under callgrind with one writer:
 *
 *   bench_feedstate [dumps|json|packed] [WRITES] [link|hex]
 *   bench_feedstate deliver [DELIVERIES]
 *   bench_feedstate handed [LOOKUPS]
 *   bench_feedstate take [READS]
 *
 * (deliver: cluster_feed_delivered into a full record, per delivery; handed: the seen
 * filter's cluster_feed_handed of a new id on a feed taken over full; take: feedstate_take of a full packed record, as a
 * catch-up reads each record of the state topic; none of the three runs by default)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feedstate_records.h"
#include "cluster/cluster_internal.h"
#include "cluster/feedids.h"
#include "clock.h"

enum writer { WRITE_DUMPS, WRITE_JSON, WRITE_PACKED };

/* A record in both forms: the JSON lists, and the members without them plus the packed ids. */
struct subject {
	json_t		*lists;
	json_t		*members;
	struct feedids	 ids;
};

/* One write as the transaction path makes it; returns the value's length. */
static size_t
write_once(struct subject *subject, enum writer writer, struct buffer *out)
{
	json_t *record = writer == WRITE_PACKED ? subject->members : subject->lists;
	size_t length;
	char *value;

	json_object_set_new(record, "updated", json_integer((json_int_t)time(NULL)));
	if (writer != WRITE_DUMPS) {
		feedstate_encode(record, writer == WRITE_PACKED ? &subject->ids : NULL, out);
		return out->length;
	}
	value = json_dumps(record, JSON_COMPACT);
	length = strlen(value);
	free(value);
	return length;
}

/* Best of five rounds of writes, in microseconds per write. */
static double
measure(struct subject *subject, enum writer writer, int writes)
{
	struct buffer out = { 0 };
	double best = 0;
	size_t total = 0;

	for (int round = 0; round < 5; round++) {
		double start = clock_seconds(CLOCK_MONOTONIC), elapsed;

		for (int i = 0; i < writes; i++)
			total += write_once(subject, writer, &out);
		elapsed = (clock_seconds(CLOCK_MONOTONIC) - start) * 1e6 / writes;
		if (round == 0 || elapsed < best)
			best = elapsed;
	}
	buffer_free(&out);
	return total > 0 ? best : -1;
}

static void
subject_make(struct subject *subject, int kind)
{
	memset(subject, 0, sizeof *subject);
	subject->lists = records_make(1, CLUSTER_DELIVERED_MAX, kind);
	subject->members = json_deep_copy(subject->lists);
	feedids_from_json(&subject->ids, json_object_get(subject->lists, "delivered"),
	    json_object_get(subject->lists, "versions"));
	json_object_del(subject->members, "delivered");
	json_object_del(subject->members, "versions");
}

static void
run(const char *name, int kind, const char *only, int writes)
{
	static const char *const names[] = { "dumps", "json", "packed" };
	struct subject subject;
	struct buffer out = { 0 };
	size_t sizes[3];

	subject_make(&subject, kind);
	for (int w = 0; w < 3; w++)
		sizes[w] = write_once(&subject, (enum writer)w, &out);
	printf("feedstate: %s ids: %zu ids, %zu with versions; bytes: lists %zu, packed %zu "
	    "(%.1fx smaller)\n", name, subject.ids.count,
	    json_object_size(json_object_get(subject.lists, "versions")), sizes[WRITE_JSON],
	    sizes[WRITE_PACKED], (double)sizes[WRITE_JSON] / (double)sizes[WRITE_PACKED]);
	for (int w = 0; w < 3; w++)
		if (only == NULL || strcmp(only, names[w]) == 0)
			printf("feedstate: %s ids: %-6s %8.2f us per write\n", name, names[w],
			    measure(&subject, (enum writer)w, writes));
	buffer_free(&out);
	json_decref(subject.lists);
	json_decref(subject.members);
	feedids_clear(&subject.ids);
}

/* A cluster of one owned partition holding one feed's full record (1000 ids, versions). */
struct full_feed {
	enum partition_phase	 phase[1];
	struct cluster		 cluster;
	json_t			*lists;
	char			*value;
	const char		*url;
};

static void
full_feed_open(struct full_feed *feed)
{
	memset(feed, 0, sizeof *feed);
	feed->phase[0] = PARTITION_OWNED;
	feed->lists = records_make(1, CLUSTER_DELIVERED_MAX, 2);
	feed->value = json_dumps(feed->lists, JSON_COMPACT);
	feed->url = json_string_value(json_object_get(feed->lists, "url"));
	feed->cluster.partitions = 1;
	feed->cluster.phase = feed->phase;
	feed->cluster.feeds = json_object();
	feed->cluster.dirty = json_object();
	feedstate_take(&feed->cluster, feed->url, feed->value, strlen(feed->value));
}

static void
full_feed_close(struct full_feed *feed)
{
	json_decref(feed->cluster.feeds);
	json_decref(feed->cluster.dirty);
	feedids_map_clear(&feed->cluster.ids);
	json_decref(feed->lists);
	free(feed->value);
}

/*
 * Deliveries into a full record as the transaction path makes them (cluster_feed_delivered:
 * the id found or not among the 1000, appended, the oldest dropped); microseconds per
 * delivery, best of five rounds.
 */
static double
measure_deliveries(int deliveries)
{
	struct full_feed feed;
	char id[40];
	double best = 0;

	full_feed_open(&feed);
	for (int round = 0; round < 5; round++) {
		double start = clock_seconds(CLOCK_MONOTONIC), elapsed;

		for (int i = 0; i < deliveries; i++) {
			feed.cluster.txn_delivered = json_array();
			snprintf(id, sizeof id, "%08x%024d", round, i);
			cluster_feed_delivered(&feed.cluster, feed.url, id, 1796500000 + i,
			    (uint64_t)i + 1);
			json_decref(feed.cluster.txn_delivered);
		}
		elapsed = (clock_seconds(CLOCK_MONOTONIC) - start) * 1e6 / deliveries;
		if (round == 0 || elapsed < best)
			best = elapsed;
	}
	full_feed_close(&feed);
	return best;
}

/*
 * What the seen filter asks of a feed taken over with a full record (every id handed over,
 * none listed since): cluster_feed_handed() of an id the record does not name (a look in
 * the feed's index of its 1000 hashes); microseconds per lookup, best of five rounds.
 */
static double
measure_handed(int lookups)
{
	struct full_feed feed;
	char id[40];
	double best = 0;
	int found = 0;

	full_feed_open(&feed);
	for (int round = 0; round < 5; round++) {
		double start = clock_seconds(CLOCK_MONOTONIC), elapsed;

		for (int i = 0; i < lookups; i++) {
			time_t updated;
			uint64_t content_hash;

			snprintf(id, sizeof id, "%08x%024d", round, i);
			found += cluster_feed_handed(&feed.cluster, feed.url, id, &updated,
			    &content_hash);
		}
		elapsed = (clock_seconds(CLOCK_MONOTONIC) - start) * 1e6 / lookups;
		if (round == 0 || elapsed < best)
			best = elapsed;
	}
	full_feed_close(&feed);
	return found == 0 ? best : -1;
}

/*
 * A catch-up's work per record: feedstate_take() of a full record in its packed form (what
 * the daemon writes: 1000 ids, about 22 KB), parsed and its ids decoded into the map;
 * microseconds per record, best of five rounds.
 */
static double
measure_take(int reads)
{
	struct full_feed feed;
	struct buffer value = { 0 };
	double best = 0;

	full_feed_open(&feed);
	feedstate_encode(json_object_get(feed.cluster.feeds, feed.url),
	    feedids_get(&feed.cluster.ids, feed.url), &value);
	for (int round = 0; round < 5; round++) {
		double start = clock_seconds(CLOCK_MONOTONIC), elapsed;

		for (int i = 0; i < reads; i++)
			if (feedstate_take(&feed.cluster, feed.url, value.data, value.length) < 0)
				return -1;
		elapsed = (clock_seconds(CLOCK_MONOTONIC) - start) * 1e6 / reads;
		if (round == 0 || elapsed < best)
			best = elapsed;
	}
	printf("feedstate: record of %zu bytes\n", value.length);
	buffer_free(&value);
	full_feed_close(&feed);
	return best;
}

int
main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	int writes = argc > 2 ? atoi(argv[2]) : 200;

	if (only != NULL && strcmp(only, "deliver") == 0) {
		printf("feedstate: deliver into a full record %6.2f us per delivery\n",
		    measure_deliveries(writes));
		return 0;
	}
	if (only != NULL && strcmp(only, "handed") == 0) {
		printf("feedstate: look up an id a full handed-over record lacks %6.3f us\n",
		    measure_handed(writes));
		return 0;
	}
	if (only != NULL && strcmp(only, "take") == 0) {
		printf("feedstate: take a full packed record %6.2f us per record\n",
		    measure_take(writes));
		return 0;
	}
	if (argc < 4 || strcmp(argv[3], "hex") != 0)
		run("link", 0, only, writes);
	if (argc < 4 || strcmp(argv[3], "link") != 0)
		run("hex", 2, only, writes);
	return 0;
}
