/*
 * xmlparse.h - what the files of the XML feed parser share (not a public interface): the run
 * over one document (parse.c dispatches, tree.c parses a small well-formed feed whole with
 * its large CDATA sections lifted out while libxml2 parses (cdata.c), stream.c streams any other with xmlTextReader and recovers a broken one, xmldoc.c says what
 * the root and each element are and turns items and channel fields into articles and meta).
 */
#ifndef WIRESIFT_FEED_XMLPARSE_H
#define WIRESIFT_FEED_XMLPARSE_H

#include <libxml/xmlreader.h>

#include "feed_internal.h"

/* The body, kept to be decoded again from the start by the recovery pass. */
struct xml_source {
	const char	*data;
	size_t		 size;
	const char	*content_type;
	size_t		 skip;		/* decoded bytes before what libxml2 is given */
};

/* Parser options: recover, and never load or expand anything external. */
#define XML_OPTIONS	(XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | \
			 XML_PARSE_COMPACT)

struct xml_run {
	struct xml_feed	 feed;
	xmlTextReaderPtr reader;
	feed_item_fn	 on_item;
	void		*context;
	int		 have_root;
	int		 stopped;
	int		 first_error_line;
	char		 first_error[160];
};

/* One line into error (either may be NULL / 0), printf-style. */
void	 feed_set_error(char *error, size_t error_size, const char *format, ...)
	    __attribute__((format(printf, 3, 4)));

/* xmldoc.c */
enum node_action { ACTION_DESCEND, ACTION_ITEM, ACTION_META, ACTION_SKIP };
/* The root element says what the feed is; -1 (with error) when it is not a feed. */
int	 feed_xml_root(struct xml_run *run, xmlNodePtr root, char *error, size_t error_size);
/* A root feed_xml_root() takes for a feed: rss, RDF, feed or channel, in any case for CDF. */
int	 feed_xml_is_feed_root(xmlNodePtr root);
enum node_action feed_xml_classify(const struct xml_run *run, xmlNodePtr node, int depth);
/* An item or entry to an article for on_item; a channel-level element into the meta. */
void	 feed_xml_item(struct xml_run *run, xmlNodePtr node);
void	 feed_xml_meta(struct xml_run *run, xmlNodePtr node);
/* Walk a tree's elements from node on, at depth; items before already_delivered skipped. */
void	 feed_xml_visit(struct xml_run *run, xmlNodePtr node, int depth, size_t *item_index,
	    size_t already_delivered);

/* tree.c: the fast path for a well-formed feed of at most FEED_TREE_MAX_BYTES. */
#define FEED_TREE_MAX_BYTES	(1024 * 1024)
#define FEED_TREE_BROKEN	(-3)
/* The tree of prepared text (lift: with cdata.c's lifting); NULL when not well-formed. */
xmlDocPtr feed_tree_from_text(const char *text, size_t length, const char *feed_url, int lift);
int	 feed_parse_tree(struct xml_run *run, struct feed_decoder *decoder, size_t size_hint,
	    const char *feed_url, char *error, size_t error_size);

/*
 * cdata.c: the tree path's CDATA sections of at least a few hundred bytes taken out of the text
 * libxml2 parses (lifted, a marker in their place) and put back into the built tree. The
 * prepared text must outlive the struct.
 */
struct feed_cdata {
	const char	*text;		/* the prepared text */
	struct {
		size_t	 start;		/* the content, in text */
		size_t	 length;
	}		*spans;
	size_t		 count;
	size_t		 capacity;
	struct buffer	 lifted;	/* text with a marker for each section lifted */
};
/* How many sections were lifted into cdata->lifted (0: none, nothing to free but cdata). */
int	 feed_cdata_lift(struct feed_cdata *cdata, const char *text, size_t length);
/* The markers in document's text nodes replaced by their sections; -1 if they do not match. */
int	 feed_cdata_restore(struct feed_cdata *cdata, xmlDocPtr document);
void	 feed_cdata_clear(struct feed_cdata *cdata);
/* Whether libxml2's push parser takes these bytes as CDATA content (xmlCheckCdataPush's rule). */
int	 feed_cdata_valid(const char *text, size_t length);

/*
 * stream.c: the document through xmlTextReader from decoder (NULL: decoded again from the
 * start of source), then the recovery pass if it breaks. walk()'s status, or
 * FEED_STREAM_FAILED (with error) when no reader could be made.
 */
#define FEED_STREAM_FAILED	(-4)
int	 feed_parse_stream(struct xml_run *run, const struct xml_source *source,
	    struct feed_decoder *decoder, char *error, size_t error_size);

#endif
