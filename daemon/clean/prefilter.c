/*
 * prefilter.c - what a boilerplate pattern needs in a text before regexec could match, worked
 * out once from the pattern's source: the byte a ^-anchored pattern starts with, literal
 * strings one of which it starts with, and up to FILTER_SETS sets of literal strings one of
 * which it contains ("pic.twitter.com/"; "Continue reading" or "Read more" ...). The analysis
 * knows a subset of POSIX ERE (literals, escapes, brackets, groups, alternation, quantifiers,
 * GNU \b \w \s); on anything else a pattern gets no filter, so a filter only ever skips
 * regexec calls that could not have matched. literals.c tests texts against the filters.
 *
 * Measured against the libraries that could replace it (which of the 26 built-in rules match
 * each of 20,937 paragraphs of real pages, same answers from all three): this filter with
 * regexec 2.85-2.90 M paragraphs/s, PCRE2 JIT matching every pattern 1.05-1.08 M/s,
 * Hyperscan scanning for all patterns at once 5.4-5.7 M/s. Rule matching is about 3% of the
 * clean stage's time (perf, bench_clean), and strip rules and datelines need regexec's match
 * positions and groups in any case, so the filter stays; Hyperscan as the filter in its place
 * is the faster option should rule matching grow.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "clean_internal.h"

/* One element of a pattern's top-level sequence, with its quantifier. */
enum item_kind { ITEM_LITERAL, ITEM_GROUP, ITEM_BRACKET, ITEM_CLASS, ITEM_ANY, ITEM_ASSERTION };

struct pattern_item {
	enum item_kind kind;
	unsigned char literal;		/* ITEM_LITERAL: the byte; ITEM_CLASS: w W s S */
	const char *start, *end;	/* ITEM_GROUP: inside the parentheses; ITEM_BRACKET: [...] */
	int	 optional;		/* may match zero times (?, *, {0,...}) */
	int	 repeated;		/* has a quantifier: may match more than once */
};

void
literal_set_clear(struct literal_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->strings[i]);
	set->count = 0;
}

static size_t
literal_set_min_length(const struct literal_set *set)
{
	size_t shortest = SIZE_MAX;

	for (size_t i = 0; i < set->count; i++)
		if (set->lengths[i] < shortest)
			shortest = set->lengths[i];
	return set->count > 0 ? shortest : 0;
}

/* Add a string unless the set has it; -1 when the set is full. */
static int
literal_set_add(struct literal_set *set, const char *string, size_t length)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->lengths[i] == length && memcmp(set->strings[i], string, length) == 0)
			return 0;
	if (set->count == FILTER_LITERALS)
		return -1;
	set->strings[set->count] = xstrndup(string, length);
	set->lengths[set->count++] = length;
	return 0;
}

/* After the bracket expression at p ('['), or NULL when it is one this analysis skips. */
static const char *
bracket_end(const char *p, const char *end)
{
	p++;
	if (p < end && *p == '^')
		p++;
	if (p < end && *p == ']')
		p++;
	while (p < end && *p != ']') {
		if (*p == '[' && p + 1 < end && (p[1] == '.' || p[1] == '='))
			return NULL;	/* collating elements, equivalence classes */
		if (*p == '[' && p + 1 < end && p[1] == ':') {
			const char *close = strstr(p + 2, ":]");

			if (close == NULL || close >= end)
				return NULL;
			p = close + 2;
			continue;
		}
		p++;
	}
	return p < end ? p + 1 : NULL;
}

/* After the group opened at p ('('), or NULL when unbalanced. */
static const char *
group_end(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (*p == '\\') {
			p += 2;
			continue;
		}
		if (*p == '[') {
			if ((p = bracket_end(p, end)) == NULL)
				return NULL;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* Split [p, end) at its top-level '|'. Returns the number of alternatives, -1 if unknown. */
static int
split_alternatives(const char *p, const char *end, const char **starts, const char **ends,
    int max)
{
	int count = 0;

	starts[0] = p;
	while (p < end) {
		if (*p == '\\') {
			p += 2;
			continue;
		}
		if (*p == '[' || *p == '(') {
			if ((p = (*p == '[' ? bracket_end(p, end) : group_end(p, end))) == NULL)
				return -1;
			continue;
		}
		if (*p == '|') {
			ends[count++] = p;
			if (count == max)
				return -1;
			starts[count] = p + 1;
		}
		p++;
	}
	ends[count++] = end;
	return count;
}

/* Read a quantifier at *p, if any, into item. -1 on one this analysis does not know. */
static int
read_quantifier(const char **p, const char *end, struct pattern_item *item)
{
	while (*p < end) {
		char c = **p;

		if (c == '?' || c == '*' || c == '+') {
			item->optional |= c != '+';
			item->repeated = 1;
			(*p)++;
		} else if (c == '{') {
			const char *at = *p + 1;
			long minimum = 0;

			if (at >= end || *at < '0' || *at > '9')
				return -1;
			while (at < end && *at >= '0' && *at <= '9' && minimum < 1000)
				minimum = minimum * 10 + (*at++ - '0');
			item->optional |= minimum == 0;
			item->repeated = 1;
			while (at < end && *at != '}')
				at++;
			if (at >= end)
				return -1;
			*p = at + 1;
		} else
			break;
	}
	return 0;
}

/* Read one escape (p at '\\') into item. -1 when not known. */
static int
read_escape(const char *p, const char *end, struct pattern_item *item)
{
	if (p + 1 >= end)
		return -1;
	switch (p[1]) {
	case 'b': case 'B': case '<': case '>': case '`': case '\'':
		item->kind = ITEM_ASSERTION;
		return 0;
	case 'w': case 'W': case 's': case 'S':
		item->kind = ITEM_CLASS;
		item->literal = (unsigned char)p[1];
		return 0;
	}
	if (strchr(".()[]{}*+?|^$\\/-", p[1]) == NULL || p[1] == '\0')
		return -1;	/* back-references and escapes with meanings not modelled */
	item->kind = ITEM_LITERAL;
	item->literal = (unsigned char)p[1];
	return 0;
}

/*
 * The items of a sequence without top-level '|'. Returns how many, -1 when the sequence holds
 * something this analysis does not know.
 */
static int
read_items(const char *p, const char *end, struct pattern_item *items, int max)
{
	int count = 0;

	while (p < end) {
		struct pattern_item item = { .kind = ITEM_LITERAL };

		if (count == max)
			return -1;
		switch (*p) {
		case '\\':
			if (read_escape(p, end, &item) == -1)
				return -1;
			p += 2;
			break;
		case '[':
			item.kind = ITEM_BRACKET;
			item.start = p;
			if ((p = bracket_end(p, end)) == NULL)
				return -1;
			item.end = p;
			break;
		case '(':
			item.kind = ITEM_GROUP;
			item.start = p + 1;
			if ((p = group_end(p, end)) == NULL)
				return -1;
			item.end = p - 1;
			break;
		case '.':
			item.kind = ITEM_ANY;
			p++;
			break;
		case '^': case '$':
			item.kind = ITEM_ASSERTION;
			p++;
			break;
		case '|': case ')': case '*': case '+': case '?': case '{':
			return -1;	/* alternation, or a quantifier with nothing to repeat */
		default:
			item.literal = (unsigned char)*p++;
		}
		if (read_quantifier(&p, end, &item) == -1)
			return -1;
		if (item.kind == ITEM_ASSERTION && item.repeated)
			return -1;
		items[count++] = item;
	}
	return count;
}

static int expression_prefixes(const char *, const char *, int, struct literal_set *, int *,
    int);

/* Every string of set followed by every string of tail; -1 when the result would not fit. */
static int
literal_set_product(struct literal_set *set, const struct literal_set *tail)
{
	struct literal_set product = { .count = 0 };

	if (set->count * tail->count > FILTER_LITERALS)
		return -1;
	for (size_t i = 0; i < set->count; i++) {
		for (size_t k = 0; k < tail->count; k++) {
			char *joined = xmalloc(set->lengths[i] + tail->lengths[k] + 1);

			memcpy(joined, set->strings[i], set->lengths[i]);
			memcpy(joined + set->lengths[i], tail->strings[k], tail->lengths[k]);
			literal_set_add(&product, joined, set->lengths[i] + tail->lengths[k]);
			free(joined);
		}
	}
	literal_set_clear(set);
	*set = product;
	return 0;
}

/*
 * Literal strings one of which every match of items[from...] starts with, into set (which
 * holds "" on entry). Returns the index of the first item not taken into the strings;
 * *complete tells whether the strings are all the sequence can match.
 */
static int
sequence_prefixes(const struct pattern_item *items, int count, int from, int ignore_case,
    struct literal_set *set, int *complete, int depth)
{
	int at;

	*complete = 0;
	for (at = from; at < count; at++) {
		const struct pattern_item *item = &items[at];
		struct literal_set group = { .count = 0 };
		int group_complete;

		if (item->kind == ITEM_ASSERTION)
			continue;	/* takes no text */
		if (item->optional)
			return at;
		if (item->kind == ITEM_LITERAL) {
			char byte = (char)(ignore_case ? tolower(item->literal) : item->literal);
			struct literal_set one = { .count = 1, .lengths = { 1 } };

			one.strings[0] = &byte;
			literal_set_product(set, &one);
			if (item->repeated)
				return at + 1;
			continue;
		}
		if (item->kind != ITEM_GROUP || expression_prefixes(item->start, item->end,
		    ignore_case, &group, &group_complete, depth + 1) == -1)
			return at;
		if (literal_set_product(set, &group) == -1) {
			literal_set_clear(&group);
			return at;
		}
		literal_set_clear(&group);
		if (!group_complete || item->repeated)
			return at + 1;
	}
	*complete = 1;
	return at;
}

/*
 * Literal strings one of which every match of the expression [p, end) starts with (an
 * alternation); *complete when they are all it can match. -1 when nothing useful is known.
 */
static int
expression_prefixes(const char *p, const char *end, int ignore_case, struct literal_set *set,
    int *complete, int depth)
{
	const char *starts[FILTER_LITERALS], *ends[FILTER_LITERALS];
	struct pattern_item items[FILTER_ITEMS];
	int alternatives, count;

	*complete = 1;
	if (depth > FILTER_DEPTH ||
	    (alternatives = split_alternatives(p, end, starts, ends, FILTER_LITERALS)) == -1)
		return -1;
	for (int i = 0; i < alternatives; i++) {
		struct literal_set strings = { .count = 0 };
		int strings_complete;

		if ((count = read_items(starts[i], ends[i], items, FILTER_ITEMS)) == -1)
			goto unknown;
		literal_set_add(&strings, "", 0);
		sequence_prefixes(items, count, 0, ignore_case, &strings, &strings_complete,
		    depth);
		*complete &= strings_complete;
		for (size_t k = 0; k < strings.count; k++) {
			if (strings.lengths[k] == 0 ||
			    literal_set_add(set, strings.strings[k], strings.lengths[k]) == -1) {
				literal_set_clear(&strings);
				goto unknown;
			}
		}
		literal_set_clear(&strings);
	}
	return 0;
unknown:
	literal_set_clear(set);
	return -1;
}

static void
bytes_add(unsigned char *bytes, int byte, int ignore_case)
{
	bytes[byte] = 1;
	if (ignore_case) {
		bytes[tolower(byte)] = 1;
		bytes[toupper(byte)] = 1;
	}
}

static int
class_has(const char *name, size_t length, int byte)
{
	static const struct {
		const char *name;
		int (*test)(int);
	} classes[] = {
		{ "alpha", isalpha }, { "digit", isdigit }, { "alnum", isalnum },
		{ "upper", isupper }, { "lower", islower }, { "space", isspace },
		{ "blank", isblank }, { "punct", ispunct }, { "print", isprint },
		{ "graph", isgraph }, { "cntrl", iscntrl }, { "xdigit", isxdigit },
	};

	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (strlen(classes[i].name) == length &&
		    memcmp(classes[i].name, name, length) == 0)
			return classes[i].test(byte) != 0;
	return -1;
}

/* Bytes a positive bracket expression [start, end) matches; -1 for negated or unknown ones. */
static int
bracket_bytes(const char *start, const char *end, int ignore_case, unsigned char *bytes)
{
	const char *p = start + 1, *last = end - 1;	/* inside [ ] */

	if (*p == '^')
		return -1;
	if (*p == ']')
		bytes_add(bytes, ']', ignore_case), p++;
	while (p < last) {
		if (p[0] == '[' && p[1] == ':') {
			const char *name = p + 2, *close = strstr(name, ":]");

			for (int byte = 0; byte < 256; byte++) {
				int has = class_has(name, (size_t)(close - name), byte);

				if (has == -1)
					return -1;
				if (has)
					bytes_add(bytes, byte, ignore_case);
			}
			p = close + 2;
		} else if (p + 2 < last && p[1] == '-') {
			for (int byte = (unsigned char)p[0]; byte <= (unsigned char)p[2]; byte++)
				bytes_add(bytes, byte, ignore_case);
			p += 3;
		} else
			bytes_add(bytes, (unsigned char)*p++, ignore_case);
	}
	return 0;
}

/* The bytes a match of items can start with; -1 when it could be any (or is unknown). */
static int
first_bytes(const struct pattern_item *items, int count, int ignore_case, unsigned char *bytes,
    int depth)
{
	for (int at = 0; at < count; at++) {
		const struct pattern_item *item = &items[at];

		if (item->kind == ITEM_ASSERTION)
			continue;
		if (item->optional || depth > FILTER_DEPTH)
			return -1;
		switch (item->kind) {
		case ITEM_LITERAL:
			bytes_add(bytes, item->literal, ignore_case);
			return 0;
		case ITEM_BRACKET:
			return bracket_bytes(item->start, item->end, ignore_case, bytes);
		case ITEM_GROUP: {
			const char *starts[FILTER_LITERALS], *ends[FILTER_LITERALS];
			struct pattern_item inner[FILTER_ITEMS];
			int alternatives = split_alternatives(item->start, item->end, starts, ends,
			    FILTER_LITERALS), inner_count;

			if (alternatives == -1)
				return -1;
			for (int i = 0; i < alternatives; i++)
				if ((inner_count = read_items(starts[i], ends[i], inner,
				    FILTER_ITEMS)) <= 0 ||
				    first_bytes(inner, inner_count, ignore_case, bytes, depth + 1) == -1)
					return -1;
			return 0;
		}
		default:
			return -1;
		}
	}
	return -1;	/* can match the empty string */
}

/* Do all strings of the set start with a byte that is rare in text (punctuation, UTF-8)? */
static int
literal_set_is_rare(const struct literal_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		unsigned char first = (unsigned char)set->strings[i][0];

		if (set->lengths[i] == 0 || isalnum(first) || isspace(first))
			return 0;
	}
	return set->count > 0;
}

/*
 * Keep a "contains" set when it is worth its part of the scan: the first whose strings all
 * start with a rare byte (contains[0]), and the one with the longest shortest string, when that
 * is at least 3 bytes. Takes ownership of set.
 */
static void
prefilter_offer(struct prefilter *filter, struct literal_set *set)
{
	struct literal_set *rare = filter->contains_count > 0 &&
	    literal_set_is_rare(&filter->contains[0]) ? &filter->contains[0] : NULL;
	struct literal_set *longest = NULL;
	size_t length = literal_set_min_length(set);

	for (size_t i = 0; i < filter->contains_count; i++)
		if (&filter->contains[i] != rare)
			longest = &filter->contains[i];
	if (rare == NULL && literal_set_is_rare(set)) {
		if (filter->contains_count > 0)
			filter->contains[1] = filter->contains[0];
		filter->contains[0] = *set;
		filter->contains_count++;
		return;
	}
	if (length >= 3 && (longest == NULL || length > literal_set_min_length(longest))) {
		if (longest != NULL)
			literal_set_clear(longest);
		else
			longest = &filter->contains[filter->contains_count++];
		*longest = *set;
		return;
	}
	literal_set_clear(set);
}

/* Work out the filter of a pattern compiled with REG_EXTENDED (and REG_ICASE if ignore_case). */
static void
prefilter_analyse(struct prefilter *filter, const char *pattern, int ignore_case)
{
	const char *p = pattern, *end = pattern + strlen(pattern), *starts[2], *ends[2];
	struct pattern_item items[FILTER_ITEMS];
	int count, anchored, complete, at = 0;

	memset(filter, 0, sizeof *filter);
	filter->ignore_case = ignore_case;
	if (MB_CUR_MAX != 1)
		return;		/* multibyte locale: regcomp's matching is not bytewise */
	if (split_alternatives(p, end, starts, ends, 2) != 1)
		return;		/* top-level alternation, or not understood */
	if ((anchored = *p == '^'))
		p++;
	if ((count = read_items(p, end, items, FILTER_ITEMS)) <= 0)
		return;
	if (anchored) {
		filter->has_first = first_bytes(items, count, ignore_case, filter->first_bytes,
		    0) == 0;
		literal_set_add(&filter->starts, "", 0);
		at = sequence_prefixes(items, count, 0, ignore_case, &filter->starts, &complete, 0);
		if (literal_set_min_length(&filter->starts) == 0)
			literal_set_clear(&filter->starts), at = 0;
	}
	if (filter->starts.count > 0)
		return;		/* strong enough: a "contains" scan would cost more than it saves */
	while (at < count) {
		struct literal_set set = { .count = 0 };
		int next;

		if (items[at].optional || items[at].kind == ITEM_ASSERTION) {
			at++;
			continue;
		}
		literal_set_add(&set, "", 0);
		next = sequence_prefixes(items, count, at, ignore_case, &set, &complete, 0);
		prefilter_offer(filter, &set);
		at = next > at ? next : at + 1;
	}
}

/* Each string's head (literal_set.heads): its first HEAD_BYTES bytes as compared. */
static void
literal_set_heads(struct literal_set *set, int ignore_case)
{
	for (size_t k = 0; k < set->count; k++) {
		unsigned char head[HEAD_BYTES] = { 0 };
		size_t length = set->lengths[k] < HEAD_BYTES ? set->lengths[k] : HEAD_BYTES;

		for (size_t i = 0; i < length; i++) {
			unsigned char byte = (unsigned char)set->strings[k][i];

			head[i] = ignore_case && byte >= 'A' && byte <= 'Z' ? byte + 32 : byte;
		}
		set->head_lengths[k] = (uint8_t)length;
		memcpy(&set->heads[k], head, HEAD_BYTES);
	}
}

void
prefilter_build(struct prefilter *filter, const char *pattern, int ignore_case)
{
	prefilter_analyse(filter, pattern, ignore_case);
	literal_set_heads(&filter->starts, ignore_case);
	for (size_t i = 0; i < filter->contains_count; i++)
		literal_set_heads(&filter->contains[i], ignore_case);
}

void
prefilter_free(struct prefilter *filter)
{
	literal_set_clear(&filter->starts);
	for (size_t i = 0; i < filter->contains_count; i++)
		literal_set_clear(&filter->contains[i]);
	filter->contains_count = 0;
}
