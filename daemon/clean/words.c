/*
 * words.c - word counts (letters, digits, marks; each Han or kana character a word), Unicode
 * NFC with utf8proc (skipped for text that is surely NFC already) and white-space folding.
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

#define BYTES_OF(byte)	(0x0101010101010101ULL * (byte))
#define HIGH_BITS	BYTES_OF(0x80)

/* Is there a zero byte in word? (Exact as a yes or no; which byte, not needed here.) */
static inline uint64_t
has_zero_byte(uint64_t word)
{
	return (word - BYTES_OF(0x01)) & ~word & HIGH_BITS;
}

/* The high bit of each byte of word (every byte below 0x80) that is in [from, to]. */
static inline uint64_t
bytes_in_range(uint64_t word, unsigned from, unsigned to)
{
	return (word + BYTES_OF(0x80 - from)) & ~(word + BYTES_OF(0x7f - to)) & HIGH_BITS;
}

/*
 * Eight bytes of plain ASCII with no ' or - (which may continue a word): the words that
 * start among them (a letter or digit after a byte that is neither, or after in_word false
 * for the first), added to *words; returns whether the last byte is in a word, or -1 when
 * the bytes are not plain and must be read one by one.
 */
static inline int
count_block(const unsigned char *at, int in_word, size_t *words)
{
	uint64_t word, alnum, starts;

	memcpy(&word, at, sizeof word);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	word = __builtin_bswap64(word);
#endif
	if (((word & HIGH_BITS) | has_zero_byte(word ^ BYTES_OF('\'')) |
	    has_zero_byte(word ^ BYTES_OF('-'))) != 0)
		return -1;
	alnum = bytes_in_range(word | BYTES_OF(0x20), 'a', 'z') |
	    bytes_in_range(word, '0', '9');
	starts = alnum & ~(alnum << 8 | (in_word ? 0x80 : 0));
	*words += (size_t)(((starts >> 7) * BYTES_OF(0x01)) >> 56);
	return (int)(alnum >> 63);
}

#ifdef __SSE2__
#define B2(n)	n, n + 1, n + 1, n + 2
#define B4(n)	B2(n), B2(n + 1), B2(n + 1), B2(n + 2)
#define B6(n)	B4(n), B4(n + 1), B4(n + 1), B4(n + 2)
static const unsigned char bits_in_byte[256] = { B6(0), B6(1), B6(1), B6(2) };

static inline __m128i
bytes_between(__m128i bytes, char low, char high)
{
	return _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8((char)(low - 1))),
	    _mm_cmpgt_epi8(_mm_set1_epi8((char)(high + 1)), bytes));
}

/* count_block for sixteen bytes, with SSE2 compares and one bit a byte. */
static inline int
count_block16(const unsigned char *at, int in_word, size_t *words)
{
	__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)at);
	unsigned alnum, starts;

	if ((_mm_movemask_epi8(bytes) | _mm_movemask_epi8(_mm_or_si128(
	    _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\'')),
	    _mm_cmpeq_epi8(bytes, _mm_set1_epi8('-'))))) != 0)
		return -1;
	alnum = (unsigned)_mm_movemask_epi8(_mm_or_si128(
	    bytes_between(_mm_or_si128(bytes, _mm_set1_epi8(0x20)), 'a', 'z'),
	    bytes_between(bytes, '0', '9')));
	starts = alnum & ~(alnum << 1 | (unsigned)(in_word != 0));
	*words += bits_in_byte[starts & 0xff] + bits_in_byte[starts >> 8];
	return (int)(alnum >> 15);
}
#endif

/* Count words: runs of letters, digits or marks; each Han or kana character is a word. */
size_t
count_words(const char *text, size_t length)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)text;
	const utf8proc_uint8_t *end = at + length;
	const utf8proc_uint8_t *retry = at;	/* no block step before */
	size_t words = 0;
	int in_word = 0;

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;
		int block;

		/* prose: sixteen or eight bytes a step while they are plain ASCII (after a
		 * block that was not, the next try eight bytes on: other scripts cost little) */
		if (at >= retry && end - at >= 8) {
#ifdef __SSE2__
			if (end - at >= 16 && (block = count_block16(at, in_word, &words)) >= 0) {
				in_word = block;
				at += 16;
				continue;
			}
#endif
			if ((block = count_block(at, in_word, &words)) >= 0) {
				in_word = block;
				at += 8;
				continue;
			}
			retry = at + 8;
		}
		if (*at < 0x80) {
			if (ascii_is_alnum(*at)) {
				words += !in_word;
				in_word = 1;
				do
					at++;
				while (at < end && ascii_is_alnum(*at));
				continue;
			}
			/* ' and - continue a word (in_word stays); anything else ends it */
			in_word = in_word && (*at == '\'' || *at == '-');
			at++;
			continue;
		}
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0) {
			at++;
			continue;
		}
		at += size;
		if ((code_point >= 0x3040 && code_point <= 0x30ff) ||
		    (code_point >= 0x3400 && code_point <= 0x9fff) ||
		    (code_point >= 0xf900 && code_point <= 0xfaff)) {
			words++;
			in_word = 0;
			continue;
		}
		switch (utf8proc_category(code_point)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
		case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
			if (!in_word)
				words++;
			in_word = 1;
			break;
		case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
			break;	/* combining marks continue a word (Devanagari vowel signs) */
		default:
			/* U+2019 inside a word ("don’t") keeps it one word */
			in_word = in_word && code_point == 0x2019;
		}
	}
	return words;
}

/*
 * Is text certainly in NFC already? True when every character is below U+0300 (no combining
 * marks, no decompositions NFC would change) or is general punctuation or a currency sign
 * (dashes, quotes, ellipsis, euro): the usual news text, spared utf8proc's full pass.
 */
static int
is_surely_nfc(const char *text)
{
	const unsigned char *at = (const unsigned char *)text;
	const unsigned char *end = at + strlen(text);

	while (at < end) {
		if ((at += ascii_span((const char *)at, (size_t)(end - at), 0x01, 0x7f)) == end)
			break;
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

/* Unicode NFC; takes ownership of text. Text that is not valid UTF-8 is kept as it is. */
char *
normalize_nfc(char *text)
{
	utf8proc_uint8_t *composed = NULL;
	utf8proc_ssize_t length;

	if (is_surely_nfc(text))
		return text;
	length = utf8proc_map((const utf8proc_uint8_t *)text, 0, &composed,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (length < 0)
		return text;
	free(text);
	return (char *)composed;
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
