/*
 * words.c - word counts (letters, digits, marks; each Han or kana character a word), Unicode
 * NFC with utf8proc (skipped for text that is surely NFC already) and white-space folding.
 * Words are counted 64 bytes a step in bit masks (SSE2 compares where the compiler targets
 * it) where the text is ASCII or general punctuation, a character at a time elsewhere.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "clean_internal.h"

static inline int
ascii_is_alnum(unsigned char byte)
{
	return ascii_word_fold[byte] != 0;
}

int count_words_block_steps = 1;

#define BLOCK_BYTES	64	/* bytes count_words reads a step: one bit each in a mask */

/* The bits set in mask (a plain shift-and-add count: the build targets no popcnt). */
static inline unsigned
bits_set(uint64_t mask)
{
	mask -= (mask >> 1) & 0x5555555555555555ULL;
	mask = (mask & 0x3333333333333333ULL) + ((mask >> 2) & 0x3333333333333333ULL);
	mask = (mask + (mask >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
	return (unsigned)((mask * 0x0101010101010101ULL) >> 56);
}

/*
 * What each of 64 bytes is to the word count, one bit a byte: alnum (an ASCII letter or
 * digit), joiner (' or -, which continue a word, and the bytes of U+2019, which does too),
 * high (0x80 and above). Bytes of U+2000-U+203F (general punctuation: E2 80 xx, none a
 * letter, digit or mark) are in no word; any other byte from 0x80 makes the block one for
 * count_character: 0 then, else 1.
 */
struct block_masks {
	uint64_t alnum;
	uint64_t joiner;
};

#ifdef __SSE2__
/* The bytes of chunk below limit + 0x80 (as unsigned) once offset is added: a range test. */
static inline __m128i
bytes_below(__m128i chunk, char offset, int limit)
{
	return _mm_cmpgt_epi8(_mm_set1_epi8((char)(limit - 0x80)),
	    _mm_add_epi8(chunk, _mm_set1_epi8(offset)));
}

static inline uint64_t
chunk_bits(__m128i is, int chunk)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(is) << (16 * chunk);
}

static inline int
block_read(const unsigned char *at, struct block_masks *masks, uint64_t *lead_e2,
    uint64_t *byte_80, uint64_t *byte_99, uint64_t *continuations, uint64_t *high)
{
	__m128i chunks[4];

	masks->alnum = masks->joiner = *high = 0;
	for (int i = 0; i < 4; i++) {
		__m128i bytes = chunks[i] = _mm_loadu_si128((const __m128i *)(const void *)
		    (at + 16 * i));

		/* letters: (byte | 0x20) - 'a' below 26; digits: byte - '0' below 10 */
		masks->alnum |= chunk_bits(_mm_or_si128(bytes_below(_mm_or_si128(bytes,
		    _mm_set1_epi8(0x20)), (char)(0x80 - 'a'), 26),
		    bytes_below(bytes, (char)(0x80 - '0'), 10)), i);
		masks->joiner |= chunk_bits(_mm_or_si128(_mm_cmpeq_epi8(bytes,
		    _mm_set1_epi8('\'')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('-'))), i);
		*high |= chunk_bits(bytes, i);
	}
	if (*high == 0)
		return 0;
	*lead_e2 = *byte_80 = *byte_99 = *continuations = 0;
	for (int i = 0; i < 4; i++) {
		*lead_e2 |= chunk_bits(_mm_cmpeq_epi8(chunks[i], _mm_set1_epi8((char)0xE2)), i);
		*byte_80 |= chunk_bits(_mm_cmpeq_epi8(chunks[i], _mm_set1_epi8((char)0x80)), i);
		*byte_99 |= chunk_bits(_mm_cmpeq_epi8(chunks[i], _mm_set1_epi8((char)0x99)), i);
		/* 0x80-0xBF: as signed bytes, below (char)0xC0 */
		*continuations |= chunk_bits(_mm_cmpgt_epi8(_mm_set1_epi8((char)0xC0),
		    chunks[i]), i);
	}
	return 1;
}
#else
static inline int
block_read(const unsigned char *at, struct block_masks *masks, uint64_t *lead_e2,
    uint64_t *byte_80, uint64_t *byte_99, uint64_t *continuations, uint64_t *high)
{
	*masks = (struct block_masks){ 0 };
	*lead_e2 = *byte_80 = *byte_99 = *continuations = *high = 0;
	for (int i = 0; i < BLOCK_BYTES; i++) {
		uint64_t bit = 1ULL << i;

		masks->alnum |= ascii_is_alnum(at[i]) ? bit : 0;
		masks->joiner |= at[i] == '\'' || at[i] == '-' ? bit : 0;
		*high |= at[i] >= 0x80 ? bit : 0;
		*continuations |= at[i] >= 0x80 && at[i] < 0xC0 ? bit : 0;
		*lead_e2 |= at[i] == 0xE2 ? bit : 0;
		*byte_80 |= at[i] == 0x80 ? bit : 0;
		*byte_99 |= at[i] == 0x99 ? bit : 0;
	}
	return *high != 0;
}
#endif

/* The masks of the 64 bytes at `at`; 0 when one of them needs count_character. */
static inline int
block_classify(const unsigned char *at, struct block_masks *masks)
{
	uint64_t lead, byte_80, byte_99, continuations, high, apostrophes;

	if (!block_read(at, masks, &lead, &byte_80, &byte_99, &continuations, &high))
		return 1;
	/* every high byte in a whole E2 80 xx (xx a continuation byte) in the block */
	if ((lead >> (BLOCK_BYTES - 2)) != 0 || high != (lead | lead << 1 | lead << 2) ||
	    (lead << 1 & ~byte_80) != 0 || (lead << 2 & ~continuations) != 0)
		return 0;
	apostrophes = lead & byte_99 >> 2;	/* U+2019 */
	masks->joiner |= apostrophes | apostrophes << 1 | apostrophes << 2;
	return 1;
}

/*
 * The words that start among 64 bytes, added to *words, and *in_word updated; 0 when the
 * block needs count_character. A byte is in a word when it is alnum, or a joiner after a
 * byte in a word: the carries of alnum + (alnum | joiner) + *in_word, exactly (a carry is
 * made at an alnum bit, passed on through a joiner bit, lost at any other), so a word starts
 * at each alnum bit no carry reaches.
 */
static inline int
block_words(const unsigned char *at, int *in_word, size_t *words)
{
	struct block_masks masks;
	uint64_t either, sum, carried_in;
	int carry;

	if (!block_classify(at, &masks))
		return 0;
	either = masks.alnum | masks.joiner;
	sum = either + masks.alnum;
	carry = sum < either;
	sum += (uint64_t)(*in_word != 0);
	carry |= sum < (uint64_t)(*in_word != 0);
	carried_in = sum ^ either ^ masks.alnum;	/* bit i: byte i - 1 is in a word */
	*words += bits_set(masks.alnum & ~carried_in);
	*in_word = carry;
	return 1;
}

/* One character at `at` (before end) read into *words and *in_word; returns the next. */
static const unsigned char *
count_character(const unsigned char *at, const unsigned char *end, int *in_word,
    size_t *words)
{
	utf8proc_int32_t code_point;
	utf8proc_ssize_t size;

	if (*at < 0x80) {
		if (ascii_is_alnum(*at)) {
			*words += !*in_word;
			*in_word = 1;
		} else	/* ' and - continue a word (in_word stays); anything else ends it */
			*in_word = *in_word && (*at == '\'' || *at == '-');
		return at + 1;
	}
	size = utf8proc_iterate(at, end - at, &code_point);
	if (size <= 0)
		return at + 1;
	if ((code_point >= 0x3040 && code_point <= 0x30ff) ||
	    (code_point >= 0x3400 && code_point <= 0x9fff) ||
	    (code_point >= 0xf900 && code_point <= 0xfaff)) {
		(*words)++;
		*in_word = 0;
		return at + size;
	}
	switch (utf8proc_category(code_point)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		*words += !*in_word;
		*in_word = 1;
		break;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		break;	/* combining marks continue a word (Devanagari vowel signs) */
	default:
		/* U+2019 inside a word ("don’t") keeps it one word */
		*in_word = *in_word && code_point == 0x2019;
	}
	return at + size;
}

/*
 * Count words: runs of letters, digits or marks; each Han or kana character is a word. 64
 * bytes a step while they are ASCII or general punctuation (the last bytes through a padded
 * copy), else those 64 bytes a character at a time.
 */
size_t
count_words(const char *text, size_t length)
{
	const unsigned char *at = (const unsigned char *)text, *end = at + length;
	size_t words = 0;
	int in_word = 0;

	while (at < end) {
		size_t left = (size_t)(end - at), step = left < BLOCK_BYTES ? left : BLOCK_BYTES;
		const unsigned char *stop = at + step;
		unsigned char padded[BLOCK_BYTES];

		if (count_words_block_steps) {
			const unsigned char *block = at;

			if (step < BLOCK_BYTES) {	/* NUL bytes after: in no word */
				memset(padded, 0, sizeof padded);
				block = memcpy(padded, at, step);
			}
			if (block_words(block, &in_word, &words)) {
				at = stop;
				continue;
			}
		}
		while (at < stop)
			at = count_character(at, end, &in_word, &words);
	}
	return words;
}

/*
 * Is text certainly in NFC already? True when every character is below U+0300 (no combining
 * marks, no decompositions NFC would change) or is general punctuation or a currency sign
 * (dashes, quotes, ellipsis, euro): the usual news text, spared utf8proc's full pass. Reads
 * length bytes; false at a NUL among them (utf8proc then measures the text to it).
 */
static int
is_surely_nfc(const char *text, size_t length)
{
	const unsigned char *at = (const unsigned char *)text;
	const unsigned char *end = at + length;

	while (at < end) {
		if ((at += ascii_span((const char *)at, (size_t)(end - at), 0x01, 0x7f)) == end)
			break;
		if (*at == '\0')
			return 0;	/* normalize_nfc_length measures the text to it */
		if (*at < 0xcc) {
			at++;	/* ASCII, continuation bytes, and lead bytes below U+0300 */
			continue;
		}
		if (at[0] == 0xe2 && (at[1] == 0x80 || at[1] == 0x81 || at[1] == 0x82)) {
			unsigned code_point = 0x2000 | (unsigned)(at[1] & 0x3f) << 6 |
			    (unsigned)(at[2] & 0x3f);

			if ((code_point >= 0x2010 && code_point <= 0x2027) ||
			    (code_point >= 0x2030 && code_point <= 0x205e) ||
			    (code_point >= 0x20a0 && code_point <= 0x20c0)) {
				at += 3;
				continue;
			}
		}
		return 0;
	}
	return 1;
}

/*
 * normalize_nfc() of text whose length (strlen) the caller knows, in *length; *length is then
 * the result's. Text holding a NUL before *length is measured to it, as normalize_nfc reads it.
 */
char *
normalize_nfc_length(char *text, size_t *length)
{
	utf8proc_uint8_t *composed = NULL;
	utf8proc_ssize_t composed_length;

	if (is_surely_nfc(text, *length))
		return text;
	composed_length = utf8proc_map((const utf8proc_uint8_t *)text, 0, &composed,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (composed_length < 0) {
		*length = strlen(text);
		return text;
	}
	free(text);
	*length = (size_t)composed_length;
	return (char *)composed;
}

/* Unicode NFC; takes ownership of text. Text that is not valid UTF-8 is kept as it is. */
char *
normalize_nfc(char *text)
{
	size_t length = strlen(text);

	return normalize_nfc_length(text, &length);
}

/* Paragraph breaks become spaces, in place: for one-line renderings. (strchr steps over
 * the text between two breaks many bytes at a time.) */
void
flatten_newlines(char *text)
{
	while ((text = strchr(text, '\n')) != NULL)
		*text++ = ' ';
}

/*
 * Collapse runs of spaces to one and trim both ends, in place. Returns the new length. Text
 * with nothing to do (no space at either end, no two in a row: the builder's output, a
 * cleaned summary) is only measured and searched, without the byte-by-byte copy.
 */
size_t
collapse_spaces(char *text)
{
	size_t length = strlen(text);
	char *read = text, *write = text;

	if (length == 0 || (text[0] != ' ' && text[length - 1] != ' ' &&
	    memmem(text, length, "  ", 2) == NULL))
		return length;

	while (*read == ' ')
		read++;
	for (; *read != '\0'; read++) {
		if (*read == ' ' && (read[1] == ' ' || read[1] == '\0'))
			continue;
		*write++ = *read;
	}
	*write = '\0';
	return (size_t)(write - text);
}
