/*
 * feed_outcome.h - everything feed_parse() says about a document as one string (each item's
 * JSON, then status, error and feed metadata), for tests that compare two parses: the unit
 * tests (chunk sizes) and the feed fuzz target. Include it in one .c file each.
 */
#ifndef WIRESIFT_FEED_OUTCOME_H
#define WIRESIFT_FEED_OUTCOME_H

#include <stdlib.h>

#include "article.h"
#include "feed/feed.h"
#include "util.h"

static int
feed_outcome_item(struct article *item, void *context)
{
	char *json = article_to_parse_json(item);

	buffer_printf(context, "%s\n", json);
	free(json);
	article_free(item);
	return 0;
}

/* Caller frees. */
static char *
feed_outcome(const char *data, size_t size, const char *feed_url, const char *content_type)
{
	struct feed_meta meta = { 0 };
	struct buffer out = { 0 };
	char error[256] = "";
	int status;

	status = feed_parse(data, size, feed_url, content_type, &meta, feed_outcome_item, &out,
	    error, sizeof error);
	buffer_printf(&out, "status=%d error=%s title=%s link=%s format=%s language=%s ttl=%d "
	    "period=%d items=%zu\n", status, error, meta.title ? meta.title : "-",
	    meta.link ? meta.link : "-", meta.format ? meta.format : "-",
	    meta.language ? meta.language : "-", meta.ttl_minutes, meta.update_period_seconds,
	    meta.item_count);
	feed_meta_free(&meta);
	return buffer_steal(&out);
}

#endif
