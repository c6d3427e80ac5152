/*
 * extract_tags.c - what the extractor knows of each HTML element name, in one sorted table
 * looked up once per element (bsearch): whether it is a block, code (script, style: no
 * prose), a text block to score, a container, a list, a heading, an element never pruned
 * (html, body, main, article), its base score, and why it is dropped whatever its class
 * ("" for silent removals such as scripts).
 */
#include <stdlib.h>
#include <string.h>

#include "extract_internal.h"

/* Sorted by name (strcmp). */
static const struct tag_info tags[] = {
	{ "a", TAG_LINK, 0, NULL },
	{ "address", TAG_BLOCK, -3, NULL },
	{ "article", TAG_BLOCK | TAG_KEEP, 5, NULL },
	{ "aside", TAG_BLOCK, 0, "aside" },
	{ "audio", 0, 0, "embed" },
	{ "blockquote", TAG_BLOCK | TAG_TEXT, 3, NULL },
	{ "body", TAG_BLOCK | TAG_KEEP, 0, NULL },
	{ "button", 0, 0, "" },
	{ "dd", TAG_BLOCK, -3, NULL },
	{ "dialog", TAG_BLOCK, 0, "popup" },
	{ "div", TAG_BLOCK | TAG_CONTAINER, 5, NULL },
	{ "dl", TAG_BLOCK | TAG_LIST, -3, NULL },
	{ "dt", TAG_BLOCK, -3, NULL },
	{ "embed", 0, 0, "embed" },
	{ "figcaption", TAG_BLOCK, 0, "caption" },
	{ "figure", TAG_BLOCK, 0, "caption" },
	{ "footer", TAG_BLOCK, 0, "footer" },
	{ "form", TAG_BLOCK | TAG_FORM, -3, "form" },
	{ "h1", TAG_BLOCK | TAG_HEADING, -5, NULL },
	{ "h2", TAG_BLOCK | TAG_HEADING, -5, NULL },
	{ "h3", TAG_BLOCK | TAG_HEADING, -5, NULL },
	{ "h4", TAG_BLOCK | TAG_HEADING, -5, NULL },
	{ "h5", TAG_BLOCK | TAG_HEADING, -5, NULL },
	{ "h6", TAG_BLOCK | TAG_HEADING, -5, NULL },
	{ "header", TAG_BLOCK | TAG_BOX, 0, NULL },
	{ "html", TAG_BLOCK | TAG_KEEP, 0, NULL },
	{ "iframe", 0, 0, "embed" },
	{ "img", TAG_IMAGE, 0, NULL },
	{ "input", 0, 0, "" },
	{ "li", TAG_BLOCK | TAG_ITEM, -3, NULL },
	{ "main", TAG_BLOCK | TAG_KEEP, 0, NULL },
	{ "menu", TAG_BLOCK, 0, "navigation" },
	{ "nav", TAG_BLOCK, 0, "navigation" },
	{ "noscript", TAG_CODE, 0, "" },
	{ "object", 0, 0, "embed" },
	{ "ol", TAG_BLOCK | TAG_LIST, -3, NULL },
	{ "p", TAG_BLOCK | TAG_TEXT | TAG_PARAGRAPH, 0, NULL },
	{ "pre", TAG_BLOCK | TAG_TEXT, 3, NULL },
	{ "script", TAG_CODE, 0, "" },
	{ "section", TAG_BLOCK | TAG_CONTAINER, 0, NULL },
	{ "select", 0, 0, "" },
	{ "style", TAG_CODE, 0, "" },
	{ "svg", TAG_CODE, 0, "" },
	{ "table", TAG_BLOCK | TAG_BOX, 0, NULL },
	{ "td", TAG_TEXT, 3, NULL },
	{ "template", TAG_CODE, 0, "" },
	{ "textarea", 0, 0, "" },
	{ "th", 0, -5, NULL },
	{ "ul", TAG_BLOCK | TAG_LIST, -3, NULL },
	{ "video", 0, 0, "embed" },
};

static const struct tag_info unknown = { "", 0, 0, NULL };

static int
compare_tag(const void *key, const void *member)
{
	return strcmp(key, ((const struct tag_info *)member)->name);
}

const struct tag_info *
tag_info_of(const xmlNode *node)
{
	/* a small per-thread cache by first letter and length (checked by strcmp) */
	static _Thread_local const struct tag_info *cache[64];
	const struct tag_info *found, **slot;
	const char *name = (const char *)node->name;

	if (node->type != XML_ELEMENT_NODE || name == NULL)
		return &unknown;
	slot = &cache[((unsigned char)name[0] * 7u + (unsigned)strlen(name)) & 63];
	if (*slot != NULL && strcmp(name, (*slot)->name) == 0)
		return *slot;
	found = bsearch(name, tags, sizeof tags / sizeof tags[0], sizeof tags[0], compare_tag);
	if (found == NULL)
		return &unknown;
	*slot = found;
	return found;
}
