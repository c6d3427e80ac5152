/*
 * postings.c - the story stage's inverted index: for each feature key, the open stories whose
 * centroid held it when they were posted, newest last. A lookup reads only the lists of the
 * article's own features, and of each only the newest entries, so it touches candidate
 * stories, never all of them. Stories that left the window are not searched for: their refs
 * go stale (the slot's generation moved on) and are dropped when a scan (lookup.c) meets
 * them, and all at once by a sweep when stale refs outnumber live ones.
 */
#include <stdlib.h>
#include <string.h>

#include "story_internal.h"
#include "util.h"

#define INITIAL_CAPACITY 4096

void
story_postings_init(struct story_postings *postings)
{
	memset(postings, 0, sizeof *postings);
	postings->capacity = INITIAL_CAPACITY;
	postings->lists = xcalloc(postings->capacity, sizeof *postings->lists);
}

void
story_postings_free(struct story_postings *postings)
{
	for (size_t i = 0; i < postings->capacity; i++)
		free(postings->lists[i].refs);
	free(postings->lists);
	memset(postings, 0, sizeof *postings);
}

static size_t
home(const struct story_postings *postings, uint64_t key)
{
	return story_postings_home(postings, key);
}

/* The list of key, or the empty slot where it would go. */
static struct posting_list *
find(const struct story_postings *postings, uint64_t key)
{
	size_t slot = home(postings, key);

	while (postings->lists[slot].refs != NULL && postings->lists[slot].key != key)
		slot = (slot + 1) & (postings->capacity - 1);
	return &postings->lists[slot];
}

static void
rehash(struct story_postings *postings, size_t capacity)
{
	struct posting_list *lists = postings->lists;
	size_t old_capacity = postings->capacity;

	postings->capacity = capacity;
	postings->lists = xcalloc(capacity, sizeof *postings->lists);
	postings->used = 0;
	for (size_t i = 0; i < old_capacity; i++) {
		if (lists[i].refs == NULL)
			continue;
		if (lists[i].count == 0) {
			free(lists[i].refs);
			continue;
		}
		*find(postings, lists[i].key) = lists[i];
		postings->used++;
	}
	free(lists);
}

void
story_postings_add(struct story_postings *postings, uint64_t key, uint64_t ref)
{
	struct posting_list *list;

	if ((postings->used + 1) * 2 > postings->capacity)
		rehash(postings, postings->capacity * 2);
	list = find(postings, key);
	if (list->refs == NULL) {
		list->key = key;
		list->capacity = 2;
		list->refs = xmalloc(list->capacity * sizeof *list->refs);
		postings->used++;
	} else if (list->count == list->capacity) {
		list->capacity *= 2;
		list->refs = xrealloc(list->refs, list->capacity * sizeof *list->refs);
	}
	list->refs[list->count++] = ref;
	postings->refs++;
}

/* Remove the stale refs of one list, keeping the order. */
static void
compact(struct story_postings *postings, struct posting_list *list,
    story_ref_alive_fn alive, void *context)
{
	uint32_t kept = 0;

	for (uint32_t i = 0; i < list->count; i++)
		if (alive(list->refs[i], context))
			list->refs[kept++] = list->refs[i];
	postings->refs -= list->count - kept;
	list->count = kept;
	if (kept < list->capacity / 4 && list->capacity > 8) {
		list->capacity = kept > 2 ? kept : 2;
		list->refs = xrealloc(list->refs, list->capacity * sizeof *list->refs);
	}
}

struct posting_list *
story_postings_list(const struct story_postings *postings, uint64_t key)
{
	struct posting_list *list = find(postings, key);

	return list->refs != NULL ? list : NULL;
}

void
story_postings_compact(struct story_postings *postings, struct posting_list *list,
    story_ref_alive_fn alive, void *context)
{
	compact(postings, list, alive, context);
}

void
story_postings_sweep(struct story_postings *postings, story_ref_alive_fn alive,
    void *context)
{
	for (size_t i = 0; i < postings->capacity; i++)
		if (postings->lists[i].refs != NULL)
			compact(postings, &postings->lists[i], alive, context);
	rehash(postings, postings->capacity);
}

size_t
story_postings_memory(const struct story_postings *postings)
{
	size_t bytes = postings->capacity * sizeof *postings->lists;

	for (size_t i = 0; i < postings->capacity; i++)
		bytes += postings->lists[i].capacity * sizeof(uint64_t);
	return bytes;
}
