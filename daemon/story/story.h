/*
 * story.h - stories: every write-up of one event under one story id, assigned online as the
 * articles arrive (after dedup), never by re-clustering the past.
 *
 * An article is represented by what identifies an event: the entities the entities plugin found
 * (normalised names and types), its distinctive words (TF-IDF against a running background of
 * document frequencies), the words of its title, the numbers it mentions, and its time (published,
 * else first seen). Worker threads extract the features (story_extract_article_tokens: words read
 * off the plugins' token stream where it is of the article's title and text, story_extract_article
 * without one); the loop thread assigns, in arrival order (story_assign): the article is compared,
 * through an inverted index over the features, with the open stories of the window only, and joins
 * the best one whose score reaches the threshold, else opens a new story. Entity, number and time
 * evidence keep look-alike events apart (two earthquakes in one week share most of their words but
 * not their places). A wire copy (dedup duplicate) joins its original's story.
 *
 * Like the dedup index, a story stays in memory while it is open (its newest article within
 * window of the newest article seen) and a join is made durable only by story_commit() (on
 * delivery) and story_flush() (just before the state commits): see store.c. In cluster mode
 * the index is in memory only, built from the fingerprints topic (cluster/fingerprints.c).
 */
#ifndef WIRESIFT_STORY_H
#define WIRESIFT_STORY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "../article.h"

struct story_config {
	int		 enabled;		/* [stories] enabled, default yes */
	double		 threshold;		/* score that joins a story, default 0.30 */
	long long	 window_seconds;	/* how long a story stays open, default 72h */
	const char	*state_dir;		/* NULL: memory only (wiresift process) */
};

void	 story_config_defaults(struct story_config *config);

/* Feature extraction, on any thread with an extractor of its own. */
struct story_extractor;
struct story_features;

struct story_extractor *story_extractor_new(void);
void	 story_extractor_free(struct story_extractor *extractor);
/* Extract article's features into article->story_features (title, text, entities, time). */
void	 story_extract_article(struct story_extractor *extractor, struct article *article);
/* The same, reading the words off tokens, the article's token stream (tokens.h) when it is of
 * its title and text as they are now; NULL: as story_extract_article. The same features. */
struct ws_tokens;
void	 story_extract_article_tokens(struct story_extractor *extractor,
	    struct article *article, const struct ws_tokens *tokens);
void	 story_features_destroy(struct story_features *features);	/* article_free() calls it */

/* The open stories: the loop thread. */
struct story_index;

/* NULL on error with a reason. Loads the open stories persisted in state_dir. */
struct story_index *story_open(const struct story_config *config, char *error,
	    size_t error_size);
void	 story_close(struct story_index *index);
/* Write and sync the log and close it (what story_close() does first); the index stays. */
void	 story_close_store(struct story_index *index);

/* Fill article->story: join an open story or open one (extracts features if no worker did). */
void	 story_assign(struct story_index *index, struct article *article);
/* Queue the join of a delivered article for the log; story_flush() writes the queue. */
void	 story_commit(struct story_index *index, const char *article_id);
void	 story_flush(struct story_index *index);
/* Open stories, and articles in them. */
size_t	 story_count(const struct story_index *index);
size_t	 story_article_count(const struct story_index *index);
/* Let story_assign() write why it decided into article->story.explain. */
void	 story_explain_enable(struct story_index *index, int enabled);
void	 story_set_threshold(struct story_index *index, double threshold);
/* While enabled, the articles assigned are another instance's (cluster mode: the fingerprints
 * log's records): story_assign() puts each into the index as it would a local one (the same
 * joins, stories, postings and background, bit for bit) but writes nothing of its verdict
 * into the article (story id, headline, size, score, explain), as nothing reads it there,
 * and marks no summary or tombstone to publish: those are the other instance's. */
void	 story_remote_enable(struct story_index *index, int enabled);

/*
 * Summaries for the stories topic: once enabled, every story an article joined and every
 * story that left the window is remembered until story_drain() hands each to summary (the
 * story's current summary as JSON, or NULL for a tombstone), keyed by the story id. summary
 * returns 0 when it took the record, -1 when it refused it: that one and the rest wait for
 * the next drain. story_summary_retry() is for a record taken but then not delivered: the
 * story's current summary (or its tombstone, once it has left the window) goes again at the
 * next drain.
 */
typedef int (*story_summary_fn)(const char *story_id, const char *json, void *context);
void	 story_summaries_enable(struct story_index *index, int enabled);
void	 story_drain(struct story_index *index, story_summary_fn summary, void *context);
void	 story_summary_retry(struct story_index *index, const char *story_id);

#endif
