/*
 * bench_publish.c - the loop thread's CPU for an article-size message on the producer
 * (daemon/publish.c), its value copied into librdkafka's message (publisher_send_raw:
 * RD_KAFKA_MSG_F_COPY) or given to it (publisher_send_owned: RD_KAFKA_MSG_F_FREE), against
 * librdkafka's embedded mock broker. Each round sends WINDOW messages of BYTES bytes (text of
 * words, as compressible as an article's JSON) with the headers of an article, then serves
 * their delivery reports; the two ways alternate by round (A B B A ...). Timed: the sends (with
 * the caller's free of a copied value) and serving the reports, on this thread
 * (CLOCK_THREAD_CPUTIME_ID); the values are built before, untimed, as the workers build them.
 * Prints per way the median of its rounds' microseconds per message, and the process's CPU
 * (librdkafka's threads and the mock broker's too) per message beside it.
 *
 *     bench_publish [ROUNDS [WINDOW [BYTES]]]	(40 2000 7000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "publish.h"
#include "util.h"

static const char *words[] = { "the", "minister", "said", "on", "Tuesday", "that", "talks",
    "with", "officials", "in", "Geneva", "would", "resume", "after", "a", "pause", "of",
    "several", "weeks", "according", "to", "people", "familiar", "matter" };

static int reported;

static void
on_report(void *message_context, const struct delivery_report *report, void *context)
{
	reported++;
}

static char *
value_of(size_t bytes, unsigned seed)
{
	char *value = xmalloc(bytes + 1);
	size_t at = 0;

	while (at < bytes) {
		const char *word = words[(seed = seed * 1103515245 + 12345) >> 16 & 15 ?
		    (seed >> 8) % (sizeof words / sizeof words[0]) : 0];
		size_t length = strlen(word);

		if (at + length + 1 > bytes)
			length = bytes - at - 1 < length ? bytes - at - 1 : length;
		memcpy(value + at, word, length);
		at += length;
		value[at++] = ' ';
	}
	value[bytes] = '\0';
	return value;
}

/* One round: µs of this thread per message; *process_us the process's. */
static double
round_of(struct publisher *publisher, int owned, int window, size_t bytes, double *process_us)
{
	static const char headers[] = "content-type=application/json\nwiresift-schema=2\n"
	    "lang=en\ndedup-status=unique\nsource-domain=news.example\n";
	char **values = xcalloc((size_t)window, sizeof *values);
	double thread_start, process_start;
	char key[40];

	for (int i = 0; i < window; i++)
		values[i] = value_of(bytes, (unsigned)i * 2654435761u);
	reported = 0;
	thread_start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	process_start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < window; i++) {
		snprintf(key, sizeof key, "%032x", (unsigned)i * 2654435761u);
		if (owned) {
			if (publisher_send_owned(publisher, "bench", key, values[i], bytes, headers,
			    NULL) != 0)
				free(values[i]);
		} else {
			publisher_send_raw(publisher, "bench", key, values[i], bytes, headers, NULL);
			free(values[i]);
		}
	}
	publisher_send_now(publisher, 10000);
	publisher_flush(publisher, 30000);
	*process_us = (clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - process_start) * 1e6 / window;
	free(values);
	if (reported != window)
		fprintf(stderr, "bench_publish: %d of %d reported\n", reported, window);
	return (clock_seconds(CLOCK_THREAD_CPUTIME_ID) - thread_start) * 1e6 / window;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *values, int count)
{
	qsort(values, (size_t)count, sizeof *values, by_value);
	return values[count / 2];
}

int
main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 40, window = argc > 2 ? atoi(argv[2]) : 2000;
	size_t bytes = argc > 3 ? (size_t)atol(argv[3]) : 7000;
	struct config *config = config_defaults();
	double thread_us[2][rounds], process_us[2][rounds];
	int done[2] = { 0, 0 };
	struct publisher *publisher;
	char error[256];

	publisher = publisher_open(config, NULL, on_report, NULL, error, sizeof error);
	if (publisher == NULL) {
		fprintf(stderr, "bench_publish: %s\n", error);
		return 1;
	}
	round_of(publisher, 0, window, bytes, &process_us[0][0]);	/* warm-up */
	for (int r = 0; r < rounds; r++) {
		int owned = (r % 4 == 1 || r % 4 == 2);	/* A B B A */

		thread_us[owned][done[owned]] = round_of(publisher, owned, window, bytes,
		    &process_us[owned][done[owned]]);
		done[owned]++;
	}
	printf("publish.copied bytes=%zu window=%d rounds=%d loop_us_per_msg=%.3f "
	    "process_us_per_msg=%.3f\n", bytes, window, done[0], median(thread_us[0], done[0]),
	    median(process_us[0], done[0]));
	printf("publish.given bytes=%zu window=%d rounds=%d loop_us_per_msg=%.3f "
	    "process_us_per_msg=%.3f\n", bytes, window, done[1], median(thread_us[1], done[1]),
	    median(process_us[1], done[1]));
	publisher_close(publisher);
	config_free(config);
	return 0;
}
