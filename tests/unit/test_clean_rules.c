/*
 * test_clean_rules.c - apply_rules (paragraphs.c: each kind's rules by the paragraph's first
 * byte, their gates of limits and second bytes, the prefilters, then regexec) against a plain
 * reference that runs regexec for every rule within its limits, in file order, with no
 * shortcut at all: the same removals, the same texts left, on generated paragraphs that
 * start with and contain the rules' literals (whole, cut short, their cases flipped) among
 * words, punctuation and UTF-8, with the built-in rules and conf/rules/boilerplate.rules.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clean/clean.h"
#include "clean/clean_internal.h"
#include "util.h"

#define RULES_FILE	"conf/rules/boilerplate.rules"

static uint64_t random_state = 0x9E3779B97F4A7C15ULL;

static unsigned
random_below(unsigned below)
{
	random_state = random_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(random_state >> 33) % below;
}

/* Every removal as "rule|text\n". */
static void
record(const char *rule_name, const char *removed_text, void *context)
{
	struct buffer *log = context;

	buffer_append_string(log, rule_name);
	buffer_append_string(log, "|");
	buffer_append_string(log, removed_text);
	buffer_append_string(log, "\n");
}

/* A literal of the rules' filters ("starts" or "contains"), the way a text may hold it. */
static void
append_literal(struct buffer *text, const struct clean_rules *rules)
{
	const struct clean_rule *rule = &rules->rules[random_below((unsigned)rules->count)];
	const struct literal_set *set = random_below(2) || rule->filter.contains_count == 0 ?
	    &rule->filter.starts : &rule->filter.contains[random_below(
	    (unsigned)rule->filter.contains_count)];
	size_t length, pick;
	char *copy;

	if (set->count == 0)
		return;
	pick = random_below((unsigned)set->count);
	length = set->lengths[pick];
	copy = xstrndup(set->strings[pick], length);
	if (random_below(4) == 0 && length > 1)
		length -= 1 + random_below((unsigned)length - 1);	/* cut short */
	for (size_t i = 0; i < length; i++)	/* as in prose: capitals, or any case */
		if (isalpha((unsigned char)copy[i]) && (random_below(3) == 0 ||
		    (i == 0 && random_below(2) == 0)))
			copy[i] = (char)(copy[i] ^ 0x20);
	buffer_append(text, copy, length);
	free(copy);
}

/* A paragraph: literals of the rules among other pieces, often starting with one. */
static char *
generated_paragraph(const struct clean_rules *rules)
{
	static const char *const others[] = { "the ", "said ", "a", " ", "é", "—", "–", "…",
	    "(", ")", ", ", ": ", "-", "P", "p", "R", "C", "K", ".", "/", "x", "is ", "was ",
	    "2024", " 12", "(AP)", "@user", "twitter", "Thursday, ", "Reporter ", "Jane Doe " };
	struct buffer text = { 0 };
	unsigned pieces = 1 + random_below(random_below(2) ? 6 : 60);

	for (unsigned i = 0; i < pieces; i++) {
		if (random_below(3) == 0 || (i == 0 && random_below(2) == 0))
			append_literal(&text, rules);
		else
			buffer_append_string(&text, others[random_below(sizeof others /
			    sizeof others[0])]);
	}
	buffer_append_string(&text, "x");	/* never empty */
	return buffer_steal(&text);
}

/* The reference's limits of a rule on paragraph index of count. */
static int
within_limits(const struct clean_rule *rule, size_t words, size_t index, size_t count)
{
	return (rule->max_words == 0 || words <= rule->max_words) &&
	    (rule->first == 0 || index < rule->first) &&
	    (rule->last == 0 || index + rule->last >= count);
}

/* Strip every match of rule from *text (as paragraphs.c's apply_strip does); 1 if any. */
static int
reference_strip(const struct clean_rule *rule, char **text, struct buffer *log)
{
	struct buffer kept = { 0 };
	size_t offset = 0, copied = 0, length = strlen(*text);
	regmatch_t match;

	while (offset <= length) {
		match.rm_so = (regoff_t)offset;
		match.rm_eo = (regoff_t)length;
		if (regexec(&rule->regex, *text, 1, &match,
		    REG_STARTEND | (offset > 0 ? REG_NOTBOL : 0)) != 0)
			break;
		if (match.rm_eo == match.rm_so) {
			offset = (size_t)match.rm_so + 1;
			continue;
		}
		char *removed = xstrndup(*text + match.rm_so, (size_t)(match.rm_eo - match.rm_so));

		record(rule->name, removed, log);
		free(removed);
		buffer_append(&kept, *text + copied, (size_t)match.rm_so - copied);
		copied = offset = (size_t)match.rm_eo;
	}
	if (copied == 0)
		return 0;
	buffer_append(&kept, *text + copied, length - copied);
	free(*text);
	*text = buffer_steal(&kept);
	collapse_spaces(*text);
	return 1;
}

/* Strip and drop-paragraph rules on paragraph i, every rule of the kind in file order. */
static void
reference_strip_and_drop(const struct clean_rules *rules, char **texts, int *dropped,
    size_t i, size_t count, struct buffer *log)
{
	for (size_t r = 0; r < rules->count && !dropped[i]; r++) {
		const struct clean_rule *rule = &rules->rules[r];

		if (rule->kind != RULE_STRIP ||
		    !within_limits(rule, count_words(texts[i], strlen(texts[i])), i, count))
			continue;
		if (reference_strip(rule, &texts[i], log) && texts[i][0] == '\0')
			dropped[i] = 1;
	}
	for (size_t r = 0; r < rules->count && !dropped[i]; r++) {
		const struct clean_rule *rule = &rules->rules[r];

		if (rule->kind != RULE_DROP_PARAGRAPH ||
		    !within_limits(rule, count_words(texts[i], strlen(texts[i])), i, count) ||
		    regexec(&rule->regex, texts[i], 0, NULL, 0) != 0)
			continue;
		record(rule->name, texts[i], log);
		dropped[i] = 1;
	}
}

/* drop-after: the first kept paragraph after the first that a rule matches, and the rest. */
static void
reference_drop_after(const struct clean_rules *rules, char **texts, int *dropped,
    size_t count, struct buffer *log)
{
	size_t kept = 0, position = 0;

	for (size_t i = 0; i < count; i++)
		kept += !dropped[i];
	for (size_t i = 0; i < count; i++) {
		if (dropped[i])
			continue;
		for (size_t r = 0; position > 0 && r < rules->count; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind != RULE_DROP_AFTER || !within_limits(rule,
			    count_words(texts[i], strlen(texts[i])), position, kept) ||
			    regexec(&rule->regex, texts[i], 0, NULL, 0) != 0)
				continue;
			for (size_t j = i; j < count; j++)
				if (!dropped[j]) {
					record(rule->name, texts[j], log);
					dropped[j] = 1;
				}
			return;
		}
		position++;
	}
}

/* An article of count paragraphs (texts, freed) through apply_rules and the reference. */
static int
rules_agree_on(const struct clean_rules *rules, char **texts, size_t count)
{
	int dropped[8] = { 0 };
	struct buffer log = { 0 }, reference_log = { 0 }, reference_text = { 0 }, input = { 0 };
	struct explain_sink sink = { record, &log };
	struct filter_text view = { .index = &rules->literals };
	struct paragraphs list;
	size_t words;
	char *joined;
	int agree;

	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buffer_append_string(&input, "\n\n");
		buffer_append_string(&input, texts[i]);
	}
	list = paragraphs_split(xstrndup(input.data, input.length));
	apply_rules(rules, &list, &view, &sink);
	joined = paragraphs_join(&list, "\n\n", &words);
	for (size_t i = 0; i < count; i++)
		reference_strip_and_drop(rules, texts, dropped, i, count, &reference_log);
	reference_drop_after(rules, texts, dropped, count, &reference_log);
	for (size_t i = 0; i < count; i++) {
		if (!dropped[i]) {
			if (reference_text.length > 0)
				buffer_append_string(&reference_text, "\n\n");
			buffer_append_string(&reference_text, texts[i]);
		}
		free(texts[i]);
	}
	agree = strcmp(log.data ? log.data : "", reference_log.data ? reference_log.data : "")
	    == 0 && strcmp(joined ? joined : "", reference_text.data ? reference_text.data :
	    "") == 0;
	if (!agree)
		fprintf(stderr, "  apply_rules:\n%s  reference:\n%s  on:\n%s\n",
		    log.data ? log.data : "", reference_log.data ? reference_log.data : "",
		    input.data);
	free(joined);
	buffer_free(&input);
	paragraphs_free(&list);
	filter_text_free(&view);
	buffer_free(&log);
	buffer_free(&reference_log);
	buffer_free(&reference_text);
	return agree;
}

/* One generated article of count paragraphs through apply_rules and the reference. */
static int
rules_agree(const struct clean_rules *rules, size_t count)
{
	char *texts[8];

	for (size_t i = 0; i < count; i++)
		texts[i] = generated_paragraph(rules);
	return rules_agree_on(rules, texts, count);
}

static void
check_rule_set(const char *path)
{
	char error[256];
	struct clean_rules *rules = clean_rules_load(path, error, sizeof error);
	size_t disagreements = 0;

	CHECK(rules != NULL);
	if (rules == NULL)
		return;
	for (int round = 0; round < 4000; round++)
		disagreements += !rules_agree(rules, 1 + random_below(round % 2 ? 6 : 2));
	CHECK(disagreements == 0);
	clean_rules_free(rules);
}

/* With the article's screen (the default) and without it, paragraph by paragraph. */
static void
test_rules_against_reference(void)
{
	check_rule_set(NULL);
	check_rule_set(RULES_FILE);
	apply_rules_article_screen = 0;
	check_rule_set(RULES_FILE);
	apply_rules_article_screen = 1;
}

/*
 * A strip that makes a later rule's string: the article holds no "Keep reading" until the
 * photo credit between its words goes, so its screen rules continue-reading-inline out for
 * every paragraph as split, but the rewritten one is asked on its own.
 */
static void
test_strip_makes_a_match(void)
{
	char error[256];
	struct clean_rules *rules = clean_rules_load(RULES_FILE, error, sizeof error);
	char *texts[3];
	struct buffer log = { 0 };
	struct explain_sink sink = { record, &log };
	struct filter_text view = { .index = &rules->literals };
	struct paragraphs list;
	size_t words;
	char *joined;

	CHECK(rules != NULL);
	if (rules == NULL)
		return;
	texts[0] = xstrdup("Officials met on Monday to talk about the budget.");
	texts[1] = xstrdup("The budget passed late at night. Keep (Photo: Agency) reading");
	texts[2] = xstrdup("Markets rose on the news (briefly) before closing lower.");
	list = paragraphs_split(xstrdup("Officials met on Monday to talk about the budget.\n\n"
	    "The budget passed late at night. Keep (Photo: Agency) reading\n\n"
	    "Markets rose on the news (briefly) before closing lower."));
	apply_rules(rules, &list, &view, &sink);
	joined = paragraphs_join(&list, "\n\n", &words);
	CHECK_STR(joined, "Officials met on Monday to talk about the budget.\n\n"
	    "The budget passed late at night.\n\n"
	    "Markets rose on the news (briefly) before closing lower.");
	CHECK(log.data != NULL && strstr(log.data, "continue-reading-inline|") != NULL);
	CHECK(rules_agree_on(rules, texts, 3));
	free(joined);
	paragraphs_free(&list);
	filter_text_free(&view);
	buffer_free(&log);
	clean_rules_free(rules);
}

/* The generated paragraphs do get removed, by many rules: the comparison is not empty. */
static void
test_generated_paragraphs_are_removed(void)
{
	char error[256];
	struct clean_rules *rules = clean_rules_load(RULES_FILE, error, sizeof error);
	size_t removals = 0, names = 0;
	char seen[64] = { 0 };

	CHECK(rules != NULL);
	if (rules == NULL)
		return;
	for (int round = 0; round < 4000; round++) {
		struct buffer log = { 0 };
		struct explain_sink sink = { record, &log };
		struct filter_text view = { .index = &rules->literals };
		char *text = generated_paragraph(rules);
		struct paragraphs list = paragraphs_split(text);

		apply_rules(rules, &list, &view, &sink);
		for (size_t r = 0; log.data != NULL && r < rules->count && r < sizeof seen; r++) {
			char *tag = xasprintf("%s|", rules->rules[r].name);

			if (strncmp(log.data, tag, strlen(tag)) == 0 || strstr(log.data, tag) != NULL)
				seen[r] = 1;
			free(tag);
		}
		removals += log.length > 0;
		paragraphs_free(&list);
		filter_text_free(&view);
		buffer_free(&log);
	}
	for (size_t r = 0; r < sizeof seen; r++)
		names += seen[r];
	printf("  %zu of 4000 generated paragraphs had a removal, by %zu of %zu rules\n",
	    removals, names, rules->count);
	CHECK(removals > 200);
	CHECK(names > rules->count / 3);
	clean_rules_free(rules);
}

int
main(void)
{
	RUN(test_rules_against_reference);
	RUN(test_strip_makes_a_match);
	RUN(test_generated_paragraphs_are_removed);
	return check_finish();
}
