/*
 * test_tree.c - differential test of the extractor's own tree builder (extract_tree.c): where
 * page_tree() builds a tree, it must be node for node the tree libxml2's HTML parser builds
 * (html_parse_page, as the extractor called it before) of the same bytes: element names,
 * attributes, text, CDATA and where each one hangs (tree_compare.h). Inputs: the fixture pages
 * skimmed as the extractor skims them (page_tree may not give up on any of them), thousands
 * of mutations of them (tricky snippets inserted, spans cut, truncations) and random tag soup
 * of the constructs libxml2 repairs (implied html/head/body/p, start tags closing open
 * elements, end tags of higher priority, misplaced html/head/body, void elements, "/>",
 * references, prefixed names), each given both skimmed and as it is. Inputs page_tree gives up
 * on are counted; the soups must mostly be built, or the test would prove nothing. (Run once
 * with 20,000 mutations per page and 500,000 soups, and on Readability's 130 test pages with
 * 500 mutations each: no difference.)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clean/extract_internal.h"
#include "tree_compare.h"
#include "util.h"

#define RANDOM_SEED 0x2545f4914f6cdd1dULL
#include "mutate.h"

#ifndef PAGES
#define PAGES		"tests/fixtures/pages/"
#endif
#ifndef MUTATIONS
#define MUTATIONS	300	/* per fixture page */
#endif
#ifndef SOUPS
#define SOUPS		6000
#endif

static int built, given_up;

/* One input: 1 when page_tree gives up or builds libxml2's tree. */
static int
agrees_as_is(const char *html, size_t length)
{
	xmlDoc *reference, *ours = page_tree(html, length);
	char why[200];
	int same = 1;

	if (ours == NULL) {
		given_up++;
		return 1;
	}
	built++;
	reference = html_parse_page(html, length, "UTF-8");
	if (reference == NULL || !trees_equal(reference, ours, why, sizeof why)) {
		fprintf(stderr, "  page_tree differs (%s) on: %.*s\n", reference ? why : "no tree",
		    (int)(length < 300 ? length : 300), html);
		same = 0;
	}
	xmlFreeDoc(reference);
	xmlFreeDoc(ours);
	return same;
}

/* Skimmed as the extractor skims it (flags), then as_is. */
static int
agrees(const char *html, size_t length, int flags)
{
	size_t skimmed_length;
	char *skimmed = page_skim(html, length, flags, &skimmed_length);
	int same = agrees_as_is(skimmed, skimmed_length);

	free(skimmed);
	return same;
}

static const char *const snippets[] = {
	"<p>", "</p>", "<div>", "</div>", "<span class=a>", "</span>", "<li>", "</li>", "<ul>",
	"</ul>", "<ol>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "<th>",
	"<tbody>", "</tbody>", "<thead>", "<tfoot>", "<dl><dt>", "<dd>", "</dl>", "<h1>",
	"</h1>", "<h2 id=h>", "<a href=x>", "</a>", "<b>", "</b>", "<i>", "<em>", "<br>", "<br/>",
	"<img src=x>", "<hr>", "<input>", "<p/>", "<div/>", "<html>", "<html lang=en>",
	"</html>", "<head>", "</head>", "<body>", "<body class=b>", "</body>", "<title>",
	"</title>", "<meta name=a content='&amp;b &quot;c&quot;'>", "<link rel=x>",
	"<script type=\"application/ld+json\">{\"a\": \"</div> &amp;\"}</script>", "<script>",
	"</script>", "<style>x{}</style>", "<form>", "</form>", "<select><option>", "<option>",
	"<pre>", "</pre>", "<textarea>", "<noscript>", "</noscript>", "<iframe>", "<figure>",
	"<figcaption>", "</figure>", "<fb:like>", "</fb:like>", "<o:p>", "</o:p>", "<a:>",
	"<a:b:c>", "<x-y>", "</x-y>", "<P CLASS=Up ID=i>", "</P>", "</DIV>", "&amp;",
	"&nbsp;", "&#160;", "&#x2014;", "&#X41;", "&#0;", "&#;", "&#xD800;", "&bogus;", "&amp",
	"&lt", "& ", "&", "&a1.b-c:d;", "<", ">", "</ >", "</>", "</1>", "< p>", "</p x=y>",
	"<p a=\"x&quot;y\" a=z>", "<p hidden>", "<input checked>", "<td nowrap>", "<p a='&#0;'>",
	"<p a=b/>", "<p a = 'b' >", "<p a=>", "<p =a b>", "<p a=\"1\"b=2>", "<p x.y=1 z:w=2>",
	"\n", "  ", "\t", "\r\n", "\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87",
	"<center>", "<font>", "<address>", "<caption>", "<col>", "<colgroup>", "<frameset>",
	"<frame>", "<noframes>", "<base>", "<area>", "<param>", "<object>", "<applet>",
	"<embed>", "<menu>", "<dir>", "<legend>", "<fieldset>", "<button>", "<label>", "<abbr>",
	"<q>", "<tt>", "\xef\xbb\xbf",
};

/* What page_tree gives up on: now and then in a soup. */
static const char *const rare[] = {
	"<!-- c -->", "<?pi?>", "<p.x>", "\x01", "\xff", "<xml:x>", "<:x>", "<_x>",
	"<!DOCTYPE html>",
};

static const char *const words[] = { " word ", "x", "Hello, world.", " ", "a\nb" };


static void
test_fixture_pages_and_mutations(void)
{
	DIR *directory = opendir(PAGES);
	struct buffer mutated = { 0 };
	char *page;
	size_t size;
	int pages = 0, failures = 0, pages_given_up;

	CHECK(directory != NULL);
	while ((page = next_fixture_page(directory, PAGES, &size)) != NULL) {
		pages++;
		pages_given_up = given_up;
		failures += !agrees(page, size, SKIM_ATTRIBUTES | SKIM_SPACES);
		failures += !agrees(page, size, 0);
		CHECK(given_up == pages_given_up);	/* built for every fixture page */
		for (int i = 0; i < MUTATIONS && failures < 5; i++) {
			mutate_page(&mutated, page, size, snippets,
			    sizeof snippets / sizeof snippets[0]);
			failures += !agrees(mutated.data, mutated.length,
			    i % 2 ? SKIM_ATTRIBUTES | SKIM_SPACES : 0);
		}
		free(page);
	}
	if (directory != NULL)
		closedir(directory);
	buffer_free(&mutated);
	printf("  %d pages, %d mutations each: %d differences (%d built, %d given up)\n", pages,
	    MUTATIONS, failures, built, given_up);
	CHECK(pages >= 9);
	CHECK(failures == 0);
}

static void
test_tag_soup(void)
{
	struct buffer soup = { 0 };
	int failures = 0;

	built = given_up = 0;
	for (int i = 0; i < SOUPS && failures < 5; i++) {
		buffer_reset(&soup);
		if (next_random(4) == 0)
			buffer_append_string(&soup, next_random(2) ? "<!DOCTYPE html>\n" :
			    "\xef\xbb\xbf<!doctype html public \"-//W3C//DTD XHTML 1.0//EN\">");
		for (unsigned n = 1 + next_random(40); n-- > 0; ) {
			if (next_random(100) == 0)
				buffer_append_string(&soup, rare[next_random(sizeof rare /
				    sizeof rare[0])]);
			buffer_append_string(&soup, snippets[next_random(sizeof snippets /
			    sizeof snippets[0])]);
			if (next_random(2))
				buffer_append_string(&soup, words[next_random(sizeof words /
				    sizeof words[0])]);
		}
		failures += !agrees(soup.data, soup.length, SKIM_ATTRIBUTES | SKIM_SPACES);
		failures += !agrees_as_is(soup.data, soup.length);
	}
	buffer_free(&soup);
	printf("  %d soups: %d differences (%d built, %d given up)\n", SOUPS, failures, built,
	    given_up);
	CHECK(failures == 0);
	CHECK(built > 4 * given_up);
}

/* What page_tree leaves to libxml2, and what it builds without its parser. */
static void
test_gives_up(void)
{
	static const char *const left[] = {
		"<p>a<!-- c -->b", "<p>a<?pi?>", "<p>\xff", "<p>a\x01", "<p.x>a", "<p>a<!x>",
		"<p class=\"a", "<p class=a", "   ", "<!DOCTYPE html [ ]><p>a", "<p>&eacute\xc3\xa9",
		"<p><:x>", "<p>a<!DOCTYPE html>",
	};
	static const char *const taken[] = {
		"<p>a<p>b", "\xef\xbb\xbf<!DOCTYPE html><p>a", "<o:p>x</o:p>", "a &amp b &#0; c",
		"<td>x</div>y", "<script type=\"application/ld+json\">{}</script>",
	};

	for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
		xmlDoc *document = page_tree(left[i], strlen(left[i]));

		CHECK(document == NULL);
		xmlFreeDoc(document);
	}
	built = given_up = 0;
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
		CHECK(agrees_as_is(taken[i], strlen(taken[i])));
	CHECK(given_up == 0);
}

int
main(void)
{
	RUN(test_gives_up);
	RUN(test_fixture_pages_and_mutations);
	RUN(test_tag_soup);
	return check_finish();
}
