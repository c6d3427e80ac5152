/*
 * test_kafka_threads.c - the timer slack of the daemon's Kafka clients
 * (daemon/kafka_threads.c): every thread librdkafka makes for a client whose conf got
 * kafka_threads_slack() sleeps with KAFKA_TIMER_SLACK_NS, read back from
 * /proc/self/task/TID/timerslack_ns; the threads of a client without it, and this thread,
 * keep the default. A producer with no bootstrap server still makes its main thread and its
 * internal broker's. And the daemon's producer (publish.c), single-node and cluster mode,
 * gets it: every thread of a publisher_open()ed one sleeps with the slack.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "check.h"
#include "config.h"
#include "kafka_threads.h"
#include "publish.h"
#include "util.h"

/* A task's name and timer slack, from /proc; 0 when it cannot be read. */
static int
task_read(const char *tid, char *name, size_t name_size, long *slack)
{
	char path[320];
	FILE *file;
	int ok;

	snprintf(path, sizeof path, "/proc/self/task/%s/comm", tid);
	if ((file = fopen(path, "r")) == NULL)
		return 0;
	ok = fgets(name, (int)name_size, file) != NULL;
	fclose(file);
	name[strcspn(name, "\n")] = '\0';
	snprintf(path, sizeof path, "/proc/%s/timerslack_ns", tid);
	if (!ok || (file = fopen(path, "r")) == NULL)
		return 0;
	ok = fscanf(file, "%ld", slack) == 1;
	fclose(file);
	return ok;
}

/* How many rdk:* threads there are, and how many of them sleep with `slack`. */
static void
kafka_threads(long slack, int *threads, int *with_slack)
{
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *entry;
	char name[64];
	long value;

	*threads = *with_slack = 0;
	while (tasks != NULL && (entry = readdir(tasks)) != NULL)
		if (entry->d_name[0] != '.' &&
		    task_read(entry->d_name, name, sizeof name, &value) &&
		    strncmp(name, "rdk:", 4) == 0) {
			(*threads)++;
			*with_slack += value == slack;
		}
	if (tasks != NULL)
		closedir(tasks);
}

/*
 * kafka_threads() once the client's threads are up: each names itself and runs the
 * interceptor when it starts, after rd_kafka_new() returned; up to 2 s for every named one
 * to hold `slack` (a thread without it never does).
 */
static void
kafka_threads_settled(long slack, int *threads, int *with_slack)
{
	const struct timespec step = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 100; i++) {
		kafka_threads(slack, threads, with_slack);
		if (*threads >= 2 && *with_slack == *threads)
			return;
		nanosleep(&step, NULL);
	}
}

static rd_kafka_t *
client(int slack)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char error[256];
	rd_kafka_t *kafka;

	if (slack && kafka_threads_slack(conf, error, sizeof error) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if ((kafka = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error)) == NULL)
		rd_kafka_conf_destroy(conf);
	return kafka;
}

static void
test_every_thread_of_a_client_sleeps_with_the_slack(void)
{
	long before = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	rd_kafka_t *kafka = client(1);
	int threads, with_slack;

	CHECK(kafka != NULL);
	if (kafka == NULL)
		return;
	kafka_threads_settled(KAFKA_TIMER_SLACK_NS, &threads, &with_slack);
	CHECK(threads >= 2);		/* rdk:main and the internal broker's */
	CHECK(with_slack == threads);
	CHECK(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == before);	/* not the caller's */
	rd_kafka_destroy(kafka);
}

static void
test_a_client_without_it_keeps_the_default(void)
{
	rd_kafka_t *kafka = client(0);
	int threads, with_slack;

	CHECK(kafka != NULL);
	if (kafka == NULL)
		return;
	kafka_threads_settled(KAFKA_TIMER_SLACK_NS, &threads, &with_slack);	/* 2 s */
	CHECK(threads >= 2);
	CHECK(with_slack == 0);
	rd_kafka_destroy(kafka);
}

static void
on_report(void *message_context, const struct delivery_report *report, void *context)
{
}

/* publisher_open() on a broker that is not there (its threads start all the same). */
static void
check_publisher_threads(const char *group)
{
	struct config *config = config_defaults();
	char error[512] = "", state_dir[] = "/tmp/wiresift-slack-XXXXXX";
	struct publisher *publisher;
	int threads, with_slack;

	CHECK(mkdtemp(state_dir) != NULL);
	free(config->bootstrap_servers);
	config->bootstrap_servers = xstrdup("127.0.0.1:9");
	free(config->state_dir);
	config->state_dir = xstrdup(state_dir);
	config->cluster.group = group != NULL ? xstrdup(group) : NULL;
	publisher = publisher_open(config, NULL, on_report, NULL, error, sizeof error);
	CHECK(publisher != NULL);
	if (publisher != NULL) {
		kafka_threads_settled(KAFKA_TIMER_SLACK_NS, &threads, &with_slack);
		CHECK(threads >= 2);
		CHECK(with_slack == threads);
		publisher_close(publisher);
	}
	config_free(config);
	rmdir(state_dir);
}

static void
test_the_daemons_producer_sleeps_with_the_slack_in_both_modes(void)
{
	check_publisher_threads(NULL);		/* single-node */
	check_publisher_threads("slack");	/* cluster mode: transactional */
}

int
main(void)
{
	FILE *probe = fopen("/proc/self/timerslack_ns", "r");

	if (probe == NULL) {
		RUN_SKIPPED(test_every_thread_of_a_client_sleeps_with_the_slack,
		    "no /proc/self/timerslack_ns");
		RUN_SKIPPED(test_a_client_without_it_keeps_the_default,
		    "no /proc/self/timerslack_ns");
		RUN_SKIPPED(test_the_daemons_producer_sleeps_with_the_slack_in_both_modes,
		    "no /proc/self/timerslack_ns");
		return check_finish();
	}
	fclose(probe);
	RUN(test_every_thread_of_a_client_sleeps_with_the_slack);
	RUN(test_a_client_without_it_keeps_the_default);
	RUN(test_the_daemons_producer_sleeps_with_the_slack_in_both_modes);
	return check_finish();
}
