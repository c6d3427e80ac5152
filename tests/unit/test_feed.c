/*
 * test_feed.c - feed_parse() as an API: safety against entity attacks, errors, streaming
 * order and early stop, recovery, encodings built byte by byte, speed on a 20 MB feed, the
 * shared seed articles wrapped in a feed (read from ../shared/seeds, never copied), the same
 * items whatever the streaming chunk size (every construct cut at every byte), and heap that
 * does not grow with the feed (a ~50 MB feed parsed in a few MB).  Sanitizer builds use feeds
 * a quarter that size (BIG_FEED_MB).
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"
#include "feed_outcome.h"
#include "heap.h"
#include "feed/feed.h"
#include "feed/feed_internal.h"
#include "util.h"

/*
 * Megabytes of the big feeds: full size in the plain build; a quarter under ASan or TSan,
 * which run the parser 5-10 times slower while `make asan` shares the machine: the 20 MB parse
 * alone took 56 s there, and test_feed went past tests/run.sh's 300 s a test and was killed.
 * The speed figure that matters is the plain build's, and 12.5 MB is still three times the
 * memory test's 4 MB bound (a whole-document parse would cross it).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BIG_FEED_MB(full)	((full) / 4.0)
#else
#define BIG_FEED_MB(full)	((double)(full))
#endif

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

/* A 20 MB RSS feed made here (BIG_FEED_MB): all items arrive, in order; report the speed. */
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
	while (feed.length < BIG_FEED_MB(20) * 1024 * 1024) {
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
		SKIP("no seeds directory (../shared/seeds)");
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

static char *
parse_outcome(const char *data, size_t size, const char *content_type)
{
	return feed_outcome(data, size, "http://example.com/dir/feed", content_type);
}

/* UTF-8 to UTF-16 (big_endian or little), with a BOM. */
static void
utf16_encode(struct buffer *wide, const char *text, int big_endian)
{
	const unsigned char *cursor = (const unsigned char *)text;

	buffer_append(wide, big_endian ? "\xFE\xFF" : "\xFF\xFE", 2);
	while (*cursor != '\0') {
		unsigned codepoint = *cursor, units[2];
		size_t count = 1;

		if (codepoint >= 0xF0) {
			codepoint = ((cursor[0] & 0x07u) << 18) | ((cursor[1] & 0x3Fu) << 12) |
			    ((cursor[2] & 0x3Fu) << 6) | (cursor[3] & 0x3Fu);
			cursor += 4;
		} else if (codepoint >= 0xE0) {
			codepoint = ((cursor[0] & 0x0Fu) << 12) | ((cursor[1] & 0x3Fu) << 6) |
			    (cursor[2] & 0x3Fu);
			cursor += 3;
		} else if (codepoint >= 0xC0) {
			codepoint = ((cursor[0] & 0x1Fu) << 6) | (cursor[1] & 0x3Fu);
			cursor += 2;
		} else
			cursor++;
		units[0] = codepoint;
		if (codepoint >= 0x10000) {
			units[0] = 0xD800 + ((codepoint - 0x10000) >> 10);
			units[1] = 0xDC00 + ((codepoint - 0x10000) & 0x3FF);
			count = 2;
		}
		for (size_t i = 0; i < count; i++) {
			unsigned char pair[2];

			pair[big_endian ? 0 : 1] = (unsigned char)(units[i] >> 8);
			pair[big_endian ? 1 : 0] = (unsigned char)(units[i] & 0xFF);
			buffer_append(wide, pair, 2);
		}
	}
}

/*
 * Every construct the streaming decoder and preparer carry across a chunk boundary: entities
 * (HTML named, numeric, bare &, unknown), CDATA with "]]" inside and "]]]>" at its end, comments
 * with "--" and "<!-->", a PI, a DOCTYPE with an internal subset, quotes and '>' inside it,
 * stray '<', void elements left open and closed, attribute values with entities and '<',
 * multi-byte UTF-8 (2, 3 and 4 bytes).
 */
static const char chunk_feed_utf8[] =
    "\n\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<!DOCTYPE rss [\n <!ENTITY x \"a > b ] c\">\n <!ENTITY y 'd [ e'>\n]>\n"
    "<?xml-stylesheet href=\"s.xsl\" type=\"text/xsl\"?>\n"
    "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n"
    "<!--> a comment that ends at once -->\n<!-- a - b ->-->\n"
    "<channel><title>Caf\xC3\xA9 &amp; co &mdash; \xE2\x82\xAC\xF0\x9F\x98\x80</title>"
    "<link>http://example.com/</link>\n"
    "<item><title>One &nbsp;&eacute;&#8220;q&#x201D; &#146;s &#0; &foo; &amp x &lt;b&gt;</title>"
    "<link>http://example.com/a?x=1&y=2</link><guid isPermaLink=\"false\">urn:1</guid>"
    "<description>a < b <br> c <img src=\"/i.png\" alt='x &amp; y <z>'> d </br> "
    "<hr/> e</description>"
    "<content:encoded><![CDATA[<p>x ]] y ]]]]></content:encoded>"
    "<category>A&#x26;B</category></item>\n"
    "<item><title>Two \xC3\xBC\xC3\xB6 \xE4\xB8\xAD\xE6\x96\x87</title><guid>urn:2</guid>"
    "<description><![CDATA[ <b>cdata &amp; </b> ]]>&lt;i&gt;text&lt;/i&gt;</description>"
    "</item>\n</channel></rss>\n";

static const char chunk_feed_atom[] =
    "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"de\">"
    "<title type=\"html\">&lt;b&gt;Atom&lt;/b&gt; &amp;amp;</title>"
    "<entry><title>Entry &#8212; \xE2\x80\x94</title><id>urn:e1</id>"
    "<link rel=\"alternate\" href=\"/e1\"/><updated>2025-09-21T06:19:00Z</updated>"
    "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x<br/>y &amp; "
    "z</p></div></content><summary type=\"html\"><![CDATA[<p>s]]></summary></entry>"
    "</feed>";

/* windows-1252, unlabelled: "Caf\xE9 \x93quoted\x94" and a euro sign. */
static const char chunk_feed_latin[] =
    "<rss version=\"2.0\"><channel><title>Caf\xE9 \x93q\x94 \x80</title>"
    "<item><title>\xE9t\xE9 &eacute; &#150;</title><guid>urn:l</guid></item>"
    "</channel></rss>";

/* Labelled ISO-8859-1 but UTF-8; invalid UTF-8 in a UTF-8 document (U+FFFD). */
static const char chunk_feed_mislabelled[] =
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>"
    "<title>Caf\xC3\xA9</title><item><title>\xE2\x82\xAC \xC3\xBC</title></item>"
    "</channel></rss>";
static const char chunk_feed_invalid[] =
    "<rss version=\"2.0\"><channel><title>Caf\xC3\xA9 \xC3 x \xFF\xFE y \x01z</title>"
    "<item><title>\xF0\x9F\x98 cut</title></item></channel></rss>";

/* KOI8-R through iconv; a broken feed that goes down the recovery path. */
static const char chunk_feed_koi8[] =
    "<rss version=\"2.0\"><channel><title>\xF0\xD2\xC9\xD7\xC5\xD4</title>"
    "<item><title>\xF0\xD2\xC9\xD7\xC5\xD4 2</title></item></channel></rss>";
static const char chunk_feed_broken[] =
    "<rss version=\"2.0\"><channel><title>R</title>"
    "<item><title>first</title><guid>urn:1</guid></item>"
    "<item><title>second</title><description>a <b>bold</i> move</description>"
    "<guid>urn:2</guid></item><item><title>third</title><guid>urn:3</guid></item>"
    "</channel></rss>";

/* Parse data with each chunk size; every outcome must be the default chunk size's. */
static void
check_same_at_every_chunk_size(const char *name, const char *data, size_t size,
    const char *content_type, const char *must_contain)
{
	static const size_t chunk_sizes[] = { 1, 2, 3, 7, 64 };
	char *reference;

	feed_stream_chunk_size = FEED_STREAM_CHUNK;
	reference = parse_outcome(data, size, content_type);
	if (strstr(reference, must_contain) == NULL) {
		fprintf(stderr, "%s: reference output lacks \"%s\":\n%s", name, must_contain,
		    reference);
		check_current_failures++;
	}
	for (size_t i = 0; i < sizeof(chunk_sizes) / sizeof(chunk_sizes[0]); i++) {
		char *outcome;

		feed_stream_chunk_size = chunk_sizes[i];
		outcome = parse_outcome(data, size, content_type);
		if (strcmp(outcome, reference) != 0) {
			fprintf(stderr, "%s: chunk size %zu:\n  got:      %s\n  expected: %s\n", name,
			    chunk_sizes[i], outcome, reference);
			check_current_failures++;
		}
		free(outcome);
	}
	feed_stream_chunk_size = FEED_STREAM_CHUNK;
	free(reference);
}

static void
test_chunk_boundaries(void)
{
	struct buffer wide = { 0 };

	check_same_at_every_chunk_size("utf-8", chunk_feed_utf8, strlen(chunk_feed_utf8), NULL,
	    "\"title\":\"One \xC2\xA0\xC3\xA9\xE2\x80\x9Cq\xE2\x80\x9D \xE2\x80\x99s \xEF\xBF\xBD "
	    "&foo; & x <b>\"");
	check_same_at_every_chunk_size("utf-8 cdata", chunk_feed_utf8, strlen(chunk_feed_utf8),
	    NULL, "x ]] y ]]");
	check_same_at_every_chunk_size("utf-8 void", chunk_feed_utf8, strlen(chunk_feed_utf8),
	    NULL, "a &lt; b <br> c <img");
	check_same_at_every_chunk_size("atom", chunk_feed_atom, strlen(chunk_feed_atom), NULL,
	    "<p>x<br>y &amp; z</p>");
	check_same_at_every_chunk_size("windows-1252", chunk_feed_latin, strlen(chunk_feed_latin),
	    NULL, "Caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D \xE2\x82\xAC");
	check_same_at_every_chunk_size("latin1 label, utf-8 bytes", chunk_feed_mislabelled,
	    strlen(chunk_feed_mislabelled), NULL, "\xE2\x82\xAC \xC3\xBC");
	check_same_at_every_chunk_size("invalid utf-8", chunk_feed_invalid,
	    strlen(chunk_feed_invalid), NULL, "title=Caf\xC3\xA9 \xEF\xBF\xBD x");
	check_same_at_every_chunk_size("koi8-r", chunk_feed_koi8, strlen(chunk_feed_koi8),
	    "application/rss+xml; charset=koi8-r",
	    "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 2");
	check_same_at_every_chunk_size("recovery", chunk_feed_broken, strlen(chunk_feed_broken),
	    NULL, "urn:3");
	for (int big_endian = 0; big_endian <= 1; big_endian++) {
		/* the UTF-16 declaration is what a real UTF-16 feed says */
		const char *text = strstr(chunk_feed_utf8, "<?xml");
		char *declared = xasprintf("<?xml version=\"1.0\" encoding=\"UTF-16\"?>%s",
		    strchr(text, '\n'));

		buffer_reset(&wide);
		utf16_encode(&wide, declared, big_endian);
		check_same_at_every_chunk_size(big_endian ? "utf-16be" : "utf-16le", wide.data,
		    wide.length, NULL, "Caf\xC3\xA9 & co \xE2\x80\x94 \xE2\x82\xAC\xF0\x9F\x98\x80");
		free(declared);
	}
	buffer_free(&wide);
}

struct heap_watch {
	size_t	baseline;
	size_t	peak;
	size_t	items;
};

static int
watch_heap(struct article *item, void *context)
{
	struct heap_watch *watch = context;
	size_t in_use = heap_in_use();

	if (in_use > watch->peak)
		watch->peak = in_use;
	watch->items++;
	article_free(item);
	return 0;
}

/* The first `keep` items of a news-size RSS feed of `count`, as `parse` prints them. */
static void
feed_json_lines(size_t count, size_t keep, struct buffer *lines)
{
	struct buffer feed = { 0 };
	struct collected collected = { 0 };
	struct feed_meta meta;
	char error[256];

	buffer_append_string(&feed, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version="
	    "\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
	    "<title>Wire</title><link>http://example.com/</link>\n");
	for (size_t i = 0; i < count; i++) {
		buffer_printf(&feed, "<item><title>Story %zu &amp; caf\xC3\xA9</title>"
		    "<link>http://example.com/story/%zu</link><guid>urn:s:%zu</guid>"
		    "<description>&lt;p&gt;Summary &#8220;%zu&#8221;.&lt;/p&gt;</description>"
		    "<content:encoded><![CDATA[", i, i, i, i);
		for (int paragraph = 0; paragraph < 40; paragraph++)
			buffer_printf(&feed, "<p>Paragraph %d of story %zu, with <a href=\"/l/%d\">"
			    "a link</a> and text enough to cross blocks.</p>\n", paragraph, i,
			    paragraph);
		buffer_append_string(&feed, "]]></content:encoded></item>\n");
	}
	buffer_append_string(&feed, "</channel></rss>\n");
	CHECK(feed_parse(feed.data, feed.length, "http://example.com/feed", NULL, &meta,
	    collect, &collected, error, sizeof(error)) == 0);
	CHECK(collected.count == count);
	for (size_t i = 0; i < collected.count && i < keep; i++) {
		char *json = article_to_parse_json(collected.items[i]);

		buffer_printf(lines, "%s\n", json);
		free(json);
	}
	feed_meta_free(&meta);
	collected_free(&collected);
	buffer_free(&feed);
}

/*
 * A feed of at most 1 MB is parsed whole by the push parser, a larger one streams through
 * xmlTextReader: the same items come out either way (60 items of ~4.5 KB whole, the same
 * 60 first of 300 streamed).
 */
static void
test_whole_and_streamed_agree(void)
{
	struct buffer whole = { 0 }, streamed = { 0 };

	feed_json_lines(60, 60, &whole);
	feed_json_lines(300, 60, &streamed);
	CHECK(whole.length > 0);
	CHECK(whole.length == streamed.length);
	CHECK(whole.length == streamed.length &&
	    memcmp(whole.data, streamed.data, whole.length) == 0);
	buffer_free(&whole);
	buffer_free(&streamed);
}

/*
 * A ~50 MB feed (BIG_FEED_MB): the heap grows by a few MB at most while it is parsed (one item
 * at a time).
 */
static void
test_memory_does_not_grow_with_feed(void)
{
	const size_t limit = 4u * 1024 * 1024;
	struct buffer feed = { 0 };
	struct heap_watch watch = { 0 };
	struct feed_meta meta;
	char error[256];
	size_t items = 0;

	buffer_append_string(&feed, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" "
	    "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>"
	    "<title>Big &amp; long</title><link>http://example.com/</link>\n");
	while (feed.length < BIG_FEED_MB(50) * 1024 * 1024) {
		buffer_printf(&feed, "<item><title>Story %zu &mdash; caf\xC3\xA9</title>"
		    "<link>http://example.com/story/%zu</link><guid>urn:s:%zu</guid>"
		    "<description>&lt;p&gt;Summary &#8220;%zu&#8221;.&lt;/p&gt;</description>"
		    "<content:encoded><![CDATA[<p>Body of %zu, long enough to look like a news "
		    "story: <a href=\"/more/%zu\">more</a>.</p>]]></content:encoded></item>\n",
		    items, items, items, items, items, items);
		items++;
	}
	buffer_append_string(&feed, "</channel></rss>\n");
	watch.baseline = watch.peak = heap_in_use();
	CHECK(feed_parse(feed.data, feed.length, "http://example.com/feed", NULL, &meta,
	    watch_heap, &watch, error, sizeof(error)) == 0);
	CHECK(watch.items == items);
	printf("memory: %.1f MB feed, %zu items, heap grew at most %zu kB while parsing\n",
	    (double)feed.length / 1048576.0, watch.items, (watch.peak - watch.baseline) / 1024);
	CHECK(watch.peak - watch.baseline < limit);
	feed_meta_free(&meta);
	buffer_free(&feed);
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
	RUN(test_chunk_boundaries);
	RUN(test_memory_does_not_grow_with_feed);
	RUN(test_whole_and_streamed_agree);
	return check_finish();
}
