/*
 * clean.c - the cleaning stage for one article: title, text and summary from the raw fields
 * (html_text.c), the title repeated as first paragraph dropped, the boilerplate rules
 * (paragraphs.c), the dateline (dateline.c), the canonical URL and the word count.
 *
 * clean_article only reads the rule set (its scratch lives on the stack and the heap of the
 * call), so it is thread-safe; giving each worker thread its own set still pays, as glibc's
 * regexec takes a lock per pattern. Only constant data is static.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clean_internal.h"
#include "log.h"
#include "url.h"

#define SUMMARY_MAX_CHARS	500

/* Drop the first paragraph when it repeats the title. */
void
drop_title_repeat(const char *title, struct paragraphs *list, const struct explain_sink *sink)
{
	if (title == NULL)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		if (strcasecmp(paragraph->text, title) == 0) {
			explain_removal(sink, "title-repeat", paragraph->text);
			paragraph->dropped = 1;
		}
		return;
	}
}

/* Cut text to at most max_chars characters at a word boundary, adding "…". */
static char *
cap_on_word_boundary(char *text, size_t max_chars)
{
	size_t chars = 0, last_space = 0, i;

	if (strlen(text) <= max_chars)
		return text;	/* no more characters than bytes: nothing to cut */

	for (i = 0; text[i] != '\0'; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		if (chars == max_chars)
			break;
		if (text[i] == ' ')
			last_space = i;
		chars++;
	}
	if (text[i] == '\0')
		return text;
	if (last_space > i / 2)
		i = last_space;
	while (i > 0 && strchr(" ,;:-", text[i - 1]) != NULL)
		i--;
	text = xrealloc(text, i + sizeof "…");
	memcpy(text + i, "…", sizeof "…");
	return text;
}

/*
 * Text of an HTML fragment after the rules, paragraphs joined by "\n\n"; NULL when nothing is
 * left. The dateline, when found, goes to article->dateline; the text's word count to *words.
 */
static char *
clean_fragment(const char *html, const struct clean_rules *rules, const char *title,
    struct article *article, const struct explain_sink *sink, size_t *words)
{
	size_t text_length;
	char *text = html_to_text_measured(html, strlen(html), sink->function, sink->context,
	    &text_length);
	struct paragraphs list = paragraphs_split_length(text, text_length);
	struct filter_text view = { .index = &rules->literals };
	char *result;

	drop_title_repeat(title, &list, sink);
	apply_rules(rules, &list, &view, sink);
	if (article != NULL)
		extract_dateline(rules, article, &list, &view, sink);
	result = paragraphs_join(&list, "\n\n", words);
	paragraphs_free(&list);
	filter_text_free(&view);
	return result;
}

/* The title on one line: paragraph breaks become spaces. NULL when empty. */
char *
clean_title(const char *title_raw)
{
	char *title, *read, *write;

	if (title_raw == NULL)
		return NULL;
	title = html_to_text(title_raw, strlen(title_raw));
	for (read = write = title; *read != '\0'; read++) {
		if (*read == '\n') {
			if (read[1] == '\n')
				read++;
			*write++ = ' ';
		} else
			*write++ = *read;
	}
	*write = '\0';
	if (title[0] == '\0') {
		free(title);
		return NULL;
	}
	return title;
}

/*
 * The summary on one line, capped: the summary field cleaned (when there is no content, the
 * text came from it already), else the first paragraph of the text.
 */
static char *
make_summary(const struct article *article, const struct clean_rules *rules,
    const struct explain_sink *sink)
{
	char *summary = NULL;

	if (article->summary_html != NULL && article->content_html == NULL &&
	    article->text != NULL) {
		summary = xstrdup(article->text);
		flatten_newlines(summary);
		collapse_spaces(summary);
	} else if (article->summary_html != NULL && article->content_html != NULL) {
		struct article scratch = { 0 };	/* receives a dateline we do not keep */
		size_t words;
		char *text = clean_fragment(article->summary_html, rules, article->title,
		    &scratch, sink, &words);

		free(scratch.dateline);
		if (text != NULL) {
			flatten_newlines(text);
			collapse_spaces(text);
			summary = text;
		}
	}
	if (summary == NULL && article->text != NULL)
		summary = xstrndup(article->text, strcspn(article->text, "\n"));
	if (summary != NULL)
		summary = cap_on_word_boundary(summary, SUMMARY_MAX_CHARS);
	return summary;
}

static int
clean_article_with(struct article *article, const struct clean_rules *rules,
    const struct explain_sink *sink)
{
	const char *body = article->content_html ? article->content_html : article->summary_html;
	size_t words = 0;

	free(article->title);
	article->title = clean_title(article->title_raw);
	free(article->text);
	free(article->dateline);
	article->dateline = NULL;
	article->text = body ? clean_fragment(body, rules, article->title, article, sink,
	    &words) : NULL;
	free(article->summary);
	article->summary = make_summary(article, rules, sink);
	article->word_count = article->text ? words : 0;
	/*
	 * article_assign_id may have canonicalised the link already; the rules' extra tracking
	 * names can only change a query.
	 */
	if (article->url == NULL || article->link == NULL ||
	    (rules->tracking_params.count > 0 && strchr(article->url, '?') != NULL)) {
		free(article->url);
		article->url = article->link ? url_canonical(article->link, NULL,
		    &rules->tracking_params) : NULL;
	}
	return article->title == NULL && article->text == NULL ? -1 : 0;
}

int
clean_article(struct article *article, const struct clean_rules *rules,
    clean_explain_fn explain_function, void *explain_context)
{
	struct explain_sink sink = { explain_function, explain_context };
	struct clean_rules *builtin = NULL;
	char error[256];
	int status;

	if (rules == NULL) {
		/* no rule set given: the built-in one, built for this call */
		if ((builtin = clean_rules_load(NULL, error, sizeof error)) == NULL)
			return -1;
		rules = builtin;
	}
	status = clean_article_with(article, rules, &sink);
	clean_rules_free(builtin);
	return status;
}

void
clean_explain_print(const char *rule_name, const char *removed_text, void *source)
{
	fprintf(stderr, "explain: %s: rule=%s removed=%s\n", (const char *)source, rule_name,
	    log_quote(removed_text));
}
