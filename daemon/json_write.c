/*
 * json_write.c - compact JSON from a jansson value (see json_write.h): strings copied in
 * runs and checked as UTF-8 as they are written, numbers and literals as jansson writes
 * them, reals in their shortest exact form; and the same pieces one by one, for outputs
 * written without a tree (the article message, article_json.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "json_write.h"

#define BYTES_OF(byte)	(0x0101010101010101ULL * (byte))

static int	 write_value(const json_t *value, struct buffer *out);

/* Append bytes; the NUL the buffer promises is written once, at the end of json_write(). */
static inline void
put(struct buffer *out, const void *data, size_t length)
{
	json_write_raw(data, length, out);
}

/*
 * True when none of the eight bytes of word needs a look: no control character, no '"' or
 * '\\', no byte of a multi-byte character.  (The classic "has a byte less than n" and "has
 * a zero byte" tests; exact, as every byte at or above 0x80 is caught by the first term.)
 */
static inline uint64_t
word_attention(uint64_t word)
{
	uint64_t quotes = word ^ BYTES_OF('"'), backslashes = word ^ BYTES_OF('\\');
	uint64_t attention = word |
	    ((word - BYTES_OF(0x20)) & ~word) |
	    ((quotes - BYTES_OF(0x01)) & ~quotes) |
	    ((backslashes - BYTES_OF(0x01)) & ~backslashes);

	return attention & BYTES_OF(0x80);
}

static inline int
word_is_plain(uint64_t word)
{
	return word_attention(word) == 0;
}

static int
byte_is_plain(unsigned char byte)
{
	return byte >= 0x20 && byte < 0x80 && byte != '"' && byte != '\\';
}

#ifdef __SSE2__
/* One bit for each of the sixteen bytes at text that needs a look (signed compares: bytes
 * from 0x80 are below 0x20). */
static inline unsigned
look_16(const unsigned char *text)
{
	__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)text);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(
	    _mm_cmpgt_epi8(_mm_set1_epi8(0x20), bytes),
	    _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')))));
}
#endif

/*
 * The first byte at or after position that needs a look, or length: sixteen bytes a step
 * with SSE2 where the compiler targets it, the string's last sixteen read at once (the
 * bytes before position masked off); in a string of fewer than sixteen (or without SSE2),
 * eight a step and the last eight at once, and one by one where those are not all plain
 * or the string is shorter than eight.
 */
static size_t
plain_run_end(const unsigned char *text, size_t position, size_t length)
{
	uint64_t word, attention;

	if (position >= length)
		return length;
#ifdef __SSE2__
	if (length >= 16) {
		unsigned look;

		while (position + 16 <= length) {
			if ((look = look_16(text + position)) != 0)
				return position + (unsigned)__builtin_ctz(look);
			position += 16;
		}
		if (position == length)
			return length;
		look = look_16(text + length - 16) >> (position - (length - 16));
		return look != 0 ? position + (unsigned)__builtin_ctz(look) : length;
	}
#endif
	if (length >= 8) {
		while (position + 8 <= length) {
			memcpy(&word, text + position, 8);
			if ((attention = word_attention(word)) != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* the lowest byte marked is exact: a false mark needs a borrow
				 * from a marked byte below it */
				return position + (size_t)__builtin_ctzll(attention) / 8;
#else
				break;
#endif
			}
			position += 8;
		}
		if (position + 8 > length && position < length) {
			/* the last eight: when they mark nothing (those before position
			 * included), all are plain */
			memcpy(&word, text + length - 8, 8);
			if (word_attention(word) == 0)
				return length;
		}
	}
	while (position < length && byte_is_plain(text[position]))
		position++;
	return position;
}

/*
 * The length of the well-formed UTF-8 character at text (RFC 3629, table 3-7 of Unicode:
 * no overlong forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_character_length(const unsigned char *text, size_t available)
{
	unsigned char lead = text[0], low = 0x80, high = 0xBF;
	size_t size;

	if (lead >= 0xC2 && lead <= 0xDF)
		size = 2;
	else if (lead >= 0xE0 && lead <= 0xEF) {
		size = 3;
		low = lead == 0xE0 ? 0xA0 : 0x80;
		high = lead == 0xED ? 0x9F : 0xBF;
	} else if (lead >= 0xF0 && lead <= 0xF4) {
		size = 4;
		low = lead == 0xF0 ? 0x90 : 0x80;
		high = lead == 0xF4 ? 0x8F : 0xBF;
	} else
		return 0;
	if (available < size || text[1] < low || text[1] > high)
		return 0;
	for (size_t i = 2; i < size; i++)
		if ((text[i] & 0xC0) != 0x80)
			return 0;
	return size;
}

static void
write_escape(unsigned char byte, struct buffer *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char escape[6] = { '\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 0x0F] };

	switch (byte) {
	case '"':  put(out, "\\\"", 2); return;
	case '\\': put(out, "\\\\", 2); return;
	case '\b': put(out, "\\b", 2); return;
	case '\f': put(out, "\\f", 2); return;
	case '\n': put(out, "\\n", 2); return;
	case '\r': put(out, "\\r", 2); return;
	case '\t': put(out, "\\t", 2); return;
	default:   put(out, escape, sizeof escape); return;
	}
}

/*
 * The bytes of a string shorter than sixteen as one word for word_attention: its first and
 * last eight bytes (overlapping) from eight on, its first and last four from four on, its
 * first, middle and last byte below that; the word's other bytes plain ('a').
 */
static inline uint64_t
short_attention(const unsigned char *text, size_t length)
{
	uint64_t first, last;
	uint32_t low, high;

	if (length >= 8) {
		memcpy(&first, text, 8);
		memcpy(&last, text + length - 8, 8);
		return word_attention(first) | word_attention(last);
	}
	if (length >= 4) {
		memcpy(&low, text, 4);
		memcpy(&high, text + length - 4, 4);
		return word_attention((uint64_t)low | (uint64_t)high << 32);
	}
	if (length == 0)
		return 0;
	return word_attention((BYTES_OF('a') & ~0xFFFFFFULL) | text[0] |
	    (uint64_t)text[length / 2] << 8 | (uint64_t)text[length - 1] << 16);
}

/*
 * A string shorter than sixteen bytes that needs no escape and holds no multi-byte character
 * (a name, a type, a keyword: most strings of a message), written quoted with the same
 * overlapping loads and stores, without a call; 0 when it is not such a string (nothing
 * written).
 */
static inline int
write_short_plain(const unsigned char *text, size_t length, struct buffer *out)
{
	unsigned char *at;

	if (length >= 16 || short_attention(text, length) != 0)
		return 0;
	if (out->length + length + 3 > out->capacity)
		buffer_reserve(out, length + 2);
	at = (unsigned char *)out->data + out->length;
	at[0] = '"';
	if (length >= 8) {
		memcpy(at + 1, text, 8);
		memcpy(at + 1 + length - 8, text + length - 8, 8);
	} else if (length >= 4) {
		memcpy(at + 1, text, 4);
		memcpy(at + 1 + length - 4, text + length - 4, 4);
	} else if (length > 0) {
		at[1] = text[0];
		at[1 + length / 2] = text[length / 2];
		at[length] = text[length - 1];
	}
	at[length + 1] = '"';
	out->length += length + 2;
	return 1;
}

static int
write_string(const char *string, size_t length, struct buffer *out)
{
	const unsigned char *text = (const unsigned char *)string;
	size_t run_start = 0, position = 0, size;

	if (write_short_plain(text, length, out))
		return 0;
	put(out, "\"", 1);
	while ((position = plain_run_end(text, position, length)) < length) {
		if (text[position] >= 0x80) {
			if ((size = utf8_character_length(text + position, length - position)) == 0)
				return -1;
			position += size;
			continue;
		}
		put(out, text + run_start, position - run_start);
		write_escape(text[position], out);
		run_start = ++position;
	}
	put(out, text + run_start, length - run_start);
	put(out, "\"", 1);
	return 0;
}

int
json_write_string(const char *string, struct buffer *out)
{
	return write_string(string, strlen(string), out);
}

int
json_write_string_length(const char *string, size_t length, struct buffer *out)
{
	return write_string(string, length, out);
}

static void
write_integer(json_int_t value, struct buffer *out)
{
	char digits[24];
	size_t start = sizeof digits;
	unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value :
	    (unsigned long long)value;

	do
		digits[--start] = (char)('0' + magnitude % 10);
	while ((magnitude /= 10) != 0);
	if (value < 0)
		digits[--start] = '-';
	put(out, digits + start, sizeof digits - start);
}

/*
 * A value that is a decimal of at most three places below 1e9 in magnitude (the rounded
 * shares and scores of a message) written from its digits: the text the %.*g loop of
 * write_real() gives it (k / 1000 reads back as value, and 15 digits show it whole, in plain
 * notation from 0.001 up), without a snprintf() and a strtod(). 0 for any other value.
 */
static size_t
short_decimal(double value, char *text)
{
	long long k;
	unsigned long long magnitude, whole;
	unsigned fraction;
	size_t length = 0;
	char digits[24];
	size_t start = sizeof digits;

	if (!(value > -1e9 && value < 1e9))
		return 0;
	k = llround(value * 1000.0);
	if ((double)k / 1000.0 != value)
		return 0;
	if (signbit(value))
		text[length++] = '-';
	magnitude = k < 0 ? 0ULL - (unsigned long long)k : (unsigned long long)k;
	whole = magnitude / 1000;
	fraction = (unsigned)(magnitude % 1000);
	do
		digits[--start] = (char)('0' + whole % 10);
	while ((whole /= 10) != 0);
	memcpy(text + length, digits + start, sizeof digits - start);
	length += sizeof digits - start;
	text[length++] = '.';
	text[length++] = (char)('0' + fraction / 100);
	if (fraction % 100 != 0)
		text[length++] = (char)('0' + fraction / 10 % 10);
	if (fraction % 10 != 0)
		text[length++] = (char)('0' + fraction % 10);
	return length;
}

/* The fewest significant digits (15 to 17) that read back as value, always with a '.' or
 * an exponent so that it reads back as a real. */
static int
write_real(double value, struct buffer *out)
{
	char text[40];
	size_t length;

	if (!isfinite(value))
		return -1;
	if ((length = short_decimal(value, text)) > 0) {
		put(out, text, length);
		return 0;
	}
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof text, "%.*g", digits, value);
		if (strtod(text, NULL) == value)
			break;
	}
	if (strpbrk(text, ".eE") == NULL)
		strcat(text, ".0");
	put(out, text, strlen(text));
	return 0;
}

void
json_write_end(struct buffer *out)
{
	buffer_reserve(out, 0);
	out->data[out->length] = '\0';
}

int
json_write(const json_t *value, struct buffer *out)
{
	int result = write_value(value, out);

	json_write_end(out);
	return result;
}

void
json_write_integer(json_int_t value, struct buffer *out)
{
	write_integer(value, out);
}

int
json_write_real(double value, struct buffer *out)
{
	return write_real(value, out);
}

static int
write_object(const json_t *object, struct buffer *out)
{
	const char *key;
	json_t *member;
	int first = 1;

	put(out, "{", 1);
	json_object_foreach((json_t *)object, key, member) {
		if (!first)
			put(out, ",", 1);
		first = 0;
		if (write_string(key, strlen(key), out) == -1)
			return -1;
		put(out, ":", 1);
		if (write_value(member, out) == -1)
			return -1;
	}
	put(out, "}", 1);
	return 0;
}

static int
write_array(const json_t *array, struct buffer *out)
{
	put(out, "[", 1);
	for (size_t index = 0; index < json_array_size(array); index++) {
		if (index > 0)
			put(out, ",", 1);
		if (write_value(json_array_get(array, index), out) == -1)
			return -1;
	}
	put(out, "]", 1);
	return 0;
}

static int
write_value(const json_t *value, struct buffer *out)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return write_object(value, out);
	case JSON_ARRAY:
		return write_array(value, out);
	case JSON_STRING:
		return write_string(json_string_value(value), json_string_length(value), out);
	case JSON_INTEGER:
		write_integer(json_integer_value(value), out);
		return 0;
	case JSON_REAL:
		return write_real(json_real_value(value), out);
	case JSON_TRUE:
		put(out, "true", 4);
		return 0;
	case JSON_FALSE:
		put(out, "false", 5);
		return 0;
	case JSON_NULL:
	default:
		put(out, "null", 4);
		return 0;
	}
}

json_t *
json_string_or_null(const char *text)
{
	return text != NULL ? json_string(text) : json_null();
}

json_t *
json_time_or_null(time_t when)
{
	char stamp[21];

	if (when == 0)
		return json_null();
	time_format_rfc3339(when, stamp);
	return json_string_nocheck(stamp);	/* digits and punctuation */
}
