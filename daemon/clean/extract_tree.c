/*
 * extract_tree.c - page_tree(): libxml2's tree of a skimmed UTF-8 page (extract_skim.c)
 * built without libxml2's HTML parser, which reads its input a character at a time through
 * function calls and was 58% of the extractor's instructions on Readability's 130 test pages
 * (this file does the same work in a tenth of them). Text runs are scanned in place and each
 * node is made with libxml2's tree functions, so the rest of the extractor walks, prunes and
 * frees the very same kind of tree, with names from one dictionary per thread.
 *
 * The tree is the one libxml2 2.9.14's htmlCtxtReadMemory builds (HTMLparser.c and SAX2.c,
 * HTML_PARSE_RECOVER, encoding given): a start tag closes the open elements libxml2's
 * start-close table says it closes (asked of libxml2 itself, htmlAutoCloseTag, but for the
 * tags that close their own kind), also when read ahead at the start of a script's raw text;
 * html, head and body are implied as htmlCheckImplied implies them and a p as
 * htmlCheckParagraph does (not before blanks followed by a tag); a misplaced html, head or body
 * tag is dropped (and a "/>" after it closes the open element, as there); an end tag closes up
 * to its element unless an element of higher end priority (div, td, table, body...) is in
 * between, and closes nothing when its element is not open; void elements (htmlTagLookup's
 * empty) and "/>" close at once; "prefix:name" elements are named name; attribute values and
 * text decode the HTML 4 references libxml2 knows (htmlEntityLookup) its way ("&name" without
 * ';' stays as it is, a value ends at "&#0;"); the first of two attributes of a name wins; a
 * boolean attribute without a value gets its name as value; script and style hold CDATA up
 * to "</" and their name; byte order marks (two at most) and blanks before the first tag
 * are skipped.
 * Whatever this file does not reproduce makes page_tree() return NULL, and the caller parses
 * with libxml2: bytes that are not UTF-8 or are control characters, comments, processing
 * instructions, a doctype after the start or with an internal subset, element names with '.',
 * starting with "xml:", '_' or ':', or of 99 characters and more, references running into
 * non-ASCII names, a tag or quoted value running to the end of the page, more than 64
 * attributes on a tag, a page of nothing but blanks. test_tree and fuzz_tree compare both
 * trees on the fixture pages, mutations of them and random tag soup.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/dict.h>

#include "extract_tree.h"

#define DICTIONARY_LIMIT 20000	/* names kept in the thread's dictionary before a new one */
#define INFO_SLOTS	512	/* per-name figures kept, by the name's address */
#define CLOSE_SLOTS	4096	/* start-close answers kept, by the two names' addresses */
#define NAME_SLOTS	1024	/* names found in the dictionary, by their bytes */

/*
 * A thread's names (one dictionary, shared by the documents it builds, which hold references
 * to it) and what libxml2's tables say of them, found once: the names are the dictionary's
 * strings, so their addresses are keys until the dictionary is replaced.
 */
struct name_info {
	const xmlChar *name;
	int	 priority;	/* htmlGetEndPriority */
	int	 is_void;	/* htmlTagLookup's empty */
	int	 own_kind;	/* closes an open element of its own name */
};

struct start_close {
	const xmlChar *newtag, *oldtag;
	int	 closes;
};

struct known_name {
	const xmlChar *name;
	size_t	 length;
};

struct tree_context {
	xmlDict	*dict;
	struct known_name names[NAME_SLOTS];
	struct name_info infos[INFO_SLOTS];
	struct start_close closes[CLOSE_SLOTS];
};

static pthread_key_t context_key;
static pthread_once_t context_once = PTHREAD_ONCE_INIT;

static void
context_free(void *data)
{
	struct tree_context *context = data;

	xmlDictFree(context->dict);
	free(context);
}

static void
context_key_create(void)
{
	pthread_key_create(&context_key, context_free);
}

static struct tree_context *
thread_context(void)
{
	struct tree_context *context;

	pthread_once(&context_once, context_key_create);
	if ((context = pthread_getspecific(context_key)) == NULL) {
		context = xcalloc(1, sizeof *context);
		pthread_setspecific(context_key, context);
	}
	if (context->dict != NULL && xmlDictSize(context->dict) > DICTIONARY_LIMIT) {
		xmlDictFree(context->dict);
		memset(context, 0, sizeof *context);
	}
	if (context->dict == NULL)
		context->dict = xmlDictCreate();
	return context;
}

/* The dictionary's string of name (a small table of the names seen first: FNV-1a). */
const xmlChar *
tree_intern(struct tree *tree, const char *name, size_t length)
{
	uint32_t hash = 2166136261u;
	struct known_name *known;

	for (size_t i = 0; i < length; i++)
		hash = (hash ^ (unsigned char)name[i]) * 16777619u;
	known = &tree->context->names[hash % NAME_SLOTS];
	if (known->name != NULL && known->length == length &&
	    memcmp(known->name, name, length) == 0)
		return known->name;
	known->name = xmlDictLookup(tree->dict, (const xmlChar *)name, (int)length);
	known->length = length;
	return known->name;
}

static const xmlChar *
top(const struct tree *tree)
{
	return tree->depth ? tree->names[tree->depth - 1] : NULL;
}

/* ---- what libxml2's tables say ---- */

static size_t
slot_of(const void *name, size_t slots)
{
	return (size_t)((((uintptr_t)name >> 3) * 0x9e3779b97f4a7c15ULL) >> 40) % slots;
}

static const struct name_info *
info_of(struct tree *tree, const xmlChar *name)
{
	static const char *const own_kind[] = { "a", "col", "colgroup", "form", "li", "option",
	    "p", "tbody", "td", "th", "tr" };
	static const struct { const char *name; int priority; } priorities[] = {
		{ "div", 150 }, { "td", 160 }, { "th", 160 }, { "tr", 170 }, { "thead", 180 },
		{ "tbody", 180 }, { "tfoot", 180 }, { "table", 190 }, { "head", 200 },
		{ "body", 200 }, { "html", 220 },
	};
	struct name_info *info = &tree->context->infos[slot_of(name, INFO_SLOTS)];
	const htmlElemDesc *element;

	if (info->name == name)
		return info;
	info->name = name;
	info->priority = 100;
	for (size_t i = 0; i < sizeof priorities / sizeof priorities[0]; i++)
		if (strcmp((const char *)name, priorities[i].name) == 0)
			info->priority = priorities[i].priority;
	element = htmlTagLookup(name);
	info->is_void = element != NULL && element->empty;
	info->own_kind = 0;
	for (size_t i = 0; i < sizeof own_kind / sizeof own_kind[0]; i++)
		if (strcmp((const char *)name, own_kind[i]) == 0)
			info->own_kind = 1;
	return info;
}

/* Does a start tag newtag close an open oldtag (htmlCheckAutoClose)? */
static int
start_closes(struct tree *tree, const xmlChar *newtag, const xmlChar *oldtag)
{
	struct start_close *known;
	xmlNode probe;

	if (newtag == oldtag)
		return info_of(tree, newtag)->own_kind;
	known = &tree->context->closes[(slot_of(newtag, CLOSE_SLOTS) * 31 +
	    slot_of(oldtag, CLOSE_SLOTS)) % CLOSE_SLOTS];
	if (known->newtag == newtag && known->oldtag == oldtag)
		return known->closes;
	memset(&probe, 0, sizeof probe);
	probe.type = XML_ELEMENT_NODE;
	probe.name = newtag;
	known->newtag = newtag;
	known->oldtag = oldtag;
	known->closes = htmlAutoCloseTag(NULL, oldtag, &probe);
	return known->closes;
}

static int
end_priority(struct tree *tree, const xmlChar *name)
{
	return info_of(tree, name)->priority;
}

static int
is_void(struct tree *tree, const xmlChar *name)
{
	return info_of(tree, name)->is_void;
}

/* ---- the tree (libxml2's SAX2 handlers) ---- */

static void
flush_text(struct tree *tree)
{
	xmlNode *parent = tree->text_parent, *text;
	const xmlChar *bytes = tree->run ? tree->run : (const xmlChar *)tree->text.data;
	int length = (int)(tree->run ? tree->run_length : tree->text.length);

	if (length == 0)
		return;
	if (parent->last != NULL && parent->last->type == XML_TEXT_NODE)
		xmlNodeAddContentLen(parent->last, bytes, length);
	else if ((text = xmlNewDocTextLen(tree->doc, bytes, length)) != NULL)
		xmlAddChild(parent, text);
	tree->run = NULL;
	tree->run_length = 0;
	buffer_reset(&tree->text);
}

/* Characters for the open element; input: they are the input's bytes (kept, not copied). */
static void
characters(struct tree *tree, const void *bytes, size_t length, int input)
{
	xmlNode *node = tree->depth ? tree->nodes[tree->depth - 1] : NULL;

	if (node == NULL || length == 0)
		return;
	if (tree->text_parent != node)
		flush_text(tree);
	tree->text_parent = node;
	if (input && tree->run == NULL && tree->text.length == 0) {
		tree->run = bytes;
		tree->run_length = length;
		return;
	}
	if (input && tree->run != NULL && tree->run + tree->run_length == bytes) {
		tree->run_length += length;
		return;
	}
	if (tree->run != NULL) {
		buffer_append(&tree->text, tree->run, tree->run_length);
		tree->run = NULL;
		tree->run_length = 0;
	}
	buffer_append(&tree->text, bytes, length);
}

static void
add_attributes(struct tree *tree, xmlNode *node, const struct attribute *attributes,
    size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct attribute *read = &attributes[i];
		xmlAttr *attribute = xmlNewNsPropEatName(node, NULL, (xmlChar *)read->name, NULL);
		const xmlChar *value = (const xmlChar *)(read->decoded ? tree->values.data +
		    read->offset : read->raw);
		int length = (int)read->length;
		xmlNode *text;

		if (!read->has_value && htmlIsBooleanAttr(read->name)) {
			value = read->name;
			length = (int)strlen((const char *)value);
		} else if (!read->has_value)
			continue;
		if (attribute == NULL)
			continue;
		if ((text = xmlNewDocTextLen(tree->doc, value, length)) != NULL) {
			attribute->children = attribute->last = text;
			text->parent = (xmlNode *)attribute;
		}
	}
}

/*
 * The element's name in the tree: "prefix:local" is named local (xmlSplitQName, the prefix
 * bound to no namespace), but for a name starting or ending with its only ':'.
 */
static const xmlChar *
local_name(struct tree *tree, const xmlChar *name)
{
	const char *colon = strchr((const char *)name, ':');

	if (colon == NULL || colon == (const char *)name || colon[1] == '\0')
		return name;
	return tree_intern(tree, colon + 1, strlen(colon + 1));
}

/* Push name and its new element (htmlnamePush, then xmlSAX2StartElement). */
static void
start_element(struct tree *tree, const xmlChar *name, struct attribute *attributes,
    size_t count)
{
	xmlNode *parent = tree->depth ? tree->nodes[tree->depth - 1] : NULL, *node;

	flush_text(tree);
	if (tree->seen < 3 && name == tree->n.head)
		tree->seen = 3;
	if (tree->seen < 10 && name == tree->n.body)
		tree->seen = 10;
	if (tree->depth == tree->capacity) {
		tree->capacity = tree->capacity ? tree->capacity * 2 : 64;
		tree->names = xrealloc(tree->names, tree->capacity * sizeof *tree->names);
		tree->nodes = xrealloc(tree->nodes, tree->capacity * sizeof *tree->nodes);
	}
	if ((node = xmlNewDocNodeEatName(tree->doc, NULL, (xmlChar *)local_name(tree, name),
	    NULL)) == NULL) {
		tree->failed = 1;
		return;
	}
	if (tree->doc->children == NULL)
		xmlAddChild((xmlNode *)tree->doc, node);
	else if (parent == NULL)
		parent = tree->doc->children;
	if (parent != NULL && parent->type == XML_ELEMENT_NODE)
		xmlAddChild(parent, node);
	else if (parent != NULL)
		xmlAddSibling(parent, node);
	add_attributes(tree, node, attributes, count);
	tree->names[tree->depth] = name;
	tree->nodes[tree->depth++] = node;
}

static void
end_element(struct tree *tree)
{
	flush_text(tree);
	if (tree->depth > 0)
		tree->depth--;
}

/* ---- libxml2's tree construction (HTMLparser.c) ---- */

static void
auto_close(struct tree *tree, const xmlChar *newtag)
{
	while (top(tree) != NULL && start_closes(tree, newtag, top(tree)))
		end_element(tree);
}

static void
check_implied(struct tree *tree, const xmlChar *newtag)
{
	static const char *const head_tags[] = { "script", "style", "meta", "link", "title",
	    "base" };
	const struct names *n = &tree->n;

	if (newtag == n->html)
		return;
	if (tree->depth == 0)
		start_element(tree, n->html, NULL, 0);
	if (newtag == n->body || newtag == n->head)
		return;
	for (size_t i = 0; tree->depth <= 1 && i < sizeof head_tags / sizeof head_tags[0]; i++)
		if (strcmp((const char *)newtag, head_tags[i]) == 0) {
			if (tree->seen < 3)
				start_element(tree, n->head, NULL, 0);
			return;
		}
	if (tree->seen >= 10 || strcmp((const char *)newtag, "noframes") == 0 ||
	    strcmp((const char *)newtag, "frame") == 0 ||
	    strcmp((const char *)newtag, "frameset") == 0)
		return;
	for (size_t i = 0; i < tree->depth; i++)
		if (tree->names[i] == n->body || tree->names[i] == n->head)
			return;
	start_element(tree, n->body, NULL, 0);
}

/* Before characters: a p where text may not stand (htmlCheckParagraph). */
static void
check_paragraph(struct tree *tree)
{
	const xmlChar *name = top(tree);

	if (name != NULL && name != tree->n.html && name != tree->n.head)
		return;
	auto_close(tree, tree->n.p);
	check_implied(tree, tree->n.p);
	start_element(tree, tree->n.p, NULL, 0);
}

/* ---- tags ---- */

/* Is the start tag name misplaced (dropped, and counted as libxml2 counts them)? */
static int
misplaced(struct tree *tree, const xmlChar *name)
{
	int discard = 0;

	if (tree->depth > 0 && name == tree->n.html) {
		discard = 1;
		tree->discarded++;
	}
	if (tree->depth != 1 && name == tree->n.head) {
		discard = 1;
		tree->discarded++;
	}
	if (name == tree->n.body)
		for (size_t i = 0; i < tree->depth; i++)
			if (tree->names[i] == tree->n.body) {
				discard = 1;
				tree->discarded++;
			}
	return discard;
}

/* A start tag at tree->at ('<' and a letter): htmlParseElementInternal. */
static void
start_tag(struct tree *tree)
{
	struct attribute attributes[MAX_ATTRIBUTES];
	const xmlChar *name;
	size_t count;
	int discard;

	tree->at++;
	if ((name = tree_html_name(tree, 1)) == NULL || strncmp((const char *)name, "xml:", 4) == 0) {
		tree->failed = 1;	/* "xml:" names the XML namespace in libxml2's tree */
		return;
	}
	auto_close(tree, name);
	check_implied(tree, name);
	discard = misplaced(tree, name);
	count = tree_read_attributes(tree, attributes);
	if (tree->failed || tree->at >= tree->end) {
		tree->failed = 1;
		return;
	}
	if (!discard)
		start_element(tree, name, attributes, count);
	name = top(tree);
	if (name == NULL) {
		if (*tree->at == '>')
			tree->at++;
		return;
	}
	if (*tree->at == '/') {
		tree->at += 2;
		end_element(tree);
	} else {
		tree->at++;
		if (is_void(tree, name))
			end_element(tree);
	}
}

/* An end tag at tree->at ("</"): htmlParseEndTag with htmlAutoCloseOnClose. */
static void
end_tag(struct tree *tree)
{
	const xmlChar *name;
	size_t i;
	int priority, higher = 0;

	tree->at += 2;
	if ((name = tree_html_name(tree, 1)) == NULL)
		return;		/* "</" dropped, the rest is text (or failed) */
	tree_skip_blanks(tree);
	while (tree->at < tree->end && *tree->at != '>')
		tree->at++;
	if (tree->at < tree->end)
		tree->at++;
	if (tree->discarded > 0 && (name == tree->n.html || name == tree->n.body ||
	    name == tree->n.head)) {
		tree->discarded--;
		return;
	}
	priority = end_priority(tree, name);
	for (i = tree->depth; i > 0 && tree->names[i - 1] != name; i--)
		higher |= end_priority(tree, tree->names[i - 1]) > priority;
	if (i == 0 || higher)
		return;		/* not open, or behind an element it may not close */
	while (top(tree) != name)
		end_element(tree);
	end_element(tree);
}

/* ---- content ---- */

/* Text up to the next '<' or '&' (htmlParseCharData). */
static void
char_data(struct tree *tree)
{
	const unsigned char *run = tree->at, *at = run;
	int blank;

	while (tree->end - at >= 8) {	/* eight bytes at once while none is '<' or '&' */
		uint64_t word, lt, amp;

		memcpy(&word, at, 8);
		lt = word ^ 0x3c3c3c3c3c3c3c3cULL;
		amp = word ^ 0x2626262626262626ULL;
		if ((((lt - 0x0101010101010101ULL) & ~lt) | ((amp - 0x0101010101010101ULL) &
		    ~amp)) & 0x8080808080808080ULL)
			break;
		at += 8;
	}
	while (at < tree->end && *at != '<' && *at != '&')
		at++;
	tree->at = at;
	for (at = run; at < tree->at && tree_is_blank(*at); at++)
		;
	blank = at == tree->at;
	/* areBlanks: blank text before a tag or the end needs no paragraph */
	if (!blank || (tree->at < tree->end && *tree->at == '&'))
		check_paragraph(tree);
	characters(tree, run, (size_t)(tree->at - run), 1);
}

static void
text_reference(struct tree *tree)
{
	struct buffer out = { 0 };
	int valid;

	if (tree_reference(tree, &out, &valid) == 0 && valid) {
		check_paragraph(tree);
		characters(tree, out.data, out.length, 0);
	}
	buffer_free(&out);
}

/*
 * The raw text of a script or style (htmlParseScript) up to "</" and its name: a CDATA node,
 * or more of the one before it (raw text goes on after an end tag that closed nothing).
 */
static void
raw_text(struct tree *tree, const xmlChar *name)
{
	const unsigned char *run = tree->at;
	size_t length = strlen((const char *)name);
	xmlNode *parent, *node;

	while (tree->at < tree->end) {
		if (*tree->at == '<' && tree->end - tree->at > 1 && tree->at[1] == '/' &&
		    (size_t)(tree->end - tree->at - 2) >= length &&
		    strncasecmp((const char *)tree->at + 2, (const char *)name, length) == 0)
			break;
		tree->at++;
	}
	if (tree->at == run || tree->depth == 0)
		return;
	flush_text(tree);
	parent = tree->nodes[tree->depth - 1];
	if (parent->last != NULL && parent->last->type == XML_CDATA_SECTION_NODE)
		xmlNodeAddContentLen(parent->last, run, (int)(tree->at - run));
	else if ((node = xmlNewCDataBlock(tree->doc, run, (int)(tree->at - run))) != NULL)
		xmlAddChild(parent, node);
}

/*
 * At '<' and a name start: the name read ahead closes the open element (libxml2 looks ahead
 * before all else, even in a script or style whose raw text starts there): close what it
 * closes, 1. Fails on a name libxml2 would read otherwise ('_' or ':' first, a '.').
 */
static int
closes_ahead(struct tree *tree)
{
	const unsigned char *at = tree->at + 1;
	const xmlChar *name;
	char lower[NAME_MAX_CHARS];
	size_t length = 0;

	if (!tree_is_letter(*at)) {
		tree->failed = 1;
		return 1;
	}
	while (at < tree->end && length < NAME_MAX_CHARS - 1 && (tree_is_letter(*at) ||
	    tree_is_digit(*at) || *at == ':' || *at == '-' || *at == '_')) {
		lower[length++] = (char)(*at >= 'A' && *at <= 'Z' ? *at + 0x20 : *at);
		at++;
	}
	if (at < tree->end && (*at == '.' || length == NAME_MAX_CHARS - 1)) {
		tree->failed = 1;
		return 1;
	}
	name = tree_intern(tree, lower, length);
	if (top(tree) == NULL || !start_closes(tree, name, top(tree)))
		return 0;
	auto_close(tree, name);
	return 1;
}

static int
is_doctype(const struct tree *tree)
{
	return tree->end - tree->at >= 9 && tree->at[0] == '<' && tree->at[1] == '!' &&
	    strncasecmp((const char *)tree->at + 2, "DOCTYPE", 7) == 0;
}

/* The content loop (htmlParseContentInternal), until the end or a failure. */
static void
content(struct tree *tree)
{
	const xmlChar *current = top(tree);
	size_t depth = tree->depth;

	while (tree->at < tree->end && !tree->failed) {
		const unsigned char *at = tree->at;
		int next = tree->end - at > 1 ? at[1] : 0;

		if (*at == '<' && next == '/') {
			end_tag(tree);
			current = top(tree);
			depth = tree->depth;
			continue;
		}
		if (*at == '<' && (tree_is_letter((unsigned char)next) || next == '_' || next == ':') &&
		    closes_ahead(tree)) {
			current = top(tree);	/* libxml2's popped check, at once */
			depth = tree->depth;
			continue;
		}
		if (tree->depth > 0 && depth >= tree->depth && current != top(tree)) {
			current = top(tree);
			depth = tree->depth;
			continue;
		}
		if (current == tree->n.script || current == tree->n.style) {
			raw_text(tree, current);
			if (tree->at == at) {
				end_tag(tree);
				current = top(tree);
				depth = tree->depth;
			}
		} else if (*at == '<' && (next == '!' || next == '?')) {
			tree->failed = 1;	/* comment, PI or late doctype: libxml2's */
		} else if (*at == '<' && tree_is_letter((unsigned char)next)) {
			start_tag(tree);
			current = top(tree);
			depth = tree->depth;
		} else if (*at == '<') {
			characters(tree, tree->at, 1, 1);
			tree->at++;
		} else if (*at == '&') {
			text_reference(tree);
		} else
			char_data(tree);
	}
}

/* The start of the document (htmlParseDocument): blanks, then an optional doctype. */
static void
prologue(struct tree *tree)
{
	tree_skip_blanks(tree);
	if (tree->at < tree->end && *tree->at == '<' && tree->end - tree->at > 1 &&
	    (tree->at[1] == '?' || (tree->at[1] == '!' && !is_doctype(tree)))) {
		tree->failed = 1;
		return;
	}
	if (is_doctype(tree)) {
		const unsigned char *close = memchr(tree->at, '>', (size_t)(tree->end - tree->at));

		if (close == NULL || memchr(tree->at, '[', (size_t)(close - tree->at)) != NULL ||
		    memchr(tree->at + 1, '<', (size_t)(close - tree->at - 1)) != NULL ||
		    !tree_even_quotes(tree->at, close)) {
			tree->failed = 1;
			return;
		}
		xmlCreateIntSubset(tree->doc, (const xmlChar *)"html", NULL, NULL);
		tree->at = close + 1;
		tree_skip_blanks(tree);
		if (tree->at < tree->end && *tree->at == '<' && tree->end - tree->at > 1 &&
		    (tree->at[1] == '?' || tree->at[1] == '!'))
			tree->failed = 1;
	}
}

static void
names_init(struct tree *tree)
{
	tree->n.html = tree_intern(tree, "html", 4);
	tree->n.head = tree_intern(tree, "head", 4);
	tree->n.body = tree_intern(tree, "body", 4);
	tree->n.p = tree_intern(tree, "p", 1);
	tree->n.script = tree_intern(tree, "script", 6);
	tree->n.style = tree_intern(tree, "style", 5);
}

xmlDoc *
page_tree(const char *html, size_t length)
{
	struct tree tree = { .at = (const unsigned char *)html,
	    .end = (const unsigned char *)html + length };

	if (html == NULL || !tree_plain_utf8(tree.at, tree.end))
		return NULL;
	if ((tree.doc = htmlNewDocNoDtD(NULL, NULL)) == NULL)
		return NULL;
	tree.context = thread_context();
	tree.dict = tree.context->dict;
	tree.doc->dict = tree.dict;
	xmlDictReference(tree.dict);
	names_init(&tree);
	/* byte order marks: libxml2 skips one switching to UTF-8, one more sniffing 4 bytes */
	if (length >= 3 && memcmp(html, "\xef\xbb\xbf", 3) == 0)
		tree.at += 3;
	if (length >= 7 && memcmp(html, "\xef\xbb\xbf\xef\xbb\xbf", 6) == 0)
		tree.at += 3;
	prologue(&tree);
	if (!tree.failed && tree.at == tree.end)
		tree.failed = 1;	/* nothing but blanks: libxml2's empty document */
	if (!tree.failed)
		content(&tree);
	while (!tree.failed && tree.depth > 0)
		end_element(&tree);
	free(tree.names);
	free(tree.nodes);
	buffer_free(&tree.text);
	buffer_free(&tree.values);
	if (tree.failed) {
		xmlFreeDoc(tree.doc);
		return NULL;
	}
	if (xmlGetIntSubset(tree.doc) == NULL)
		xmlCreateIntSubset(tree.doc, (const xmlChar *)"html",
		    (const xmlChar *)"-//W3C//DTD HTML 4.0 Transitional//EN",
		    (const xmlChar *)"http://www.w3.org/TR/REC-html40/loose.dtd");
	return tree.doc;
}
