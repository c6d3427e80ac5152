/*
 * fetch.h - one fetch over libcurl, of a feed or of an article page (daemon/page.c):
 * conditional GET (ETag, Last-Modified), size and time limits, content decoding, redirect
 * tracking, and a guard that refuses to connect to loopback, private and link-local addresses
 * unless the operator allows them.
 */
#ifndef WIRESIFT_FETCH_H
#define WIRESIFT_FETCH_H

#include <stddef.h>
#include "article.h"
#include "config.h"
#include "loop.h"

struct fetch_request {
	const char		*url;
	const char		*etag;			/* previous validators, or NULL */
	const char		*last_modified;
	const struct strlist	*headers;		/* extra "Name: value" lines, or NULL */
	const char		*user_agent;		/* NULL: the configured/default one */
	const struct config	*config;		/* timeouts, max_size, allow_private */
	/* a page fetch (daemon/page.c) overrides these; 0/NULL: the [feeds] ones */
	long long		 max_size;
	long long		 timeout_ms;
	const char		*accept;		/* Accept header; NULL: feed types */
	int			 web_only;		/* http and https only: no file:// */
	/* a feed's fetch (ingest/schedule.c): a gzip or deflate body comes back still encoded
	 * (result->content_encoding), for content_decode() when its turn to be parsed comes */
	int			 defer_decoding;
	/* a feed's fetch: where the feed keeps its URL parsed for libcurl (NULL until its first
	 * fetch); NULL: libcurl parses url at every fetch */
	struct fetch_url	**parsed_url;
};

/*
 * A URL parsed once for libcurl (CURLOPT_CURLU) by fetch_start, kept by a caller that fetches
 * the same URL again and again (a feed) and parsed anew when request->url is another string.
 * It must outlive the fetch using it; fetch_url_free(NULL) does nothing.
 */
struct fetch_url;
void	 fetch_url_free(struct fetch_url *url);

enum fetch_outcome {
	FETCH_OK,		/* 2xx with a body */
	FETCH_NOT_MODIFIED,	/* 304 */
	FETCH_GONE,		/* 410: disable the feed */
	FETCH_HTTP_ERROR,	/* other 4xx/5xx */
	FETCH_TOO_LARGE,
	FETCH_TIMEOUT,
	FETCH_DNS,
	FETCH_CONNECT,
	FETCH_TLS,
	FETCH_TOO_MANY_REDIRECTS,
	FETCH_REFUSED_ADDRESS,	/* SSRF guard */
	FETCH_OTHER
};

struct fetch_result {
	enum fetch_outcome	 outcome;
	long			 status;		/* HTTP status, 200 for file:// */
	char			*body;
	size_t			 body_length;
	char			*etag;
	char			*last_modified;
	char			*content_type;
	long			 retry_after_seconds;	/* -1 when absent */
	long			 max_age_seconds;	/* Cache-Control max-age / Expires, -1 */
	char			*effective_url;
	int			 permanent_redirect;	/* every redirect hop was 301/308 */
	long			 redirect_count;
	long			 elapsed_ms;
	char			 error[256];		/* human reason for failures */
	/* defer_decoding: the Content-Encoding body still has (NULL: none, body decoded), and
	 * the max_size its decoded bytes must keep to */
	char			*content_encoding;
	long long		 max_size;
};

const char *fetch_outcome_name(enum fetch_outcome outcome);
void	 fetch_result_free(struct fetch_result *result);

typedef void (*fetch_done_fn)(struct fetch_result *result, void *context);

struct fetch;
/* Start a fetch on the loop; done gets the result (which it must fetch_result_free). */
struct fetch *fetch_start(struct loop *loop, const struct fetch_request *request,
	    fetch_done_fn done, void *context);
/* Abort a running fetch; done is not called. */
void	 fetch_cancel(struct loop *loop, struct fetch *fetch);

/*
 * The offline commands' blocking GET (fetch_once.c): http, https or file, redirects
 * followed, at most 64 MB in 60 s. The body (NUL-terminated, *length its size), or NULL with
 * the reason in error ("HTTP 404", or curl's message). content_type and final_url (after
 * redirects) are set to copies when not NULL and the transfer succeeded.
 */
char	*fetch_once(const char *url, size_t *length, char **content_type, char **final_url,
	    char *error, size_t error_size);

#endif
