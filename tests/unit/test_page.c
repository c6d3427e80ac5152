/*
 * test_page.c - the page step's pieces that need no network: [fulltext] and fulltext= in the
 * configuration (values, defaults, FILE:LINE errors), the decision to fetch (page_wanted),
 * URL splitting for robots.txt, what a fetch result means (page_take_result, robots verdicts
 * by status), the second pass of pipeline_prepare() with a page (extracted text in `text`,
 * the feed's in `summary`, a wall or a thin page leaving the feed's text), and the message's
 * fulltext object, and the page cache in the state database. The fetching itself is proven end to end in tests/e2e/test_fulltext.py.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixtures.h"
#include "article.h"
#include "config.h"
#include "page.h"
#include "pipeline.h"
#include "robots.h"
#include "state.h"
#include "util.h"


static void
test_config_fulltext(void)
{
	char error[512] = "";
	char *feeds = write_temp("feeds.list", "https://a.example/rss fulltext=always\n"
	    "https://b.example/rss fulltext=never\nhttps://c.example/rss\n");
	char *path = write_temp("fulltext.conf", "[feeds]\nlist = feeds.list\n[fulltext]\n"
	    "mode = never\nmin_words = 90\ntimeout = 5s\nmax_size = 2M\nmax_wait = 30s\n"
	    "robots = no\nrobots_max_age = 1h\nrobots_retry = 2m\nmax_crawl_delay = 4s\n");
	struct config *config = config_load(path, error, sizeof error);

	CHECK(config != NULL);
	if (config == NULL) {
		fprintf(stderr, "error: %s\n", error);
		return;
	}
	CHECK(config->fulltext.mode == FULLTEXT_NEVER);
	CHECK(config->fulltext.min_words == 90);
	CHECK(config->fulltext.timeout_ms == 5000);
	CHECK(config->fulltext.max_size == 2 * 1024 * 1024);
	CHECK(config->fulltext.max_wait_ms == 30000);
	CHECK(config->fulltext.robots == 0);
	CHECK(config->fulltext.robots_max_age_ms == 3600000);
	CHECK(config->fulltext.robots_retry_ms == 120000);
	CHECK(config->fulltext.max_crawl_delay_ms == 4000);
	CHECK(config->feeds[0].fulltext == FULLTEXT_ALWAYS);
	CHECK(config->feeds[1].fulltext == FULLTEXT_NEVER);
	CHECK(config->feeds[2].fulltext == FULLTEXT_UNSET);
	config_free(config);
	free(path);
	free(feeds);
}

static void
test_config_fulltext_defaults_and_errors(void)
{
	struct config *config = config_defaults();
	char error[512] = "";
	char *path, *feeds;

	CHECK(config->fulltext.mode == FULLTEXT_AUTO);
	CHECK(config->fulltext.min_words == 150);
	CHECK(config->fulltext.robots == 1);
	config_free(config);
	path = write_temp("bad.conf", "[fulltext]\n\nmode = sometimes\n");
	CHECK(config_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "bad.conf:3: mode: expected auto, always or never");
	free(path);
	feeds = write_temp("bad.list", "https://a.example/x fulltext=maybe\n");
	path = write_temp("list.conf", "[feeds]\nlist = bad.list\n");
	CHECK(config_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "bad.list:1: fulltext: expected auto, always or never");
	free(feeds);
	free(path);
}

static struct article *
teaser_article(const char *link, int mode, size_t words)
{
	struct article *article = article_new();
	struct config *config = config_defaults();
	struct feed_config feed = { .fulltext = mode };

	article_set(&article->link, link);
	page_set_mode(article, config, &feed);
	article->word_count = words;
	config_free(config);
	return article;
}

static void
test_page_wanted(void)
{
	struct article *article = teaser_article("https://news.example/a", FULLTEXT_AUTO, 20);

	CHECK(page_wanted(article) == 1 && article->fulltext_status == NULL);
	article_free(article);
	article = teaser_article("https://news.example/a", FULLTEXT_AUTO, 150);
	CHECK(page_wanted(article) == 0);
	CHECK_STR(article->fulltext_status, PAGE_NOT_NEEDED);
	article_free(article);
	article = teaser_article("https://news.example/a", FULLTEXT_ALWAYS, 900);
	CHECK(page_wanted(article) == 1);
	article_free(article);
	article = teaser_article("https://news.example/a", FULLTEXT_NEVER, 3);
	CHECK(page_wanted(article) == 0 && article->fulltext_status == NULL);
	article_free(article);
	article = teaser_article("file:///etc/passwd", FULLTEXT_ALWAYS, 3);
	CHECK(page_wanted(article) == 0);
	CHECK_STR(article->fulltext_status, PAGE_NO_LINK);
	article_free(article);
	/* The feed's fulltext= unset: [fulltext] mode (auto) decides. */
	article = teaser_article("http://news.example/b", FULLTEXT_UNSET, 3);
	CHECK(article->fulltext_mode == FULLTEXT_AUTO && page_wanted(article) == 1);
	/* Once the page step ran, the second pass does not ask again. */
	article->fulltext_status = PAGE_TIMEOUT;
	CHECK(page_wanted(article) == 0);
	article_free(article);
}

static void
test_url_split(void)
{
	char *origin, *path;

	CHECK(page_url_split("https://News.Example:8443/a/b.html?x=1&y=2#frag", &origin,
	    &path) == 0);
	CHECK_STR(origin, "https://news.example:8443");
	CHECK_STR(path, "/a/b.html?x=1&y=2");
	free(origin);
	free(path);
	CHECK(page_url_split("http://news.example", &origin, &path) == 0);
	CHECK_STR(origin, "http://news.example");
	CHECK_STR(path, "/");
	free(origin);
	free(path);
	CHECK(page_url_split("ftp://news.example/x", &origin, &path) == -1);
	CHECK(origin == NULL && path == NULL);
}

static struct fetch_result
result_of(enum fetch_outcome outcome, long status, const char *type, const char *body)
{
	return (struct fetch_result){
		.outcome = outcome, .status = status,
		.content_type = type ? xstrdup(type) : NULL,
		.body = body ? xstrdup(body) : NULL, .body_length = body ? strlen(body) : 0,
		.effective_url = xstrdup("https://news.example/final"),
		.retry_after_seconds = -1, .max_age_seconds = -1,
	};
}

static const char *
status_after(enum fetch_outcome outcome, long status, const char *type, const char *body)
{
	struct article *article = teaser_article("https://news.example/a", FULLTEXT_AUTO, 5);
	struct fetch_result result = result_of(outcome, status, type, body);
	const char *verdict;

	page_take_result(article, &result);
	verdict = article->fulltext_status ? article->fulltext_status :
	    article->page_html ? "page" : "none";
	CHECK_STR(article->fulltext_url, "https://news.example/final");
	CHECK(article->fulltext_http_status == status);
	fetch_result_free(&result);
	article_free(article);
	return verdict;
}

static void
test_take_result(void)
{
	CHECK_STR(status_after(FETCH_OK, 200, "text/html; charset=utf-8", "<p>x</p>"), "page");
	CHECK_STR(status_after(FETCH_OK, 200, NULL, "<p>x</p>"), "page");
	CHECK_STR(status_after(FETCH_OK, 200, "application/pdf", "%PDF"), PAGE_NOT_HTML);
	CHECK_STR(status_after(FETCH_OK, 200, "text/html", ""), PAGE_NO_BODY);
	CHECK_STR(status_after(FETCH_HTTP_ERROR, 404, "text/html", NULL), PAGE_FETCH_FAILED);
	CHECK_STR(status_after(FETCH_GONE, 410, NULL, NULL), PAGE_FETCH_FAILED);
	CHECK_STR(status_after(FETCH_TIMEOUT, 0, NULL, NULL), PAGE_TIMEOUT);
	CHECK_STR(status_after(FETCH_TOO_LARGE, 200, "text/html", NULL), PAGE_TOO_LARGE);
	CHECK_STR(status_after(FETCH_REFUSED_ADDRESS, 0, NULL, NULL), PAGE_FETCH_FAILED);
}

static void
test_robots_by_status(void)
{
	struct fetch_result result = result_of(FETCH_OK, 200, "text/plain",
	    "User-agent: *\nDisallow: /x\n");
	struct robots *robots = robots_from_fetch(&result, "wiresift/0.1.0");

	CHECK(!robots_allowed(robots, "/x/1") && robots_allowed(robots, "/y"));
	robots_free(robots);
	fetch_result_free(&result);
	/* RFC 9309 2.3.1.3: 4xx, no robots.txt: everything allowed. */
	result = result_of(FETCH_HTTP_ERROR, 404, NULL, NULL);
	robots = robots_from_fetch(&result, "wiresift");
	CHECK(robots_allowed(robots, "/x/1") && !robots_disallows_all(robots));
	robots_free(robots);
	fetch_result_free(&result);
	/* 2.3.1.4: 5xx or unreachable: everything disallowed, for a while. */
	result = result_of(FETCH_HTTP_ERROR, 503, NULL, NULL);
	robots = robots_from_fetch(&result, "wiresift");
	CHECK(!robots_allowed(robots, "/y") && robots_disallows_all(robots));
	robots_free(robots);
	fetch_result_free(&result);
	result = result_of(FETCH_CONNECT, 0, NULL, NULL);
	robots = robots_from_fetch(&result, "wiresift");
	CHECK(robots_disallows_all(robots));
	robots_free(robots);
	fetch_result_free(&result);
}

static const char PAGE_HTML[] =
	"<html><head><title>Harbour | Loopback</title></head><body>"
	"<nav><a href=\"/\">Home</a> <a href=\"/w\">World</a></nav><article><h1>Harbour</h1>"
	"<p>The harbour board voted on Tuesday to dredge the northern channel, a project the "
	"ferry operators have asked for since the spring storms left silt across the berths.</p>"
	"<p>Work starts in March and should take eleven weeks, the board said, during which the "
	"night ferry will use the old quay at the lighthouse end of the bay.</p>"
	"<p>Fishing crews welcomed the vote but asked that the dredged silt not be dumped near "
	"the oyster beds, which lie a short way beyond the channel mouth.</p>"
	"</article><footer>Copyright Loopback</footer></body></html>";

static struct article *
prepared_with_page(const char *html)
{
	struct config *config = config_defaults();
	char error[256];
	struct pipeline_stages *stages = pipeline_stages_open(config, error, sizeof error);
	struct article *article = teaser_article("https://news.example/harbour", FULLTEXT_AUTO, 0);

	article_set(&article->title_raw, "Harbour board votes to dredge");
	article_set(&article->summary_html, "The board voted to dredge the channel.");
	CHECK(stages != NULL);
	if (stages == NULL) {
		fprintf(stderr, "error: %s\n", error);
		config_free(config);
		return article;
	}
	CHECK(pipeline_prepare(stages, article, 1700000000, NULL, NULL) == PIPELINE_NEEDS_PAGE);
	article->page_html = xstrdup(html);
	article->page_html_length = strlen(html);
	article_set(&article->fulltext_url, article->link);
	CHECK(pipeline_prepare(stages, article, 1700000000, NULL, NULL) == 0);
	CHECK(article->page_html == NULL);
	pipeline_stages_close(stages);
	config_free(config);
	return article;
}

static void
test_prepare_with_page(void)
{
	struct article *article = prepared_with_page(PAGE_HTML);
	char *json;
	json_t *message, *fulltext;

	CHECK_STR(article->fulltext_status, PAGE_EXTRACTED);
	CHECK_CONTAINS(article->text, "dredge the northern channel");
	CHECK_CONTAINS(article->text, "oyster beds");
	CHECK_NOT_CONTAINS(article->text, "Copyright Loopback");
	CHECK_STR(article->summary, "The board voted to dredge the channel.");
	CHECK(article->word_count == article->fulltext_words && article->word_count > 50);
	json = article_to_json(article);
	message = json_loads(json, 0, NULL);
	fulltext = json_object_get(message, "fulltext");
	CHECK_STR(json_string_value(json_object_get(fulltext, "status")), "extracted");
	CHECK_STR(json_string_value(json_object_get(fulltext, "url")),
	    "https://news.example/harbour");
	CHECK(json_string_value(json_object_get(fulltext, "method")) != NULL);
	CHECK(json_integer_value(json_object_get(fulltext, "words")) ==
	    (json_int_t)article->word_count);
	CHECK_STR(json_string_value(json_object_get(message, "text")), article->text);
	json_decref(message);
	free(json);
	article_free(article);
}

static void
test_prepare_with_wall(void)
{
	/* A consent wall: no article body on the page. The feed's text stays. */
	struct article *article = prepared_with_page("<html><body><div class=\"consent\">"
	    "<p>We value your privacy. Accept all cookies to continue.</p><button>Accept"
	    "</button></div></body></html>");

	CHECK_STR(article->fulltext_status, PAGE_NO_BODY);
	CHECK_STR(article->text, "The board voted to dredge the channel.");
	article_free(article);
}

static void
test_message_without_page_step(void)
{
	struct article *article = article_new();
	char *json;

	article_set(&article->title, "t");
	json = article_to_json(article);
	CHECK_NOT_CONTAINS(json, "\"fulltext\"");
	free(json);
	article_free(article);
}

static void
test_state_page_cache(void)
{
	char error[256], *dir = xasprintf("%s/state", temp_dir);
	struct state *state = state_open(dir, error, sizeof error);
	struct page_record record = { .etag = "\"v1\"", .text = "One.\n\nTwo.",
	    .method = "dom", .words = 2 }, loaded;

	CHECK(state != NULL);
	if (state == NULL) {
		free(dir);
		return;
	}
	CHECK(state_page_load(state, "https://news.example/a", &loaded) == 0);
	CHECK(state_page_save(state, "https://news.example/a", &record, 1000) == 0);
	CHECK(state_commit(state) == 0);
	CHECK(state_page_load(state, "https://news.example/a", &loaded) == 1);
	CHECK_STR(loaded.etag, "\"v1\"");
	CHECK(loaded.last_modified == NULL);
	CHECK_STR(loaded.text, "One.\n\nTwo.");
	CHECK_STR(loaded.method, "dom");
	CHECK(loaded.words == 2);
	page_record_clear(&loaded);
	CHECK(state_expire_pages(state, 999) == 0);
	CHECK(state_expire_pages(state, 1001) == 1);
	CHECK(state_page_load(state, "https://news.example/a", &loaded) == 0);
	state_close(state);
	free(dir);
}

int
main(void)
{
	if (temp_dir_make("page") != 0)
		return 1;
	RUN(test_config_fulltext);
	RUN(test_config_fulltext_defaults_and_errors);
	RUN(test_page_wanted);
	RUN(test_url_split);
	RUN(test_take_result);
	RUN(test_robots_by_status);
	RUN(test_prepare_with_page);
	RUN(test_prepare_with_wall);
	RUN(test_message_without_page_step);
	RUN(test_state_page_cache);
	temp_dir_remove();
	return check_finish();
}
