/*
 * xmldoc.c - what an XML feed's elements are: the root says the format (RSS 0.9x/1.0/2.0,
 * Atom 0.3/1.0, CDF) or that the document is no feed; each element under it is an item, a
 * channel-level field, a wrapper to descend into, or skipped. Items become articles for the
 * callback (rss.c, atom.c, cdf.c), fields go into the feed's meta. Both ways of reading the
 * document use this: a tree walked whole (tree.c, stream.c's recovery pass) and the
 * xmlTextReader stream (stream.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmlparse.h"

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
int
feed_xml_root(struct xml_run *run, xmlNodePtr root, char *error, size_t error_size)
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
			feed_set_error(error, error_size, "line %ld: HTML page, not a feed",
			    xmlGetLineNo(root));
		else
			feed_set_error(error, error_size, "line %ld: not a feed: root element <%s>",
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

enum node_action
feed_xml_classify(const struct xml_run *run, xmlNodePtr node, int depth)
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

void
feed_xml_item(struct xml_run *run, xmlNodePtr node)
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

void
feed_xml_meta(struct xml_run *run, xmlNodePtr node)
{
	if (run->feed.kind == FEED_KIND_ATOM)
		feed_atom_feed_child(&run->feed, node);
	else if (run->feed.kind == FEED_KIND_CDF)
		feed_cdf_channel_child(&run->feed, node);
	else
		feed_rss_channel_child(&run->feed, node);
}

/*
 * The recovery path. xmlTextReader gives up at the first well-formedness error, even with
 * XML_PARSE_RECOVER; libxml2's tree parser does recover (unclosed tags, junk after the root,
 * truncation). So a broken feed is parsed again into a tree and walked the same way, the items
 * the reader already delivered are skipped. Only broken feeds pay for the whole tree.
 */
void
feed_xml_visit(struct xml_run *run, xmlNodePtr node, int depth, size_t *item_index,
    size_t already_delivered)
{
	for (; node != NULL && !run->stopped; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		switch (feed_xml_classify(run, node, depth)) {
		case ACTION_DESCEND:
			feed_xml_visit(run, node->children, depth + 1, item_index, already_delivered);
			break;
		case ACTION_ITEM:
			if ((*item_index)++ >= already_delivered)
				feed_xml_item(run, node);
			break;
		case ACTION_META:
			feed_xml_meta(run, node);
			break;
		case ACTION_SKIP:
			break;
		}
	}
}

/* A root feed_xml_root() takes for a feed: rss, RDF, feed or channel, in any case for CDF. */
int
feed_xml_is_feed_root(xmlNodePtr root)
{
	const char *name = (const char *)root->name;
	const char *local = strchr(name, ':') != NULL ? strchr(name, ':') + 1 : name;

	return strcmp(local, "rss") == 0 || strcmp(local, "RDF") == 0 ||
	    strcmp(local, "feed") == 0 || strcasecmp(local, "channel") == 0;
}
