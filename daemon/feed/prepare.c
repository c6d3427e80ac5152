/*
 * prepare.c - the pass over decoded XML that runs before libxml2 sees it.
 *
 * It makes the parser safe and real-world feeds parseable:
 *  - the DOCTYPE is removed (its newlines kept, so line numbers hold): no entity can be declared,
 *    so none can be expanded, external or recursive (billion laughs, XXE);
 *  - HTML 4 named entities (&nbsp; &mdash; &eacute; ...) become numeric character references,
 *    numeric references to C1 code points are read as windows-1252 (&#146; is a quote), and
 *    references to characters XML forbids become U+FFFD;
 *  - a bare '&' or an unknown entity becomes &amp; and a '<' that cannot start markup &lt;;
 *  - unclosed HTML void elements (<br>, <img>) in unescaped descriptions are closed;
 *  - anything before the XML declaration (blank lines, often) is dropped.
 * Comments, CDATA sections and processing instructions are copied untouched.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>

#include "feed_internal.h"

static const unsigned short windows_1252_c1[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178
};

struct scan {
	const char	*text;
	size_t		 length;
	size_t		 position;
	struct buffer	 out;
};

static int
starts_with(const struct scan *scan, const char *prefix)
{
	size_t prefix_length = strlen(prefix);

	return scan->length - scan->position >= prefix_length &&
	    memcmp(scan->text + scan->position, prefix, prefix_length) == 0;
}

/* Copy through the end marker (or to the end of the text). */
static void
copy_through(struct scan *scan, const char *end_marker)
{
	const char *start = scan->text + scan->position;
	const char *found = memmem(start, scan->length - scan->position, end_marker,
	    strlen(end_marker));
	size_t count = found != NULL ? (size_t)(found - start) + strlen(end_marker) :
	    scan->length - scan->position;

	buffer_append(&scan->out, start, count);
	scan->position += count;
}

/* Skip <!DOCTYPE ...[...]>, keeping only its newlines. */
static void
skip_doctype(struct scan *scan)
{
	int bracket_depth = 0;
	char quote = 0;

	while (scan->position < scan->length) {
		char character = scan->text[scan->position++];

		if (character == '\n')
			buffer_append(&scan->out, "\n", 1);
		if (quote != 0) {
			if (character == quote)
				quote = 0;
		} else if (character == '"' || character == '\'')
			quote = character;
		else if (character == '[')
			bracket_depth++;
		else if (character == ']' && bracket_depth > 0)
			bracket_depth--;
		else if (character == '>' && bracket_depth == 0)
			return;
	}
}

static int
is_xml_char(unsigned long codepoint)
{
	return codepoint == 0x9 || codepoint == 0xA || codepoint == 0xD ||
	    (codepoint >= 0x20 && codepoint <= 0xD7FF) ||
	    (codepoint >= 0xE000 && codepoint <= 0xFFFD) ||
	    (codepoint >= 0x10000 && codepoint <= 0x10FFFF);
}

/* &#...; : returns the length consumed, 0 if this is not a character reference. */
static size_t
character_reference(struct scan *scan)
{
	const char *start = scan->text + scan->position;
	size_t available = scan->length - scan->position;
	size_t index = 2, digits = 0;
	unsigned long codepoint = 0;
	int hex = 0;

	if (available > 2 && (start[2] == 'x' || start[2] == 'X')) {
		hex = 1;
		index = 3;
	}
	while (index < available && digits < 8 && (hex ? isxdigit((unsigned char)start[index]) :
	    isdigit((unsigned char)start[index]))) {
		int value = isdigit((unsigned char)start[index]) ? start[index] - '0' :
		    tolower((unsigned char)start[index]) - 'a' + 10;

		codepoint = codepoint * (hex ? 16 : 10) + (unsigned long)value;
		index++;
		digits++;
	}
	if (digits == 0)
		return 0;
	if (index < available && start[index] == ';')
		index++;
	if (codepoint >= 0x80 && codepoint <= 0x9F)
		codepoint = windows_1252_c1[codepoint - 0x80];
	if (!is_xml_char(codepoint))
		codepoint = 0xFFFD;
	buffer_printf(&scan->out, "&#%lu;", codepoint);
	return index;
}

static void
fix_entity(struct scan *scan)
{
	static const char *const xml_entities[] = { "amp", "lt", "gt", "quot", "apos" };
	const char *start = scan->text + scan->position;
	size_t available = scan->length - scan->position;
	size_t name_length = 0;
	char name[40];
	const htmlEntityDesc *entity;

	if (available > 1 && start[1] == '#') {
		size_t consumed = character_reference(scan);

		if (consumed > 0) {
			scan->position += consumed;
			return;
		}
	}
	while (1 + name_length < available && name_length < sizeof(name) - 1 &&
	    isalnum((unsigned char)start[1 + name_length])) {
		name[name_length] = start[1 + name_length];
		name_length++;
	}
	name[name_length] = '\0';
	if (name_length > 0 && 1 + name_length < available && start[1 + name_length] == ';') {
		for (size_t i = 0; i < sizeof(xml_entities) / sizeof(xml_entities[0]); i++) {
			if (strcmp(name, xml_entities[i]) == 0) {
				buffer_append(&scan->out, start, name_length + 2);
				scan->position += name_length + 2;
				return;
			}
		}
		if ((entity = htmlEntityLookup((const xmlChar *)name)) != NULL) {
			buffer_printf(&scan->out, "&#%u;", entity->value);
			scan->position += name_length + 2;
			return;
		}
	}
	buffer_append_string(&scan->out, "&amp;");
	scan->position++;
}

static int
is_name_start(char character)
{
	return isalpha((unsigned char)character) || character == '_' || character == ':' ||
	    (unsigned char)character >= 0x80;
}

/*
 * HTML void elements written unescaped in a description (<br>, <img ...>) are never closed,
 * which would swallow the rest of the item; no feed vocabulary uses these unprefixed names
 * (<link> is RSS's, so it is not among them).
 */
static int
is_html_void(const char *name, size_t length)
{
	static const char *const names[] = {
		"br", "hr", "img", "wbr", "input", "meta", "area", "col", "embed", "param",
		"source", "track"
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == length && strncasecmp(name, names[i], length) == 0)
			return 1;
	return 0;
}

/* Length of the tag name at position (after '<' or '</'). */
static size_t
tag_name_length(const struct scan *scan, size_t position)
{
	size_t length = 0;

	while (position + length < scan->length &&
	    (isalnum((unsigned char)scan->text[position + length]) ||
	    strchr("_:-.", scan->text[position + length]) != NULL))
		length++;
	return length;
}

/* A start or end tag: copied, with entities in attribute values fixed. */
static void
copy_tag(struct scan *scan)
{
	int end_tag = scan->text[scan->position + 1] == '/';
	size_t name_start = scan->position + 1 + (size_t)end_tag;
	int void_element = is_html_void(scan->text + name_start, tag_name_length(scan, name_start));
	char quote = 0;

	if (void_element && end_tag) {
		/* </br>: drop it, the start tag is closed already */
		const char *close = memchr(scan->text + scan->position, '>',
		    scan->length - scan->position);

		scan->position = close != NULL ? (size_t)(close - scan->text) + 1 : scan->length;
		return;
	}
	buffer_append(&scan->out, "<", 1);
	scan->position++;
	while (scan->position < scan->length) {
		char character = scan->text[scan->position];

		if (quote != 0) {
			if (character == '&') {
				fix_entity(scan);
				continue;
			}
			if (character == '<') {
				buffer_append_string(&scan->out, "&lt;");
				scan->position++;
				continue;
			}
			if (character == quote)
				quote = 0;
		} else if (character == '"' || character == '\'')
			quote = character;
		else if (character == '<')
			return;		/* an unclosed tag: let libxml2 recover */
		if (quote == 0 && character == '>' && void_element && scan->out.length > 0 &&
		    scan->out.data[scan->out.length - 1] != '/')
			buffer_append(&scan->out, "/", 1);
		buffer_append(&scan->out, &character, 1);
		scan->position++;
		if (quote == 0 && character == '>')
			return;
	}
}

static void
scan_markup(struct scan *scan)
{
	char next = scan->position + 1 < scan->length ? scan->text[scan->position + 1] : '\0';

	if (starts_with(scan, "<!--"))
		copy_through(scan, "-->");
	else if (starts_with(scan, "<![CDATA["))
		copy_through(scan, "]]>");
	else if (starts_with(scan, "<?"))
		copy_through(scan, "?>");
	else if (scan->length - scan->position >= 9 &&
	    strncasecmp(scan->text + scan->position, "<!DOCTYPE", 9) == 0)
		skip_doctype(scan);
	else if (is_name_start(next) || (next == '/' && scan->position + 2 < scan->length &&
	    is_name_start(scan->text[scan->position + 2])))
		copy_tag(scan);
	else {
		buffer_append_string(&scan->out, "&lt;");
		scan->position++;
	}
}

char *
feed_xml_prepare(const char *xml, size_t length, size_t *prepared_length)
{
	struct scan scan = { .text = xml, .length = length };
	const char *first_markup = memchr(xml, '<', length);

	/* only an XML declaration must come first; other leading blank lines keep line numbers */
	if (first_markup != NULL && strncmp(first_markup, "<?xml", 5) == 0)
		scan.position = (size_t)(first_markup - xml);
	while (scan.position < scan.length) {
		const char *start = scan.text + scan.position;
		size_t run = strcspn(start, "<&");

		if (run > scan.length - scan.position)
			run = scan.length - scan.position;
		buffer_append(&scan.out, start, run);
		scan.position += run;
		if (scan.position >= scan.length)
			break;
		if (scan.text[scan.position] == '<')
			scan_markup(&scan);
		else
			fix_entity(&scan);
	}
	*prepared_length = scan.out.length;
	return buffer_steal(&scan.out);
}
