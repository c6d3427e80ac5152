/*
 * feed_internal.h - what the files of the feed parser share among themselves (not a public
 * interface): decoding to UTF-8, the XML pre-pass, HTML escaping, author names, JSON Feed.
 */
#ifndef WIRESIFT_FEED_INTERNAL_H
#define WIRESIFT_FEED_INTERNAL_H

#include <stddef.h>
#include "../util.h"
#include "feed.h"

/*
 * Decode a document to UTF-8: BOM, then (for XML) the encoding declaration, then the charset
 * of content_type, else UTF-8. Mislabelled windows-1252 is detected; invalid sequences become
 * U+FFFD; C0 controls other than tab/newline/return are dropped. Caller frees.
 * *charset_used gets a static name of what was decoded ("UTF-8", "windows-1252", ...).
 */
char	*feed_decode(const char *data, size_t size, const char *content_type, size_t *length,
	    const char **charset_used);

/*
 * Make decoded XML safe and parseable before libxml2 sees it: drop the DOCTYPE (so no entity
 * can be declared, let alone expanded), turn HTML named entities into character references,
 * escape bare '&' and stray '<', drop anything before the first '<'. Caller frees.
 */
char	*feed_xml_prepare(const char *xml, size_t length, size_t *prepared_length);

/* Append text to buffer with & < > " escaped. */
void	 feed_html_escape(struct buffer *buffer, const char *text, size_t length);
/* Plain text to an HTML fragment: escaped, blank-line paragraphs in <p>, newlines as <br>. */
char	*feed_text_to_html(const char *text);
/* Copy with leading and trailing whitespace removed; NULL if nothing is left. */
char	*feed_trim(const char *text);
/* Add an author, "jo@example.com (Jo Smith)" -> "Jo Smith"; empty names ignored. */
void	 feed_add_author(struct strlist *authors, const char *raw);
/* Set *field to the trimmed text unless *field is set already or text is empty. */
void	 feed_set_once(char **field, const char *text);
/* Resolve a reference against base (NULL base: reference as is). Caller frees; NULL if empty. */
char	*feed_resolve(const char *base, const char *reference);

/*
 * Resolve relative href / src (and poster, cite, longdesc, background, action) attributes in
 * an HTML fragment against base. Takes ownership of html; returns the (new) string.
 */
char	*feed_html_resolve(char *html, const char *base);

/* Line number (1-based) of position offset in text. */
size_t	 feed_line_of(const char *text, size_t offset);

/* XML feeds: what rss.c and atom.c share with parse.c (xmlnode.c holds the node helpers). */

#define NS_RSS_090	"http://my.netscape.com/rdf/simple/0.9/"
#define NS_RSS_10	"http://purl.org/rss/1.0/"
#define NS_RSS_20	"http://backend.userland.com/rss2"
#define NS_RDF		"http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_ATOM_10	"http://www.w3.org/2005/Atom"
#define NS_ATOM_03	"http://purl.org/atom/ns#"
#define NS_CONTENT	"http://purl.org/rss/1.0/modules/content/"
#define NS_DC		"http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS	"http://purl.org/dc/terms/"
#define NS_MEDIA	"http://search.yahoo.com/mrss/"
#define NS_ITUNES	"http://www.itunes.com/dtds/podcast-1.0.dtd"
#define NS_SYNDICATION	"http://purl.org/rss/1.0/modules/syndication/"
#define NS_XHTML	"http://www.w3.org/1999/xhtml"

enum feed_kind { FEED_KIND_RSS, FEED_KIND_RDF, FEED_KIND_ATOM };

struct xml_feed {
	const char	*feed_url;
	struct feed_meta *meta;
	enum feed_kind	 kind;
	int		 atom03;		/* Atom 0.3: mode=, issued/modified */
	int		 update_period;		/* sy:updatePeriod in seconds */
	int		 update_frequency;	/* sy:updateFrequency, 1 when absent */
	struct strlist	 feed_authors;		/* Atom feed authors: the entries' default */
};

struct _xmlNode;
/* The namespace URI of an element (well-known prefixes used undeclared are mapped). */
const char *feed_node_namespace(struct _xmlNode *node);
/* The element is `local` in namespace ns; ns NULL means the feed's own vocabulary. */
int	 feed_node_is(const struct xml_feed *feed, struct _xmlNode *node, const char *ns,
	    const char *local);
/* Attribute value (no namespace) or NULL. Caller frees. */
char	*feed_node_attribute(struct _xmlNode *node, const char *name);
/* Text of an element; its inner markup serialized as HTML when it has child elements. */
char	*feed_node_text(struct _xmlNode *node);
/* The children of node serialized as HTML (namespace prefixes dropped). Caller frees. */
char	*feed_node_inner_html(struct _xmlNode *node);
/* Base URL in effect at node: the feed URL with every xml:base on the way resolved. */
char	*feed_node_base(const struct xml_feed *feed, struct _xmlNode *node);
/* Resolve the trimmed text of node (or an attribute value) against the base at node. */
char	*feed_node_url(const struct xml_feed *feed, struct _xmlNode *node, const char *value);
/* Resolve relative URLs inside the HTML in *field against the base at node. */
void	 feed_node_resolve_html(const struct xml_feed *feed, struct _xmlNode *node,
	    char **field);
/* Text of node parsed as a date; 0 when absent or unparseable. */
time_t	 feed_node_date(struct _xmlNode *node);
/* Add an enclosure from url/type/length attributes (length_attribute may be NULL). */
void	 feed_node_enclosure(const struct xml_feed *feed, struct article *item,
	    struct _xmlNode *node, const char *url_attribute, const char *length_attribute);

struct article *feed_rss_item(struct xml_feed *feed, struct _xmlNode *node);
void	 feed_rss_channel_child(struct xml_feed *feed, struct _xmlNode *node);
struct article *feed_atom_entry(struct xml_feed *feed, struct _xmlNode *node);
void	 feed_atom_feed_child(struct xml_feed *feed, struct _xmlNode *node);
/* An Atom text construct (title, summary, content) as HTML, or as plain text for titles. */
char	*feed_atom_text(const struct xml_feed *feed, struct _xmlNode *node, int want_html);

/* JSON Feed 1.0/1.1; same contract as feed_parse. data is UTF-8. */
int	 feed_parse_json(const char *data, size_t size, const char *feed_url,
	    struct feed_meta *meta, feed_item_fn on_item, void *context,
	    char *error, size_t error_size);

/* Give a finished item its feed fields and id and hand it to the callback; 1 to stop. */
int	 feed_deliver(struct article *item, const char *feed_url, struct feed_meta *meta,
	    feed_item_fn on_item, void *context);

#endif
