/*
 * test_plugins.c - the plugin host (daemon/plugin.c) and the tagger plugins (plugins/):
 * loading errors (missing .so, ABI and name mismatch, unknown and ill-typed options, failed
 * init), a failing plugin that lets the article go on, and each plugin's tags over the shared
 * seed articles and over texts written for this test.  Then the way worker threads use them:
 * several threads, each with its own rule set and plugin instances, clean and tag the same
 * articles at the same time and must get exactly what one thread gets.
 *
 * Plugins are loaded from $WIRESIFT_PLUGIN_DIR (this build's plugins when unset: plugin_dir.h); their data files
 * from conf/.  Runs from the repo root.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "plugin_dir.h"
#include "article.h"
#include "clean/clean.h"
#include "log.h"
#include "plugin.h"
#include "util.h"
#include "feed/feed.h"

#define CONFIG_FILE "conf/wiresift.conf"	/* only its directory matters: conf/ */

static char fixture_dir[PATH_MAX];		/* runtime-built test plugins, or "" */

/* A [plugin "NAME"] section with up to 4 settings given as key, value pairs, NULL-ended. */
struct section {
	struct plugin_config	config;
	struct plugin_setting	settings[4];
};

static void
section_init(struct section *section, const char *name, int line, ...)
{
	va_list args;
	const char *key;

	memset(section, 0, sizeof(*section));
	section->config.name = (char *)name;
	section->config.config_file = (char *)CONFIG_FILE;
	section->config.line = line;
	section->config.settings = section->settings;
	va_start(args, line);
	while ((key = va_arg(args, const char *)) != NULL && section->config.setting_count < 4) {
		struct plugin_setting *setting = &section->settings[section->config.setting_count++];

		setting->key = (char *)key;
		setting->value = va_arg(args, char *);
		setting->line = line + (int)section->config.setting_count;
	}
	va_end(args);
}

static struct plugin_chain *
load_sections(struct section *sections, size_t count, char *error, size_t error_size)
{
	struct plugin_config configs[8];

	for (size_t i = 0; i < count; i++)
		configs[i] = sections[i].config;
	return plugin_chain_load(configs, count, NULL, error, error_size);
}

static const struct entity *
find_entity(const struct article *article, const char *name)
{
	for (size_t i = 0; i < article->entity_count; i++)
		if (strcmp(article->entities[i].name, name) == 0)
			return &article->entities[i];
	return NULL;
}

static struct article *
article_with(const char *title, const char *text)
{
	struct article *article = article_new();

	article_set(&article->title, title);
	article_set(&article->text, text);
	article_set(&article->id, "0123abcd");
	return article;
}

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

/*
 * Build a throwaway plugin into fixture_dir with cc: NAME.so claiming abi ABI and name
 * CLAIMED, whose process returns RESULT.  0 on success.
 */
static int
fixture_build(const char *file_name, unsigned abi, const char *claimed, int result)
{
	char source[PATH_MAX + 16], command[4 * PATH_MAX];
	FILE *file;

	snprintf(source, sizeof(source), "%s/%s.c", fixture_dir, file_name);
	if ((file = fopen(source, "w")) == NULL)
		return -1;
	fprintf(file,
	    "#include \"plugin_api.h\"\n"
	    "static int process(void *s, struct article *a) { (void)s; (void)a; return %d; }\n"
	    "static const struct ws_plugin p = { %u, \"%s\", \"test fixture\", 0, 0, 0,"
	    " process, 0 };\n"
	    "const struct ws_plugin *ws_plugin_entry(void) { return &p; }\n",
	    result, abi, claimed);
	fclose(file);
	snprintf(command, sizeof(command),
	    "cc -std=c11 -shared -fPIC -Idaemon -o %s/%s.so %s 2>/dev/null", fixture_dir,
	    file_name, source);
	return system(command) == 0 ? 0 : -1;
}

/* A plugin that takes 30 ms an article and marks it (lang_code "sl"): over any small budget. */
static int
fixture_build_slow(void)
{
	char source[PATH_MAX + 16], command[4 * PATH_MAX];
	FILE *file;

	snprintf(source, sizeof(source), "%s/slow.c", fixture_dir);
	if ((file = fopen(source, "w")) == NULL)
		return -1;
	fprintf(file,
	    "#define _GNU_SOURCE\n#include <time.h>\n#include \"plugin_api.h\"\n"
	    "static int process(void *s, struct article *a) { (void)s;\n"
	    "  struct timespec t = { 0, 30000000 }; nanosleep(&t, 0);\n"
	    "  a->lang_code[0] = 's'; a->lang_code[1] = 'l'; a->lang_code[2] = 0; return 0; }\n"
	    "static const struct ws_plugin p = { 1, \"slow\", \"test fixture\", 0, 0, 0,"
	    " process, 0 };\n"
	    "const struct ws_plugin *ws_plugin_entry(void) { return &p; }\n");
	fclose(file);
	snprintf(command, sizeof(command),
	    "cc -std=c11 -shared -fPIC -Idaemon -o %s/slow.so %s 2>/dev/null", fixture_dir,
	    source);
	return system(command) == 0 ? 0 : -1;
}

/*
 * Two plugins of either ABI: "abione", built against ABI 1's struct ws_plugin as it was (it
 * ends at fini), sets lang_confidence 0.25; "abitwo" has no process, only process_tokens,
 * which writes the text's token count into lang_code and the number of types in word_count.
 */
static int
fixture_build_abis(void)
{
	char source[PATH_MAX + 16], command[4 * PATH_MAX];
	FILE *file;

	snprintf(source, sizeof(source), "%s/abione.c", fixture_dir);
	if ((file = fopen(source, "w")) == NULL)
		return -1;
	fprintf(file,
	    "#include \"article.h\"\n"
	    "struct v1 { unsigned abi; const char *name, *description; const void *options;\n"
	    "  size_t state_size; int (*init)(void *, char *, size_t);\n"
	    "  int (*process)(void *, struct article *); void (*fini)(void *); };\n"
	    "static int process(void *s, struct article *a) { (void)s;\n"
	    "  a->lang_confidence = 0.25; return 0; }\n"
	    "static const struct v1 p = { 1, \"abione\", \"ABI 1\", 0, 0, 0, process, 0 };\n"
	    "const struct v1 *ws_plugin_entry(void) { return &p; }\n");
	fclose(file);
	snprintf(command, sizeof(command),
	    "cc -std=c11 -shared -fPIC -Idaemon -o %s/abione.so %s 2>/dev/null", fixture_dir,
	    source);
	if (system(command) != 0)
		return -1;
	snprintf(source, sizeof(source), "%s/abitwo.c", fixture_dir);
	if ((file = fopen(source, "w")) == NULL)
		return -1;
	fprintf(file,
	    "#include <stdio.h>\n#include \"plugin_api.h\"\n"
	    "static int process(void *s, struct article *a, const struct ws_tokens *t) {\n"
	    "  (void)s; snprintf(a->lang_code, 8, \"%%zu\", t->text.count);\n"
	    "  a->word_count = t->type_count; return 0; }\n"
	    "static const struct ws_plugin p = { .abi = 2, .name = \"abitwo\",\n"
	    "  .description = \"ABI 2\", .process_tokens = process };\n"
	    "const struct ws_plugin *ws_plugin_entry(void) { return &p; }\n");
	fclose(file);
	snprintf(command, sizeof(command),
	    "cc -std=c11 -shared -fPIC -Idaemon -o %s/abitwo.so %s 2>/dev/null", fixture_dir,
	    source);
	return system(command) == 0 ? 0 : -1;
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

/* ---- plugins over texts written for this test ---- */

static struct plugin_chain *
load_one(const char *name)
{
	struct section section;
	char error[512];
	struct plugin_chain *chain;

	section_init(&section, name, 1, NULL);
	chain = load_sections(&section, 1, error, sizeof(error));
	if (chain == NULL)
		fprintf(stderr, "  cannot load %s: %s\n", name, error);
	return chain;
}

static const struct { const char *title, *text, *code; } lang_samples[] = {
		{ "Neuer Haushalt vorgestellt",
		  "Die Bundesregierung hat am Mittwoch einen neuen Haushaltsentwurf vorgelegt, der "
		  "deutlich mehr Geld für Schulen und Krankenhäuser vorsieht. Die Opposition "
		  "kritisierte die Pläne als unzureichend und forderte weitere Gespräche.", "de" },
		{ "Le budget présenté",
		  "Le gouvernement a présenté mercredi un nouveau projet de budget qui prévoit "
		  "davantage de moyens pour les écoles et les hôpitaux. L'opposition a jugé ces "
		  "mesures insuffisantes et réclame de nouvelles discussions.", "fr" },
		{ "Council approves new bridge",
		  "The city council voted on Tuesday to approve funding for a new bridge across "
		  "the river, after residents complained for years about traffic on the old one. "
		  "Work is expected to start next spring.", "en" },
};

static void
test_lang_german_french_english(void)
{
	const size_t sample_count = sizeof(lang_samples) / sizeof(lang_samples[0]);
	struct plugin_chain *chain = load_one("lang");

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	for (size_t i = 0; i < sample_count; i++) {
		struct article *article = article_with(lang_samples[i].title, lang_samples[i].text);

		plugin_chain_process(chain, article);
		CHECK_STR(article->lang_code, lang_samples[i].code);
		CHECK(article->lang_confidence > 0.5 && article->lang_confidence <= 1.0);
		article_free(article);
	}
	/* Too short to tell: left unknown. */
	struct article *short_article = article_with("Hi", "Ok.");

	plugin_chain_process(chain, short_article);
	CHECK_STR(short_article->lang_code, "");
	article_free(short_article);
	/*
	 * min_chars (40) letters of title + text, each character from 0x80 one letter, digits
	 * and signs none: 39 are too few (9 + 30), 40 are enough (9 + 31).
	 */
	static const char *const letters[2] = {
		"Les \xC3\xA9lus ont vot\xC3\xA9 42 lois, malgr\xC3\xA9 un vote.",
		"Les \xC3\xA9lus ont vot\xC3\xA9 42 lois, malgr\xC3\xA9 la gr\xC3\xA8ve.",
	};
	for (int enough = 0; enough < 2; enough++) {
		struct article *article = article_with("Paris: vote", letters[enough]);

		plugin_chain_process(chain, article);
		CHECK(enough ? article->lang_code[0] != '\0' : article->lang_code[0] == '\0');
		article_free(article);
	}
	plugin_chain_free(chain);
}

static void
test_source_fields(void)
{
	struct plugin_chain *chain = load_one("source");
	struct article *article = article_with("t", "x");

	CHECK(chain != NULL);
	if (chain == NULL) {
		article_free(article);
		return;
	}
	article_set(&article->feed_url, "https://www.Example.COM/feed.xml");
	plugin_chain_process(chain, article);
	CHECK_STR(article->source_domain, "example.com");
	CHECK_STR(article->source_name, "example.com");
	article_free(article);

	article = article_with("t", "x");
	article_set(&article->link, "https://wire.example.net/story/7");
	article_set(&article->feed_url, "https://feeds.example.com/rss");
	article_set(&article->feed_title, "Example Wire");
	plugin_chain_process(chain, article);
	CHECK_STR(article->source_domain, "wire.example.net");
	CHECK_STR(article->source_name, "Example Wire");
	article_free(article);

	article = article_with("t", "x");
	article_set(&article->feed_name, "examplewire");
	article_set(&article->feed_title, "Example Wire");
	plugin_chain_process(chain, article);
	CHECK_STR(article->source_name, "examplewire");
	CHECK(article->source_domain == NULL);
	article_free(article);
	plugin_chain_free(chain);
}

static void
test_entities_own_text(void)
{
	struct plugin_chain *chain = load_one("entities");
	struct article *article;
	const struct entity *entity;

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("President Trump meets NATO chiefs in Brussels",
	    "Donald J. Trump arrived in Brussels on Monday. Let us hope, said one diplomat, that "
	    "the talks go well.\n\n"
	    "Speaking to reporters, spokesman Jonas Whitfield said the Ministry of Fisheries "
	    "had not been consulted. Whitfield added that the Doha accord was not on the "
	    "agenda, and Trump did not mention the Bagram airfield.");
	plugin_chain_process(chain, article);
	entity = find_entity(article, "Donald Trump");
	CHECK(entity != NULL && entity->count == 3 && strcmp(entity->type, "person") == 0);
	entity = find_entity(article, "Brussels");
	CHECK(entity != NULL && entity->count == 2 && strcmp(entity->type, "place") == 0);
	entity = find_entity(article, "NATO");
	CHECK(entity != NULL && strcmp(entity->type, "organization") == 0);
	entity = find_entity(article, "Doha Agreement");
	CHECK(entity != NULL && entity->count == 1);
	entity = find_entity(article, "Bagram Air Base");
	CHECK(entity != NULL && strcmp(entity->type, "place") == 0);
	/* Unknown names: typed from the title before them or their last word. */
	entity = find_entity(article, "Jonas Whitfield");
	CHECK(entity != NULL && strcmp(entity->type, "person") == 0 && entity->count == 2);
	entity = find_entity(article, "Ministry of Fisheries");
	CHECK(entity != NULL && strcmp(entity->type, "organization") == 0);
	/* "us" in lower case is not the United States; sentence starts are not names. */
	CHECK(find_entity(article, "United States") == NULL);
	CHECK(find_entity(article, "Speaking") == NULL);
	CHECK(find_entity(article, "Let") == NULL);
	CHECK(find_entity(article, "Whitfield") == NULL);
	article_free(article);
	plugin_chain_free(chain);
}

/* An entity named name, of type type, mentioned count times; reported when not. */
static void
check_entity(const struct article *article, const char *name, const char *type, int count)
{
	const struct entity *entity = find_entity(article, name);

	if (entity == NULL || strcmp(entity->type, type) != 0 || entity->count != count)
		fprintf(stderr, "  entity %s: want %s x%d, got %s x%d\n", name, type, count,
		    entity != NULL ? entity->type : "none", entity != NULL ? entity->count : 0);
	CHECK(entity != NULL && strcmp(entity->type, type) == 0 && entity->count == count);
}

/*
 * Counts are mentions in title + text: a name no gazetteer knows, first found in the text, is
 * counted in the title as well (also inside a Title Case title, and by surname), and the
 * entities come in order of first mention, title first.
 */
static void
test_entities_title_mentions(void)
{
	struct plugin_chain *chain = load_one("entities");
	struct article *article;

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("Flooded pumping station shuts Brackwater Sluice again",
	    "Engineers closed the Brackwater Sluice on Tuesday after water reached the pumps.\n\n"
	    "The works are run by the Dunmere Drainage Board, whose chairwoman Orla Finchley "
	    "said repairs would take a week. Finchley said the Brackwater Sluice had flooded "
	    "twice this year.");
	plugin_chain_process(chain, article);
	check_entity(article, "Brackwater Sluice", "other", 3);
	check_entity(article, "Orla Finchley", "person", 2);
	check_entity(article, "Dunmere Drainage Board", "other", 1);
	CHECK(article->entity_count == 3);
	CHECK(article->entity_count > 0 &&
	    strcmp(article->entities[0].name, "Brackwater Sluice") == 0);
	article_free(article);

	article = article_with("Finchley Says Dunmere Drainage Board Will Rebuild The Pumps",
	    "Orla Finchley, the board's chairwoman, said the Dunmere Drainage Board would "
	    "borrow to rebuild the pumps.");
	plugin_chain_process(chain, article);
	check_entity(article, "Orla Finchley", "other", 1);	/* no title before: no surname */
	check_entity(article, "Dunmere Drainage Board", "other", 2);
	CHECK(article->entity_count == 2 &&
	    strcmp(article->entities[0].name, "Dunmere Drainage Board") == 0);
	article_free(article);

	/* A known name twice in the title, once in the text; no new names from the title. */
	article = article_with("Brussels talks: Brussels waits for Harbin Quarry Group",
	    "Delegates met in Brussels on Friday.");
	plugin_chain_process(chain, article);
	check_entity(article, "Brussels", "place", 3);
	CHECK(find_entity(article, "Harbin Quarry Group") == NULL);
	article_free(article);
	plugin_chain_free(chain);
}

/*
 * Leading roles ("Manager", "Coach", "Dr") and groups of people ("Residents", "Officials",
 * "Police") are not part of an unknown name, in any case; "X of Y" is one name only when X
 * is an organisation or a place.
 */
static void
test_entities_leading_words(void)
{
	struct plugin_chain *chain = load_one("entities");
	struct article *article;

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("Ferry fares rise",
	    "Residents of Quillon Marsh complained on Monday. Officials of Tarrow Ferries "
	    "said fares would rise.\n\n"
	    "Manager Ilka Demmer spoke to the crowd first, and then the COACH Brannock Tulley "
	    "answered a few of their questions. Police Chief Savo Reint was there with his "
	    "officers, as was the local doctor, Dr Wenna Holt of Quillon Marsh.\n\n"
	    "The Bank of Tarrow and the Gulf of Quillon are unaffected; residents Tarrow Ferries "
	    "said nothing.");
	plugin_chain_process(chain, article);
	check_entity(article, "Quillon Marsh", "other", 2);
	check_entity(article, "Tarrow Ferries", "other", 2);
	check_entity(article, "Ilka Demmer", "person", 1);
	check_entity(article, "Brannock Tulley", "person", 1);
	check_entity(article, "Savo Reint", "person", 1);
	check_entity(article, "Wenna Holt", "person", 1);
	CHECK(find_entity(article, "Bank of Tarrow") != NULL);
	check_entity(article, "Gulf of Quillon", "other", 1);
	CHECK(article->entity_count == 8);
	for (size_t i = 0; i < article->entity_count; i++) {
		const char *name = article->entities[i].name;

		CHECK(strncmp(name, "Residents", 9) != 0 && strncmp(name, "Officials", 9) != 0 &&
		    strstr(name, "Manager") == NULL && strstr(name, "COACH") == NULL &&
		    strstr(name, "Police") == NULL && strstr(name, "Dr ") == NULL);
	}
	article_free(article);
	plugin_chain_free(chain);
}

static void
test_keywords_own_text(void)
{
	struct section section;
	char error[512];
	struct plugin_chain *chain;
	struct article *article;

	section_init(&section, "keywords", 1, "top", "4", NULL);
	chain = load_sections(&section, 1, error, sizeof(error));
	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("Glaciers retreat faster in the Alps",
	    "Glaciers in the Alps retreated faster this summer than in any year on record, "
	    "glaciologists said. The glacier at the head of the valley lost four metres of ice. "
	    "Meltwater from the glaciers fed the rivers, and the glaciologists said the ice "
	    "would keep retreating.");
	plugin_chain_process(chain, article);
	CHECK(article->keywords.count == 4);
	/* The surface form the text uses most, for the most repeated stem. */
	CHECK(article->keywords.count > 0 && strcmp(article->keywords.items[0], "glaciers") == 0);
	CHECK(strlist_contains(&article->keywords, "Alps"));
	CHECK(!strlist_contains(&article->keywords, "the"));
	CHECK(!strlist_contains(&article->keywords, "said"));
	article_free(article);
	plugin_chain_free(chain);
}

static void
test_topics_own_text(void)
{
	struct plugin_chain *chain = load_one("topics");
	struct article *article;

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("United win the league title",
	    "The football team won the league championship on Saturday after a late goal. "
	    "The coach praised every player in the squad, and the stadium celebrated the "
	    "victory long after the final whistle of the match. The season ends next week.");
	plugin_chain_process(chain, article);
	CHECK(article->topics.count >= 1 && strcmp(article->topics.items[0], "sport") == 0);
	CHECK(!strlist_contains(&article->topics, "politics"));
	article_free(article);

	article = article_with("A quiet afternoon", "She read a book in the garden.");
	plugin_chain_process(chain, article);
	CHECK(article->topics.count == 0);	/* below every threshold */
	article_free(article);
	plugin_chain_free(chain);
}

/*
 * Where the word scanner's ASCII fast paths meet utf8proc: non-ASCII letters and capitals
 * (folded to match the gazetteers: ERDOĞAN is Erdoğan), words at the very start and end of a
 * text, digits, apostrophes and possessives.
 */
static void
test_words_edges(void)
{
	struct plugin_chain *chain = load_one("entities");
	struct article *article;
	const struct entity *entity;

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("ERDO\xc4\x9e" "AN meets T\xc3\xbc" "rkiye envoy",
	    "\xc3\x89lodie Martineau said talks with ERDO\xc4\x9e" "AN went on.\n\n"
	    "Later the envoy flew from Bogot\xc3\xa1 to S\xc3\xa3o Paulo");
	plugin_chain_process(chain, article);
	entity = find_entity(article, "Recep Tayyip Erdo\xc4\x9f" "an");
	CHECK(entity != NULL && entity->count == 2 && strcmp(entity->type, "person") == 0);
	entity = find_entity(article, "Turkey");
	CHECK(entity != NULL && entity->count == 1);
	entity = find_entity(article, "\xc3\x89lodie Martineau");
	CHECK(entity != NULL && strcmp(entity->type, "other") == 0);
	CHECK(find_entity(article, "Bogot\xc3\xa1") != NULL);
	entity = find_entity(article, "S\xc3\xa3o Paulo");	/* the last words of the text */
	CHECK(entity != NULL && strcmp(entity->type, "place") == 0);
	article_free(article);
	plugin_chain_free(chain);
}

/* Case folding of non-ASCII capitals and surface forms, in keywords and topics. */
static void
test_words_folding(void)
{
	static const char *const keywords[] = {
		"\xc3\xbc" "ber", "Stra\xc3\x9f" "e", "caf\xc3\xa9", "\xc3\xa9" "cole", "die", "und",
		"Zo\xc3\xab",
	};
	struct plugin_chain *chain = load_one("keywords");
	struct article *article;

	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("\xc3\x9c" "ber Stra\xc3\x9f" "e",
	    "\xc3\x9c" "BER die Stra\xc3\x9f" "e: \xc3\xbc" "ber \xc3\xbc" "ber, "
	    "STRA\xc3\x9f" "E und \xc3\x89" "COLE \xc3\xa9" "cole \xc3\xa9" "cole's 2024 "
	    "Zo\xc3\xab\xe2\x80\x99s caf\xc3\xa9 CAF\xc3\x89 caf\xc3\xa9");
	plugin_chain_process(chain, article);
	/* sentence starts and capitals give way to the form used elsewhere; 2024 is no keyword */
	CHECK(article->keywords.count == sizeof(keywords) / sizeof(keywords[0]));
	for (size_t i = 0; i < article->keywords.count && i < sizeof(keywords) /
	    sizeof(keywords[0]); i++)
		CHECK_STR(article->keywords.items[i], keywords[i]);
	article_free(article);
	plugin_chain_free(chain);
	chain = load_one("topics");
	CHECK(chain != NULL);
	if (chain == NULL)
		return;
	article = article_with("\xc3\x89LECTION: the PARLIAMENT votes",
	    "The Parliament held an \xc3\xa9lection; lawmakers' votes and the government's "
	    "legislation, the SENATE's referendum and Congress");
	plugin_chain_process(chain, article);
	CHECK(article->topics.count == 1 && strcmp(article->topics.items[0], "politics") == 0);
	article_free(article);
	plugin_chain_free(chain);
}

/* ---- the five seed articles ---- */

struct seed_expectation {
	const char *prefix;		/* file name prefix */
	const char *entities[8];	/* NULL-terminated */
};

/* Which names each seed mentions (read from the seeds themselves). */
static const struct seed_expectation seed_expectations[] = {
	{ "000_", { "Taliban", "Donald Trump", "Bagram Air Base", "Afghanistan", "Kabul",
	    NULL } },
	{ "001_", { "Taliban", "Donald Trump", "Bagram Air Base", "Afghanistan", "Kabul",
	    "Zabihullah Mujahid", "Doha Agreement", NULL } },
	{ "002_", { "Taliban", "Donald Trump", "Bagram Air Base", "Afghanistan", "Kabul",
	    NULL } },
	{ "003_", { "Taliban", "Donald Trump", "Bagram Air Base", "Afghanistan",
	    "Zabihullah Mujahid", "Doha Agreement", NULL } },
	{ "004_", { "Taliban", "Donald Trump", "Bagram Air Base", "Afghanistan", "Kabul",
	    "Zabihullah Mujahid", "Doha Agreement", NULL } },
};

/* First line as title, the other lines joined by blank lines as text. */
static struct article *
seed_article(const char *path)
{
	size_t length;
	char *content = file_read(path, &length), *line, *save = NULL;
	struct buffer text = { NULL, 0, 0 };
	struct article *article;

	if (content == NULL)
		return NULL;
	article = article_new();
	for (line = strtok_r(content, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (article->title == NULL) {
			article_set(&article->title, line);
			continue;
		}
		if (text.length > 0)
			buffer_append_string(&text, "\n\n");
		buffer_append_string(&text, line);
	}
	article->text = buffer_steal(&text);
	article_set(&article->id, "5eed");
	article_set(&article->url, "https://www.example.com/seed");
	free(content);
	return article;
}

static void
seed_check(const struct seed_expectation *expected, struct article *article)
{
	CHECK_STR(article->lang_code, "en");
	CHECK(article->lang_confidence >= 0.9);
	for (size_t i = 0; expected->entities[i] != NULL; i++) {
		if (find_entity(article, expected->entities[i]) == NULL)
			fprintf(stderr, "  %s: no entity %s\n", expected->prefix,
			    expected->entities[i]);
		CHECK(find_entity(article, expected->entities[i]) != NULL);
	}
	CHECK(find_entity(article, "Mujahid") == NULL);
	CHECK(find_entity(article, "Trump") == NULL);
	CHECK(article->keywords.count == 10);
	CHECK(strlist_contains(&article->keywords, "Bagram") ||
	    strlist_contains(&article->keywords, "Taliban"));
	CHECK(!strlist_contains(&article->keywords, "the") &&
	    !strlist_contains(&article->keywords, "said"));
	CHECK(strlist_contains(&article->topics, "politics") ||
	    strlist_contains(&article->topics, "conflict"));
	CHECK(!strlist_contains(&article->topics, "sport"));
	CHECK_STR(article->source_domain, "example.com");
}

/* The lang verdict of article by the default chain (a prefix of max_bytes) and by one that
 * reads the whole text must agree: code and confidence. */
static void
lang_prefix_agrees(struct plugin_chain *prefix, struct plugin_chain *whole,
    struct article *article)
{
	char code[8];
	double confidence;

	plugin_chain_process(whole, article);
	memcpy(code, article->lang_code, sizeof(code));
	confidence = article->lang_confidence;
	memset(article->lang_code, 0, sizeof(article->lang_code));
	article->lang_confidence = 0;
	plugin_chain_process(prefix, article);
	CHECK_STR(article->lang_code, code);
	CHECK(article->lang_confidence == confidence);
	if (strcmp(article->lang_code, code) != 0 || article->lang_confidence != confidence)
		fprintf(stderr, "  %s: prefix %s %.2f, whole %s %.2f\n", article->title,
		    article->lang_code, article->lang_confidence, code, confidence);
}

/*
 * The lang plugin reads a prefix of title + text (max_bytes, 512 by default: CLD2's cost is
 * linear in what it reads, about 35 ns a byte). On articles of 5-7 KB in one language, and on the
 * seed articles, that prefix gives the verdict the whole text gives.
 */
static void
test_lang_prefix_decides(void)
{
	struct section section;
	struct plugin_chain *prefix = load_one("lang"), *whole;
	char error[512];
	const char *seeds = check_seeds_dir();

	section_init(&section, "lang", 1, "max_bytes", "1000000", NULL);
	whole = load_sections(&section, 1, error, sizeof(error));
	CHECK(prefix != NULL && whole != NULL);
	if (prefix == NULL || whole == NULL)
		return;
	for (size_t i = 0; i < sizeof(lang_samples) / sizeof(lang_samples[0]); i++) {
		struct buffer text = { 0 };
		struct article *article;

		while (text.length < 6000) {
			buffer_append_string(&text, lang_samples[i].text);
			buffer_append_string(&text, text.length % 3 ? " " : "\n\n");
		}
		article = article_with(lang_samples[i].title, text.data);
		lang_prefix_agrees(prefix, whole, article);
		CHECK(strlen(article->text) > 6000);
		article_free(article);
		free(text.data);
	}
	if (seeds == NULL)
		SKIP("no seeds directory (../shared/seeds): seed articles not checked");
	for (int i = 0; seeds != NULL && i < 100; i++) {
		char command[PATH_MAX + 64], path[PATH_MAX];
		FILE *list;
		struct article *article;

		snprintf(command, sizeof(command), "ls %s/%03d_*.txt 2>/dev/null", seeds, i);
		if ((list = popen(command, "r")) == NULL)
			break;
		if (fgets(path, sizeof(path), list) != NULL) {
			path[strcspn(path, "\n")] = '\0';
			if ((article = seed_article(path)) != NULL) {
				lang_prefix_agrees(prefix, whole, article);
				article_free(article);
			}
		}
		pclose(list);
	}
	plugin_chain_free(prefix);
	plugin_chain_free(whole);
}

static void
test_seeds(void)
{
	const char *seeds = check_seeds_dir();
	const char *names[] = { "lang", "source", "entities", "keywords", "topics" };
	struct section sections[5];
	struct plugin_config configs[5];
	struct plugin_chain *chain;
	char error[512], path[PATH_MAX];
	int checked = 0;

	if (seeds == NULL) {
		SKIP("no seeds directory (../shared/seeds)");
		return;
	}
	for (size_t i = 0; i < 5; i++) {
		section_init(&sections[i], names[i], (int)i * 3 + 1, NULL);
		configs[i] = sections[i].config;
	}
	chain = plugin_chain_load(configs, 5, NULL, error, sizeof(error));
	CHECK(chain != NULL);
	if (chain == NULL) {
		fprintf(stderr, "  load error: %s\n", error);
		return;
	}
	for (size_t i = 0; i < sizeof(seed_expectations) / sizeof(seed_expectations[0]); i++) {
		char command[PATH_MAX + 64];
		FILE *list;

		snprintf(command, sizeof(command), "ls %s/%s*.txt 2>/dev/null", seeds,
		    seed_expectations[i].prefix);
		if ((list = popen(command, "r")) == NULL)
			continue;
		if (fgets(path, sizeof(path), list) != NULL) {
			struct article *article;

			path[strcspn(path, "\n")] = '\0';
			if ((article = seed_article(path)) != NULL) {
				plugin_chain_process(chain, article);
				if (getenv("WIRESIFT_TEST_VERBOSE") != NULL) {
					char *json = article_to_json(article);

					printf("%s\n", json);
					free(json);
				}
				seed_check(&seed_expectations[i], article);
				article_free(article);
				checked++;
			}
		}
		pclose(list);
	}
	CHECK(checked == 5);
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
	RUN(test_lang_german_french_english);
	RUN(test_lang_prefix_decides);
	RUN(test_source_fields);
	RUN(test_entities_own_text);
	RUN(test_entities_title_mentions);
	RUN(test_entities_leading_words);
	RUN(test_keywords_own_text);
	RUN(test_topics_own_text);
	RUN(test_words_edges);
	RUN(test_words_folding);
	RUN(test_seeds);
	RUN(test_threads_match_one_thread);
	return check_finish();
}
