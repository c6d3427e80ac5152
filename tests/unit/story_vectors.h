/*
 * story_vectors.h - generated feature keys and article vectors for the story unit tests
 * (test_story_centroid, test_story_vector): a key of a kind, a kind drawn as articles have
 * them, a vector of distinct keys in key order (what story_vector_build hands on), and the
 * order by key. Header-only; include it after xorshift.h, whose next_random() draws them.
 */
#ifndef WIRESIFT_TEST_STORY_VECTORS_H
#define WIRESIFT_TEST_STORY_VECTORS_H

#include <stdint.h>
#include <stdlib.h>

#include "story/story_internal.h"

/* qsort()'s order of story_weight by key. */
static int
by_key(const void *a, const void *b)
{
	uint64_t x = ((const struct story_weight *)a)->key;
	uint64_t y = ((const struct story_weight *)b)->key;

	return x < y ? -1 : x > y;
}

/* A key of the kind, from a set of 90 when pool (keys shared by vectors), else of 61 bits
 * at random (the top bit set for about half). */
static uint64_t
random_key(enum story_kind kind, int pool)
{
	uint64_t high = pool ? next_random(90) + 1 :
	    (uint64_t)next_random(1u << 31) << 30 | next_random(1u << 30);

	return high << KIND_BITS | (uint64_t)kind;
}

/* A kind as an article's items have them: words most, then numbers, then entities. */
static enum story_kind
random_kind(void)
{
	unsigned draw = next_random(100);

	return draw < 55 ? KIND_TERM : draw < 75 ? KIND_NUMBER :
	    (enum story_kind)(KIND_PERSON + next_random(4));
}

/* A vector of up to want (at most VECTOR_MAX) distinct keys in key order, each weighing
 * one of `spread` steps up to 1 (a small spread: ties), its name its index as drawn. */
static void
random_vector(struct story_vector *vector, uint32_t want, int pool, unsigned spread)
{
	vector->count = 0;
	while (vector->count < want) {
		uint64_t key = random_key(random_kind(), pool);
		int duplicate = 0;

		for (uint32_t i = 0; i < vector->count; i++)
			duplicate |= vector->items[i].key == key;
		if (!duplicate)
			vector->items[vector->count++] = (struct story_weight){ key,
			    (float)(1 + next_random(spread)) / (float)spread, vector->count };
		else
			want--;
	}
	qsort(vector->items, vector->count, sizeof *vector->items, by_key);
}

#endif
