/*
 * paragraphs.c - cleaned text split into paragraphs, the boilerplate rules applied to them
 * (strip a match, drop a paragraph, drop a paragraph and all that follow; each removal
 * reported by rule name), and the survivors joined again (moved together inside the split
 * text when they can be, not copied to a new one). A paragraph meets only the rules
 * its first byte leaves (rules.c lists each kind's by first byte), each first as a gate of
 * one cache line: the rule's limits and the second bytes its literals allow. On the workers,
 * with the other stages between two articles, the rules (2 KB each with their prefilters)
 * are cold: most paragraphs are done with them without reading one. A rule that may match
 * anywhere and needs strings found by anchors (the four inline strip rules) is asked of the
 * whole article once: one scan of the text instead of one per paragraph, and the rule is out
 * for every paragraph (as split: not one a strip rewrote) when the text lacks its strings.
 * test_clean_rules compares apply_rules, with and without that, with plain regexec of every
 * rule.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "clean_internal.h"

void
explain_removal(const struct explain_sink *sink, const char *rule_name, const char *text)
{
	if (sink->function != NULL)
		sink->function(rule_name, text, sink->context);
}

/*
 * Split text at its line breaks into paragraphs (runs of lines broken by one "\n" or more);
 * takes text. The paragraphs stay in it, each ended by a NUL written over the break that
 * follows it: no copy per paragraph.
 */
struct paragraphs
paragraphs_split(char *text)
{
	return paragraphs_split_length(text, strlen(text));
}

struct paragraphs
paragraphs_split_length(char *text, size_t text_length)
{
	struct paragraphs list = { .storage = text, .storage_length = text_length };
	size_t capacity = 0;
	char *start = text, *end = text + list.storage_length;

	while (start < end) {
		char *stop = memchr(start, '\n', (size_t)(end - start));
		size_t length = stop != NULL ? (size_t)(stop - start) : (size_t)(end - start);

		if (length > 0) {
			if (list.count == capacity) {
				capacity = capacity ? capacity * 2 : 16;
				list.items = xrealloc(list.items, capacity * sizeof *list.items);
			}
			start[length] = '\0';
			list.items[list.count++] = (struct paragraph){ .text = start,
				.length = length, .words = count_words(start, length) };
		}
		start += length + 1;
		while (start < end && *start == '\n')
			start++;
	}
	return list;
}

void
paragraphs_free(struct paragraphs *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].owned)
			free(list->items[i].text);
	free(list->items);
	free(list->storage);
	list->items = NULL;
	list->count = 0;
	list->storage = NULL;
}

/*
 * Can the kept paragraphs be moved together within the split text, each with separator
 * before it (the first without)? When none was rewritten by a strip (its text is elsewhere)
 * and each starts no earlier than where it goes: moving them in order then overwrites only
 * bytes already read. *length gets the joined length, *words the word count.
 */
static int
join_fits_in_place(const struct paragraphs *list, size_t separator_length, size_t *length,
    size_t *words)
{
	int fits = list->storage != NULL;

	*length = *words = 0;
	for (size_t i = 0; i < list->count; i++) {
		const struct paragraph *paragraph = &list->items[i];
		size_t place = *length + (*length > 0 ? separator_length : 0);

		if (paragraph->dropped)
			continue;
		fits = fits && !paragraph->owned && paragraph->text >= list->storage + place;
		*length = place + paragraph->length;
		*words += paragraph->words;
	}
	return fits;
}

/* The kept paragraphs moved together in the list's storage, which the joined text takes. */
static char *
join_in_place(struct paragraphs *list, const char *separator, size_t separator_length,
    size_t length)
{
	char *joined = list->storage, *write = joined;
	size_t usable;

	for (size_t i = 0; i < list->count; i++) {
		const struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		if (write > joined) {
			memcpy(write, separator, separator_length);
			write += separator_length;
		}
		if (write != paragraph->text)
			memmove(write, paragraph->text, paragraph->length);
		write += paragraph->length;
	}
	*write = '\0';
	list->storage = NULL;	/* the text's now */
	/* an allocation over twice the text (much of it dropped) gives the rest back */
	usable = malloc_usable_size(joined);
	return usable / 2 > length + 1 ? xrealloc(joined, length + 1) : joined;
}

/*
 * Join the paragraphs left with separator; NULL when none is left. *words gets their word
 * count, which is the joined text's: a separator of line breaks ends words as a paragraph's
 * end does. The text split by paragraphs_split is usually joined in place, "\n\n" being
 * what the cleaner's paragraphs are split at (html_text.c writes it between them): the list's
 * storage then becomes the joined text, with no second allocation or copy; else (a strip
 * rewrote a paragraph, or a break of one "\n") the paragraphs are copied into a new one.
 */
char *
paragraphs_join(struct paragraphs *list, const char *separator, size_t *words)
{
	struct buffer joined = { 0 };
	size_t length, separator_length = strlen(separator);

	if (join_fits_in_place(list, separator_length, &length, words))
		return length > 0 ? join_in_place(list, separator, separator_length, length) : NULL;
	if (length == 0)
		return NULL;
	buffer_reserve(&joined, length);		/* one allocation */
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i].dropped)
			continue;
		if (joined.length > 0)
			buffer_append(&joined, separator, separator_length);
		buffer_append(&joined, list->items[i].text, list->items[i].length);
	}
	return buffer_steal(&joined);
}

/*
 * Does the rule of gate apply to paragraph number index of count (its limits, and the second
 * byte its "starts" literals allow), before its pattern is looked at?
 */
static int
rule_applies(const struct rule_gate *gate, const struct paragraph *paragraph, size_t index,
    size_t count)
{
	unsigned char second = paragraph->length > 1 ? (unsigned char)paragraph->text[1] : 0;

	if (gate->max_words != 0 && paragraph->words > gate->max_words)
		return 0;
	if (gate->first != 0 && index >= gate->first)
		return 0;
	if (gate->last != 0 && index + gate->last < count)
		return 0;
	return (gate->second[second >> 3] >> (second & 7)) & 1;
}

/*
 * Remove every match of a strip rule from the paragraph. REG_STARTEND bounds each search, so
 * a paragraph with many matches costs one pass, not one strlen per match.
 */
static int
apply_strip(const struct clean_rule *rule, struct paragraph *paragraph,
    const struct explain_sink *sink)
{
	struct buffer kept = { 0 };
	size_t offset = 0, copied = 0;
	regmatch_t match;

	while (offset <= paragraph->length) {
		match.rm_so = (regoff_t)offset;
		match.rm_eo = (regoff_t)paragraph->length;
		if (regexec(&rule->regex, paragraph->text, 1, &match,
		    REG_STARTEND | (offset > 0 ? REG_NOTBOL : 0)) != 0)
			break;
		size_t start = (size_t)match.rm_so, end = (size_t)match.rm_eo;

		if (end == start) {
			offset = start + 1;
			continue;
		}
		if (sink->function != NULL) {
			char *removed = xstrndup(paragraph->text + start, end - start);

			explain_removal(sink, rule->name, removed);
			free(removed);
		}
		buffer_append(&kept, paragraph->text + copied, start - copied);
		copied = offset = end;
	}
	if (copied == 0)
		return 0;	/* nothing matched */
	buffer_append(&kept, paragraph->text + copied, paragraph->length - copied);
	if (paragraph->owned)
		free(paragraph->text);
	paragraph->text = buffer_steal(&kept);
	paragraph->owned = 1;
	paragraph->length = collapse_spaces(paragraph->text);
	paragraph->words = count_words(paragraph->text, paragraph->length);
	if (paragraph->length == 0)
		paragraph->dropped = 1;
	return 1;
}

/* A kind's gates for the paragraph's first byte (NUL when empty): *end gets their end. */
static const struct rule_gate *
gates_for(const struct clean_rules *rules, enum rule_kind kind,
    const struct paragraph *paragraph, const struct rule_gate **end)
{
	unsigned char first = (unsigned char)paragraph->text[0];
	const uint32_t *start = rules->first_byte_start[kind];

	*end = rules->first_byte_rules[kind] + start[first + 1];
	return rules->first_byte_rules[kind] + start[first];
}

/* After a strip rule rewrote the paragraph: the gates, for its new first byte, after the
 * rule at position. */
static const struct rule_gate *
gates_after(const struct clean_rules *rules, const struct paragraph *paragraph,
    uint32_t position, const struct rule_gate **end)
{
	const struct rule_gate *gate = gates_for(rules, RULE_STRIP, paragraph, end);

	while (gate < *end && gate->position <= position)
		gate++;
	return gate;
}

int apply_rules_article_screen = 1;

/*
 * The whole article's answers to the rules with article_screen, asked once each when a
 * paragraph first needs one: the split text (its NULs match no string) holds every
 * paragraph as it was split, so a set it lacks no such paragraph holds.
 */
struct article_screen {
	const char *text;
	size_t	 length;
	struct filter_text view;
	uint8_t	*state;		/* by rule: 0 not asked, SCREEN_MAY, SCREEN_OUT */
	uint8_t	 local[64];
};

enum { SCREEN_MAY = 1, SCREEN_OUT = 2 };

static void
article_screen_init(struct article_screen *screen, const struct clean_rules *rules,
    const struct paragraphs *list)
{
	screen->text = list->storage;
	screen->length = list->storage_length;
	screen->view = (struct filter_text){ .index = &rules->literals };
	screen->state = rules->count <= sizeof screen->local ? screen->local :
	    xmalloc(rules->count);
	memset(screen->state, 0, rules->count);
	/* one paragraph: its own scans answer as soon; a list not split from one text: no
	 * whole text to ask */
	if (!apply_rules_article_screen || list->count < 2 || list->storage == NULL)
		memset(screen->state, SCREEN_MAY, rules->count);
}

static void
article_screen_free(struct article_screen *screen)
{
	if (screen->state != screen->local)
		free(screen->state);
	filter_text_free(&screen->view);
}

/* Is the rule (index in rules) certainly without a match in the paragraph, by the article? */
static int
article_rules_out(struct article_screen *screen, const struct clean_rules *rules, size_t index,
    const struct paragraph *paragraph)
{
	const struct clean_rule *rule = &rules->rules[index];

	if (paragraph->owned)
		return 0;	/* rewritten by a strip: may hold what the article did not */
	if (screen->state[index] == 0) {
		filter_text_set(&screen->view, screen->text, screen->length);
		screen->state[index] = rule->article_screen &&
		    !prefilter_contains_passes(&rule->filter, &screen->view) ? SCREEN_OUT :
		    SCREEN_MAY;
	}
	return screen->state[index] == SCREEN_OUT;
}

static void
apply_strip_and_drop(const struct clean_rules *rules, struct paragraphs *list,
    struct filter_text *view, const struct explain_sink *sink, struct article_screen *screen)
{
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];
		const struct rule_gate *gate, *end;

		filter_text_set(view, paragraph->text, paragraph->length);
		gate = gates_for(rules, RULE_STRIP, paragraph, &end);
		while (gate < end && !paragraph->dropped) {
			size_t index = rules->of_kind[RULE_STRIP][gate->position];
			const struct clean_rule *rule = &rules->rules[index];

			if (!rule_applies(gate, paragraph, i, list->count) ||
			    article_rules_out(screen, rules, index, paragraph) ||
			    !prefilter_passes_after_first(&rule->filter, view) ||
			    !apply_strip(rule, paragraph, sink)) {
				gate++;
				continue;
			}
			filter_text_set(view, paragraph->text, paragraph->length);
			gate = gates_after(rules, paragraph, gate->position, &end);
		}
		for (gate = gates_for(rules, RULE_DROP_PARAGRAPH, paragraph, &end);
		    gate < end && !paragraph->dropped; gate++) {
			size_t index = rules->of_kind[RULE_DROP_PARAGRAPH][gate->position];
			const struct clean_rule *rule = &rules->rules[index];

			if (!rule_applies(gate, paragraph, i, list->count) ||
			    article_rules_out(screen, rules, index, paragraph) ||
			    !prefilter_passes_after_first(&rule->filter, view) ||
			    regexec(&rule->regex, paragraph->text, 0, NULL, 0) != 0)
				continue;
			explain_removal(sink, rule->name, paragraph->text);
			paragraph->dropped = 1;
		}
	}
}

/*
 * drop-after: the first paragraph (never the first of the article) a rule matches, and all
 * after it, go. Positions count only paragraphs still kept.
 */
static void
apply_drop_after(const struct clean_rules *rules, struct paragraphs *list,
    struct filter_text *view, const struct explain_sink *sink, struct article_screen *screen)
{
	size_t kept = 0, position = 0;
	const struct rule_gate *gate, *end;

	for (size_t i = 0; i < list->count; i++)
		kept += !list->items[i].dropped;
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		filter_text_set(view, paragraph->text, paragraph->length);
		for (gate = gates_for(rules, RULE_DROP_AFTER, paragraph, &end);
		    position > 0 && gate < end; gate++) {
			size_t index = rules->of_kind[RULE_DROP_AFTER][gate->position];
			const struct clean_rule *rule = &rules->rules[index];

			if (!rule_applies(gate, paragraph, position, kept) ||
			    article_rules_out(screen, rules, index, paragraph) ||
			    !prefilter_passes_after_first(&rule->filter, view) ||
			    regexec(&rule->regex, paragraph->text, 0, NULL, 0) != 0)
				continue;
			for (size_t j = i; j < list->count; j++) {
				if (list->items[j].dropped)
					continue;
				explain_removal(sink, rule->name, list->items[j].text);
				list->items[j].dropped = 1;
			}
			return;
		}
		position++;
	}
}

void
apply_rules(const struct clean_rules *rules, struct paragraphs *list,
    struct filter_text *view, const struct explain_sink *sink)
{
	struct article_screen screen;

	article_screen_init(&screen, rules, list);
	apply_strip_and_drop(rules, list, view, sink, &screen);
	apply_drop_after(rules, list, view, sink, &screen);
	article_screen_free(&screen);
}
