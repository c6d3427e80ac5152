/*
 * test_clean.c - the cleaner: HTML and plain text to paragraphs, HTML in the wild (fixtures in
 * tests/fixtures/html/), datelines, titles and summaries, the five real seed articles (read
 * from ../shared/seeds, never copied) and behaviour on huge and deeply nested input. The
 * plain-text fast path (spared the HTML parser) is checked against the slow one. The rules,
 * their prefilters and the byte scans are test_clean_rules.c's. Its throughput is measured by
 * make bench (bench_clean), not here.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clean_helpers.h"
#include "fixtures.h"
#include "heap.h"
#include "article.h"
#include "clean/clean.h"
#include "util.h"

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

static char *
text_of(const char *html)
{
	return html_to_text(html, strlen(html));
}

static char *
fixture_text(const char *name)
{
	char *path = xasprintf(FIXTURES "%s", name);
	size_t length;
	char *html = file_read(path, &length);
	char *text = NULL;

	CHECK(html != NULL);
	if (html != NULL)
		text = html_to_text(html, length);
	free(html);
	free(path);
	return text;
}

/* ------------------------------------------------------------------------------------------ */
/* HTML to text                                                                               */

static void
test_blocks_and_inline(void)
{
	char *text = text_of("<h1>Head</h1><p>One <b>bold</b> <i>word</i>.</p><div>Two<br>Three"
	    "</div><ul><li>first</li><li>second</li></ul><p>Lin<span>ked</span> up</p>");

	CHECK_STR(text, "Head\n\nOne bold word.\n\nTwo\n\nThree\n\nfirst\n\nsecond\n\nLinked up");
	free(text);
	text = text_of("   <p>  spaced \n\t out  </p>  <p></p><p> </p> <p>end</p>  ");
	CHECK_STR(text, "spaced out\n\nend");
	free(text);
	text = text_of("");
	CHECK_STR(text, "");
	free(text);
	text = html_to_text(NULL, 0);
	CHECK_STR(text, "");
	free(text);
	text = text_of("<pre>line one\nline two</pre><p>after</p>");
	CHECK_STR(text, "line one\n\nline two\n\nafter");
	free(text);
}

static void
test_plain_text(void)
{
	char *text = text_of("First paragraph, plain.\nSecond one &amp; more.\n\n\nThird.\n");

	CHECK_STR(text, "First paragraph, plain.\n\nSecond one & more.\n\nThird.");
	free(text);
	/* inline markup alone does not make it HTML: lines still are paragraphs */
	text = text_of("A <b>bold</b> line\r\nand a <a href=\"/x\">linked</a> one");
	CHECK_STR(text, "A bold line\n\nand a linked one");
	free(text);
	/* with block markup, a newline is only white space */
	text = text_of("<p>wrapped\nline</p>");
	CHECK_STR(text, "wrapped line");
	free(text);
}

/*
 * Text without markup skips libxml2: it must come out as it does through the parser, which
 * "<span>...</span>" forces (an inline element: newlines still end paragraphs).
 */
static void
test_plain_text_fast_path(void)
{
	static const char *const texts[] = {
		"Plain title", "  leading and trailing spaces  ", "tab\there", "one\ntwo\n\nthree\n",
		"\n\nstarts with newlines", "carriage\r\nreturns\rhere", "vertical\vtab and\fform feed",
		"bell\a and escape\x1b", "del\x7f and c1 \xc2\x85 \xc2\x9f",
		"caf\xc3\xa9 na\xc3\xafve \xc3\x89" "COLE", "decomposed e\xcc\x81 composes",
		"nbsp\xc2\xa0" "and thin\xe2\x80\x89space", "zero\xe2\x80\x8bwidth soft\xc2\xadhyphen",
		"bom \xef\xbb\xbf inside", "\xef\xbb\xbf bom first", "noncharacter \xef\xbf\xbe here",
		"\xef\xbf\xbf last", "replacement \xef\xbf\xbd ok", "emoji \xf0\x9f\x98\x80 and \xf4\x8f\xbf\xbf",
		"bad \xc3 byte", "overlong \xc0\xaf slash", "surrogate \xed\xa0\x80 half",
		"truncated \xe2\x80", "said the AP . Then , more", "ellipsis ... and .NET",
		"\xd8\xa3\xd8\xb9\xd9\x84\xd9\x86\xd8\xaa \xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c",
		"line separator\xe2\x80\xa8" "and paragraph\xe2\x80\xa9separator", "x", " ", "\n",
		"quotes \" and ' and > alone",
	};

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char *wrapped = xasprintf("<span>%s</span>", texts[i]);
		char *fast = html_to_text(texts[i], strlen(texts[i]));
		char *parsed = html_to_text(wrapped, strlen(wrapped));

		if (strcmp(fast, parsed) != 0)
			fprintf(stderr, "  text %zu: fast \"%s\", parsed \"%s\"\n", i, fast, parsed);
		CHECK_STR(fast, parsed);
		free(wrapped);
		free(fast);
		free(parsed);
	}
}

static void
test_entities_and_noise(void)
{
	char *text = fixture_text("entities.html");

	CHECK_CONTAINS(text, "Tom & Jerry\xe2\x80\x99s caf\xc3\xa9 \xe2\x80\x94 open late \xe2\x80\xa6");
	CHECK_CONTAINS(text, "Softhyphen and zerowidth andbom and many spaces.");
	/* e + U+0301 composed to U+00E9 (NFC); unknown entities stay as written */
	CHECK_CONTAINS(text, "Decomposed: caf\xc3\xa9 and AT&T and &bogus; and 3 < 4.");
	CHECK_NOT_CONTAINS(text, "e\xcc\x81");
	/* a space left by a removed link before "." goes; an ellipsis and .NET keep theirs */
	CHECK_CONTAINS(text, "Said the agency AP. Then an ellipsis ... and .NET stay.");
	CHECK_NOT_CONTAINS(text, "\xc2\xa0");
	CHECK_NOT_CONTAINS(text, "\xc2\xad");
	CHECK_NOT_CONTAINS(text, "\xe2\x80\x8b");
	CHECK_NOT_CONTAINS(text, "  ");
	CHECK(text != NULL && count_paragraphs(text) == 4);
	free(text);
}

static void
test_nested_tables(void)
{
	char *text = fixture_text("nested-tables.html");

	CHECK_CONTAINS(text, "Rainfall by district\n\nThe water board published");
	CHECK_CONTAINS(text, "District Rain\n\nNorth 120 mm\n\n");
	CHECK_CONTAINS(text, "80 mm (revised)");
	CHECK_CONTAINS(text, "\n\nReservoirs stood at 64 percent of capacity, the board said.\n\n");
	CHECK(text != NULL && strstr(text, "Officials expect the dry spell to end next week.") ==
	    text + strlen(text) - strlen("Officials expect the dry spell to end next week."));
	free(text);
}

static void
test_broken_markup(void)
{
	char *text = fixture_text("broken-markup.html");

	CHECK(text != NULL && strncmp(text, "The council met on Tuesday to vote on the budget\n\n"
	    "Members argued for three hours before the chair called a recess.\n\n", 113) == 0);
	CHECK_CONTAINS(text, "\n\nOne member said the numbers were \"a < b and c > d\", which drew "
	    "laughter.\n\n");
	CHECK_CONTAINS(text, "\n\nItem without a list\n\nThe final vote was 7 to 2.");
	CHECK_NOT_CONTAINS(text, "<p");
	CHECK_NOT_CONTAINS(text, "</");
	CHECK_NOT_CONTAINS(text, "<li");
	free(text);
}

static void
test_scripts_and_embeds(void)
{
	struct buffer explained = { 0 };
	struct article *article = article_new();
	size_t length;

	article->content_html = file_read(FIXTURES "scripts-embeds.html", &length);
	CHECK(article->content_html != NULL);
	CHECK(clean_article(article, NULL, record_explain, &explained) == 0);
	CHECK_STR(article->text, "The ferry service resumed on Friday after a two-day strike.\n\n"
	    "Union leaders said talks would continue next month.\n\n"
	    "We are glad the boats are running again, a passenger said.\n\n"
	    "Fares remain unchanged.");
	CHECK_CONTAINS(explained.data, "html:script|var tracker");
	CHECK_CONTAINS(explained.data, "html:blockquote.twitter-tweet|Ferries are back");
	CHECK_CONTAINS(explained.data, "html:blockquote.instagram-media|View this post");
	CHECK_CONTAINS(explained.data, "html:figure|Photo: a ferry leaving the harbour at dawn\n");
	CHECK_CONTAINS(explained.data, "html:iframe|");
	CHECK_CONTAINS(explained.data, "html:form|Subscribe now\n");
	CHECK_CONTAINS(explained.data, "html:nav|Home News\n");
	CHECK_CONTAINS(explained.data, "html:aside|");
	CHECK_CONTAINS(explained.data, "html:button|Share\n");
	CHECK_NOT_CONTAINS(explained.data, "TRACKING PIXEL");	/* alt text is no text */
	CHECK(article->word_count == 10 + 8 + 11 + 3);
	buffer_free(&explained);
	article_free(article);
}

static void
test_non_latin(void)
{
	char *text = fixture_text("non-latin.html");
	struct article *article = article_new();

	/* the right-to-left mark after the Arabic sentence is noise; Persian's ZWNJ is spelling */
	CHECK_CONTAINS(text, "\n\n\xd8\xa3\xd8\xb9\xd9\x84\xd9\x86\xd8\xaa ");
	CHECK_CONTAINS(text, "\xd8\xa7\xd9\x84\xd9\x85\xd8\xaf\xd9\x8a\xd9\x86\xd8\xa9.\n\n");
	CHECK_NOT_CONTAINS(text, "\xe2\x80\x8f");
	CHECK_CONTAINS(text, "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87");
	CHECK_CONTAINS(text, "\n\n\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c");
	CHECK_CONTAINS(text, "\n\n\xd0\x93\xd0\xbe\xd1\x80\xd0\xbe\xd0\xb4\xd1\x81\xd0\xba");
	CHECK_CONTAINS(text, "\n\n\xe0\xa4\xa8\xe0\xa4\x97\xe0\xa4\xb0 ");
	CHECK(text != NULL && count_paragraphs(text) == 6);
	free(text);

	/* words: Han characters one each, Devanagari vowel signs inside words */
	article->content_html = xstrdup("<p>\xe5\xb8\x82\xe6\x94\xbf\xe5\xba\x9c</p>"
	    "<p>\xe0\xa4\xa8\xe0\xa4\x97\xe0\xa4\xb0 \xe0\xa4\xb8\xe0\xa4\xb0\xe0\xa4\x95"
	    "\xe0\xa4\xbe\xe0\xa4\xb0</p><p>don\xe2\x80\x99t stop-gap, 42</p>");
	CHECK(clean_article(article, NULL, NULL, NULL) == 0);
	CHECK(article->word_count == 3 + 2 + 3);
	article_free(article);
}

/* ------------------------------------------------------------------------------------------ */
/* The article                                                                                */

/* Clean a one-paragraph article; return the dateline (caller frees) and check the text. */
static char *
dateline_of(const char *html, const char *expected_text)
{
	struct article *article = article_new();
	char *dateline;

	article->content_html = xstrdup(html);
	CHECK(clean_article(article, NULL, NULL, NULL) == 0);
	if (expected_text != NULL)
		CHECK_STR(article->text, expected_text);
	dateline = article->dateline ? xstrdup(article->dateline) : NULL;
	article_free(article);
	return dateline;
}
static void
check_dateline(const char *html, const char *expected_dateline, const char *expected_text)
{
	char *dateline = dateline_of(html, expected_text);

	CHECK_STR(dateline, expected_dateline);
	free(dateline);
}

static void
test_datelines(void)
{
	check_dateline("<p>PORT TALBOT, Wales \xe2\x80\x94 The steelworks shut.</p>",
	    "PORT TALBOT, Wales", "The steelworks shut.");
	check_dateline("<p>WASHINGTON (AP) \xe2\x80\x94 Congress met.</p>", "WASHINGTON",
	    "Congress met.");
	check_dateline("<p>NEW YORK, Sept 21 (Reuters) - Stocks rose.</p>", "NEW YORK",
	    "Stocks rose.");
	check_dateline("<p>ST. LOUIS, Mo. \xe2\x80\x93 Rain fell.</p>", "ST. LOUIS, Mo.",
	    "Rain fell.");
	check_dateline("<p>NEW DELHI: The cabinet met.</p>", "NEW DELHI", "The cabinet met.");
	check_dateline("<p>New Delhi, Sep 21 (PTI) The cabinet met.</p>", "New Delhi",
	    "The cabinet met.");
	/* standfirst before the dateline paragraph */
	check_dateline("<p>A short standfirst.</p><p>OSLO \xe2\x80\x94 Snow fell.</p>", "OSLO",
	    "A short standfirst.\n\nSnow fell.");
	/* not datelines */
	check_dateline("<p>NATO - the alliance - met today.</p>", NULL,
	    "NATO - the alliance - met today.");
	check_dateline("<p>BREAKING: The dam burst.</p>", NULL, "BREAKING: The dam burst.");
	check_dateline("<p>UPDATE \xe2\x80\x94 The dam held.</p>", NULL,
	    "UPDATE \xe2\x80\x94 The dam held.");
	check_dateline("<p>Paris \xe2\x80\x94 lower case city.</p>", NULL,
	    "Paris \xe2\x80\x94 lower case city.");
	check_dateline("<p>First paragraph.</p><p>LONDON: not in the first.</p>", NULL, NULL);
}

static void
test_title_summary_url(void)
{
	struct article *article = article_new();
	struct buffer long_text = { 0 };
	size_t length;

	article->title_raw = xstrdup("  Dam &amp; <b>bridge</b>\n  reopen  ");
	article->link = xstrdup("HTTPS://News.Example.com:443/a/b?utm_medium=rss&p=1#x");
	article->summary_html = xstrdup("<p>KYIV, Ukraine (AP) \xe2\x80\x94 Both reopened.</p>"
	    "<p>Second summary paragraph.</p>");
	for (int i = 0; i < 120; i++)
		buffer_printf(&long_text, "word%d ", i);
	article->content_html = xasprintf("<p>Dam &amp; bridge reopen</p><p>%s</p><p>End.</p>",
	    long_text.data);
	CHECK(clean_article(article, NULL, NULL, NULL) == 0);
	CHECK_STR(article->title, "Dam & bridge reopen");
	CHECK_STR(article->url, "https://news.example.com/a/b?p=1");
	/* the summary is its own field, dateline removed, one line */
	CHECK_STR(article->summary, "Both reopened. Second summary paragraph.");
	/* the title repeated as the first paragraph is dropped */
	CHECK(article->text != NULL && strncmp(article->text, "word0 word1 ", 12) == 0);
	CHECK(article->word_count == 121);
	CHECK(article->dateline == NULL);

	/* no summary field: the first paragraph, capped on a word boundary */
	free(article->summary_html);
	article->summary_html = NULL;
	CHECK(clean_article(article, NULL, NULL, NULL) == 0);
	length = article->summary ? strlen(article->summary) : 0;
	CHECK(length > 400 && length <= 503);
	CHECK(length > 3 && strcmp(article->summary + length - 3, "\xe2\x80\xa6") == 0);
	CHECK(length > 4 && article->summary[length - 4] >= '0' &&
	    article->summary[length - 4] <= '9');
	CHECK(strncmp(article->summary, article->text, length - 3) == 0);

	/* only a summary field: it is the text, and the summary is all of it on one line */
	free(article->content_html);
	article->content_html = NULL;
	article->summary_html = xstrdup("<p>One.</p><p>Two.</p>");
	CHECK(clean_article(article, NULL, NULL, NULL) == 0);
	CHECK_STR(article->text, "One.\n\nTwo.");
	CHECK_STR(article->summary, "One. Two.");

	/* nothing usable */
	article_free(article);
	article = article_new();
	article->content_html = xstrdup("<script>only()</script><img src=x>");
	CHECK(clean_article(article, NULL, NULL, NULL) == -1);
	CHECK(article->text == NULL && article->title == NULL && article->word_count == 0);
	article_free(article);
	buffer_free(&long_text);
}

/* ------------------------------------------------------------------------------------------ */
/* The seeds                                                                                  */

struct seed_expectation {
	const char *prefix;		/* file name start */
	int	 title_line;		/* 1-based line given as the title too, or 0 */
	int	 first_line, last_line;	/* first and last real paragraphs */
	int	 junk_lines[3];		/* lines that must be gone (0 ends) */
	const char *junk_strings[3];	/* fragments that must be gone */
	const char *rules_fired;	/* rule names expected in the explain record, "|"-ended */
	int	 dateline_line;		/* line that starts with the dateline, or 0 */
};

static const struct seed_expectation seed_expectations[] = {
	{ "000_", 0, 1, 12, { 7, 8 }, { "pic.twitter.com", "(@", "#TOLOnews" },
	    "tweet-body|tweet-attribution|", 0 },
	{ "001_", 1, 2, 8, { 1 }, { NULL }, "title-repeat|dateline|", 4 },
	{ "002_", 0, 3, 15, { 1, 17 }, { "date 2025", NULL },
	    "leading-date-stamp|caption-this-image|author-bio|", 0 },
	{ "003_", 0, 1, 7, { 0 }, { "date 2025", NULL }, "leading-date-stamp|", 0 },
	{ "004_", 0, 1, 7, { 4, 8 }, { "Also Read", NULL }, "also-read|", 0 },
};

/* Lines of a file (no trailing newlines), as a strlist. */
static void
read_lines(const char *path, struct strlist *lines)
{
	char *content = file_read(path, NULL);
	char *cursor = content, *line;

	CHECK(content != NULL);
	while (content != NULL && (line = strsep(&cursor, "\n")) != NULL)
		if (cursor != NULL || line[0] != '\0')
			strlist_add(lines, line);
	free(content);
}

/* A line as the cleaner would render it, without a leading "date YYYY-MM-DD" stamp. */
static char *
rendered_line(const char *line)
{
	char *html, *text, *body;
	struct buffer escaped = { 0 };

	for (const char *at = line; *at != '\0'; at++) {
		if (*at == '&')
			buffer_append_string(&escaped, "&amp;");
		else if (*at == '<')
			buffer_append_string(&escaped, "&lt;");
		else
			buffer_append(&escaped, at, 1);
	}
	html = xasprintf("<p>%s</p>", escaped.data ? escaped.data : "");
	text = html_to_text(html, strlen(html));
	body = text;
	if (strncmp(body, "date ", 5) == 0 && strlen(body) > 16)
		body += 16;
	body = xstrdup(body);
	free(text);
	free(html);
	buffer_free(&escaped);
	return body;
}

static size_t
count_tokens(const struct strlist *lines)
{
	size_t tokens = 0;

	for (size_t i = 0; i < lines->count; i++) {
		int in_token = 0;

		for (const char *at = lines->items[i]; *at != '\0'; at++) {
			int space = *at == ' ' || *at == '\t';

			tokens += !space && !in_token;
			in_token = !space;
		}
	}
	return tokens;
}

static void
check_seed(const char *path, const struct seed_expectation *expect,
    const struct clean_rules *rules)
{
	struct strlist lines = { 0 };
	struct buffer html = { 0 }, explained = { 0 };
	struct article *article = article_new();
	char *first, *last;
	size_t total_words;

	read_lines(path, &lines);
	if (lines.count < (size_t)expect->last_line) {
		CHECK(lines.count >= (size_t)expect->last_line);
		goto done;
	}
	for (size_t i = 0; i < lines.count; i++) {
		buffer_append_string(&html, "<p>");
		for (const char *at = lines.items[i]; *at != '\0'; at++) {
			if (*at == '&')
				buffer_append_string(&html, "&amp;");
			else if (*at == '<')
				buffer_append_string(&html, "&lt;");
			else
				buffer_append(&html, at, 1);
		}
		buffer_append_string(&html, "</p>\n");
	}
	if (expect->title_line > 0)
		article->title_raw = xstrdup(lines.items[expect->title_line - 1]);
	article->content_html = buffer_steal(&html);
	CHECK(clean_article(article, rules, record_explain, &explained) == 0);
	if (article->text == NULL)
		goto done;

	/* the article is intact: it starts and ends with its real first and last paragraphs */
	first = rendered_line(lines.items[expect->first_line - 1]);
	last = rendered_line(lines.items[expect->last_line - 1]);
	CHECK(strncmp(article->text, first, strlen(first)) == 0);
	if (expect->dateline_line > 0) {
		/* the dateline paragraph is there without its "PLACE — " */
		char *with_dateline = rendered_line(lines.items[expect->dateline_line - 1]);
		size_t place_length = article->dateline ? strlen(article->dateline) : 0;

		CHECK(place_length >= 4 && strncmp(with_dateline, article->dateline,
		    place_length) == 0);
		CHECK_NOT_CONTAINS(article->text, with_dateline);
		CHECK(place_length > 0 && strstr(article->text, with_dateline + place_length +
		    strlen(" \xe2\x80\x94 ")) != NULL);
		free(with_dateline);
	} else
		CHECK(article->dateline == NULL);
	CHECK(strlen(article->text) >= strlen(last) &&
	    strcmp(article->text + strlen(article->text) - strlen(last), last) == 0);
	free(first);
	free(last);

	/* every real line between is there */
	for (int line = expect->first_line + 1; line < expect->last_line; line++) {
		int junk = 0;
		char *rendered = rendered_line(lines.items[line - 1]);

		for (int j = 0; j < 3 && expect->junk_lines[j] != 0; j++)
			junk |= expect->junk_lines[j] == line;
		if (!junk && line != expect->dateline_line && rendered[0] != '\0')
			CHECK_CONTAINS(article->text, rendered);
		free(rendered);
	}
	/* the junk is gone, and the explain record says which rule took it */
	for (int j = 0; j < 3 && expect->junk_lines[j] != 0; j++) {
		char *rendered = rendered_line(lines.items[expect->junk_lines[j] - 1]);

		CHECK_NOT_CONTAINS(article->text, rendered);
		free(rendered);
	}
	for (int j = 0; j < 3 && expect->junk_strings[j] != NULL; j++)
		CHECK_NOT_CONTAINS(article->text, expect->junk_strings[j]);
	for (const char *rule = expect->rules_fired; *rule != '\0';) {
		size_t length = strcspn(rule, "|");
		char *wanted = xasprintf("\n%.*s|", (int)length, rule);
		char *record = xasprintf("\n%s", explained.data ? explained.data : "");

		CHECK_CONTAINS(record, wanted);
		free(wanted);
		free(record);
		rule += length + 1;
	}

	/* a sane word count: most of the file, never more */
	total_words = count_tokens(&lines);
	CHECK(article->word_count >= total_words * 3 / 4 && article->word_count <= total_words);
	CHECK(article->summary != NULL && strlen(article->summary) <= 503);
	printf("  seed %s: %zu paragraphs, %zu words of %zu, dateline %s\n", expect->prefix,
	    count_paragraphs(article->text), article->word_count, total_words,
	    article->dateline ? article->dateline : "-");
done:
	buffer_free(&html);
	buffer_free(&explained);
	strlist_clear(&lines);
	article_free(article);
}

/* The seed file in directory whose name starts with prefix, or NULL. Caller frees. */
static char *
seed_path(const char *directory, const char *prefix)
{
	DIR *listing = opendir(directory);
	struct dirent *entry;
	char *path = NULL;

	if (listing == NULL)
		return NULL;
	while (path == NULL && (entry = readdir(listing)) != NULL)
		if (strncmp(entry->d_name, prefix, strlen(prefix)) == 0)
			path = xasprintf("%s/%s", directory, entry->d_name);
	closedir(listing);
	return path;
}

static void
test_seeds(void)
{
	const char *directory = check_seeds_dir();
	struct clean_rules *rules;
	int checked = 0;

	if (directory == NULL) {
		SKIP("../shared/seeds is absent (set WIRESIFT_SEEDS)");
		return;
	}
	rules = load_rules_file();
	if (rules == NULL)
		return;
	for (size_t i = 0; i < sizeof seed_expectations / sizeof seed_expectations[0]; i++) {
		char *path = seed_path(directory, seed_expectations[i].prefix);

		if (path != NULL) {
			check_seed(path, &seed_expectations[i], rules);
			checked++;
		} else
			printf("test_seeds: no %s seed in %s, skipped\n",
			    seed_expectations[i].prefix, directory);
		free(path);
	}
	if (checked == 0)
		SKIP("no seed files in %s", directory);
	clean_rules_free(rules);
}

/* ------------------------------------------------------------------------------------------ */
/* Scale                                                                                      */

/* CPU seconds: figures stay meaningful while other builds load the machine. */
static double
seconds_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Time html_to_text on `copies` copies of a paragraph; checks the paragraph count. */
static double
time_copies(const char *paragraph, size_t copies)
{
	struct buffer html = { 0 };
	double start;
	char *text;

	for (size_t i = 0; i < copies; i++)
		buffer_append_string(&html, paragraph);
	start = seconds_now();
	text = html_to_text(html.data, html.length);
	start = seconds_now() - start;
	CHECK(count_paragraphs(text) == copies);
	free(text);
	buffer_free(&html);
	return start;
}

static void
test_huge_and_deep(void)
{
	const char *paragraph = "<p>Some <b>bold</b> text &amp; an <a href=\"/x\">anchor</a> "
	    "with\xc2\xa0spaces.</p>\n";
	double small, big;
	struct buffer html = { 0 };
	char *text;

	/* linear: 16 times the input must not take anywhere near 16 times 16 the time */
	small = time_copies(paragraph, 20000);
	big = time_copies(paragraph, 320000);
	printf("  html_to_text: %.1f MB in %.3f s, %.1f MB in %.3f s\n",
	    20000.0 * strlen(paragraph) / 1e6, small, 320000.0 * strlen(paragraph) / 1e6, big);
	CHECK(big < small * 64 + 0.5);

	/* one huge text node (libxml2 cuts at 10 MB unless told otherwise) */
	for (int i = 0; i < 1500000; i++)
		buffer_append_string(&html, "word1 wo");
	buffer_append_string(&html, "<p>tail</p>");
	text = html_to_text(html.data, html.length);
	CHECK(strlen(text) == 12000000 + strlen("\n\ntail"));
	free(text);
	buffer_reset(&html);

	/* nesting far beyond libxml2's default depth limit, and never closed */
	for (int i = 0; i < 50000; i++)
		buffer_append_string(&html, "<div><span>x");
	buffer_append_string(&html, "<p>bottom</p>");
	text = html_to_text(html.data, html.length);
	CHECK(text != NULL && strlen(text) > 50000 &&
	    strcmp(text + strlen(text) - strlen("\n\nbottom"), "\n\nbottom") == 0);
	free(text);
	buffer_free(&html);
}

/*
 * The HTML parser context is reused from document to document (and replaced now and then):
 * every document must come out as if parsed alone, and markup made of invented element and
 * attribute names, which the context's dictionary keeps, must not grow the heap without bound.
 */
#define LONG_NAME	"-an-invented-element-name-long-enough-to-weigh-in-the-dictionary-of-the-parser"

static void
test_parser_reuse(void)
{
	const char *first = "<p>Harbour <b>council</b> approves budget.</p><p>Second one.</p>";
	const char *second = "<div><h2>Storm</h2><p>Ferries &amp; trains <i>halted</i>.</p></div>";
	char *first_alone = text_of(first), *second_alone = text_of(second);
	size_t baseline = 0, after_warm_up = 0, after = 0;
	int mismatches = 0;

	for (int round = 0; round < 60000; round++) {
		char html[512];
		char *text;

		snprintf(html, sizeof html, "<p>Lead</p><x%d%s data-y%d%s=\"v\">invented %d</x%d%s>%s",
		    round, LONG_NAME, round, LONG_NAME, round, round, LONG_NAME,
		    round % 2 ? first : second);
		text = text_of(html);
		if (strstr(text, round % 2 ? "approves budget" : "halted") == NULL)
			mismatches++;
		free(text);
		text = text_of(round % 2 ? first : second);
		if (strcmp(text, round % 2 ? first_alone : second_alone) != 0)
			mismatches++;
		free(text);
		if (round == 100)
			baseline = heap_in_use();
		if (round == 30000)
			after_warm_up = heap_in_use();
	}
	after = heap_in_use();
	CHECK(mismatches == 0);
	/*
	 * 120,000 invented names of ~110 bytes (13 MB) in all; the dictionary holds 20,000
	 * strings at most at a time.
	 */
	CHECK(after < baseline + 6 * 1024 * 1024);
	CHECK(after < after_warm_up + 3 * 1024 * 1024);
	printf("parser reuse: 120,000 documents, %d mismatches, heap %+ld kB after the first 100\n",
	    mismatches, ((long)after - (long)baseline) / 1024);
	free(first_alone);
	free(second_alone);
}


int
main(void)
{
	int status;

	if (temp_dir_make("clean") != 0)
		return 1;
	RUN(test_blocks_and_inline);
	RUN(test_plain_text);
	RUN(test_plain_text_fast_path);
	RUN(test_entities_and_noise);
	RUN(test_nested_tables);
	RUN(test_broken_markup);
	RUN(test_scripts_and_embeds);
	RUN(test_non_latin);
	RUN(test_datelines);
	RUN(test_title_summary_url);
	RUN(test_seeds);
	RUN(test_huge_and_deep);
	RUN(test_parser_reuse);
	status = check_finish();
	temp_dir_remove();
	return status;
}
