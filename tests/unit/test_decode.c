/*
 * test_decode.c - content_decode(): gzip and deflate bodies written by zlib's own compressor
 * (one member, several members, truncated, raw deflate, stacked codings) come back as the
 * bytes compressed; bombs past max_size (whatever the trailer says), a lying trailer, unknown
 * codings and corrupt data are refused. Bodies given back (content_decode_recycle) are spares
 * the next gzip bodies that fit are inflated into, and come back the same as into fresh ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "content_decode.h"
#include "spare.h"
#include "util.h"

/* window_bits as deflateInit2 takes them: 15 + 16 gzip, 15 zlib, -15 raw. */
static void
compress_into(struct buffer *out, const char *data, size_t length, int window_bits)
{
	z_stream stream = { 0 };

	CHECK(deflateInit2(&stream, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	buffer_reserve(out, deflateBound(&stream, length));
	stream.next_in = (unsigned char *)data;
	stream.avail_in = (uInt)length;
	stream.next_out = (unsigned char *)out->data + out->length;
	stream.avail_out = (uInt)(out->capacity - out->length - 1);
	CHECK(deflate(&stream, Z_FINISH) == Z_STREAM_END);
	out->length += stream.total_out;
	deflateEnd(&stream);
}

/* A news-like text of about `size` bytes. */
static void
sample_text(struct buffer *text, size_t size)
{
	for (int i = 0; text->length < size; i++)
		buffer_printf(text, "<p>Paragraph %d: the council voted on the harbour budget "
		    "after %d hours of debate.</p>\n", i, i % 17);
}

/* content_decode over a copy of compressed; the status, the output in *out. */
static int
decode(const char *encodings, const struct buffer *compressed, long long max,
    struct buffer *out)
{
	char *body = xmalloc(compressed->length + 1), error[128] = "";
	size_t length = compressed->length;
	int status;

	memcpy(body, compressed->data, length);
	body[length] = '\0';
	status = content_decode(encodings, &body, &length, max, error, sizeof error);
	buffer_reset(out);
	buffer_append(out, body, length);
	free(body);
	return status;
}

static int
same(const struct buffer *a, const struct buffer *b)
{
	return a->length == b->length && memcmp(a->data, b->data, a->length) == 0;
}

static void
test_gzip_members(void)
{
	struct buffer text = { 0 }, gz = { 0 }, out = { 0 }, twice = { 0 };

	sample_text(&text, 200 * 1024);
	compress_into(&gz, text.data, text.length, 15 + 16);
	CHECK(decode("gzip", &gz, 1 << 20, &out) == 0 && same(&out, &text));
	CHECK(decode(" X-GZip ", &gz, 1 << 20, &out) == 0 && same(&out, &text));
	/* two members: both come back, one after the other */
	compress_into(&gz, text.data, text.length, 15 + 16);
	buffer_append(&twice, text.data, text.length);
	buffer_append(&twice, text.data, text.length);
	CHECK(decode("gzip", &gz, 1 << 20, &out) == 0 && same(&out, &twice));
	buffer_free(&text);
	buffer_free(&gz);
	buffer_free(&out);
	buffer_free(&twice);
}

static void
test_gzip_damaged(void)
{
	struct buffer text = { 0 }, gz = { 0 }, out = { 0 };

	sample_text(&text, 50 * 1024);
	compress_into(&gz, text.data, text.length, 15 + 16);
	gz.data[gz.length - 1] ^= 0x40;		/* a trailer that lies about the size */
	CHECK(decode("gzip", &gz, 1 << 20, &out) == -2);
	gz.data[gz.length - 1] ^= 0x40;
	gz.length -= 200;			/* truncated: what came is kept */
	CHECK(decode("gzip", &gz, 1 << 20, &out) == 0);
	CHECK(out.length > 0 && out.length < text.length &&
	    memcmp(out.data, text.data, out.length) == 0);
	gz.length += 200;
	memset(gz.data + 20, 0xff, 64);		/* corrupt */
	CHECK(decode("gzip", &gz, 1 << 20, &out) == -2);
	buffer_free(&text);
	buffer_free(&gz);
	buffer_free(&out);
}

static void
test_deflate_and_stacks(void)
{
	struct buffer text = { 0 }, z = { 0 }, raw = { 0 }, stacked = { 0 }, out = { 0 };

	sample_text(&text, 30 * 1024);
	compress_into(&z, text.data, text.length, 15);
	compress_into(&raw, text.data, text.length, -15);
	CHECK(decode("deflate", &z, 1 << 20, &out) == 0 && same(&out, &text));
	CHECK(decode("deflate", &raw, 1 << 20, &out) == 0 && same(&out, &text));
	compress_into(&stacked, z.data, z.length, 15 + 16);	/* deflate, then gzip */
	CHECK(decode("deflate, gzip", &stacked, 1 << 20, &out) == 0 && same(&out, &text));
	CHECK(decode("identity", &text, 1 << 20, &out) == 0 && same(&out, &text));
	CHECK(decode(NULL, &text, 1 << 20, &out) == 0 && same(&out, &text));
	CHECK(decode("br", &z, 1 << 20, &out) == -2);
	CHECK(decode("gzip", &text, 1 << 20, &out) == -2);	/* not gzip at all */
	buffer_free(&text);
	buffer_free(&z);
	buffer_free(&raw);
	buffer_free(&stacked);
	buffer_free(&out);
}

/* Output is capped at max_size whatever the trailer says or the members add up to. */
static void
test_bombs(void)
{
	struct buffer zeros = { 0 }, gz = { 0 }, out = { 0 };

	buffer_reserve(&zeros, 4 << 20);
	memset(zeros.data, 0, 4 << 20);
	zeros.length = 4 << 20;
	compress_into(&gz, zeros.data, zeros.length, 15 + 16);
	CHECK(gz.length < 16 * 1024);
	CHECK(decode("gzip", &gz, 64 * 1024, &out) == -1);
	gz.data[gz.length - 2] = gz.data[gz.length - 3] = 0;	/* trailer: 0 bytes, a lie */
	gz.data[gz.length - 1] = gz.data[gz.length - 4] = 0;
	CHECK(decode("gzip", &gz, 64 * 1024, &out) == -1);
	CHECK(decode("gzip", &gz, 8 << 20, &out) == -2);	/* under the cap: the lie seen */
	buffer_reset(&gz);
	compress_into(&gz, zeros.data, zeros.length, 15);
	CHECK(decode("deflate", &gz, 64 * 1024, &out) == -1);
	buffer_free(&zeros);
	buffer_free(&gz);
	buffer_free(&out);
}

/* content_decode of a copy of compressed, the decoded body returned (its length in *length). */
static char *
decode_body(const struct buffer *compressed, size_t *length)
{
	char *body = xmalloc(compressed->length + 1), error[128] = "";

	memcpy(body, compressed->data, compressed->length);
	body[compressed->length] = '\0';
	*length = compressed->length;
	CHECK(content_decode("gzip", &body, length, 1 << 24, error, sizeof error) == 0);
	return body;
}

static void
test_spares(void)
{
	struct buffer big = { 0 }, small = { 0 }, huge = { 0 }, gz_big = { 0 }, gz_small = { 0 },
	    gz_huge = { 0 };
	char *first, *second, *third;
	size_t length;

	sample_text(&big, 120 * 1024);
	sample_text(&small, 40 * 1024);
	small.data[100] = 'X';		/* not a prefix of big */
	sample_text(&huge, 600 * 1024);
	compress_into(&gz_big, big.data, big.length, 15 + 16);
	compress_into(&gz_small, small.data, small.length, 15 + 16);
	compress_into(&gz_huge, huge.data, huge.length, 15 + 16);
	first = decode_body(&gz_big, &length);
	CHECK(length == big.length && memcmp(first, big.data, length) == 0);
	spare_give(first);
	/* the spare is taken by a smaller body, which comes back whole and terminated */
	second = decode_body(&gz_small, &length);
	CHECK(second == first);
	CHECK(length == small.length && memcmp(second, small.data, length) == 0 &&
	    second[length] == '\0');
	/* a body larger than every spare gets a fresh buffer; the spare stays for the next */
	spare_give(second);
	third = decode_body(&gz_huge, &length);
	CHECK(third != second && length == huge.length &&
	    memcmp(third, huge.data, length) == 0);
	first = decode_body(&gz_big, &length);
	CHECK(first == second && length == big.length && memcmp(first, big.data, length) == 0);
	/* small buffers and NULL are simply freed; more than the spares hold too */
	spare_give(NULL);
	spare_give(xstrdup("tiny"));
	for (int i = 0; i < 20; i++)
		spare_give(xmalloc(64 * 1024 + (size_t)i));
	spare_give(first);
	spare_give(third);
	second = decode_body(&gz_big, &length);
	CHECK(length == big.length && memcmp(second, big.data, length) == 0);
	free(second);
	buffer_free(&big);
	buffer_free(&small);
	buffer_free(&huge);
	buffer_free(&gz_big);
	buffer_free(&gz_small);
	buffer_free(&gz_huge);
}

int
main(void)
{
	RUN(test_gzip_members);
	RUN(test_gzip_damaged);
	RUN(test_deflate_and_stacks);
	RUN(test_bombs);
	RUN(test_spares);
	return check_finish();
}
