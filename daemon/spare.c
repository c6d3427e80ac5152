/*
 * spare.c - large transient buffers kept for reuse (see spare.h). At most SPARE_BUFFERS are
 * kept, each between SPARE_MIN and SPARE_MAX bytes usable (malloc_usable_size); a buffer given
 * to a full set replaces the smallest kept one if it is larger, else is freed. The event loop
 * takes one and gives one back per feed, so a few suffice. Under a mutex: any
 * thread may take and give. Kept buffers stay reachable from here, so leak checkers at exit
 * do not count them.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "spare.h"

#define SPARE_BUFFERS	4
#define SPARE_MIN	(16 * 1024)	/* smaller buffers are not worth keeping */
#define SPARE_MAX	(4 << 20)	/* nor larger ones */

static struct {
	pthread_mutex_t	 lock;
	char		*data[SPARE_BUFFERS];
	size_t		 size[SPARE_BUFFERS];	/* usable bytes */
	size_t		 count;
} spares = { .lock = PTHREAD_MUTEX_INITIALIZER };

char *
spare_take(size_t size, size_t *capacity)
{
	size_t best = SPARE_BUFFERS;
	char *data = NULL;

	pthread_mutex_lock(&spares.lock);
	for (size_t i = 0; i < spares.count; i++)
		if (spares.size[i] >= size && (best == SPARE_BUFFERS ||
		    spares.size[i] < spares.size[best]))
			best = i;
	if (best != SPARE_BUFFERS) {
		data = spares.data[best];
		if (capacity != NULL)
			*capacity = spares.size[best];
		spares.count--;
		spares.data[best] = spares.data[spares.count];
		spares.size[best] = spares.size[spares.count];
	}
	pthread_mutex_unlock(&spares.lock);
	return data;
}

/* With the set full: the smallest kept buffer, if smaller than size; SPARE_BUFFERS if none. */
static size_t
replaceable(size_t size)
{
	size_t smallest = 0;

	for (size_t i = 1; i < spares.count; i++)
		if (spares.size[i] < spares.size[smallest])
			smallest = i;
	return spares.size[smallest] < size ? smallest : SPARE_BUFFERS;
}

void
spare_give(char *buffer)
{
	size_t size = buffer != NULL ? malloc_usable_size(buffer) : 0, slot;
	char *freed = buffer;

	if (size < SPARE_MIN || size > SPARE_MAX) {
		free(buffer);
		return;
	}
	pthread_mutex_lock(&spares.lock);
	if (spares.count < SPARE_BUFFERS) {
		spares.data[spares.count] = buffer;
		spares.size[spares.count++] = size;
		freed = NULL;
	} else if ((slot = replaceable(size)) != SPARE_BUFFERS) {
		freed = spares.data[slot];
		spares.data[slot] = buffer;
		spares.size[slot] = size;
	}
	pthread_mutex_unlock(&spares.lock);
	free(freed);
}
