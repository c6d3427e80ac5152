/*
 * rules.c - the boilerplate rule set: the built-in rules, then a rules file
 * (conf/rules/boilerplate.rules documents the format) that adds to them, replaces one by using
 * its name, or disables one. Patterns are POSIX extended regular expressions, each given a
 * prefilter when loaded; the literal index of all filters is built once every rule is in, and
 * each rule marked when an article can be screened for it as a whole (paragraphs.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "clean_internal.h"

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

static void
second_byte_add(uint8_t *second, int byte)
{
	second[byte >> 3] |= (uint8_t)(1u << (byte & 7));
}

/*
 * The second bytes a text starting with byte first may have for the filter's "starts"
 * literals to allow it (every byte when it has none, or one of one byte), as bits.
 */
static void
gate_second_bytes(const struct prefilter *filter, unsigned first, uint8_t *second)
{
	const struct literal_set *starts = &filter->starts;
	int any = starts->count == 0;

	memset(second, 0, 32);
	for (size_t i = 0; i < starts->count && !any; i++) {
		const unsigned char *literal = (const unsigned char *)starts->strings[i];

		if (starts->lengths[i] < 2) {
			any = 1;
			break;
		}
		if (filter->ignore_case ? tolower(literal[0]) != tolower((int)first) :
		    literal[0] != first)
			continue;
		/* the bytes equal to literal[1] (ignoring ASCII case: its two cases) */
		second_byte_add(second, filter->ignore_case ? tolower(literal[1]) : literal[1]);
		if (filter->ignore_case)
			second_byte_add(second, toupper(tolower(literal[1])));
	}
	if (any)
		memset(second, 0xff, 32);
}

static int
gate_is_shut(const struct rule_gate *gate)
{
	for (size_t i = 0; i < sizeof gate->second; i++)
		if (gate->second[i] != 0)
			return 0;
	return 1;
}

/* A kind's rules by the first bytes their prefilters let a paragraph start with, as gates. */
static void
group_first_bytes(struct clean_rules *rules, enum rule_kind kind)
{
	uint32_t filled = 0;

	rules->first_byte_rules[kind] = xcalloc(256 * rules->of_kind_count[kind] + 1,
	    sizeof *rules->first_byte_rules[kind]);
	for (unsigned byte = 0; byte < 256; byte++) {
		rules->first_byte_start[kind][byte] = filled;
		for (size_t k = 0; k < rules->of_kind_count[kind]; k++) {
			const struct clean_rule *rule = &rules->rules[rules->of_kind[kind][k]];
			struct rule_gate *gate = &rules->first_byte_rules[kind][filled];

			if (rule->filter.has_first && !rule->filter.first_bytes[byte])
				continue;
			gate->max_words = rule->max_words;
			gate->first = rule->first;
			gate->last = rule->last;
			gate->position = (uint32_t)k;
			gate_second_bytes(&rule->filter, byte, gate->second);
			filled += !gate_is_shut(gate);	/* no text starting so can match */
		}
	}
	rules->first_byte_start[kind][256] = filled;
}

/* Each kind's rules in file order, once all are in: a paragraph is walked past its kind's
 * rules only (apply_rules). */
static void
group_kinds(struct clean_rules *rules)
{
	for (int kind = 0; kind < RULE_KINDS; kind++) {
		rules->of_kind[kind] = xcalloc(rules->count + 1, sizeof *rules->of_kind[kind]);
		rules->of_kind_count[kind] = 0;
	}
	for (size_t i = 0; i < rules->count; i++) {
		enum rule_kind kind = rules->rules[i].kind;

		rules->of_kind[kind][rules->of_kind_count[kind]++] = i;
	}
	for (int kind = 0; kind < RULE_KINDS; kind++)
		group_first_bytes(rules, (enum rule_kind)kind);
}

/*
 * Can the rule be ruled out for a whole article at once (clean_rule.article_screen)? When its
 * filter is "contains" sets only, each searched by its anchors (a scan of the whole text
 * costs what the paragraphs' scans do; the index's would cost more), and no string holds a
 * line break, which would let it span two paragraphs.
 */
static int
rule_article_screen(const struct clean_rule *rule)
{
	const struct prefilter *filter = &rule->filter;

	if (filter->contains_count == 0 || filter->starts.count > 0 || rule->max_words != 0 ||
	    rule->first != 0 || rule->last != 0)
		return 0;	/* limited to some paragraphs: theirs are fewer bytes to scan */
	for (size_t i = 0; i < filter->contains_count; i++) {
		const struct literal_set *set = &filter->contains[i];

		if (set->anchor_count == 0)
			return 0;
		for (size_t k = 0; k < set->count; k++)
			if (memchr(set->strings[k], '\n', set->lengths[k]) != NULL)
				return 0;
	}
	return 1;
}

/* The literal index, then which rules an article is screened for, once all rules are in. */
static void
rules_finish(struct clean_rules *rules)
{
	group_kinds(rules);
	literal_index_build(rules);
	for (size_t i = 0; i < rules->count; i++)
		rules->rules[i].article_screen = rule_article_screen(&rules->rules[i]);
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
		rules_finish(rules);
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
	rules_finish(rules);
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
	for (int kind = 0; kind < RULE_KINDS; kind++) {
		free(rules->of_kind[kind]);
		free(rules->first_byte_rules[kind]);
	}
	free(rules);
}
