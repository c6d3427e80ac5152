/*
 * feedstate_records.h - generated cluster state records (daemon/cluster/feedstate.c's shape:
 * url, validators, failures, disabled, next_poll, delivered ids, versions, updated), shared by
 * test_cluster.c (the writer against json_dumps) and bench_feedstate.c (the cost of a write).
 * Ids come from a seeded generator; odd ones hold quotes, backslashes, control characters,
 * DEL, '/', and two-, three- (U+2028 among them) and four-byte UTF-8, at any place.
 */
#ifndef WIRESIFT_TEST_FEEDSTATE_RECORDS_H
#define WIRESIFT_TEST_FEEDSTATE_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

static uint64_t
records_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* One piece of an odd id: plain ASCII mostly, else a character JSON or UTF-8 makes special. */
static const char *
records_odd_piece(uint64_t *state)
{
	static const char *const pieces[] = {
		"\"", "\\", "/", "\x01", "\x08", "\t", "\n", "\x0c", "\r", "\x1f", "\x7f",
		"\xc3\xa9", "\xe2\x80\xa8", "\xe2\x82\xac", "\xf0\x9f\x93\xb0", "\xef\xbf\xbf",
		"abcdefgh", "0123456789abcdef0", " ", "?id=", "&",
	};

	return pieces[records_random(state) % (sizeof pieces / sizeof pieces[0])];
}

/*
 * The id of item n: a link like a feed's, 32 hex digits like the daemon's ids (odd 2,
 * article_assign_id), or (odd 1) pieces in any order, "" among them.
 */
static void
records_id(uint64_t *state, int n, int odd, char *id, size_t size)
{
	size_t pieces;

	if (odd == 2) {
		snprintf(id, size, "%016llx%016llx", (unsigned long long)records_random(state),
		    (unsigned long long)records_random(state));
		return;
	}
	if (!odd) {
		snprintf(id, size, "https://news.example.com/world/2026/12/06/story-%d-%08llx", n,
		    (unsigned long long)(records_random(state) & 0xffffffffULL));
		return;
	}
	id[0] = '\0';
	pieces = records_random(state) % 12;
	for (size_t i = 0; i < pieces && strlen(id) + 20 < size; i++)
		strcat(id, records_odd_piece(state));
}

/*
 * A record of count delivered ids in the JSON layout of earlier versions ("delivered",
 * "versions"), which feedstate.c still reads; most ids have a version. odd: 0 links, 1 odd
 * ids and members, 2 hex ids.
 */
static json_t *
records_make(uint64_t seed, int count, int odd)
{
	uint64_t state = seed;
	json_t *record = json_object(), *delivered = json_array(), *versions = json_object();
	json_t *seen = json_object();
	char id[256], hash[17];

	json_object_set_new(record, "url", json_string("https://news.example.com/feed.xml"));
	json_object_set_new(record, "etag", odd == 1 ? json_null() : json_string("\"5f3-61a2\""));
	json_object_set_new(record, "last_modified", json_string("Sun, 06 Dec 2026 19:30:00 GMT"));
	json_object_set_new(record, "current_url", json_null());
	json_object_set_new(record, "failures", json_integer(odd == 1 ? -3 : 0));
	json_object_set_new(record, "disabled", json_boolean(odd == 1));
	json_object_set_new(record, "next_poll", json_integer(1796585400));
	json_object_set_new(record, "delivered", delivered);
	for (int n = 0; n < count; n++) {
		records_id(&state, n, odd == 2 ? 2 : odd && records_random(&state) % 2, id,
		    sizeof id);
		if (json_object_get(seen, id) != NULL)
			continue;	/* delivered holds an id once */
		json_object_set_new(seen, id, json_true());
		json_array_append_new(delivered, json_string(id));
		snprintf(hash, sizeof hash, "%016llx", (unsigned long long)records_random(&state));
		if (records_random(&state) % 8 != 0)
			json_object_set_new(versions, id, json_pack("[Is]",
			    (json_int_t)(1796500000 + n * 60), hash));
	}
	json_object_set_new(record, "versions", versions);
	json_object_set_new(record, "updated", json_integer(1796585000));
	json_decref(seen);
	return record;
}

#endif
