/*
 * fetch.c - builds the curl easy handle for a feed fetch and turns what curl saw into a
 * struct fetch_result (see fetch.h). The body is capped at max_size while it is written, as
 * it came; its Content-Encoding (gzip or deflate, the ones asked for) is undone once it is
 * complete, by content_decode.c rather than libcurl, again capped at max_size, so a gzip bomb
 * is refused. A feed's fetch (request->defer_decoding) leaves that to its caller instead: the
 * body comes back as it came, with its Content-Encoding, and ingest/outcome.c decodes it just
 * before parsing it. Response headers are read per hop so validators, Retry-After and the encoding
 * come from the final response and redirect kinds are known. The easy handle is the loop's
 * (loop_easy_take: a reset one of an earlier fetch when there is one) and goes back to it at the
 * end; a feed's Accept line is one list node kept for every fetch, the validators are nodes of
 * the fetch itself, and a feed keeps its URL parsed (struct fetch_url, CURLOPT_CURLU) so libcurl
 * copies it rather than parsing it again at every poll.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "content_decode.h"
#include "fetch.h"
#include "log.h"
#include "util.h"

/* A request's validator lines (If-None-Match, If-Modified-Since), each its own list node. */
#define VALIDATORS_MAX	2

struct fetch {
	struct loop		*loop;
	CURL			*easy;		/* the loop's (loop_easy_take), given back at the end */
	struct curl_slist	*headers;	/* CURLOPT_HTTPHEADER: the validators, then tail */
	struct curl_slist	 validators[VALIDATORS_MAX];
	struct curl_slist	*owned_tail;	/* Accept and extra lines of this request, or NULL */
	struct fetch_result	 result;
	struct buffer		 body;
	char			*content_encoding;	/* the final response's, or NULL */
	fetch_done_fn		 done;
	void			*context;
	long long		 max_size;
	int			 defer_decoding;	/* request->defer_decoding */
	int			 allow_private;
	int			 refused_address;
	int			 hops_all_permanent;
	long			 hop_status;
	int64_t			 started_ms;
	char			 curl_error[CURL_ERROR_SIZE];
};

struct fetch_url {
	char	*text;		/* the URL parsed */
	CURLU	*parsed;
};

const char *
fetch_outcome_name(enum fetch_outcome outcome)
{
	static const char *names[] = { "ok", "not-modified", "gone", "http-error", "too-large",
	    "timeout", "dns", "connect", "tls", "too-many-redirects", "refused-address", "other" };

	return outcome <= FETCH_OTHER ? names[outcome] : "other";
}

void
fetch_result_free(struct fetch_result *result)
{
	free(result->body);
	free(result->etag);
	free(result->last_modified);
	free(result->content_type);
	free(result->effective_url);
	free(result->content_encoding);
	memset(result, 0, sizeof *result);
}

static size_t
on_body(char *data, size_t size, size_t count, void *context)
{
	struct fetch *fetch = context;
	size_t length = size * count;

	if ((long long)(fetch->body.length + length) > fetch->max_size) {
		fetch->result.outcome = FETCH_TOO_LARGE;
		return 0;	/* curl aborts the transfer with CURLE_WRITE_ERROR */
	}
	buffer_append(&fetch->body, data, length);
	return length;
}

/* Copy a header value without surrounding white space. */
static char *
header_value(const char *line, size_t length, size_t name_length)
{
	const char *start = line + name_length, *end = line + length;

	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	return xstrndup(start, (size_t)(end - start));
}

static int
header_is(const char *line, size_t length, const char *name)
{
	size_t name_length = strlen(name);

	return length > name_length && strncasecmp(line, name, name_length) == 0;
}

static long
retry_after_parse(const char *value)
{
	char *end;
	long seconds = strtol(value, &end, 10);
	time_t when;

	if (end != value && *end == '\0')
		return seconds >= 0 ? seconds : -1;
	if ((when = curl_getdate(value, NULL)) < 0)
		return -1;
	return when > time(NULL) ? (long)(when - time(NULL)) : 0;
}

static long
max_age_parse(const char *cache_control)
{
	const char *found = strcasestr(cache_control, "max-age=");

	if (strcasestr(cache_control, "no-cache") || strcasestr(cache_control, "no-store"))
		return 0;
	return found != NULL ? strtol(found + 8, NULL, 10) : -1;
}

/* Was the response just finished a redirect other than 301/308? */
static void
check_hop_permanence(struct fetch *fetch)
{
	if (fetch->hop_status >= 300 && fetch->hop_status < 400 && fetch->hop_status != 301 &&
	    fetch->hop_status != 308)
		fetch->hops_all_permanent = 0;
}

/* A new response (status line): forget the previous hop's headers. */
static void
start_hop(struct fetch *fetch, const char *line)
{
	const char *space = strchr(line, ' ');
	long status = space ? strtol(space + 1, NULL, 10) : 0;

	check_hop_permanence(fetch);
	fetch->hop_status = status;
	free(fetch->result.etag);
	free(fetch->result.last_modified);
	fetch->result.etag = fetch->result.last_modified = NULL;
	fetch->result.retry_after_seconds = -1;
	fetch->result.max_age_seconds = -1;
	free(fetch->content_encoding);
	fetch->content_encoding = NULL;
}

static size_t
on_header(char *line, size_t size, size_t count, void *context)
{
	struct fetch *fetch = context;
	size_t length = size * count;
	char *value;

	if (length >= 5 && strncmp(line, "HTTP/", 5) == 0)
		start_hop(fetch, line);
	else if (header_is(line, length, "etag:")) {
		free(fetch->result.etag);
		fetch->result.etag = header_value(line, length, 5);
	} else if (header_is(line, length, "last-modified:")) {
		free(fetch->result.last_modified);
		fetch->result.last_modified = header_value(line, length, 14);
	} else if (header_is(line, length, "retry-after:")) {
		value = header_value(line, length, 12);
		fetch->result.retry_after_seconds = retry_after_parse(value);
		free(value);
	} else if (header_is(line, length, "content-encoding:")) {
		free(fetch->content_encoding);
		fetch->content_encoding = header_value(line, length, 17);
	} else if (header_is(line, length, "cache-control:")) {
		value = header_value(line, length, 14);
		fetch->result.max_age_seconds = max_age_parse(value);
		free(value);
	}
	return length;
}

/* Loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified and mapped forms of them. */
static int
address_is_private(const struct sockaddr *address)
{
	if (address->sa_family == AF_INET) {
		uint32_t ip = ntohl(((const struct sockaddr_in *)address)->sin_addr.s_addr);
		return (ip >> 24) == 127 || (ip >> 24) == 10 || (ip >> 24) == 0 ||
		    (ip >> 20) == 0xac1 || (ip >> 16) == 0xc0a8 || (ip >> 16) == 0xa9fe ||
		    (ip >> 22) == (0x64400000u >> 22) || ip == 0xffffffffu;
	}
	if (address->sa_family == AF_INET6) {
		const struct in6_addr *ip = &((const struct sockaddr_in6 *)address)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(ip)) {
			struct sockaddr_in mapped = { .sin_family = AF_INET };
			memcpy(&mapped.sin_addr, &ip->s6_addr[12], 4);
			return address_is_private((const struct sockaddr *)&mapped);
		}
		return IN6_IS_ADDR_LOOPBACK(ip) || IN6_IS_ADDR_UNSPECIFIED(ip) ||
		    IN6_IS_ADDR_LINKLOCAL(ip) || (ip->s6_addr[0] & 0xfe) == 0xfc;
	}
	return 1;
}

/* CURLOPT_OPENSOCKETFUNCTION: the SSRF guard sees every address curl connects to. */
static curl_socket_t
on_open_socket(void *context, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct fetch *fetch = context;

	if (!fetch->allow_private && address_is_private(&address->addr)) {
		fetch->refused_address = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

static enum fetch_outcome
classify(struct fetch *fetch, CURLcode code)
{
	long status = fetch->result.status;

	if (fetch->refused_address)
		return FETCH_REFUSED_ADDRESS;
	if (fetch->result.outcome == FETCH_TOO_LARGE || code == CURLE_FILESIZE_EXCEEDED)
		return FETCH_TOO_LARGE;
	switch (code) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return FETCH_DNS;
	case CURLE_COULDNT_CONNECT:
		return FETCH_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return FETCH_TLS;
	case CURLE_TOO_MANY_REDIRECTS:
		return FETCH_TOO_MANY_REDIRECTS;
	default:
		return FETCH_OTHER;
	}
	if (status == 304)
		return FETCH_NOT_MODIFIED;
	if (status == 410)
		return FETCH_GONE;
	if (status >= 200 && status < 300)
		return FETCH_OK;
	return FETCH_HTTP_ERROR;
}

/* The body, its Content-Encoding undone: too large past max_size, "other" when undecodable. */
static void
take_body(struct fetch *fetch, struct fetch_result *result)
{
	int status;

	result->body_length = fetch->body.length;
	result->body = buffer_steal(&fetch->body);
	if (fetch->defer_decoding && fetch->content_encoding != NULL) {
		result->content_encoding = xstrdup(fetch->content_encoding);
		result->max_size = fetch->max_size;
		return;		/* the caller decodes it when it needs it */
	}
	status = content_decode(fetch->content_encoding, &result->body, &result->body_length,
	    fetch->max_size, fetch->curl_error, sizeof fetch->curl_error);
	if (status == 0)
		return;
	free(result->body);
	result->body = NULL;
	result->body_length = 0;
	result->outcome = status == -1 ? FETCH_TOO_LARGE : FETCH_OTHER;
}

static void describe_failure(struct fetch *fetch, struct fetch_result *result,
	    CURLcode code);
static void free_request_headers(struct fetch *fetch);

static void
on_transfer_done(CURL *easy, CURLcode code, void *context)
{
	struct fetch *fetch = context;
	struct fetch_result *result = &fetch->result;
	char *content_type = NULL, *effective_url = NULL, *scheme = NULL;

	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &result->status);
	curl_easy_getinfo(easy, CURLINFO_SCHEME, &scheme);
	if (result->status == 0 && code == CURLE_OK && scheme && strcasecmp(scheme, "file") == 0)
		result->status = 200;
	curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
	curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective_url);
	curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &result->redirect_count);
	result->content_type = content_type ? xstrdup(content_type) : NULL;
	result->effective_url = effective_url ? xstrdup(effective_url) : NULL;
	/* The last response counts too: a chain ending on a 302 that was never followed
	 * (refused, failed) is no permanent move. */
	check_hop_permanence(fetch);
	result->permanent_redirect = result->redirect_count > 0 && fetch->hops_all_permanent;
	result->outcome = classify(fetch, code);
	result->elapsed_ms = (long)(monotonic_ms() - fetch->started_ms);
	if (result->outcome == FETCH_OK)
		take_body(fetch, result);
	if (result->outcome != FETCH_OK)
		describe_failure(fetch, result, code);
	buffer_free(&fetch->body);
	free(fetch->content_encoding);
	free_request_headers(fetch);
	loop_easy_give_back(fetch->loop, easy);
	fetch->done(result, fetch->context);
	free(fetch);
}

/* result->error for an outcome other than FETCH_OK. */
static void
describe_failure(struct fetch *fetch, struct fetch_result *result, CURLcode code)
{
	if (result->outcome == FETCH_HTTP_ERROR || result->outcome == FETCH_GONE)
		snprintf(result->error, sizeof result->error, "HTTP status %ld", result->status);
	else if (result->outcome == FETCH_TOO_LARGE)
		snprintf(result->error, sizeof result->error, "response over %lld bytes",
		    fetch->max_size);
	else if (result->outcome == FETCH_REFUSED_ADDRESS)
		snprintf(result->error, sizeof result->error, "refused to connect to a private "
		    "address (set [feeds] allow_private = yes to allow)");
	else if (result->outcome != FETCH_NOT_MODIFIED)
		snprintf(result->error, sizeof result->error, "%s", fetch->curl_error[0] ?
		    fetch->curl_error : curl_easy_strerror(code));
}

/* The Accept line of a feed's fetch, the same for every one: a list node never freed. */
static struct curl_slist feed_accept = {
	.data = "Accept: application/rss+xml, application/atom+xml, application/feed+json, "
	    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
	.next = NULL,
};

/* "Name: value", as a copy to free. */
static char *
header_line(const char *name, const char *value)
{
	size_t name_length = strlen(name), value_length = strlen(value);
	char *line = xmalloc(name_length + value_length + 3);

	memcpy(line, name, name_length);
	memcpy(line + name_length, ": ", 2);
	memcpy(line + name_length + 2, value, value_length + 1);
	return line;
}

/* Accept and the extra lines: the kept feed_accept list when they are a feed's defaults. */
static struct curl_slist *
header_tail(struct fetch *fetch, const struct fetch_request *request)
{
	char *line;

	if (request->accept == NULL && (request->headers == NULL || request->headers->count == 0))
		return &feed_accept;
	if (request->accept != NULL) {
		line = header_line("Accept", request->accept);
		fetch->owned_tail = curl_slist_append(fetch->owned_tail, line);
		free(line);
	} else
		fetch->owned_tail = curl_slist_append(fetch->owned_tail, feed_accept.data);
	if (request->headers != NULL)
		for (size_t i = 0; i < request->headers->count; i++)
			fetch->owned_tail = curl_slist_append(fetch->owned_tail,
			    request->headers->items[i]);
	return fetch->owned_tail;
}

/* The validators (each a node of fetch->validators), then Accept and the extra lines. */
static void
set_request_headers(struct fetch *fetch, const struct fetch_request *request)
{
	const char *names[VALIDATORS_MAX] = { "If-None-Match", "If-Modified-Since" };
	const char *values[VALIDATORS_MAX] = { request->etag, request->last_modified };
	struct curl_slist **link = &fetch->headers;

	for (int i = 0; i < VALIDATORS_MAX; i++) {
		if (values[i] == NULL)
			continue;
		fetch->validators[i].data = header_line(names[i], values[i]);
		*link = &fetch->validators[i];
		link = &fetch->validators[i].next;
	}
	*link = header_tail(fetch, request);
}

/* The request's header lines freed (the kept feed_accept stays). */
static void
free_request_headers(struct fetch *fetch)
{
	for (int i = 0; i < VALIDATORS_MAX; i++)
		free(fetch->validators[i].data);
	curl_slist_free_all(fetch->owned_tail);
}

void
fetch_url_free(struct fetch_url *url)
{
	if (url == NULL)
		return;
	free(url->text);
	curl_url_cleanup(url->parsed);
	free(url);
}

/* text parsed as libcurl parses CURLOPT_URL (url.c, parseurlandfillconn), or NULL when it
 * refuses it. */
static struct fetch_url *
fetch_url_parse(const char *text)
{
	CURLU *parsed = curl_url();
	struct fetch_url *url;

	if (parsed == NULL || curl_url_set(parsed, CURLUPART_URL, text, CURLU_GUESS_SCHEME |
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(parsed);
		return NULL;
	}
	url = xmalloc(sizeof *url);
	url->text = xstrdup(text);
	url->parsed = parsed;
	return url;
}

/* CURLOPT_CURLU with the caller's kept parse of request->url (made when it holds none of this
 * URL); CURLOPT_URL without one, or for a URL libcurl refuses (it says why, as before). */
static void
set_url(CURL *easy, const struct fetch_request *request)
{
	struct fetch_url **kept = request->parsed_url;

	if (kept != NULL && (*kept == NULL || strcmp((*kept)->text, request->url) != 0)) {
		fetch_url_free(*kept);
		*kept = fetch_url_parse(request->url);
	}
	if (kept != NULL && *kept != NULL)
		curl_easy_setopt(easy, CURLOPT_CURLU, (*kept)->parsed);
	else
		curl_easy_setopt(easy, CURLOPT_URL, request->url);
}

struct fetch *
fetch_start(struct loop *loop, const struct fetch_request *request, fetch_done_fn done,
    void *context)
{
	const struct config *config = request->config;
	struct fetch *fetch = xcalloc(1, sizeof *fetch);
	CURL *easy = loop_easy_take(loop);
	const char *user_agent = request->user_agent ? request->user_agent :
	    config->user_agent ? config->user_agent : "wiresift/" WIRESIFT_VERSION;

	fetch->loop = loop;
	fetch->easy = easy;
	fetch->done = done;
	fetch->context = context;
	fetch->max_size = request->max_size > 0 ? request->max_size : config->max_size;
	fetch->defer_decoding = request->defer_decoding;
	fetch->allow_private = config->allow_private;
	fetch->hops_all_permanent = 1;
	fetch->started_ms = monotonic_ms();
	fetch->result.retry_after_seconds = -1;
	fetch->result.max_age_seconds = -1;
	set_request_headers(fetch, request);
	set_url(easy, request);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, request->web_only ? "http,https" :
	    "http,https,file");
	curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);	/* content_decode.c */
	curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, fetch->headers);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)config->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)(request->timeout_ms > 0 ?
	    request->timeout_ms : config->timeout_ms));
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 100L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)fetch->max_size);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, fetch);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, fetch);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, fetch);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, fetch->curl_error);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (loop_add_transfer(loop, easy, on_transfer_done, fetch) < 0) {
		free_request_headers(fetch);
		loop_easy_give_back(loop, easy);
		free(fetch);
		return NULL;
	}
	return fetch;
}

void
fetch_cancel(struct loop *loop, struct fetch *fetch)
{
	loop_remove_transfer(loop, fetch->easy);
	free_request_headers(fetch);
	loop_easy_give_back(loop, fetch->easy);
	buffer_free(&fetch->body);
	free(fetch->content_encoding);
	fetch_result_free(&fetch->result);
	free(fetch);
}
