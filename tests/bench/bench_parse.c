/*
 * bench_parse.c - parse throughput of feed_parse on one core: the file is read into memory
 * once, then parsed RUNS times (default 3) with a callback that only counts and frees the
 * items; the fastest run (in CPU time of this process, fair on a shared machine) is reported,
 * with the peak resident memory of the whole process, and that peak as it was before the
 * first parse (the process with the file read in): the parser streams, so the two should
 * differ by a few MB at most, whatever the file size.
 *
 *   bench_parse FILE [RUNS]
 *
 * Prints one line of key=value pairs for tests/bench/run.sh:
 *   parse file=F format=rss2.0 bytes=N items=N seconds=S mb_per_s=X items_per_s=Y maxrss_kb=K
 *   maxrss_before_parse_kb=K
 * It measures and prints; it asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include "article.h"
#include "log.h"
#include "util.h"
#include "feed/feed.h"
#include "clock.h"

struct item_count {
	size_t	items;
	size_t	text_bytes;	/* bytes of title + summary + content: proof the items were filled */
};

static size_t
length_or_zero(const char *text)
{
	return text != NULL ? strlen(text) : 0;
}

static int
count_item(struct article *item, void *context)
{
	struct item_count *count = context;

	count->items++;
	count->text_bytes += length_or_zero(item->title_raw) + length_or_zero(item->summary_html) +
	    length_or_zero(item->content_html);
	article_free(item);
	return 0;
}

/* One full parse; CPU seconds it took, or -1 when feed_parse failed. */
static double
parse_once(const char *data, size_t size, const char *url, struct item_count *count,
    char **format)
{
	struct feed_meta meta;
	char error[256] = "";
	double started, seconds;

	memset(&meta, 0, sizeof(meta));
	memset(count, 0, sizeof(*count));
	started = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	if (feed_parse(data, size, url, NULL, &meta, count_item, count, error,
	    sizeof(error)) != 0) {
		fprintf(stderr, "bench_parse: %s: %s\n", url, error);
		feed_meta_free(&meta);
		return -1;
	}
	seconds = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - started;
	free(*format);
	*format = xstrdup(meta.format != NULL ? meta.format : "unknown");
	feed_meta_free(&meta);
	return seconds;
}

int
main(int argc, char **argv)
{
	struct item_count count;
	struct rusage usage;
	char *data, *format = NULL;
	size_t size;
	double best = -1, seconds;
	int runs, run;
	long rss_before_parse;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_parse FILE [RUNS]\n");
		return 2;
	}
	runs = argc == 3 ? atoi(argv[2]) : 3;
	if (runs < 1)
		runs = 1;
	log_init(LOG_LEVEL_ERROR);
	if ((data = file_read(argv[1], &size)) == NULL) {
		perror(argv[1]);
		return 1;
	}
	getrusage(RUSAGE_SELF, &usage);
	rss_before_parse = usage.ru_maxrss;
	for (run = 0; run < runs; run++) {
		if ((seconds = parse_once(data, size, argv[1], &count, &format)) < 0)
			return 1;
		if (best < 0 || seconds < best)
			best = seconds;
	}
	if (best <= 0)
		best = 0.001;
	getrusage(RUSAGE_SELF, &usage);
	printf("parse file=%s format=%s bytes=%zu items=%zu text_bytes=%zu seconds=%.3f "
	    "mb_per_s=%.1f items_per_s=%.0f maxrss_kb=%ld maxrss_before_parse_kb=%ld\n", argv[1],
	    format, size, count.items, count.text_bytes, best, (double)size / 1e6 / best,
	    (double)count.items / best, usage.ru_maxrss, rss_before_parse);
	free(format);
	free(data);
	return count.items > 0 ? 0 : 1;
}
