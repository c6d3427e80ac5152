/*
 * grow.h - the tagger plugins' one way to make room for one more item in an array they grow
 * by doubling (header-only, as words.h: a plugin links nothing of the daemon's, whose
 * xrealloc exits on failure).  When realloc fails the array is left as it was and the caller
 * is told, so that it can fail the article (the plugin's process returns -1: the host logs
 * plugin.failed and the article goes on without that plugin's tags) rather than drop an item
 * and report the rest as if whole.
 */
#ifndef WIRESIFT_PLUGIN_GROW_H
#define WIRESIFT_PLUGIN_GROW_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* grow_for_one's move, out of the callers' loops (it runs a few times an instance's life). */
static __attribute__((noinline, cold, unused)) void *
grow_moved(void *items, size_t *capacity, size_t item_size, size_t first)
{
	size_t grown_capacity = *capacity != 0 ? *capacity * 2 : first;
	unsigned char *grown;

	if (grown_capacity < *capacity || item_size == 0 || grown_capacity > SIZE_MAX / item_size)
		return NULL;
	if ((grown = realloc(items, grown_capacity * item_size)) == NULL)
		return NULL;
	memset(grown + *capacity * item_size, 0, (grown_capacity - *capacity) * item_size);
	*capacity = grown_capacity;
	return grown;
}

/*
 * The array items (capacity items of item_size bytes, count of them used) with room for one
 * more: itself when count < capacity, else moved to twice the capacity (first when empty),
 * the new items zeroed and *capacity set.  NULL when it cannot grow (realloc failed, or the
 * size would overflow): items and *capacity are then unchanged and still valid.
 */
static inline void *
grow_for_one(void *items, size_t *capacity, size_t count, size_t item_size, size_t first)
{
	if (__builtin_expect(count < *capacity, 1))
		return items;
	return grow_moved(items, capacity, item_size, first);
}

#endif
