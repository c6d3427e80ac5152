/*
 * test_story_vector.c - an article's weighted vector (score.c, story_vector_build) against
 * the build it replaced, kept here as the reference: every IDF computed with log() and every
 * item of a part through keep_top, then one insertion sort by key. The new build weighs
 * exactly only the items bounds say may be kept, and sorts by key in buckets; both must give
 * the same vector bit for bit (keys, float weights, item indexes, counts per part, salience
 * counts, the key slots) on generated features: ties of count and frequency, counts past the
 * table of 1 + log(mentions), frequencies past the table of logs, few and many items, small
 * and large document totals. And the score of a vector against a story's centroid
 * (story_score) against a reference that merges the two sorted lists with a branch per kind
 * and per shared key: every field bit for bit. And the features a lookup reads the postings
 * of (lookup.c, story_scan_features) against the pass per part it replaced. And a kept
 * item's weight from its bound (score.c, weight_of) against log()'s, over a million cases.
 * And each key's document frequency (background.c) against the counts it was added with,
 * and an article counted from the slots its look-ups found against the plain add.
 * And a new story's centroid from a built vector with the floors its build found against
 * the prune's own search.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "story/index_internal.h"
#include "util.h"

#define RANDOM_SEED 0x2545f4914f6cdd1dULL
#include "xorshift.h"
#include "story_vectors.h"

/* The reference: story_vector_build as it was before the bounds (score.c at 5ea2ab3). */
enum { PART_TERMS, PART_ENTITIES, PART_NUMBERS, PARTS };

static int
part_of(uint64_t key)
{
	enum story_kind kind = key_kind(key);

	return kind == KIND_TERM ? PART_TERMS : kind == KIND_NUMBER ? PART_NUMBERS :
	    PART_ENTITIES;
}

static int
by_weight_descending(const void *a, const void *b)
{
	float x = ((const struct story_weight *)a)->weight;
	float y = ((const struct story_weight *)b)->weight;

	if (x != y)
		return x < y ? 1 : -1;
	return ((const struct story_weight *)a)->key < ((const struct story_weight *)b)->key ?
	    -1 : 1;
}

static double
reference_weight(const struct story_item *item, double idf)
{
	int count = item->count > 0 ? item->count : 1;
	double mentions = 1.0 + log(count);

	if (key_kind(item->key) == KIND_NUMBER)
		return idf * (item->salient ? 1.5 : 1.0);
	if (KIND_IS_ENTITY(key_kind(item->key)) && item->salient)
		return 2 * mentions * idf;
	return mentions * idf;
}

static uint32_t
reference_keep_top(struct story_weight *candidates, uint32_t count, uint32_t limit,
    struct story_weight *out)
{
	double norm = 0;
	uint32_t kept = count < limit ? count : limit;

	qsort(candidates, count, sizeof *candidates, by_weight_descending);
	memcpy(out, candidates, kept * sizeof *out);
	for (uint32_t i = 0; i < kept; i++)
		norm += (double)out[i].weight * out[i].weight;
	norm = sqrt(norm);
	for (uint32_t i = 0; i < kept; i++)
		out[i].weight = (float)(out[i].weight / norm);
	return kept;
}

static void
reference_build(struct story_vector *vector, const struct story_features *features,
    struct story_background *background)
{
	static const uint32_t limits[PARTS] = { VECTOR_TERMS, VECTOR_ENTITIES, VECTOR_NUMBERS };
	struct story_weight *parts[PARTS];
	uint32_t counts[PARTS] = { 0 };
	uint64_t *frequencies = xmalloc((features->count + 1) * sizeof *frequencies);
	uint32_t *slots = xmalloc((features->count + 1) * sizeof *slots);

	story_background_frequencies(background, features, frequencies, slots);
	free(slots);
	memset(vector, 0, sizeof *vector);
	for (int p = 0; p < PARTS; p++)
		parts[p] = xmalloc((features->count + 1) * sizeof *parts[p]);
	for (uint32_t i = 0; i < features->count; i++) {
		const struct story_item *item = &features->items[i];
		int p = part_of(item->key);
		enum story_kind kind = key_kind(item->key);

		parts[p][counts[p]++] = (struct story_weight){ item->key,
		    (float)reference_weight(item, story_background_idf_of(background,
		    frequencies[i])), i };
		if (item->salient && (kind == KIND_PERSON || kind == KIND_OTHER))
			vector->salient_people++;
		if (item->salient && kind == KIND_PLACE)
			vector->salient_places++;
	}
	for (int p = 0; p < PARTS; p++) {
		vector->part_items[p] = reference_keep_top(parts[p], counts[p], limits[p],
		    vector->items + vector->count);
		vector->count += vector->part_items[p];
		free(parts[p]);
	}
	free(frequencies);
	qsort(vector->items, vector->count, sizeof *vector->items, by_key);
}

/*
 * The reference score (score.c's story_score before its merge went without branches, at
 * 827c3d7): the vector and the centroid merged as two lists sorted by key, a branch per kind
 * and per shared key.
 */
#define REF_SALIENT_SHARE	0.2
#define REF_CONFLICT_FACTOR	0.5
#define REF_SOFT_CONFLICT	0.8
#define REF_AGREEMENT		0.35
#define REF_NUMBER_CONFLICT	0.85
#define REF_NUMBER_BONUS	0.1

static enum story_kind
reference_name_kind(uint64_t key)
{
	return key_kind(key) == KIND_OTHER ? KIND_PERSON : key_kind(key);
}

static double
reference_cosine(const double *dot, const double *norm, const int *items, const int *citems,
    int part)
{
	if (items[part] == 0 || citems[part] == 0)
		return -1;
	return dot[part] / sqrt(norm[part]);
}

static void
reference_score(const struct story_vector *vector, int64_t time, const struct story *story,
    struct story_score *score)
{
	double dot[PARTS] = { 0 }, norm[PARTS] = { 0 }, value;
	int items[PARTS], citems[PARTS] = { 0 }, shared[PARTS] = { 0 };
	int shared_kind[KIND_OTHER + 1] = { 0 }, salient_kind[KIND_OTHER + 1] = { 0 };
	uint32_t i = 0, k = 0;
	int64_t distance;

	for (int p = 0; p < PARTS; p++)
		items[p] = (int)vector->part_items[p];
	for (k = 0; k < story->centroid_count; k++) {
		const struct centroid_entry *c = &story->centroid[k];
		int p = part_of(c->key);

		norm[p] += (double)c->weight * c->weight;
		citems[p]++;
		if (c->weight >= REF_SALIENT_SHARE * story->size)
			salient_kind[reference_name_kind(c->key)]++;
	}
	for (k = 0; i < vector->count && k < story->centroid_count;) {
		uint64_t a = vector->items[i].key, c = story->centroid[k].key;

		if (a < c) {
			i++;
			continue;
		}
		if (c < a) {
			k++;
			continue;
		}
		dot[part_of(a)] += (double)vector->items[i].weight * story->centroid[k].weight;
		shared[part_of(a)]++;
		shared_kind[reference_name_kind(a)]++;
		i++;
		k++;
	}
	score->terms = reference_cosine(dot, norm, items, citems, PART_TERMS);
	if (score->terms < 0)
		score->terms = 0;
	score->entities = reference_cosine(dot, norm, items, citems, PART_ENTITIES);
	score->numbers = items[PART_NUMBERS] == 0 || citems[PART_NUMBERS] == 0 ? -1 :
	    (double)shared[PART_NUMBERS] / (items[PART_NUMBERS] < citems[PART_NUMBERS] ?
	    items[PART_NUMBERS] : citems[PART_NUMBERS]);
	value = score->entities >= 0 ? (score->terms + score->entities) / 2 : score->terms;
	if (score->numbers > 0)
		value += REF_NUMBER_BONUS * score->numbers;
	score->conflicts = 0;
	if (vector->salient_people > 0 && salient_kind[KIND_PERSON] > 0 &&
	    shared_kind[KIND_PERSON] == 0)
		score->conflicts |= CONFLICT_PEOPLE;
	if (vector->salient_places > 0 && salient_kind[KIND_PLACE] > 0 &&
	    shared_kind[KIND_PLACE] == 0)
		score->conflicts |= CONFLICT_PLACES;
	if (items[PART_NUMBERS] >= 2 && citems[PART_NUMBERS] >= 2 && shared[PART_NUMBERS] == 0)
		score->conflicts |= CONFLICT_NUMBERS;
	if (score->conflicts & CONFLICT_PEOPLE)
		value *= score->entities >= REF_AGREEMENT ? REF_SOFT_CONFLICT : REF_CONFLICT_FACTOR;
	if (score->conflicts & CONFLICT_PLACES)
		value *= score->entities >= REF_AGREEMENT ? REF_SOFT_CONFLICT : REF_CONFLICT_FACTOR;
	if (score->conflicts & CONFLICT_NUMBERS)
		value *= REF_NUMBER_CONFLICT;
	distance = time > story->last_seen ? time - story->last_seen :
	    time < story->first_seen ? story->first_seen - time : 0;
	score->time_factor = distance <= 24 * 3600 ? 1.0 :
	    exp(-(double)(distance - 24 * 3600) / (48.0 * 3600));
	score->score = value * score->time_factor;
}

static uint16_t
random_count(void)
{
	unsigned draw = next_random(100);

	if (draw < 60)
		return (uint16_t)(1 + next_random(3));
	if (draw < 95)
		return (uint16_t)next_random(40);	/* 0 counts as 1 */
	return (uint16_t)(200 + next_random(400));	/* past the table of 1 + log() */
}

static uint64_t
random_frequency(uint64_t documents)
{
	unsigned draw = next_random(100);

	if (draw < 40)
		return next_random(4);
	if (draw < 75)
		return next_random(120);
	if (draw < 97)
		return next_random(4000);
	return LOG_COUNTS - 4 + next_random(documents > 40000 ? 30000 : 8);	/* past the table */
}

/* Generated features, with the background counting each key its frequency; small_keys:
 * keys below 2^32 (item number and kind), so that items of equal weight have equal top
 * halves of their keys too (the build's rank compares its second word only then). */
static void
generate(struct story_features *features, struct story_background *background, int small_keys)
{
	uint32_t count = next_random(8) == 0 ? next_random(6) : 20 + next_random(360);
	uint64_t documents = next_random(3) == 0 ? next_random(500) : 50000 + next_random(2000000);

	features->count = 0;
	for (uint32_t i = 0; i < count; i++) {
		unsigned draw = next_random(100);
		enum story_kind kind = draw < 70 ? KIND_TERM : draw < 85 ? KIND_NUMBER :
		    (enum story_kind)(KIND_PERSON + next_random(4));
		struct story_item *item = &features->items[features->count];
		uint64_t frequency = random_frequency(documents);

		item->key = small_keys ? (uint64_t)(i + 1) << KIND_BITS | kind :
		    random_key(kind, 0);
		item->count = random_count();
		item->salient = next_random(5) == 0;
		item->name = 0;
		if (frequency > 0)
			story_background_add(background, &item->key, 0, frequency);
		features->count++;
	}
	background->documents = (double)documents + (next_random(4) == 0 ? 0.5 : 0) + 40000;
}

static int
same_vector(const struct story_vector *a, const struct story_vector *b)
{
	if (a->count != b->count || a->salient_people != b->salient_people ||
	    a->salient_places != b->salient_places ||
	    memcmp(a->part_items, b->part_items, sizeof a->part_items) != 0)
		return 0;
	for (uint32_t i = 0; i < a->count; i++)
		if (a->items[i].key != b->items[i].key || a->items[i].name != b->items[i].name ||
		    memcmp(&a->items[i].weight, &b->items[i].weight, sizeof(float)) != 0)
			return 0;
	return 1;
}

static void
test_build_against_reference(void)
{
	struct story_features features = { 0 };
	struct story_vector built, reference;
	size_t rounds = 300, mismatches = 0, kept_fewer = 0;

	features.capacity = 400;
	features.items = xcalloc(features.capacity, sizeof *features.items);
	for (size_t round = 0; round < rounds; round++) {
		struct story_background background;

		story_background_init(&background, 1u << 17);
		generate(&features, &background, round % 3 == 2);
		reference_build(&reference, &features, &background);
		story_vector_build(&built, &features, &background);
		if (!same_vector(&built, &reference)) {
			if (mismatches++ < 5)
				fprintf(stderr, "round %zu: %u items, vectors differ\n", round,
				    features.count);
		}
		kept_fewer += built.count < features.count;
		/* the key slots find every item */
		for (uint32_t i = 0; i < built.count; i++) {
			int found = 0;

			for (size_t slot = 0; slot < VECTOR_SLOTS; slot++)
				found |= built.slot_item[slot] == i + 1 &&
				    built.slot_key[slot] == built.items[i].key;
			CHECK(found);
		}
		story_background_free(&background);
	}
	CHECK(mismatches == 0);
	CHECK(kept_fewer > rounds / 2);	/* most rounds had items left out */
	free(features.items);
}

static int
by_centroid_key(const void *a, const void *b)
{
	uint64_t x = ((const struct centroid_entry *)a)->key;
	uint64_t y = ((const struct centroid_entry *)b)->key;

	return x < y ? -1 : x > y;
}

/* A story whose centroid shares some of the vector's keys (of every kind), with weights
 * that are and are not salient for its size. */
static void
generate_story(struct story *story, const struct story_vector *vector)
{
	uint32_t count = next_random(6) == 0 ? next_random(4) : 8 + next_random(CENTROID_MAX - 7);

	memset(story, 0, sizeof *story);
	story->size = 1 + next_random(6);
	story->first_seen = 1000000 + next_random(100000);
	story->last_seen = story->first_seen + next_random(300000);
	for (uint32_t k = 0; k < count; k++) {
		struct centroid_entry *entry = &story->centroid[story->centroid_count];
		int duplicate = 0;

		if (vector->count > 0 && next_random(2) == 0)
			entry->key = vector->items[next_random(vector->count)].key;
		else
			entry->key = random_key((enum story_kind)next_random(KIND_OTHER + 1), 0);
		entry->weight = (float)(next_random(1000) + 1) / 1000.0f * 0.5f *
		    (float)story->size;
		for (uint32_t j = 0; j < story->centroid_count; j++)
			duplicate |= story->centroid[j].key == entry->key;
		story->centroid_count += !duplicate;
	}
	qsort(story->centroid, story->centroid_count, sizeof *story->centroid, by_centroid_key);
	story_score_prepare(story);
}

/* story_score (its merge without branches) against the reference: every field, bit for bit. */
static void
test_score_against_reference(void)
{
	struct story_features features = { 0 };
	struct story_vector vector;
	size_t mismatches = 0, shared = 0, conflicts = 0;

	features.capacity = 400;
	features.items = xcalloc(features.capacity, sizeof *features.items);
	for (size_t round = 0; round < 200; round++) {
		struct story_background background;

		story_background_init(&background, 1u << 17);
		generate(&features, &background, 0);
		story_vector_build(&vector, &features, &background);
		for (int s = 0; s < 20; s++) {
			struct story story;
			struct story_score built, reference;
			int64_t time = 1000000 + next_random(500000);

			generate_story(&story, &vector);
			story_score(&vector, time, &story, &built);
			reference_score(&vector, time, &story, &reference);
			if (memcmp(&built.score, &reference.score, sizeof(double)) != 0 ||
			    memcmp(&built.terms, &reference.terms, sizeof(double)) != 0 ||
			    memcmp(&built.entities, &reference.entities, sizeof(double)) != 0 ||
			    memcmp(&built.numbers, &reference.numbers, sizeof(double)) != 0 ||
			    memcmp(&built.time_factor, &reference.time_factor, sizeof(double)) != 0 ||
			    built.conflicts != reference.conflicts) {
				if (mismatches++ < 5)
					fprintf(stderr, "round %zu: scores differ (%.17g %.17g)\n",
					    round, built.score, reference.score);
			}
			shared += reference.terms > 0;
			conflicts += reference.conflicts != 0;
		}
		story_background_free(&background);
	}
	CHECK(mismatches == 0);
	CHECK(shared > 1000);	/* most pairs shared words */
	CHECK(conflicts > 50);	/* and the conflict rules were met */
	free(features.items);
}

/* The lookup's features as lookup.c chose them before one pass did (at 827c3d7): a pass per
 * part over all the items. */
static uint32_t
reference_scan_features(const struct story_vector *vector, uint32_t *out)
{
	static const uint32_t quotas[3] = { SCAN_TERMS, SCAN_ENTITIES, SCAN_NUMBERS };
	uint32_t count = 0;

	for (int part = 0; part < 3; part++) {
		uint32_t first = count, kept = 0;

		for (uint32_t i = 0; i < vector->count; i++) {
			enum story_kind kind = key_kind(vector->items[i].key);
			int item_part = kind == KIND_TERM ? 0 : kind == KIND_NUMBER ? 2 : 1;
			uint32_t at;

			if (item_part != part || (kept == quotas[part] &&
			    vector->items[i].weight <= vector->items[out[first + kept - 1]].weight))
				continue;
			at = kept < quotas[part] ? kept++ : quotas[part] - 1;
			while (at > 0 && vector->items[out[first + at - 1]].weight <
			    vector->items[i].weight) {
				out[first + at] = out[first + at - 1];
				at--;
			}
			out[first + at] = i;
		}
		count += kept;
	}
	return count;
}

/* story_scan_features against the reference on generated vectors: parts at random, few and
 * many items of a part, tied weights. */
static void
test_scan_features_against_reference(void)
{
	size_t mismatches = 0, full = 0;

	for (size_t round = 0; round < 3000; round++) {
		struct story_vector vector;
		uint32_t built[SCAN_FEATURES], reference[SCAN_FEATURES], count, reference_count;
		unsigned spread = 1 + next_random(round % 2 ? 4 : 1000);

		memset(&vector, 0, sizeof vector);
		random_vector(&vector, next_random(VECTOR_MAX + 1), 0, spread);
		count = story_scan_features(&vector, built);
		reference_count = reference_scan_features(&vector, reference);
		if (count != reference_count ||
		    memcmp(built, reference, count * sizeof *built) != 0)
			mismatches++;
		full += count == SCAN_FEATURES;
	}
	CHECK(mismatches == 0);
	CHECK(full > 100);	/* every part filled its quota, with items left out */
}

/*
 * A kept item's weight taken from its bound (score.c, weight_of) against log()'s: over
 * document totals and frequencies from the first articles to past a million (with the
 * halved totals' .5), and the factors items have (1 + log(mentions), twice that, 1.5, 1),
 * wherever story_approx_rounds_alike() says the bound's float is certain it is the float of
 * factor * (log((documents + 201) / (frequency + 1)) + 1), as story_background_idf_of and
 * exact_weight compute it. Few are left to log(); a value at the midpoint of two floats, or
 * a hair from it, is.
 */
static void
test_weight_from_bound(void)
{
	struct story_background background;
	size_t checked = 0, wrong = 0, uncertain = 0;

	story_background_init(&background, 1024);
	for (size_t round = 0; round < 1000000; round++) {
		uint64_t frequency = next_random(5) == 0 ? next_random(64) :
		    next_random(LOG_COUNTS - 1);
		double factor, bound;
		int mentions = 1 + (int)next_random(round % 3 == 0 ? 300 : 8);

		background.documents = (double)(frequency + next_random(round % 2 ? 2000000 : 3000)) +
		    (next_random(2) ? 0.5 : 0);
		factor = next_random(4) == 0 ? (next_random(2) ? 1.5 : 1.0) :
		    (1.0 + log(mentions)) * (next_random(3) == 0 ? 2 : 1);
		bound = story_background_log_total(&background) -
		    story_background_log_count(&background, frequency) + 1.0;
		if (bound < 0.5)
			continue;	/* score.c weighs these exactly */
		bound *= factor;
		checked++;
		if (!story_approx_rounds_alike(bound)) {
			uncertain++;
			continue;
		}
		wrong += (float)bound != (float)(factor * story_background_idf_of(&background,
		    frequency));
	}
	CHECK(wrong == 0);
	CHECK(checked > 900000);
	CHECK(uncertain < checked / 100);	/* the log() it saves: nearly every one */
	/* the table of log(frequency + 1), computed whole at the init: log()'s, bit for bit */
	wrong = 0;
	for (uint64_t frequency = 0; frequency < LOG_COUNTS - 1; frequency++) {
		double want = log((double)(frequency + 1));
		double got = story_background_logs(&background)[frequency + 1];

		wrong += memcmp(&want, &got, sizeof want) != 0;
	}
	CHECK(wrong == 0);
	CHECK(story_background_log_count(&background, LOG_COUNTS - 1) == -1);
	for (size_t i = 0; i < 100000; i++) {
		float low = (float)(0.01 + next_random(1000000) / 1000.0);
		float high = nextafterf(low, HUGE_VALF);
		double middle = ((double)low + high) / 2;

		CHECK(story_approx_rounds_alike(low) && story_approx_rounds_alike(high));
		CHECK(!story_approx_rounds_alike(middle));
		CHECK(!story_approx_rounds_alike(middle * (1 + 1e-12)));
		CHECK(!story_approx_rounds_alike(middle * (1 - 1e-12)));
	}
	story_background_free(&background);
}

/*
 * Each key's document frequency (background.c, story_background_frequencies) against the
 * count each was added with, in a small table where keys share home slots (probing past
 * others), with keys never added (0) among them.
 */
static void
test_frequencies_against_counts(void)
{
	struct story_features features = { 0 };
	uint64_t expected[600], frequencies[600];
	uint32_t slots[600];
	size_t mismatches = 0;

	features.capacity = 600;
	features.items = xcalloc(features.capacity, sizeof *features.items);
	for (int round = 0; round < 50; round++) {
		struct story_background background;

		story_background_init(&background, 1024);
		features.count = 0;
		for (uint32_t i = 0; i < 600; i++) {
			/* keys within 128 home slots: long probe runs */
			uint64_t key = ((uint64_t)next_random(128) | (uint64_t)(i + 1) << 20) <<
			    KIND_BITS | (uint64_t)next_random(KIND_OTHER + 1);

			expected[i] = next_random(4) == 0 ? 0 : 1 + next_random(5);
			features.items[features.count++] = (struct story_item){ key, 1, 0, 0 };
			if (expected[i] > 0)
				story_background_add(&background, &key, 0, expected[i]);
		}
		story_background_frequencies(&background, &features, frequencies, slots);
		for (uint32_t i = 0; i < features.count; i++)
			mismatches += frequencies[i] != expected[i];
		story_background_free(&background);
	}
	free(features.items);
	CHECK(mismatches == 0);
}

/* b, a copy of a (its entries, use and document count). */
static void
background_copy(struct story_background *b, const struct story_background *a)
{
	story_background_init(b, a->capacity);
	memcpy(b->entries, a->entries, a->capacity * sizeof *a->entries);
	b->used = a->used;
	b->documents = a->documents;
}

static int
same_background(const struct story_background *a, const struct story_background *b)
{
	return a->capacity == b->capacity && a->used == b->used &&
	    a->documents == b->documents &&
	    memcmp(a->entries, b->entries, a->capacity * sizeof *a->entries) == 0;
}

/*
 * Counting an article from the slots its look-ups found (background.c,
 * story_background_count) against the plain add (story_background_add, a probe from each
 * key's home): the same table, entry for entry, in a small table where keys share home slots
 * (a key new to the table takes an empty slot another new key's probe ended at too, so that
 * one probes on), with a key twice among them, and filled to where the add halves the table
 * first. And story_vector_build_count against story_vector_build then the plain add: the same
 * vector and the same table.
 */
static void
test_count_against_add(void)
{
	struct story_features features = { 0 };
	uint64_t frequencies[300];
	uint32_t slots[300];
	size_t mismatches = 0, halved = 0, vector_mismatches = 0;

	features.capacity = 400;
	features.items = xcalloc(features.capacity, sizeof *features.items);
	for (int round = 0; round < 200; round++) {
		struct story_background counted, added;
		uint32_t before = next_random(round % 4 == 3 ? 700 : 400);

		story_background_init(&counted, 1024);
		for (uint32_t i = 0; i < before; i++) {	/* keys within 128 home slots */
			uint64_t key = ((uint64_t)next_random(128) | (uint64_t)(i + 1) << 20) <<
			    KIND_BITS | (uint64_t)next_random(KIND_OTHER + 1);

			story_background_add(&counted, &key, 0, 1 + next_random(3));
		}
		features.count = 1 + next_random(300);
		for (uint32_t i = 0; i < features.count; i++) {
			uint64_t key = i > 0 && next_random(50) == 0 ? features.items[i - 1].key :
			    ((uint64_t)next_random(128) | (uint64_t)next_random(2000) << 20) <<
			    KIND_BITS | (uint64_t)next_random(KIND_OTHER + 1);

			features.items[i] = (struct story_item){ key, 1, 0, 0 };
		}
		background_copy(&added, &counted);
		halved += (added.used + features.count) * 10 > added.capacity * 7;
		story_background_frequencies(&counted, &features, frequencies, slots);
		story_background_count(&counted, &features, frequencies, slots);
		story_background_add(&added, &features.items[0].key, sizeof features.items[0],
		    features.count);
		mismatches += !same_background(&counted, &added);
		story_background_free(&counted);
		story_background_free(&added);
	}
	for (int round = 0; round < 100; round++) {
		struct story_background counted, added;
		struct story_vector with_count, without;

		story_background_init(&counted, 1u << 17);
		generate(&features, &counted, round % 3 == 2);
		background_copy(&added, &counted);
		story_vector_build_count(&with_count, &features, &counted);
		story_vector_build(&without, &features, &added);
		if (features.count > 0)
			story_background_add(&added, &features.items[0].key,
			    sizeof features.items[0], features.count);
		vector_mismatches += !same_vector(&with_count, &without) ||
		    !same_background(&counted, &added);
		story_background_free(&counted);
		story_background_free(&added);
	}
	free(features.items);
	CHECK(mismatches == 0);
	CHECK(vector_mismatches == 0);
	CHECK(halved > 0);
}

/*
 * A new story's centroid from a built vector with the floors its build found (the fresh
 * story's prune, centroid.c) against the same add without them (the prune's own search),
 * then a second vector's join (whose floors are not the merged centroid's): the same
 * centroid, bit for bit, on generated features (ties of weight included). And the items the
 * build picked for a lookup's scan (vector->scan) against story_scan_features'.
 */
static void
test_fresh_centroid_floors(void)
{
	struct story_features features = { 0 };
	size_t rounds = 300, mismatches = 0, pruned = 0, scan_mismatches = 0;
	uint32_t scan[SCAN_FEATURES], scan_count;

	features.capacity = 400;
	features.items = xcalloc(features.capacity, sizeof *features.items);
	for (size_t round = 0; round < rounds; round++) {
		struct story_background background;
		struct story_vector vector;
		struct story with_floors = { 0 }, without = { 0 };

		story_background_init(&background, 1u << 17);
		generate(&features, &background, round % 3 == 2);
		story_vector_build(&vector, &features, &background);
		story_centroid_add(&with_floors, &vector, vector.centroid_floor);
		story_centroid_add(&without, &vector, NULL);
		pruned += without.centroid_count < vector.count;
		/* the build's scan items are story_scan_features' choice */
		scan_count = story_scan_features(&vector, scan);
		for (uint32_t i = 0; i < scan_count; i++)
			scan_mismatches += i >= vector.scan_count || vector.scan[i] != scan[i];
		scan_mismatches += scan_count != vector.scan_count;
		/* a second article joins: its floors are not the merged centroid's */
		generate(&features, &background, 0);
		story_vector_build(&vector, &features, &background);
		story_centroid_add(&with_floors, &vector, vector.centroid_floor);
		story_centroid_add(&without, &vector, NULL);
		if (with_floors.centroid_count != without.centroid_count ||
		    memcmp(with_floors.centroid, without.centroid,
		    without.centroid_count * sizeof *without.centroid) != 0)
			mismatches++;
		story_background_free(&background);
	}
	CHECK(mismatches == 0);
	CHECK(scan_mismatches == 0);
	CHECK(pruned > rounds / 2);
	free(features.items);
}

int
main(void)
{
	RUN(test_frequencies_against_counts);
	RUN(test_count_against_add);
	RUN(test_build_against_reference);
	RUN(test_weight_from_bound);
	RUN(test_score_against_reference);
	RUN(test_scan_features_against_reference);
	RUN(test_fresh_centroid_floors);
	return check_finish();
}
