/*
 * workers.c - worker threads for the I/O-free stages (see workers.h).
 *
 * Jobs sit in one FIFO list, oldest first: `head` is the oldest job not yet handed back to the
 * loop thread, `unclaimed` the next one no worker has taken, `tail` the newest. A worker takes
 * `unclaimed`, prepares the article outside the lock, marks the job done and, when the job is
 * `head`, writes one byte to the wake pipe (once until the loop has read it). The loop thread
 * then detaches the run of finished jobs at the head and hands them to done() in order.
 * One mutex guards the list; nothing else is shared: each worker has its own stages.
 * A cancelled job (workers_cancel) is marked done where it stands, unprepared: workers skip it.
 *
 * Workers run WORKER_NICE steps nicer than the process: the loop thread alone fetches, parses,
 * filters, judges and publishes for all of them, so when the cores are busy it should be the
 * one that runs, and the workers take the time it leaves (see worker_lower_priority).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "pipeline.h"
#include "util.h"
#include "workers.h"

#define MAX_WORKERS	64
#define HANDBACK_BATCH	256	/* articles per wake-up, so fetches and Kafka reports interleave */
#define WORKER_NICE	5	/* CFS weight 335 against the loop's 1024 */

struct job {
	struct job	*next;
	struct article	*article;
	void		*context;
	time_t		 now;
	int		 result;
	int		 done;
};

struct worker {
	struct workers		*pool;
	pthread_t		 thread;
	int			 running;
	struct pipeline_stages	*stages;
};

struct workers {
	pthread_mutex_t	 lock;
	pthread_cond_t	 job_waiting;
	struct job	*head, *unclaimed, *tail;
	size_t		 pending;
	int		 stopping;
	int		 wake_pending;
	int		 wake_pipe[2];
	struct event	*wake_event;
	workers_done_fn	 done;
	void		*context;
	struct worker	*threads;
	int		 count;
};

int
workers_configured(const struct config *config)
{
	long online;

	if (config->workers != WORKERS_AUTO)
		return config->workers;
	online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online < 1)
		return 1;
	return online > 16 ? 16 : (int)online;
}

/* `unclaimed` never rests on a cancelled job, which on_wake may hand back and free. */
static void
skip_cancelled(struct workers *pool)
{
	while (pool->unclaimed != NULL && pool->unclaimed->done)
		pool->unclaimed = pool->unclaimed->next;
}

/* The next job for a worker, or NULL when the pool stops. */
static struct job *
job_take(struct workers *pool)
{
	struct job *job = NULL;

	pthread_mutex_lock(&pool->lock);
	while (!pool->stopping && pool->unclaimed == NULL)
		pthread_cond_wait(&pool->job_waiting, &pool->lock);
	if (!pool->stopping) {
		job = pool->unclaimed;
		pool->unclaimed = job->next;
		skip_cancelled(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	return job;
}

static void
job_finish(struct workers *pool, struct job *job, int result)
{
	pthread_mutex_lock(&pool->lock);
	job->result = result;
	job->done = 1;
	if (job == pool->head && !pool->wake_pending) {
		pool->wake_pending = 1;
		if (write(pool->wake_pipe[1], "", 1) < 0 && errno != EAGAIN)
			log_event(LOG_LEVEL_ERROR, "ingest", "workers.wake_failed", "error=%s",
			    log_quote(strerror(errno)));
	}
	pthread_mutex_unlock(&pool->lock);
}

/*
 * On Linux a thread's nice value is its own (setpriority on its thread id); raising it needs no
 * privilege. On failure the worker runs at the process's priority, as before.
 */
static void
worker_lower_priority(void)
{
	id_t self = (id_t)gettid();
	int nice;

	errno = 0;
	nice = getpriority(PRIO_PROCESS, self);
	if (nice == -1 && errno != 0)
		return;
	(void)setpriority(PRIO_PROCESS, self, nice + WORKER_NICE);
}

static void *
worker_main(void *argument)
{
	struct worker *worker = argument;
	struct job *job;

	worker_lower_priority();
	while ((job = job_take(worker->pool)) != NULL)
		job_finish(worker->pool, job, pipeline_prepare(worker->stages, job->article,
		    job->now, NULL, NULL));
	return NULL;
}

/*
 * Loop thread: hand back, in order, the finished jobs at the head of the list, at most
 * HANDBACK_BATCH a time: when more are ready the event is made active again, so the loop
 * serves sockets and delivery reports in between instead of stalling on a long run.
 */
static void
on_wake(evutil_socket_t fd, short what, void *context)
{
	struct workers *pool = context;
	struct job *finished, *last = NULL, *job;
	int count = 0, more;
	char drain[64];

	while (read(fd, drain, sizeof drain) > 0)
		;
	pthread_mutex_lock(&pool->lock);
	finished = pool->head;
	for (job = pool->head; job != NULL && job->done && count < HANDBACK_BATCH; job = job->next) {
		last = job;
		count++;
	}
	pool->pending -= (size_t)count;
	if (last == NULL)
		finished = NULL;
	else {
		pool->head = last->next;
		last->next = NULL;
		if (pool->head == NULL)
			pool->tail = NULL;
	}
	more = pool->head != NULL && pool->head->done;
	pool->wake_pending = more;	/* workers need not write: we come back by ourselves */
	pthread_mutex_unlock(&pool->lock);
	if (more)
		event_active(pool->wake_event, EV_READ, 0);
	while ((job = finished) != NULL) {
		finished = job->next;
		pool->done(job->article, job->result, job->context, pool->context);
		free(job);
	}
}

void
workers_submit(struct workers *pool, struct article *article, time_t now, void *job_context)
{
	struct job *job = xcalloc(1, sizeof *job);

	job->article = article;
	job->context = job_context;
	job->now = now;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail != NULL)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	if (pool->unclaimed == NULL)
		pool->unclaimed = job;
	pool->pending++;
	pthread_cond_signal(&pool->job_waiting);
	pthread_mutex_unlock(&pool->lock);
}

size_t
workers_cancel(struct workers *pool, int (*cancelled)(void *job_context))
{
	size_t count = 0;

	pthread_mutex_lock(&pool->lock);
	for (struct job *job = pool->unclaimed; job != NULL; job = job->next)
		if (!job->done && cancelled(job->context)) {
			job->result = WORKERS_CANCELLED;
			job->done = 1;
			count++;
		}
	skip_cancelled(pool);
	pthread_mutex_unlock(&pool->lock);
	if (count > 0)
		event_active(pool->wake_event, EV_READ, 0);	/* on_wake hands back the head's run */
	return count;
}

size_t
workers_pending(const struct workers *pool)
{
	return pool->pending;	/* changed only on the loop thread */
}

int
workers_count(const struct workers *pool)
{
	return pool->count;
}

static int
workers_start(struct workers *pool, char *error, size_t error_size)
{
	for (int i = 0; i < pool->count; i++) {
		char name[16];
		int code;

		snprintf(name, sizeof name, "wiresift-w%d", i % 100);
		if ((code = thread_start(&pool->threads[i].thread, worker_main, &pool->threads[i],
		    name)) != 0) {
			snprintf(error, error_size, "cannot start worker thread: %s",
			    strerror(code));
			return -1;
		}
		pool->threads[i].running = 1;
	}
	return 0;
}

struct workers *
workers_new(struct event_base *base, int count, const struct config *config,
    workers_done_fn done, void *context, char *error, size_t error_size)
{
	struct workers *pool = xcalloc(1, sizeof *pool);

	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->job_waiting, NULL);
	pool->wake_pipe[0] = pool->wake_pipe[1] = -1;
	pool->done = done;
	pool->context = context;
	pool->count = count < 1 ? 1 : count > MAX_WORKERS ? MAX_WORKERS : count;
	pool->threads = xcalloc((size_t)pool->count, sizeof *pool->threads);
	for (int i = 0; i < pool->count; i++) {
		pool->threads[i].pool = pool;
		if ((pool->threads[i].stages = pipeline_stages_open(config, error,
		    error_size)) == NULL)
			goto fail;
	}
	if (pipe2(pool->wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		snprintf(error, error_size, "workers: pipe: %s", strerror(errno));
		goto fail;
	}
	pool->wake_event = event_new(base, pool->wake_pipe[0], EV_READ | EV_PERSIST, on_wake,
	    pool);
	event_add(pool->wake_event, NULL);
	if (workers_start(pool, error, error_size) < 0)
		goto fail;
	return pool;
fail:
	workers_free(pool);
	return NULL;
}

void
workers_free(struct workers *pool)
{
	struct job *job;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = 1;
	pthread_cond_broadcast(&pool->job_waiting);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->count; i++) {
		if (pool->threads[i].running)
			pthread_join(pool->threads[i].thread, NULL);
		pipeline_stages_close(pool->threads[i].stages);
	}
	while ((job = pool->head) != NULL) {	/* never handed back: unseen, fetched again */
		pool->head = job->next;
		article_free(job->article);
		free(job);
	}
	if (pool->wake_event != NULL)
		event_free(pool->wake_event);
	for (int i = 0; i < 2; i++)
		if (pool->wake_pipe[i] >= 0)
			close(pool->wake_pipe[i]);
	pthread_cond_destroy(&pool->job_waiting);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}
