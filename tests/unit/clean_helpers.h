/*
 * clean_helpers.h - what the cleaner's tests (test_clean.c, test_clean_rules.c) share: where
 * the shipped rules and the HTML fixtures are, the explain callback as "rule|text" lines,
 * paragraphs counted in a cleaned text, and the shipped rules loaded.
 */
#ifndef WIRESIFT_TEST_CLEAN_HELPERS_H
#define WIRESIFT_TEST_CLEAN_HELPERS_H

#include <stdio.h>

#include "check.h"
#include "clean/clean.h"
#include "util.h"

#define RULES_FILE	"conf/rules/boilerplate.rules"
#define FIXTURES	"tests/fixtures/html/"

/* Every explain call, as "rule|text\n" lines. */
static void
record_explain(const char *rule_name, const char *removed_text, void *context)
{
	buffer_printf(context, "%s|%s\n", rule_name, removed_text);
}

static size_t
count_paragraphs(const char *text)
{
	size_t count = text[0] != '\0';

	for (const char *at = text; *at != '\0'; at++)
		if (at[0] == '\n' && at[1] == '\n')
			count++, at++;
	return count;
}

static struct clean_rules *
load_rules_file(void)
{
	char error[256] = "";
	struct clean_rules *rules = clean_rules_load(RULES_FILE, error, sizeof error);

	if (rules == NULL)
		fprintf(stderr, "loading %s: %s\n", RULES_FILE, error);
	CHECK(rules != NULL);
	return rules;
}

#endif
