/*
 * parse.c - feed_parse(): decode, detect the format from the content, and stream the items.
 *
 * XML feeds go through libxml2's xmlTextReader over the prepared text (see prepare.c), with
 * recovery on and every form of entity loading off (no XML_PARSE_NOENT, XML_PARSE_DTDLOAD or
 * XML_PARSE_HUGE; XML_PARSE_NONET). The reader walks the document; each item or entry, and each
 * channel-level element, is expanded on its own, turned into an article or feed metadata, and
 * skipped, so libxml2 frees it: memory holds one item at a time, not the feed.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>

#include "feed_internal.h"

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
	memset(meta, 0, sizeof(*meta));
}

/* libxml2 reports here instead of stderr; the first error is kept for the error message. */
static void
record_xml_error(void *context, xmlErrorPtr xml_error)
{
	struct xml_run *run = context;
	size_t length;

	if (xml_error == NULL || run->first_error[0] != '\0' || xml_error->level < XML_ERR_ERROR)
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
	} else {
		free(version);
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
	if (feed->kind == FEED_KIND_ATOM) {
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
		return under_channel && depth == 2 ? ACTION_META : ACTION_SKIP;
	case FEED_KIND_RDF:
		if (depth == 1 && feed_node_is(feed, node, NULL, "item"))
			return ACTION_ITEM;
		return depth == 1 && feed_node_is(feed, node, NULL, "channel") ? ACTION_META :
		    ACTION_SKIP;
	case FEED_KIND_ATOM:
		if (depth == 1 && feed_node_is(feed, node, NULL, "entry"))
			return ACTION_ITEM;
		return depth == 1 ? ACTION_META : ACTION_SKIP;
	}
	return ACTION_SKIP;
}

static void
handle_item(struct xml_run *run, xmlNodePtr node)
{
	struct article *item = run->feed.kind == FEED_KIND_ATOM ?
	    feed_atom_entry(&run->feed, node) : feed_rss_item(&run->feed, node);

	if (feed_deliver(item, run->feed.feed_url, run->feed.meta, run->on_item, run->context))
		run->stopped = 1;
}

static void
handle_meta(struct xml_run *run, xmlNodePtr node)
{
	if (run->feed.kind == FEED_KIND_ATOM)
		feed_atom_feed_child(&run->feed, node);
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

static int
recover_tree(struct xml_run *run, const char *prepared, size_t length, const char *feed_url,
    char *error, size_t error_size)
{
	xmlParserCtxtPtr context = xmlNewParserCtxt();
	size_t already_delivered = run->feed.meta->item_count, item_index = 0;
	xmlDocPtr document;
	xmlNodePtr root;

	if (context == NULL)
		return -1;
	document = xmlCtxtReadMemory(context, prepared, (int)length, feed_url, "UTF-8",
	    XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT);
	xmlFreeParserCtxt(context);
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

/* What comes first after the prolog: "<!DOCTYPE html" or <html> means an HTML page. */
static int
looks_like_html(const char *text, size_t *offset)
{
	const char *cursor = text;

	for (;;) {
		while (isspace((unsigned char)*cursor))
			cursor++;
		if (strncmp(cursor, "<?", 2) == 0 || strncmp(cursor, "<!--", 4) == 0) {
			const char *end = strstr(cursor, cursor[1] == '?' ? "?>" : "-->");

			if (end == NULL)
				return 0;
			cursor = end + 2;
			continue;
		}
		break;
	}
	*offset = (size_t)(cursor - text);
	if (strncasecmp(cursor, "<!DOCTYPE", 9) == 0) {
		const char *name = cursor + 9;

		while (isspace((unsigned char)*name))
			name++;
		return strncasecmp(name, "html", 4) == 0 &&
		    !isalnum((unsigned char)name[4]);
	}
	return strncasecmp(cursor, "<html", 5) == 0 && !isalnum((unsigned char)cursor[5]);
}

static int
parse_xml(const char *text, size_t length, const char *feed_url, struct feed_meta *meta,
    feed_item_fn on_item, void *context, char *error, size_t error_size)
{
	struct xml_run run = { .on_item = on_item, .context = context };
	size_t prepared_length, html_offset;
	char *prepared;
	int status;

	if (looks_like_html(text, &html_offset)) {
		set_error(error, error_size, "line %zu: HTML page, not a feed",
		    feed_line_of(text, html_offset));
		return -1;
	}
	prepared = feed_xml_prepare(text, length, &prepared_length);
	if (prepared_length > INT_MAX) {	/* libxml2 takes an int size */
		free(prepared);
		set_error(error, error_size, "feed too large (%zu bytes)", prepared_length);
		return -1;
	}
	run.feed.feed_url = feed_url;
	run.feed.meta = meta;
	run.reader = xmlReaderForMemory(prepared, (int)prepared_length, feed_url, "UTF-8",
	    XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	    XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT);
	if (run.reader == NULL) {
		free(prepared);
		set_error(error, error_size, "cannot create an XML reader");
		return -1;
	}
	xmlTextReaderSetStructuredErrorHandler(run.reader, record_xml_error, &run);
	status = walk(&run, error, error_size);
	xmlFreeTextReader(run.reader);
	if (status == -1 && !run.stopped)
		status = recover_tree(&run, prepared, prepared_length, feed_url, error, error_size);
	free(prepared);
	strlist_clear(&run.feed.feed_authors);
	if (status == -2)
		return -1;
	if (!run.have_root) {
		if (run.first_error[0] != '\0')
			set_error(error, error_size, "line %d: not a feed: %s",
			    run.first_error_line, run.first_error);
		else
			set_error(error, error_size, "line 1: not a feed: no root element");
		return -1;
	}
	if (status < 0 && meta->item_count == 0 && meta->title == NULL) {
		set_error(error, error_size, "line %d: unrecoverable XML error: %s",
		    run.first_error_line, run.first_error);
		return -1;
	}
	if (run.first_error[0] != '\0')
		set_error(error, error_size, "line %d: recovered: %s", run.first_error_line,
		    run.first_error);
	return 0;
}

/* Free items nobody asked for. */
static int
discard_item(struct article *item, void *context)
{
	(void)context;
	article_free(item);
	return 0;
}

/* Where the document starts: '<' or '{' after whitespace, else a feed root a little later. */
static const char *
document_start(const char *text)
{
	static const char *const markers[] = { "<?xml", "<rss", "<feed", "<rdf:RDF", "<RDF" };
	const char *cursor = text;

	while (isspace((unsigned char)*cursor))
		cursor++;
	if (*cursor == '<')
		return text;	/* leading blank lines count in line numbers */
	if (*cursor == '{' || *cursor == '[')
		return cursor;
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const char *found = strstr(text, markers[i]);

		if (found != NULL && found - text < 4096)
			return found;
	}
	return NULL;
}

int
feed_parse(const char *data, size_t size, const char *feed_url, const char *content_type,
    struct feed_meta *meta, feed_item_fn on_item, void *context,
    char *error, size_t error_size)
{
	struct feed_meta local_meta;
	const char *charset;
	const char *start;
	size_t length;
	char *text;
	int result;

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
	text = feed_decode(data, size, content_type, &length, &charset);
	start = document_start(text);
	if (start == NULL) {
		set_error(error, error_size, *text == '\0' || strspn(text, " \t\r\n") == length ?
		    "line 1: empty document" : "line 1: not a feed: neither XML nor JSON");
		result = -1;
	} else if (*start == '{' || *start == '[')
		result = feed_parse_json(start, length - (size_t)(start - text), feed_url, meta,
		    on_item, context, error, error_size);
	else
		result = parse_xml(start, length - (size_t)(start - text), feed_url, meta, on_item,
		    context, error, error_size);
	free(text);
	if (meta == &local_meta)
		feed_meta_free(&local_meta);
	return result;
}
