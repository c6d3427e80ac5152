/*
 * kafka_threads.h - a timer slack for librdkafka's own threads, of every client the daemon
 * makes (see kafka_threads.c for why: the librdkafka of this system spins for up to a
 * millisecond before each of its timers).
 */
#ifndef WIRESIFT_KAFKA_THREADS_H
#define WIRESIFT_KAFKA_THREADS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#define KAFKA_TIMER_SLACK_NS	1000000L	/* librdkafka sleeps in whole milliseconds */

/* Every thread the client made from conf starts with KAFKA_TIMER_SLACK_NS; 0, or -1 and why. */
int	kafka_threads_slack(rd_kafka_conf_t *conf, char *error, size_t error_size);

#endif
