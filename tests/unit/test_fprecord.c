/*
 * test_fprecord.c - the records of cluster mode's fingerprints topic (daemon/cluster/
 * fprecord.c). What matters is that an instance judging another's article from its record
 * takes the decision the sender takes on the article itself: a stream of generated articles
 * (near copies among them, stories of several articles) is judged three ways - on the
 * articles as the workers made them, on the articles read back from binary records, and read
 * back from JSON records as the version before wrote them (the writer below is that
 * version's) - and every dedup verdict and story must be the same. Then records cut short,
 * of other [dedup] sizes, or of neither layout are refused, never read past their end.
 */
#include <inttypes.h>
#include <jansson.h>
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

#define RANDOM_SEED 0x9e3779b97f4a7c15ULL
#include "xorshift.h"

#define ARTICLES	240

static const char *const words[] = {
	"harbour", "tanker", "council", "budget", "storm", "river", "bridge", "school",
	"minister", "election", "court", "trial", "vaccine", "hospital", "strike", "rail",
	"airport", "flood", "fire", "market", "shares", "bank", "rates", "housing", "farm",
	"drought", "police", "protest", "museum", "festival", "match", "league", "coach",
	"record", "talks", "treaty", "border", "port", "ferry", "power", "grid", "wind",
};
static const struct entity people[] = {
	{ "Ines Vale", "person", 2 }, { "Marlow Bay", "place", 3 }, { "Tarn Council", NULL, 1 },
	{ "Oskar Lind", "person", 1 }, { "Northgate", "place", 2 }, { "Ferro Rail", "organization", 4 },
};

static char *
random_words(size_t count)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < count; i++)
		buffer_printf(&out, "%s%s", i ? " " : "", words[next_random(sizeof words /
		    sizeof words[0])]);
	return out.data;
}

/* Article i: a fresh text, or (one in three) a copy of an earlier one with a word changed. */
static struct article *
make_article(int i, char **texts, struct dedup_sketcher *sketcher,
    struct story_extractor *extractor)
{
	struct article *article = article_new();
	char id[40];

	snprintf(id, sizeof id, "%032x", (unsigned)i * 2654435761u);
	article_set(&article->id, id);
	article_set(&article->feed_url, "http://127.0.0.1/feed.xml");
	if (i > 0 && i % 3 == 0) {
		texts[i] = xstrdup(texts[next_random((uint32_t)i)]);
		memcpy(texts[i] + strlen(texts[i]) / 2, "zz", 2);
	} else
		texts[i] = random_words(30 + next_random(120));
	article_set(&article->text, texts[i]);
	article->title = random_words(3 + next_random(6));
	article_set(&article->source_name, i % 2 ? "Outlet One" : "Outlet Two");
	for (uint32_t e = next_random(4); e > 0; e--) {
		const struct entity *entity = &people[next_random(sizeof people / sizeof people[0])];
		article_add_entity(article, entity->name, entity->type, entity->count);
	}
	article->fetched = 1780000000 + i * 600;
	dedup_sketch_article(sketcher, article);
	story_extract_article(extractor, article);
	return article;
}

/* The version before's writer of a record (JSON), kept here to read what it left in a topic. */
static char *
json_record(const struct dedup_hasher *hasher, const struct article *article, time_t when)
{
	const struct dedup_sketch *sketch = article->dedup_sketch;
	const struct story_features *features = article->story_features;
	char *signature = xmalloc(hasher->signature_bytes * 2 + 1), hex[17], *value;
	json_t *bands = json_array(), *items = json_array(), *entities = json_array(), *record;

	hex_encode(sketch->signature, hasher->signature_bytes, signature);
	for (int i = 0; i < hasher->bands; i++) {
		snprintf(hex, sizeof hex, "%016" PRIx64, sketch->band_keys[i]);
		json_array_append_new(bands, json_string(hex));
	}
	for (uint32_t i = 0; i < features->count; i++) {
		snprintf(hex, sizeof hex, "%016" PRIx64, features->items[i].key);
		json_array_append_new(items, json_pack("[s,i,i]", hex,
		    (int)features->items[i].count, (int)features->items[i].salient));
	}
	for (size_t i = 0; i < article->entity_count; i++)
		json_array_append_new(entities, json_pack("[s,s?,i]", article->entities[i].name,
		    article->entities[i].type, article->entities[i].count));
	snprintf(hex, sizeof hex, "%016" PRIx64, sketch->exact_hash);
	record = json_pack("{s:s, s:s?, s:I, s:[i,i,i], s:s, s:I, s:I, s:s, s:o, s:{s:I, s:o, "
	    "s:s?, s:s?, s:o}}", "id", article->id, "feed", article->feed_url, "time",
	    (json_int_t)when, "sketch", hasher->shingle_size, hasher->signature_size,
	    hasher->bands, "exact", hex, "words", (json_int_t)sketch->word_count, "shingles",
	    (json_int_t)sketch->shingle_count, "signature", signature, "bands", bands, "story",
	    "time", (json_int_t)features->time, "items", items, "outlet", article->source_name,
	    "title", article->title, "entities", entities);
	value = json_dumps(record, JSON_COMPACT);
	json_decref(record);
	free(signature);
	return value;
}

/* value read back as another instance's candidate, or NULL. */
static struct article *
read_back(const void *value, size_t length, const struct dedup_hasher *hasher,
    const char *id, time_t when)
{
	struct fprecord record;
	struct article *article = NULL;

	if (fprecord_open(&record, value, length) == 0 && strcmp(record.id, id) == 0 &&
	    record.time == when)
		article = fprecord_article(&record, hasher);
	fprecord_close(&record);
	return article;
}

static void
test_read_back_records_are_judged_as_their_articles(void)
{
	struct dedup_config config;
	struct dedup_sketcher *sketcher;
	struct story_extractor *extractor = story_extractor_new();
	struct dedup_hasher hasher;
	struct judge direct, binary, json;
	char *texts[ARTICLES];
	int duplicates = 0, joined = 0, unread = 0;

	dedup_config_defaults(&config);
	sketcher = dedup_sketcher_new(&config);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	judge_open(&direct);
	judge_open(&binary);
	judge_open(&json);
	for (int i = 0; i < ARTICLES; i++) {
		struct article *article = make_article(i, texts, sketcher, extractor), *back;
		time_t when = article->fetched + 5;
		size_t length;
		uint8_t *value = fprecord_encode(&hasher, article, when, &length);
		char *text = json_record(&hasher, article, when);

		if ((back = read_back(value, length, &hasher, article->id, when)) != NULL)
			judge_article(&binary, back, when);
		unread += back == NULL;
		article_free(back);
		if ((back = read_back(text, strlen(text), &hasher, article->id, when)) != NULL)
			judge_article(&json, back, when);
		unread += back == NULL;
		article_free(back);
		judge_article(&direct, article, when);
		duplicates += article->dedup.status == DEDUP_DUPLICATE;
		joined += article->story.size > 1;
		article_free(article);
		free(value);
		free(text);
	}
	CHECK(unread == 0);
	if (unread == 0) {	/* one line an article, in the same order */
		CHECK_STR(binary.verdicts.data, direct.verdicts.data);
		CHECK_STR(json.verdicts.data, direct.verdicts.data);
	}
	CHECK(duplicates >= ARTICLES / 6);	/* the copies were judged, not only uniques */
	CHECK(joined > 0);
	judge_close(&direct);
	judge_close(&binary);
	judge_close(&json);
	for (int i = 0; i < ARTICLES; i++)
		free(texts[i]);
	dedup_hasher_free(&hasher);
	dedup_sketcher_free(sketcher);
	story_extractor_free(extractor);
}

static void
test_short_foreign_and_other_sized_records_are_refused(void)
{
	struct dedup_config config;
	struct dedup_sketcher *sketcher;
	struct story_extractor *extractor = story_extractor_new();
	struct dedup_hasher hasher, other;
	char *texts[2];
	struct article *article, *back;
	struct fprecord record;
	uint8_t *value;
	size_t length;
	int read_short = 0;

	dedup_config_defaults(&config);
	sketcher = dedup_sketcher_new(&config);
	dedup_hasher_init(&hasher, config.shingle_size, config.signature_size, config.bands);
	dedup_hasher_init(&other, config.shingle_size, config.signature_size, config.bands / 2);
	article = make_article(1, texts, sketcher, extractor);
	value = fprecord_encode(&hasher, article, 1780000000, &length);
	CHECK(value[0] == FPRECORD_MAGIC && value[1] == FPRECORD_VERSION);
	/* Every cut is refused, read in a buffer of its length (ASan sees a read past it). */
	for (size_t cut = 0; cut < length; cut++) {
		uint8_t *copy = xmalloc(cut > 0 ? cut : 1);	/* no byte past the cut */
		memcpy(copy, value, cut);
		if ((back = read_back(copy, cut, &hasher, article->id, 1780000000)) != NULL)
			read_short++;
		article_free(back);
		free(copy);
	}
	CHECK(read_short == 0);
	back = read_back(value, length, &hasher, article->id, 1780000000);
	CHECK(back != NULL && back->story_features != NULL && back->entity_count ==
	    article->entity_count);
	article_free(back);
	CHECK(read_back(value, length, &other, article->id, 1780000000) == NULL);
	CHECK(fprecord_open(&record, "[1,2]", 5) < 0);
	fprecord_close(&record);
	value[1] = FPRECORD_VERSION + 1;
	CHECK(fprecord_open(&record, value, length) < 0);
	fprecord_close(&record);
	free(value);
	free(texts[1]);
	article_free(article);
	dedup_hasher_free(&hasher);
	dedup_hasher_free(&other);
	dedup_sketcher_free(sketcher);
	story_extractor_free(extractor);
}

int
main(void)
{
	RUN(test_read_back_records_are_judged_as_their_articles);
	RUN(test_short_foreign_and_other_sized_records_are_refused);
	return check_finish();
}
