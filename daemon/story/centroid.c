/*
 * centroid.c - what an open story remembers of its articles: the centroid (the sum of their
 * vectors, pruned to the heaviest words, entities and numbers), the names of its main
 * entities, and its members (article id and outlet) for the summary; and the summary itself,
 * the value of the story's record in the stories topic.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_write.h"
#include "story_internal.h"
#include "util.h"

#define SUMMARY_ARTICLES	500	/* newest members listed in a summary */

/* The key as 16 lowercase hex digits, as "%016llx" writes it (test_story_centroid compares
 * them): snprintf took ~950 instructions of each article's assignment on the loop thread. */
void
story_id_format(uint64_t key, char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++)
		out[i] = hex[(key >> (60 - 4 * i)) & 15];
	out[16] = '\0';
}

/* The part of a key's kind (its low KIND_BITS): words 0, entities 1, numbers 2. */
static const uint8_t kind_part[KIND_MASK + 1] = {
	[KIND_TERM] = 0, [KIND_NUMBER] = 2, [KIND_PERSON] = 1, [KIND_PLACE] = 1,
	[KIND_ORGANIZATION] = 1, [KIND_OTHER] = 1, [6] = 1, [7] = 1,
};

/*
 * The k-th heaviest of n weights (1 <= k <= n): by an insertion into the shorter of its two
 * sides, the k heaviest or the n - k + 1 lightest (whose heaviest it is), taken as the
 * heaviest of the negated weights (negation is exact). A new story's 24 words keep 18: six
 * lightest sought, most words heavier than all of them, not 18 heaviest with a shift for most.
 */
static float
kth_heaviest(const float *weights, uint32_t n, uint32_t k)
{
	float side[CENTROID_MAX + VECTOR_MAX], sign = k <= n - k + 1 ? 1.0f : -1.0f;
	uint32_t want = sign > 0 ? k : n - k + 1, kept = 0;

	for (uint32_t i = 0; i < n; i++) {
		float weight = sign * weights[i];
		uint32_t at;

		if (kept == want && weight <= side[want - 1])
			continue;
		at = kept < want ? kept++ : want - 1;
		for (; at > 0 && side[at - 1] < weight; at--)
			side[at] = side[at - 1];
		side[at] = weight;
	}
	return sign * side[want - 1];
}

/*
 * A kept weight as centroids have always held it: the prune before this one marked a kept
 * weight w as -1 - w and took it back as -1 - (-1 - w), in float, which rounds w to the
 * precision of 1 + w. Keeping w exact would change the scores, the joins and the stories.
 */
static inline float
kept_weight(float weight)
{
	float marked = -1 - weight;	/* no compiler may fold this away (no -ffast-math) */

	return -1 - marked;
}

/* Keep what weighs more than its part's floor and the first ties (in key order) up to the
 * part's quota (ties[p] of them), in place; returns how many are kept. */
static uint32_t
keep_above(struct story_weight *merged, uint32_t count, const float *floors, uint32_t *ties)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < count; i++) {
		unsigned p = kind_part[merged[i].key & KIND_MASK];
		float weight = merged[i].weight;
		int keep = weight > floors[p];

		if (!keep && weight == floors[p] && ties[p] > 0) {
			ties[p]--;
			keep = 1;
		}
		if (!keep)
			continue;
		merged[kept] = merged[i];
		merged[kept++].weight = kept_weight(weight);
	}
	return kept;
}

/* The ties at each part's floor a prune keeps: its quota less what weighs more. */
static void
count_ties(const struct story_weight *merged, uint32_t count, const float *floors,
    uint32_t *ties)
{
	static const uint32_t quotas[3] = { CENTROID_TERMS, CENTROID_ENTITIES, CENTROID_NUMBERS };
	uint32_t above[3] = { 0 };

	for (uint32_t i = 0; i < count; i++) {
		unsigned p = kind_part[merged[i].key & KIND_MASK];

		above[p] += merged[i].weight > floors[p];
	}
	for (int p = 0; p < 3; p++)
		ties[p] = floors[p] < 0 ? 0 : quotas[p] - above[p];
}

/*
 * Keep the heaviest of each part within its quota, in key order; of the items that weigh
 * the part's floor (its quota-th heaviest weight), the first ones; all of a part within its
 * quota. One pass sorts the weights by part, each part past its quota has its floor
 * (kth_heaviest), one pass counts the weights above the floors, and one more keeps those and
 * the first ties up to the quota: what a pass per part for each floor, then a pass above the
 * floors and one for the ties kept (test_story_centroid compares it with that) found.
 */
uint32_t
story_centroid_prune(struct story_weight *merged, uint32_t count)
{
	static const uint32_t quotas[3] = { CENTROID_TERMS, CENTROID_ENTITIES, CENTROID_NUMBERS };
	float weights[3][CENTROID_MAX + VECTOR_MAX], floors[3];
	uint32_t ties[3], items[3] = { 0 };

	if (count <= CENTROID_MAX)
		return count;
	for (uint32_t i = 0; i < count; i++) {
		unsigned p = kind_part[merged[i].key & KIND_MASK];

		weights[p][items[p]++] = merged[i].weight;
	}
	for (int p = 0; p < 3; p++)	/* within its quota: every weight (>= 0) kept */
		floors[p] = items[p] <= quotas[p] ? -1 :
		    kth_heaviest(weights[p], items[p], quotas[p]);
	count_ties(merged, count, floors, ties);
	return keep_above(merged, count, floors, ties);
}

/* The prune of a new story's centroid, the vector itself, whose floors its build found (the
 * weight at each part's quota in its order, heaviest first, ties by key: what kth_heaviest
 * finds of the same weights): no search. 3.4K -> ~0.7K instructions a new story's prune. */
static uint32_t
prune_with_floors(struct story_weight *merged, uint32_t count, const float *floors)
{
	uint32_t ties[3];

	if (count <= CENTROID_MAX)
		return count;
	count_ties(merged, count, floors, ties);
	return keep_above(merged, count, floors, ties);
}

void
story_centroid_add(struct story *story, const struct story_vector *vector, const float *floors)
{
	struct story_weight merged[CENTROID_MAX + VECTOR_MAX];
	uint32_t i = 0, j = 0, count = 0;
	int fresh = story->centroid_count == 0 && floors != NULL;

	while (i < story->centroid_count || j < vector->count) {
		const struct centroid_entry *c = i < story->centroid_count ?
		    &story->centroid[i] : NULL;
		const struct story_weight *a = j < vector->count ? &vector->items[j] : NULL;

		if (a == NULL || (c != NULL && c->key < a->key)) {
			merged[count++] = (struct story_weight){ c->key, c->weight, 0 };
			i++;
		} else if (c == NULL || a->key < c->key) {
			merged[count] = *a;
			merged[count++].name = 0;
			j++;
		} else {
			merged[count++] = (struct story_weight){ c->key, c->weight + a->weight, 0 };
			i++;
			j++;
		}
	}
	count = fresh ? prune_with_floors(merged, count, floors) :
	    story_centroid_prune(merged, count);
	for (i = 0; i < count; i++) {
		story->centroid[i].key = merged[i].key;
		story->centroid[i].weight = merged[i].weight;
	}
	story->centroid_count = (uint16_t)count;
}

static json_t *
story_entities_json(const struct story *story)
{
	json_t *entities = json_array();

	for (uint16_t i = 0; i < story->entity_name_count; i++)
		json_array_append_new(entities, json_pack("{s:s, s:s, s:i}",
		    "name", story->entity_names[i].name, "type", story->entity_names[i].type,
		    "count", (int)story->entity_names[i].count));
	return entities;
}

static json_t *
time_json(int64_t when)
{
	char text[21];

	time_format_rfc3339((time_t)when, text);
	return json_string(text);
}

static char *
render(json_t *value)
{
	struct buffer out = { 0 };

	if (json_write(value, &out) != 0) {
		out.length = 0;
		buffer_append_string(&out, "{}");
	}
	json_decref(value);
	return buffer_steal(&out);
}

/* The summary built as a jansson tree: for a story with a string that is not UTF-8. */
char *
story_summary_json_tree(const struct story *story)
{
	json_t *root = json_object(), *articles = json_array();
	char id[17];
	uint32_t first = story->size > SUMMARY_ARTICLES ? story->size - SUMMARY_ARTICLES : 0;

	story_id_format(story->key, id);
	for (uint32_t i = first; i < story->size; i++)
		json_array_append_new(articles, json_pack("{s:s, s:s}", "id",
		    story->members[i].id, "source", story->members[i].outlet));
	json_object_set_new(root, "id", json_string(id));
	json_object_set_new(root, "headline", story->headline ? json_string(story->headline) :
	    json_null());
	json_object_set_new(root, "size", json_integer(story->size));
	json_object_set_new(root, "first_seen", time_json(story->first_seen));
	json_object_set_new(root, "last_seen", time_json(story->last_seen));
	json_object_set_new(root, "entities", story_entities_json(story));
	json_object_set_new(root, "articles", articles);
	return render(root);
}

/* A string literal's bytes, its length known at compile time. */
#define put_key(out, literal)	buffer_append((out), "" literal, sizeof(literal) - 1)

static void
put_number(struct buffer *out, uint32_t value)
{
	char digits[10];
	size_t at = sizeof digits;

	do {
		digits[--at] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	buffer_append(out, digits + at, sizeof digits - at);
}

/* "TIME" (RFC 3339, UTC) */
static void
put_time(struct buffer *out, int64_t when)
{
	char text[21];

	time_format_rfc3339((time_t)when, text);
	buffer_append(out, "\"", 1);
	buffer_append_string(out, text);
	buffer_append(out, "\"", 1);
}

/* "entities":[{"name":...,"type":...,"count":N},...]; -1 on a string that is not UTF-8. */
static int
summary_entities(const struct story *story, struct buffer *out)
{
	put_key(out, ",\"entities\":[");
	for (uint16_t i = 0; i < story->entity_name_count; i++) {
		const struct story_entity_name *entity = &story->entity_names[i];
		if (entity->name == NULL)
			return -1;
		if (i > 0)
			put_key(out, ",");
		put_key(out, "{\"name\":");
		if (json_write_string(entity->name, out) < 0)
			return -1;
		put_key(out, ",\"type\":");
		if (json_write_string(entity->type, out) < 0)
			return -1;
		put_key(out, ",\"count\":");
		put_number(out, entity->count);
		buffer_append(out, "}", 1);
	}
	buffer_append(out, "]", 1);
	return 0;
}

/* "articles":[{"id":...,"source":...},...], the newest SUMMARY_ARTICLES members. */
static int
summary_articles(const struct story *story, struct buffer *out)
{
	uint32_t first = story->size > SUMMARY_ARTICLES ? story->size - SUMMARY_ARTICLES : 0;

	put_key(out, ",\"articles\":[");
	for (uint32_t i = first; i < story->size; i++) {
		const struct story_member *member = &story->members[i];
		if (member->id == NULL || member->outlet == NULL)
			return -1;
		if (i > first)
			put_key(out, ",");
		put_key(out, "{\"id\":");
		if (json_write_string_length(member->id, member->id_length, out) < 0)
			return -1;
		put_key(out, ",\"source\":");
		if (json_write_string_length(member->outlet, member->outlet_length, out) < 0)
			return -1;
		buffer_append(out, "}", 1);
	}
	buffer_append(out, "]}", 2);
	return 0;
}

/*
 * The value of the story's record: {"id","headline","size","first_seen","last_seen",
 * "entities","articles"}, written straight into a buffer (jansson's tree for it had cost
 * 67K instructions per article on the loop thread); the same text as
 * story_summary_json_tree(), which writes a story that has a string not valid as UTF-8.
 */
char *
story_summary_json(const struct story *story)
{
	struct buffer out = { 0 };
	char id[17];

	story_id_format(story->key, id);
	put_key(&out, "{\"id\":\"");
	buffer_append(&out, id, 16);
	put_key(&out, "\",\"headline\":");
	if (story->headline == NULL)
		put_key(&out, "null");
	else if (json_write_string(story->headline, &out) < 0)
		goto tree;
	put_key(&out, ",\"size\":");
	put_number(&out, story->size);
	put_key(&out, ",\"first_seen\":");
	put_time(&out, story->first_seen);
	put_key(&out, ",\"last_seen\":");
	put_time(&out, story->last_seen);
	if (summary_entities(story, &out) < 0 || summary_articles(story, &out) < 0)
		goto tree;
	return buffer_steal(&out);
tree:
	buffer_free(&out);
	return story_summary_json_tree(story);
}
