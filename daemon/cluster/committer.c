/*
 * committer.c - the thread that runs cluster mode's blocking transactional calls (see txn.c),
 * so that the event loop never waits for the transaction coordinator. The loop asks for one job
 * at a time (committer_run) and goes on; the thread runs it and hands the result back through
 * a pipe the loop watches, and the loop then calls the job's done function:
 *
 *   FLUSH   rd_kafka_flush: wait until every message sent into the transaction is reported
 *           (reports are events the loop serves, publish.c, so the flush only waits for it);
 *   STATE   rd_kafka_flush again, once the loop sent the state records: they are on the
 *           brokers before the fence is passed;
 *   COMMIT  send_offsets_to_transaction (the group generation: the zombie fence), then
 *           commit_transaction (asked again while it times out, up to COMMIT_ATTEMPTS: until
 *           it is answered, whether it committed is unknown); an abortable failure aborts
 *           it; then begin_transaction;
 *   ABORT   abort_transaction, then begin_transaction;
 *   RENEW   init_transactions and begin_transaction on a new producer (txn.c made it after
 *           a fatal error: init_transactions fences the old one's epoch).
 *
 * The thread touches nothing of the loop's but the producer handle (librdkafka's calls are
 * thread-safe) and what it was handed; the job and its result cross under the mutex.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster_internal.h"
#include "publish.h"
#include "util.h"

#define FLUSH_MS		5000
#define CALL_TIMEOUT_MS		5000	/* commit, abort, send_offsets, begin; retried once */
#define COMMIT_ATTEMPTS		4	/* a commit that times out is asked again */
#define INIT_TIMEOUT_MS		30000	/* a renewed producer's init_transactions */

struct committer {
	rd_kafka_t		*producer;
	committer_done_fn	 done;
	void			*context;
	struct event		*wakeup;
	int			 pipe[2];
	int			 busy;		/* loop side: a job was run and its done not called */
	pthread_t		 thread;
	int			 started;
	/* under lock */
	pthread_mutex_t		 lock;
	rd_kafka_t		*next_producer;	/* committer_set_producer(), taken with the job */
	pthread_cond_t		 wake;
	int			 requested;
	int			 ready;
	int			 stopping;
	enum committer_job	 job;
	rd_kafka_topic_partition_list_t *offsets;
	rd_kafka_consumer_group_metadata_t *metadata;
	struct committer_result	 result;
};

/* Records a failure; the error object is consumed. */
static void
failed(struct committer_result *result, const char *call, rd_kafka_error_t *error, int fatal)
{
	snprintf(result->call, sizeof result->call, "%s", call);
	snprintf(result->error, sizeof result->error, "%s", rd_kafka_error_string(error));
	result->fatal = fatal;
	rd_kafka_error_destroy(error);
}

/* A call that failed retriably is made once more (it resumes what runs in the background). */
#define RETRIED(call) do {						\
	error = (call);							\
	if (error != NULL && rd_kafka_error_is_retriable(error)) {	\
		rd_kafka_error_destroy(error);				\
		error = (call);						\
	}								\
} while (0)

static void
abort_transaction(rd_kafka_t *producer, struct committer_result *result)
{
	rd_kafka_error_t *error;

	RETRIED(rd_kafka_abort_transaction(producer, CALL_TIMEOUT_MS));
	if (error != NULL)
		failed(result, "abort", error, 1);
}

/*
 * commit_transaction, asked again while it times out. Once asked, the coordinator may have
 * committed it: a failure after that is an outcome unknown (result->unknown) unless the
 * answer says (abortable: not committed; fatal, fenced: the coordinator aborted it and bumped
 * the epoch, which it never does to a transaction it was told to commit).
 */
static rd_kafka_error_t *
commit_asked(rd_kafka_t *producer, struct committer_result *result)
{
	rd_kafka_error_t *error = NULL;

	for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
		if (error != NULL)
			rd_kafka_error_destroy(error);
		error = rd_kafka_commit_transaction(producer, CALL_TIMEOUT_MS);
		if (error == NULL || !rd_kafka_error_is_retriable(error))
			break;
	}
	result->unknown = error != NULL && !rd_kafka_error_txn_requires_abort(error) &&
	    !rd_kafka_error_is_fatal(error);
	return error;
}

static void
commit_transaction(rd_kafka_t *producer, rd_kafka_topic_partition_list_t *offsets,
    rd_kafka_consumer_group_metadata_t *metadata, struct committer_result *result)
{
	rd_kafka_error_t *error = NULL;

	/* The state records are on the brokers already (STATE, txn.c's fence waits for it). */
	if (offsets != NULL && metadata != NULL && offsets->cnt > 0 &&
	    cluster_test_before_offsets != NULL)
		cluster_test_before_offsets(metadata);
	if (offsets != NULL && metadata != NULL && offsets->cnt > 0)
		RETRIED(rd_kafka_send_offsets_to_transaction(producer, offsets, metadata,
		    CALL_TIMEOUT_MS));
	if (error == NULL)
		error = commit_asked(producer, result);
	if (error == NULL) {
		result->committed = 1;
		return;
	}
	if (rd_kafka_error_txn_requires_abort(error) ||
	    (rd_kafka_error_is_retriable(error) && !result->unknown)) {
		failed(result, "commit", error, 0);
		abort_transaction(producer, result);
	} else
		failed(result, "commit", error, 1);
}

/* A new producer's transactions (one whose init fails is renewed again, by txn.c). */
static void
renew(rd_kafka_t *producer, struct committer_result *result)
{
	rd_kafka_error_t *error = rd_kafka_init_transactions(producer, INIT_TIMEOUT_MS);

	if (error != NULL)
		failed(result, "init", error, 1);
	else if ((error = rd_kafka_begin_transaction(producer)) != NULL)
		failed(result, "begin", error, 1);
}

static void
work(rd_kafka_t *producer, enum committer_job job, rd_kafka_topic_partition_list_t *offsets,
    rd_kafka_consumer_group_metadata_t *metadata, struct committer_result *result)
{
	rd_kafka_error_t *error;

	memset(result, 0, sizeof *result);
	result->job = job;
	if (job == COMMITTER_FLUSH || job == COMMITTER_STATE) {
		result->committed = rd_kafka_flush(producer, FLUSH_MS) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR;
		return;
	}
	if (job == COMMITTER_RENEW) {
		renew(producer, result);
		return;
	}
	if (job == COMMITTER_COMMIT)
		commit_transaction(producer, offsets, metadata, result);
	else
		abort_transaction(producer, result);
	if (!result->fatal && (error = rd_kafka_begin_transaction(producer)) != NULL)
		failed(result, "begin", error, 1);
}

static void *
run(void *argument)
{
	struct committer *committer = argument;
	struct committer_result result;

	pthread_mutex_lock(&committer->lock);
	for (;;) {
		enum committer_job job;
		rd_kafka_topic_partition_list_t *offsets;
		rd_kafka_consumer_group_metadata_t *metadata;

		while (!committer->requested && !committer->stopping)
			pthread_cond_wait(&committer->wake, &committer->lock);
		if (!committer->requested)
			break;
		committer->requested = 0;
		job = committer->job;
		if (committer->next_producer != NULL)
			committer->producer = committer->next_producer;
		committer->next_producer = NULL;
		offsets = committer->offsets;
		metadata = committer->metadata;
		committer->offsets = NULL;
		committer->metadata = NULL;
		pthread_mutex_unlock(&committer->lock);
		work(committer->producer, job, offsets, metadata, &result);
		if (offsets != NULL)
			rd_kafka_topic_partition_list_destroy(offsets);
		if (metadata != NULL)
			rd_kafka_consumer_group_metadata_destroy(metadata);
		pthread_mutex_lock(&committer->lock);
		committer->result = result;
		committer->ready = 1;
		/* Under the lock: committer_stop() closes the pipe only after the thread ended. */
		if (write(committer->pipe[1], "1", 1) < 0 && errno != EAGAIN)
			break;
	}
	pthread_mutex_unlock(&committer->lock);
	return NULL;
}

void
committer_dispatch(struct committer *committer)
{
	struct committer_result result;
	int ready;

	pthread_mutex_lock(&committer->lock);
	ready = committer->ready;
	committer->ready = 0;
	result = committer->result;
	pthread_mutex_unlock(&committer->lock);
	if (!ready)
		return;
	committer->busy = 0;
	committer->done(committer->context, &result);
}

static void
on_wakeup(evutil_socket_t fd, short what, void *context)
{
	char drain[64];

	while (read(fd, drain, sizeof drain) > 0)
		;
	committer_dispatch(context);
}

struct committer *
committer_start(rd_kafka_t *producer, struct event_base *base, committer_done_fn done,
    void *context, char *error, size_t error_size)
{
	struct committer *committer = xcalloc(1, sizeof *committer);
	int code;

	committer->producer = producer;
	committer->done = done;
	committer->context = context;
	pthread_mutex_init(&committer->lock, NULL);
	pthread_cond_init(&committer->wake, NULL);
	if (pipe2(committer->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(error, error_size, "[cluster] committer pipe: %s", strerror(errno));
		committer->pipe[0] = committer->pipe[1] = -1;
		committer_stop(committer);
		return NULL;
	}
	if ((code = thread_start(&committer->thread, run, committer, "wiresift-commit")) != 0) {
		snprintf(error, error_size, "[cluster] committer thread: %s", strerror(code));
		committer_stop(committer);
		return NULL;
	}
	committer->started = 1;
	committer->wakeup = event_new(base, committer->pipe[0], EV_READ | EV_PERSIST, on_wakeup,
	    committer);
	event_add(committer->wakeup, NULL);
	return committer;
}

void
committer_run(struct committer *committer, enum committer_job job,
    rd_kafka_topic_partition_list_t *offsets, rd_kafka_consumer_group_metadata_t *metadata)
{
	committer->busy = 1;
	pthread_mutex_lock(&committer->lock);
	committer->job = job;
	committer->offsets = offsets;
	committer->metadata = metadata;
	committer->requested = 1;
	pthread_cond_signal(&committer->wake);
	pthread_mutex_unlock(&committer->lock);
}

void
committer_set_producer(struct committer *committer, rd_kafka_t *producer)
{
	pthread_mutex_lock(&committer->lock);
	committer->next_producer = producer;
	pthread_mutex_unlock(&committer->lock);
}

int
committer_busy(const struct committer *committer)
{
	return committer->busy;
}

void
committer_wait(struct committer *committer, struct publisher *publisher)
{
	/* The flush waits for the loop to serve the reports: this serves them meanwhile. */
	publisher_wait(publisher, 10);
	committer_dispatch(committer);
}

void
committer_stop(struct committer *committer)
{
	if (committer == NULL)
		return;
	if (committer->started) {
		pthread_mutex_lock(&committer->lock);
		committer->stopping = 1;
		pthread_cond_signal(&committer->wake);
		pthread_mutex_unlock(&committer->lock);
		pthread_join(committer->thread, NULL);
	}
	if (committer->wakeup != NULL)
		event_free(committer->wakeup);
	for (int i = 0; i < 2; i++)
		if (committer->pipe[i] >= 0)
			close(committer->pipe[i]);
	if (committer->offsets != NULL)
		rd_kafka_topic_partition_list_destroy(committer->offsets);
	if (committer->metadata != NULL)
		rd_kafka_consumer_group_metadata_destroy(committer->metadata);
	pthread_mutex_destroy(&committer->lock);
	pthread_cond_destroy(&committer->wake);
	free(committer);
}
