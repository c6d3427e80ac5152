/*
 * extract_tree_read.c - the reading half of the extractor's own tree builder: names, attribute
 * values and references read from a skimmed page the way libxml2 2.9.14's HTML tokenizer reads
 * them (htmlParseHTMLName, htmlParseAttValue, htmlParseHTMLAttribute, htmlParseReference,
 * htmlParseEntityRef, htmlParseCharRef), and the checks that leave a page to libxml2 (bytes it
 * would not take as they are, a doctype's quoted '>'). extract_tree.c builds the tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "extract_tree.h"

void
tree_skip_blanks(struct tree *tree)
{
	while (tree->at < tree->end && tree_is_blank(*tree->at))
		tree->at++;
}

/* ---- references ---- */

static void
put_utf8(struct buffer *out, unsigned c)
{
	char bytes[4];
	size_t n;

	if (c < 0x80) {
		bytes[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		bytes[0] = (char)(0xc0 | (c >> 6));
		bytes[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		bytes[0] = (char)(0xe0 | (c >> 12));
		bytes[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		bytes[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		bytes[0] = (char)(0xf0 | (c >> 18));
		bytes[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		bytes[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		bytes[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buffer_append(out, bytes, n);
}

static int
is_xml_char(unsigned c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	    (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* "&#..." at tree->at (htmlParseCharRef): the character, 0 when invalid. */
static unsigned
char_reference(struct tree *tree)
{
	unsigned value = 0;
	int hex = tree->end - tree->at > 2 && (tree->at[2] == 'x' || tree->at[2] == 'X');

	tree->at += hex ? 3 : 2;
	while (tree->at < tree->end && *tree->at != ';') {
		unsigned char c = *tree->at;
		unsigned digit;

		if (tree_is_digit(c))
			digit = (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			digit = (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			digit = (unsigned)(c - 'A' + 10);
		else
			break;
		if (value < 0x110000)
			value = value * (hex ? 16 : 10) + digit;
		tree->at++;
	}
	if (tree->at < tree->end && *tree->at == ';')
		tree->at++;
	return is_xml_char(value) ? value : 0;
}

/*
 * A reference at tree->at ('&') into out, libxml2's way (htmlParseReference in text,
 * htmlParseHTMLAttribute in values). Returns -1 (and fails the tree) where it cannot follow.
 * *valid is 0 for a character reference that gave nothing.
 */
int
tree_reference(struct tree *tree, struct buffer *out, int *valid)
{
	const unsigned char *name, *at;
	const htmlEntityDesc *entity;
	char copy[NAME_MAX_CHARS + 1];

	*valid = 1;
	if (tree->end - tree->at > 1 && tree->at[1] == '#') {
		unsigned c = char_reference(tree);

		if (c == 0)
			*valid = 0;
		else
			put_utf8(out, c);
		return 0;
	}
	name = at = ++tree->at;
	if (at < tree->end && *at >= 0x80)
		return tree->failed = 1, -1;
	if (at == tree->end || !(tree_is_letter(*at) || *at == '_' || *at == ':')) {
		buffer_append(out, "&", 1);
		return 0;
	}
	while (at < tree->end && (tree_is_letter(*at) || tree_is_digit(*at) || *at == '_' || *at == '-' ||
	    *at == ':' || *at == '.'))
		at++;
	if (at == tree->end) {
		buffer_append(out, "&", 1);	/* no name at the end of the input */
		return 0;
	}
	if (*at >= 0x80 || *at == 0 || (size_t)(at - name) > NAME_MAX_CHARS)
		return tree->failed = 1, -1;
	tree->at = at;
	memcpy(copy, name, (size_t)(at - name));
	copy[at - name] = '\0';
	if (*at == ';' && (entity = htmlEntityLookup((const xmlChar *)copy)) != NULL &&
	    entity->value > 0) {
		tree->at++;
		put_utf8(out, entity->value);
		return 0;
	}
	if (*at == ';' && htmlEntityLookup((const xmlChar *)copy) != NULL)
		tree->at++;	/* an entity of value 0: ';' read, nothing given */
	buffer_append(out, "&", 1);
	buffer_append(out, copy, (size_t)(at - name));
	return 0;
}

/*
 * An HTML name at tree->at, lower-cased (htmlParseHTMLName); NULL when none or not ours (an
 * element's name with '.' or ':', which libxml2 reads differently).
 */
const xmlChar *
tree_html_name(struct tree *tree, int element)
{
	char name[NAME_MAX_CHARS];
	size_t length = 0;

	if (tree->at >= tree->end || !(tree_is_letter(*tree->at) || *tree->at == '_' ||
	    *tree->at == ':' || *tree->at == '.'))
		return NULL;
	while (tree->at < tree->end && (tree_is_letter(*tree->at) || tree_is_digit(*tree->at) ||
	    *tree->at == '-' || *tree->at == '_' || *tree->at == ':' || *tree->at == '.')) {
		if (length == NAME_MAX_CHARS - 1 || (element && *tree->at == '.')) {
			tree->failed = 1;
			return NULL;
		}
		name[length++] = (char)(*tree->at >= 'A' && *tree->at <= 'Z' ? *tree->at + 0x20 :
		    *tree->at);
		tree->at++;
	}
	return tree_intern(tree, name, length);
}

/*
 * An attribute value (htmlParseAttValue) into attribute: the input's bytes when it holds no
 * reference, else decoded into tree->values, up to a "&#0;" (libxml2 writes a NUL there).
 * -1 (and failed) when not ours.
 */
static int
attribute_value(struct tree *tree, struct attribute *attribute)
{
	const unsigned char *start;
	unsigned char stop = 0;
	size_t cut = SIZE_MAX, offset = tree->values.length;
	int decoded = 0, valid;

	if (tree->at < tree->end && (*tree->at == '"' || *tree->at == '\''))
		stop = *tree->at++;
	start = tree->at;
	while (tree->at < tree->end && *tree->at != stop) {
		const unsigned char *run = tree->at;

		if (stop == 0 && (*tree->at == '>' || tree_is_blank(*tree->at)))
			break;
		if (*tree->at == '&') {
			if (!decoded)
				buffer_append(&tree->values, start, (size_t)(tree->at - start));
			decoded = 1;
			if (tree_reference(tree, &tree->values, &valid) < 0)
				return -1;
			if (!valid && cut == SIZE_MAX)
				cut = tree->values.length - offset;
			continue;
		}
		while (tree->at < tree->end && *tree->at != stop && *tree->at != '&' &&
		    !(stop == 0 && (*tree->at == '>' || tree_is_blank(*tree->at))))
			tree->at++;
		if (decoded)
			buffer_append(&tree->values, run, (size_t)(tree->at - run));
	}
	attribute->decoded = decoded;
	attribute->raw = (const char *)start;
	attribute->offset = offset;
	attribute->length = decoded ? tree->values.length - offset : (size_t)(tree->at - start);
	if (cut < attribute->length)
		attribute->length = cut;
	if (stop != 0) {
		if (tree->at == tree->end)
			return tree->failed = 1, -1;
		tree->at++;
	}
	return 0;
}

static int
at_tag_end(const struct tree *tree)
{
	return tree->at >= tree->end || *tree->at == '>' ||
	    (*tree->at == '/' && tree->end - tree->at > 1 && tree->at[1] == '>');
}

/* The attributes of a start tag up to its end (htmlParseStartTag's loop). */
size_t
tree_read_attributes(struct tree *tree, struct attribute *attributes)
{
	size_t count = 0;

	buffer_reset(&tree->values);
	tree_skip_blanks(tree);
	while (!tree->failed && !at_tag_end(tree)) {
		const xmlChar *name = tree_html_name(tree, 0);
		struct attribute attribute = { .name = name };
		size_t i;

		if (name == NULL) {
			while (!tree->failed && !at_tag_end(tree) && !tree_is_blank(*tree->at))
				tree->at++;
			tree_skip_blanks(tree);
			continue;
		}
		tree_skip_blanks(tree);
		if (tree->at < tree->end && *tree->at == '=') {
			tree->at++;
			tree_skip_blanks(tree);
			attribute.has_value = 1;
			if (attribute_value(tree, &attribute) < 0)
				break;
		}
		for (i = 0; i < count && attributes[i].name != name; i++)
			;
		if (count == MAX_ATTRIBUTES)
			tree->failed = 1;
		else if (i == count)	/* the first of a name wins */
			attributes[count++] = attribute;
		tree_skip_blanks(tree);
	}
	return count;
}

/* Any byte libxml2 would not take as it is: not UTF-8, NUL and control characters. */
int
tree_plain_utf8(const unsigned char *at, const unsigned char *end)
{
	while (at < end) {
		unsigned char c = *at;
		uint64_t word;

		if (end - at >= 8) {	/* eight printable ASCII bytes at once */
			memcpy(&word, at, 8);
			if (((word | ((word - 0x2020202020202020ULL) & ~word)) &
			    0x8080808080808080ULL) == 0) {
				at += 8;
				continue;
			}
		}
		if (c >= 0x20 && c < 0x80) {
			at++;
			continue;
		}
		if (c < 0x80) {
			if (c != '\t' && c != '\n' && c != '\r')
				return 0;
			at++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf && end - at > 1 && (at[1] & 0xc0) == 0x80) {
			at += 2;
			continue;
		}
		if (c >= 0xe0 && c <= 0xef && end - at > 2 && (at[1] & 0xc0) == 0x80 &&
		    (at[2] & 0xc0) == 0x80) {
			unsigned value = ((c & 0xfu) << 12) | ((at[1] & 0x3fu) << 6) |
			    (at[2] & 0x3fu);

			if (value < 0x800 || (value >= 0xd800 && value <= 0xdfff) ||
			    value == 0xfffe || value == 0xffff)
				return 0;
			at += 3;
			continue;
		}
		if (c >= 0xf0 && c <= 0xf4 && end - at > 3 && (at[1] & 0xc0) == 0x80 &&
		    (at[2] & 0xc0) == 0x80 && (at[3] & 0xc0) == 0x80) {
			unsigned value = ((c & 0x7u) << 18) | ((at[1] & 0x3fu) << 12) |
			    ((at[2] & 0x3fu) << 6) | (at[3] & 0x3fu);

			if (value < 0x10000 || value > 0x10ffff)
				return 0;
			at += 4;
			continue;
		}
		return 0;
	}
	return 1;
}

/* No quoted literal of a doctype may hold its '>' (libxml2 reads literals whole). */
int
tree_even_quotes(const unsigned char *at, const unsigned char *end)
{
	size_t double_quotes = 0, single_quotes = 0;

	for (; at < end; at++) {
		double_quotes += *at == '"';
		single_quotes += *at == '\'';
	}
	return double_quotes % 2 == 0 && single_quotes % 2 == 0;
}

