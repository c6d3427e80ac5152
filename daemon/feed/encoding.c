/*
 * encoding.c - turn the bytes a server sent into the UTF-8 the rest of the parser works on,
 * a piece at a time (feed_decoder_next), so no decoded copy of the whole document is made.
 *
 * Order of evidence: a byte order mark (UTF-8/16/32), the UTF-16/32 shape of "<?", the XML
 * declaration's encoding, the charset of the HTTP Content-Type, then UTF-8. Two mislabellings
 * are common enough to undo: text labelled UTF-8 (or not labelled) that is really
 * windows-1252 (invalid UTF-8 and not one valid multi-byte sequence), and text labelled
 * ISO-8859-1 / windows-1252 that is really UTF-8 (valid, with multi-byte sequences). As the
 * WHATWG encoding standard does, ISO-8859-1 and US-ASCII are read as windows-1252. Other
 * charsets go through iconv(3). The output is always valid UTF-8: undecodable input becomes
 * U+FFFD, and C0 controls that XML forbids are dropped. C1 code points (U+0080-U+009F, never
 * meant as such) are read as the windows-1252 characters of those bytes, as feedparser does.
 *
 * The body stays where the caller has it. Each step decodes about feed_stream_chunk_size
 * bytes of it: a UTF-8 sequence that straddles the step's end is finished from the body, and
 * iconv is given the rest of the body with an output buffer of one chunk, so a character (or
 * a stateful encoding's shift) never meets an artificial end. Valid UTF-8 is handed out as
 * pieces of the body itself, not copied; other encodings, and replacement characters, go
 * through a scratch buffer of a chunk or so. The mislabelling checks read ahead in the body:
 * text that is ASCII so far decodes the same either way, so the check runs only from the
 * first byte that tells the two apart. feed_decoder_peek keeps the start of the decoded text
 * for looking at (format detection) before it is handed out, copying no more of a piece of
 * the body than it was asked for.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "feed_internal.h"

size_t feed_stream_chunk_size = FEED_STREAM_CHUNK;

/* windows-1252 0x80-0x9F; 0 marks the five undefined bytes. */
static const unsigned short windows_1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178
};

#define REPLACEMENT_CHARACTER 0xFFFD

static void
append_codepoint(struct buffer *out, unsigned codepoint)
{
	unsigned char bytes[4];
	size_t length;

	if (codepoint < 0x20 && codepoint != '\t' && codepoint != '\n' && codepoint != '\r')
		return;		/* not allowed in XML 1.0; never useful in a feed */
	if (codepoint >= 0x80 && codepoint < 0xA0 && windows_1252_high[codepoint - 0x80] != 0)
		codepoint = windows_1252_high[codepoint - 0x80];	/* C1 meant as windows-1252 */
	if (codepoint == 0xFFFE || codepoint == 0xFFFF ||
	    (codepoint >= 0xD800 && codepoint <= 0xDFFF) || codepoint > 0x10FFFF)
		codepoint = REPLACEMENT_CHARACTER;
	if (codepoint < 0x80) {
		bytes[0] = (unsigned char)codepoint;
		length = 1;
	} else if (codepoint < 0x800) {
		bytes[0] = (unsigned char)(0xC0 | (codepoint >> 6));
		bytes[1] = (unsigned char)(0x80 | (codepoint & 0x3F));
		length = 2;
	} else if (codepoint < 0x10000) {
		bytes[0] = (unsigned char)(0xE0 | (codepoint >> 12));
		bytes[1] = (unsigned char)(0x80 | ((codepoint >> 6) & 0x3F));
		bytes[2] = (unsigned char)(0x80 | (codepoint & 0x3F));
		length = 3;
	} else {
		bytes[0] = (unsigned char)(0xF0 | (codepoint >> 18));
		bytes[1] = (unsigned char)(0x80 | ((codepoint >> 12) & 0x3F));
		bytes[2] = (unsigned char)(0x80 | ((codepoint >> 6) & 0x3F));
		bytes[3] = (unsigned char)(0x80 | (codepoint & 0x3F));
		length = 4;
	}
	buffer_append(out, bytes, length);
}

/*
 * Length of the well-formed UTF-8 sequence at text (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 if it is not one. *codepoint gets its value.
 */
static size_t
utf8_sequence(const unsigned char *text, size_t remaining, unsigned *codepoint)
{
	unsigned value;
	size_t length;

	if (text[0] < 0x80) {
		*codepoint = text[0];
		return 1;
	}
	if (text[0] >= 0xC2 && text[0] <= 0xDF) {
		length = 2;
		value = text[0] & 0x1F;
	} else if (text[0] >= 0xE0 && text[0] <= 0xEF) {
		length = 3;
		value = text[0] & 0x0F;
	} else if (text[0] >= 0xF0 && text[0] <= 0xF4) {
		length = 4;
		value = text[0] & 0x07;
	} else
		return 0;
	if (remaining < length)
		return 0;
	for (size_t i = 1; i < length; i++) {
		if ((text[i] & 0xC0) != 0x80)
			return 0;
		value = (value << 6) | (text[i] & 0x3F);
	}
	if ((length == 3 && (value < 0x800 || (value >= 0xD800 && value <= 0xDFFF))) ||
	    (length == 4 && (value < 0x10000 || value > 0x10FFFF)))
		return 0;
	*codepoint = value;
	return length;
}

/* Bytes from position on that are printable ASCII (0x20..0x7F), counted 16 or 8 at a time. */
static size_t
ascii_run(const unsigned char *text, size_t size, size_t position)
{
	const uint64_t high = 0x8080808080808080ULL, spaces = 0x2020202020202020ULL;
	size_t start = position;
	uint64_t word;

#ifdef __SSE2__
	/* as signed bytes, 0x80..0xFF and 0x00..0x1F are exactly those below 0x20 */
	const __m128i space = _mm_set1_epi8(0x20);

	while (position + 16 <= size) {
		__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(text + position));
		int stops = _mm_movemask_epi8(_mm_cmplt_epi8(bytes, space));

		if (stops != 0)
			return position + (size_t)__builtin_ctz((unsigned)stops) - start;
		position += 16;
	}
#endif
	while (position + 8 <= size) {
		memcpy(&word, text + position, 8);
		/* a byte with its high bit set, or (being ASCII) below 0x20, ends the run */
		if ((word & high) != 0 || ((word - spaces) & ~word & high) != 0)
			break;
		position += 8;
	}
	while (position < size && text[position] >= 0x20 && text[position] < 0x80)
		position++;
	return position - start;
}

/*
 * Does text from position on hold a valid multi-byte sequence (stop_at_invalid 0), or, with
 * stop_at_invalid, no invalid byte? The survey the mislabelling rules need, from the first
 * byte where the answer can matter (everything before it is ASCII and counts for neither).
 */
static int
utf8_survey_from(const unsigned char *text, size_t size, size_t position, int stop_at_invalid)
{
	unsigned codepoint;

	while (position < size) {
		size_t length;

		position += ascii_run(text, size, position);
		if (position >= size)
			break;
		length = utf8_sequence(text + position, size - position, &codepoint);
		if (length == 0) {
			if (stop_at_invalid)
				return 0;
			position++;
		} else {
			if (length > 1 && !stop_at_invalid)
				return 1;
			position += length;
		}
	}
	return stop_at_invalid;
}

/* Would append_codepoint() write this code point as it is? */
static int
codepoint_passes(unsigned codepoint)
{
	return (codepoint >= 0x20 || codepoint == '\t' || codepoint == '\n' || codepoint == '\r') &&
	    (codepoint < 0x80 || codepoint >= 0xA0) && codepoint != 0xFFFE && codepoint != 0xFFFF;
}

/*
 * Copy UTF-8 through, replacing what is invalid (used on iconv's output). Runs of bytes that
 * pass unchanged are appended whole, not code point by code point.
 */
static void
decode_utf8(const unsigned char *text, size_t size, struct buffer *out)
{
	size_t position = 0, run_start = 0;
	unsigned codepoint;

	if (size == 0)
		return;		/* text may be NULL (an empty iconv result): no pointer arithmetic */
	while (position < size) {
		size_t length;

		position += ascii_run(text, size, position);
		if (position >= size)
			break;
		length = utf8_sequence(text + position, size - position, &codepoint);
		if (length != 0 && codepoint_passes(codepoint)) {
			position += length;
			continue;
		}
		buffer_append(out, text + run_start, position - run_start);
		if (length == 0) {
			/* one U+FFFD per maximal invalid run start, as the Unicode standard advises */
			append_codepoint(out, REPLACEMENT_CHARACTER);
			position++;
			while (position < size && (text[position] & 0xC0) == 0x80)
				position++;
		} else {
			append_codepoint(out, codepoint);
			position += length;
		}
		run_start = position;
	}
	buffer_append(out, text + run_start, position - run_start);
}

enum decode_mode {
	MODE_UTF8,		/* UTF-8, invalid sequences replaced */
	MODE_PROBABLY_UTF8,	/* unlabelled or labelled UTF-8: windows-1252 if evidently so */
	MODE_WINDOWS_1252,
	MODE_ICONV
};

struct feed_decoder {
	const unsigned char *body;
	size_t		 size;
	size_t		 position;	/* next body byte to decode */
	enum decode_mode mode;
	int		 seen_multibyte;	/* MODE_PROBABLY_UTF8: so it stays UTF-8 */
	iconv_t		 converter;
	size_t		 unit;		/* iconv: bytes skipped past an invalid sequence */
	char		*converted;	/* iconv: raw output of one step */
	size_t		 converted_size;
	struct buffer	 scratch;	/* decoded text of one step when it is not the body's */
	struct buffer	 head;		/* decoded text peeked at and not yet handed out */
	size_t		 head_position;
	unsigned	 problems;	/* FEED_PROBLEM_* met while decoding */
};

static size_t replace_sequence(struct feed_decoder *decoder, const char **piece);

/* End of the body bytes one step may decode. */
static size_t
step_end(const struct feed_decoder *decoder)
{
	size_t chunk = feed_stream_chunk_size > 0 ? feed_stream_chunk_size : 1;

	return decoder->size - decoder->position > chunk ? decoder->position + chunk :
	    decoder->size;
}

/* The first invalid byte, with no multi-byte sequence before it: is this windows-1252? */
static void
decide_probable_utf8(struct feed_decoder *decoder)
{
	decoder->mode = utf8_survey_from(decoder->body, decoder->size, decoder->position, 0) ?
	    MODE_UTF8 : MODE_WINDOWS_1252;
	if (decoder->mode == MODE_WINDOWS_1252)
		decoder->problems |= FEED_PROBLEM_MISLABELLED_CHARSET;
}

/*
 * One UTF-8 step: a run of the body that passes unchanged, or (at a sequence that does not)
 * its replacement in the scratch buffer. 0 when the step produced nothing to hand out.
 */
static size_t
step_utf8(struct feed_decoder *decoder, const char **piece)
{
	const unsigned char *body = decoder->body;
	size_t end = step_end(decoder), start = decoder->position, position = start;
	unsigned codepoint;

	while (position < end) {
		size_t length;

		position += ascii_run(body, end, position);
		if (position >= end)
			break;
		length = utf8_sequence(body + position, decoder->size - position, &codepoint);
		if (length != 0 && codepoint_passes(codepoint)) {
			decoder->seen_multibyte |= length > 1;
			position += length;
			continue;
		}
		break;
	}
	if (position > start) {
		decoder->position = position;
		*piece = (const char *)body + start;
		return position - start;
	}
	if (position >= decoder->size)
		return 0;
	return replace_sequence(decoder, piece);
}

/* The sequence at the position does not pass: its replacement (or nothing, for a control). */
static size_t
replace_sequence(struct feed_decoder *decoder, const char **piece)
{
	const unsigned char *body = decoder->body;
	size_t position = decoder->position;
	unsigned codepoint;
	size_t length = utf8_sequence(body + position, decoder->size - position, &codepoint);

	if (length == 0 && decoder->mode == MODE_PROBABLY_UTF8 && !decoder->seen_multibyte) {
		decide_probable_utf8(decoder);
		if (decoder->mode == MODE_WINDOWS_1252)
			return 0;	/* the caller steps again, as windows-1252 */
	}
	buffer_reset(&decoder->scratch);
	if (length == 0) {
		/* one U+FFFD per maximal invalid run start, as the Unicode standard advises */
		decoder->problems |= FEED_PROBLEM_INVALID_ENCODING;
		append_codepoint(&decoder->scratch, REPLACEMENT_CHARACTER);
		position++;
		while (position < decoder->size && (body[position] & 0xC0) == 0x80)
			position++;
	} else {
		decoder->seen_multibyte |= length > 1;
		if (codepoint < 0x20)	/* C1 is read as windows-1252 without complaint */
			decoder->problems |= codepoint == 0 ? FEED_PROBLEM_NUL_BYTES :
			    FEED_PROBLEM_CONTROL_CHARACTERS;
		append_codepoint(&decoder->scratch, codepoint);
		position += length;
	}
	decoder->position = position;
	*piece = decoder->scratch.data;
	return decoder->scratch.length;
}

static size_t
step_windows_1252(struct feed_decoder *decoder, const char **piece)
{
	size_t end = step_end(decoder), position = decoder->position;

	buffer_reset(&decoder->scratch);
	while (position < end) {
		size_t run = ascii_run(decoder->body, end, position);
		unsigned codepoint;

		buffer_append(&decoder->scratch, decoder->body + position, run);
		position += run;
		if (position >= end)
			break;
		codepoint = decoder->body[position++];
		if (codepoint >= 0x80 && codepoint < 0xA0) {
			codepoint = windows_1252_high[codepoint - 0x80];
			if (codepoint == 0)
				codepoint = REPLACEMENT_CHARACTER;
		} else if (!codepoint_passes(codepoint))
			decoder->problems |= codepoint == 0 ? FEED_PROBLEM_NUL_BYTES :
			    FEED_PROBLEM_CONTROL_CHARACTERS;
		append_codepoint(&decoder->scratch, codepoint);
	}
	decoder->position = position;
	*piece = decoder->scratch.data;
	return decoder->scratch.length;
}

/*
 * One iconv step, U+FFFD for what cannot be decoded: iconv is given all the rest of the body
 * (so stateful encodings and characters never meet an artificial end) and an output buffer
 * of about one chunk, which bounds the step. After an invalid sequence decoding goes on one
 * unit later; an incomplete one at the end, or less than a unit left, ends it.
 */
static size_t
step_iconv(struct feed_decoder *decoder, const char **piece)
{
	char *input = (char *)decoder->body + decoder->position;
	size_t input_left = decoder->size - decoder->position;
	char *output = decoder->converted;
	size_t output_left = decoder->converted_size;
	size_t result = iconv(decoder->converter, &input, &input_left, &output, &output_left);

	decoder->position = decoder->size - input_left;
	if (result == (size_t)-1 && errno == E2BIG && output == decoder->converted) {
		/* not one character fits: a bigger buffer, and again */
		decoder->converted_size *= 2;
		decoder->converted = xrealloc(decoder->converted, decoder->converted_size);
		return 0;
	}
	if (result == (size_t)-1 && errno != E2BIG && output_left >= 3) {
		decoder->problems |= FEED_PROBLEM_INVALID_ENCODING;
		memcpy(output, "\xEF\xBF\xBD", 3);
		output += 3;
		if (errno == EINVAL || input_left < decoder->unit)
			decoder->position = decoder->size;
		else
			decoder->position += decoder->unit;
	}
	buffer_reset(&decoder->scratch);
	decode_utf8((const unsigned char *)decoder->converted,
	    (size_t)(output - decoder->converted), &decoder->scratch);
	*piece = decoder->scratch.data;
	return decoder->scratch.length;
}

/* The next decoded piece straight from the body; 0 at its end. */
static size_t
step(struct feed_decoder *decoder, const char **piece)
{
	while (decoder->position < decoder->size) {
		size_t length;

		switch (decoder->mode) {
		case MODE_UTF8:
		case MODE_PROBABLY_UTF8:
			length = step_utf8(decoder, piece);
			break;
		case MODE_WINDOWS_1252:
			length = step_windows_1252(decoder, piece);
			break;
		case MODE_ICONV:
			length = step_iconv(decoder, piece);
			break;
		default:
			return 0;
		}
		if (length > 0)
			return length;
	}
	return 0;
}

/* Labels that mean windows-1252 in practice. */
static int
is_western_label(const char *label)
{
	static const char *const names[] = {
		"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "us-ascii",
		"ascii", "windows-1252", "cp1252", "x-cp1252", "ansi_x3.4-1968", "cp819", "ibm819",
		"iso-ir-100", "csisolatin1"
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(label, names[i]) == 0)
			return 1;
	return 0;
}

static int
is_utf8_label(const char *label)
{
	return strcasecmp(label, "utf-8") == 0 || strcasecmp(label, "utf8") == 0 ||
	    strcasecmp(label, "unicode-1-1-utf-8") == 0;
}

static int
is_wide_label(const char *label)
{
	return strncasecmp(label, "utf-16", 6) == 0 || strncasecmp(label, "utf-32", 6) == 0 ||
	    strncasecmp(label, "ucs-", 4) == 0 || strcasecmp(label, "unicode") == 0;
}

/* Copy a charset name (letters, digits, - _ . :) into label. */
static void
copy_label(const char *start, size_t length, char *label, size_t label_size)
{
	size_t used = 0;

	while (length > 0 && used + 1 < label_size && (isalnum((unsigned char)*start) ||
	    strchr("-_.:", *start) != NULL)) {
		label[used++] = *start++;
		length--;
	}
	label[used] = '\0';
}

/* encoding="..." of an XML declaration at the start of text; "" when there is none. */
static void
xml_declared_encoding(const char *text, size_t size, char *label, size_t label_size)
{
	const char *end, *attribute, *value;
	size_t position = 0;

	label[0] = '\0';
	while (position < size && isspace((unsigned char)text[position]))
		position++;
	if (size - position < 6 || strncmp(text + position, "<?xml", 5) != 0)
		return;
	text += position;
	size -= position;
	if ((end = memmem(text, size < 512 ? size : 512, "?>", 2)) == NULL)
		return;
	if ((attribute = memmem(text, (size_t)(end - text), "encoding", 8)) == NULL)
		return;
	value = attribute + 8;
	while (value < end && (isspace((unsigned char)*value) || *value == '='))
		value++;
	if (value < end && (*value == '"' || *value == '\''))
		value++;
	copy_label(value, (size_t)(end - value), label, label_size);
}

/* charset=... of a Content-Type; "" when there is none. */
static void
content_type_charset(const char *content_type, char *label, size_t label_size)
{
	const char *found;

	label[0] = '\0';
	if (content_type == NULL || (found = strcasestr(content_type, "charset")) == NULL)
		return;
	found += 7;
	while (*found == ' ' || *found == '=' || *found == '"' || *found == '\'')
		found++;
	copy_label(found, strlen(found), label, label_size);
}

/* A byte order mark or the UTF-16/32 shape of "<?": the encoding and the bytes to skip. */
static const char *
sniff_unicode(const unsigned char *text, size_t size, size_t *skip, size_t *unit)
{
	*skip = 0;
	*unit = 1;
	if (size >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF) {
		*skip = 3;
		return "UTF-8";
	}
	if (size >= 4 && memcmp(text, "\xFF\xFE\0\0", 4) == 0) {
		*skip = *unit = 4;
		return "UTF-32LE";
	}
	if (size >= 4 && memcmp(text, "\0\0\xFE\xFF", 4) == 0) {
		*skip = *unit = 4;
		return "UTF-32BE";
	}
	if (size >= 2 && text[0] == 0xFF && text[1] == 0xFE) {
		*skip = *unit = 2;
		return "UTF-16LE";
	}
	if (size >= 2 && text[0] == 0xFE && text[1] == 0xFF) {
		*skip = *unit = 2;
		return "UTF-16BE";
	}
	*unit = 2;
	if (size >= 4 && memcmp(text, "<\0?\0", 4) == 0)
		return "UTF-16LE";
	if (size >= 4 && memcmp(text, "\0<\0?", 4) == 0)
		return "UTF-16BE";
	*unit = 1;
	return NULL;
}

/* Position of the first byte above 0x7F, or size. */
static size_t
first_high_byte(const unsigned char *text, size_t size)
{
	const uint64_t high = 0x8080808080808080ULL;
	size_t position = 0;
	uint64_t word;

	while (position + 8 <= size) {
		memcpy(&word, text + position, 8);
		if ((word & high) != 0)
			break;
		position += 8;
	}
	while (position < size && text[position] < 0x80)
		position++;
	return position;
}

static void
open_iconv(struct feed_decoder *decoder, const char *label, size_t unit)
{
	decoder->mode = MODE_ICONV;
	decoder->unit = unit;
	decoder->converted_size = feed_stream_chunk_size + 16;
	decoder->converted = xmalloc(decoder->converted_size);
	decoder->converter = iconv_open("UTF-8", label);
}

/* What the label says, with the mislabellings undone. */
static void
choose_by_label(struct feed_decoder *decoder, const char *label)
{
	iconv_t probe;
	size_t high;

	if (label[0] == '\0' || is_utf8_label(label) || is_wide_label(label))
		decoder->mode = MODE_PROBABLY_UTF8;
	else if (is_western_label(label)) {
		/* UTF-8 if the text from its first non-ASCII byte on is valid UTF-8 */
		high = first_high_byte(decoder->body, decoder->size);
		decoder->mode = high < decoder->size &&
		    utf8_survey_from(decoder->body, decoder->size, high, 1) ?
		    MODE_UTF8 : MODE_WINDOWS_1252;
		if (decoder->mode == MODE_UTF8)
			decoder->problems |= FEED_PROBLEM_MISLABELLED_CHARSET;
	} else if ((probe = iconv_open("UTF-8", label)) != (iconv_t)-1) {
		iconv_close(probe);
		open_iconv(decoder, label, 1);
	} else {
		decoder->mode = MODE_PROBABLY_UTF8;
		decoder->problems |= FEED_PROBLEM_UNKNOWN_CHARSET;
	}
}

struct feed_decoder *
feed_decoder_new(const char *data, size_t size, const char *content_type)
{
	struct feed_decoder *decoder = xcalloc(1, sizeof(*decoder));
	const unsigned char *bytes = (const unsigned char *)data;
	const char *unicode;
	char label[48];
	size_t skip, unit;

	decoder->body = bytes;
	decoder->size = size;
	decoder->converter = (iconv_t)-1;
	unicode = sniff_unicode(bytes, size, &skip, &unit);
	decoder->position = skip;
	if (unicode != NULL && strcmp(unicode, "UTF-8") == 0)
		decoder->mode = MODE_UTF8;
	else if (unicode != NULL) {
		open_iconv(decoder, unicode, unit);
		if (decoder->converter == (iconv_t)-1)
			decoder->position = size;	/* iconv cannot: nothing decodes */
	} else {
		xml_declared_encoding(data, size, label, sizeof(label));
		if (label[0] == '\0')
			content_type_charset(content_type, label, sizeof(label));
		choose_by_label(decoder, label);
	}
	return decoder;
}

unsigned
feed_decoder_problems(const struct feed_decoder *decoder)
{
	return decoder->problems;
}

void
feed_decoder_free(struct feed_decoder *decoder)
{
	if (decoder == NULL)
		return;
	if (decoder->converter != (iconv_t)-1)
		iconv_close(decoder->converter);
	free(decoder->converted);
	buffer_free(&decoder->scratch);
	buffer_free(&decoder->head);
	free(decoder);
}

/*
 * Of a piece of the body itself (valid UTF-8), only what a peek wants (to the end of its last
 * character) is kept; the decoder steps back to the rest, handed out later as a piece of the
 * body, so a peek of 4 KB does not copy a chunk of 64 KB. Other pieces are kept whole.
 */
static size_t
peek_part(struct feed_decoder *decoder, const char *piece, size_t length, size_t needed)
{
	const unsigned char *start = (const unsigned char *)piece;
	uintptr_t at = (uintptr_t)piece, body = (uintptr_t)decoder->body;
	size_t cut = needed;

	if (length <= needed || at < body || at + length != body + decoder->position)
		return length;
	while (cut < length && (start[cut] & 0xC0) == 0x80)
		cut++;
	decoder->position -= length - cut;
	return cut;
}

const char *
feed_decoder_peek(struct feed_decoder *decoder, size_t want, size_t *length, int *complete)
{
	const char *piece;
	size_t piece_length = 1;

	while (decoder->head.length - decoder->head_position < want &&
	    (piece_length = step(decoder, &piece)) > 0)
		buffer_append(&decoder->head, piece, peek_part(decoder, piece, piece_length,
		    want - (decoder->head.length - decoder->head_position)));
	*length = decoder->head.length - decoder->head_position;
	*complete = decoder->position >= decoder->size;
	return decoder->head.data != NULL ? decoder->head.data + decoder->head_position : "";
}

void
feed_decoder_skip(struct feed_decoder *decoder, size_t count)
{
	size_t peeked = decoder->head.length - decoder->head_position;

	decoder->head_position += count < peeked ? count : peeked;
}

size_t
feed_decoder_next(struct feed_decoder *decoder, const char **piece)
{
	size_t length;

	if (decoder->head_position < decoder->head.length) {
		*piece = decoder->head.data + decoder->head_position;
		length = decoder->head.length - decoder->head_position;
		if (length > feed_stream_chunk_size && feed_stream_chunk_size > 0)
			length = feed_stream_chunk_size;	/* pieces of a chunk at most */
		decoder->head_position += length;
		return length;
	}
	if (decoder->head.data != NULL) {	/* handed out by the previous call: done with */
		buffer_free(&decoder->head);
		decoder->head_position = 0;
	}
	return step(decoder, piece);
}

char *
feed_decoder_rest(struct feed_decoder *decoder, size_t *length)
{
	struct buffer text = { 0 };
	const char *piece;
	size_t piece_length;

	while ((piece_length = feed_decoder_next(decoder, &piece)) > 0)
		buffer_append(&text, piece, piece_length);
	*length = text.length;
	return buffer_steal(&text);
}
