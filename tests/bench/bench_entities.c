/*
 * bench_entities.c - the entities plugin's matching alone (plugins/entities, process_tokens),
 * its token stream built beforehand and not counted: each file named on the command line is
 * one article, its first line the title, the rest the text; every article's stream is built
 * (daemon/tokens.c, one stream, as on a worker), then the plugin is timed over it, in thread
 * CPU time, BENCH_ROUNDS rounds (default 20) in turn.  Prints entities and thread CPU time per
 * article.  The gazetteers are conf/gazetteers' (run from the repo root); the plugin is
 * build/plugins/entities.so, or $WIRESIFT_PLUGIN_DIR's.  Article files from a feed:
 *
 *   build/wiresift process FEED.xml | python3 -c 'import json,sys,os
 *   for n,l in enumerate(sys.stdin): a=json.loads(l); open("DIR/%05d"%n,"w").write(
 *       (a.get("title") or "").replace("\n"," ")+"\n"+(a.get("text") or ""))'
 *
 * For instruction counts run it under callgrind with
 * --toggle-collect=entities_process.  It measures; it asserts nothing about time.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "log.h"
#include "plugin_api.h"
#include "tokens.h"
#include "util.h"
#include "clock.h"

static const char *const gazetteer_paths[][2] = {
	{ "people", "conf/gazetteers/people.txt" },
	{ "organizations", "conf/gazetteers/organizations.txt" },
	{ "places", "conf/gazetteers/places.txt" },
	{ "other", "conf/gazetteers/other.txt" },
	{ "aliases", "conf/gazetteers/aliases.txt" },
};

/* An option of the plugin's state set as the host would (paths as given, bools yes). */
static void
option_set(void *state, const struct ws_option *option)
{
	char *field = (char *)state + option->offset;

	if (option->type == WS_OPTION_BOOL) {
		*(int *)field = 1;
		return;
	}
	for (size_t i = 0; i < sizeof(gazetteer_paths) / sizeof(gazetteer_paths[0]); i++)
		if (strcmp(option->name, gazetteer_paths[i][0]) == 0)
			*(char **)field = xstrdup(gazetteer_paths[i][1]);
}

/* The plugin loaded and its instance initialised; NULL after printing why not. */
static const struct ws_plugin *
entities_load(void **state)
{
	const char *dir = getenv("WIRESIFT_PLUGIN_DIR");
	char path[4096], error[512];
	const struct ws_plugin *(*entry)(void);
	const struct ws_plugin *plugin;
	void *handle;

	snprintf(path, sizeof(path), "%s/entities.so", dir != NULL ? dir : "build/plugins");
	if ((handle = dlopen(path, RTLD_NOW)) == NULL ||
	    (entry = (const struct ws_plugin *(*)(void))dlsym(handle, "ws_plugin_entry")) == NULL) {
		fprintf(stderr, "bench_entities: %s\n", dlerror());
		return NULL;
	}
	plugin = entry();
	*state = xcalloc(1, plugin->state_size);
	for (const struct ws_option *option = plugin->options; option->name != NULL; option++)
		option_set(*state, option);
	if (plugin->init(*state, error, sizeof(error)) == -1) {
		fprintf(stderr, "bench_entities: %s\n", error);
		return NULL;
	}
	return plugin;
}

/* An article file: title (first line) and text. */
static struct article *
article_read(const char *path)
{
	struct article *article;
	size_t size;
	char *data = file_read(path, &size), *newline;

	if (data == NULL) {
		fprintf(stderr, "bench_entities: cannot read %s\n", path);
		return NULL;
	}
	article = article_new();
	if ((newline = strchr(data, '\n')) != NULL)
		*newline = '\0';
	article_set(&article->title, data);
	article_set(&article->text, newline != NULL ? newline + 1 : "");
	free(data);
	return article;
}

int
main(int argc, char **argv)
{
	const char *rounds_text = getenv("BENCH_ROUNDS");
	int rounds = rounds_text != NULL ? atoi(rounds_text) : 20;
	struct token_stream *stream = token_stream_new();
	struct article **articles = xcalloc((size_t)argc, sizeof(*articles));
	const struct ws_plugin *plugin;
	size_t count = 0, entities = 0, tokens = 0;
	double elapsed = 0;
	void *state;

	log_init(LOG_LEVEL_WARNING);
	if ((plugin = entities_load(&state)) == NULL)
		return 1;
	for (int i = 1; i < argc; i++)
		if ((articles[count] = article_read(argv[i])) != NULL)
			count++;
	for (int round = 0; round < rounds; round++) {
		for (size_t i = 0; i < count; i++) {
			struct article *fresh = article_new(), *article = articles[i];
			const struct ws_tokens *view;
			double start;

			article_set(&fresh->title, article->title);
			article_set(&fresh->text, article->text);
			view = token_stream_build(stream, fresh->title, fresh->text);
			start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
			plugin->process_tokens(state, fresh, view);
			elapsed += clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start;
			if (round == 0) {
				entities += fresh->entity_count;
				tokens += view->title.count + view->text.count;
			}
			article_free(fresh);
		}
	}
	printf("entities articles=%zu tokens=%.1f entities=%.2f ns_per_article=%.0f\n", count,
	    (double)tokens / (double)(count ? count : 1),
	    (double)entities / (double)(count ? count : 1),
	    elapsed * 1e9 / ((double)(count ? count : 1) * (rounds > 0 ? rounds : 1)));
	plugin->fini(state);
	for (const struct ws_option *option = plugin->options; option->name != NULL; option++)
		if (option->type == WS_OPTION_PATH)
			free(*(char **)((char *)state + option->offset));	/* as the host does */
	free(state);
	for (size_t i = 0; i < count; i++)
		article_free(articles[i]);
	free(articles);
	token_stream_free(stream);
	return 0;
}
