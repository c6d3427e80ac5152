/*
 * bench_fprecord.c - what cluster mode's loop thread pays per fingerprint record
 * (daemon/cluster/fprecord.c) beside judging: writing an article's record when it is parked,
 * and reading another instance's record back into an article (fprecord_open, then
 * fprecord_article, then article_free), on article-size items (250-450 words of a 3,000-word
 * vocabulary, 4-14 entities: records of 2-4 KB, as the articles corpus gives). For scale it
 * also judges the read-back articles (dedup_check and story_assign into fresh indexes), which
 * is what every instance does with every other instance's record. Prints microseconds per
 * record, best of five rounds; asserts nothing about time. For instruction counts run it under
 * callgrind with one stage:
 *
 *   bench_fprecord [encode|read|judge|all] [RECORDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "cluster/fprecord.h"
#include "clock.h"
#include "dedup/dedup.h"
#include "dedup/dedup_internal.h"
#include "story/story.h"
#include "util.h"

#define VOCABULARY	3000
#define ROUNDS		5

static uint64_t state = 0x9e3779b97f4a7c15ULL;

static uint32_t
next_random(uint32_t bound)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t)(state % bound);
}

static char *
random_text(size_t words)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < words; i++)
		buffer_printf(&out, "%sw%04u", i ? " " : "", next_random(VOCABULARY));
	return out.data;
}

static struct article *
make_article(int i, struct dedup_sketcher *sketcher, struct story_extractor *extractor)
{
	struct article *article = article_new();
	char id[40], name[40];

	snprintf(id, sizeof id, "%032x", (unsigned)i * 2654435761u);
	article_set(&article->id, id);
	article_set(&article->feed_url, "http://127.0.0.1:8080/feeds/articles-0042.xml");
	article->text = random_text(250 + next_random(200));
	article->title = random_text(6 + next_random(8));
	article_set(&article->source_name, i % 2 ? "Outlet One" : "Outlet Two");
	for (uint32_t e = 4 + next_random(10); e > 0; e--) {
		snprintf(name, sizeof name, "Entity Name %u", next_random(200));
		article_add_entity(article, name, e % 3 ? "person" : "place", 1 + (int)e % 4);
	}
	article->fetched = 1780000000 + i * 60;
	dedup_sketch_article(sketcher, article);
	story_extract_article(extractor, article);
	return article;
}

struct corpus {
	struct dedup_hasher	 hasher;
	struct article		**articles;
	uint8_t			**values;
	size_t			*lengths;
	int			 count;
};

static double
encode_round(struct corpus *corpus)
{
	double started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);

	for (int i = 0; i < corpus->count; i++) {
		free(corpus->values[i]);
		corpus->values[i] = fprecord_encode(&corpus->hasher, corpus->articles[i],
		    corpus->articles[i]->fetched, &corpus->lengths[i]);
	}
	return clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started;
}

/* Each record read back as another instance's; judged into fresh indexes when judge. */
static double
read_round(struct corpus *corpus, int judge)
{
	struct dedup_config dedup;
	struct story_config stories;
	struct dedup_index *index;
	struct story_index *story_index;
	char error[256];
	double started;

	dedup_config_defaults(&dedup);
	story_config_defaults(&stories);
	index = dedup_open(&dedup, error, sizeof error);
	story_index = story_open(&stories, error, sizeof error);
	started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < corpus->count; i++) {
		struct fprecord record;
		struct article *article = NULL;

		if (fprecord_open(&record, corpus->values[i], corpus->lengths[i]) == 0)
			article = fprecord_article(&record, &corpus->hasher);
		if (article != NULL && judge) {
			dedup_check(index, article, record.time);
			story_assign(story_index, article);
		}
		fprecord_close(&record);
		article_free(article);
	}
	started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started;
	dedup_close(index);
	story_close(story_index);
	return started;
}

static double
best_of(struct corpus *corpus, const char *stage)
{
	double best = 1e9;

	for (int round = 0; round < ROUNDS; round++) {
		double seconds = strcmp(stage, "encode") == 0 ? encode_round(corpus) :
		    read_round(corpus, strcmp(stage, "judge") == 0);
		if (seconds < best)
			best = seconds;
	}
	return best / corpus->count * 1e6;
}

int
main(int argc, char **argv)
{
	const char *stage = argc > 1 ? argv[1] : "all";
	struct corpus corpus = { .count = argc > 2 ? atoi(argv[2]) : 2000 };
	struct dedup_config config;
	struct dedup_sketcher *sketcher;
	struct story_extractor *extractor = story_extractor_new();
	size_t bytes = 0;

	dedup_config_defaults(&config);
	sketcher = dedup_sketcher_new(&config);
	dedup_hasher_init(&corpus.hasher, config.shingle_size, config.signature_size,
	    config.bands);
	corpus.articles = xcalloc((size_t)corpus.count, sizeof *corpus.articles);
	corpus.values = xcalloc((size_t)corpus.count, sizeof *corpus.values);
	corpus.lengths = xcalloc((size_t)corpus.count, sizeof *corpus.lengths);
	for (int i = 0; i < corpus.count; i++)
		corpus.articles[i] = make_article(i, sketcher, extractor);
	encode_round(&corpus);
	for (int i = 0; i < corpus.count; i++)
		bytes += corpus.lengths[i];
	printf("fprecord.records count=%d bytes_per_record=%zu\n", corpus.count,
	    bytes / (size_t)corpus.count);
	for (int s = 0; s < 3; s++) {
		const char *name = (const char *[]){ "encode", "read", "judge" }[s];
		if (strcmp(stage, "all") == 0 || strcmp(stage, name) == 0)
			printf("fprecord.%s us_per_record=%.3f\n", name, best_of(&corpus, name));
	}
	for (int i = 0; i < corpus.count; i++) {
		article_free(corpus.articles[i]);
		free(corpus.values[i]);
	}
	free(corpus.articles);
	free(corpus.values);
	free(corpus.lengths);
	dedup_hasher_free(&corpus.hasher);
	dedup_sketcher_free(sketcher);
	story_extractor_free(extractor);
	return 0;
}
