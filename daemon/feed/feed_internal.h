/*
 * feed_internal.h - what the files of the feed parser share among themselves (not a public
 * interface): decoding to UTF-8, the XML pre-pass, HTML escaping, author names, JSON Feed.
 */
#ifndef WIRESIFT_FEED_INTERNAL_H
#define WIRESIFT_FEED_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "../util.h"
#include "feed.h"

/*
 * The document is decoded and prepared a chunk at a time: at most feed_stream_chunk_size bytes
 * of the body per decoding step (tests set tiny sizes to put a chunk boundary everywhere). Only
 * the tree path (a body of at most 1 MB) holds its prepared text whole.
 */
#define FEED_STREAM_CHUNK	(64 * 1024)
extern size_t feed_stream_chunk_size;

/*
 * Decoding to UTF-8 (encoding.c): BOM, then (for XML) the encoding declaration, then the
 * charset of content_type, else UTF-8. Mislabelled windows-1252 is detected; invalid sequences
 * become U+FFFD; C0 controls other than tab/newline/return are dropped. The decoder reads data
 * where it is (it must outlive the decoder).
 */
struct feed_decoder;
struct feed_decoder *feed_decoder_new(const char *data, size_t size, const char *content_type);
void	 feed_decoder_free(struct feed_decoder *decoder);
/* The next piece of decoded text, valid until the next call; 0 at the end. */
size_t	 feed_decoder_next(struct feed_decoder *decoder, const char **piece);
/*
 * Look at the decoded text ahead without consuming it: at least want bytes, fewer only if the
 * text ends first (*complete is then 1: all of it is here). NUL-terminated.
 */
const char *feed_decoder_peek(struct feed_decoder *decoder, size_t want, size_t *length,
	    int *complete);
/* Drop count bytes of what was peeked at. */
void	 feed_decoder_skip(struct feed_decoder *decoder, size_t count);
/* All the rest of the text in one string (JSON Feed, which jansson reads whole). Caller frees. */
char	*feed_decoder_rest(struct feed_decoder *decoder, size_t *length);

/*
 * The pass that makes decoded XML safe and parseable before libxml2 sees it (prepare.c, its
 * entities in prepare_entities.c): drops the DOCTYPE (expanding its plain internal entities
 * itself, see dtd.c), turns HTML named entities into character references, escapes bare '&'
 * and stray '<', closes HTML void elements.
 * feed_preparer_read fills buffer with up to size bytes of prepared text; 0 at the end.
 */
/* The DOCTYPE's internal entities (dtd.c): fed the DOCTYPE's characters, then finished. */
#define FEED_DTD_ENTITIES	32		/* internal entities expanded, at most */
#define FEED_DTD_ENTITY_SIZE	1024		/* bytes of one entity's text, at most */
#define FEED_DTD_READ_MAX	(64 * 1024)	/* bytes of a DOCTYPE read for declarations */
struct feed_dtd {
	struct buffer	 text;		/* the DOCTYPE as read so far */
	struct {
		char	*name;
		char	*value;		/* escaped for text and attribute values alike */
	}		 entities[FEED_DTD_ENTITIES];
	size_t		 count;
	unsigned	 problems;	/* FEED_PROBLEM_DTD_REFUSED, FEED_PROBLEM_EXTERNAL_ENTITY */
};
void	 feed_dtd_append(struct feed_dtd *dtd, char character);
void	 feed_dtd_finish(struct feed_dtd *dtd);
/* The escaped text of a declared entity, or NULL. */
const char *feed_dtd_entity(const struct feed_dtd *dtd, const char *name);
void	 feed_dtd_clear(struct feed_dtd *dtd);

struct feed_preparer;
struct feed_preparer *feed_preparer_new(struct feed_decoder *decoder);
void	 feed_preparer_free(struct feed_preparer *preparer);
size_t	 feed_preparer_read(struct feed_preparer *preparer, char *buffer, size_t size);
/* What the preparer (and its decoder) repaired so far: enum feed_problem bits. */
unsigned feed_preparer_problems(const struct feed_preparer *preparer);
unsigned feed_decoder_problems(const struct feed_decoder *decoder);

/* Append text to buffer with & < > " escaped. */
void	 feed_html_escape(struct buffer *buffer, const char *text, size_t length);
/* Plain text to an HTML fragment: escaped, blank-line paragraphs in <p>, newlines as <br>. */
char	*feed_text_to_html(const char *text);
/* Copy with leading and trailing whitespace removed; NULL if nothing is left. */
char	*feed_trim(const char *text);
/* "jo@example.com (Jo Smith)", "Jo Smith <jo@example.com>": name, email apart (NULL: absent). */
void	 feed_split_author(const char *raw, char **name, char **email);
/* Add an author given as one string (split as above) to the item. */
void	 feed_add_author(struct article *item, const char *raw);
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

/* XML feeds: what rss.c and atom.c share with xmldoc.c (xmlnode.c holds the node helpers). */

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

enum feed_kind { FEED_KIND_RSS, FEED_KIND_RDF, FEED_KIND_ATOM, FEED_KIND_CDF };

struct xml_feed {
	const char	*feed_url;
	struct feed_meta *meta;
	enum feed_kind	 kind;
	int		 atom03;		/* Atom 0.3: mode=, issued/modified */
	int		 update_period;		/* sy:updatePeriod in seconds */
	int		 update_frequency;	/* sy:updateFrequency, 1 when absent */
};

struct _xmlNode;
/* The namespace URI of an element (well-known prefixes used undeclared are mapped). */
const char *feed_node_namespace(struct _xmlNode *node);
/* The element is `local` in namespace ns; ns NULL means the feed's own vocabulary. */
int	 feed_node_is(const struct xml_feed *feed, struct _xmlNode *node, const char *ns,
	    const char *local);
/* An element's local name (after its prefix), NULL for any other node. */
const char *feed_node_local(struct _xmlNode *node);
/* The element is in namespace ns (NULL: the feed's own vocabulary). */
int	 feed_node_in(const struct xml_feed *feed, struct _xmlNode *node, const char *ns);
/* feed_node_is for a node whose local name the caller has looked up once already. */
static inline int
feed_node_matches(const struct xml_feed *feed, struct _xmlNode *node, const char *local,
    const char *ns, const char *wanted)
{
	return local[0] == wanted[0] && strcmp(local, wanted) == 0 && feed_node_in(feed, node, ns);
}
/* Attribute value (no namespace) or NULL. Caller frees. */
char	*feed_node_attribute(struct _xmlNode *node, const char *name);
/* Text of an element; its inner markup serialized as HTML when it has child elements. */
char	*feed_node_text(struct _xmlNode *node);
/* feed_trim(feed_node_text(node)), copied once: NULL when the text is only white space. */
char	*feed_node_text_trimmed(struct _xmlNode *node);
/* The same, the text node's content taken from the tree when it needs no trim (the node emptied). */
char	*feed_node_text_take_trimmed(struct _xmlNode *node);
/* The children of node serialized as HTML (namespace prefixes dropped). Caller frees. */
char	*feed_node_inner_html(struct _xmlNode *node);
/*
 * Base URL in effect at node: the feed URL with every xml:base on the way resolved (one that
 * is not http, https, ftp or file is passed over).
 */
char	*feed_node_base(const struct xml_feed *feed, struct _xmlNode *node);
/*
 * Note the xml:lang and xml:base in effect at node for a text field of item just read from
 * node (its *_language and *_base in the parse record).
 */
void	 feed_node_text_detail(const struct xml_feed *feed, struct article *item,
	    enum article_text_field field, struct _xmlNode *node);
/* Resolve the trimmed text of node (or an attribute value) against the base at node. */
char	*feed_node_url(const struct xml_feed *feed, struct _xmlNode *node, const char *value);
/* Resolve relative URLs inside the HTML in *field against the base at node. */
void	 feed_node_resolve_html(const struct xml_feed *feed, struct _xmlNode *node,
	    char **field);
/* Text of node parsed as a date; 0 when absent or unparseable. */
time_t	 feed_node_date(struct _xmlNode *node);
/* Add an enclosure from url/type/length attributes (length_attribute may be NULL); a URL
 * already listed is not added again. feed_node_media: the same into the item's media. */
void	 feed_node_enclosure(const struct xml_feed *feed, struct article *item,
	    struct _xmlNode *node, const char *url_attribute, const char *length_attribute);
void	 feed_node_media(const struct xml_feed *feed, struct article *item,
	    struct _xmlNode *node, const char *url_attribute, const char *length_attribute);

/* CDF (cdf.c): an ITEM, the root CHANNEL's attributes, its TITLE and ABSTRACT. */
struct article *feed_cdf_item(struct xml_feed *feed, struct _xmlNode *node);
void	 feed_cdf_root(struct xml_feed *feed, struct _xmlNode *root);
void	 feed_cdf_channel_child(struct xml_feed *feed, struct _xmlNode *node);

/* Media RSS content/thumbnail/category and itunes:category of an item; 1 when handled. */
int	 feed_media_child(const struct xml_feed *feed, struct article *item,
	    struct _xmlNode *node, const char *local);

struct article *feed_rss_item(struct xml_feed *feed, struct _xmlNode *node);
void	 feed_rss_channel_child(struct xml_feed *feed, struct _xmlNode *node);
struct article *feed_atom_entry(struct xml_feed *feed, struct _xmlNode *node);
void	 feed_atom_feed_child(struct xml_feed *feed, struct _xmlNode *node);
/* An Atom person (name, email, uri) or category (term, scheme, label) added to the item. */
void	 feed_atom_add_person(const struct xml_feed *feed, struct article *item,
	    struct _xmlNode *node);
void	 feed_atom_add_category(struct article *item, struct _xmlNode *node);
/* An Atom text construct (title, summary, content) as served, and what it is in *type. */
char	*feed_atom_text(const struct xml_feed *feed, struct _xmlNode *node,
	    enum article_text_type *type);

/* JSON Feed 1.0/1.1; same contract as feed_parse. data is UTF-8. */
int	 feed_parse_json(const char *data, size_t size, const char *feed_url,
	    struct feed_meta *meta, feed_item_fn on_item, void *context,
	    char *error, size_t error_size);

/* Give a finished item its feed fields and id and hand it to the callback; 1 to stop. */
int	 feed_deliver(struct article *item, const char *feed_url, struct feed_meta *meta,
	    feed_item_fn on_item, void *context);

#endif
