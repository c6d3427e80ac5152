/*
 * robots.c - the robots.txt parser and matcher (see robots.h), written to RFC 9309.
 *
 * The file is read line by line (LF, CR or CRLF; a UTF-8 byte order mark skipped; `#` starts
 * a comment). A group is one or more user-agent lines followed by rules; a user-agent line
 * after a rule (or a Crawl-delay) starts the next group; blank lines do not end a group, and
 * lines before the first user-agent belong to none. Records we do not know (Sitemap, Host,
 * ...) neither end nor start a group. Every group
 * naming our product token is merged into one; only when none does, every `*` group is. Rules
 * keep their pattern percent-normalized (hex digits upper case, bytes outside printable ASCII
 * encoded), and a path is normalized the same way before it is matched.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "robots.h"
#include "util.h"

struct robots_rule {
	char	*pattern;	/* normalized, without a final '$' */
	size_t	 length;	/* of the pattern (with its '$'): the weight of a match */
	int	 allow;
	int	 anchored;	/* ended in '$': must match the whole path */
};

struct rule_set {
	struct robots_rule *rules;
	size_t		 count;
	double		 crawl_delay;	/* -1: none */
};

struct robots {
	struct rule_set	 set;
	int		 disallow_all;
};

/* The parser's view of the group it is in. */
struct parse_state {
	char		 agent[64];	/* our product token, lower case */
	struct rule_set	 ours, any;	/* rules of groups naming us, of `*` groups */
	int		 ours_seen;	/* some group named us (even with no rules) */
	int		 in_group;	/* a user-agent line was seen */
	int		 group_open;	/* the last record was a user-agent line */
	int		 group_ours, group_any;
};

static void
rule_set_clear(struct rule_set *set)
{
	for (size_t i = 0; i < set->count; i++)
		free(set->rules[i].pattern);
	free(set->rules);
	memset(set, 0, sizeof *set);
	set->crawl_delay = -1;
}

static int
hex_digit(int c)
{
	return isxdigit(c) ? 1 : 0;
}

/* Percent-encoding normalized: %xx in upper case, bytes outside 0x21..0x7e encoded. */
static char *
normalize(const char *value, size_t length)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buffer out = { 0 };

	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)value[i];
		char escaped[3] = { '%', hex[c >> 4], hex[c & 15] };
		if (c == '%' && i + 2 < length && hex_digit(value[i + 1]) &&
		    hex_digit(value[i + 2])) {
			escaped[1] = (char)toupper((unsigned char)value[i + 1]);
			escaped[2] = (char)toupper((unsigned char)value[i + 2]);
			buffer_append(&out, escaped, 3);
			i += 2;
		} else if (c <= 0x20 || c >= 0x7f)
			buffer_append(&out, escaped, 3);
		else
			buffer_append(&out, (const char *)&c, 1);
	}
	buffer_append(&out, "", 1);
	return buffer_steal(&out);
}

static void
rule_add(struct rule_set *set, int allow, const char *value, size_t length)
{
	struct robots_rule *rule;
	int anchored = length > 0 && value[length - 1] == '$';

	set->rules = xrealloc(set->rules, (set->count + 1) * sizeof *set->rules);
	rule = &set->rules[set->count++];
	rule->allow = allow;
	rule->anchored = anchored;
	rule->pattern = normalize(value, anchored ? length - 1 : length);
	rule->length = strlen(rule->pattern) + (size_t)anchored;
}

/* The leading [A-Za-z_-] of value, lower case: a user-agent line's product token. */
static void
product_token(const char *value, size_t length, char *token, size_t size)
{
	size_t n = 0;

	while (n < length && n + 1 < size && (isalpha((unsigned char)value[n]) ||
	    value[n] == '_' || value[n] == '-')) {
		token[n] = (char)tolower((unsigned char)value[n]);
		n++;
	}
	token[n] = '\0';
}

static void
on_user_agent(struct parse_state *state, const char *value, size_t length)
{
	char token[64];

	if (!state->group_open)
		state->group_ours = state->group_any = 0;
	state->group_open = 1;
	state->in_group = 1;
	if (length == 1 && value[0] == '*') {
		state->group_any = 1;
		return;
	}
	product_token(value, length, token, sizeof token);
	if (token[0] != '\0' && strcmp(token, state->agent) == 0)
		state->group_ours = state->ours_seen = 1;
}

static void
on_rule(struct parse_state *state, int allow, const char *value, size_t length)
{
	if (!state->in_group)
		return;
	state->group_open = 0;
	if (length == 0)	/* "Disallow:" with no path disallows nothing */
		return;
	if (state->group_ours)
		rule_add(&state->ours, allow, value, length);
	if (state->group_any)
		rule_add(&state->any, allow, value, length);
}

static void
on_crawl_delay(struct parse_state *state, const char *value, size_t length)
{
	char number[32];
	char *end;
	double seconds;

	if (!state->in_group)
		return;
	state->group_open = 0;	/* a member of its group, as a rule is */
	if (length == 0 || length >= sizeof number)
		return;
	memcpy(number, value, length);
	number[length] = '\0';
	seconds = strtod(number, &end);
	if (end == number || *end != '\0' || !(seconds >= 0) || seconds > 86400)
		return;
	if (state->group_ours)
		state->ours.crawl_delay = seconds;
	if (state->group_any)
		state->any.crawl_delay = seconds;
}

static int
key_is(const char *key, size_t length, const char *name)
{
	return strlen(name) == length && strncasecmp(key, name, length) == 0;
}

static void
trim(const char **start, const char **end)
{
	while (*start < *end && (**start == ' ' || **start == '\t'))
		(*start)++;
	while (*end > *start && (isspace((unsigned char)(*end)[-1])))
		(*end)--;
}

/* One line, without its end of line. */
static void
parse_line(struct parse_state *state, const char *line, const char *end)
{
	const char *hash = memchr(line, '#', (size_t)(end - line));
	const char *colon, *key_end, *value;

	if (hash != NULL)
		end = hash;
	if ((colon = memchr(line, ':', (size_t)(end - line))) == NULL)
		return;
	key_end = colon;
	value = colon + 1;
	trim(&line, &key_end);
	trim(&value, &end);
	size_t key_length = (size_t)(key_end - line), length = (size_t)(end - value);
	if (key_is(line, key_length, "user-agent"))
		on_user_agent(state, value, length);
	else if (key_is(line, key_length, "allow"))
		on_rule(state, 1, value, length);
	else if (key_is(line, key_length, "disallow"))
		on_rule(state, 0, value, length);
	else if (key_is(line, key_length, "crawl-delay"))
		on_crawl_delay(state, value, length);
}

static struct robots *
robots_new(void)
{
	struct robots *robots = xcalloc(1, sizeof *robots);

	robots->set.crawl_delay = -1;
	return robots;
}

struct robots *
robots_parse(const char *body, size_t length, const char *agent)
{
	struct parse_state state = { .ours.crawl_delay = -1, .any.crawl_delay = -1 };
	const char *end, *line;
	struct robots *robots = robots_new();

	product_token(agent, strlen(agent), state.agent, sizeof state.agent);
	if (length > ROBOTS_MAX_BYTES)
		length = ROBOTS_MAX_BYTES;
	end = body + length;
	line = body;
	if (length >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (line < end) {
		const char *stop = line;
		while (stop < end && *stop != '\n' && *stop != '\r')
			stop++;
		parse_line(&state, line, stop);
		line = stop + 1;
	}
	robots->set = state.ours_seen ? state.ours : state.any;
	rule_set_clear(state.ours_seen ? &state.any : &state.ours);
	return robots;
}

struct robots *
robots_allow_all(void)
{
	return robots_new();
}

struct robots *
robots_disallow_all(void)
{
	struct robots *robots = robots_new();

	robots->disallow_all = 1;
	return robots;
}

int
robots_disallows_all(const struct robots *robots)
{
	return robots->disallow_all;
}

void
robots_free(struct robots *robots)
{
	if (robots == NULL)
		return;
	rule_set_clear(&robots->set);
	free(robots);
}

/*
 * Does pattern (with `*` for any run of bytes) match the start of path, or all of it when
 * anchored? Greedy with backtracking to the last `*`: linear in practice, and never worse than
 * the product of the two lengths.
 */
static int
pattern_matches(const char *pattern, const char *path, int anchored)
{
	const char *star = NULL, *resume = NULL;

	while (*path != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			resume = path;
		} else if (*pattern == '\0' && !anchored)
			return 1;
		else if (*pattern != '\0' && *pattern == *path) {
			pattern++;
			path++;
		} else if (star != NULL) {
			pattern = star + 1;
			path = ++resume;
		} else
			return 0;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

int
robots_allowed(const struct robots *robots, const char *path)
{
	const struct robots_rule *best = NULL;
	char *normalized;

	if (robots->disallow_all)
		return 0;
	if (path == NULL || path[0] == '\0')
		path = "/";
	if (strcmp(path, "/robots.txt") == 0)
		return 1;
	normalized = normalize(path, strlen(path));
	for (size_t i = 0; i < robots->set.count; i++) {
		const struct robots_rule *rule = &robots->set.rules[i];
		if (best != NULL && (rule->length < best->length ||
		    (rule->length == best->length && !rule->allow)))
			continue;
		if (pattern_matches(rule->pattern, normalized, rule->anchored))
			best = rule;
	}
	free(normalized);
	return best == NULL || best->allow;
}

double
robots_crawl_delay(const struct robots *robots)
{
	return robots->set.crawl_delay;
}

size_t
robots_rule_count(const struct robots *robots)
{
	return robots->set.count;
}
