/*
 * html_text.c - an HTML fragment (or plain text) to paragraphs of clean text. HTML goes through
 * libxml2's forgiving HTML parser (one reused context per thread); the tree is walked without
 * recursion (so any depth is safe) and text is written straight into one growing buffer: block
 * elements end paragraphs, embeds and page furniture (script, figure, nav, tweets...) are
 * skipped and reported to the explain callback, white space and typographic noise (nbsp,
 * zero-width characters, soft hyphens) are folded, and the result is put in NFC. Input without
 * block markup is plain text: each line is a paragraph; input without any markup or references
 * skips the parser, and input in the common subset of feed HTML goes through html_fast.c,
 * which feeds the same builder without a tree (not while explaining: it reports no drops).
 * Text nodes are read sixteen or eight bytes a step where they are plain prose (printable
 * ASCII whose single spaces the run keeps), byte by byte elsewhere: test_text_steps compares
 * the two.
 */
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <utf8proc.h>

#include "clean_internal.h"

enum element_kind {
	ELEMENT_INLINE,		/* text flows through (a, b, span, unknown tags) */
	ELEMENT_BLOCK,		/* paragraph break before and after */
	ELEMENT_PRE,		/* block whose newlines are paragraph breaks */
	ELEMENT_CELL,		/* table cell: a space before and after */
	ELEMENT_DROP,		/* skipped with all it contains; leaves a space */
	ELEMENT_DROP_BLOCK	/* skipped with all it contains; leaves a paragraph break */
};

struct element_class {
	const char *name;
	enum element_kind kind;
};

/* Sorted by name for bsearch. */
static const struct element_class element_classes[] = {
	{ "address", ELEMENT_BLOCK }, { "applet", ELEMENT_DROP }, { "article", ELEMENT_BLOCK },
	{ "aside", ELEMENT_DROP_BLOCK }, { "audio", ELEMENT_DROP_BLOCK }, { "base", ELEMENT_DROP },
	{ "blockquote", ELEMENT_BLOCK }, { "body", ELEMENT_BLOCK }, { "br", ELEMENT_BLOCK },
	{ "button", ELEMENT_DROP }, { "canvas", ELEMENT_DROP }, { "caption", ELEMENT_BLOCK },
	{ "center", ELEMENT_BLOCK }, { "dd", ELEMENT_BLOCK }, { "details", ELEMENT_BLOCK },
	{ "dialog", ELEMENT_DROP_BLOCK }, { "dir", ELEMENT_BLOCK }, { "div", ELEMENT_BLOCK },
	{ "dl", ELEMENT_BLOCK }, { "dt", ELEMENT_BLOCK }, { "embed", ELEMENT_DROP },
	{ "fieldset", ELEMENT_BLOCK }, { "figcaption", ELEMENT_DROP_BLOCK }, { "figure", ELEMENT_DROP_BLOCK },
	{ "footer", ELEMENT_BLOCK }, { "form", ELEMENT_DROP_BLOCK }, { "frame", ELEMENT_DROP_BLOCK },
	{ "frameset", ELEMENT_DROP_BLOCK }, { "h1", ELEMENT_BLOCK }, { "h2", ELEMENT_BLOCK },
	{ "h3", ELEMENT_BLOCK }, { "h4", ELEMENT_BLOCK }, { "h5", ELEMENT_BLOCK },
	{ "h6", ELEMENT_BLOCK }, { "head", ELEMENT_DROP_BLOCK }, { "header", ELEMENT_BLOCK },
	{ "hgroup", ELEMENT_BLOCK }, { "hr", ELEMENT_BLOCK }, { "html", ELEMENT_BLOCK },
	{ "iframe", ELEMENT_DROP_BLOCK }, { "img", ELEMENT_DROP }, { "input", ELEMENT_DROP },
	{ "li", ELEMENT_BLOCK }, { "link", ELEMENT_DROP }, { "main", ELEMENT_BLOCK },
	{ "map", ELEMENT_DROP }, { "menu", ELEMENT_BLOCK }, { "meta", ELEMENT_DROP },
	{ "nav", ELEMENT_DROP_BLOCK }, { "noscript", ELEMENT_DROP }, { "object", ELEMENT_DROP },
	{ "ol", ELEMENT_BLOCK }, { "option", ELEMENT_DROP }, { "p", ELEMENT_BLOCK },
	{ "picture", ELEMENT_DROP }, { "pre", ELEMENT_PRE }, { "script", ELEMENT_DROP },
	{ "section", ELEMENT_BLOCK }, { "select", ELEMENT_DROP }, { "source", ELEMENT_DROP },
	{ "style", ELEMENT_DROP }, { "summary", ELEMENT_BLOCK }, { "svg", ELEMENT_DROP },
	{ "table", ELEMENT_BLOCK }, { "tbody", ELEMENT_BLOCK }, { "td", ELEMENT_CELL },
	{ "template", ELEMENT_DROP }, { "textarea", ELEMENT_DROP }, { "tfoot", ELEMENT_BLOCK },
	{ "th", ELEMENT_CELL }, { "thead", ELEMENT_BLOCK }, { "title", ELEMENT_DROP },
	{ "tr", ELEMENT_BLOCK }, { "track", ELEMENT_DROP }, { "ul", ELEMENT_BLOCK },
	{ "video", ELEMENT_DROP_BLOCK },
};

/* class="..." tokens that mark embeds, captions and share widgets. */
static const char *const dropped_class_tokens[] = {
	"twitter-tweet", "twitter-video", "twitter-timeline", "instagram-media", "tiktok-embed",
	"fb-post", "fb-video", "reddit-card", "wp-caption", "wp-caption-text", "caption",
	"image-caption", "photo-caption", "photo-credit", "media-caption", "sharedaddy",
	"sd-sharing-enabled", "jp-relatedposts", "yarpp-related", "feedflare",
	"addtoany_share_save_container", "share-buttons", "social-share",
	NULL
};

/* Does a class value (length bytes) hold a dropped class token, word or not? */
int
html_class_may_drop(const char *value, size_t length)
{
	for (size_t i = 0; dropped_class_tokens[i] != NULL; i++)
		if (memmem(value, length, dropped_class_tokens[i],
		    strlen(dropped_class_tokens[i])) != NULL)
			return 1;
	return 0;
}

static int
compare_element_class(const void *key, const void *member)
{
	return strcmp(key, ((const struct element_class *)member)->name);
}

static enum element_kind
element_kind_by_name(const char *name)
{
	const struct element_class *found;

	if (strncmp(name, "amp-", 4) == 0)
		return ELEMENT_DROP;	/* AMP components: ads, embeds, share bars */
	found = bsearch(name, element_classes, sizeof element_classes / sizeof element_classes[0],
	    sizeof element_classes[0], compare_element_class);
	return found ? found->kind : ELEMENT_INLINE;
}

/* The class token that marks node as an embed or widget, or NULL. */
static const char *
dropped_class_of(const xmlNode *node)
{
	for (const xmlAttr *attribute = node->properties; attribute; attribute = attribute->next) {
		const char *value, *token;

		if (strcmp((const char *)attribute->name, "class") != 0 ||
		    attribute->children == NULL || attribute->children->content == NULL)
			continue;
		value = (const char *)attribute->children->content;
		for (size_t i = 0; (token = dropped_class_tokens[i]) != NULL; i++) {
			size_t token_length = strlen(token);

			for (const char *at = value; (at = strstr(at, token)) != NULL; at++) {
				int starts = at == value || isspace((unsigned char)at[-1]);
				char after = at[token_length];

				if (starts && (after == '\0' || isspace((unsigned char)after)))
					return token;
			}
		}
	}
	return NULL;
}

/* Write pending white space, then length bytes of text. */
static void
builder_emit(struct text_builder *builder, const char *text, size_t length)
{
	if (length == 0)
		return;
	if (builder->out.length > 0) {
		if (builder->pending_break)
			buffer_append(&builder->out, "\n\n", 2);
		else if (builder->pending_space)
			buffer_append(&builder->out, " ", 1);
	}
	builder->pending_break = builder->pending_space = 0;
	buffer_append(&builder->out, text, length);
}

/* What to do with one code point of a text node. */
enum char_class { CHAR_KEEP, CHAR_SPACE, CHAR_NEWLINE, CHAR_PARAGRAPH, CHAR_DROP };

static enum char_class
classify_code_point(utf8proc_int32_t code_point)
{
	switch (code_point) {
	case '\n':
		return CHAR_NEWLINE;
	case '\t': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xa0: case 0x1680:
	case 0x2028: case 0x202f: case 0x205f: case 0x3000:
		return CHAR_SPACE;
	case 0x2029:
		return CHAR_PARAGRAPH;
	case 0xad: case 0x180e: case 0x200b: case 0x200e: case 0x200f: case 0x2060:
	case 0xfeff: case 0xfffc:
		return CHAR_DROP;
	}
	if (code_point >= 0x2000 && code_point <= 0x200a)
		return CHAR_SPACE;
	if (code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f) ||
	    (code_point >= 0x202a && code_point <= 0x202e) ||
	    (code_point >= 0x2066 && code_point <= 0x2069))
		return CHAR_DROP;
	return CHAR_KEEP;
}

/*
 * A space left before "," or "." by a removed link ("said the AP .") is dropped; an
 * ellipsis (" ...") and ".NET" keep theirs.
 */
static int
is_stray_space_before(const struct text_builder *builder, const unsigned char *at,
    const unsigned char *end)
{
	unsigned char previous, next;

	if (!builder->pending_space || builder->pending_break || builder->out.length == 0)
		return 0;
	if (*at != ',' && *at != '.')
		return 0;
	previous = (unsigned char)builder->out.data[builder->out.length - 1];
	next = at + 1 < end ? at[1] : ' ';
	if (!(isalnum(previous) || previous >= 0x80))
		return 0;
	return next == ' ' || next == '\n' || next == '"' || next == ')';
}

#define BYTES_OF(byte)	(0x0101010101010101ULL * (byte))

/* 0x80 in each byte of word that is zero, exactly (no borrow from lane to lane). */
static inline uint64_t
zero_bytes(uint64_t word)
{
	return ~(((word & BYTES_OF(0x7F)) + BYTES_OF(0x7F)) | word | BYTES_OF(0x7F));
}

/* Is any byte of word outside 0x20-0x7E? (The classic "has less than" / "has more than".) */
static inline int
outside_printable(uint64_t word)
{
	return ((((word - BYTES_OF(0x20)) & ~word) | ((word + BYTES_OF(0x01)) | word)) &
	    BYTES_OF(0x80)) != 0;
}

/*
 * Would builder_add_text's loop, inside a run (at > run), step over the eight bytes at `at`
 * without acting? True when they are printable ASCII and each space among them is followed
 * (at[1] to at[8]) by a printable character other than a space, "," or ".": the loop keeps
 * such a space in the run.  Reads at[0] to at[8].  ("," and "." are the two bytes that
 * OR 0x02 makes ".")
 */
static inline int
plain_block(const unsigned char *at)
{
	uint64_t word, next, spaces, bad_next;

	memcpy(&word, at, 8);
	if (outside_printable(word) || at[8] < 0x20 || at[8] > 0x7E)
		return 0;
	memcpy(&next, at + 1, 8);
	spaces = zero_bytes(word ^ BYTES_OF(' '));
	bad_next = spaces >> 8 | (uint64_t)(at[8] == ' ') << 63 |
	    zero_bytes((next | BYTES_OF(0x02)) ^ BYTES_OF('.'));
	return (spaces & bad_next) == 0;
}

int
html_plain_block(const unsigned char *at)
{
	return plain_block(at);
}

/*
 * The same test for the sixteen bytes at `at` (reads at[0..16]), with SSE2 where the compiler
 * targets it: true exactly when plain_block(at) and plain_block(at + 8) both are, as every
 * byte must be printable ASCII (signed compares: 0x80 and above are below 0x20) and each
 * space be followed by a byte other than a space, "," or ".".
 */
static inline int
plain_block16(const unsigned char *at)
{
#ifdef __SSE2__
	__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)at);
	__m128i next = _mm_loadu_si128((const __m128i *)(const void *)(at + 1));
	__m128i printable = _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8(0x1f)),
	    _mm_cmpgt_epi8(_mm_set1_epi8(0x7f), bytes));
	__m128i bad_next = _mm_or_si128(_mm_cmpeq_epi8(next, _mm_set1_epi8(' ')),
	    _mm_cmpeq_epi8(_mm_or_si128(next, _mm_set1_epi8(0x02)), _mm_set1_epi8('.')));

	if (_mm_movemask_epi8(printable) != 0xFFFF || at[16] < 0x20 || at[16] > 0x7E)
		return 0;
	return _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(' ')),
	    bad_next)) == 0;
#else
	return plain_block(at) && plain_block(at + 8);
#endif
}

int
html_plain_block16(const unsigned char *at)
{
	return plain_block16(at);
}

/* 0: builder_add_text takes no block steps (test_text_steps compares the two). */
int html_text_block_steps = 1;

void
builder_add_text(struct text_builder *builder, const char *text, size_t length)
{
	const unsigned char *at = (const unsigned char *)text;
	const unsigned char *end = at + length;
	const unsigned char *run = at;	/* start of bytes kept as they are */
	const unsigned char *retry = html_text_block_steps ? at : end;	/* no eight-byte
									 * step before */

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;
		enum char_class class;

		/* prose: sixteen or eight bytes a step, or (after a block that was not) eight
		 * bytes one by one before the next try */
		if (at > run && at >= retry && end - at > 8) {
			if (end - at > 16 && plain_block16(at)) {
				at += 16;
				continue;
			}
			if (plain_block(at)) {
				at += 8;
				continue;
			}
			retry = at + 8;
		}
		if (*at > 0x20 && *at < 0x7f) {
			if (at == run && is_stray_space_before(builder, at, end))
				builder->pending_space = 0;
			at++;
			continue;
		}
		/*
		 * One space between kept ASCII characters (not before "," or ".", which may
		 * drop it) stays in the run: the same bytes as emitting the run and a pending
		 * space, without a buffer_append per word.
		 */
		if (*at == ' ' && at > run && at + 1 < end && at[1] > 0x20 && at[1] < 0x7f &&
		    at[1] != ',' && at[1] != '.') {
			at += 2;
			continue;
		}
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0) {
			size = 1;
			class = CHAR_DROP;
		} else
			class = classify_code_point(code_point);
		if (class == CHAR_KEEP) {
			at += size;
			continue;
		}
		builder_emit(builder, (const char *)run, (size_t)(at - run));
		if (class == CHAR_PARAGRAPH ||
		    (class == CHAR_NEWLINE && (builder->newline_breaks || builder->pre_depth > 0)))
			builder->pending_break = 1;
		else if (class == CHAR_SPACE || class == CHAR_NEWLINE)
			builder->pending_space = 1;
		at += size;
		run = at;
	}
	builder_emit(builder, (const char *)run, (size_t)(at - run));
}

static void builder_walk(struct text_builder *, xmlNode *, const xmlNode *);

/* Report an element skipped on purpose, with its text on one line, to the explain callback. */
static void
builder_explain_drop(struct text_builder *builder, xmlNode *node, const char *class_token)
{
	struct text_builder inner = { .explaining = 1 };
	char rule_name[96];
	char *text;

	if (builder->explain == NULL || node->children == NULL)
		return;
	builder_walk(&inner, node->children, node);
	text = buffer_steal(&inner.out);
	flatten_newlines(text);
	collapse_spaces(text);
	if (text[0] != '\0') {
		if (class_token != NULL)
			snprintf(rule_name, sizeof rule_name, "html:%s.%s", node->name, class_token);
		else
			snprintf(rule_name, sizeof rule_name, "html:%s", node->name);
		builder->explain(rule_name, text, builder->explain_context);
	}
	free(text);
}

static enum element_kind
node_kind(const xmlNode *node)
{
	if (node->type != XML_ELEMENT_NODE || node->name == NULL)
		return ELEMENT_INLINE;
	return element_kind_by_name((const char *)node->name);
}

/* Entering node: returns 1 when its children are to be walked. */
static int
builder_enter(struct text_builder *builder, xmlNode *node)
{
	const char *class_token;

	switch (node->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (node->content != NULL)
			builder_add_text(builder, (const char *)node->content,
			    strlen((const char *)node->content));
		return 0;
	case XML_ELEMENT_NODE:
		break;
	default:
		return 0;	/* comments, processing instructions */
	}
	switch (node_kind(node)) {
	case ELEMENT_DROP:
	case ELEMENT_DROP_BLOCK:
		if (builder->explaining) {
			builder->pending_space = 1;
			return 1;
		}
		builder_explain_drop(builder, node, NULL);
		return 0;
	case ELEMENT_BLOCK:
	case ELEMENT_PRE:
		builder->pending_break = 1;
		break;
	case ELEMENT_CELL:
		builder->pending_space = 1;
		break;
	case ELEMENT_INLINE:
		break;
	}
	if (!builder->explaining && (class_token = dropped_class_of(node)) != NULL) {
		builder_explain_drop(builder, node, class_token);
		return 0;
	}
	if (node_kind(node) == ELEMENT_PRE)
		builder->pre_depth++;
	return 1;
}

/* Leaving node, after its children when entered (builder_enter returned 1). */
static void
builder_leave(struct text_builder *builder, xmlNode *node, int entered)
{
	switch (node_kind(node)) {
	case ELEMENT_PRE:
		if (entered)
			builder->pre_depth--;
		/* FALLTHROUGH */
	case ELEMENT_BLOCK:
	case ELEMENT_DROP_BLOCK:
		builder->pending_break = 1;
		break;
	case ELEMENT_CELL:
	case ELEMENT_DROP:
		builder->pending_space = 1;
		break;
	case ELEMENT_INLINE:
		/* an inline element dropped for its class (a span caption) */
		if (!entered && node->type == XML_ELEMENT_NODE)
			builder->pending_space = 1;
		break;
	}
}

/* Walk first, its siblings and their subtrees in document order, without recursion. */
static void
builder_walk(struct text_builder *builder, xmlNode *first, const xmlNode *stop)
{
	xmlNode *node = first;

	while (node != NULL) {
		int entered = builder_enter(builder, node);

		if (entered && node->children != NULL) {
			node = node->children;
			continue;
		}
		builder_leave(builder, node, entered);
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			if (node == NULL || node == stop || node->type != XML_ELEMENT_NODE)
				return;
			builder_leave(builder, node, 1);
		}
		if (node != NULL)
			node = node->next;
	}
}

/* Does the input hold a block-level tag (then newlines are only white space)? */
static int
has_block_markup(const char *html, size_t length)
{
	const char *end = html + length;

	for (const char *at = html; (at = memchr(at, '<', (size_t)(end - at))) != NULL; at++) {
		char name[12];
		size_t name_length = 0;
		const char *letter = at + 1;
		enum element_kind kind;

		if (letter < end && *letter == '/')
			letter++;
		while (letter < end && isalnum((unsigned char)*letter) &&
		    name_length < sizeof name - 1)
			name[name_length++] = (char)tolower((unsigned char)*letter++);
		name[name_length] = '\0';
		if (name_length == 0)
			continue;
		kind = element_kind_by_name(name);
		if (kind == ELEMENT_BLOCK || kind == ELEMENT_PRE || kind == ELEMENT_CELL)
			return 1;
	}
	return 0;
}

/*
 * Valid UTF-8 that libxml2's HTML parser reads as it is: none of the characters it drops
 * (controls besides tab and newline, U+FFFE, U+FFFF), no carriage return (it folds CR LF into
 * LF); with markup_allowed 0, no markup ('<') or reference ('&') either.
 */
int
html_is_parser_safe_utf8(const char *html, size_t length, int markup_allowed)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)html;
	const utf8proc_uint8_t *end = at + length;

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;

		if (markup_allowed &&
		    (at += ascii_span((const char *)at, (size_t)(end - at), 0x20, 0x7f)) == end)
			break;
		if (*at >= 0x20 && *at < 0x80) {
			if (!markup_allowed && (*at == '<' || *at == '&'))
				return 0;
			at++;
			continue;
		}
		if (*at == '\t' || *at == '\n') {
			at++;
			continue;
		}
		if (*at < 0x20)
			return 0;
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0 || code_point == 0xfffe || code_point == 0xffff)
			return 0;
		at += size;
	}
	return 1;
}

/*
 * Would libxml2's HTML parser give this input back as one text node, unchanged? True for
 * valid UTF-8 (it reads anything else as Latin-1) without markup, references or what it
 * drops or folds (html_is_parser_safe_utf8); white space it skips at the start is skipped by
 * the builder too. Most titles and many summaries are such plain text: they are spared the
 * parser.
 */
static int
is_parser_transparent(const char *html, size_t length)
{
	return html_is_parser_safe_utf8(html, length, 0);
}

/*
 * One HTML parser context per thread, reset for each document (creating one costs about
 * fifteen allocations and a dictionary). Its dictionary keeps element and attribute names
 * and short texts across documents, so the context is replaced after PARSER_REUSE_LIMIT
 * documents or once the dictionary holds PARSER_DICTIONARY_LIMIT strings: hostile markup full
 * of invented names cannot grow it without bound. Freed at thread exit.
 */
#define PARSER_REUSE_LIMIT		10000
#define PARSER_DICTIONARY_LIMIT		20000

struct reused_parser {
	htmlParserCtxtPtr context;
	int		 documents;
};

static pthread_key_t reused_parser_key;
static pthread_once_t reused_parser_once = PTHREAD_ONCE_INIT;

static void
reused_parser_free(void *pointer)
{
	struct reused_parser *parser = pointer;

	if (parser->context != NULL)
		htmlFreeParserCtxt(parser->context);
	free(parser);
}

static void
reused_parser_key_create(void)
{
	pthread_key_create(&reused_parser_key, reused_parser_free);
}

static htmlDocPtr
html_parse(const char *html, size_t length, const char *encoding, int options)
{
	struct reused_parser *parser;

	pthread_once(&reused_parser_once, reused_parser_key_create);
	if ((parser = pthread_getspecific(reused_parser_key)) == NULL) {
		parser = xcalloc(1, sizeof *parser);
		pthread_setspecific(reused_parser_key, parser);
	}
	if (parser->context != NULL && (parser->documents >= PARSER_REUSE_LIMIT ||
	    xmlDictSize(parser->context->dict) > PARSER_DICTIONARY_LIMIT)) {
		htmlFreeParserCtxt(parser->context);
		parser->context = NULL;
	}
	if (parser->context == NULL) {
		if ((parser->context = htmlNewParserCtxt()) == NULL)
			return htmlReadMemory(html, (int)length, NULL, encoding, options);
		parser->documents = 0;
	}
	parser->documents++;
	return htmlCtxtReadMemory(parser->context, html, (int)length, NULL, encoding, options);
}

/* The builder's text, NFC, its length to *text_length when that is not NULL. */
static char *
builder_text(struct text_builder *builder, size_t *text_length)
{
	size_t length = builder->out.length;
	char *text = normalize_nfc_length(buffer_steal(&builder->out), &length);

	if (text_length != NULL)
		*text_length = length;
	return text;
}

/* fast: try html_fast.c first (never while explaining: it reports no drops). */
static char *
html_to_text_with(const char *html, size_t length, clean_explain_fn explain,
    void *explain_context, int fast, size_t *text_length)
{
	struct text_builder builder = { .explain = explain, .explain_context = explain_context };
	htmlDocPtr document;
	int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE;

	if (html == NULL || length == 0)
		return builder_text(&builder, text_length);
	if (length > INT_MAX)
		length = INT_MAX;
	/* the text is rarely longer than its HTML: one allocation, not a doubling chain */
	buffer_reserve(&builder.out, length);
	builder.out.data[0] = '\0';	/* an empty text is "" */
	if (is_parser_transparent(html, length)) {
		builder.newline_breaks = 1;	/* plain text: no block markup */
		builder_add_text(&builder, html, length);
		return builder_text(&builder, text_length);
	}
	builder.newline_breaks = !has_block_markup(html, length);
	if (fast && explain == NULL) {
		struct text_builder fresh = builder;

		if (html_fast_text(&builder, html, length) == 0)
			return builder_text(&builder, text_length);
		fresh.out = builder.out;	/* its memory, emptied */
		buffer_reset(&fresh.out);
		builder = fresh;
	}
	document = html_parse(html, length, "UTF-8", options);
	if (document == NULL)
		buffer_reset(&builder.out);
	else {
		builder_walk(&builder, document->children, NULL);
		xmlFreeDoc(document);
	}
	return builder_text(&builder, text_length);
}

char *
html_to_text_explain(const char *html, size_t length, clean_explain_fn explain,
    void *explain_context)
{
	return html_to_text_with(html, length, explain, explain_context, 1, NULL);
}

char *
html_to_text_measured(const char *html, size_t length, clean_explain_fn explain,
    void *explain_context, size_t *text_length)
{
	return html_to_text_with(html, length, explain, explain_context, 1, text_length);
}

char *
html_to_text_parsed(const char *html, size_t length)
{
	return html_to_text_with(html, length, NULL, NULL, 0, NULL);
}

char *
html_to_text(const char *html, size_t length)
{
	return html_to_text_explain(html, length, NULL, NULL);
}

static void
quiet(void *context, const char *format, ...)
{
	(void)context;
	(void)format;
}

/* libxml2's encoding layer reports conversion errors past HTML_PARSE_NOERROR: not printed. */
htmlDocPtr
html_parse_page(const char *html, size_t length, const char *encoding)
{
	int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE;
	xmlGenericErrorFunc saved = xmlGenericError;
	void *saved_context = xmlGenericErrorContext;
	htmlDocPtr document;

	if (html == NULL || length == 0)
		return NULL;
	if (length > INT_MAX)
		length = INT_MAX;
	xmlSetGenericErrorFunc(NULL, quiet);
	document = html_parse(html, length, encoding, options);
	xmlSetGenericErrorFunc(saved_context, saved);
	return document;
}

/* The subtree of node (node included) into builder. */
static void
builder_render_node(struct text_builder *builder, xmlNode *node)
{
	int entered = builder_enter(builder, node);

	if (entered && node->children != NULL)
		builder_walk(builder, node->children, node);
	builder_leave(builder, node, entered);
}

char *
html_render_nodes(xmlNode *const *nodes, size_t count, clean_explain_fn explain,
    void *explain_context)
{
	struct text_builder builder = { .explain = explain, .explain_context = explain_context };

	for (size_t i = 0; i < count; i++) {
		builder.pending_break = 1;
		builder_render_node(&builder, nodes[i]);
	}
	return normalize_nfc(buffer_steal(&builder.out));
}

char *
html_render_line(xmlNode *node)
{
	struct text_builder builder = { .explaining = 1 };
	char *text;

	builder_render_node(&builder, node);
	text = buffer_steal(&builder.out);
	flatten_newlines(text);
	collapse_spaces(text);
	return text;
}
