/*
 * feed.h - feed parser: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1.
 *
 * feed_parse() detects the format from the content (never the URL or Content-Type), decodes
 * to UTF-8 (BOM, XML declaration, HTTP charset, mislabelled windows-1252), and calls on_item
 * once per item, in document order. A well-formed XML feed of at most 1 MB is parsed whole
 * first (its tree, a few MB at most, is freed after the last item); a larger or broken one
 * streams, each item delivered as soon as it is complete: memory does not grow with the feed
 * beyond one item. The callback owns the article it receives (article_free it).
 * Items carry the raw fields of struct article: guid (and guid_is_permalink), link (resolved
 * against xml:base / the feed URL), title_raw, summary_html, content_html (with the text as
 * served in summary_raw / content_raw when it is plain text, and each field's type), authors
 * and people, categories and category_details, enclosures, published/updated (UTC; 0 when
 * absent), plus feed_title, feed_format and feed_language. Also read: CDF channels.
 * External entities are never loaded; only plain internal entities of the internal subset are
 * expanded, bounded in number and size (prepare.c). What had to be repaired is in
 * meta->problems.
 */
#ifndef WIRESIFT_FEED_H
#define WIRESIFT_FEED_H

#include <stddef.h>
#include <time.h>
#include "../article.h"

/*
 * What had to be repaired to read the feed (feedparser calls such a feed "bozo"); a set of
 * bits in feed_meta.problems, named by feed_problem_names().
 */
enum feed_problem {
	FEED_PROBLEM_INVALID_ENCODING	= 1u << 0,	/* bytes invalid in the charset: U+FFFD */
	FEED_PROBLEM_MISLABELLED_CHARSET = 1u << 1,	/* the declared charset was wrong */
	FEED_PROBLEM_UNKNOWN_CHARSET	= 1u << 2,	/* a charset iconv does not know: UTF-8 */
	FEED_PROBLEM_NUL_BYTES		= 1u << 3,	/* dropped */
	FEED_PROBLEM_CONTROL_CHARACTERS	= 1u << 4,	/* C0 controls XML forbids: dropped */
	FEED_PROBLEM_UNDECLARED_ENTITY	= 1u << 5,	/* &nbsp; &bogus; in XML */
	FEED_PROBLEM_BARE_AMPERSAND	= 1u << 6,	/* escaped */
	FEED_PROBLEM_STRAY_LESS_THAN	= 1u << 7,	/* a '<' starting no markup: escaped */
	FEED_PROBLEM_UNCLOSED_TAG	= 1u << 8,	/* <br> in XML, or an element never closed */
	FEED_PROBLEM_DTD_REFUSED	= 1u << 9,	/* a DTD declaration not expanded */
	FEED_PROBLEM_EXTERNAL_ENTITY	= 1u << 10,	/* declared, never loaded */
	FEED_PROBLEM_NOT_WELL_FORMED	= 1u << 11,	/* other XML errors, recovered */
	FEED_PROBLEM_NESTING_TOO_DEEP	= 1u << 12,	/* past libxml2's depth limit */
	FEED_PROBLEM_HTML_NOT_FEED	= 1u << 13,	/* an HTML page where the feed should be */
	FEED_PROBLEM_INVALID_JSON	= 1u << 14,
};

/* The names of the problems in the set, space-separated ("" when none), into buffer. */
const char *feed_problem_names(unsigned problems, char *buffer, size_t size);

struct feed_meta {
	char	*title;
	char	*link;		/* site link */
	char	*format;	/* "rss2.0", "rss1.0", "rss0.91", "atom1.0", "atom0.3", "json1.1", ... */
	char	*language;
	int	 ttl_minutes;	/* RSS <ttl>, 0 when absent */
	int	 update_period_seconds;	/* from sy:updatePeriod / sy:updateFrequency, 0 when absent */
	size_t	 item_count;
	char	*subtitle;	/* RSS description, Atom subtitle/tagline, as served */
	char	*image;		/* RSS image url, Atom logo (else icon), JSON Feed icon */
	char	*generator;
	time_t	 updated;	/* lastBuildDate / Atom updated (0.3 modified), 0 when absent */
	struct article_person *authors;	/* feed-level authors (Atom: the entries' default) */
	size_t	 author_count;
	unsigned problems;	/* enum feed_problem bits: what was repaired */
};

/*
 * The feed's own fields as one JSON object (the last line `wiresift parse` prints per feed),
 * with "error": why it could not be read (feed_parse's error), null when it was.
 */
char	*feed_meta_to_json(const struct feed_meta *meta, const char *feed_url,
	    const char *error);

void	 feed_meta_free(struct feed_meta *meta);

/* Return 0 to continue, non-zero to stop parsing (feed_parse then returns 0). */
typedef int (*feed_item_fn)(struct article *item, void *context);

/*
 * 0: parsed (possibly with recovered errors); -1: not a feed or unrecoverable, with a one-line
 * reason in error ("line 12: HTML page, not a feed"). Items delivered before an error stand.
 * content_type may be NULL; its charset= is a hint only.
 */
int	 feed_parse(const char *data, size_t size, const char *feed_url, const char *content_type,
	    struct feed_meta *meta, feed_item_fn on_item, void *context,
	    char *error, size_t error_size);

/* Dates: RFC 822/1123 and real-world variants, RFC 3339 / W3CDTF. 0 when unparseable. */
time_t	 feed_date_parse(const char *text);

#endif
