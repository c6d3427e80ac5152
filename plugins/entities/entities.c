/*
 * entities.c - the "entities" tagger plugin: people, organisations, places and other named
 * things mentioned in an article's title and text, with how often each is mentioned.
 *
 * Known names come from gazetteers (conf/gazetteers/: one name per line per type, plus an
 * aliases file mapping other spellings to a name).  Each name is split into case-folded
 * words and indexed by its first word, so matching a text is one hash look-up per
 * capitalized word followed by a comparison of the few candidate names starting there,
 * longest first.  Capitalized phrases of 2-4 words that no gazetteer knows are reported too,
 * typed "person" after a title (President, spokesman, ...), "organization" or "place" from
 * their last word (Ministry, Airport, ...), else "other".  Once a person's full name has been
 * seen, a mention of the surname alone counts for that person.
 *
 * Every word the plugin knows something about (a stop word, a title, a name ending, the first
 * word of a known name) has one entry in a lexicon, so a token costs one hash look-up, not a
 * walk through the word lists.
 *
 * Thread-compatible: all it changes while processing is in its own state (one instance per
 * thread); the word lists are const.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "plugin_api.h"
#include "../words.h"

#define TOKEN_BYTES		64	/* a case-folded word, truncated */
#define UNKNOWN_MAX_WORDS	4

struct known_name {
	char		*name;		/* display form, "Donald Trump" */
	const char	*type;		/* static: "person", "organization", "place", "other" */
};

/* One way of writing a known name, split into folded words. */
struct pattern {
	char		**words;
	unsigned char	 *upper_only;	/* word must be written in capitals in the text ("US") */
	size_t		  word_count;
	size_t		  name_index;
};

/* The patterns starting with one folded word, longest first. */
struct candidates {
	size_t	*patterns;
	size_t	 count;
};

/* What a folded word is, from the word lists below: WORD_* bits. */
enum {
	WORD_STOP = 1,			/* ends a capitalized phrase */
	WORD_CONNECTOR = 2,		/* may join the words of a name */
	WORD_TITLE = 4,			/* a title or role */
	WORD_ORGANIZATION_END = 8,	/* a phrase ending so is an organisation */
	WORD_PLACE_END = 16		/* ... a place */
};

/* One folded word the plugin knows something about. */
struct lexicon_entry {
	unsigned		 classes;	/* WORD_* */
	struct candidates	 candidates;	/* known names starting with it */
};

struct entities_state {
	/* options */
	char	*people_path;
	char	*organizations_path;
	char	*places_path;
	char	*other_path;
	char	*aliases_path;
	int	 detect_unknown;
	/* loaded */
	struct known_name *names;
	size_t	 name_count;
	struct word_table names_by_display;	/* display name -> index + 1 */
	struct pattern *patterns;
	size_t	 pattern_count;
	struct word_table patterns_by_key;	/* folded words joined by ' ' -> index + 1 */
	struct word_table lexicon;		/* folded word -> struct lexicon_entry */
	/* scratch, reused from article to article */
	struct type_info *types;	/* of each token type of the article */
	size_t		 type_capacity;
};

static const struct ws_option entities_options[] = {
	{ "people", "gazetteers/people.txt", "names of people, one a line",
	    WS_OPTION_PATH, offsetof(struct entities_state, people_path) },
	{ "organizations", "gazetteers/organizations.txt", "names of organisations",
	    WS_OPTION_PATH, offsetof(struct entities_state, organizations_path) },
	{ "places", "gazetteers/places.txt", "names of places",
	    WS_OPTION_PATH, offsetof(struct entities_state, places_path) },
	{ "other", "gazetteers/other.txt", "agreements, events and other named things",
	    WS_OPTION_PATH, offsetof(struct entities_state, other_path) },
	{ "aliases", "gazetteers/aliases.txt", "ALIAS = NAME lines",
	    WS_OPTION_PATH, offsetof(struct entities_state, aliases_path) },
	{ "detect_unknown", "yes", "also report capitalized phrases no gazetteer knows",
	    WS_OPTION_BOOL, offsetof(struct entities_state, detect_unknown) },
	{ NULL, NULL, NULL, 0, 0 }
};

/* Words that end a capitalized phrase rather than belong to a name (folded). */
static const char *const stop_words[] = {
	"a", "about", "according", "after", "also", "although", "an", "and", "any", "as", "at",
	"because", "before", "both", "but", "by", "despite", "during", "each", "even", "for",
	"from", "he", "her", "here", "his", "how", "however", "i", "if", "in", "indeed", "into",
	"is", "it", "its", "just", "many", "meanwhile", "more", "most", "my", "no", "not", "now",
	"on", "one", "or", "our", "read", "said", "says", "she", "since", "so", "some", "still",
	"such", "that", "the", "their", "then", "there", "these", "they", "this", "those",
	"though", "to", "two", "was", "we", "what", "when", "where", "which", "while", "who",
	"why", "with", "yet", "you", "your",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "may", "june", "july", "august", "september",
	"october", "november", "december",
};

/* Lower-case words allowed inside a name: "Islamic Emirate of Afghanistan", "bin Laden". */
static const char *const connector_words[] = {
	"al", "bin", "da", "das", "de", "del", "der", "dos", "du", "el", "ibn", "la", "le", "of",
	"van", "von",
};

/* Titles and roles: before a name they make it a person; inside a phrase they are dropped. */
static const char *const title_words[] = {
	"admiral", "ambassador", "analyst", "ayatollah", "bishop", "captain", "cardinal", "ceo",
	"chairman", "chairwoman", "chancellor", "chief", "col", "colonel", "commander",
	"correspondent", "defence", "defense", "deputy", "dr", "editor", "emir", "envoy",
	"fellow", "foreign", "founder", "gen", "general", "governor", "imam", "interior",
	"journalist", "judge", "king", "leader", "lieutenant", "marshal", "mawlawi", "mayor",
	"minister", "mr", "mrs", "ms", "mullah", "official", "pope", "premier", "president",
	"prime", "prince", "princess", "professor", "queen", "rep", "reporter", "secretary",
	"sen", "senator", "senior", "sergeant", "sheikh", "spokesman", "spokesperson",
	"spokeswoman", "vice",
};

static const char *const organization_endings[] = {
	"agency", "army", "assembly", "association", "authority", "bank", "club", "command",
	"commission", "committee", "company", "corp", "corporation", "council", "court",
	"department", "federation", "forces", "foundation", "front", "group", "guard", "inc",
	"institute", "journal", "league", "ltd", "militia", "ministry", "movement", "network",
	"news", "office", "organisation", "organization", "parliament", "party", "police", "post",
	"radio", "service", "times", "tv", "union", "university",
};

static const char *const place_endings[] = {
	"airbase", "airfield", "airport", "avenue", "base", "bay", "bridge", "city", "county",
	"desert", "district", "gate", "island", "islands", "lake", "mountains", "ocean", "port",
	"province", "region", "river", "sea", "square", "strait", "street", "valley",
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* ---- the lexicon ---- */

static void
lexicon_entry_free(void *value)
{
	struct lexicon_entry *entry = value;

	if (entry != NULL)
		free(entry->candidates.patterns);
	free(entry);
}

/* The entry of a folded word, added when new; NULL when out of memory. */
static struct lexicon_entry *
lexicon_entry(struct entities_state *state, const char *folded)
{
	void **slot = word_table_insert(&state->lexicon, folded);

	if (slot == NULL)
		return NULL;
	if (*slot == NULL)
		*slot = calloc(1, sizeof(struct lexicon_entry));
	return *slot;
}

static int
lexicon_add_class(struct entities_state *state, const char *const *words, size_t count,
    unsigned word_class)
{
	for (size_t i = 0; i < count; i++) {
		struct lexicon_entry *entry = lexicon_entry(state, words[i]);

		if (entry == NULL)
			return -1;
		entry->classes |= word_class;
	}
	return 0;
}

static int
lexicon_load_classes(struct entities_state *state)
{
	return lexicon_add_class(state, stop_words, COUNT_OF(stop_words), WORD_STOP) |
	    lexicon_add_class(state, connector_words, COUNT_OF(connector_words),
	    WORD_CONNECTOR) |
	    lexicon_add_class(state, title_words, COUNT_OF(title_words), WORD_TITLE) |
	    lexicon_add_class(state, organization_endings, COUNT_OF(organization_endings),
	    WORD_ORGANIZATION_END) |
	    lexicon_add_class(state, place_endings, COUNT_OF(place_endings), WORD_PLACE_END);
}

/* ---- loading the gazetteers ---- */

static void
pattern_free(struct pattern *pattern)
{
	for (size_t i = 0; i < pattern->word_count; i++)
		free(pattern->words[i]);
	free(pattern->words);
	free(pattern->upper_only);
}

/* Split a name into folded words; 0 words when it has none. */
static int
pattern_build(struct pattern *pattern, const char *surface)
{
	size_t length = strlen(surface), position = 0;
	struct word word;
	char folded[TOKEN_BYTES];

	memset(pattern, 0, sizeof(*pattern));
	while (words_next(surface, length, &position, &word)) {
		char **words = realloc(pattern->words, (pattern->word_count + 1) * sizeof(char *));
		unsigned char *upper = realloc(pattern->upper_only, pattern->word_count + 1);

		if (words != NULL)
			pattern->words = words;
		if (upper != NULL)
			pattern->upper_only = upper;
		if (words == NULL || upper == NULL)
			return -1;
		words_fold(surface + word.start, word.end - word.start, folded, sizeof(folded));
		if ((pattern->words[pattern->word_count] = strdup(folded)) == NULL)
			return -1;
		pattern->upper_only[pattern->word_count] = (unsigned char)word.all_upper;
		pattern->word_count++;
	}
	return 0;
}

static char *
pattern_key(const struct pattern *pattern)
{
	size_t length = 1;
	char *key;

	for (size_t i = 0; i < pattern->word_count; i++)
		length += strlen(pattern->words[i]) + 1;
	if ((key = malloc(length)) == NULL)
		return NULL;
	key[0] = '\0';
	for (size_t i = 0; i < pattern->word_count; i++) {
		if (i > 0)
			strcat(key, " ");
		strcat(key, pattern->words[i]);
	}
	return key;
}

/* Index the pattern under its first word, keeping each list longest first. */
static int
candidates_add(struct entities_state *state, size_t pattern_index)
{
	const struct pattern *pattern = &state->patterns[pattern_index];
	struct lexicon_entry *entry = lexicon_entry(state, pattern->words[0]);
	struct candidates *list;
	size_t *grown, at;

	if (entry == NULL)
		return -1;
	list = &entry->candidates;
	if ((grown = realloc(list->patterns, (list->count + 1) * sizeof(size_t))) == NULL)
		return -1;
	list->patterns = grown;
	at = list->count;
	while (at > 0 && state->patterns[list->patterns[at - 1]].word_count < pattern->word_count) {
		list->patterns[at] = list->patterns[at - 1];
		at--;
	}
	list->patterns[at] = pattern_index;
	list->count++;
	return 0;
}

/*
 * Add a way of writing name_index.  A spelling already known for the same name is
 * ignored; one already known for another name is an error.
 */
static int
pattern_add(struct entities_state *state, const char *surface, size_t name_index,
    const char *file, int line, char *error, size_t error_size)
{
	struct pattern pattern;
	void **slot;
	char *key;

	if (pattern_build(&pattern, surface) == -1 || pattern.word_count == 0) {
		pattern_free(&pattern);
		snprintf(error, error_size, "%s:%d: no words in \"%s\"", file, line, surface);
		return -1;
	}
	pattern.name_index = name_index;
	if ((key = pattern_key(&pattern)) == NULL ||
	    (slot = word_table_insert(&state->patterns_by_key, key)) == NULL) {
		free(key);
		pattern_free(&pattern);
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	free(key);
	if (*slot != NULL) {
		size_t known = state->patterns[(size_t)*slot - 1].name_index;

		pattern_free(&pattern);
		if (known == name_index)
			return 0;
		snprintf(error, error_size, "%s:%d: \"%s\" already stands for %s", file, line,
		    surface, state->names[known].name);
		return -1;
	}
	struct pattern *grown = realloc(state->patterns,
	    (state->pattern_count + 1) * sizeof(*state->patterns));

	if (grown == NULL) {
		pattern_free(&pattern);
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	state->patterns = grown;
	state->patterns[state->pattern_count] = pattern;
	*slot = (void *)(state->pattern_count + 1);
	state->pattern_count++;
	if (candidates_add(state, state->pattern_count - 1) == -1) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	return 0;
}

/* The index of a display name, adding it when new. */
static int
name_add(struct entities_state *state, const char *name, const char *type, size_t *index)
{
	void **slot = word_table_insert(&state->names_by_display, name);
	struct known_name *grown;

	if (slot == NULL)
		return -1;
	if (*slot != NULL) {
		*index = (size_t)*slot - 1;
		return 0;
	}
	grown = realloc(state->names, (state->name_count + 1) * sizeof(*state->names));
	if (grown == NULL)
		return -1;
	state->names = grown;
	if ((state->names[state->name_count].name = strdup(name)) == NULL)
		return -1;
	state->names[state->name_count].type = type;
	*index = state->name_count++;
	*slot = (void *)(*index + 1);
	return 0;
}

static int
gazetteer_load(struct entities_state *state, const char *path, const char *type, char *error,
    size_t error_size)
{
	FILE *file = fopen(path, "r");
	char *buffer = NULL, *line;
	size_t buffer_size = 0, index;
	int line_number = 0, result = 0;

	if (file == NULL) {
		snprintf(error, error_size, "cannot open gazetteer %s: %m", path);
		return -1;
	}
	while (result == 0 && (line = words_read_line(file, &buffer, &buffer_size,
	    &line_number)) != NULL) {
		if (name_add(state, line, type, &index) == -1) {
			snprintf(error, error_size, "out of memory");
			result = -1;
		} else
			result = pattern_add(state, line, index, path, line_number, error,
			    error_size);
	}
	free(buffer);
	fclose(file);
	return result;
}

static int
aliases_load(struct entities_state *state, const char *path, char *error, size_t error_size)
{
	FILE *file = fopen(path, "r");
	char *buffer = NULL, *line;
	size_t buffer_size = 0;
	int line_number = 0, result = 0;

	if (file == NULL) {
		snprintf(error, error_size, "cannot open aliases %s: %m", path);
		return -1;
	}
	while (result == 0 && (line = words_read_line(file, &buffer, &buffer_size,
	    &line_number)) != NULL) {
		char *equals = strchr(line, '='), *alias_end, *name;
		void **known;

		if (equals == NULL) {
			snprintf(error, error_size, "%s:%d: expected ALIAS = NAME", path,
			    line_number);
			result = -1;
			break;
		}
		for (alias_end = equals; alias_end > line && alias_end[-1] == ' '; alias_end--)
			;
		*alias_end = '\0';
		for (name = equals + 1; *name == ' ' || *name == '\t'; name++)
			;
		if ((known = word_table_find(&state->names_by_display, name)) == NULL) {
			snprintf(error, error_size, "%s:%d: %s is in no gazetteer", path,
			    line_number, name);
			result = -1;
			break;
		}
		result = pattern_add(state, line, (size_t)*known - 1, path, line_number, error,
		    error_size);
	}
	free(buffer);
	fclose(file);
	return result;
}

static void entities_fini(void *state_pointer);

static int
entities_init(void *state_pointer, char *error, size_t error_size)
{
	struct entities_state *state = state_pointer;
	const struct { const char *path, *type; } gazetteers[] = {
		{ state->people_path, "person" },
		{ state->organizations_path, "organization" },
		{ state->places_path, "place" },
		{ state->other_path, "other" },
	};

	if (lexicon_load_classes(state) == -1) {
		snprintf(error, error_size, "out of memory");
		entities_fini(state);
		return -1;
	}
	for (size_t i = 0; i < COUNT_OF(gazetteers); i++) {
		if (gazetteers[i].path == NULL)
			continue;
		if (gazetteer_load(state, gazetteers[i].path, gazetteers[i].type, error,
		    error_size) == -1) {
			entities_fini(state);
			return -1;
		}
	}
	if (state->aliases_path != NULL &&
	    aliases_load(state, state->aliases_path, error, error_size) == -1) {
		entities_fini(state);
		return -1;
	}
	return 0;
}

static void
entities_fini(void *state_pointer)
{
	struct entities_state *state = state_pointer;

	for (size_t i = 0; i < state->name_count; i++)
		free(state->names[i].name);
	free(state->names);
	for (size_t i = 0; i < state->pattern_count; i++)
		pattern_free(&state->patterns[i]);
	free(state->patterns);
	word_table_free(&state->names_by_display, NULL);
	word_table_free(&state->patterns_by_key, NULL);
	word_table_free(&state->lexicon, lexicon_entry_free);
	free(state->types);
	state->types = NULL;
	state->type_capacity = 0;
	state->names = NULL;
	state->patterns = NULL;
	state->name_count = state->pattern_count = 0;
}

/* ---- matching a text ---- */

/*
 * What the words written alike (an ABI-2 token type) are.  Most words are lower-case words no
 * name involves: a type is folded and looked up in the lexicon only when the matching asks
 * (token_at), once per article.
 */
struct type_info {
	int		 prepared;		/* folded and entry are set */
	const struct lexicon_entry *entry;	/* NULL: a word the lexicon does not know */
	char		 folded[TOKEN_BYTES];
};

/* The line being scanned and its tokens (offsets into text). */
struct line {
	const struct entities_state *state;
	const char	*text;
	const struct ws_token *tokens;
	size_t		 count;
	struct type_info *types;
};

/* What token at is, folded and looked up. */
static const struct type_info *
token_at(struct line *line, size_t at)
{
	const struct ws_token *token = &line->tokens[at];
	struct type_info *info = &line->types[token->type];
	void **entry;

	if (!info->prepared) {
		words_fold(line->text + token->start, token->end - token->start, info->folded,
		    TOKEN_BYTES);
		entry = word_table_find(&line->state->lexicon, info->folded);
		info->entry = entry != NULL ? *entry : NULL;
		info->prepared = 1;
	}
	return info;
}

static int
token_is(struct line *line, size_t at, unsigned word_class)
{
	const struct type_info *info = token_at(line, at);

	return info->entry != NULL && (info->entry->classes & word_class) != 0;
}

/* Mentions found in one article, in order of first mention. */
struct tally {
	struct tally_entry {
		char		*name;
		uint64_t	 hash;		/* words_hash(name): compared before the names */
		const char	*type;
		int		 count;
	}	*entries;
	size_t	 count;
	/* surnames of the people seen so far: folded last word -> entry index + 1 */
	struct word_table surnames;
};

static void
tally_add(struct tally *tally, const char *name, const char *type)
{
	struct tally_entry *grown;
	uint64_t hash = words_hash(name);

	for (size_t i = 0; i < tally->count; i++) {
		if (tally->entries[i].hash == hash && strcmp(tally->entries[i].name, name) == 0) {
			tally->entries[i].count++;
			return;
		}
	}
	grown = realloc(tally->entries, (tally->count + 1) * sizeof(*tally->entries));
	if (grown == NULL)
		return;
	tally->entries = grown;
	if ((grown[tally->count].name = strdup(name)) == NULL)
		return;
	grown[tally->count].hash = hash;
	grown[tally->count].type = type;
	grown[tally->count].count = 1;
	tally->count++;
	if (strcmp(type, "person") == 0) {
		const char *last_space = strrchr(name, ' ');
		char folded[TOKEN_BYTES];
		void **slot;

		if (last_space == NULL)
			return;
		words_fold(last_space + 1, strlen(last_space + 1), folded, sizeof(folded));
		if (word_table_find(&tally->surnames, folded) == NULL &&
		    (slot = word_table_insert(&tally->surnames, folded)) != NULL)
			*slot = (void *)tally->count;
	}
}

static void
tally_free(struct tally *tally)
{
	for (size_t i = 0; i < tally->count; i++)
		free(tally->entries[i].name);
	free(tally->entries);
	word_table_free(&tally->surnames, NULL);
}

/* A capitalized or all-capitals word, or a number: what a known name can start with. */
static int
starts_name(const struct line *line, size_t at)
{
	const struct ws_token *token = &line->tokens[at];
	unsigned char first = (unsigned char)line->text[token->start];

	return token->capitalized || token->all_upper || (first >= '0' && first <= '9');
}

/* The longest known name written at token at; -1 when none. */
static long
match_known(struct line *line, size_t at)
{
	const struct entities_state *state = line->state;
	const struct candidates *list;

	if (!starts_name(line, at) || token_at(line, at)->entry == NULL)
		return -1;
	list = &token_at(line, at)->entry->candidates;
	for (size_t i = 0; i < list->count; i++) {
		const struct pattern *pattern = &state->patterns[list->patterns[i]];
		size_t k;

		if (at + pattern->word_count > line->count)
			continue;
		for (k = 0; k < pattern->word_count; k++) {
			const struct type_info *info = token_at(line, at + k);

			if (strcmp(info->folded, pattern->words[k]) != 0)
				break;
			if (pattern->upper_only[k] && !line->tokens[at + k].all_upper)
				break;
		}
		if (k == pattern->word_count)
			return (long)list->patterns[i];
	}
	return -1;
}

static const char *
guess_type(struct line *line, size_t first, size_t last, int after_title)
{
	const char *first_word = token_at(line, first)->folded;

	if (after_title)
		return "person";
	if (token_is(line, last, WORD_ORGANIZATION_END) ||
	    strcmp(first_word, "ministry") == 0 || strcmp(first_word, "university") == 0 ||
	    strcmp(first_word, "department") == 0)
		return "organization";
	if (token_is(line, last, WORD_PLACE_END))
		return "place";
	return "other";
}

/*
 * A run of capitalized words that no gazetteer knows, tokens [first, end): drop titles,
 * stop words and connectors at its edges; count a single remaining word for the person
 * whose surname it is, report 2-4 words (when detecting) under their own spelling.
 */
static void
unknown_report(struct tally *tally, struct line *line, size_t first, size_t end, int detect)
{
	const struct ws_token *tokens = line->tokens;
	int after_title = first > 0 && token_is(line, first - 1, WORD_TITLE);
	size_t words = 0;
	char name[256];
	size_t length;
	void **surname;

	while (first < end && token_is(line, first, WORD_TITLE | WORD_STOP | WORD_CONNECTOR)) {
		after_title |= token_is(line, first, WORD_TITLE);
		first++;
	}
	while (end > first && token_is(line, end - 1, WORD_STOP | WORD_CONNECTOR | WORD_TITLE))
		end--;
	if (first == end)
		return;
	if (end - first == 1) {
		surname = word_table_find(&tally->surnames, token_at(line, first)->folded);
		if (surname != NULL)
			tally->entries[(size_t)*surname - 1].count++;
		return;
	}
	for (size_t i = first; i < end; i++) {
		if (token_is(line, i, WORD_STOP | WORD_TITLE))
			return;
		if (!token_is(line, i, WORD_CONNECTOR))
			words++;
	}
	if (!detect || words < 2 || words > UNKNOWN_MAX_WORDS)
		return;
	length = tokens[end - 1].end - tokens[first].start;
	if (length >= sizeof(name))
		return;
	memcpy(name, line->text + tokens[first].start, length);
	name[length] = '\0';
	tally_add(tally, name, guess_type(line, first, end - 1, after_title));
}

/* Where a run of capitalized words starting at token first ends (exclusive). */
static size_t
run_end(struct line *line, size_t first)
{
	const struct ws_token *tokens = line->tokens;
	size_t end = first + 1;

	while (end < line->count && !tokens[end].after_punctuation) {
		if (tokens[end].capitalized) {
			if (match_known(line, end) >= 0)
				break;
			end++;
		} else if (token_is(line, end, WORD_CONNECTOR) && end + 1 < line->count &&
		    tokens[end + 1].capitalized && !tokens[end + 1].after_punctuation)
			end++;
		else
			break;
	}
	return end;
}

/* A headline-like line ("Also Read: Trump's Bold Push to ...") capitalizes most words. */
static int
is_title_case(const struct ws_token *tokens, size_t count)
{
	size_t capitalized = 0;

	for (size_t i = 0; i < count; i++)
		capitalized += tokens[i].capitalized;
	return count >= 4 && capitalized * 10 > count * 6;
}

/* One paragraph (or the title), its tokens: known names, then unknown capitalized phrases. */
static void
scan_line(struct line *line, struct tally *tally, int detect)
{
	const struct entities_state *state = line->state;
	size_t at = 0;

	if (is_title_case(line->tokens, line->count))
		detect = 0;
	while (at < line->count) {
		long pattern = starts_name(line, at) ? match_known(line, at) : -1;

		if (pattern >= 0) {
			const struct pattern *found = &state->patterns[pattern];
			const struct known_name *known = &state->names[found->name_index];

			tally_add(tally, known->name, known->type);
			at += found->word_count;
		} else if (line->tokens[at].capitalized) {
			size_t end = run_end(line, at);

			unknown_report(tally, line, at, end, detect);
			at = end;
		} else
			at++;
	}
}

/* Whether a newline separates the bytes [from, to) (a few spaces or signs between words). */
static int
has_newline(const char *text, size_t from, size_t to)
{
	for (; from < to; from++)
		if (text[from] == '\n')
			return 1;
	return 0;
}

/* Each line of a text on its own (a paragraph, or the title): the tokens between newlines. */
static void
scan_text(struct entities_state *state, struct tally *tally, const struct ws_token_text *text,
    int detect)
{
	struct line line = { state, text->text, text->tokens, 0, state->types };
	size_t first = 0;

	for (size_t i = 1; i <= text->count; i++) {
		const struct ws_token *previous = &text->tokens[i - 1];

		if (i < text->count && !has_newline(text->text, previous->end,
		    text->tokens[i].start))
			continue;
		line.tokens = text->tokens + first;
		line.count = i - first;
		scan_line(&line, tally, detect);
		first = i;
	}
}

/* state->types ready for the article's token types, none prepared; -1 when out of memory. */
static int
types_reset(struct entities_state *state, size_t count)
{
	if (state->type_capacity < count) {
		struct type_info *grown = realloc(state->types, count * sizeof(*grown));

		if (grown == NULL)
			return -1;
		state->types = grown;
		state->type_capacity = count;
	}
	for (size_t i = 0; i < count; i++)
		state->types[i].prepared = 0;
	return 0;
}

static int
entities_process(void *state_pointer, struct article *article, const struct ws_tokens *tokens)
{
	struct entities_state *state = state_pointer;
	struct tally tally;

	if (types_reset(state, tokens->type_count) == -1)
		return -1;
	memset(&tally, 0, sizeof(tally));
	/* Titles are often in Title Case: only known names are taken from them. */
	scan_text(state, &tally, &tokens->title, 0);
	scan_text(state, &tally, &tokens->text, state->detect_unknown);
	for (size_t i = 0; i < tally.count; i++)
		article_add_entity(article, tally.entries[i].name, tally.entries[i].type,
		    tally.entries[i].count);
	tally_free(&tally);
	return 0;
}

static const struct ws_plugin entities_plugin = {
	.abi = WS_PLUGIN_ABI,
	.name = "entities",
	.description = "people, organisations and places from gazetteers and capitalization",
	.options = entities_options,
	.state_size = sizeof(struct entities_state),
	.init = entities_init,
	.fini = entities_fini,
	.process_tokens = entities_process,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &entities_plugin;
}
