/*
 * dedup.h - near-duplicate detection of wire copies: normalized word shingles, MinHash
 * signatures, an LSH band index for candidates, verification by estimated resemblance and
 * containment; exact duplicates by a hash of the normalized text.
 *
 * dedup_check() judges an article against everything indexed within the time window and, when
 * it is unique, indexes it at once (so a copy later in the same poll is caught). The entry is
 * made durable only by dedup_commit(), which the daemon's delivery-report handler calls
 * (through pipeline_commit(), daemon/ingest/delivery.c) once the article is acknowledged by
 * Kafka or durable in the spool, and dedup_flush(), which writes the commits since the last
 * one (the daemon calls it just before committing its state): after a crash, an article that
 * was never delivered, or whose seen mark was not committed, is refetched and judged again.
 */
#ifndef WIRESIFT_DEDUP_H
#define WIRESIFT_DEDUP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "../article.h"

enum dedup_policy { DEDUP_POLICY_ROUTE, DEDUP_POLICY_DROP, DEDUP_POLICY_TAG };

struct dedup_config {
	int	 shingle_size;		/* words per shingle, default 5 */
	int	 signature_size;	/* MinHash values, default 128 */
	int	 bands;			/* LSH bands; signature_size / bands rows each */
	double	 threshold;		/* resemblance, default 0.5 */
	double	 containment_threshold;	/* default 0.8 */
	int	 min_words;		/* below: exact hash only, default 30 */
	long long window_seconds;	/* default 72h */
	enum dedup_policy policy;
	const char *state_dir;		/* NULL: memory only (wiresift process) */
};

void	 dedup_config_defaults(struct dedup_config *config);

struct dedup_index;

/* NULL on error with a reason in error. Loads persisted entries from state_dir. */
struct dedup_index *dedup_open(const struct dedup_config *config, char *error, size_t error_size);
void	 dedup_close(struct dedup_index *index);
/* Write and sync the log and close it (what dedup_close() does first); the index stays. */
void	 dedup_close_store(struct dedup_index *index);

/*
 * Judge article and fill article->dedup: by article->dedup_sketch when a worker made one
 * (dedup_sketch_article), else sketched here from article->text (or title + summary).
 */
void	 dedup_check(struct dedup_index *index, struct article *article, time_t now);
/* Queue the index entry of a delivered unique article for the log. */
void	 dedup_commit(struct dedup_index *index, const char *article_id);
/* Write the queued entries to the log (one write; dedup_close() does it too). */
void	 dedup_flush(struct dedup_index *index);
size_t	 dedup_size(const struct dedup_index *index);

/*
 * Sketching (normalized words, shingles, MinHash) needs nothing but the article and the
 * config, so worker threads do it, each with a sketcher of its own; dedup_check() then only
 * looks up and indexes. The config must be the one the index was opened with.
 */
struct dedup_sketcher;
struct dedup_sketch;

struct dedup_sketcher *dedup_sketcher_new(const struct dedup_config *config);
void	 dedup_sketcher_free(struct dedup_sketcher *sketcher);
/* Sketch article->text (or title + summary) into article->dedup_sketch. */
void	 dedup_sketch_article(struct dedup_sketcher *sketcher, struct article *article);
/*
 * The same sketch, its words read off the plugins' token stream (tokens.h) where it is of
 * article->text (tokens may be NULL, or of other bytes: then as dedup_sketch_article).
 */
struct ws_tokens;
void	 dedup_sketch_article_tokens(struct dedup_sketcher *sketcher, struct article *article,
	    const struct ws_tokens *tokens);
void	 dedup_sketch_destroy(struct dedup_sketch *sketch);	/* article_free() calls it */

#endif
