/*
 * pages.c - the page step on the loop: an item whose cleaned text is too short (or whose feed
 * says fulltext=always) comes back from the workers with page_wanted(); its linked page is
 * fetched here, on the same curl multi as the feeds, within the same global and per-host
 * connection limits, then the item goes back to the workers to be extracted and prepared.
 *
 * Per site (scheme://host:port): robots.txt is fetched once and cached (its Cache-Control
 * max-age, at most [fulltext] robots_max_age; RFC 9309 2.3.1: a 4xx allows everything, a 5xx or
 * no answer disallows everything until robots_retry), our group's Crawl-delay (at most
 * max_crawl_delay) spaces the site's page fetches, and pages wait in the site's queue. A page
 * still waiting after max_wait goes on without its page (queue_timeout), so a busy or slow
 * site never holds a poll's items longer than max_wait plus one robots.txt and one page fetch
 * (each within [fulltext] timeout). Whatever happens, the item is published: with the page's
 * text, or with the feed's and a fulltext.status saying why not.
 */
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "ingest/ingest_internal.h"
#include "log.h"
#include "page.h"
#include "robots.h"
#include "util.h"
#include "workers.h"

#define ROBOTS_MIN_AGE_MS	60000LL		/* even a no-cache robots.txt serves a minute */

struct page_site {
	struct ingest		*ingest;
	char			*origin;	/* "https://news.example" */
	struct host		*host;		/* connection limits shared with the feeds */
	struct robots		*robots;	/* NULL until fetched */
	int64_t			 robots_expires_ms;
	struct fetch		*robots_fetch;	/* in flight, or NULL */
	int64_t			 next_fetch_ms;	/* Crawl-delay: no page fetch before */
	struct page		*waiting_head, *waiting_tail;
	struct event		*timer;		/* wakes the queue after a Crawl-delay */
	struct page_site	*next;
};

struct page {
	struct ingest		*ingest;
	struct batch		*batch;
	struct article		*article;
	struct page_site	*site;
	char			*path;		/* "/a/b?c" for robots.txt */
	struct fetch		*fetch;		/* in flight, or NULL */
	struct event		*deadline;	/* max_wait in the site's queue */
	struct page_record	 cached;	/* validators and text of an earlier fetch */
	struct page		*next_waiting;
	struct page		*prev, *next;	/* every page of the ingest */
};

static void site_dispatch(struct ingest *ingest, struct page_site *site);

static int
slot_free(const struct ingest *ingest, const struct host *host)
{
	return host->active < ingest->config->max_host_connections &&
	    ingest->active_fetches < ingest->config->max_connections;
}

static void
slot_take(struct ingest *ingest, struct host *host)
{
	host->active++;
	ingest->active_fetches++;
}

static void
slot_release(struct ingest *ingest, struct host *host)
{
	host->active--;
	ingest->active_fetches--;
	ingest_host_ready(ingest, host);
}

static void
page_unlink(struct page *page)
{
	struct ingest *ingest = page->ingest;

	if (page->prev != NULL)
		page->prev->next = page->next;
	else
		ingest->pages = page->next;
	if (page->next != NULL)
		page->next->prev = page->prev;
	ingest->pages_pending--;
}

static void
page_free(struct page *page)
{
	if (page->deadline != NULL)
		event_free(page->deadline);
	page_record_clear(&page->cached);
	free(page->path);
	free(page);
}

/* The page step is over for this item: back to the workers, with a page or a status. */
static void
page_done(struct page *page, const char *status)
{
	struct ingest *ingest = page->ingest;
	struct article *article = page->article;

	if (status != NULL)
		article->fulltext_status = status;
	if (article->fulltext_url == NULL && status != NULL && strcmp(status, PAGE_NO_LINK) != 0)
		article_set(&article->fulltext_url, article->link);
	if (log_enabled(LOG_LEVEL_DEBUG, "fetch"))
		log_event(LOG_LEVEL_DEBUG, "fetch", "page.done", "feed=%s id=%s status=%s "
		    "url=%s", log_quote(page->batch->feed->label), article->id,
		    article->fulltext_status ? article->fulltext_status : "fetched",
		    log_quote(article->link));
	page_unlink(page);
	workers_submit(ingest->workers, article, page->batch->now, page->batch);
	page_free(page);
}

static void
queue_remove(struct page_site *site, struct page *page)
{
	struct page **link = &site->waiting_head;

	site->waiting_tail = NULL;
	while (*link != NULL) {
		if (*link == page)
			*link = page->next_waiting;
		else {
			site->waiting_tail = *link;
			link = &(*link)->next_waiting;
		}
	}
	page->next_waiting = NULL;
}

static struct page *
queue_pop(struct page_site *site)
{
	struct page *page = site->waiting_head;

	if (page != NULL) {
		site->waiting_head = page->next_waiting;
		if (site->waiting_head == NULL)
			site->waiting_tail = NULL;
		page->next_waiting = NULL;
	}
	return page;
}

static void
on_page_deadline(evutil_socket_t fd, short what, void *context)
{
	struct page *page = context;

	if (page->fetch != NULL)
		return;		/* started: its own timeout bounds it */
	queue_remove(page->site, page);
	log_event(LOG_LEVEL_INFO, "fetch", "page.gave_up", "id=%s url=%s reason=queue_timeout "
	    "waited_ms=%lld", page->article->id, log_quote(page->article->link),
	    page->ingest->config->fulltext.max_wait_ms);
	page_done(page, PAGE_QUEUE_TIMEOUT);
}

/* The page did not change since its text was extracted and delivered: reuse that text. */
static void
page_take_cached(struct page *page)
{
	struct article *article = page->article;

	article->fulltext_http_status = 304;
	article_set(&article->fulltext_url, article->link);
	article->page_cached_text = page->cached.text;
	article->page_cached_method = page->cached.method;
	article->page_cached_words = page->cached.words > 0 ? (size_t)page->cached.words : 0;
	article->page_etag = page->cached.etag;
	article->page_last_modified = page->cached.last_modified;
	memset(&page->cached, 0, sizeof page->cached);
}

static void
on_page_fetched(struct fetch_result *result, void *context)
{
	struct page *page = context;
	struct ingest *ingest = page->ingest;
	struct host *host = page->site->host;

	page->fetch = NULL;
	if (result->outcome == FETCH_NOT_MODIFIED && page->cached.text != NULL)
		page_take_cached(page);
	else
		page_take_result(page->article, result);
	if (page->article->fulltext_status != NULL)
		log_event(LOG_LEVEL_INFO, "fetch", "page.failed", "id=%s url=%s status=%s "
		    "http_status=%ld error=%s", page->article->id, log_quote(page->article->link),
		    page->article->fulltext_status, result->status, log_quote(result->error));
	fetch_result_free(result);
	page_done(page, NULL);
	slot_release(ingest, host);
	ingest_dispatch(ingest);
}

static void
page_start(struct ingest *ingest, struct page *page)
{
	struct fetch_request request = page_request(page->article->link, ingest->config);

	if (ingest->config->fulltext.cache_ms > 0 &&
	    state_page_load(ingest->state, page->article->link, &page->cached) == 1) {
		request.etag = page->cached.etag;
		request.last_modified = page->cached.last_modified;
	}
	slot_take(ingest, page->site->host);
	if ((page->fetch = fetch_start(ingest->loop, &request, on_page_fetched, page)) == NULL) {
		slot_release(ingest, page->site->host);
		page_done(page, PAGE_FETCH_FAILED);
	}
}

/* Seconds between two page fetches on this site: its Crawl-delay, capped. */
static int64_t
crawl_delay_ms(const struct ingest *ingest, const struct page_site *site)
{
	double delay = site->robots != NULL ? robots_crawl_delay(site->robots) : -1;
	int64_t cap = ingest->config->fulltext.max_crawl_delay_ms;

	if (delay <= 0)
		return 0;
	return (int64_t)(delay * 1000) < cap ? (int64_t)(delay * 1000) : cap;
}

static void
on_site_timer(evutil_socket_t fd, short what, void *context)
{
	struct page_site *site = context;

	site_dispatch(site->ingest, site);
}

/* ---- robots.txt ---- */

static int
robots_fresh(const struct page_site *site)
{
	return site->robots != NULL && monotonic_ms() < site->robots_expires_ms;
}

/* How long a robots.txt answer serves: its max-age within [ROBOTS_MIN_AGE_MS, max_age]. */
static int64_t
robots_lifetime_ms(const struct ingest *ingest, const struct fetch_result *result,
    int usable)
{
	const struct fulltext_config *fulltext = &ingest->config->fulltext;
	int64_t lifetime = fulltext->robots_max_age_ms;

	if (!usable)
		return fulltext->robots_retry_ms;
	if (result->max_age_seconds >= 0 && result->max_age_seconds * 1000LL < lifetime)
		lifetime = result->max_age_seconds * 1000LL;
	return lifetime < ROBOTS_MIN_AGE_MS ? ROBOTS_MIN_AGE_MS : lifetime;
}

static void
on_robots_fetched(struct fetch_result *result, void *context)
{
	struct page_site *site = context;
	struct ingest *ingest = site->ingest;
	const char *agent = ingest->config->user_agent ? ingest->config->user_agent : "wiresift";

	site->robots_fetch = NULL;
	robots_free(site->robots);
	site->robots = robots_from_fetch(result, agent);
	site->robots_expires_ms = monotonic_ms() + robots_lifetime_ms(ingest, result,
	    !robots_disallows_all(site->robots));
	log_event(robots_disallows_all(site->robots) ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "fetch",
	    "robots.fetched", "site=%s status=%ld outcome=%s rules=%zu crawl_delay=%g%s",
	    log_quote(site->origin), result->status, robots_disallows_all(site->robots) ?
	    "unreachable" : "ok", robots_rule_count(site->robots),
	    robots_crawl_delay(site->robots), robots_disallows_all(site->robots) ?
	    " action=disallow-all-until-retry" : "");
	fetch_result_free(result);
	slot_release(ingest, site->host);
	site_dispatch(ingest, site);
	ingest_dispatch(ingest);
}

static void
robots_start(struct ingest *ingest, struct page_site *site)
{
	char *url;
	struct fetch_request request = robots_request(site->origin, ingest->config, &url);

	slot_take(ingest, site->host);
	site->robots_fetch = fetch_start(ingest->loop, &request, on_robots_fetched, site);
	free(url);
	if (site->robots_fetch == NULL) {
		slot_release(ingest, site->host);
		robots_free(site->robots);
		site->robots = robots_disallow_all();
		site->robots_expires_ms = monotonic_ms() + ingest->config->fulltext.robots_retry_ms;
	}
}

/* ---- the site's queue ---- */

/* Ask robots.txt about the next page: 1 when it may be fetched, else it is done. */
static int
page_permitted(struct page_site *site, struct page *page)
{
	if (!site->ingest->config->fulltext.robots || robots_allowed(site->robots, page->path))
		return 1;
	log_event(LOG_LEVEL_INFO, "fetch", "page.skipped", "id=%s url=%s reason=%s",
	    page->article->id, log_quote(page->article->link), robots_disallows_all(site->robots) ?
	    "robots_unreachable" : "disallowed_by_robots");
	page_done(page, robots_disallows_all(site->robots) ? PAGE_ROBOTS_UNREACHABLE :
	    PAGE_DISALLOWED);
	return 0;
}

static void
site_dispatch(struct ingest *ingest, struct page_site *site)
{
	struct page *page;
	int64_t now;

	if (site->waiting_head == NULL || site->robots_fetch != NULL)
		return;
	if (ingest->config->fulltext.robots && !robots_fresh(site)) {
		if (slot_free(ingest, site->host))
			robots_start(ingest, site);
		return;
	}
	while (site->waiting_head != NULL && slot_free(ingest, site->host)) {
		now = monotonic_ms();
		if (now < site->next_fetch_ms) {
			int64_t wait = site->next_fetch_ms - now;
			struct timeval delay = { wait / 1000, (wait % 1000) * 1000 };
			evtimer_add(site->timer, &delay);
			return;
		}
		page = queue_pop(site);
		if (!page_permitted(site, page))
			continue;
		site->next_fetch_ms = now + crawl_delay_ms(ingest, site);
		page_start(ingest, page);
	}
}

static struct page_site *
site_for(struct ingest *ingest, const char *origin)
{
	struct page_site *site;

	for (site = ingest->page_sites; site != NULL; site = site->next)
		if (strcmp(site->origin, origin) == 0)
			return site;
	site = xcalloc(1, sizeof *site);
	site->ingest = ingest;
	site->origin = xstrdup(origin);
	site->host = ingest_host_for(ingest, origin);
	site->timer = evtimer_new(ingest->base, on_site_timer, site);
	site->next = ingest->page_sites;
	ingest->page_sites = site;
	return site;
}

/* ---- the ingest's interface ---- */

void
ingest_page_request(struct ingest *ingest, struct batch *batch, struct article *article)
{
	struct page *page = xcalloc(1, sizeof *page);
	struct timeval max_wait = { ingest->config->fulltext.max_wait_ms / 1000,
	    (ingest->config->fulltext.max_wait_ms % 1000) * 1000 };
	char *origin;

	page->ingest = ingest;
	page->batch = batch;
	page->article = article;
	page->next = ingest->pages;
	if (ingest->pages != NULL)
		ingest->pages->prev = page;
	ingest->pages = page;
	ingest->pages_pending++;
	if (page_url_split(article->link, &origin, &page->path) < 0) {
		page_done(page, PAGE_NO_LINK);
		return;
	}
	page->site = site_for(ingest, origin);
	free(origin);
	page->deadline = evtimer_new(ingest->base, on_page_deadline, page);
	evtimer_add(page->deadline, &max_wait);
	if (page->site->waiting_tail != NULL)
		page->site->waiting_tail->next_waiting = page;
	else
		page->site->waiting_head = page;
	page->site->waiting_tail = page;
	site_dispatch(ingest, page->site);
}

/* Connections were freed: sites with waiting pages go first (their items are in flight). */
void
ingest_pages_dispatch(struct ingest *ingest)
{
	if (ingest->pages_pending == 0)
		return;
	for (struct page_site *site = ingest->page_sites; site != NULL; site = site->next)
		if (site->waiting_head != NULL)
			site_dispatch(ingest, site);
}

/*
 * Cluster mode, a revoke: the pages of the items whose feed drop() takes (1) are given up, a
 * fetch under way cancelled (its connection closed unanswered) or a page waiting in its
 * site's queue taken out; dropped() then has the item (its article and batch). How many.
 */
size_t
ingest_pages_drop(struct ingest *ingest, int (*drop)(const struct feed *feed),
    void (*dropped)(struct ingest *ingest, struct batch *batch, struct article *article,
    int cancelled))
{
	struct page *page, *next;
	size_t count = 0;

	for (page = ingest->pages; page != NULL; page = next) {
		int cancelled = page->fetch != NULL;

		next = page->next;
		if (!drop(page->batch->feed))
			continue;
		if (cancelled) {
			fetch_cancel(ingest->loop, page->fetch);
			page->fetch = NULL;
			slot_release(ingest, page->site->host);
		} else if (page->site != NULL)
			queue_remove(page->site, page);
		page_unlink(page);
		dropped(ingest, page->batch, page->article, cancelled);
		page_free(page);
		count++;
	}
	return count;
}

/* Shutdown: page fetches stop; their items were not delivered, so they stay unseen. */
void
ingest_pages_free(struct ingest *ingest)
{
	struct page_site *site;
	struct page *page;

	while ((page = ingest->pages) != NULL) {
		ingest->pages = page->next;
		if (page->fetch != NULL)
			fetch_cancel(ingest->loop, page->fetch);
		article_free(page->article);
		page_free(page);
	}
	while ((site = ingest->page_sites) != NULL) {
		ingest->page_sites = site->next;
		if (site->robots_fetch != NULL)
			fetch_cancel(ingest->loop, site->robots_fetch);
		event_free(site->timer);
		robots_free(site->robots);
		free(site->origin);
		free(site);
	}
}
