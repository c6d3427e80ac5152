/*
 * extract_dom.c - the article's blocks in a page's DOM, the way Readability finds them but in
 * a few linear passes: figures per element (characters, link characters, commas, paragraphs,
 * images, list items; node->_private points into one array), boilerplate subtrees pruned by
 * tag, hidden marks and class/id hints (each removal explained as "extract:REASON"), text
 * blocks scored (1 + commas + length) into their parent, grandparent and further ancestors,
 * each ancestor weighed by its tag and class/id hints and discounted by its link density; the
 * best one and those of its siblings that score close to it, or read like paragraphs, hold
 * the article. Link lists and share bars left inside them are removed last.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_internal.h"

#define MIN_PARAGRAPH_CHARS	25
#define ANCESTOR_LEVELS		5
#define TOP_CANDIDATES		5

/* ---- figures per element ---- */

static const char *
node_name(const xmlNode *node)
{
	return node->name != NULL ? (const char *)node->name : "";
}

static struct node_stats *
stats_of(const struct page *page, const xmlNode *node)
{
	uintptr_t index = (uintptr_t)node->_private;

	if (node->type != XML_ELEMENT_NODE || index == 0 || index > page->stats_count)
		return NULL;
	return &page->stats[index - 1];
}

static void
stats_attach(struct page *page, xmlNode *node)
{
	if (page->stats_count == page->stats_capacity) {
		page->stats_capacity = page->stats_capacity ? page->stats_capacity * 2 : 256;
		page->stats = xrealloc(page->stats, page->stats_capacity * sizeof *page->stats);
	}
	memset(&page->stats[page->stats_count], 0, sizeof page->stats[0]);
	node->_private = (void *)(uintptr_t)++page->stats_count;
}

/* Characters and commas of a text node into its element's figures. */
static void
count_text(struct node_stats *stats, const unsigned char *text)
{
	for (const unsigned char *at = text; *at != '\0'; at++) {
		if (*at == ',')
			stats->commas++;
		else if (at[0] == 0xef && at[1] == 0xbc && at[2] == 0x8c)
			stats->commas++;		/* ， */
		else if (at[0] == 0xe3 && at[1] == 0x80 && at[2] == 0x81)
			stats->commas++;		/* 、 */
		else if (at[0] == 0xd8 && at[1] == 0x8c)
			stats->commas++;		/* ، */
		if ((*at & 0xc0) != 0x80 && !isspace(*at))
			stats->chars++;
	}
}

/* Leaving element node: its own marks, then its figures into its parent's. */
static void
stats_leave(struct page *page, xmlNode *node)
{
	struct node_stats *stats = stats_of(page, node), *parent;
	const char *name = node_name(node);

	if (stats == NULL)
		return;
	if (strcmp(name, "a") == 0)
		stats->link_chars = stats->chars;
	else if (strcmp(name, "p") == 0)
		stats->paragraphs++;
	else if (strcmp(name, "img") == 0)
		stats->images++;
	else if (strcmp(name, "li") == 0)
		stats->items++;
	if (node->parent == NULL || (parent = stats_of(page, node->parent)) == NULL)
		return;
	parent->chars += stats->chars;
	parent->link_chars += stats->link_chars;
	parent->commas += stats->commas;
	parent->paragraphs += stats->paragraphs;
	parent->images += stats->images;
	parent->items += stats->items;
}

void
page_stats_compute(struct page *page)
{
	xmlNode *body = page->body, *node;

	page->stats_count = 0;
	if (body == NULL)
		return;
	stats_attach(page, body);
	node = body->children;
	while (node != NULL) {
		if (node->type == XML_ELEMENT_NODE) {
			stats_attach(page, node);
			if (node->children != NULL) {
				node = node->children;
				continue;
			}
			stats_leave(page, node);
		} else if ((node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) &&
		    node->content != NULL)
			count_text(stats_of(page, node->parent), node->content);
		while (node->next == NULL) {
			node = node->parent;
			if (node == body)
				return;
			stats_leave(page, node);
		}
		node = node->next;
	}
}

static double
link_density(const struct node_stats *stats)
{
	return stats->chars ? (double)stats->link_chars / (double)stats->chars : 0;
}

/* ---- hints ---- */

const char *
node_attribute(const xmlNode *node, const char *name)
{
	for (const xmlAttr *attribute = node->properties; attribute; attribute = attribute->next)
		if (strcasecmp((const char *)attribute->name, name) == 0)
			return attribute->children && attribute->children->content ?
			    (const char *)attribute->children->content : "";
	return NULL;
}

/* Does value hold token at the start of a word ("share-bar", "top_share", "share")? */
static int
value_has_hint(const char *value, const char *token)
{
	size_t length = strlen(token);

	for (const char *at = value; (at = strcasestr(at, token)) != NULL; at++) {
		if (at == value || at[-1] == ' ' || at[-1] == '-' || at[-1] == '_' ||
		    at[-1] == '\t' || at[-1] == '\n')
			return 1;
		(void)length;
	}
	return 0;
}

const char *
node_hint(const xmlNode *node, const char *const *tokens)
{
	const char *class = node_attribute(node, "class"), *id = node_attribute(node, "id");

	for (size_t i = 0; tokens[i] != NULL; i++)
		if ((class && value_has_hint(class, tokens[i])) ||
		    (id && value_has_hint(id, tokens[i])))
			return tokens[i];
	return NULL;
}

static const char *const positive_hints[] = {
	"article", "body", "content", "entry", "main", "page", "post", "text", "blog", "story",
	"prose", "h-entry", "hentry", NULL
};
static const char *const negative_hints[] = {
	"comment", "meta", "footer", "footnote", "sidebar", "widget", "related", "share", "promo",
	"sponsor", "nav", "menu", "hidden", "banner", "social", "tags", "tool", "masthead",
	"byline", "caption", "newsletter", "subscribe", "cookie", "consent", "ad-", "ads", NULL
};

static int
class_weight(const xmlNode *node)
{
	int weight = 0;

	if (node_hint(node, negative_hints) != NULL)
		weight -= 25;
	if (node_hint(node, positive_hints) != NULL)
		weight += 25;
	return weight;
}

/* ---- pruning ---- */

struct hint_reason {
	const char *reason;
	int	 weak;		/* only when the element holds a minor part of the page */
	const char *tokens[14];
};

static const struct hint_reason hint_reasons[] = {
	{ "comments", 0, { "comment", "disqus", "respond", "replies", NULL } },
	{ "related", 0, { "related", "more-stories", "recommend", "read-more", "readmore",
	    "also-read", "more-from", "outbrain", "taboola", "trending", "most-read",
	    "most-popular", "popular", NULL } },
	{ "share", 0, { "share", "sharing", "social", "addthis", "sharedaddy", "follow-us",
	    NULL } },
	{ "cookie", 0, { "cookie", "consent", "gdpr", "cmp-", "onetrust", "didomi", NULL } },
	{ "subscription", 0, { "newsletter", "subscribe", "subscription", "signup", "sign-up",
	    "paywall", "regwall", "piano", "registration", NULL } },
	{ "navigation", 0, { "nav", "menu", "breadcrumb", "skip-link", "skiplink",
	    "pagination", "pager", "masthead", NULL } },
	{ "author-bio", 0, { "author-bio", "bio", "about-the-author", "author-info",
	    "author-box", "contributor", NULL } },
	{ "byline", 0, { "byline", "by-line", "timestamp", "article-meta", "post-meta",
	    "entry-meta", "dateline-", NULL } },
	{ "caption", 0, { "caption", "credit", NULL } },
	{ "advertising", 0, { "ad-", "ads-", "advert", "sponsor", "promo", "dfp-", NULL } },
	{ "hidden", 0, { "hidden", "sr-only", "screen-reader", "visually-hidden", NULL } },
	{ "sidebar", 1, { "sidebar", "side-bar", "rail", "widget", "aside", NULL } },
	{ "footer", 1, { "footer", "foot", NULL } },
	{ "header", 1, { "header", "top-bar", "topbar", "banner", NULL } },
	{ "tags", 1, { "tags", "tag-list", "topics", "keywords", NULL } },
};

struct tag_reason {
	const char *tag;
	const char *reason;
};

static const struct tag_reason tag_reasons[] = {
	{ "script", NULL }, { "style", NULL }, { "noscript", NULL }, { "template", NULL },
	{ "svg", NULL }, { "iframe", "embed" }, { "object", "embed" }, { "embed", "embed" },
	{ "button", NULL }, { "select", NULL }, { "textarea", NULL }, { "input", NULL },
	{ "nav", "navigation" }, { "aside", "aside" }, { "footer", "footer" },
	{ "figure", "caption" }, { "figcaption", "caption" }, { "dialog", "popup" },
	{ "form", "form" }, { "menu", "navigation" }, { "video", "embed" }, { "audio", "embed" },
	{ NULL, NULL }
};

static int
is_hidden(const xmlNode *node)
{
	const char *style = node_attribute(node, "style"), *aria;

	if (node_attribute(node, "hidden") != NULL)
		return 1;
	if ((aria = node_attribute(node, "aria-hidden")) != NULL && strcmp(aria, "true") == 0)
		return 1;
	return style != NULL && (strcasestr(style, "display:none") != NULL ||
	    strcasestr(style, "display: none") != NULL ||
	    strcasestr(style, "visibility:hidden") != NULL);
}

/* Why node is boilerplate ("" for silent removals such as scripts), or NULL to keep it. */
static const char *
prune_reason(const struct page *page, const xmlNode *node)
{
	const char *name = node_name(node);
	const struct node_stats *stats = stats_of(page, node), *body = stats_of(page, page->body);
	int major = stats && body && stats->chars * 2 > body->chars;

	for (size_t i = 0; tag_reasons[i].tag != NULL; i++)
		if (strcmp(name, tag_reasons[i].tag) == 0) {
			if (strcmp(name, "form") == 0 && major)
				return NULL;	/* ASP.NET pages wrap everything in a form */
			return tag_reasons[i].reason ? tag_reasons[i].reason : "";
		}
	if (strcmp(name, "body") == 0 || strcmp(name, "html") == 0 ||
	    strcmp(name, "main") == 0 || strcmp(name, "article") == 0)
		return NULL;
	if (is_hidden(node))
		return "hidden";
	if (node->properties == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof hint_reasons / sizeof hint_reasons[0]; i++) {
		if (node_hint(node, hint_reasons[i].tokens) == NULL)
			continue;
		if (hint_reasons[i].weak && (major || node_hint(node, positive_hints)))
			return NULL;
		if (!hint_reasons[i].weak && major && stats->paragraphs * 2 > body->paragraphs &&
		    node_hint(node, positive_hints))
			return NULL;	/* "article-body share-enabled" */
		return hint_reasons[i].reason;
	}
	return NULL;
}

void
page_remove(struct page *page, xmlNode *node, const char *reason)
{
	struct node_stats *stats = stats_of(page, node);

	if (page->explain != NULL && reason != NULL && reason[0] != '\0') {
		char *text = html_render_line(node), name[64];

		if (text[0] != '\0') {
			snprintf(name, sizeof name, "extract:%s", reason);
			page->explain(name, text, page->explain_context);
		}
		free(text);
	}
	if (node->parent != NULL && stats_of(page, node->parent) != NULL)
		stats_of(page, node->parent)->lost_child = 1;
	for (xmlNode *up = node->parent; stats != NULL && up != NULL; up = up->parent) {
		struct node_stats *above = stats_of(page, up);

		if (above == NULL)
			break;
		above->chars -= stats->chars;
		above->link_chars -= stats->link_chars;
		above->commas -= stats->commas;
		above->paragraphs -= stats->paragraphs;
		above->images -= stats->images;
		above->items -= stats->items;
	}
	xmlUnlinkNode(node);
	xmlFreeNode(node);
}

/* The element nodes under root in document order (root excluded), by reason or all. */
struct node_list {
	xmlNode	**items;
	const char **reasons;
	size_t	 count, capacity;
};

static void
node_list_add(struct node_list *list, xmlNode *node, const char *reason)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 64;
		list->items = xrealloc(list->items, list->capacity * sizeof *list->items);
		list->reasons = xrealloc(list->reasons, list->capacity * sizeof *list->reasons);
	}
	list->items[list->count] = node;
	list->reasons[list->count++] = reason;
}

static void
node_list_free(struct node_list *list)
{
	free(list->items);
	free(list->reasons);
}

/* Next node in document order under root, skipping node's children when skip_children. */
static xmlNode *
next_node(xmlNode *node, const xmlNode *root, int skip_children)
{
	if (!skip_children && node->children != NULL)
		return node->children;
	while (node != NULL && node != root && node->next == NULL)
		node = node->parent;
	return node == NULL || node == root ? NULL : node->next;
}

void
page_prune(struct page *page)
{
	struct node_list doomed = { 0 };

	if (page->body == NULL)
		return;
	for (xmlNode *node = page->body->children; node != NULL; ) {
		const char *reason = NULL;

		if (node->type == XML_ELEMENT_NODE)
			reason = prune_reason(page, node);
		else if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
			reason = "";
		if (reason != NULL)
			node_list_add(&doomed, node, reason);
		node = next_node(node, page->body, reason != NULL);
	}
	for (size_t i = 0; i < doomed.count; i++)
		page_remove(page, doomed.items[i], doomed.reasons[i]);
	node_list_free(&doomed);
}

/* ---- scoring ---- */

static int
is_block_name(const char *name)
{
	static const char *const blocks[] = { "p", "div", "section", "article", "table", "ul",
	    "ol", "dl", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "li", "main",
	    "header", "form", "figure", NULL };

	for (size_t i = 0; blocks[i] != NULL; i++)
		if (strcmp(name, blocks[i]) == 0)
			return 1;
	return 0;
}

/* A block whose text is scored: p, pre, td, or a div holding text and no blocks. */
static int
is_text_block(const xmlNode *node)
{
	const char *name = node_name(node);

	if (strcmp(name, "p") == 0 || strcmp(name, "pre") == 0 || strcmp(name, "td") == 0 ||
	    strcmp(name, "blockquote") == 0)
		return 1;
	if (strcmp(name, "div") != 0 && strcmp(name, "section") != 0)
		return 0;
	for (const xmlNode *child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE && is_block_name(node_name(child)))
			return 0;
	return 1;
}

static double
tag_weight(const xmlNode *node)
{
	const char *name = node_name(node);

	if (strcmp(name, "div") == 0 || strcmp(name, "article") == 0)
		return 5;
	if (strcmp(name, "pre") == 0 || strcmp(name, "td") == 0 ||
	    strcmp(name, "blockquote") == 0)
		return 3;
	if (strcmp(name, "ol") == 0 || strcmp(name, "ul") == 0 || strcmp(name, "dl") == 0 ||
	    strcmp(name, "li") == 0 || strcmp(name, "form") == 0 || strcmp(name, "address") == 0)
		return -3;
	if ((name[0] == 'h' && name[1] >= '1' && name[1] <= '6') || strcmp(name, "th") == 0)
		return -5;
	return 0;
}

struct scoring {
	struct page *page;
	xmlNode	**candidates;
	size_t	 count, capacity;
};

static void
score_ancestor(struct scoring *scoring, xmlNode *node, double score)
{
	struct node_stats *stats = stats_of(scoring->page, node);

	if (stats == NULL)
		return;
	if (!stats->scored) {
		stats->scored = 1;
		stats->score = tag_weight(node) + class_weight(node);
		if (scoring->count == scoring->capacity) {
			scoring->capacity = scoring->capacity ? scoring->capacity * 2 : 64;
			scoring->candidates = xrealloc(scoring->candidates,
			    scoring->capacity * sizeof *scoring->candidates);
		}
		scoring->candidates[scoring->count++] = node;
	}
	stats->score += score;
}

static void
score_block(struct scoring *scoring, xmlNode *node)
{
	const struct node_stats *stats = stats_of(scoring->page, node);
	double score, length_bonus;
	xmlNode *up = node->parent;

	if (stats == NULL || stats->chars < MIN_PARAGRAPH_CHARS)
		return;
	length_bonus = (double)stats->chars / 100.0;
	score = 1 + stats->commas + (length_bonus > 3 ? 3 : length_bonus);
	for (int level = 0; level < ANCESTOR_LEVELS && up != NULL; level++, up = up->parent) {
		if (up->type != XML_ELEMENT_NODE)
			break;
		score_ancestor(scoring, up, level == 0 ? score : level == 1 ? score / 2 :
		    score / (level * 3));
		if (up == scoring->page->body)
			break;
	}
}

static double
final_score(const struct page *page, const xmlNode *node)
{
	const struct node_stats *stats = stats_of(page, node);

	return stats ? stats->score * (1 - link_density(stats)) : 0;
}

/* Move top up to an ancestor shared by several candidates scoring near it (a live blog). */
static xmlNode *
shared_ancestor(const struct scoring *scoring, xmlNode *top, xmlNode *const *best, size_t n)
{
	double top_score = final_score(scoring->page, top);

	for (xmlNode *up = top->parent; up != NULL && up != scoring->page->body->parent;
	    up = up->parent) {
		size_t sharing = 0;

		for (size_t i = 0; i < n; i++) {
			if (best[i] == top || final_score(scoring->page, best[i]) < top_score * 0.75)
				continue;
			for (xmlNode *node = best[i]->parent; node != NULL; node = node->parent)
				if (node == up) {
					sharing++;
					break;
				}
		}
		if (sharing >= 2)
			return up;
	}
	return top;
}

static xmlNode *
top_candidate(struct scoring *scoring)
{
	xmlNode *best[TOP_CANDIDATES] = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < scoring->count; i++) {
		xmlNode *node = scoring->candidates[i];
		double score = final_score(scoring->page, node);
		size_t at = n < TOP_CANDIDATES ? n++ : TOP_CANDIDATES - 1;

		if (n == TOP_CANDIDATES && at == TOP_CANDIDATES - 1 && best[at] != NULL &&
		    final_score(scoring->page, best[at]) >= score)
			continue;
		best[at] = node;
		while (at > 0 && final_score(scoring->page, best[at - 1]) < score) {
			best[at] = best[at - 1];
			best[at - 1] = node;
			at--;
		}
	}
	if (n == 0)
		return NULL;
	return shared_ancestor(scoring, best[0], best, n);
}

/* Does a sibling of the top candidate belong to the article? */
static int
sibling_belongs(const struct page *page, const xmlNode *sibling, const xmlNode *top,
    double threshold)
{
	const struct node_stats *stats = stats_of(page, sibling);
	const char *class = node_attribute(top, "class"), *sibling_class;
	double bonus = 0;

	if (stats == NULL)
		return 0;
	sibling_class = node_attribute(sibling, "class");
	if (class && class[0] && sibling_class && strcmp(class, sibling_class) == 0)
		bonus = final_score(page, top) * 0.2;
	if (stats->scored && final_score(page, sibling) + bonus >= threshold)
		return 1;
	if (strcmp(node_name(sibling), "p") == 0) {
		double density = link_density(stats);

		if (stats->chars > 80 && density < 0.25)
			return 1;
		if (stats->chars > 0 && stats->chars <= 80 && density == 0)
			return 1;
	}
	return 0;
}

size_t
page_content_nodes(struct page *page, xmlNode ***nodes)
{
	struct scoring scoring = { .page = page };
	xmlNode *top, **list;
	size_t count = 0, capacity = 8;
	double threshold;

	*nodes = NULL;
	if (page->body == NULL)
		return 0;
	for (xmlNode *node = page->body; node != NULL; node = next_node(node, page->body, 0))
		if (node->type == XML_ELEMENT_NODE && is_text_block(node))
			score_block(&scoring, node);
	top = top_candidate(&scoring);
	free(scoring.candidates);
	if (top == NULL)
		top = page->body;
	list = xmalloc(capacity * sizeof *list);
	if (top == page->body || top->parent == NULL) {
		list[count++] = top;
		*nodes = list;
		return count;
	}
	threshold = final_score(page, top) * 0.2;
	if (threshold < 10)
		threshold = 10;
	for (xmlNode *sibling = top->parent->children; sibling; sibling = sibling->next) {
		if (sibling->type != XML_ELEMENT_NODE)
			continue;
		if (sibling != top && !sibling_belongs(page, sibling, top, threshold))
			continue;
		if (count == capacity)
			list = xrealloc(list, (capacity *= 2) * sizeof *list);
		list[count++] = sibling;
	}
	*nodes = list;
	return count;
}

/* ---- inside the article ---- */

static int
is_heading(const xmlNode *node)
{
	const char *name = node_name(node);

	return name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && name[2] == '\0';
}

/* A block that lost its list or box and holds nothing but its heading ("Key events"). */
static int
is_orphan_heading_block(const struct node_stats *stats, const xmlNode *node)
{
	int headings = 0;

	if (!stats->lost_child || stats->paragraphs > 0 || stats->chars > 80)
		return 0;
	for (const xmlNode *child = node->children; child != NULL; child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (!is_heading(child))
			return 0;
		headings++;
	}
	return headings > 0;
}

/* Why a list or block inside the article is furniture, or NULL. */
static const char *
content_reason(const struct page *page, const xmlNode *node)
{
	const struct node_stats *stats = stats_of(page, node);
	const char *name = node_name(node);
	double density;
	int weight;

	if (stats == NULL || stats->commas >= 10)
		return NULL;
	density = link_density(stats);
	weight = class_weight(node);
	if (strcmp(name, "ul") == 0 || strcmp(name, "ol") == 0)
		return density > 0.5 ? "links" : NULL;
	if (strcmp(name, "div") != 0 && strcmp(name, "section") != 0 &&
	    strcmp(name, "table") != 0 && strcmp(name, "header") != 0)
		return NULL;
	if ((weight < 25 && density > 0.33) || density > 0.5)
		return "links";
	if (is_orphan_heading_block(stats, node))
		return "orphan-heading";
	if (stats->images > 1 && stats->paragraphs * 2 < stats->images && stats->chars < 200)
		return "images";
	return NULL;
}

void
page_clean_content(struct page *page, xmlNode *const *nodes, size_t count)
{
	struct node_list blocks = { 0 };

	for (size_t i = 0; i < count; i++)
		for (xmlNode *node = nodes[i]->children; node != NULL;
		    node = next_node(node, nodes[i], 0))
			if (node->type == XML_ELEMENT_NODE)
				node_list_add(&blocks, node, NULL);
	for (size_t i = blocks.count; i-- > 0; ) {
		const char *reason = content_reason(page, blocks.items[i]);

		if (reason != NULL)
			page_remove(page, blocks.items[i], reason);
	}
	node_list_free(&blocks);
}
