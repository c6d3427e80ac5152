/*
 * minhash.c - word shingles, one-permutation MinHash signatures and LSH band keys.
 *
 * Each shingle (shingle_size consecutive words) is hashed once with XXH3_64bits over its word
 * hashes and, in the same pass, put in its bin and counted in the distinct-shingle set (no
 * shingle is kept). The bin's minimum is stored without a branch and the set is probed a
 * bucket of four keys at a time (distinct_add): branches on the hash mispredicted, and that,
 * not the hashing, was half the pass's time. The pass itself is in shingle.h, built here for
 * the baseline x86-64 and in minhash_avx2.c for AVX2 (one compare a bucket), which
 * dedup_sketch_compute takes when the CPU has it. One-permutation hashing splits the 64-bit
 * hash range into signature_size bins (the bin is the high part, by multiply-shift) and keeps
 * each bin's minimum; empty bins are filled by optimal densification (Shrivastava 2017: an
 * empty bin copies the bin that a hash of (bin, attempt) first lands on that is not empty),
 * so all texts get comparable signatures in O(shingles + signature_size) time instead of
 * O(shingles * signature_size).
 *
 * Stored signature: the low DEDUP_SIGNATURE_BITS bits of each bin minimum (b-bit MinHash, Li
 * and Koenig 2010). Two unrelated values agree with probability 2^-b, which the estimator
 * removes: J = (agree - 2^-b) / (1 - 2^-b). With b = 4 and 128 values a signature takes 64
 * bytes and the estimate's standard deviation at J = 0.5 is 0.047 against 0.044 for full
 * values.
 *
 * Band keys: a band is signature_size / bands consecutive bins; its key is the minimum over
 * those bins, i.e. the MinHash of the text under a one-permutation partition with `bands`
 * bins. Two texts share a band key with probability J, so a candidate is found with
 * probability 1 - (1 - J)^bands: with 16 bands, 0.94 at J = 0.16, 0.997 at J = 0.3. That is
 * generous on purpose; the decision is taken on the verified estimate, never on a band hit.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL	/* XXH3 inlined: the per-word and per-shingle calls are most of its cost */
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dedup_internal.h"
#include "shingle.h"
#include "util.h"

static inline uint64_t
mix64(uint64_t value)
{
	value ^= value >> 30;
	value *= 0xbf58476d1ce4e5b9ULL;
	value ^= value >> 27;
	value *= 0x94d049bb133111ebULL;
	value ^= value >> 31;
	return value;
}

void
dedup_hasher_init(struct dedup_hasher *hasher, int shingle_size, int signature_size, int bands)
{
	memset(hasher, 0, sizeof *hasher);
	hasher->shingle_size = shingle_size;
	hasher->signature_size = signature_size;
	hasher->bands = bands;
	/* Nibbles packed into whole 64-bit words so comparison works a word at a time. */
	hasher->signature_bytes = ((size_t)signature_size * DEDUP_SIGNATURE_BITS + 63) / 64 * 8;
	hasher->bins = xcalloc((size_t)signature_size, sizeof *hasher->bins);
}

void
dedup_hasher_free(struct dedup_hasher *hasher)
{
	free(hasher->bins);
	free(hasher->seen_keys);
	memset(hasher, 0, sizeof *hasher);
}

void
dedup_sketch_init(struct dedup_sketch *sketch, const struct dedup_hasher *hasher)
{
	memset(sketch, 0, sizeof *sketch);
	/* One block: the band keys, then the signature (a whole number of 64-bit words). */
	sketch->band_keys = xcalloc(1, (size_t)hasher->bands * sizeof *sketch->band_keys +
	    hasher->signature_bytes);
	sketch->signature = (uint8_t *)(sketch->band_keys + hasher->bands);
}

void
dedup_sketch_free(struct dedup_sketch *sketch)
{
	free(sketch->band_keys);	/* and the signature after them */
	memset(sketch, 0, sizeof *sketch);
}

/*
 * Zero count (a multiple of 16) keys by plain 16-byte stores: memset uses `rep stosb` at this
 * size, which callgrind (our instruction counts) counts a byte at a time.
 */
static void
zero_keys(uint64_t *keys, size_t count)
{
#ifdef __SSE2__
	__m128i zero = _mm_setzero_si128();

	for (size_t i = 0; i < count; i += 8) {
		_mm_storeu_si128((__m128i *)(void *)(keys + i), zero);
		_mm_storeu_si128((__m128i *)(void *)(keys + i + 2), zero);
		_mm_storeu_si128((__m128i *)(void *)(keys + i + 4), zero);
		_mm_storeu_si128((__m128i *)(void *)(keys + i + 6), zero);
	}
#else
	memset(keys, 0, count * sizeof *keys);
#endif
}

/*
 * The distinct-shingle set (distinct_add, shingle.h): buckets of DISTINCT_WAYS keys (0
 * empty), at most half full, the bucket the hash's top bits, the next bucket when one is full.
 * A probe compares a whole bucket at once, so neither "is it there" nor "where does it go" is
 * a branch on the hash: linear probing a key at a time mispredicted on every occupied slot.
 * Zeroed here for count shingles; *shift makes a hash's top bits its bucket.
 */
static uint64_t *
distinct_reset(struct dedup_hasher *hasher, size_t count, unsigned *shift)
{
	size_t needed = 16;

	*shift = 62;	/* 64 - log2(needed / DISTINCT_WAYS) */
	while (needed < count * 2) {
		needed *= 2;
		(*shift)--;
	}
	if (needed > hasher->seen_capacity) {
		free(hasher->seen_keys);
		hasher->seen_keys = xmalloc(needed * sizeof *hasher->seen_keys);
		hasher->seen_capacity = needed;
	}
	zero_keys(hasher->seen_keys, needed);
	return hasher->seen_keys;
}

/* Tests: 1 makes dedup_sketch_compute take the baseline (SSE2) pass on an AVX2 CPU too. */
int dedup_sketch_baseline;

/* The shingle pass (shingle.h) for the default width 5 or any other, on AVX2 when there is. */
static uint32_t
shingles(struct dedup_hasher *hasher, const uint64_t *words, size_t count, size_t width)
{
	unsigned shift;
	uint64_t *keys = distinct_reset(hasher, count, &shift);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
	if (!dedup_sketch_baseline && __builtin_cpu_supports("avx2"))
		return dedup_shingle_pass_avx2(hasher, words, count, width, keys, shift);
#endif
	if (width == 5)
		return shingle_pass(hasher, words, count, 5, keys, shift);
	return shingle_pass(hasher, words, count, width, keys, shift);
}

/*
 * Fill the empty slots of values[0..size) (EMPTY_BIN). Real minima have the top bit clear;
 * a filled slot copies its donor with the top bit set, so it is never a donor itself and
 * the result does not depend on the order of filling. salt separates the two uses.
 */
static void
densify(uint64_t *values, uint32_t size, uint64_t salt)
{
	uint32_t filled = 0;

	for (uint32_t i = 0; i < size; i++)
		filled += values[i] != EMPTY_BIN;
	if (filled == 0 || filled == size)
		return;
	for (uint32_t i = 0; i < size; i++) {
		if (values[i] != EMPTY_BIN)
			continue;
		for (uint64_t attempt = 1;; attempt++) {
			uint32_t donor = fast_range(mix64(salt ^ ((uint64_t)i << 32 | attempt)), size);

			if ((values[donor] >> 63) == 0) {
				values[i] = values[donor] | (1ULL << 63);
				break;
			}
		}
	}
}

void
dedup_sketch_compute(struct dedup_hasher *hasher, const struct dedup_words *words,
    struct dedup_sketch *sketch)
{
	uint32_t size = (uint32_t)hasher->signature_size;
	uint32_t rows = size / (uint32_t)hasher->bands;
	size_t width = (size_t)hasher->shingle_size, count;
	uint64_t *packed = (uint64_t *)sketch->signature;

	sketch->exact_hash = dedup_words_digest(words);
	sketch->word_count = (uint32_t)words->count;
	sketch->shingle_count = 0;
	memset(sketch->signature, 0, hasher->signature_bytes);
	memset(sketch->band_keys, 0, (size_t)hasher->bands * sizeof *sketch->band_keys);
	if (words->count == 0)
		return;
	if (words->count < width)
		width = words->count;
	count = words->count - width + 1;

	for (uint32_t i = 0; i < size; i++)
		hasher->bins[i] = EMPTY_BIN;
	sketch->shingle_count = shingles(hasher, words->hashes, count, width);

	/* Band keys from the raw minima: the band's MinHash under the coarse partition. */
	for (int band = 0; band < hasher->bands; band++) {
		uint64_t minimum = EMPTY_BIN;

		for (uint32_t row = 0; row < rows; row++) {
			uint64_t value = hasher->bins[(uint32_t)band * rows + row];

			if (value < minimum)
				minimum = value;
		}
		sketch->band_keys[band] = minimum;
	}
	densify(sketch->band_keys, (uint32_t)hasher->bands, 0x6a09e667f3bcc908ULL);
	for (int band = 0; band < hasher->bands; band++)
		sketch->band_keys[band] = XXH3_64bits_withSeed(&sketch->band_keys[band],
		    sizeof sketch->band_keys[band], (uint64_t)band + 1);

	densify(hasher->bins, size, 0xbb67ae8584caa73bULL);
	for (uint32_t i = 0; i < size; i++) {
		uint64_t nibble = hasher->bins[i] & ((1u << DEDUP_SIGNATURE_BITS) - 1);

		packed[i / 16] |= nibble << (4 * (i % 16));
	}
}

/*
 * The set bits of a word whose bits are all nibble-aligned (0x1111... at most), without the
 * POPCNT instruction the baseline x86-64 target lacks (__builtin_popcountll is a libgcc call
 * there): pairs of nibbles become bytes of 0-2, and one multiply sums the bytes.
 */
static inline int
nibble_bits(uint64_t nibbles)
{
	uint64_t bytes = (nibbles & 0x0101010101010101ULL) + (nibbles >> 4 & 0x0101010101010101ULL);

	return (int)((bytes * 0x0101010101010101ULL) >> 56);
}

double
dedup_estimate_resemblance(const uint8_t *a, const uint8_t *b, int signature_size,
    size_t signature_bytes)
{
	const double chance = 1.0 / (1u << DEDUP_SIGNATURE_BITS);
	size_t words = signature_bytes / 8;
	int differing = 0;
	double agree;

	for (size_t i = 0; i < words; i++) {
		uint64_t x, y, difference;

		memcpy(&x, a + i * 8, 8);
		memcpy(&y, b + i * 8, 8);
		difference = x ^ y;
		/* Fold each nibble onto its lowest bit: one bit set per differing nibble. */
		difference |= difference >> 1;
		difference |= difference >> 2;
		differing += nibble_bits(difference & 0x1111111111111111ULL);
	}
	/* Padding nibbles are zero in both and never differ. */
	agree = (double)(signature_size - differing) / signature_size;
	agree = (agree - chance) / (1.0 - chance);
	return agree < 0 ? 0 : agree > 1 ? 1 : agree;
}

double
dedup_estimate_containment(double resemblance, uint32_t size_a, uint32_t size_b)
{
	uint32_t smaller = size_a < size_b ? size_a : size_b;
	double intersection;

	if (smaller == 0)
		return 0;
	/* |A n B| = J (|A| + |B|) / (1 + J) */
	intersection = resemblance * ((double)size_a + size_b) / (1.0 + resemblance);
	return intersection >= smaller ? 1.0 : intersection / smaller;
}

uint64_t
dedup_exact_key(uint64_t exact_hash)
{
	return mix64(exact_hash ^ 0x3c6ef372fe94f82bULL);
}
