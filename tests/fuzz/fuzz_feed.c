/*
 * fuzz_feed.c - libFuzzer target for the feed parser: feed_parse() on arbitrary bytes, with a
 * content type taken from the first input byte (none, RSS with a charset hint, JSON), turning
 * every item into JSON as `wiresift parse` does. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "article.h"
#include "feed/feed.h"

static int
on_item(struct article *item, void *context)
{
	size_t *items = context;

	(*items)++;
	free(article_to_parse_json(item));
	article_free(item);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *content_types[] = { NULL, "application/rss+xml; charset=iso-8859-1",
	    "application/feed+json", "text/html; charset=utf-8" };
	struct feed_meta meta = { 0 };
	char error[256];
	size_t items = 0;
	const char *content_type = NULL;

	if (size > 0) {
		content_type = content_types[data[0] % 4];
		data++;
		size--;
	}
	feed_parse((const char *)data, size, "http://fuzz.invalid/dir/feed.xml", content_type,
	    &meta, on_item, &items, error, sizeof error);
	feed_meta_free(&meta);
	return 0;
}
