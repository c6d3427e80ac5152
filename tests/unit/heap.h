/*
 * heap.h - the unit tests' measure of heap growth: bytes the allocator has handed out and not
 * taken back (mallinfo2, or ASan's own count, since its allocator does not feed mallinfo2).
 * Header-only, for the tests that check memory stays bounded.
 */
#ifndef WIRESIFT_TEST_HEAP_H
#define WIRESIFT_TEST_HEAP_H

#include <malloc.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
size_t	 __sanitizer_get_current_allocated_bytes(void);
#endif

static inline size_t
heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 info = mallinfo2();

	return info.uordblks + info.hblkhd;
#endif
}

#endif
