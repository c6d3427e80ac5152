/*
 * digest_avx2.c - the exact hash of a text's word sequence (dedup_words_digest: XXH3_64bits
 * with the word count as seed over some kilobytes of word hashes) on AVX2 when the CPU has
 * it. XXH3's long-input loop does the same arithmetic on 256-bit lanes as on SSE2's 128
 * (the value is the same by XXH3's definition, and test_dedup_sketch checks it against the
 * xxhash library); the rest of the daemon stays built for the baseline x86-64.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("avx2,tune=haswell")	/* haswell: 256-bit unaligned loads not split */

#include <stddef.h>
#include <stdint.h>

#define XXH_VECTOR	XXH_AVX2
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "dedup_internal.h"

uint64_t
dedup_digest_avx2(const void *input, size_t length, uint64_t seed)
{
	return XXH3_64bits_withSeed(input, length, seed);
}
#endif
