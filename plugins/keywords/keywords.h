/*
 * keywords.h - what the two halves of the keywords plugin share: its state and the language
 * side (language.c: stop words, stemmers and the written forms they have made, document
 * frequencies with their loading and decay) that keywords.c counts an article's terms with.
 */
#ifndef KEYWORDS_H
#define KEYWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "plugin_api.h"
#include "../words.h"

#define TOKEN_BYTES	64
#define STEMMER_SLOTS	16
#define SMALL_COUNTS	64	/* logarithms of counts below this are kept */

/* A "lang:stem" term key, interned per language; ties to the article being processed. */
struct term_key {
	char		*text;
	unsigned long	 article;	/* state->article_number when term is this article's */
	size_t		 term;		/* ... and its index in state->terms */
	void		**frequency;	/* its document-frequency slot ... */
	unsigned long	 layout;	/* ... while state->frequency_layout is this */
};

/* What one written form of a word is, in one language: cached. */
struct word_form {
	char		*folded;
	size_t		 folded_length;	/* strlen(folded) */
	struct term_key	*key;		/* NULL: never a keyword (too short, a stop word) */
};

/* The stemmer of one language and what it has made so far. */
struct stemmer_slot {
	char		 code[8];
	struct sb_stemmer *stemmer;	/* NULL: none for this language */
	struct word_table forms;	/* written form -> struct word_form */
	struct word_memo *memo;		/* in front of forms (WORD_MEMO_SLOTS), or NULL */
	struct form_index by_id;	/* stable form id -> struct word_form */
	struct form_index keys_by_id;	/* ... -> its struct term_key (or keywords.c's no_key) */
	struct word_table keys;		/* "lang:stem" -> struct term_key */
};

/* keywords.c: the article's terms and the tallies of its token types. */
struct term;
struct type_tally;

struct keywords_state {
	/* options */
	long	 top;
	char	*background_path;
	char	*stopwords_path;
	long	 max_terms;
	long	 min_length;
	/* loaded */
	struct word_table stop_words;		/* folded word -> (void *)1 */
	struct word_table document_frequency;	/* "lang:stem" -> (void *)(uintptr_t)count */
	double	 documents;
	struct stemmer_slot stemmers[STEMMER_SLOTS];
	size_t	 stemmer_count;
	/*
	 * Slots of document_frequency stay where they are until the table grows or decays;
	 * frequency_layout counts those changes.
	 */
	unsigned long frequency_layout;
	double	 log_of[SMALL_COUNTS];		/* log(n) */
	/* scratch for one article, reused */
	unsigned long article_number;
	struct {
		unsigned long article;		/* when value is this article's */
		double	 value;
	}	 idf_of[SMALL_COUNTS];		/* the IDF factor by document frequency */
	struct term *terms;
	size_t	 term_count;
	size_t	 term_capacity;
	struct term **ranked;
	size_t	 ranked_capacity;
	struct type_tally *tallies;		/* of each token type */
	size_t	 type_capacity;
};

/* language.c */
/* The stemmer of a language ("en" when code is NULL or empty), made when new; NULL: none. */
struct sb_stemmer *keywords_stemmer_for(struct keywords_state *state, const char *code);
/* The language whose stemmer is used: code when libstemmer has one, else "en". */
const char	*keywords_stem_language(struct keywords_state *state, const char *code);
/* The built-in stop words, then the background and stopwords files the options name; -1 with
 * error set on failure. */
int	keywords_language_load(struct keywords_state *state, char *error, size_t error_size);
/* Free the stemmers, their caches, the stop words and the document frequencies. */
void	keywords_language_free(struct keywords_state *state);
/* Drop what the slot has cached (its stemmer stays). */
void	keywords_slot_forget(struct stemmer_slot *slot);
/* The cached form of a written word (length < TOKEN_BYTES), made when new; NULL when out of
 * memory. */
const struct word_form *keywords_word_form_of(struct keywords_state *state,
	    struct stemmer_slot *slot, const char *language, const struct ws_token_type *type);
/* The slot serving language, or scratch when every slot is another language's. */
struct stemmer_slot *keywords_slot_for(struct keywords_state *state, const char *language,
	    struct stemmer_slot *scratch);
/* Halve every document frequency and drop the terms that reach zero. */
void	keywords_frequencies_decay(struct keywords_state *state);

#endif
