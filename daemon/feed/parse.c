/*
 * parse.c - feed_parse(): decode, detect the format from the content, and dispatch.
 *
 * The body is decoded (encoding.c) and prepared (prepare.c) a chunk at a time. Every form of
 * entity loading is off (no XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_HUGE;
 * XML_PARSE_NONET). A body of at most FEED_TREE_MAX_BYTES is prepared whole and goes through
 * libxml2's push parser in large blocks, its large CDATA sections lifted out (cdata.c), into a
 * tree, walked once it is complete and well-formed (tree.c). Any other (larger, or with
 * a well-formedness error) streams through xmlTextReader with recovery on, one item expanded
 * at a time (stream.c). What the root and each element mean is xmldoc.c's. Only the start of
 * the decoded text is looked at here (feed_decoder_peek), to tell XML from JSON and a feed
 * from an HTML page. JSON Feed is read whole by jansson (jsonfeed.c).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmlparse.h"


void
feed_set_error(char *error, size_t error_size, const char *format, ...)
{
	va_list args;

	if (error == NULL || error_size == 0)
		return;
	va_start(args, format);
	vsnprintf(error, error_size, format, args);
	va_end(args);
}

void
feed_meta_free(struct feed_meta *meta)
{
	if (meta == NULL)
		return;
	free(meta->title);
	free(meta->link);
	free(meta->format);
	free(meta->language);
	free(meta->subtitle);
	free(meta->image);
	free(meta->generator);
	article_person_list_free(meta->authors, meta->author_count);
	memset(meta, 0, sizeof(*meta));
}

/*
 * What comes first after the prolog: "<!DOCTYPE html" or <html> means an HTML page (1).
 * text holds length decoded bytes, all of the rest when complete (then NUL-terminated);
 * -1 when more is needed to tell.
 */
static int
html_verdict(const char *text, size_t length, int complete, size_t *offset)
{
	size_t cursor = 0, name;

	for (;;) {
		while (cursor < length && isspace((unsigned char)text[cursor]))
			cursor++;
		if (cursor + 4 > length && !complete)
			return -1;
		if (strncmp(text + cursor, "<?", 2) == 0 || strncmp(text + cursor, "<!--", 4) == 0) {
			const char *marker = text[cursor + 1] == '?' ? "?>" : "-->";
			const char *end = memmem(text + cursor, length - cursor, marker,
			    strlen(marker));

			if (end == NULL)
				return complete ? 0 : -1;
			cursor = (size_t)(end - text) + 2;
			continue;
		}
		break;
	}
	*offset = cursor;
	if (cursor + 9 > length && !complete)
		return -1;
	if (strncasecmp(text + cursor, "<!DOCTYPE", 9) == 0) {
		name = cursor + 9;
		while (name < length && isspace((unsigned char)text[name]))
			name++;
		if (name + 5 > length && !complete)
			return -1;
		return strncasecmp(text + name, "html", 4) == 0 &&
		    !isalnum((unsigned char)text[name + 4]);
	}
	if (cursor + 6 > length && !complete)
		return -1;
	return strncasecmp(text + cursor, "<html", 5) == 0 &&
	    !isalnum((unsigned char)text[cursor + 5]);
}

/* Decoded text from offset start on, at least want bytes of it unless it ends first. */
static const char *
peek_from(struct feed_decoder *decoder, size_t start, size_t want, size_t *length,
    int *complete)
{
	const char *text = feed_decoder_peek(decoder, start + want, length, complete);

	*length -= start;
	return text + start;
}

/*
 * Bytes before the XML declaration to drop (blank lines, often); 0 when the first markup is
 * something else (other leading blank lines keep line numbers).
 */
static size_t
xml_leading_junk(const char *text, size_t length)
{
	const char *first_markup = memchr(text, '<', length);

	if (first_markup != NULL && length - (size_t)(first_markup - text) >= 5 &&
	    strncmp(first_markup, "<?xml", 5) == 0)
		return (size_t)(first_markup - text);
	return 0;
}

/* An HTML page (-1 with error), else the number of decoded bytes before the XML starts. */
static long long
xml_start(struct feed_decoder *decoder, size_t start, char *error, size_t error_size)
{
	size_t want = 4096, length, html_offset = 0;
	const char *text;
	int complete, verdict;

	for (;;) {
		text = peek_from(decoder, start, want, &length, &complete);
		if ((verdict = html_verdict(text, length, complete, &html_offset)) >= 0)
			break;
		want *= 2;
	}
	if (verdict == 1) {
		feed_set_error(error, error_size, "line %zu: HTML page, not a feed",
		    feed_line_of(text, html_offset));
		return -1;
	}
	/* html_verdict looked at least 6 bytes past the first '<' */
	return (long long)(start + xml_leading_junk(text, length));
}

/* What parse_xml returns once the document is walked (status: walk's, or -2 for no feed). */
static int
finish_xml(struct xml_run *run, int status, struct feed_meta *meta, char *error,
    size_t error_size)
{
	if (status == -2)
		return -1;
	if (!run->have_root) {
		if (run->first_error[0] != '\0')
			feed_set_error(error, error_size, "line %d: not a feed: %s",
			    run->first_error_line, run->first_error);
		else
			feed_set_error(error, error_size, "line 1: not a feed: no root element");
		return -1;
	}
	if (status < 0 && meta->item_count == 0 && meta->title == NULL) {
		feed_set_error(error, error_size, "line %d: unrecoverable XML error: %s",
		    run->first_error_line, run->first_error);
		return -1;
	}
	if (run->first_error[0] != '\0')
		feed_set_error(error, error_size, "line %d: recovered: %s", run->first_error_line,
		    run->first_error);
	return 0;
}

static int
parse_xml(struct xml_source *source, struct feed_decoder *decoder, size_t start,
    const char *feed_url, struct feed_meta *meta, feed_item_fn on_item, void *context,
    char *error, size_t error_size)
{
	struct xml_run run = { .on_item = on_item, .context = context };
	long long skip;
	int status;

	if ((skip = xml_start(decoder, start, error, error_size)) < 0) {
		meta->problems |= FEED_PROBLEM_HTML_NOT_FEED;
		return -1;
	}
	source->skip = (size_t)skip;
	feed_decoder_skip(decoder, source->skip);
	run.feed.feed_url = feed_url;
	run.feed.meta = meta;
	if (source->size <= FEED_TREE_MAX_BYTES) {
		if ((status = feed_parse_tree(&run, decoder, source->size, feed_url,
		    error, error_size)) != FEED_TREE_BROKEN)
			return finish_xml(&run, status, meta, error, error_size);
		decoder = NULL;		/* the stream decodes the body again */
	}
	if ((status = feed_parse_stream(&run, source, decoder, error, error_size)) ==
	    FEED_STREAM_FAILED)
		return -1;
	return finish_xml(&run, status, meta, error, error_size);
}

/* Free items nobody asked for. */
static int
discard_item(struct article *item, void *context)
{
	(void)context;
	article_free(item);
	return 0;
}

/*
 * Where the document starts in the decoded text: '<' or '{' after whitespace, else a feed
 * root a little later. 0 with *start; -1 when there is none (*blank: only whitespace).
 */
static int
document_start(struct feed_decoder *decoder, size_t *start, int *blank)
{
	static const char *const markers[] = { "<?xml", "<rss", "<feed", "<rdf:RDF", "<RDF" };
	size_t want = 4096 + 16, length, cursor;
	const char *text;
	int complete;

	for (;;) {
		text = feed_decoder_peek(decoder, want, &length, &complete);
		cursor = 0;
		while (cursor < length && isspace((unsigned char)text[cursor]))
			cursor++;
		if (cursor < length || complete)
			break;
		want *= 2;
	}
	*blank = cursor == length;
	*start = 0;
	if (cursor < length && text[cursor] == '<')
		return 0;	/* leading blank lines count in line numbers */
	if (cursor < length && (text[cursor] == '{' || text[cursor] == '[')) {
		*start = cursor;
		return 0;
	}
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		size_t marker_length = strlen(markers[i]);
		size_t limit = length < 4095 + marker_length ? length : 4095 + marker_length;
		const char *found = memmem(text, limit, markers[i], marker_length);

		if (found != NULL) {
			*start = (size_t)(found - text);
			return 0;
		}
	}
	return -1;
}

int
feed_parse(const char *data, size_t size, const char *feed_url, const char *content_type,
    struct feed_meta *meta, feed_item_fn on_item, void *context,
    char *error, size_t error_size)
{
	struct xml_source source = { data, size, content_type, 0 };
	struct feed_meta local_meta;
	struct feed_decoder *decoder;
	size_t start, length;
	const char *first;
	char *text;
	int result, blank, complete;

	if (meta == NULL)
		meta = &local_meta;
	memset(meta, 0, sizeof(*meta));
	if (on_item == NULL)
		on_item = discard_item;
	feed_set_error(error, error_size, "%s", "");
	if (data == NULL || size == 0) {
		feed_set_error(error, error_size, "line 1: empty document");
		return -1;
	}
	decoder = feed_decoder_new(data, size, content_type);
	if (document_start(decoder, &start, &blank) < 0) {
		feed_set_error(error, error_size, blank ? "line 1: empty document" :
		    "line 1: not a feed: neither XML nor JSON");
		result = -1;
	} else if ((first = peek_from(decoder, start, 1, &length, &complete))[0] == '{' ||
	    first[0] == '[') {
		feed_decoder_skip(decoder, start);
		text = feed_decoder_rest(decoder, &length);
		result = feed_parse_json(text, length, feed_url, meta, on_item, context, error,
		    error_size);
		meta->problems |= feed_decoder_problems(decoder);
		free(text);
	} else
		result = parse_xml(&source, decoder, start, feed_url, meta, on_item, context,
		    error, error_size);
	feed_decoder_free(decoder);
	if (meta == &local_meta)
		feed_meta_free(&local_meta);
	return result;
}
