/*
 * cld2_hash.h - CLD2's quadgram, octagram and word-pair hashes (libcld2's QuadHashV2,
 * OctaHash40 and PairHash, cldutil_shared.cc), inline, for cld2_score.cc's walks: libcld2
 * exports them only as calls through the PLT (two a gram, the wrapper calling the mixer),
 * which were a tenth of the plugin's time.  The same arithmetic, to the bit; plain C as well
 * as C++ so that tests/unit/test_lang_hash.c can hold them against libcld2's own functions.
 *
 * Like CLD2's, they read whole 32-bit words from the gram's start (up to 3 bytes past its
 * end), the byte before it and the byte after it.
 */
#ifndef WIRESIFT_CLD2_HASH_H
#define WIRESIFT_CLD2_HASH_H

#include <stdint.h>
#include <string.h>

#define CLD2_HASH_PRE_SPACE	0x00004444u	/* kPreSpaceIndicator */
#define CLD2_HASH_POST_SPACE	0x44440000u	/* kPostSpaceIndicator */

/* kWordMask0: the low 1, 2 or 3 bytes of a little-endian word (all 4 for index 0). */
static const uint32_t cld2_word_mask[4] = { 0xFFFFFFFFu, 0x000000FFu, 0x0000FFFFu, 0x00FFFFFFu };

static inline uint32_t
cld2_load32(const char *at)
{
	uint32_t word;

	memcpy(&word, at, sizeof(word));
	return word;
}

/* The space indicators for a gram of bytecount bytes at word: a space before it, after it. */
static inline uint32_t
cld2_prepost(const char *word, int bytecount)
{
	return (word[-1] == ' ' ? CLD2_HASH_PRE_SPACE : 0) |
	    (word[bytecount] == ' ' ? CLD2_HASH_POST_SPACE : 0);
}

/* QuadHashV2Mix for 1-4 bytes whose first 4 are word0 (the gram of ASCII letters). */
static inline uint32_t
cld2_quad_hash_short(uint32_t word0, int bytecount, uint32_t prepost)
{
	word0 &= cld2_word_mask[bytecount & 3];
	return word0 ^ (word0 >> 3) ^ prepost;
}

/* QuadHashV2Mix: 1-12 bytes (more are read as 12). */
static inline uint32_t
cld2_quad_hash_mix(const char *word, int bytecount, uint32_t prepost)
{
	uint32_t mask = cld2_word_mask[bytecount & 3], word0, word1, word2;

	if (bytecount <= 4)
		return cld2_quad_hash_short(cld2_load32(word), bytecount, prepost);
	word0 = cld2_load32(word);
	word0 ^= word0 >> 3;
	word1 = cld2_load32(word + 4) & (bytecount <= 8 ? mask : 0xFFFFFFFFu);
	word1 ^= word1 << 4;
	if (bytecount <= 8)
		return (word0 ^ prepost) + word1;
	word2 = cld2_load32(word + 8) & mask;
	word2 ^= word2 << 2;
	return (word0 ^ prepost) + word1 + word2;
}

/* QuadHashV2: 0 for no bytes. */
static inline uint32_t
cld2_quad_hash(const char *word, int bytecount)
{
	if (bytecount == 0)
		return 0;
	return cld2_quad_hash_mix(word, bytecount, cld2_prepost(word, bytecount));
}

/* OctaHash40Mix's last step: the sum of the words folded into bits 32-39. */
static inline uint64_t
cld2_octa_finish(uint64_t word0, uint64_t sum, uint64_t prepost)
{
	sum += sum >> 17;
	sum += sum >> 9;
	return (word0 ^ prepost) + ((sum & 0xff) << 32);
}

/* OctaHash40 for 1-8 bytes: the first 8 bytes masked to bytecount, no branch on it. */
static inline uint64_t
cld2_octa_hash_short(const char *word, int bytecount)
{
	uint64_t eight, word0, word1;

	memcpy(&eight, word, sizeof(eight));
	eight &= bytecount >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * bytecount)) - 1;
	word0 = (uint32_t)eight;
	word1 = eight >> 32;
	return cld2_octa_finish((word0 ^ (word0 >> 3)) + (word1 ^ (word1 << 4)), word0 + word1,
	    cld2_prepost(word, bytecount));
}

/* OctaHash40 (1-24 bytes; more are read as 24): words 2-5 of the gram each with its shift. */
static inline uint64_t
cld2_octa_hash_long(const char *word, int bytecount)
{
	static const int shifts[6] = { 0, 0, 2, -8, -4, -6 };	/* << n, or >> -n */
	int words = (bytecount - 1) >> 2 < 5 ? ((bytecount - 1) >> 2) + 1 : 6;
	uint64_t word0 = cld2_load32(word), sum = word0, next;

	word0 ^= word0 >> 3;
	for (int i = 1; i < words; i++) {
		next = cld2_load32(word + 4 * i);
		if (i == words - 1)
			next &= cld2_word_mask[bytecount & 3];
		sum += next;
		if (i == 1)
			next ^= next << 4;
		else
			next ^= shifts[i] > 0 ? next << shifts[i] : next >> -shifts[i];
		word0 += next;
	}
	return cld2_octa_finish(word0, sum, cld2_prepost(word, bytecount));
}

/* OctaHash40: 0 for no bytes. */
static inline uint64_t
cld2_octa_hash(const char *word, int bytecount)
{
	if (bytecount == 0)
		return 0;
	if (bytecount <= 8)
		return cld2_octa_hash_short(word, bytecount);
	return cld2_octa_hash_long(word, bytecount);
}

/* PairHash: the first word's hash rotated right by 13, plus the second's. */
static inline uint64_t
cld2_pair_hash(uint64_t first, uint64_t second)
{
	return ((first >> 13) | (first << (64 - 13))) + second;
}

#endif
