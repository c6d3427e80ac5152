/*
 * gazetteer.c - the entities plugin's known words: the word lists (stop words, connectors,
 * titles, groups of people, name endings) and the gazetteers of names with their aliases,
 * loaded into one lexicon of folded words (a word_table while loading), then compiled
 * (lexicon_compile) into what entities.c matches texts against: every word of the lists and
 * of the names has a lexicon id, an entry in a dense array, and a slot in a compact hash
 * table; a known name's ways of writing are listed under its first word's entry with their
 * words as ids, so matching compares ids, not strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entities.h"

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
	"chairman", "chairwoman", "chancellor", "chief", "coach", "col", "colonel", "commander",
	"commissioner", "correspondent", "councillor", "councilor", "defence", "defense",
	"deputy", "detective", "director", "dr", "editor", "emir", "envoy", "fellow", "foreign",
	"founder", "gen", "general", "goalkeeper", "governor", "imam", "inspector", "interior",
	"journalist", "judge", "king", "leader", "librarian", "lieutenant", "manager",
	"marshal", "mawlawi", "mayor", "midfielder", "minister", "mr", "mrs", "ms", "mullah",
	"official", "pope", "premier", "president", "prime", "prince", "princess", "professor",
	"queen", "rep", "reporter", "secretary", "sen", "senator", "senior", "sergeant",
	"sheikh", "spokesman", "spokesperson", "spokeswoman", "striker", "superintendent",
	"vice",
};

/* Groups of people a sentence starts with ("Residents of Fenmoor ..."): never a name's start. */
static const char *const group_words[] = {
	"authorities", "campaigners", "citizens", "critics", "engineers", "experts", "families",
	"fans", "farmers", "firefighters", "locals", "officials", "people", "police",
	"protesters", "rescuers", "residents", "soldiers", "students", "supporters", "troops",
	"villagers", "voters", "witnesses", "workers",
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
	"desert", "district", "gate", "gulf", "island", "islands", "lake", "mountains", "ocean", "port",
	"province", "region", "river", "sea", "square", "strait", "street", "valley",
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* ---- the lexicon ---- */

/* A folded word of the lexicon while the gazetteers load: the value of state->lexicon. */
struct lexicon_word {
	unsigned	 classes;	/* WORD_* */
	uint32_t	 id;		/* once compiled */
	size_t		*patterns;	/* the known names starting with it, longest first */
	size_t		 count;
};

static void
lexicon_word_free(void *value)
{
	struct lexicon_word *word = value;

	if (word != NULL)
		free(word->patterns);
	free(word);
}

/* The entry of a folded word, added when new; NULL when out of memory. */
static struct lexicon_word *
lexicon_entry(struct entities_state *state, const char *folded)
{
	void **slot = word_table_insert(&state->lexicon, folded);

	if (slot == NULL)
		return NULL;
	if (*slot == NULL)
		*slot = calloc(1, sizeof(struct lexicon_word));
	return *slot;
}

static int
lexicon_add_class(struct entities_state *state, const char *const *words, size_t count,
    unsigned word_class)
{
	for (size_t i = 0; i < count; i++) {
		struct lexicon_word *entry = lexicon_entry(state, words[i]);

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
	    lexicon_add_class(state, place_endings, COUNT_OF(place_endings), WORD_PLACE_END) |
	    lexicon_add_class(state, group_words, COUNT_OF(group_words), WORD_GROUP);
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
	struct lexicon_word *list = lexicon_entry(state, pattern->words[0]);
	size_t *grown, at;

	if (list == NULL)
		return -1;
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
	state->names[state->name_count].hash = words_hash(name);
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

/* ---- the lexicon compiled ---- */

/* The id of a folded word of the lexicon (0 when it has none: not after lexicon_compile). */
static uint32_t
lexicon_id(const struct entities_state *state, const char *folded)
{
	void **slot = word_table_find(&state->lexicon, folded);

	return slot != NULL ? ((const struct lexicon_word *)*slot)->id : 0;
}

/* Every word of every known name in the lexicon, so that a name's words have ids. */
static int
lexicon_add_pattern_words(struct entities_state *state)
{
	for (size_t i = 0; i < state->pattern_count; i++)
		for (size_t k = 0; k < state->patterns[i].word_count; k++)
			if (lexicon_entry(state, state->patterns[i].words[k]) == NULL)
				return -1;
	return 0;
}

/* An id's slot in the compact table: by words_hash's high bits, tagged with its low ones. */
static void
lexicon_slot_put(struct entities_state *state, uint64_t hash, uint32_t id)
{
	size_t mask = ((size_t)1 << state->lexicon_slot_bits) - 1;
	size_t slot = (size_t)(hash >> (64 - state->lexicon_slot_bits));

	while (state->lexicon_slots[slot] != 0)
		slot = (slot + 1) & mask;
	state->lexicon_slots[slot] = hash << 32 | id;
}

/* The entries, keys and slots of the lexicon's words, each given an id from 1 on. */
static int
lexicon_compile_words(struct entities_state *state)
{
	const struct word_table *table = &state->lexicon;
	size_t key_bytes = 0, offset = 0;
	uint32_t id = 1;

	for (size_t i = 0; i < table->capacity; i++)
		if (table->keys[i] != NULL)
			key_bytes += strlen(table->keys[i]);
	for (state->lexicon_slot_bits = 6;
	    ((size_t)1 << state->lexicon_slot_bits) < (table->count + 1) * 2;
	    state->lexicon_slot_bits++)
		;
	state->entries = calloc(table->count + 1, sizeof(*state->entries));
	state->lexicon_keys = malloc(key_bytes + 1);
	state->lexicon_slots = calloc((size_t)1 << state->lexicon_slot_bits, sizeof(uint64_t));
	if (state->entries == NULL || state->lexicon_keys == NULL || state->lexicon_slots == NULL)
		return -1;
	for (size_t i = 0; i < table->capacity; i++) {
		struct lexicon_word *word = table->values[i];
		size_t length;

		if (table->keys[i] == NULL)
			continue;
		length = strlen(table->keys[i]);
		memcpy(state->lexicon_keys + offset, table->keys[i], length);
		word->id = id;
		state->entries[id].classes = word->classes;
		state->entries[id].key = (uint32_t)offset;
		state->entries[id].key_length = (uint32_t)length;
		lexicon_slot_put(state, table->hashes[i], id);
		offset += length;
		id++;
	}
	return 0;
}

/* Each word's known names (its candidates), their words as ids. */
static int
lexicon_compile_candidates(struct entities_state *state)
{
	const struct word_table *table = &state->lexicon;
	size_t word_total = 0, at = 0, words = 0;

	for (size_t i = 0; i < state->pattern_count; i++)
		word_total += state->patterns[i].word_count;
	state->candidates = calloc(state->pattern_count + 1, sizeof(*state->candidates));
	state->candidate_words = calloc(word_total + 1, sizeof(uint32_t));
	if (state->candidates == NULL || state->candidate_words == NULL)
		return -1;
	for (size_t i = 0; i < table->capacity; i++) {
		const struct lexicon_word *word = table->values[i];

		if (table->keys[i] == NULL)
			continue;
		state->entries[word->id].candidates = (uint32_t)at;
		state->entries[word->id].candidate_count = (uint32_t)word->count;
		for (size_t j = 0; j < word->count; j++, at++) {
			const struct pattern *pattern = &state->patterns[word->patterns[j]];

			state->candidates[at].name_index = (uint32_t)pattern->name_index;
			state->candidates[at].word_count = (uint32_t)pattern->word_count;
			state->candidates[at].words = (uint32_t)words;
			for (size_t k = 0; k < pattern->word_count; k++)
				state->candidate_words[words++] =
				    lexicon_id(state, pattern->words[k]) |
				    (pattern->upper_only[k] ? CANDIDATE_UPPER : 0);
		}
	}
	return 0;
}

/* The folded last word of a person's name (NUL-terminated in out); 0 when it has none. */
static size_t
surname_of(const struct known_name *known, char *out)
{
	const char *last_space = strrchr(known->name, ' ');

	if (last_space == NULL || strcmp(known->type, "person") != 0)
		return 0;
	return words_fold(last_space + 1, strlen(last_space + 1), out, TOKEN_BYTES) + 1;
}

/*
 * The display names and people's surnames copied into one buffer (name_text), where the
 * tally reads them from article to article: close together, and a surname folded once.
 */
static int
names_compile(struct entities_state *state)
{
	char surname[TOKEN_BYTES];
	size_t bytes = 0, offset = 0;

	for (size_t i = 0; i < state->name_count; i++)
		bytes += strlen(state->names[i].name) + 1 + surname_of(&state->names[i], surname);
	if ((state->name_text = malloc(bytes + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < state->name_count; i++) {
		struct known_name *known = &state->names[i];
		size_t length = strlen(known->name) + 1, surname_length;

		surname_length = surname_of(known, surname);
		memcpy(state->name_text + offset, known->name, length);
		free(known->name);
		known->name = state->name_text + offset;
		offset += length;
		known->surname = NULL;
		if (surname_length == 0)
			continue;
		memcpy(state->name_text + offset, surname, surname_length);
		known->surname = state->name_text + offset;
		known->surname_length = surname_length - 1;
		known->surname_hash = words_hash(surname);
		offset += surname_length;
	}
	return 0;
}

/* The lexicon as entities.c reads it; -1 when out of memory. */
static int
lexicon_compile(struct entities_state *state)
{
	if (lexicon_add_pattern_words(state) == -1 || lexicon_compile_words(state) == -1 ||
	    lexicon_compile_candidates(state) == -1 || names_compile(state) == -1)
		return -1;
	state->of_id = lexicon_id(state, "of");
	state->ministry_id = lexicon_id(state, "ministry");
	state->university_id = lexicon_id(state, "university");
	state->department_id = lexicon_id(state, "department");
	return 0;
}

int
entities_gazetteers_load(struct entities_state *state, char *error, size_t error_size)
{
	const struct { const char *path, *type; } gazetteers[] = {
		{ state->people_path, "person" },
		{ state->organizations_path, "organization" },
		{ state->places_path, "place" },
		{ state->other_path, "other" },
	};

	if (lexicon_load_classes(state) == -1) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < COUNT_OF(gazetteers); i++) {
		if (gazetteers[i].path != NULL && gazetteer_load(state, gazetteers[i].path,
		    gazetteers[i].type, error, error_size) == -1)
			return -1;
	}
	if (state->aliases_path != NULL &&
	    aliases_load(state, state->aliases_path, error, error_size) == -1)
		return -1;
	if (lexicon_compile(state) == -1) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	return 0;
}

void
entities_gazetteers_free(struct entities_state *state)
{
	for (size_t i = 0; state->name_text == NULL && i < state->name_count; i++)
		free(state->names[i].name);
	free(state->name_text);
	state->name_text = NULL;
	free(state->names);
	for (size_t i = 0; i < state->pattern_count; i++)
		pattern_free(&state->patterns[i]);
	free(state->patterns);
	word_table_free(&state->names_by_display, NULL);
	word_table_free(&state->patterns_by_key, NULL);
	word_table_free(&state->lexicon, lexicon_word_free);
	free(state->entries);
	free(state->lexicon_keys);
	free(state->lexicon_slots);
	free(state->candidates);
	free(state->candidate_words);
	state->entries = NULL;
	state->lexicon_keys = NULL;
	state->lexicon_slots = NULL;
	state->candidates = NULL;
	state->candidate_words = NULL;
	state->names = NULL;
	state->patterns = NULL;
	state->name_count = state->pattern_count = 0;
}
