/*
 * test_feed.c - feed_parse() as an API: safety against entity attacks, errors, streaming
 * order and early stop, recovery, encodings built byte by byte, speed on a 20 MB feed, and the
 * shared seed articles wrapped in a feed (read from ../shared/seeds, never copied).
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"
#include "feed/feed.h"
#include "util.h"

struct collected {
	struct article	*items[64];
	size_t		 count;
	size_t		 stop_after;	/* 0: never stop */
	size_t		 total_bytes;
};

static int
collect(struct article *item, void *context)
{
	struct collected *collected = context;

	if (collected->count < sizeof(collected->items) / sizeof(collected->items[0]))
		collected->items[collected->count] = item;
	else
		article_free(item);
	collected->count++;
	return collected->stop_after != 0 && collected->count >= collected->stop_after;
}

static void
collected_free(struct collected *collected)
{
	size_t kept = collected->count < 64 ? collected->count : 64;

	for (size_t i = 0; i < kept; i++)
		article_free(collected->items[i]);
	memset(collected, 0, sizeof(*collected));
}

static int
parse_string(const char *text, const char *content_type, struct feed_meta *meta,
    struct collected *collected, char *error, size_t error_size)
{
	return feed_parse(text, strlen(text), "http://example.com/feed", content_type, meta,
	    collect, collected, error, error_size);
}

static void
test_billion_laughs(void)
{
	const char *feed =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE rss [\n"
	    " <!ENTITY lol \"lol\">\n"
	    " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	    " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	    " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	    " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	    " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	    " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	    " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	    " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	    " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	    "]>\n"
	    "<rss version=\"2.0\"><channel><title>Laughs</title>\n"
	    "<item><title>&lol9;</title><description>a &lol9; b</description></item>\n"
	    "</channel></rss>\n";
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	CHECK(parse_string(feed, NULL, &meta, &collected, error, sizeof(error)) == 0);
	CHECK(collected.count == 1);
	if (collected.count == 1) {
		CHECK(collected.items[0]->title_raw == NULL ||
		    strlen(collected.items[0]->title_raw) < 64);
		CHECK_NOT_CONTAINS(collected.items[0]->title_raw, "lollol");
		CHECK_NOT_CONTAINS(collected.items[0]->summary_html, "lollol");
		CHECK_CONTAINS(collected.items[0]->summary_html, "a ");
	}
	CHECK_STR(meta.title, "Laughs");
	feed_meta_free(&meta);
	collected_free(&collected);
}

static void
test_external_entity_not_loaded(void)
{
	char *passwd = file_read("/etc/passwd", &(size_t){ 0 });
	char first_line[64] = "root:x:0:0";
	const char *feed =
	    "<?xml version=\"1.0\"?>\n"
	    "<!DOCTYPE rss [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> "
	    "<!ENTITY % remote SYSTEM \"http://127.0.0.1:9/evil.dtd\"> %remote; ]>\n"
	    "<rss version=\"2.0\"><channel><title>XXE &xxe;</title>\n"
	    "<item><title>t &xxe;</title><description>&xxe;</description>"
	    "<link>http://example.com/a</link></item>\n"
	    "</channel></rss>\n";
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	if (passwd != NULL) {
		size_t length = strcspn(passwd, "\n");

		snprintf(first_line, sizeof(first_line), "%.*s", (int)(length < 60 ? length : 60),
		    passwd);
	}
	CHECK(parse_string(feed, NULL, &meta, &collected, error, sizeof(error)) == 0);
	CHECK(collected.count == 1);
	CHECK_NOT_CONTAINS(meta.title, "root:");
	CHECK_NOT_CONTAINS(meta.title, first_line);
	if (collected.count == 1) {
		CHECK_NOT_CONTAINS(collected.items[0]->title_raw, first_line);
		CHECK_NOT_CONTAINS(collected.items[0]->summary_html, first_line);
		CHECK_NOT_CONTAINS(collected.items[0]->summary_html, "root:");
		CHECK_STR(collected.items[0]->link, "http://example.com/a");
	}
	feed_meta_free(&meta);
	collected_free(&collected);
	free(passwd);
}

static void
test_errors(void)
{
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	CHECK(feed_parse("", 0, NULL, NULL, &meta, collect, &collected, error,
	    sizeof(error)) == -1);
	CHECK_CONTAINS(error, "empty");
	CHECK(parse_string("  \n\t ", NULL, &meta, &collected, error, sizeof(error)) == -1);
	CHECK_CONTAINS(error, "empty");
	CHECK(parse_string("Service Unavailable", NULL, &meta, &collected, error,
	    sizeof(error)) == -1);
	CHECK_CONTAINS(error, "not a feed");
	CHECK(parse_string("\n<!DOCTYPE html>\n<html lang=en><head><title>Hi</title></head>"
	    "<body><p>x</body></html>", NULL, &meta, &collected, error, sizeof(error)) == -1);
	CHECK_STR(error, "line 2: HTML page, not a feed");
	CHECK(parse_string("<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">"
	    "<body/></html>", NULL, &meta, &collected, error, sizeof(error)) == -1);
	CHECK_CONTAINS(error, "HTML page, not a feed");
	CHECK(parse_string("<?xml version=\"1.0\"?><opml version=\"2.0\"><body/></opml>", NULL,
	    &meta, &collected, error, sizeof(error)) == -1);
	CHECK_CONTAINS(error, "not a feed");
	CHECK_CONTAINS(error, "opml");
	CHECK(parse_string("{\"a\": [1, 2}", NULL, &meta, &collected, error,
	    sizeof(error)) == -1);
	CHECK_CONTAINS(error, "invalid JSON");
	CHECK(parse_string("{\"name\": \"not a feed\"}", NULL, &meta, &collected, error,
	    sizeof(error)) == -1);
	CHECK_CONTAINS(error, "not a JSON Feed");
	CHECK(collected.count == 0);
	feed_meta_free(&meta);
}

static void
test_stop_early(void)
{
	struct buffer feed = { 0 };
	struct collected collected = { .stop_after = 3 };
	struct feed_meta meta;
	char error[256];

	buffer_append_string(&feed, "<rss version=\"2.0\"><channel><title>Many</title>");
	for (int i = 0; i < 10; i++)
		buffer_printf(&feed, "<item><title>Item %d</title><guid>urn:x:%d</guid></item>",
		    i, i);
	buffer_append_string(&feed, "</channel></rss>");
	CHECK(parse_string(feed.data, NULL, &meta, &collected, error, sizeof(error)) == 0);
	CHECK(collected.count == 3);
	CHECK(meta.item_count == 3);
	CHECK_STR(collected.items[0]->title_raw, "Item 0");
	CHECK_STR(collected.items[2]->title_raw, "Item 2");
	CHECK_STR(collected.items[2]->guid, "urn:x:2");
	CHECK(collected.items[0]->id != NULL);
	feed_meta_free(&meta);
	collected_free(&collected);
	buffer_free(&feed);
}

static void
test_truncated_feed_keeps_items(void)
{
	const char *feed = "<rss version=\"2.0\"><channel><title>Cut</title>"
	    "<item><title>Whole</title><link>http://example.com/1</link></item>"
	    "<item><title>Half</title><link>http://exa";
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	CHECK(parse_string(feed, NULL, &meta, &collected, error, sizeof(error)) == 0);
	CHECK(collected.count >= 1);
	if (collected.count >= 1)
		CHECK_STR(collected.items[0]->title_raw, "Whole");
	CHECK_STR(meta.title, "Cut");
	feed_meta_free(&meta);
	collected_free(&collected);
}

/* UTF-16 with and without BOM, built from an ASCII+Latin text. */
static void
test_utf16(void)
{
	const char *ascii = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\">"
	    "<channel><title>Caf\xC3\xA9</title><item><title>\xE2\x82\xAC 5</title></item>"
	    "</channel></rss>";
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	for (int big_endian = 0; big_endian <= 1; big_endian++) {
		struct buffer wide = { 0 };
		const unsigned char *cursor = (const unsigned char *)ascii;

		buffer_append(&wide, big_endian ? "\xFE\xFF" : "\xFF\xFE", 2);
		while (*cursor != '\0') {
			unsigned codepoint = *cursor;
			unsigned char pair[2];

			if (codepoint >= 0xE0) {
				codepoint = ((cursor[0] & 0x0F) << 12) | ((cursor[1] & 0x3F) << 6) |
				    (cursor[2] & 0x3F);
				cursor += 3;
			} else if (codepoint >= 0xC0) {
				codepoint = ((cursor[0] & 0x1F) << 6) | (cursor[1] & 0x3F);
				cursor += 2;
			} else
				cursor++;
			pair[big_endian ? 0 : 1] = (unsigned char)(codepoint >> 8);
			pair[big_endian ? 1 : 0] = (unsigned char)(codepoint & 0xFF);
			buffer_append(&wide, pair, 2);
		}
		CHECK(feed_parse(wide.data, wide.length, NULL, NULL, &meta, collect, &collected,
		    error, sizeof(error)) == 0);
		CHECK_STR(meta.title, "Caf\xC3\xA9");
		CHECK(collected.count == 1);
		if (collected.count == 1)
			CHECK_STR(collected.items[0]->title_raw, "\xE2\x82\xAC 5");
		feed_meta_free(&meta);
		collected_free(&collected);
		/* the same without the BOM: recognized by the shape of "<?" */
		CHECK(feed_parse(wide.data + 2, wide.length - 2, NULL, NULL, &meta, collect,
		    &collected, error, sizeof(error)) == 0);
		CHECK_STR(meta.title, "Caf\xC3\xA9");
		feed_meta_free(&meta);
		collected_free(&collected);
		buffer_free(&wide);
	}
}

static void
test_charset_hint_and_mislabels(void)
{
	/* bytes: windows-1252 "Caf\xE9 \x93quoted\x94" */
	const char *latin = "<rss version=\"2.0\"><channel><title>Caf\xE9 \x93q\x94</title>"
	    "</channel></rss>";
	const char *declared_utf8 = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\">"
	    "<channel><title>Caf\xE9 \x93q\x94</title></channel></rss>";
	const char *utf8_said_latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
	    "<rss version=\"2.0\"><channel><title>Caf\xC3\xA9</title></channel></rss>";
	const char *broken_utf8 = "<rss version=\"2.0\"><channel><title>Caf\xC3\xA9 \xC3 x"
	    "</title></channel></rss>";
	const char *koi8 = "<rss version=\"2.0\"><channel><title>\xF0\xD2\xC9\xD7\xC5\xD4"
	    "</title></channel></rss>";
	struct feed_meta meta;
	char error[256];

	CHECK(feed_parse(latin, strlen(latin), NULL, "text/xml; charset=windows-1252", &meta,
	    NULL, NULL, error, sizeof(error)) == 0);
	CHECK_STR(meta.title, "Caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D");
	feed_meta_free(&meta);
	CHECK(feed_parse(declared_utf8, strlen(declared_utf8), NULL, NULL, &meta, NULL, NULL,
	    error, sizeof(error)) == 0);
	CHECK_STR(meta.title, "Caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D");
	feed_meta_free(&meta);
	CHECK(feed_parse(utf8_said_latin, strlen(utf8_said_latin), NULL, NULL, &meta, NULL, NULL,
	    error, sizeof(error)) == 0);
	CHECK_STR(meta.title, "Caf\xC3\xA9");
	feed_meta_free(&meta);
	CHECK(feed_parse(broken_utf8, strlen(broken_utf8), NULL, NULL, &meta, NULL, NULL,
	    error, sizeof(error)) == 0);
	CHECK_STR(meta.title, "Caf\xC3\xA9 \xEF\xBF\xBD x");
	feed_meta_free(&meta);
	CHECK(feed_parse(koi8, strlen(koi8), NULL, "application/rss+xml; charset=\"KOI8-R\"",
	    &meta, NULL, NULL, error, sizeof(error)) == 0);
	CHECK_STR(meta.title, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
	feed_meta_free(&meta);
}

static long
max_rss_kb(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_maxrss;
}

/* A 20 MB RSS feed made here: all items arrive, in order; report the speed. */
static void
test_large_feed_speed(void)
{
	struct buffer feed = { 0 };
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];
	struct timespec start, end;
	long rss_before, rss_after;
	double seconds;
	size_t items = 0;

	buffer_append_string(&feed, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" "
	    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
	    "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
	    "<title>Big</title><link>http://example.com/</link>\n");
	while (feed.length < 20 * 1024 * 1024) {
		buffer_printf(&feed, "<item><title>Story number %zu &amp; more</title>"
		    "<link>http://example.com/story/%zu</link><guid>http://example.com/story/%zu</guid>"
		    "<pubDate>Sun, 21 Sep 2025 06:%02zu:00 GMT</pubDate><dc:creator>Desk %zu</dc:creator>"
		    "<description>&lt;p&gt;Summary of story %zu.&lt;/p&gt;</description>"
		    "<content:encoded><![CDATA[<p>Body paragraph one of %zu.</p><p>Paragraph two, "
		    "with more words to make the item a realistic size for a news feed entry.</p>"
		    "]]></content:encoded></item>\n", items, items, items, items % 60, items % 7,
		    items, items);
		items++;
	}
	buffer_append_string(&feed, "</channel></rss>\n");
	rss_before = max_rss_kb();
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK(feed_parse(feed.data, feed.length, "http://example.com/feed", NULL, &meta,
	    collect, &collected, error, sizeof(error)) == 0);
	clock_gettime(CLOCK_MONOTONIC, &end);
	rss_after = max_rss_kb();
	seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
	CHECK(collected.count == items);
	CHECK(meta.item_count == items);
	if (collected.count > 63)
		CHECK_STR(collected.items[63]->title_raw, "Story number 63 & more");
	printf("large feed: %.1f MB, %zu items in %.3f s = %.1f MB/s, %.0f items/s; "
	    "max RSS grew %ld kB\n", (double)feed.length / 1048576.0, items, seconds,
	    (double)feed.length / 1048576.0 / seconds, (double)items / seconds,
	    rss_after - rss_before);
	feed_meta_free(&meta);
	collected_free(&collected);
	buffer_free(&feed);
}

/* The seed articles (one paragraph per line) wrapped in a feed at run time. */
static void
test_seed_articles(void)
{
	const char *seeds = check_seeds_dir();
	struct buffer feed = { 0 };
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];
	struct dirent *entry;
	size_t files = 0;
	DIR *directory;

	if (seeds == NULL || (directory = opendir(seeds)) == NULL) {
		printf("test_seed_articles: skipped, no seeds directory (../shared/seeds)\n");
		return;
	}
	buffer_append_string(&feed, "<rss version=\"2.0\"><channel><title>Seeds</title>");
	while ((entry = readdir(directory)) != NULL) {
		char path[1024];
		char *text;
		size_t length;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", seeds, entry->d_name);
		if ((text = file_read(path, &length)) == NULL)
			continue;
		buffer_printf(&feed, "<item><guid>urn:seed:%s</guid><title>", entry->d_name);
		for (size_t i = 0; i < length; i++) {
			if (text[i] == '<')
				buffer_append_string(&feed, "&lt;");
			else if (text[i] == '&')
				buffer_append_string(&feed, "&amp;");
			else
				buffer_append(&feed, &text[i], 1);
		}
		buffer_append_string(&feed, "</title></item>");
		free(text);
		files++;
	}
	closedir(directory);
	buffer_append_string(&feed, "</channel></rss>");
	CHECK(parse_string(feed.data, NULL, &meta, &collected, error, sizeof(error)) == 0);
	CHECK(collected.count == files);
	for (size_t i = 0; i < collected.count && i < 64; i++) {
		CHECK(collected.items[i]->title_raw != NULL);
		CHECK(strlen(collected.items[i]->title_raw) > 100);
		CHECK_CONTAINS(collected.items[i]->guid, "urn:seed:");
	}
	feed_meta_free(&meta);
	collected_free(&collected);
	buffer_free(&feed);
}

/* meta, callback and error buffer are all optional */
static void
test_optional_arguments(void)
{
	const char *rss = "<rss version=\"2.0\"><channel><title>T</title><item><title>x</title>"
	    "</item></channel></rss>";
	const char *json = "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": "
	    "[{\"id\": \"1\", \"title\": \"x\"}]}";
	struct feed_meta meta;

	CHECK(feed_parse(rss, strlen(rss), NULL, NULL, NULL, NULL, NULL, NULL, 0) == 0);
	CHECK(feed_parse(json, strlen(json), NULL, NULL, NULL, NULL, NULL, NULL, 0) == 0);
	CHECK(feed_parse("{oops", 5, NULL, NULL, NULL, NULL, NULL, NULL, 0) == -1);
	CHECK(feed_parse("<html></html>", 13, NULL, NULL, NULL, NULL, NULL, NULL, 0) == -1);
	CHECK(feed_parse(rss, strlen(rss), NULL, NULL, &meta, NULL, NULL, NULL, 0) == 0);
	CHECK(meta.item_count == 1);
	CHECK_STR(meta.format, "rss2.0");
	feed_meta_free(&meta);
	CHECK(meta.format == NULL);
	feed_meta_free(NULL);
}

/* A broken feed goes down the recovery path without delivering an item twice. */
static void
test_recovery_no_duplicates(void)
{
	const char *feed = "<rss version=\"2.0\"><channel><title>R</title>"
	    "<item><title>first</title><guid>urn:1</guid></item>"
	    "<item><title>second</title><guid>urn:2</guid></item>"
	    "<item><title>third</title><description>a <b>bold</i> move</description>"
	    "<guid>urn:3</guid></item>"
	    "<item><title>fourth</title><guid>urn:4</guid></item>"
	    "</channel></rss>";
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	CHECK(parse_string(feed, NULL, &meta, &collected, error, sizeof(error)) == 0);
	CHECK_CONTAINS(error, "recovered");
	CHECK(collected.count >= 3);
	CHECK(meta.item_count == collected.count);
	for (size_t i = 0; i < collected.count && i < 64; i++)
		for (size_t j = i + 1; j < collected.count && j < 64; j++)
			CHECK(strcmp(collected.items[i]->guid ? collected.items[i]->guid : "",
			    collected.items[j]->guid ? collected.items[j]->guid : "") != 0);
	if (collected.count >= 2) {
		CHECK_STR(collected.items[0]->guid, "urn:1");
		CHECK_STR(collected.items[1]->guid, "urn:2");
	}
	feed_meta_free(&meta);
	collected_free(&collected);
}

int
main(void)
{
	RUN(test_optional_arguments);
	RUN(test_recovery_no_duplicates);
	RUN(test_billion_laughs);
	RUN(test_external_entity_not_loaded);
	RUN(test_errors);
	RUN(test_stop_early);
	RUN(test_truncated_feed_keeps_items);
	RUN(test_utf16);
	RUN(test_charset_hint_and_mislabels);
	RUN(test_large_feed_speed);
	RUN(test_seed_articles);
	return check_finish();
}
