/*
 * content_decode.c - undoing a response's Content-Encoding (see content_decode.h).
 *
 * gzip goes through libdeflate, which inflates a whole buffer in one call at two to three
 * times zlib's speed (and checks the CRC with carry-less multiplication): the output size is
 * known from the gzip trailer (ISIZE), so one buffer of at least that size takes it. A
 * stream libdeflate does not take whole (several members, bytes after the member, a trailer
 * that lies or passes max_size, truncation) goes through zlib's streaming inflate instead, as
 * libcurl decoded it: members one after another, what a truncated stream gave kept, a trailer
 * that does not match the data refused. deflate is zlib's (the zlib
 * wrapper, or a raw stream as some servers send it, as libcurl accepts). Every way stops at
 * max_size bytes of output: a gzip bomb is refused, not inflated.
 *
 * The output goes into a spare buffer when one fits (spare.c): feed bodies are inflated just
 * before they are parsed (ingest/outcome.c), which then gives their buffer back, so one feed's
 * body is inflated into the buffer the previous one was parsed from, still mapped and in cache.
 * The one decompressor is kept too (libdeflate allocates and zeroes ~11 KB for each), under a
 * mutex: content_decode() may be called from any thread.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libdeflate.h>
#include <zlib.h>

#include "content_decode.h"
#include "spare.h"
#include "util.h"

#define INFLATE_BLOCK	(64 * 1024)

static struct {
	pthread_mutex_t	 lock;
	struct libdeflate_decompressor *decompressor;	/* free when not NULL */
} spare = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The decompressor, taken from the spares (or new); NULL when out of memory. */
static struct libdeflate_decompressor *
decompressor_take(void)
{
	struct libdeflate_decompressor *decompressor;

	pthread_mutex_lock(&spare.lock);
	decompressor = spare.decompressor;
	spare.decompressor = NULL;
	pthread_mutex_unlock(&spare.lock);
	return decompressor != NULL ? decompressor : libdeflate_alloc_decompressor();
}

static void
decompressor_give_back(struct libdeflate_decompressor *decompressor)
{
	pthread_mutex_lock(&spare.lock);
	if (spare.decompressor == NULL) {
		spare.decompressor = decompressor;
		decompressor = NULL;
	}
	pthread_mutex_unlock(&spare.lock);
	libdeflate_free_decompressor(decompressor);
}

enum coding { CODING_IDENTITY, CODING_GZIP, CODING_DEFLATE, CODING_UNKNOWN };

static enum coding
coding_of(const char *name, size_t length)
{
	if (length == 0 || (length == 8 && strncasecmp(name, "identity", 8) == 0))
		return CODING_IDENTITY;
	if ((length == 4 && strncasecmp(name, "gzip", 4) == 0) ||
	    (length == 6 && strncasecmp(name, "x-gzip", 6) == 0))
		return CODING_GZIP;
	if (length == 7 && strncasecmp(name, "deflate", 7) == 0)
		return CODING_DEFLATE;
	return CODING_UNKNOWN;
}

/*
 * zlib's streaming inflate of in into out, at most max bytes; window_bits as inflateInit2
 * takes them. With several gzip members, each is inflated in turn. 0, -1 too large, -2 bad.
 */
static int
inflate_stream(const unsigned char *in, size_t length, int window_bits, long long max,
    struct buffer *out)
{
	z_stream stream = { 0 };
	int status = Z_OK;

	if (inflateInit2(&stream, window_bits) != Z_OK)
		return -2;
	stream.next_in = (unsigned char *)in;
	stream.avail_in = (uInt)length;
	while (status == Z_OK || (status == Z_STREAM_END && stream.avail_in >= 2 &&
	    stream.next_in[0] == 0x1f && stream.next_in[1] == 0x8b && window_bits > 15)) {
		if (status == Z_STREAM_END)
			inflateReset(&stream);
		buffer_reserve(out, INFLATE_BLOCK);
		stream.next_out = (unsigned char *)out->data + out->length;
		stream.avail_out = (uInt)INFLATE_BLOCK;
		status = inflate(&stream, Z_NO_FLUSH);
		out->length += INFLATE_BLOCK - stream.avail_out;
		out->data[out->length] = '\0';
		if ((long long)out->length > max) {
			inflateEnd(&stream);
			return -1;
		}
		if (status == Z_BUF_ERROR && stream.avail_in == 0)
			break;		/* truncated: what came is kept */
	}
	inflateEnd(&stream);
	return status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR ? 0 : -2;
}

/* One gzip member whose trailer tells its size, whole, by libdeflate; 1 when not taken. */
static int
gunzip_whole(const unsigned char *in, size_t length, long long max, struct buffer *out)
{
	struct libdeflate_decompressor *decompressor;
	size_t size, used = 0, written = 0;
	enum libdeflate_result result;

	if (length < 18)
		return 1;
	size = (size_t)in[length - 4] | (size_t)in[length - 3] << 8 |
	    (size_t)in[length - 2] << 16 | (size_t)in[length - 1] << 24;
	if ((long long)size > max)
		return 1;	/* a bomb, or not the size: the stream says which, capped */
	if ((decompressor = decompressor_take()) == NULL)
		return 1;
	if (out->data == NULL)
		out->data = spare_take(size + 1, &out->capacity);
	buffer_reserve(out, size);
	result = libdeflate_gzip_decompress_ex(decompressor, in, length, out->data, size, &used,
	    &written);
	decompressor_give_back(decompressor);
	if (result != LIBDEFLATE_SUCCESS || used != length || written != size)
		return 1;
	out->length = written;
	out->data[written] = '\0';
	return 0;
}

/* Undo one coding of in into out (empty on entry). 0, -1 too large, -2 bad data. */
static int
decode_one(enum coding coding, const char *in, size_t length, long long max,
    struct buffer *out)
{
	const unsigned char *bytes = (const unsigned char *)in;
	int status;

	if (coding == CODING_GZIP) {
		if ((status = gunzip_whole(bytes, length, max, out)) <= 0)
			return status;
		out->length = 0;
		return inflate_stream(bytes, length, 15 + 16, max, out);
	}
	if ((status = inflate_stream(bytes, length, 15, max, out)) != -2)
		return status;
	out->length = 0;
	return inflate_stream(bytes, length, -15, max, out);	/* raw deflate */
}

int
content_decode(const char *encodings, char **body, size_t *length, long long max_size,
    char *error, size_t error_size)
{
	const char *end = encodings != NULL ? encodings + strlen(encodings) : NULL;

	/* codings apply in the order listed: undo them from the last */
	while (end != NULL && end > encodings) {
		const char *start = end, *name_end = end;
		struct buffer out = { 0 };
		enum coding coding;
		int status;

		while (start > encodings && start[-1] != ',')
			start--;
		while (name_end > start && isspace((unsigned char)name_end[-1]))
			name_end--;
		end = start > encodings ? start - 1 : encodings;
		while (start < name_end && isspace((unsigned char)*start))
			start++;
		if ((coding = coding_of(start, (size_t)(name_end - start))) == CODING_IDENTITY)
			continue;
		if (coding == CODING_UNKNOWN) {
			snprintf(error, error_size, "unsupported Content-Encoding: %.*s",
			    (int)(name_end - start), start);
			return -2;
		}
		if ((status = decode_one(coding, *body, *length, max_size, &out)) < 0) {
			buffer_free(&out);
			if (status == -2)
				snprintf(error, error_size, "bad %s data",
				    coding == CODING_GZIP ? "gzip" : "deflate");
			return status;
		}
		free(*body);
		*length = out.length;
		*body = out.data != NULL ? out.data : xstrdup("");
	}
	return 0;
}
