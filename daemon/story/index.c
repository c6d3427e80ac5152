/*
 * index.c - the open stories and the assignment of each arriving article (see story.h).
 *
 * Stories live in slots (a slot's generation moves on when its story leaves the window, so
 * refs to it in the postings and maps go stale); maps find a story by its id and by the id
 * of any of its articles (a wire copy joins its original's story). The stream's clock is the
 * newest article time seen: a story closes when its newest article falls out of the window
 * behind it, found through a queue of (story, time) entries in arrival order, one a join.
 * Joins waiting for their article's delivery are kept in a bounded ring (a join never
 * committed is only lost from the log, as a crash would lose it). Finding the candidate
 * stories of an article is lookup.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "index_internal.h"
#include "log.h"
#include "util.h"

void
story_config_defaults(struct story_config *config)
{
	config->enabled = 1;
	config->threshold = 0.30;
	config->window_seconds = 72 * 3600;
	config->state_dir = NULL;
}

static uint64_t
make_ref(const struct story_index *index, uint32_t slot)
{
	return (uint64_t)slot << 32 | index->slots[slot].generation;
}

static const char *
intern_outlet(struct story_index *index, const char *name)
{
	uint64_t key = story_map_key(name), value;

	if (story_map_get(&index->outlets, key, &value))
		return (const char *)(uintptr_t)value;
	value = (uint64_t)(uintptr_t)xstrdup(name);
	story_map_put(&index->outlets, key, value);
	return (const char *)(uintptr_t)value;
}

static void
mark_changed(struct story_index *index, uint32_t slot)
{
	struct story *story = &index->slots[slot];

	if (!index->summaries || index->remote || story->changed)
		return;
	story->changed = 1;
	if (index->changed_count == index->changed_capacity) {
		index->changed_capacity = index->changed_capacity ? index->changed_capacity * 2 : 64;
		index->changed = xrealloc(index->changed,
		    index->changed_capacity * sizeof *index->changed);
	}
	index->changed[index->changed_count++] = make_ref(index, slot);
}

static void
queue_push(struct story_index *index, uint32_t slot, int64_t time)
{
	if (index->queue_count == index->queue_capacity) {
		size_t capacity = index->queue_capacity ? index->queue_capacity * 2 : 1024;
		struct expiry *queue = xmalloc(capacity * sizeof *queue);

		for (size_t i = 0; i < index->queue_count; i++)
			queue[i] = index->queue[(index->queue_head + i) % index->queue_capacity];
		free(index->queue);
		index->queue = queue;
		index->queue_head = 0;
		index->queue_capacity = capacity;
	}
	index->queue[(index->queue_head + index->queue_count++) % index->queue_capacity] =
	    (struct expiry){ slot, index->slots[slot].generation, time };
}

/* Bytes of mapping for capacity stories: whole pages. */
static size_t
slots_bytes(size_t capacity)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (capacity * sizeof(struct story) + page - 1) / page * page;
}

/*
 * The stories array, resized by remapping its pages (mremap moves the mapping, not the
 * bytes): a realloc copied the whole array at each growth, faulting in as many fresh pages
 * again (in a cold start the loop thread's largest source of page faults: 41% of a
 * single-node daemon's, 16-22% of a cluster instance's). Pages not used yet are not touched.
 */
static struct story *
slots_resize(struct story *slots, size_t old_capacity, size_t capacity)
{
	void *mapped = slots == NULL ? mmap(NULL, slots_bytes(capacity), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : mremap(slots, slots_bytes(old_capacity),
	    slots_bytes(capacity), MREMAP_MAYMOVE);

	if (mapped == MAP_FAILED)
		fatalx("out of memory mapping %zu stories", capacity);
	return mapped;
}

/* A fresh story in a free slot. */
static uint32_t
story_new(struct story_index *index, uint64_t key, const char *headline, int64_t time)
{
	uint32_t slot, generation = 0;
	struct story *story;

	if (index->free_count > 0)
		slot = index->free_slots[--index->free_count];
	else {
		if (index->slot_count == index->slot_capacity) {
			size_t old_capacity = index->slot_capacity;

			/* by a quarter: a story is most of a kilobyte, doubling would leave up
			 * to half of the slots (and memory) unused */
			index->slot_capacity = index->slot_capacity ?
			    index->slot_capacity + index->slot_capacity / 4 : 256;
			index->slots = slots_resize(index->slots, old_capacity,
			    index->slot_capacity);
			index->free_slots = xrealloc(index->free_slots,
			    index->slot_capacity * sizeof *index->free_slots);
			index->states = xrealloc(index->states,
			    index->slot_capacity * sizeof *index->states);
		}
		index->states[index->slot_count].visit = 0;
		slot = (uint32_t)index->slot_count++;
		index->slots[slot].generation = 0;
	}
	story = &index->slots[slot];
	generation = story->generation;
	memset(story, 0, sizeof *story);
	story->generation = generation;
	story->key = key;
	story->first_seen = story->last_seen = time;
	story->headline = headline != NULL ? xstrdup(headline) : NULL;
	story->open = 1;
	index->states[slot].live = generation << 1 | 1;
	story_map_put(&index->by_story, key, slot);
	index->open_count++;
	return slot;
}

static void
story_close_slot(struct story_index *index, uint32_t slot)
{
	struct story *story = &index->slots[slot];
	uint64_t ref = make_ref(index, slot), value;
	char id[17];

	for (uint32_t i = 0; i < story->size; i++) {
		uint64_t key = story_map_key(story->members[i].id);

		if (story_map_get(&index->by_article, key, &value) && value == ref)
			story_map_remove(&index->by_article, key);
		free(story->members[i].id);
	}
	for (uint16_t i = 0; i < story->entity_name_count; i++)
		free(story->entity_names[i].name);
	if (index->summaries && !index->remote) {
		story_id_format(story->key, id);
		strlist_add(&index->tombstones, id);
	}
	story_map_remove(&index->by_story, story->key);
	free(story->members);
	free(story->headline);
	index->live_refs -= story->posted;
	index->article_count -= story->size;
	index->live_records -= story->size < index->live_records ? story->size :
	    index->live_records;
	index->open_count--;
	story->open = 0;
	story->generation++;
	index->states[slot].live = story->generation << 1;
	index->free_slots[index->free_count++] = slot;
}

/* Close every story whose newest article is older than cutoff. */
static void
expire(struct story_index *index, int64_t cutoff)
{
	size_t closed = 0;

	while (index->queue_count > 0) {
		struct expiry entry = index->queue[index->queue_head];
		struct story *story = &index->slots[entry.slot];

		if (entry.time >= cutoff)
			break;
		index->queue_head = (index->queue_head + 1) % index->queue_capacity;
		index->queue_count--;
		if (story->open && story->generation == entry.generation &&
		    story->last_seen < cutoff) {
			story_close_slot(index, entry.slot);
			closed++;
		}
	}
	if (closed == 0)
		return;
	if (index->postings.refs > 2 * index->live_refs + 65536)
		story_postings_sweep(&index->postings, story_ref_alive, index);
	if (index->store != NULL && !index->replaying)
		story_store_expire(index->store, cutoff, index->live_records);
}

static void
advance(struct story_index *index, int64_t time)
{
	if (time <= index->newest)
		return;
	index->newest = time;
	expire(index, time - index->config.window_seconds);
}

/* Post the story under the centroid keys it did not have before. */
static void
post_new_keys(struct story_index *index, uint32_t slot, const uint64_t *old_keys,
    uint32_t old_count)
{
	struct story *story = &index->slots[slot];
	uint32_t i = 0;

	for (uint32_t j = 0; j < story->centroid_count; j++) {
		uint64_t key = story->centroid[j].key;

		while (i < old_count && old_keys[i] < key)
			i++;
		if (i < old_count && old_keys[i] == key)
			continue;
		story_postings_add(&index->postings, key, make_ref(index, slot));
		story->posted++;
		index->live_refs++;
	}
}

static void
add_entity_names(struct story *story, const struct story_entity_name *entities,
    uint32_t count)
{
	for (uint32_t e = 0; e < count; e++) {
		struct story_entity_name *names = story->entity_names, *weakest = NULL;
		uint16_t i;

		for (i = 0; i < story->entity_name_count; i++) {
			if (strcmp(names[i].name, entities[e].name) == 0)
				break;
			if (weakest == NULL || names[i].count < weakest->count)
				weakest = &names[i];
		}
		if (i < story->entity_name_count) {
			names[i].count = (uint16_t)(names[i].count + entities[e].count);
			continue;
		}
		if (story->entity_name_count < STORY_ENTITY_NAMES)
			weakest = &names[story->entity_name_count++];
		else if (weakest->count >= entities[e].count)
			continue;
		else
			free(weakest->name);
		weakest->name = xstrdup(entities[e].name);
		memcpy(weakest->type, entities[e].type, sizeof weakest->type);
		weakest->count = entities[e].count;
	}
}

static void
add_member(struct story_index *index, uint32_t slot, const char *article_id,
    const char *outlet)
{
	struct story *story = &index->slots[slot];
	struct story_member *member;

	if (story->size == story->member_capacity) {
		story->member_capacity = story->member_capacity ? story->member_capacity * 2 : 2;
		story->members = xrealloc(story->members,
		    story->member_capacity * sizeof *story->members);
	}
	member = &story->members[story->size++];
	member->id = xstrdup(article_id);
	member->id_length = (uint32_t)strlen(article_id);
	member->outlet = intern_outlet(index, outlet ? outlet : "");
	member->outlet_length = (uint32_t)strlen(member->outlet);
	story_map_put(&index->by_article, story_map_key(article_id), make_ref(index, slot));
	index->article_count++;
}

/* Apply one join (a live decision or a replayed record); returns the story's slot. */
static uint32_t
apply(struct story_index *index, const struct story_record *record)
{
	uint64_t value, old_keys[CENTROID_MAX];
	uint32_t slot, old_count;
	struct story *story;

	if (story_map_get(&index->by_story, record->story_key, &value))
		slot = (uint32_t)value;
	else
		slot = story_new(index, record->story_key, record->headline, record->time);
	story = &index->slots[slot];
	/* the postings table slots post_new_keys will look up (they are random) */
	for (uint32_t i = 0; i < record->weight_count; i++)
		story_postings_prefetch(&index->postings, record->weights[i].key);
	old_count = story->centroid_count;
	for (uint32_t i = 0; i < old_count; i++)
		old_keys[i] = story->centroid[i].key;
	if (record->weight_count > 0) {
		struct story_vector vector;

		vector.count = record->weight_count;
		memcpy(vector.items, record->weights, record->weight_count * sizeof *record->weights);
		story_centroid_add(story, &vector, record->centroid_floors);
		post_new_keys(index, slot, old_keys, old_count);
	}
	add_member(index, slot, record->article_id, record->outlet);
	add_entity_names(story, record->entities, record->entity_count);
	if (record->time > story->last_seen)
		story->last_seen = record->time;
	if (record->time < story->first_seen)
		story->first_seen = record->time;
	story_score_prepare(story);
	queue_push(index, slot, record->time);
	mark_changed(index, slot);
	return slot;
}

static void
replay(const struct story_record *record, void *context)
{
	struct story_index *index = context;

	if (record->time > index->newest)
		index->newest = record->time;	/* no expiry: the store replays open stories */
	apply(index, record);
	if (record->weight_count > 0)
		story_background_add(&index->background, &record->weights[0].key,
		    sizeof record->weights[0], record->weight_count);
	index->live_records++;
}

struct story_index *
story_open(const struct story_config *config, char *error, size_t error_size)
{
	struct story_index *index = xcalloc(1, sizeof *index);

	index->config = *config;
	story_background_init(&index->background, BACKGROUND_CAPACITY);
	index->extractor = story_extractor_new();
	story_map_init(&index->by_article);
	story_map_init(&index->by_story);
	story_map_init(&index->outlets);
	story_map_init(&index->pending_by_article);
	story_postings_init(&index->postings);
	if (config->state_dir != NULL) {
		index->pending = xcalloc(PENDING_MAX, sizeof *index->pending);
		index->replaying = 1;
		index->store = story_store_open(config->state_dir, config->window_seconds,
		    replay, index, error, error_size);
		index->replaying = 0;
		if (index->store == NULL) {
			story_close(index);
			return NULL;
		}
	}
	return index;
}

/*
 * An open story's memory at story_close(): only what story_close_slot() frees, without its
 * map removals and tombstones (the maps are freed whole next; nothing reads a tombstone now).
 * 36,000 open stories took 118 ms of the daemon's exit through story_close_slot().
 */
static void
story_free_slot(struct story *story)
{
	for (uint32_t i = 0; i < story->size; i++)
		free(story->members[i].id);
	for (uint16_t i = 0; i < story->entity_name_count; i++)
		free(story->entity_names[i].name);
	free(story->members);
	free(story->headline);
}

void
story_close_store(struct story_index *index)
{
	if (index->store != NULL)
		story_store_close(index->store);
	index->store = NULL;
}

void
story_close(struct story_index *index)
{
	if (index == NULL)
		return;
	story_close_store(index);
	for (size_t i = 0; i < index->slot_count; i++)
		if (index->slots[i].open)
			story_free_slot(&index->slots[i]);
	for (size_t i = 0; i < index->outlets.capacity; i++)
		if (index->outlets.keys[i] != 0)
			free((char *)(uintptr_t)index->outlets.values[i]);
	for (size_t i = 0; index->pending != NULL && i < PENDING_MAX; i++)
		free(index->pending[i].record);
	free(index->pending);
	story_map_free(&index->pending_by_article);
	story_map_free(&index->outlets);
	story_map_free(&index->by_story);
	story_map_free(&index->by_article);
	story_postings_free(&index->postings);
	story_background_free(&index->background);
	story_extractor_free(index->extractor);
	strlist_clear(&index->tombstones);
	free(index->changed);
	free(index->candidates);
	free(index->queue);
	if (index->slots != NULL)
		munmap(index->slots, slots_bytes(index->slot_capacity));
	free(index->states);
	free(index->free_slots);
	free(index);
}

/* The article's entities, heaviest first, for the story's names. */
static uint32_t
top_entities(const struct article *article, struct story_entity_name *out)
{
	uint32_t count = 0;

	for (size_t i = 0; i < article->entity_count; i++) {
		const struct entity *entity = &article->entities[i];
		uint32_t at = count < STORY_ENTITY_NAMES ? count++ : STORY_ENTITY_NAMES;

		if (at == STORY_ENTITY_NAMES && entity->count <= out[at - 1].count)
			continue;
		if (at == STORY_ENTITY_NAMES)
			at--;
		while (at > 0 && out[at - 1].count < entity->count) {
			out[at] = out[at - 1];
			at--;
		}
		out[at].name = entity->name;
		memset(out[at].type, 0, sizeof out[at].type);
		strncpy(out[at].type, entity->type ? entity->type : "other",
		    sizeof out[at].type - 1);
		out[at].count = (uint16_t)(entity->count > 0 ? entity->count : 1);
	}
	return count;
}

static const char *
outlet_of(const struct article *article)
{
	if (article->source_name != NULL)
		return article->source_name;
	if (article->source_domain != NULL)
		return article->source_domain;
	return article->feed_name;
}

/* Keep the encoded join until the article is delivered (story_commit). */
static void
keep_pending(struct story_index *index, const struct story_record *record)
{
	struct pending *slot = &index->pending[index->pending_next];

	if (slot->record != NULL) {
		story_map_remove(&index->pending_by_article, slot->key);
		free(slot->record);
	}
	slot->key = story_map_key(record->article_id);
	slot->record = story_record_encode(record, &slot->length);
	story_map_put(&index->pending_by_article, slot->key, index->pending_next);
	index->pending_next = (index->pending_next + 1) % PENDING_MAX;
}

static void
fill_verdict(struct story_index *index, struct article *article, uint32_t slot,
    double score)
{
	const struct story *story = &index->slots[slot];
	char id[17];

	story_id_format(story->key, id);
	article_set(&article->story.id, id);
	article_set(&article->story.headline, story->headline);
	article->story.size = story->size;
	article->story.first_seen = (time_t)story->first_seen;
	article->story.score = score;
}

/* A wire copy joins the story of the article it copies, when that story is open. */
static int
original_story(struct story_index *index, const struct article *article,
    struct story_record *record)
{
	uint64_t ref;

	if (article->dedup.status != DEDUP_DUPLICATE || article->dedup.duplicate_of == NULL ||
	    !story_map_get(&index->by_article, story_map_key(article->dedup.duplicate_of), &ref) ||
	    !story_ref_alive(ref, index))
		return 0;
	record->story_key = index->slots[ref >> 32].key;
	return 1;
}

/* An article already in an open story (an update of it) keeps that story, as no new member. */
static int
member_story(struct story_index *index, struct article *article, uint64_t article_key)
{
	uint64_t ref;
	uint32_t slot;

	if (!story_map_get(&index->by_article, article_key, &ref) ||
	    !story_ref_alive(ref, index))
		return 0;
	slot = (uint32_t)(ref >> 32);
	if (index->remote)
		return 1;
	fill_verdict(index, article, slot, 1.0);
	if (index->explain) {
		free(article->story.explain);
		article->story.explain = xasprintf("kept story=%s: the article is in it already "
		    "(an update)", article->story.id);
	}
	return 1;
}

void
story_assign(struct story_index *index, struct article *article)
{
	struct story_entity_name entities[STORY_ENTITY_NAMES];
	struct story_record record = { 0 };
	struct story_features *features;
	struct story_vector vector;
	struct story_score score = { 0 };
	long best = -1;
	uint32_t slot;
	int copy, joined = 0;
	uint64_t article_key = story_map_key(article->id);

	/* the maps' lines for the article's id: whether it is a member, the story it may open */
	story_map_prefetch(&index->by_article, article_key);
	story_map_prefetch(&index->by_story, article_key);
	if (article->story_features == NULL)
		story_extract_article(index->extractor, article);
	features = article->story_features;
	advance(index, features->time);
	if (member_story(index, article, article_key))
		return;
	record.time = features->time;
	record.article_id = article->id;
	record.outlet = outlet_of(article);
	record.entities = entities;
	record.entity_count = top_entities(article, entities);
	/* a wire copy joins its original's story with no vector: none is built for it */
	if (!(copy = original_story(index, article, &record))) {
		/* counted in the background now: nothing below reads it */
		story_vector_build_count(&vector, features, &index->background);
		best = story_best(index, &vector, features->time, &score);
		joined = best >= 0 && score.score >= index->config.threshold;
		record.story_key = joined ? index->slots[best].key : article_key;
		record.headline = joined ? NULL : article->title;
		record.weights = vector.items;
		record.weight_count = vector.count;
		record.centroid_floors = vector.centroid_floor;
	}
	if (index->explain && !index->remote) {
		char id[17];

		story_id_format(record.story_key, id);
		free(article->story.explain);
		article->story.explain = copy ? xasprintf("joined story=%s as a copy of %s", id,
		    article->dedup.duplicate_of) : story_explain(&vector, features,
		    best >= 0 ? &index->slots[best] : NULL, &score, index->config.threshold,
		    joined, id);
	}
	slot = apply(index, &record);
	if (!index->remote)
		fill_verdict(index, article, slot, copy ? 1.0 : joined ? score.score : 0);
	if (index->store != NULL)
		keep_pending(index, &record);
}

void
story_commit(struct story_index *index, const char *article_id)
{
	uint64_t key = story_map_key(article_id), at;
	struct pending *pending;

	if (index->store == NULL || !story_map_get(&index->pending_by_article, key, &at))
		return;
	pending = &index->pending[at];
	story_store_append(index->store, pending->record, pending->length);
	story_map_remove(&index->pending_by_article, key);
	free(pending->record);
	pending->record = NULL;
	index->live_records++;
}

void
story_flush(struct story_index *index)
{
	if (index->store != NULL)
		story_store_flush(index->store);
}

size_t
story_count(const struct story_index *index)
{
	return index->open_count;
}

size_t
story_article_count(const struct story_index *index)
{
	return index->article_count;
}

void
story_explain_enable(struct story_index *index, int enabled)
{
	index->explain = enabled;
}

void
story_set_threshold(struct story_index *index, double threshold)
{
	index->config.threshold = threshold;
}

void
story_remote_enable(struct story_index *index, int enabled)
{
	index->remote = enabled;
}

void
story_summaries_enable(struct story_index *index, int enabled)
{
	index->summaries = enabled;
}

/* Hand the changed stories' summaries to summary, up to the first it refuses; the rest wait. */
static int
drain_summaries(struct story_index *index, story_summary_fn summary, void *context)
{
	size_t done = 0;
	int refused = 0;
	char id[17];

	for (; done < index->changed_count && !refused; done++) {
		uint64_t ref = index->changed[done];
		struct story *story = &index->slots[ref >> 32];
		char *json;

		if (!story_ref_alive(ref, index))
			continue;
		story->changed = 0;
		json = story_summary_json(story);
		story_id_format(story->key, id);
		refused = summary(id, json, context) < 0;
		if (refused)
			story->changed = 1;
		free(json);
	}
	done -= refused;
	index->changed_count -= done;
	if (done > 0 && index->changed_count > 0)
		memmove(index->changed, index->changed + done,
		    index->changed_count * sizeof *index->changed);
	return refused ? -1 : 0;
}

/* Hand the tombstones to summary, up to the first it refuses; the rest wait. */
static void
drain_tombstones(struct story_index *index, story_summary_fn summary, void *context)
{
	struct strlist *list = &index->tombstones;
	size_t done = 0;

	while (done < list->count && summary(list->items[done], NULL, context) == 0)
		free(list->items[done++]);
	list->count -= done;
	if (done > 0 && list->count > 0)
		memmove(list->items, list->items + done, list->count * sizeof *list->items);
}

void
story_drain(struct story_index *index, story_summary_fn summary, void *context)
{
	if (drain_summaries(index, summary, context) == 0)
		drain_tombstones(index, summary, context);
}

void
story_summary_retry(struct story_index *index, const char *story_id)
{
	uint64_t key, slot;
	char *end;

	if (!index->summaries || strlen(story_id) != 16)
		return;
	key = strtoull(story_id, &end, 16);
	if (*end != '\0')
		return;
	if (story_map_get(&index->by_story, key, &slot) && index->slots[slot].open)
		mark_changed(index, (uint32_t)slot);
	else if (!strlist_contains(&index->tombstones, story_id))
		strlist_add(&index->tombstones, story_id);
}

size_t
story_memory(const struct story_index *index)
{
	size_t bytes = index->slot_capacity * (sizeof(struct story) + sizeof(uint32_t) +
	    sizeof(struct slot_state));

	for (size_t i = 0; i < index->slot_count; i++) {
		const struct story *story = &index->slots[i];

		if (!story->open)
			continue;
		bytes += story->member_capacity * sizeof *story->members;
		for (uint32_t m = 0; m < story->size; m++)
			bytes += story->members[m].id_length + 1;
		for (uint16_t e = 0; e < story->entity_name_count; e++)
			bytes += strlen(story->entity_names[e].name) + 1;
		bytes += story->headline ? strlen(story->headline) + 1 : 0;
	}
	bytes += (index->by_article.capacity + index->by_story.capacity) * 16;
	bytes += index->queue_capacity * sizeof *index->queue;
	bytes += story_postings_memory(&index->postings);
	bytes += index->background.capacity * sizeof(struct background_entry);
	if (index->background.log_counts != NULL)
		bytes += LOG_COUNTS * sizeof *index->background.log_counts;
	return bytes;
}
