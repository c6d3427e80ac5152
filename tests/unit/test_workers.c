/*
 * test_workers.c - the worker threads (daemon/workers.c): each with its own clean rules and
 * plugin instances, they prepare articles exactly as the loop thread would and hand them
 * back in submission order, through lengths that make them finish out of order; and what a
 * prepared article sheds before it is judged leaves its message whole.
 */

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_dir.h"
#include "article.h"
#include "config.h"
#include "pipeline.h"
#include "util.h"
#include "workers.h"

/* What the worker threads hand back, in the order they handed it. */
struct handed_back {
	struct event_base	*base;
	struct article		**articles;
	int			*results;
	size_t			 count, expected;
};

static void
collect_prepared(struct article *article, int result, void *job_context, void *context)
{
	struct handed_back *back = context;

	CHECK(job_context == (void *)(back->count + 1));	/* submission order */
	back->articles[back->count] = article;
	back->results[back->count++] = result;
	if (back->count == back->expected)
		event_base_loopbreak(back->base);
}

static struct article *
numbered_article(size_t number)
{
	struct article *article = article_new();
	struct buffer html = { 0 };

	article->title_raw = xasprintf("Council vote %zu in Harrowgate", number);
	article->guid = xasprintf("urn:test:%zu", number);
	/* lengths vary a hundredfold so workers finish out of order; every 7th is empty */
	for (size_t i = 0; number % 7 != 0 && i < 1 + (number * 37) % 100; i++)
		buffer_printf(&html, "<p>The Harrowgate council met on day %zu and the mayor, "
		    "Tomas Brecht, said the bridge would reopen in %zu weeks.</p>", i, number);
	if (number % 7 == 0)
		article_set(&article->title_raw, "");
	article->content_html = buffer_steal(&html);
	article_assign_id(article);
	return article;
}

/*
 * Worker threads (each with its own clean rules and plugin instances) prepare articles exactly
 * as the loop thread would, and hand them back in submission order.
 */
static void
test_workers_keep_order_and_results(void)
{
	char error[512] = "";
	struct config *config = config_load("conf/demo/wiresift.conf", error, sizeof error);
	struct pipeline_stages *alone_stages = config ? pipeline_stages_open(config, error,
	    sizeof error) : NULL;
	struct event_base *base = event_base_new();
	struct handed_back back = { .base = base, .expected = 300 };
	struct workers *workers = alone_stages ? workers_new(base, 3, config, collect_prepared, &back,
	    error, sizeof error) : NULL;
	time_t now = 1790000000;

	CHECK(workers != NULL);
	if (workers == NULL) {
		fprintf(stderr, "  %s\n", error);
		goto out;
	}
	back.articles = xcalloc(back.expected, sizeof *back.articles);
	back.results = xcalloc(back.expected, sizeof *back.results);
	for (size_t i = 1; i <= back.expected; i++)
		workers_submit(workers, numbered_article(i), now, (void *)i);
	CHECK(workers_pending(workers) <= back.expected);
	event_base_dispatch(base);
	CHECK(back.count == back.expected && workers_pending(workers) == 0);
	for (size_t i = 0; i < back.count; i++) {
		struct article *alone = numbered_article(i + 1);
		int result = pipeline_prepare(alone_stages, alone, now, NULL, NULL);
		char *expected_json, *json;

		/*
		 * Keywords are scored against document frequencies each plugin instance learns
		 * from the articles it has seen, so they depend on which worker took what.
		 */
		CHECK(back.results[i] < 0 || back.articles[i]->keywords.count > 0);
		/* The JSON a worker rendered (all but the verdict) is the JSON of the article. */
		if (result == 0) {
			json = article_to_json(alone);
			free(alone->json_without_dedup);
			alone->json_without_dedup = NULL;
			expected_json = article_to_json(alone);
			CHECK(strcmp(json, expected_json) == 0);
			free(json);
			free(expected_json);
			free(back.articles[i]->json_without_dedup);
			back.articles[i]->json_without_dedup = NULL;
		}
		strlist_clear(&alone->keywords);
		strlist_clear(&back.articles[i]->keywords);
		expected_json = article_to_json(alone);
		json = article_to_json(back.articles[i]);

		CHECK(back.results[i] == result);
		CHECK(result == ((i + 1) % 7 == 0 ? -1 : 0));
		CHECK(strcmp(json, expected_json) == 0);
		free(json);
		free(expected_json);
		article_free(alone);
		article_free(back.articles[i]);
	}
	/* Freed with work still queued: the articles never handed back are freed, not leaked. */
	for (size_t i = 1; i <= 50; i++)
		workers_submit(workers, numbered_article(i), now, (void *)i);
out:
	workers_free(workers);
	pipeline_stages_close(alone_stages);
	config_free(config);
	event_base_free(base);
	free(back.articles);
	free(back.results);
}

/*
 * A prepared article is shed before it is judged (article_shed_prepared, in the daemon's
 * ingest_on_prepared): its message, rendered after the verdicts, is the one the article
 * rendered whole before shedding, and only the page cache's text may stay. Checked against
 * the full article's own message on every article of a run, a duplicate and a page with
 * validators among them.
 */
static void
test_shed_prepared_article_keeps_its_message(void)
{
	char error[512] = "";
	struct config *config = config_load("conf/demo/wiresift.conf", error, sizeof error);
	struct pipeline_stages *stages = config ? pipeline_stages_open(config, error,
	    sizeof error) : NULL;
	size_t compared = 0;

	CHECK(stages != NULL);
	for (size_t number = 1; stages != NULL && number <= 60; number++) {
		struct article *article = numbered_article(number);
		int cached = number % 5 == 0;

		if (pipeline_prepare(stages, article, 1790000000, NULL, NULL) != 0) {
			article_free(article);
			continue;
		}
		if (cached)
			article->page_etag = xstrdup("\"v1\"");
		if (number % 3 == 0) {
			article->dedup.status = DEDUP_DUPLICATE;
			article->dedup.duplicate_of = xstrdup("0123456789abcdef0123456789abcdef");
		}
		char *whole = article_to_json(article), *text = xstrdup(article->text);
		article_shed_prepared(article);
		char *shed = article_to_json(article);
		CHECK(strcmp(whole, shed) == 0);
		CHECK(article->summary == NULL && article->content_html == NULL &&
		    article->summary_html == NULL && article->content_raw == NULL &&
		    article->summary_raw == NULL && article->page_html == NULL);
		CHECK(cached ? article->text != NULL && strcmp(article->text, text) == 0 :
		    article->text == NULL);
		CHECK(article->dedup_sketch != NULL && article->id != NULL);
		compared++;
		free(whole);
		free(shed);
		free(text);
		article_free(article);
	}
	CHECK(compared >= 50);
	if (stages == NULL)
		fprintf(stderr, "  %s\n", error);
	pipeline_stages_close(stages);
	config_free(config);
}

int
main(void)
{
	plugin_dir_default();	/* conf/demo/wiresift.conf's plugins */
	RUN(test_workers_keep_order_and_results);
	RUN(test_shed_prepared_article_keeps_its_message);
	return check_finish();
}
