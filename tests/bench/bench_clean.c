/*
 * bench_clean.c - the cost of every pipeline stage per article, on one core.
 *
 *   bench_clean CONFIG [ROUNDS]
 *
 * CONFIG is a wiresift.conf (make bench uses conf/demo/wiresift.conf, and one over generated
 * news-article-size feeds): its feeds list names the feeds whose items are the corpus (file://
 * URLs, read once), its [clean] rules, [dedup] and [plugin "NAME"] sections are loaded exactly
 * as the daemon loads them. Every round parses each feed again (fresh raw articles), attaches
 * the source as the daemon does, then runs the daemon's stages in its order: clean_article,
 * each plugin in config order (one chain, as the daemon's), the dedup sketch and the message without its verdict (the
 * workers' part; with [stories] on, the story features too, "story.features", read off the chain's token stream as on a worker), the dedup lookup against an in-memory index fresh each round, the whole
 * message and its produce into librdkafka (the loop's part: its headers, the message given to
 * the producer, not copied, as ingest/items.c gives it). Each stage is timed separately in
 * CPU time of this thread (fair on a shared machine); produce counts rd_kafka_producev on the
 * calling thread, not librdkafka's own threads nor the in-process broker (CONFIG's
 * bootstrap.servers must be empty). ROUNDS defaults to 300.
 *
 * Prints one line per stage for tests/bench/run.sh:
 *   stage name=clean articles=N seconds=S articles_per_s=X mb_per_s=Y us_per_article=U
 * MB/s counts the raw bytes the stage reads: the feed files for parse, the raw title, summary
 * and content HTML of the articles for the others. "clean+tag" is clean and the plugins,
 * "all" every stage after parse (story.features included); "tokens" is the ABI-2 token stream (tokens.c) built once more
 * on its own, for the figure: in the chain it is built in the first ABI-2 plugin's time. It
 * measures; it asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "clean/clean.h"
#include "config.h"
#include "dedup/dedup.h"
#include "log.h"
#include "pipeline.h"
#include "plugin.h"
#include "publish.h"
#include "story/story.h"
#include "tokens.h"
#include "util.h"
#include "feed/feed.h"
#include "clock.h"

#define MAX_STAGES	32

struct stage {
	const char	*name;
	double		 seconds;
	size_t		 articles;
	size_t		 bytes;
};

struct feed_source {
	const struct feed_config *feed;
	char		*data;
	size_t		 size;
};

struct article_batch {
	struct article	**items;
	size_t		  count;
	size_t		  capacity;
};

static size_t
length_or_zero(const char *text)
{
	return text != NULL ? strlen(text) : 0;
}

static size_t
raw_bytes(const struct article *article)
{
	return length_or_zero(article->title_raw) + length_or_zero(article->summary_html) +
	    length_or_zero(article->content_html);
}

static int
collect_item(struct article *item, void *context)
{
	struct article_batch *batch = context;

	if (batch->count == batch->capacity) {
		batch->capacity = batch->capacity ? batch->capacity * 2 : 64;
		batch->items = xrealloc(batch->items, batch->capacity * sizeof(*batch->items));
	}
	batch->items[batch->count++] = item;
	return 0;
}

/* Reads every feed of the config that is a file:// URL; returns how many. */
static size_t
read_feeds(const struct config *config, struct feed_source *sources)
{
	size_t count = 0;

	for (size_t i = 0; i < config->feed_count; i++) {
		const char *url = config->feeds[i].url;

		if (strncmp(url, "file://", 7) != 0)
			continue;
		if ((sources[count].data = file_read(url + 7, &sources[count].size)) == NULL) {
			perror(url + 7);
			continue;
		}
		sources[count++].feed = &config->feeds[i];
	}
	return count;
}

/* Parse one feed into batch; the parse stage is charged with the feed's bytes. */
static void
parse_feed(const struct feed_source *source, struct article_batch *batch, struct stage *parse)
{
	struct feed_meta meta;
	char error[256];
	size_t before = batch->count;
	double started = clock_seconds(CLOCK_THREAD_CPUTIME_ID);

	memset(&meta, 0, sizeof(meta));
	if (feed_parse(source->data, source->size, source->feed->url, NULL, &meta, collect_item,
	    batch, error, sizeof(error)) != 0)
		fprintf(stderr, "bench_clean: %s: %s\n", source->feed->url, error);
	parse->seconds += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started;
	parse->articles += batch->count - before;
	parse->bytes += source->size;
	for (size_t i = before; i < batch->count; i++)
		pipeline_attach_source(batch->items[i], source->feed, source->feed->url);
	feed_meta_free(&meta);
}

static void
print_stage(const struct stage *stage)
{
	double seconds = stage->seconds > 1e-9 ? stage->seconds : 1e-9;

	printf("stage name=%s articles=%zu seconds=%.3f articles_per_s=%.0f mb_per_s=%.1f "
	    "us_per_article=%.2f\n", stage->name, stage->articles, stage->seconds,
	    (double)stage->articles / seconds, (double)stage->bytes / 1e6 / seconds,
	    stage->articles ? stage->seconds * 1e6 / (double)stage->articles : 0.0);
}

/* Charge the CPU time since *mark to stage, for one article of `bytes`; move the mark. */
static void
charge(struct stage *stage, double *mark, size_t bytes)
{
	double now = clock_seconds(CLOCK_THREAD_CPUTIME_ID);

	stage->seconds += now - *mark;
	stage->articles++;
	stage->bytes += bytes;
	*mark = now;
}

static void
on_delivery(void *message_context, const struct delivery_report *report, void *context)
{
}

/* The stages after the plugins, as the daemon runs them: sketch and message on a worker,
 * lookup, message and produce on the loop. stage[0] is the sketch, then 4 more. */
static void
dedup_and_publish(struct article *article, const struct ws_tokens *tokens,
    struct dedup_sketcher *sketcher, struct dedup_index *index, struct publisher *publisher,
    const char *topic, struct stage *stage, size_t bytes)
{
	double mark = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	char *json, *headers;

	/* off the chain's tokens where they are of the text, as on a worker (pipeline.c) */
	dedup_sketch_article_tokens(sketcher, article, tokens);
	charge(&stage[0], &mark, bytes);
	article->json_without_dedup = article_json_without_dedup(article);
	charge(&stage[1], &mark, bytes);
	dedup_check(index, article, article->fetched);
	charge(&stage[2], &mark, bytes);
	json = article_to_json(article);
	charge(&stage[3], &mark, bytes);
	headers = publisher_headers_for(article);	/* as ingest/items.c gives it, one topic */
	if (publisher_send_owned(publisher, topic, article->id, json, strlen(json), headers,
	    NULL) != 0)
		free(json);
	free(headers);
	charge(&stage[4], &mark, bytes);
}

int
main(int argc, char **argv)
{
	struct feed_source sources[256];
	struct plugin_chain *chain;
	struct token_stream *stream = token_stream_new();
	struct stage stages[MAX_STAGES + 10];
	struct dedup_sketcher *sketcher;
	struct story_extractor *extractor;
	struct publisher *publisher;
	struct article_batch batch = { 0 };
	struct clean_rules *rules;
	struct config *config;
	char error[512];
	size_t source_count, plugin_count, kept = 0, after_plugins;
	int rounds;

	malloc_tune();	/* this bench runs on glibc's malloc (the daemon links jemalloc) */

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_clean CONFIG [ROUNDS]\n");
		return 2;
	}
	rounds = argc == 3 ? atoi(argv[2]) : 300;
	if (rounds < 1)
		rounds = 1;
	log_init(LOG_LEVEL_ERROR);
	if ((config = config_load(argv[1], error, sizeof(error))) == NULL) {
		fprintf(stderr, "bench_clean: %s\n", error);
		return 1;
	}
	if ((rules = clean_rules_load(config->rules_file, error, sizeof(error))) == NULL) {
		fprintf(stderr, "bench_clean: %s\n", error);
		return 1;
	}
	plugin_count = config->plugin_count < MAX_STAGES ? config->plugin_count : MAX_STAGES;
	memset(stages, 0, sizeof(stages));
	stages[0].name = "parse";
	stages[1].name = "clean";
	/* One chain, as the daemon has, whose plugins are run one by one to time each. */
	if ((chain = plugin_chain_load(config->plugins, plugin_count, config->plugin_dir, error,
	    sizeof(error))) == NULL) {
		fprintf(stderr, "bench_clean: %s\n", error);
		return 1;
	}
	for (size_t i = 0; i < plugin_count; i++)
		stages[2 + i].name = config->plugins[i].name;
	after_plugins = 2 + plugin_count;
	stages[after_plugins].name = "dedup.sketch";
	stages[after_plugins + 1].name = "message.build";
	stages[after_plugins + 2].name = "dedup.lookup";
	stages[after_plugins + 3].name = "message.finish";
	stages[after_plugins + 4].name = "produce";
	stages[after_plugins + 5].name = "clean+tag";
	stages[after_plugins + 6].name = "all";
	stages[after_plugins + 7].name = "tokens";	/* within the first ABI-2 plugin's */
	stages[after_plugins + 8].name = "story.features";
	extractor = config->stories.enabled ? story_extractor_new() : NULL;
	sketcher = dedup_sketcher_new(&config->dedup);
	if ((publisher = publisher_open(config, NULL, on_delivery, NULL, error,
	    sizeof(error))) == NULL) {
		fprintf(stderr, "bench_clean: %s\n", error);
		return 1;
	}
	if ((source_count = read_feeds(config, sources)) == 0) {
		fprintf(stderr, "bench_clean: no file:// feeds in %s\n", argv[1]);
		return 1;
	}

	for (int round = 0; round < rounds; round++) {
		struct dedup_index *index = dedup_open(&config->dedup, error, sizeof(error));

		if (index == NULL) {
			fprintf(stderr, "bench_clean: %s\n", error);
			return 1;
		}
		batch.count = 0;
		for (size_t i = 0; i < source_count; i++)
			parse_feed(&sources[i], &batch, &stages[0]);
		for (size_t i = 0; i < batch.count; i++) {
			struct article *article = batch.items[i];
			size_t bytes = raw_bytes(article);
			double started = clock_seconds(CLOCK_THREAD_CPUTIME_ID), mark = started;

			article->fetched = 1780000000;
			if (clean_article(article, rules, NULL, NULL) != 0) {
				stages[1].seconds += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - started;
				article_free(article);
				continue;
			}
			charge(&stages[1], &mark, bytes);
			plugin_chain_begin(chain);
			for (size_t p = 0; p < plugin_count; p++) {
				plugin_chain_process_one(chain, p, article);
				charge(&stages[2 + p], &mark, bytes);
			}
			charge(&stages[after_plugins + 5], &started, bytes);
			/* The token stream alone (again, on a stream of its own): for the figure. */
			mark = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
			token_stream_build(stream, article->title, article->text);
			charge(&stages[after_plugins + 7], &mark, bytes);
			if (extractor != NULL) {
				/* on a worker, after the sketch, off the chain's tokens (pipeline.c) */
				mark = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
				story_extract_article_tokens(extractor, article,
				    plugin_chain_tokens(chain));
				charge(&stages[after_plugins + 8], &mark, bytes);
			}
			dedup_and_publish(article, plugin_chain_tokens(chain), sketcher, index,
			    publisher, config->topic_articles, &stages[after_plugins], bytes);
			if (round == 0 && article->word_count > 0)
				kept++;
			article_free(article);
		}
		publisher_flush(publisher, 10000);
		dedup_close(index);
	}
	for (size_t i = 1; i < after_plugins + 5; i++)
		stages[after_plugins + 6].seconds += stages[i].seconds;
	stages[after_plugins + 6].seconds += stages[after_plugins + 8].seconds;
	stages[after_plugins + 6].articles = stages[1].articles;
	stages[after_plugins + 6].bytes = stages[1].bytes;

	printf("corpus config=%s feeds=%zu articles_per_round=%zu with_text=%zu rounds=%d "
	    "plugins=%zu\n", argv[1], source_count, stages[0].articles / (size_t)rounds, kept,
	    rounds, plugin_count);
	for (size_t i = 0; i < after_plugins + 8 + (extractor != NULL); i++)
		print_stage(&stages[i]);
	publisher_close(publisher);
	dedup_sketcher_free(sketcher);
	story_extractor_free(extractor);

	plugin_chain_free(chain);
	token_stream_free(stream);
	for (size_t i = 0; i < source_count; i++)
		free(sources[i].data);
	free(batch.items);
	clean_rules_free(rules);
	config_free(config);
	return stages[1].articles > 0 ? 0 : 1;
}
