/*
 * workers.h - the I/O-free middle of the pipeline (clean, tag, dedup sketch) on worker threads.
 *
 * The loop thread submits parsed, unseen articles; each worker thread owns its own pipeline
 * stages (clean rules and an instance of every plugin) and prepares articles in parallel.
 * Prepared articles come back to the loop thread through a pipe watched by libevent, in the
 * order they were submitted: an article that finished early waits for every earlier one, so
 * what follows (dedup, routing, publishing) sees the feeds' order whatever the timing.
 */
#ifndef WIRESIFT_WORKERS_H
#define WIRESIFT_WORKERS_H

#include <stddef.h>
#include <time.h>
#include <event2/event.h>

#include "article.h"
#include "config.h"

struct workers;

/*
 * Called on the loop thread for each article, in submission order: result is what
 * pipeline_prepare() returned (0 ready, -1 nothing usable left). The callback owns the article.
 */
typedef void (*workers_done_fn)(struct article *article, int result, void *job_context,
	    void *context);

/* count threads (>= 1). NULL on error (a plugin that fails to start: FILE:LINE in error). */
struct workers *workers_new(struct event_base *base, int count, const struct config *config,
	    workers_done_fn done, void *context, char *error, size_t error_size);
/* Hand an article to the workers; done() gets it back later, never from inside this call. */
void	 workers_submit(struct workers *workers, struct article *article, time_t now,
	    void *job_context);
/*
 * Jobs not yet taken by a worker whose job_context cancelled() says 1 are handed back to done()
 * unprepared, with result WORKERS_CANCELLED, in their turn (cluster mode: the feeds of a
 * revoked partition). Returns how many; loop thread.
 */
#define WORKERS_CANCELLED	(-1000)
size_t	 workers_cancel(struct workers *workers, int (*cancelled)(void *job_context));
/* Articles submitted and not yet handed back to done(). */
size_t	 workers_pending(const struct workers *workers);
int	 workers_count(const struct workers *workers);
/* Stop the threads (after the article each is working on) and free what was never handed back. */
void	 workers_free(struct workers *workers);

/* [daemon] workers resolved: auto is one per online CPU. */
int	 workers_configured(const struct config *config);

#endif
