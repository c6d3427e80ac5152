/*
 * kafka_threads.c - a timer slack of a millisecond for the threads of every Kafka client the
 * daemon makes: the producer (publish.c, both modes) and, in cluster mode, the state reader,
 * the group member and the fingerprints reader (daemon/cluster/).
 *
 * librdkafka before 2.3.1 (this system's is 2.0.2) sleeps in whole milliseconds rounded down
 * and then, woken less than a millisecond before its next timer, serves its queue with a
 * timeout of 0 in a loop until the timer is due (confluentinc/librdkafka#4684, fixed by
 * #4671): a spin of up to a millisecond, half a millisecond on average, before every timer of
 * every client's main thread (its 1 s tick, the member's 2 s metadata refresh, ...).
 * Cluster mode runs four clients, and an idle instance's CPU was mostly theirs (perf of an
 * idle instance: half its samples clock_gettime in rdk:main, of all four clients); a
 * single-node daemon runs one, the producer. With a
 * timer slack of a millisecond the kernel may end such a sleep up to a millisecond late,
 * past the timer, and does so when nothing else wakes the core first: the spin is shorter or
 * gone. Measured (two idle instances, 20 s in each of four runs alternated without and
 * with, load 18-30): the rdk:main threads 4.9 and 7.9 ms of CPU a second without, 2.7 and
 * 3.2 with (all threads: 7.8 and 11.5, 7.5 and 7.1); in a cold start no change shows
 * (0.14-0.24 s of rdk:main either way, docs/cluster-costs.md). What it
 * costs: any timed wait of these threads (the producer's linger.ms, a fetch's backoff) may
 * end a millisecond late; their messages and replies wake them as before.
 *
 * The slack is a thread's own (prctl PR_SET_TIMERSLACK), set by an on_thread_start
 * interceptor in each thread librdkafka makes, so no thread of the daemon's own has it.
 */
#include <stdio.h>
#include <sys/prctl.h>

#include "kafka_threads.h"

#define INTERCEPTOR_NAME	"wiresift-timer-slack"

static rd_kafka_resp_err_t
on_thread_start(rd_kafka_t *kafka, rd_kafka_thread_type_t type, const char *name,
    void *opaque)
{
	(void)prctl(PR_SET_TIMERSLACK, KAFKA_TIMER_SLACK_NS, 0, 0, 0);	/* else the default */
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t
on_new(rd_kafka_t *kafka, const rd_kafka_conf_t *conf, void *opaque, char *error,
    size_t error_size)
{
	return rd_kafka_interceptor_add_on_thread_start(kafka, INTERCEPTOR_NAME,
	    on_thread_start, NULL);
}

int
kafka_threads_slack(rd_kafka_conf_t *conf, char *error, size_t error_size)
{
	if (rd_kafka_conf_interceptor_add_on_new(conf, INTERCEPTOR_NAME, on_new, NULL) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(error, error_size, "[kafka] cannot add librdkafka's thread interceptor");
		return -1;
	}
	return 0;
}
