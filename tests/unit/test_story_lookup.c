/*
 * test_story_lookup.c - the open story an article is compared with (lookup.c, story_best)
 * against a plain reference: the postings of the same scan features read newest first, the
 * first SCAN_LIMIT live refs of each counted into a prescore per slot in plain arrays (no
 * stamps, no reserved candidate buffer, no stale refs compacted), the CANDIDATE_MAX highest
 * prescores picked one by one (ties: the first met), each scored, the first best kept. Over an
 * index grown by story_assign from generated articles whose stories leave a short window, so
 * lists hold stale refs and many candidates; the slot found and every score field must be
 * the same, bit for bit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "story/index_internal.h"
#include "util.h"

#define RANDOM_SEED 0x9e3779b97f4a7c15ULL
#include "xorshift.h"

#define WORDS		1500
#define EVENTS		400
#define ARTICLES	2500

static char words[WORDS][12];

struct reference {
	float		*prescore;
	uint8_t		*met;
	uint32_t	*order;
	uint32_t	 order_count;
};

/* What the lookups met, so the test says it reached each case. */
static size_t stale_refs, lists_cut, many_candidates;

/* The newest SCAN_LIMIT live refs of each scan feature's list, into plain arrays. */
static void
reference_gather(struct story_index *index, const struct story_vector *vector,
    struct reference *ref)
{
	uint32_t features[SCAN_FEATURES], count = story_scan_features(vector, features);

	for (uint32_t f = 0; f < count; f++) {
		const struct story_weight *item = &vector->items[features[f]];
		struct posting_list *list = story_postings_list(&index->postings, item->key);
		uint32_t seen = 0;

		for (uint32_t i = list ? list->count : 0; i > 0 && seen < SCAN_LIMIT; i--) {
			uint64_t posted = list->refs[i - 1];
			uint32_t slot = (uint32_t)(posted >> 32);

			if (!story_ref_alive(posted, index)) {
				stale_refs++;
				continue;
			}
			if (!ref->met[slot]) {
				ref->met[slot] = 1;
				ref->prescore[slot] = 0;
				ref->order[ref->order_count++] = slot;
			}
			ref->prescore[slot] += item->weight;
			lists_cut += ++seen == SCAN_LIMIT && i > 1;
		}
	}
}

static long
reference_best(struct story_index *index, const struct story_vector *vector, int64_t time,
    struct story_score *best)
{
	struct reference ref = { xcalloc(index->slot_count + 1, sizeof(float)),
	    xcalloc(index->slot_count + 1, 1), xcalloc(index->slot_count + 1, sizeof(uint32_t)),
	    0 };
	long found = -1;

	reference_gather(index, vector, &ref);
	many_candidates += ref.order_count > CANDIDATE_MAX;
	for (int round = 0; round < CANDIDATE_MAX; round++) {
		long pick = -1;

		for (uint32_t i = 0; i < ref.order_count; i++)
			if (ref.met[ref.order[i]] == 1 && (pick < 0 ||
			    ref.prescore[ref.order[i]] > ref.prescore[ref.order[pick]]))
				pick = i;
		if (pick < 0)
			break;
		uint32_t slot = ref.order[pick];
		struct story_score score;

		ref.met[slot] = 2;	/* picked */
		story_score(vector, time, &index->slots[slot], &score);
		if (found < 0 || score.score > best->score) {
			*best = score;
			found = slot;
		}
	}
	free(ref.prescore);
	free(ref.met);
	free(ref.order);
	return found;
}

/* Every field of the two scores, bit for bit. */
static int
same_score(const struct story_score *a, const struct story_score *b)
{
	return memcmp(&a->score, &b->score, sizeof a->score) == 0 &&
	    memcmp(&a->terms, &b->terms, sizeof a->terms) == 0 &&
	    memcmp(&a->entities, &b->entities, sizeof a->entities) == 0 &&
	    memcmp(&a->numbers, &b->numbers, sizeof a->numbers) == 0 &&
	    memcmp(&a->time_factor, &b->time_factor, sizeof a->time_factor) == 0 &&
	    a->conflicts == b->conflicts;
}

static void
append(struct buffer *out, const char *word)
{
	if (out->length > 0)
		buffer_append(out, " ", 1);
	buffer_append_string(out, word);
}

/* An article of event (its words and names mostly), at time. */
static struct article *
make_article(unsigned event, size_t number, time_t when)
{
	struct article *article = article_new();
	struct buffer title = { 0 }, text = { 0 };
	char name[48];

	for (int i = 0; i < 6; i++)
		append(&title, words[(event * 7 + next_random(9)) % WORDS]);
	for (int i = 0; i < 80; i++)
		append(&text, words[next_random(3) ? (event * 7 + next_random(12)) % WORDS :
		    next_random(WORDS)]);
	article->id = xasprintf("a%zu", number);
	article->source_name = xasprintf("Outlet %u", next_random(30));
	article->title = buffer_steal(&title);
	article->text = buffer_steal(&text);
	article->published = when;
	article->fetched = when + 60;
	snprintf(name, sizeof name, "Person %u", event % 150);
	article_add_entity(article, name, "person", 1 + next_random(3));
	snprintf(name, sizeof name, "Place %u", (event * 3) % 90);
	article_add_entity(article, name, "place", 1 + next_random(2));
	snprintf(name, sizeof name, "Agency %u", event % 3);	/* in many stories: long lists */
	article_add_entity(article, name, "organization", 1);
	return article;
}

static void
test_best_against_reference(void)
{
	struct story_config config;
	struct story_index *index;
	size_t mismatches = 0, found = 0;
	char error[256];

	for (int i = 0; i < WORDS; i++) {
		int length = 4 + (int)next_random(6);

		for (int c = 0; c < length; c++)
			words[i][c] = (char)('a' + next_random(26));
		words[i][length] = '\0';
	}
	story_config_defaults(&config);
	config.window_seconds = 6 * 3600;	/* stories close: stale refs in the lists */
	index = story_open(&config, error, sizeof error);
	CHECK(index != NULL);
	for (size_t n = 0; n < ARTICLES; n++) {
		struct article *article = make_article(next_random(EVENTS) % (1 + n / 4), n,
		    (time_t)(1780000000 + n * 60));
		struct story_score want = { 0 }, got = { 0 };
		struct story_vector vector;
		long expected, actual;

		story_extract_article(index->extractor, article);
		story_vector_build(&vector, article->story_features, &index->background);
		expected = reference_best(index, &vector, article->story_features->time, &want);
		actual = story_best(index, &vector, article->story_features->time, &got);
		found += actual >= 0;
		if (expected != actual || (actual >= 0 && !same_score(&want, &got)))
			if (mismatches++ < 5)
				fprintf(stderr, "article %zu: best %ld (%.17g), reference %ld (%.17g)\n",
				    n, actual, got.score, expected, want.score);
		story_assign(index, article);
		article_free(article);
	}
	CHECK(mismatches == 0);
	CHECK(found > ARTICLES / 2);
	CHECK(story_count(index) > 50);
	CHECK(stale_refs > 0 && lists_cut > 0 && many_candidates > ARTICLES / 4);
	fprintf(stderr, "%zu lookups found a story; %zu stale refs met, %zu lists cut at "
	    "SCAN_LIMIT, %zu lookups with more than CANDIDATE_MAX candidates\n", found,
	    stale_refs, lists_cut, many_candidates);
	story_close(index);
}

int
main(void)
{
	RUN(test_best_against_reference);
	return check_finish();
}
