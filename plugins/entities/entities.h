/*
 * entities.h - what the three parts of the entities plugin share: its state, the gazetteers
 * and the lexicon as gazetteer.c loads and compiles them (dense arrays by lexicon id, a compact
 * hash table of folded words), for entities.c to match texts against, and the tally of an
 * article's mentions that tally.c keeps for it.
 */
#ifndef ENTITIES_H
#define ENTITIES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plugin_api.h"
#include "../grow.h"
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

/*
 * Mentions found in one article; sorted by first mention before they are reported.  Kept in
 * the instance's state, its arrays reused from article to article.
 */
struct tally {
	struct tally_entry {
		const char	*name;		/* a known name's, or copy */
		char		*copy;		/* a phrase's own name (malloc'd), or NULL */
		const struct known_name *known;	/* a known name's, or NULL */
		uint64_t	 hash;		/* words_hash(name): compared before the names */
		const char	*type;
		int		 count;
		size_t		 first_at;	/* its first mention's token (line.base + at) */
		/* a person's folded last word, by which a mention of it alone counts */
		int		 has_surname;
		uint64_t	 surname_hash;	/* words_hash(surname) */
		char		 surname[TOKEN_BYTES];
	}	*entries;
	size_t	 count;
	size_t	 capacity;
	/* bit (hash & 63) of each entry's surname_hash, has_surname ones: no bit, no such surname */
	uint64_t surname_bits;
	/* the title's runs of capitalized words no gazetteer knows: tokens [first, end) */
	struct title_run {
		size_t	 first;
		size_t	 end;
	}	*title_runs;
	size_t	 title_run_count;
	size_t	 title_run_capacity;
	/* a mention could not be kept (out of memory): the tally is incomplete, the article fails */
	int	 failed;
};

/* One more mention of entry, at token position. */
static inline void
tally_mention(struct tally *tally, size_t entry, size_t position)
{
	tally->entries[entry].count++;
	if (position < tally->entries[entry].first_at)
		tally->entries[entry].first_at = position;
}

/* tally.c: */
/* The first person entry whose surname is folded (words_hash hash); -1 when none. */
long	surname_find(const struct tally *tally, const char *folded, uint64_t hash);
/*
 * One more mention of name (words_hash hash): a known name's (kept as it is, the gazetteers
 * outlive the article) or, with known NULL, a phrase of the text's (copied).  Out of memory,
 * it sets tally->failed.
 */
void	tally_add(struct tally *tally, const char *name, uint64_t hash,
	    const struct known_name *known, const char *type, size_t position);
/* A run of the title's capitalized words no gazetteer knows, tokens [first, end); out of
 * memory, it sets tally->failed. */
void	title_run_add(struct tally *tally, size_t first, size_t end);
/* Entries in order of first mention. */
void	entries_sort(struct tally *tally);
/* The tally empty for the next article (its arrays kept). */
void	tally_clear(struct tally *tally);
void	tally_free(struct tally *tally);

/*
 * One more mention of a known name: an entry of it is found by its pointer, without reading
 * the name (the gazetteer's names are cold memory), else by tally_add, which compares names
 * (a phrase of the text spelt as the name and counted first keeps the name's mentions).
 */
static inline void
tally_add_known(struct tally *tally, const struct known_name *known, size_t position)
{
	__builtin_prefetch(known);	/* cold: read when the name is new to the article */
	for (size_t i = 0; i < tally->count; i++) {
		if (tally->entries[i].known == known) {
			tally_mention(tally, i, position);
			return;
		}
	}
	tally_add(tally, known->name, known->hash, known, known->type, position);
}

/* Load the word lists and the gazetteers the options name; -1 with error set on failure. */
int	entities_gazetteers_load(struct entities_state *state, char *error, size_t error_size);
/* Free what entities_gazetteers_load loaded (also after a failure). */
void	entities_gazetteers_free(struct entities_state *state);

#endif
