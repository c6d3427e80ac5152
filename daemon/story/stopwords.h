/*
 * stopwords.h - the words story features leave out (stopwords.c) and the look-up the feature
 * scanner (features.c) makes for nearly every word it reads, inline here.
 *
 * The stop words by their bytes: an open-addressing set filled once, then only read. A word
 * of up to 16 bytes is two 64-bit values, its bytes zero-padded (a word holds no zero
 * byte): one look-up compares them, where hashing every word first cost more. In front of
 * it a Bloom filter of 1 KB (two bits a word) answers "no stop word" for most others without
 * touching the set: time, not instructions, was the cost of the look-up (a cache miss into
 * the set for each word of an article; the filter's 16 lines stay in cache).
 */
#ifndef WIRESIFT_STORY_STOPWORDS_H
#define WIRESIFT_STORY_STOPWORDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

#define STOP_SLOT_BITS	9
#define STOP_SLOTS	(1 << STOP_SLOT_BITS)
#define STOP_BYTES	16	/* longer words are never stop words */
#define STOP_BLOOM_BITS	8192
extern struct name16 story_stop_set[STOP_SLOTS];	/* head 0: an empty slot */
extern uint64_t story_stop_bloom[STOP_BLOOM_BITS / 64];

/* Fill the set and its filter (once: any thread may call it, before is_stop_word). */
void	 story_stop_words_init(void);

/* Fold a plural to its singular: "bases" -> "base", "casualties" -> "casualty". */
static inline size_t
fold_plural(char *word, size_t length)
{
	if (length > 4 && memcmp(word + length - 3, "ies", 3) == 0) {
		word[length - 3] = 'y';
		return length - 2;
	}
	if (length > 4 && word[length - 1] == 's' && word[length - 2] != 's' &&
	    word[length - 2] != 'u' && word[length - 2] != 'i')
		return length - 1;
	return length;
}

/* The first 16 bytes of word (it has that many to read), those from length on made 0. */
static inline struct name16
stop_key(const char *word, size_t length)
{
	struct name16 key;

	memcpy(&key.head, word, 8);
	memcpy(&key.tail, word + 8, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	key.head = __builtin_bswap64(key.head);
	key.tail = __builtin_bswap64(key.tail);
#endif
	if (length < 8) {
		key.head &= ((uint64_t)1 << (8 * length)) - 1;
		key.tail = 0;
	} else if (length < 16)
		key.tail &= ((uint64_t)1 << (8 * (length - 8))) - 1;
	return key;
}

/* A key's hash: its slot is the top STOP_SLOT_BITS (name16_slot), its filter bits lower. */
static inline uint64_t
stop_hash(struct name16 key)
{
	return key.head * 0x9e3779b97f4a7c15ULL ^ key.tail * 0xc2b2ae3d27d4eb4fULL;
}

static inline int
stop_bloom_has(uint64_t hash)
{
	size_t first = (size_t)(hash >> 20) & (STOP_BLOOM_BITS - 1);
	size_t second = (size_t)(hash >> 33) & (STOP_BLOOM_BITS - 1);

	return (story_stop_bloom[first / 64] >> (first % 64) & story_stop_bloom[second / 64] >>
	    (second % 64) & 1) != 0;
}

/* Is the folded word (with 16 bytes to read) a stop word? Inline: count_span asks it of
 * nearly every word it reads. */
static inline int
is_stop_word(const char *word, size_t length)
{
	struct name16 key;
	uint64_t hash;
	size_t slot;

	if (length > STOP_BYTES)
		return 0;
	key = stop_key(word, length);
	hash = stop_hash(key);
	if (!stop_bloom_has(hash))
		return 0;
	for (slot = (size_t)(hash >> (64 - STOP_SLOT_BITS)); story_stop_set[slot].head != 0;
	    slot = (slot + 1) & (STOP_SLOTS - 1))
		if (story_stop_set[slot].head == key.head &&
		    story_stop_set[slot].tail == key.tail)
			return 1;
	return 0;
}

#endif
