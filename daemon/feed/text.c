/*
 * text.c - small text helpers of the feed parser: HTML escaping, plain text to HTML,
 * trimming, author names as feeds write them, URL resolution, and the hand-off of a
 * finished item to the caller.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../url.h"
#include "feed_internal.h"

void
feed_html_escape(struct buffer *buffer, const char *text, size_t length)
{
	size_t start = 0;

	for (size_t i = 0; i < length; i++) {
		const char *replacement;

		switch (text[i]) {
		case '&':	replacement = "&amp;"; break;
		case '<':	replacement = "&lt;"; break;
		case '>':	replacement = "&gt;"; break;
		case '"':	replacement = "&quot;"; break;
		default:	continue;
		}
		buffer_append(buffer, text + start, i - start);
		buffer_append_string(buffer, replacement);
		start = i + 1;
	}
	buffer_append(buffer, text + start, length - start);
}

char *
feed_text_to_html(const char *text)
{
	struct buffer html = { 0 };
	const char *cursor = text;

	while (*cursor != '\0') {
		const char *paragraph_end = strstr(cursor, "\n\n");
		size_t length = paragraph_end != NULL ? (size_t)(paragraph_end - cursor) :
		    strlen(cursor);
		const char *line = cursor;

		buffer_append_string(&html, "<p>");
		while (line < cursor + length) {
			const char *newline = memchr(line, '\n', (size_t)(cursor + length - line));
			size_t line_length = newline != NULL ? (size_t)(newline - line) :
			    (size_t)(cursor + length - line);

			feed_html_escape(&html, line, line_length);
			if (newline == NULL)
				break;
			buffer_append_string(&html, "<br>");
			line = newline + 1;
		}
		buffer_append_string(&html, "</p>");
		cursor += length;
		while (*cursor == '\n' || *cursor == '\r')
			cursor++;
	}
	return buffer_steal(&html);
}

char *
feed_trim(const char *text)
{
	size_t length;

	if (text == NULL)
		return NULL;
	while (isspace((unsigned char)*text))
		text++;
	length = strlen(text);
	while (length > 0 && isspace((unsigned char)text[length - 1]))
		length--;
	return length > 0 ? xstrndup(text, length) : NULL;
}

void
feed_set_once(char **field, const char *text)
{
	char *trimmed;

	if (*field != NULL || (trimmed = feed_trim(text)) == NULL)
		return;
	*field = trimmed;
}

/* "jo@example.com (Jo Smith)" -> "Jo Smith"; "Jo Smith <jo@example.com>" -> "Jo Smith". */
void
feed_add_author(struct strlist *authors, const char *raw)
{
	char *name = feed_trim(raw);
	char *open, *close, *cleaned;

	if (name == NULL)
		return;
	open = strchr(name, '(');
	close = open != NULL ? strrchr(open, ')') : NULL;
	if (open != NULL && close != NULL && memchr(name, '@', (size_t)(open - name)) != NULL) {
		*close = '\0';
		cleaned = feed_trim(open + 1);
	} else if ((open = strchr(name, '<')) != NULL && strchr(open, '@') != NULL &&
	    open > name) {
		*open = '\0';
		cleaned = feed_trim(name);
	} else if (name[0] == '<' || (open != NULL && open == name)) {
		cleaned = feed_trim(name + 1);
		if (cleaned != NULL && (close = strchr(cleaned, '>')) != NULL)
			*close = '\0';
	} else
		cleaned = xstrdup(name);
	if (cleaned != NULL && cleaned[0] != '\0')
		strlist_add_unique(authors, cleaned);
	free(cleaned);
	free(name);
}

char *
feed_resolve(const char *base, const char *reference)
{
	char *trimmed = feed_trim(reference);
	char *resolved;

	if (trimmed == NULL)
		return NULL;
	if (base == NULL || (resolved = url_resolve(base, trimmed)) == NULL)
		return trimmed;
	free(trimmed);
	return resolved;
}

size_t
feed_line_of(const char *text, size_t offset)
{
	size_t line = 1;

	for (size_t i = 0; i < offset && text[i] != '\0'; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

int
feed_deliver(struct article *item, const char *feed_url, struct feed_meta *meta,
    feed_item_fn on_item, void *context)
{
	article_set(&item->feed_title, meta->title);
	article_set(&item->feed_format, meta->format);
	if (feed_url != NULL)
		article_set(&item->feed_url, feed_url);
	article_assign_id(item);
	meta->item_count++;
	return on_item(item, context) != 0;
}
