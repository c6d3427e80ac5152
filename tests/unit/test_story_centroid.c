/*
 * test_story_centroid.c - a story's centroid after an article joins (centroid.c). Its prune
 * (story_centroid_prune) against the prune it replaced, kept here as the reference: a pass
 * over the merged features per part for that part's floor, then a pass keeping what weighs
 * more than the floors and one keeping the first ties. The new prune finds the three floors
 * in one pass and keeps in one more; both must keep the same weights bit for bit (keys in
 * order, float weights, count) on generated merged lists: parts past and within their
 * quotas, weights tied at the floor. Then the whole add (story_centroid_add) against the
 * merge by definition (concatenate, sort by key, sum a key's two weights) and the reference
 * prune, join after join on generated stories and vectors with shared keys. And a story id
 * (story_id_format, hex by hand) against snprintf's "%016llx".
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

/*
 * The merge by definition (not story_centroid_add's two-list walk): the centroid's entries and
 * the vector's items put together and sorted by key, the two weights of a key both hold
 * summed, in place of the pair.
 */
static uint32_t
reference_merge(const struct story *story, const struct story_vector *vector,
    struct story_weight *merged)
{
	uint32_t count = 0, kept = 0;

	for (uint32_t i = 0; i < story->centroid_count; i++)
		merged[count++] = (struct story_weight){ story->centroid[i].key,
		    story->centroid[i].weight, 0 };
	for (uint32_t j = 0; j < vector->count; j++)
		merged[count++] = (struct story_weight){ vector->items[j].key,
		    vector->items[j].weight, 0 };
	qsort(merged, count, sizeof *merged, by_key);
	for (uint32_t i = 0; i < count; i++) {
		if (kept > 0 && merged[kept - 1].key == merged[i].key)
			merged[kept - 1].weight += merged[i].weight;
		else
			merged[kept++] = merged[i];
	}
	return kept;
}

static void
reference_add(struct story *story, const struct story_vector *vector)
{
	struct story_weight merged[CENTROID_MAX + VECTOR_MAX];
	uint32_t count = reference_prune(merged, reference_merge(story, vector, merged));

	for (uint32_t i = 0; i < count; i++) {
		story->centroid[i].key = merged[i].key;
		story->centroid[i].weight = merged[i].weight;
	}
	story->centroid_count = (uint16_t)count;
}

/* Merged weights as a prune gets them: up to CENTROID_MAX + VECTOR_MAX distinct keys in key
 * order, their parts past and within their quotas, weights tied or not. */
static uint32_t
random_merged(struct story_weight *merged, int pool, unsigned spread)
{
	uint32_t want = next_random(CENTROID_MAX + VECTOR_MAX + 1), count = 0;

	while (count < want) {
		uint64_t key = random_key(random_kind(), pool);
		int duplicate = 0;

		for (uint32_t i = 0; i < count; i++)
			duplicate |= merged[i].key == key;
		if (duplicate)
			want--;
		else
			merged[count++] = (struct story_weight){ key,
			    (float)(1 + next_random(spread)) / (float)spread * 3, 0 };
	}
	qsort(merged, count, sizeof *merged, by_key);
	return count;
}

/* story_centroid_prune alone against the reference prune: the same weights kept, bit for
 * bit, in the same order. */
static void
test_prune_against_reference(void)
{
	size_t mismatches = 0, pruned = 0;

	for (size_t round = 0; round < 20000; round++) {
		struct story_weight built[CENTROID_MAX + VECTOR_MAX];
		struct story_weight reference[CENTROID_MAX + VECTOR_MAX];
		uint32_t count = random_merged(built, next_random(2), next_random(2) ? 4 : 1000000);
		uint32_t built_count, reference_count;

		memcpy(reference, built, count * sizeof *built);
		built_count = story_centroid_prune(built, count);
		reference_count = reference_prune(reference, count);
		pruned += built_count < count;
		if (built_count != reference_count ||
		    memcmp(built, reference, built_count * sizeof *built) != 0)
			mismatches++;
	}
	CHECK(mismatches == 0);
	CHECK(pruned > 5000);	/* most had more than the centroid holds */
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
			story_centroid_add(built, &vector, NULL);
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
	RUN(test_prune_against_reference);
	RUN(test_add_against_reference);
	RUN(test_id_format_against_snprintf);
	return check_finish();
}
