/*
 * minhash_avx2.c - the shingle pass (shingle.h) built for AVX2, which dedup_sketch_compute
 * takes when the CPU has it: the bucket of four keys of the distinct-shingle set is compared
 * with one 256-bit compare (SSE2 needs two 32-bit compares, shuffles and ands a half), the rest
 * is the same scalar code; the values are the same (test_dedup_sketch compares both paths
 * with its reference). The rest of the daemon stays built for the baseline x86-64.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("avx2,tune=haswell")

#include "shingle.h"

uint32_t
dedup_shingle_pass_avx2(struct dedup_hasher *hasher, const uint64_t *words, size_t count,
    size_t width, uint64_t *keys, unsigned shift)
{
	if (width == 5)
		return shingle_pass(hasher, words, count, 5, keys, shift);
	return shingle_pass(hasher, words, count, width, keys, shift);
}
#endif
