/*
 * background.c - the running background the story stage weighs words against: in how many
 * of the articles seen so far each feature key occurs (document frequency), for TF-IDF.
 *
 * IDF is log((documents + 201) / (frequency + 1)) + 1: 200 imagined documents without the
 * word keep the first articles' weights from swinging on a count of one or two. For bounds on
 * it (score.c), log(documents + 201) and log(frequency + 1), the latter from a table computed
 * whole when the background is made (it does not change as documents are counted).
 * One open-addressing table of fixed capacity, updated on the loop thread in arrival order
 * (so the weights, and the stories, do not depend on which worker prepared what). When it is
 * 70% full every count and the document total are halved and the keys left at zero dropped:
 * memory stays bounded and old news ages out of the background. Its look-ups are random
 * lines of a large table: an article's are all started before the first is read, and each
 * frequency found starts the load of its line of log(frequency + 1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "story_internal.h"
#include "util.h"

/* Documents the background counts as seen, holding no word: while few articles have been
 * seen, a word one earlier article used is not taken for a common one. */
#define PRIOR_DOCUMENTS	200

void
story_background_init(struct story_background *background, size_t capacity)
{
	memset(background, 0, sizeof *background);
	background->capacity = capacity;
	background->entries = xcalloc(capacity, sizeof *background->entries);
	story_background_logs(background);
}

void
story_background_free(struct story_background *background)
{
	free(background->entries);
	free(background->log_counts);
	memset(background, 0, sizeof *background);
}

static size_t
find_slot(const struct story_background *background, uint64_t key)
{
	size_t mask = background->capacity - 1, slot = (key >> KIND_BITS) & mask;

	while (background->entries[slot].count != 0 && background->entries[slot].key != key)
		slot = (slot + 1) & mask;
	return slot;
}

void
story_background_prefetch(const struct story_background *background,
    const struct story_features *features)
{
	size_t mask = background->capacity - 1;

	for (uint32_t i = 0; i < features->count; i++)
		__builtin_prefetch(&background->entries[(features->items[i].key >> KIND_BITS) &
		    mask]);
}

/* Its table's fields are read into locals first: stores to frequencies (uint64_t, as
 * size_t is) would otherwise make the compiler read them again for every key. */
void
story_background_frequencies(const struct story_background *background,
    const struct story_features *features, uint64_t *frequencies, uint32_t *slots)
{
	const struct background_entry *entries = background->entries;
	const double *log_counts = background->log_counts;
	size_t mask = background->capacity - 1;
	uint32_t count = features->count;

	story_background_prefetch(background, features);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t key = features->items[i].key, frequency;
		size_t slot = (key >> KIND_BITS) & mask;

		while (entries[slot].count != 0 && entries[slot].key != key)
			slot = (slot + 1) & mask;
		frequencies[i] = frequency = entries[slot].count;
		slots[i] = (uint32_t)slot;
		/* the line of its log(frequency + 1), read next (score.c, approximate) */
		__builtin_prefetch(&log_counts[frequency < LOG_COUNTS - 1 ? frequency + 1 : 0]);
	}
}

double
story_background_log_total(const struct story_background *background)
{
	return log(background->documents + PRIOR_DOCUMENTS + 1.0);
}

/*
 * The table of log(n), n below LOG_COUNTS, computed whole (16,383 log()s, ~1M instructions,
 * once a background, at its init): filled as frequencies were asked for, each look-up of a
 * vector's build tested whether its entry was there yet, and each prefetch of it whether
 * there was a table (~9 instructions an item, 2.6% of story_assign's).
 */
const double *
story_background_logs(struct story_background *background)
{
	if (background->log_counts == NULL) {
		double *logs = xmalloc(LOG_COUNTS * sizeof *logs);

		logs[0] = 0;	/* no frequency's: log(frequency + 1) is at frequency + 1 */
		for (size_t n = 1; n < LOG_COUNTS; n++)
			logs[n] = log((double)n);
		background->log_counts = logs;
	}
	return background->log_counts;
}

double
story_background_idf_of(const struct story_background *background, uint64_t frequency)
{
	double count = (double)frequency;

	return log((background->documents + PRIOR_DOCUMENTS + 1.0) / (count + 1.0)) + 1.0;
}

/* Halve every count, dropping those that reach zero, and put the rest back in place. */
static void
halve(struct story_background *background)
{
	size_t capacity = background->capacity;
	struct background_entry *entries = background->entries;

	background->entries = xcalloc(capacity, sizeof *entries);
	background->used = 0;
	for (size_t i = 0; i < capacity; i++) {
		if (entries[i].count / 2 == 0)
			continue;
		size_t slot = find_slot(background, entries[i].key);

		background->entries[slot].key = entries[i].key;
		background->entries[slot].count = entries[i].count / 2;
		background->used++;
	}
	background->documents /= 2;
	free(entries);
}

/*
 * story_background_add of the features' keys, from what story_background_frequencies found
 * of them: a key found (a frequency above 0) is counted at its slot, with no probe (nothing
 * moves a key but a halving, and then this falls back to story_background_add); a key not
 * found is probed for from the empty slot its look-up ended at, as keys new to the table
 * (or the same key twice) may have taken it since: the slots before it on its probe still
 * hold other keys, so a probe from there ends where one from the key's home would.
 */
void
story_background_count(struct story_background *background,
    const struct story_features *features, const uint64_t *frequencies,
    const uint32_t *slots)
{
	struct background_entry *entries = background->entries;
	size_t mask = background->capacity - 1, used = background->used;
	uint32_t count = features->count;

	if ((used + count) * 10 > background->capacity * 7) {
		story_background_add(background, &features->items[0].key,
		    sizeof features->items[0], count);
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t key;
		size_t slot;

		if (frequencies[i] != 0) {
			entries[slots[i]].count++;
			continue;
		}
		key = features->items[i].key;
		for (slot = slots[i]; entries[slot].count != 0 && entries[slot].key != key;)
			slot = (slot + 1) & mask;
		if (entries[slot].count == 0) {
			entries[slot].key = key;
			used++;
		}
		entries[slot].count++;
	}
	background->used = used;
	background->documents++;
}

void
story_background_add(struct story_background *background, const uint64_t *keys,
    size_t stride, size_t count)
{
	while ((background->used + count) * 10 > background->capacity * 7)
		halve(background);
	for (size_t i = 0; i < count; i++) {
		uint64_t key = *(const uint64_t *)((const char *)keys + i * stride);
		size_t slot = find_slot(background, key);

		if (background->entries[slot].count == 0) {
			background->entries[slot].key = key;
			background->used++;
		}
		background->entries[slot].count++;
	}
	background->documents++;
}
