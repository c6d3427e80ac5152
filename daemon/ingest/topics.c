/*
 * topics.c - start-up's check of the Kafka topics. Every topic we may publish to must exist
 * or be creatable: a topic the broker refuses is a start-up error, not a silent loss. An
 * unreachable broker is not (the spool takes over); the daemon is then not ready until a
 * delivery succeeds.
 *
 * The check takes a few broker round trips (a metadata request per topic, the broker's
 * auto.create.topics.enable when one is missing, the creation of topic.stories): 0.2-0.4 s
 * of a cold start, in which the daemon did no work. It runs on a thread of its own
 * ("wiresift-topics") while the loop already fetches, parses and prepares the first items;
 * until it reports, the producer holds every message (publisher_hold: nothing is produced
 * before its topic is known to exist, and topic.stories is created compacted before its
 * first summary). Then the held messages go to librdkafka in order (publisher_release), or,
 * when a topic is refused, the daemon stops with status 1 and what it held is reported
 * failed (spooled: nothing was acknowledged, nothing is marked seen that Kafka does not have).
 * The systemd READY=1 is sent once the check has passed. Cluster mode checks before it
 * starts, on the loop thread (its transactions use the producer's hold themselves).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/ingest_internal.h"
#include "log.h"
#include "notify.h"
#include "publish.h"
#include "util.h"

#define TOPIC_TIMEOUT_MS	3000	/* per broker request */

enum check_stage { CHECK_RUNNING = 1, CHECK_DONE, CHECK_APPLIED };

struct topic_check {
	enum check_stage stage;		/* RUNNING: on the thread; DONE: answered, not applied */
	struct publisher *publisher;	/* the thread's: the loop's may not change meanwhile */
	struct strlist	 topics;	/* to check */
	const char	*stories_topic;	/* to create compacted, or NULL */
	int		 embedded;
	pthread_t	 thread;		/* while RUNNING */
	int		 held;		/* the producer holds sends until the answer */
	int		 pipe[2];
	struct event	*done_event;
	int64_t		 started_ms;
	/* the thread's answer, read by the loop after the join */
	int		 result;	/* -1 refused, 0 every topic there or creatable, 1 unreachable */
	char		 error[512];
};

/*
 * topic.stories holds one summary per story: compacted, when wiresift creates it. Only on a
 * real broker that answered the check (the embedded one has no controller; an unreachable one
 * would hold up the start): otherwise it is created on first use, with the broker's default
 * policy. It is not among the checked topics: a producer's metadata request for a missing
 * topic creates it, uncompacted.
 */
static void
create_stories_topic(struct topic_check *check)
{
	char reason[256] = "";
	int result;

	if (check->stories_topic == NULL || check->embedded || check->result != 0)
		return;
	result = publisher_create_compacted(check->publisher, check->stories_topic,
	    TOPIC_TIMEOUT_MS, reason, sizeof reason);
	if (result == 0)
		log_event(LOG_LEVEL_INFO, "kafka", "kafka.topic_created", "topic=%s "
		    "cleanup.policy=compact", check->stories_topic);
	else if (result < 0)
		log_event(LOG_LEVEL_WARNING, "kafka", "kafka.topic_not_created", "topic=%s "
		    "error=%s", check->stories_topic, log_quote(reason));
}

/* Sets result and error: the first refused topic, or the broker unreachable. */
static void
check_topics(struct topic_check *check)
{
	check->result = 0;
	for (size_t i = 0; i < check->topics.count && check->result == 0; i++) {
		int found = publisher_check_topic(check->publisher, check->topics.items[i],
		    TOPIC_TIMEOUT_MS, check->error, sizeof check->error);
		check->result = found < 0 ? -1 : found > 0 ? 1 : 0;
	}
	create_stories_topic(check);
}

static void *
check_main(void *argument)
{
	struct topic_check *check = argument;

	check_topics(check);
	if (write(check->pipe[1], "", 1) < 0 && errno != EAGAIN)
		log_event(LOG_LEVEL_ERROR, "kafka", "kafka.topics_wakeup_failed", "error=%s",
		    log_quote(strerror(errno)));
	return NULL;
}

/* The check's answer, on the loop thread: ready or not, sends released, or the start refused. */
static void
apply(struct ingest *ingest, struct topic_check *check)
{
	if (check->result < 0) {
		fprintf(stderr, "wiresift: %s\n", check->error);
		log_event(LOG_LEVEL_ERROR, "kafka", "kafka.topic_refused", "error=%s action=stop",
		    log_quote(check->error));
		ingest->start_refused = 1;
		publisher_refuse_held(ingest->publisher, "not produced: the start was refused");
		event_base_loopbreak(ingest->base);
		return;
	}
	ingest->ready = check->result == 0;
	if (check->result > 0) {
		snprintf(ingest->not_ready_reason, sizeof ingest->not_ready_reason, "kafka %.190s",
		    check->error);
		log_event(LOG_LEVEL_WARNING, "kafka", "kafka.unreachable",
		    "error=%s action=spool-until-it-answers", log_quote(check->error));
	} else
		log_event(LOG_LEVEL_INFO, "kafka", "kafka.topics_checked", "topics=%zu ms=%lld",
		    check->topics.count, (long long)(monotonic_ms() - check->started_ms));
	if (check->held)
		publisher_release(ingest->publisher);
	notify_ready("running");
}

/* Join the thread if it ran, and apply the answer (once). */
static void
finish(struct ingest *ingest)
{
	struct topic_check *check = ingest->topic_check;

	if (check == NULL || check->stage == CHECK_APPLIED)
		return;
	if (check->stage == CHECK_RUNNING)
		pthread_join(check->thread, NULL);
	check->stage = CHECK_APPLIED;
	apply(ingest, check);
}

static void
on_check_done(evutil_socket_t fd, short what, void *context)
{
	finish(context);
}

static struct topic_check *
check_new(struct ingest *ingest)
{
	const struct config *config = ingest->config;
	struct topic_check *check = xcalloc(1, sizeof *check);

	check->publisher = ingest->publisher;
	check->embedded = publisher_is_embedded(ingest->publisher);
	check->stories_topic = config->stories.enabled ? config->topic_stories : NULL;
	check->pipe[0] = check->pipe[1] = -1;
	check->started_ms = monotonic_ms();
	strlist_add_unique(&check->topics, config->topic_articles);
	strlist_add_unique(&check->topics, config->topic_duplicates);
	for (size_t i = 0; i < config->route_count; i++)
		strlist_add_unique(&check->topics, config->routes[i].topic);
	return check;
}

int
ingest_topics_check(struct ingest *ingest, int in_background, char *error, size_t error_size)
{
	struct topic_check *check = ingest->topic_check = check_new(ingest);

	ingest->ready = 0;
	snprintf(ingest->not_ready_reason, sizeof ingest->not_ready_reason,
	    "checking the kafka topics");
	if (in_background && pipe2(check->pipe, O_NONBLOCK | O_CLOEXEC) == 0) {
		check->done_event = event_new(ingest->base, check->pipe[0], EV_READ,
		    on_check_done, ingest);
		event_add(check->done_event, NULL);
		publisher_hold(ingest->publisher);
		check->held = 1;
		check->stage = CHECK_RUNNING;
		if (thread_start(&check->thread, check_main, check, "wiresift-topics") == 0)
			return 0;
		publisher_release(ingest->publisher);
		check->held = 0;
	}
	check_topics(check);	/* here and now: cluster mode, or no thread */
	check->stage = CHECK_DONE;	/* applied by ingest_topics_wait() at ingest_start() */
	if (check->result < 0) {
		snprintf(error, error_size, "%s", check->error);
		return -1;
	}
	return 0;
}

int
ingest_topics_pending(const struct ingest *ingest)
{
	return ingest->topic_check != NULL && ingest->topic_check->stage != CHECK_APPLIED;
}

void
ingest_topics_settle(struct ingest *ingest, int wait)
{
	if (ingest->topic_check != NULL && ingest->topic_check->stage == CHECK_RUNNING && !wait)
		return;
	finish(ingest);
}

void
ingest_topics_free(struct ingest *ingest)
{
	struct topic_check *check = ingest->topic_check;

	if (check == NULL)
		return;
	if (check->stage == CHECK_RUNNING)
		pthread_join(check->thread, NULL);	/* its publisher is about to close */
	if (check->done_event != NULL)
		event_free(check->done_event);
	for (int i = 0; i < 2; i++)
		if (check->pipe[i] >= 0)
			close(check->pipe[i]);
	strlist_clear(&check->topics);
	free(check);
	ingest->topic_check = NULL;
}
