/*
 * entities.h - what the two halves of the entities plugin share: its state, the gazetteers and
 * the lexicon as gazetteer.c loads and compiles them (dense arrays by lexicon id, a compact
 * hash table of folded words), for entities.c to match texts against.
 */
#ifndef ENTITIES_H
#define ENTITIES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plugin_api.h"
#include "../words.h"

#define TOKEN_BYTES		64	/* a case-folded word, truncated */

struct known_name {
	char		*name;		/* display form, "Donald Trump" (in name_text, compiled) */
	uint64_t	 hash;		/* words_hash(name) */
	const char	*type;		/* static: "person", "organization", "place", "other" */
	/* a person's last word folded, by which a mention of it alone counts; NULL: none */
	const char	*surname;	/* in name_text */
	uint64_t	 surname_hash;	/* words_hash(surname) */
	size_t		 surname_length;
};

/* One way of writing a known name, split into folded words (as the gazetteers are loaded). */
struct pattern {
	char		**words;
	unsigned char	 *upper_only;	/* word must be written in capitals in the text ("US") */
	size_t		  word_count;
	size_t		  name_index;
};

/* What a folded word is, from the word lists below: WORD_* bits. */
enum {
	WORD_STOP = 1,			/* ends a capitalized phrase */
	WORD_CONNECTOR = 2,		/* may join the words of a name */
	WORD_TITLE = 4,			/* a title or role */
	WORD_ORGANIZATION_END = 8,	/* a phrase ending so is an organisation */
	WORD_PLACE_END = 16,		/* ... a place */
	WORD_GROUP = 32			/* a group of people before a name: not part of it */
};

/*
 * One folded word the plugin knows something about (a word of the word lists, or any word of
 * a known name), by its lexicon id: entries[0] is every other word (all zero).  A few dense
 * arrays, so that matching a text touches little memory.
 */
struct lexicon_entry {
	uint32_t	 classes;		/* WORD_* */
	uint32_t	 key;			/* its folded bytes: lexicon_keys + key */
	uint32_t	 key_length;
	uint32_t	 candidates;		/* its first in state->candidates */
	uint32_t	 candidate_count;	/* the names starting with it, longest first */
};

/* A way of writing a known name, under the lexicon entry of its first word. */
struct candidate {
	uint32_t	 name_index;
	uint32_t	 word_count;
	uint32_t	 words;		/* its words' ids, in state->candidate_words */
};

#define CANDIDATE_UPPER	0x80000000u	/* in a candidate word: written in capitals only */

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
	char	*name_text;	/* the names and surnames, compiled: NULL while each is malloc'd */
	struct word_table names_by_display;	/* display name -> index + 1 */
	struct pattern *patterns;
	size_t	 pattern_count;
	struct word_table patterns_by_key;	/* folded words joined by ' ' -> index + 1 */
	struct word_table lexicon;		/* folded word -> gazetteer.c's word, while loading */
	/* the lexicon, compiled once loaded (gazetteer.c) */
	struct lexicon_entry *entries;		/* by lexicon id */
	char	*lexicon_keys;
	uint64_t *lexicon_slots;	/* words_hash's low 32 bits << 32 | id; 0: empty */
	unsigned lexicon_slot_bits;
	struct candidate *candidates;
	uint32_t *candidate_words;	/* lexicon ids, | CANDIDATE_UPPER */
	uint32_t of_id;			/* the ids of words guess_type and unknown_report ask about */
	uint32_t ministry_id;
	uint32_t university_id;
	uint32_t department_id;
	/* scratch, reused from article to article */
	uint32_t *type_ids;		/* lexicon id of each token type of the article; TYPE_UNSEEN */
	struct type_fold *folds;	/* each type's folded form, once type_folded says so */
	unsigned char *type_folded;
	/* the host's stable form ids (plugin_api.h), while an article is matched */
	struct form_index by_form;	/* lexicon id + 1 of each form met, by form id */
	void	**form_lex;		/* by_form's values for this article; NULL: no ids */
	const uint32_t *form_ids;	/* of each token type */
	size_t	 type_capacity;
	/* the tokens of the title or the text that may start a name (entities.c's text_mark) */
	uint32_t *starts;
	size_t	 mark_capacity;
	struct tally	*tally;		/* the names found in the article */
};

#define TYPE_UNSEEN	0xffffffffu	/* a type not folded and looked up yet */

/* The lexicon id of a folded word (words_hash hash, length bytes); 0 when it has none. */
static inline uint32_t
lexicon_find(const struct entities_state *state, const char *folded, size_t length,
    uint64_t hash)
{
	size_t mask = ((size_t)1 << state->lexicon_slot_bits) - 1;
	size_t slot = (size_t)(hash >> (64 - state->lexicon_slot_bits));
	uint64_t tag = hash << 32, value;

	while ((value = state->lexicon_slots[slot]) != 0) {
		const struct lexicon_entry *entry = &state->entries[(uint32_t)value];

		if ((value & 0xffffffff00000000ULL) == tag && entry->key_length == length &&
		    memcmp(state->lexicon_keys + entry->key, folded, length) == 0)
			return (uint32_t)value;
		slot = (slot + 1) & mask;
	}
	return 0;
}

/* Load the word lists and the gazetteers the options name; -1 with error set on failure. */
int	entities_gazetteers_load(struct entities_state *state, char *error, size_t error_size);
/* Free what entities_gazetteers_load loaded (also after a failure). */
void	entities_gazetteers_free(struct entities_state *state);

#endif
