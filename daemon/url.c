/*
 * url.c - canonical URLs, built on libcurl's URL API (CURLU).
 *
 * libcurl parses, resolves relative references and removes dot segments; this file adds what
 * makes two spellings of one article's address compare equal: lower-case scheme and host, no
 * default port, no fragment, no trailing dot on the host, percent-escapes in upper case, spaces
 * and non-ASCII bytes of path and query percent-encoded, and tracking parameters (utm_*, fbclid,
 * ...) removed from the query while the others keep their order.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "url.h"
#include "util.h"

/*
 * Query parameters that only say how a reader arrived, never what they read. A trailing '*'
 * makes a prefix. Names compare without regard to case. Operators add more through
 * conf/rules/tracking-params (passed in as extra_tracking).
 */
static const char *const builtin_tracking_params[] = {
	"utm_*", "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid",
	"mc_cid", "mc_eid", "_ga", "_gl", "igshid", "igsh", "yclid", "ref_src", "ref_url",
	"cmpid", "ocid", "twclid", "ttclid", "li_fat_id", "mkt_tok", "_hsenc", "_hsmi",
	"__hstc", "__hssc", "__hsfp", "hsctatracking", "vero_id", "vero_conv", "oly_anon_id",
	"oly_enc_id", "rb_clickid", "s_cid", "wickedid", "__twitter_impression", "guccounter",
	"guce_referrer", "guce_referrer_sig", "soc_src", "soc_trk", "ns_mchannel", "ns_source",
	"ns_campaign", "ns_linkname", "ns_fee", "xtor", "at_medium", "at_campaign",
	NULL
};

/* Does the parameter name (length bytes) match pattern ("name" or "prefix*")? */
static int
param_name_matches(const char *name, size_t length, const char *pattern)
{
	size_t pattern_length = strlen(pattern);

	if (pattern_length > 0 && pattern[pattern_length - 1] == '*')
		return length >= pattern_length - 1 &&
		    strncasecmp(name, pattern, pattern_length - 1) == 0;
	return length == pattern_length && strncasecmp(name, pattern, length) == 0;
}

static int
is_tracking_param(const char *name, size_t length, const struct strlist *extra_tracking)
{
	for (size_t i = 0; builtin_tracking_params[i] != NULL; i++)
		if (param_name_matches(name, length, builtin_tracking_params[i]))
			return 1;
	if (extra_tracking == NULL)
		return 0;
	for (size_t i = 0; i < extra_tracking->count; i++) {
		const char *pattern = extra_tracking->items[i];

		if (pattern[0] != '\0' && param_name_matches(name, length, pattern))
			return 1;
	}
	return 0;
}

/*
 * Rewrite a path or query into one spelling: "%2f" becomes "%2F", and spaces, control
 * characters and bytes outside ASCII are percent-encoded. Caller frees.
 */
static char *
normalize_escapes(const char *component)
{
	static const char hex_digits[] = "0123456789ABCDEF";
	struct buffer out = { 0 };

	for (const unsigned char *at = (const unsigned char *)component; *at != '\0'; at++) {
		if (*at == '%' && isxdigit(at[1]) && isxdigit(at[2])) {
			char escape[3] = { '%', (char)toupper(at[1]), (char)toupper(at[2]) };

			buffer_append(&out, escape, 3);
			at += 2;
		} else if (*at <= 0x20 || *at >= 0x7f) {
			char escape[3] = { '%', hex_digits[*at >> 4], hex_digits[*at & 15] };

			buffer_append(&out, escape, 3);
		} else
			buffer_append(&out, at, 1);
	}
	return buffer_steal(&out);
}

/* The query without tracking parameters, escapes normalized; NULL when nothing is left. */
static char *
query_without_tracking(const char *query, const struct strlist *extra_tracking)
{
	struct buffer kept = { 0 };
	const char *parameter = query;

	while (*parameter != '\0') {
		size_t length = strcspn(parameter, "&");
		size_t name_length = strcspn(parameter, "=&");

		if (length > 0 && !is_tracking_param(parameter, name_length, extra_tracking)) {
			if (kept.length > 0)
				buffer_append(&kept, "&", 1);
			buffer_append(&kept, parameter, length);
		}
		parameter += length;
		if (*parameter == '&')
			parameter++;
	}
	if (kept.length == 0) {
		buffer_free(&kept);
		return NULL;
	}
	char *normalized = normalize_escapes(kept.data);
	buffer_free(&kept);
	return normalized;
}

/* An RFC 3986 pchar other than a percent-escape: unreserved, sub-delims, ':' or '@'. */
static int
is_path_char(unsigned char byte)
{
	return isalnum(byte) || (byte != '\0' && strchr("-._~!$&'()*+,;=:@", byte) != NULL);
}

static int
is_upper_hex(unsigned char byte)
{
	return isdigit(byte) || (byte >= 'A' && byte <= 'F');
}

/* A lower-case DNS name: letters, digits, '-' and '.', not starting or ending with '.',
 * and not an IPv4 address in any of its spellings (libcurl rewrites "127.1" and such). */
static const char *
plain_host_end(const char *host)
{
	const char *at = host, *last_label = host;

	for (; islower((unsigned char)*at) || isdigit((unsigned char)*at) || *at == '-' ||
	    *at == '.'; at++)
		if (*at == '.')
			last_label = at + 1;
	if (at == host || host[0] == '.' || at[-1] == '.' || isdigit((unsigned char)*last_label))
		return NULL;
	return at;
}

int
url_is_plain(const char *url, int query_allowed)
{
	const char *at;

	if (strncmp(url, "https://", 8) == 0)
		at = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		at = url + 7;
	else
		return 0;
	if ((at = plain_host_end(at)) == NULL || *at != '/')
		return 0;
	while (*at == '/') {
		const char *segment = ++at;

		while (is_path_char((unsigned char)*at) || (*at == '%' &&
		    is_upper_hex((unsigned char)at[1]) && is_upper_hex((unsigned char)at[2])))
			at += *at == '%' ? 3 : 1;
		if ((at - segment == 1 && segment[0] == '.') ||
		    (at - segment == 2 && segment[0] == '.' && segment[1] == '.') ||
		    (at == segment && *at == '/'))
			return 0;	/* a dot segment, or an empty one inside the path */
	}
	if (*at == '?' && query_allowed && at[1] != '\0')	/* libcurl drops an empty one */
		for (at++; is_path_char((unsigned char)*at) || *at == '/' || *at == '?' ||
		    (*at == '%' && is_upper_hex((unsigned char)at[1]) &&
		    is_upper_hex((unsigned char)at[2])); at += *at == '%' ? 3 : 1)
			;
	return *at == '\0';
}

/* Parse url (resolved against base when given) into a new handle; NULL when it fails. */
static CURLU *
url_parse(const char *url, const char *base)
{
	CURLU *handle = curl_url();
	char *trimmed;
	size_t length;

	if (handle == NULL)
		return NULL;
	if (base != NULL && curl_url_set(handle, CURLUPART_URL, base, 0) != CURLUE_OK) {
		curl_url_cleanup(handle);
		return NULL;
	}
	/* Feeds often wrap links in white space; spaces inside are encoded later. */
	while (isspace((unsigned char)*url))
		url++;
	length = strlen(url);
	while (length > 0 && isspace((unsigned char)url[length - 1]))
		length--;
	trimmed = xstrndup(url, length);
	if (length == 0 || curl_url_set(handle, CURLUPART_URL, trimmed,
	    CURLU_ALLOW_SPACE) != CURLUE_OK) {
		free(trimmed);
		curl_url_cleanup(handle);
		return NULL;
	}
	free(trimmed);
	return handle;
}

/* Copy of a part of the URL, or NULL when absent. */
static char *
url_part(CURLU *handle, CURLUPart part)
{
	char *value = NULL;
	char *copy;

	if (curl_url_get(handle, part, &value, 0) != CURLUE_OK || value == NULL)
		return NULL;
	copy = xstrdup(value);
	curl_free(value);
	return copy;
}

static void
lower_case(char *text)
{
	for (; *text != '\0'; text++)
		*text = (char)tolower((unsigned char)*text);
}

/* Lower-case host without a trailing dot; NULL when the URL has none. */
static char *
canonical_host(CURLU *handle)
{
	char *host = url_part(handle, CURLUPART_HOST);
	size_t length;

	if (host == NULL)
		return NULL;
	lower_case(host);
	length = strlen(host);
	if (length > 1 && host[length - 1] == '.')
		host[length - 1] = '\0';
	if (host[0] == '\0') {
		free(host);
		return NULL;
	}
	return host;
}

/* libcurl writes the escapes of a part it was given in lower case; RFC 3986 prefers upper. */
static void
upper_case_escapes(char *url)
{
	for (char *at = url; *at != '\0'; at++)
		if (at[0] == '%' && isxdigit((unsigned char)at[1]) &&
		    isxdigit((unsigned char)at[2])) {
			at[1] = (char)toupper((unsigned char)at[1]);
			at[2] = (char)toupper((unsigned char)at[2]);
			at += 2;
		}
}

static int
set_part(CURLU *handle, CURLUPart part, const char *value)
{
	return curl_url_set(handle, part, value, 0) == CURLUE_OK ? 0 : -1;
}

/* Drop the port when it is the scheme's default. */
static int
canonical_port(CURLU *handle, const char *scheme)
{
	char *port = url_part(handle, CURLUPART_PORT);
	int failed = 0;

	if (port == NULL)
		return 0;
	if ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
	    (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0))
		failed = set_part(handle, CURLUPART_PORT, NULL);
	free(port);
	return failed;
}

static int
canonical_path_and_query(CURLU *handle, const struct strlist *extra_tracking)
{
	char *path = url_part(handle, CURLUPART_PATH);
	char *query = url_part(handle, CURLUPART_QUERY);
	char *new_query = query ? query_without_tracking(query, extra_tracking) : NULL;
	int failed = 0;

	if (path != NULL) {
		char *new_path = normalize_escapes(path);

		failed |= set_part(handle, CURLUPART_PATH, new_path);
		free(new_path);
	}
	failed |= set_part(handle, CURLUPART_QUERY, new_query);
	free(path);
	free(query);
	free(new_query);
	return failed;
}

char *
url_canonical(const char *url, const char *base, const struct strlist *extra_tracking)
{
	CURLU *handle;
	char *scheme = NULL, *host = NULL, *result = NULL;

	if (url == NULL)
		return NULL;
	if (url_is_plain(url, 0))
		return xstrdup(url);
	if ((handle = url_parse(url, base)) == NULL)
		return NULL;
	if ((scheme = url_part(handle, CURLUPART_SCHEME)) == NULL)
		goto done;
	lower_case(scheme);
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		goto done;
	if ((host = canonical_host(handle)) == NULL)
		goto done;
	if (set_part(handle, CURLUPART_SCHEME, scheme) == -1 ||
	    set_part(handle, CURLUPART_HOST, host) == -1 ||
	    canonical_port(handle, scheme) == -1 ||
	    set_part(handle, CURLUPART_FRAGMENT, NULL) == -1 ||
	    canonical_path_and_query(handle, extra_tracking) == -1)
		goto done;
	if ((result = url_part(handle, CURLUPART_URL)) != NULL)
		upper_case_escapes(result);
done:
	free(scheme);
	free(host);
	curl_url_cleanup(handle);
	return result;
}

char *
url_resolve(const char *base, const char *reference)
{
	CURLU *handle;
	char *result;

	if (reference == NULL)
		return NULL;
	if (url_is_plain(reference, 1))
		return xstrdup(reference);
	if ((handle = url_parse(reference, base)) == NULL)
		return NULL;
	result = url_part(handle, CURLUPART_URL);
	curl_url_cleanup(handle);
	return result;
}

char *
url_domain(const char *url)
{
	CURLU *handle;
	char *host, *domain;

	if (url == NULL || (handle = url_parse(url, NULL)) == NULL)
		return NULL;
	host = canonical_host(handle);
	curl_url_cleanup(handle);
	if (host == NULL)
		return NULL;
	if (strncmp(host, "www.", 4) == 0 && host[4] != '\0') {
		domain = xstrdup(host + 4);
		free(host);
		return domain;
	}
	return host;
}
