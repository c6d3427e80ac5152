/*
 * html_fast.c - the common subset of feed HTML (p, br, a, b, i, em, strong, span, u, h1-h6,
 * ul, ol, li, blockquote, div, figure, figcaption, img; the usual character references)
 * turned into text without building a tree: the same text builder as html_text.c gets the
 * same calls the walk of libxml2's tree would give it, so the output is byte-identical.
 * Parsing was half of the cleaning stage's cost on article-size content.
 *
 * The subset is kept where libxml2's HTML parser repairs nothing: every element closed by
 * its own end tag, in the right order, only where none of its start tags makes libxml2 close
 * an open element (no p in p or in an inline element, li only in ul or ol...), attributes
 * well-formed (a class that could drop its element is left to the parser), valid UTF-8 without
 * the control characters libxml2 drops or folds. On anything else html_fast_text returns -1
 * and html_text.c parses the input with libxml2; test_html_fast compares both paths on every
 * fragment of the test and demo feeds and on mutations of them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "clean_internal.h"

#define FAST_DEPTH	64

enum fast_group {
	GROUP_INLINE,		/* a b i em strong span u: text and inline elements */
	GROUP_TEXT_BLOCK,	/* p h1-h6: text and inline elements */
	GROUP_LIST,		/* ul ol: li only */
	GROUP_ITEM,		/* li: text, inline elements, p, ul, ol */
	GROUP_CONTAINER,	/* blockquote div: any but li */
	GROUP_DROP,		/* figure figcaption: skipped; any but li inside */
	GROUP_BREAK,		/* br: void, a paragraph break */
	GROUP_IMAGE		/* img: void, dropped, leaves a space */
};

struct fast_tag {
	const char *name;
	enum fast_group group;
};

static const struct fast_tag fast_tags[] = {
	{ "a", GROUP_INLINE }, { "b", GROUP_INLINE }, { "blockquote", GROUP_CONTAINER },
	{ "br", GROUP_BREAK }, { "div", GROUP_CONTAINER }, { "em", GROUP_INLINE },
	{ "figcaption", GROUP_DROP }, { "figure", GROUP_DROP }, { "h1", GROUP_TEXT_BLOCK },
	{ "h2", GROUP_TEXT_BLOCK }, { "h3", GROUP_TEXT_BLOCK }, { "h4", GROUP_TEXT_BLOCK },
	{ "h5", GROUP_TEXT_BLOCK }, { "h6", GROUP_TEXT_BLOCK }, { "i", GROUP_INLINE },
	{ "img", GROUP_IMAGE }, { "li", GROUP_ITEM }, { "ol", GROUP_LIST },
	{ "p", GROUP_TEXT_BLOCK }, { "span", GROUP_INLINE }, { "strong", GROUP_INLINE },
	{ "u", GROUP_INLINE }, { "ul", GROUP_LIST },
};

/* Named references of HTML 4 taken here (libxml2 knows them all); sorted for bsearch. */
static const struct fast_entity {
	const char *name;
	int32_t	 code_point;
} fast_entities[] = {
	{ "amp", '&' }, { "bdquo", 0x201e }, { "bull", 0x2022 }, { "copy", 0xa9 },
	{ "deg", 0xb0 }, { "euro", 0x20ac }, { "gt", '>' }, { "hellip", 0x2026 },
	{ "laquo", 0xab }, { "ldquo", 0x201c }, { "lsquo", 0x2018 }, { "lt", '<' },
	{ "mdash", 0x2014 }, { "middot", 0xb7 }, { "nbsp", 0xa0 }, { "ndash", 0x2013 },
	{ "quot", '"' }, { "raquo", 0xbb }, { "rdquo", 0x201d }, { "reg", 0xae },
	{ "rsquo", 0x2019 }, { "sbquo", 0x201a }, { "trade", 0x2122 },
};

struct fast_state {
	struct text_builder *builder;
	const char *at;
	const char *end;
	const struct fast_tag *stack[FAST_DEPTH];
	size_t	 depth;
	size_t	 drop_depth;	/* stack depth where the dropped element opened; 0: none */
	struct buffer text;	/* one text node with its references decoded */
};

/*
 * The tags by name: a name of up to 15 bytes is two 64-bit values, its bytes zero-padded, and
 * one look-up in this open-addressing table (filled once) compares them: no strcmp() per
 * probe of a binary search for each of an article's tags.
 */
#define TAG_SLOT_BITS	6
#define TAG_SLOTS	(1 << TAG_SLOT_BITS)
static uint8_t tag_slots[TAG_SLOTS];	/* index in fast_tags + 1; 0: empty */
static struct name16 tag_keys[sizeof fast_tags / sizeof fast_tags[0]];
static pthread_once_t tag_slots_once = PTHREAD_ONCE_INIT;

/* name is 16 bytes, zero after the name. */
static struct name16
tag_key(const char *name)
{
	struct name16 key;

	memcpy(&key.head, name, 8);
	memcpy(&key.tail, name + 8, 8);
	return key;
}

static void
tag_slots_fill(void)
{
	for (size_t i = 0; i < sizeof fast_tags / sizeof fast_tags[0]; i++) {
		char name[16] = { 0 };
		size_t slot;

		memcpy(name, fast_tags[i].name, strlen(fast_tags[i].name));
		tag_keys[i] = tag_key(name);
		for (slot = name16_slot(tag_keys[i], TAG_SLOT_BITS); tag_slots[slot] != 0;
		    slot = (slot + 1) & (TAG_SLOTS - 1))
			;
		tag_slots[slot] = (uint8_t)(i + 1);
	}
}

static const struct fast_tag *
find_fast_tag(const char *name)
{
	struct name16 key = tag_key(name);

	pthread_once(&tag_slots_once, tag_slots_fill);
	for (size_t slot = name16_slot(key, TAG_SLOT_BITS); tag_slots[slot] != 0;
	    slot = (slot + 1) & (TAG_SLOTS - 1)) {
		const struct name16 *known = &tag_keys[tag_slots[slot] - 1];

		if (known->head == key.head && known->tail == key.tail)
			return &fast_tags[tag_slots[slot] - 1];
	}
	return NULL;
}

static int
compare_fast_entity(const void *key, const void *member)
{
	return strcmp(key, ((const struct fast_entity *)member)->name);
}

static int
is_ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_ascii_alnum(char c)
{
	return is_ascii_alpha(c) || (c >= '0' && c <= '9');
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* html_is_parser_safe_utf8() with markup, and no byte order mark: libxml2 reads it as it is. */
static int
input_is_clean_utf8(const char *html, size_t length)
{
	if (length >= 3 && memcmp(html, "\xef\xbb\xbf", 3) == 0)
		return 0;
	return html_is_parser_safe_utf8(html, length, 1);
}

/* A character reference libxml2 decodes to a character it keeps. */
static int
is_plain_code_point(long value)
{
	return (value >= 0x20 && value < 0x7f) || (value >= 0xa0 && value < 0xd800) ||
	    (value >= 0xe000 && value < 0xfffe) || (value >= 0x10000 && value <= 0x10ffff);
}

/* The reference at *at ('&') appended to out; -1 unless it is one the subset takes. */
static int
decode_reference(const char **at, const char *end, struct buffer *out)
{
	const char *p = *at + 1;
	long value = 0;
	utf8proc_uint8_t encoded[4];

	if (p < end && *p == '#') {
		int hex = ++p < end && (*p == 'x' || *p == 'X');
		const char *digits = p += hex;

		for (; p < end && p - digits < 7 && is_ascii_alnum(*p); p++) {
			int digit = *p >= '0' && *p <= '9' ? *p - '0' :
			    hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
			    hex && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

			if (digit < 0)
				return -1;
			value = value * (hex ? 16 : 10) + digit;
		}
		if (p == digits || p >= end || *p != ';' || !is_plain_code_point(value))
			return -1;
	} else {
		char name[8];
		size_t length = 0;
		const struct fast_entity *entity;

		while (p < end && is_ascii_alnum(*p) && length < sizeof name - 1)
			name[length++] = *p++;
		name[length] = '\0';
		if (length == 0 || p >= end || *p != ';')
			return -1;
		entity = bsearch(name, fast_entities, sizeof fast_entities /
		    sizeof fast_entities[0], sizeof fast_entities[0], compare_fast_entity);
		if (entity == NULL)
			return -1;
		value = entity->code_point;
	}
	buffer_append(out, encoded, (size_t)utf8proc_encode_char((utf8proc_int32_t)value,
	    encoded));
	*at = p + 1;
	return 0;
}

/* The text up to the next '<' as one text node into the builder. */
static int
fast_text(struct fast_state *state)
{
	const char *start = state->at;
	const char *stop = memchr(start, '<', (size_t)(state->end - start));
	const char *amp;

	if (stop == NULL)
		stop = state->end;
	state->at = stop;
	if (state->drop_depth > 0)
		return 0;	/* inside a dropped element: no text of it is kept */
	if (state->depth > 0 && state->stack[state->depth - 1]->group == GROUP_LIST) {
		for (const char *p = start; p < stop; p++)
			if (!is_blank(*p))
				return -1;	/* text in a list: left to libxml2 */
	}
	if ((amp = memchr(start, '&', (size_t)(stop - start))) == NULL) {
		builder_add_text(state->builder, start, (size_t)(stop - start));
		return 0;
	}
	buffer_reset(&state->text);
	buffer_reserve(&state->text, (size_t)(stop - start));	/* decoded is no longer */
	state->text.data[0] = '\0';
	while (amp != NULL) {
		buffer_append(&state->text, start, (size_t)(amp - start));
		if (decode_reference(&amp, stop, &state->text) < 0)
			return -1;
		start = amp;
		amp = memchr(start, '&', (size_t)(stop - start));
	}
	buffer_append(&state->text, start, (size_t)(stop - start));
	builder_add_text(state->builder, state->text.data, state->text.length);
	return 0;
}

/* A tag name at *at into name (lower case); the tag of the subset it names, or NULL. */
static const struct fast_tag *
read_tag_name(const char **at, const char *end)
{
	char name[16] = { 0 };	/* find_fast_tag() reads 16 */
	size_t length = 0;
	const char *p = *at;

	if (p >= end || !is_ascii_alpha(*p))
		return NULL;
	while (p < end && is_ascii_alnum(*p)) {
		if (length == 11)	/* none is that long */
			return NULL;
		name[length++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		p++;
	}
	*at = p;
	return find_fast_tag(name);
}

static int
is_attribute_name_char(char c)
{
	return is_ascii_alnum(c) || c == '-' || c == '_' || c == ':';
}

static int
is_unquoted_value_char(char c)
{
	return is_ascii_alnum(c) || strchr("-_.:/%#?=+,;~@!$*()", c) != NULL;
}

/*
 * One attribute at *at: name, optional = and value. -1 when malformed or a class that could
 * drop the element (outside dropped content).
 */
static int
read_attribute(const char **at, const char *end, int dropping)
{
	const char *p = *at, *name = p, *value = NULL;
	size_t name_length, value_length = 0;

	if (!is_ascii_alpha(*p))
		return -1;
	while (p < end && is_attribute_name_char(*p))
		p++;
	name_length = (size_t)(p - name);
	if (p < end && *p == '=') {
		p++;
		if (p < end && (*p == '"' || *p == '\'')) {
			const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));

			if (close == NULL || memchr(p + 1, '<', (size_t)(close - p - 1)) != NULL)
				return -1;
			value = p + 1;
			value_length = (size_t)(close - value);
			p = close + 1;
		} else {
			value = p;
			while (p < end && is_unquoted_value_char(*p))
				p++;
			value_length = (size_t)(p - value);
			if (value_length == 0)
				return -1;
		}
	}
	if (p >= end || !(is_blank(*p) || *p == '>' || *p == '/'))
		return -1;
	if (!dropping && name_length == 5 && strncasecmp(name, "class", 5) == 0 && value != NULL &&
	    (memchr(value, '&', value_length) != NULL || html_class_may_drop(value, value_length)))
		return -1;
	*at = p;
	return 0;
}

/* Attributes up to '>' (or "/>" when self_closing is allowed); -1 when malformed. */
static int
read_attributes(const char **at, const char *end, int dropping, int *self_closed)
{
	const char *p = *at;

	*self_closed = 0;
	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p >= end)
			return -1;
		if (*p == '>')
			break;
		if (*p == '/') {
			if (p + 1 >= end || p[1] != '>')
				return -1;
			*self_closed = 1;
			p++;
			break;
		}
		if (read_attribute(&p, end, dropping) < 0)
			return -1;
	}
	*at = p + 1;
	return 0;
}

/* May child open inside parent (NULL: the top level) without libxml2 closing anything? */
static int
may_contain(const struct fast_tag *parent, const struct fast_tag *child)
{
	int inline_child = child->group == GROUP_INLINE || child->group == GROUP_BREAK ||
	    child->group == GROUP_IMAGE;

	if (parent == NULL)
		return child->group != GROUP_ITEM;
	switch (parent->group) {
	case GROUP_INLINE:
		return inline_child && !(parent->name[0] == 'a' && child->name[0] == 'a' &&
		    child->name[1] == '\0');
	case GROUP_TEXT_BLOCK:
		return inline_child;
	case GROUP_LIST:
		return child->group == GROUP_ITEM;
	case GROUP_ITEM:
		return inline_child || child->group == GROUP_LIST ||
		    strcmp(child->name, "p") == 0;
	default:
		return child->group != GROUP_ITEM;
	}
}

static int
fast_start_tag(struct fast_state *state)
{
	const struct fast_tag *tag = read_tag_name(&state->at, state->end);
	struct text_builder *builder = state->builder;
	int self_closed;

	if (tag == NULL || read_attributes(&state->at, state->end, state->drop_depth > 0,
	    &self_closed) < 0)
		return -1;
	if (!may_contain(state->depth > 0 ? state->stack[state->depth - 1] : NULL, tag))
		return -1;
	/* a a: libxml2 closes the outer one; no a is opened inside another */
	if (tag->group == GROUP_INLINE && strcmp(tag->name, "a") == 0)
		for (size_t i = 0; i < state->depth; i++)
			if (state->stack[i] == tag)
				return -1;
	if (tag->group == GROUP_BREAK || tag->group == GROUP_IMAGE) {
		if (state->drop_depth == 0) {
			if (tag->group == GROUP_BREAK)
				builder->pending_break = 1;
			else
				builder->pending_space = 1;
		}
		return 0;
	}
	if (self_closed || state->depth == FAST_DEPTH)
		return -1;
	state->stack[state->depth++] = tag;
	if (state->drop_depth > 0)
		return 0;
	if (tag->group == GROUP_DROP)
		state->drop_depth = state->depth;
	else if (tag->group != GROUP_INLINE)
		builder->pending_break = 1;
	return 0;
}

static int
fast_end_tag(struct fast_state *state)
{
	const struct fast_tag *tag;

	state->at++;	/* '/' */
	tag = read_tag_name(&state->at, state->end);
	if (tag == NULL || state->depth == 0 || state->stack[state->depth - 1] != tag)
		return -1;
	while (state->at < state->end && is_blank(*state->at))
		state->at++;
	if (state->at >= state->end || *state->at != '>')
		return -1;
	state->at++;
	if (state->drop_depth == state->depth)
		state->drop_depth = 0;
	state->depth--;
	if (state->drop_depth == 0 && tag->group != GROUP_INLINE)
		state->builder->pending_break = 1;
	return 0;
}

int
html_fast_text(struct text_builder *builder, const char *html, size_t length)
{
	struct fast_state state = { .builder = builder, .at = html, .end = html + length };
	int status = 0;

	if (!input_is_clean_utf8(html, length))
		return -1;
	while (status == 0 && state.at < state.end) {
		if (*state.at != '<')
			status = fast_text(&state);
		else if (state.at + 1 < state.end && state.at[1] == '/') {
			state.at++;
			status = fast_end_tag(&state);
		} else {
			state.at++;
			status = fast_start_tag(&state);
		}
	}
	buffer_free(&state.text);
	return status == 0 && state.depth == 0 ? 0 : -1;
}
