/*
 * sketcher.c - the dedup sketch of one article (dedup.h), made on the worker that prepared
 * it: the words of its cleaned text (or title and summary), read off the plugins' token
 * stream where it holds that very text (normalize.c), shingled and MinHashed (minhash.c).
 * A sketcher is scratch for one thread; the index keeps one for articles that come to
 * dedup_check() without a sketch (index.c).
 */
#include <stdlib.h>
#include <string.h>

#include "dedup_internal.h"
#include "article.h"
#include "util.h"

void
dedup_sketcher_init(struct dedup_sketcher *sketcher, const struct dedup_config *config)
{
	dedup_hasher_init(&sketcher->hasher, config->shingle_size, config->signature_size,
	    config->bands);
}

void
dedup_sketcher_clear(struct dedup_sketcher *sketcher)
{
	dedup_hasher_free(&sketcher->hasher);
	dedup_words_free(&sketcher->words);
	buffer_free(&sketcher->text);
}

/* The text an article is sketched from: its cleaned text, or its title and summary. */
static const char *
article_text(struct buffer *text, const struct article *article)
{
	if (article->text != NULL && *article->text != '\0')
		return article->text;
	buffer_reset(text);
	if (article->title != NULL)
		buffer_append_string(text, article->title);
	buffer_append_string(text, "\n");
	if (article->summary != NULL)
		buffer_append_string(text, article->summary);
	return text->data;
}

/*
 * The words of the article's text: off the token stream when it is of the very text sketched
 * (dedup_words_from_tokens gives the same words), else read from the text.
 */
void
dedup_sketch_into(struct dedup_sketcher *sketcher, const struct article *article,
    const struct ws_tokens *tokens, struct dedup_sketch *sketch)
{
	const char *text = article_text(&sketcher->text, article);

	if (tokens != NULL && tokens->text.text == text && tokens->text.count > 0 &&
	    tokens->form_ids != NULL)
		dedup_words_from_tokens(&sketcher->words, tokens);
	else
		dedup_words_from_text(&sketcher->words, text);
	dedup_sketch_compute(&sketcher->hasher, &sketcher->words, sketch);
}

struct dedup_sketcher *
dedup_sketcher_new(const struct dedup_config *config)
{
	struct dedup_sketcher *sketcher = xcalloc(1, sizeof *sketcher);

	dedup_sketcher_init(sketcher, config);
	return sketcher;
}

void
dedup_sketcher_free(struct dedup_sketcher *sketcher)
{
	if (sketcher == NULL)
		return;
	dedup_sketcher_clear(sketcher);
	free(sketcher);
}

void
dedup_sketch_article_tokens(struct dedup_sketcher *sketcher, struct article *article,
    const struct ws_tokens *tokens)
{
	struct dedup_sketch *sketch = xcalloc(1, sizeof *sketch);

	dedup_sketch_init(sketch, &sketcher->hasher);
	dedup_sketch_into(sketcher, article, tokens, sketch);
	dedup_sketch_destroy(article->dedup_sketch);
	article->dedup_sketch = sketch;
}

void
dedup_sketch_article(struct dedup_sketcher *sketcher, struct article *article)
{
	dedup_sketch_article_tokens(sketcher, article, NULL);
}

void
dedup_sketch_destroy(struct dedup_sketch *sketch)
{
	if (sketch == NULL)
		return;
	dedup_sketch_free(sketch);
	free(sketch);
}
