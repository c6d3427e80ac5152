/*
 * pipeline.c - runs the I/O-free stages over one article (see pipeline.h) and decides where
 * it goes: dedup verdict and policy choose the default topic, [route] rules add more. The
 * story stage ([stories]) follows dedup: its features are extracted with the sketch, its
 * assignment follows the dedup verdict on the pipeline's thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "page.h"
#include "story/story.h"
#include "pipeline.h"
#include "plugin.h"
#include "url.h"
#include "util.h"

struct pipeline_stages {
	struct clean_rules	*rules;
	struct extract_rules	*site_rules;	/* for pages: pipeline_extract_page() */
	struct plugin_chain	*plugins;
	struct dedup_sketcher	*sketcher;
	struct story_extractor	*extractor;	/* NULL: [stories] enabled = no */
};

struct pipeline {
	const struct config	*config;
	struct pipeline_stages	*stages;
	struct dedup_index	*dedup;
	struct story_index	*stories;	/* NULL: [stories] enabled = no */
};

struct pipeline_stages *
pipeline_stages_open(const struct config *config, char *error, size_t error_size)
{
	struct pipeline_stages *stages = xcalloc(1, sizeof *stages);

	if ((stages->rules = clean_rules_load(config->rules_file, error, error_size)) == NULL ||
	    (stages->site_rules = extract_rules_load(config->site_rules_file, error,
	    error_size)) == NULL ||
	    (stages->plugins = plugin_chain_load(config->plugins, config->plugin_count,
	    config->plugin_dir, error, error_size)) == NULL) {
		pipeline_stages_close(stages);
		return NULL;
	}
	stages->sketcher = dedup_sketcher_new(&config->dedup);
	if (config->stories.enabled)
		stages->extractor = story_extractor_new();
	return stages;
}

void
pipeline_stages_close(struct pipeline_stages *stages)
{
	if (stages == NULL)
		return;
	if (stages->plugins != NULL)
		plugin_chain_free(stages->plugins);
	if (stages->rules != NULL)
		clean_rules_free(stages->rules);
	extract_rules_free(stages->site_rules);
	dedup_sketcher_free(stages->sketcher);
	story_extractor_free(stages->extractor);
	free(stages);
}

int
pipeline_extract_page(struct pipeline_stages *stages, const char *html, size_t length,
    const char *page_url, struct extract_result *result, clean_explain_fn explain,
    void *explain_context)
{
	return extract_page(stages->site_rules, stages->rules, html, length, page_url, result,
	    explain, explain_context);
}

struct pipeline *
pipeline_open(const struct config *config, enum pipeline_mode mode, char *error,
    size_t error_size)
{
	struct pipeline *pipeline = xcalloc(1, sizeof *pipeline);
	struct dedup_config dedup = config->dedup;
	struct story_config stories = config->stories;

	pipeline->config = config;
	if (mode == PIPELINE_OFFLINE &&
	    (pipeline->stages = pipeline_stages_open(config, error, error_size)) == NULL)
		goto fail;
	/* Cluster mode: the indexes are the fingerprints topic's (daemon/cluster/fingerprints.c). */
	dedup.state_dir = mode == PIPELINE_DAEMON && config->cluster.group == NULL ?
	    config->state_dir : NULL;
	if ((pipeline->dedup = dedup_open(&dedup, error, error_size)) == NULL)
		goto fail;
	stories.state_dir = mode == PIPELINE_DAEMON && config->cluster.group == NULL ?
	    config->state_dir : NULL;
	if (stories.enabled &&
	    (pipeline->stories = story_open(&stories, error, error_size)) == NULL)
		goto fail;
	return pipeline;
fail:
	pipeline_close(pipeline);
	return NULL;
}

void
pipeline_close_stores(struct pipeline *pipeline)
{
	if (pipeline == NULL)
		return;
	if (pipeline->dedup != NULL)
		dedup_close_store(pipeline->dedup);
	if (pipeline->stories != NULL)
		story_close_store(pipeline->stories);
}

void
pipeline_close(struct pipeline *pipeline)
{
	if (pipeline == NULL)
		return;
	if (pipeline->dedup != NULL)
		dedup_close(pipeline->dedup);
	story_close(pipeline->stories);
	pipeline_stages_close(pipeline->stages);
	free(pipeline);
}

void
pipeline_attach_source(struct article *article, const struct feed_config *feed,
    const char *feed_url)
{
	if (feed_url != NULL)
		article_set(&article->feed_url, feed_url);
	if (feed != NULL) {
		if (feed->name != NULL)
			article_set(&article->feed_name, feed->name);
		for (size_t i = 0; i < feed->tags.count; i++)
			strlist_add_unique(&article->source_tags, feed->tags.items[i]);
	}
	if (article->id == NULL || article_id_depends_on_feed(article))
		article_assign_id(article);
}

/* The extracted text of the fetched page replaces the feed's, which stays in summary. */
static void
page_apply(struct pipeline_stages *stages, struct article *article, clean_explain_fn explain,
    void *explain_context)
{
	struct extract_result result;
	int found = pipeline_extract_page(stages, article->page_html, article->page_html_length,
	    article->fulltext_url ? article->fulltext_url : article->link, &result, explain,
	    explain_context);

	free(article->page_html);
	article->page_html = NULL;
	article->page_html_length = 0;
	if (found < 0 || result.text == NULL || result.words < article->word_count) {
		article->fulltext_status = PAGE_NO_BODY;	/* a wall, or less than the feed */
		extract_result_free(&result);
		return;
	}
	free(article->text);
	article->text = result.text;
	result.text = NULL;
	article->word_count = result.words;
	if (article->dateline == NULL) {
		article->dateline = result.dateline;
		result.dateline = NULL;
	}
	for (size_t i = 0; article->authors.count == 0 && i < result.authors.count; i++)
		strlist_add(&article->authors, result.authors.items[i]);
	article->fulltext_status = PAGE_EXTRACTED;
	article->fulltext_method = result.method;
	article->fulltext_words = result.words;
	extract_result_free(&result);
}

/* A 304 for a page extracted before: its stored text (daemon/ingest/pages.c). */
static void
page_apply_cached(struct article *article)
{
	static const char *const methods[] = { EXTRACT_METHOD_JSON_LD, EXTRACT_METHOD_DOM,
	    EXTRACT_METHOD_SITE_RULE };

	free(article->text);
	article->text = article->page_cached_text;
	article->page_cached_text = NULL;
	article->word_count = article->page_cached_words;
	article->fulltext_status = PAGE_EXTRACTED;
	article->fulltext_words = article->page_cached_words;
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (article->page_cached_method != NULL &&
		    strcmp(article->page_cached_method, methods[i]) == 0)
			article->fulltext_method = methods[i];
}

int
pipeline_prepare(struct pipeline_stages *stages, struct article *article, time_t now,
    clean_explain_fn explain, void *explain_context)
{
	if (article->fetched == 0)
		article->fetched = now;
	if (article->published == 0) {
		article->published = article->updated ? article->updated : now;
		article->published_is_fetch_time = article->updated == 0;
	}
	if (clean_article(article, stages->rules, explain, explain_context) < 0)
		return -1;
	if (page_wanted(article))
		return PIPELINE_NEEDS_PAGE;
	if (article->page_cached_text != NULL)
		page_apply_cached(article);
	else if (article->page_html != NULL)
		page_apply(stages, article, explain, explain_context);
	plugin_chain_process(stages->plugins, article);
	dedup_sketch_article_tokens(stages->sketcher, article,
	    plugin_chain_tokens(stages->plugins));
	if (stages->extractor != NULL)
		story_extract_article_tokens(stages->extractor, article,
		    plugin_chain_tokens(stages->plugins));
	article_keep_json_without_dedup(article);
	/* here, where the texts were just written: the loop would read them cold */
	article->content_hash = article_content_hash(article);
	return 0;
}

void
pipeline_judge(struct pipeline *pipeline, struct article *article, time_t now)
{
	dedup_check(pipeline->dedup, article, now);
	if (pipeline->stories != NULL)
		story_assign(pipeline->stories, article);
}

void
pipeline_judge_dedup(struct pipeline *pipeline, struct article *article, time_t now)
{
	dedup_check(pipeline->dedup, article, now);
}

int
pipeline_run(struct pipeline *pipeline, struct article *article, time_t now,
    clean_explain_fn explain, void *explain_context)
{
	int result = pipeline_prepare(pipeline->stages, article, now, explain, explain_context);

	if (result == PIPELINE_NEEDS_PAGE) {
		page_fetch_blocking(article, pipeline->config);
		result = pipeline_prepare(pipeline->stages, article, now, explain,
		    explain_context);
	}
	if (result < 0)
		return -1;
	pipeline_judge(pipeline, article, now);
	return 0;
}

static int
route_matches(const struct route_rule *rule, const struct article *article)
{
	if (strcmp(rule->kind, "lang") == 0)
		return strcmp(article->lang_code, rule->value) == 0;
	if (strcmp(rule->kind, "topic") == 0)
		return strlist_contains(&article->topics, rule->value);
	if (strcmp(rule->kind, "tag") == 0)
		return strlist_contains(&article->source_tags, rule->value);
	if (strcmp(rule->kind, "category") == 0)
		return strlist_contains(&article->categories, rule->value);
	if (strcmp(rule->kind, "source") == 0)
		return (article->source_domain && strcmp(article->source_domain, rule->value) == 0)
		    || (article->source_name && strcmp(article->source_name, rule->value) == 0);
	if (strcmp(rule->kind, "entity") == 0) {
		for (size_t i = 0; i < article->entity_count; i++)
			if (strcmp(article->entities[i].name, rule->value) == 0)
				return 1;
	}
	return 0;
}

void
pipeline_topics(const struct pipeline *pipeline, const struct article *article,
    struct strlist *topics)
{
	const struct config *config = pipeline->config;
	int duplicate = article->dedup.status == DEDUP_DUPLICATE;

	if (duplicate && config->dedup.policy == DEDUP_POLICY_DROP)
		return;
	if (duplicate && config->dedup.policy == DEDUP_POLICY_ROUTE) {
		strlist_add_unique(topics, config->topic_duplicates);
		return;	/* routing rules apply to articles, not to their copies */
	}
	strlist_add_unique(topics, config->topic_articles);
	for (size_t i = 0; i < config->route_count; i++)
		if (route_matches(&config->routes[i], article))
			strlist_add_unique(topics, config->routes[i].topic);
}

void
pipeline_set_config(struct pipeline *pipeline, const struct config *config)
{
	pipeline->config = config;
	if (pipeline->stories != NULL)
		story_set_threshold(pipeline->stories, config->stories.threshold);
}

void
pipeline_commit(struct pipeline *pipeline, const struct article *article)
{
	if (article->dedup.status == DEDUP_UNIQUE)
		dedup_commit(pipeline->dedup, article->id);
	if (pipeline->stories != NULL && article->story.id != NULL)
		story_commit(pipeline->stories, article->id);
}

void
pipeline_flush(struct pipeline *pipeline)
{
	dedup_flush(pipeline->dedup);
	if (pipeline->stories != NULL)
		story_flush(pipeline->stories);
}

size_t
pipeline_story_count(const struct pipeline *pipeline)
{
	return pipeline->stories != NULL ? story_count(pipeline->stories) : 0;
}

struct story_index *
pipeline_stories(struct pipeline *pipeline)
{
	return pipeline->stories;
}

size_t
pipeline_dedup_size(const struct pipeline *pipeline)
{
	return dedup_size(pipeline->dedup);
}
