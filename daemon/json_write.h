/*
 * json_write.h - the daemon's one JSON writer: a jansson value as compact JSON, appended to
 * a buffer.
 *
 * jansson builds, checks and parses JSON everywhere in wiresift; only the writing is ours.
 * jansson's own dump walks every string one code point at a time through a callback, about
 * 70 instructions per byte (callgrind), and was the largest single cost of a message.  This
 * writer copies runs that need no escape whole, finding them sixteen bytes at a time (SSE2;
 * eight without), a string's last bytes read at once overlapping those before, and checks
 * every multi-byte character as strict UTF-8 (RFC 3629) as it goes.  A string shorter than
 * sixteen bytes that needs nothing (a name, a type, a keyword: most strings of a message) is
 * checked and copied with two overlapping loads and stores, without a call.  json_write_raw
 * is inline: the message's keys and punctuation are copied without a call.
 *
 * The output is what jansson's JSON_COMPACT dump gives (keys in insertion order, the same
 * escapes: \" \\ \b \f \n \r \t and \u00XX for other control characters, everything else
 * as UTF-8), except that a real is written in the fewest digits that read back to the same
 * double (0.99, where jansson writes 0.98999999999999999).
 */
#ifndef WIRESIFT_JSON_WRITE_H
#define WIRESIFT_JSON_WRITE_H

#include <string.h>

#include <jansson.h>

#include "util.h"

/*
 * Append value's compact JSON to out; 0, or -1 when a string (value or key) is not valid
 * UTF-8 or a real is not finite.  On -1, out holds a partial value: the caller truncates it.
 */
int	 json_write(const json_t *value, struct buffer *out);

/*
 * Append string (NUL-terminated) as a JSON string, as json_write writes one; 0, or -1 when it
 * is not valid UTF-8 (out then holds part of it). For outputs written without a jansson tree.
 */
int	 json_write_string(const char *string, struct buffer *out);
/* The same for a string whose length (strlen) the caller keeps: no NUL needed at its end. */
int	 json_write_string_length(const char *string, size_t length, struct buffer *out);

/*
 * The pieces of an output written without a jansson tree, in json_write's forms: raw bytes
 * (punctuation, quoted keys), an integer, a real (-1 when not finite), and the NUL the buffer
 * promises, written once at the end.
 */
static inline void
json_write_raw(const char *text, size_t length, struct buffer *out)
{
	/* inline: the message's keys and punctuation are constants, copied without a call */
	if (out->length + length + 1 > out->capacity)
		buffer_reserve(out, length);
	memcpy(out->data + out->length, text, length);
	out->length += length;
}
void	 json_write_integer(json_int_t value, struct buffer *out);
int	 json_write_real(double value, struct buffer *out);
void	 json_write_end(struct buffer *out);

/* Value builders shared by the JSON outputs: a string (checked by jansson) or null for NULL;
 * an RFC 3339 UTC time ("2025-09-21T06:19:00Z") or null for 0. */
json_t	*json_string_or_null(const char *text);
json_t	*json_time_or_null(time_t when);

#endif
