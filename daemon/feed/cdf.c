/*
 * cdf.c - Microsoft's Channel Definition Format (CDF, 1997), which feedparser still reads:
 * <CHANNEL HREF= LASTMOD=><TITLE/><ABSTRACT/><ITEM HREF= LASTMOD=>...</ITEM></CHANNEL>.
 * Element and attribute names are matched without regard to case, as CDF files vary.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "feed_internal.h"

/* An attribute whatever the case of its name; NULL when absent. Caller frees. */
static char *
attribute_nocase(xmlNodePtr node, const char *name)
{
	for (xmlAttrPtr attribute = node->properties; attribute != NULL;
	    attribute = attribute->next)
		if (strcasecmp((const char *)attribute->name, name) == 0)
			return feed_node_attribute(node, (const char *)attribute->name);
	return NULL;
}

static char *
text_of(xmlNodePtr node)
{
	char *text = feed_node_text(node);
	char *trimmed = feed_trim(text);

	free(text);
	return trimmed;
}

/* HREF and LASTMOD of a CHANNEL or ITEM. */
static void
cdf_attributes(const struct xml_feed *feed, xmlNodePtr node, char **link, time_t *updated)
{
	char *href = attribute_nocase(node, "href");
	char *lastmod = attribute_nocase(node, "lastmod");

	if (href != NULL && *link == NULL)
		*link = feed_node_url(feed, node, href);
	if (lastmod != NULL)
		*updated = feed_date_parse(lastmod);
	free(href);
	free(lastmod);
}

struct article *
feed_cdf_item(struct xml_feed *feed, xmlNodePtr node)
{
	struct article *item = article_new();

	item->title_type = ARTICLE_TEXT_PLAIN;
	cdf_attributes(feed, node, &item->link, &item->updated);
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		const char *local = feed_node_local(child);

		if (local == NULL)
			continue;
		if (strcasecmp(local, "title") == 0 && item->title_raw == NULL) {
			item->title_raw = text_of(child);
			feed_node_text_detail(feed, item, ARTICLE_FIELD_TITLE, child);
		} else if (strcasecmp(local, "abstract") == 0 && item->summary_html == NULL) {
			item->summary_html = text_of(child);
			feed_node_resolve_html(feed, child, &item->summary_html);
			feed_node_text_detail(feed, item, ARTICLE_FIELD_SUMMARY, child);
		}
	}
	return item;
}

void
feed_cdf_root(struct xml_feed *feed, xmlNodePtr root)
{
	cdf_attributes(feed, root, &feed->meta->link, &feed->meta->updated);
}

void
feed_cdf_channel_child(struct xml_feed *feed, xmlNodePtr node)
{
	const char *local = feed_node_local(node);

	if (local == NULL)
		return;
	if (strcasecmp(local, "title") == 0 && feed->meta->title == NULL)
		feed->meta->title = text_of(node);
	else if (strcasecmp(local, "abstract") == 0 && feed->meta->subtitle == NULL)
		feed->meta->subtitle = text_of(node);
}
