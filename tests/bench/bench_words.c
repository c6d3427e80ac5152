/*
 * bench_words.c - the cleaner's word count (words.c count_words) on one core: 64 bytes a step
 * in bit masks (count_words_block_steps = 1, what the cleaner runs) beside one character at
 * a time (0), alternated, on the lines of the given files as paragraphs.
 *
 *   bench_words FILE... [-r ROUNDS]
 *
 * FILE is any text: the cleaned articles of `wiresift process` (one JSON line each), feeds of
 * `tests/bench/gen_feeds.py articles`, the seeds. Prints, per mode, the best of ROUNDS
 * (default 7) passes in CPU time of this thread:
 *   words mode=blocks paragraphs=N bytes=B words=W best_ms=T ns_per_byte=X
 * It measures; it asserts nothing about time (the counts of both modes must agree: exit 1 if
 * they do not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clean/clean_internal.h"
#include "util.h"

struct lines {
	const char **texts;
	size_t	*lengths;
	size_t	 count;
	size_t	 capacity;
	size_t	 bytes;
};

static double
thread_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* The lines of text (kept in it) as paragraphs. */
static void
lines_add(struct lines *lines, const char *text, size_t size)
{
	for (const char *at = text, *end = text + size; at < end;) {
		const char *stop = memchr(at, '\n', (size_t)(end - at));
		size_t length = stop != NULL ? (size_t)(stop - at) : (size_t)(end - at);

		if (length > 0) {
			if (lines->count == lines->capacity) {
				lines->capacity = lines->capacity ? lines->capacity * 2 : 1024;
				lines->texts = xrealloc(lines->texts,
				    lines->capacity * sizeof *lines->texts);
				lines->lengths = xrealloc(lines->lengths,
				    lines->capacity * sizeof *lines->lengths);
			}
			lines->texts[lines->count] = at;
			lines->lengths[lines->count++] = length;
			lines->bytes += length;
		}
		at += length + 1;
	}
}

/* The best of rounds passes over every line; *words gets one pass's count. */
static double
best_pass(const struct lines *lines, int rounds, size_t *words)
{
	double best = 1e30;

	for (int round = 0; round < rounds; round++) {
		double start = thread_seconds(), seconds;

		*words = 0;
		for (size_t i = 0; i < lines->count; i++)
			*words += count_words(lines->texts[i], lines->lengths[i]);
		if ((seconds = thread_seconds() - start) < best)
			best = seconds;
	}
	return best;
}

int
main(int argc, char **argv)
{
	struct lines lines = { 0 };
	int rounds = 7;
	size_t words[2] = { 0, 0 };
	double best[2] = { 1e30, 1e30 };

	for (int i = 1; i < argc; i++) {
		size_t size;
		char *text;

		if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
			rounds = atoi(argv[++i]);
			continue;
		}
		if ((text = file_read(argv[i], &size)) == NULL) {
			perror(argv[i]);
			return 1;
		}
		lines_add(&lines, text, size);	/* text stays until exit */
	}
	if (lines.count == 0 || rounds < 1) {
		fprintf(stderr, "usage: bench_words FILE... [-r ROUNDS]\n");
		return 2;
	}
	for (int pair = 0; pair < 3; pair++)	/* alternated: blocks, characters, ... */
		for (int mode = 1; mode >= 0; mode--) {
			double seconds;

			count_words_block_steps = mode;
			if ((seconds = best_pass(&lines, rounds, &words[mode])) < best[mode])
				best[mode] = seconds;
		}
	for (int mode = 1; mode >= 0; mode--)
		printf("words mode=%s paragraphs=%zu bytes=%zu words=%zu best_ms=%.2f "
		    "ns_per_byte=%.3f\n", mode ? "blocks" : "characters", lines.count, lines.bytes,
		    words[mode], best[mode] * 1e3, best[mode] * 1e9 / (double)lines.bytes);
	return words[0] == words[1] ? 0 : 1;
}
