/*
 * test_clean_join.c - paragraphs_join (paragraphs.c) against a plain reference: the kept
 * paragraphs copied one after another with the separator between, their words summed. The
 * join moves them together inside the split text when it can and copies them when it cannot;
 * seeded random texts exercise both: paragraphs broken by one "\n" or several, some dropped,
 * some rewritten as a strip rule does (their own allocation, shorter or longer), and
 * separators of one to three bytes. Each case is checked to have taken the path it should.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clean/clean_internal.h"
#include "util.h"

#define CASES	20000

/* The joined text as paragraphs_join wrote it before it joined in place: a separator only
 * after some text; NULL when no text is left. */
static char *
reference_join(const struct paragraphs *list, const char *separator, size_t *words)
{
	struct buffer joined = { 0 };

	*words = 0;
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i].dropped)
			continue;
		*words += list->items[i].words;
		if (joined.length > 0)
			buffer_append_string(&joined, separator);
		buffer_append(&joined, list->items[i].text, list->items[i].length);
	}
	if (joined.length == 0) {
		buffer_free(&joined);
		return NULL;
	}
	return buffer_steal(&joined);
}

/* A random text of 0 to 12 paragraphs of words, broken by 1 to 3 newlines. */
static char *
random_text(unsigned *seed)
{
	static const char *const words[] = { "a", "news", "said", "Geneva", "1,200", "don't" };
	struct buffer text = { 0 };
	size_t paragraphs = (size_t)(rand_r(seed) % 13);

	buffer_append_string(&text, "");
	for (size_t p = 0; p < paragraphs; p++) {
		size_t count = 1 + (size_t)(rand_r(seed) % 8), breaks = 1 + (size_t)(rand_r(seed) % 3);

		for (size_t w = 0; w < count; w++) {
			if (w > 0)
				buffer_append_string(&text, " ");
			buffer_append_string(&text, words[(size_t)rand_r(seed) % 6]);
		}
		if (p + 1 < paragraphs || rand_r(seed) % 2)
			for (size_t b = 0; b < breaks; b++)
				buffer_append_string(&text, "\n");
	}
	return text.data != NULL ? buffer_steal(&text) : xstrdup("");
}

/* Drop some paragraphs and rewrite some, as apply_rules would. */
static void
random_rules(struct paragraphs *list, unsigned *seed)
{
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];
		unsigned roll = (unsigned)rand_r(seed) % 10;

		if (roll == 0)
			paragraph->dropped = 1;
		else if (roll == 1) {
			/* a strip: its own shorter (or, to test the copy, longer) text */
			char *text = rand_r(seed) % 2 ? xstrndup(paragraph->text,
			    paragraph->length / 2) : xasprintf("%s and more", paragraph->text);

			paragraph->text = text;
			paragraph->owned = 1;
			paragraph->length = strlen(text);
			paragraph->words = count_words(text, paragraph->length);
		}
	}
}

static void
test_join_against_reference(void)
{
	static const char *const separators[] = { "\n\n", "\n", " | " };
	unsigned seed = 99;
	size_t in_place = 0, copied = 0, failures = 0;

	for (int round = 0; round < CASES; round++) {
		struct paragraphs list = paragraphs_split(random_text(&seed));
		const char *separator = separators[(size_t)rand_r(&seed) % 3];
		size_t words, expected_words;
		char *expected, *joined;

		random_rules(&list, &seed);
		expected = reference_join(&list, separator, &expected_words);
		joined = paragraphs_join(&list, separator, &words);
		if (list.storage == NULL)
			in_place++;	/* the joined text took the split one */
		else
			copied++;
		if ((expected == NULL) != (joined == NULL) ||
		    (expected != NULL && strcmp(expected, joined) != 0) ||
		    (expected != NULL && words != expected_words))
			failures++;
		free(expected);
		free(joined);
		paragraphs_free(&list);
	}
	CHECK(failures == 0);
	/* both ways were taken, many times */
	CHECK(in_place > CASES / 10);
	CHECK(copied > CASES / 10);
}

/* The cleaner's usual case: "\n\n" between paragraphs, none rewritten: joined in place. */
static void
test_join_in_place_keeps_text(void)
{
	struct paragraphs list = paragraphs_split(xstrdup("One two.\n\nThree.\n\nFour five six."));
	size_t words;
	char *joined;

	list.items[1].dropped = 1;
	joined = paragraphs_join(&list, "\n\n", &words);
	CHECK(list.storage == NULL);
	CHECK_STR(joined, "One two.\n\nFour five six.");
	CHECK(words == 5);
	paragraphs_free(&list);
	free(joined);
}

int
main(void)
{
	RUN(test_join_against_reference);
	RUN(test_join_in_place_keeps_text);
	return check_finish();
}
