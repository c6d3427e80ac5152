/*
 * entities.h - what the two halves of the entities plugin share: its state, the gazetteers and
 * the lexicon as gazetteer.c loads them, for entities.c to match texts against.
 */
#ifndef ENTITIES_H
#define ENTITIES_H

#include <stddef.h>

#include "plugin_api.h"
#include "../words.h"

#define TOKEN_BYTES		64	/* a case-folded word, truncated */

struct known_name {
	char		*name;		/* display form, "Donald Trump" */
	uint64_t	 hash;		/* words_hash(name) */
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
	WORD_PLACE_END = 16,		/* ... a place */
	WORD_GROUP = 32			/* a group of people before a name: not part of it */
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
	struct tally	*tally;		/* the names found in the article */
	const struct ws_token_type *token_types;	/* the article's, while it is matched */
	struct type_memo *memo;		/* TYPE_MEMO_SLOTS written forms folded and looked up */
};

/* Load the word lists and the gazetteers the options name; -1 with error set on failure. */
int	entities_gazetteers_load(struct entities_state *state, char *error, size_t error_size);
/* Free what entities_gazetteers_load loaded (also after a failure). */
void	entities_gazetteers_free(struct entities_state *state);

#endif
