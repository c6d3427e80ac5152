/*
 * bench_seen.c - the cost of the seen ids in state.c per new item, as a cold start pays it
 * on the loop thread: the seen check at parse (a miss), then the seen mark at delivery,
 * written in groups of a thousand per commit (the daemon commits every 100 ms: about a
 * thousand items at 10,000 items/s). Items come twenty a feed, feeds keyed by URL and items
 * by 32 hex digits, as the short-item bench's. Then the expiry at start-up over the table
 * (nothing old enough to go: the scan alone). Prints microseconds of the thread's CPU per
 * item (best of three fresh databases) and the expiry's milliseconds; asserts nothing about
 * time.
 *
 *   bench_seen [ITEMS] [DIR]      (200000; DIR a scratch directory, /tmp by default)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "state.h"
#include "util.h"

#define GROUP	1000	/* items a commit */

/* One fresh database: check and mark `items` new items; CPU microseconds per item. */
static double
round_once(const char *dir, long items, double *expiry_ms)
{
	char error[256], feed[64], id[40];
	char *command = xasprintf("rm -rf '%s'", dir);
	struct state *state;
	double start, per_item;

	if (system(command) != 0 || (state = state_open(dir, error, sizeof error)) == NULL) {
		fprintf(stderr, "bench_seen: %s\n", dir);
		exit(1);
	}
	start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < items; i++) {
		snprintf(feed, sizeof feed, "http://127.0.0.%ld:8080/cold/feed-%05ld.xml",
		    2 + (i / 20) % 32, i / 20);
		snprintf(id, sizeof id, "%016llx%016llx", (unsigned long long)i * 0x9E3779B97F4A7C15ULL,
		    (unsigned long long)(i + 1) * 0xC2B2AE3D27D4EB4FULL);
		if (state_seen(state, feed, id) != 0 ||
		    state_mark_seen_updated(state, feed, id, 1765000000 + i / 10000, 0, 0) != 0)
			exit(1);
		if ((i + 1) % GROUP == 0)
			state_commit(state);
	}
	state_commit(state);
	per_item = (clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start) * 1e6 / (double)items;
	start = clock_seconds(CLOCK_MONOTONIC);
	if (state_expire_seen(state, 1000000000, 1765000000 + items / 10000 + 1) != 0)
		exit(1);
	state_commit(state);
	*expiry_ms = (clock_seconds(CLOCK_MONOTONIC) - start) * 1e3;
	state_close(state);
	if (system(command) != 0)
		fprintf(stderr, "bench_seen: %s not removed\n", dir);
	free(command);
	return per_item;
}

int
main(int argc, char **argv)
{
	long items = argc > 1 ? atol(argv[1]) : 200000;
	char *dir = xasprintf("%s/bench-seen-%d", argc > 2 ? argv[2] : "/tmp", (int)getpid());
	double best = 0, best_expiry = 0;

	for (int round = 0; round < 3; round++) {
		double expiry_ms, per_item = round_once(dir, items, &expiry_ms);
		if (round == 0 || per_item < best)
			best = per_item;
		if (round == 0 || expiry_ms < best_expiry)
			best_expiry = expiry_ms;
	}
	printf("seen items=%ld check_and_mark_us=%.2f expiry_ms=%.1f\n", items, best,
	    best_expiry);
	free(dir);
	return 0;
}
