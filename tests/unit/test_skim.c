/*
 * test_skim.c - differential test of the extractor's skim (daemon/clean/extract_skim.c):
 * libxml2's tree of a page skimmed with SKIM_ATTRIBUTES | SKIM_SPACES must be the tree of the
 * same page skimmed without them (scripts, styles, SVG and comments removed in both), except
 * for what the two flags are documented to drop: attributes other than class, id, style,
 * hidden and aria-hidden (all kept on base, body, head, html, link, meta, script and time), a
 * style that says neither display nor visibility (and holds no character reference),
 * and the length of blank runs in text outside pre, textarea, xmp, listing and plaintext.
 * Inputs: the fixture pages (tests/fixtures/pages), thousands of mutations of them (tricky
 * snippets inserted, spans cut, truncations) and random tag soup. (Run once with 20,000
 * mutations per page and 200,000 soups, and on Readability's 130 test pages with 300
 * mutations each: no difference.)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "clean/extract_internal.h"
#include "util.h"

#define RANDOM_SEED 0x9e3779b97f4a7c15ULL
#include "mutate.h"

#define PAGES		"tests/fixtures/pages/"
#define MUTATIONS	400	/* per fixture page */
#define SOUPS		5000

static const char *const read_attributes[] = {
	"aria-hidden", "class", "hidden", "id", "style",
};
static const char *const whole_tags[] = {
	"base", "body", "head", "html", "link", "meta", "script", "time",
};
static const char *const preformatted[] = {
	"listing", "plaintext", "pre", "textarea", "xmp",
};

static int
listed(const char *name, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strcasecmp(name, list[i]) == 0)
			return 1;
	return 0;
}

#define LISTED(name, list) listed((const char *)(name), list, sizeof list / sizeof list[0])

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Text with each blank run as one space. */
static char *
squeeze(const char *text)
{
	char *out = xmalloc(strlen(text) + 1), *to = out;

	while (*text != '\0') {
		if (is_blank(*text)) {
			while (is_blank(*text))
				text++;
			*to++ = ' ';
		} else
			*to++ = *text++;
	}
	*to = '\0';
	return out;
}

static const char *
value_of(const xmlAttr *attribute)
{
	return attribute->children && attribute->children->content ?
	    (const char *)attribute->children->content : "";
}

/* A style attribute that cannot hide its element (is_hidden reads display and visibility). */
static int
is_plain_style(const xmlAttr *attribute)
{
	return strcasecmp((const char *)attribute->name, "style") == 0 &&
	    strcasestr(value_of(attribute), "display") == NULL &&
	    strcasestr(value_of(attribute), "visibility") == NULL;
}

/*
 * Are the skimmed element's attributes the reference's, in order, less some that nothing
 * reads? (A tag the skim leaves to libxml2 keeps all of them.)
 */
static int
same_attributes(const xmlNode *reference, const xmlNode *skimmed)
{
	int whole = LISTED(reference->name, whole_tags);
	const xmlAttr *b = skimmed->properties;

	for (const xmlAttr *a = reference->properties; a != NULL; a = a->next) {
		if (b != NULL && strcmp((const char *)a->name, (const char *)b->name) == 0 &&
		    strcmp(value_of(a), value_of(b)) == 0) {
			b = b->next;
			continue;
		}
		if (whole || (LISTED(a->name, read_attributes) && !is_plain_style(a)))
			return 0;
	}
	return b == NULL;
}

static int
same_text(const xmlNode *a, const xmlNode *b, int in_pre)
{
	const char *x = a->content ? (const char *)a->content : "";
	const char *y = b->content ? (const char *)b->content : "";
	char *sx, *sy;
	int same;

	if (in_pre)
		return strcmp(x, y) == 0;
	sx = squeeze(x);
	sy = squeeze(y);
	same = strcmp(sx, sy) == 0;
	free(sx);
	free(sy);
	return same;
}

static char difference[200];	/* where the trees part */

static int
differ(const xmlNode *a, const char *what)
{
	snprintf(difference, sizeof difference, "%s at <%s> under <%s>: %.60s", what,
	    a && a->name ? (const char *)a->name : "", a && a->parent && a->parent->name ?
	    (const char *)a->parent->name : "", a && a->content ? (const char *)a->content : "");
	return 0;
}

/* Are the two sibling lists the same tree, as the skim promises? */
static int
same_tree(const xmlNode *a, const xmlNode *b, int in_pre)
{
	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->type != b->type)
			return differ(a, "node type");
		if (a->type == XML_TEXT_NODE || a->type == XML_CDATA_SECTION_NODE) {
			if (!same_text(a, b, in_pre))
				return differ(a, "text");
			continue;
		}
		if (a->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)a->name, (const char *)b->name) != 0)
			return differ(a, "element");
		if (!same_attributes(a, b))
			return differ(a, "attributes");
		if (!same_tree(a->children, b->children, in_pre || LISTED(a->name, preformatted)))
			return 0;
	}
	return a == NULL && b == NULL ? 1 : differ(a ? a : b, "child count");
}

static xmlDoc *
parse_skimmed(const char *html, size_t length, int flags)
{
	size_t skimmed_length;
	char *skimmed = page_skim(html, length, flags, &skimmed_length);
	xmlDoc *document = html_parse_page(skimmed, skimmed_length, "UTF-8");

	free(skimmed);
	return document;
}

/* One input: 1 when both parses agree (or both fail). */
static int
agrees(const char *html, size_t length)
{
	xmlDoc *reference = parse_skimmed(html, length, 0);
	xmlDoc *skimmed = parse_skimmed(html, length, SKIM_ATTRIBUTES | SKIM_SPACES);
	int same = (reference == NULL) == (skimmed == NULL);

	if (reference != NULL && skimmed != NULL)
		same = same_tree(reference->children, skimmed->children, 0);
	if (!same)
		fprintf(stderr, "  skim changes the tree (%s) of: %.*s\n", difference, (int)(length < 300 ?
		    length : 300), html);
	xmlFreeDoc(reference);
	xmlFreeDoc(skimmed);
	return same;
}

static const char *const snippets[] = {
	"<", ">", "\"", "'", "=", "/", " ", "\n\n  \t", "\r\n", "\f", "&amp;", "&nbsp; ",
	"<pre>", "</pre>", "<pre>  a\n\n  b  </pre>", "<textarea> x  y </textarea>",
	"<div class=\"a  b\" data-x='1' >", "</div>", "<p id=x/>", "<p class=a/>",
	"<br />", "<img src=x alt='a > b'>", "<a\thref=x\nclass=y\r>", "<span hidden>",
	"<b aria-hidden=true>", "<i style=\"display: none\" title=t>", "<i style='color: red'>",
	"<u style=\"VISIBILITY:hidden\">", "<u style=\"&#100;isplay:none\">", "<!--", "-->",
	"<script>", "</script>", "<script type=\"application/ld+json\">{\"a\": \"<p x='1'>\"}",
	"<style>", "</", "</p >", "</p x>", "<p 1=2>", "<p a=b\"c>", "<p a==b>", "<p a=`b`>",
	"<P CLASS=Up ID=i DATA-X=1>", "<meta name=a content='b  c'>", "<svg><p>", "<!DOCTYPE html>",
	"<?php x ?>", "<li>", "<ul>", "<table><tr><td> a </td>", "<xmp> <b> </xmp>", "\xc3\xa9",
	"<body class=b onload=x>", "<html lang=en>", "<head>", "<title> T  t </title>",
};


static void
test_fixture_pages_and_mutations(void)
{
	DIR *directory = opendir(PAGES);
	struct buffer mutated = { 0 };
	char *page;
	size_t size;
	int pages = 0, failures = 0;

	CHECK(directory != NULL);
	while ((page = next_fixture_page(directory, PAGES, &size)) != NULL) {
		pages++;
		failures += !agrees(page, size);
		for (int i = 0; i < MUTATIONS && failures < 5; i++) {
			mutate_page(&mutated, page, size, snippets,
			    sizeof snippets / sizeof snippets[0]);
			failures += !agrees(mutated.data, mutated.length);
		}
		free(page);
	}
	if (directory != NULL)
		closedir(directory);
	buffer_free(&mutated);
	printf("  %d pages, %d mutations each: %d differences\n", pages, MUTATIONS, failures);
	CHECK(pages >= 9);
	CHECK(failures == 0);
}

static void
test_tag_soup(void)
{
	struct buffer soup = { 0 };
	int failures = 0;

	for (int i = 0; i < SOUPS && failures < 5; i++) {
		buffer_reset(&soup);
		for (unsigned n = 1 + next_random(30); n-- > 0; ) {
			buffer_append_string(&soup, snippets[next_random(sizeof snippets /
			    sizeof snippets[0])]);
			if (next_random(2))
				buffer_append_string(&soup, next_random(2) ? " word  and\n more " : "x");
		}
		failures += !agrees(soup.data, soup.length);
	}
	buffer_free(&soup);
	printf("  %d soups: %d differences\n", SOUPS, failures);
	CHECK(failures == 0);
}

/* The two flags do what they say on a plain page. */
static void
test_what_is_dropped(void)
{
	static const char page[] = "<div  class=\"c\"   data-x=\"1\" href=x id=i\n>  a \n\n b  "
	    "<pre> p  q </pre><meta name=n content=c></div>";
	size_t length;
	char *skimmed = page_skim(page, sizeof page - 1, SKIM_ATTRIBUTES | SKIM_SPACES, &length);

	CHECK_STR(skimmed, "<div class=\"c\" id=i> a\nb <pre> p  q </pre><meta name=n "
	    "content=c></div>");
	free(skimmed);
}

int
main(void)
{
	RUN(test_what_is_dropped);
	RUN(test_fixture_pages_and_mutations);
	RUN(test_tag_soup);
	return check_finish();
}
