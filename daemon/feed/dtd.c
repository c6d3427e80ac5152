/*
 * dtd.c - the internal DTD subset of a feed, read by the preparer (prepare.c) as it drops
 * the DOCTYPE: plain internal entities (<!ENTITY name "text">, the text without '&', '<' or
 * '%', or one character reference) are kept for the preparer to expand, as feedparser does,
 * at most FEED_DTD_ENTITIES of them and FEED_DTD_ENTITY_SIZE bytes each. Everything else is
 * refused and noted in problems: external entities (never loaded), parameter entities,
 * entities whose text names other entities (no recursion, no billion laughs), too many or
 * too big, a DOCTYPE past FEED_DTD_READ_MAX bytes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "feed_internal.h"

static int
is_entity_name_character(char character)
{
	return isalnum((unsigned char)character) || character == '_' || character == '-' ||
	    character == '.' || character == ':';
}

/* Plain text, or one character reference: what may be expanded. */
static int
is_safe_entity_text(const char *text, size_t length)
{
	if (length > 2 && text[0] == '&' && text[1] == '#' && text[length - 1] == ';') {
		for (size_t i = 2; i < length - 1; i++)
			if (!isalnum((unsigned char)text[i]))
				return 0;
		return 1;
	}
	for (size_t i = 0; i < length; i++)
		if (text[i] == '&' || text[i] == '<' || text[i] == '%')
			return 0;
	return 1;
}

/* The text escaped for an attribute value or character data. */
static char *
entity_replacement(const char *text, size_t length)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < length; i++) {
		if (text[i] == '"')
			buffer_append_string(&out, "&quot;");
		else if (text[i] == '\'')
			buffer_append_string(&out, "&apos;");
		else if (text[i] == '>')
			buffer_append_string(&out, "&gt;");
		else
			buffer_append(&out, text + i, 1);
	}
	return buffer_steal(&out);
}

/* One <!ENTITY ...> at text (after "<!ENTITY"): kept, or refused with the reason noted. */
static void
read_declaration(struct feed_dtd *dtd, const char *text)
{
	const char *name, *value, *end;
	size_t name_length;

	while (isspace((unsigned char)*text))
		text++;
	for (name = text; is_entity_name_character(*text); text++)
		;
	name_length = (size_t)(text - name);
	while (isspace((unsigned char)*text))
		text++;
	if (strncmp(text, "SYSTEM", 6) == 0 || strncmp(text, "PUBLIC", 6) == 0) {
		dtd->problems |= FEED_PROBLEM_EXTERNAL_ENTITY;
		return;
	}
	if (name_length == 0 || name_length >= 40 || (*text != '"' && *text != '\'') ||
	    (end = strchr(text + 1, *text)) == NULL) {
		dtd->problems |= FEED_PROBLEM_DTD_REFUSED;	/* parameter entity, or odd */
		return;
	}
	value = text + 1;
	if ((size_t)(end - value) > FEED_DTD_ENTITY_SIZE ||
	    !is_safe_entity_text(value, (size_t)(end - value)) ||
	    dtd->count == FEED_DTD_ENTITIES) {
		dtd->problems |= FEED_PROBLEM_DTD_REFUSED;
		return;
	}
	dtd->entities[dtd->count].name = xstrndup(name, name_length);
	dtd->entities[dtd->count++].value =
	    entity_replacement(value, (size_t)(end - value));
}

void
feed_dtd_append(struct feed_dtd *dtd, char character)
{
	if (dtd->text.length < FEED_DTD_READ_MAX)
		buffer_append(&dtd->text, &character, 1);
}

void
feed_dtd_finish(struct feed_dtd *dtd)
{
	const char *text;

	buffer_append(&dtd->text, "", 0);
	text = dtd->text.data;
	if (dtd->text.length >= FEED_DTD_READ_MAX)
		dtd->problems |= FEED_PROBLEM_DTD_REFUSED;
	for (const char *at = text != NULL ? strstr(text, "<!ENTITY") : NULL; at != NULL;
	    at = strstr(at + 8, "<!ENTITY"))
		read_declaration(dtd, at + 8);
	buffer_free(&dtd->text);
}

const char *
feed_dtd_entity(const struct feed_dtd *dtd, const char *name)
{
	for (size_t i = 0; i < dtd->count; i++)
		if (strcmp(dtd->entities[i].name, name) == 0)
			return dtd->entities[i].value;
	return NULL;
}

void
feed_dtd_clear(struct feed_dtd *dtd)
{
	for (size_t i = 0; i < dtd->count; i++) {
		free(dtd->entities[i].name);
		free(dtd->entities[i].value);
	}
	buffer_free(&dtd->text);
	memset(dtd, 0, sizeof *dtd);
}

