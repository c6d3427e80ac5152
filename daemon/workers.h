/*
 * workers.h - the I/O-free middle of the pipeline (parse, clean, tag, dedup sketch) on worker
 * threads.
 *
 * The loop thread submits fetched feed bodies to parse (parse jobs) and parsed, unseen
 * articles to prepare; each worker thread owns its own pipeline stages (clean rules and an
 * instance of every plugin) and runs jobs in parallel. Parsed bodies and prepared articles
 * come back to the loop thread through a pipe watched by libevent, in the order they were
 * submitted: a job that finished early waits for every earlier one, so what follows (the seen
 * filter, dedup, routing, publishing) sees the feeds' order whatever the timing.
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

/*
 * Called on the loop thread for each parse job, in submission order, once
 * feed_parse_job_run() has run on it (feed/feed.h). The job stays its submitter's.
 */
struct feed_parse_job;
typedef void (*workers_parsed_fn)(struct feed_parse_job *job, void *job_context,
	    void *context);

/* count threads (>= 1). NULL on error (a plugin that fails to start: FILE:LINE in error). */
struct workers *workers_new(struct event_base *base, int count, const struct config *config,
	    workers_done_fn done, workers_parsed_fn parsed, void *context, char *error,
	    size_t error_size);
/* Hand an article to the workers; done() gets it back later, never from inside this call. */
void	 workers_submit(struct workers *workers, struct article *article, time_t now,
	    void *job_context);
/*
 * Hand a body to parse to the workers; parsed() gets the job back later, never from inside
 * this call. Until then the job is the workers': its submitter must not touch it.
 */
void	 workers_submit_parse(struct workers *workers, struct feed_parse_job *job,
	    void *job_context);
/* Jobs (articles and parse jobs) submitted and not yet handed back. */
size_t	 workers_pending(const struct workers *workers);
int	 workers_count(const struct workers *workers);
/*
 * Stop the threads (after the job each is working on) and free the articles never handed
 * back; parse jobs never handed back stay their submitter's to free.
 */
void	 workers_free(struct workers *workers);

/* [daemon] workers resolved: auto is one per online CPU. */
int	 workers_configured(const struct config *config);

#endif
