/*
 * story_internal.h - the pieces behind story.h, shared by the files of daemon/story/ and by
 * the unit test and benchmark: article features, the running background of document
 * frequencies, weighted vectors and their scoring, the open stories with their inverted
 * index, and the log that persists committed joins.
 */
#ifndef WIRESIFT_STORY_INTERNAL_H
#define WIRESIFT_STORY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "story.h"

/* A feature key is a 64-bit hash of its normalised text with its kind in the low 3 bits. */
enum story_kind {
	KIND_TERM = 0,		/* a word of the title or text (title words count more) */
	KIND_NUMBER = 1,	/* "7.1", "10000", "2025" */
	KIND_PERSON = 2,	/* entities, by the entities plugin's type */
	KIND_PLACE = 3,
	KIND_ORGANIZATION = 4,
	KIND_OTHER = 5
};
#define KIND_BITS	3
#define KIND_MASK	((uint64_t)7)
#define key_kind(key)	((enum story_kind)((key) & KIND_MASK))
#define KIND_IS_ENTITY(kind) ((kind) >= KIND_PERSON)

/* features.c: one article's features, as counted (weights come on the loop thread). */
struct story_item {
	uint64_t	 key;
	uint16_t	 count;		/* mentions (title words weigh TITLE_COUNT each) */
	uint16_t	 salient;	/* in the title, or an entity mentioned twice or more */
	uint32_t	 name;		/* offset of its text in names */
};

struct story_features {
	struct story_item *items;
	uint32_t	 count;
	uint32_t	 capacity;
	char		*names;		/* NUL-terminated texts */
	size_t		 names_length;
	size_t		 names_capacity;
	int64_t		 time;		/* published, else first seen */
};

void	 story_features_reset(struct story_features *features);
/* Extract from loose parts (the unit test and benchmark use it without an article). */
void	 story_extract(struct story_extractor *extractor, struct story_features *features,
	    const char *title, const char *text, const struct entity *entities,
	    size_t entity_count, int64_t time);
/* story_extract reading words off tokens (NULL: none), a token stream of title and text. */
void	 story_extract_tokens(struct story_extractor *extractor, struct story_features *features,
	    const char *title, const char *text, const struct entity *entities,
	    size_t entity_count, int64_t time, const struct ws_tokens *tokens);
const char *story_feature_name(const struct story_features *features, uint32_t item);

/* background.c: document frequencies of feature keys over the articles seen so far. */
struct background_entry {
	uint64_t	 key;
	uint64_t	 count;		/* 0: empty slot */
};

#define LOG_COUNTS	16384	/* log(n) of the counts n below it are kept (log_counts) */

struct story_background {
	struct background_entry *entries;
	size_t		 capacity;	/* power of two */
	size_t		 used;
	double		 documents;
	double		*log_counts;	/* LOG_COUNTS of log(n) (story_background_init's) */
};

void	 story_background_init(struct story_background *background, size_t capacity);
void	 story_background_free(struct story_background *background);
/* A key's IDF in two steps: its document frequency (story_background_frequencies), then the
 * IDF of that frequency. */
double	 story_background_idf_of(const struct story_background *background,
	    uint64_t frequency);
/* The document frequency of each of the features' keys, into frequencies, and the slot its
 * probe ended at, into slots (for story_background_count). */
void	 story_background_frequencies(const struct story_background *background,
	    const struct story_features *features, uint64_t *frequencies, uint32_t *slots);
/* log(documents + 201), the IDF's numerator; log(frequency + 1) (within 1 ulp each: glibc's
 * log()), its denominator, -1 for a frequency of LOG_COUNTS - 1 or more. */
double	 story_background_log_total(const struct story_background *background);
/* The table of log(frequency + 1) (at frequency + 1, for every frequency below
 * LOG_COUNTS - 1), computed whole at the init (or now, if there is none yet). */
const double *story_background_logs(struct story_background *background);

static inline double
story_background_log_count(struct story_background *background, uint64_t frequency)
{
	if (frequency >= LOG_COUNTS - 1)
		return -1;
	return story_background_logs(background)[frequency + 1];
}
/* Start loading the table lines the features' look-ups will read (they are random). */
void	 story_background_prefetch(const struct story_background *background,
	    const struct story_features *features);
/* Count one document with these keys (each once). */
void	 story_background_add(struct story_background *background, const uint64_t *keys,
	    size_t stride, size_t count);
/* The same for the features' keys (count > 0), the table unchanged since
 * story_background_frequencies gave their frequencies and slots. */
void	 story_background_count(struct story_background *background,
	    const struct story_features *features, const uint64_t *frequencies,
	    const uint32_t *slots);

/* A weighted feature of an article's vector or a story's centroid, sorted by key. */
struct story_weight {
	uint64_t	 key;
	float		 weight;
	uint32_t	 name;		/* article vectors: the feature's item index */
};

#define VECTOR_TERMS		24
#define VECTOR_ENTITIES		12
#define VECTOR_NUMBERS		8
#define VECTOR_MAX		(VECTOR_TERMS + VECTOR_ENTITIES + VECTOR_NUMBERS)
#define VECTOR_SLOTS		128	/* a power of two, VECTOR_MAX at most a third of it */
#define SCAN_TERMS		8	/* the article's heaviest features a lookup reads: words, */
#define SCAN_ENTITIES		6	/* entities */
#define SCAN_NUMBERS		2	/* and numbers (lookup.c) */
#define SCAN_FEATURES		(SCAN_TERMS + SCAN_ENTITIES + SCAN_NUMBERS)

struct story_vector {
	struct story_weight items[VECTOR_MAX];
	uint32_t	 count;
	uint32_t	 salient_people;	/* KIND_PERSON items the article makes much of */
	uint32_t	 salient_places;
	uint32_t	 part_items[3];	/* items of each part: words, entities, numbers
					 * (story_vector_build's, for story_score) */
	/* each part's weight at its centroid quota (the CENTROID_TERMS-th heaviest word...), -1
	 * for a part within it: a new story's prune of this vector has its floors
	 * (story_vector_build's) */
	float		 centroid_floor[3];
	/* the items a lookup reads the postings of, part by part, each heaviest first (ties:
	 * the earlier item), as story_scan_features picks them (story_vector_build's) */
	uint8_t		 scan[SCAN_FEATURES];
	uint32_t	 scan_count;
	/* its keys by hash, for story_score (story_vector_build's): item index + 1, 0 empty */
	uint8_t		 slot_item[VECTOR_SLOTS];
	uint64_t	 slot_key[VECTOR_SLOTS];
};

/* score.c: the article's weighted vector; similarity with a story's centroid. */
void	 story_vector_build(struct story_vector *vector, const struct story_features *features,
	    struct story_background *background);
/* story_vector_build, then the article counted in the background (story_background_add of its
 * keys, when it has any), probing from the slots the build's look-ups found. */
void	 story_vector_build_count(struct story_vector *vector,
	    const struct story_features *features, struct story_background *background);
/* Whether every double within 1e-10 of approx (relative) rounds to the float approx rounds
 * to: then that float is the weight approx bounds (score.c, weight_of). */
int	 story_approx_rounds_alike(double approx);

struct story_score {
	double		 score;		/* what is compared with the threshold */
	double		 terms;		/* cosine of the word parts */
	double		 entities;	/* cosine of the entity parts, -1: one side has none */
	double		 numbers;	/* share of numbers in common, -1: one side has none */
	double		 time_factor;
	int		 conflicts;	/* CONFLICT_* bits */
};
enum { CONFLICT_PEOPLE = 1, CONFLICT_PLACES = 2, CONFLICT_NUMBERS = 4 };

struct story;
void	 story_score(const struct story_vector *vector, int64_t time,
	    const struct story *story, struct story_score *score);
/* The centroid's side of story_score, which depends on the story alone (its centroid and
 * size): computed again after each change of either (index.c, apply), not for every score. */
void	 story_score_prepare(struct story *story);

/* One feature of a story's centroid, packed (12 bytes: a story holds CENTROID_MAX). */
struct centroid_entry {
	uint64_t	 key;
	float		 weight;
} __attribute__((packed));

/* index.c: an open story. Its centroid sums its articles' vectors, pruned per kind. */
#define CENTROID_MAX		32
#define CENTROID_TERMS		18	/* the quotas of the prune (centroid.c) */
#define CENTROID_ENTITIES	10
#define CENTROID_NUMBERS	(CENTROID_MAX - CENTROID_TERMS - CENTROID_ENTITIES)
#define STORY_ENTITY_NAMES	8

struct story_member {
	char		*id;
	const char	*outlet;	/* interned */
	uint32_t	 id_length;	/* strlen(id), strlen(outlet): the summary writes them */
	uint32_t	 outlet_length;	/* on every change without measuring them again */
};

struct story_entity_name {
	char		*name;
	char		 type[14];
	uint16_t	 count;
};

struct story {
	uint64_t	 key;		/* the id: XXH3 of the first article's id */
	uint32_t	 generation;	/* of the slot: postings naming an older one are stale */
	uint32_t	 size;
	int64_t		 first_seen;
	int64_t		 last_seen;
	char		*headline;
	struct centroid_entry centroid[CENTROID_MAX];
	uint16_t	 centroid_count;
	uint16_t	 entity_name_count;
	uint32_t	 member_capacity;
	struct story_member *members;
	struct story_entity_name entity_names[STORY_ENTITY_NAMES];
	uint32_t	 posted;	/* refs to it in the postings */
	uint8_t		 open;
	uint8_t		 changed;	/* summary to publish */
	/* the centroid's side of every score (story_score_prepare's, after each change) */
	uint8_t		 part_count[3];	/* centroid items of each part: words, entities, numbers */
	uint8_t		 salient_people;	/* KIND_PERSON (and _OTHER) items salient for its size */
	uint8_t		 salient_places;
	double		 part_norm[3];	/* sum of each part's squared weights, in key order */
};

/* Add vector to story's centroid (a wire copy adds nothing). floors: the vector's
 * centroid_floor as story_vector_build left it, or NULL (a vector from a record). */
void	 story_centroid_add(struct story *story, const struct story_vector *vector,
	    const float *floors);
/* Its prune: of the merged weights (in key order), keep the heaviest of each part within its
 * quota, in place; returns how many are kept (test_story_centroid checks it alone). */
uint32_t story_centroid_prune(struct story_weight *merged, uint32_t count);

/* centroid.c: a story's summary for the stories topic (caller frees). */
char	*story_summary_json(const struct story *story);
/* The same summary built through a jansson tree (the writer's reference, in test_story). */
char	*story_summary_json_tree(const struct story *story);
void	 story_id_format(uint64_t key, char out[17]);

/* store.c: the append-only log of committed joins in state_dir. */
struct story_record {
	int64_t		 time;
	uint64_t	 story_key;
	const char	*article_id;
	const char	*outlet;
	const char	*headline;	/* the opening article's title, else NULL */
	const struct story_weight *weights;	/* the article's vector (none for a copy) */
	uint32_t	 weight_count;
	const struct story_entity_name *entities;
	uint32_t	 entity_count;
	const float	*centroid_floors;	/* the vector's (story_assign's), NULL: replayed */
};

struct story_store;
typedef void (*story_replay_fn)(const struct story_record *record, void *context);

struct story_store *story_store_open(const char *state_dir, int64_t window,
	    story_replay_fn replay, void *context, char *error, size_t error_size);
void	 story_store_close(struct story_store *store);
uint8_t	*story_record_encode(const struct story_record *record, size_t *length);
void	 story_store_append(struct story_store *store, const uint8_t *record, size_t length);
void	 story_store_flush(struct story_store *store);
/* Records older than oldest no longer count; rewrites the log when most of it has expired. */
void	 story_store_expire(struct story_store *store, int64_t oldest, size_t live_records);

/* map.c: 64-bit key -> 64-bit value, open addressing with backward-shift deletion. */
struct story_map {
	uint64_t	*keys;		/* 0 marks an empty slot: keys are never 0 */
	uint64_t	*values;
	size_t		 capacity;	/* power of two */
	size_t		 used;
};

void	 story_map_init(struct story_map *map);
void	 story_map_free(struct story_map *map);
void	 story_map_put(struct story_map *map, uint64_t key, uint64_t value);
int	 story_map_get(const struct story_map *map, uint64_t key, uint64_t *value);
/* Start loading the line a look-up of key begins at. */
void	 story_map_prefetch(const struct story_map *map, uint64_t key);
void	 story_map_remove(struct story_map *map, uint64_t key);
uint64_t story_map_key(const char *text);	/* XXH3, never 0 */

/*
 * postings.c: the inverted index, feature key -> the stories posted under it, newest last,
 * each as slot << 32 | generation (a ref naming an older generation of its slot is stale).
 */
struct posting_list {
	uint64_t	 key;
	uint32_t	 count;
	uint32_t	 capacity;
	uint64_t	*refs;
};

struct story_postings {
	struct posting_list *lists;
	size_t		 capacity;	/* power of two */
	size_t		 used;
	size_t		 refs;		/* held in all lists */
};

typedef int (*story_ref_alive_fn)(uint64_t ref, void *context);

void	 story_postings_init(struct story_postings *postings);
void	 story_postings_free(struct story_postings *postings);
void	 story_postings_add(struct story_postings *postings, uint64_t key, uint64_t ref);
/* The table slot a look-up of key begins at. */
static inline size_t
story_postings_home(const struct story_postings *postings, uint64_t key)
{
	return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 24) & (postings->capacity - 1);
}

/* Start loading the table slot a scan of key begins at (inline: a lookup and a join start
 * some 60 of them an article). */
static inline void
story_postings_prefetch(const struct story_postings *postings, uint64_t key)
{
	__builtin_prefetch(&postings->lists[story_postings_home(postings, key)]);
}
/* The list of key, NULL when none: a scan reads its newest refs (lookup.c, read_postings)
 * and drops the stale ones it met with story_postings_compact. */
struct posting_list *story_postings_list(const struct story_postings *postings, uint64_t key);
void	 story_postings_compact(struct story_postings *postings, struct posting_list *list,
	    story_ref_alive_fn alive, void *context);
/* Drop every stale ref and the lists left empty. */
void	 story_postings_sweep(struct story_postings *postings, story_ref_alive_fn alive,
	    void *context);
size_t	 story_postings_memory(const struct story_postings *postings);

/* index.c: bytes held by the open stories (for the benchmark). */
size_t	 story_memory(const struct story_index *index);

/* explain.c: why an article joined a story or opened one (caller frees). */
char	*story_explain(const struct story_vector *vector, const struct story_features *features,
	    const struct story *best, const struct story_score *score, double threshold,
	    int joined, const char *story_id);

#endif
