/*
 * mutate.h - the fixture pages and page mutations test_skim and test_tree feed their
 * differential checks. A mutation is a truncation, a span cut, or one to three snippets of tag
 * soup inserted at a random place, from xorshift.h's reproducible sequence. The including
 * test defines RANDOM_SEED (each test its own sequence) and gives its own snippets.
 */
#ifndef WIRESIFT_MUTATE_H
#define WIRESIFT_MUTATE_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "xorshift.h"

/* out = page, truncated, with a span cut out, or with snippets inserted. */
static void
mutate_page(struct buffer *out, const char *page, size_t length,
    const char *const *snippets, size_t snippet_count)
{
	size_t at = next_random((unsigned)length + 1);

	buffer_reset(out);
	switch (next_random(4)) {
	case 0:		/* truncation */
		buffer_append(out, page, at);
		break;
	case 1: {	/* a span cut */
		size_t cut = at + next_random(200);

		buffer_append(out, page, at);
		if (cut < length)
			buffer_append(out, page + cut, length - cut);
		break;
	}
	default:	/* snippets inserted */
		buffer_append(out, page, at);
		for (unsigned n = 1 + next_random(3); n-- > 0; )
			buffer_append_string(out, snippets[next_random((unsigned)snippet_count)]);
		buffer_append(out, page + at, length - at);
	}
}

/* The next *.html page of directory (opened on prefix), read whole (free it); NULL at the end. */
static char *
next_fixture_page(DIR *directory, const char *prefix, size_t *size)
{
	struct dirent *entry;
	char path[512], *page;

	while (directory != NULL && (entry = readdir(directory)) != NULL) {
		size_t length = strlen(entry->d_name);

		if (length < 6 || strcmp(entry->d_name + length - 5, ".html") != 0)
			continue;
		snprintf(path, sizeof path, "%s%s", prefix, entry->d_name);
		if ((page = file_read(path, size)) != NULL)
			return page;
	}
	return NULL;
}

#endif
