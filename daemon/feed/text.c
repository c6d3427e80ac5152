/*
 * text.c - small text helpers of the feed parser: HTML escaping, plain text to HTML,
 * trimming, author names as feeds write them, URL resolution (of links, and of href/src
 * attributes inside HTML content), and the hand-off of a finished item to the caller.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int
is_email_local(char character)
{
	return isalnum((unsigned char)character) || strchr("_-.+", character) != NULL;
}

static int
is_email_domain(char character)
{
	return isalnum((unsigned char)character) || character == '-' || character == '.';
}

/* The span of the first e-mail address in text (as feedparser finds one), 0 when none. */
static size_t
find_email(const char *text, const char **start)
{
	for (const char *at = strchr(text, '@'); at != NULL; at = strchr(at + 1, '@')) {
		const char *left = at, *right = at + 1;

		while (left > text && is_email_local(left[-1]))
			left--;
		while (is_email_domain(*right))
			right++;
		while (right > at + 1 && right[-1] == '.')
			right--;
		if (left < at && memchr(at, '.', (size_t)(right - at)) != NULL) {
			*start = left;
			return (size_t)(right - left);
		}
	}
	return 0;
}

/* Remove every occurrence of pair ("()", "<>") from text, in place. */
static void
remove_pair(char *text, const char *pair)
{
	char *found;

	while ((found = strstr(text, pair)) != NULL)
		memmove(found, found + 2, strlen(found + 2) + 1);
}

/* "jo@example.com (Jo Smith)", "Jo Smith <jo@example.com>": name and e-mail apart. */
void
feed_split_author(const char *raw, char **name, char **email)
{
	char *text = feed_trim(raw), *rest;
	const char *start;
	size_t length;

	*name = *email = NULL;
	if (text == NULL)
		return;
	if ((length = find_email(text, &start)) > 0) {
		*email = xstrndup(start, length);
		memmove((char *)start, start + length, strlen(start + length) + 1);
		if (start - text >= 7 && strncasecmp(start - 7, "mailto:", 7) == 0)
			memmove((char *)start - 7, start, strlen(start) + 1);
		remove_pair(text, "()");
		remove_pair(text, "<>");
	}
	rest = feed_trim(text);
	if (rest != NULL && length > 0 && rest[0] == '(')
		memmove(rest, rest + 1, strlen(rest));
	if (rest != NULL && length > 0 && rest[0] != '\0' && rest[strlen(rest) - 1] == ')')
		rest[strlen(rest) - 1] = '\0';
	*name = feed_trim(rest);
	free(rest);
	free(text);
}

void
feed_add_author(struct article *item, const char *raw)
{
	char *name, *email;

	feed_split_author(raw, &name, &email);
	article_add_person(item, name, email, NULL);
	free(name);
	free(email);
}

/* Non-ASCII bytes (an IRI's UTF-8) and spaces percent-encoded (RFC 3987 3.1). */
static char *
iri_to_uri(char *reference)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buffer out = { 0 };

	for (const unsigned char *at = (const unsigned char *)reference; *at != '\0'; at++) {
		char escaped[3] = { '%', hex[*at >> 4], hex[*at & 15] };

		if (*at >= 0x80 || *at == ' ')
			buffer_append(&out, escaped, 3);
		else
			buffer_append(&out, (const char *)at, 1);
	}
	free(reference);
	return buffer_steal(&out);
}

/* The reference has a scheme: it is absolute, and RFC 3986 5.2.2 takes it as it is. */
static int
is_absolute(const char *reference)
{
	const char *at = reference;

	if (!isalpha((unsigned char)*at))
		return 0;
	while (isalnum((unsigned char)*at) || *at == '+' || *at == '-' || *at == '.')
		at++;
	return *at == ':';
}

char *
feed_resolve(const char *base, const char *reference)
{
	char *trimmed = feed_trim(reference);
	char *resolved;

	if (trimmed == NULL)
		return NULL;
	trimmed = iri_to_uri(trimmed);
	if (base == NULL || is_absolute(trimmed) || (resolved = url_resolve(base, trimmed)) == NULL)
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
	article_set(&item->feed_language, meta->language);
	if (feed_url != NULL)
		article_set(&item->feed_url, feed_url);
	article_assign_id(item);
	meta->item_count++;
	return on_item(item, context) != 0;
}

/* Attributes whose value is a URL, in the HTML feeds carry. */
static int
is_url_attribute(const char *name, size_t length)
{
	static const char *const names[] = { "href", "src", "poster", "cite", "longdesc",
	    "background", "action" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == length && strncasecmp(name, names[i], length) == 0)
			return 1;
	return 0;
}

/* An absolute reference (scheme:...), a fragment, or nothing: left as it is. */
static int
needs_resolving(const char *value, size_t length)
{
	size_t i = 0;

	if (length == 0 || value[0] == '#')
		return 0;
	while (i < length && (isalnum((unsigned char)value[i]) || value[i] == '+' ||
	    value[i] == '-' || value[i] == '.'))
		i++;
	return !(i > 0 && i < length && value[i] == ':' && isalpha((unsigned char)value[0]));
}

/* Append the value resolved against base, &amp; read as & and written back as &amp;. */
static void
append_resolved(struct buffer *out, const char *value, size_t length, const char *base)
{
	struct buffer raw = { 0 };
	char *resolved;

	for (size_t i = 0; i < length; i++) {
		if (strncmp(value + i, "&amp;", 5) == 0 && i + 5 <= length) {
			buffer_append(&raw, "&", 1);
			i += 4;
		} else
			buffer_append(&raw, value + i, 1);
	}
	resolved = url_resolve(base, raw.data != NULL ? raw.data : "");
	if (resolved != NULL) {
		for (const char *cursor = resolved; *cursor != '\0'; cursor++) {
			if (*cursor == '&')
				buffer_append_string(out, "&amp;");
			else if (*cursor == '"')
				buffer_append_string(out, "%22");
			else
				buffer_append(out, cursor, 1);
		}
	} else
		buffer_append(out, value, length);
	free(resolved);
	buffer_free(&raw);
}

/*
 * The rewritten HTML, made lazily: `out` stays empty while every URL attribute reads as it
 * would be written (double-quoted, nothing to resolve), which is the common case; at the
 * first one that changes, the text up to it is copied, and from then on what lies between.
 */
struct rewrite {
	struct buffer	 out;
	const char	*copied;	/* the input before this is in out (or unchanged) */
};

/* Replace input [from, to) with the bytes of with, unless they are the same already. */
static void
rewrite_span(struct rewrite *rewrite, const char *from, const char *to,
    const struct buffer *with)
{
	size_t length = (size_t)(to - from);

	if (with->length == length && memcmp(from, with->data, length) == 0)
		return;
	buffer_append(&rewrite->out, rewrite->copied, (size_t)(from - rewrite->copied));
	buffer_append(&rewrite->out, with->data, with->length);
	rewrite->copied = to;
}

/*
 * One URL attribute's value, from just after its '=' (at), as it is written: in double
 * quotes, resolved against base when relative. Returns the position after the value.
 */
static const char *
rewrite_value(struct rewrite *rewrite, const char *at, const char *end, const char *base)
{
	char quote = *at == '"' || *at == '\'' ? *at : 0;
	const char *value = quote ? at + 1 : at, *value_end = value;
	struct buffer written = { 0 };

	if (quote)	/* a quoted value (the common case) ends at its quote: memchr finds it */
		value_end = (value_end = memchr(value, quote, (size_t)(end - value))) != NULL ?
		    value_end : end;
	else
		while (value_end < end && !isspace((unsigned char)*value_end))
			value_end++;
	if (quote == '"' && value_end < end &&
	    !needs_resolving(value, (size_t)(value_end - value)))
		return value_end + 1;	/* written as it would be written: nothing to copy */
	buffer_append(&written, "\"", 1);
	if (needs_resolving(value, (size_t)(value_end - value)))
		append_resolved(&written, value, (size_t)(value_end - value), base);
	else
		buffer_append(&written, value, (size_t)(value_end - value));
	buffer_append(&written, "\"", 1);
	at = quote && value_end < end ? value_end + 1 : value_end;
	rewrite_span(rewrite, value - (quote ? 1 : 0), at, &written);
	buffer_free(&written);
	return at;
}

/* One tag starting at '<', its URL attributes resolved; returns the position after. */
static const char *
resolve_tag(struct rewrite *rewrite, const char *cursor, const char *base)
{
	const char *end = strchr(cursor, '>');

	if (end == NULL)
		end = cursor + strlen(cursor);
	if (memchr(cursor, '=', (size_t)(end - cursor)) == NULL)
		return end;	/* no attribute with a value: <p>, </a>, <br/> */
	while (cursor < end) {
		const char *name = cursor;
		size_t name_length = 0;

		if (!isalpha((unsigned char)*cursor) || !isspace((unsigned char)cursor[-1])) {
			/* up to the next attribute name, in one piece */
			cursor++;
			while (cursor < end && (!isalpha((unsigned char)*cursor) ||
			    !isspace((unsigned char)cursor[-1])))
				cursor++;
			continue;
		}
		while (name + name_length < end && (isalnum((unsigned char)name[name_length]) ||
		    name[name_length] == '-'))
			name_length++;
		cursor = name + name_length;
		if (cursor >= end || *cursor != '=' || !is_url_attribute(name, name_length))
			continue;
		cursor = rewrite_value(rewrite, cursor + 1, end, base);
	}
	return end;
}

char *
feed_html_resolve(char *html, const char *base)
{
	struct rewrite rewrite = { .copied = html };
	const char *cursor = html;

	if (html == NULL || base == NULL || strchr(html, '<') == NULL)
		return html;
	while ((cursor = strchr(cursor, '<')) != NULL) {
		if (!isalpha((unsigned char)cursor[1]))
			cursor++;
		else
			cursor = resolve_tag(&rewrite, cursor, base);
	}
	if (rewrite.out.data == NULL)
		return html;	/* nothing changed */
	buffer_append_string(&rewrite.out, rewrite.copied);
	free(html);
	return buffer_steal(&rewrite.out);
}
