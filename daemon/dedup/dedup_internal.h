/*
 * dedup_internal.h - the pieces behind dedup.h, shared by the files of daemon/dedup/ and by
 * the unit test and benchmark (which measure them one by one): text normalization into word
 * hashes, shingling and one-permutation MinHash sketches, the generation tables that index
 * them, and the append-only log that persists committed entries.
 */
#ifndef WIRESIFT_DEDUP_INTERNAL_H
#define WIRESIFT_DEDUP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dedup.h"
#include "../plugin_api.h"
#include "../util.h"

/* normalize.c: NFKC + case folding, words split on punctuation, symbols and white space. */
struct dedup_words {
	uint64_t	*hashes;	/* XXH3_64bits of each normalized word, in order */
	size_t		 count;
	size_t		 capacity;
	char		*scratch;	/* the text's ASCII letters and digits, folded */
	size_t		 scratch_capacity;
	size_t		 length;	/* of the text being split */
	uint64_t	*form_hashes;	/* dedup_words_from_tokens: the word of each form id */
	uint8_t		*form_states;	/* FORM_*: whether it is known, and is a word */
	size_t		 form_capacity;
	uint32_t	 form_generation;	/* of the ids they are known by */
};

enum { FORM_UNKNOWN, FORM_NONE, FORM_WORD };
#define FORM_BYTES	64	/* longer forms are read from the text */

void	 dedup_words_from_text(struct dedup_words *words, const char *text);
/*
 * The same words as dedup_words_from_text(tokens->text.text), read off the token stream's
 * view of that text (tokens.c), which must carry form ids: a token whose written form is
 * ASCII letters and digits only, with nothing but a separator (an ASCII byte that is no
 * letter or digit, or a punctuation, space or control character) on either side, is that
 * very word, so its hash is taken once per form id, for as long as the id lasts; the bytes
 * between such tokens are read as dedup_words_from_text reads them.
 */
void	 dedup_words_from_tokens(struct dedup_words *words, const struct ws_tokens *tokens);
/* Hash of the normalized word sequence: equal for texts that differ only in case,
 * punctuation, white space or Unicode compatibility forms. */
uint64_t dedup_words_digest(const struct dedup_words *words);
/* digest_avx2.c (x86-64, GCC): XXH3_64bits_withSeed built for AVX2; only when the CPU has it. */
uint64_t dedup_digest_avx2(const void *input, size_t length, uint64_t seed);
void	 dedup_words_free(struct dedup_words *words);

/*
 * minhash.c: a sketch holds everything judged about one text. The signature keeps the low
 * SIGNATURE_BITS bits of each of the signature_size one-permutation MinHash values (b-bit
 * MinHash); band_keys are the LSH keys, one per band, each the MinHash of the text under
 * the coarser partition that merges the band's rows (so two texts share a band key with
 * probability equal to their resemblance).
 */
#define DEDUP_SIGNATURE_BITS	4

struct dedup_hasher {
	int		 shingle_size;
	int		 signature_size;
	int		 bands;
	size_t		 signature_bytes;	/* packed, padded to whole 64-bit words */
	uint64_t	*bins;			/* signature_size raw minima */
	uint64_t	*seen_keys;		/* scratch: the distinct-shingle set */
	size_t		 seen_capacity;
};

struct dedup_sketch {
	uint64_t	 exact_hash;		/* dedup_words_digest */
	uint32_t	 word_count;
	uint32_t	 shingle_count;		/* distinct shingles */
	uint8_t		*signature;		/* signature_bytes */
	uint64_t	*band_keys;		/* bands, already mixed with the band number */
};

void	 dedup_hasher_init(struct dedup_hasher *hasher, int shingle_size, int signature_size,
	    int bands);
void	 dedup_hasher_free(struct dedup_hasher *hasher);
void	 dedup_sketch_init(struct dedup_sketch *sketch, const struct dedup_hasher *hasher);
void	 dedup_sketch_free(struct dedup_sketch *sketch);
/* Shingle the words and fill sketch (signature and band keys only when words >= 1). */
void	 dedup_sketch_compute(struct dedup_hasher *hasher, const struct dedup_words *words,
	    struct dedup_sketch *sketch);
/* minhash_avx2.c (x86-64, GCC): the shingle pass built for AVX2; only when the CPU has it. */
uint32_t dedup_shingle_pass_avx2(struct dedup_hasher *hasher, const uint64_t *words,
	    size_t count, size_t width, uint64_t *keys, unsigned shift);
/* Tests: nonzero makes dedup_sketch_compute take the baseline pass on an AVX2 CPU too. */
extern int dedup_sketch_baseline;
/* Estimated Jaccard resemblance of two packed signatures (b-bit collision corrected). */
double	 dedup_estimate_resemblance(const uint8_t *a, const uint8_t *b, int signature_size,
	    size_t signature_bytes);
/* Estimated containment of the smaller shingle set in the larger, from resemblance. */
double	 dedup_estimate_containment(double resemblance, uint32_t size_a, uint32_t size_b);
/* The table key of a too-short text: its exact hash mixed out of the band key space. */
uint64_t dedup_exact_key(uint64_t exact_hash);

/* generation.c: entries indexed over one slice of the window, dropped together. */
enum {
	DEDUP_ENTRY_DUPLICATE	= 1 << 0,	/* group names another article */
	DEDUP_ENTRY_SHORT	= 1 << 1,	/* indexed by exact hash only */
	DEDUP_ENTRY_COMMITTED	= 1 << 2	/* written to the log */
};

/* An entry as callers see it (generations store it packed in 24 bytes). */
struct dedup_entry {
	uint64_t	 exact_hash;
	int64_t		 time;
	uint32_t	 shingle_count;		/* stored in 24 bits, saturating */
	uint32_t	 flags;
	uint32_t	 id_offset;		/* into the generation's id arena */
	uint32_t	 group_offset;		/* == id_offset for the first of a group */
};

struct dedup_packed_entry {
	uint64_t	 exact_hash;
	int32_t		 time_offset;		/* seconds from the generation's first_time */
	uint32_t	 shingles_and_flags;	/* shingle count << 8 | flags */
	uint32_t	 id_offset;
	uint32_t	 group_offset;
};

struct dedup_generation {
	uint64_t	 serial;
	int64_t		 first_time;		/* of the entry that opened it */
	int64_t		 newest_time;
	uint32_t	 capacity;		/* entries */
	uint32_t	 count;
	uint32_t	 committed;
	uint32_t	 table_size;		/* slots: (offset + 1) << 8 | 8-bit key tag, 0 empty */
	uint32_t	 table_used;
	uint32_t	 table_limit;		/* sealed when an insert would pass it */
	uint32_t	*table;
	struct dedup_packed_entry *entries;
	uint8_t		*signatures;		/* capacity * signature_bytes */
	size_t		 signature_bytes;
	uint8_t		*ids;			/* packed ids: see generation.c */
	size_t		 ids_length;
	size_t		 ids_capacity;
	struct dedup_generation *newer;
};

struct dedup_generation *dedup_generation_new(uint64_t serial, uint32_t capacity,
	    int keys_per_entry, size_t signature_bytes, int64_t first_time);
void	 dedup_generation_free(struct dedup_generation *generation);
/* Whether an entry with key_count keys still fits. */
int	 dedup_generation_fits(const struct dedup_generation *generation, int key_count);
/* Store an id (or reuse stored_offset) and return its arena offset. */
uint32_t dedup_generation_add_id(struct dedup_generation *generation, const char *id);
/* Append an entry; returns its offset. group_id NULL: the entry starts its own group. */
uint32_t dedup_generation_add(struct dedup_generation *generation, const struct dedup_entry *entry,
	    const uint8_t *signature, const uint64_t *keys, int key_count, const char *id,
	    const char *group_id);
void	 dedup_generation_entry(const struct dedup_generation *generation, uint32_t offset,
	    struct dedup_entry *entry);
void	 dedup_generation_set_committed(struct dedup_generation *generation, uint32_t offset);
/* Call found(offset, context) for each entry whose slot tag matches key; stops early if
 * found returns nonzero. */
void	 dedup_generation_probe(const struct dedup_generation *generation, uint64_t key,
	    int (*found)(const struct dedup_generation *, uint32_t, void *), void *context);
/* Start loading the table line a probe for key begins at (probes then overlap misses). */
void	 dedup_generation_prefetch(const struct dedup_generation *generation, uint64_t key);
/* Decode a stored id into out (capacity out_size); returns out. */
const char *dedup_generation_id(const struct dedup_generation *generation, uint32_t offset,
	    char *out, size_t out_size);
int	 dedup_generation_id_equals(const struct dedup_generation *generation, uint32_t offset,
	    const char *id);
size_t	 dedup_generation_memory(const struct dedup_generation *generation);

/* index.c: bytes held by the index's generations (pending records not counted). */
size_t	 dedup_memory(const struct dedup_index *index);
/* Benchmarks: measure the thread CPU time of each candidate lookup + verification. */
void	 dedup_timing_enable(struct dedup_index *index);
double	 dedup_last_lookup_seconds(const struct dedup_index *index);

/* store.c: the append-only log of committed entries in state_dir. */
struct dedup_record {
	int64_t		 time;
	uint64_t	 exact_hash;
	uint32_t	 shingle_count;
	uint32_t	 flags;
	const char	*id;
	const uint8_t	*signature;
	size_t		 signature_bytes;
	const uint64_t	*keys;
	int		 key_count;
};

struct dedup_store;

typedef void (*dedup_replay_fn)(const struct dedup_record *record, void *context);

/*
 * sketcher.c: scratch for sketching articles on one thread (dedup.h); the index embeds one
 * for articles judged without a sketch.
 */
struct dedup_sketcher {
	struct dedup_hasher hasher;
	struct dedup_words words;
	struct buffer	 text;
};
void	 dedup_sketcher_init(struct dedup_sketcher *sketcher, const struct dedup_config *config);
void	 dedup_sketcher_clear(struct dedup_sketcher *sketcher);
/* The article's sketch into sketch: words off tokens when it holds the text sketched. */
void	 dedup_sketch_into(struct dedup_sketcher *sketcher, const struct article *article,
	    const struct ws_tokens *tokens, struct dedup_sketch *sketch);

/*
 * Open (creating) state_dir/dedup.log, replay its records with time >= oldest into replay,
 * skipping a torn or corrupt tail (truncated away, with a warning), and compact the file when
 * most of it had expired. NULL on error with a reason.
 */
struct dedup_store *dedup_store_open(const char *state_dir, const struct dedup_config *config,
	    int64_t oldest, dedup_replay_fn replay, void *context, char *error, size_t error_size);
void	 dedup_store_close(struct dedup_store *store);
/* Serialize a record (caller frees); used to keep pending entries until commit. */
uint8_t	*dedup_record_encode(const struct dedup_record *record, size_t *length);
/* Queue one encoded record for the log (written now when FLUSH_BYTES are queued). 0 or -1. */
int	 dedup_store_append(struct dedup_store *store, const uint8_t *record, size_t length);
/* Write the queued records with one pwrite, fdatasync started as the policy says. 0 or -1. */
int	 dedup_store_flush(struct dedup_store *store);
/* Note that records older than oldest no longer count; compacts when most of the file has. */
void	 dedup_store_expire(struct dedup_store *store, int64_t oldest, size_t live_records);

#endif
