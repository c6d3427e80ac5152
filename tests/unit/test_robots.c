/*
 * test_robots.c - the robots.txt parser and matcher (daemon/robots.c) against RFC 9309's
 * rules: group selection (our token, else `*`, merged groups, a group naming us with no
 * rules), longest match with allow winning ties, `*` and `$`, percent-encoding, comments, line
 * ends, records outside groups, Crawl-delay, the 500 KiB limit, and hostile input.
 * tests/e2e/test_robots_compare.py checks the same matcher against Protego (Scrapy's parser).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "robots.h"

static int
allowed(const char *body, const char *agent, const char *path)
{
	struct robots *robots = robots_parse(body, strlen(body), agent);
	int result = robots_allowed(robots, path);

	robots_free(robots);
	return result;
}

static void
test_empty_allows_everything(void)
{
	CHECK(allowed("", "wiresift", "/anything"));
	CHECK(allowed("# only a comment\n", "wiresift", "/"));
	CHECK(allowed("Disallow: /\n", "wiresift", "/x"));	/* no group: ignored */
}

static void
test_star_group(void)
{
	const char *body = "User-agent: *\nDisallow: /private/\n";

	CHECK(!allowed(body, "wiresift", "/private/page.html"));
	CHECK(allowed(body, "wiresift", "/public/page.html"));
	CHECK(allowed(body, "wiresift", "/private"));	/* prefix of the rule, not matched */
}

static void
test_our_group_wins_over_star(void)
{
	const char *body = "User-agent: *\nDisallow: /\n\nUser-agent: WireSift\nDisallow: /x/\n";

	CHECK(allowed(body, "wiresift", "/news/1"));
	CHECK(!allowed(body, "wiresift", "/x/1"));
	CHECK(!allowed(body, "otherbot", "/news/1"));
	/* A full User-Agent string is cut to its product token. */
	CHECK(allowed(body, "wiresift/0.1.0 (+https://example.org)", "/news/1"));
}

static void
test_group_naming_us_without_rules(void)
{
	/* We are named, with nothing disallowed: `*` does not apply. */
	const char *body = "User-agent: *\nDisallow: /\n\nUser-agent: wiresift\n";

	CHECK(allowed(body, "wiresift", "/a"));
	CHECK(!allowed(body, "somebot", "/a"));
	/* Blank lines do not end a run of user-agent lines (RFC 9309 2.2's grammar). */
	body = "User-agent: wiresift\n\nUser-agent: *\nDisallow: /\n";
	CHECK(!allowed(body, "wiresift", "/a"));
}

static void
test_agent_line_token(void)
{
	/* "wiresift/2.0" names us; "wiresift-bot" and "wire" do not. */
	CHECK(!allowed("User-agent: wiresift/2.0\nDisallow: /\n", "wiresift", "/a"));
	CHECK(allowed("User-agent: wiresift-bot\nDisallow: /\n", "wiresift", "/a"));
	CHECK(allowed("User-agent: wire\nDisallow: /\n", "wiresift", "/a"));
}

static void
test_groups_merge(void)
{
	const char *body = "User-agent: wiresift\nDisallow: /a/\n\nUser-agent: other\n"
	    "Disallow: /b/\n\nUser-agent: wiresift\nDisallow: /c/\n";

	CHECK(!allowed(body, "wiresift", "/a/1"));
	CHECK(allowed(body, "wiresift", "/b/1"));
	CHECK(!allowed(body, "wiresift", "/c/1"));
}

static void
test_consecutive_agents_share_rules(void)
{
	const char *body = "User-agent: a\nUser-agent: wiresift\nUser-agent: b\nDisallow: /z\n";

	CHECK(!allowed(body, "wiresift", "/z"));
	CHECK(!allowed(body, "a", "/zebra"));
	CHECK(allowed(body, "c", "/z"));
}

static void
test_agent_after_rule_starts_new_group(void)
{
	const char *body = "User-agent: wiresift\nDisallow: /one\nUser-agent: other\n"
	    "Disallow: /two\n";

	CHECK(!allowed(body, "wiresift", "/one"));
	CHECK(allowed(body, "wiresift", "/two"));
}

static void
test_unknown_records_do_not_split_groups(void)
{
	const char *body = "User-agent: other\nSitemap: https://example.org/s.xml\n"
	    "User-agent: wiresift\nDisallow: /p\n";

	CHECK(!allowed(body, "wiresift", "/p"));
	CHECK(!allowed(body, "other", "/p"));
}

static void
test_longest_match(void)
{
	const char *body = "User-agent: *\nDisallow: /folder/\nAllow: /folder/public/\n"
	    "Disallow: /folder/public/secret\n";

	CHECK(!allowed(body, "wiresift", "/folder/x"));
	CHECK(allowed(body, "wiresift", "/folder/public/page"));
	CHECK(!allowed(body, "wiresift", "/folder/public/secret.html"));
}

static void
test_allow_wins_tie(void)
{
	CHECK(allowed("User-agent: *\nDisallow: /page\nAllow: /page\n", "wiresift", "/page"));
	CHECK(allowed("User-agent: *\nAllow: /page\nDisallow: /page\n", "wiresift", "/page"));
}

static void
test_wildcards(void)
{
	const char *body = "User-agent: *\nDisallow: /*.pdf$\nDisallow: /*/print\n"
	    "Disallow: /search*q=\nAllow: /$\nDisallow: /\n";

	CHECK(allowed(body, "wiresift", "/"));
	CHECK(!allowed(body, "wiresift", "/index.html"));	/* Disallow: / */
	body = "User-agent: *\nDisallow: /*.pdf$\nDisallow: /*/print\nDisallow: /search*q=\n";
	CHECK(!allowed(body, "wiresift", "/docs/a.pdf"));
	CHECK(allowed(body, "wiresift", "/docs/a.pdf?download=1"));	/* $ anchors */
	CHECK(allowed(body, "wiresift", "/docs/a.pdfx"));
	CHECK(!allowed(body, "wiresift", "/story/123/print"));
	CHECK(allowed(body, "wiresift", "/print"));
	CHECK(!allowed(body, "wiresift", "/search/results?lang=en&q=x"));
	CHECK(allowed(body, "wiresift", "/search/results?lang=en"));
}

static void
test_wildcard_backtracking(void)
{
	const char *body = "User-agent: *\nDisallow: /a*b*c$\n";

	CHECK(!allowed(body, "wiresift", "/axxbyybzzc"));
	CHECK(allowed(body, "wiresift", "/axxbyybzzcd"));
	CHECK(!allowed(body, "wiresift", "/abcbc"));
	CHECK(allowed(body, "wiresift", "/acb"));
}

static void
test_empty_disallow_allows(void)
{
	CHECK(allowed("User-agent: *\nDisallow:\n", "wiresift", "/anything"));
	CHECK(allowed("User-agent: *\nDisallow: # nothing\n", "wiresift", "/anything"));
}

static void
test_case_and_spacing(void)
{
	const char *body = "USER-AGENT :  *  \n  disallow:/Secret # a comment\n";

	CHECK(!allowed(body, "wiresift", "/Secret/file"));
	CHECK(allowed(body, "wiresift", "/secret/file"));	/* paths are case sensitive */
}

static void
test_line_ends_and_bom(void)
{
	CHECK(!allowed("\xef\xbb\xbfUser-agent: *\r\nDisallow: /a\r\n", "wiresift", "/a"));
	CHECK(!allowed("User-agent: *\rDisallow: /a\r", "wiresift", "/a"));
	CHECK(!allowed("User-agent: *\nDisallow: /a", "wiresift", "/a"));	/* no final LF */
}

static void
test_percent_encoding(void)
{
	/* A raw UTF-8 path in the file matches its percent-encoded form and the other way. */
	CHECK(!allowed("User-agent: *\nDisallow: /caf\xc3\xa9\n", "wiresift", "/caf%C3%A9/menu"));
	CHECK(!allowed("User-agent: *\nDisallow: /caf%c3%a9\n", "wiresift", "/caf\xc3\xa9"));
	CHECK(allowed("User-agent: *\nDisallow: /a%2Fb\n", "wiresift", "/a/b"));
}

static void
test_robots_txt_always_allowed(void)
{
	CHECK(allowed("User-agent: *\nDisallow: /\n", "wiresift", "/robots.txt"));
	CHECK(!allowed("User-agent: *\nDisallow: /\n", "wiresift", "/"));
	CHECK(!allowed("User-agent: *\nDisallow: /\n", "wiresift", ""));
}

static void
test_crawl_delay(void)
{
	const char *body = "User-agent: *\nCrawl-delay: 7\n\nUser-agent: wiresift\n"
	    "Crawl-delay: 2.5\nDisallow: /x\n";
	struct robots *robots = robots_parse(body, strlen(body), "wiresift");

	CHECK(robots_crawl_delay(robots) == 2.5);
	robots_free(robots);
	robots = robots_parse(body, strlen(body), "other");
	CHECK(robots_crawl_delay(robots) == 7);
	robots_free(robots);
	body = "User-agent: *\nCrawl-delay: soon\nCrawl-delay: -3\n";
	robots = robots_parse(body, strlen(body), "wiresift");
	CHECK(robots_crawl_delay(robots) == -1);
	robots_free(robots);
}

static void
test_fixed_verdicts(void)
{
	struct robots *robots = robots_allow_all();

	CHECK(robots_allowed(robots, "/a"));
	CHECK(robots_rule_count(robots) == 0);
	CHECK(!robots_disallows_all(robots));
	robots_free(robots);
	robots = robots_disallow_all();
	CHECK(robots_disallows_all(robots));
	CHECK(!robots_allowed(robots, "/a"));
	CHECK(!robots_allowed(robots, "/"));
	robots_free(robots);
}

static void
test_size_limit(void)
{
	/* A rule past ROBOTS_MAX_BYTES is not read. */
	size_t pad = ROBOTS_MAX_BYTES;
	const char *head = "User-agent: *\nDisallow: /early\n", *tail = "\nDisallow: /late\n";
	char *body = malloc(strlen(head) + pad + strlen(tail) + 1);

	if (body == NULL) {
		CHECK(body != NULL);
		return;
	}
	strcpy(body, head);
	memset(body + strlen(head), '#', pad);
	strcpy(body + strlen(head) + pad, tail);
	struct robots *robots = robots_parse(body, strlen(body), "wiresift");
	CHECK(!robots_allowed(robots, "/early"));
	CHECK(robots_allowed(robots, "/late"));
	CHECK(robots_rule_count(robots) == 1);
	robots_free(robots);
	free(body);
}

static void
test_hostile_input(void)
{
	/* NUL bytes, no colon, long lines, many stars: no crash, sane answers. */
	static const char body[] = "User-agent: *\n\0Disallow: /nul\nDisallow /nocolon\n"
	    "Disallow: /****************************************************************x$\n";
	struct robots *robots = robots_parse(body, sizeof body - 1, "wiresift");
	char path[4096];

	memset(path, 'a', sizeof path - 1);
	path[0] = '/';
	path[sizeof path - 1] = '\0';
	CHECK(robots_allowed(robots, path));
	path[sizeof path - 2] = 'x';
	CHECK(!robots_allowed(robots, path));
	CHECK(robots_allowed(robots, "/nocolon"));
	robots_free(robots);
}

int
main(void)
{
	RUN(test_empty_allows_everything);
	RUN(test_star_group);
	RUN(test_our_group_wins_over_star);
	RUN(test_group_naming_us_without_rules);
	RUN(test_agent_line_token);
	RUN(test_groups_merge);
	RUN(test_consecutive_agents_share_rules);
	RUN(test_agent_after_rule_starts_new_group);
	RUN(test_unknown_records_do_not_split_groups);
	RUN(test_longest_match);
	RUN(test_allow_wins_tie);
	RUN(test_wildcards);
	RUN(test_wildcard_backtracking);
	RUN(test_empty_disallow_allows);
	RUN(test_case_and_spacing);
	RUN(test_line_ends_and_bom);
	RUN(test_percent_encoding);
	RUN(test_robots_txt_always_allowed);
	RUN(test_crawl_delay);
	RUN(test_fixed_verdicts);
	RUN(test_size_limit);
	RUN(test_hostile_input);
	return check_finish();
}
