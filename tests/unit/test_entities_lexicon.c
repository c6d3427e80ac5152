/*
 * test_entities_lexicon.c - the entities plugin's compiled lexicon (plugins/entities/
 * gazetteer.c, lexicon_compile) against the tables it is compiled from, the way the plugin
 * looked words up before it: a folded word's id from the compact hash table (lexicon_find)
 * must be the word the load-time word_table holds, with its classes; a word the table does
 * not hold has id 0; and the known names listed under a word, longest first, must be its
 * load-time list, their words as the ids of the pattern's folded words, capitals-only marks
 * included; the names and people's surnames as compiled.  Over the shipped gazetteers (conf/gazetteers) and over one written here with
 * the awkward cases: non-ASCII capitals, words longer than a folded token keeps, an alias in
 * capitals only, names sharing first words, a name starting with a stop word.  Runs from the
 * repo root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "../../plugins/entities/gazetteer.c"

/* The folded words the lexicon's table holds and does not: its own keys, and variants. */
static void
check_words(const struct entities_state *state)
{
	const struct word_table *table = &state->lexicon;
	size_t checked = 0, absent = 0;

	for (size_t i = 0; i < table->capacity; i++) {
		const struct lexicon_word *word = table->values[i];
		const char *key = table->keys[i];
		const struct lexicon_entry *entry;
		char variant[TOKEN_BYTES + 2];
		size_t length;
		uint32_t id;

		if (key == NULL)
			continue;
		length = strlen(key);
		id = lexicon_find(state, key, length, words_hash(key));
		CHECK(id == word->id && id != 0);
		entry = &state->entries[id];
		CHECK(entry->classes == word->classes && entry->key_length == length &&
		    memcmp(state->lexicon_keys + entry->key, key, length) == 0);
		checked++;
		/* one byte more, one less, one changed: in the lexicon exactly as in the table */
		snprintf(variant, sizeof(variant), "%sx", key);
		CHECK((lexicon_find(state, variant, strlen(variant), words_hash(variant)) != 0) ==
		    (word_table_find(table, variant) != NULL));
		if (length > 1) {
			memcpy(variant, key, length - 1);
			variant[length - 1] = '\0';
			CHECK((lexicon_find(state, variant, length - 1, words_hash(variant)) !=
			    0) == (word_table_find(table, variant) != NULL));
			variant[0] = variant[0] == 'q' ? 'z' : 'q';
			absent += word_table_find(table, variant) == NULL;
			CHECK((lexicon_find(state, variant, length - 1, words_hash(variant)) !=
			    0) == (word_table_find(table, variant) != NULL));
		}
	}
	CHECK(checked == table->count && checked > 0 && absent > 0);
	CHECK(lexicon_find(state, "", 0, words_hash("")) == 0);
}

/* Each word's known names, in the order and with the words of the load-time lists. */
static void
check_candidates(const struct entities_state *state)
{
	const struct word_table *table = &state->lexicon;
	size_t listed = 0;

	for (size_t i = 0; i < table->capacity; i++) {
		const struct lexicon_word *word = table->values[i];
		const struct lexicon_entry *entry;

		if (table->keys[i] == NULL)
			continue;
		entry = &state->entries[word->id];
		CHECK(entry->candidate_count == word->count);
		for (size_t j = 0; j < word->count && j < entry->candidate_count; j++) {
			const struct pattern *pattern = &state->patterns[word->patterns[j]];
			const struct candidate *candidate =
			    &state->candidates[entry->candidates + j];

			CHECK(candidate->name_index == pattern->name_index &&
			    candidate->word_count == pattern->word_count);
			for (size_t k = 0; k < pattern->word_count; k++) {
				uint32_t id = state->candidate_words[candidate->words + k];
				const struct lexicon_entry *of = &state->entries[id &
				    ~CANDIDATE_UPPER];

				CHECK(((id & CANDIDATE_UPPER) != 0) == (pattern->upper_only[k] != 0));
				CHECK(of->key_length == strlen(pattern->words[k]) &&
				    memcmp(state->lexicon_keys + of->key, pattern->words[k],
				    of->key_length) == 0);
			}
			listed++;
		}
	}
	CHECK(listed == state->pattern_count);
}

/*
 * The names as compiled (name_text): each display name where names_by_display says, and a
 * person's surname the fold of the last word after a space (what the tally used to compute
 * for each new mention), others none.
 */
static void
check_names(const struct entities_state *state)
{
	for (size_t i = 0; i < state->name_count; i++) {
		const struct known_name *known = &state->names[i];
		void **slot = word_table_find(&state->names_by_display, known->name);
		const char *space = strrchr(known->name, ' ');
		char expected[TOKEN_BYTES];

		CHECK(slot != NULL && (size_t)*slot == i + 1 &&
		    known->hash == words_hash(known->name));
		if (space == NULL || strcmp(known->type, "person") != 0) {
			CHECK(known->surname == NULL);
			continue;
		}
		words_fold(space + 1, strlen(space + 1), expected, sizeof(expected));
		CHECK(known->surname != NULL && strcmp(known->surname, expected) == 0 &&
		    known->surname_length == strlen(expected) &&
		    known->surname_hash == words_hash(expected));
	}
}

/* A token's bytes folded as the plugin folds them (type_prepare) find the name's word. */
static uint32_t
token_lookup(const struct entities_state *state, const char *written)
{
	char folded[TOKEN_BYTES];
	uint64_t hash;
	size_t length = words_fold_hash(written, strlen(written), folded, sizeof(folded), &hash);

	return lexicon_find(state, folded, length, hash);
}

static void
load_and_check(struct entities_state *state)
{
	char error[256] = "";
	int loaded = entities_gazetteers_load(state, error, sizeof(error));

	if (loaded != 0)
		fprintf(stderr, "  %s\n", error);
	CHECK(loaded == 0);
	if (loaded == 0) {
		check_words(state);
		check_candidates(state);
		check_names(state);
		CHECK(state->of_id != 0 && state->of_id == token_lookup(state, "of") &&
		    state->ministry_id == token_lookup(state, "Ministry") &&
		    state->university_id == token_lookup(state, "UNIVERSITY") &&
		    state->department_id == token_lookup(state, "department"));
	}
}

static void
test_shipped_gazetteers(void)
{
	struct entities_state state = {
		.people_path = (char *)"conf/gazetteers/people.txt",
		.organizations_path = (char *)"conf/gazetteers/organizations.txt",
		.places_path = (char *)"conf/gazetteers/places.txt",
		.other_path = (char *)"conf/gazetteers/other.txt",
		.aliases_path = (char *)"conf/gazetteers/aliases.txt",
	};

	load_and_check(&state);
	entities_gazetteers_free(&state);
}

static int
write_file(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	if (file == NULL)
		return -1;
	fputs(text, file);
	return fclose(file);
}

static void
test_awkward_gazetteer(void)
{
	char people[] = "/tmp/test_entities_lexicon.people.XXXXXX";
	char aliases[] = "/tmp/test_entities_lexicon.aliases.XXXXXX";
	struct entities_state state = { .people_path = people, .aliases_path = aliases };
	int people_fd = mkstemp(people), aliases_fd = mkstemp(aliases);
	uint32_t id;

	CHECK(people_fd != -1 && aliases_fd != -1);
	if (people_fd == -1 || aliases_fd == -1)
		return;
	close(people_fd);
	close(aliases_fd);
	CHECK(write_file(people,
	    "Recep Tayyip Erdo\xc4\x9f" "an\n"
	    "\xc3\x89lodie Martineau\n"
	    "Anna Maria Vesk\n"
	    "Anna Vesk\n"
	    "Anna\n"
	    "The Hague Walker\n"
	    "Pneumonoultramicroscopicsilicovolcanoconiosisandthensomemorelettersbeyond "
	    "Smith\n") == 0);
	CHECK(write_file(aliases,
	    "ERDO\xc4\x9e" "AN = Recep Tayyip Erdo\xc4\x9f" "an\n"
	    "AV = Anna Vesk\n") == 0);
	load_and_check(&state);
	/* a capital I-with-dot and a G-breve, folded from the text's token, are the name's word */
	CHECK((id = token_lookup(&state, "ERDO\xc4\x9e" "AN")) != 0 &&
	    id == token_lookup(&state, "Erdo\xc4\x9f" "an"));
	/* folded and truncated alike: the long word in the text is the name's word */
	CHECK(token_lookup(&state,
	    "PNEUMONOULTRAMICROSCOPICSILICOVOLCANOCONIOSISANDTHENSOMEMORELETTERSBEYOND") != 0);
	CHECK(token_lookup(&state, "Martineaux") == 0 && token_lookup(&state, "Vesks") == 0);
	/* "anna": three names, longest first; "av" is in capitals only */
	id = token_lookup(&state, "Anna");
	CHECK(id != 0 && state.entries[id].candidate_count == 3 &&
	    state.candidates[state.entries[id].candidates].word_count == 3 &&
	    state.candidates[state.entries[id].candidates + 2].word_count == 1);
	id = token_lookup(&state, "AV");
	CHECK(id != 0 && state.entries[id].candidate_count == 1 &&
	    (state.candidate_words[state.candidates[state.entries[id].candidates].words] &
	    CANDIDATE_UPPER) != 0);
	CHECK(state.names[0].surname != NULL &&
	    strcmp(state.names[0].surname, "erdo\xc4\x9f" "an") == 0);
	/* "the" is a stop word that starts a name */
	id = token_lookup(&state, "The");
	CHECK(id != 0 && (state.entries[id].classes & WORD_STOP) != 0 &&
	    state.entries[id].candidate_count == 1);
	entities_gazetteers_free(&state);
	unlink(people);
	unlink(aliases);
}

int
main(void)
{
	RUN(test_shipped_gazetteers);
	RUN(test_awkward_gazetteer);
	return check_finish();
}
