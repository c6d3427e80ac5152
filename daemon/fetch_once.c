/*
 * fetch_once.c - the one-shot, blocking GET of the offline commands (parse, process,
 * extract), which read one URL at a time and have no event loop: http, https or file,
 * redirects followed, the body capped, one timeout for the whole transfer (see fetch.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "fetch.h"
#include "util.h"

#define ONCE_MAX_BYTES	(64u * 1024 * 1024)

static size_t
collect(char *data, size_t size, size_t count, void *context)
{
	struct buffer *body = context;

	if (body->length + size * count > ONCE_MAX_BYTES)
		return 0;
	buffer_append(body, data, size * count);
	return size * count;
}

static void
once_options(CURL *easy, const char *url, struct buffer *body)
{
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "wiresift/" WIRESIFT_VERSION);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, body);
}

/* What a failed transfer says: "HTTP 404" for an error status, else curl's message. */
static void
once_error(CURL *easy, CURLcode result, char *error, size_t error_size)
{
	long status = 0;

	if (result == CURLE_HTTP_RETURNED_ERROR &&
	    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK)
		snprintf(error, error_size, "HTTP %ld", status);
	else
		snprintf(error, error_size, "%s", curl_easy_strerror(result));
}

/* Copy a string the handle reports (content type, effective URL) into *out, when asked. */
static void
once_info(CURL *easy, CURLINFO info, char **out)
{
	char *value = NULL;

	if (out == NULL)
		return;
	*out = curl_easy_getinfo(easy, info, &value) == CURLE_OK && value != NULL ?
	    xstrdup(value) : NULL;
}

char *
fetch_once(const char *url, size_t *length, char **content_type, char **final_url,
    char *error, size_t error_size)
{
	struct buffer body = { 0 };
	CURL *easy = curl_easy_init();
	CURLcode result;

	if (easy == NULL) {
		snprintf(error, error_size, "cannot start a transfer");
		return NULL;
	}
	once_options(easy, url, &body);
	result = curl_easy_perform(easy);
	if (result == CURLE_OK) {
		once_info(easy, CURLINFO_CONTENT_TYPE, content_type);
		once_info(easy, CURLINFO_EFFECTIVE_URL, final_url);
	} else
		once_error(easy, result, error, error_size);
	curl_easy_cleanup(easy);
	if (result != CURLE_OK) {
		buffer_free(&body);
		return NULL;
	}
	*length = body.length;
	return buffer_steal(&body);
}
