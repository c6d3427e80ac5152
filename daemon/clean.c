/*
 * clean.c - the cleaning stage: feed HTML (or plain text) to paragraphs of clean text, with
 * boilerplate removed by named rules, the dateline lifted out, the canonical URL and a word
 * count.
 *
 * HTML goes through libxml2's forgiving HTML parser; the tree is walked without recursion (so
 * any depth is safe) and text is written straight into one growing buffer: block elements end
 * paragraphs, embeds and page furniture (script, figure, nav, tweets...) are skipped, white
 * space and typographic noise (nbsp, zero-width characters, soft hyphens) are folded, and the
 * result is put in Unicode NFC with utf8proc. Input without block markup is plain text: each
 * line is a paragraph; input without any markup or references skips the parser.
 *
 * Boilerplate rules are POSIX extended regular expressions matched per paragraph. Built-in
 * rules come first; a rules file (conf/rules/boilerplate.rules documents the format) adds to
 * them, replaces one by using its name, or disables one. Each pattern (the datelines' too)
 * gets a prefilter when it is loaded: the literals a match must start with or contain, so
 * most paragraphs are ruled out without running regexec.
 *
 * clean_article only reads the rule set (its scratch lives on the stack and the heap of the
 * call), so it is thread-safe; giving each worker thread its own set still pays, as glibc's
 * regexec takes a lock per pattern. Only constant data is static.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <utf8proc.h>

#include "article.h"
#include "clean.h"
#include "url.h"
#include "util.h"

#define SUMMARY_MAX_CHARS	500
#define DATELINE_SCAN_BYTES	240	/* a dateline sits in the first few words */
#define DATELINE_MAX_PARAGRAPHS	3	/* title and standfirst may precede it */
#define DATELINE_LEAD_MAX_WORDS	60	/* ... but only short ones */

/* ------------------------------------------------------------------------------------------ */
/* Prefilters                                                                                 */

/*
 * What a text must hold for a pattern to match, worked out once from the pattern's source so
 * that most paragraphs rule most patterns out without regexec: the byte a ^-anchored pattern
 * starts with, literal strings one of which it starts with, and up to FILTER_SETS sets of
 * literal strings one of which it contains ("pic.twitter.com/"; "Continue reading" or "Read
 * more" ...).  The analysis knows a subset of POSIX ERE (literals, escapes, brackets, groups,
 * alternation, quantifiers, GNU \b \w \s); on anything else a pattern gets no filter, so a
 * filter only ever skips regexec calls that could not have matched.  Matching happens in the
 * C locale (wiresift never calls setlocale), bytewise; REG_ICASE folds ASCII only.
 */

#define FILTER_LITERALS	 32	/* strings in one literal set */
#define FILTER_SETS	 2	/* "contains one of" sets per pattern */
#define FILTER_ITEMS	 64	/* items in one sequence of a pattern */
#define FILTER_DEPTH	 8	/* nested groups analysed */

struct literal_set {
	char	*strings[FILTER_LITERALS];	/* folded to lower case when ignoring case */
	size_t	 lengths[FILTER_LITERALS];
	uint16_t ids[FILTER_LITERALS];		/* "contains" sets: in the rule set's index */
	size_t	 count;				/* 0: no condition */
};

struct prefilter {
	int	 ignore_case;
	int	 has_first;			/* first_bytes is a condition */
	unsigned char first_bytes[256];		/* bytes an anchored pattern may start with */
	struct literal_set starts;		/* the text starts with one of these */
	struct literal_set contains[FILTER_SETS]; /* for each: the text contains one of these */
	size_t	 contains_count;
};

/* One element of a pattern's top-level sequence, with its quantifier. */
enum item_kind { ITEM_LITERAL, ITEM_GROUP, ITEM_BRACKET, ITEM_CLASS, ITEM_ANY, ITEM_ASSERTION };

struct pattern_item {
	enum item_kind kind;
	unsigned char literal;		/* ITEM_LITERAL: the byte; ITEM_CLASS: w W s S */
	const char *start, *end;	/* ITEM_GROUP: inside the parentheses; ITEM_BRACKET: [...] */
	int	 optional;		/* may match zero times (?, *, {0,...}) */
	int	 repeated;		/* has a quantifier: may match more than once */
};

static void
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
prefilter_build(struct prefilter *filter, const char *pattern, int ignore_case)
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

static void
prefilter_free(struct prefilter *filter)
{
	literal_set_clear(&filter->starts);
	for (size_t i = 0; i < filter->contains_count; i++)
		literal_set_clear(&filter->contains[i]);
	filter->contains_count = 0;
}

/*
 * The literals of all "contains" sets of a rule set, found in one pass over a paragraph
 * rather than one search per literal. Literals are grouped by their start, ASCII-lower-cased
 * (one pass finds those matched exactly and those matched ignoring case): one-byte literals
 * by their byte, two-byte ones by both bytes, longer ones by a key of their first three.
 * A table by the first two bytes says whether any literal starts at a position (a one-byte
 * literal marks every pair it begins), so most positions of a text cost one read.
 */
#define START_BUCKETS	4096
#define START_BUCKET(key) (((key) ^ ((key) >> 12)) & (START_BUCKETS - 1))
#define TRIPLE_KEY(a, b, c) ((((a) << 10) ^ ((b) << 5) ^ (c) ^ ((a) >> 6)) & 0xffff)
#define NO_LITERAL	UINT16_MAX
#define PAIR_LITERAL	1	/* a two-byte literal is these two bytes */
#define PAIR_PREFIX	2	/* a longer literal starts with them */
#define PAIR_SINGLE	4	/* a one-byte literal is the first of them */

struct literal_index {
	char	**texts;
	size_t	 *lengths;
	int	 *ignore_case;
	size_t	  count;
	unsigned char fold[256];		/* ASCII tolower */
	uint16_t single_start[257];		/* one-byte literals: single_ids[single_start[b]...] */
	uint16_t *single_ids;
	uint8_t	 pair_starts[65536];		/* by the first two bytes: PAIR_* bits */
	uint8_t	 triple_used[65536 / 8];	/* longer literals, by TRIPLE_KEY of three */
	uint16_t bucket_start[START_BUCKETS + 1]; /* those: start_ids[bucket_start[b]...] */
	uint16_t *start_ids;
};

static int
bit_is_set(const uint8_t *bits, unsigned bit)
{
	return (bits[bit >> 3] & (1u << (bit & 7))) != 0;
}

/* The key a literal of two bytes or more is filed under (folded): pair or TRIPLE_KEY. */
static unsigned
literal_key(const struct literal_index *index, const unsigned char *text, size_t length)
{
	unsigned first = index->fold[text[0]], second = index->fold[text[1]];

	return length == 2 ? first << 8 | second :
	    TRIPLE_KEY(first, second, (unsigned)index->fold[text[2]]);
}

/* Does the literal id occur at text[at...]? Its first bytes are known to match folded. */
static int
literal_at(const struct literal_index *index, size_t id, const unsigned char *text,
    size_t length, size_t at)
{
	const unsigned char *literal = (const unsigned char *)index->texts[id];
	size_t literal_length = index->lengths[id];

	if (literal_length > length - at)
		return 0;
	if (!index->ignore_case[id])
		return memcmp(text + at, literal, literal_length) == 0;
	for (size_t i = 0; i < literal_length; i++)
		if (index->fold[text[at + i]] != literal[i])
			return 0;
	return 1;
}

/* Mark in present[] the literals filed under key that occur at text[at...]. */
static void
literal_bucket_scan(const struct literal_index *index, unsigned key, const unsigned char *text,
    size_t length, size_t at, unsigned char *present)
{
	unsigned bucket = START_BUCKET(key);

	for (size_t k = index->bucket_start[bucket]; k < index->bucket_start[bucket + 1]; k++)
		if (!present[index->start_ids[k]])
			present[index->start_ids[k]] = literal_at(index, index->start_ids[k], text,
			    length, at);
}

static void
single_scan(const struct literal_index *index, unsigned byte, const unsigned char *text,
    size_t length, size_t at, unsigned char *present)
{
	for (size_t k = index->single_start[byte]; k < index->single_start[byte + 1]; k++)
		if (!present[index->single_ids[k]])
			present[index->single_ids[k]] = literal_at(index, index->single_ids[k], text,
			    length, at);
}

/* Mark in present[] (by id) the literals of the index that occur in text. */
static void
literal_index_scan(const struct literal_index *index, const unsigned char *text, size_t length,
    unsigned char *present)
{
	unsigned second;

	if (length == 0)
		return;
	second = index->fold[text[0]];
	for (size_t at = 0; at + 1 < length; at++) {
		unsigned first = second, key, starts;

		second = index->fold[text[at + 1]];
		if ((starts = index->pair_starts[key = first << 8 | second]) == 0)
			continue;
		if (starts & PAIR_SINGLE)
			single_scan(index, first, text, length, at, present);
		if (starts & PAIR_LITERAL)
			literal_bucket_scan(index, key, text, length, at, present);
		if ((starts & PAIR_PREFIX) && at + 2 < length && bit_is_set(index->triple_used,
		    key = TRIPLE_KEY(first, second, (unsigned)index->fold[text[at + 2]])))
			literal_bucket_scan(index, key, text, length, at, present);
	}
	single_scan(index, second, text, length, length - 1, present);	/* the last byte */
}

/*
 * A text being tested against filters, with which literals of the index it holds, found
 * when a filter first needs them.
 */
struct filter_text {
	const struct literal_index *index;
	const char *text;
	size_t	 length;
	unsigned char *present;	/* by literal id; kept between texts */
	int	 scanned;
};

static void
filter_text_set(struct filter_text *view, const char *text, size_t length)
{
	view->text = text;
	view->length = length;
	view->scanned = 0;
}

static void
filter_text_free(struct filter_text *view)
{
	free(view->present);
}

static void
filter_text_scan(struct filter_text *view)
{
	if (view->present == NULL)
		view->present = xmalloc(view->index->count + 1);
	memset(view->present, 0, view->index->count + 1);
	literal_index_scan(view->index, (const unsigned char *)view->text, view->length,
	    view->present);
	view->scanned = 1;
}

static int
text_starts_with_any(const struct filter_text *view, const struct literal_set *set,
    int ignore_case)
{
	for (size_t i = 0; i < set->count; i++) {
		if (set->lengths[i] > view->length)
			continue;
		if (ignore_case ? strncasecmp(view->text, set->strings[i], set->lengths[i]) == 0 :
		    memcmp(view->text, set->strings[i], set->lengths[i]) == 0)
			return 1;
	}
	return 0;
}

static int
text_contains_any(struct filter_text *view, const struct literal_set *set)
{
	if (!view->scanned)
		filter_text_scan(view);
	for (size_t i = 0; i < set->count; i++)
		if (view->present[set->ids[i]])
			return 1;
	return 0;
}

/* Could the pattern of filter match the text? 0 only when it certainly cannot. */
static int
prefilter_passes(const struct prefilter *filter, struct filter_text *view)
{
	if (filter->has_first &&
	    (view->length == 0 || !filter->first_bytes[(unsigned char)view->text[0]]))
		return 0;
	if (filter->starts.count > 0 &&
	    !text_starts_with_any(view, &filter->starts, filter->ignore_case))
		return 0;
	for (size_t i = 0; i < filter->contains_count; i++)
		if (!text_contains_any(view, &filter->contains[i]))
			return 0;
	return 1;
}

enum rule_kind {
	RULE_STRIP,		/* remove each match inside a paragraph */
	RULE_DROP_PARAGRAPH,	/* remove a matching paragraph */
	RULE_DROP_AFTER		/* remove a matching paragraph and all that follow */
};

struct clean_rule {
	enum rule_kind kind;
	char	*name;
	regex_t	 regex;
	struct prefilter filter;	/* when the regex certainly cannot match */
	size_t	 max_words;	/* only paragraphs of at most this many words; 0: any */
	size_t	 first;		/* only within the first N paragraphs; 0: anywhere */
	size_t	 last;		/* only within the last N paragraphs; 0: anywhere */
};

struct dateline_pattern {
	regex_t	 regex;		/* group 1: the place */
	struct prefilter filter;
	int	 agency_group;	/* group holding "(AP)", or 0 */
	int	 dash_group;	/* group holding the dash, or 0 */
};

enum { DATELINE_DASH, DATELINE_COLON, DATELINE_WIRE, DATELINE_PATTERNS };

struct clean_rules {
	struct clean_rule *rules;
	size_t	 count;
	size_t	 capacity;
	struct strlist tracking_params;	/* extra query names for url_canonical */
	struct dateline_pattern datelines[DATELINE_PATTERNS];
	struct literal_index literals;	/* of every rule's and dateline's filter */
};

/*
 * The built-in rules, in the rules-file syntax. Each is specific on purpose: a rule that
 * could match a sentence of reporting must be limited by max-words or position.
 */
static const char *const builtin_rules[] = {
	/* stray metadata fragments scraped in front of the text */
	"strip leading-date-stamp ^date:? [0-9]{4}-[0-9]{2}-[0-9]{2}( |$)",
	"strip photo-credit-inline \\((AP |AFP |Reuters |Getty |EPA |File )?"
	    "(Photo|Photograph|Image|Picture|Pic|Video|File photo)( credit)?( ?:|/)[^)]*\\)",
	"strip file-photo-inline \\((File|Representational|Representative) "
	    "(photo|image|picture|pic)\\)",
	/* embedded posts: tweet body ending in its photo link, and the attribution line */
	"drop-paragraph tweet-body max-words=80 pic\\.twitter\\.com/[A-Za-z0-9]+[[:space:]]*$",
	"drop-paragraph tweet-attribution max-words=24 ^(—|–|-|&mdash;) ?[^()]+"
	    "\\(@[A-Za-z0-9_]+\\) (January|February|March|April|May|June|July|August|"
	    "September|October|November|December) [0-9]{1,2}, [0-9]{4}$",
	"drop-paragraph tweet-link ^https?://(www\\.|mobile\\.)?(twitter|x)\\.com/"
	    "[A-Za-z0-9_]+/status/[0-9]+[^ ]*$",
	"drop-paragraph instagram-prompt max-words=8 ^View this (post|profile) on Instagram$",
	"drop-paragraph instagram-attribution max-words=30 ^A post shared by .*\\(@[A-Za-z0-9_.]+\\)",
	"drop-paragraph bare-url ^https?://[^ ]+$",
	/* links to other stories */
	"drop-paragraph also-read max-words=40 ^(Also Read|Read Also|Also See|See Also|Read More|"
	    "More|Related|Related (Story|Stories|Article|Articles|News|Coverage|Reading)|"
	    "Recommended|Must Read|Don't Miss|Do Not Miss|You May Also Like|Also Watch|"
	    "Watch Also|Trending)[[:space:]]*:",
	/* captions and photo credits standing as their own paragraph */
	"drop-paragraph photo-credit max-words=25 ^(Photo|Photos|Photograph|Image|Images|Picture|"
	    "Pic|Video|Graphic|Illustration)( credit| courtesy| source)?[[:space:]]*:",
	"drop-paragraph photo-by max-words=25 ^(Photo|Photograph|Image|Picture)s? (by|courtesy of|"
	    "credit) ",
	"drop-paragraph file-photo max-words=30 ^(File|Representational|Representative|Handout) "
	    "(photo|image|picture|pic)\\b",
	"drop-paragraph caption-this-image first=2 max-words=40 \\b(published|posted|shared|released|"
	    "tweeted|circulated) (this|the above|the following) (image|photo|photograph|"
	    "picture|graphic|poster|video)\\b",
	/* feed footers */
	"drop-paragraph feed-footer max-words=80 ^The post .+ appeared first on .+$",
	"strip feed-footer-inline The post ([^.]|\\.[^ ])* appeared first on .*$",
	"drop-paragraph continue-reading max-words=20 ^(Continue reading|Read more|Keep reading|"
	    "Read the (full|rest of the|whole) (story|article|post)|Read full (story|article))\\b",
	"strip continue-reading-inline case (^|[[:space:]])(Continue reading|Read more|"
	    "Keep reading|Read the full story|Read full story)( [^.!?]*)?(…|\\.\\.\\.|»|›|→|"
	    "\\[…\\]|\\[\\.\\.\\.\\])?$",
	/* share and subscribe prompts */
	"drop-paragraph follow-us max-words=40 ^(Follow|Like|Find|Join) us (on|at|in)\\b",
	"drop-paragraph follow-author max-words=25 ^Follow [^ ]+( [^ ]+)? on (Twitter|X|Facebook|"
	    "Instagram|LinkedIn|Threads|Bluesky|Mastodon|Telegram|WhatsApp|Google News)\\b",
	"drop-paragraph subscribe max-words=40 ^(Subscribe|Sign up|Register) (to|for|now|here|"
	    "today)\\b",
	"drop-paragraph click-here max-words=40 ^(Click|Tap) here\\b",
	"drop-paragraph download-app max-words=30 ^Download (the|our) .*app\\b",
	"drop-paragraph share-prompt max-words=15 ^Share (this|on|via)\\b",
	"drop-paragraph share-buttons ^(Share|Tweet|Email|Print|WhatsApp|Facebook|"
	    "Twitter|LinkedIn|Copy link)( (this|article|story))?$",
	"drop-paragraph advertisement max-words=5 ^(Advertisement|Sponsored|Sponsored content|"
	    "(Story|Article) continues below( advertisement)?|Scroll to continue( with content)?)$",
	NULL
};

/* Lead words that look like a dateline in capitals but are labels. */
static const char *const dateline_labels[] = {
	"ALERT", "ANALYSIS", "BREAKING", "BREAKING NEWS", "COMMENT", "CORRECTION", "EDITORIAL", "EDITOR'S NOTE",
	"EXCLUSIVE", "EXPLAINER", "FACT CHECK", "FILE", "FLASH", "INTERVIEW", "JUST IN", "LIVE", "LIVE UPDATES", "NOTE",
	"OPINION", "PHOTO", "PHOTOS", "Q", "REVIEW", "UPDATE", "UPDATED", "URGENT", "VIDEO", "WATCH",
	NULL
};

/* ------------------------------------------------------------------------------------------ */
/* Words and UTF-8                                                                            */

/* isalnum() of the C locale, without the table look-up through the locale. */
static inline int
ascii_is_alnum(unsigned char byte)
{
	return (unsigned char)((byte | 0x20) - 'a') < 26 || (unsigned char)(byte - '0') < 10;
}

/* Count words: runs of letters, digits or marks; each Han or kana character is a word. */
static size_t
count_words(const char *text, size_t length)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)text;
	const utf8proc_uint8_t *end = at + length;
	size_t words = 0;
	int in_word = 0;

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;
		int word_char;

		if (*at < 0x80) {
			word_char = ascii_is_alnum(*at) || (in_word && (*at == '\'' || *at == '-'));
			if (word_char && !in_word)
				words++;
			in_word = word_char;
			at++;
			continue;
		}
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0) {
			at++;
			continue;
		}
		at += size;
		if ((code_point >= 0x3040 && code_point <= 0x30ff) ||
		    (code_point >= 0x3400 && code_point <= 0x9fff) ||
		    (code_point >= 0xf900 && code_point <= 0xfaff)) {
			words++;
			in_word = 0;
			continue;
		}
		switch (utf8proc_category(code_point)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
		case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
			if (!in_word)
				words++;
			in_word = 1;
			break;
		case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
			break;	/* combining marks continue a word (Devanagari vowel signs) */
		default:
			/* U+2019 inside a word ("don’t") keeps it one word */
			in_word = in_word && code_point == 0x2019;
		}
	}
	return words;
}

/*
 * Is text certainly in NFC already? True when every character is below U+0300 (no combining
 * marks, no decompositions NFC would change) or is general punctuation or a currency sign
 * (dashes, quotes, ellipsis, euro): the usual news text, spared utf8proc's full pass.
 */
static int
is_surely_nfc(const char *text)
{
	const unsigned char *at = (const unsigned char *)text;

	while (*at != '\0') {
		if (*at < 0xcc) {
			at++;	/* ASCII, continuation bytes, and lead bytes below U+0300 */
			continue;
		}
		if (at[0] == 0xe2 && (at[1] == 0x80 || at[1] == 0x81 || at[1] == 0x82)) {
			unsigned code_point = 0x2000 | (unsigned)(at[1] & 0x3f) << 6 |
			    (unsigned)(at[2] & 0x3f);

			if ((code_point >= 0x2010 && code_point <= 0x2027) ||
			    (code_point >= 0x2030 && code_point <= 0x205e) ||
			    (code_point >= 0x20a0 && code_point <= 0x20c0)) {
				at += 3;
				continue;
			}
		}
		return 0;
	}
	return 1;
}

/* Unicode NFC; takes ownership of text. Text that is not valid UTF-8 is kept as it is. */
static char *
normalize_nfc(char *text)
{
	utf8proc_uint8_t *composed = NULL;
	utf8proc_ssize_t length;

	if (is_surely_nfc(text))
		return text;
	length = utf8proc_map((const utf8proc_uint8_t *)text, 0, &composed,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (length < 0)
		return text;
	free(text);
	return (char *)composed;
}

/* Paragraph breaks become spaces, in place: for one-line renderings. */
static void
flatten_newlines(char *text)
{
	for (; *text != '\0'; text++)
		if (*text == '\n')
			*text = ' ';
}

/* Collapse runs of spaces to one and trim both ends, in place. Returns the new length. */
static size_t
collapse_spaces(char *text)
{
	char *read = text, *write = text;

	while (*read == ' ')
		read++;
	for (; *read != '\0'; read++) {
		if (*read == ' ' && (read[1] == ' ' || read[1] == '\0'))
			continue;
		*write++ = *read;
	}
	*write = '\0';
	return (size_t)(write - text);
}

/* ------------------------------------------------------------------------------------------ */
/* HTML to text                                                                               */

enum element_kind {
	ELEMENT_INLINE,		/* text flows through (a, b, span, unknown tags) */
	ELEMENT_BLOCK,		/* paragraph break before and after */
	ELEMENT_PRE,		/* block whose newlines are paragraph breaks */
	ELEMENT_CELL,		/* table cell: a space before and after */
	ELEMENT_DROP,		/* skipped with all it contains; leaves a space */
	ELEMENT_DROP_BLOCK	/* skipped with all it contains; leaves a paragraph break */
};

struct element_class {
	const char *name;
	enum element_kind kind;
};

/* Sorted by name for bsearch. */
static const struct element_class element_classes[] = {
	{ "address", ELEMENT_BLOCK }, { "applet", ELEMENT_DROP }, { "article", ELEMENT_BLOCK },
	{ "aside", ELEMENT_DROP_BLOCK }, { "audio", ELEMENT_DROP_BLOCK }, { "base", ELEMENT_DROP },
	{ "blockquote", ELEMENT_BLOCK }, { "body", ELEMENT_BLOCK }, { "br", ELEMENT_BLOCK },
	{ "button", ELEMENT_DROP }, { "canvas", ELEMENT_DROP }, { "caption", ELEMENT_BLOCK },
	{ "center", ELEMENT_BLOCK }, { "dd", ELEMENT_BLOCK }, { "details", ELEMENT_BLOCK },
	{ "dialog", ELEMENT_DROP_BLOCK }, { "dir", ELEMENT_BLOCK }, { "div", ELEMENT_BLOCK },
	{ "dl", ELEMENT_BLOCK }, { "dt", ELEMENT_BLOCK }, { "embed", ELEMENT_DROP },
	{ "fieldset", ELEMENT_BLOCK }, { "figcaption", ELEMENT_DROP_BLOCK }, { "figure", ELEMENT_DROP_BLOCK },
	{ "footer", ELEMENT_BLOCK }, { "form", ELEMENT_DROP_BLOCK }, { "frame", ELEMENT_DROP_BLOCK },
	{ "frameset", ELEMENT_DROP_BLOCK }, { "h1", ELEMENT_BLOCK }, { "h2", ELEMENT_BLOCK },
	{ "h3", ELEMENT_BLOCK }, { "h4", ELEMENT_BLOCK }, { "h5", ELEMENT_BLOCK },
	{ "h6", ELEMENT_BLOCK }, { "head", ELEMENT_DROP_BLOCK }, { "header", ELEMENT_BLOCK },
	{ "hgroup", ELEMENT_BLOCK }, { "hr", ELEMENT_BLOCK }, { "html", ELEMENT_BLOCK },
	{ "iframe", ELEMENT_DROP_BLOCK }, { "img", ELEMENT_DROP }, { "input", ELEMENT_DROP },
	{ "li", ELEMENT_BLOCK }, { "link", ELEMENT_DROP }, { "main", ELEMENT_BLOCK },
	{ "map", ELEMENT_DROP }, { "menu", ELEMENT_BLOCK }, { "meta", ELEMENT_DROP },
	{ "nav", ELEMENT_DROP_BLOCK }, { "noscript", ELEMENT_DROP }, { "object", ELEMENT_DROP },
	{ "ol", ELEMENT_BLOCK }, { "option", ELEMENT_DROP }, { "p", ELEMENT_BLOCK },
	{ "picture", ELEMENT_DROP }, { "pre", ELEMENT_PRE }, { "script", ELEMENT_DROP },
	{ "section", ELEMENT_BLOCK }, { "select", ELEMENT_DROP }, { "source", ELEMENT_DROP },
	{ "style", ELEMENT_DROP }, { "summary", ELEMENT_BLOCK }, { "svg", ELEMENT_DROP },
	{ "table", ELEMENT_BLOCK }, { "tbody", ELEMENT_BLOCK }, { "td", ELEMENT_CELL },
	{ "template", ELEMENT_DROP }, { "textarea", ELEMENT_DROP }, { "tfoot", ELEMENT_BLOCK },
	{ "th", ELEMENT_CELL }, { "thead", ELEMENT_BLOCK }, { "title", ELEMENT_DROP },
	{ "tr", ELEMENT_BLOCK }, { "track", ELEMENT_DROP }, { "ul", ELEMENT_BLOCK },
	{ "video", ELEMENT_DROP_BLOCK },
};

/* class="..." tokens that mark embeds, captions and share widgets. */
static const char *const dropped_class_tokens[] = {
	"twitter-tweet", "twitter-video", "twitter-timeline", "instagram-media", "tiktok-embed",
	"fb-post", "fb-video", "reddit-card", "wp-caption", "wp-caption-text", "caption",
	"image-caption", "photo-caption", "photo-credit", "media-caption", "sharedaddy",
	"sd-sharing-enabled", "jp-relatedposts", "yarpp-related", "feedflare",
	"addtoany_share_save_container", "share-buttons", "social-share",
	NULL
};

static int
compare_element_class(const void *key, const void *member)
{
	return strcmp(key, ((const struct element_class *)member)->name);
}

static enum element_kind
element_kind_by_name(const char *name)
{
	const struct element_class *found;

	if (strncmp(name, "amp-", 4) == 0)
		return ELEMENT_DROP;	/* AMP components: ads, embeds, share bars */
	found = bsearch(name, element_classes, sizeof element_classes / sizeof element_classes[0],
	    sizeof element_classes[0], compare_element_class);
	return found ? found->kind : ELEMENT_INLINE;
}

/* The class token that marks node as an embed or widget, or NULL. */
static const char *
dropped_class_of(const xmlNode *node)
{
	for (const xmlAttr *attribute = node->properties; attribute; attribute = attribute->next) {
		const char *value, *token;

		if (strcmp((const char *)attribute->name, "class") != 0 ||
		    attribute->children == NULL || attribute->children->content == NULL)
			continue;
		value = (const char *)attribute->children->content;
		for (size_t i = 0; (token = dropped_class_tokens[i]) != NULL; i++) {
			size_t token_length = strlen(token);

			for (const char *at = value; (at = strstr(at, token)) != NULL; at++) {
				int starts = at == value || isspace((unsigned char)at[-1]);
				char after = at[token_length];

				if (starts && (after == '\0' || isspace((unsigned char)after)))
					return token;
			}
		}
	}
	return NULL;
}

struct text_builder {
	struct buffer out;
	int	 pending_space;
	int	 pending_break;
	int	 newline_breaks;	/* plain text: a newline ends a paragraph */
	int	 pre_depth;
	int	 explaining;		/* rendering a dropped element: drop nothing inside */
	clean_explain_fn explain;
	void	*explain_context;
};

/* Write pending white space, then length bytes of text. */
static void
builder_emit(struct text_builder *builder, const char *text, size_t length)
{
	if (length == 0)
		return;
	if (builder->out.length > 0) {
		if (builder->pending_break)
			buffer_append(&builder->out, "\n\n", 2);
		else if (builder->pending_space)
			buffer_append(&builder->out, " ", 1);
	}
	builder->pending_break = builder->pending_space = 0;
	buffer_append(&builder->out, text, length);
}

/* What to do with one code point of a text node. */
enum char_class { CHAR_KEEP, CHAR_SPACE, CHAR_NEWLINE, CHAR_PARAGRAPH, CHAR_DROP };

static enum char_class
classify_code_point(utf8proc_int32_t code_point)
{
	switch (code_point) {
	case '\n':
		return CHAR_NEWLINE;
	case '\t': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xa0: case 0x1680:
	case 0x2028: case 0x202f: case 0x205f: case 0x3000:
		return CHAR_SPACE;
	case 0x2029:
		return CHAR_PARAGRAPH;
	case 0xad: case 0x180e: case 0x200b: case 0x200e: case 0x200f: case 0x2060:
	case 0xfeff: case 0xfffc:
		return CHAR_DROP;
	}
	if (code_point >= 0x2000 && code_point <= 0x200a)
		return CHAR_SPACE;
	if (code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f) ||
	    (code_point >= 0x202a && code_point <= 0x202e) ||
	    (code_point >= 0x2066 && code_point <= 0x2069))
		return CHAR_DROP;
	return CHAR_KEEP;
}

/*
 * A space left before "," or "." by a removed link ("said the AP .") is dropped; an
 * ellipsis (" ...") and ".NET" keep theirs.
 */
static int
is_stray_space_before(const struct text_builder *builder, const unsigned char *at,
    const unsigned char *end)
{
	unsigned char previous, next;

	if (!builder->pending_space || builder->pending_break || builder->out.length == 0)
		return 0;
	if (*at != ',' && *at != '.')
		return 0;
	previous = (unsigned char)builder->out.data[builder->out.length - 1];
	next = at + 1 < end ? at[1] : ' ';
	if (!(isalnum(previous) || previous >= 0x80))
		return 0;
	return next == ' ' || next == '\n' || next == '"' || next == ')';
}

static void
builder_add_text(struct text_builder *builder, const char *text, size_t length)
{
	const unsigned char *at = (const unsigned char *)text;
	const unsigned char *end = at + length;
	const unsigned char *run = at;	/* start of bytes kept as they are */

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;
		enum char_class class;

		if (*at > 0x20 && *at < 0x7f) {
			if (at == run && is_stray_space_before(builder, at, end))
				builder->pending_space = 0;
			at++;
			continue;
		}
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0) {
			size = 1;
			class = CHAR_DROP;
		} else
			class = classify_code_point(code_point);
		if (class == CHAR_KEEP) {
			at += size;
			continue;
		}
		builder_emit(builder, (const char *)run, (size_t)(at - run));
		if (class == CHAR_PARAGRAPH ||
		    (class == CHAR_NEWLINE && (builder->newline_breaks || builder->pre_depth > 0)))
			builder->pending_break = 1;
		else if (class == CHAR_SPACE || class == CHAR_NEWLINE)
			builder->pending_space = 1;
		at += size;
		run = at;
	}
	builder_emit(builder, (const char *)run, (size_t)(at - run));
}

static void builder_walk(struct text_builder *, xmlNode *, const xmlNode *);

/* Report an element skipped on purpose, with its text on one line, to the explain callback. */
static void
builder_explain_drop(struct text_builder *builder, xmlNode *node, const char *class_token)
{
	struct text_builder inner = { .explaining = 1 };
	char rule_name[96];
	char *text;

	if (builder->explain == NULL || node->children == NULL)
		return;
	builder_walk(&inner, node->children, node);
	text = buffer_steal(&inner.out);
	flatten_newlines(text);
	collapse_spaces(text);
	if (text[0] != '\0') {
		if (class_token != NULL)
			snprintf(rule_name, sizeof rule_name, "html:%s.%s", node->name, class_token);
		else
			snprintf(rule_name, sizeof rule_name, "html:%s", node->name);
		builder->explain(rule_name, text, builder->explain_context);
	}
	free(text);
}

static enum element_kind
node_kind(const xmlNode *node)
{
	if (node->type != XML_ELEMENT_NODE || node->name == NULL)
		return ELEMENT_INLINE;
	return element_kind_by_name((const char *)node->name);
}

/* Entering node: returns 1 when its children are to be walked. */
static int
builder_enter(struct text_builder *builder, xmlNode *node)
{
	const char *class_token;

	switch (node->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (node->content != NULL)
			builder_add_text(builder, (const char *)node->content,
			    strlen((const char *)node->content));
		return 0;
	case XML_ELEMENT_NODE:
		break;
	default:
		return 0;	/* comments, processing instructions */
	}
	switch (node_kind(node)) {
	case ELEMENT_DROP:
	case ELEMENT_DROP_BLOCK:
		if (builder->explaining) {
			builder->pending_space = 1;
			return 1;
		}
		builder_explain_drop(builder, node, NULL);
		return 0;
	case ELEMENT_BLOCK:
	case ELEMENT_PRE:
		builder->pending_break = 1;
		break;
	case ELEMENT_CELL:
		builder->pending_space = 1;
		break;
	case ELEMENT_INLINE:
		break;
	}
	if (!builder->explaining && (class_token = dropped_class_of(node)) != NULL) {
		builder_explain_drop(builder, node, class_token);
		return 0;
	}
	if (node_kind(node) == ELEMENT_PRE)
		builder->pre_depth++;
	return 1;
}

/* Leaving node, after its children when entered (builder_enter returned 1). */
static void
builder_leave(struct text_builder *builder, xmlNode *node, int entered)
{
	switch (node_kind(node)) {
	case ELEMENT_PRE:
		if (entered)
			builder->pre_depth--;
		/* FALLTHROUGH */
	case ELEMENT_BLOCK:
	case ELEMENT_DROP_BLOCK:
		builder->pending_break = 1;
		break;
	case ELEMENT_CELL:
	case ELEMENT_DROP:
		builder->pending_space = 1;
		break;
	case ELEMENT_INLINE:
		/* an inline element dropped for its class (a span caption) */
		if (!entered && node->type == XML_ELEMENT_NODE)
			builder->pending_space = 1;
		break;
	}
}

/* Walk first, its siblings and their subtrees in document order, without recursion. */
static void
builder_walk(struct text_builder *builder, xmlNode *first, const xmlNode *stop)
{
	xmlNode *node = first;

	while (node != NULL) {
		int entered = builder_enter(builder, node);

		if (entered && node->children != NULL) {
			node = node->children;
			continue;
		}
		builder_leave(builder, node, entered);
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			if (node == NULL || node == stop || node->type != XML_ELEMENT_NODE)
				return;
			builder_leave(builder, node, 1);
		}
		if (node != NULL)
			node = node->next;
	}
}

/* Does the input hold a block-level tag (then newlines are only white space)? */
static int
has_block_markup(const char *html, size_t length)
{
	const char *end = html + length;

	for (const char *at = html; (at = memchr(at, '<', (size_t)(end - at))) != NULL; at++) {
		char name[12];
		size_t name_length = 0;
		const char *letter = at + 1;
		enum element_kind kind;

		if (letter < end && *letter == '/')
			letter++;
		while (letter < end && isalnum((unsigned char)*letter) &&
		    name_length < sizeof name - 1)
			name[name_length++] = (char)tolower((unsigned char)*letter++);
		name[name_length] = '\0';
		if (name_length == 0)
			continue;
		kind = element_kind_by_name(name);
		if (kind == ELEMENT_BLOCK || kind == ELEMENT_PRE || kind == ELEMENT_CELL)
			return 1;
	}
	return 0;
}

/*
 * Would libxml2's HTML parser give this input back as one text node, unchanged? True for
 * valid UTF-8 (it reads anything else as Latin-1) without markup ('<'), references ('&'), the
 * characters it drops (controls besides tab and newline, U+FFFE, U+FFFF) and carriage returns
 * (it folds CR LF into LF); white space it skips at the start is skipped by the builder too.
 * Most titles and many summaries are such plain text: they are spared the parser.
 */
static int
is_parser_transparent(const char *html, size_t length)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)html;
	const utf8proc_uint8_t *end = at + length;

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;

		if (*at >= 0x20 && *at < 0x80) {
			if (*at == '<' || *at == '&')
				return 0;
			at++;
			continue;
		}
		if (*at == '\t' || *at == '\n') {
			at++;
			continue;
		}
		if (*at < 0x20)
			return 0;
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0 || code_point == 0xfffe || code_point == 0xffff)
			return 0;
		at += size;
	}
	return 1;
}

/*
 * One HTML parser context per thread, reset for each document (creating one costs about
 * fifteen allocations and a dictionary). Its dictionary keeps element and attribute names
 * and short texts across documents, so the context is replaced after PARSER_REUSE_LIMIT
 * documents or once the dictionary holds PARSER_DICTIONARY_LIMIT strings: hostile markup full
 * of invented names cannot grow it without bound. Freed at thread exit.
 */
#define PARSER_REUSE_LIMIT		10000
#define PARSER_DICTIONARY_LIMIT		20000

struct reused_parser {
	htmlParserCtxtPtr context;
	int		 documents;
};

static pthread_key_t reused_parser_key;
static pthread_once_t reused_parser_once = PTHREAD_ONCE_INIT;

static void
reused_parser_free(void *pointer)
{
	struct reused_parser *parser = pointer;

	if (parser->context != NULL)
		htmlFreeParserCtxt(parser->context);
	free(parser);
}

static void
reused_parser_key_create(void)
{
	pthread_key_create(&reused_parser_key, reused_parser_free);
}

static htmlDocPtr
html_parse(const char *html, size_t length, int options)
{
	struct reused_parser *parser;

	pthread_once(&reused_parser_once, reused_parser_key_create);
	if ((parser = pthread_getspecific(reused_parser_key)) == NULL) {
		parser = xcalloc(1, sizeof *parser);
		pthread_setspecific(reused_parser_key, parser);
	}
	if (parser->context != NULL && (parser->documents >= PARSER_REUSE_LIMIT ||
	    xmlDictSize(parser->context->dict) > PARSER_DICTIONARY_LIMIT)) {
		htmlFreeParserCtxt(parser->context);
		parser->context = NULL;
	}
	if (parser->context == NULL) {
		if ((parser->context = htmlNewParserCtxt()) == NULL)
			return htmlReadMemory(html, (int)length, NULL, "UTF-8", options);
		parser->documents = 0;
	}
	parser->documents++;
	return htmlCtxtReadMemory(parser->context, html, (int)length, NULL, "UTF-8", options);
}

static char *
html_to_text_explain(const char *html, size_t length, clean_explain_fn explain,
    void *explain_context)
{
	struct text_builder builder = { .explain = explain, .explain_context = explain_context };
	htmlDocPtr document;
	int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE;

	if (html == NULL || length == 0)
		return xstrdup("");
	if (length > INT_MAX)
		length = INT_MAX;
	if (is_parser_transparent(html, length)) {
		builder.newline_breaks = 1;	/* plain text: no block markup */
		builder_add_text(&builder, html, length);
		return normalize_nfc(buffer_steal(&builder.out));
	}
	builder.newline_breaks = !has_block_markup(html, length);
	document = html_parse(html, length, options);
	if (document == NULL)
		return xstrdup("");
	builder_walk(&builder, document->children, NULL);
	xmlFreeDoc(document);
	return normalize_nfc(buffer_steal(&builder.out));
}

char *
html_to_text(const char *html, size_t length)
{
	return html_to_text_explain(html, length, NULL, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Rules                                                                                      */

static struct clean_rule *
rules_find(struct clean_rules *rules, const char *name)
{
	for (size_t i = 0; i < rules->count; i++)
		if (strcmp(rules->rules[i].name, name) == 0)
			return &rules->rules[i];
	return NULL;
}

static void
rule_free(struct clean_rule *rule)
{
	regfree(&rule->regex);
	prefilter_free(&rule->filter);
	free(rule->name);
}

/* Add a rule, or replace the one with the same name (so a file can redefine a built-in). */
static void
rules_add(struct clean_rules *rules, struct clean_rule *rule)
{
	struct clean_rule *existing = rules_find(rules, rule->name);

	if (existing != NULL) {
		rule_free(existing);
		*existing = *rule;
		return;
	}
	if (rules->count == rules->capacity) {
		rules->capacity = rules->capacity ? rules->capacity * 2 : 32;
		rules->rules = xrealloc(rules->rules, rules->capacity * sizeof *rules->rules);
	}
	rules->rules[rules->count++] = *rule;
}

static int
rules_disable(struct clean_rules *rules, const char *name)
{
	struct clean_rule *rule = rules_find(rules, name);
	size_t index;

	if (rule == NULL)
		return -1;
	index = (size_t)(rule - rules->rules);
	rule_free(rule);
	memmove(rule, rule + 1, (rules->count - index - 1) * sizeof *rule);
	rules->count--;
	return 0;
}

/* Next white-space separated word of *cursor, NUL-terminated in place; NULL at the end. */
static char *
next_word(char **cursor)
{
	char *word = *cursor + strspn(*cursor, " \t");
	char *end;

	if (*word == '\0')
		return NULL;
	end = word + strcspn(word, " \t");
	if (*end != '\0')
		*end++ = '\0';
	*cursor = end;
	return word;
}

static int
parse_count(const char *text, size_t *count)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value == 0 || text[0] == '-')
		return -1;
	*count = (size_t)value;
	return 0;
}

/* Parse "max-words=N", "first=N", "last=N" or "case"; 1 if word was an option, -1 if bad. */
static int
parse_rule_option(struct clean_rule *rule, const char *word, int *case_sensitive)
{
	size_t *target = NULL;
	const char *value = NULL;

	if (strcmp(word, "case") == 0) {
		*case_sensitive = 1;
		return 1;
	}
	if (strncmp(word, "max-words=", 10) == 0)
		target = &rule->max_words, value = word + 10;
	else if (strncmp(word, "first=", 6) == 0)
		target = &rule->first, value = word + 6;
	else if (strncmp(word, "last=", 5) == 0)
		target = &rule->last, value = word + 5;
	if (target == NULL)
		return 0;
	return parse_count(value, target) == 0 ? 1 : -1;
}

/* Load "tracking-params FILE": one query name or prefix* per line. */
static int
load_tracking_params(struct clean_rules *rules, const char *rules_path, const char *path,
    char *error, size_t error_size)
{
	char *resolved = path_resolve(rules_path, path);
	char *content = file_read(resolved, NULL);
	char *line, *cursor;

	if (content == NULL) {
		snprintf(error, error_size, "%s: %s", resolved, strerror(errno));
		free(resolved);
		return -1;
	}
	free(resolved);
	for (cursor = content; (line = strsep(&cursor, "\n")) != NULL;) {
		char *name = next_word(&line);

		if (name != NULL && name[0] != '#')
			strlist_add(&rules->tracking_params, name);
	}
	free(content);
	return 0;
}

static int
parse_rule_line(struct clean_rules *rules, char *line, const char *path, size_t line_number,
    char *error, size_t error_size)
{
	struct clean_rule rule = { 0 };
	char *cursor = line, *kind, *name, *pattern;
	int case_sensitive = 0, option, status;
	size_t length = strlen(line);

	while (length > 0 && isspace((unsigned char)line[length - 1]))
		line[--length] = '\0';
	if ((kind = next_word(&cursor)) == NULL || kind[0] == '#')
		return 0;
	if ((name = next_word(&cursor)) == NULL) {
		snprintf(error, error_size, "%s:%zu: %s needs a name", path, line_number, kind);
		return -1;
	}
	if (strcmp(kind, "disable") == 0) {
		if (rules_disable(rules, name) == 0)
			return 0;
		snprintf(error, error_size, "%s:%zu: no rule named %s", path, line_number, name);
		return -1;
	}
	if (strcmp(kind, "tracking-params") == 0)
		return load_tracking_params(rules, path, name, error, error_size);
	if (strcmp(kind, "strip") == 0)
		rule.kind = RULE_STRIP;
	else if (strcmp(kind, "drop-paragraph") == 0)
		rule.kind = RULE_DROP_PARAGRAPH;
	else if (strcmp(kind, "drop-after") == 0)
		rule.kind = RULE_DROP_AFTER;
	else {
		snprintf(error, error_size, "%s:%zu: unknown rule kind '%s'", path, line_number,
		    kind);
		return -1;
	}
	for (;;) {
		pattern = cursor + strspn(cursor, " \t");
		char *word_end = pattern + strcspn(pattern, " \t");
		char saved = *word_end;

		*word_end = '\0';
		option = parse_rule_option(&rule, pattern, &case_sensitive);
		*word_end = saved;
		if (option == -1) {
			snprintf(error, error_size, "%s:%zu: bad option in rule %s", path,
			    line_number, name);
			return -1;
		}
		if (option == 0)
			break;
		cursor = word_end;
	}
	if (*pattern == '\0') {
		snprintf(error, error_size, "%s:%zu: rule %s has no pattern", path, line_number,
		    name);
		return -1;
	}
	status = regcomp(&rule.regex, pattern, REG_EXTENDED | (case_sensitive ? 0 : REG_ICASE) |
	    (rule.kind == RULE_STRIP ? 0 : REG_NOSUB));
	if (status != 0) {
		char message[128];

		regerror(status, &rule.regex, message, sizeof message);
		snprintf(error, error_size, "%s:%zu: rule %s: %s", path, line_number, name,
		    message);
		return -1;
	}
	prefilter_build(&rule.filter, pattern, !case_sensitive);
	rule.name = xstrdup(name);
	rules_add(rules, &rule);
	return 0;
}

static int
parse_rules_text(struct clean_rules *rules, char *text, const char *path, char *error,
    size_t error_size)
{
	char *line, *cursor = text;
	size_t line_number = 0;

	while ((line = strsep(&cursor, "\n")) != NULL)
		if (parse_rule_line(rules, line, path, ++line_number, error, error_size) == -1)
			return -1;
	return 0;
}

static int
compile_datelines(struct clean_rules *rules)
{
#define CITY	"[A-Z][A-Z.'-]*[A-Z.]"
#define WORD	"[A-Z][A-Za-z.'-]*"
#define DAY	"[A-Z][a-z]{2,8}\\.? [0-9]{1,2}"
	/* "JALALABAD, Afghanistan —", "WASHINGTON (AP) —", "NEW YORK, Sept 21 (Reuters) -" */
	static const char dash[] = "^(" CITY "( " CITY ")*(, " WORD "( " WORD ")*)*)(,? " DAY ")?"
	    "( \\([^()]+\\))? ?(—|–|--|-) +";
	/* "NEW DELHI: " */
	static const char colon[] = "^(" CITY "( " CITY "){0,3}(, " WORD "( " WORD ")*)?): +";
	/* "New Delhi, Sep 21 (PTI) " */
	static const char wire[] = "^(" WORD "( " WORD ")?), " DAY " \\((PTI|IANS|ANI|UNI|Reuters|"
	    "AFP|AP|Xinhua|dpa)\\):?( (—|–|-))? +";
#undef CITY
#undef WORD
#undef DAY
	struct dateline_pattern *patterns = rules->datelines;

	if (regcomp(&patterns[DATELINE_DASH].regex, dash, REG_EXTENDED) != 0)
		return -1;
	patterns[DATELINE_DASH].agency_group = 6;
	patterns[DATELINE_DASH].dash_group = 7;
	if (regcomp(&patterns[DATELINE_COLON].regex, colon, REG_EXTENDED) != 0) {
		regfree(&patterns[DATELINE_DASH].regex);
		return -1;
	}
	if (regcomp(&patterns[DATELINE_WIRE].regex, wire, REG_EXTENDED) != 0) {
		regfree(&patterns[DATELINE_DASH].regex);
		regfree(&patterns[DATELINE_COLON].regex);
		return -1;
	}
	patterns[DATELINE_WIRE].agency_group = 3;
	prefilter_build(&patterns[DATELINE_DASH].filter, dash, 0);
	prefilter_build(&patterns[DATELINE_COLON].filter, colon, 0);
	prefilter_build(&patterns[DATELINE_WIRE].filter, wire, 0);
	return 0;
}

/* The id of a literal in the index, added when new; NO_LITERAL when the index is full. */
static uint16_t
literal_index_add(struct literal_index *index, const char *text, size_t length,
    int ignore_case)
{
	size_t id;

	for (id = 0; id < index->count; id++)
		if (index->lengths[id] == length && index->ignore_case[id] == ignore_case &&
		    memcmp(index->texts[id], text, length) == 0)
			return (uint16_t)id;
	if (index->count == NO_LITERAL)
		return NO_LITERAL;
	index->texts = xrealloc(index->texts, (id + 1) * sizeof *index->texts);
	index->lengths = xrealloc(index->lengths, (id + 1) * sizeof *index->lengths);
	index->ignore_case = xrealloc(index->ignore_case, (id + 1) * sizeof *index->ignore_case);
	index->texts[id] = xstrndup(text, length);
	index->lengths[id] = length;
	index->ignore_case[id] = ignore_case;
	index->count++;
	return (uint16_t)id;
}

/* Give each literal of the filter's "contains" sets its id; drop a set that does not fit. */
static void
literal_index_add_filter(struct literal_index *index, struct prefilter *filter)
{
	for (size_t i = 0; i < filter->contains_count; i++) {
		struct literal_set *set = &filter->contains[i];

		for (size_t k = 0; k < set->count; k++) {
			set->ids[k] = literal_index_add(index, set->strings[k], set->lengths[k],
			    filter->ignore_case);
			if (set->ids[k] != NO_LITERAL)
				continue;
			literal_set_clear(set);
			*set = filter->contains[--filter->contains_count];
			filter->contains[filter->contains_count].count = 0;
			i--;
			break;
		}
	}
}

/* Group the literals by their start (folded) for the scan. */
static void
literal_index_group(struct literal_index *index)
{
	uint16_t *next = xcalloc(START_BUCKETS, sizeof *next), single_next[256];

	for (int byte = 0; byte < 256; byte++)
		index->fold[byte] = (unsigned char)tolower(byte);
	for (size_t id = 0; id < index->count; id++) {
		const unsigned char *text = (const unsigned char *)index->texts[id];
		unsigned key;

		if (index->lengths[id] == 1) {
			index->single_start[index->fold[text[0]] + 1]++;
			for (unsigned second = 0; second < 256; second++)
				index->pair_starts[index->fold[text[0]] << 8 | second] |= PAIR_SINGLE;
			continue;
		}
		key = literal_key(index, text, index->lengths[id]);
		if (index->lengths[id] == 2)
			index->pair_starts[key] |= PAIR_LITERAL;
		else {
			index->pair_starts[index->fold[text[0]] << 8 | index->fold[text[1]]] |=
			    PAIR_PREFIX;
			index->triple_used[key >> 3] |= (uint8_t)(1u << (key & 7));
		}
		index->bucket_start[START_BUCKET(key) + 1]++;
	}
	for (int byte = 0; byte < 256; byte++) {
		index->single_start[byte + 1] += index->single_start[byte];
		single_next[byte] = index->single_start[byte];
	}
	for (size_t bucket = 0; bucket < START_BUCKETS; bucket++) {
		index->bucket_start[bucket + 1] += index->bucket_start[bucket];
		next[bucket] = index->bucket_start[bucket];
	}
	index->single_ids = xcalloc((size_t)index->single_start[256] + 1, sizeof(uint16_t));
	index->start_ids = xcalloc((size_t)index->bucket_start[START_BUCKETS] + 1,
	    sizeof(uint16_t));
	for (size_t id = 0; id < index->count; id++) {
		const unsigned char *text = (const unsigned char *)index->texts[id];
		unsigned key;

		if (index->lengths[id] == 1) {
			index->single_ids[single_next[index->fold[text[0]]]++] = (uint16_t)id;
			continue;
		}
		key = literal_key(index, text, index->lengths[id]);
		index->start_ids[next[START_BUCKET(key)]++] = (uint16_t)id;
	}
	free(next);
}

/* Index the literals of every filter of the rule set, once all rules are in. */
static void
literal_index_build(struct clean_rules *rules)
{
	for (size_t i = 0; i < rules->count; i++)
		literal_index_add_filter(&rules->literals, &rules->rules[i].filter);
	for (int i = 0; i < DATELINE_PATTERNS; i++)
		literal_index_add_filter(&rules->literals, &rules->datelines[i].filter);
	literal_index_group(&rules->literals);
}

static void
literal_index_free(struct literal_index *index)
{
	for (size_t id = 0; id < index->count; id++)
		free(index->texts[id]);
	free(index->texts);
	free(index->lengths);
	free(index->ignore_case);
	free(index->single_ids);
	free(index->start_ids);
	memset(index, 0, sizeof *index);
}

struct clean_rules *
clean_rules_load(const char *path, char *error, size_t error_size)
{
	struct clean_rules *rules = xcalloc(1, sizeof *rules);
	char *text;
	int failed;

	/*
	 * Rules are loaded on the main thread before workers clean with them; libxml2's global
	 * state must be set up once before threads use its parser, and this is the place.
	 */
	xmlInitParser();
	if (compile_datelines(rules) == -1) {
		snprintf(error, error_size, "built-in dateline patterns do not compile");
		free(rules);
		return NULL;
	}
	for (size_t i = 0; builtin_rules[i] != NULL; i++) {
		text = xstrdup(builtin_rules[i]);
		failed = parse_rule_line(rules, text, "built-in", i + 1, error, error_size);
		free(text);
		if (failed) {
			clean_rules_free(rules);
			return NULL;
		}
	}
	if (path == NULL) {
		literal_index_build(rules);
		return rules;
	}
	if ((text = file_read(path, NULL)) == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		clean_rules_free(rules);
		return NULL;
	}
	failed = parse_rules_text(rules, text, path, error, error_size);
	free(text);
	if (failed) {
		clean_rules_free(rules);
		return NULL;
	}
	literal_index_build(rules);
	return rules;
}

void
clean_rules_free(struct clean_rules *rules)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < rules->count; i++)
		rule_free(&rules->rules[i]);
	free(rules->rules);
	for (int i = 0; i < DATELINE_PATTERNS; i++) {
		regfree(&rules->datelines[i].regex);
		prefilter_free(&rules->datelines[i].filter);
	}
	strlist_clear(&rules->tracking_params);
	literal_index_free(&rules->literals);
	free(rules);
}

/* ------------------------------------------------------------------------------------------ */
/* Paragraphs and rule application                                                            */

struct paragraph {
	char	*text;
	size_t	 length;
	size_t	 words;
	int	 dropped;
};

struct paragraphs {
	struct paragraph *items;
	size_t	 count;
};

struct explain_sink {
	clean_explain_fn function;
	void	*context;
};

static void
explain(const struct explain_sink *sink, const char *rule_name, const char *text)
{
	if (sink->function != NULL)
		sink->function(rule_name, text, sink->context);
}

/* Split text at "\n\n" into paragraphs (copies). */
static struct paragraphs
paragraphs_split(const char *text)
{
	struct paragraphs list = { 0 };
	size_t capacity = 0;
	const char *start = text;

	while (*start != '\0') {
		size_t length = strcspn(start, "\n");

		if (length > 0) {
			if (list.count == capacity) {
				capacity = capacity ? capacity * 2 : 16;
				list.items = xrealloc(list.items, capacity * sizeof *list.items);
			}
			list.items[list.count++] = (struct paragraph){
				.text = xstrndup(start, length), .length = length,
				.words = count_words(start, length) };
		}
		start += length;
		while (*start == '\n')
			start++;
	}
	return list;
}

static void
paragraphs_free(struct paragraphs *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].text);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/*
 * Join the paragraphs left with separator; NULL when none is left. *words gets their word
 * count, which is the joined text's: a separator of line breaks ends words as a paragraph's
 * end does.
 */
static char *
paragraphs_join(const struct paragraphs *list, const char *separator, size_t *words)
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
	return joined.length > 0 ? buffer_steal(&joined) : NULL;
}

/* Does rule apply to paragraph number index of count (limits only, not the pattern)? */
static int
rule_applies(const struct clean_rule *rule, const struct paragraph *paragraph, size_t index,
    size_t count)
{
	if (rule->max_words != 0 && paragraph->words > rule->max_words)
		return 0;
	if (rule->first != 0 && index >= rule->first)
		return 0;
	if (rule->last != 0 && index + rule->last < count)
		return 0;
	return 1;
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

			explain(sink, rule->name, removed);
			free(removed);
		}
		buffer_append(&kept, paragraph->text + copied, start - copied);
		copied = offset = end;
	}
	if (copied == 0)
		return 0;	/* nothing matched */
	buffer_append(&kept, paragraph->text + copied, paragraph->length - copied);
	free(paragraph->text);
	paragraph->text = buffer_steal(&kept);
	paragraph->length = collapse_spaces(paragraph->text);
	paragraph->words = count_words(paragraph->text, paragraph->length);
	if (paragraph->length == 0)
		paragraph->dropped = 1;
	return 1;
}

static void
apply_strip_and_drop(const struct clean_rules *rules, struct paragraphs *list,
    struct filter_text *view, const struct explain_sink *sink)
{
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		filter_text_set(view, paragraph->text, paragraph->length);
		for (size_t r = 0; r < rules->count && !paragraph->dropped; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind == RULE_STRIP &&
			    rule_applies(rule, paragraph, i, list->count) &&
			    prefilter_passes(&rule->filter, view) &&
			    apply_strip(rule, paragraph, sink))
				filter_text_set(view, paragraph->text, paragraph->length);
		}
		for (size_t r = 0; r < rules->count && !paragraph->dropped; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind != RULE_DROP_PARAGRAPH ||
			    !rule_applies(rule, paragraph, i, list->count) ||
			    !prefilter_passes(&rule->filter, view) ||
			    regexec(&rule->regex, paragraph->text, 0, NULL, 0) != 0)
				continue;
			explain(sink, rule->name, paragraph->text);
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
    struct filter_text *view, const struct explain_sink *sink)
{
	size_t kept = 0, position = 0;

	for (size_t i = 0; i < list->count; i++)
		kept += !list->items[i].dropped;
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		filter_text_set(view, paragraph->text, paragraph->length);
		for (size_t r = 0; position > 0 && r < rules->count; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind != RULE_DROP_AFTER ||
			    !rule_applies(rule, paragraph, position, kept) ||
			    !prefilter_passes(&rule->filter, view) ||
			    regexec(&rule->regex, paragraph->text, 0, NULL, 0) != 0)
				continue;
			for (size_t j = i; j < list->count; j++) {
				if (list->items[j].dropped)
					continue;
				explain(sink, rule->name, list->items[j].text);
				list->items[j].dropped = 1;
			}
			return;
		}
		position++;
	}
}

static void
apply_rules(const struct clean_rules *rules, struct paragraphs *list,
    struct filter_text *view, const struct explain_sink *sink)
{
	apply_strip_and_drop(rules, list, view, sink);
	apply_drop_after(rules, list, view, sink);
}

/* ------------------------------------------------------------------------------------------ */
/* Dateline                                                                                   */

static int
is_dateline_label(const char *place, size_t length)
{
	for (size_t i = 0; dateline_labels[i] != NULL; i++)
		if (strlen(dateline_labels[i]) == length &&
		    strncmp(dateline_labels[i], place, length) == 0)
			return 1;
	return 0;
}

/*
 * Match one dateline pattern at the start of a paragraph, seen through its first
 * DATELINE_SCAN_BYTES; returns the length of the whole dateline (0: none) and the place in
 * *place_length.
 */
static size_t
match_dateline(const struct dateline_pattern *pattern, struct filter_text *head_view,
    size_t *place_length)
{
	char head[DATELINE_SCAN_BYTES + 1];
	size_t head_length = head_view->length;
	regmatch_t groups[10];

	if (!prefilter_passes(&pattern->filter, head_view))
		return 0;
	memcpy(head, head_view->text, head_length);
	head[head_length] = '\0';
	if (regexec(&pattern->regex, head, 10, groups, 0) != 0)
		return 0;
	*place_length = (size_t)groups[1].rm_eo;
	if (is_dateline_label(head, *place_length))
		return 0;
	if (pattern->dash_group != 0 && groups[pattern->dash_group].rm_so >= 0 &&
	    head[groups[pattern->dash_group].rm_so] == '-' &&
	    groups[pattern->agency_group].rm_so < 0)
		return 0;	/* "NATO - ..." is a sentence; "PARIS (Reuters) - " a dateline */
	if ((size_t)groups[0].rm_eo >= head_length)
		return 0;	/* nothing after it: the paragraph is a heading */
	return (size_t)groups[0].rm_eo;
}

/* Find, store and remove the dateline of the first paragraphs. */
static void
extract_dateline(const struct clean_rules *rules, struct article *article,
    struct paragraphs *list, struct filter_text *view, const struct explain_sink *sink)
{
	size_t seen = 0;

	for (size_t i = 0; i < list->count && seen < DATELINE_MAX_PARAGRAPHS; i++) {
		struct paragraph *paragraph = &list->items[i];
		size_t length = 0, place_length = 0;

		if (paragraph->dropped)
			continue;
		filter_text_set(view, paragraph->text, paragraph->length < DATELINE_SCAN_BYTES ?
		    paragraph->length : DATELINE_SCAN_BYTES);
		for (int p = 0; p < DATELINE_PATTERNS && length == 0; p++)
			if (p != DATELINE_COLON || seen == 0)
				length = match_dateline(&rules->datelines[p], view, &place_length);
		if (length > 0) {
			char *removed = xstrndup(paragraph->text, length);

			free(article->dateline);
			article->dateline = xstrndup(paragraph->text, place_length);
			explain(sink, "dateline", removed);
			free(removed);
			memmove(paragraph->text, paragraph->text + length,
			    paragraph->length - length + 1);
			paragraph->length -= length;
			paragraph->words = count_words(paragraph->text, paragraph->length);
			return;
		}
		if (paragraph->words > DATELINE_LEAD_MAX_WORDS)
			return;
		seen++;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The article                                                                                */

/* Drop the first paragraph when it repeats the title. */
static void
drop_title_repeat(const char *title, struct paragraphs *list, const struct explain_sink *sink)
{
	if (title == NULL)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		if (strcasecmp(paragraph->text, title) == 0) {
			explain(sink, "title-repeat", paragraph->text);
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
	char *text = html_to_text_explain(html, strlen(html), sink->function, sink->context);
	struct paragraphs list = paragraphs_split(text);
	struct filter_text view = { .index = &rules->literals };
	char *result;

	free(text);
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
static char *
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
