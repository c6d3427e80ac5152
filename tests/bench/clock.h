/*
 * clock.h - the one clock reading of the bench programs: seconds of a POSIX clock as a double
 * (CLOCK_MONOTONIC for wall time, CLOCK_THREAD_CPUTIME_ID or CLOCK_PROCESS_CPUTIME_ID for CPU).
 */
#ifndef WIRESIFT_BENCH_CLOCK_H
#define WIRESIFT_BENCH_CLOCK_H

#include <time.h>

static inline double
clock_seconds(clockid_t clock)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

#endif
