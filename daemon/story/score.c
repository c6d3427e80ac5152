/*
 * score.c - how close an article is to an open story.
 *
 * The article's vector: its words weighted by TF-IDF against the running background (the top
 * VECTOR_TERMS), its entities (VECTOR_ENTITIES, mentions times IDF, twice that for one in
 * the title or named more than once) and its numbers
 * (VECTOR_NUMBERS), each part scaled to unit length. A story's centroid is the sum of its
 * articles' vectors. The score is the cosine of the word parts, averaged with the cosine of
 * the entity parts when both sides name entities, plus a little for numbers in common. Then
 * the evidence that keeps look-alike events apart (same kind of event, other people, place,
 * figures or days): a story whose names (people, and the names the plugin could not type)
 * the article shares none of, while both make much of one, scores half (likewise places;
 * only 20% less when the entity parts agree otherwise, cosine 0.35 or more, as a follow-up
 * quoting other people does);
 * numbers on both sides with none in common cost 15%; and the score fades once the article
 * is more than a day from the story's newest article.
 *
 * Building a vector computes the IDF (a log()) of only the items that may be kept: each item
 * is first weighed with a bound on its IDF from log(documents + 201) and a kept table of
 * log(frequency + 1), and one lighter than the bounds allow for the part's last kept item is
 * left out unweighed (gather_candidates). The vector is the same, bit for bit
 * (test_story_vector compares it with the build that weighed every item). An item kept has
 * its weight from that bound too when the float it rounds to is certain (weight_of): a log()
 * for ~0.3% of them (at article size ~50 an article had one, most of their frequencies past
 * IDF_MEMO). One pass over the items approximates them and counts each into its part's
 * histogram (no pass of its own for the floors, no branch on an item's kind); a second picks
 * the candidates above the floors; the heaviest are kept by an insertion of two-word ranks
 * (keep_top): story_vector_build 139.0M -> 121.7M instructions over 3,597 builds (callgrind,
 * 200 bench article feeds), 38.6K -> 33.8K an article.
 *
 * Scoring a candidate (merge) looks each centroid key up among the article's, with no branch
 * on the key's kind, its salience or whether it is shared (the kinds of a centroid come at
 * random in key order: those branches mispredicted): 1,040 -> 735 cycles a score on
 * generated stories in cache, the same scores bit for bit (test_story_vector compares them
 * with a plain merge of the two sorted lists). What depends on the story alone (each part's
 * norm and item count, its salient names and places) is kept in the story, computed once
 * per change of it (story_score_prepare), not in each of the ~10 scores an article makes.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "story_internal.h"
#include "util.h"

#define SALIENT_SHARE		0.2	/* centroid weight per article that makes an entity salient */
#define CONFLICT_FACTOR		0.5
#define SOFT_CONFLICT_FACTOR	0.8
#define AGREEMENT		0.35	/* entity cosine that softens a conflict */
#define NUMBER_CONFLICT_FACTOR	0.85
#define NUMBER_BONUS		0.1
#define TIME_GRACE		(24 * 3600)
#define TIME_DECAY		(48.0 * 3600)

enum { PART_TERMS, PART_ENTITIES, PART_NUMBERS, PARTS };

/* Sort by key (keys of one vector are distinct): an insertion sort, as a vector holds at
 * most VECTOR_MAX items and qsort()'s calls through a comparator cost more than the sort. */
static void
sort_by_key(struct story_weight *items, uint32_t count)
{
	for (struct story_weight *next = items + 1; next < items + count; next++) {
		struct story_weight item = *next, *at = next;

		for (; at > items && at[-1].key > item.key; at--)
			*at = at[-1];
		*at = item;
	}
}

/*
 * The vector's items by key: first placed by their key's top SORT_BITS bits (the keys are
 * hashes, so the buckets hold one or two each), which leaves them nearly in order, then an
 * insertion sort finishes them in a step or two an item. Keys are distinct, so this is the
 * order any sort by key gives. Sorting each part by insertion and merging the three (as
 * before) took ~2,500 instructions an article of 44 items; this takes ~720 fewer
 * (story_assign -1.0%, callgrind, bench article feeds).
 */
#define SORT_BITS	5

static void
sort_items_by_key(struct story_vector *vector)
{
	struct story_weight placed[VECTOR_MAX], *items = vector->items;
	uint8_t next[(1u << SORT_BITS) + 1] = { 0 };
	uint32_t count = vector->count;

	_Static_assert(VECTOR_MAX < 256, "a bucket's next place fits in a byte");
	for (uint32_t i = 0; i < count; i++)
		next[(items[i].key >> (64 - SORT_BITS)) + 1]++;
	for (uint32_t b = 1; b <= 1u << SORT_BITS; b++)
		next[b] = (uint8_t)(next[b] + next[b - 1]);
	for (uint32_t i = 0; i < count; i++)
		placed[next[items[i].key >> (64 - SORT_BITS)]++] = items[i];
	sort_by_key(placed, count);
	memcpy(items, placed, count * sizeof *items);
}

/*
 * 1 + log(mentions) for the small counts most items have (a count of 0 counts as 1), filled
 * once with the same expression item_factor() uses for the others, so a weight is the same
 * either way.
 */
#define MENTION_TABLE	256
static double mention_table[MENTION_TABLE];
static pthread_once_t mention_table_once = PTHREAD_ONCE_INIT;

static void factor_table_fill(void);

static void
mention_table_fill(void)
{
	mention_table[0] = 1.0 + log(1);
	for (int count = 1; count < MENTION_TABLE; count++)
		mention_table[count] = 1.0 + log(count);
	factor_table_fill();
}

/*
 * The IDFs of one vector's build: every key of an article is weighed against the same
 * document total, and many have one of a few small frequencies (0, 1, 2...), so each of
 * those is computed once (IDF_MEMO of them, a bit each in known).
 */
#define IDF_MEMO	64
struct idf_memo {
	const struct story_background *background;
	uint64_t	 known;
	double		 idf[IDF_MEMO];
};

static double
memo_idf(struct idf_memo *memo, uint64_t frequency)
{
	if (frequency >= IDF_MEMO)
		return story_background_idf_of(memo->background, frequency);
	if ((memo->known >> frequency & 1) == 0) {
		memo->idf[frequency] = story_background_idf_of(memo->background, frequency);
		memo->known |= (uint64_t)1 << frequency;
	}
	return memo->idf[frequency];
}

/* part_of() and name_kind() of a key's kind (its low KIND_BITS), as tables: an article's
 * and a centroid's kinds come in key order, at random, and branches on them mispredicted. */
static const uint8_t kind_part[KIND_MASK + 1] = {
	[KIND_TERM] = PART_TERMS, [KIND_NUMBER] = PART_NUMBERS, [KIND_PERSON] = PART_ENTITIES,
	[KIND_PLACE] = PART_ENTITIES, [KIND_ORGANIZATION] = PART_ENTITIES,
	[KIND_OTHER] = PART_ENTITIES, [6] = PART_ENTITIES, [7] = PART_ENTITIES,
};
static const uint8_t kind_name[KIND_MASK + 1] = {
	[KIND_TERM] = KIND_TERM, [KIND_NUMBER] = KIND_NUMBER, [KIND_PERSON] = KIND_PERSON,
	[KIND_PLACE] = KIND_PLACE, [KIND_ORGANIZATION] = KIND_ORGANIZATION,
	[KIND_OTHER] = KIND_PERSON, [6] = 6, [7] = 7,
};

/* What an item's weight is its IDF times, by kind and salience: a number's is its scale
 * alone (1.5 salient, else 1.0), an entity's of the title (or named twice) 2 * mentions (what
 * the article is about), any other's its mentions: weight = factor * idf, as it always was
 * computed (mentions * 2.0 is 2 * mentions, mentions * 1.0 mentions, bit for bit). */
static const double factor_scale[KIND_MASK + 1][2] = {
	[KIND_TERM] = { 1.0, 1.0 }, [KIND_NUMBER] = { 1.0, 1.5 },
	[KIND_PERSON] = { 1.0, 2.0 }, [KIND_PLACE] = { 1.0, 2.0 },
	[KIND_ORGANIZATION] = { 1.0, 2.0 }, [KIND_OTHER] = { 1.0, 2.0 },
	[6] = { 1.0, 2.0 }, [7] = { 1.0, 2.0 },
};

/* The factor of the kinds, saliences and counts below MENTION_TABLE, as item_factor computes
 * it past them (filled with mention_table): one load an item, not a load of the scale and of
 * the mentions, a multiply and a select (~6 instructions an item, 1.6% of story_assign's). */
static double factor_table[KIND_MASK + 1][2][MENTION_TABLE];

static double
factor_of(unsigned kind, int salient, double mentions)
{
	double scale = factor_scale[kind][salient];

	return kind == KIND_NUMBER ? scale : mentions * scale;
}

static void
factor_table_fill(void)
{
	for (unsigned kind = 0; kind <= KIND_MASK; kind++)
		for (int salient = 0; salient < 2; salient++)
			for (int count = 0; count < MENTION_TABLE; count++)
				factor_table[kind][salient][count] = factor_of(kind, salient,
				    mention_table[count]);
}

static inline double
item_factor(const struct story_item *item)
{
	unsigned kind = (unsigned)(item->key & KIND_MASK), count = item->count;

	if (count < MENTION_TABLE)
		return factor_table[kind][item->salient != 0][count];
	return factor_of(kind, item->salient != 0, 1.0 + log(count));
}

/*
 * An item's weight before its IDF is computed, approx: the IDF,
 * log((documents + 201) / (frequency + 1)) + 1, taken as log(documents + 201) -
 * log(frequency + 1) + 1, which is within 1e-13 of it (the two logs and log() of the rounded
 * quotient are each within an ulp, under 4e-15 below 64, and the sums round by as little).
 * With that IDF at 0.5 or more, the weight (factor * idf rounded to a float: 2^-24 relative)
 * is within APPROX_SLACK of approx, relative: approx * (1 - APPROX_SLACK) <= weight <=
 * approx * (1 + APPROX_SLACK). An item without a bound (its frequency past the table of
 * logs, or a low IDF) has its weight itself as approx, which is as good.
 */
#define APPROX_SLACK	1e-6

static float
exact_weight(struct idf_memo *memo, const struct story_features *features, uint32_t item,
    const uint64_t *frequencies)
{
	return (float)(item_factor(&features->items[item]) * memo_idf(memo, frequencies[item]));
}

/*
 * An item's weight from its approx when that gives it: the weight is the float nearest
 * factor * idf, which is within 1e-13 of approx, relative (above); when every value within
 * APPROX_ROUND of approx (relative, 500 times that) rounds to one float (rounding is
 * monotonic: the two ends of the interval rounding alike says so), that float is the weight,
 * with no log(). Else (an approx that close to the midpoint of two floats: ~0.3% of items)
 * exact_weight computes it. An approx that is its weight already (an item without a bound)
 * is a float: it rounds to itself. test_story_vector compares the weights with log()'s.
 */
#define APPROX_ROUND	1e-10

static inline int
rounds_alike(double approx)
{
	return (float)(approx * (1 - APPROX_ROUND)) == (float)(approx * (1 + APPROX_ROUND));
}

int
story_approx_rounds_alike(double approx)
{
	return rounds_alike(approx);
}

static inline float
weight_of(double approx, uint32_t item, struct idf_memo *memo,
    const struct story_features *features, const uint64_t *frequencies)
{
	if (rounds_alike(approx))
		return (float)approx;
	return exact_weight(memo, features, item, frequencies);
}

/*
 * A floor under the k-th largest of a part's approximations (k <= their count): the lower
 * edge of the bucket that holds it, in a histogram of their values by exponent and top
 * FLOOR_BITS bits of mantissa (1/8 of an octave a bucket, over FLOOR_BUCKETS from FLOOR_LOW;
 * values below share the first bucket, whose floor is -HUGE_VAL, values above the last). The
 * build counts each item into its part's histogram as it approximates it (approximate_items),
 * and kth_floor scans down the buckets, four empty ones at a time: a min-heap of the k largest
 * took 3,870 cycles an article of 167 words, a pass of its own over the approximations 430
 * (generated weights); it lets through ~2 items more than the k-th itself would (the others
 * of its bucket), which are then weighed exactly.
 */
#define FLOOR_BITS	3
#define FLOOR_SHIFT	(52 - FLOOR_BITS)
#define FLOOR_BUCKETS	128
#define FLOOR_LOW	0.25

static inline int64_t
floor_low_index(void)
{
	double low = FLOOR_LOW;
	int64_t low_bits;

	memcpy(&low_bits, &low, sizeof low_bits);
	return low_bits >> FLOOR_SHIFT;
}

/* The bucket of an approximation (a positive double's bits order as its value; a negative
 * one's are below 0). */
static inline unsigned
floor_bucket(double weight)
{
	int64_t bits, at;

	memcpy(&bits, &weight, sizeof bits);
	at = (bits >> FLOOR_SHIFT) - floor_low_index();
	return (unsigned)(at < 0 ? 0 : at > FLOOR_BUCKETS - 1 ? FLOOR_BUCKETS - 1 : at);
}

static double
kth_floor(const uint16_t *counts, uint32_t k)
{
	uint32_t seen = 0;
	int bucket = FLOOR_BUCKETS;
	int64_t bits;
	uint64_t four;
	double edge;

	while (seen < k) {
		memcpy(&four, &counts[bucket >= 4 ? bucket - 4 : 0], sizeof four);
		if (bucket >= 4 && four == 0)
			bucket -= 4;
		else
			seen += counts[--bucket];
	}
	if (bucket == 0)
		return -HUGE_VAL;
	bits = (floor_low_index() + bucket) << FLOOR_SHIFT;
	memcpy(&edge, &bits, sizeof edge);
	return edge;
}

/*
 * A candidate of keep_top as two words whose order is keep_top's order, ascending: heavier
 * first, ties by key (the keys of one article are distinct). Its weight's bits, mapped so
 * that they order as the float (a negative one's reversed), inverted, above its key, above
 * its item index: the first word (weight and the key's top half) decides but for equal
 * weights and key halves, so a step of the insertion compares one word, not a float and
 * then a key (test_story_vector compares the vectors with qsort()'s order).
 */
typedef struct {
	uint64_t	 high;
	uint64_t	 low;
} ranked;

static inline ranked
rank_of(uint64_t key, float weight, uint32_t item)
{
	uint32_t bits;

	memcpy(&bits, &weight, sizeof bits);
	bits = bits & 0x80000000u ? ~bits : bits | 0x80000000u;
	return (ranked){ (uint64_t)~bits << 32 | key >> 32, key << 32 | item };
}

static inline int
ranked_before(ranked a, ranked b)
{
	return a.high != b.high ? a.high < b.high : a.low < b.low;
}

static inline struct story_weight
unrank(ranked candidate)
{
	uint32_t bits = ~(uint32_t)(candidate.high >> 32);
	struct story_weight out = { candidate.high << 32 | candidate.low >> 32, 0,
	    (uint32_t)candidate.low };

	bits = bits & 0x80000000u ? bits & 0x7fffffffu : ~bits;
	memcpy(&out.weight, &bits, sizeof bits);
	return out;
}

/* Scaling can make weights of distinct floats equal: put such ties in key order, as the
 * scaled weights' order (heaviest first, ties by key) is what the floors and the scan take. */
static void
order_scaled_ties(struct story_weight *items, uint32_t count)
{
	for (uint32_t i = 1; i < count; i++) {
		struct story_weight item = items[i];
		uint32_t at = i;

		for (; at > 0 && items[at - 1].weight == item.weight &&
		    items[at - 1].key > item.key; at--)
			items[at] = items[at - 1];
		items[at] = item;
	}
}

/* Keep the first `limit` of the candidates in rank order (an insertion into the few kept, as
 * most candidates are lighter than all of them) and scale them to unit length, in that order. */
static uint32_t
keep_top(const ranked *candidates, uint32_t count, uint32_t limit, struct story_weight *out)
{
	ranked top[VECTOR_TERMS], *end = top;
	uint32_t kept;
	double norm = 0;

	for (uint32_t i = 0; i < count; i++) {
		ranked candidate = candidates[i], *at;

		if (end == top + limit) {
			if (!ranked_before(candidate, end[-1]))
				continue;
			at = end - 1;
		} else
			at = end++;
		for (; at > top && ranked_before(candidate, at[-1]); at--)
			*at = at[-1];
		*at = candidate;
	}
	kept = (uint32_t)(end - top);
	for (uint32_t i = 0; i < kept; i++) {
		out[i] = unrank(top[i]);
		norm += (double)out[i].weight * out[i].weight;
	}
	norm = sqrt(norm);
	for (uint32_t i = 0; i < kept; i++)
		out[i].weight = (float)(out[i].weight / norm);
	order_scaled_ties(out, kept);
	return kept;
}

static inline size_t
key_slot(uint64_t key)
{
	return (size_t)(key * 0x9e3779b97f4a7c15ULL >> 57) & (VECTOR_SLOTS - 1);
}

/* The vector's keys by hash (after the sort: the indexes are of the sorted items). */
static void
index_keys(struct story_vector *vector)
{
	memset(vector->slot_item, 0, sizeof vector->slot_item);
	for (uint32_t i = 0; i < vector->count; i++) {
		size_t slot = key_slot(vector->items[i].key);

		while (vector->slot_item[slot] != 0)
			slot = (slot + 1) & (VECTOR_SLOTS - 1);
		vector->slot_item[slot] = (uint8_t)(i + 1);
		vector->slot_key[slot] = vector->items[i].key;
	}
}

/* The index of key among the vector's items, or -1. */
static inline int
find_key(const struct story_vector *vector, uint64_t key)
{
	for (size_t slot = key_slot(key); vector->slot_item[slot] != 0;
	    slot = (slot + 1) & (VECTOR_SLOTS - 1))
		if (vector->slot_key[slot] == key)
			return vector->slot_item[slot] - 1;
	return -1;
}

#define BUILD_STACK	256	/* items a build holds on the stack; more are allocated */
static const uint32_t part_limits[PARTS] = { VECTOR_TERMS, VECTOR_ENTITIES, VECTOR_NUMBERS };
static const uint32_t centroid_quotas[PARTS] = {
	CENTROID_TERMS, CENTROID_ENTITIES, CENTROID_NUMBERS
};
static const uint32_t scan_quotas[PARTS] = { SCAN_TERMS, SCAN_ENTITIES, SCAN_NUMBERS };

/* The scan's items (story_scan_features' choice): the first of each part in the order
 * keep_top left (scaled weight, then key), found again by key once the items are sorted. */
static void
index_scan(struct story_vector *vector, const uint64_t *keys)
{
	for (uint32_t i = 0; i < vector->scan_count; i++)
		vector->scan[i] = (uint8_t)find_key(vector, keys[i]);
}

/* One build's items: their approximations (in item order) and frequencies, the candidates
 * of each part (from offset[p], found[p] of them), and each part's count and histogram. */
struct build {
	double		*approx;
	uint64_t	*frequencies;
	uint32_t	*slots;		/* where each item's look-up in the background ended */
	ranked		*candidates;
	uint32_t	 counts[PARTS];
	uint32_t	 offset[PARTS];
	uint32_t	 found[PARTS];
	uint16_t	 histogram[PARTS][FLOOR_BUCKETS];
};

/* An item's approx (see above): log(frequency + 1) from the background's table (logs); past
 * the table, or with a low IDF, its weight itself. */
static inline double
approximate(const struct story_item *item, uint64_t frequency, double log_total,
    const double *logs, struct idf_memo *memo)
{
	double factor = item_factor(item), idf;

	if (frequency >= LOG_COUNTS - 1)
		return (float)(factor * memo_idf(memo, frequency));
	idf = log_total - logs[frequency + 1] + 1.0;
	if (idf < 0.5)
		return (float)(factor * memo_idf(memo, frequency));
	return factor * idf;
}

/* Every item's approx, into its part's count and histogram, in one pass with no branch on
 * the item's kind (on locals: no table field read again an item); the salient names and
 * places counted on the way. */
static void
approximate_items(struct build *build, struct story_vector *vector,
    const struct story_features *features, struct story_background *background,
    struct idf_memo *memo)
{
	const struct story_item *items = features->items;
	const double *logs = story_background_logs(background);
	const uint64_t *frequencies = build->frequencies;
	double log_total = story_background_log_total(background), *approx = build->approx;
	uint32_t counts[PARTS] = { 0 }, people = 0, places = 0, count = features->count;

	memset(build->histogram, 0, sizeof build->histogram);
	for (uint32_t i = 0; i < count; i++) {
		unsigned kind = (unsigned)(items[i].key & KIND_MASK), p = kind_part[kind];
		double weight = approximate(&items[i], frequencies[i], log_total, logs, memo);

		approx[i] = weight;
		build->histogram[p][floor_bucket(weight)]++;
		counts[p]++;
		if (items[i].salient) {	/* few are (the title's words, named entities) */
			people += kind_name[kind] == KIND_PERSON;
			places += kind == KIND_PLACE;
		}
	}
	memcpy(build->counts, counts, sizeof counts);
	vector->salient_people = people;
	vector->salient_places = places;
}

/*
 * The items that may be among the heaviest `limit` of their part, weighed, as candidates of
 * keep_top. With more than limit items in a part, let T be the limit-th largest approx:
 * limit items weigh at least T * (1 - APPROX_SLACK), and one whose approx is below
 * T * (1 - 3 * APPROX_SLACK) weighs less than that, so it is not kept; nor is one below
 * F * (1 - 3 * APPROX_SLACK) for any F <= T (kth_floor's). The others are what keep_top gets:
 * it keeps the same items in the same order as from all of them (its order is total: weight,
 * then key), with the same weights.
 */
static void
gather_candidates(struct build *build, const struct story_features *features,
    struct idf_memo *memo)
{
	const struct story_item *items = features->items;
	const double *approx = build->approx;
	double floors[PARTS];
	uint32_t at[PARTS], count = features->count;

	for (int p = 0; p < PARTS; p++) {
		floors[p] = build->counts[p] > part_limits[p] ?
		    kth_floor(build->histogram[p], part_limits[p]) * (1 - 3 * APPROX_SLACK) :
		    -HUGE_VAL;
		at[p] = build->offset[p] = p == 0 ? 0 : build->offset[p - 1] + build->counts[p - 1];
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t key = items[i].key;
		unsigned p = kind_part[key & KIND_MASK];

		if (approx[i] < floors[p])
			continue;
		build->candidates[at[p]++] = rank_of(key, weight_of(approx[i], i, memo, features,
		    build->frequencies), i);
	}
	for (int p = 0; p < PARTS; p++)
		build->found[p] = at[p] - build->offset[p];
}

/* The build (see above); with count, the article then counted in the background from the
 * slots its look-ups found (story_vector_build_count). */
static void
build_vector(struct story_vector *vector, const struct story_features *features,
    struct story_background *background, int count)
{
	double stack_approx[BUILD_STACK];
	ranked stack_candidates[BUILD_STACK];
	uint64_t stack_frequencies[BUILD_STACK];
	uint32_t stack_slots[BUILD_STACK];
	uint64_t scan_keys[SCAN_FEATURES];
	struct build build = { .approx = stack_approx, .frequencies = stack_frequencies,
	    .candidates = stack_candidates, .slots = stack_slots };
	struct idf_memo memo;	/* idf[] is read only where known says it was written */

	memo.background = background;
	memo.known = 0;
	pthread_once(&mention_table_once, mention_table_fill);
	if (features->count > BUILD_STACK) {
		build.approx = xmalloc(features->count * sizeof *build.approx);
		build.frequencies = xmalloc(features->count * sizeof *build.frequencies);
		build.candidates = xmalloc(features->count * sizeof *build.candidates);
		build.slots = xmalloc(features->count * sizeof *build.slots);
	}
	story_background_frequencies(background, features, build.frequencies, build.slots);
	approximate_items(&build, vector, features, background, &memo);
	gather_candidates(&build, features, &memo);
	vector->count = vector->scan_count = 0;
	for (int p = 0; p < PARTS; p++) {
		struct story_weight *part = vector->items + vector->count;

		vector->part_items[p] = keep_top(build.candidates + build.offset[p],
		    build.found[p], part_limits[p], part);
		vector->centroid_floor[p] = vector->part_items[p] > centroid_quotas[p] ?
		    part[centroid_quotas[p] - 1].weight : -1;
		for (uint32_t k = 0; k < vector->part_items[p] && k < scan_quotas[p]; k++)
			scan_keys[vector->scan_count++] = part[k].key;
		vector->count += vector->part_items[p];
	}
	if (count && features->count > 0)
		story_background_count(background, features, build.frequencies,
		    build.slots);
	if (build.approx != stack_approx) {
		free(build.approx);
		free(build.frequencies);
		free(build.candidates);
		free(build.slots);
	}
	sort_items_by_key(vector);
	index_keys(vector);
	index_scan(vector, scan_keys);
}

void
story_vector_build(struct story_vector *vector, const struct story_features *features,
    struct story_background *background)
{
	build_vector(vector, features, background, 0);
}

/*
 * The background's add after a build probed its table again for every key the build had
 * just found (16.4M of story_assign's 283.1M instructions over 4,000 bench articles): from
 * the slots and frequencies the build's look-ups found, a key found is counted at its slot
 * and only a new one is probed for (story_background_count).
 */
void
story_vector_build_count(struct story_vector *vector, const struct story_features *features,
    struct story_background *background)
{
	build_vector(vector, features, background, 1);
}

/* What the merge of an article's vector with a centroid finds, part by part. */
struct overlap {
	double	 dot[PARTS];
	double	 centroid_norm[PARTS];	/* squared */
	int	 article_items[PARTS];
	int	 centroid_items[PARTS];
	int	 shared[PARTS];
	int	 shared_kind[KIND_MASK + 1];
	int	 salient_kind[KIND_MASK + 1];	/* salient entities of the story */
};

/*
 * The centroid's side of a score, part by part: each part's squared norm, summed in key
 * order as the merge of the two sorted lists summed it, its item count, and the names and
 * places salient for the story's size. It depends on the story alone, so apply() computes it
 * once per change (story_score_prepare) rather than each of the ~10 scores an article makes
 * computing it again (story_score 13.6K -> 9.9K instructions an article at article size;
 * test_story_vector compares the scores with the plain merge's, bit for bit).
 */
void
story_score_prepare(struct story *story)
{
	double salient = SALIENT_SHARE * story->size, norm[PARTS] = { 0 };
	unsigned items[PARTS] = { 0 }, salient_kind[KIND_MASK + 1] = { 0 };

	for (uint32_t k = 0; k < story->centroid_count; k++) {
		unsigned kind = (unsigned)(story->centroid[k].key & KIND_MASK);
		double weight = story->centroid[k].weight;

		norm[kind_part[kind]] += weight * weight;
		items[kind_part[kind]]++;
		salient_kind[kind_name[kind]] += weight >= salient;
	}
	for (int p = 0; p < PARTS; p++) {
		story->part_norm[p] = norm[p];
		story->part_count[p] = (uint8_t)items[p];
	}
	story->salient_people = (uint8_t)salient_kind[KIND_PERSON];
	story->salient_places = (uint8_t)salient_kind[KIND_PLACE];
}

/*
 * The keys the article shares with the story, in one pass over the centroid (in key order)
 * that looks each key up among the article's; the article's side is the vector's own count
 * per part, the centroid's story_score_prepare's. Without a branch on the kind or whether the
 * key is shared (a key not shared adds +0.0 to its part's dot product, which leaves it as it
 * is: the weights are positive): test_story_vector compares it with the branching merge it
 * replaced.
 */
static void
merge(const struct story_vector *vector, const struct story *story, struct overlap *overlap)
{
	const struct centroid_entry *centroid = story->centroid;
	uint32_t centroid_count = story->centroid_count;

	memset(overlap, 0, sizeof *overlap);
	for (int p = 0; p < PARTS; p++) {
		overlap->article_items[p] = (int)vector->part_items[p];
		overlap->centroid_items[p] = story->part_count[p];
		overlap->centroid_norm[p] = story->part_norm[p];
	}
	overlap->salient_kind[KIND_PERSON] = story->salient_people;
	overlap->salient_kind[KIND_PLACE] = story->salient_places;
	for (uint32_t k = 0; k < centroid_count; k++) {
		uint64_t key = centroid[k].key;
		double weight = centroid[k].weight;
		unsigned kind = (unsigned)(key & KIND_MASK), p = kind_part[kind];
		unsigned name = kind_name[kind];
		int i = find_key(vector, key), shared = i >= 0;
		double product = (double)vector->items[shared ? i : 0].weight * weight;

		overlap->dot[p] += shared ? product : 0.0;
		overlap->shared[p] += shared;
		overlap->shared_kind[name] += shared;
	}
}

static double
cosine(const struct overlap *overlap, int part)
{
	if (overlap->article_items[part] == 0 || overlap->centroid_items[part] == 0)
		return -1;
	return overlap->dot[part] / sqrt(overlap->centroid_norm[part]);
}

static int
conflicts(const struct story_vector *vector, const struct overlap *overlap)
{
	int found = 0;

	if (vector->salient_people > 0 && overlap->salient_kind[KIND_PERSON] > 0 &&
	    overlap->shared_kind[KIND_PERSON] == 0)
		found |= CONFLICT_PEOPLE;
	if (vector->salient_places > 0 && overlap->salient_kind[KIND_PLACE] > 0 &&
	    overlap->shared_kind[KIND_PLACE] == 0)
		found |= CONFLICT_PLACES;
	if (overlap->article_items[PART_NUMBERS] >= 2 &&
	    overlap->centroid_items[PART_NUMBERS] >= 2 && overlap->shared[PART_NUMBERS] == 0)
		found |= CONFLICT_NUMBERS;
	return found;
}

static double
time_factor(int64_t time, const struct story *story)
{
	int64_t distance = time > story->last_seen ? time - story->last_seen :
	    time < story->first_seen ? story->first_seen - time : 0;

	if (distance <= TIME_GRACE)
		return 1.0;
	return exp(-(double)(distance - TIME_GRACE) / TIME_DECAY);
}

void
story_score(const struct story_vector *vector, int64_t time, const struct story *story,
    struct story_score *score)
{
	struct overlap overlap;
	double value;

	merge(vector, story, &overlap);
	score->terms = cosine(&overlap, PART_TERMS);
	if (score->terms < 0)
		score->terms = 0;
	score->entities = cosine(&overlap, PART_ENTITIES);
	score->numbers = overlap.article_items[PART_NUMBERS] == 0 ||
	    overlap.centroid_items[PART_NUMBERS] == 0 ? -1 :
	    (double)overlap.shared[PART_NUMBERS] / (overlap.article_items[PART_NUMBERS] <
	    overlap.centroid_items[PART_NUMBERS] ? overlap.article_items[PART_NUMBERS] :
	    overlap.centroid_items[PART_NUMBERS]);
	value = score->entities >= 0 ? (score->terms + score->entities) / 2 : score->terms;
	if (score->numbers > 0)
		value += NUMBER_BONUS * score->numbers;
	score->conflicts = conflicts(vector, &overlap);
	/* Strong entity agreement elsewhere (a follow-up quoting other people) softens it. */
	if (score->conflicts & CONFLICT_PEOPLE)
		value *= score->entities >= AGREEMENT ? SOFT_CONFLICT_FACTOR : CONFLICT_FACTOR;
	if (score->conflicts & CONFLICT_PLACES)
		value *= score->entities >= AGREEMENT ? SOFT_CONFLICT_FACTOR : CONFLICT_FACTOR;
	if (score->conflicts & CONFLICT_NUMBERS)
		value *= NUMBER_CONFLICT_FACTOR;
	score->time_factor = time_factor(time, story);
	score->score = value * score->time_factor;
}
