/*
 * dedup_helpers.h - what the dedup tests (test_dedup.c, test_dedup_persist.c) share: an index
 * opened on a state directory, a text judged (and checked against the verdict expected),
 * paragraph lists, wire-copy variants of a text (typos, re-wrapped, trimmed, with a byline),
 * random made-up documents, and three stories written for these tests (fiction). The
 * including test defines RANDOM_SEED first (xorshift.h: each test its own sequence).
 */
#ifndef WIRESIFT_TEST_DEDUP_HELPERS_H
#define WIRESIFT_TEST_DEDUP_HELPERS_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "util.h"
#include "dedup/dedup.h"
#include "xorshift.h"


static struct dedup_index *
open_index(const char *state_dir, long long window)
{
	struct dedup_config config;
	char error[256] = "";
	struct dedup_index *index;

	dedup_config_defaults(&config);
	config.state_dir = state_dir;
	if (window > 0)
		config.window_seconds = window;
	index = dedup_open(&config, error, sizeof error);
	if (index == NULL)
		fprintf(stderr, "dedup_open: %s\n", error);
	return index;
}

/* Judge a text under an id; the caller frees the article. */
static struct article *
judge(struct dedup_index *index, const char *id, const char *text, time_t now)
{
	struct article *article = article_new();

	article_set(&article->id, id);
	article_set(&article->text, text);
	dedup_check(index, article, now);
	return article;
}

/* Judge and report whether it was found a duplicate of expected_group (NULL: unique). */
static int
judged_as(struct dedup_index *index, const char *id, const char *text, time_t now,
    const char *expected_group)
{
	struct article *article = judge(index, id, text, now);
	int ok;

	if (expected_group == NULL)
		ok = article->dedup.status == DEDUP_UNIQUE && article->dedup.group != NULL &&
		    strcmp(article->dedup.group, id) == 0 && article->dedup.duplicate_of == NULL;
	else
		ok = article->dedup.status == DEDUP_DUPLICATE &&
		    article->dedup.duplicate_of != NULL && article->dedup.group != NULL &&
		    strcmp(article->dedup.duplicate_of, expected_group) == 0 &&
		    strcmp(article->dedup.group, expected_group) == 0;
	if (!ok)
		fprintf(stderr, "  %s: status=%d duplicate_of=%s group=%s similarity=%.3f method=%s "
		    "(expected %s)\n", id, article->dedup.status,
		    article->dedup.duplicate_of ? article->dedup.duplicate_of : "-",
		    article->dedup.group ? article->dedup.group : "-", article->dedup.similarity,
		    article->dedup.method ? article->dedup.method : "-",
		    expected_group ? expected_group : "unique");
	article_free(article);
	return ok;
}

/* Paragraph lists: a text as "\n\n"-separated paragraphs. */
struct paragraphs {
	char	**items;
	size_t	  count;
};

static void
paragraphs_split(struct paragraphs *list, const char *text)
{
	const char *cursor = text;

	memset(list, 0, sizeof *list);
	while (*cursor != '\0') {
		const char *end = strchr(cursor, '\n');
		size_t length = end ? (size_t)(end - cursor) : strlen(cursor);

		if (length > 0) {
			list->items = xrealloc(list->items, (list->count + 1) * sizeof *list->items);
			list->items[list->count++] = xstrndup(cursor, length);
		}
		cursor += length;
		while (*cursor == '\n')
			cursor++;
	}
}

static void
paragraphs_free(struct paragraphs *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
}

/* Join paragraphs [first, last) with separator, with optional text before and inserted after
 * paragraph insert_after (SIZE_MAX: none). */
static char *
paragraphs_join(const struct paragraphs *list, size_t first, size_t last, const char *separator,
    const char *prefix, size_t insert_after, const char *inserted)
{
	struct buffer out = { 0 };

	if (prefix != NULL) {
		buffer_append_string(&out, prefix);
		buffer_append_string(&out, separator);
	}
	for (size_t i = first; i < last; i++) {
		if (i > first)
			buffer_append_string(&out, separator);
		buffer_append_string(&out, list->items[i]);
		if (i == insert_after) {
			buffer_append_string(&out, separator);
			buffer_append_string(&out, inserted);
		}
	}
	return buffer_steal(&out);
}

/* Swap two letters inside every `every`-th word of at least 6 letters, `count` times. */
static char *
with_typos(const char *text, int count, int every)
{
	char *copy = xstrdup(text);
	int seen = 0;

	for (char *cursor = copy; *cursor != '\0' && count > 0;) {
		size_t length = 0;

		while (cursor[length] >= 'a' && cursor[length] <= 'z')
			length++;
		if (length >= 6 && ++seen % every == 0) {
			char swap = cursor[2];

			cursor[2] = cursor[3];
			cursor[3] = swap;
			count--;
		}
		cursor += length > 0 ? length : 1;
	}
	return copy;
}

/* Re-wrap at width columns with single line breaks (and no paragraph breaks). */
static char *
rewrapped(const char *text, size_t width)
{
	struct buffer out = { 0 };
	size_t column = 0;
	char *copy = xstrdup(text);

	for (char *word = strtok(copy, " \n"); word != NULL; word = strtok(NULL, " \n")) {
		size_t length = strlen(word);

		if (column > 0 && column + 1 + length > width) {
			buffer_append_string(&out, "\n");
			column = 0;
		} else if (column > 0) {
			buffer_append_string(&out, " ");
			column++;
		}
		buffer_append_string(&out, word);
		column += length;
	}
	free(copy);
	return buffer_steal(&out);
}

/* Wire-copy variants of a paragraph text; returns how many were written to variants. */
static size_t
make_variants(const char *text, char *variants[8], const char *names[8])
{
	struct paragraphs list;
	size_t n = 0, middle;
	char *trimmed;

	paragraphs_split(&list, text);
	middle = list.count / 2;
	names[n] = "headline added";
	variants[n++] = paragraphs_join(&list, 0, list.count, "\n\n",
	    "UPDATE 2: Officials respond as talks stall, sources say", SIZE_MAX, NULL);
	names[n] = "lede rewritten";
	variants[n++] = paragraphs_join(&list, 1, list.count, "\n\n",
	    "In a statement issued late on the day, a spokesperson described the situation as "
	    "fluid and said further details would follow in the coming hours.", SIZE_MAX, NULL);
	names[n] = "last paragraph trimmed";
	variants[n++] = paragraphs_join(&list, 0, list.count - 1, "\n\n", NULL, SIZE_MAX, NULL);
	names[n] = "last quarter trimmed";
	variants[n++] = paragraphs_join(&list, 0, list.count - list.count / 4, "\n\n", NULL,
	    SIZE_MAX, NULL);
	names[n] = "ad line inserted";
	variants[n++] = paragraphs_join(&list, 0, list.count, "\n\n", NULL, middle,
	    "ADVERTISEMENT - Subscribe to our morning newsletter for the day's top stories.");
	names[n] = "typos fixed";
	variants[n++] = with_typos(text, 4, 7);
	names[n] = "line breaks changed";
	variants[n++] = rewrapped(text, 64);
	names[n] = "byline, trimmed and ad";
	trimmed = paragraphs_join(&list, 0, list.count - 1, "\n\n", "By Staff Reporter",
	    middle, "Advertisement: continue reading below.");
	variants[n++] = with_typos(trimmed, 2, 11);
	free(trimmed);
	paragraphs_free(&list);
	return n;
}

/* Build a paragraph of `words` random words from a vocabulary of made-up words. */
static void
random_paragraph(struct buffer *out, size_t words)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";

	for (size_t i = 0; i < words; i++) {
		size_t length = 2 + next_random(8);

		if (i > 0)
			buffer_append_string(out, " ");
		for (size_t j = 0; j < length; j++)
			buffer_append(out, &letters[next_random(26)], 1);
	}
}

static char *
random_document(size_t paragraphs, size_t words_each)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < paragraphs; i++) {
		if (i > 0)
			buffer_append_string(&out, "\n\n");
		random_paragraph(&out, words_each);
	}
	return buffer_steal(&out);
}

/* ---- stories written for these tests (fiction) ---- */

static const char *const story_ferry =
    "Ferry services across the northern strait were suspended on Tuesday after a storm "
    "surge flooded the terminal at Port Alder, stranding hundreds of travellers overnight.\n\n"
    "The harbour authority said the water reached the ticket hall shortly before dawn and "
    "that engineers would need at least two days to inspect the loading ramps before any "
    "vessel could dock again.\n\n"
    "Passengers described sleeping on benches in a school gymnasium that the town council "
    "opened as an emergency shelter, where volunteers handed out blankets and soup.\n\n"
    "\"We had no warning that the crossing would close,\" said one driver who was carrying "
    "fresh fish to markets on the mainland. \"Now the whole load will spoil.\"\n\n"
    "The regional weather office had issued an amber alert the previous evening, predicting "
    "gusts of up to one hundred kilometres an hour along the exposed western coast.\n\n"
    "Local businesses warned that a long closure would hurt the island economy, which relies "
    "on the ferry for almost all of its freight, fuel and visitors during the summer.\n\n"
    "A spokesperson for the operator said refunds would be offered to every ticket holder and "
    "that extra sailings would be added once the terminal was declared safe.\n\n"
    "Forecasters expect calmer conditions by the weekend, though further showers are likely "
    "in the hills, where several minor roads remain closed by fallen trees.";

/* Same event, written independently: it shares facts and one quote, not the text. */
static const char *const story_ferry_other_outlet =
    "Hundreds of people spent the night in a gymnasium in Port Alder after the storm forced "
    "the ferry operator to halt every crossing of the strait.\n\n"
    "Seawater poured into the terminal before sunrise, according to harbour officials, who "
    "said inspections of the ramps could take until Thursday at the earliest.\n\n"
    "\"We had no warning that the crossing would close,\" said one driver who was carrying "
    "fresh fish to markets on the mainland.\n\n"
    "Island shopkeepers fear empty shelves if the disruption lasts, since nearly every "
    "delivery of groceries and petrol arrives by boat.\n\n"
    "The operator promised refunds and said it would publish a revised timetable once "
    "engineers had finished their checks.";

static const char *const story_council =
    "The town council of Port Alder voted on Wednesday to build a new sea wall along the "
    "harbour front, two days after a storm surge flooded the ferry terminal.\n\n"
    "Councillors approved the plan by eleven votes to two after a heated debate over its "
    "cost, which officials estimate at forty million over five years.\n\n"
    "Opponents argued that the money would be better spent on moving the terminal to higher "
    "ground, while supporters said the wall would also protect homes in the old quarter.\n\n"
    "Construction is expected to begin next spring, subject to an environmental review of "
    "its effect on the tidal marsh north of the harbour, home to rare wading birds.\n\n"
    "The mayor said the council would apply for national funding and thanked residents who "
    "had volunteered at the emergency shelter during the storm.";

#endif
