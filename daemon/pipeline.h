/*
 * pipeline.h - the I/O-free stages every parsed item goes through, in order: clean, tag
 * (plugins), dedup, stories, route. Shared by the daemon and `wiresift process`, so what the
 * offline command prints is exactly what the daemon would publish.
 *
 * Two parts: the stages that look at one article alone (clean, tag, the dedup sketch, the
 * story features: struct pipeline_stages, one per thread, see workers.h) and the judgement
 * against everything seen before (dedup lookup, story assignment, route: struct pipeline, on
 * the loop thread, in arrival order).
 */
#ifndef WIRESIFT_PIPELINE_H
#define WIRESIFT_PIPELINE_H

#include <stddef.h>
#include <time.h>
#include "article.h"
#include "clean/clean.h"
#include "clean/extract.h"
#include "config.h"

struct pipeline;
struct pipeline_stages;

/* Clean rules and an instance of every configured plugin, for one thread. */
struct pipeline_stages *pipeline_stages_open(const struct config *config, char *error,
	    size_t error_size);
void	 pipeline_stages_close(struct pipeline_stages *stages);

#define PIPELINE_NEEDS_PAGE	1

/*
 * Clean, extract the linked page's text when it was fetched, tag, sketch (dedup), extract
 * story features, render one article but for its verdicts (article_keep_json_without_dedup)
 * and hash what it says (article_content_hash, for the seen filter), on any thread with
 * stages of its own. 0: ready to be judged; -1: nothing usable was left after
 * cleaning (the caller logs and skips it); PIPELINE_NEEDS_PAGE: cleaned only, it wants its
 * linked page (page_wanted()): the caller fetches it (or records why not) and prepares the
 * article again.
 */
int	 pipeline_prepare(struct pipeline_stages *stages, struct article *article, time_t now,
	    clean_explain_fn explain, void *explain_context);

/*
 * The article of a fetched web page (clean/extract.h), with the stages' boilerplate and site
 * rules ([clean] rules and site_rules): 0, or -1 when the page holds no article body.
 */
int	 pipeline_extract_page(struct pipeline_stages *stages, const char *html, size_t length,
	    const char *page_url, struct extract_result *result, clean_explain_fn explain,
	    void *explain_context);

/* Judge a prepared article against what came before it (dedup, then its story): the
 * pipeline's thread. */
void	 pipeline_judge(struct pipeline *pipeline, struct article *article, time_t now);

/* Dedup only, for a candidate known by its id and sketch (cluster mode: another instance's). */
void	 pipeline_judge_dedup(struct pipeline *pipeline, struct article *article, time_t now);

enum pipeline_mode {
	PIPELINE_OFFLINE,	/* dedup in memory; stages of its own for pipeline_run() */
	PIPELINE_DAEMON,	/* dedup and story indexes kept in config->state_dir (in
				 * memory only in cluster mode: rebuilt from the fingerprints
				 * topic); stages on workers.h */
};

struct pipeline *pipeline_open(const struct config *config, enum pipeline_mode mode,
	    char *error, size_t error_size);
void	 pipeline_close(struct pipeline *pipeline);
/*
 * Write, sync and close the dedup and story logs (pipeline_close() then only frees memory):
 * the daemon's exit makes them durable before the seen marks that rely on them.
 */
void	 pipeline_close_stores(struct pipeline *pipeline);

/*
 * Fill in the source fields from the feed's configuration; assign the article its final id.
 * feed may be NULL (wiresift process on a file).
 */
void	 pipeline_attach_source(struct article *article, const struct feed_config *feed,
	    const char *feed_url);

/*
 * pipeline_prepare() with the pipeline's own stages (an article that wants its page gets it
 * from page_fetch_blocking()), then pipeline_judge(). 0: it should be published to the topics
 * pipeline_topics() gives; -1: nothing usable was left after cleaning (the caller logs and
 * skips it).
 */
int	 pipeline_run(struct pipeline *pipeline, struct article *article, time_t now,
	    clean_explain_fn explain, void *explain_context);

/* The Kafka topics an article goes to (possibly none: dedup policy drop). */
void	 pipeline_topics(const struct pipeline *pipeline, const struct article *article,
	    struct strlist *topics);

/* Use a reloaded configuration for routing, the dedup policy and the stories threshold. */
void	 pipeline_set_config(struct pipeline *pipeline, const struct config *config);

/* Queue a delivered article's dedup entry and story join for their logs; pipeline_flush()
 * writes the queues. */
void	 pipeline_commit(struct pipeline *pipeline, const struct article *article);
void	 pipeline_flush(struct pipeline *pipeline);

size_t	 pipeline_dedup_size(const struct pipeline *pipeline);
/* Open stories (0 when [stories] enabled = no). */
size_t	 pipeline_story_count(const struct pipeline *pipeline);
/* The story stage (story/story.h), NULL when [stories] enabled = no. */
struct story_index *pipeline_stories(struct pipeline *pipeline);

#endif
