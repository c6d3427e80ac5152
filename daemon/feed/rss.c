/*
 * rss.c - RSS 0.90-0.94, 1.0 (RDF) and 2.0 items and channels, with the extensions news feeds
 * use: content:encoded, Dublin Core, Media RSS, enclosures, atom:link, iTunes, syndication.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "feed_internal.h"

/* Fallbacks collected while reading an item, used when the main field is absent. */
struct rss_item_extras {
	char	*atom_link;
	char	*guid_permalink;	/* guid when isPermaLink is not "false" */
	char	*media_title;
	char	*media_description;
	char	*itunes_summary;
	struct strlist itunes_authors;
	int	 have_pub_date;
};

static void rss_item_child(struct xml_feed *feed, struct article *item,
    struct rss_item_extras *extras, xmlNodePtr child);

static void
set_text_once(char **field, xmlNodePtr node)
{
	char *text;

	if (*field != NULL)
		return;
	text = feed_node_text(node);
	feed_set_once(field, text);
	free(text);
}

static void
add_category(struct strlist *categories, xmlNodePtr node)
{
	char *text = feed_node_text(node);
	char *trimmed = feed_trim(text);

	if (trimmed != NULL)
		strlist_add_unique(categories, trimmed);
	free(trimmed);
	free(text);
}

static void
add_author(struct strlist *authors, xmlNodePtr node)
{
	char *text = feed_node_text(node);

	feed_add_author(authors, text);
	free(text);
}

/* A text element that may hold HTML: the media:description type="plain" is escaped. */
static void
set_media_description(struct rss_item_extras *extras, xmlNodePtr node)
{
	char *type = feed_node_attribute(node, "type");
	char *text = feed_node_text(node);
	char *trimmed = feed_trim(text);

	if (extras->media_description == NULL && trimmed != NULL)
		extras->media_description = type != NULL && strcasecmp(type, "html") == 0 ?
		    xstrdup(trimmed) : feed_text_to_html(trimmed);
	free(trimmed);
	free(text);
	free(type);
}

/* atom:link inside RSS: rel=alternate (or none) is a link, rel=enclosure an enclosure. */
static void
rss_atom_link(struct xml_feed *feed, struct article *item, struct rss_item_extras *extras,
    xmlNodePtr node)
{
	char *rel = feed_node_attribute(node, "rel");
	char *href = feed_node_attribute(node, "href");

	if (href != NULL && (rel == NULL || strcmp(rel, "alternate") == 0) &&
	    extras->atom_link == NULL)
		extras->atom_link = feed_node_url(feed, node, href);
	else if (href != NULL && rel != NULL && strcmp(rel, "enclosure") == 0)
		feed_node_enclosure(feed, item, node, "href", "length");
	free(rel);
	free(href);
}

static void
rss_guid(struct article *item, struct rss_item_extras *extras, xmlNodePtr node)
{
	char *permalink = feed_node_attribute(node, "isPermaLink");
	char *text = feed_node_text(node);
	char *trimmed = feed_trim(text);

	if (item->guid == NULL && trimmed != NULL) {
		item->guid = xstrdup(trimmed);
		if ((permalink == NULL || strcasecmp(permalink, "false") != 0) &&
		    (strncasecmp(trimmed, "http://", 7) == 0 ||
		    strncasecmp(trimmed, "https://", 8) == 0))
			extras->guid_permalink = xstrdup(trimmed);
	}
	free(trimmed);
	free(text);
	free(permalink);
}

static void
rss_core_child(struct xml_feed *feed, struct article *item, struct rss_item_extras *extras,
    xmlNodePtr child, const char *local)
{
	if (feed_node_matches(feed, child, local, NULL, "title"))
		set_text_once(&item->title_raw, child);
	else if (feed_node_matches(feed, child, local, NULL, "link")) {
		if (item->link == NULL)
			item->link = feed_node_url(feed, child, NULL);
	} else if (feed_node_matches(feed, child, local, NULL, "description")) {
		if (item->summary_html == NULL) {
			set_text_once(&item->summary_html, child);
			feed_node_resolve_html(feed, child, &item->summary_html);
		}
	}
	else if (feed_node_matches(feed, child, local, NULL, "guid"))
		rss_guid(item, extras, child);
	else if (feed_node_matches(feed, child, local, NULL, "author"))
		add_author(&item->authors, child);
	else if (feed_node_matches(feed, child, local, NULL, "category"))
		add_category(&item->categories, child);
	else if (feed_node_matches(feed, child, local, NULL, "pubDate")) {
		/* the core element wins over dc:date and friends, wherever they come */
		time_t when = feed_node_date(child);

		if (when != 0 && !extras->have_pub_date)
			item->published = when;
		extras->have_pub_date = when != 0 || extras->have_pub_date;
	} else if (feed_node_matches(feed, child, local, NULL, "enclosure"))
		feed_node_enclosure(feed, item, child, "url", "length");
}

static void
rss_extension_child(struct xml_feed *feed, struct article *item, struct rss_item_extras *extras,
    xmlNodePtr child, const char *local)
{
	if (feed_node_matches(feed, child, local, NS_CONTENT, "encoded")) {
		if (item->content_html == NULL) {
			set_text_once(&item->content_html, child);
			feed_node_resolve_html(feed, child, &item->content_html);
		}
	}
	else if (feed_node_matches(feed, child, local, NS_DC, "creator") ||
	    feed_node_matches(feed, child, local, NS_DC, "author"))
		add_author(&item->authors, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "subject"))
		add_category(&item->categories, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "date") ||
	    feed_node_matches(feed, child, local, NS_DCTERMS, "issued") ||
	    feed_node_matches(feed, child, local, NS_DCTERMS, "created") ||
	    feed_node_matches(feed, child, local, NS_ATOM_10, "published")) {
		if (item->published == 0)
			item->published = feed_node_date(child);
	} else if (feed_node_matches(feed, child, local, NS_DCTERMS, "modified") ||
	    feed_node_matches(feed, child, local, NS_ATOM_10, "updated")) {
		if (item->updated == 0)
			item->updated = feed_node_date(child);
	} else if (feed_node_matches(feed, child, local, NS_DC, "title"))
		set_text_once(&item->title_raw, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "description"))
		set_text_once(&item->summary_html, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "identifier"))
		set_text_once(&item->guid, child);
	else if (feed_node_matches(feed, child, local, NS_ATOM_10, "link"))
		rss_atom_link(feed, item, extras, child);
	else if (feed_node_matches(feed, child, local, NS_ATOM_10, "id"))
		set_text_once(&item->guid, child);
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "content"))
		feed_node_enclosure(feed, item, child, "url", "fileSize");
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "thumbnail"))
		feed_node_enclosure(feed, item, child, "url", NULL);
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "group")) {
		for (xmlNodePtr grandchild = child->children; grandchild != NULL;
		    grandchild = grandchild->next)
			rss_item_child(feed, item, extras, grandchild);
	} else if (feed_node_matches(feed, child, local, NS_MEDIA, "title"))
		set_text_once(&extras->media_title, child);
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "description"))
		set_media_description(extras, child);
	else if (feed_node_matches(feed, child, local, NS_ITUNES, "author"))
		add_author(&extras->itunes_authors, child);
	else if (feed_node_matches(feed, child, local, NS_ITUNES, "summary"))
		set_text_once(&extras->itunes_summary, child);
}

static void
rss_item_child(struct xml_feed *feed, struct article *item, struct rss_item_extras *extras,
    xmlNodePtr child)
{
	const char *local = feed_node_local(child);

	if (local == NULL)
		return;
	rss_core_child(feed, item, extras, child, local);
	rss_extension_child(feed, item, extras, child, local);
}

static void
apply_extras(struct article *item, struct rss_item_extras *extras)
{
	if (item->link == NULL && extras->atom_link != NULL)
		item->link = xstrdup(extras->atom_link);
	if (item->link == NULL && extras->guid_permalink != NULL)
		item->link = xstrdup(extras->guid_permalink);
	if (item->title_raw == NULL && extras->media_title != NULL)
		item->title_raw = xstrdup(extras->media_title);
	if (item->summary_html == NULL && extras->media_description != NULL)
		item->summary_html = xstrdup(extras->media_description);
	if (item->summary_html == NULL && extras->itunes_summary != NULL)
		item->summary_html = feed_text_to_html(extras->itunes_summary);
	if (item->authors.count == 0)
		for (size_t i = 0; i < extras->itunes_authors.count; i++)
			strlist_add_unique(&item->authors, extras->itunes_authors.items[i]);
	free(extras->atom_link);
	free(extras->guid_permalink);
	free(extras->media_title);
	free(extras->media_description);
	free(extras->itunes_summary);
	strlist_clear(&extras->itunes_authors);
}

struct article *
feed_rss_item(struct xml_feed *feed, xmlNodePtr node)
{
	struct article *item = article_new();
	struct rss_item_extras extras = { 0 };

	for (xmlNodePtr child = node->children; child != NULL; child = child->next)
		rss_item_child(feed, item, &extras, child);
	if (item->guid == NULL) {
		/* RSS 1.0: the item's rdf:about is its URI */
		xmlChar *about = xmlGetNsProp(node, (const xmlChar *)"about",
		    (const xmlChar *)NS_RDF);

		if (about == NULL)
			about = xmlGetNoNsProp(node, (const xmlChar *)"about");
		if (about != NULL)
			feed_set_once(&item->guid, (const char *)about);
		xmlFree(about);
	}
	apply_extras(item, &extras);
	return item;
}

static int
period_seconds(const char *period)
{
	static const struct { const char *name; int seconds; } periods[] = {
		{ "hourly", 3600 }, { "daily", 86400 }, { "weekly", 604800 },
		{ "monthly", 2592000 }, { "yearly", 31536000 },
	};

	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
		if (strcasecmp(period, periods[i].name) == 0)
			return periods[i].seconds;
	return 0;
}

static void
update_schedule(struct xml_feed *feed)
{
	int frequency = feed->update_frequency > 0 ? feed->update_frequency : 1;
	/* the module says an absent updatePeriod means daily */
	int period = feed->update_period > 0 ? feed->update_period : 86400;

	feed->meta->update_period_seconds = period / frequency;
}

static int
node_integer(xmlNodePtr node)
{
	char *text = feed_node_text(node);
	long value = strtol(text, NULL, 10);

	free(text);
	return value > 0 && value < 1000000000L ? (int)value : 0;
}

void
feed_rss_channel_child(struct xml_feed *feed, xmlNodePtr node)
{
	struct feed_meta *meta = feed->meta;

	if (feed_node_is(feed, node, NULL, "channel")) {
		/* RSS 1.0 / 0.90: the channel holds only metadata; items are its siblings */
		for (xmlNodePtr child = node->children; child != NULL; child = child->next)
			if (child->type == XML_ELEMENT_NODE)
				feed_rss_channel_child(feed, child);
	} else if (feed_node_is(feed, node, NULL, "title") ||
	    feed_node_is(feed, node, NS_DC, "title"))
		set_text_once(&meta->title, node);
	else if (feed_node_is(feed, node, NULL, "link")) {
		if (meta->link == NULL)
			meta->link = feed_node_url(feed, node, NULL);
	} else if (feed_node_is(feed, node, NULL, "language") ||
	    feed_node_is(feed, node, NS_DC, "language"))
		set_text_once(&meta->language, node);
	else if (feed_node_is(feed, node, NULL, "ttl"))
		meta->ttl_minutes = node_integer(node);
	else if (feed_node_is(feed, node, NS_SYNDICATION, "updatePeriod")) {
		char *text = feed_node_text(node);
		char *trimmed = feed_trim(text);

		feed->update_period = trimmed != NULL ? period_seconds(trimmed) : 0;
		free(trimmed);
		free(text);
		update_schedule(feed);
	} else if (feed_node_is(feed, node, NS_SYNDICATION, "updateFrequency")) {
		feed->update_frequency = node_integer(node);
		update_schedule(feed);
	}
}
