/*
 * page.h - the page step's pieces that do not depend on where it runs: which items want
 * their linked page (decided on the worker, after cleaning), the request for a page fetch,
 * what a fetch result means for the article (fulltext.status), and the blocking fetch the
 * offline commands use with --fulltext. The daemon's fetching on the loop (robots.txt cache,
 * per-host politeness, deadlines) is daemon/ingest/page.c.
 */
#ifndef WIRESIFT_PAGE_H
#define WIRESIFT_PAGE_H

#include "article.h"
#include "config.h"
#include "fetch.h"

struct robots;

/* fulltext.status values (static strings, also documented in the schema) */
#define PAGE_EXTRACTED			"extracted"
#define PAGE_NOT_NEEDED			"not_needed"
#define PAGE_NO_LINK			"no_link"
#define PAGE_DISALLOWED			"disallowed_by_robots"
#define PAGE_ROBOTS_UNREACHABLE		"robots_unreachable"
#define PAGE_FETCH_FAILED		"fetch_failed"
#define PAGE_TIMEOUT			"timeout"
#define PAGE_TOO_LARGE			"too_large"
#define PAGE_NOT_HTML			"not_html"
#define PAGE_NO_BODY			"no_body"
#define PAGE_QUEUE_TIMEOUT		"queue_timeout"

#define PAGE_STATUS_COUNT		11
/* Every status above, in that order (for counters). */
extern const char *const page_statuses[PAGE_STATUS_COUNT];
/* The index of status in page_statuses, or -1. */
int	 page_status_index(const char *status);

/* The article's fulltext mode from its feed's fulltext= or the [fulltext] default. */
void	 page_set_mode(struct article *article, const struct config *config,
	    const struct feed_config *feed);
/*
 * After cleaning (on a worker): 1 when the article should wait for its page (fetched next,
 * then prepared again), else 0, with fulltext.status set when the page step decided something
 * (not_needed, no_link).
 */
int	 page_wanted(struct article *article);

/* The page's URL split for robots.txt: "https://host:port" and "/path?query". 0, or -1. */
int	 page_url_split(const char *url, char **origin, char **path);
/* A page fetch for url with the [fulltext] limits. */
struct fetch_request page_request(const char *url, const struct config *config);
/* A robots.txt fetch for origin ("https://host"); *url is allocated, caller frees. */
struct fetch_request robots_request(const char *origin, const struct config *config,
	    char **url);
/*
 * The rules a robots.txt fetch gives (RFC 9309 2.3.1): its body's when it answered 2xx, allow
 * all for a 4xx, disallow all (robots_disallows_all) for a 5xx or no answer.
 */
struct robots *robots_from_fetch(const struct fetch_result *result, const char *agent);
/* Give the article what the page fetch brought: the body for the extractor, or a status. */
void	 page_take_result(struct article *article, struct fetch_result *result);

/*
 * wiresift process --fulltext: fetch the article's page now, blocking (robots.txt obeyed,
 * one fetch of it per site for the whole run). For the offline commands only.
 */
void	 page_fetch_blocking(struct article *article, const struct config *config);
void	 page_offline_cleanup(void);

#endif
