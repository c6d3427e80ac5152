/*
 * token_forms.c - stable form ids (token_forms.h): the written forms a token stream has met,
 * numbered in the order met, in an open-addressing table that lives from article to article.
 * The stream looks each of an article's types up once here, after its scan, so a plugin
 * keeps what it knows of a form in an array indexed by id (ws_tokens.form_ids) instead of
 * hashing the form and comparing strings on every article, once per plugin.
 *
 * A slot holds the form's first 16 bytes inline (zero-padded, as tokens.c keys them: below 16
 * bytes that is the whole form), its length and its id, so a probe compares two words and
 * touches no other memory; forms of 16 bytes or more compare the rest with a copy kept here.
 * An article's slots are prefetched a few types ahead (the table is megabytes: most probes
 * are cache misses).  When an article's types might take the table past its limit, it starts
 * over empty with the next generation, so every id of one article is of one generation and
 * the memory stays bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "token_forms.h"
#include "util.h"

/* One form: length 0 is an empty slot (a form is at least one byte). */
struct form_slot {
	uint64_t	 lo;
	uint64_t	 hi;
	uint32_t	 length;
	uint32_t	 id;
};

struct form_table {
	struct form_slot *slots;
	size_t		 mask;		/* slots - 1, a power of two at least twice limit */
	unsigned	 shift;		/* 64 - log2(slots) */
	uint32_t	 limit;
	uint32_t	 count;
	uint32_t	 generation;	/* never 0 */
	uint32_t	*rest_at;	/* by id: where a long form's copy starts in rest */
	char		*rest;		/* copies of the forms of 16 bytes or more */
	size_t		 rest_used;
	size_t		 rest_capacity;
};

#define REST_LIMIT	(8u << 20)	/* bytes of long forms a generation keeps */
#define PREFETCH_AHEAD	8

struct form_table *
form_table_new(size_t limit)
{
	struct form_table *table = xcalloc(1, sizeof(*table));
	size_t capacity = 2;
	unsigned shift = 63;

	if (limit < 1)
		limit = 1;
	if (limit > UINT32_MAX / 4)
		limit = UINT32_MAX / 4;
	while (capacity < limit * 2) {
		capacity *= 2;
		shift--;
	}
	table->slots = xcalloc(capacity, sizeof(*table->slots));
	table->mask = capacity - 1;
	table->shift = shift;
	table->limit = (uint32_t)limit;
	table->generation = 1;
	table->rest_at = xcalloc(limit, sizeof(*table->rest_at));
	return table;
}

void
form_table_free(struct form_table *table)
{
	if (table == NULL)
		return;
	free(table->slots);
	free(table->rest_at);
	free(table->rest);
	free(table);
}

/* Empty, with the next generation. */
static void
form_table_restart(struct form_table *table)
{
	memset(table->slots, 0, (table->mask + 1) * sizeof(*table->slots));
	table->count = 0;
	table->rest_used = 0;
	if (++table->generation == 0)
		table->generation = 1;
}

static inline size_t
form_slot_of(const struct form_table *table, uint64_t hash)
{
	return (size_t)((hash * 0x9E3779B97F4A7C15ULL) >> table->shift);
}

/* Bit masks keeping the first n bytes of a word (n from 0 to 8). */
static const uint64_t keep_bytes[9] = {
	0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFULL, 0xFFFFFFFFFFFFULL,
	0xFFFFFFFFFFFFFFULL, ~0ULL
};

/*
 * The first 16 bytes of a type's form, zero past its end: two loads, masked.  The stream's
 * arena (tokens.c) keeps 16 bytes of room past every copy, so the loads stay inside it.
 */
static inline void
form_key(const struct ws_token_type *type, uint64_t *lo, uint64_t *hi)
{
	size_t length = type->length < 16 ? type->length : 16;

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	unsigned char padded[16] = { 0 };

	memcpy(padded, type->written, length);
	memcpy(lo, padded, 8);
	memcpy(hi, padded + 8, 8);
	return;
#endif
	memcpy(lo, type->written, 8);
	memcpy(hi, type->written + 8, 8);
	*lo &= keep_bytes[length < 8 ? length : 8];
	*hi &= keep_bytes[length > 8 ? length - 8 : 0];
}

/* A copy of the bytes of a long form past its first 16, for the form with id. */
static void
rest_keep(struct form_table *table, uint32_t id, const char *bytes, size_t length)
{
	if (table->rest_used + length > table->rest_capacity) {
		size_t capacity = table->rest_capacity ? table->rest_capacity : 4096;

		while (capacity < table->rest_used + length)
			capacity *= 2;
		table->rest = xrealloc(table->rest, capacity);
		table->rest_capacity = capacity;
	}
	memcpy(table->rest + table->rest_used, bytes, length);
	table->rest_at[id] = (uint32_t)table->rest_used;
	table->rest_used += length;
}

/* Whether a long form's slot, of its length and first 16 bytes, holds the rest of it too. */
static __attribute__((noinline)) int
rest_same(const struct form_table *table, const struct form_slot *slot,
    const struct ws_token_type *type)
{
	return memcmp(table->rest + table->rest_at[slot->id], type->written + 16,
	    type->length - 16) == 0;
}

/* The id of one type's form, numbered next when new. */
static inline uint32_t
form_id(struct form_table *table, const struct ws_token_type *type)
{
	size_t at = form_slot_of(table, type->hash);
	struct form_slot *slot;
	uint64_t lo, hi;

	form_key(type, &lo, &hi);
	for (;; at = (at + 1) & table->mask) {
		slot = &table->slots[at];
		if (slot->lo == lo && slot->hi == hi && slot->length == type->length) {
			if (type->length <= 16 || rest_same(table, slot, type))
				return slot->id;
		} else if (slot->length == 0)
			break;
	}
	slot->lo = lo;
	slot->hi = hi;
	slot->length = (uint32_t)type->length;
	slot->id = table->count++;
	if (type->length > 16)
		rest_keep(table, slot->id, type->written + 16, type->length - 16);
	return slot->id;
}

uint32_t
form_table_ids(struct form_table *table, const struct ws_token_type *types, size_t count,
    size_t bytes, uint32_t *ids, uint32_t *id_count)
{
	*id_count = 0;
	if (count > table->limit || bytes > REST_LIMIT)
		return 0;	/* more than a whole generation holds */
	if (count > table->limit - table->count || bytes > REST_LIMIT - table->rest_used)
		form_table_restart(table);
	for (size_t i = 0; i < count && i < PREFETCH_AHEAD; i++)
		__builtin_prefetch(&table->slots[form_slot_of(table, types[i].hash)]);
	for (size_t i = 0; i < count; i++) {
		if (i + PREFETCH_AHEAD < count)
			__builtin_prefetch(&table->slots[form_slot_of(table,
			    types[i + PREFETCH_AHEAD].hash)]);
		ids[i] = form_id(table, &types[i]);
	}
	*id_count = table->count;
	return table->generation;
}
