/*
 * test_html_fast.c - differential test of html_fast.c: the text of every HTML fragment must be
 * byte-identical whether the fast path takes it or libxml2's parser does (html_to_text against
 * html_to_text_parsed). Inputs: hand-written fragments at the subset's edges, every title,
 * summary and content of the feeds in tests/feeds/ and conf/demo/feeds/, the pages of
 * tests/fixtures/html/, the feeds of the directory WIRESIFT_FAST_CORPUS when set (make bench's
 * generated article feeds, for instance), and seeded random mutations of all of those (tags
 * and references inserted, bytes cut and changed). It also checks that the fast path takes
 * the plain feed HTML it is made for, so the comparison is not vacuous.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "article.h"
#include "clean/clean.h"
#include "clean/clean_internal.h"
#include "feed/feed.h"
#include "util.h"

#define MUTATIONS_PER_FRAGMENT	40
#define MUTATED_FRAGMENTS_MAX	3000

struct fragments {
	char	**items;
	size_t	  count;
	size_t	  capacity;
};

static struct fragments corpus;
static size_t compared, taken;

static void
fragments_add(struct fragments *list, const char *text, size_t length)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 256;
		list->items = xrealloc(list->items, list->capacity * sizeof *list->items);
	}
	list->items[list->count++] = xstrndup(text, length);
}

/* Does the fast path take this input? */
static int
fast_takes(const char *html, size_t length)
{
	struct text_builder builder = { 0 };
	int status = html_fast_text(&builder, html, length);

	buffer_free(&builder.out);
	return status == 0;
}

/* Both paths on html: the same text. */
static void
compare(const char *html, size_t length)
{
	char *fast = html_to_text_explain(html, length, NULL, NULL);
	char *parsed = html_to_text_parsed(html, length);

	compared++;
	if (fast_takes(html, length))
		taken++;
	if (strcmp(fast, parsed) != 0) {
		fprintf(stderr, "input: %.*s\n", (int)(length > 400 ? 400 : length), html);
		CHECK_STR(fast, parsed);
	}
	free(fast);
	free(parsed);
}

static int
collect_item(struct article *item, void *context)
{
	const char *fields[] = { item->title_raw, item->summary_html, item->content_html };

	for (size_t i = 0; i < 3; i++)
		if (fields[i] != NULL && fields[i][0] != '\0')
			fragments_add(context, fields[i], strlen(fields[i]));
	article_free(item);
	return 0;
}

/* The fragments of every feed in dir (as_pages: each file is one fragment). */
static size_t
collect_dir(const char *dir, int as_pages)
{
	DIR *directory = opendir(dir);
	struct dirent *entry;
	size_t before = corpus.count;

	if (directory == NULL)
		return 0;
	while ((entry = readdir(directory)) != NULL) {
		char *path, *data, error[256];
		size_t length;
		struct feed_meta meta = { 0 };

		if (entry->d_name[0] == '.' || strstr(entry->d_name, ".expect") != NULL)
			continue;
		path = xasprintf("%s/%s", dir, entry->d_name);
		if ((data = file_read(path, &length)) != NULL) {
			if (as_pages)
				fragments_add(&corpus, data, length);
			else
				feed_parse(data, length, "http://example.com/feed", NULL, &meta,
				    collect_item, &corpus, error, sizeof error);
			feed_meta_free(&meta);
		}
		free(data);
		free(path);
	}
	closedir(directory);
	return corpus.count - before;
}

/* ------------------------------------------------------------------------------------------ */

static void
test_edges(void)
{
	static const char *const taken_cases[] = {
		"<p>One.</p><p>Two &amp; three.</p>",
		"Leading text <b>bold</b> then <p>a paragraph</p> tail",
		"<p>a</p> <p>b</p>\n<p>c</p>",
		"<em>a</em> <b>b</b> <i>c</i>",
		"<p>x<br>y<br/>z<br />w</p>",
		"<p>said the AP <a href=\"/x\">link</a>.</p>",
		"<p>said the AP <img src=\"a.jpg\" alt=\"\">, then</p>",
		"<p>AP .&amp; AP .&quot; AP .</p>",
		"<ul><li>one</li> <li>two <b>2</b></li></ul><ol>\n<li><p>p</p></li></ol>",
		"<figure><img src=x><figcaption>Caption <b>c</b></figcaption></figure><p>After</p>",
		"<h2>Head</h2>Body text\nwith a newline",
		"plain &#8220;quoted&#8221; &#x2014; &#X201C;x&#39; &nbsp;&hellip;",
		"<blockquote><p>q</p><div>d</div></blockquote>",
		"<P CLASS=\"lead\">Upper case</P><A HREF=x>y</A>",
		"<p class='a b' id=x data-x=\"1\">attrs</p>",
		"text\nwith\nnewlines <b>and</b> markup",
		"<span>a</span>,<span>b</span> .x",
		"<p>caf\xc3\xa9 \xe2\x80\x8b zero width \xc2\xa0 nbsp \xc2\xad</p>",
		"<div><ul><li>a<ul><li>b</li></ul></li></ul></div>",
	};
	static const char *const other_cases[] = {
		"<p>unclosed", "<p>a<p>b", "<b><p>x</p></b>", "<p>a</b>", "<a><a>x</a></a>",
		"<p>AT&T</p>", "<p>&apos;</p>", "<p>&#0;&#128;&#xD800;</p>", "<p>&amp</p>",
		"<!-- c --><p>x</p>", "<p>a\r\nb</p>", "\xef\xbb\xbf<p>bom</p>", "<p>\xff</p>",
		"<script>x</script>", "<p class=\"caption\">c</p>", "<span class=wp-caption>s</span>",
		"<ul>text<li>x</li></ul>", "<li>x</li>", "<p/>", "<br></br>", "a < b", "<p>1<2</p>",
		"<table><tr><td>a</td><td>b</td></tr></table>", "<pre>a\nb</pre>", "</p>x",
		"<div>a<p>b</div>", "<p a=\"x\"b=\"y\">z</p>", "<p a=>x</p>", "<p \"x\">y</p>",
		"<p>x</p ", "<p>x</p", "<p", "&", "&#", "&#x;", "<h1><p>x</p></h1>",
		"<p>before<figure>never</figure>after</p>",
	};

	for (size_t i = 0; i < sizeof taken_cases / sizeof taken_cases[0]; i++) {
		if (!fast_takes(taken_cases[i], strlen(taken_cases[i])))
			fprintf(stderr, "not taken: %s\n", taken_cases[i]);
		CHECK(fast_takes(taken_cases[i], strlen(taken_cases[i])));
		compare(taken_cases[i], strlen(taken_cases[i]));
	}
	for (size_t i = 0; i < sizeof other_cases / sizeof other_cases[0]; i++)
		compare(other_cases[i], strlen(other_cases[i]));
}

static void
test_feeds(void)
{
	size_t before = corpus.count, taken_before = taken;
	const char *extra = getenv("WIRESIFT_FAST_CORPUS");

	collect_dir("tests/feeds", 0);
	collect_dir("conf/demo/feeds", 0);
	collect_dir("tests/fixtures/html", 1);
	if (extra != NULL)
		printf("WIRESIFT_FAST_CORPUS: %zu fragments from %s\n", collect_dir(extra, 0), extra);
	CHECK(corpus.count - before > 100);
	for (size_t i = before; i < corpus.count; i++)
		compare(corpus.items[i], strlen(corpus.items[i]));
	printf("feeds: %zu fragments, %zu taken by the fast path\n", corpus.count - before,
	    taken - taken_before);
	CHECK(taken - taken_before > 50);
}

/* A seeded xorshift: the same mutations on every run. */
static uint64_t
next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static char *
mutate(const char *text, size_t length, uint64_t *state)
{
	static const char *const inserts[] = {
		"<p>", "</p>", "<b>", "</b>", "<a href=\"x\">", "</a>", "<li>", "</li>", "<ul>",
		"</ul>", "<br>", "<img src=x>", "<figure>", "</figure>", "&amp;", "&nbsp;", "&#8220;",
		"&", "<", ">", " ", "\n", ".", ",", "<div>", "</div>", "<!-- x -->", "<h2>", "</h2>",
		"<em>", "</em>", "<span class=\"caption\">", "</span>", "\r", "\xc2\xa0", "<p/>",
	};
	struct buffer out = { 0 };
	size_t at = length ? next_random(state) % (length + 1) : 0;

	switch (next_random(state) % 4) {
	case 0: {	/* insert a snippet */
		const char *insert = inserts[next_random(state) % (sizeof inserts /
		    sizeof inserts[0])];

		buffer_append(&out, text, at);
		buffer_append_string(&out, insert);
		buffer_append(&out, text + at, length - at);
		break;
	}
	case 1: {	/* cut a range */
		size_t cut = next_random(state) % 12;

		if (cut > length - at)
			cut = length - at;
		buffer_append(&out, text, at);
		buffer_append(&out, text + at + cut, length - at - cut);
		break;
	}
	case 2:		/* truncate */
		buffer_append(&out, text, at);
		break;
	default:	/* change one byte to a markup byte */
		buffer_append(&out, text, length);
		if (at < length)
			out.data[at] = "<>&/\"' ;#"[next_random(state) % 9];
		break;
	}
	return buffer_steal(&out);
}

static void
test_mutations(void)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	size_t step = corpus.count / MUTATED_FRAGMENTS_MAX + 1;
	size_t mutated = 0, taken_before = taken;

	CHECK(corpus.count > 0);
	for (size_t i = 0; i < corpus.count; i += step) {
		for (int m = 0; m < MUTATIONS_PER_FRAGMENT; m++) {
			char *text = mutate(corpus.items[i], strlen(corpus.items[i]), &state);

			for (int more = (int)(next_random(&state) % 3); more > 0; more--) {
				char *again = mutate(text, strlen(text), &state);

				free(text);
				text = again;
			}

			compare(text, strlen(text));
			free(text);
			mutated++;
		}
	}
	printf("mutations: %zu, %zu taken by the fast path\n", mutated, taken - taken_before);
	CHECK(taken > taken_before);
}

int
main(void)
{
	RUN(test_edges);
	RUN(test_feeds);
	RUN(test_mutations);
	for (size_t i = 0; i < corpus.count; i++)
		free(corpus.items[i]);
	free(corpus.items);
	printf("compared: %zu inputs, fast path took %zu\n", compared, taken);
	return check_finish();
}
