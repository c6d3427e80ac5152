/*
 * lookup.c - the open stories an arriving article is compared with: the postings of its
 * heaviest features (a few of each part: words, entities, numbers), the newest refs of each
 * only, give candidates with a quick score (the sum of the shared features' weights); the
 * best CANDIDATE_MAX of them are scored in full (score.c). A lookup touches candidate stories
 * only, never all of them. Its loads are random (table slots, lists, the slot states their
 * refs name, the candidates' centroids), so each stage is started for all features before
 * the one that needs it is read (gather, prefetch_candidates).
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

/* Room for count more candidates (a list adds SCAN_LIMIT at most): read_postings' loop then
 * calls nothing, so the compiler keeps what it reads of the index in registers. */
static void
candidates_reserve(struct story_index *index, size_t count)
{
	if (index->candidate_count + count <= index->candidate_capacity)
		return;
	while (index->candidate_count + count > index->candidate_capacity)
		index->candidate_capacity = index->candidate_capacity ?
		    index->candidate_capacity * 2 : 256;
	index->candidates = xrealloc(index->candidates,
	    index->candidate_capacity * sizeof *index->candidates);
}

/* Count the newest SCAN_LIMIT live refs of list as candidates (a loop of its own, with
 * the liveness test and the count inline, on local copies of the index's fields: ~6.4
 * instructions a ref fewer, story_best 33.7K -> 31.4K an article at article size); the
 * stale ones met are dropped. A posted ref names a slot below slot_count (story_new posts
 * refs to slots it has handed out, and slot_count never comes down), so the liveness test
 * reads the slot's state with no bounds test (story_ref_alive, for refs from anywhere,
 * keeps one). test_story_lookup compares story_best with a plain reference. */
static void
read_postings(struct story_index *index, struct posting_list *list, float weight)
{
	struct slot_state *states = index->states;
	struct candidate *candidates;
	size_t seen = 0, found;
	uint32_t stamp = index->stamp;
	int stale = 0;

	candidates_reserve(index, SCAN_LIMIT);
	candidates = index->candidates;
	found = index->candidate_count;
	for (uint32_t i = list->count; i > 0 && seen < SCAN_LIMIT; i--) {
		uint64_t ref = list->refs[i - 1];
		uint32_t slot = (uint32_t)(ref >> 32);
		struct slot_state *story;

		if (states[slot].live != ((uint32_t)ref << 1 | 1)) {	/* slot < slot_count */
			stale = 1;
			continue;
		}
		story = &states[slot];
		if (story->visit != stamp) {
			story->visit = stamp;
			story->prescore = 0;
			candidates[found++].slot = slot;
		}
		story->prescore += weight;
		seen++;
	}
	index->candidate_count = found;
	if (stale)
		story_postings_compact(&index->postings, list, story_ref_alive, index);
}

/* The part of a key's kind (its low KIND_BITS): words 0, entities 1, numbers 2. */
static const uint8_t scan_part[KIND_MASK + 1] = {
	[KIND_TERM] = 0, [KIND_NUMBER] = 2, [KIND_PERSON] = 1, [KIND_PLACE] = 1,
	[KIND_ORGANIZATION] = 1, [KIND_OTHER] = 1, [6] = 1, [7] = 1,
};

/*
 * The features a lookup reads postings of: the heaviest of each part (words, entities,
 * numbers), so that a part with many light items (numbers) does not crowd out the others;
 * part by part, each heaviest first (ties: the earlier item first). One pass over the items
 * (in key order, so of parts at random) puts each in its part's list: not one pass per part
 * with a branch on each item's part (test_story_vector compares it with that): 2,780 -> 1,500
 * cycles an article.
 */
uint32_t
story_scan_features(const struct story_vector *vector, uint32_t *out)
{
	static const uint32_t quotas[3] = { SCAN_TERMS, SCAN_ENTITIES, SCAN_NUMBERS };
	uint32_t lists[3][SCAN_TERMS], kept[3] = { 0 }, count = 0;

	_Static_assert(SCAN_TERMS >= SCAN_ENTITIES && SCAN_TERMS >= SCAN_NUMBERS,
	    "a part's list holds SCAN_TERMS");

	for (uint32_t i = 0; i < vector->count; i++) {
		unsigned part = scan_part[vector->items[i].key & KIND_MASK];
		uint32_t *list = lists[part], at;
		float weight = vector->items[i].weight;

		if (kept[part] == quotas[part] &&
		    weight <= vector->items[list[kept[part] - 1]].weight)
			continue;
		at = kept[part] < quotas[part] ? kept[part]++ : quotas[part] - 1;
		while (at > 0 && vector->items[list[at - 1]].weight < weight) {
			list[at] = list[at - 1];
			at--;
		}
		list[at] = i;
	}
	for (int part = 0; part < 3; part++)
		for (uint32_t k = 0; k < kept[part]; k++)
			out[count++] = lists[part][k];
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

/* Start loading the lines of the newest SCAN_LIMIT refs of list (the scan reads them). */
static void
prefetch_refs(const struct posting_list *list)
{
	uint32_t first = list->count > SCAN_LIMIT ? list->count - SCAN_LIMIT : 0;
	uintptr_t line = (uintptr_t)&list->refs[first] & ~(uintptr_t)63;

	for (; list->count > 0 && line <= (uintptr_t)&list->refs[list->count - 1]; line += 64)
		__builtin_prefetch((const void *)line);
}

/* Start loading the slot states the newest SCAN_LIMIT refs of list name. */
static void
prefetch_states(const struct story_index *index, const struct posting_list *list)
{
	uint32_t first = list->count > SCAN_LIMIT ? list->count - SCAN_LIMIT : 0;

	for (uint32_t i = first; i < list->count; i++)
		__builtin_prefetch(&index->states[list->refs[i] >> 32]);
}

/*
 * Count the candidates of the features' postings. The scan's loads would each wait for the
 * one before (table slot, then list, then the states its refs name), so they are started
 * stage by stage for all the lists first: the table slots, the lists' newest refs, the states
 * of those refs; then read_postings reads them in the order it always did.
 */
static void
gather(struct story_index *index, const struct story_vector *vector, const uint32_t *features,
    uint32_t feature_count)
{
	struct posting_list *lists[SCAN_FEATURES];

	for (uint32_t i = 0; i < feature_count; i++)
		story_postings_prefetch(&index->postings, vector->items[features[i]].key);
	for (uint32_t i = 0; i < feature_count; i++)
		if ((lists[i] = story_postings_list(&index->postings,
		    vector->items[features[i]].key)) != NULL)
			prefetch_refs(lists[i]);
	for (uint32_t i = 0; i < feature_count; i++)
		if (lists[i] != NULL)
			prefetch_states(index, lists[i]);
	for (uint32_t i = 0; i < feature_count; i++)
		if (lists[i] != NULL)
			read_postings(index, lists[i], vector->items[features[i]].weight);
}

/* Start loading what story_score reads of each candidate: its times, size and centroid. */
static void
prefetch_candidates(const struct story_index *index, size_t candidates)
{
	for (size_t i = 0; i < candidates; i++) {
		const struct story *story = &index->slots[index->candidates[i].slot];
		uintptr_t line = (uintptr_t)story & ~(uintptr_t)63;

		for (; line <= (uintptr_t)&story->centroid_count; line += 64)
			__builtin_prefetch((const void *)line);
	}
}

long
story_best(struct story_index *index, const struct story_vector *vector, int64_t time,
    struct story_score *best)
{
	uint32_t features[SCAN_FEATURES], feature_count = vector->scan_count;
	size_t candidates;
	long found = -1;

	for (uint32_t i = 0; i < feature_count; i++)
		features[i] = vector->scan[i];
	if (++index->stamp == 0) {
		for (size_t i = 0; i < index->slot_count; i++)
			index->states[i].visit = 0;
		index->stamp = 1;
	}
	index->candidate_count = 0;
	gather(index, vector, features, feature_count);
	candidates = select_candidates(index);
	prefetch_candidates(index, candidates);
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
