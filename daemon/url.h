/*
 * url.h - canonical URLs with libcurl's URL API: scheme and host lower-cased, default port and
 * fragment removed, tracking parameters stripped (utm_*, fbclid, gclid, mc_*, ... and any extra
 * names given), relative references resolved against a base.
 */
#ifndef WIRESIFT_URL_H
#define WIRESIFT_URL_H

#include "article.h"

/* NULL when url is not an absolute http(s) URL (after resolving against base, if given). */
char	*url_canonical(const char *url, const char *base, const struct strlist *extra_tracking);
/* Resolve a reference against a base URL; NULL on failure. Caller frees. */
char	*url_resolve(const char *base, const char *reference);
/*
 * True when url is an absolute http(s) URL already in the form the two functions above
 * would give (so they copy it without asking libcurl): lower-case scheme and DNS host, no
 * user, port or fragment, a path of RFC 3986 characters with upper-case escapes and no dot
 * or empty segments, and a query only when query_allowed (url_canonical() looks at every
 * query for tracking parameters).
 */
int	 url_is_plain(const char *url, int query_allowed);
/* Lower-case host of an absolute URL, without "www."; NULL on failure. Caller frees. */
char	*url_domain(const char *url);

#endif
