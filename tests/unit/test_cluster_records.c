/*
 * test_cluster_records.c - fprecord.c's writer and reader (the fingerprint records every
 * instance of a cluster writes once and reads back on every instance) against a plain
 * reference: the byte-at-a-time writer and the copy-every-string reader they replaced, kept
 * here. On generated articles with the odd cases (no title, no outlet but a domain or a feed
 * name, entities without a type, names longer than the reader's stack buffer, no features,
 * many features, feature counts and saliences over all 16 bits), the record must be the same
 * bytes, and the article read back the same in
 * every field dedup_check() and story_assign() look at. Then one log of such articles, wire
 * copies among them, is judged by two instances, each judging its own articles (the first
 * three quarters for one, the rest for the other) and the other's read back from their
 * records: the same verdicts, stories and headlines, and indexes of the same sizes.
 * (test_fprecord judges read-back articles against the originals; this one pins the layout
 * to the reference.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "judge.h"
#include "article.h"
#include "cluster/fprecord.h"
#include "dedup/dedup.h"
#include "dedup/dedup_internal.h"
#include "story/story.h"
#include "story/story_internal.h"
#include "util.h"

#define RANDOM_SEED 0x2545f4914f6cdd1dULL
#include "xorshift.h"

#define ARTICLES	300
#define NONE		UINT32_MAX

/* The reference writer: a byte at a time into a buffer grown as it goes. */
static void
ref_uint(struct buffer *out, uint64_t value, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		char byte = (char)(uint8_t)(value >> (8 * i));
		buffer_append(out, &byte, 1);
	}
}

static void
ref_string(struct buffer *out, const char *text)
{
	if (text == NULL) {
		ref_uint(out, NONE, 4);
		return;
	}
	ref_uint(out, strlen(text), 4);
	buffer_append(out, text, strlen(text));
}

static void
ref_story(struct buffer *out, const struct article *article)
{
	const struct story_features *features = article->story_features;

	ref_uint(out, (uint64_t)features->time, 8);
	ref_string(out, article->source_name ? article->source_name : article->source_domain ?
	    article->source_domain : article->feed_name);
	ref_string(out, article->title);
	ref_uint(out, article->entity_count, 4);
	for (size_t i = 0; i < article->entity_count; i++) {
		ref_string(out, article->entities[i].name);
		ref_string(out, article->entities[i].type);
		ref_uint(out, (uint32_t)article->entities[i].count, 4);
	}
	ref_uint(out, features->count, 4);
	for (uint32_t i = 0; i < features->count; i++) {
		ref_uint(out, features->items[i].key, 8);
		ref_uint(out, features->items[i].count, 2);
		ref_uint(out, features->items[i].salient, 2);
	}
}

static void
ref_encode(const struct dedup_hasher *hasher, const struct article *article, time_t when,
    struct buffer *out)
{
	const struct dedup_sketch *sketch = article->dedup_sketch;

	ref_uint(out, FPRECORD_MAGIC, 1);
	ref_uint(out, FPRECORD_VERSION, 1);
	ref_uint(out, article->story_features != NULL ? FPRECORD_STORY : 0, 1);
	ref_uint(out, (uint8_t)hasher->shingle_size, 1);
	ref_uint(out, (uint16_t)hasher->signature_size, 2);
	ref_uint(out, (uint16_t)hasher->bands, 2);
	ref_uint(out, (uint64_t)when, 8);
	ref_string(out, article->id);
	ref_string(out, article->feed_url);
	ref_uint(out, sketch->exact_hash, 8);
	ref_uint(out, sketch->word_count, 4);
	ref_uint(out, sketch->shingle_count, 4);
	buffer_append(out, (const char *)sketch->signature, hasher->signature_bytes);
	for (int i = 0; i < hasher->bands; i++)
		ref_uint(out, sketch->band_keys[i], 8);
	if (article->story_features != NULL)
		ref_story(out, article);
}

/* A word of random letters, some long (past the reader's 256-byte buffer). */
static char *
random_name(void)
{
	size_t length = next_random(10) == 0 ? 200 + next_random(400) : 3 + next_random(20);
	char *name = xmalloc(length + 1);

	for (size_t i = 0; i < length; i++)
		name[i] = (char)(i % 7 == 6 ? ' ' : 'a' + next_random(26));
	name[length] = '\0';
	return name;
}

static char *
random_text(size_t words)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < words; i++)
		buffer_printf(&out, "%sw%03u", i ? " " : "", next_random(900));
	return out.data;
}

static char *texts[ARTICLES + 1];	/* article i's text, for later copies of it */

static struct article *
make_article(int i, struct dedup_sketcher *sketcher, struct story_extractor *extractor)
{
	struct article *article = article_new();
	char id[40];

	snprintf(id, sizeof id, "%032x", (unsigned)i * 2654435761u);
	article_set(&article->id, id);
	if (i % 5 != 1)
		article_set(&article->feed_url, "http://127.0.0.1/feed.xml");
	if (i > 0 && i % 4 == 3 && texts[i - 3] != NULL && strlen(texts[i - 3]) > 40) {
		article->text = xstrdup(texts[i - 3]);	/* a wire copy, one word changed */
		memcpy(article->text + strlen(article->text) / 2, "zz", 2);
	} else
		article->text = random_text(next_random(4) == 0 ? next_random(5) :
		    20 + next_random(600));
	free(texts[i]);
	texts[i] = article->text != NULL ? xstrdup(article->text) : NULL;
	if (i % 4 != 2)
		article->title = random_text(1 + next_random(12));
	if (i % 3 == 0)
		article_set(&article->source_name, "Outlet One");
	else if (i % 3 == 1)
		article_set(&article->source_domain, "outlet.example");
	else if (i % 2 == 0)
		article_set(&article->feed_name, "The Feed");
	for (uint32_t e = next_random(12); e > 0; e--) {
		char *name = random_name();
		article_add_entity(article, name, next_random(3) == 0 ? NULL : "person",
		    1 + (int)next_random(5));
		free(name);
	}
	article->fetched = 1780000000 + i * 60;
	dedup_sketch_article(sketcher, article);
	if (i % 6 != 5)
		story_extract_article(extractor, article);
	return article;
}

static int
same_string(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* What the reader gives another instance: every field the judging looks at. */
static int
same_read(const struct article *a, const struct article *b, const struct dedup_hasher *hasher)
{
	const struct dedup_sketch *x = a->dedup_sketch, *y = b->dedup_sketch;
	const struct story_features *f = a->story_features, *g = b->story_features;

	if (!same_string(a->id, b->id) || !same_string(a->source_name, b->source_name) ||
	    !same_string(a->title, b->title) || a->entity_count != b->entity_count ||
	    x->exact_hash != y->exact_hash || x->word_count != y->word_count ||
	    x->shingle_count != y->shingle_count ||
	    memcmp(x->signature, y->signature, hasher->signature_bytes) != 0 ||
	    memcmp(x->band_keys, y->band_keys, (size_t)hasher->bands * sizeof *x->band_keys) != 0)
		return 0;
	for (size_t i = 0; i < a->entity_count; i++)
		if (!same_string(a->entities[i].name, b->entities[i].name) ||
		    !same_string(a->entities[i].type, b->entities[i].type) ||
		    a->entities[i].count != b->entities[i].count)
			return 0;
	if (f == NULL || g == NULL)
		return f == g;
	if (f->count != g->count || f->time != g->time)
		return 0;
	for (uint32_t i = 0; i < f->count; i++)
		if (f->items[i].key != g->items[i].key || f->items[i].count != g->items[i].count ||
		    f->items[i].salient != g->items[i].salient)
			return 0;
	return 1;
}

static struct article *
read_back(const void *value, size_t length, const struct dedup_hasher *hasher)
{
	struct fprecord record;
	struct article *article = NULL;

	if (fprecord_open(&record, value, length) == 0)
		article = fprecord_article(&record, hasher);
	fprecord_close(&record);
	return article;
}

/* The reference reader's article: the fields the record holds, as the writer had them (an
 * entity added without a type has article_add_entity's "other" on both sides). */
static int
read_as_written(const struct article *back, const struct article *article,
    const struct dedup_hasher *hasher)
{
	struct article expected = *article;
	int story = article->story_features != NULL;

	expected.source_name = !story ? NULL : article->source_name ? article->source_name :
	    article->source_domain ? article->source_domain : article->feed_name;
	expected.title = story ? article->title : NULL;
	expected.entity_count = story ? article->entity_count : 0;
	return same_read(back, &expected, hasher);
}

static void
test_records_are_the_reference_bytes_and_read_back_whole(void)
{
	struct dedup_config config;
	struct dedup_sketcher *sketcher;
	struct story_extractor *extractor = story_extractor_new();
	struct dedup_hasher hasher;
	int differ = 0, unread = 0, misread = 0, long_names = 0, without_story = 0, wide = 0;

	dedup_config_defaults(&config);
	sketcher = dedup_sketcher_new(&config);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	for (int i = 0; i < ARTICLES; i++) {
		struct article *article = make_article(i, sketcher, extractor), *back;
		struct buffer reference = { 0 };
		size_t length;
		uint8_t *value;

		/* counts and saliences over all 16 bits (the extractor's stay small) */
		for (uint32_t k = 0; i % 5 == 2 && article->story_features != NULL &&
		    k < article->story_features->count; k++, wide++) {
			article->story_features->items[k].count = (uint16_t)(i * 40503u + k * 977u);
			article->story_features->items[k].salient = (uint16_t)(k * 31337u ^ i);
		}
		value = fprecord_encode(&hasher, article, article->fetched + 5, &length);

		ref_encode(&hasher, article, article->fetched + 5, &reference);
		if (length != reference.length || memcmp(value, reference.data, length) != 0)
			differ++;
		back = read_back(value, length, &hasher);
		unread += back == NULL;
		if (back != NULL && !read_as_written(back, article, &hasher))
			misread++;
		for (size_t e = 0; e < article->entity_count; e++)
			long_names += strlen(article->entities[e].name) > 256;
		without_story += article->story_features == NULL;
		article_free(back);
		article_free(article);
		free(value);
		buffer_free(&reference);
	}
	CHECK(differ == 0);
	CHECK(unread == 0);
	CHECK(misread == 0);
	CHECK(long_names > 0);		/* the heap path of the entity reader ran */
	CHECK(without_story > 0);
	CHECK(wide > 0);
	dedup_hasher_free(&hasher);
	dedup_sketcher_free(sketcher);
	story_extractor_free(extractor);
}

/*
 * The log judged by the instance that wrote each record (its own article, parked) and by
 * another (the article read back from the record): the same verdicts and stories, the same
 * index sizes, and the same verdicts for articles judged after it (the indexes' state, as the
 * next record sees it).
 */
static void
test_own_and_read_back_articles_leave_the_same_indexes(void)
{
	struct dedup_config config;
	struct dedup_sketcher *sketcher;
	struct story_extractor *extractor = story_extractor_new();
	struct dedup_hasher hasher;
	struct judge own, other;
	int unread = 0;

	dedup_config_defaults(&config);
	sketcher = dedup_sketcher_new(&config);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	judge_open(&own);
	judge_open(&other);
	for (int i = 0; i < ARTICLES; i++) {
		struct article *article = make_article(i, sketcher, extractor), *back;
		time_t when = article->fetched + 5;
		size_t length;
		uint8_t *value = fprecord_encode(&hasher, article, when, &length);

		if ((back = read_back(value, length, &hasher)) != NULL)
			judge_article(i < ARTICLES * 3 / 4 ? &other : &own, back, when);
		unread += back == NULL;
		judge_article(i < ARTICLES * 3 / 4 ? &own : &other, article, when);
		article_free(back);
		article_free(article);
		free(value);
	}
	CHECK(unread == 0);
	CHECK_STR(other.verdicts.data, own.verdicts.data);
	CHECK(strstr(own.verdicts.data, "status=2") != NULL);	/* duplicates were judged */
	CHECK(dedup_size(own.dedup) == dedup_size(other.dedup));
	CHECK(story_count(own.stories) == story_count(other.stories));
	CHECK(story_count(own.stories) < (size_t)ARTICLES);	/* some joined */
	judge_close(&own);
	judge_close(&other);
	dedup_hasher_free(&hasher);
	dedup_sketcher_free(sketcher);
	story_extractor_free(extractor);
}

int
main(void)
{
	RUN(test_records_are_the_reference_bytes_and_read_back_whole);
	RUN(test_own_and_read_back_articles_leave_the_same_indexes);
	for (int i = 0; i <= ARTICLES; i++)
		free(texts[i]);
	return check_finish();
}
