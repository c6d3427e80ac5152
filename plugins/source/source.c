/*
 * source.c - the "source" tagger plugin: fills article->source_domain from the article's URL
 * (canonical URL, else item link, else feed URL) and article->source_name from the feeds
 * list's name, else the feed's own title, else that domain.  Feed tags (source_tags) are
 * already set by the pipeline and left alone.
 *
 * Thread-compatible: it only reads its state (one instance per thread), and libcurl's URL
 * API is reentrant.
 */
#include <stddef.h>
#include <stdlib.h>

#include "article.h"
#include "plugin_api.h"
#include "url.h"

struct source_state {
	int	 overwrite;	/* replace a source_name/source_domain already set */
};

static const struct ws_option source_options[] = {
	{ "overwrite", "no", "replace source fields an earlier stage already set",
	    WS_OPTION_BOOL, offsetof(struct source_state, overwrite) },
	{ NULL, NULL, NULL, 0, 0 }
};

static int
is_empty(const char *text)
{
	return text == NULL || *text == '\0';
}

/* The domain of the first of url, link, feed_url that parses; NULL when none does. */
static char *
source_domain(const struct article *article)
{
	const char *candidates[] = { article->url, article->link, article->feed_url };
	char *domain;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (is_empty(candidates[i]))
			continue;
		if ((domain = url_domain(candidates[i])) != NULL)
			return domain;
	}
	return NULL;
}

static int
source_process(void *state_pointer, struct article *article)
{
	struct source_state *state = state_pointer;

	if (state->overwrite || is_empty(article->source_domain)) {
		char *domain = source_domain(article);

		if (domain != NULL) {
			article_set(&article->source_domain, domain);
			free(domain);
		}
	}
	if (state->overwrite || is_empty(article->source_name)) {
		if (!is_empty(article->feed_name))
			article_set(&article->source_name, article->feed_name);
		else if (!is_empty(article->feed_title))
			article_set(&article->source_name, article->feed_title);
		else if (!is_empty(article->source_domain))
			article_set(&article->source_name, article->source_domain);
	}
	return 0;
}

static const struct ws_plugin source_plugin = {
	.abi = WS_PLUGIN_ABI,
	.name = "source",
	.description = "outlet name and domain of each article",
	.options = source_options,
	.state_size = sizeof(struct source_state),
	.init = NULL,
	.process = source_process,
	.fini = NULL,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &source_plugin;
}
