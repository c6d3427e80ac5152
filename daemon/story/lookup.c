/*
 * lookup.c - the open stories an arriving article is compared with: the postings of its
 * heaviest features (a few of each part: words, entities, numbers), the newest refs of each
 * only, give candidates with a quick score (the sum of the shared features' weights); the
 * best CANDIDATE_MAX of them are scored in full (score.c). A lookup touches candidate stories
 * only, never all of them.
 */
#include <stdlib.h>
#include <string.h>

#include "index_internal.h"
#include "util.h"

static inline int
ref_alive(const struct story_index *index, uint64_t ref)
{
	uint32_t slot = (uint32_t)(ref >> 32);

	return slot < index->slot_count && index->states[slot].live == ((uint32_t)ref << 1 | 1);
}

int
story_ref_alive(uint64_t ref, void *context)
{
	return ref_alive(context, ref);
}

static inline void
candidate_found(struct story_index *index, uint64_t ref, float weight)
{
	struct slot_state *story = &index->states[ref >> 32];

	if (story->visit != index->stamp) {
		story->visit = index->stamp;
		story->prescore = 0;
		if (index->candidate_count == index->candidate_capacity) {
			index->candidate_capacity = index->candidate_capacity ?
			    index->candidate_capacity * 2 : 256;
			index->candidates = xrealloc(index->candidates,
			    index->candidate_capacity * sizeof *index->candidates);
		}
		index->candidates[index->candidate_count++].slot = (uint32_t)(ref >> 32);
	}
	story->prescore += weight;
}

/* Count the newest SCAN_LIMIT live refs under key as candidates (a loop of its own, with
 * the liveness test and the count inline); the stale ones met are dropped. */
static void
read_postings(struct story_index *index, uint64_t key, float weight)
{
	struct posting_list *list = story_postings_list(&index->postings, key);
	size_t seen = 0;
	int stale = 0;

	if (list == NULL)
		return;
	for (uint32_t i = list->count; i > 0 && seen < SCAN_LIMIT; i--) {
		uint64_t ref = list->refs[i - 1];

		if (!ref_alive(index, ref)) {
			stale = 1;
			continue;
		}
		candidate_found(index, ref, weight);
		seen++;
	}
	if (stale)
		story_postings_compact(&index->postings, list, story_ref_alive, index);
}

/* The features a lookup reads postings of: the heaviest of each part (words, entities,
 * numbers), so that a part with many light items (numbers) does not crowd out the others. */
static uint32_t
scan_features(const struct story_vector *vector, uint32_t *out)
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

/* Keep the CANDIDATE_MAX candidates of highest prescore at the front, best first. */
static size_t
select_candidates(struct story_index *index)
{
	size_t kept = 0;

	for (size_t i = 0; i < index->candidate_count; i++) {
		struct candidate candidate = index->candidates[i];
		size_t at = kept < CANDIDATE_MAX ? kept++ : CANDIDATE_MAX;

		candidate.prescore = index->states[candidate.slot].prescore;
		if (at == CANDIDATE_MAX &&
		    candidate.prescore <= index->candidates[at - 1].prescore)
			continue;
		if (at == CANDIDATE_MAX)
			at--;
		while (at > 0 && index->candidates[at - 1].prescore < candidate.prescore) {
			index->candidates[at] = index->candidates[at - 1];
			at--;
		}
		index->candidates[at] = candidate;
	}
	return kept;
}

long
story_best(struct story_index *index, const struct story_vector *vector, int64_t time,
    struct story_score *best)
{
	uint32_t features[SCAN_FEATURES], feature_count = scan_features(vector, features);
	size_t candidates;
	long found = -1;

	if (++index->stamp == 0) {
		for (size_t i = 0; i < index->slot_count; i++)
			index->states[i].visit = 0;
		index->stamp = 1;
	}
	index->candidate_count = 0;
	for (uint32_t i = 0; i < feature_count; i++)
		story_postings_prefetch(&index->postings, vector->items[features[i]].key);
	for (uint32_t i = 0; i < feature_count; i++)
		read_postings(index, vector->items[features[i]].key,
		    vector->items[features[i]].weight);
	candidates = select_candidates(index);
	for (size_t i = 0; i < candidates; i++)
		for (size_t line = 0; line < sizeof index->slots[0].centroid; line += 64)
			__builtin_prefetch((const char *)index->slots[index->candidates[i].slot].centroid +
			    line);
	for (size_t i = 0; i < candidates; i++) {
		struct story_score score;

		story_score(vector, time, &index->slots[index->candidates[i].slot], &score);
		if (found < 0 || score.score > best->score) {
			*best = score;
			found = index->candidates[i].slot;
		}
	}
	return found;
}
