/*
 * test_story_lookup.c - the open story an article is compared with (lookup.c, story_best)
 * against a plain reference: the postings of the same scan features read newest first, the
 * first SCAN_LIMIT live refs of each counted into a prescore per slot in plain arrays (no
 * stamps, no reserved candidate buffer, no stale refs compacted), the CANDIDATE_MAX highest
 * prescores picked one by one (ties: the first met), each scored, the first best kept. Over an
 * index grown by story_assign from generated articles whose stories leave a short window, so
 * lists hold stale refs and many candidates; the slot found and every score field must be
 * the same, bit for bit. And an index that judges a stream as another instance's
 * (story_remote_enable) against one that judges it as local: the same stories, members,
 * centroids, names, postings and background, field by field, no verdict in the article, and
 * no summary marked to publish.
 * And every story intact after the stories array grew many times. And no posted ref names a
 * slot past the stories handed out (the scan reads a ref's slot state unchecked).
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

/* Posted refs naming a slot at or past slot_count (read_postings reads a ref's slot state
 * with no bounds test: there must be none). */
static size_t
refs_out_of_range(const struct story_index *index)
{
	const struct story_postings *postings = &index->postings;
	size_t out = 0;

	for (size_t i = 0; i < postings->capacity; i++)
		for (uint32_t r = 0; postings->lists[i].refs != NULL &&
		    r < postings->lists[i].count; r++)
			out += (postings->lists[i].refs[r] >> 32) >= index->slot_count;
	return out;
}

static void
test_best_against_reference(void)
{
	struct story_config config;
	struct story_index *index;
	size_t mismatches = 0, found = 0, out_of_range = 0;
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
		if (n % 100 == 99)
			out_of_range += refs_out_of_range(index);
	}
	CHECK(mismatches == 0);
	CHECK(out_of_range == 0);
	CHECK(found > ARTICLES / 2);
	CHECK(story_count(index) > 50);
	CHECK(stale_refs > 0 && lists_cut > 0 && many_candidates > ARTICLES / 4);
	fprintf(stderr, "%zu lookups found a story; %zu stale refs met, %zu lists cut at "
	    "SCAN_LIMIT, %zu lookups with more than CANDIDATE_MAX candidates\n", found,
	    stale_refs, lists_cut, many_candidates);
	story_close(index);
}

/* Whether two open stories hold the same, field by field. */
static int
same_story(const struct story *a, const struct story *b)
{
	int same = a->key == b->key && a->generation == b->generation && a->size == b->size &&
	    a->first_seen == b->first_seen && a->last_seen == b->last_seen &&
	    a->centroid_count == b->centroid_count && a->posted == b->posted &&
	    a->entity_name_count == b->entity_name_count &&
	    strcmp(a->headline ? a->headline : "", b->headline ? b->headline : "") == 0 &&
	    (a->headline == NULL) == (b->headline == NULL) &&
	    memcmp(a->centroid, b->centroid, a->centroid_count * sizeof *a->centroid) == 0 &&
	    memcmp(a->part_count, b->part_count, sizeof a->part_count) == 0 &&
	    memcmp(a->part_norm, b->part_norm, sizeof a->part_norm) == 0 &&
	    a->salient_people == b->salient_people && a->salient_places == b->salient_places;

	for (uint32_t m = 0; same && m < a->size; m++)
		same = strcmp(a->members[m].id, b->members[m].id) == 0 &&
		    strcmp(a->members[m].outlet, b->members[m].outlet) == 0;
	for (uint16_t e = 0; same && e < a->entity_name_count; e++)
		same = strcmp(a->entity_names[e].name, b->entity_names[e].name) == 0 &&
		    strcmp(a->entity_names[e].type, b->entity_names[e].type) == 0 &&
		    a->entity_names[e].count == b->entity_names[e].count;
	return same;
}

/* Whether two indexes hold the same stories in the same slots, postings and background. */
static int
same_index(const struct story_index *a, const struct story_index *b)
{
	int same = a->slot_count == b->slot_count && a->open_count == b->open_count &&
	    a->article_count == b->article_count && a->newest == b->newest &&
	    a->postings.used == b->postings.used && a->postings.refs == b->postings.refs &&
	    a->background.used == b->background.used &&
	    a->background.documents == b->background.documents &&
	    memcmp(a->background.entries, b->background.entries,
	    a->background.capacity * sizeof *a->background.entries) == 0;

	for (size_t i = 0; same && i < a->slot_count; i++)
		same = a->slots[i].open == b->slots[i].open &&
		    (!a->slots[i].open || same_story(&a->slots[i], &b->slots[i]));
	for (size_t i = 0; same && i < a->postings.capacity; i++) {
		const struct posting_list *x = &a->postings.lists[i], *y = &b->postings.lists[i];

		same = (x->refs == NULL) == (y->refs == NULL) && (x->refs == NULL ||
		    (x->key == y->key && x->count == y->count &&
		    memcmp(x->refs, y->refs, x->count * sizeof *x->refs) == 0));
	}
	return same;
}

/* Drop the article's verdict (what story_assign wrote of it), as if never judged. */
static void
clear_verdict(struct article *article)
{
	free(article->story.id);
	free(article->story.headline);
	free(article->story.explain);
	memset(&article->story, 0, sizeof article->story);
}

/*
 * The same stream (with updates of articles already in a story and wire copies) judged by
 * one index as local articles and by another as another instance's: every 25 articles the
 * two indexes hold the same, and the remote judgement wrote no verdict into the article.
 */
static int
count_summary(const char *story_id, const char *json, void *context)
{
	(*(size_t *)context)++;
	return 0;
}

static void
test_remote_same_index(void)
{
	struct story_config config;
	struct story_index *local, *remote;
	size_t mismatches = 0, verdicts = 0, copies = 0, updates = 0;
	size_t local_summaries = 0, remote_summaries = 0;
	char error[256];

	story_config_defaults(&config);
	config.window_seconds = 6 * 3600;
	local = story_open(&config, error, sizeof error);
	remote = story_open(&config, error, sizeof error);
	story_explain_enable(local, 1);
	story_explain_enable(remote, 1);
	story_remote_enable(remote, 1);
	story_summaries_enable(local, 1);
	story_summaries_enable(remote, 1);	/* a remote article's are the other's to publish */
	for (size_t n = 0; n < ARTICLES; n++) {
		size_t number = next_random(10) == 0 && n > 0 ? n - 1 - next_random(n < 50 ? n : 50) : n;
		struct article *article = make_article(next_random(EVENTS) % (1 + n / 4), number,
		    (time_t)(1780000000 + n * 60));

		if (next_random(8) == 0 && n > 0) {	/* a wire copy of an earlier article */
			article->dedup.status = DEDUP_DUPLICATE;
			article->dedup.duplicate_of = xasprintf("a%zu", n - 1 - next_random(n < 20 ?
			    n : 20));
			copies++;
		}
		updates += number != n;
		story_extract_article(local->extractor, article);
		story_assign(local, article);
		CHECK(article->story.id != NULL);
		clear_verdict(article);
		story_assign(remote, article);
		verdicts += article->story.id != NULL || article->story.headline != NULL ||
		    article->story.explain != NULL || article->story.size != 0;
		/* (every 25th: a comparison reads the whole background table) */
		if ((n % 25 == 0 || n == ARTICLES - 1) && !same_index(local, remote) &&
		    mismatches++ < 5)
			fprintf(stderr, "article %zu: the indexes differ\n", n);
		article_free(article);
	}
	CHECK(mismatches == 0);
	CHECK(verdicts == 0);
	CHECK(copies > ARTICLES / 20 && updates > ARTICLES / 20);
	CHECK(story_count(local) > 50);
	story_drain(local, count_summary, &local_summaries);
	story_drain(remote, count_summary, &remote_summaries);
	CHECK(local_summaries > 50 && remote_summaries == 0);
	story_close(local);
	story_close(remote);
}

/*
 * The stories array growing (index.c, slots_resize: its pages remapped, not copied) keeps
 * every story: after thousands of stories opened in one window, each open story is still
 * the one its id names (its first member's id hashes to its key, by_story maps the key to
 * its slot) and still holds its headline.
 */
static void
test_slots_grow(void)
{
	struct story_config config;
	struct story_index *index;
	size_t broken = 0;
	char error[256];

	story_config_defaults(&config);
	config.threshold = 2.0;		/* no score reaches it: every article opens a story */
	index = story_open(&config, error, sizeof error);
	for (size_t n = 0; n < 3000; n++) {
		struct article *article = make_article(n, n, (time_t)(1780000000 + n * 10));

		story_assign(index, article);
		article_free(article);
	}
	CHECK(index->slot_count > 1000);	/* grown from 256 many times */
	for (size_t i = 0; i < index->slot_count; i++) {
		const struct story *story = &index->slots[i];
		uint64_t slot;

		if (!story->open)
			continue;
		broken += story->size == 0 || story->headline == NULL ||
		    story_map_key(story->members[0].id) != story->key ||
		    !story_map_get(&index->by_story, story->key, &slot) || slot != i;
	}
	CHECK(broken == 0);
	story_close(index);
}

int
main(void)
{
	RUN(test_best_against_reference);
	RUN(test_remote_same_index);
	RUN(test_slots_grow);
	return check_finish();
}
