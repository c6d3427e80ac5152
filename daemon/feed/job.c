/*
 * job.c - a feed body parsed on a worker thread (workers.c): feed_parse() over what the job
 * owns, its items collected in document order for the loop thread to take (see feed.h).
 */
#include <stdlib.h>

#include "feed_internal.h"

/* feed_parse()'s callback: the item joins the job's list, in document order. */
static int
collect_item(struct article *item, void *context)
{
	struct feed_parse_job *job = context;

	if (job->item_count == job->item_size) {
		job->item_size = job->item_size ? job->item_size * 2 : 32;
		job->items = xrealloc(job->items, job->item_size * sizeof *job->items);
	}
	job->items[job->item_count++] = item;
	return 0;
}

void
feed_parse_job_run(struct feed_parse_job *job)
{
	job->result = feed_parse(job->body, job->body_length, job->feed_url, job->content_type,
	    &job->meta, collect_item, job, job->error, sizeof job->error);
	free(job->body);	/* the items hold copies of what they need */
	job->body = NULL;
}

void
feed_parse_job_free(struct feed_parse_job *job)
{
	for (size_t i = 0; i < job->item_count; i++)
		article_free(job->items[i]);
	free(job->items);
	free(job->body);
	free(job->feed_url);
	free(job->content_type);
	feed_meta_free(&job->meta);
	memset(job, 0, sizeof *job);
}
