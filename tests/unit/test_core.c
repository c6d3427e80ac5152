/*
 * test_core.c - unit tests of the core's plain modules: durations and sizes, the config and
 * feeds-list parser (every error names FILE:LINE), stable article ids, the message JSON and
 * what an article keeps while it awaits delivery, and the SQLite state store.
 */
#include <event2/event.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "heap.h"
#include "plugin_dir.h"
#include "article.h"
#include "config.h"
#include "json_write.h"
#include "log.h"
#include "pipeline.h"
#include "state.h"
#include "util.h"
#include "workers.h"


static void
test_durations_and_sizes(void)
{
	CHECK(duration_parse_ms("90") == 90000);
	CHECK(duration_parse_ms("90s") == 90000);
	CHECK(duration_parse_ms("5m") == 300000);
	CHECK(duration_parse_ms("2h") == 7200000);
	CHECK(duration_parse_ms("1d") == 86400000);
	CHECK(duration_parse_ms("250ms") == 250);
	CHECK(duration_parse_ms("1.5s") == 1500);
	CHECK(duration_parse_ms("soon") == -1);
	CHECK(duration_parse_ms("-5s") == -1);
	CHECK(duration_parse_ms("5 parsecs") == -1);
	CHECK(duration_parse_ms("1e40") == -1);		/* found by fuzz_config */
	CHECK(duration_parse_ms("inf") == -1);
	CHECK(size_parse("nan") == -1);
	CHECK(size_parse("16M") == 16 * 1048576);
	CHECK(size_parse("512k") == 512 * 1024);
	CHECK(size_parse("100") == 100);
	CHECK(size_parse("12Q") == -1);
}

static void
test_time_format(void)
{
	char stamp[21];

	time_format_rfc3339(1758435540, stamp);
	CHECK_STR(stamp, "2025-09-21T06:19:00Z");
	time_format_rfc3339((time_t)6000000000000LL, stamp);	/* year 190,000-odd */
	CHECK(strlen(stamp) == 20);
}

/* The plain reference: gmtime_r and strftime, as time_format_rfc3339 formatted every time
 * before its day-count path (years 1970-9999). */
static void
reference_rfc3339(time_t when, char out[21])
{
	struct tm utc;

	if (gmtime_r(&when, &utc) == NULL || utc.tm_year + 1900 > 9999 || utc.tm_year + 1900 < 0 ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
		memcpy(out, "1970-01-01T00:00:00Z", 21);
}

/*
 * time_format_rfc3339 against the reference: every day from 1970 to 2200 at a random second,
 * random times up to 9999, the edges of its fast path (0, the last second of 9999 and after)
 * and negative times.
 */
static void
test_time_format_reference(void)
{
	static const long long edges[] = { 0, 1, 59, 86399, 86400, 951782400, 951868800,
	    4107542399LL, 4107542400LL, 253402300799LL, 253402300800LL, 253402300801LL, -1,
	    -86400, -62167219200LL, -62167219201LL };
	uint64_t seed = 0x7153d1f3a9e4c2b5ULL;
	size_t differing = 0, checked = 0;
	char got[21], expected[21];

	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++, checked++) {
		time_format_rfc3339((time_t)edges[i], got);
		reference_rfc3339((time_t)edges[i], expected);
		differing += strcmp(got, expected) != 0;
	}
	for (long long day = 0; day < 84000; day++, checked++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		time_t when = (time_t)(day * 86400 + (long long)(seed % 86400));

		time_format_rfc3339(when, got);
		reference_rfc3339(when, expected);
		differing += strcmp(got, expected) != 0;
	}
	for (int i = 0; i < 200000; i++, checked++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		time_t when = (time_t)(seed % 253402300800ULL);

		time_format_rfc3339(when, got);
		reference_rfc3339(when, expected);
		differing += strcmp(got, expected) != 0;
	}
	CHECK(differing == 0);
	CHECK(checked > 284000);
}

static void
test_config_full(void)
{
	char error[512] = "";
	char *feeds = write_temp("feeds.list",
	    "# comment\n"
	    "\n"
	    "https://a.example/rss name=Alpha interval=10m tags=wire,en\n"
	    "http://b.example/atom header=\"X-Token: a b\" user_agent=\"Bot 1\"\n"
	    "local/feed.xml name=Local\n");
	char *path = write_temp("good.conf",
	    "[daemon]\n"
	    "state_dir = state   ; relative to this file\n"
	    "log_level = debug\n"
	    "workers = 3\n"
	    "[kafka]\n"
	    "bootstrap.servers = 127.0.0.1:9092\n"
	    "topic.articles = a.topic\n"
	    "compression.type = zstd\n"
	    "sasl.password = \"p;w #x\"\n"
	    "[feeds]\n"
	    "list = feeds.list\n"
	    "interval = 2m\n"
	    "allow_private = yes\n"
	    "[dedup]\n"
	    "threshold = 0.6\n"
	    "window = 48h\n"
	    "policy = tag\n"
	    "[plugin \"lang\"]   ; comment after a section\n"
	    "min_chars = 20\n"
	    "[route]\n"
	    "lang:de = news.de\n");
	struct config *config = config_load(path, error, sizeof error);

	CHECK(config != NULL);
	if (config == NULL) {
		fprintf(stderr, "error: %s\n", error);
		return;
	}
	CHECK(strstr(config->state_dir, temp_dir) == config->state_dir);
	CHECK(config->log_level == LOG_LEVEL_DEBUG);
	CHECK(config->workers == 3 && workers_configured(config) == 3);
	CHECK_STR(config->topic_articles, "a.topic");
	CHECK_STR(config->topic_duplicates, "news.duplicates");
	CHECK(config->kafka_setting_count == 2);
	CHECK_STR(config->kafka_settings[1].value, "p;w #x");
	CHECK(config->interval_ms == 120000);
	CHECK(config->allow_private == 1);
	CHECK(config->dedup.threshold > 0.59 && config->dedup.threshold < 0.61);
	CHECK(config->dedup.window_seconds == 48 * 3600);
	CHECK(config->dedup.policy == DEDUP_POLICY_TAG);
	CHECK(config->plugin_count == 1);
	CHECK_STR(config->plugins[0].name, "lang");
	CHECK(config->plugins[0].setting_count == 1 && config->plugins[0].settings[0].line == 19);
	CHECK(config->route_count == 1);
	CHECK_STR(config->routes[0].kind, "lang");
	CHECK_STR(config->routes[0].topic, "news.de");
	CHECK(config->feed_count == 3);
	CHECK_STR(config->feeds[0].name, "Alpha");
	CHECK(config->feeds[0].interval_ms == 600000);
	CHECK(config->feeds[0].tags.count == 2);
	CHECK_STR(config->feeds[1].headers.items[0], "X-Token: a b");
	CHECK_STR(config->feeds[1].user_agent, "Bot 1");
	CHECK(strncmp(config->feeds[2].url, "file:///", 8) == 0);
	CHECK(config->feeds[2].line == 5);
	config_free(config);
	free(path);
	free(feeds);
}

/* Load text as a config; expect failure with an error starting "FILE:LINE:" and containing
 * `needle`. */
static void
expect_error(const char *text, int line, const char *needle)
{
	char error[512] = "", prefix[256];
	char *path = write_temp("bad.conf", text);
	struct config *config = config_load(path, error, sizeof error);

	CHECK(config == NULL);
	snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	if (strncmp(error, prefix, strlen(prefix)) != 0 || strstr(error, needle) == NULL) {
		fprintf(stderr, "  error was: %s (wanted %s...%s)\n", error, prefix, needle);
		CHECK(0);
	}
	config_free(config);
	free(path);
}

static void
test_config_errors_name_file_and_line(void)
{
	expect_error("[daemon]\nstate_dri = x\n", 2, "unknown key \"state_dri\"");
	expect_error("[deamon]\n", 1, "unknown section [deamon]");
	expect_error("[feeds]\ninterval = soon\n", 2, "not a duration");
	expect_error("[feeds]\nallow_private = maybe\n", 2, "yes or no");
	expect_error("state_dir = x\n", 1, "outside any [section]");
	expect_error("[daemon]\nlog_level = loud\n", 2, "log_level");
	expect_error("[dedup]\nthreshold = 1.5\n", 2, "from 0 to 1");
	expect_error("[dedup]\npolicy = shred\n", 2, "route, drop or tag");
	expect_error("[kafka]\ntopic.other = x\n", 2, "unknown key \"topic.other\"");
	expect_error("[route]\nlanguage:de = x\n", 2, "unknown kind");
	expect_error("[plugin lang]\n", 1, "[plugin \"NAME\"]");
	expect_error("[plugin \"a\"]\n[plugin \"a\"]\n", 2, "configured twice");
	expect_error("[daemon]\njust words\n", 2, "expected KEY = VALUE");
	expect_error("[daemon]\n\nlog_levels = fetch:loud\n", 3, "COMPONENT:LEVEL");
	expect_error("[daemon]\nworkers = 0\n", 2, "expected auto or 1 to 64");
	expect_error("[daemon]\nworkers = many\n", 2, "expected auto or 1 to 64");
}

static void
test_feeds_list_errors(void)
{
	char error[512] = "";
	char *feeds = write_temp("bad.list", "https://a.example/x\nhttps://b.example/y colour=red\n");
	char *path = write_temp("list.conf", "[feeds]\nlist = bad.list\n");
	struct config *config = config_load(path, error, sizeof error);

	CHECK(config == NULL);
	CHECK_CONTAINS(error, "bad.list:2: unknown feed option \"colour\"");
	free(feeds);
	feeds = write_temp("bad.list", "https://a.example/x\n\nhttps://a.example/x\n");
	config = config_load(path, error, sizeof error);
	CHECK(config == NULL);
	CHECK_CONTAINS(error, "bad.list:3: feed https://a.example/x already listed");
	free(feeds);
	feeds = write_temp("bad.list", "gopher://a.example/x\n");
	config = config_load(path, error, sizeof error);
	CHECK(config == NULL);
	CHECK_CONTAINS(error, "bad.list:1: unsupported feed URL");
	free(feeds);
	free(path);
}

static void
test_article_ids_are_stable_and_scoped(void)
{
	struct article *a = article_new(), *b = article_new(), *c = article_new();

	/* A permalink guid and the same link give one id; tracking parameters do not matter. */
	a->guid = xstrdup("https://News.example/story?id=1&utm_source=x");
	b->link = xstrdup("https://news.example/story?id=1");
	article_assign_id(a);
	article_assign_id(b);
	CHECK(strlen(a->id) == 32);
	CHECK_STR(a->id, b->id);
	/* An opaque guid is scoped by the feed: equal guids in two feeds are two articles. */
	c->guid = xstrdup("12345");
	c->feed_name = xstrdup("One");
	article_assign_id(c);
	char *first = xstrdup(c->id);
	article_set(&c->feed_name, "Two");
	article_assign_id(c);
	CHECK(strcmp(first, c->id) != 0);
	/* ...but stable across a change of feed URL. */
	article_set(&c->feed_url, "https://elsewhere.example/feed");
	article_assign_id(c);
	char *second = xstrdup(c->id);
	article_set(&c->feed_url, "https://moved.example/feed");
	article_assign_id(c);
	CHECK_STR(second, c->id);
	free(first);
	free(second);
	/* Attaching the feed assigns the id again only when it names the feed. */
	struct feed_config feed = { .url = "https://feeds.example/rss", .name = "Three" };
	char *before = xstrdup(a->id);
	CHECK(!article_id_depends_on_feed(a));
	CHECK(article_id_depends_on_feed(c));
	pipeline_attach_source(a, &feed, feed.url);
	CHECK_STR(a->id, before);
	free(before);
	before = xstrdup(c->id);
	pipeline_attach_source(c, &feed, feed.url);
	CHECK(strcmp(before, c->id) != 0);	/* now scoped by "Three" */
	free(before);
	before = xstrdup(c->id);
	article_assign_id(c);
	CHECK_STR(c->id, before);
	free(before);
	article_free(a);
	article_free(b);
	article_free(c);
}

static void
test_article_json(void)
{
	struct article *article = article_new();
	json_error_t error;
	json_t *root;
	char *text;

	article->guid = xstrdup("g1");
	article->link = xstrdup("https://x.example/a");
	article->title = xstrdup("Title \"quoted\" \xc3\xa9");
	article->text = xstrdup("One.\n\nTwo.");
	article->published = 1758435540;
	article->fetched = 1758435600;
	article->word_count = 2;
	article->dedup.status = DEDUP_DUPLICATE;
	article->dedup.duplicate_of = xstrdup("0123456789abcdef0123456789abcdef");
	article->dedup.similarity = 0.87654;
	strcpy(article->lang_code, "en");
	article->lang_confidence = 0.97;
	article_add_entity(article, "Kabul", "place", 2);
	article_add_entity(article, "Kabul", "place", 1);
	strlist_add(&article->authors, "A. Writer");
	article_assign_id(article);
	text = article_to_json(article);
	root = json_loads(text, 0, &error);
	CHECK(root != NULL);
	CHECK(json_integer_value(json_object_get(root, "schema")) == ARTICLE_SCHEMA);
	/* schema 2: an author only named (here, by an earlier stage) is {name, null, null} */
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(root,
	    "authors"), 0), "name")), "A. Writer");
	CHECK(json_is_null(json_object_get(json_array_get(json_object_get(root, "authors"), 0),
	    "email")));
	CHECK_STR(json_string_value(json_object_get(root, "id")), article->id);
	CHECK_STR(json_string_value(json_object_get(root, "title")), "Title \"quoted\" \xc3\xa9");
	CHECK_STR(json_string_value(json_object_get(root, "published")), "2025-09-21T06:19:00Z");
	CHECK(json_is_null(json_object_get(root, "updated")));
	json_t *dedup = json_object_get(root, "dedup");
	CHECK_STR(json_string_value(json_object_get(dedup, "status")), "duplicate");
	CHECK(json_real_value(json_object_get(dedup, "similarity")) == 0.877);
	json_t *entities = json_object_get(json_object_get(root, "tags"), "entities");
	CHECK(json_array_size(entities) == 1);
	CHECK(json_integer_value(json_object_get(json_array_get(entities, 0), "count")) == 3);
	CHECK_STR(json_string_value(json_object_get(json_object_get(root, "lang"), "code")), "en");
	json_decref(root);
	free(text);
	/*
	 * Strings are built unchecked (they are UTF-8 by construction); should one not be, the
	 * message is rendered again with checked strings, which leave that one out.
	 */
	free(article->title);
	article->title = xstrdup("Broken \xff title");
	text = article_to_json(article);
	root = json_loads(text, 0, &error);
	CHECK(root != NULL);
	CHECK(json_object_get(root, "title") == NULL);
	CHECK_STR(json_string_value(json_object_get(root, "text")), "One.\n\nTwo.");
	CHECK_STR(json_string_value(json_object_get(json_object_get(root, "dedup"), "status")),
	    "duplicate");
	json_decref(root);
	free(text);
	article_free(article);
}

/*
 * An article whose message went to the producer keeps what its delivery report needs (id,
 * verdicts, the fields of its log line) and loses the bulky rest; its text stays only when
 * asked (the page cache).
 */
static void
test_article_shed_delivered(void)
{
	for (int keep_text = 0; keep_text <= 1; keep_text++) {
		struct article *article = article_new();

		article->link = xstrdup("https://x.example/a");
		article->title = xstrdup("Title");
		article->text = xstrdup("One.\n\nTwo.");
		article->summary = xstrdup("One.");
		article->summary_html = xstrdup("<p>One.</p>");
		article->content_html = xstrdup("<p>One.</p><p>Two.</p>");
		article->content_raw = xstrdup("One. Two.");
		article->json_without_dedup = xstrdup("{\"id\":\"x\"");
		article->page_html = xstrdup("<html></html>");
		article->page_html_length = 13;
		article->dedup.status = DEDUP_DUPLICATE;
		article->dedup.duplicate_of = xstrdup("0123456789abcdef0123456789abcdef");
		article->word_count = 2;
		strcpy(article->lang_code, "en");
		article_assign_id(article);
		char *id = xstrdup(article->id);
		article_shed_delivered(article, keep_text);
		CHECK_STR(article->id, id);
		CHECK_STR(article->title, "Title");
		CHECK_STR(article->link, "https://x.example/a");
		CHECK_STR(article->dedup.duplicate_of, "0123456789abcdef0123456789abcdef");
		CHECK(article->word_count == 2 && strcmp(article->lang_code, "en") == 0);
		CHECK(article->summary == NULL && article->summary_html == NULL &&
		    article->content_html == NULL && article->content_raw == NULL &&
		    article->json_without_dedup == NULL && article->page_html == NULL &&
		    article->page_html_length == 0);
		CHECK(keep_text ? article->text != NULL && strcmp(article->text,
		    "One.\n\nTwo.") == 0 : article->text == NULL);
		free(id);
		article_free(article);
	}
}

/*
 * article_add_entity() past the sizes its array doubles at (8, 16, 32, 64): every name kept
 * once in order of first add, mentions of a name already there summed, checked against
 * counts kept here by a plain scan.
 */
static void
test_article_entities_grow_and_merge(void)
{
	struct article *article = article_new();
	int expected[70] = { 0 };
	char name[32];
	size_t order = 0;
	int ok = 1;

	for (int round = 0; round < 300; round++) {
		int which = (round * 37) % 70;

		snprintf(name, sizeof name, "%c Name %d", 'A' + which % 3, which);
		article_add_entity(article, name, which % 2 ? "person" : NULL, 1 + which % 4);
		expected[which] += 1 + which % 4;
	}
	CHECK(article->entity_count == 70);
	for (int round = 0; round < 300 && order < article->entity_count; round++) {
		int which = (round * 37) % 70, seen = 0;

		for (int earlier = 0; earlier < round; earlier++)
			seen |= (earlier * 37) % 70 == which;
		if (seen)
			continue;
		snprintf(name, sizeof name, "%c Name %d", 'A' + which % 3, which);
		ok &= strcmp(article->entities[order].name, name) == 0 &&
		    strcmp(article->entities[order].type, which % 2 ? "person" : "other") == 0 &&
		    article->entities[order].count == expected[which];
		order++;
	}
	CHECK(ok && order == 70);
	article_free(article);
}

/* json_write() of value as a string (NULL when it refused). */
static char *
written(const json_t *value)
{
	struct buffer out = { 0 };

	if (json_write(value, &out) == -1) {
		buffer_free(&out);
		return NULL;
	}
	return buffer_steal(&out);
}

/*
 * The writer against jansson's own compact dump, on 20,000 random strings built from the
 * bytes that matter (controls, quote, backslash, slash, DEL, pieces of multi-byte characters,
 * bytes never valid in UTF-8): the same text where jansson accepts the string, a refusal
 * where it does not.
 */
static void
test_json_write_matches_jansson(void)
{
	static const char *pieces[] = { "a", "Z", " ", "\"", "\\", "/", "\x01", "\x1f", "\n",
	    "\t", "\r", "\b", "\f", "\x7f", "\xc3\xa9", "\xe2\x80\x99", "\xf0\x9f\x98\x80",
	    "\xef\xbf\xbf", "\xc3", "\xa9", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	    "\xff", "\xe2\x82", "plain ascii run of words" };
	unsigned int seed = 12345;
	int same = 0, refused_both = 0, wrong = 0;

	for (int round = 0; round < 20000; round++) {
		char text[400] = "";
		int count = (int)(rand_r(&seed) % 24);

		for (int i = 0; i < count; i++)
			strcat(text, pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])]);
		json_t *array = json_array();
		json_array_append_new(array, json_stringn_nocheck(text, strlen(text)));
		char *ours = written(array);
		char *theirs = json_dumps(array, JSON_COMPACT);

		if (ours == NULL && theirs == NULL)
			refused_both++;
		else if (ours != NULL && theirs != NULL && strcmp(ours, theirs) == 0)
			same++;
		else if (wrong++ == 0)
			fprintf(stderr, "json_write: \"%s\" against jansson's \"%s\"\n",
			    ours ? ours : "(refused)", theirs ? theirs : "(refused)");
		free(ours);
		free(theirs);
		json_decref(array);
	}
	CHECK(wrong == 0);
	CHECK(same > 1000 && refused_both > 1000);	/* both kinds were exercised */
}

/*
 * The writer's runs against jansson where they end: every byte value (and a two-, three- and
 * four-byte character) at every position of plain strings of 1 to 40 bytes, alone and after
 * a character already written in the same string (the ends of a string are read overlapping
 * bytes before the current position).
 */
static void
test_json_write_every_byte(void)
{
	static const char *const prefixes[] = { "", "\xc3\xa9", "\n", "\"" };
	static const char *const characters[] = { "\xc3\xa9", "\xe2\x80\x99",
	    "\xf0\x9f\x98\x80" };
	int same = 0, refused_both = 0, wrong = 0;

	for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++)
		for (int length = 1; length <= 40; length++)
			for (int at = 0; at < length; at++)
				for (int value = 0; value < 256 + 3; value++) {
					char text[64];
					size_t used = strlen(prefixes[p]);

					memcpy(text, prefixes[p], used);
					for (int i = 0; i < length; i++)
						text[used + (size_t)i] = (char)('a' + i % 26);
					text[used + (size_t)length] = '\0';
					if (value == 0)
						text[used + (size_t)at] = '\0';	/* a shorter string */
					else if (value < 256)
						text[used + (size_t)at] = (char)value;
					else {
						const char *c = characters[value - 256];

						if ((size_t)at + strlen(c) > (size_t)length)
							continue;
						memcpy(text + used + at, c, strlen(c));
					}
					json_t *array = json_array();
					json_array_append_new(array, json_stringn_nocheck(text,
					    strlen(text)));
					char *ours = written(array);
					char *theirs = json_dumps(array, JSON_COMPACT);

					if (ours == NULL && theirs == NULL)
						refused_both++;
					else if (ours != NULL && theirs != NULL &&
					    strcmp(ours, theirs) == 0)
						same++;
					else if (wrong++ == 0)
						fprintf(stderr, "json_write: \"%s\" against jansson's "
						    "\"%s\"\n", ours ? ours : "(refused)",
						    theirs ? theirs : "(refused)");
					free(ours);
					free(theirs);
					json_decref(array);
				}
	CHECK(wrong == 0);
	CHECK(same > 100000 && refused_both > 10000);
}

/*
 * json_write_string_length() on the first length bytes of a longer text (the byte after them
 * a quote, a control or a lone UTF-8 lead, so reading past the end would show) against the
 * plain json_write_string() of the same bytes copied and terminated: 20,000 random strings.
 */
static void
test_json_write_string_length(void)
{
	static const char alphabet[] = "ab \"\\\n\x01\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xb0\xed\x80";
	unsigned seed = 29;
	int same = 0, total = 20000;

	for (int round = 0; round < total; round++) {
		size_t length = (size_t)(rand_r(&seed) % 48);
		char *text = xmalloc(length + 1), *copy = xmalloc(length + 1);
		struct buffer by_length = { 0 }, by_nul = { 0 };
		int length_result, nul_result;

		for (size_t i = 0; i < length; i++)
			text[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		memcpy(copy, text, length);
		copy[length] = '\0';
		text[length] = "\"\x01\xc3"[round % 3];	/* not a terminator */
		length_result = json_write_string_length(text, length, &by_length);
		nul_result = json_write_string(copy, &by_nul);
		same += length_result == nul_result && (nul_result < 0 ||
		    (by_length.length == by_nul.length &&
		    memcmp(by_length.data, by_nul.data, by_nul.length) == 0));
		buffer_free(&by_length);
		buffer_free(&by_nul);
		free(text);
		free(copy);
	}
	CHECK(same == total);
}

static void
test_json_write_values(void)
{
	json_t *value = json_pack("{s:i, s:I, s:I, s:[f, f, f, f, f, f], s:{}, s:[], s:b, s:b, s:n, "
	    "s:s}", "small", -7, "max", (json_int_t)INT64_MAX, "min", (json_int_t)INT64_MIN,
	    "reals", 0.99, 1.0, 1e300, 0.1 + 0.2, -0.0, 0.877,
	    "empty object", "empty array", "yes", 1, "no", 0, "nothing", "key \"\n\"", "\xc3\xa9");
	char *text = written(value);

	CHECK_STR(text, "{\"small\":-7,\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808,"
	    "\"reals\":[0.99,1.0,1e+300,0.30000000000000004,-0.0,0.877],"
	    "\"empty object\":{},\"empty array\":[],\"yes\":true,\"no\":false,\"nothing\":null,"
	    "\"key \\\"\\n\\\"\":\"\xc3\xa9\"}");
	/* Every real reads back as the same double. */
	json_t *read_back = json_loads(text, 0, NULL);
	json_t *reals = json_object_get(read_back, "reals");
	CHECK(json_array_size(reals) == 6);
	for (size_t i = 0; i < json_array_size(reals); i++)
		CHECK(json_real_value(json_array_get(reals, i)) ==
		    json_real_value(json_array_get(json_object_get(value, "reals"), i)));
	json_decref(read_back);
	free(text);
	json_decref(value);
	/* A key that is not UTF-8 is refused like a value. */
	value = json_object();
	json_object_set_new_nocheck(value, "bad \xff key", json_true());
	CHECK(written(value) == NULL);
	json_decref(value);
}

/* A real as write_real() wrote every real before its short-decimal path: the fewest of 15
 * to 17 significant digits that read back, ".0" added when that shows no '.' or exponent. */
static void
reference_real(double value, char *text, size_t size)
{
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, size, "%.*g", digits, value);
		if (strtod(text, NULL) == value)
			break;
	}
	if (strpbrk(text, ".eE") == NULL)
		strcat(text, ".0");
}

/*
 * Reals of at most three decimals (the message's rounded shares and scores take a short path)
 * and others around them: the same text as the %.*g reference, for every thousandth from
 * -100 to 100, the rounded values message_write.c makes, large ones, tiny ones and -0.0.
 */
static void
test_json_write_short_reals(void)
{
	static const double others[] = { -0.0, 0.0, 1e-4, 0.0005, 0.1 + 0.2, 1.0 / 3, 999999999.999,
	    1e9, -1e9, 123456789.125, 1e15, 1e300, 5e-324, 0.877, 0.99, 100000000.001 };
	unsigned int seed = 777;
	int wrong = 0, checked = 0;

	for (int i = 0; i < 200000 + 2 * (int)(sizeof others / sizeof others[0]) + 20000; i++) {
		double value;
		char ours_text[64], theirs[64];
		struct buffer out = { 0 };

		if (i <= 200000)
			value = (i - 100000) / 1000.0;
		else if (i < 200001 + (int)(sizeof others / sizeof others[0]))
			value = others[i - 200001];
		else if (i < 200001 + 2 * (int)(sizeof others / sizeof others[0]))
			value = nextafter(others[i - 200001 - (int)(sizeof others / sizeof others[0])],
			    2.0);
		else if (i % 2)
			value = round((double)rand_r(&seed) / RAND_MAX * 1000.0) / 1000.0;
		else
			value = round((double)rand_r(&seed) / RAND_MAX * 100.0) / 100.0;
		CHECK(json_write_real(value, &out) == 0);
		json_write_end(&out);
		snprintf(ours_text, sizeof ours_text, "%s", out.data);
		buffer_free(&out);
		reference_real(value, theirs, sizeof theirs);
		if (strcmp(ours_text, theirs) != 0 && wrong++ < 3)
			fprintf(stderr, "json_write_real(%.17g): %s, reference %s\n", value,
			    ours_text, theirs);
		checked++;
	}
	CHECK(wrong == 0);
	CHECK(checked > 200000);
}

/*
 * Messages rendered through the per-thread jansson arena: right, whatever their size (a text
 * past one arena chunk too), jansson values made before any arena still freed by malloc, and
 * the heap not growing from message to message.
 */
static void
test_json_arena(void)
{
	struct article *article = article_new();
	json_t *outside = json_string("made with malloc");
	struct buffer big = { 0 };
	size_t before = 0, after;
	int wrong = 0;

	while (big.length < 150 * 1024)
		buffer_append_string(&big, "A line of text \"quoted\" \xc3\xa9 and more.\n");
	article->link = xstrdup("https://x.example/a");
	article->title = xstrdup("Title");
	article_assign_id(article);
	for (int round = 0; round < 2000; round++) {
		json_error_t error;
		json_t *root;
		char *text;

		free(article->text);
		article->text = round % 3 == 0 ? xstrdup(big.data) : xasprintf("Short %d.", round);
		if (round == 1000) {
			json_decref(outside);	/* freed while no arena is open: malloc's */
			outside = NULL;
		}
		if (round == 200)
			before = heap_in_use();
		text = article_to_json(article);
		root = json_loads(text, 0, &error);
		if (root == NULL || strcmp(json_string_value(json_object_get(root, "text")),
		    article->text) != 0 || !json_is_object(json_object_get(root, "dedup")))
			wrong++;
		json_decref(root);
		free(text);
	}
	after = heap_in_use();
	CHECK(wrong == 0);
	CHECK(after < before + 1024 * 1024);
	buffer_free(&big);
	article_free(article);
}

static void
test_state_seen_and_validators(void)
{
	char error[256] = "";
	char *dir = xasprintf("%s/state/nested", temp_dir);
	struct state *state = state_open(dir, error, sizeof error);
	struct feed_record record;

	CHECK(state != NULL);
	if (state == NULL)
		return;
	CHECK(state_seen(state, "feed", "id1") == 0);
	CHECK(state_mark_seen(state, "feed", "id1", 1000) == 0);
	CHECK(state_seen(state, "feed", "id1") == 1);
	CHECK(state_seen(state, "other-feed", "id1") == 0);
	CHECK(state_feed_save_validators(state, "feed", "\"etag-1\"", "Mon, 01 Jan 2024") == 0);
	CHECK(state_feed_save_health(state, "feed", 3, 0, "https://moved.example/") == 0);
	state_close(state);

	state = state_open(dir, error, sizeof error);
	CHECK(state_seen(state, "feed", "id1") == 1);
	{	/* updated time and content hash: recorded, kept by a mark without, replaced */
		time_t updated = -1;
		uint64_t hash = 1;

		CHECK(state_seen_updated(state, "feed", "id1", &updated, &hash) == 1 &&
		    updated == 0 && hash == 0);
		CHECK(state_mark_seen_updated(state, "feed", "id1", 1000, 5000, 0xfeedULL << 40) == 0);
		CHECK(state_mark_seen(state, "feed", "id1", 1000) == 0);
		CHECK(state_seen_updated(state, "feed", "id1", &updated, &hash) == 1 &&
		    updated == 5000 && hash == 0xfeedULL << 40);
		CHECK(state_mark_seen_updated(state, "feed", "id1", 1000, 6000, UINT64_MAX) == 0);
		CHECK(state_seen_updated(state, "feed", "id1", &updated, &hash) == 1 &&
		    updated == 6000 && hash == UINT64_MAX);
		CHECK(state_seen_updated(state, "feed", "id2", &updated, NULL) == 0 && updated == 0);
	}
	CHECK(state_feed_load(state, "feed", &record) == 0);
	CHECK_STR(record.etag, "\"etag-1\"");
	CHECK_STR(record.current_url, "https://moved.example/");
	CHECK(record.failures == 3);
	feed_record_clear(&record);
	CHECK(state_feed_load(state, "never-seen", &record) == 0 && record.etag == NULL);
	CHECK(state_expire_seen(state, 2000, 3000) == 1);
	CHECK(state_seen(state, "feed", "id1") == 0);
	state_close(state);
	free(dir);
}

/*
 * The WAL is checkpointed by the state's own thread: 40 MB of spool rows in 100-row commits
 * (the loop's connection never checkpoints) leave a WAL of about 10 MB, not 48, and every row
 * is there after a reopen. The writer lets the checkpointer catch up every 10 commits (as the
 * loop's pauses do), so the figure does not depend on how this machine schedules threads.
 */
static void
test_state_checkpoints_on_its_thread(void)
{
	char error[256] = "";
	char *dir = xasprintf("%s/state-checkpoints", temp_dir);
	char *wal_path = xasprintf("%s/wiresift.db-wal", dir);
	struct state *state = state_open(dir, error, sizeof error);
	char *value = xmalloc(4096);
	struct stat wal;
	long long rows = 0, bytes = 0;

	CHECK(state != NULL);
	if (state == NULL)
		goto out;
	memset(value, 'x', 4096);
	for (int commit = 0; commit < 100; commit++) {
		for (int row = 0; row < 100; row++)
			CHECK(state_spool_append(state, "topic", "key", value, 4096, NULL, 1) == 0);
		CHECK(state_commit(state) == 0);
		if (commit % 10 == 9)
			state_wait_checkpoints(state);
	}
	CHECK(stat(wal_path, &wal) == 0);
	CHECK(wal.st_size < 24 * 1024 * 1024);	/* 48 MB when nothing checkpoints */
	state_close(state);
	state = state_open(dir, error, sizeof error);
	CHECK(state != NULL && state_spool_size(state, &rows, &bytes) == 0);
	CHECK(rows == 10000 && bytes == 10000LL * 4096);
	state_close(state);
out:
	free(value);
	free(wal_path);
	free(dir);
}

static void
count_hook_calls(void *context)
{
	(*(int *)context)++;
}

/* Writes are grouped: one hook call per group; others see the group only once committed. */
static void
test_state_groups_writes_until_commit(void)
{
	char error[256] = "";
	char *dir = xasprintf("%s/state-groups", temp_dir);
	struct state *writer = state_open(dir, error, sizeof error);
	struct state *reader = state_open(dir, error, sizeof error);
	int hook_calls = 0;

	CHECK(writer != NULL && reader != NULL);
	if (writer == NULL || reader == NULL)
		goto out;
	state_set_commit_hook(writer, count_hook_calls, &hook_calls);
	for (int i = 0; i < 100; i++) {
		char id[16];
		snprintf(id, sizeof id, "id%d", i);
		CHECK(state_mark_seen(writer, "feed", id, 1000) == 0);
	}
	CHECK(state_feed_save_validators(writer, "feed", "\"v2\"", NULL) == 0);
	CHECK(hook_calls == 1);
	CHECK(state_seen(writer, "feed", "id99") == 1);		/* its own writes: visible */
	CHECK(state_seen(reader, "feed", "id99") == 0);		/* not committed yet */
	CHECK(state_commit(writer) == 0);
	CHECK(state_seen(reader, "feed", "id0") == 1 && state_seen(reader, "feed", "id99") == 1);
	CHECK(state_commit(writer) == 0);			/* nothing open: a no-op */
	CHECK(state_mark_seen(writer, "feed", "last", 1000) == 0);
	CHECK(hook_calls == 2);
	state_close(writer);					/* commits what is open */
	writer = NULL;
	CHECK(state_seen(reader, "feed", "last") == 1);
out:
	state_close(writer);
	state_close(reader);
	free(dir);
}

/* Per-component levels: the named component logs at its own level, the others at the global. */
/* Log lines written between start and end, read back from a pipe (at most 64 kB). */
struct stderr_capture {
	int	 saved;
	int	 pipe_ends[2];
};

static void
stderr_capture_start(struct stderr_capture *capture)
{
	capture->saved = dup(STDERR_FILENO);
	CHECK(pipe(capture->pipe_ends) == 0);
	dup2(capture->pipe_ends[1], STDERR_FILENO);
}

static void
stderr_capture_end(struct stderr_capture *capture, char *output, size_t output_size)
{
	ssize_t got;

	dup2(capture->saved, STDERR_FILENO);
	close(capture->saved);
	close(capture->pipe_ends[1]);
	got = read(capture->pipe_ends[0], output, output_size - 1);
	output[got > 0 ? got : 0] = '\0';
	close(capture->pipe_ends[0]);
}

static void
test_component_log_levels(void)
{
	struct stderr_capture capture;
	char output[4096];

	CHECK(log_set_component_levels("fetch:debug,kafka:error") == 0);
	CHECK(log_set_component_levels("fetch") == -1);
	stderr_capture_start(&capture);
	log_init(LOG_LEVEL_INFO);
	log_event(LOG_LEVEL_DEBUG, "fetch", "shown.debug", "n=1");
	log_event(LOG_LEVEL_WARNING, "kafka", "hidden.warning", "n=2");
	log_event(LOG_LEVEL_DEBUG, "parse", "hidden.debug", "n=3");
	log_event(LOG_LEVEL_INFO, "parse", "shown.info", "n=4");
	stderr_capture_end(&capture, output, sizeof output);
	CHECK_CONTAINS(output, "event=shown.debug");
	CHECK_CONTAINS(output, "event=shown.info");
	CHECK_NOT_CONTAINS(output, "hidden");
	log_set_component_levels(NULL);
}

/* A failing condition is logged once, counted while it repeats, and cleared with one line. */
static void
test_complaints(void)
{
	struct stderr_capture capture;
	char output[4096];

	stderr_capture_start(&capture);
	log_init(LOG_LEVEL_INFO);
	log_complain_clear("never failed", "test", "quiet.recovered");	/* nothing to say */
	log_complain("disk", "test", "disk.full", "try=%d", 1);
	log_complain("disk", "test", "disk.full", "try=%d", 2);		/* suppressed */
	log_complain("disk", "test", "disk.full", "try=%d", 3);		/* suppressed */
	log_complain_clear("disk", "test", "disk.recovered");
	log_complain("disk", "test", "disk.full", "try=%d", 4);		/* a new episode */
	log_complain_clear("disk", "test", "disk.recovered");
	stderr_capture_end(&capture, output, sizeof output);
	CHECK_CONTAINS(output, "event=disk.full try=1\n");
	CHECK_NOT_CONTAINS(output, "try=2");
	CHECK_NOT_CONTAINS(output, "try=3");
	CHECK_CONTAINS(output, "event=disk.full try=4\n");
	CHECK_CONTAINS(output, "event=disk.recovered recovered=disk");
	CHECK_NOT_CONTAINS(output, "quiet.recovered");
}

/* Dedup policy picks the default topic; [route] rules add topics for matching articles. */
static void
test_routing(void)
{
	char error[512] = "";
	char *path = write_temp("route.conf",
	    "[kafka]\ntopic.articles = all\ntopic.duplicates = copies\n"
	    "[route]\nlang:de = news.de\ntopic:politics = news.politics\n"
	    "tag:wire = news.wire\nentity:Kabul = news.kabul\n");
	struct config *config = config_load(path, error, sizeof error);
	struct pipeline *pipeline = config ? pipeline_open(config, PIPELINE_OFFLINE, error,
	    sizeof error) : NULL;
	struct article *article = article_new();
	struct strlist topics = { 0 };

	CHECK(pipeline != NULL);
	if (pipeline == NULL) {
		fprintf(stderr, "  %s\n", error);
		config_free(config);
		article_free(article);
		free(path);
		return;
	}
	strcpy(article->lang_code, "de");
	strlist_add(&article->topics, "politics");
	article_add_entity(article, "Kabul", "place", 1);
	article->dedup.status = DEDUP_UNIQUE;
	pipeline_topics(pipeline, article, &topics);
	CHECK(topics.count == 4);
	CHECK_STR(topics.items[0], "all");
	CHECK(strlist_contains(&topics, "news.de") && strlist_contains(&topics, "news.politics"));
	CHECK(strlist_contains(&topics, "news.kabul") && !strlist_contains(&topics, "news.wire"));
	strlist_clear(&topics);
	/* A duplicate goes to the duplicates topic only (policy route)... */
	article->dedup.status = DEDUP_DUPLICATE;
	pipeline_topics(pipeline, article, &topics);
	CHECK(topics.count == 1 && strcmp(topics.items[0], "copies") == 0);
	strlist_clear(&topics);
	/* ...nowhere with policy drop, and like an article with policy tag. */
	config->dedup.policy = DEDUP_POLICY_DROP;
	pipeline_topics(pipeline, article, &topics);
	CHECK(topics.count == 0);
	config->dedup.policy = DEDUP_POLICY_TAG;
	pipeline_topics(pipeline, article, &topics);
	CHECK(topics.count == 4 && strcmp(topics.items[0], "all") == 0);
	strlist_clear(&topics);
	pipeline_close(pipeline);
	config_free(config);
	article_free(article);
	free(path);
}

/* What the worker threads hand back, in the order they handed it. */
struct handed_back {
	struct event_base	*base;
	struct article		**articles;
	int			*results;
	size_t			 count, expected;
};

static void
collect_prepared(struct article *article, int result, void *job_context, void *context)
{
	struct handed_back *back = context;

	CHECK(job_context == (void *)(back->count + 1));	/* submission order */
	back->articles[back->count] = article;
	back->results[back->count++] = result;
	if (back->count == back->expected)
		event_base_loopbreak(back->base);
}

static struct article *
numbered_article(size_t number)
{
	struct article *article = article_new();
	struct buffer html = { 0 };

	article->title_raw = xasprintf("Council vote %zu in Harrowgate", number);
	article->guid = xasprintf("urn:test:%zu", number);
	/* lengths vary a hundredfold so workers finish out of order; every 7th is empty */
	for (size_t i = 0; number % 7 != 0 && i < 1 + (number * 37) % 100; i++)
		buffer_printf(&html, "<p>The Harrowgate council met on day %zu and the mayor, "
		    "Tomas Brecht, said the bridge would reopen in %zu weeks.</p>", i, number);
	if (number % 7 == 0)
		article_set(&article->title_raw, "");
	article->content_html = buffer_steal(&html);
	article_assign_id(article);
	return article;
}

/*
 * Worker threads (each with its own clean rules and plugin instances) prepare articles exactly
 * as the loop thread would, and hand them back in submission order.
 */
static void
test_workers_keep_order_and_results(void)
{
	char error[512] = "";
	struct config *config = config_load("conf/demo/wiresift.conf", error, sizeof error);
	struct pipeline_stages *alone_stages = config ? pipeline_stages_open(config, error,
	    sizeof error) : NULL;
	struct event_base *base = event_base_new();
	struct handed_back back = { .base = base, .expected = 300 };
	struct workers *workers = alone_stages ? workers_new(base, 3, config, collect_prepared, &back,
	    error, sizeof error) : NULL;
	time_t now = 1790000000;

	CHECK(workers != NULL);
	if (workers == NULL) {
		fprintf(stderr, "  %s\n", error);
		goto out;
	}
	back.articles = xcalloc(back.expected, sizeof *back.articles);
	back.results = xcalloc(back.expected, sizeof *back.results);
	for (size_t i = 1; i <= back.expected; i++)
		workers_submit(workers, numbered_article(i), now, (void *)i);
	CHECK(workers_pending(workers) <= back.expected);
	event_base_dispatch(base);
	CHECK(back.count == back.expected && workers_pending(workers) == 0);
	for (size_t i = 0; i < back.count; i++) {
		struct article *alone = numbered_article(i + 1);
		int result = pipeline_prepare(alone_stages, alone, now, NULL, NULL);
		char *expected_json, *json;

		/*
		 * Keywords are scored against document frequencies each plugin instance learns
		 * from the articles it has seen, so they depend on which worker took what.
		 */
		CHECK(back.results[i] < 0 || back.articles[i]->keywords.count > 0);
		/* The JSON a worker rendered (all but the verdict) is the JSON of the article. */
		if (result == 0) {
			json = article_to_json(alone);
			free(alone->json_without_dedup);
			alone->json_without_dedup = NULL;
			expected_json = article_to_json(alone);
			CHECK(strcmp(json, expected_json) == 0);
			free(json);
			free(expected_json);
			free(back.articles[i]->json_without_dedup);
			back.articles[i]->json_without_dedup = NULL;
		}
		strlist_clear(&alone->keywords);
		strlist_clear(&back.articles[i]->keywords);
		expected_json = article_to_json(alone);
		json = article_to_json(back.articles[i]);

		CHECK(back.results[i] == result);
		CHECK(result == ((i + 1) % 7 == 0 ? -1 : 0));
		CHECK(strcmp(json, expected_json) == 0);
		free(json);
		free(expected_json);
		article_free(alone);
		article_free(back.articles[i]);
	}
	/* Freed with work still queued: the articles never handed back are freed, not leaked. */
	for (size_t i = 1; i <= 50; i++)
		workers_submit(workers, numbered_article(i), now, (void *)i);
out:
	workers_free(workers);
	pipeline_stages_close(alone_stages);
	config_free(config);
	event_base_free(base);
	free(back.articles);
	free(back.results);
}

/* The set of in-flight ids: adds, finds and removes by value through growth and tombstones. */
static void
test_string_set(void)
{
	struct string_set set = { 0 };
	char id[32];
	int wrong = 0;

	CHECK(!string_set_contains(&set, "x") && !string_set_remove(&set, "x"));
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		wrong += string_set_add(&set, id) != 1;
	}
	CHECK(set.count == 5000 && wrong == 0);
	snprintf(id, sizeof id, "id-%d", 77);
	CHECK(string_set_add(&set, id) == 0 && set.count == 5000);
	for (int i = 0; i < 5000; i += 2) {		/* remove the even ones */
		snprintf(id, sizeof id, "id-%d", i);
		wrong += string_set_remove(&set, id) != 1;
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		wrong += string_set_contains(&set, id) != (i % 2);
	}
	CHECK(set.count == 2500 && wrong == 0);
	for (int round = 0; round < 20; round++)	/* churn: tombstones must not fill it */
		for (int i = 0; i < 1000; i++) {
			snprintf(id, sizeof id, "churn-%d-%d", round, i);
			string_set_add(&set, id);
			string_set_remove(&set, id);
		}
	CHECK(set.count == 2500 && set.used * 4 <= set.capacity * 3);
	CHECK(string_set_contains(&set, "id-4999") && !string_set_contains(&set, "id-4998"));
	string_set_clear(&set);
	CHECK(set.count == 0 && !string_set_contains(&set, "id-1"));
}

static void
test_log_quote(void)
{
	CHECK_STR(log_quote("plain"), "plain");
	CHECK_STR(log_quote("two words"), "\"two words\"");
	CHECK_STR(log_quote("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
	CHECK_STR(log_quote(""), "\"\"");
}

int
main(void)
{
	plugin_dir_default();	/* conf/demo/wiresift.conf's plugins, for the workers test */
	if (temp_dir_make("core") != 0)
		return 1;
	RUN(test_durations_and_sizes);
	RUN(test_time_format);
	RUN(test_time_format_reference);
	RUN(test_config_full);
	RUN(test_config_errors_name_file_and_line);
	RUN(test_feeds_list_errors);
	RUN(test_article_ids_are_stable_and_scoped);
	RUN(test_article_json);
	RUN(test_article_shed_delivered);
	RUN(test_article_entities_grow_and_merge);
	RUN(test_json_arena);
	RUN(test_json_write_matches_jansson);
	RUN(test_json_write_every_byte);
	RUN(test_json_write_string_length);
	RUN(test_json_write_values);
	RUN(test_json_write_short_reals);
	RUN(test_state_seen_and_validators);
	RUN(test_state_groups_writes_until_commit);
	RUN(test_state_checkpoints_on_its_thread);
	RUN(test_log_quote);
	RUN(test_string_set);
	RUN(test_routing);
	RUN(test_component_log_levels);
	RUN(test_complaints);
	RUN(test_workers_keep_order_and_results);
	temp_dir_remove();
	return check_finish();
}
