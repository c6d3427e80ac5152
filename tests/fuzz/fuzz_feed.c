/*
 * fuzz_feed.c - libFuzzer target for the feed parser: feed_parse() on arbitrary bytes, with a
 * content type taken from the first input byte (none, RSS with a charset hint, JSON), turning
 * every item into JSON as `wiresift parse` does. The same byte also picks a streaming chunk
 * size (1 to 4096 bytes): the document is parsed again with it, and everything feed_parse
 * said (items, metadata, status, error) must be what it said with the default chunk size, or
 * the target aborts. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "util.h"
#include "feed/feed.h"
#include "feed/feed_internal.h"
#include "feed_outcome.h"

/* Everything feed_parse says about the input, as one string. */
static char *
parse_outcome(const uint8_t *data, size_t size, const char *content_type)
{
	return feed_outcome((const char *)data, size, "http://fuzz.invalid/dir/feed.xml",
	    content_type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *content_types[] = { NULL, "application/rss+xml; charset=iso-8859-1",
	    "application/feed+json", "text/html; charset=utf-8" };
	static const size_t chunk_sizes[] = { 1, 2, 3, 7, 64, 4096 };
	const char *content_type = NULL;
	size_t chunk_size = 1;
	char *reference, *chunked;

	if (size > 0) {
		content_type = content_types[data[0] % 4];
		chunk_size = chunk_sizes[(data[0] / 4) % 6];
		data++;
		size--;
	}
	feed_stream_chunk_size = FEED_STREAM_CHUNK;
	reference = parse_outcome(data, size, content_type);
	feed_stream_chunk_size = chunk_size;
	chunked = parse_outcome(data, size, content_type);
	feed_stream_chunk_size = FEED_STREAM_CHUNK;
	if (strcmp(reference, chunked) != 0) {
		fprintf(stderr, "fuzz_feed: chunk size %zu changes the outcome:\n%s---\n%s",
		    chunk_size, chunked, reference);
		abort();
	}
	free(reference);
	free(chunked);
	return 0;
}
