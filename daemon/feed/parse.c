/*
 * parse.c - feed_parse(): decode, detect the format from the content, and stream the items.
 *
 * The body is decoded (encoding.c) and prepared (prepare.c) a chunk at a time, straight into
 * libxml2: no decoded or prepared copy of the whole document exists. Every form of entity
 * loading is off (no XML_PARSE_NOENT, XML_PARSE_DTDLOAD or XML_PARSE_HUGE; XML_PARSE_NONET).
 * A body of at most TREE_MAX_BYTES goes through libxml2's push parser in large blocks into a
 * tree, walked once it is complete and well-formed (parse_tree). Any other (larger, or with a
 * well-formedness error) streams through xmlTextReader, fed by xmlReaderForIO from a read
 * callback, with recovery on: the reader walks the document; each item or entry, and each
 * channel-level element, is expanded on its own, turned into an article or feed metadata, and
 * skipped, so libxml2 frees it: memory holds one item and a few chunks, not the feed. Only the
 * start of the decoded text is looked at before that (feed_decoder_peek), to tell XML from
 * JSON and a feed from an HTML page. JSON Feed is read whole by jansson (jsonfeed.c).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>

#include "feed_internal.h"

/* The body, kept to be decoded again from the start by the recovery pass. */
struct xml_source {
	const char	*data;
	size_t		 size;
	const char	*content_type;
	size_t		 skip;		/* decoded bytes before what libxml2 is given */
};

/* Parser options: recover, and never load or expand anything external. */
#define XML_OPTIONS	(XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | \
			 XML_PARSE_COMPACT)

struct xml_run {
	struct xml_feed	 feed;
	xmlTextReaderPtr reader;
	feed_item_fn	 on_item;
	void		*context;
	int		 have_root;
	int		 stopped;
	int		 first_error_line;
	char		 first_error[160];
};

static void
set_error(char *error, size_t error_size, const char *format, ...)
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

/* What a libxml2 error says was wrong with the feed. */
static unsigned
xml_error_problem(const xmlError *xml_error)
{
	if (xml_error->code == XML_ERR_TAG_NAME_MISMATCH ||
	    xml_error->code == XML_ERR_TAG_NOT_FINISHED ||
	    xml_error->code == XML_ERR_LTSLASH_REQUIRED)
		return FEED_PROBLEM_UNCLOSED_TAG;
	if (xml_error->message != NULL && strstr(xml_error->message, "depth") != NULL)
		return FEED_PROBLEM_NESTING_TOO_DEEP;
	if (xml_error->code == XML_ERR_UNDECLARED_ENTITY ||
	    xml_error->code == XML_WAR_UNDECLARED_ENTITY)
		return FEED_PROBLEM_UNDECLARED_ENTITY;
	return FEED_PROBLEM_NOT_WELL_FORMED;
}

/* libxml2 reports here instead of stderr; the first error is kept for the error message. */
static void
record_xml_error(void *context, xmlErrorPtr xml_error)
{
	struct xml_run *run = context;
	size_t length;

	if (xml_error == NULL || xml_error->level < XML_ERR_ERROR)
		return;
	run->feed.meta->problems |= xml_error_problem(xml_error);
	if (run->first_error[0] != '\0')
		return;
	run->first_error_line = xml_error->line;
	snprintf(run->first_error, sizeof(run->first_error), "%s",
	    xml_error->message != NULL ? xml_error->message : "XML error");
	length = strlen(run->first_error);
	while (length > 0 && isspace((unsigned char)run->first_error[length - 1]))
		run->first_error[--length] = '\0';
}

static int
is_namespace_declared(xmlNodePtr node, const char *href)
{
	for (xmlNsPtr ns = node->nsDef; ns != NULL; ns = ns->next)
		if (ns->href != NULL && strcmp((const char *)ns->href, href) == 0)
			return 1;
	return node->ns != NULL && strcmp((const char *)node->ns->href, href) == 0;
}

static const char *
rss_version_format(const char *version)
{
	static const char *const formats[][2] = {
		{ "0.90", "rss0.90" }, { "0.91", "rss0.91" }, { "0.92", "rss0.92" },
		{ "0.93", "rss0.93" }, { "0.94", "rss0.94" }, { "1.0", "rss1.0" },
	};

	if (version == NULL)
		return "rss2.0";	/* no version: what every modern feed is */
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strncmp(version, formats[i][0], strlen(formats[i][0])) == 0)
			return formats[i][1];
	if (strcmp(version, "0.9") == 0)
		return "rss0.90";
	return "rss2.0";
}

/* The root element says what the feed is; -1 (with error) when it is not a feed. */
static int
detect_root(struct xml_run *run, xmlNodePtr root, char *error, size_t error_size)
{
	const char *name = (const char *)root->name;
	const char *local = strchr(name, ':') != NULL ? strchr(name, ':') + 1 : name;
	struct xml_feed *feed = &run->feed;
	const char *format;
	char *version;

	version = feed_node_attribute(root, "version");
	if (strcmp(local, "rss") == 0) {
		feed->kind = FEED_KIND_RSS;
		format = rss_version_format(version);
	} else if (strcmp(local, "RDF") == 0) {
		feed->kind = FEED_KIND_RDF;
		format = is_namespace_declared(root, NS_RSS_090) ? "rss0.90" : "rss1.0";
	} else if (strcmp(local, "feed") == 0) {
		feed->kind = FEED_KIND_ATOM;
		feed->atom03 = is_namespace_declared(root, NS_ATOM_03) ||
		    (version != NULL && strncmp(version, "0.", 2) == 0);
		format = feed->atom03 ? "atom0.3" : "atom1.0";
	} else if (strcmp(local, "channel") == 0) {
		/* an RSS 0.9x channel without its <rss> wrapper */
		feed->kind = FEED_KIND_RSS;
		format = rss_version_format(version);
	} else if (strcasecmp(local, "channel") == 0) {
		feed->kind = FEED_KIND_CDF;
		format = "cdf";
	} else {
		free(version);
		if (strcasecmp(local, "html") == 0)
			feed->meta->problems |= FEED_PROBLEM_HTML_NOT_FEED;
		if (strcasecmp(local, "html") == 0)
			set_error(error, error_size, "line %ld: HTML page, not a feed",
			    xmlGetLineNo(root));
		else
			set_error(error, error_size, "line %ld: not a feed: root element <%s>",
			    xmlGetLineNo(root), name);
		return -1;
	}
	free(version);
	free(feed->meta->format);
	feed->meta->format = xstrdup(format);
	if (feed->kind == FEED_KIND_CDF)
		feed_cdf_root(feed, root);
	{
		/* the root's xml:lang; an RSS <language> read later replaces it (as feedparser) */
		xmlChar *language = xmlNodeGetLang(root);

		if (language != NULL)
			feed_set_once(&feed->meta->language, (const char *)language);
		xmlFree(language);
	}
	run->have_root = 1;
	return 0;
}

enum node_action { ACTION_DESCEND, ACTION_ITEM, ACTION_META, ACTION_SKIP };

static enum node_action
classify(const struct xml_run *run, xmlNodePtr node, int depth)
{
	const struct xml_feed *feed = &run->feed;
	xmlNodePtr parent = node->parent;
	int under_channel = parent != NULL && feed_node_is(feed, parent, NULL, "channel");

	switch (feed->kind) {
	case FEED_KIND_RSS:
		if (depth == 1 && feed_node_is(feed, node, NULL, "channel"))
			return ACTION_DESCEND;
		if ((depth == 1 || under_channel) && feed_node_is(feed, node, NULL, "item"))
			return ACTION_ITEM;
		/* depth 1 under a channel: the channel is the root */
		return under_channel && depth <= 2 ? ACTION_META : ACTION_SKIP;
	case FEED_KIND_RDF:
		if (depth == 1 && feed_node_is(feed, node, NULL, "item"))
			return ACTION_ITEM;
		return depth == 1 && feed_node_is(feed, node, NULL, "channel") ? ACTION_META :
		    ACTION_SKIP;
	case FEED_KIND_ATOM:
		if (depth == 1 && feed_node_is(feed, node, NULL, "entry"))
			return ACTION_ITEM;
		return depth == 1 ? ACTION_META : ACTION_SKIP;
	case FEED_KIND_CDF:
		if (depth == 1 && strcasecmp((const char *)node->name, "item") == 0)
			return ACTION_ITEM;
		return depth == 1 ? ACTION_META : ACTION_SKIP;
	}
	return ACTION_SKIP;
}

static void
handle_item(struct xml_run *run, xmlNodePtr node)
{
	struct article *item;

	if (run->feed.kind == FEED_KIND_ATOM)
		item = feed_atom_entry(&run->feed, node);
	else if (run->feed.kind == FEED_KIND_CDF)
		item = feed_cdf_item(&run->feed, node);
	else
		item = feed_rss_item(&run->feed, node);

	if (feed_deliver(item, run->feed.feed_url, run->feed.meta, run->on_item, run->context))
		run->stopped = 1;
}

static void
handle_meta(struct xml_run *run, xmlNodePtr node)
{
	if (run->feed.kind == FEED_KIND_ATOM)
		feed_atom_feed_child(&run->feed, node);
	else if (run->feed.kind == FEED_KIND_CDF)
		feed_cdf_channel_child(&run->feed, node);
	else
		feed_rss_channel_child(&run->feed, node);
}

/* Walk the document; returns the last xmlTextReader status (0 at the end, -1 on failure). */
static int
walk(struct xml_run *run, char *error, size_t error_size)
{
	xmlTextReaderPtr reader = run->reader;
	int status = xmlTextReaderRead(reader);

	while (status == 1 && !run->stopped) {
		xmlNodePtr node, expanded;
		enum node_action action;

		if (xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT ||
		    (node = xmlTextReaderCurrentNode(reader)) == NULL) {
			status = xmlTextReaderRead(reader);
			continue;
		}
		if (!run->have_root) {
			if (detect_root(run, node, error, error_size) < 0)
				return -2;
			status = xmlTextReaderRead(reader);
			continue;
		}
		action = classify(run, node, xmlTextReaderDepth(reader));
		if (action == ACTION_DESCEND) {
			status = xmlTextReaderRead(reader);
			continue;
		}
		if (action != ACTION_SKIP && (expanded = xmlTextReaderExpand(reader)) != NULL) {
			if (action == ACTION_ITEM)
				handle_item(run, expanded);
			else
				handle_meta(run, expanded);
		}
		status = xmlTextReaderNext(reader);
	}
	return run->stopped ? 0 : status;
}

/*
 * The recovery path. xmlTextReader gives up at the first well-formedness error, even with
 * XML_PARSE_RECOVER; libxml2's tree parser does recover (unclosed tags, junk after the root,
 * truncation). So a broken feed is parsed again into a tree and walked the same way, the items
 * the reader already delivered are skipped. Only broken feeds pay for the whole tree.
 */
static void
visit_tree(struct xml_run *run, xmlNodePtr node, int depth, size_t *item_index,
    size_t already_delivered)
{
	for (; node != NULL && !run->stopped; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		switch (classify(run, node, depth)) {
		case ACTION_DESCEND:
			visit_tree(run, node->children, depth + 1, item_index, already_delivered);
			break;
		case ACTION_ITEM:
			if ((*item_index)++ >= already_delivered)
				handle_item(run, node);
			break;
		case ACTION_META:
			handle_meta(run, node);
			break;
		case ACTION_SKIP:
			break;
		}
	}
}

/*
 * What libxml2 reads: the prepared text, handed over so that libxml2 parses it as it parsed
 * the whole prepared text in memory. xmlTextReader pushes its input to the parser in blocks
 * of 512 bytes. From memory, the last partial block goes in before the end is signalled;
 * from a read callback, together with the end, and then the first well-formedness error of a
 * broken feed comes sooner (other items before the recovery pass). So a last read that ends
 * in a partial block returns the whole blocks only, and the partial block on the next call.
 * (From memory the reader also pushes one empty block before the end, which a callback cannot
 * cause: for a few broken feeds the line of the first error reported differs, not the items.)
 * The first 4 bytes (what xmlTextReader asks for first) are read ahead: a text shorter than
 * that is given from memory.
 */
#define READER_BLOCK	512	/* xmlreader.c's CHUNK_SIZE */

struct prepared_input {
	struct feed_decoder	*decoder;	/* NULL: the caller's */
	struct feed_preparer	*preparer;
	char			 held[READER_BLOCK];	/* read, not yet handed over */
	size_t			 held_length;
	size_t			 held_position;
	int			 ended;
	int			 by_blocks;	/* xmlTextReader: hold a last partial block */
};

/* libxml2's read callback: the next prepared bytes, 0 at the end. */
static int
read_prepared(void *context, char *buffer, int length)
{
	struct prepared_input *input = context;
	size_t count = 0, fresh, partial;

	if (length <= 0)
		return 0;
	if (input->held_position < input->held_length) {
		count = input->held_length - input->held_position;
		if (count > (size_t)length)
			count = (size_t)length;
		memcpy(buffer, input->held + input->held_position, count);
		input->held_position += count;
	}
	if (input->ended || count == (size_t)length)
		return (int)count;
	fresh = feed_preparer_read(input->preparer, buffer + count, (size_t)length - count);
	count += fresh;
	if (count < (size_t)length) {
		input->ended = 1;
		partial = count % READER_BLOCK;
		if (input->by_blocks && count > READER_BLOCK && partial > 0) {
			memcpy(input->held, buffer + count - partial, partial);
			input->held_length = partial;
			input->held_position = 0;
			count -= partial;
		}
	}
	return (int)count;
}

/* Start preparing decoder's text; 1 when it is shorter than 4 bytes (all in held). */
static int
prepared_open(struct prepared_input *input, struct feed_decoder *decoder)
{
	memset(input, 0, sizeof(*input));
	input->preparer = feed_preparer_new(decoder);
	input->held_length = feed_preparer_read(input->preparer, input->held, 4);
	input->ended = input->held_length < 4;
	return input->ended;
}

static void
prepared_close(struct prepared_input *input, struct feed_meta *meta)
{
	meta->problems |= feed_preparer_problems(input->preparer);
	feed_preparer_free(input->preparer);
	feed_decoder_free(input->decoder);
	memset(input, 0, sizeof(*input));
}

/* The recovery pass reads the body again: a new decoder, positioned where the text starts. */
static int
prepared_reopen(struct prepared_input *input, const struct xml_source *source)
{
	struct feed_decoder *decoder;
	size_t length;
	int complete, small;

	decoder = feed_decoder_new(source->data, source->size, source->content_type);
	feed_decoder_peek(decoder, source->skip, &length, &complete);
	feed_decoder_skip(decoder, source->skip);
	small = prepared_open(input, decoder);
	input->decoder = decoder;
	return small;
}

static int
recover_tree(struct xml_run *run, const struct xml_source *source, const char *feed_url,
    char *error, size_t error_size)
{
	xmlParserCtxtPtr context = xmlNewParserCtxt();
	size_t already_delivered = run->feed.meta->item_count, item_index = 0;
	struct prepared_input input;
	xmlDocPtr document;
	xmlNodePtr root;

	if (context == NULL)
		return -1;
	if (prepared_reopen(&input, source))
		document = xmlCtxtReadMemory(context, input.held, (int)input.held_length,
		    feed_url, "UTF-8", XML_OPTIONS);
	else
		document = xmlCtxtReadIO(context, read_prepared, NULL, &input, feed_url,
		    "UTF-8", XML_OPTIONS);
	xmlFreeParserCtxt(context);
	prepared_close(&input, run->feed.meta);
	if (document == NULL || (root = xmlDocGetRootElement(document)) == NULL) {
		xmlFreeDoc(document);
		return -1;
	}
	if (!run->have_root && detect_root(run, root, error, error_size) < 0) {
		xmlFreeDoc(document);
		return -2;
	}
	visit_tree(run, root->children, 1, &item_index, already_delivered);
	xmlFreeDoc(document);
	return 0;
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
		set_error(error, error_size, "line %zu: HTML page, not a feed",
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
			set_error(error, error_size, "line %d: not a feed: %s",
			    run->first_error_line, run->first_error);
		else
			set_error(error, error_size, "line 1: not a feed: no root element");
		return -1;
	}
	if (status < 0 && meta->item_count == 0 && meta->title == NULL) {
		set_error(error, error_size, "line %d: unrecoverable XML error: %s",
		    run->first_error_line, run->first_error);
		return -1;
	}
	if (run->first_error[0] != '\0')
		set_error(error, error_size, "line %d: recovered: %s", run->first_error_line,
		    run->first_error);
	return 0;
}

/*
 * The fast path for a feed of at most TREE_MAX_BYTES: the prepared text goes to libxml2's
 * push parser in TREE_CHUNK blocks and builds the tree, walked as the recovery pass walks it.
 * xmlTextReader pushes to the same parser 512 bytes at a time and expands each item; the
 * whole-document way takes 26% fewer instructions on news-size items (bench_parse on the
 * article bench's feeds: 346K to 257K an item). No encoding is named: the prepared text is UTF-8 and
 * XML_PARSE_IGNORE_ENC keeps a declaration from saying otherwise, so libxml2 does not copy it
 * through its UTF-8 converter. Only a well-formed feed is walked: at the first error the tree
 * is dropped, nothing delivered, and the feed goes the streaming way (reader, then recovery),
 * whose items, repairs and error lines are what they always were. So does a document whose
 * root is no feed's. Larger feeds stream, so memory holds one item.
 */
#define TREE_MAX_BYTES	(1024 * 1024)
#define TREE_BROKEN	(-3)

/* A root detect_root() takes for a feed: rss, RDF, feed or channel, in any case for CDF. */
static int
is_feed_root(xmlNodePtr root)
{
	const char *name = (const char *)root->name;
	const char *local = strchr(name, ':') != NULL ? strchr(name, ':') + 1 : name;

	return strcmp(local, "rss") == 0 || strcmp(local, "RDF") == 0 ||
	    strcmp(local, "feed") == 0 || strcasecmp(local, "channel") == 0;
}

/* libxml2's structured error handler for the fast path: data is the parser context. */
static void
note_tree_error(void *data, xmlErrorPtr xml_error)
{
	xmlParserCtxtPtr context = data;

	if (xml_error != NULL && xml_error->level >= XML_ERR_ERROR)
		*(int *)context->_private = 1;
}

#define TREE_CHUNK	(64 * 1024)

/* The prepared text through libxml2's push parser in TREE_CHUNK blocks; NULL when broken. */
static xmlDocPtr
read_tree(struct feed_decoder *decoder, const char *feed_url, struct feed_meta *meta)
{
	struct feed_preparer *preparer = feed_preparer_new(decoder);
	xmlParserCtxtPtr context;
	xmlDocPtr document = NULL;
	char *chunk = xmalloc(TREE_CHUNK);
	size_t length = feed_preparer_read(preparer, chunk, 4);
	int failed = 0;

	context = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, feed_url);
	if (context == NULL)
		goto done;
	xmlCtxtResetPush(context, chunk, (int)length, feed_url, NULL);
	xmlCtxtUseOptions(context, XML_OPTIONS);
	context->_private = &failed;
	context->sax->serror = note_tree_error;
	while (!failed && (length = feed_preparer_read(preparer, chunk, TREE_CHUNK)) > 0)
		xmlParseChunk(context, chunk, (int)length, 0);
	xmlParseChunk(context, NULL, 0, 1);
	document = context->myDoc;
	context->myDoc = NULL;
	if (document != NULL && (failed || !context->wellFormed || !context->nsWellFormed)) {
		xmlFreeDoc(document);
		document = NULL;
	}
	xmlFreeParserCtxt(context);
done:
	if (document != NULL)
		meta->problems |= feed_preparer_problems(preparer);
	feed_preparer_free(preparer);
	free(chunk);
	return document;
}

/* walk()'s status for a well-formed feed of at most TREE_MAX_BYTES, else TREE_BROKEN. */
static int
parse_tree(struct xml_run *run, struct feed_decoder *decoder, const char *feed_url,
    char *error, size_t error_size)
{
	xmlDocPtr document = read_tree(decoder, feed_url, run->feed.meta);
	xmlNodePtr root;
	size_t item_index = 0;

	if (document == NULL)
		return TREE_BROKEN;
	if ((root = xmlDocGetRootElement(document)) == NULL) {
		xmlFreeDoc(document);
		return TREE_BROKEN;
	}
	if (!is_feed_root(root)) {	/* the streaming way says what it is instead */
		xmlFreeDoc(document);
		return TREE_BROKEN;
	}
	if (detect_root(run, root, error, error_size) < 0) {
		xmlFreeDoc(document);
		return -2;
	}
	visit_tree(run, root->children, 1, &item_index, 0);
	xmlFreeDoc(document);
	return 0;
}

static int
parse_xml(struct xml_source *source, struct feed_decoder *decoder, size_t start,
    const char *feed_url, struct feed_meta *meta, feed_item_fn on_item, void *context,
    char *error, size_t error_size)
{
	struct xml_run run = { .on_item = on_item, .context = context };
	struct prepared_input input;
	long long skip;
	int status, small;

	if ((skip = xml_start(decoder, start, error, error_size)) < 0) {
		meta->problems |= FEED_PROBLEM_HTML_NOT_FEED;
		return -1;
	}
	source->skip = (size_t)skip;
	feed_decoder_skip(decoder, source->skip);
	run.feed.feed_url = feed_url;
	run.feed.meta = meta;
	if (source->size <= TREE_MAX_BYTES) {
		if ((status = parse_tree(&run, decoder, feed_url, error, error_size)) !=
		    TREE_BROKEN)
			return finish_xml(&run, status, meta, error, error_size);
		small = prepared_reopen(&input, source);
	} else
		small = prepared_open(&input, decoder);
	if (small)
		run.reader = xmlReaderForMemory(input.held, (int)input.held_length, feed_url,
		    "UTF-8", XML_OPTIONS);
	else {
		input.by_blocks = 1;
		run.reader = xmlReaderForIO(read_prepared, NULL, &input, feed_url, "UTF-8",
		    XML_OPTIONS);
	}
	if (run.reader == NULL) {
		prepared_close(&input, meta);
		set_error(error, error_size, "cannot create an XML reader");
		return -1;
	}
	xmlTextReaderSetStructuredErrorHandler(run.reader, record_xml_error, &run);
	status = walk(&run, error, error_size);
	xmlFreeTextReader(run.reader);
	prepared_close(&input, meta);
	if (status == -1 && !run.stopped)
		status = recover_tree(&run, source, feed_url, error, error_size);
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
	set_error(error, error_size, "%s", "");
	if (data == NULL || size == 0) {
		set_error(error, error_size, "line 1: empty document");
		return -1;
	}
	decoder = feed_decoder_new(data, size, content_type);
	if (document_start(decoder, &start, &blank) < 0) {
		set_error(error, error_size, blank ? "line 1: empty document" :
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
