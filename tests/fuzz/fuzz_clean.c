/*
 * fuzz_clean.c - libFuzzer target for the cleaner: html_to_text() on arbitrary bytes, then
 * clean_article() with the built-in rules on an article whose title, summary and content are
 * slices of the input. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "clean/clean.h"
#include "util.h"

static struct clean_rules *rules;

/* The input split at its first two 0xff bytes: title, summary, content. */
static void
article_fill(struct article *article, const char *data, size_t size)
{
	char **fields[] = { &article->title_raw, &article->summary_html, &article->content_html };
	size_t start = 0;

	for (size_t field = 0; field < 3 && start <= size; field++) {
		const char *end = field < 2 ? memchr(data + start, 0xff, size - start) : NULL;
		size_t length = end ? (size_t)(end - (data + start)) : size - start;

		*fields[field] = xstrndup(data + start, length);
		start += length + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[256];
	struct article *article;

	if (rules == NULL && (rules = clean_rules_load(NULL, error, sizeof error)) == NULL)
		abort();
	free(html_to_text((const char *)data, size));
	article = article_new();
	article_set(&article->link, "http://fuzz.invalid/news/2024/story?utm_source=feed");
	article_fill(article, (const char *)data, size);
	clean_article(article, rules, NULL, NULL);
	article_free(article);
	return 0;
}
