/*
 * atom.c - Atom 1.0 (RFC 4287) and Atom 0.3 entries and feed metadata: text constructs
 * (text, html, xhtml; 0.3's mode=escaped/xml/base64), links by rel, authors, categories,
 * published/updated (0.3: issued/modified/created).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#include "feed_internal.h"

enum text_type { TEXT_PLAIN, TEXT_HTML, TEXT_XHTML };

static enum text_type
text_type_of(const struct xml_feed *feed, xmlNodePtr node)
{
	char *type = feed_node_attribute(node, "type");
	char *mode = feed_node_attribute(node, "mode");
	enum text_type result = TEXT_PLAIN;

	if (type == NULL || strcasecmp(type, "text") == 0 || strcasecmp(type, "text/plain") == 0)
		result = TEXT_PLAIN;
	else if (strcasecmp(type, "html") == 0 || strcasecmp(type, "text/html") == 0)
		result = TEXT_HTML;
	else if (strcasecmp(type, "xhtml") == 0 || strcasecmp(type, "application/xhtml+xml") == 0)
		result = TEXT_XHTML;
	if (feed->atom03 && mode != NULL) {
		/* 0.3: mode says how it is stored; type (a MIME type) what it is */
		if (strcasecmp(mode, "xml") == 0)
			result = TEXT_XHTML;
		else if (strcasecmp(mode, "escaped") == 0 && result == TEXT_XHTML)
			result = TEXT_HTML;
	}
	free(type);
	free(mode);
	return result;
}

/* The xhtml div's children (or all children when the div is missing) as HTML. */
static char *
xhtml_content(xmlNodePtr node)
{
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE && strcmp((const char *)child->name, "div") == 0)
			return feed_node_inner_html(child);
		if (child->type == XML_ELEMENT_NODE)
			break;
	}
	return feed_node_inner_html(node);
}

static char *
base64_decode(const char *text)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buffer out = { 0 };
	unsigned accumulator = 0;
	int bits = 0;

	for (; *text != '\0' && *text != '='; text++) {
		const char *found = strchr(alphabet, *text);

		if (found == NULL || *text == '\0')
			continue;	/* whitespace and line breaks */
		accumulator = (accumulator << 6) | (unsigned)(found - alphabet);
		bits += 6;
		if (bits >= 8) {
			char byte = (char)((accumulator >> (bits - 8)) & 0xFF);

			buffer_append(&out, &byte, 1);
			bits -= 8;
		}
	}
	return buffer_steal(&out);
}

char *
feed_atom_text(const struct xml_feed *feed, xmlNodePtr node, int want_html)
{
	enum text_type type = text_type_of(feed, node);
	char *mode = feed->atom03 ? feed_node_attribute(node, "mode") : NULL;
	char *text, *result;

	if (type == TEXT_XHTML) {
		free(mode);
		return xhtml_content(node);
	}
	text = feed_node_text(node);
	if (mode != NULL && strcasecmp(mode, "base64") == 0) {
		char *decoded = base64_decode(text);

		free(text);
		text = decoded;
	}
	free(mode);
	if (type == TEXT_HTML || !want_html)
		return text;
	result = feed_text_to_html(text);
	free(text);
	return result;
}

static void
set_construct_once(const struct xml_feed *feed, char **field, xmlNodePtr node, int want_html)
{
	char *text, *trimmed;

	if (*field != NULL)
		return;
	text = feed_atom_text(feed, node, want_html);
	trimmed = feed_trim(text);
	if (trimmed != NULL && (!want_html || strcmp(trimmed, "<p></p>") != 0))
		*field = trimmed;
	else
		free(trimmed);
	free(text);
	if (want_html)
		feed_node_resolve_html(feed, node, field);
}

/* A person construct: its name, else its email. */
static void
add_person(const struct xml_feed *feed, struct strlist *authors, xmlNodePtr node)
{
	xmlNodePtr name = NULL, email = NULL;
	xmlChar *content;

	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (feed_node_is(feed, child, NULL, "name"))
			name = child;
		else if (feed_node_is(feed, child, NULL, "email"))
			email = child;
	}
	if (name == NULL && email == NULL) {
		/* <author>Jo Smith</author>, seen in the wild */
		if (node->children != NULL && node->children->type == XML_TEXT_NODE)
			name = node;
		else
			return;
	}
	content = xmlNodeGetContent(name != NULL ? name : email);
	if (content != NULL)
		feed_add_author(authors, (const char *)content);
	xmlFree(content);
}

static void
add_category(struct article *item, xmlNodePtr node)
{
	char *term = feed_node_attribute(node, "term");
	char *label = feed_node_attribute(node, "label");
	char *trimmed = feed_trim(term != NULL && *term != '\0' ? term : label);

	if (trimmed == NULL) {
		/* Atom 0.3 feeds sometimes carry dc:subject-like text in <category> */
		char *text = feed_node_text(node);

		trimmed = feed_trim(text);
		free(text);
	}
	if (trimmed != NULL)
		strlist_add_unique(&item->categories, trimmed);
	free(trimmed);
	free(term);
	free(label);
}

/* How good a link is as the item's link: alternate text/html best, then any alternate. */
static int
link_rank(const char *rel, const char *type)
{
	if (rel != NULL && strcmp(rel, "alternate") != 0 &&
	    strcmp(rel, "http://www.iana.org/assignments/relation/alternate") != 0)
		return 0;
	if (type == NULL || strcasecmp(type, "text/html") == 0 ||
	    strcasecmp(type, "application/xhtml+xml") == 0)
		return 2;
	return 1;
}

static void
atom_link(const struct xml_feed *feed, struct article *item, int *best_rank, xmlNodePtr node)
{
	char *rel = feed_node_attribute(node, "rel");
	char *type = feed_node_attribute(node, "type");
	char *href = feed_node_attribute(node, "href");
	int rank = link_rank(rel, type);

	if (href == NULL) {
		/* Atom 0.3 feeds converted by hand: <link>http://...</link> */
		char *text = feed_node_text(node);

		href = feed_trim(text);
		free(text);
	}
	if (href != NULL && rel != NULL && strcmp(rel, "enclosure") == 0)
		feed_node_enclosure(feed, item, node, "href", "length");
	else if (href != NULL && rank > *best_rank) {
		free(item->link);
		item->link = feed_node_url(feed, node, href);
		*best_rank = rank;
	}
	free(rel);
	free(type);
	free(href);
}

static void
atom_date(time_t *field, xmlNodePtr node)
{
	if (*field == 0)
		*field = feed_node_date(node);
}

static void
atom_entry_child(struct xml_feed *feed, struct article *item, int *best_link_rank,
    xmlNodePtr child)
{
	const char *local = feed_node_local(child);

	if (local == NULL)
		return;
	if (feed_node_matches(feed, child, local, NULL, "title"))
		set_construct_once(feed, &item->title_raw, child, 0);
	else if (feed_node_matches(feed, child, local, NULL, "link"))
		atom_link(feed, item, best_link_rank, child);
	else if (feed_node_matches(feed, child, local, NULL, "id")) {
		char *text = feed_node_text(child);

		feed_set_once(&item->guid, text);
		free(text);
	} else if (feed_node_matches(feed, child, local, NULL, "published") ||
	    feed_node_matches(feed, child, local, NULL, "issued"))
		atom_date(&item->published, child);
	else if (feed_node_matches(feed, child, local, NULL, "updated") ||
	    feed_node_matches(feed, child, local, NULL, "modified"))
		atom_date(&item->updated, child);
	else if (feed_node_matches(feed, child, local, NULL, "content")) {
		char *source = feed_node_attribute(child, "src");

		if (source == NULL)	/* out-of-line content is not fetched */
			set_construct_once(feed, &item->content_html, child, 1);
		free(source);
	} else if (feed_node_matches(feed, child, local, NULL, "summary"))
		set_construct_once(feed, &item->summary_html, child, 1);
	else if (feed_node_matches(feed, child, local, NULL, "author"))
		add_person(feed, &item->authors, child);
	else if (feed_node_matches(feed, child, local, NULL, "category"))
		add_category(item, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "creator")) {
		char *text = feed_node_text(child);

		feed_add_author(&item->authors, text);
		free(text);
	} else if (feed_node_matches(feed, child, local, NS_DC, "subject")) {
		char *text = feed_node_text(child);
		char *trimmed = feed_trim(text);

		if (trimmed != NULL)
			strlist_add_unique(&item->categories, trimmed);
		free(trimmed);
		free(text);
	} else if (feed_node_matches(feed, child, local, NS_MEDIA, "content"))
		feed_node_enclosure(feed, item, child, "url", "fileSize");
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "thumbnail"))
		feed_node_enclosure(feed, item, child, "url", NULL);
	else if (feed_node_matches(feed, child, local, NS_MEDIA, "group"))
		for (xmlNodePtr grandchild = child->children; grandchild != NULL;
		    grandchild = grandchild->next)
			atom_entry_child(feed, item, best_link_rank, grandchild);
}

struct article *
feed_atom_entry(struct xml_feed *feed, xmlNodePtr node)
{
	struct article *item = article_new();
	int best_link_rank = 0;
	xmlNodePtr created = NULL;

	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (child->type != XML_ELEMENT_NODE)
			continue;
		atom_entry_child(feed, item, &best_link_rank, child);
		if (feed_node_is(feed, child, NULL, "created"))
			created = child;
	}
	if (item->published == 0 && created != NULL)
		item->published = feed_node_date(created);
	if (item->authors.count == 0) {
		/* RFC 4287 4.2.1: an entry without an author has the source's, else the feed's */
		for (xmlNodePtr child = node->children; child != NULL; child = child->next)
			if (feed_node_is(feed, child, NULL, "source"))
				for (xmlNodePtr person = child->children; person != NULL;
				    person = person->next)
					if (feed_node_is(feed, person, NULL, "author"))
						add_person(feed, &item->authors, person);
	}
	if (item->authors.count == 0)
		for (size_t i = 0; i < feed->feed_authors.count; i++)
			strlist_add(&item->authors, feed->feed_authors.items[i]);
	return item;
}

void
feed_atom_feed_child(struct xml_feed *feed, xmlNodePtr node)
{
	struct feed_meta *meta = feed->meta;

	if (feed_node_is(feed, node, NULL, "title"))
		set_construct_once(feed, &meta->title, node, 0);
	else if (feed_node_is(feed, node, NULL, "link")) {
		char *rel = feed_node_attribute(node, "rel");
		char *type = feed_node_attribute(node, "type");
		char *href = feed_node_attribute(node, "href");

		if (href != NULL && link_rank(rel, type) == 2 && meta->link == NULL)
			meta->link = feed_node_url(feed, node, href);
		free(rel);
		free(type);
		free(href);
	} else if (feed_node_is(feed, node, NULL, "author"))
		add_person(feed, &feed->feed_authors, node);
}
