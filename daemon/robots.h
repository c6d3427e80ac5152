/*
 * robots.h - robots.txt as RFC 9309 reads it: groups of user-agent lines with their allow and
 * disallow rules, our product token's group(s) or else those of `*`, the longest matching rule
 * wins (allow on a tie), `*` and a final `$` in patterns, percent-encoding compared
 * normalized; plus the widely used Crawl-delay. Pure parsing and matching, no I/O: the
 * daemon's cache of robots.txt per site is daemon/ingest/page.c.
 */
#ifndef WIRESIFT_ROBOTS_H
#define WIRESIFT_ROBOTS_H

#include <stddef.h>

#define ROBOTS_MAX_BYTES	(512 * 1024)	/* RFC 9309 2.5: parse at least 500 KiB */

struct robots;

/*
 * The rules of body (at most ROBOTS_MAX_BYTES of it are read) for the crawler whose product
 * token is agent ("wiresift"; a full User-Agent string is cut at its first character outside
 * [A-Za-z_-]). Never fails: a body without rules for us allows everything.
 */
struct robots	*robots_parse(const char *body, size_t length, const char *agent);
/* Rules that allow everything (a robots.txt that is absent: any 4xx). */
struct robots	*robots_allow_all(void);
/* Rules that allow nothing (a robots.txt that is unreachable: 5xx, network errors). */
struct robots	*robots_disallow_all(void);
void		 robots_free(struct robots *robots);
/* 1 for the rules of robots_disallow_all(). */
int		 robots_disallows_all(const struct robots *robots);

/* 1 when the path (with its query, "/a/b?c=d"; "" means "/") may be fetched, else 0. */
int		 robots_allowed(const struct robots *robots, const char *path);
/* The Crawl-delay of our group in seconds, or -1 when it names none. */
double		 robots_crawl_delay(const struct robots *robots);
/* How many allow and disallow rules apply to us (for logs and tests). */
size_t		 robots_rule_count(const struct robots *robots);

#endif
