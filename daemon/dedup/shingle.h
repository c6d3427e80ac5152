/*
 * shingle.h - the shingle pass of minhash.c (each shingle hashed, its bin's minimum kept, its
 * hash counted in the distinct-shingle set), as static inline functions that minhash.c builds
 * for the baseline x86-64 (SSE2) and minhash_avx2.c for AVX2 (one compare a bucket of the set
 * where SSE2 takes six); the values are the same (test_dedup_sketch checks both paths).
 */
#ifndef WIRESIFT_DEDUP_SHINGLE_H
#define WIRESIFT_DEDUP_SHINGLE_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dedup_internal.h"

#define EMPTY_BIN	UINT64_MAX
#define DISTINCT_WAYS	4	/* keys a bucket of the distinct-shingle set */

static inline uint32_t
fast_range(uint64_t hash, uint32_t range)
{
	return (uint32_t)(((unsigned __int128)hash * range) >> 64);
}

#if defined(__AVX2__)
typedef __m256i lanes_t;

/* One bit a 64-bit lane of the four at keys that equals value (bit 0: keys[0]). */
static inline unsigned
lanes_equal(const uint64_t *keys, __m256i value)
{
	__m256i equal = _mm256_cmpeq_epi64(_mm256_loadu_si256((const __m256i *)(const void *)keys),
	    value);

	return (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(equal));
}
#elif defined(__SSE2__)
typedef __m128i lanes_t;

static inline unsigned
lanes_equal(const uint64_t *keys, __m128i value)
{
	__m128i low = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)keys), value);
	__m128i high = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(keys + 2)),
	    value);

	/* a lane is equal when both of its halves are */
	low = _mm_and_si128(low, _mm_shuffle_epi32(low, _MM_SHUFFLE(2, 3, 0, 1)));
	high = _mm_and_si128(high, _mm_shuffle_epi32(high, _MM_SHUFFLE(2, 3, 0, 1)));
	return (unsigned)_mm_movemask_pd(_mm_castsi128_pd(low)) |
	    (unsigned)_mm_movemask_pd(_mm_castsi128_pd(high)) << 2;
}
#else
typedef uint64_t lanes_t;

static inline unsigned
lanes_equal(const uint64_t *keys, uint64_t value)
{
	return (unsigned)(keys[0] == value) | (unsigned)(keys[1] == value) << 1 |
	    (unsigned)(keys[2] == value) << 2 | (unsigned)(keys[3] == value) << 3;
}
#endif

/*
 * 1 when hash (not 0) was not in keys (2^(64 - shift) buckets) yet; it is now. The bucket is
 * the hash's top bits: XXH3's output is mixed already.
 */
static inline uint32_t
distinct_add(uint64_t *keys, unsigned shift, uint64_t hash)
{
	size_t mask = ((size_t)1 << (64 - shift)) - 1, bucket = (size_t)(hash >> shift);
#if defined(__AVX2__)
	lanes_t value = _mm256_set1_epi64x((long long)hash), zero = _mm256_setzero_si256();
#elif defined(__SSE2__)
	lanes_t value = _mm_set1_epi64x((long long)hash), zero = _mm_setzero_si128();
#else
	lanes_t value = hash, zero = 0;
#endif

	for (;;) {
		uint64_t *ways = keys + bucket * DISTINCT_WAYS;
		unsigned empty;

		if (lanes_equal(ways, value) != 0)
			return 0;
		if ((empty = lanes_equal(ways, zero)) != 0) {
			/* keys fill a bucket from its first way: no key is past an empty one */
			ways[__builtin_ctz(empty)] = hash;
			return 1;
		}
		bucket = (bucket + 1) & mask;
	}
}

/*
 * One pass over the shingles of width words: each is hashed, kept in its bin if below the
 * bin's minimum (bins[] start at EMPTY_BIN) and counted if new in keys (zeroed, 2^(64 -
 * shift) buckets). Returns the distinct count. Inlined for the default width 5 and for any
 * other, on the baseline and on AVX2.
 */
static inline __attribute__((always_inline)) uint32_t
shingle_pass(struct dedup_hasher *hasher, const uint64_t *words, size_t count, size_t width,
    uint64_t *keys, unsigned shift)
{
	uint64_t *bins = hasher->bins;
	uint32_t size = (uint32_t)hasher->signature_size, distinct = 0, zero = 0;

	for (size_t i = 0; i < count; i++) {
		/* XXH3's 17-128 byte path, straight-line when width is the constant 5. */
		uint64_t hash = XXH3_64bits(words + i, width * sizeof *words);
		uint32_t bin = fast_range(hash, size);
		/* Clear the top bit so EMPTY_BIN and densified copies (top bit set) stay apart. */
		uint64_t value = hash & ~(1ULL << 63), old = bins[bin];

		/* Always stored: a branch on it mispredicts (a third of the shingles lower a bin). */
		bins[bin] = value < old ? value : old;
		if (hash == 0)
			zero = 1;
		else
			distinct += distinct_add(keys, shift, hash);
	}
	return distinct + zero;
}

#endif
