/*
 * xmlnode.c - reading one expanded libxml2 subtree (an item, an entry, a channel element):
 * names and namespaces, text, inner markup as HTML, xml:base, dates and enclosures.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <libxml/globals.h>

#include "feed_internal.h"

/* Prefixes feeds use without declaring them, and what they must have meant. */
static const char *const well_known_prefixes[][2] = {
	{ "dc", NS_DC }, { "dcterms", NS_DCTERMS }, { "content", NS_CONTENT },
	{ "media", NS_MEDIA }, { "atom", NS_ATOM_10 }, { "itunes", NS_ITUNES },
	{ "sy", NS_SYNDICATION }, { "rdf", NS_RDF },
};

static const char *
local_name(xmlNodePtr node)
{
	const char *name = (const char *)node->name;

	if (node->ns == NULL)
		for (const char *cursor = name; *cursor != '\0'; cursor++)
			if (*cursor == ':')
				return cursor + 1;
	return name;
}

const char *
feed_node_local(xmlNodePtr node)
{
	if (node == NULL || node->type != XML_ELEMENT_NODE || node->name == NULL)
		return NULL;
	return local_name(node);
}

const char *
feed_node_namespace(xmlNodePtr node)
{
	const char *name = (const char *)node->name;
	const char *colon;

	if (node->ns != NULL)
		return (const char *)node->ns->href;
	if (name == NULL || (colon = strchr(name, ':')) == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(well_known_prefixes) / sizeof(well_known_prefixes[0]); i++) {
		if (strlen(well_known_prefixes[i][0]) == (size_t)(colon - name) &&
		    strncmp(name, well_known_prefixes[i][0], (size_t)(colon - name)) == 0)
			return well_known_prefixes[i][1];
	}
	return "";	/* an unknown undeclared prefix: not the feed's own vocabulary */
}

/* Namespace names compared without a trailing slash or case (http://search.yahoo.com/mrss). */
static int
same_namespace(const char *found, const char *wanted)
{
	size_t found_length, wanted_length;

	if (strcmp(found, wanted) == 0)
		return 1;	/* nearly always, when they are the same */
	found_length = strlen(found);
	wanted_length = strlen(wanted);
	if (found_length > 0 && found[found_length - 1] == '/')
		found_length--;
	if (wanted_length > 0 && wanted[wanted_length - 1] == '/')
		wanted_length--;
	return found_length == wanted_length && strncasecmp(found, wanted, found_length) == 0;
}

int
feed_node_in(const struct xml_feed *feed, xmlNodePtr node, const char *ns)
{
	const char *found = feed_node_namespace(node);

	if (ns != NULL)
		return found != NULL && same_namespace(found, ns);
	if (found == NULL)
		return 1;
	if (feed->kind == FEED_KIND_ATOM)
		return same_namespace(found, NS_ATOM_10) || same_namespace(found, NS_ATOM_03);
	return same_namespace(found, NS_RSS_10) || same_namespace(found, NS_RSS_090) ||
	    same_namespace(found, NS_RSS_20);
}

int
feed_node_is(const struct xml_feed *feed, xmlNodePtr node, const char *ns, const char *local)
{
	const char *name = feed_node_local(node);

	return name != NULL && strcmp(name, local) == 0 && feed_node_in(feed, node, ns);
}

char *
feed_node_attribute(xmlNodePtr node, const char *name)
{
	xmlChar *value;
	char *copy;

	for (xmlAttrPtr attribute = node->properties; attribute != NULL;
	    attribute = attribute->next) {
		xmlNodePtr text = attribute->children;

		if (attribute->ns != NULL || strcmp((const char *)attribute->name, name) != 0)
			continue;
		/* the common shape, copied once (xmlGetNoNsProp would copy it twice here) */
		if (text == NULL)
			return xstrdup("");
		if (text->next == NULL && (text->type == XML_TEXT_NODE ||
		    text->type == XML_CDATA_SECTION_NODE))
			return xstrdup(text->content != NULL ? (const char *)text->content : "");
		break;
	}
	value = xmlGetNoNsProp(node, (const xmlChar *)name);

	if (value == NULL)
		return NULL;
	copy = xstrdup((const char *)value);
	xmlFree(value);
	return copy;
}

static int
is_void_element(const char *name)
{
	static const char *const void_elements[] = {
		"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
		"param", "source", "track", "wbr"
	};

	for (size_t i = 0; i < sizeof(void_elements) / sizeof(void_elements[0]); i++)
		if (strcasecmp(name, void_elements[i]) == 0)
			return 1;
	return 0;
}

static void serialize_children(struct buffer *out, xmlNodePtr node);

/* The namespace an SVG or MathML element starts (it is written on it as xmlns), else NULL. */
static const char *
foreign_root_namespace(xmlNodePtr node)
{
	const char *href = node->ns != NULL ? (const char *)node->ns->href : NULL;
	const char *parent = node->parent != NULL && node->parent->type == XML_ELEMENT_NODE &&
	    node->parent->ns != NULL ? (const char *)node->parent->ns->href : NULL;

	if (href == NULL || (strcmp(href, "http://www.w3.org/2000/svg") != 0 &&
	    strcmp(href, "http://www.w3.org/1998/Math/MathML") != 0))
		return NULL;
	return parent != NULL && strcmp(parent, href) == 0 ? NULL : href;
}

/*
 * An element as HTML: its local name; attributes in a namespace keep their prefix
 * (xlink:href is not an href), and an SVG or MathML subtree says its namespace.
 */
static void
serialize_element(struct buffer *out, xmlNodePtr node)
{
	const char *name = local_name(node);
	const char *foreign = foreign_root_namespace(node);

	buffer_printf(out, "<%s", name);
	if (foreign != NULL)
		buffer_printf(out, " xmlns=\"%s\"", foreign);
	for (xmlAttrPtr attribute = node->properties; attribute != NULL;
	    attribute = attribute->next) {
		xmlChar *value = xmlNodeGetContent((xmlNodePtr)attribute);

		if (attribute->ns != NULL && attribute->ns->prefix != NULL)
			/* HTML knows XLink by the prefix xlink only */
			buffer_printf(out, " %s:%s=\"", attribute->ns->href != NULL &&
			    strcmp((const char *)attribute->ns->href,
			    "http://www.w3.org/1999/xlink") == 0 ? "xlink" :
			    (const char *)attribute->ns->prefix, (const char *)attribute->name);
		else
			buffer_printf(out, " %s=\"", (const char *)attribute->name);
		if (value != NULL)
			feed_html_escape(out, (const char *)value, strlen((const char *)value));
		buffer_append_string(out, "\"");
		xmlFree(value);
	}
	buffer_append_string(out, ">");
	if (node->children == NULL && is_void_element(name))
		return;
	serialize_children(out, node);
	buffer_printf(out, "</%s>", name);
}

static void
serialize_children(struct buffer *out, xmlNodePtr node)
{
	for (xmlNodePtr child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE)
			serialize_element(out, child);
		else if ((child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE) &&
		    child->content != NULL)
			feed_html_escape(out, (const char *)child->content,
			    strlen((const char *)child->content));
	}
}

char *
feed_node_inner_html(xmlNodePtr node)
{
	struct buffer out = { 0 };

	serialize_children(&out, node);
	return buffer_steal(&out);
}

char *
feed_node_text(xmlNodePtr node)
{
	xmlNodePtr only = node->children;
	xmlChar *content;
	char *copy;

	if (only == NULL)
		return xstrdup("");
	if (only->next == NULL && (only->type == XML_TEXT_NODE ||
	    only->type == XML_CDATA_SECTION_NODE))	/* the common case, one copy */
		return xstrdup(only->content != NULL ? (const char *)only->content : "");
	for (xmlNodePtr child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE)
			return feed_node_inner_html(node);
	if ((content = xmlNodeGetContent(node)) == NULL)
		return xstrdup("");
	copy = xstrdup((const char *)content);
	xmlFree(content);
	return copy;
}

/*
 * The common case (one text node) is trimmed where it lies and copied once; feed_node_text()
 * and feed_trim() copied it twice, the item's whole content:encoded among them.
 */
char *
feed_node_text_trimmed(xmlNodePtr node)
{
	xmlNodePtr only = node->children;
	char *text, *trimmed;

	if (only == NULL)
		return NULL;
	if (only->next == NULL && (only->type == XML_TEXT_NODE ||
	    only->type == XML_CDATA_SECTION_NODE))
		return feed_trim(only->content != NULL ? (const char *)only->content : "");
	text = feed_node_text(node);
	trimmed = feed_trim(text);
	free(text);
	return trimmed;
}

/*
 * Whether text, a text node's content, is a string of its own that free() may take: not in
 * the document's dictionary, not stored in the node itself, nothing to trim at either end.
 */
static int
content_can_be_taken(xmlNodePtr text)
{
	const xmlChar *content = text->content;
	size_t length;

	if (content == NULL || content == (const xmlChar *)&text->properties ||
	    (text->doc != NULL && text->doc->dict != NULL &&
	    xmlDictOwns(text->doc->dict, content)))
		return 0;
	if ((length = strlen((const char *)content)) == 0)
		return 0;
	return !isspace(content[0]) && !isspace(content[length - 1]);
}

/*
 * feed_node_text_trimmed(), but the one text node's content is taken from the tree when it
 * needs no trim (the node left empty): an item's content:encoded, several KB, then is not
 * copied again (test_feed checks the same items either way). libxml2 allocates with malloc.
 */
char *
feed_node_text_take_trimmed(xmlNodePtr node)
{
	xmlNodePtr only = node->children;
	char *taken;

	if (only == NULL || only->next != NULL || (only->type != XML_TEXT_NODE &&
	    only->type != XML_CDATA_SECTION_NODE) || xmlFree != free ||
	    !content_can_be_taken(only))
		return feed_node_text_trimmed(node);
	taken = (char *)only->content;
	only->content = NULL;
	return taken;
}

/* A base may only be a hierarchical web or file URL (feedparser refuses javascript: and such). */
static int
base_is_safe(const char *url)
{
	static const char *const schemes[] = { "http:", "https:", "ftp:", "file:" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
			return 1;
	return 0;
}

/* The value of node's xml:NAME attribute (NULL: none), read in place: valid while node is. */
static const char *
xml_attribute(xmlNodePtr node, const char *name)
{
	for (xmlAttrPtr attribute = node->properties; attribute != NULL;
	    attribute = attribute->next)
		if (attribute->ns != NULL && attribute->ns->prefix != NULL &&
		    strcmp((const char *)attribute->ns->prefix, "xml") == 0 &&
		    strcmp((const char *)attribute->name, name) == 0) {
			xmlNodePtr text = attribute->children;

			return text == NULL ? "" : text->next == NULL && text->content != NULL ?
			    (const char *)text->content : NULL;
		}
	return NULL;
}

/* xml:base, or a CDF element's BASE (any case), as feedparser reads both. */
static xmlChar *
node_base_attribute(const struct xml_feed *feed, xmlNodePtr node)
{
	const char *value;

	if (feed->kind == FEED_KIND_CDF)
		for (xmlAttrPtr attribute = node->properties; attribute != NULL;
		    attribute = attribute->next)
			if (attribute->ns == NULL &&
			    strcasecmp((const char *)attribute->name, "base") == 0)
				return xmlNodeGetContent((xmlNodePtr)attribute);
	if ((value = xml_attribute(node, "base")) != NULL)
		return xmlStrdup((const xmlChar *)value);
	return NULL;
}

/* "http:///host/" (one slash too many, a common slip) read as "http://host/", as feedparser does. */
static void
base_fix_slashes(char *url)
{
	char *at = strstr(url, ":///");

	if (at != NULL && at - url <= 5 && strncasecmp(url, "http", 4) == 0) {
		char *from = at + 3;

		while (*from == '/')
			from++;
		memmove(at + 3, from, strlen(from) + 1);
	}
}

/*
 * The xml:base values from node up, resolved outermost first against the feed URL; NULL when
 * there is none (the base is then the feed URL). An unsafe or unusable one is passed over.
 */
static char *
node_xml_base(const struct xml_feed *feed, xmlNodePtr node)
{
	xmlChar *bases[64];
	size_t count = 0;
	char *base = NULL;

	for (xmlNodePtr at = node; at != NULL && at->type == XML_ELEMENT_NODE &&
	    count < sizeof(bases) / sizeof(bases[0]); at = at->parent) {
		xmlChar *value = at->properties != NULL ? node_base_attribute(feed, at) : NULL;

		if (value != NULL)
			bases[count++] = value;
	}
	while (count > 0) {
		char *resolved = feed_resolve(base != NULL ? base : feed->feed_url,
		    (const char *)bases[--count]);

		xmlFree(bases[count]);
		if (resolved != NULL)
			base_fix_slashes(resolved);
		if (resolved != NULL && base_is_safe(resolved)) {
			free(base);
			base = resolved;
		} else
			free(resolved);
	}
	return base;
}

char *
feed_node_base(const struct xml_feed *feed, xmlNodePtr node)
{
	char *base = node_xml_base(feed, node);

	return base != NULL || feed->feed_url == NULL ? base : xstrdup(feed->feed_url);
}

/* The xml:lang in effect at node, '_' read as '-'; NULL when none is (xml:lang="" says so). */
static char *
node_language(xmlNodePtr node)
{
	for (xmlNodePtr at = node; at != NULL && at->type == XML_ELEMENT_NODE; at = at->parent) {
		const char *lang;
		char *copy;

		if (at->properties == NULL || (lang = xml_attribute(at, "lang")) == NULL)
			continue;
		copy = lang[0] != '\0' ? xstrdup(lang) : NULL;
		for (char *c = copy; c != NULL && *c != '\0'; c++)
			if (*c == '_')
				*c = '-';
		return copy;
	}
	return NULL;
}

void
feed_node_text_detail(const struct xml_feed *feed, struct article *item,
    enum article_text_field field, xmlNodePtr node)
{
	free(item->text_language[field]);
	free(item->text_base[field]);
	item->text_language[field] = node_language(node);
	item->text_base[field] = node_xml_base(feed, node);
}

char *
feed_node_url(const struct xml_feed *feed, xmlNodePtr node, const char *value)
{
	char *base, *resolved;
	char *text = NULL;

	if (value == NULL)
		value = text = feed_node_text(node);
	base = feed_node_base(feed, node);
	resolved = feed_resolve(base, value);
	free(base);
	free(text);
	return resolved;
}

time_t
feed_node_date(xmlNodePtr node)
{
	xmlChar *content = xmlNodeGetContent(node);
	time_t when;

	if (content == NULL)
		return 0;
	when = feed_date_parse((const char *)content);
	xmlFree(content);
	return when;
}

/* An enclosure-like element (url, type, length attributes) added to list unless its URL is. */
static void
node_enclosure_into(const struct xml_feed *feed, xmlNodePtr node, const char *url_attribute,
    const char *length_attribute, struct enclosure **list, size_t *count)
{
	char *raw_url = feed_node_attribute(node, url_attribute);
	char *url = raw_url != NULL ? feed_node_url(feed, node, raw_url) : NULL;
	char *type = feed_node_attribute(node, "type");
	char *length_text = length_attribute != NULL ?
	    feed_node_attribute(node, length_attribute) : NULL;
	long long length = -1;
	char *end;

	if (length_text != NULL) {
		length = strtoll(length_text, &end, 10);
		if (end == length_text || length < 0)
			length = -1;
	}
	if (url != NULL)
		article_enclosure_list_add(list, count, url, type != NULL && *type != '\0' ?
		    type : NULL, length);
	free(raw_url);
	free(url);
	free(type);
	free(length_text);
}

void
feed_node_enclosure(const struct xml_feed *feed, struct article *item, xmlNodePtr node,
    const char *url_attribute, const char *length_attribute)
{
	node_enclosure_into(feed, node, url_attribute, length_attribute, &item->enclosures,
	    &item->enclosure_count);
}

void
feed_node_media(const struct xml_feed *feed, struct article *item, xmlNodePtr node,
    const char *url_attribute, const char *length_attribute)
{
	node_enclosure_into(feed, node, url_attribute, length_attribute, &item->media,
	    &item->media_count);
}

void
feed_node_resolve_html(const struct xml_feed *feed, xmlNodePtr node, char **field)
{
	char *base;

	if (*field == NULL || strchr(*field, '<') == NULL)
		return;
	base = feed_node_base(feed, node);
	*field = feed_html_resolve(*field, base);
	free(base);
}
