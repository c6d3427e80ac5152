/*
 * atom.c - Atom 1.0 (RFC 4287) and Atom 0.3 entries and feed metadata: text constructs
 * (text, html, xhtml; 0.3's mode=escaped/xml/base64), links by rel, authors, categories,
 * published/updated (0.3: issued/modified; created kept apart).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <utf8proc.h>

#include "feed_internal.h"

/* How a text construct is stored in the document. */
enum text_storage { STORED_ESCAPED, STORED_MARKUP, STORED_BASE64 };

static int
has_element_child(xmlNodePtr node)
{
	for (xmlNodePtr child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

static int
is_textual_mime(const char *type)
{
	size_t length = strlen(type);

	return strncasecmp(type, "text/", 5) == 0 || (length > 4 &&
	    (strcasecmp(type + length - 4, "+xml") == 0 || strcasecmp(type + length - 4, "/xml") == 0));
}

/* What the construct is (RFC 4287 3.1; Atom 0.3 type= is a MIME type, text/plain by default). */
static enum article_text_type
construct_type(const char *type)
{
	if (type == NULL || type[0] == '\0' || strcasecmp(type, "text") == 0 ||
	    strcasecmp(type, "text/plain") == 0)
		return ARTICLE_TEXT_PLAIN;
	if (strcasecmp(type, "xhtml") == 0 || strcasecmp(type, "application/xhtml+xml") == 0)
		return ARTICLE_TEXT_XHTML;
	return ARTICLE_TEXT_HTML;	/* html, text/html, and decoded base64 of other types */
}

/* 1.0: any type but text, html, xhtml, text/x and x+xml is base64; 0.3 says it with mode=. */
static enum text_storage
construct_storage(const struct xml_feed *feed, xmlNodePtr node, const char *type,
    const char *mode)
{
	if (feed->atom03 && mode != NULL && strcasecmp(mode, "base64") == 0)
		return STORED_BASE64;
	if (feed->atom03 && mode != NULL && strcasecmp(mode, "escaped") == 0)
		return STORED_ESCAPED;
	if (!feed->atom03 && type != NULL && type[0] != '\0' && strcasecmp(type, "text") != 0 &&
	    strcasecmp(type, "html") != 0 && strcasecmp(type, "xhtml") != 0 &&
	    !is_textual_mime(type))
		return STORED_BASE64;
	return has_element_child(node) ? STORED_MARKUP : STORED_ESCAPED;
}

/* The only element child is an XHTML div (a wrapper written where it does not belong). */
static int
is_xhtml_div(xmlNodePtr node)
{
	xmlNodePtr found = NULL;

	for (xmlNodePtr child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE) {
			if (found != NULL)
				return 0;
			found = child;
		}
	return found != NULL && strcmp((const char *)found->name, "div") == 0 &&
	    found->ns != NULL && strcmp((const char *)found->ns->href, NS_XHTML) == 0;
}

/* Atom 1.0 xhtml: the wrapper div's children (all children when there is no div). */
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

/* Decoded base64 is used only when it is text: valid UTF-8 without NUL or C0 controls. */
static int
utf8_valid(const char *text, size_t length)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)text;
	const utf8proc_uint8_t *end = at + length;
	utf8proc_int32_t code_point;

	while (at < end) {
		utf8proc_ssize_t size = utf8proc_iterate(at, end - at, &code_point);

		if (size <= 0 || (code_point < 0x20 && code_point != '\t' && code_point != '\n' &&
		    code_point != '\r'))
			return 0;
		at += size;
	}
	return 1;
}

/*
 * Strict base64 (line breaks and spaces allowed, whole quads with their padding); NULL when
 * the text is not that, so that text sent under another type (type="application/json") stays.
 */
static char *
base64_decode(const char *text)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buffer out = { 0 };
	unsigned accumulator = 0;
	int bits = 0;
	size_t symbols = 0, padding = 0;

	for (; *text != '\0'; text++) {
		const char *found = strchr(alphabet, *text);

		if (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
			continue;
		if (*text == '=' && padding < 2) {
			padding++;
			continue;
		}
		if (found == NULL || padding > 0) {
			buffer_free(&out);
			return NULL;
		}
		symbols++;
		accumulator = (accumulator << 6) | (unsigned)(found - alphabet);
		bits += 6;
		if (bits >= 8) {
			char byte = (char)((accumulator >> (bits - 8)) & 0xFF);

			buffer_append(&out, &byte, 1);
			bits -= 8;
		}
	}
	if ((symbols + padding) % 4 != 0) {
		buffer_free(&out);
		return NULL;
	}
	return buffer_steal(&out);
}

char *
feed_atom_text(const struct xml_feed *feed, xmlNodePtr node, enum article_text_type *type_out)
{
	char *type = feed_node_attribute(node, "type");
	char *mode = feed->atom03 ? feed_node_attribute(node, "mode") : NULL;
	enum article_text_type type_of = construct_type(type);
	enum text_storage storage = construct_storage(feed, node, type, mode);
	char *text;

	if (storage == STORED_MARKUP && type_of == ARTICLE_TEXT_HTML && is_xhtml_div(node)) {
		/* escaped HTML in an xhtml div (type="html"><div xmlns=...>&lt;b&gt;): its text */
		xmlChar *content = xmlNodeGetContent(node);

		text = xstrdup(content != NULL ? (const char *)content : "");
		xmlFree(content);
	} else if (storage == STORED_MARKUP) {
		/* 1.0 xhtml drops its div; 0.3 inline markup is kept whole */
		text = !feed->atom03 && type_of == ARTICLE_TEXT_XHTML ? xhtml_content(node) :
		    feed_node_inner_html(node);
		if (type_of == ARTICLE_TEXT_PLAIN)
			type_of = ARTICLE_TEXT_HTML;	/* "naked" markup */
	} else {
		text = feed_node_text(node);
		if (storage == STORED_BASE64) {
			char *decoded = base64_decode(text);

			/* what does not decode to UTF-8 text stays as it was */
			if (decoded != NULL && utf8_valid(decoded, strlen(decoded))) {
				free(text);
				text = decoded;
			} else
				free(decoded);
		}
	}
	free(type);
	free(mode);
	*type_out = type_of;
	return text;
}

/* A text construct for a field without a type (feed subtitle...): HTML stays, text escaped. */
static void
set_title_once(const struct xml_feed *feed, char **field, unsigned char *type,
    xmlNodePtr node)
{
	enum article_text_type found;
	char *text;

	if (*field != NULL)
		return;
	text = feed_atom_text(feed, node, &found);
	*field = feed_trim(text);
	free(text);
	if (type != NULL)
		*type = (unsigned char)found;
	if (found != ARTICLE_TEXT_PLAIN)
		feed_node_resolve_html(feed, node, field);
}

/*
 * summary / content: the HTML form in *html (plain text escaped into paragraphs), and the
 * text as served in *raw when it is plain text.
 */
static void
set_body_once(const struct xml_feed *feed, char **html, char **raw, unsigned char *type,
    xmlNodePtr node)
{
	enum article_text_type found;
	char *text, *trimmed;

	if (*html != NULL)
		return;
	text = feed_atom_text(feed, node, &found);
	trimmed = feed_trim(text);
	free(text);
	if (trimmed == NULL)
		return;
	*type = (unsigned char)found;
	if (found == ARTICLE_TEXT_PLAIN) {
		*raw = trimmed;
		*html = feed_text_to_html(trimmed);
		return;
	}
	*html = trimmed;
	feed_node_resolve_html(feed, node, html);
}

/* The trimmed text of a child element, or NULL. */
static char *
child_text(xmlNodePtr node)
{
	return feed_node_text_trimmed(node);
}

/* A person construct: name, email, uri (0.3: url, homepage). Empty parts stay NULL. */
static void
read_person(const struct xml_feed *feed, xmlNodePtr node, char **name, char **email,
    char **uri)
{
	*name = *email = *uri = NULL;
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		const char *local = feed_node_local(child);

		if (local == NULL || (!feed_node_in(feed, child, NULL) &&
		    !feed_node_in(feed, child, NS_ATOM_10)))
			continue;
		if (strcmp(local, "name") == 0 && *name == NULL)
			*name = child_text(child);
		else if (strcmp(local, "email") == 0 && *email == NULL)
			*email = child_text(child);
		else if ((strcmp(local, "uri") == 0 || strcmp(local, "url") == 0 ||
		    strcmp(local, "homepage") == 0) && *uri == NULL) {
			char *text = child_text(child);

			*uri = text != NULL ? feed_node_url(feed, child, text) : NULL;
			free(text);
		}
	}
	if (*name == NULL && *email == NULL && *uri == NULL &&
	    node->children != NULL && node->children->type == XML_TEXT_NODE) {
		/* <author>Jo Smith &lt;jo@example.com&gt;</author>, seen in the wild */
		char *text = child_text(node);

		feed_split_author(text, name, email);
		free(text);
	}
}

void
feed_atom_add_person(const struct xml_feed *feed, struct article *item, xmlNodePtr node)
{
	char *name, *email, *uri;

	read_person(feed, node, &name, &email, &uri);
	article_add_person(item, name, email, uri);
	free(name);
	free(email);
	free(uri);
}

static void
add_feed_person(struct xml_feed *feed, xmlNodePtr node)
{
	char *name, *email, *uri;

	read_person(feed, node, &name, &email, &uri);
	article_person_list_add(&feed->meta->authors, &feed->meta->author_count, name, email, uri);
	free(name);
	free(email);
	free(uri);
}

void
feed_atom_add_category(struct article *item, xmlNodePtr node)
{
	char *term = feed_node_attribute(node, "term");
	char *scheme = feed_node_attribute(node, "scheme");
	char *label = feed_node_attribute(node, "label");
	char *trimmed = feed_trim(term);

	if (trimmed == NULL && label == NULL)
		/* Atom 0.3 feeds sometimes carry dc:subject-like text in <category> */
		trimmed = child_text(node);
	article_add_category(item, trimmed, scheme, label);
	free(trimmed);
	free(term);
	free(scheme);
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

/* A repeated date element: the last one that parses wins, as in feedparser and gofeed. */
static void
atom_date(time_t *field, xmlNodePtr node)
{
	time_t when = feed_node_date(node);

	if (when != 0)
		*field = when;
}

static void
atom_text_child(struct xml_feed *feed, struct article *item, xmlNodePtr child,
    const char *local)
{
	if (feed_node_matches(feed, child, local, NULL, "title")) {
		if (item->title_raw != NULL)
			return;
		set_title_once(feed, &item->title_raw, &item->title_type, child);
		if (item->title_raw != NULL)
			feed_node_text_detail(feed, item, ARTICLE_FIELD_TITLE, child);
	} else if (feed_node_matches(feed, child, local, NULL, "content")) {
		char *source = feed_node_attribute(child, "src");

		if (source == NULL && item->content_html == NULL) {
			set_body_once(feed, &item->content_html, &item->content_raw,
			    &item->content_type, child);
			if (item->content_html != NULL)
				feed_node_text_detail(feed, item, ARTICLE_FIELD_CONTENT, child);
		} else if (source != NULL && item->content_src == NULL)
			/* out-of-line content: its URL, never fetched */
			item->content_src = feed_node_url(feed, child, source);
		free(source);
	} else if (feed_node_matches(feed, child, local, NULL, "summary") &&
	    item->summary_html == NULL) {
		set_body_once(feed, &item->summary_html, &item->summary_raw, &item->summary_type,
		    child);
		if (item->summary_html != NULL)
			feed_node_text_detail(feed, item, ARTICLE_FIELD_SUMMARY, child);
	}
}

static void
atom_entry_child(struct xml_feed *feed, struct article *item, int *best_link_rank,
    xmlNodePtr child)
{
	const char *local = feed_node_local(child);

	if (local == NULL)
		return;
	atom_text_child(feed, item, child, local);
	if (feed_node_matches(feed, child, local, NULL, "link"))
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
	else if (feed_node_matches(feed, child, local, NULL, "created"))
		atom_date(&item->created, child);
	else if (feed_node_matches(feed, child, local, NULL, "author"))
		feed_atom_add_person(feed, item, child);
	else if (feed_node_matches(feed, child, local, NULL, "category"))
		feed_atom_add_category(item, child);
	else if (feed_node_matches(feed, child, local, NS_DC, "creator")) {
		char *text = feed_node_text(child);

		feed_add_author(item, text);
		free(text);
	} else if (feed_node_matches(feed, child, local, NS_DC, "subject")) {
		char *text = child_text(child);

		article_add_category(item, text, NULL, NULL);
		free(text);
	} else if (!feed_media_child(feed, item, child, local) &&
	    feed_node_matches(feed, child, local, NS_MEDIA, "group"))
		for (xmlNodePtr grandchild = child->children; grandchild != NULL;
		    grandchild = grandchild->next)
			atom_entry_child(feed, item, best_link_rank, grandchild);
}

struct article *
feed_atom_entry(struct xml_feed *feed, xmlNodePtr node)
{
	struct article *item = article_new();
	int best_link_rank = 0;

	/*
	 * Atom 0.3 created is the creation date, not the publication; the authors of the
	 * entry's source and of the feed stay theirs (the feed line has the feed's): both
	 * reference parsers read entries so, although RFC 4287 4.2.1 lets them apply.
	 */
	for (xmlNodePtr child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE)
			atom_entry_child(feed, item, &best_link_rank, child);
	return item;
}

static void
atom_feed_link(struct xml_feed *feed, xmlNodePtr node)
{
	char *rel = feed_node_attribute(node, "rel");
	char *type = feed_node_attribute(node, "type");
	char *href = feed_node_attribute(node, "href");

	if (href != NULL && link_rank(rel, type) == 2 && feed->meta->link == NULL)
		feed->meta->link = feed_node_url(feed, node, href);
	free(rel);
	free(type);
	free(href);
}

static void
set_feed_url_once(struct xml_feed *feed, char **field, xmlNodePtr node)
{
	if (*field == NULL)
		*field = feed_node_url(feed, node, NULL);
}

void
feed_atom_feed_child(struct xml_feed *feed, xmlNodePtr node)
{
	struct feed_meta *meta = feed->meta;
	const char *local = feed_node_local(node);

	if (local == NULL || !feed_node_in(feed, node, NULL))
		return;
	if (strcmp(local, "title") == 0)
		set_title_once(feed, &meta->title, NULL, node);
	else if (strcmp(local, "subtitle") == 0 || strcmp(local, "tagline") == 0)
		set_title_once(feed, &meta->subtitle, NULL, node);
	else if (strcmp(local, "link") == 0)
		atom_feed_link(feed, node);
	else if (strcmp(local, "author") == 0)
		add_feed_person(feed, node);
	else if (strcmp(local, "logo") == 0)
		set_feed_url_once(feed, &meta->image, node);
	else if (strcmp(local, "icon") == 0 && meta->image == NULL)
		set_feed_url_once(feed, &meta->image, node);
	else if (strcmp(local, "generator") == 0) {
		char *text = child_text(node);

		feed_set_once(&meta->generator, text);
		free(text);
	} else if (strcmp(local, "updated") == 0 || (feed->atom03 && strcmp(local, "modified") == 0))
		atom_date(&meta->updated, node);
}
