/*
 * test_plugin_tags.c - each shipped tagger plugin (plugins/: lang, source, entities, keywords,
 * topics) over texts written for this test and over the shared seed articles (read from
 * ../shared/seeds, never copied; skipped when absent), and the language plugin's prefix
 * agreeing with the whole text.  The plugin host is test_plugins.c's.
 *
 * Plugins are loaded from $WIRESIFT_PLUGIN_DIR (this build's plugins when unset: plugin_dir.h); their data files
 * from conf/.  Runs from the repo root.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_dir.h"
#include "plugin_sections.h"
#include "article.h"
#include "log.h"
#include "plugin.h"
#include "util.h"

static const struct entity *
find_entity(const struct article *article, const char *name)
{
	for (size_t i = 0; i < article->entity_count; i++)
		if (strcmp(article->entities[i].name, name) == 0)
			return &article->entities[i];
	return NULL;
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

int
main(void)
{
	log_init(LOG_LEVEL_WARNING);
	plugin_dir_default();
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
	return check_finish();
}
