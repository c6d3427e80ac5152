/*
 * bench_clean.c - clean + tag throughput per core, stage by stage.
 *
 *   bench_clean CONFIG [ROUNDS]
 *
 * CONFIG is a wiresift.conf (make bench uses conf/demo/wiresift.conf): its feeds list names the
 * feeds whose items are the corpus (file:// URLs, read once), its [clean] rules and its
 * [plugin "NAME"] sections are loaded exactly as the daemon loads them. Every round parses each
 * feed again (fresh raw articles), attaches the source as the daemon does, then runs
 * clean_article and each plugin in config order, timing every stage separately in CPU time of
 * this process (fair on a shared machine). ROUNDS defaults to 300.
 *
 * Prints one line per stage for tests/bench/run.sh:
 *   stage name=clean articles=N seconds=S articles_per_s=X mb_per_s=Y
 * MB/s counts the raw bytes the stage reads: the feed files for parse, the raw title, summary
 * and content HTML of the articles for the others. It measures; it asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "clean/clean.h"
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "plugin.h"
#include "util.h"
#include "feed/feed.h"

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

static double
cpu_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

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
	double started = cpu_seconds();

	memset(&meta, 0, sizeof(meta));
	if (feed_parse(source->data, source->size, source->feed->url, NULL, &meta, collect_item,
	    batch, error, sizeof(error)) != 0)
		fprintf(stderr, "bench_clean: %s: %s\n", source->feed->url, error);
	parse->seconds += cpu_seconds() - started;
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

	printf("stage name=%s articles=%zu seconds=%.3f articles_per_s=%.0f mb_per_s=%.1f\n",
	    stage->name, stage->articles, stage->seconds, (double)stage->articles / seconds,
	    (double)stage->bytes / 1e6 / seconds);
}

int
main(int argc, char **argv)
{
	struct feed_source sources[256];
	struct plugin_chain *chains[MAX_STAGES];
	struct stage stages[MAX_STAGES + 3];
	struct article_batch batch = { 0 };
	struct clean_rules *rules;
	struct config *config;
	char error[512];
	size_t source_count, plugin_count, kept = 0;
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
	for (size_t i = 0; i < plugin_count; i++) {
		/* One chain per plugin, so each is timed on its own, in config order. */
		if ((chains[i] = plugin_chain_load(&config->plugins[i], 1, config->plugin_dir, error,
		    sizeof(error))) == NULL) {
			fprintf(stderr, "bench_clean: %s\n", error);
			return 1;
		}
		stages[2 + i].name = config->plugins[i].name;
	}
	stages[2 + plugin_count].name = "clean+tag";
	if ((source_count = read_feeds(config, sources)) == 0) {
		fprintf(stderr, "bench_clean: no file:// feeds in %s\n", argv[1]);
		return 1;
	}

	for (int round = 0; round < rounds; round++) {
		batch.count = 0;
		for (size_t i = 0; i < source_count; i++)
			parse_feed(&sources[i], &batch, &stages[0]);
		for (size_t i = 0; i < batch.count; i++) {
			struct article *article = batch.items[i];
			size_t bytes = raw_bytes(article);
			double started = cpu_seconds(), after_clean;

			if (clean_article(article, rules, NULL, NULL) != 0) {
				stages[1].seconds += cpu_seconds() - started;
				article_free(article);
				continue;
			}
			after_clean = cpu_seconds();
			stages[1].seconds += after_clean - started;
			stages[1].articles++;
			stages[1].bytes += bytes;
			for (size_t p = 0; p < plugin_count; p++) {
				double plugin_started = cpu_seconds();

				plugin_chain_process(chains[p], article);
				stages[2 + p].seconds += cpu_seconds() - plugin_started;
				stages[2 + p].articles++;
				stages[2 + p].bytes += bytes;
			}
			stages[2 + plugin_count].seconds += cpu_seconds() - started;
			stages[2 + plugin_count].articles++;
			stages[2 + plugin_count].bytes += bytes;
			if (round == 0 && article->word_count > 0)
				kept++;
			article_free(article);
		}
	}

	printf("corpus config=%s feeds=%zu articles_per_round=%zu with_text=%zu rounds=%d "
	    "plugins=%zu\n", argv[1], source_count, stages[0].articles / (size_t)rounds, kept,
	    rounds, plugin_count);
	for (size_t i = 0; i < plugin_count + 3; i++)
		print_stage(&stages[i]);

	for (size_t i = 0; i < plugin_count; i++)
		plugin_chain_free(chains[i]);
	for (size_t i = 0; i < source_count; i++)
		free(sources[i].data);
	free(batch.items);
	clean_rules_free(rules);
	config_free(config);
	return stages[1].articles > 0 ? 0 : 1;
}
