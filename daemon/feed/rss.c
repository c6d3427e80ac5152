/*
 * rss.c - RSS 0.90-0.94, 1.0 (RDF) and 2.0 items and channels, with the extensions news feeds
 * use: content:encoded, Dublin Core, Media RSS, enclosures, atom:link, iTunes, syndication.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "../url.h"
#include "feed_internal.h"

/* Fallbacks collected while reading an item, used when the main field is absent. */
struct rss_item_extras {
	char	*atom_link;
	char	*guid_permalink;	/* guid when isPermaLink is not "false" */
	char	*media_title;
	char	*media_description;
	int	 media_description_plain;
	char	*itunes_summary;
	struct article *itunes_authors;	/* only its people are used */
	int	 have_pub_date;
	time_t	 dc_date;
};

static void rss_item_child(struct xml_feed *feed, struct article *item,
    struct rss_item_extras *extras, xmlNodePtr child);
static void rss_atom_child(struct xml_feed *feed, struct article *item, xmlNodePtr child,
    const char *local);

static void
set_text_once(char **field, xmlNodePtr node)
{
	if (*field == NULL)
		*field = feed_node_text_trimmed(node);
}

/* set_text_once for a text field of the item, noting where it was read. */
static void
set_item_text_once(const struct xml_feed *feed, struct article *item,
    enum article_text_field field, char **value, xmlNodePtr node)
{
	if (*value != NULL)
		return;
	set_text_once(value, node);
	if (*value != NULL)
		feed_node_text_detail(feed, item, field, node);
}

/* <category domain="scheme">term</category>, dc:subject */
static void
add_category(struct article *item, xmlNodePtr node)
{
	char *trimmed = feed_node_text_trimmed(node);
	char *domain = feed_node_attribute(node, "domain");

	article_add_category(item, trimmed, domain, NULL);
	free(domain);
	free(trimmed);
}

static void
add_author(struct article *item, xmlNodePtr node)
{
	char *text = feed_node_text(node);

	feed_add_author(item, text);
	free(text);
}

/* The item's body as HTML (content:encoded, fullitem) or XHTML (xhtml:body). */
static void
set_content_once(struct xml_feed *feed, struct article *item, xmlNodePtr node,
    enum article_text_type type)
{
	if (item->content_html != NULL)
		return;
	if (type == ARTICLE_TEXT_XHTML) {
		char *html = feed_node_inner_html(node);

		item->content_html = feed_trim(html);
		free(html);
	} else
		item->content_html = feed_node_text_take_trimmed(node);
	item->content_type = (unsigned char)type;
	feed_node_resolve_html(feed, node, &item->content_html);
	if (item->content_html != NULL)
		feed_node_text_detail(feed, item, ARTICLE_FIELD_CONTENT, node);
}

/* A text element that may hold HTML: the media:description type="plain" is escaped. */
static void
set_media_description(struct rss_item_extras *extras, xmlNodePtr node)
{
	char *type = feed_node_attribute(node, "type");
	char *text = feed_node_text(node);
	char *trimmed = feed_trim(text);

	if (extras->media_description == NULL && trimmed != NULL) {
		extras->media_description = trimmed;
		extras->media_description_plain = type == NULL || strcasecmp(type, "html") != 0;
	} else
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

/*
 * description, dc:description, and the <summary> some RSS feeds use: the first is the summary,
 * a second one the content when there is none yet (feedparser's reading).
 */
static void
rss_description(struct xml_feed *feed, struct article *item, xmlNodePtr node)
{
	if (item->summary_html == NULL) {
		set_item_text_once(feed, item, ARTICLE_FIELD_SUMMARY, &item->summary_html, node);
		feed_node_resolve_html(feed, node, &item->summary_html);
	} else if (item->content_html == NULL)
		set_content_once(feed, item, node, ARTICLE_TEXT_HTML);
}

static void
rss_guid(struct article *item, struct rss_item_extras *extras, xmlNodePtr node)
{
	char *permalink = feed_node_attribute(node, "isPermaLink");
	char *trimmed = feed_node_text_trimmed(node);

	if (item->guid == NULL && trimmed != NULL) {
		item->guid = xstrdup(trimmed);
		item->guid_is_permalink = permalink == NULL || strcasecmp(permalink, "false") != 0;
		if (item->guid_is_permalink &&
		    (strncasecmp(trimmed, "http://", 7) == 0 ||
		    strncasecmp(trimmed, "https://", 8) == 0))
			extras->guid_permalink = xstrdup(trimmed);
	}
	free(trimmed);
	free(permalink);
}

static void
rss_core_child(struct xml_feed *feed, struct article *item, struct rss_item_extras *extras,
    xmlNodePtr child, const char *local)
{
	if (feed_node_matches(feed, child, local, NULL, "title"))
		set_item_text_once(feed, item, ARTICLE_FIELD_TITLE, &item->title_raw, child);
	else if (feed_node_matches(feed, child, local, NULL, "link")) {
		/* the last <link> wins, and an empty one's href, as in both reference parsers */
		char *link = feed_node_url(feed, child, NULL);

		if (link == NULL) {
			char *href = feed_node_attribute(child, "href");

			link = href != NULL ? feed_node_url(feed, child, href) : NULL;
			free(href);
		}
		if (link != NULL) {
			free(item->link);
			item->link = link;
		}
	} else if (feed_node_matches(feed, child, local, NULL, "description") ||
	    feed_node_matches(feed, child, local, NULL, "summary"))
		rss_description(feed, item, child);
	else if (feed_node_matches(feed, child, local, NULL, "guid"))
		rss_guid(item, extras, child);
	else if (feed_node_matches(feed, child, local, NULL, "author"))
		add_author(item, child);
	else if (feed_node_matches(feed, child, local, NULL, "category"))
		add_category(item, child);
	else if (feed_node_matches(feed, child, local, NULL, "fullitem"))
		set_content_once(feed, item, child, ARTICLE_TEXT_HTML);
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
	if (feed_node_matches(feed, child, local, NS_CONTENT, "encoded"))
		set_content_once(feed, item, child, ARTICLE_TEXT_HTML);
	else if (feed_node_matches(feed, child, local, NS_XHTML, "body"))
		set_content_once(feed, item, child, ARTICLE_TEXT_XHTML);
	else if (feed_node_matches(feed, child, local, NS_DC, "creator") ||
	    feed_node_matches(feed, child, local, NS_DC, "author"))
		add_author(item, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "subject"))
		add_category(item, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "date")) {
		/* the publication date, and the update date unless another says (both references) */
		if (item->published == 0)
			item->published = feed_node_date(child);
		if (extras->dc_date == 0)
			extras->dc_date = feed_node_date(child);
	} else if (feed_node_matches(feed, child, local, NS_DCTERMS, "created")) {
		/* the creation date, not the publication (both references) */
		if (item->created == 0)
			item->created = feed_node_date(child);
	} else if (feed_node_matches(feed, child, local, NS_DCTERMS, "issued") ||
	    feed_node_matches(feed, child, local, NS_ATOM_10, "published")) {
		if (item->published == 0)
			item->published = feed_node_date(child);
	} else if (feed_node_matches(feed, child, local, NS_DCTERMS, "modified") ||
	    feed_node_matches(feed, child, local, NS_ATOM_10, "updated")) {
		if (item->updated == 0)
			item->updated = feed_node_date(child);
	} else if (feed_node_matches(feed, child, local, NS_DC, "title"))
		set_item_text_once(feed, item, ARTICLE_FIELD_TITLE, &item->title_raw, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "description"))
		rss_description(feed, item, child);
	else if (feed_node_matches(feed, child, local, NS_ATOM_10, "link"))
		rss_atom_link(feed, item, extras, child);
	else if (feed_node_matches(feed, child, local, NS_ATOM_10, "id"))
		set_text_once(&item->guid, child);
	else if (feed_media_child(feed, item, child, local))
		;
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "group")) {
		for (xmlNodePtr grandchild = child->children; grandchild != NULL;
		    grandchild = grandchild->next)
			rss_item_child(feed, item, extras, grandchild);
	} else if (feed_node_matches(feed, child, local, NS_MEDIA, "title"))
		set_text_once(&extras->media_title, child);
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "description"))
		set_media_description(extras, child);
	else if (feed_node_matches(feed, child, local, NS_ITUNES, "author")) {
		if (extras->itunes_authors == NULL)
			extras->itunes_authors = article_new();
		add_author(extras->itunes_authors, child);
	}
	else if (feed_node_matches(feed, child, local, NS_ITUNES, "summary"))
		set_text_once(&extras->itunes_summary, child);
	else
		rss_atom_child(feed, item, child, local);
}

/* Atom author, category and content inside an RSS item; itunes:keywords as categories. */
static void
rss_atom_child(struct xml_feed *feed, struct article *item, xmlNodePtr child, const char *local)
{
	if (feed_node_matches(feed, child, local, NS_ATOM_10, "author"))
		feed_atom_add_person(feed, item, child);
	else if (feed_node_matches(feed, child, local, NS_ATOM_10, "category"))
		feed_atom_add_category(item, child);
	else if (feed_node_matches(feed, child, local, NS_ATOM_10, "content") &&
	    item->content_html == NULL) {
		enum article_text_type type;
		char *text = feed_atom_text(feed, child, &type);

		item->content_html = feed_trim(text);
		free(text);
		item->content_type = (unsigned char)type;
		if (type == ARTICLE_TEXT_PLAIN && item->content_html != NULL) {
			item->content_raw = item->content_html;
			item->content_html = feed_text_to_html(item->content_raw);
		} else
			feed_node_resolve_html(feed, child, &item->content_html);
		if (item->content_html != NULL)
			feed_node_text_detail(feed, item, ARTICLE_FIELD_CONTENT, child);
	} else if (feed_node_matches(feed, child, local, NS_ITUNES, "keywords")) {
		char *text = feed_node_text(child), *rest = NULL;

		for (char *word = strtok_r(text, ",", &rest); word != NULL;
		    word = strtok_r(NULL, ",", &rest)) {
			char *term = feed_trim(word);

			article_add_category(item, term, "http://www.itunes.com/", NULL);
			free(term);
		}
		free(text);
	}
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

/* A summary from a fallback: plain text is kept as served and escaped for summary_html. */
static void
set_summary(struct article *item, const char *text, int plain)
{
	if (!plain) {
		item->summary_html = xstrdup(text);
		return;
	}
	item->summary_raw = xstrdup(text);
	item->summary_html = feed_text_to_html(text);
	item->summary_type = ARTICLE_TEXT_PLAIN;
}

static void
apply_extras(struct article *item, struct rss_item_extras *extras)
{
	if (item->link == NULL && extras->atom_link != NULL)
		item->link = xstrdup(extras->atom_link);
	if (item->link == NULL && extras->guid_permalink != NULL) {
		/* only a guid that is a URL with a host ("http://example.c[o/" is not) */
		char *domain = url_domain(extras->guid_permalink);

		if (domain != NULL)
			item->link = xstrdup(extras->guid_permalink);
		free(domain);
	}
	if (item->updated == 0)
		item->updated = extras->dc_date;
	if (item->title_raw == NULL && extras->media_title != NULL)
		item->title_raw = xstrdup(extras->media_title);
	if (item->summary_html == NULL && extras->media_description != NULL)
		set_summary(item, extras->media_description, extras->media_description_plain);
	if (item->summary_html == NULL && extras->itunes_summary != NULL)
		set_summary(item, extras->itunes_summary, 1);
	if (item->person_count == 0 && extras->itunes_authors != NULL)
		for (size_t i = 0; i < extras->itunes_authors->person_count; i++)
			article_add_person(item, extras->itunes_authors->people[i].name,
			    extras->itunes_authors->people[i].email, NULL);
	free(extras->atom_link);
	free(extras->guid_permalink);
	free(extras->media_title);
	free(extras->media_description);
	free(extras->itunes_summary);
	article_free(extras->itunes_authors);
}

/* Every tag in text names an HTML element and every entity reference an HTML entity. */
static int
only_html_names(const char *text)
{
	char name[32];

	for (const char *at = strchr(text, '<'); at != NULL; at = strchr(at + 1, '<')) {
		size_t length = 0;
		const char *start = at + 1 + (at[1] == '/');

		while (isalnum((unsigned char)start[length]) && length < sizeof name - 1)
			length++;
		memcpy(name, start, length);
		name[length] = '\0';
		if (length > 0 && htmlTagLookup((const xmlChar *)name) == NULL)
			return 0;
	}
	for (const char *at = strchr(text, '&'); at != NULL; at = strchr(at + 1, '&')) {
		size_t length = 0;

		while (isalnum((unsigned char)at[1 + length]) && length < sizeof name - 1)
			length++;
		memcpy(name, at + 1, length);
		name[length] = '\0';
		if (length > 0 && at[1 + length] == ';' && htmlEntityLookup((const xmlChar *)name) == NULL)
			return 0;
	}
	return 1;
}

/*
 * RSS says nothing of a title's type: text, unless it holds an end tag or an entity
 * reference and only HTML names, as feedparser judges (its _looks_like_html).
 */
static int
looks_like_html(const char *text)
{
	int marked = 0;

	for (const char *at = strchr(text, '<'); at != NULL && !marked; at = strchr(at + 1, '<'))
		marked = at[1] == '/' && isalpha((unsigned char)at[2]) && strchr(at, '>') != NULL;
	for (const char *at = strchr(text, '&'); at != NULL && !marked; at = strchr(at + 1, '&')) {
		const char *end = at + 1 + (at[1] == '#');

		while (isalnum((unsigned char)*end))
			end++;
		marked = *end == ';' && end > at + 1 + (at[1] == '#');
	}
	return marked && only_html_names(text);
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
	item->title_type = item->title_raw != NULL && looks_like_html(item->title_raw) ?
	    ARTICLE_TEXT_HTML : ARTICLE_TEXT_PLAIN;
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

/* A feed-level author: managingEditor, dc:creator, itunes:author ("email (Name)"). */
static void
add_feed_author(struct feed_meta *meta, xmlNodePtr node)
{
	char *text = feed_node_text(node);
	char *name, *email;

	feed_split_author(text, &name, &email);
	article_person_list_add(&meta->authors, &meta->author_count, name, email, NULL);
	free(name);
	free(email);
	free(text);
}

/* The channel's description, image, generator, last update and authors. */
static void
rss_channel_detail(struct xml_feed *feed, xmlNodePtr node)
{
	struct feed_meta *meta = feed->meta;

	if (feed_node_is(feed, node, NULL, "description") ||
	    feed_node_is(feed, node, NS_DC, "description"))
		set_text_once(&meta->subtitle, node);
	else if (feed_node_is(feed, node, NULL, "image")) {
		for (xmlNodePtr child = node->children; child != NULL; child = child->next)
			if (feed_node_is(feed, child, NULL, "url") && meta->image == NULL)
				meta->image = feed_node_url(feed, child, NULL);
	} else if (feed_node_is(feed, node, NS_ITUNES, "image") && meta->image == NULL) {
		char *href = feed_node_attribute(node, "href");

		if (href != NULL)
			meta->image = feed_node_url(feed, node, href);
		free(href);
	} else if (feed_node_is(feed, node, NULL, "generator") ||
	    feed_node_is(feed, node, "http://webns.net/mvcb/", "generatorAgent"))
		set_text_once(&meta->generator, node);
	else if (feed_node_is(feed, node, NULL, "lastBuildDate") ||
	    feed_node_is(feed, node, NS_DC, "date") || feed_node_is(feed, node, NS_ATOM_10, "updated"))
		meta->updated = meta->updated != 0 ? meta->updated : feed_node_date(node);
	else if (feed_node_is(feed, node, NULL, "managingEditor") ||
	    feed_node_is(feed, node, NS_DC, "creator") || feed_node_is(feed, node, NS_ITUNES, "author"))
		add_feed_author(meta, node);
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
	    feed_node_is(feed, node, NS_DC, "language")) {
		char *text = feed_node_text(node);
		char *trimmed = feed_trim(text);

		if (trimmed != NULL) {	/* the element says more than the root's xml:lang */
			free(meta->language);
			meta->language = trimmed;
		}
		free(text);
	}
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
	} else
		rss_channel_detail(feed, node);
}
