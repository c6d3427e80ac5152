/*
 * page.c - the page step's shared pieces (see page.h): the decision to fetch an item's linked
 * page, the fetch request with the [fulltext] limits, the meaning of a fetch result for the
 * article, and the blocking fetch of the offline commands (a private event loop running the
 * same fetch.c, so limits and the SSRF guard are the daemon's).
 */
#include <ctype.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loop.h"
#include "page.h"
#include "robots.h"
#include "util.h"

#define PAGE_ACCEPT	"text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
#define ROBOTS_FETCH_MAX_BYTES	(2 * 1024 * 1024)

const char *const page_statuses[PAGE_STATUS_COUNT] = {
	PAGE_EXTRACTED, PAGE_NOT_NEEDED, PAGE_NO_LINK, PAGE_DISALLOWED, PAGE_ROBOTS_UNREACHABLE,
	PAGE_FETCH_FAILED, PAGE_TIMEOUT, PAGE_TOO_LARGE, PAGE_NOT_HTML, PAGE_NO_BODY,
	PAGE_QUEUE_TIMEOUT
};

int
page_status_index(const char *status)
{
	for (int i = 0; status != NULL && i < PAGE_STATUS_COUNT; i++)
		if (strcmp(page_statuses[i], status) == 0)
			return i;
	return -1;
}

void
page_set_mode(struct article *article, const struct config *config,
    const struct feed_config *feed)
{
	int mode = feed != NULL && feed->fulltext != FULLTEXT_UNSET ? feed->fulltext :
	    config->fulltext.mode;

	article->fulltext_mode = mode;
	article->fulltext_min_words = config->fulltext.min_words;
}

static int
is_web_url(const char *url)
{
	return url != NULL && (strncasecmp(url, "http://", 7) == 0 ||
	    strncasecmp(url, "https://", 8) == 0);
}

int
page_wanted(struct article *article)
{
	int mode = article->fulltext_mode;

	if (article->fulltext_status != NULL || article->page_html != NULL ||
	    article->page_cached_text != NULL ||
	    (mode != FULLTEXT_AUTO && mode != FULLTEXT_ALWAYS))
		return 0;
	if (mode == FULLTEXT_AUTO && article->word_count >= (size_t)article->fulltext_min_words) {
		article->fulltext_status = PAGE_NOT_NEEDED;
		return 0;
	}
	if (!is_web_url(article->link)) {
		article->fulltext_status = PAGE_NO_LINK;
		return 0;
	}
	return 1;
}

int
page_url_split(const char *url, char **origin, char **path)
{
	CURLU *parsed = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *part = NULL, *query = NULL;
	int result = -1;

	*origin = *path = NULL;
	if (is_web_url(url) && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_PATH, &part, 0) == CURLUE_OK) {
		curl_url_get(parsed, CURLUPART_PORT, &port, 0);
		curl_url_get(parsed, CURLUPART_QUERY, &query, 0);
		*origin = port ? xasprintf("%s://%s:%s", scheme, host, port) :
		    xasprintf("%s://%s", scheme, host);
		for (char *c = *origin; *c != '\0'; c++)	/* one site, however written */
			*c = (char)tolower((unsigned char)*c);
		*path = query ? xasprintf("%s?%s", part, query) : xstrdup(part);
		result = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(part);
	curl_free(query);
	curl_url_cleanup(parsed);
	return result;
}

struct fetch_request
page_request(const char *url, const struct config *config)
{
	return (struct fetch_request){
		.url = url,
		.config = config,
		.max_size = config->fulltext.max_size,
		.timeout_ms = config->fulltext.timeout_ms,
		.accept = PAGE_ACCEPT,
		.web_only = 1,
	};
}

struct fetch_request
robots_request(const char *origin, const struct config *config, char **url)
{
	*url = xasprintf("%s/robots.txt", origin);
	return (struct fetch_request){
		.url = *url,
		.config = config,
		.max_size = ROBOTS_FETCH_MAX_BYTES,
		.timeout_ms = config->fulltext.timeout_ms,
		.accept = "text/plain, */*;q=0.5",
		.web_only = 1,
	};
}

/* HTML, XHTML, or a server that does not say: the extractor may try it. */
static int
is_html(const char *content_type)
{
	return content_type == NULL || strcasestr(content_type, "html") != NULL ||
	    strcasestr(content_type, "xml") != NULL;
}

void
page_take_result(struct article *article, struct fetch_result *result)
{
	article->fulltext_http_status = result->status;
	article_set(&article->fulltext_url, result->effective_url ? result->effective_url :
	    article->link);
	article_set(&article->page_etag, result->etag);
	article_set(&article->page_last_modified, result->last_modified);
	if (result->outcome == FETCH_OK && !is_html(result->content_type))
		article->fulltext_status = PAGE_NOT_HTML;
	else if (result->outcome == FETCH_OK && result->body_length == 0)
		article->fulltext_status = PAGE_NO_BODY;
	else if (result->outcome == FETCH_OK) {
		article->page_html = result->body;
		article->page_html_length = result->body_length;
		article_set(&article->page_content_type, result->content_type);
		result->body = NULL;
		result->body_length = 0;
	} else if (result->outcome == FETCH_TIMEOUT)
		article->fulltext_status = PAGE_TIMEOUT;
	else if (result->outcome == FETCH_TOO_LARGE)
		article->fulltext_status = PAGE_TOO_LARGE;
	else
		article->fulltext_status = PAGE_FETCH_FAILED;
}

/* ---- the offline commands: one blocking fetch at a time on a private loop ---- */

struct offline_site {
	char			*origin;
	struct robots		*robots;
	struct offline_site	*next;
};

static struct offline_site *offline_sites;

struct blocking_fetch {
	struct fetch_result	 result;
	int			 done;
};

static void
on_blocking_done(struct fetch_result *result, void *context)
{
	struct blocking_fetch *blocking = context;

	blocking->result = *result;
	blocking->done = 1;
}

/* Run one fetch to its end; the result is the caller's to fetch_result_free. */
static struct fetch_result
fetch_blocking(const struct fetch_request *request)
{
	struct event_base *base = event_base_new();
	struct loop *loop = loop_new(base, 1, 1);
	struct blocking_fetch blocking = { 0 };

	if (fetch_start(loop, request, on_blocking_done, &blocking) == NULL) {
		blocking.result.outcome = FETCH_OTHER;
		blocking.result.retry_after_seconds = -1;
	}
	while (!blocking.done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
	loop_free(loop);
	event_base_free(base);
	return blocking.result;
}

/* The robots.txt verdict of a fetch (RFC 9309 2.3.1): 4xx allows all, 5xx or none, nothing. */
struct robots *
robots_from_fetch(const struct fetch_result *result, const char *agent)
{
	if (result->outcome == FETCH_OK)
		return robots_parse(result->body ? result->body : "", result->body_length, agent);
	if ((result->outcome == FETCH_HTTP_ERROR || result->outcome == FETCH_GONE) &&
	    result->status >= 400 && result->status < 500)
		return robots_allow_all();
	return robots_disallow_all();
}

static struct robots *
offline_robots(const char *origin, const struct config *config)
{
	struct offline_site *site;
	struct fetch_request request;
	struct fetch_result result;
	char *url;

	for (site = offline_sites; site != NULL; site = site->next)
		if (strcmp(site->origin, origin) == 0)
			return site->robots;
	request = robots_request(origin, config, &url);
	result = fetch_blocking(&request);
	site = xcalloc(1, sizeof *site);
	site->origin = xstrdup(origin);
	site->robots = robots_from_fetch(&result, config->user_agent ? config->user_agent :
	    "wiresift");
	site->next = offline_sites;
	offline_sites = site;
	fetch_result_free(&result);
	free(url);
	return site->robots;
}

void
page_fetch_blocking(struct article *article, const struct config *config)
{
	char *origin, *path;
	struct fetch_request request;
	struct fetch_result result;

	if (page_url_split(article->link, &origin, &path) < 0) {
		article->fulltext_status = PAGE_NO_LINK;
		return;
	}
	struct robots *robots = config->fulltext.robots ? offline_robots(origin, config) : NULL;

	if (robots != NULL && !robots_allowed(robots, path)) {
		article->fulltext_status = robots_disallows_all(robots) ? PAGE_ROBOTS_UNREACHABLE :
		    PAGE_DISALLOWED;
		article_set(&article->fulltext_url, article->link);
	} else {
		request = page_request(article->link, config);
		result = fetch_blocking(&request);
		page_take_result(article, &result);
		fetch_result_free(&result);
	}
	free(origin);
	free(path);
}

void
page_offline_cleanup(void)
{
	struct offline_site *site;

	while ((site = offline_sites) != NULL) {
		offline_sites = site->next;
		robots_free(site->robots);
		free(site->origin);
		free(site);
	}
}
