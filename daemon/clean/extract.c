/*
 * extract.c - extract_page(): one article page to its title, text, authors, dates and
 * canonical URL (extract.h says in which order the sources are tried). The page is skimmed
 * (extract_skim.c) and made into libxml2's tree once: by extract_tree.c, which builds the tree
 * libxml2's HTML parser builds in a tenth of its instructions, or, for the pages it leaves to
 * it (legacy encodings, comments left in...), by that parser on the thread's reused context
 * (gumbo, the HTML5 tree builder in Debian, parsed Readability's 130 test pages 4x slower
 * than libxml2: 125 against 470-500 pages/s, parse alone); its metadata is read before
 * anything is removed;
 * site rules, else the DOM heuristics (extract_dom.c), pick the article's blocks, which are
 * rendered to paragraphs by the cleaner's HTML walk (html_text.c); a JSON-LD articleBody
 * replaces them only when it is not a teaser of them. The cleaner's boilerplate rules and
 * dateline then run on the paragraphs as they do on feed text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <utf8proc.h>

#include "extract_internal.h"
#include "url.h"

#define ENCODING_SNIFF_BYTES	2048
/* An articleBody with fewer words than this share of the DOM's text is a teaser. */
#define JSON_LD_MIN_SHARE	0.8

/* Is the whole page valid UTF-8 with at least one multi-byte character? */
static int
is_utf8_text(const char *html, size_t length)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)html, *end = at + length;
	int multibyte = 0;

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;

		if (*at < 0x80) {
			at++;
			continue;
		}
		if ((size = utf8proc_iterate(at, end - at, &code_point)) <= 0)
			return 0;
		multibyte = 1;
		at += size;
	}
	return multibyte;
}

/*
 * "UTF-8" unless the page declares another charset early on (then libxml2 follows the
 * declaration), except when the bytes are valid UTF-8 anyway: a page saved or re-encoded as
 * UTF-8 keeps its old <meta charset>, while legacy-encoded text is almost never valid UTF-8.
 */
static const char *
page_encoding(const char *html, size_t length)
{
	size_t scan = length < ENCODING_SNIFF_BYTES ? length : ENCODING_SNIFF_BYTES;
	const char *at = html, *end = html + scan;

	while ((at = memchr(at, 'c', (size_t)(end - at))) != NULL) {
		if ((size_t)(end - at) > 8 && strncasecmp(at, "charset=", 8) == 0) {
			at += 8;
			while (at < end && (*at == '"' || *at == '\'' || *at == ' '))
				at++;
			if ((size_t)(end - at) >= 4 && (strncasecmp(at, "utf-8", 5) == 0 ||
			    strncasecmp(at, "utf8", 4) == 0))
				return "UTF-8";
			return is_utf8_text(html, length) ? "UTF-8" : NULL;
		}
		at++;
	}
	return "UTF-8";
}

static xmlNode *
find_element(xmlNode *node, const char *name, int depth)
{
	for (; node != NULL; node = node->next) {
		xmlNode *found;

		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)node->name, name) == 0)
			return node;
		if (depth > 0 && (found = find_element(node->children, name, depth - 1)) != NULL)
			return found;
	}
	return NULL;
}

/* The first <h1> of the body, on one line; NULL when none. */
static char *
first_heading(const struct page *page)
{
	for (xmlNode *node = page->body; node != NULL; ) {
		if (node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, "h1") == 0) {
			char *text = html_render_line(node);

			if (text[0] != '\0')
				return text;
			free(text);
		}
		if (node->type == XML_ELEMENT_NODE && node->children != NULL) {
			node = node->children;
			continue;
		}
		while (node != NULL && node != page->body && node->next == NULL)
			node = node->parent;
		node = node == NULL || node == page->body ? NULL : node->next;
	}
	return NULL;
}

/* The title: the metadata's, or the page's <h1> when the former only adds the site name. */
static char *
choose_title(const struct page *page, const struct page_meta *meta)
{
	char *heading = first_heading(page), *title = NULL;

	if (meta->title != NULL)
		title = clean_title(meta->title);
	if (heading != NULL && (title == NULL || (strlen(heading) < strlen(title) &&
	    strstr(title, heading) != NULL))) {
		free(title);
		return heading;
	}
	free(heading);
	return title;
}

/* The boilerplate rules and the dateline on the text's paragraphs; takes text. */
static void
finish_text(struct extract_result *result, char *text, const struct clean_rules *rules,
    const struct explain_sink *sink)
{
	struct paragraphs list = paragraphs_split(text);
	struct filter_text view = { 0 };
	struct article scratch = { 0 };	/* receives the dateline */

	drop_title_repeat(result->title, &list, sink);
	if (rules != NULL) {
		view.index = &rules->literals;
		apply_rules(rules, &list, &view, sink);
		extract_dateline(rules, &scratch, &list, &view, sink);
		result->dateline = scratch.dateline;
	}
	result->text = paragraphs_join(&list, "\n\n", &result->words);
	if (result->text != NULL && result->words == 0) {
		free(result->text);
		result->text = NULL;
		result->words = 0;
	}
	paragraphs_free(&list);
	filter_text_free(&view);
}

/* The article's blocks as paragraphs: site rules, else the DOM heuristics. */
static char *
content_text(const struct extract_rules *site_rules, struct page *page, const char **method)
{
	xmlNode **nodes = NULL;
	size_t count = 0;
	char *text = NULL;

	if (site_rules_apply(site_rules, page, &nodes, &count))
		*method = EXTRACT_METHOD_SITE_RULE;
	else {
		page_prune(page);	/* keeps the figures of what is left up to date */
		page_stats_forget_losses(page);
		count = page_content_nodes(page, &nodes);
		page_clean_content(page, nodes, count);
		*method = EXTRACT_METHOD_DOM;
	}
	if (count > 0)
		text = html_render_nodes(nodes, count, page->explain, page->explain_context);
	free(nodes);
	return text;
}

/* JSON-LD's articleBody instead of the DOM's text, unless it is a teaser of it. */
static int
prefer_json_ld(const struct page_meta *meta, const char *dom_text, const char *method)
{
	size_t body_words, dom_words;

	if (meta->body == NULL || strcmp(method, EXTRACT_METHOD_SITE_RULE) == 0)
		return 0;
	body_words = count_words(meta->body, strlen(meta->body));
	dom_words = dom_text ? count_words(dom_text, strlen(dom_text)) : 0;
	return body_words > 0 && (double)body_words >= JSON_LD_MIN_SHARE * (double)dom_words;
}

static void
take_metadata(struct extract_result *result, struct page_meta *meta, const char *page_url)
{
	result->authors = meta->authors;
	memset(&meta->authors, 0, sizeof meta->authors);
	result->published = meta->published;
	result->updated = meta->updated;
	if (meta->url != NULL) {
		result->url = meta->url;
		meta->url = NULL;
	} else if (page_url != NULL)
		result->url = url_canonical(page_url, NULL, NULL);
}

int
extract_page(const struct extract_rules *site_rules, const struct clean_rules *clean_rules,
    const char *html, size_t length, const char *page_url, struct extract_result *result,
    clean_explain_fn explain, void *explain_context)
{
	struct page page = { .url = page_url, .explain = explain,
	    .explain_context = explain_context };
	struct explain_sink sink = { explain, explain_context };
	struct page_meta meta;
	const char *method = NULL, *encoding;
	char *text, *skimmed;
	size_t skimmed_length;

	memset(result, 0, sizeof *result);
	if (html == NULL || length == 0)
		return -1;
	skimmed = page_skim(html, length, SKIM_SPACES |
	    (site_rules_cover(site_rules, page_url) ? 0 : SKIM_ATTRIBUTES), &skimmed_length);
	encoding = page_encoding(html, length);
	if (encoding == NULL || (page.document = page_tree(skimmed, skimmed_length)) == NULL)
		page.document = html_parse_page(skimmed, skimmed_length, encoding);
	free(skimmed);
	if (page.document == NULL)
		return -1;
	page.body = find_element(xmlDocGetRootElement(page.document), "body", 1);
	if (page.body == NULL)
		page.body = xmlDocGetRootElement(page.document);
	page_stats_compute(&page);
	page_meta_read(&page, &meta);
	result->title = choose_title(&page, &meta);
	text = page.body ? content_text(site_rules, &page, &method) : NULL;
	if (prefer_json_ld(&meta, text, method ? method : "")) {
		free(text);
		text = meta.body;
		meta.body = NULL;
		method = EXTRACT_METHOD_JSON_LD;
	}
	if (text != NULL)
		finish_text(result, text, clean_rules, &sink);
	result->method = result->text ? method : NULL;
	take_metadata(result, &meta, page_url);
	page_meta_free(&meta);
	xmlFreeDoc(page.document);
	free(page.stats);
	return result->text ? 0 : -1;
}

void
extract_result_free(struct extract_result *result)
{
	free(result->title);
	free(result->text);
	free(result->dateline);
	free(result->url);
	strlist_clear(&result->authors);
	memset(result, 0, sizeof *result);
}
