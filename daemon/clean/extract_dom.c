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
	page->stats[page->stats_count].tag = tag_info_of(node);
	node->_private = (void *)(uintptr_t)++page->stats_count;
}

/*
 * Characters and commas of a text node into its element's figures: every byte that starts a
 * character and is not ASCII white space counts; commas are , ， 、 ، (the last three by
 * their UTF-8 lead bytes, then checked).
 */
static void
count_text(struct node_stats *stats, const unsigned char *text)
{
	size_t chars = 0;
	unsigned commas = 0;

	for (const unsigned char *at = text; *at != '\0'; at++) {
		unsigned char byte = *at;

		if (byte < 0x80) {
			chars += byte > ' ';
			commas += byte == ',';
			continue;
		}
		if ((byte & 0xc0) == 0x80)
			continue;
		chars++;
		if ((byte == 0xef && at[1] == 0xbc && at[2] == 0x8c) ||
		    (byte == 0xe3 && at[1] == 0x80 && at[2] == 0x81) ||
		    (byte == 0xd8 && at[1] == 0x8c))
			commas++;
	}
	stats->chars += chars;
	stats->commas += commas;
}

static const struct tag_info *
tag_of(const struct page *page, const xmlNode *node)
{
	const struct node_stats *stats = stats_of(page, node);

	return stats ? stats->tag : tag_info_of(node);
}

/* Leaving element node: its own marks, then its figures into its parent's. */
static void
stats_leave(struct page *page, xmlNode *node)
{
	struct node_stats *stats = stats_of(page, node), *parent;
	unsigned flags;

	if (stats == NULL)
		return;
	flags = stats->tag->flags;
	if (flags & TAG_LINK)
		stats->link_chars = stats->chars;
	stats->paragraphs += (flags & TAG_PARAGRAPH) != 0;
	stats->images += (flags & TAG_IMAGE) != 0;
	stats->items += (flags & TAG_ITEM) != 0;
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
			/* the text of scripts and styles is not prose: figures stay zero */
			if (node->children != NULL &&
			    !(page->stats[page->stats_count - 1].tag->flags & TAG_CODE)) {
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

void
page_stats_forget_losses(struct page *page)
{
	for (size_t i = 0; i < page->stats_count; i++)
		page->stats[i].lost_child = 0;
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

/* The class/id hints of node (extract_hints.c), worked out once per page pass. */
static uint32_t
hints_of(const struct page *page, const xmlNode *node)
{
	struct node_stats *stats = stats_of(page, node);

	if (stats == NULL)
		return node_hints(node);
	if (!stats->hints_known) {
		stats->hints = node_hints(node);
		stats->hints_known = 1;
	}
	return stats->hints;
}

static int
class_weight(const struct page *page, const xmlNode *node)
{
	return hints_weight(hints_of(page, node));
}

/* ---- pruning ---- */

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
	    strcasestr(style, "visibility:hidden") != NULL ||
	    strcasestr(style, "visibility: hidden") != NULL);
}

/* Why node is boilerplate ("" for silent removals such as scripts), or NULL to keep it. */
static const char *
prune_reason(const struct page *page, const xmlNode *node)
{
	const struct tag_info *tag = tag_of(page, node);
	const struct node_stats *stats = stats_of(page, node), *body = stats_of(page, page->body);
	int major = stats && body && stats->chars * 2 > body->chars, weak;
	const char *reason;
	uint32_t hints;

	if (tag->prune != NULL)
		return (tag->flags & TAG_FORM) && major ? NULL : tag->prune;
	if (tag->flags & TAG_KEEP)
		return NULL;	/* ASP.NET pages wrap everything in a form: kept above */
	if (is_hidden(node))
		return "hidden";
	if (node->properties == NULL)
		return NULL;
	hints = hints_of(page, node);
	if ((reason = hints_reason(hints, &weak)) == NULL)
		return NULL;
	if (weak && (major || hints_positive(hints)))
		return NULL;
	/*
	 * A block holding most of the page's paragraphs is the article's wrapper whatever its
	 * class says ("article-body share-enabled", an ad slot left open around everything),
	 * unless they are comments, teasers of other stories or captions.
	 */
	if (strcmp(reason, "related") == 0 && stats && stats->paragraphs >= 2 &&
	    link_density(stats) < 0.2)
		return NULL;	/* "read-more": the rest of the article behind a button */
	if (stats && body && stats->paragraphs >= 3 && stats->paragraphs * 2 > body->paragraphs &&
	    strcmp(reason, "comments") != 0 && strcmp(reason, "related") != 0 &&
	    strcmp(reason, "caption") != 0)
		return NULL;
	return reason;
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

/* A block whose text is scored: p, pre, td, blockquote, or a div holding text and no blocks. */
static int
is_text_block(const struct page *page, const xmlNode *node)
{
	unsigned flags = tag_of(page, node)->flags;

	if (flags & TAG_TEXT)
		return 1;
	if (!(flags & TAG_CONTAINER))
		return 0;
	for (const xmlNode *child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE && (tag_of(page, child)->flags & TAG_BLOCK))
			return 0;
	return 1;
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
		stats->score = stats->tag->weight + class_weight(scoring->page, node);
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

/*
 * Going up from top, ancestors usually score less; one scoring more than the one below it
 * (before falling under a third of top's) holds more of the article: take it (Readability).
 */
static xmlNode *
rising_ancestor(const struct scoring *scoring, xmlNode *top)
{
	const struct page *page = scoring->page;
	double last = final_score(page, top), threshold = last / 3;

	for (xmlNode *up = top->parent; up != NULL && up != page->body; up = up->parent) {
		const struct node_stats *stats = stats_of(page, up);
		double score;

		if (stats == NULL || !stats->scored)
			continue;
		if ((score = final_score(page, up)) < threshold)
			break;
		if (score > last)
			return up;
		last = score;
	}
	return top;
}

/* A top candidate alone in its parent: the parent (its siblings are then the article's). */
static xmlNode *
only_child_parent(const struct scoring *scoring, xmlNode *top)
{
	while (top->parent != NULL && top->parent != scoring->page->body &&
	    top->parent->type == XML_ELEMENT_NODE && xmlChildElementCount(top->parent) == 1)
		top = top->parent;
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
	return rising_ancestor(scoring, only_child_parent(scoring, shared_ancestor(scoring, best[0],
	    best, n)));
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
	if (stats->tag->flags & TAG_PARAGRAPH) {
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
		if (node->type == XML_ELEMENT_NODE && is_text_block(page, node))
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

/* A block that lost its list or box and holds nothing but its heading ("Key events"). */
static int
is_orphan_heading_block(const struct page *page, const struct node_stats *stats,
    const xmlNode *node)
{
	int headings = 0;

	if (!stats->lost_child || stats->paragraphs > 0 || stats->chars > 80)
		return 0;
	for (const xmlNode *child = node->children; child != NULL; child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		if (!(tag_of(page, child)->flags & TAG_HEADING))
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
	double density;
	int weight;

	if (stats == NULL || stats->commas >= 10)
		return NULL;
	density = link_density(stats);
	if (stats->tag->flags & TAG_LIST)
		return density > 0.5 ? "links" : NULL;
	if (!(stats->tag->flags & (TAG_CONTAINER | TAG_BOX)))
		return NULL;
	weight = class_weight(page, node);
	if ((weight < 25 && density > 0.33) || density > 0.5)
		return "links";
	if (is_orphan_heading_block(page, stats, node))
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
