/*
 * hostile_server.c - an HTTP server that misbehaves on purpose, for tests/e2e/test_hostile.py.
 *
 *   hostile_server [--bind ADDRESS] [--port N] [--lifetime SECONDS] [--big-attribute-mb N]
 *
 * Listens on ADDRESS:N (default 127.0.0.1, port 0 = any free port, printed as "port=N" on
 * stdout). Raw sockets through libevent bufferevents rather than evhttp, because evhttp cannot
 * lie about lengths, trickle status lines or reset a connection mid-body. Paths:
 *
 *   /ok               a small valid RSS 2.0 feed (the control)
 *   /slowloris        the whole response, status line included, one byte a second
 *   /endless          a chunked body that never ends (until the client goes or a 16 GB bound)
 *   /huge             Content-Length: 1 GB, streamed as fast as the client reads
 *   /header-flood     a status line, then header lines that never end (no body ever comes)
 *   /gzipbomb         ~1 MB of gzip (Content-Encoding: gzip) inflating to 1.1 GB of zeros
 *   /redirect-loop    302 to itself
 *   /redirect-private 302 to http://10.1.2.3/ (?to=metadata: http://169.254.169.254/...)
 *   /reset            headers and half the body, then a TCP RST (SO_LINGER 0)
 *   /wrong-length     Content-Length larger than the body, then a clean close
 *   /invalid-utf8 /billion-laughs /xxe /deep /nul    feeds with hostile XML or bytes
 *   /big-attribute    one attribute of N MB (default 100; ?mb=N), streamed with neither
 *                     Content-Length nor chunking: the body ends at the close
 *   /html             an HTML page, not a feed
 *   /429 /503         that status with Retry-After: 3
 *   /tls              (requested as https://) a TLS ClientHello on any path gets garbage back
 *
 * Every connection and request is printed on stdout ("connection n=1 from=127.0.0.1",
 * "request n=1 path=/ok t=SECONDS-SINCE-START") so tests can count and time them. Every stream
 * is bounded, and the server exits by itself after --lifetime seconds (default 120), printing
 * "exit connections=N requests=N". The gzip bomb is made at start with zlib's deflate, loaded
 * with dlopen (the tools are not linked with -lz); `gzip -t` accepts it.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "util.h"

#define REQUEST_HEAD_MAX	16384
#define STREAM_LOW_WATER	(64 * 1024)
#define STREAM_STEP		(256 * 1024)
#define ENDLESS_BOUND		(16ULL << 30)
#define HUGE_SIZE		(1ULL << 30)
#define BOMB_INFLATED_SIZE	(1100ULL << 20)
#define DEEP_LEVELS		10000
#define RETRY_AFTER_SECONDS	3

enum stream_kind { STREAM_NONE, STREAM_FILLER, STREAM_CHUNKED, STREAM_ATTRIBUTE, STREAM_HEADERS };

struct server {
	struct event_base	*base;
	struct evconnlistener	*listener;
	struct client		*clients;	/* open connections, freed at exit */
	unsigned long		 connections;
	unsigned long		 requests;
	int			 big_attribute_mb;
	struct buffer		 gzip_bomb;
	struct buffer		 deep_feed;
	struct buffer		 nul_feed;
};

struct client {
	struct server		*server;
	struct client		*previous, *next;
	struct bufferevent	*connection;
	struct event		*timer;		/* slowloris trickle, delayed reset */
	unsigned long		 number;
	int			 request_read;
	int			 close_when_drained;
	int			 reset_when_drained;
	/* a body streamed as the client reads it */
	enum stream_kind	 stream;
	unsigned long long	 stream_left;
	const char		*stream_tail;	/* written after an attribute stream */
	/* slowloris */
	char			*trickle;
	size_t			 trickle_length;
	size_t			 trickle_sent;
};

static const char OK_FEED[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<rss version=\"2.0\"><channel>\n"
	"<title>Control Desk</title><link>http://control.invalid/</link>\n"
	"<description>The one well-behaved feed of the hostile server.</description>\n"
	"<item><title>Harbour crane inspection finishes a week early</title>\n"
	"<link>http://control.invalid/2024/crane-inspection</link>\n"
	"<guid isPermaLink=\"false\">control-crane-inspection</guid>\n"
	"<pubDate>Mon, 04 Mar 2024 09:30:00 GMT</pubDate>\n"
	"<description>&lt;p&gt;Engineers finished checking the four container cranes at the "
	"north quay a week ahead of plan, the port office said on Monday. Two cranes need new "
	"brake pads before the winter schedule starts; the others were cleared for full "
	"loads.&lt;/p&gt;&lt;p&gt;Ship traffic was not interrupted during the work, which "
	"moved from crane to crane over night shifts.&lt;/p&gt;</description></item>\n"
	"<item><title>Library extends evening hours for exam season</title>\n"
	"<link>http://control.invalid/2024/library-hours</link>\n"
	"<guid isPermaLink=\"false\">control-library-hours</guid>\n"
	"<pubDate>Tue, 05 Mar 2024 14:00:00 GMT</pubDate>\n"
	"<description>&lt;p&gt;The central library will stay open until eleven at night on "
	"weekdays through the end of June, giving students a quiet place to revise. Extra "
	"staff were moved from the archive to cover the late shifts, and the reading room "
	"heating will run two hours longer.&lt;/p&gt;</description></item>\n"
	"</channel></rss>\n";

static const char INVALID_UTF8_FEED[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<rss version=\"2.0\"><channel><title>Broken \xff\xfe Bytes</title>\n"
	"<link>http://broken.invalid/</link>\n"
	"<item><title>Overlong \xc0\xaf and lone \x80 continuation</title>\n"
	"<link>http://broken.invalid/a</link><guid isPermaLink=\"false\">utf8-a</guid>\n"
	"<description>Truncated \xe2\x82 sequence, surrogate \xed\xa0\x80 half, and a "
	"stray \xc3\x28 pair in a sentence long enough to count as text.</description>"
	"</item>\n"
	"<item><title>Caf\xe9 written in Latin-1 inside a UTF-8 feed</title>\n"
	"<link>http://broken.invalid/b</link><guid isPermaLink=\"false\">utf8-b</guid>\n"
	"<description>Out of range \xf5\x80\x80\x80 and \xf8\x88\x80\x80\x80 forms.</description>"
	"</item></channel></rss>\n";

static const char BILLION_LAUGHS_FEED[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE rss [\n"
	" <!ENTITY lol \"lol\">\n"
	" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	"]>\n"
	"<rss version=\"2.0\"><channel><title>Laughs &lol9;</title>\n"
	"<item><title>Entity expansion &lol9;</title><link>http://laughs.invalid/1</link>\n"
	"<guid isPermaLink=\"false\">laughs-1</guid>\n"
	"<description>&lol9;&lol9;&lol9;</description></item></channel></rss>\n";

static const char XXE_FEED[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE rss [\n"
	" <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
	" <!ENTITY % remote SYSTEM \"file:///etc/hostname\">\n"
	" %remote;\n"
	"]>\n"
	"<rss version=\"2.0\"><channel><title>External &xxe;</title>\n"
	"<item><title>Entity from a file &xxe;</title><link>http://xxe.invalid/1</link>\n"
	"<guid isPermaLink=\"false\">xxe-1</guid>\n"
	"<description>Password file follows: &xxe; (it must not).</description></item>"
	"</channel></rss>\n";

static const char HTML_PAGE[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>Welcome to our new website</title></head>\n"
	"<body><h1>We moved!</h1><p>Our news feed is no longer available at this address. "
	"Please visit the front page instead.</p></body></html>\n";

static const char ATTRIBUTE_HEAD[] =
	"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Big attribute</title>\n"
	"<item><title>One attribute of many megabytes</title><link>http://big.invalid/1</link>\n"
	"<guid isPermaLink=\"false\">big-1</guid><category domain=\"";
static const char ATTRIBUTE_TAIL[] = "\">huge</category></item></channel></rss>\n";

static const char FILLER_LINE[] =
	"<item><title>filler</title><description>padding padding padding</description></item>\n";

static int64_t started_ms;

static void client_free(struct client *client);
static void client_flush(struct client *client);

/* ---- generated documents ---- */

typedef int (*deflate_init_fn)(z_streamp, int, int, int, int, int, const char *, int);
typedef int (*deflate_fn)(z_streamp, int);
typedef int (*deflate_end_fn)(z_streamp);
typedef uLong (*crc32_fn)(uLong, const Bytef *, uInt);
typedef uLong (*crc32_combine_fn)(uLong, uLong, z_off_t);

struct zlib {
	deflate_init_fn		 deflate_init;
	deflate_fn		 deflate;
	deflate_end_fn		 deflate_end;
	crc32_fn		 crc32;
	crc32_combine_fn	 crc32_combine;
};

static int
zlib_load(struct zlib *zlib)
{
	void *library = dlopen("libz.so.1", RTLD_NOW);

	if (library == NULL)
		return -1;
	zlib->deflate_init = (deflate_init_fn)dlsym(library, "deflateInit2_");
	zlib->deflate = (deflate_fn)dlsym(library, "deflate");
	zlib->deflate_end = (deflate_end_fn)dlsym(library, "deflateEnd");
	zlib->crc32 = (crc32_fn)dlsym(library, "crc32");
	zlib->crc32_combine = (crc32_combine_fn)dlsym(library, "crc32_combine");
	return zlib->deflate_init && zlib->deflate && zlib->deflate_end && zlib->crc32 &&
	    zlib->crc32_combine ? 0 : -1;
}

/* Deflate one megabyte of zeros (or nothing, with Z_FINISH) into segment. */
static int
deflate_segment(const struct zlib *zlib, z_stream *stream, int flush, struct buffer *segment)
{
	static const unsigned char zeros[1 << 20];
	unsigned char chunk[1 << 16];
	int status;

	stream->next_in = (Bytef *)zeros;
	stream->avail_in = flush == Z_FINISH ? 0 : sizeof zeros;
	do {
		stream->next_out = chunk;
		stream->avail_out = sizeof chunk;
		status = zlib->deflate(stream, flush);
		if (status == Z_STREAM_ERROR)
			return -1;
		buffer_append(segment, chunk, sizeof chunk - stream->avail_out);
	} while (stream->avail_out == 0 || stream->avail_in > 0);
	return 0;
}

static void
append_le32(struct buffer *out, uint32_t value)
{
	unsigned char bytes[4] = { value, value >> 8, value >> 16, value >> 24 };

	buffer_append(out, bytes, 4);
}

/*
 * BOMB_INFLATED_SIZE zeros as gzip, ~1000:1. Deflating a gigabyte takes seconds, so one
 * megabyte is deflated with a full flush (which resets the compressor's history): every later
 * megabyte compresses to the same bytes, which are repeated; the trailer's CRC-32 of all the
 * zeros comes from crc32_combine.
 */
static int
gzip_bomb_make(struct buffer *out)
{
	static const unsigned char gzip_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	static const unsigned char zeros[1 << 20];
	struct buffer first = { 0 }, repeat = { 0 }, check = { 0 }, last = { 0 };
	unsigned long megabytes = BOMB_INFLATED_SIZE >> 20, crc = 0, crc_megabyte;
	struct zlib zlib;
	z_stream stream;
	int status = -1;

	if (zlib_load(&zlib) < 0)
		return -1;
	memset(&stream, 0, sizeof stream);
	if (zlib.deflate_init(&stream, 9, Z_DEFLATED, -15, 9, Z_RLE, ZLIB_VERSION,
	    (int)sizeof stream) != Z_OK)
		return -1;
	if (deflate_segment(&zlib, &stream, Z_FULL_FLUSH, &first) == 0 &&
	    deflate_segment(&zlib, &stream, Z_FULL_FLUSH, &repeat) == 0 &&
	    deflate_segment(&zlib, &stream, Z_FULL_FLUSH, &check) == 0 &&
	    deflate_segment(&zlib, &stream, Z_FINISH, &last) == 0 &&
	    repeat.length == check.length && memcmp(repeat.data, check.data, repeat.length) == 0) {
		buffer_append(out, gzip_header, sizeof gzip_header);
		buffer_append(out, first.data, first.length);
		for (unsigned long i = 1; i < megabytes; i++)
			buffer_append(out, repeat.data, repeat.length);
		buffer_append(out, last.data, last.length);
		crc_megabyte = zlib.crc32(0, zeros, sizeof zeros);
		for (unsigned long i = 0; i < megabytes; i++)
			crc = zlib.crc32_combine(crc, crc_megabyte, sizeof zeros);
		append_le32(out, (uint32_t)crc);
		append_le32(out, (uint32_t)BOMB_INFLATED_SIZE);
		status = 0;
	}
	zlib.deflate_end(&stream);
	buffer_free(&first);
	buffer_free(&repeat);
	buffer_free(&check);
	buffer_free(&last);
	return status;
}

static void
deep_feed_make(struct buffer *out)
{
	buffer_append_string(out, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
	    "<title>Deep</title><item><title>Ten thousand levels</title>"
	    "<link>http://deep.invalid/1</link><guid isPermaLink=\"false\">deep-1</guid>"
	    "<description>");
	for (int i = 0; i < DEEP_LEVELS; i++)
		buffer_append_string(out, "<d>");
	buffer_append_string(out, "bottom");
	for (int i = 0; i < DEEP_LEVELS; i++)
		buffer_append_string(out, "</d>");
	buffer_append_string(out, "</description></item></channel></rss>\n");
}

static void
nul_feed_make(struct buffer *out)
{
	static const char parts[][96] = {
		"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Nul",
		" bytes</title>\n<item><title>A title with a NUL",
		" inside</title><link>http://nul.invalid/1</link>\n",
		"<guid isPermaLink=\"false\">nul-1</guid><description>Text",
		" around NUL bytes, which XML forbids",
		".</description></item>\n</channel></rss>\n",
	};

	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (i > 0)
			buffer_append(out, "\0\0", i % 2 + 1);
		buffer_append_string(out, parts[i]);
	}
}

/* ---- responses ---- */

static void
send_head(struct client *client, int status, const char *reason, const char *headers,
    long long content_length)
{
	struct evbuffer *output = bufferevent_get_output(client->connection);

	evbuffer_add_printf(output, "HTTP/1.1 %d %s\r\nServer: hostile\r\nConnection: close\r\n",
	    status, reason);
	if (content_length >= 0)
		evbuffer_add_printf(output, "Content-Length: %lld\r\n", content_length);
	evbuffer_add_printf(output, "%s\r\n", headers ? headers : "");
}

static void
send_document(struct client *client, int status, const char *reason, const char *headers,
    const void *body, size_t length)
{
	send_head(client, status, reason, headers, (long long)length);
	bufferevent_write(client->connection, body, length);
	client->close_when_drained = 1;
}

static void
send_stream(struct client *client, const char *headers, long long content_length,
    enum stream_kind kind, unsigned long long stream_length)
{
	send_head(client, 200, "OK", headers, content_length);
	client->stream = kind;
	client->stream_left = stream_length;
	client_flush(client);
}

/* Append the next slice of a streamed body; at its end, close. */
static void
stream_more(struct client *client)
{
	struct evbuffer *output = bufferevent_get_output(client->connection);
	static char filler[STREAM_STEP];
	size_t step;

	if (filler[0] == '\0') {
		size_t line = sizeof FILLER_LINE - 1;
		for (size_t at = 0; at + line <= sizeof filler; at += line)
			memcpy(filler + at, FILLER_LINE, line);
		for (size_t at = sizeof filler / line * line; at < sizeof filler; at++)
			filler[at] = ' ';
	}
	step = client->stream_left < sizeof filler ? (size_t)client->stream_left : sizeof filler;
	if (client->stream == STREAM_CHUNKED) {
		evbuffer_add_printf(output, "%zx\r\n", step);
		evbuffer_add_reference(output, filler, step, NULL, NULL);
		evbuffer_add(output, "\r\n", 2);
	} else if (client->stream == STREAM_HEADERS) {
		static char header_lines[STREAM_STEP];
		static const char line[] = "X-Padding: the same header again and again, forever\r\n";
		if (header_lines[0] == '\0')
			for (size_t at = 0; at + sizeof line - 1 <= sizeof header_lines;
			    at += sizeof line - 1)
				memcpy(header_lines + at, line, sizeof line - 1);
		step = step / (sizeof line - 1) * (sizeof line - 1);
		if (step == 0)
			step = (size_t)client->stream_left;
		evbuffer_add_reference(output, header_lines, step, NULL, NULL);
	} else if (client->stream == STREAM_ATTRIBUTE) {
		static char letters[STREAM_STEP];
		if (letters[0] == '\0')
			memset(letters, 'a', sizeof letters);
		evbuffer_add_reference(output, letters, step, NULL, NULL);
	} else
		evbuffer_add_reference(output, filler, step, NULL, NULL);
	client->stream_left -= step;
	if (client->stream_left == 0) {
		if (client->stream_tail != NULL)
			evbuffer_add(output, client->stream_tail, strlen(client->stream_tail));
		client->stream = STREAM_NONE;
		client->close_when_drained = 1;
	}
}

static void
on_trickle(evutil_socket_t fd, short what, void *context)
{
	struct client *client = context;
	struct timeval second = { 1, 0 };

	if (client->trickle_sent >= client->trickle_length) {
		client->close_when_drained = 1;
		client_flush(client);
		return;
	}
	bufferevent_write(client->connection, client->trickle + client->trickle_sent++, 1);
	evtimer_add(client->timer, &second);
}

static void
on_reset_timer(evutil_socket_t fd, short what, void *context)
{
	struct client *client = context;
	struct linger abort_on_close = { 1, 0 };

	setsockopt(bufferevent_getfd(client->connection), SOL_SOCKET, SO_LINGER,
	    &abort_on_close, sizeof abort_on_close);
	client_free(client);
}

static void
respond_slowloris(struct client *client)
{
	client->trickle = xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", sizeof OK_FEED - 1, OK_FEED);
	client->trickle_length = strlen(client->trickle);
	client->timer = evtimer_new(client->server->base, on_trickle, client);
	on_trickle(-1, 0, client);
}

static void
respond_reset(struct client *client)
{
	size_t length = sizeof OK_FEED - 1;

	send_head(client, 200, "OK", "Content-Type: application/rss+xml\r\n", (long long)length);
	bufferevent_write(client->connection, OK_FEED, length / 2);
	client->reset_when_drained = 1;
}

static void
respond_redirect_private(struct client *client, const char *query)
{
	const char *target = query && strstr(query, "to=metadata") ?
	    "http://169.254.169.254/latest/meta-data/" : "http://10.1.2.3/feed.xml";
	char *headers = xasprintf("Location: %s\r\n", target);

	send_document(client, 302, "Found", headers, "", 0);
	free(headers);
}

static void
respond_retry_after(struct client *client, int status, const char *reason)
{
	char *headers = xasprintf("Retry-After: %d\r\nContent-Type: text/plain\r\n",
	    RETRY_AFTER_SECONDS);

	send_document(client, status, reason, headers, "try later\n", 10);
	free(headers);
}

/* No Content-Length, no chunking: the body ends when the connection closes. ?mb=N: N MB. */
static void
respond_big_attribute(struct client *client, const char *query)
{
	const char *size_text = query ? strstr(query, "mb=") : NULL;
	long megabytes = size_text ? strtol(size_text + 3, NULL, 10) :
	    client->server->big_attribute_mb;

	if (megabytes < 1 || megabytes > 1024)
		megabytes = client->server->big_attribute_mb;
	send_head(client, 200, "OK", "Content-Type: application/rss+xml\r\n", -1);
	bufferevent_write(client->connection, ATTRIBUTE_HEAD, sizeof ATTRIBUTE_HEAD - 1);
	client->stream_tail = ATTRIBUTE_TAIL;
	client->stream = STREAM_ATTRIBUTE;
	client->stream_left = (unsigned long long)megabytes << 20;
	client_flush(client);
}

static void
respond(struct client *client, const char *path, const char *query)
{
	struct server *server = client->server;
	const char *rss = "Content-Type: application/rss+xml; charset=utf-8\r\n";

	if (strcmp(path, "/ok") == 0)
		send_document(client, 200, "OK", rss, OK_FEED, sizeof OK_FEED - 1);
	else if (strcmp(path, "/slowloris") == 0)
		respond_slowloris(client);
	else if (strcmp(path, "/endless") == 0)
		send_stream(client, "Content-Type: application/rss+xml\r\n"
		    "Transfer-Encoding: chunked\r\n", -1, STREAM_CHUNKED, ENDLESS_BOUND);
	else if (strcmp(path, "/huge") == 0)
		send_stream(client, rss, (long long)HUGE_SIZE, STREAM_FILLER, HUGE_SIZE);
	else if (strcmp(path, "/gzipbomb") == 0 && server->gzip_bomb.length > 0)
		send_document(client, 200, "OK", "Content-Type: application/rss+xml\r\n"
		    "Content-Encoding: gzip\r\n", server->gzip_bomb.data, server->gzip_bomb.length);
	else if (strcmp(path, "/header-flood") == 0) {
		bufferevent_write(client->connection, "HTTP/1.1 200 OK\r\n", 17);
		client->stream = STREAM_HEADERS;
		client->stream_left = ENDLESS_BOUND;
		client_flush(client);
	} else if (strcmp(path, "/redirect-loop") == 0)
		send_document(client, 302, "Found", "Location: /redirect-loop\r\n", "", 0);
	else if (strcmp(path, "/redirect-private") == 0)
		respond_redirect_private(client, query);
	else if (strcmp(path, "/reset") == 0)
		respond_reset(client);
	else if (strcmp(path, "/wrong-length") == 0) {
		send_head(client, 200, "OK", rss, 100000);
		bufferevent_write(client->connection, OK_FEED, sizeof OK_FEED - 1);
		client->close_when_drained = 1;
	} else if (strcmp(path, "/invalid-utf8") == 0)
		send_document(client, 200, "OK", rss, INVALID_UTF8_FEED,
		    sizeof INVALID_UTF8_FEED - 1);
	else if (strcmp(path, "/billion-laughs") == 0)
		send_document(client, 200, "OK", rss, BILLION_LAUGHS_FEED,
		    sizeof BILLION_LAUGHS_FEED - 1);
	else if (strcmp(path, "/xxe") == 0)
		send_document(client, 200, "OK", rss, XXE_FEED, sizeof XXE_FEED - 1);
	else if (strcmp(path, "/deep") == 0)
		send_document(client, 200, "OK", rss, server->deep_feed.data,
		    server->deep_feed.length);
	else if (strcmp(path, "/nul") == 0)
		send_document(client, 200, "OK", rss, server->nul_feed.data,
		    server->nul_feed.length);
	else if (strcmp(path, "/big-attribute") == 0)
		respond_big_attribute(client, query);
	else if (strcmp(path, "/html") == 0)
		send_document(client, 200, "OK", "Content-Type: text/html; charset=utf-8\r\n",
		    HTML_PAGE, sizeof HTML_PAGE - 1);
	else if (strcmp(path, "/429") == 0)
		respond_retry_after(client, 429, "Too Many Requests");
	else if (strcmp(path, "/503") == 0)
		respond_retry_after(client, 503, "Service Unavailable");
	else
		send_document(client, 404, "Not Found", "Content-Type: text/plain\r\n",
		    "no such hostile path\n", 21);
}

/* ---- connections ---- */

static double
seconds_since_start(void)
{
	return (double)(monotonic_ms() - started_ms) / 1000.0;
}

static void
client_free(struct client *client)
{
	if (client->previous != NULL)
		client->previous->next = client->next;
	else
		client->server->clients = client->next;
	if (client->next != NULL)
		client->next->previous = client->previous;
	if (client->timer != NULL)
		event_free(client->timer);
	bufferevent_free(client->connection);
	free(client->trickle);
	free(client);
}

/* Called when output drained (and after queuing): refill a stream, or finish. */
static void
client_flush(struct client *client)
{
	struct evbuffer *output = bufferevent_get_output(client->connection);
	struct timeval moment = { 0, 200000 };

	if (client->stream != STREAM_NONE) {
		while (client->stream != STREAM_NONE &&
		    evbuffer_get_length(output) < STREAM_LOW_WATER)
			stream_more(client);
		return;
	}
	if (evbuffer_get_length(output) > 0)
		return;
	if (client->reset_when_drained) {
		/* let the client read the half body before the reset discards nothing left */
		client->reset_when_drained = 0;
		client->timer = evtimer_new(client->server->base, on_reset_timer, client);
		evtimer_add(client->timer, &moment);
	} else if (client->close_when_drained)
		client_free(client);
}

static void
on_write(struct bufferevent *connection, void *context)
{
	client_flush(context);
}

/* A TLS ClientHello starts with record type 22 (handshake): answer it with garbage. */
static int
answer_tls(struct client *client, struct evbuffer *input)
{
	unsigned char first;

	if (evbuffer_copyout(input, &first, 1) != 1 || first != 0x16)
		return 0;
	printf("request n=%lu path=tls-handshake t=%.3f\n", client->number,
	    seconds_since_start());
	client->request_read = 1;
	client->server->requests++;
	bufferevent_write(client->connection, "this is not a TLS server hello, just garbage\r\n"
	    "\x15\x03\x01\x00\x02\x02\x50 and more garbage\r\n", 72);
	client->close_when_drained = 1;
	return 1;
}

static void
on_read(struct bufferevent *connection, void *context)
{
	struct client *client = context;
	struct evbuffer *input = bufferevent_get_input(connection);
	struct evbuffer_ptr end;
	char *line, *path, *query, *space;

	if (client->request_read) {
		evbuffer_drain(input, evbuffer_get_length(input));
		return;
	}
	if (answer_tls(client, input))
		return;
	end = evbuffer_search(input, "\r\n\r\n", 4, NULL);
	if (end.pos < 0) {
		if (evbuffer_get_length(input) > REQUEST_HEAD_MAX)
			client_free(client);
		return;
	}
	client->request_read = 1;
	client->server->requests++;
	line = evbuffer_readln(input, NULL, EVBUFFER_EOL_CRLF);
	evbuffer_drain(input, evbuffer_get_length(input));
	path = line ? strchr(line, ' ') : NULL;
	path = path ? path + 1 : (char *)"/";
	if ((space = strchr(path, ' ')) != NULL)
		*space = '\0';
	if ((query = strchr(path, '?')) != NULL)
		*query++ = '\0';
	printf("request n=%lu path=%s t=%.3f\n", client->number, path, seconds_since_start());
	respond(client, path, query);
	free(line);
}

static void
on_connection_event(struct bufferevent *connection, short events, void *context)
{
	if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(context);
}

static void
on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *address,
    int address_length, void *context)
{
	struct server *server = context;
	struct client *client = xcalloc(1, sizeof *client);
	char name[INET6_ADDRSTRLEN] = "?";

	if (address->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)address)->sin_addr, name, sizeof name);
	client->server = server;
	client->next = server->clients;
	if (server->clients != NULL)
		server->clients->previous = client;
	server->clients = client;
	client->number = ++server->connections;
	client->connection = bufferevent_socket_new(server->base, fd, BEV_OPT_CLOSE_ON_FREE);
	printf("connection n=%lu from=%s\n", client->number, name);
	bufferevent_setcb(client->connection, on_read, on_write, on_connection_event, client);
	bufferevent_setwatermark(client->connection, EV_WRITE, STREAM_LOW_WATER, 0);
	bufferevent_enable(client->connection, EV_READ | EV_WRITE);
}

static void
on_lifetime_over(evutil_socket_t fd, short what, void *context)
{
	event_base_loopexit(context, NULL);
}

static int
usage(void)
{
	fprintf(stderr, "usage: hostile_server [--bind ADDRESS] [--port N] [--lifetime SECONDS] "
	    "[--big-attribute-mb N]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct server server = { .big_attribute_mb = 100 };
	struct sockaddr_in address = { .sin_family = AF_INET };
	socklen_t address_length = sizeof address;
	const char *bind_address = "127.0.0.1";
	long port = 0, lifetime = 120;
	struct event *lifetime_timer, *stop_signal;
	struct timeval lifetime_delay;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (strcmp(argv[i], "--bind") == 0)
			bind_address = argv[++i];
		else if (strcmp(argv[i], "--port") == 0)
			port = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--lifetime") == 0)
			lifetime = strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--big-attribute-mb") == 0)
			server.big_attribute_mb = (int)strtol(argv[++i], NULL, 10);
		else
			return usage();
	}
	if (inet_pton(AF_INET, bind_address, &address.sin_addr) != 1 || port < 0 ||
	    port > 65535 || lifetime <= 0 || server.big_attribute_mb <= 0)
		return usage();
	address.sin_port = htons((uint16_t)port);
	setvbuf(stdout, NULL, _IOLBF, 0);
	started_ms = monotonic_ms();
	signal(SIGPIPE, SIG_IGN);
	if (gzip_bomb_make(&server.gzip_bomb) < 0) {
		fprintf(stderr, "hostile_server: cannot make the gzip bomb (libz.so.1)\n");
		buffer_free(&server.gzip_bomb);
	}
	deep_feed_make(&server.deep_feed);
	nul_feed_make(&server.nul_feed);

	server.base = event_base_new();
	server.listener = evconnlistener_new_bind(server.base, on_accept, &server,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64, (struct sockaddr *)&address,
	    sizeof address);
	if (server.listener == NULL) {
		fprintf(stderr, "hostile_server: cannot listen on %s:%ld: %s\n", bind_address, port,
		    strerror(errno));
		return 1;
	}
	getsockname(evconnlistener_get_fd(server.listener), (struct sockaddr *)&address,
	    &address_length);
	printf("port=%d gzip_bomb_bytes=%zu\n", ntohs(address.sin_port), server.gzip_bomb.length);

	lifetime_delay.tv_sec = lifetime;
	lifetime_delay.tv_usec = 0;
	lifetime_timer = evtimer_new(server.base, on_lifetime_over, server.base);
	evtimer_add(lifetime_timer, &lifetime_delay);
	stop_signal = evsignal_new(server.base, SIGTERM, on_lifetime_over, server.base);
	event_add(stop_signal, NULL);
	event_base_dispatch(server.base);

	printf("exit connections=%lu requests=%lu\n", server.connections, server.requests);
	while (server.clients != NULL)
		client_free(server.clients);
	event_free(stop_signal);
	event_free(lifetime_timer);
	evconnlistener_free(server.listener);
	event_base_free(server.base);
	buffer_free(&server.gzip_bomb);
	buffer_free(&server.deep_feed);
	buffer_free(&server.nul_feed);
	return 0;
}
