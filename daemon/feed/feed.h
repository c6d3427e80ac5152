/*
 * feed.h - streaming feed parser: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1.
 *
 * feed_parse() detects the format from the content (never the URL or Content-Type), decodes
 * to UTF-8 (BOM, XML declaration, HTTP charset, mislabelled windows-1252), and calls on_item
 * once per item, in document order, as soon as the item is complete: memory does not grow with
 * the feed beyond one item. The callback owns the article it receives (article_free it).
 * Items carry the raw fields of struct article: guid, link (resolved against xml:base / the
 * feed URL), title_raw, summary_html, content_html, authors, categories, enclosures,
 * published/updated (UTC; 0 when absent), plus feed_title and feed_format.
 * External entities and DTD entity expansion are never performed.
 */
#ifndef WIRESIFT_FEED_H
#define WIRESIFT_FEED_H

#include <stddef.h>
#include <time.h>
#include "../article.h"

struct feed_meta {
	char	*title;
	char	*link;		/* site link */
	char	*format;	/* "rss2.0", "rss1.0", "rss0.91", "atom1.0", "atom0.3", "json1.1", ... */
	char	*language;
	int	 ttl_minutes;	/* RSS <ttl>, 0 when absent */
	int	 update_period_seconds;	/* from sy:updatePeriod / sy:updateFrequency, 0 when absent */
	size_t	 item_count;
};

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
