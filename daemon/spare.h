/*
 * spare.h - large transient buffers kept for reuse instead of freed: a feed's inflated body
 * (content_decode.c, given back by ingest/outcome.c once parsed) is ~120 KB, one per feed on
 * the event loop. Fresh ones came from pages the allocator had meanwhile given back to the
 * kernel, which faulted in again.
 */
#ifndef WIRESIFT_SPARE_H
#define WIRESIFT_SPARE_H

#include <stddef.h>

/*
 * A kept buffer of at least size bytes (the smallest that fits; *capacity set to its usable
 * size when not NULL) taken out of the spares, or NULL when none fits: then allocate one.
 */
char	*spare_take(size_t size, size_t *capacity);

/* A malloc'd buffer (or NULL) no longer needed: kept as a spare, or freed. */
void	 spare_give(char *buffer);

#endif
