/*
 * test_plugins.c - the plugin host (daemon/plugin.c): loading errors (missing .so, ABI and
 * name mismatch, unknown and ill-typed options, failed init), ABI 1 and ABI 2 plugins in one
 * chain, a failing plugin that lets the article go on, a slow one bypassed; then the way
 * worker threads use them: several threads, each with its own rule set and plugin instances,
 * clean and tag the same articles at the same time and must get exactly what one thread
 * gets.  Each shipped plugin's tags are test_plugin_tags.c's.
 *
 * Plugins are loaded from $WIRESIFT_PLUGIN_DIR (this build's plugins when unset: plugin_dir.h); their data files
 * from conf/.  Runs from the repo root.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plugin_dir.h"
#include "plugin_sections.h"
#include "article.h"
#include "clean/clean.h"
#include "log.h"
#include "plugin.h"
#include "util.h"
#include "feed/feed.h"

static char fixture_dir[PATH_MAX];		/* runtime-built test plugins, or "" */

/* ---- host errors ---- */

static void
test_missing_plugin(void)
{
	struct section section;
	char error[512];

	section_init(&section, "nosuchplugin", 3, NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":3: plugin nosuchplugin: cannot load ");
	CHECK_CONTAINS(error, "nosuchplugin.so");
}

static void
test_unknown_option(void)
{
	struct section section;
	char error[512];

	section_init(&section, "lang", 6, "min_chars", "10", "colour", "blue", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_STR(error, CONFIG_FILE ":8: plugin lang: unknown option colour");
}

static void
test_bad_option_values(void)
{
	struct section section;
	char error[512];

	section_init(&section, "keywords", 10, "top", "ten", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":11: plugin keywords: option top: invalid integer");
	CHECK_CONTAINS(error, "\"ten\"");

	section_init(&section, "entities", 20, "detect_unknown", "maybe", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":21: plugin entities: option detect_unknown");

	section_init(&section, "topics", 30, "min_relative", "0.5x", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":31: plugin topics: option min_relative");

	section_init(&section, "topics", 30, "max_topics", "99999999999999999999999", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, "option max_topics");
}

static void
test_init_failure(void)
{
	struct section section;
	char error[512];

	section_init(&section, "entities", 40, "people", "gazetteers/no-such-file.txt", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":40: plugin entities: init failed: ");
	CHECK_CONTAINS(error, "conf/gazetteers/no-such-file.txt");

	section_init(&section, "lang", 50, "languages", "xx", NULL);
	CHECK(load_sections(&section, 1, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":50: plugin lang: init failed: no language");
}

/* Write TEXT to fixture_dir/NAME.c and build it into NAME.so with cc.  0 on success. */
static int
fixture_compile(const char *name, const char *text)
{
	char source[PATH_MAX + 16], command[4 * PATH_MAX];
	FILE *file;

	snprintf(source, sizeof(source), "%s/%s.c", fixture_dir, name);
	if ((file = fopen(source, "w")) == NULL)
		return -1;
	fputs(text, file);
	if (fclose(file) != 0)
		return -1;
	snprintf(command, sizeof(command),
	    "cc -std=c11 -shared -fPIC -Idaemon -o %s/%s.so %s 2>/dev/null", fixture_dir, name,
	    source);
	return system(command) == 0 ? 0 : -1;
}

/*
 * A throwaway plugin NAME.so claiming abi ABI and name CLAIMED, whose process returns
 * RESULT.  0 on success.
 */
static int
fixture_build(const char *name, unsigned abi, const char *claimed, int result)
{
	char text[1024];

	snprintf(text, sizeof(text),
	    "#include \"plugin_api.h\"\n"
	    "static int process(void *s, struct article *a) { (void)s; (void)a; return %d; }\n"
	    "static const struct ws_plugin p = { %u, \"%s\", \"test fixture\", 0, 0, 0,"
	    " process, 0 };\n"
	    "const struct ws_plugin *ws_plugin_entry(void) { return &p; }\n",
	    result, abi, claimed);
	return fixture_compile(name, text);
}

/* A plugin that takes 30 ms an article and marks it (lang_code "sl"): over any small budget. */
static int
fixture_build_slow(void)
{
	return fixture_compile("slow",
	    "#define _GNU_SOURCE\n#include <time.h>\n#include \"plugin_api.h\"\n"
	    "static int process(void *s, struct article *a) { (void)s;\n"
	    "  struct timespec t = { 0, 30000000 }; nanosleep(&t, 0);\n"
	    "  a->lang_code[0] = 's'; a->lang_code[1] = 'l'; a->lang_code[2] = 0; return 0; }\n"
	    "static const struct ws_plugin p = { 1, \"slow\", \"test fixture\", 0, 0, 0,"
	    " process, 0 };\n"
	    "const struct ws_plugin *ws_plugin_entry(void) { return &p; }\n");
}

/*
 * Two plugins of either ABI: "abione", built against ABI 1's struct ws_plugin as it was (it
 * ends at fini), sets lang_confidence 0.25; "abitwo" has no process, only process_tokens,
 * which writes the text's token count into lang_code and the number of types in word_count.
 */
static int
fixture_build_abis(void)
{
	if (fixture_compile("abione",
	    "#include \"article.h\"\n"
	    "struct v1 { unsigned abi; const char *name, *description; const void *options;\n"
	    "  size_t state_size; int (*init)(void *, char *, size_t);\n"
	    "  int (*process)(void *, struct article *); void (*fini)(void *); };\n"
	    "static int process(void *s, struct article *a) { (void)s;\n"
	    "  a->lang_confidence = 0.25; return 0; }\n"
	    "static const struct v1 p = { 1, \"abione\", \"ABI 1\", 0, 0, 0, process, 0 };\n"
	    "const struct v1 *ws_plugin_entry(void) { return &p; }\n") != 0)
		return -1;
	return fixture_compile("abitwo",
	    "#include <stdio.h>\n#include \"plugin_api.h\"\n"
	    "static int process(void *s, struct article *a, const struct ws_tokens *t) {\n"
	    "  (void)s; snprintf(a->lang_code, 8, \"%zu\", t->text.count);\n"
	    "  a->word_count = t->type_count; return 0; }\n"
	    "static const struct ws_plugin p = { .abi = 2, .name = \"abitwo\",\n"
	    "  .description = \"ABI 2\", .process_tokens = process };\n"
	    "const struct ws_plugin *ws_plugin_entry(void) { return &p; }\n");
}

static int
fixtures_prepare(void)
{
	char template[] = "/tmp/wiresift-test-plugins-XXXXXX", source_so[PATH_MAX];
	char link_path[PATH_MAX + 16];
	const char *dir = getenv("WIRESIFT_PLUGIN_DIR");

	if (mkdtemp(template) == NULL)
		return -1;
	snprintf(fixture_dir, sizeof(fixture_dir), "%s", template);
	if (fixture_build("badabi", 999, "badabi", 0) == -1 ||
	    fixture_build("misnamed", 1, "somethingelse", 0) == -1 ||
	    fixture_build("failing", 1, "failing", -1) == -1 || fixture_build_slow() == -1 ||
	    fixture_build_abis() == -1)
		return -1;
	/* The real source plugin next to them, for a chain that mixes both. */
	snprintf(link_path, sizeof(link_path), "%s/source.so", dir);
	if (realpath(link_path, source_so) == NULL)
		return -1;
	snprintf(link_path, sizeof(link_path), "%s/source.so", fixture_dir);
	return symlink(source_so, link_path);
}

static void
fixtures_remove(void)
{
	char command[PATH_MAX + 16];

	if (fixture_dir[0] == '\0' || strncmp(fixture_dir, "/tmp/wiresift-test-plugins-", 27) != 0)
		return;
	snprintf(command, sizeof(command), "rm -rf %s", fixture_dir);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", fixture_dir);
}

static void
test_abi_and_name_mismatch(void)
{
	struct section section;
	char error[512];
	struct plugin_chain *chain;

	section_init(&section, "badabi", 12, NULL);
	chain = plugin_chain_load(&section.config, 1, NULL, error, sizeof(error));
	CHECK(chain == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":12: plugin badabi: ABI version 999, this wiresift "
	    "needs 1 to 2");

	section_init(&section, "misnamed", 14, NULL);
	chain = plugin_chain_load(&section.config, 1, NULL, error, sizeof(error));
	CHECK(chain == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":14: plugin misnamed: ");
	CHECK_CONTAINS(error, "somethingelse");
}

/* A plugin built for ABI 1 and one for ABI 2 (tokens only) run in one chain. */
static void
test_abi_one_and_two_in_one_chain(void)
{
	struct section sections[2];
	struct plugin_config configs[2];
	struct plugin_chain *chain;
	struct article *article = article_with("Title words", "One two two.\n\nThree two");
	char error[512];

	section_init(&sections[0], "abione", 1, NULL);
	section_init(&sections[1], "abitwo", 3, NULL);
	configs[0] = sections[0].config;
	configs[1] = sections[1].config;
	chain = plugin_chain_load(configs, 2, NULL, error, sizeof(error));
	CHECK(chain != NULL);
	if (chain == NULL) {
		fprintf(stderr, "  load error: %s\n", error);
		article_free(article);
		return;
	}
	plugin_chain_process(chain, article);
	CHECK(article->lang_confidence == 0.25);
	CHECK_STR(article->lang_code, "5");
	CHECK(article->word_count == 5);	/* Title words One two Three */
	/* The next article gets its own tokens. */
	article_set(&article->text, "Four");
	plugin_chain_process(chain, article);
	CHECK_STR(article->lang_code, "1");
	CHECK(article->word_count == 3);
	plugin_chain_free(chain);
	article_free(article);
}

static void
test_failing_plugin_lets_article_go_on(void)
{
	struct section sections[2];
	struct plugin_config configs[2];
	struct plugin_chain *chain;
	struct article *article = article_with("A title", "Some text.");
	char error[512];

	section_init(&sections[0], "failing", 1, NULL);
	section_init(&sections[1], "source", 3, NULL);
	configs[0] = sections[0].config;
	configs[1] = sections[1].config;
	chain = plugin_chain_load(configs, 2, NULL, error, sizeof(error));
	CHECK(chain != NULL);
	if (chain == NULL) {
		fprintf(stderr, "  load error: %s\n", error);
		article_free(article);
		return;
	}
	CHECK(plugin_chain_count(chain) == 2);
	article_set(&article->url, "https://news.example.org/a/1");
	plugin_chain_process(chain, article);
	/* The plugin after the failing one still ran. */
	CHECK_STR(article->source_domain, "news.example.org");
	CHECK_STR(article->source_name, "news.example.org");
	plugin_chain_free(chain);
	article_free(article);
}

/* Over its time budget three articles in a row, a plugin is bypassed: articles go on. */
static void
test_slow_plugin_is_bypassed(void)
{
	struct section section;
	struct plugin_chain *chain;
	char error[512];

	section_init(&section, "slow", 5, "timeout", "soon", NULL);
	CHECK(plugin_chain_load(&section.config, 1, NULL, error, sizeof(error)) == NULL);
	CHECK_CONTAINS(error, CONFIG_FILE ":6: plugin slow: timeout: not a duration");
	section_init(&section, "slow", 5, "timeout", "10ms", NULL);
	chain = plugin_chain_load(&section.config, 1, NULL, error, sizeof(error));
	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	for (int i = 0; i < 5; i++) {
		struct article *article = article_with("A title", "Some text.");

		plugin_chain_process(chain, article);
		/* The first three ran (and overran); the next ones skip the plugin. */
		CHECK_STR(article->lang_code, i < 3 ? "sl" : "");
		article_free(article);
	}
	plugin_chain_free(chain);
}

/* ---- threads: each with its own rules and plugin instances ---- */

#define THREADS		3
#define THREAD_ROUNDS	3
#define RULES_FILE	"conf/rules/boilerplate.rules"

/* Raw articles (as the parser leaves them) every thread cleans and tags. */
struct corpus {
	struct article	**items;
	size_t		  count;
	size_t		  capacity;
};

static int
corpus_add(struct article *item, void *context)
{
	struct corpus *corpus = context;

	if (corpus->count == corpus->capacity) {
		corpus->capacity = corpus->capacity ? corpus->capacity * 2 : 64;
		corpus->items = xrealloc(corpus->items, corpus->capacity * sizeof(*corpus->items));
	}
	corpus->items[corpus->count++] = item;
	return 0;
}

static void
corpus_add_feed(struct corpus *corpus, const char *path)
{
	struct feed_meta meta;
	char error[256], *url = xasprintf("file://%s", path);
	size_t size;
	char *data = file_read(path, &size);

	memset(&meta, 0, sizeof(meta));
	CHECK(data != NULL);
	if (data != NULL)
		CHECK(feed_parse(data, size, url, NULL, &meta, corpus_add, corpus, error,
		    sizeof(error)) == 0);
	feed_meta_free(&meta);
	free(data);
	free(url);
}

/* A raw article from a file: an HTML fixture as content, or a seed (title line, then text). */
static void
corpus_add_file(struct corpus *corpus, const char *path, int seed)
{
	char *content = file_read(path, NULL);
	struct article *article;

	if (content == NULL)
		return;
	article = article_new();
	if (seed) {
		size_t title_length = strcspn(content, "\n");

		article->title_raw = xstrndup(content, title_length);
		article_set(&article->content_html, content + title_length);
	} else {
		article_set(&article->title_raw, path);
		article_set(&article->content_html, content);
	}
	article_set(&article->link, "https://www.example.com/corpus?utm_source=test");
	corpus_add(article, corpus);
	free(content);
}

/* The demo feeds, the HTML fixtures and (when present) the seeds. */
static void
corpus_load(struct corpus *corpus)
{
	static const struct { const char *dir; int seed, feed; } sources[] = {
		{ "conf/demo/feeds", 0, 1 }, { "tests/fixtures/html", 0, 0 }, { NULL, 1, 0 },
	};

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		const char *dir = sources[i].dir != NULL ? sources[i].dir : check_seeds_dir();
		struct dirent **entries;
		int count;

		if (dir == NULL || (count = scandir(dir, &entries, NULL, alphasort)) < 0)
			continue;
		for (int k = 0; k < count; k++) {
			char *path = xasprintf("%s/%s", dir, entries[k]->d_name);

			if (entries[k]->d_name[0] != '.') {
				if (sources[i].feed)
					corpus_add_feed(corpus, path);
				else
					corpus_add_file(corpus, path, sources[i].seed);
			}
			free(path);
			free(entries[k]);
		}
		free(entries);
	}
}

static void
corpus_free(struct corpus *corpus)
{
	for (size_t i = 0; i < corpus->count; i++)
		article_free(corpus->items[i]);
	free(corpus->items);
}

/* A fresh copy of what the parser gave: the stages' input. */
static struct article *
raw_copy(const struct article *raw)
{
	struct article *copy = article_new();

	article_set(&copy->guid, raw->guid);
	article_set(&copy->link, raw->link);
	article_set(&copy->feed_url, raw->feed_url);
	article_set(&copy->feed_title, raw->feed_title);
	article_set(&copy->feed_format, raw->feed_format);
	article_set(&copy->title_raw, raw->title_raw);
	article_set(&copy->summary_html, raw->summary_html);
	article_set(&copy->content_html, raw->content_html);
	copy->published = raw->published;
	copy->updated = raw->updated;
	copy->fetched = raw->fetched;
	copy->published_is_fetch_time = raw->published_is_fetch_time;
	return copy;
}

/* One worker: its own rules and plugins, the whole corpus THREAD_ROUNDS times. */
struct worker {
	const struct corpus	*corpus;
	struct clean_rules	*rules;
	struct plugin_chain	*chain;
	char			**results;	/* message JSON per article and round */
	pthread_t		 thread;
};

static int
worker_init(struct worker *worker, const struct corpus *corpus)
{
	const char *names[] = { "source", "lang", "entities", "keywords", "topics" };
	struct section sections[5];
	char error[512];

	memset(worker, 0, sizeof(*worker));
	worker->corpus = corpus;
	for (size_t i = 0; i < 5; i++)
		section_init(&sections[i], names[i], (int)i * 3 + 1, NULL);
	worker->chain = load_sections(sections, 5, error, sizeof(error));
	if (worker->chain == NULL)
		fprintf(stderr, "  load error: %s\n", error);
	worker->rules = clean_rules_load(RULES_FILE, error, sizeof(error));
	worker->results = xcalloc(corpus->count * THREAD_ROUNDS, sizeof(char *));
	return worker->chain != NULL && worker->rules != NULL ? 0 : -1;
}

static void *
worker_run(void *context)
{
	struct worker *worker = context;
	size_t done = 0;

	for (int round = 0; round < THREAD_ROUNDS; round++) {
		for (size_t i = 0; i < worker->corpus->count; i++) {
			struct article *article = raw_copy(worker->corpus->items[i]);

			if (clean_article(article, worker->rules, NULL, NULL) == 0) {
				plugin_chain_process(worker->chain, article);
				worker->results[done] = article_to_json(article);
			} else
				worker->results[done] = xstrdup("(nothing left)");
			done++;
			article_free(article);
		}
	}
	return NULL;
}

static void
worker_free(struct worker *worker)
{
	for (size_t i = 0; worker->results != NULL && i < worker->corpus->count * THREAD_ROUNDS;
	    i++)
		free(worker->results[i]);
	free(worker->results);
	plugin_chain_free(worker->chain);
	clean_rules_free(worker->rules);
}

static void
test_threads_match_one_thread(void)
{
	struct corpus corpus = { NULL, 0, 0 };
	struct worker reference, workers[THREADS];
	size_t tagged = 0, results;

	corpus_load(&corpus);
	CHECK(corpus.count >= 20);
	results = corpus.count * THREAD_ROUNDS;
	if (worker_init(&reference, &corpus) == -1) {
		CHECK(0);
		worker_free(&reference);
		corpus_free(&corpus);
		return;
	}
	worker_run(&reference);
	for (size_t i = 0; i < results; i++)
		tagged += strstr(reference.results[i], "\"keywords\":[\"") != NULL &&
		    strstr(reference.results[i], "\"entities\":[{") != NULL;
	CHECK(tagged >= corpus.count);	/* there are tags to compare */
	for (int t = 0; t < THREADS; t++)
		CHECK(worker_init(&workers[t], &corpus) == 0);
	for (int t = 0; t < THREADS; t++)
		CHECK(pthread_create(&workers[t].thread, NULL, worker_run, &workers[t]) == 0);
	for (int t = 0; t < THREADS; t++) {
		size_t differing = 0;

		pthread_join(workers[t].thread, NULL);
		for (size_t i = 0; i < results; i++) {
			if (workers[t].results[i] != NULL &&
			    strcmp(workers[t].results[i], reference.results[i]) == 0)
				continue;
			if (differing++ == 0)
				fprintf(stderr, "  thread %d, article %zu:\n    %s\n  one thread:\n"
				    "    %s\n", t, i % corpus.count, workers[t].results[i],
				    reference.results[i]);
		}
		CHECK(differing == 0);
		worker_free(&workers[t]);
	}
	printf("  %d threads x %zu articles x %d rounds, each its own rules and plugins: "
	    "as one thread\n", THREADS, corpus.count, THREAD_ROUNDS);
	worker_free(&reference);
	corpus_free(&corpus);
}

int
main(void)
{
	log_init(LOG_LEVEL_WARNING);
	plugin_dir_default();
	RUN(test_missing_plugin);
	RUN(test_unknown_option);
	RUN(test_bad_option_values);
	RUN(test_init_failure);
	if (fixtures_prepare() == 0) {
		/* $WIRESIFT_PLUGIN_DIR wins over the argument: point it at the fixtures. */
		char *saved = strdup(getenv("WIRESIFT_PLUGIN_DIR"));

		setenv("WIRESIFT_PLUGIN_DIR", fixture_dir, 1);
		RUN(test_abi_and_name_mismatch);
		RUN(test_abi_one_and_two_in_one_chain);
		RUN(test_failing_plugin_lets_article_go_on);
		RUN(test_slow_plugin_is_bypassed);
		setenv("WIRESIFT_PLUGIN_DIR", saved, 1);
		free(saved);
	} else {
		RUN_SKIPPED(test_abi_and_name_mismatch, "cannot build fixture plugins with cc");
		RUN_SKIPPED(test_abi_one_and_two_in_one_chain,
		    "cannot build fixture plugins with cc");
		RUN_SKIPPED(test_failing_plugin_lets_article_go_on,
		    "cannot build fixture plugins with cc");
		RUN_SKIPPED(test_slow_plugin_is_bypassed, "cannot build fixture plugins with cc");
	}
	fixtures_remove();
	RUN(test_threads_match_one_thread);
	return check_finish();
}

