/*
 * test_story_centroid.c - a story's centroid after an article joins (centroid.c,
 * story_centroid_add) against the add it replaced, kept here as the reference: a pass over the
 * merged features per part for that part's floor, then a pass keeping what weighs more than
 * the floors and one keeping the first ties. The new prune finds the three floors in one pass
 * and keeps in one more; both must leave the same centroid bit for bit (keys in order, float
 * weights, count) on generated stories and vectors: shared keys, parts past and within their
 * quotas, weights tied at the floor. And a story id (story_id_format, hex by hand) against
 * snprintf's "%016llx".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "story/story_internal.h"

#define RANDOM_SEED 0x9e3779b97f4a7c15ULL
#include "xorshift.h"
#include "story_vectors.h"

/* The reference: centroid.c at b01d415. */
#define REFERENCE_TERMS		18
#define REFERENCE_ENTITIES	10
#define REFERENCE_NUMBERS	(CENTROID_MAX - REFERENCE_TERMS - REFERENCE_ENTITIES)

static int
part_of(uint64_t key)
{
	enum story_kind kind = key_kind(key);

	return kind == KIND_TERM ? 0 : kind == KIND_NUMBER ? 2 : 1;
}

static float
reference_floor(const struct story_weight *merged, uint32_t count, int part, uint32_t quota)
{
	float top[CENTROID_MAX];
	uint32_t kept = 0;

	for (uint32_t i = 0; i < count; i++) {
		uint32_t at;

		if (part_of(merged[i].key) != part)
			continue;
		if (kept == quota && merged[i].weight <= top[kept - 1])
			continue;
		at = kept < quota ? kept++ : quota - 1;
		while (at > 0 && top[at - 1] < merged[i].weight) {
			top[at] = top[at - 1];
			at--;
		}
		top[at] = merged[i].weight;
	}
	return kept < quota ? 0 : top[quota - 1];
}

static uint32_t
reference_prune(struct story_weight *merged, uint32_t count)
{
	static const uint32_t quotas[3] = { REFERENCE_TERMS, REFERENCE_ENTITIES,
	    REFERENCE_NUMBERS };
	float floors[3];
	uint32_t used[3] = { 0 }, kept = 0;

	if (count <= CENTROID_MAX)
		return count;
	for (int p = 0; p < 3; p++)
		floors[p] = reference_floor(merged, count, p, quotas[p]);
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < count; i++) {
			int p = part_of(merged[i].key);

			if (merged[i].weight < 0 || used[p] == quotas[p] ||
			    (pass == 0 ? merged[i].weight <= floors[p] :
			    merged[i].weight != floors[p]))
				continue;
			used[p]++;
			merged[i].weight = -1 - merged[i].weight;
		}
	for (uint32_t i = 0; i < count; i++)
		if (merged[i].weight < 0) {
			merged[kept] = merged[i];
			merged[kept++].weight = -1 - merged[i].weight;
		}
	return kept;
}

static void
reference_add(struct story *story, const struct story_vector *vector)
{
	struct story_weight merged[CENTROID_MAX + VECTOR_MAX];
	uint32_t i = 0, j = 0, count = 0;

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
	count = reference_prune(merged, count);
	for (i = 0; i < count; i++) {
		story->centroid[i].key = merged[i].key;
		story->centroid[i].weight = merged[i].weight;
	}
	story->centroid_count = (uint16_t)count;
}

static int
same_centroid(const struct story *a, const struct story *b)
{
	return a->centroid_count == b->centroid_count && memcmp(a->centroid, b->centroid,
	    a->centroid_count * sizeof *a->centroid) == 0;
}

/* Stories grown by a run of joins each, both ways, compared after every join. */
static void
test_add_against_reference(void)
{
	size_t mismatches = 0, pruned = 0, tied = 0;

	for (size_t round = 0; round < 3000; round++) {
		struct story *built = calloc(1, sizeof *built), *reference = calloc(1, sizeof *reference);
		int pool = next_random(2), ties = next_random(2);
		uint32_t joins = 1 + next_random(12);

		for (uint32_t j = 0; j < joins; j++) {
			struct story_vector vector;

			random_vector(&vector, next_random(VECTOR_MAX + 1), pool, ties ? 4 : 1000000);
			pruned += built->centroid_count + vector.count > CENTROID_MAX;
			story_centroid_add(built, &vector);
			reference_add(reference, &vector);
			if (!same_centroid(built, reference) && mismatches++ < 5)
				fprintf(stderr, "round %zu join %u: centroids differ (%u, %u items)\n",
				    round, j, built->centroid_count, reference->centroid_count);
			tied += ties && built->centroid_count == CENTROID_MAX;
		}
		free(built);
		free(reference);
	}
	CHECK(mismatches == 0);
	CHECK(pruned > 5000);	/* most joins had more than the centroid holds */
	CHECK(tied > 2000);	/* and many of them ties at a part's floor */
}

/* story_id_format against snprintf on keys of every length of hex, and the extremes. */
static void
test_id_format_against_snprintf(void)
{
	size_t mismatches = 0;

	for (size_t round = 0; round < 20000; round++) {
		uint64_t key = (uint64_t)next_random(1u << 31) << 33 ^
		    (uint64_t)next_random(1u << 31) << 2 ^ next_random(4);
		char built[17], reference[17];

		key = round < 2 ? (round == 0 ? 0 : UINT64_MAX) : key >> next_random(64);
		memset(built, 'x', sizeof built);
		story_id_format(key, built);
		snprintf(reference, sizeof reference, "%016llx", (unsigned long long)key);
		mismatches += memcmp(built, reference, sizeof built) != 0;
	}
	CHECK(mismatches == 0);
}

int
main(void)
{
	RUN(test_add_against_reference);
	RUN(test_id_format_against_snprintf);
	return check_finish();
}
