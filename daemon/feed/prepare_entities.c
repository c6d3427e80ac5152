/*
 * prepare_entities.c - the XML pre-pass's entity and character references (prepare.c calls
 * it at every '&'): entities the internal DTD subset declares are expanded (dtd.c says which),
 * HTML 4 named entities (&nbsp; &mdash; &eacute; ...) become numeric character references,
 * numeric references to C1 code points are read as windows-1252 (&#146; is a quote), and
 * references to characters XML forbids become U+FFFD; HTML's legacy entities need no ';'
 * (&copy 2025), as HTML reads them, except before '='; a bare '&' or an unknown entity
 * becomes &amp;.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "prepare_internal.h"

#define ENTITY_LOOKAHEAD	48	/* '&' + 39 name characters + ';', or &#x + 8 digits + ';' */

static const unsigned short windows_1252_c1[32] = {
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178
};

/* "&#N;" */
static void
emit_reference(struct feed_preparer *preparer, unsigned long codepoint)
{
	char digits[24], reference[32];
	size_t count = 0, length = 0;

	do {
		digits[count++] = (char)('0' + codepoint % 10);
		codepoint /= 10;
	} while (codepoint > 0);
	reference[length++] = '&';
	reference[length++] = '#';
	while (count > 0)
		reference[length++] = digits[--count];
	reference[length++] = ';';
	emit(preparer, reference, length);
}

/* &#...; : returns the length consumed, 0 if this is not a character reference. */
static size_t
character_reference(struct feed_preparer *preparer, const char *start, size_t available)
{
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
	emit_reference(preparer, codepoint);
	return index;
}

static int
is_xml_entity(const char *name, size_t length)
{
	switch (length) {
	case 2:
		return memcmp(name, "lt", 2) == 0 || memcmp(name, "gt", 2) == 0;
	case 3:
		return memcmp(name, "amp", 3) == 0;
	case 4:
		return memcmp(name, "quot", 4) == 0 || memcmp(name, "apos", 4) == 0;
	}
	return 0;
}

/* At '&': an entity or character reference, kept or rewritten, or a bare '&' escaped. */
void
feed_preparer_fix_entity(struct feed_preparer *preparer)
{
	size_t available, name_length = 0, consumed;
	const char *start = feed_preparer_lookahead(preparer, ENTITY_LOOKAHEAD, &available);
	char name[40];
	const htmlEntityDesc *entity;
	const char *declared;

	if (available > 1 && start[1] == '#' &&
	    (consumed = character_reference(preparer, start, available)) > 0) {
		advance(preparer, consumed);
		return;
	}
	while (1 + name_length < available && name_length < sizeof(name) - 1 &&
	    isalnum((unsigned char)start[1 + name_length])) {
		name[name_length] = start[1 + name_length];
		name_length++;
	}
	name[name_length] = '\0';
	if (name_length > 0 && 1 + name_length < available && start[1 + name_length] == ';') {
		if (is_xml_entity(name, name_length)) {
			emit(preparer, start, name_length + 2);
			advance(preparer, name_length + 2);
			return;
		}
		if ((declared = feed_dtd_entity(&preparer->dtd, name)) != NULL) {
			emit_string(preparer, declared);
			advance(preparer, name_length + 2);
			return;
		}
		preparer->problems |= FEED_PROBLEM_UNDECLARED_ENTITY;
		if ((entity = htmlEntityLookup((const xmlChar *)name)) != NULL) {
			emit_reference(preparer, entity->value);
			advance(preparer, name_length + 2);
			return;
		}
	} else if (name_length > 0 && 1 + name_length < available &&
	    start[1 + name_length] != '=' && (entity = htmlEntityLookup((const xmlChar *)name)) &&
	    (entity->value >= 0xA0 ? entity->value <= 0xFF : entity->value < 0x80)) {
		/* HTML's legacy entities (Latin-1, &amp; &lt; ...) need no ';': "&copy 2025" */
		preparer->problems |= FEED_PROBLEM_UNDECLARED_ENTITY;
		emit_reference(preparer, entity->value);
		advance(preparer, name_length + 1);
		return;
	} else
		preparer->problems |= FEED_PROBLEM_BARE_AMPERSAND;
	emit_string(preparer, "&amp;");
	advance(preparer, 1);
}
