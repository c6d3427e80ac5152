/*
 * clean_internal.h - what the files of the cleaning stage share: the rule set, the prefilters
 * of its patterns and their literal index, paragraphs, and the functions one file gives
 * another. Callers outside daemon/clean/ use clean.h only.
 */
#ifndef WIRESIFT_CLEAN_INTERNAL_H
#define WIRESIFT_CLEAN_INTERNAL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "clean.h"
#include "util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

#define ANCHOR_BYTES	 4	/* bytes a "contains" set is searched by on its own */
#define HEAD_BYTES	 4	/* of each string, kept in its set (literal_set.heads) */

struct literal_set {
	/* what a screen reads first, together: one cache line with the prefilter's own fields
	 * and the other set's (the rules are cold on the workers) */
	size_t	 count;				/* 0: no condition */
	/* a "contains" set whose strings' rarest bytes (both cases when ignoring case) are
	 * at most ANCHOR_BYTES is searched on its own, 16 bytes at a time for those
	 * (literals.c); anchor_count 0: through the index */
	size_t	 anchor_count;
	/* anchor_pairs: a string is anchored at its rarest two bytes in a row instead (when
	 * a rarest byte is a common letter: "pp" of " appeared first on ", not "p"), the
	 * second in anchor_next; anchor_fold 0x20 where a byte is a letter matched in both
	 * cases (a byte OR 0x20 is the lower-case letter exactly for its two cases) */
	int	 anchor_pairs;
	unsigned char anchor_bytes[ANCHOR_BYTES];
	unsigned char anchor_next[ANCHOR_BYTES];
	unsigned char anchor_fold[ANCHOR_BYTES];
	unsigned char anchor_next_fold[ANCHOR_BYTES];
	uint8_t	 anchor_offsets[FILTER_LITERALS];	/* of each string's rarest byte */
	unsigned char anchor_of[FILTER_LITERALS];	/* that byte (as compared) */
	/* each string's first HEAD_BYTES bytes (fewer when it is shorter: head_lengths), as
	 * compared (folded when ignoring case), NUL-padded: a text is ruled out against most
	 * strings here, without reading lengths[], strings[] and the strings (cold lines) */
	uint8_t	 head_lengths[FILTER_LITERALS];
	uint32_t heads[FILTER_LITERALS];
	uint16_t ids[FILTER_LITERALS];		/* "contains" sets: in the rule set's index */
	size_t	 lengths[FILTER_LITERALS];
	char	*strings[FILTER_LITERALS];	/* folded to lower case when ignoring case */
};

struct prefilter {
	int	 ignore_case;
	int	 has_first;			/* first_bytes is a condition */
	size_t	 contains_count;
	struct literal_set contains[FILTER_SETS]; /* for each: the text contains one of these */
	struct literal_set starts;		/* the text starts with one of these */
	unsigned char first_bytes[256];		/* bytes an anchored pattern may start with */
};

/*
 * The literals of all "contains" sets of a rule set (those without anchors are looked up
 * here), found in one pass over a paragraph rather than one search per literal. Literals are grouped by their start, ASCII-lower-cased
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
	unsigned char *filed;	/* by id: in the tables below (a set that consults the index
				 * holds it, or literal_index_all) */
	size_t	  count;
	unsigned char fold[256];		/* ASCII tolower */
	uint16_t single_start[257];		/* one-byte literals: single_ids[single_start[b]...] */
	uint16_t *single_ids;
	uint8_t	 pair_starts[65536];		/* by the first two bytes: PAIR_* bits */
	uint8_t	 pair_raw[65536];		/* the same by two bytes as read, unfolded:
						 * first | second << 8 (one 16-bit load) */
	uint8_t	 triple_used[65536 / 8];	/* longer literals, by TRIPLE_KEY of three */
	uint16_t bucket_start[START_BUCKETS + 1]; /* those: start_ids[bucket_start[b]...] */
	uint16_t *start_ids;
};

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

enum rule_kind {
	RULE_STRIP,		/* remove each match inside a paragraph */
	RULE_DROP_PARAGRAPH,	/* remove a matching paragraph */
	RULE_DROP_AFTER,	/* remove a matching paragraph and all that follow */
	RULE_KINDS
};

struct clean_rule {
	enum rule_kind kind;
	char	*name;
	regex_t	 regex;
	struct prefilter filter;	/* when the regex certainly cannot match */
	size_t	 max_words;	/* only paragraphs of at most this many words; 0: any */
	size_t	 first;		/* only within the first N paragraphs; 0: anywhere */
	size_t	 last;		/* only within the last N paragraphs; 0: anywhere */
	/* its filter is "contains" sets only, all searched by anchors, none with a line break:
	 * a text without one of a set's strings rules the rule out for each of its paragraphs
	 * (apply_rules asks the whole article once) */
	int	 article_screen;
};

struct dateline_pattern {
	regex_t	 regex;		/* group 1: the place */
	struct prefilter filter;
	int	 agency_group;	/* group holding "(AP)", or 0 */
	int	 dash_group;	/* group holding the dash, or 0 */
};

enum { DATELINE_DASH, DATELINE_COLON, DATELINE_WIRE, DATELINE_PATTERNS };

/*
 * A rule as apply_rules meets it in the list for a paragraph's first byte: its limits and
 * the second bytes its "starts" literals allow after that first byte, in one cache line.
 * Most paragraphs fail here; the rule itself (over 2 KB with its prefilter, a cold read
 * on the workers) is read only for those that pass.
 */
struct rule_gate {
	size_t	 max_words;	/* the rule's limits (struct clean_rule) */
	size_t	 first;
	size_t	 last;
	uint32_t position;	/* in of_kind[kind] */
	uint8_t	 second[32];	/* bit b: b may be the text's second byte (NUL: the end) */
};

struct clean_rules {
	struct clean_rule *rules;
	size_t	 count;
	size_t	 capacity;
	struct strlist tracking_params;	/* extra query names for url_canonical */
	struct dateline_pattern datelines[DATELINE_PATTERNS];
	struct literal_index literals;	/* of every rule's and dateline's filter */
	size_t	*of_kind[RULE_KINDS];	/* each kind's rules (indexes), in file order */
	size_t	 of_kind_count[RULE_KINDS];
	/* by a paragraph's first byte b, the gates of the rules whose prefilter lets a text
	 * start with b: first_byte_rules[kind][first_byte_start[kind][b]] up to [...][b + 1],
	 * in file order */
	struct rule_gate *first_byte_rules[RULE_KINDS];
	uint32_t first_byte_start[RULE_KINDS][257];
};

struct paragraph {
	char	*text;		/* in the list's storage, or its own allocation when owned */
	size_t	 length;
	size_t	 words;
	int	 dropped;
	int	 owned;		/* text was rewritten (a strip rule) and is freed on its own */
};

struct paragraphs {
	struct paragraph *items;
	size_t	 count;
	char	*storage;	/* the split text, each paragraph ended by a NUL in place */
	size_t	 storage_length;	/* its bytes, those NULs included */
};

struct explain_sink {
	clean_explain_fn function;
	void	*context;
};

/* prefilter.c: the literals a pattern's match must start with or contain */
void	 literal_set_clear(struct literal_set *set);
void	 prefilter_build(struct prefilter *filter, const char *pattern, int ignore_case);
void	 prefilter_free(struct prefilter *filter);

/* literals.c: all filters' literals found in one pass over a paragraph */
void	 literal_index_build(struct clean_rules *rules);
/* 0 (the default): the index files only the literals of sets searched through it (a set with
 * anchors is searched on its own); 1: every set's, as it did (test_clean_rules compares them). */
extern int literal_index_all;
void	 literal_index_free(struct literal_index *index);
void	 filter_text_set(struct filter_text *view, const char *text, size_t length);
void	 filter_text_free(struct filter_text *view);
int	 prefilter_passes(const struct prefilter *filter, struct filter_text *view);
/* The same where the text's first byte is known to pass (apply_rules: by the rules' lists). */
int	 prefilter_passes_after_first(const struct prefilter *filter, struct filter_text *view);
int	 literal_set_screened(const struct literal_set *set, int ignore_case, const char *text,
	    size_t length);
int	 literal_set_indexed(struct filter_text *view, const struct literal_set *set);
/* Does the text hold a string of each of the filter's "contains" sets? (Its starts unasked.) */
int	 prefilter_contains_passes(const struct prefilter *filter, struct filter_text *view);

/*
 * How many bytes from text on lie in [low, high] (both at most 0x7F: ASCII), 16 at a time
 * with SSE2 (as signed bytes, 0x80-0xFF are below any ASCII low), then one at a time: the
 * cleaner's scans skip runs of plain ASCII with it.
 */
static inline size_t
ascii_span(const char *text, size_t length, unsigned char low, unsigned char high)
{
	const unsigned char *bytes = (const unsigned char *)text;
	size_t at = 0;

#ifdef __SSE2__
	const __m128i below = _mm_set1_epi8((char)(low - 1)), top = _mm_set1_epi8((char)high);

	for (; at + 16 <= length; at += 16) {
		__m128i chunk = _mm_loadu_si128((const __m128i *)(const void *)(bytes + at));
		int inside = _mm_movemask_epi8(_mm_andnot_si128(_mm_cmpgt_epi8(chunk, top),
		    _mm_cmpgt_epi8(chunk, below)));

		if (inside != 0xFFFF)
			return at + (size_t)__builtin_ctz(~(unsigned)inside);
	}
#endif
	while (at < length && bytes[at] >= low && bytes[at] <= high)
		at++;
	return at;
}

/* words.c: words, NFC and white space */
size_t	 count_words(const char *text, size_t length);
/* 1 (the default): count_words reads 64 bytes a step where they are ASCII or general
 * punctuation; 0: one character at a time, as it did (test_clean_words compares them). */
extern int count_words_block_steps;
char	*normalize_nfc(char *text);
/* The same for text of *length bytes (its strlen), the result's length back in *length. */
char	*normalize_nfc_length(char *text, size_t *length);
void	 flatten_newlines(char *text);
size_t	 collapse_spaces(char *text);

/* html_text.c: HTML to paragraphs, reporting what it skips */
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
/* One text node's characters into builder: white space folded, noise dropped. */
void	 builder_add_text(struct text_builder *builder, const char *text, size_t length);
/* 1 (the default): builder_add_text steps over plain prose sixteen or eight bytes at a time;
 * 0: one byte at a time, as it did (the same text: test_text_steps compares them). */
extern int html_text_block_steps;
/* Would the loop, inside a run, step over the eight bytes at `at` (it reads at[0..8])? */
int	 html_plain_block(const unsigned char *at);
/* The same for sixteen bytes (reads at[0..16]): plain_block of at and of at + 8 both. */
int	 html_plain_block16(const unsigned char *at);
/* Could this class value drop its element (a superset: any token, even inside a word)? */
int	 html_class_may_drop(const char *value, size_t length);
/* Valid UTF-8 that libxml2 reads unchanged (html_text.c); markup_allowed 0: no '<' or '&'. */
int	 html_is_parser_safe_utf8(const char *html, size_t length, int markup_allowed);
/* The libxml2 path alone, never the fast one (for the differential test). */
char	*html_to_text_parsed(const char *html, size_t length);
char	*html_to_text_explain(const char *html, size_t length, clean_explain_fn explain,
	    void *explain_context);
/* html_to_text_explain(), the text's length (strlen) in *text_length: measured as written. */
char	*html_to_text_measured(const char *html, size_t length, clean_explain_fn explain,
	    void *explain_context, size_t *text_length);
/* A whole page on this thread's reused parser context; encoding NULL: as the page says. */
struct _xmlDoc *html_parse_page(const char *html, size_t length, const char *encoding);
/* The subtrees of nodes (in order) as paragraphs, NFC; the builder's drops are explained. */
struct _xmlNode;
char	*html_render_nodes(struct _xmlNode *const *nodes, size_t count, clean_explain_fn explain,
	    void *explain_context);
/* All text of a subtree on one line, nothing dropped (for explain and titles). */
char	*html_render_line(struct _xmlNode *node);

/*
 * html_fast.c: the common subset of feed HTML straight into builder, as the libxml2 path
 * would write it; -1 (builder's output then undefined) on anything outside the subset.
 */
int	 html_fast_text(struct text_builder *builder, const char *html, size_t length);

/* paragraphs.c: paragraphs and the rules applied to them */
void	 explain_removal(const struct explain_sink *sink, const char *rule_name, const char *text);
struct paragraphs paragraphs_split(char *text);	/* takes text */
/* The same for text whose length (strlen) the caller knows. */
struct paragraphs paragraphs_split_length(char *text, size_t length);
void	 paragraphs_free(struct paragraphs *list);
/* May take the list's storage (paragraphs_free then frees the rest only). */
char	*paragraphs_join(struct paragraphs *list, const char *separator, size_t *words);
void	 apply_rules(const struct clean_rules *rules, struct paragraphs *list,
	    struct filter_text *view, const struct explain_sink *sink);
/* 1 (the default): apply_rules rules a rule with article_screen out for every paragraph
 * (not rewritten by a strip) when the whole text lacks one of its sets; 0: it asks each
 * paragraph, as it did (test_clean_rules compares both with the reference). */
extern int apply_rules_article_screen;

/* dateline.c: "CITY (AP) —" lifted out of the first paragraphs */
int	 compile_datelines(struct clean_rules *rules);
void	 extract_dateline(const struct clean_rules *rules, struct article *article,
	    struct paragraphs *list, struct filter_text *view, const struct explain_sink *sink);
/* 1 (the default): a dateline's groups are read off regexec's whole match where its shape
 * allows; 0: from regexec's groups always, as it did (test_clean_dateline compares them). */
extern int dateline_groups_by_hand;

/* clean.c */
void	 drop_title_repeat(const char *title, struct paragraphs *list,
	    const struct explain_sink *sink);
char	*clean_title(const char *title_raw);

#endif
