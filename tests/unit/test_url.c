/*
 * test_url.c - canonical URLs: case, default ports, fragments, tracking parameters (built-in,
 * extra and prefix*), relative references, domains, and what is refused.
 */
#include <curl/curl.h>
#include <stdlib.h>

#include "check.h"
#include "article.h"
#include "url.h"

/* Check url_canonical(url, base, extra) against expected (NULL: refused). */
static void
check_canonical(const char *url, const char *base, const struct strlist *extra,
    const char *expected)
{
	char *canonical = url_canonical(url, base, extra);

	CHECK_STR(canonical, expected);
	free(canonical);
}

static void
test_case_port_fragment(void)
{
	check_canonical("HTTP://Example.COM:80/News/Story?id=7#comments", NULL, NULL,
	    "http://example.com/News/Story?id=7");
	check_canonical("https://WWW.Example.org:443/a", NULL, NULL, "https://www.example.org/a");
	check_canonical("https://example.org:8443/a#top", NULL, NULL,
	    "https://example.org:8443/a");
	check_canonical("http://example.org:443/a", NULL, NULL, "http://example.org:443/a");
	check_canonical("https://example.org", NULL, NULL, "https://example.org/");
	check_canonical("https://example.org./x", NULL, NULL, "https://example.org/x");
	check_canonical("  \n https://example.org/padded \t", NULL, NULL,
	    "https://example.org/padded");
}

static void
test_tracking_params(void)
{
	check_canonical("https://news.example.com/a?utm_source=rss&utm_medium=feed&id=42&"
	    "utm_campaign=x", NULL, NULL, "https://news.example.com/a?id=42");
	check_canonical("https://news.example.com/a?fbclid=abc&gclid=def&dclid=1&msclkid=2&"
	    "mc_cid=3&mc_eid=4&_ga=5&igshid=6&yclid=7&ref_src=twsrc&cmpid=8&ocid=9", NULL, NULL,
	    "https://news.example.com/a");
	check_canonical("https://news.example.com/a?UTM_Source=x&page=2&sort=new", NULL, NULL,
	    "https://news.example.com/a?page=2&sort=new");
	check_canonical("https://news.example.com/a?b=2&a=1&utm_term=q&c=3", NULL, NULL,
	    "https://news.example.com/a?b=2&a=1&c=3");
	check_canonical("https://news.example.com/a?", NULL, NULL, "https://news.example.com/a");
	check_canonical("https://news.example.com/a?&&x=1&&", NULL, NULL,
	    "https://news.example.com/a?x=1");
	/* a name that merely starts like a tracking one is kept */
	check_canonical("https://news.example.com/a?ocidental=1&gclid_not=2", NULL, NULL,
	    "https://news.example.com/a?ocidental=1&gclid_not=2");
}

static void
test_extra_tracking(void)
{
	struct strlist extra = { 0 };

	strlist_add(&extra, "CMP");
	strlist_add(&extra, "sh_*");
	check_canonical("https://example.net/p?CMP=share_btn_tw&sh_kit=1&sh_x=2&q=ok", NULL,
	    &extra, "https://example.net/p?q=ok");
	check_canonical("https://example.net/p?cmp=a&share=1", NULL, &extra,
	    "https://example.net/p?share=1");
	/* without the extra list those are ordinary parameters */
	check_canonical("https://example.net/p?CMP=share_btn_tw&q=ok", NULL, NULL,
	    "https://example.net/p?CMP=share_btn_tw&q=ok");
	strlist_clear(&extra);
}

static void
test_escapes(void)
{
	check_canonical("https://example.com/a%2fb?q=%e2%80%94", NULL, NULL,
	    "https://example.com/a%2Fb?q=%E2%80%94");
	check_canonical("https://example.com/caf\xc3\xa9 menu", NULL, NULL,
	    "https://example.com/caf%C3%A9%20menu");
	check_canonical("https://example.com/a/./b/../c", NULL, NULL, "https://example.com/a/c");
}

static void
test_relative_and_refused(void)
{
	check_canonical("/2025/09/story.html?utm_source=x", "https://Example.com/feed.xml", NULL,
	    "https://example.com/2025/09/story.html");
	check_canonical("../b?x=1#f", "https://example.com/one/two/three", NULL,
	    "https://example.com/one/b?x=1");
	check_canonical("//cdn.example.org/x", "https://example.com/", NULL,
	    "https://cdn.example.org/x");
	check_canonical("/relative/only", NULL, NULL, NULL);
	check_canonical("mailto:desk@example.com", NULL, NULL, NULL);
	check_canonical("ftp://example.com/file", NULL, NULL, NULL);
	check_canonical("", NULL, NULL, NULL);
	check_canonical(NULL, NULL, NULL, NULL);
	check_canonical("http://", NULL, NULL, NULL);
}

static void
test_resolve(void)
{
	char *resolved = url_resolve("https://example.com/feeds/main.xml", "item/9");

	CHECK_STR(resolved, "https://example.com/feeds/item/9");
	free(resolved);
	resolved = url_resolve("https://example.com/feeds/main.xml", "https://other.org/x#y");
	CHECK_STR(resolved, "https://other.org/x#y");
	free(resolved);
	resolved = url_resolve(NULL, "relative");
	CHECK(resolved == NULL);
	free(resolved);
}

static void
test_domain(void)
{
	char *domain = url_domain("https://WWW.Example.co.uk/path");

	CHECK_STR(domain, "example.co.uk");
	free(domain);
	domain = url_domain("http://news.example.com:8080/");
	CHECK_STR(domain, "news.example.com");
	free(domain);
	domain = url_domain("https://www2.example.com/");
	CHECK_STR(domain, "www2.example.com");
	free(domain);
	domain = url_domain("not a url");
	CHECK(domain == NULL);
	free(domain);
}

/* What libcurl's URL API makes of reference against base: the slow path, asked directly. */
static char *
libcurl_resolve(const char *base, const char *reference)
{
	CURLU *handle = curl_url();
	char *text = NULL, *copy = NULL;

	if (curl_url_set(handle, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(handle, CURLUPART_URL, reference, CURLU_ALLOW_SPACE) == CURLUE_OK &&
	    curl_url_get(handle, CURLUPART_URL, &text, 0) == CURLUE_OK)
		copy = strdup(text);
	curl_free(text);
	curl_url_cleanup(handle);
	return copy;
}

/*
 * url_is_plain() lets url_resolve() and url_canonical() copy a URL without libcurl; on
 * 24,000 URLs built from awkward parts, every one it passes must be exactly what libcurl
 * gives for it, and (without a query) what the full canonical path gives for it with a
 * fragment added, which forces that path.
 */
static void
test_plain_urls_are_what_libcurl_gives(void)
{
	static const char *schemes[] = { "http://", "https://", "HTTP://", "ftp://" };
	static const char *hosts[] = { "a.example", "A.example", "b-c.example.", "b-c.example",
	    "xn--bcher-kva.example", "www.news.example", "127.1", "host", "x.1example",
	    "10.0.0.1", "[::1]", "user@h.example", "h.example:80", "h.example:8080" };
	static const char *paths[] = { "", "/", "/a", "/a/b/", "/a//b", "/./a", "/a/../b", "/a/.",
	    "/%7e", "/%7E", "/a b", "/\xc3\xa9", "/a;b=c", "/~x_y-z", "/a:b@c",
	    "/!$&'()*+,;=", "/..x/.y" };
	static const char *queries[] = { "", "?", "?a=1", "?utm_source=x", "?a=1&b=%2f",
	    "?b=%2F&c", "?a/b?c", "?%", "?a%2" };
	static const char *fragments[] = { "", "#f", "#" };
	int plain_count = 0, canonical_count = 0;

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))
	for (size_t s = 0; s < COUNT_OF(schemes); s++)
	for (size_t h = 0; h < COUNT_OF(hosts); h++)
	for (size_t p = 0; p < COUNT_OF(paths); p++)
	for (size_t q = 0; q < COUNT_OF(queries); q++)
	for (size_t f = 0; f < COUNT_OF(fragments); f++) {
		char url[256], with_fragment[270];

		snprintf(url, sizeof url, "%s%s%s%s%s", schemes[s], hosts[h], paths[p],
		    queries[q], fragments[f]);
		if (!url_is_plain(url, 1)) {
			CHECK(!url_is_plain(url, 0));
			continue;
		}
		plain_count++;
		char *by_libcurl = libcurl_resolve("https://base.example/dir/page", url);
		CHECK_STR(by_libcurl, url);
		free(by_libcurl);
		if (!url_is_plain(url, 0))
			continue;
		canonical_count++;
		snprintf(with_fragment, sizeof with_fragment, "%s#fragment", url);
		char *canonical = url_canonical(with_fragment, NULL, NULL);
		CHECK_STR(canonical, url);
		free(canonical);
	}
#undef COUNT_OF
	CHECK(plain_count > 400 && canonical_count > 80);	/* the fast path was exercised */
}

int
main(void)
{
	RUN(test_case_port_fragment);
	RUN(test_tracking_params);
	RUN(test_extra_tracking);
	RUN(test_escapes);
	RUN(test_relative_and_refused);
	RUN(test_resolve);
	RUN(test_domain);
	RUN(test_plain_urls_are_what_libcurl_gives);
	return check_finish();
}
