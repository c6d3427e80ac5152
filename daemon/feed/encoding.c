/*
 * encoding.c - turn the bytes a server sent into the UTF-8 the rest of the parser works on.
 *
 * Order of evidence: a byte order mark (UTF-8/16/32), the UTF-16/32 shape of "<?", the XML
 * declaration's encoding, the charset of the HTTP Content-Type, then UTF-8. Two mislabellings
 * are common enough to undo: text labelled UTF-8 (or not labelled) that is really
 * windows-1252 (invalid UTF-8 and not one valid multi-byte sequence), and text labelled
 * ISO-8859-1 / windows-1252 that is really UTF-8 (valid, with multi-byte sequences). As the
 * WHATWG encoding standard does, ISO-8859-1 and US-ASCII are read as windows-1252. Other
 * charsets go through iconv(3). The output is always valid UTF-8: undecodable input becomes
 * U+FFFD, and C0 controls that XML forbids are dropped.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "feed_internal.h"

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

/* Bytes from position on that are printable ASCII (0x20..0x7F), counted 8 at a time. */
static size_t
ascii_run(const unsigned char *text, size_t size, size_t position)
{
	const uint64_t high = 0x8080808080808080ULL, spaces = 0x2020202020202020ULL;
	size_t start = position;
	uint64_t word;

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

/* Count valid multi-byte sequences and invalid bytes. */
static void
utf8_survey(const unsigned char *text, size_t size, size_t *multibyte, size_t *invalid)
{
	size_t position = 0;
	unsigned codepoint;

	*multibyte = *invalid = 0;
	while (position < size) {
		size_t length;

		position += ascii_run(text, size, position);
		if (position >= size)
			break;
		length = utf8_sequence(text + position, size - position, &codepoint);

		if (length == 0) {
			(*invalid)++;
			position++;
		} else {
			if (length > 1)
				(*multibyte)++;
			position += length;
		}
	}
}

static void
decode_windows_1252(const unsigned char *text, size_t size, struct buffer *out)
{
	for (size_t i = 0; i < size; i++) {
		unsigned codepoint = text[i];

		if (codepoint >= 0x80 && codepoint < 0xA0) {
			codepoint = windows_1252_high[codepoint - 0x80];
			if (codepoint == 0)
				codepoint = REPLACEMENT_CHARACTER;
		}
		append_codepoint(out, codepoint);
	}
}

/* Would append_codepoint() write this code point as it is? */
static int
codepoint_passes(unsigned codepoint)
{
	return (codepoint >= 0x20 || codepoint == '\t' || codepoint == '\n' || codepoint == '\r') &&
	    codepoint != 0xFFFE && codepoint != 0xFFFF;
}

/*
 * Copy UTF-8 through, replacing what is invalid. Runs of bytes that pass unchanged (nearly
 * all of a real feed) are appended whole, not code point by code point.
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

/* UTF-8, or windows-1252 when that is what the bytes evidently are. */
static const char *
decode_probably_utf8(const unsigned char *text, size_t size, struct buffer *out)
{
	size_t multibyte, invalid;

	utf8_survey(text, size, &multibyte, &invalid);
	if (invalid > 0 && multibyte == 0) {
		decode_windows_1252(text, size, out);
		return "windows-1252";
	}
	decode_utf8(text, size, out);
	return "UTF-8";
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

/* Decode with iconv, U+FFFD for what cannot be decoded; -1 when iconv does not know label. */
static int
decode_iconv(const char *label, size_t unit, const char *text, size_t size, struct buffer *out)
{
	iconv_t converter = iconv_open("UTF-8", label);
	struct buffer converted = { 0 };
	char chunk[4096];
	char *input = (char *)text;
	size_t input_left = size;

	if (converter == (iconv_t)-1)
		return -1;
	while (input_left > 0) {
		char *output = chunk;
		size_t output_left = sizeof(chunk);
		size_t result = iconv(converter, &input, &input_left, &output, &output_left);

		buffer_append(&converted, chunk, sizeof(chunk) - output_left);
		if (result != (size_t)-1 || errno == E2BIG)
			continue;
		buffer_append(&converted, "\xEF\xBF\xBD", 3);
		if (errno == EINVAL || input_left < unit)
			break;
		input += unit;
		input_left -= unit;
	}
	iconv_close(converter);
	decode_utf8((const unsigned char *)converted.data, converted.length, out);
	buffer_free(&converted);
	return 0;
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

char *
feed_decode(const char *data, size_t size, const char *content_type, size_t *length,
    const char **charset_used)
{
	const unsigned char *bytes = (const unsigned char *)data;
	struct buffer out = { 0 };
	char label[48];
	const char *unicode;
	const char *used;
	size_t skip, unit, multibyte, invalid;

	unicode = sniff_unicode(bytes, size, &skip, &unit);
	if (unicode != NULL && strcmp(unicode, "UTF-8") == 0) {
		decode_utf8(bytes + skip, size - skip, &out);
		used = unicode;
	} else if (unicode != NULL) {
		decode_iconv(unicode, unit, data + skip, size - skip, &out);
		used = unicode;
	} else {
		xml_declared_encoding(data, size, label, sizeof(label));
		if (label[0] == '\0')
			content_type_charset(content_type, label, sizeof(label));
		if (label[0] == '\0' || is_utf8_label(label) || is_wide_label(label))
			used = decode_probably_utf8(bytes, size, &out);
		else if (is_western_label(label)) {
			utf8_survey(bytes, size, &multibyte, &invalid);
			if (invalid == 0 && multibyte > 0) {
				decode_utf8(bytes, size, &out);
				used = "UTF-8";
			} else {
				decode_windows_1252(bytes, size, &out);
				used = "windows-1252";
			}
		} else if (decode_iconv(label, 1, data, size, &out) == 0)
			used = "iconv";
		else
			used = decode_probably_utf8(bytes, size, &out);
	}
	if (charset_used != NULL)
		*charset_used = used;
	*length = out.length;
	return buffer_steal(&out);
}
