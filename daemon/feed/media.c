/*
 * media.c - item children that RSS and Atom share: Media RSS (content and thumbnail, kept in
 * the item's media list apart from its enclosures; category) and iTunes categories (nested
 * ones are categories of their own), as feedparser reads them.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "feed_internal.h"

#define MEDIA_CATEGORY_SCHEME	"http://search.yahoo.com/mrss/category_schema"
#define ITUNES_SCHEME		"http://www.itunes.com/"

static char *
trimmed_text(xmlNodePtr node)
{
	return feed_node_text_trimmed(node);
}

/* <media:category scheme= label=>term</media:category>; the scheme has a default. */
static void
media_category(struct article *item, xmlNodePtr node)
{
	char *term = trimmed_text(node);
	char *scheme = feed_node_attribute(node, "scheme");
	char *label = feed_node_attribute(node, "label");

	article_add_category(item, term, scheme != NULL ? scheme : MEDIA_CATEGORY_SCHEME, label);
	free(term);
	free(scheme);
	free(label);
}

/* <itunes:category text="Technology"><itunes:category text="Gadgets"/></itunes:category> */
static void
itunes_category(const struct xml_feed *feed, struct article *item, xmlNodePtr node)
{
	char *text = feed_node_attribute(node, "text");
	char *term = feed_trim(text);

	article_add_category(item, term, ITUNES_SCHEME, NULL);
	free(term);
	free(text);
	for (xmlNodePtr child = node->children; child != NULL; child = child->next)
		if (feed_node_is(feed, child, NS_ITUNES, "category"))
			itunes_category(feed, item, child);
}

int
feed_media_child(const struct xml_feed *feed, struct article *item, xmlNodePtr node,
    const char *local)
{
	if (feed_node_matches(feed, node, local, NS_MEDIA, "content"))
		feed_node_media(feed, item, node, "url", "fileSize");
	else if (feed_node_matches(feed, node, local, NS_MEDIA, "thumbnail"))
		feed_node_media(feed, item, node, "url", NULL);
	else if (feed_node_matches(feed, node, local, NS_MEDIA, "category"))
		media_category(item, node);
	else if (feed_node_matches(feed, node, local, NS_ITUNES, "category"))
		itunes_category(feed, item, node);
	else
		return 0;
	return 1;
}
