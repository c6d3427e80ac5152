/*
 * index.c - the dedup index of dedup.h: judges each article against everything seen within
 * the window, indexes it at once, and makes delivered unique articles durable on commit.
 *
 * An article of at least min_words words is sketched (minhash.c); its band keys are probed in
 * every live generation (generation.c), and each candidate is verified on its signature:
 * duplicate when the estimated resemblance reaches `threshold` or the estimated containment
 * of the smaller shingle set in the larger reaches `containment_threshold` (containment is
 * only trusted from a resemblance of CONTAINMENT_MIN_RESEMBLANCE, below which the estimate
 * is mostly noise amplified by the size ratio). Identical normalized texts are caught by the
 * same probe and reported as "exact". Shorter articles are indexed and matched by the exact
 * hash of their normalized text only ("too-short").
 *
 * Every judged article is indexed, duplicates too (pointing at their group), so a copy of a
 * copy resolves to the first article of the group even when it resembles only the copy.
 * Only unique articles are persisted, on dedup_commit(): the record waits, encoded, in a
 * pending table until then; entries that are never committed live in memory only.
 *
 * Time: entries older than now - window (the `now` given to dedup_check) are ignored, and a
 * generation is freed once its newest entry is that old. Generations cover window/8 each, so
 * memory holds at most 9/8 of a window. Not thread-safe: one index per thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "dedup_internal.h"
#include "log.h"
#include "util.h"

#define CONTAINMENT_MIN_RESEMBLANCE	0.2
#define FIRST_CAPACITY			8192
#define MAX_CAPACITY			(1u << 22)
#define SLICES_PER_WINDOW		8
#define DECISION_MARGIN			0.01	/* see score_similar() */
#define SEEN_CAPACITY			8192	/* candidates examined per lookup, at most */
#define MAX_ID_LENGTH			512
#define POPULAR_KEY_HITS		8	/* candidates taken per key and generation */
#define MAX_BANDS			256

struct pending {
	struct pending	*next;
	uint64_t	 serial;
	uint32_t	 offset;
	size_t		 record_length;
	uint8_t		*record;
	char		 id[];
};

/* An entry a lookup's probes found, to verify. */
struct candidate {
	const struct dedup_generation *generation;
	uint32_t	 offset;
};

struct dedup_index {
	struct dedup_config config;
	struct dedup_sketcher sketcher;	/* for articles that come without a sketch */
	struct dedup_sketch sketch;

	struct dedup_generation *oldest, *newest;
	uint64_t	 next_serial;
	size_t		 entry_count;
	size_t		 live_committed;
	int64_t		 slice_seconds;

	struct dedup_store *store;
	struct pending	**pending;
	size_t		 pending_buckets;
	size_t		 pending_count;

	uint64_t	 seen_keys[SEEN_CAPACITY];
	uint32_t	 seen_stamps[SEEN_CAPACITY];
	uint32_t	 seen_stamp;
	size_t		 seen_count;
	struct candidate candidates[SEEN_CAPACITY / 2];	/* of the lookup running */

	int		 timing;		/* benchmarks: time lookup_run (dedup_internal.h) */
	double		 last_lookup_seconds;
};

/* What a lookup found. */
struct match {
	const struct dedup_generation *generation;
	uint32_t	 offset;
	double		 score;
	int		 exact;
};

struct lookup {
	struct dedup_index *index;
	const struct dedup_sketch *sketch;	/* of the article judged */
	const char	*article_id;
	int64_t		 oldest_time;
	int		 short_text;
	int		 probe_hits;		/* tag matches of the current probe */
	uint32_t	 band_hits[MAX_BANDS];	/* per band, over all generations */
	struct match	 best;
	struct match	 self;		/* the same article id judged before */
};

void
dedup_config_defaults(struct dedup_config *config)
{
	memset(config, 0, sizeof *config);
	config->shingle_size = 5;
	config->signature_size = 128;
	config->bands = 16;		/* 8 rows each, merged: candidate at J=0.3 with p=0.997 */
	config->threshold = 0.5;
	config->containment_threshold = 0.8;
	config->min_words = 30;
	config->window_seconds = 72LL * 3600;
	config->policy = DEDUP_POLICY_ROUTE;
	config->state_dir = NULL;
}

static int
seen_before(struct dedup_index *index, const struct dedup_generation *generation,
    uint32_t offset)
{
	uint64_t key = generation->serial << 32 | offset;
	size_t slot = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 40) & (SEEN_CAPACITY - 1);

	while (index->seen_stamps[slot] == index->seen_stamp) {
		if (index->seen_keys[slot] == key)
			return 1;
		slot = (slot + 1) & (SEEN_CAPACITY - 1);
	}
	index->seen_stamps[slot] = index->seen_stamp;
	index->seen_keys[slot] = key;
	index->seen_count++;
	return 0;
}

static void
seen_reset(struct dedup_index *index)
{
	if (++index->seen_stamp == 0) {
		memset(index->seen_stamps, 0, sizeof index->seen_stamps);
		index->seen_stamp = 1;
	}
	index->seen_count = 0;
}

static int
better_match(const struct match *candidate, const struct match *best)
{
	if (best->generation == NULL)
		return 1;
	if (candidate->exact != best->exact)
		return candidate->exact;
	if (candidate->score != best->score)
		return candidate->score > best->score;
	/* Equal: the older entry (earlier generation, then earlier offset). */
	if (candidate->generation->serial != best->generation->serial)
		return candidate->generation->serial < best->generation->serial;
	return candidate->offset < best->offset;
}

/* A short article's candidate: the same normalized text, within the window. */
static int
score_exact(const struct lookup *lookup, const struct dedup_generation *generation,
    uint32_t offset, struct match *candidate)
{
	struct dedup_entry entry;

	dedup_generation_entry(generation, offset, &entry);
	if (entry.time < lookup->oldest_time || (entry.flags & DEDUP_ENTRY_SHORT) == 0 ||
	    entry.exact_hash != lookup->sketch->exact_hash)
		return 0;
	candidate->exact = 1;
	candidate->score = 1.0;
	return 1;
}

/*
 * A long article's candidate, judged on its signature (one cache line) before its entry is
 * read: most candidates of a lookup share a band key and little else, and are rejected there.
 * An exact copy has the same shingles, so the same signature, and is never rejected early.
 */
static int
score_similar(const struct lookup *lookup, const struct dedup_generation *generation,
    uint32_t offset, struct match *candidate)
{
	const struct dedup_config *config = &lookup->index->config;
	const struct dedup_sketch *sketch = lookup->sketch;
	struct dedup_entry entry;
	double resemblance, containment;

	resemblance = dedup_estimate_resemblance(sketch->signature,
	    generation->signatures + (size_t)offset * generation->signature_bytes,
	    config->signature_size, generation->signature_bytes);
	if (resemblance < CONTAINMENT_MIN_RESEMBLANCE &&
	    resemblance < config->threshold + DECISION_MARGIN)
		return 0;	/* neither test below can pass */
	dedup_generation_entry(generation, offset, &entry);
	if (entry.time < lookup->oldest_time || (entry.flags & DEDUP_ENTRY_SHORT) != 0)
		return 0;
	if (entry.exact_hash == sketch->exact_hash) {
		candidate->exact = 1;
		candidate->score = 1.0;
		return 1;
	}
	containment = resemblance < CONTAINMENT_MIN_RESEMBLANCE ? 0 :
	    dedup_estimate_containment(resemblance, entry.shingle_count, sketch->shingle_count);
	/*
	 * When unsure, keep the article: an estimate must clear the threshold by
	 * DECISION_MARGIN. A false duplicate hides an article from consumers; a missed one
	 * only repeats it.
	 */
	if (resemblance >= config->threshold + DECISION_MARGIN)
		candidate->score = resemblance;
	else if (containment >= config->containment_threshold + DECISION_MARGIN)
		candidate->score = containment;
	else
		return 0;
	return 1;
}

/*
 * Take one probe hit as a candidate; returns nonzero to stop probing (too many candidates).
 * Its signature is prefetched, so that the misses of all candidates overlap before
 * verify_candidates reads them.
 */
static int
collect(const struct dedup_generation *generation, uint32_t offset, void *context)
{
	struct lookup *lookup = context;
	struct dedup_index *index = lookup->index;

	if (index->seen_count >= SEEN_CAPACITY / 2 || ++lookup->probe_hits > POPULAR_KEY_HITS)
		return 1;
	if (seen_before(index, generation, offset))
		return 0;
	if (!lookup->short_text)
		__builtin_prefetch(generation->signatures +
		    (size_t)offset * generation->signature_bytes);
	index->candidates[index->seen_count - 1] = (struct candidate){ generation, offset };
	return 0;
}

static void
verify_candidates(struct lookup *lookup)
{
	struct dedup_index *index = lookup->index;
	struct dedup_entry entry;

	for (size_t i = 0; i < index->seen_count; i++) {
		const struct dedup_generation *generation = index->candidates[i].generation;
		uint32_t offset = index->candidates[i].offset;
		struct match candidate = { generation, offset, 0, 0 };

		if (!(lookup->short_text ? score_exact(lookup, generation, offset, &candidate) :
		    score_similar(lookup, generation, offset, &candidate)))
			continue;
		dedup_generation_entry(generation, offset, &entry);
		if (dedup_generation_id_equals(generation, entry.id_offset, lookup->article_id)) {
			if (better_match(&candidate, &lookup->self))
				lookup->self = candidate;
		} else if (better_match(&candidate, &lookup->best))
			lookup->best = candidate;
	}
}

static void
lookup_run(struct dedup_index *index, struct lookup *lookup)
{
	const struct dedup_sketch *sketch = lookup->sketch;
	uint64_t exact_key = dedup_exact_key(sketch->exact_hash);

	seen_reset(index);
	for (const struct dedup_generation *generation = index->oldest; generation != NULL;
	    generation = generation->newer)
		for (int band = 0; !lookup->short_text && band < index->config.bands; band++)
			dedup_generation_prefetch(generation, sketch->band_keys[band]);
	for (const struct dedup_generation *generation = index->oldest; generation != NULL;
	    generation = generation->newer) {
		if (generation->newest_time < lookup->oldest_time)
			continue;
		if (lookup->short_text) {
			lookup->probe_hits = 0;
			dedup_generation_probe(generation, exact_key, collect, lookup);
			continue;
		}
		for (int band = 0; band < index->config.bands; band++) {
			lookup->probe_hits = 0;
			dedup_generation_probe(generation, sketch->band_keys[band], collect, lookup);
			lookup->band_hits[band] += (uint32_t)lookup->probe_hits;
		}
	}
	verify_candidates(lookup);
}

/*
 * The keys to index an entry under: its band keys, less the popular ones (shared by
 * POPULAR_KEY_HITS entries or more, as with a stock phrase that happens to be a band
 * minimum). Popular keys would make long probe runs and many useless candidates; a true copy
 * shares about J * bands keys and is found through the others.
 */
static int
keys_to_index(struct dedup_index *index, const struct lookup *lookup, uint64_t *keys)
{
	int count = 0;

	for (int band = 0; band < index->config.bands; band++)
		if (lookup->band_hits[band] < POPULAR_KEY_HITS)
			keys[count++] = lookup->sketch->band_keys[band];
	if (count == 0)		/* every key popular: keep one so an exact copy is found */
		keys[count++] = lookup->sketch->band_keys[0];
	return count;
}

static void
verdict_clear(struct dedup_verdict *verdict)
{
	free(verdict->duplicate_of);
	free(verdict->group);
	memset(verdict, 0, sizeof *verdict);
}

/* The group of an entry: its own id when it is the first of its group. */
static const char *
entry_group(const struct match *match, char *out, size_t out_size)
{
	struct dedup_entry entry;

	dedup_generation_entry(match->generation, match->offset, &entry);
	return dedup_generation_id(match->generation, entry.group_offset, out, out_size);
}

static struct dedup_generation *
generation_for(struct dedup_index *index, int64_t time, int key_count)
{
	struct dedup_generation *newest = index->newest, *generation;
	uint32_t capacity = FIRST_CAPACITY;

	if (newest != NULL && dedup_generation_fits(newest, key_count) &&
	    time - newest->first_time < index->slice_seconds)
		return newest;
	if (newest != NULL) {
		/* Sealed full: the rate outgrew it. Sealed by time: size for the same rate. */
		if (!dedup_generation_fits(newest, key_count))
			capacity = newest->capacity * 2;
		else
			capacity = newest->count + newest->count / 4;
		if (capacity < FIRST_CAPACITY)
			capacity = FIRST_CAPACITY;
		if (capacity > MAX_CAPACITY)
			capacity = MAX_CAPACITY;
	}
	generation = dedup_generation_new(index->next_serial++, capacity, index->config.bands,
	    index->sketcher.hasher.signature_bytes, time);
	if (newest != NULL)
		newest->newer = generation;
	else
		index->oldest = generation;
	index->newest = generation;
	return generation;
}

static uint32_t
index_insert(struct dedup_index *index, const struct dedup_entry *entry, const uint8_t *signature,
    const uint64_t *keys, int key_count, const char *id, const char *group_id,
    struct dedup_generation **where)
{
	struct dedup_generation *generation = generation_for(index, entry->time, key_count);
	uint32_t offset = dedup_generation_add(generation, entry, signature, keys, key_count, id,
	    group_id);

	index->entry_count++;
	if (entry->flags & DEDUP_ENTRY_COMMITTED)
		index->live_committed++;
	if (where != NULL)
		*where = generation;
	return offset;
}

static size_t
pending_bucket(const struct dedup_index *index, const char *id)
{
	return (size_t)(XXH3_64bits(id, strlen(id)) & (index->pending_buckets - 1));
}

static void
pending_add(struct dedup_index *index, const char *id, uint64_t serial, uint32_t offset,
    uint8_t *record, size_t record_length)
{
	size_t id_length = strlen(id);
	struct pending *node = xmalloc(sizeof *node + id_length + 1);

	if (index->pending_count >= index->pending_buckets) {
		size_t buckets = index->pending_buckets ? index->pending_buckets * 2 : 64;
		struct pending **table = xcalloc(buckets, sizeof *table);

		for (size_t i = 0; i < index->pending_buckets; i++) {
			struct pending *moving = index->pending[i], *next;

			/* Appended at the tail: equal ids keep their newest-first order. */
			for (; moving != NULL; moving = next) {
				size_t bucket = (size_t)(XXH3_64bits(moving->id, strlen(moving->id)) &
				    (buckets - 1));
				struct pending **tail = &table[bucket];

				next = moving->next;
				while (*tail != NULL)
					tail = &(*tail)->next;
				moving->next = NULL;
				*tail = moving;
			}
		}
		free(index->pending);
		index->pending = table;
		index->pending_buckets = buckets;
	}
	memcpy(node->id, id, id_length + 1);
	node->serial = serial;
	node->offset = offset;
	node->record = record;
	node->record_length = record_length;
	/* Newest first: a commit of an id judged twice makes the latest entry durable. */
	node->next = index->pending[pending_bucket(index, id)];
	index->pending[pending_bucket(index, id)] = node;
	index->pending_count++;
}

static void
pending_free(struct pending *node)
{
	free(node->record);
	free(node);
}

/* Drop pending records of generations that are gone (serial below oldest_serial). */
static void
pending_expire(struct dedup_index *index, uint64_t oldest_serial)
{
	for (size_t i = 0; i < index->pending_buckets && index->pending_count > 0; i++) {
		struct pending **link = &index->pending[i];

		while (*link != NULL) {
			struct pending *node = *link;

			if (node->serial >= oldest_serial) {
				link = &node->next;
				continue;
			}
			*link = node->next;
			pending_free(node);
			index->pending_count--;
		}
	}
}

static void
expire(struct dedup_index *index, int64_t oldest_time)
{
	int dropped = 0;

	while (index->oldest != NULL && index->oldest->newest_time < oldest_time) {
		struct dedup_generation *generation = index->oldest;

		index->oldest = generation->newer;
		if (index->newest == generation)
			index->newest = NULL;
		index->entry_count -= generation->count;
		index->live_committed -= generation->committed;
		log_event(LOG_LEVEL_DEBUG, "dedup", "dedup.generation.expired", "serial=%llu "
		    "entries=%u", (unsigned long long)generation->serial, generation->count);
		dedup_generation_free(generation);
		dropped = 1;
	}
	if (!dropped)
		return;
	pending_expire(index, index->oldest != NULL ? index->oldest->serial : index->next_serial);
	if (index->store != NULL)
		dedup_store_expire(index->store, oldest_time, index->live_committed);
}

static void
replay_record(const struct dedup_record *record, void *context)
{
	struct dedup_index *index = context;
	struct dedup_entry entry = {
		.exact_hash = record->exact_hash,
		.time = record->time,
		.shingle_count = record->shingle_count,
		.flags = (record->flags & DEDUP_ENTRY_SHORT) | DEDUP_ENTRY_COMMITTED,
	};
	uint64_t exact_key = dedup_exact_key(record->exact_hash);
	int short_text = (record->flags & DEDUP_ENTRY_SHORT) != 0;

	if (!short_text && (record->key_count < 1 || record->key_count > index->config.bands))
		return;
	index_insert(index, &entry, record->signature, short_text ? &exact_key : record->keys,
	    short_text ? 1 : record->key_count, record->id, NULL, NULL);
}

static int
config_check(const struct dedup_config *config, char *error, size_t error_size)
{
	if (config->shingle_size < 1 || config->shingle_size > 64)
		snprintf(error, error_size, "dedup: shingle_size must be 1..64");
	else if (config->signature_size < 8 || config->signature_size > 4096)
		snprintf(error, error_size, "dedup: signature_size must be 8..4096");
	else if (config->bands < 1 || config->bands > MAX_BANDS ||
	    config->signature_size % config->bands != 0)
		snprintf(error, error_size, "dedup: bands must divide signature_size");
	else if (config->window_seconds < 1)
		snprintf(error, error_size, "dedup: window must be positive");
	else if (config->threshold <= 0 || config->threshold > 1 ||
	    config->containment_threshold <= 0 || config->containment_threshold > 1)
		snprintf(error, error_size, "dedup: thresholds must be in (0, 1]");
	else
		return 0;
	return -1;
}

struct dedup_index *
dedup_open(const struct dedup_config *config, char *error, size_t error_size)
{
	struct dedup_index *index;

	if (config_check(config, error, error_size) < 0)
		return NULL;
	index = xcalloc(1, sizeof *index);
	index->config = *config;
	index->config.state_dir = config->state_dir ? xstrdup(config->state_dir) : NULL;
	index->slice_seconds = config->window_seconds / SLICES_PER_WINDOW;
	if (index->slice_seconds < 1)
		index->slice_seconds = 1;
	index->seen_stamp = 1;
	dedup_sketcher_init(&index->sketcher, config);
	dedup_sketch_init(&index->sketch, &index->sketcher.hasher);
	if (config->state_dir != NULL) {
		int64_t oldest = (int64_t)time(NULL) - config->window_seconds;

		index->store = dedup_store_open(config->state_dir, config, oldest, replay_record,
		    index, error, error_size);
		if (index->store == NULL) {
			dedup_close(index);
			return NULL;
		}
	}
	return index;
}

void
dedup_close_store(struct dedup_index *index)
{
	dedup_store_close(index->store);
	index->store = NULL;
}

void
dedup_close(struct dedup_index *index)
{
	if (index == NULL)
		return;
	while (index->oldest != NULL) {
		struct dedup_generation *generation = index->oldest;

		index->oldest = generation->newer;
		dedup_generation_free(generation);
	}
	for (size_t i = 0; i < index->pending_buckets; i++)
		while (index->pending[i] != NULL) {
			struct pending *node = index->pending[i];

			index->pending[i] = node->next;
			pending_free(node);
		}
	free(index->pending);
	dedup_store_close(index->store);
	dedup_sketch_free(&index->sketch);
	dedup_sketcher_clear(&index->sketcher);
	free((char *)index->config.state_dir);
	free(index);
}

/* The same article judged again: repeat what it was found to be. */
static void
verdict_from_self(struct dedup_verdict *verdict, const struct match *self, const char *id)
{
	char group[MAX_ID_LENGTH];

	entry_group(self, group, sizeof group);
	verdict->method = self->exact ? "exact" : "minhash";
	verdict->group = xstrdup(group);
	if (strcmp(group, id) == 0) {
		verdict->status = DEDUP_UNIQUE;
		return;
	}
	verdict->status = DEDUP_DUPLICATE;
	verdict->duplicate_of = xstrdup(group);
	verdict->similarity = self->score;
}

void
dedup_check(struct dedup_index *index, struct article *article, time_t now)
{
	struct dedup_verdict *verdict = &article->dedup;
	const char *id = article->id != NULL ? article->id : "";
	struct lookup lookup = { .index = index, .article_id = id };
	const struct dedup_sketch *sketch = article->dedup_sketch;
	uint64_t keys[MAX_BANDS];
	int key_count;
	struct dedup_entry entry = { 0 };
	struct dedup_generation *generation;
	char group[MAX_ID_LENGTH];
	uint64_t exact_key;
	uint32_t offset;

	lookup.oldest_time = (int64_t)now - index->config.window_seconds;
	expire(index, lookup.oldest_time);
	verdict_clear(verdict);

	if (sketch == NULL) {
		dedup_sketch_into(&index->sketcher, article, NULL, &index->sketch);
		sketch = &index->sketch;
	}
	lookup.sketch = sketch;
	lookup.short_text = sketch->word_count < (uint32_t)index->config.min_words;
	if (index->timing) {
		struct timespec before, after;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before);
		lookup_run(index, &lookup);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after);
		index->last_lookup_seconds = (double)(after.tv_sec - before.tv_sec) +
		    (double)(after.tv_nsec - before.tv_nsec) / 1e9;
	} else
		lookup_run(index, &lookup);

	if (lookup.self.generation != NULL) {
		verdict_from_self(verdict, &lookup.self, id);
		return;
	}
	entry.exact_hash = sketch->exact_hash;
	entry.time = (int64_t)now;
	entry.shingle_count = sketch->shingle_count;
	entry.flags = lookup.short_text ? DEDUP_ENTRY_SHORT : 0;
	if (lookup.best.generation != NULL) {
		entry_group(&lookup.best, group, sizeof group);
		verdict->status = DEDUP_DUPLICATE;
		verdict->duplicate_of = xstrdup(group);
		verdict->group = xstrdup(group);
		verdict->similarity = lookup.best.score;
		verdict->method = lookup.best.exact ? "exact" : "minhash";
		entry.flags |= DEDUP_ENTRY_DUPLICATE;
	} else {
		verdict->status = DEDUP_UNIQUE;
		verdict->group = xstrdup(id);
		verdict->similarity = 0;
		verdict->method = lookup.short_text ? "too-short" : "minhash";
	}

	exact_key = dedup_exact_key(entry.exact_hash);
	key_count = lookup.short_text ? 1 : keys_to_index(index, &lookup, keys);
	offset = index_insert(index, &entry, sketch->signature,
	    lookup.short_text ? &exact_key : keys, key_count, id,
	    verdict->status == DEDUP_DUPLICATE ? verdict->group : NULL, &generation);
	if (index->store != NULL && verdict->status == DEDUP_UNIQUE) {
		struct dedup_record record = {
			.time = entry.time, .exact_hash = entry.exact_hash,
			.shingle_count = entry.shingle_count, .flags = entry.flags, .id = id,
			.signature = sketch->signature,
			.signature_bytes = index->sketcher.hasher.signature_bytes,
			.keys = lookup.short_text ? NULL : keys,
			.key_count = lookup.short_text ? 0 : key_count,
		};
		size_t length;
		uint8_t *encoded = dedup_record_encode(&record, &length);

		pending_add(index, id, generation->serial, offset, encoded, length);
	}
}

void
dedup_commit(struct dedup_index *index, const char *article_id)
{
	struct pending **link, *node;

	if (index->store == NULL || index->pending_count == 0 || article_id == NULL)
		return;
	link = &index->pending[pending_bucket(index, article_id)];
	while (*link != NULL && strcmp((*link)->id, article_id) != 0)
		link = &(*link)->next;
	if ((node = *link) == NULL)
		return;
	*link = node->next;
	index->pending_count--;
	for (struct dedup_generation *generation = index->oldest; generation != NULL;
	    generation = generation->newer) {
		if (generation->serial != node->serial)
			continue;
		if (dedup_store_append(index->store, node->record, node->record_length) == 0) {
			dedup_generation_set_committed(generation, node->offset);
			index->live_committed++;
		}
		break;
	}
	pending_free(node);
}

void
dedup_flush(struct dedup_index *index)
{
	if (index->store != NULL)
		dedup_store_flush(index->store);
}

size_t
dedup_memory(const struct dedup_index *index)
{
	size_t total = sizeof *index + index->pending_buckets * sizeof *index->pending;

	for (const struct dedup_generation *generation = index->oldest; generation != NULL;
	    generation = generation->newer)
		total += dedup_generation_memory(generation);
	return total;
}

void
dedup_timing_enable(struct dedup_index *index)
{
	index->timing = 1;
}

double
dedup_last_lookup_seconds(const struct dedup_index *index)
{
	return index->last_lookup_seconds;
}

size_t
dedup_size(const struct dedup_index *index)
{
	return index->entry_count;
}
