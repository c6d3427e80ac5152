/*
 * token_forms.c - stable form ids (token_forms.h): the written forms a token stream has met,
 * numbered in the order met, in an open-addressing table that lives from article to article.
 * The stream looks each of an article's types up once here, after its scan, so a plugin
 * keeps what it knows of a form in an array indexed by id (ws_tokens.form_ids) instead of
 * hashing the form and comparing strings on every article, once per plugin.
 *
 * A slot holds the form's key (its first 16 bytes, zero-padded: below 16 bytes that is the
 * whole form), its length, its id and its FNV-1a hash, 32 bytes, two to a cache line, so a
 * probe compares two words in one line and a known form's hash costs nothing: FNV-1a (a
 * multiply a byte, a loop whose length the branch predictor cannot know) runs only for forms
 * new to the table.  Forms of up to 16 bytes start their probe where their key, mixed by two
 * multiplies, says; longer ones where their FNV-1a hash says (taken first), and compare the
 * rest with a copy kept here.  A type's key is read from its copy (tokens.c's arena cells:
 * the form's first 16 bytes, zero past a shorter one).  An article's slots are prefetched a
 * few types ahead (the table is megabytes).  When an article's types might take the table
 * past its limit, it starts over empty with the next generation, so every id of one article
 * is of one generation and the memory stays bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "token_forms.h"
#include "util.h"
#include "../plugins/words.h"

/* One form: length 0 is an empty slot (a form is at least one byte). */
struct form_slot {
	struct form_key	 key;
	uint64_t	 hash;		/* words_hash of the form */
	uint32_t	 length;
	uint32_t	 id;
};
_Static_assert(sizeof(struct form_slot) == 32, "two slots to a cache line");

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

/* capacity empty slots (at least 2: 64 bytes), aligned to a cache line. */
static struct form_slot *
slots_alloc(size_t capacity)
{
	struct form_slot *slots = aligned_alloc(64, capacity * sizeof(*slots));

	if (slots == NULL)	/* out of memory: xcalloc says so and exits */
		return xcalloc(capacity, sizeof(*slots));
	memset(slots, 0, capacity * sizeof(*slots));
	return slots;
}

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
	table->slots = slots_alloc(capacity);
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

/* A type's key: the 16 bytes its copy starts with (token_forms.h). */
static inline struct form_key
form_key_of(const struct ws_token_type *type)
{
	struct form_key key;

	memcpy(&key, type->written, sizeof(key));
	return key;
}

/*
 * Where a form's probe starts: for up to 16 bytes its key mixed by two multiplies, else its
 * hash (taken here first).
 */
static inline size_t
form_home(const struct form_table *table, const struct form_key *key,
    struct ws_token_type *type)
{
	uint64_t mixed;

	if (type->length <= 16)
		mixed = (key->lo ^ (key->hi * 0x9E3779B97F4A7C15ULL)) * 0xD6E8FEB86659FD93ULL;
	else {
		type->hash = words_hash(type->written);
		mixed = type->hash * 0x9E3779B97F4A7C15ULL;
	}
	return (size_t)(mixed >> table->shift);
}

/* Where a type's probe starts (returned), its slot into the cache a few types ahead. */
static inline uint32_t
form_prefetch(const struct form_table *table, struct ws_token_type *type)
{
	struct form_key key = form_key_of(type);
	size_t home = form_home(table, &key, type);

	__builtin_prefetch(&table->slots[home]);
	return (uint32_t)home;
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

/* The id of one type's form (its key, its probe's start at), numbered next when new; sets
 * the type's hash. */
static inline uint32_t
form_id(struct form_table *table, const struct form_key *key, size_t at,
    struct ws_token_type *type)
{
	struct form_slot *slot;

	for (;; at = (at + 1) & table->mask) {
		slot = &table->slots[at];
		if (slot->key.lo == key->lo && slot->key.hi == key->hi &&
		    slot->length == type->length) {
			if (type->length <= 16 || rest_same(table, slot, type)) {
				type->hash = slot->hash;
				return slot->id;
			}
		} else if (slot->length == 0)
			break;
	}
	slot->key = *key;
	slot->length = (uint32_t)type->length;
	slot->id = table->count++;
	if (type->length > 16)
		rest_keep(table, slot->id, type->written + 16, type->length - 16);
	else
		type->hash = words_hash(type->written);
	slot->hash = type->hash;
	return slot->id;
}

uint32_t
form_table_ids(struct form_table *table, struct ws_token_type *types, size_t count,
    size_t bytes, uint32_t *ids, uint32_t *id_count)
{
	*id_count = 0;
	if (count > table->limit || bytes > REST_LIMIT) {
		for (size_t i = 0; i < count; i++)	/* more than a whole generation holds */
			types[i].hash = words_hash(types[i].written);
		return 0;
	}
	if (count > table->limit - table->count || bytes > REST_LIMIT - table->rest_used)
		form_table_restart(table);
	/* ids[i] holds where type i's probe starts until it holds its id */
	for (size_t i = 0; i < count && i < PREFETCH_AHEAD; i++)
		ids[i] = form_prefetch(table, &types[i]);
	for (size_t i = 0; i < count; i++) {
		struct form_key key = form_key_of(&types[i]);

		if (i + PREFETCH_AHEAD < count)
			ids[i + PREFETCH_AHEAD] = form_prefetch(table, &types[i + PREFETCH_AHEAD]);
		ids[i] = form_id(table, &key, ids[i], &types[i]);
	}
	*id_count = table->count;
	return table->generation;
}
