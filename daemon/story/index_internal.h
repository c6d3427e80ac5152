/*
 * index_internal.h - the open stories' index as index.c (joins, expiry, persistence) and
 * lookup.c (candidates and the best story) share it.
 */
#ifndef WIRESIFT_STORY_INDEX_INTERNAL_H
#define WIRESIFT_STORY_INDEX_INTERNAL_H

#include "story_internal.h"

#define SCAN_LIMIT		32	/* newest refs read per posting list */
#define CANDIDATE_MAX		10	/* stories scored in full per article */
#define PENDING_MAX		65536	/* joins awaiting delivery */
#define BACKGROUND_CAPACITY	(1u << 20)

struct expiry {
	uint32_t	 slot;
	uint32_t	 generation;
	int64_t		 time;
};

struct pending {
	uint64_t	 key;		/* of the article id, 0: free */
	uint8_t		*record;
	size_t		 length;
};

struct candidate {
	float		 prescore;
	uint32_t	 slot;
};

/* What a lookup reads of every story it meets, apart from the stories: dense, so a scan of
 * the postings does not pull a whole story into the cache for each ref. */
struct slot_state {
	uint32_t	 live;		/* generation << 1 | open */
	uint32_t	 visit;		/* stamp of the last lookup that reached it */
	float		 prescore;
};

struct story_index {
	struct story_config	 config;
	struct story_background	 background;
	struct story_extractor	*extractor;	/* for articles no worker prepared */
	struct story		*slots;
	struct slot_state	*states;	/* one a slot */
	size_t			 slot_count;
	size_t			 slot_capacity;
	uint32_t		*free_slots;
	size_t			 free_count;
	struct story_map	 by_article;	/* article id key -> ref */
	struct story_map	 by_story;	/* story key -> slot */
	struct story_map	 outlets;	/* name key -> interned name */
	struct story_postings	 postings;
	size_t			 live_refs;
	struct expiry		*queue;		/* ring */
	size_t			 queue_head;
	size_t			 queue_count;
	size_t			 queue_capacity;
	size_t			 open_count;
	size_t			 article_count;
	int64_t			 newest;
	uint32_t		 stamp;
	struct candidate	*candidates;
	size_t			 candidate_count;
	size_t			 candidate_capacity;
	int			 explain;
	int			 summaries;
	int			 remote;	/* no verdict into the article (story.h) */
	uint64_t		*changed;	/* refs of stories with a summary to publish */
	size_t			 changed_count;
	size_t			 changed_capacity;
	struct strlist		 tombstones;
	struct story_store	*store;
	struct pending		*pending;	/* ring of PENDING_MAX */
	size_t			 pending_next;
	struct story_map	 pending_by_article;
	size_t			 live_records;
	int			 replaying;
};

/* Whether ref (slot << 32 | generation) still names an open story. */
int	 story_ref_alive(uint64_t ref, void *context);
/* The article's features a lookup reads the postings of (indexes into vector->items, at
 * most SCAN_FEATURES): the heaviest words, entities and numbers, part by part. A built
 * vector has them (vector->scan); this picks them from any vector (the tests' reference). */
uint32_t story_scan_features(const struct story_vector *vector, uint32_t *out);
/* The best-scoring open story for vector (its slot), or -1 when no story shares a feature. */
long	 story_best(struct story_index *index, const struct story_vector *vector, int64_t time,
	    struct story_score *best);

#endif
