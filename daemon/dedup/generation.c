/*
 * generation.c - one generation of the dedup index: the entries first seen during one slice
 * of the window, their packed signatures and ids, and one open-addressing table holding all
 * their LSH band keys (or the exact key of a too-short text).
 *
 * Generations never grow or delete: a generation is allocated for a fixed number of entries
 * and table slots, sealed when full or when its time slice ends, and freed whole once its
 * newest entry leaves the window. That is what keeps memory flat without storing the keys
 * a rehash or a deletion would need: a slot is 32 bits, (entry offset + 1) << 8 | an 8-bit
 * tag from the key, so a band key costs 4 / 0.75 bytes; a tag match is only a candidate,
 * verified on the signature by the caller.
 *
 * Ids are packed into an arena: lower-case hex of even length (article ids: 32 hex digits)
 * as a length byte and the bytes it encodes, anything else as 0 and the NUL-terminated text.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"
#include "util.h"

#define TABLE_LOAD_NUMERATOR	3	/* sealed at 3/4 of the slots in use */
#define TABLE_LOAD_DENOMINATOR	4
#define MAX_ENTRIES		((1u << 24) - 2)
#define ID_BYTES_GUESS		18

static inline uint32_t
fast_range32(uint64_t hash, uint32_t range)
{
	return (uint32_t)(((unsigned __int128)hash * range) >> 64);
}

struct dedup_generation *
dedup_generation_new(uint64_t serial, uint32_t capacity, int keys_per_entry,
    size_t signature_bytes, int64_t first_time)
{
	struct dedup_generation *generation = xcalloc(1, sizeof *generation);
	uint64_t slots;

	if (capacity > MAX_ENTRIES)
		capacity = MAX_ENTRIES;
	if (capacity < 16)
		capacity = 16;
	slots = (uint64_t)capacity * (uint64_t)keys_per_entry * TABLE_LOAD_DENOMINATOR /
	    TABLE_LOAD_NUMERATOR + 1;
	if (slots > UINT32_MAX / 2)
		slots = UINT32_MAX / 2;
	generation->serial = serial;
	generation->first_time = first_time;
	generation->newest_time = first_time;
	generation->capacity = capacity;
	generation->table_size = (uint32_t)slots;
	generation->table_limit = (uint32_t)(slots * TABLE_LOAD_NUMERATOR / TABLE_LOAD_DENOMINATOR);
	generation->table = xcalloc(slots, sizeof *generation->table);
	generation->entries = xmalloc((size_t)capacity * sizeof *generation->entries);
	generation->signature_bytes = signature_bytes;
	generation->signatures = xmalloc((size_t)capacity * signature_bytes);
	generation->ids_capacity = (size_t)capacity * ID_BYTES_GUESS;
	generation->ids = xmalloc(generation->ids_capacity);
	return generation;
}

void
dedup_generation_free(struct dedup_generation *generation)
{
	if (generation == NULL)
		return;
	free(generation->table);
	free(generation->entries);
	free(generation->signatures);
	free(generation->ids);
	free(generation);
}

int
dedup_generation_fits(const struct dedup_generation *generation, int key_count)
{
	return generation->count < generation->capacity &&
	    generation->table_used + (uint32_t)key_count <= generation->table_limit;
}

/* Each byte's value as a lowercase hex digit ('0'-'9' from 0x30, 'a'-'f' from 0x61), -1 for
 * any other: a load a digit, not two range tests (an id of 64 digits is read twice an add). */
static const int8_t hex_values[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static inline int
hex_value(char digit)
{
	return hex_values[(unsigned char)digit];
}

static size_t
packable_hex_length(const char *id)
{
	size_t length = strlen(id);

	if (length == 0 || length % 2 != 0 || length / 2 > 127)
		return 0;
	for (size_t i = 0; i < length; i++)
		if (hex_value(id[i]) < 0)
			return 0;
	return length;
}

static void
ids_reserve(struct dedup_generation *generation, size_t more)
{
	if (generation->ids_length + more <= generation->ids_capacity)
		return;
	generation->ids_capacity = (generation->ids_length + more) * 3 / 2;
	generation->ids = xrealloc(generation->ids, generation->ids_capacity);
}

uint32_t
dedup_generation_add_id(struct dedup_generation *generation, const char *id)
{
	size_t hex_length = packable_hex_length(id);
	uint32_t offset = (uint32_t)generation->ids_length;
	uint8_t *out;

	if (hex_length > 0) {
		ids_reserve(generation, 1 + hex_length / 2);
		out = generation->ids + generation->ids_length;
		out[0] = (uint8_t)(hex_length / 2);
		for (size_t i = 0; i < hex_length / 2; i++)
			out[1 + i] = (uint8_t)(hex_value(id[2 * i]) << 4 | hex_value(id[2 * i + 1]));
		generation->ids_length += 1 + hex_length / 2;
	} else {
		size_t length = strlen(id);

		ids_reserve(generation, length + 2);
		out = generation->ids + generation->ids_length;
		out[0] = 0;
		memcpy(out + 1, id, length + 1);
		generation->ids_length += length + 2;
	}
	return offset;
}

const char *
dedup_generation_id(const struct dedup_generation *generation, uint32_t offset, char *out,
    size_t out_size)
{
	const uint8_t *stored = generation->ids + offset;

	if (stored[0] == 0) {
		size_t length = strlen((const char *)stored + 1);

		if (length >= out_size)
			length = out_size - 1;
		memcpy(out, stored + 1, length);
		out[length] = '\0';
	} else {
		size_t bytes = stored[0];

		if (bytes * 2 >= out_size)
			bytes = (out_size - 1) / 2;
		hex_encode(stored + 1, bytes, out);
	}
	return out;
}

int
dedup_generation_id_equals(const struct dedup_generation *generation, uint32_t offset,
    const char *id)
{
	char stored[512];

	return strcmp(dedup_generation_id(generation, offset, stored, sizeof stored), id) == 0;
}

static void
table_insert(struct dedup_generation *generation, uint64_t key, uint32_t offset)
{
	uint32_t position = fast_range32(key, generation->table_size);
	uint32_t slot = (offset + 1) << 8 | (uint32_t)(key & 0xff);

	while (generation->table[position] != 0)
		if (++position == generation->table_size)
			position = 0;
	generation->table[position] = slot;
	generation->table_used++;
}

uint32_t
dedup_generation_add(struct dedup_generation *generation, const struct dedup_entry *entry,
    const uint8_t *signature, const uint64_t *keys, int key_count, const char *id,
    const char *group_id)
{
	uint32_t offset = generation->count++;
	struct dedup_packed_entry *stored = &generation->entries[offset];
	int64_t time_offset = entry->time - generation->first_time;
	uint32_t shingles = entry->shingle_count > 0xffffff ? 0xffffff : entry->shingle_count;

	if (time_offset > INT32_MAX)
		time_offset = INT32_MAX;
	if (time_offset < INT32_MIN)
		time_offset = INT32_MIN;
	stored->exact_hash = entry->exact_hash;
	stored->time_offset = (int32_t)time_offset;
	stored->shingles_and_flags = shingles << 8 | (entry->flags & 0xff);
	stored->id_offset = dedup_generation_add_id(generation, id);
	stored->group_offset = stored->id_offset;
	if (group_id != NULL && strcmp(group_id, id) != 0)
		stored->group_offset = dedup_generation_add_id(generation, group_id);
	memcpy(generation->signatures + (size_t)offset * generation->signature_bytes, signature,
	    generation->signature_bytes);
	for (int i = 0; i < key_count; i++)
		table_insert(generation, keys[i], offset);
	if (entry->time > generation->newest_time)
		generation->newest_time = entry->time;
	if (entry->flags & DEDUP_ENTRY_COMMITTED)
		generation->committed++;
	return offset;
}

void
dedup_generation_entry(const struct dedup_generation *generation, uint32_t offset,
    struct dedup_entry *entry)
{
	const struct dedup_packed_entry *stored = &generation->entries[offset];

	entry->exact_hash = stored->exact_hash;
	entry->time = generation->first_time + stored->time_offset;
	entry->shingle_count = stored->shingles_and_flags >> 8;
	entry->flags = stored->shingles_and_flags & 0xff;
	entry->id_offset = stored->id_offset;
	entry->group_offset = stored->group_offset;
}

void
dedup_generation_set_committed(struct dedup_generation *generation, uint32_t offset)
{
	struct dedup_packed_entry *stored = &generation->entries[offset];

	if ((stored->shingles_and_flags & DEDUP_ENTRY_COMMITTED) == 0) {
		stored->shingles_and_flags |= DEDUP_ENTRY_COMMITTED;
		generation->committed++;
	}
}

void
dedup_generation_probe(const struct dedup_generation *generation, uint64_t key,
    int (*found)(const struct dedup_generation *, uint32_t, void *), void *context)
{
	uint32_t position = fast_range32(key, generation->table_size);
	uint32_t tag = (uint32_t)(key & 0xff);
	uint32_t slot;

	while ((slot = generation->table[position]) != 0) {
		if ((slot & 0xff) == tag && found(generation, (slot >> 8) - 1, context))
			return;
		if (++position == generation->table_size)
			position = 0;
	}
}

void
dedup_generation_prefetch(const struct dedup_generation *generation, uint64_t key)
{
	__builtin_prefetch(&generation->table[fast_range32(key, generation->table_size)]);
}

size_t
dedup_generation_memory(const struct dedup_generation *generation)
{
	return sizeof *generation + (size_t)generation->table_size * sizeof *generation->table +
	    (size_t)generation->capacity * (sizeof *generation->entries +
	    generation->signature_bytes) + generation->ids_capacity;
}
