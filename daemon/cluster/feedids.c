/*
 * feedids.c - a feed's delivered ids in compact form (feedids.h): 64-bit hashes with their
 * versions in an array, oldest first; packed into base64 for the state record and read back
 * with every length checked; earlier records' JSON lists converted; a map by feed URL.
 *
 * Packed layout (version 1): u8 version, then per entry, oldest first: u64 hash (LE), then a
 * varint (LEB128) v: 0 no version; 1 updated time 0 and a content hash; v >= 2 an updated
 * time of the previous nonzero one plus zigzag(v - 2), and a content hash; the content hash
 * follows as u64 LE when v > 0. Updated times are kept within +-2^61 s (absurd ones clamped),
 * so that v never overflows.
 *
 * The index: a table of 16-bit cells (1 + the entry's slot in base, 0 empty), at least 1.5
 * times the allocation's capacity and a power of two (2048 cells, 4 KB, for a full feed),
 * probed linearly from the hash's low bits; a removed entry's cell is refilled by shifting
 * back the cells after it (no tombstones). Dropping the oldest and appending touch one cell
 * each; removing another entry renumbers the cells of those after it; moving the entries
 * back to the start of their allocation rebuilds the table.
 */
#include <endian.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cluster/cluster.h"
#include "cluster/feedids.h"

#define UPDATED_LIMIT	((int64_t)1 << 61)
#define CAPACITY_MAX	(CLUSTER_DELIVERED_MAX + CLUSTER_DELIVERED_MAX / 4)

_Static_assert(CAPACITY_MAX < UINT16_MAX, "an index cell holds 1 + a slot");
_Static_assert(sizeof(struct feedid) == 24, "updated and handed share eight bytes");

uint64_t
feedids_hash(const char *id)
{
	return XXH3_64bits(id, strlen(id));
}

/* The index. */

static size_t
home_of(const struct feedids *ids, uint64_t hash)
{
	return (size_t)(hash & (ids->index_size - 1));
}

/* The cell holding slot, whose entry has hash; one holding 0 if none does. */
static size_t
cell_of(const struct feedids *ids, uint64_t hash, size_t slot)
{
	size_t mask = ids->index_size - 1, cell = home_of(ids, hash);

	while (ids->index[cell] != 0 && ids->index[cell] != slot + 1)
		cell = (cell + 1) & mask;
	return cell;
}

static void
index_insert(struct feedids *ids, size_t slot)
{
	size_t mask = ids->index_size - 1, cell = home_of(ids, ids->base[slot].hash);

	while (ids->index[cell] != 0)
		cell = (cell + 1) & mask;
	ids->index[cell] = (uint16_t)(slot + 1);
}

/* Empties slot's cell; a later cell of its run moves into it when its home allows. */
static void
index_unlink(struct feedids *ids, size_t slot)
{
	size_t mask = ids->index_size - 1, cell = cell_of(ids, ids->base[slot].hash, slot);
	size_t next = cell, home;

	if (ids->index[cell] == 0)
		return;
	while (ids->index[next = (next + 1) & mask] != 0) {
		home = home_of(ids, ids->base[ids->index[next] - 1].hash);
		if (((next - home) & mask) >= ((next - cell) & mask)) {
			ids->index[cell] = ids->index[next];
			cell = next;
		}
	}
	ids->index[cell] = 0;
}

/* A table for the capacity, holding every entry. */
static void
index_build(struct feedids *ids)
{
	size_t size = 32;

	while (size < ids->capacity + ids->capacity / 2)
		size *= 2;
	if (size != ids->index_size) {
		free(ids->index);
		ids->index = xcalloc(size, sizeof *ids->index);
		ids->index_size = size;
	} else
		memset(ids->index, 0, size * sizeof *ids->index);
	for (size_t i = 0; i < ids->count; i++)
		index_insert(ids, ids->start + i);
}

long
feedids_find(const struct feedids *ids, uint64_t hash)
{
	size_t mask = ids->index_size - 1, slot;

	if (ids->index_size == 0)
		return -1;
	for (size_t cell = home_of(ids, hash); ids->index[cell] != 0; cell = (cell + 1) & mask) {
		slot = ids->index[cell] - 1u;
		if (ids->base[slot].hash == hash)
			return (long)(slot - ids->start);
	}
	return -1;
}

/* The oldest goes by moving the start; another by moving those after it (and their cells). */
void
feedids_remove(struct feedids *ids, size_t index)
{
	size_t slot;

	if (index >= ids->count)
		return;
	ids->handed -= ids->entries[index].handed != 0;
	index_unlink(ids, ids->start + index);
	if (index == 0) {
		ids->entries++;
		ids->start++;
		ids->count--;
		return;
	}
	memmove(ids->entries + index, ids->entries + index + 1,
	    (ids->count - index - 1) * sizeof *ids->entries);
	ids->count--;
	for (slot = ids->start + index; slot < ids->start + ids->count; slot++)
		ids->index[cell_of(ids, ids->base[slot].hash, slot + 1)] = (uint16_t)(slot + 1);
}

/*
 * Room for one more at the end: the allocation grows (doubling) up to a quarter more than the
 * most kept, 30 KB a full feed; at that size the entries move back to the start of it once
 * they reach its end, every CLUSTER_DELIVERED_MAX / 4 deliveries for a full feed, and the
 * index is built again. (Moving them back before the allocation was whole moved a feed read
 * from its record, 1024 entries for its 1000 ids, every 24 deliveries.)
 */
static void
make_room(struct feedids *ids)
{
	if (ids->start + ids->count < ids->capacity)
		return;
	if (ids->capacity >= CAPACITY_MAX) {
		memmove(ids->base, ids->entries, ids->count * sizeof *ids->entries);
		ids->start = 0;
	} else {
		ids->capacity = ids->capacity ? ids->capacity * 2 : 16;
		if (ids->capacity > CAPACITY_MAX)
			ids->capacity = CAPACITY_MAX;
		ids->base = xrealloc(ids->base, ids->capacity * sizeof *ids->base);
	}
	ids->entries = ids->base + ids->start;
	index_build(ids);
}

static int64_t
clamp_updated(int64_t updated)
{
	return updated > UPDATED_LIMIT ? UPDATED_LIMIT : updated < -UPDATED_LIMIT ?
	    -UPDATED_LIMIT : updated;
}

void
feedids_deliver(struct feedids *ids, uint64_t hash, int64_t updated, uint64_t content_hash,
    int handed)
{
	long index = feedids_find(ids, hash);
	struct feedid *entry;

	if (index >= 0)
		feedids_remove(ids, (size_t)index);
	if (ids->count >= CLUSTER_DELIVERED_MAX)
		feedids_remove(ids, 0);
	make_room(ids);
	entry = &ids->entries[ids->count++];
	entry->hash = hash;
	entry->updated = clamp_updated(updated);
	entry->content_hash = content_hash;
	entry->handed = handed != 0;
	ids->handed += handed != 0;
	index_insert(ids, ids->start + ids->count - 1);
}

/* No entries; the allocation and the table kept. */
static void
reset(struct feedids *ids)
{
	ids->count = ids->handed = ids->start = 0;
	ids->entries = ids->base;
	if (ids->index != NULL)
		memset(ids->index, 0, ids->index_size * sizeof *ids->index);
}

void
feedids_clear(struct feedids *ids)
{
	free(ids->base);
	free(ids->index);
	ids->base = ids->entries = NULL;
	ids->index = NULL;
	ids->count = ids->capacity = ids->start = ids->handed = ids->index_size = 0;
}

void
feedids_move(struct feedids *to, struct feedids *from)
{
	feedids_clear(to);
	to->base = from->base;
	to->entries = from->entries;
	to->count = from->count;
	to->capacity = from->capacity;
	to->start = from->start;
	to->handed = from->handed;
	to->index = from->index;
	to->index_size = from->index_size;
	from->base = from->entries = NULL;
	from->index = NULL;
	feedids_clear(from);
}

/* Packing. */

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
put_u64(uint8_t *at, uint64_t value)
{
	value = htole64(value);
	memcpy(at, &value, 8);
	return 8;
}

static size_t
put_varint(uint8_t *at, uint64_t value)
{
	size_t n = 0;

	while (value >= 0x80) {
		at[n++] = (uint8_t)(value | 0x80);
		value >>= 7;
	}
	at[n++] = (uint8_t)value;
	return n;
}

/* The entry's packed bytes at at (at most 27); *previous: the last nonzero updated time. */
static size_t
pack_entry(uint8_t *at, const struct feedid *entry, int64_t *previous)
{
	size_t n = put_u64(at, entry->hash);
	uint64_t delta;

	if (entry->updated == 0 && entry->content_hash == 0)
		return n + put_varint(at + n, 0);
	if (entry->updated == 0)
		n += put_varint(at + n, 1);
	else {
		delta = (uint64_t)(entry->updated - *previous);
		n += put_varint(at + n, ((delta << 1) ^ (uint64_t)((int64_t)delta >> 63)) + 2);
		*previous = entry->updated;
	}
	return n + put_u64(at + n, entry->content_hash);
}

/* Two base64 characters for each 12 bits, in memory order: made once. */
static uint16_t base64_pairs[4096];
static pthread_once_t base64_pairs_once = PTHREAD_ONCE_INIT;

static void
base64_pairs_make(void)
{
	for (unsigned i = 0; i < 4096; i++) {
		char pair[2] = { base64_alphabet[i >> 6], base64_alphabet[i & 63] };

		memcpy(&base64_pairs[i], pair, 2);
	}
}

static void
base64_append(struct buffer *out, const uint8_t *data, size_t length)
{
	size_t whole = length / 3 * 3, i;
	char *at;

	pthread_once(&base64_pairs_once, base64_pairs_make);
	buffer_reserve(out, (length + 2) / 3 * 4 + 1);
	at = out->data + out->length;
	for (i = 0; i + 8 <= length; i += 6, at += 8) {	/* six bytes, of eight read */
		uint64_t bits;

		memcpy(&bits, data + i, 8);
		bits = be64toh(bits);
		memcpy(at, &base64_pairs[bits >> 52], 2);
		memcpy(at + 2, &base64_pairs[bits >> 40 & 4095], 2);
		memcpy(at + 4, &base64_pairs[bits >> 28 & 4095], 2);
		memcpy(at + 6, &base64_pairs[bits >> 16 & 4095], 2);
	}
	for (; i < whole; i += 3, at += 4) {
		uint32_t group = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

		memcpy(at, &base64_pairs[group >> 12], 2);
		memcpy(at + 2, &base64_pairs[group & 4095], 2);
	}
	if (i < length) {	/* one or two bytes left: padded */
		uint32_t group = (uint32_t)data[i] << 16 |
		    (i + 1 < length ? (uint32_t)data[i + 1] << 8 : 0);

		*at++ = base64_alphabet[group >> 18];
		*at++ = base64_alphabet[group >> 12 & 63];
		*at++ = i + 1 < length ? base64_alphabet[group >> 6 & 63] : '=';
		*at++ = '=';
	}
	out->length = (size_t)(at - out->data);
	out->data[out->length] = '\0';
}

void
feedids_encode(const struct feedids *ids, struct buffer *out)
{
	uint8_t *packed = xmalloc(1 + ids->count * 27);
	size_t length = 0;
	int64_t previous = 0;

	packed[length++] = FEEDIDS_VERSION;
	for (size_t i = 0; i < ids->count; i++)
		length += pack_entry(packed + length, &ids->entries[i], &previous);
	base64_append(out, packed, length);
	free(packed);
}

/* Reading. */

/* 1 + the value of each base64 character, 0 for every other byte: made once. */
static uint8_t base64_values[256];
static pthread_once_t base64_values_once = PTHREAD_ONCE_INIT;

static void
base64_values_make(void)
{
	for (unsigned i = 0; i < 64; i++)
		base64_values[(unsigned char)base64_alphabet[i]] = (uint8_t)(i + 1);
}

/*
 * Strict base64 (whole quads, padding only at the end) into a malloc'd buffer; NULL if not.
 * Four characters at a time by table (a catch-up decodes 22 KB a full record: character by
 * character through a chain of ranges, this was a third of its time).
 */
static uint8_t *
base64_decode(const char *text, size_t length, size_t *decoded)
{
	const unsigned char *in = (const unsigned char *)text;
	size_t pad = length >= 4 ? (text[length - 1] == '=') + (text[length - 2] == '=') : 0;
	size_t whole = length - pad - (pad > 0 ? 4 - pad : 0), n = 0, i;
	uint8_t *out;
	uint32_t group = 0, a, b, c, d;

	if (length % 4 != 0)
		return NULL;
	pthread_once(&base64_values_once, base64_values_make);
	out = xmalloc(length / 4 * 3 + 1);
	for (i = 0; i < whole; i += 4) {
		a = base64_values[in[i]];
		b = base64_values[in[i + 1]];
		c = base64_values[in[i + 2]];
		d = base64_values[in[i + 3]];
		if (a == 0 || b == 0 || c == 0 || d == 0)
			goto refuse;
		group = (a - 1) << 18 | (b - 1) << 12 | (c - 1) << 6 | (d - 1);
		out[n++] = (uint8_t)(group >> 16);
		out[n++] = (uint8_t)(group >> 8);
		out[n++] = (uint8_t)group;
	}
	for (group = 0; i < length - pad; i++) {	/* the padded quad's characters */
		if ((a = base64_values[in[i]]) == 0)
			goto refuse;
		group = group << 6 | (a - 1);
	}
	if (pad == 1) {		/* three characters: two bytes */
		out[n++] = (uint8_t)(group >> 10);
		out[n++] = (uint8_t)(group >> 2);
	} else if (pad == 2)	/* two characters: one byte */
		out[n++] = (uint8_t)(group >> 4);
	*decoded = n;
	return out;
refuse:
	free(out);
	return NULL;
}

/* A bounds-checked reader of the packed bytes. */
struct reader {
	const uint8_t	*data;
	size_t		 length, at;
};

static int
get_u64(struct reader *in, uint64_t *value)
{
	if (in->length - in->at < 8)
		return -1;
	memcpy(value, in->data + in->at, 8);
	*value = le64toh(*value);
	in->at += 8;
	return 0;
}

static int
get_varint(struct reader *in, uint64_t *value)
{
	*value = 0;
	for (int shift = 0; shift < 64 && in->at < in->length; shift += 7) {
		uint8_t byte = in->data[in->at++];

		*value |= (uint64_t)(byte & 0x7f) << shift;
		if ((byte & 0x80) == 0)
			return 0;
	}
	return -1;
}

static int
unpack_entry(struct reader *in, struct feedids *ids, int64_t *previous)
{
	uint64_t hash, v, content_hash = 0, zigzag;
	int64_t updated = 0;

	if (get_u64(in, &hash) < 0 || get_varint(in, &v) < 0)
		return -1;
	if (v >= 2) {
		zigzag = v - 2;
		updated = (int64_t)((uint64_t)*previous + ((zigzag >> 1) ^ (0 - (zigzag & 1))));
		if (updated == 0 || updated > UPDATED_LIMIT || updated < -UPDATED_LIMIT)
			return -1;
		*previous = updated;
	}
	if (v >= 1 && get_u64(in, &content_hash) < 0)
		return -1;
	feedids_deliver(ids, hash, updated, content_hash, 1);
	return 0;
}

int
feedids_decode(struct feedids *ids, const char *text, size_t length)
{
	struct reader in = { 0 };
	int64_t previous = 0;
	size_t decoded = 0;
	uint8_t *data = base64_decode(text, length, &decoded);
	int result = 0;

	reset(ids);
	if (data == NULL || decoded < 1 || data[0] != FEEDIDS_VERSION) {
		free(data);
		return -1;
	}
	in.data = data;
	in.length = decoded;
	in.at = 1;
	while (in.at < in.length && result == 0)
		result = unpack_entry(&in, ids, &previous);
	free(data);
	return result;
}

/* An earlier version's [updated, "16 hex digits"] (or NULL) into an entry. */
void
feedids_from_json(struct feedids *ids, json_t *delivered, json_t *versions)
{
	json_t *id;
	size_t i;

	reset(ids);
	json_array_foreach(delivered, i, id) {
		json_t *version;
		const char *hash;

		if (!json_is_string(id))
			continue;
		version = json_object_get(versions, json_string_value(id));
		hash = json_string_value(json_array_get(version, 1));
		feedids_deliver(ids, XXH3_64bits(json_string_value(id), json_string_length(id)),
		    (int64_t)json_integer_value(json_array_get(version, 0)),
		    hash != NULL ? strtoull(hash, NULL, 16) : 0, 1);
	}
}

/* The map: chained buckets, doubled when fuller than one feed a bucket. */

static size_t
bucket_of(const struct feedids_map *map, const char *url)
{
	return (size_t)(XXH3_64bits(url, strlen(url)) & (map->size - 1));
}

struct feedids *
feedids_get(const struct feedids_map *map, const char *url)
{
	if (map->size == 0)
		return NULL;
	for (struct feedids *ids = map->buckets[bucket_of(map, url)]; ids; ids = ids->next)
		if (strcmp(ids->url, url) == 0)
			return ids;
	return NULL;
}

static void
map_grow(struct feedids_map *map)
{
	struct feedids_map bigger = { 0 };

	bigger.size = map->size ? map->size * 2 : 64;
	bigger.buckets = xcalloc(bigger.size, sizeof *bigger.buckets);
	for (size_t i = 0; i < map->size; i++)
		while (map->buckets[i] != NULL) {
			struct feedids *ids = map->buckets[i];
			size_t bucket = bucket_of(&bigger, ids->url);

			map->buckets[i] = ids->next;
			ids->next = bigger.buckets[bucket];
			bigger.buckets[bucket] = ids;
		}
	free(map->buckets);
	map->buckets = bigger.buckets;
	map->size = bigger.size;
}

struct feedids *
feedids_take(struct feedids_map *map, const char *url)
{
	struct feedids *ids = feedids_get(map, url);
	size_t bucket;

	if (ids != NULL)
		return ids;
	if (map->count >= map->size)
		map_grow(map);
	ids = xcalloc(1, sizeof *ids);
	ids->url = xstrdup(url);
	bucket = bucket_of(map, url);
	ids->next = map->buckets[bucket];
	map->buckets[bucket] = ids;
	map->count++;
	return ids;
}

static void
feedids_free(struct feedids *ids)
{
	free(ids->url);
	feedids_clear(ids);
	free(ids);
}

void
feedids_drop_if(struct feedids_map *map, int (*match)(void *, const char *), void *context)
{
	for (size_t i = 0; i < map->size; i++)
		for (struct feedids **link = &map->buckets[i]; *link != NULL; ) {
			struct feedids *ids = *link;

			if (!match(context, ids->url)) {
				link = &ids->next;
				continue;
			}
			*link = ids->next;
			feedids_free(ids);
			map->count--;
		}
}

void
feedids_drop(struct feedids_map *map, const char *url)
{
	struct feedids **link;

	if (map->size == 0)
		return;
	for (link = &map->buckets[bucket_of(map, url)]; *link != NULL; link = &(*link)->next)
		if (strcmp((*link)->url, url) == 0) {
			struct feedids *ids = *link;

			*link = ids->next;
			feedids_free(ids);
			map->count--;
			return;
		}
}

static int
every(void *context, const char *url)
{
	(void)context;
	(void)url;
	return 1;
}

void
feedids_map_clear(struct feedids_map *map)
{
	feedids_drop_if(map, every, NULL);
	free(map->buckets);
	memset(map, 0, sizeof *map);
}
