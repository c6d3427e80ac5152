/*
 * test_extract.c - the article extractor (daemon/clean/extract.h) on pages written in the
 * shapes of real news sites (tests/fixtures/pages/NAME.html, each with NAME.expected: header
 * lines "key: value" for url, title, method, authors, published, dateline and page-url, a
 * blank line, then the expected text exactly), with the repository's boilerplate rules and
 * the fixtures' own site rules (tests/fixtures/pages/sites.rules); what --explain reports;
 * the site-rules file format and its errors; hostile input (no body, garbage, deep nesting,
 * a declared legacy charset).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clean/clean.h"
#include "clean/extract.h"
#include "util.h"

#define PAGES		"tests/fixtures/pages/"
#define BOILERPLATE	"conf/rules/boilerplate.rules"

static struct clean_rules *rules;
static struct extract_rules *sites;

struct expected {
	char	*header;	/* "key: value" lines, NUL-separated in place */
	const char *text;
};

/* The value of key in the expected file's header, or NULL. */
static const char *
expected_value(const struct expected *expected, const char *key)
{
	size_t length = strlen(key);

	for (const char *line = expected->header; *line != '\0'; line += strlen(line) + 1)
		if (strncmp(line, key, length) == 0 && line[length] == ':')
			return line + length + 2;
	return NULL;
}

static int
expected_read(const char *name, char **data, struct expected *expected)
{
	char path[512], *cut;

	snprintf(path, sizeof path, PAGES "%s.expected", name);
	if ((*data = file_read(path, NULL)) == NULL)
		return -1;
	if ((cut = strstr(*data, "\n\n")) == NULL) {
		free(*data);
		*data = NULL;
		return -1;
	}
	*cut = '\0';
	expected->header = *data;
	expected->text = cut + 2;
	for (char *at = *data; (at = strchr(at, '\n')) != NULL; )
		*at++ = '\0';
	cut[1] = '\0';	/* header ends with an empty line */
	/* the text without its final newline */
	if (expected->text[0] != '\0' && expected->text[strlen(expected->text) - 1] == '\n')
		((char *)expected->text)[strlen(expected->text) - 1] = '\0';
	return 0;
}

static char *
authors_joined(const struct strlist *authors)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < authors->count; i++) {
		if (i > 0)
			buffer_append_string(&out, ", ");
		buffer_append_string(&out, authors->items[i]);
	}
	return buffer_steal(&out);
}

static void
check_page(const char *name)
{
	char path[512], *html, *data = NULL, *authors, when[21];
	struct expected expected = { 0 };
	struct extract_result result;
	size_t length;
	const char *value;

	snprintf(path, sizeof path, PAGES "%s.html", name);
	html = file_read(path, &length);
	CHECK(html != NULL);
	CHECK(expected_read(name, &data, &expected) == 0);
	if (html == NULL || data == NULL) {
		free(html);
		free(data);
		return;
	}
	extract_page(sites, rules, html, length, expected_value(&expected, "page-url"), &result,
	    NULL, NULL);
	fprintf(stderr, "  page %s: method=%s words=%zu\n", name,
	    result.method ? result.method : "-", result.words);
	CHECK_STR(result.text, expected.text[0] ? expected.text : NULL);
	CHECK_STR(result.title, expected_value(&expected, "title"));
	CHECK_STR(result.method, expected_value(&expected, "method"));
	CHECK_STR(result.url, expected_value(&expected, "url"));
	CHECK_STR(result.dateline, expected_value(&expected, "dateline"));
	authors = authors_joined(&result.authors);
	CHECK_STR(authors, (value = expected_value(&expected, "authors")) ? value : "");
	time_format_rfc3339(result.published, when);
	if ((value = expected_value(&expected, "published")) != NULL)
		CHECK_STR(when, value);
	else
		CHECK(result.published == 0);
	free(authors);
	extract_result_free(&result);
	free(html);
	free(data);
}

/* Every fixture page: text and metadata as expected. */
static void
test_fixture_pages(void)
{
	DIR *directory = opendir(PAGES);
	struct dirent *entry;
	int pages = 0;

	CHECK(directory != NULL);
	while (directory != NULL && (entry = readdir(directory)) != NULL) {
		size_t length = strlen(entry->d_name);
		char name[256];

		if (length < 6 || strcmp(entry->d_name + length - 5, ".html") != 0 ||
		    length - 5 >= sizeof name)
			continue;
		memcpy(name, entry->d_name, length - 5);
		name[length - 5] = '\0';
		check_page(name);
		pages++;
	}
	if (directory != NULL)
		closedir(directory);
	CHECK(pages >= 9);
}

struct explained {
	struct buffer log;
};

static void
collect_explain(const char *rule, const char *removed, void *context)
{
	struct explained *explained = context;

	buffer_printf(&explained->log, "%s=%s\n", rule, removed);
}

/* --explain names what the extractor dropped, by reason, and what each rule removed. */
static void
test_explain_reasons(void)
{
	struct explained explained = { { 0 } };
	struct extract_result result;
	size_t length;
	char *html = file_read(PAGES "news-full.html", &length);

	CHECK(html != NULL);
	if (html == NULL)
		return;
	extract_page(sites, rules, html, length, NULL, &result, collect_explain, &explained);
	CHECK_CONTAINS(explained.log.data, "extract:cookie=We and our 312 partners");
	CHECK_CONTAINS(explained.log.data, "extract:comments=Comments (2)");
	CHECK_CONTAINS(explained.log.data, "extract:share=Share on Facebook");
	CHECK_CONTAINS(explained.log.data, "extract:related=Related stories");
	CHECK_CONTAINS(explained.log.data, "extract:caption=Water rushes");
	CHECK_CONTAINS(explained.log.data, "extract:author-bio=Ines Okafor covers");
	CHECK_CONTAINS(explained.log.data, "extract:subscription=Sign up for the Valley");
	CHECK_CONTAINS(explained.log.data, "also-read=Also Read: Storm warnings");
	CHECK_CONTAINS(explained.log.data, "dateline=LORRIN, Esterland");
	CHECK_NOT_CONTAINS(result.text, "riverwatcher");
	extract_result_free(&result);
	buffer_free(&explained.log);
	free(html);
}

static struct extract_rules *
rules_from_text(const char *text, char *error, size_t error_size)
{
	char path[] = "/tmp/wiresift-sites-XXXXXX";
	int fd = mkstemp(path);
	struct extract_rules *loaded;

	if (fd < 0)
		return NULL;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	loaded = extract_rules_load(path, error, error_size);
	unlink(path);
	return loaded;
}

/* Keep and drop selectors, CSS-like and XPath, for a host and its subdomains only. */
static void
test_site_rules(void)
{
	static const char page[] = "<html><body><div class=\"x a\"><p>Kept paragraph one with "
	    "enough words.</p><div class=\"promo\">Buy now</div></div><div id=\"other\"><p>"
	    "Another long paragraph that the heuristics would take as well, with commas, "
	    "many, many commas, and more words to make it score higher than the first.</p>"
	    "</div></body></html>";
	char error[256] = "";
	struct extract_rules *loaded = rules_from_text("# comment\n"
	    "example.com keep div.a\n"
	    "example.com drop .a > [class~=promo]\n"
	    "other.example drop //div[@id='other']\n", error, sizeof error);
	struct extract_result result;

	CHECK(loaded != NULL);
	if (loaded == NULL)
		return;
	extract_page(loaded, NULL, page, sizeof page - 1, "https://news.example.com/a", &result,
	    NULL, NULL);
	CHECK_STR(result.text, "Kept paragraph one with enough words.");
	CHECK_STR(result.method, "site-rule");
	extract_result_free(&result);
	extract_page(loaded, NULL, page, sizeof page - 1, "https://notexample.com/a", &result,
	    NULL, NULL);
	CHECK_STR(result.method, "dom");	/* another host: the heuristics */
	extract_result_free(&result);
	extract_page(loaded, NULL, page, sizeof page - 1, "https://other.example/a", &result,
	    NULL, NULL);
	CHECK_NOT_CONTAINS(result.text, "Another long paragraph");
	extract_result_free(&result);
	extract_rules_free(loaded);
}

static void
test_site_rules_errors(void)
{
	char error[256] = "";

	CHECK(rules_from_text("example.com keep\n", error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: expected HOST keep|drop SELECTOR");
	CHECK(rules_from_text("\nexample.com hide .x\n", error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":2: expected HOST keep|drop SELECTOR");
	CHECK(rules_from_text("example.com drop div[\n", error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: bad selector: div[");
	CHECK(rules_from_text("example.com drop //div[\n", error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: bad selector: //div[");
	CHECK(extract_rules_load("/nonexistent/sites.rules", error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "/nonexistent/sites.rules: No such file");
}

/* Pages with nothing to take: -1 and no text, never a crash. */
static void
test_no_article(void)
{
	static const char *const pages[] = {
		"", "<html></html>", "<html><body><nav><a href=/>Home</a></nav></body></html>",
		"\x01\x02\xff\xfe<<<>>>&&&", "<body><script>var a = 1;</script></body>",
	};
	struct extract_result result;

	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		CHECK(extract_page(NULL, rules, pages[i], strlen(pages[i]), NULL, &result, NULL,
		    NULL) == -1);
		CHECK(result.text == NULL && result.method == NULL && result.words == 0);
		extract_result_free(&result);
	}
}

/* 20,000 nested elements: every walk is iterative. */
static void
test_deep_nesting(void)
{
	struct buffer page = { 0 };
	struct extract_result result;

	for (int i = 0; i < 20000; i++)
		buffer_append_string(&page, i % 2 ? "<div>" : "<span>");
	buffer_append_string(&page, "<p>Deep inside, a paragraph long enough to be the article, "
	    "with a comma.</p>");
	extract_page(NULL, rules, page.data, page.length, NULL, &result, NULL, NULL);
	CHECK_STR(result.text, "Deep inside, a paragraph long enough to be the article, with a "
	    "comma.");
	extract_result_free(&result);
	buffer_free(&page);
}

/* A page declaring windows-1252 is read as such. */
static void
test_declared_charset(void)
{
	static const char page[] = "<html><head><meta charset=\"windows-1252\"></head><body>"
	    "<p>Caf\xe9 owners in M\xfcnster said the \x93new\x94 rules, announced on Monday, "
	    "would cost them dearly.</p></body></html>";
	struct extract_result result;

	extract_page(NULL, NULL, page, sizeof page - 1, NULL, &result, NULL, NULL);
	CHECK_STR(result.text, "Café owners in Münster said the “new” rules, announced on "
	    "Monday, would cost them dearly.");
	extract_result_free(&result);
}

/*
 * Guards found on real pages: JSON-LD wrapped in CDATA; an ad slot left open around the
 * article; the rest of an article in a "read-more" block; a visibility:hidden block; a gallery
 * of captions ("legends") bigger than the article.
 */
static void
test_real_page_shapes(void)
{
	static const char page[] = "<html><head><script type=\"application/ld+json\">"
	    "<![CDATA[{\"@type\":\"NewsArticle\",\"headline\":\"Ferry rules change\","
	    "\"author\":\"Ana Ruiz\"}]]></script></head><body>"
	    "<div id=\"ad-portal\"><div class=\"story\">"
	    "<p>First paragraph of the story, long enough to count, with a comma.</p>"
	    "<p>Second paragraph of the story, also long enough, and with a comma.</p>"
	    "<div class=\"read-more\"><p>Third paragraph behind the button, with a comma, "
	    "and more words.</p><p>Fourth paragraph behind the button, with a comma too.</p>"
	    "</div><p class=\"when\"><time datetime=\"2026-11-22T08:00:00+01:00\">22 Nov"
	    "</time></p></div></div>"
	    "<div style=\"visibility: hidden\"><p>Hidden text that must not show, at all, "
	    "never.</p></div>"
	    "<ul class=\"legends\"><li><p>Caption one of a long gallery, with commas, many, "
	    "many commas, a, b, c, d, e, f.</p></li><li><p>Caption two of the gallery, with "
	    "commas, many, many, a, b, c, d, e.</p></li></ul></body></html>";
	struct extract_result result;

	extract_page(NULL, rules, page, sizeof page - 1, NULL, &result, NULL, NULL);
	CHECK_STR(result.title, "Ferry rules change");
	CHECK(result.authors.count == 1 && strcmp(result.authors.items[0], "Ana Ruiz") == 0);
	CHECK_CONTAINS(result.text, "First paragraph");
	CHECK_CONTAINS(result.text, "Fourth paragraph behind the button");
	CHECK_NOT_CONTAINS(result.text, "Hidden text");
	CHECK_NOT_CONTAINS(result.text, "Caption");
	CHECK(result.published == 1795330800);	/* 2026-11-22T07:00:00Z */
	extract_result_free(&result);
}

int
main(void)
{
	char error[512];

	if ((rules = clean_rules_load(BOILERPLATE, error, sizeof error)) == NULL ||
	    (sites = extract_rules_load(PAGES "sites.rules", error, sizeof error)) == NULL) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	RUN(test_fixture_pages);
	RUN(test_explain_reasons);
	RUN(test_site_rules);
	RUN(test_site_rules_errors);
	RUN(test_no_article);
	RUN(test_deep_nesting);
	RUN(test_declared_charset);
	RUN(test_real_page_shapes);
	extract_rules_free(sites);
	clean_rules_free(rules);
	return check_finish();
}
