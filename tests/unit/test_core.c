/*
 * test_core.c - unit tests of the core's plain modules: durations and sizes, RFC 3339 stamps
 * against gmtime_r and strftime, the config and feeds-list parser (every error names
 * FILE:LINE), stable article ids, an article's JSON and what it keeps while it awaits
 * delivery, the SQLite state store, the in-flight id set, routing, log levels and
 * complaints. The JSON writer is test_json_write.c's, the worker threads test_workers.c's.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "article.h"
#include "config.h"
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
 * verdicts, the fields of its log line) and loses the bulky rest; its text stays only for
 * the page cache (the page came with validators).
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
		if (keep_text)	/* the page came with validators: the page cache keeps its text */
			article->page_etag = xstrdup("\"v1\"");
		article_assign_id(article);
		char *id = xstrdup(article->id);
		article_shed_delivered(article);
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
	RUN(test_state_seen_and_validators);
	RUN(test_state_groups_writes_until_commit);
	RUN(test_state_checkpoints_on_its_thread);
	RUN(test_log_quote);
	RUN(test_string_set);
	RUN(test_routing);
	RUN(test_component_log_levels);
	RUN(test_complaints);
	temp_dir_remove();
	return check_finish();
}
