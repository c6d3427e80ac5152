/*
 * keywords.c - the "keywords" tagger plugin: the most distinctive words of an article by
 * TF-IDF, written to article->keywords as the surface form the article uses most.  What a
 * word is in a language (its folded form and "LANG:STEM" term key, cached per language), the
 * stop words and the document frequencies the scores are against are language.c's.
 *
 * An article is counted per distinct written form (ABI-2 token type),
 * not per word: one pass over the words tallies each type's weight and where it is first met
 * (written as it is, or at a sentence start, where only its folded form is offered); then
 * each type is looked up once (by the host's stable form id: an array read of its term key,
 * once the form is known in the id's generation, asked for a few types ahead as the key
 * itself is, both being cache misses on a worker) and its tally added to its term,
 * its written and folded forms becoming the term's surfaces, ranked by count and, on a tie,
 * by where they first appear (as counting word by word in order gave).  An article's terms
 * and tallies live in scratch arrays reused from one article to the next.  The article then
 * counts as one more document for each of its terms.
 *
 * Thread-compatible: all it changes while processing is in its own state (one instance per
 * thread); libstemmer stemmers are per instance too.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "keywords.h"
#include "../grow.h"

#define TITLE_WEIGHT	2
#define FORMS_MAX	50000	/* written forms cached per language */

/* One written form of a term in an article: a token type's, or a cached folded form. */
struct surface {
	const char	*text;
	size_t		 length;
	int		 count;
	uint32_t	 first;		/* the word it first appears at (title, then text) */
};

/* What the words of one token type add up to in an article. */
struct type_tally {
	int		 weight;	/* of all its words, the title's weighted */
	int		 counted;	/* ... of those written as they are */
	uint32_t	 first_counted;	/* the first of those (TALLY_NONE: none) */
	uint32_t	 first_offered;	/* the first at a sentence start (folded form offered) */
};

#define TALLY_NONE	UINT32_MAX

/* A term of the article being processed. */
struct term {
	struct term_key	*key;
	int		 frequency;	/* mentions, the title's weighted */
	double		 score;
	struct surface	*surfaces;	/* kept allocated from article to article */
	size_t		 surface_count;
	size_t		 surface_capacity;
};

static const struct ws_option keywords_options[] = {
	{ "top", "10", "how many keywords to keep", WS_OPTION_INT,
	    offsetof(struct keywords_state, top) },
	{ "background", "keywords.background", "seed document frequencies",
	    WS_OPTION_PATH, offsetof(struct keywords_state, background_path) },
	{ "stopwords", NULL, "extra words never to report, one a line", WS_OPTION_PATH,
	    offsetof(struct keywords_state, stopwords_path) },
	{ "max_terms", "200000", "document-frequency entries kept in memory", WS_OPTION_INT,
	    offsetof(struct keywords_state, max_terms) },
	{ "min_length", "3", "shortest word (in characters) worth reporting", WS_OPTION_INT,
	    offsetof(struct keywords_state, min_length) },
	{ NULL, NULL, NULL, 0, 0 }
};

static void keywords_fini(void *state_pointer);

static int
keywords_init(void *state_pointer, char *error, size_t error_size)
{
	struct keywords_state *state = state_pointer;

	if (state->top < 1 || state->max_terms < 1000) {
		snprintf(error, error_size, "top must be at least 1 and max_terms at least 1000");
		return -1;
	}
	if (keywords_stemmer_for(state, "en") == NULL) {
		snprintf(error, error_size, "libstemmer has no English stemmer");
		return -1;
	}
	for (int count = 1; count < SMALL_COUNTS; count++)
		state->log_of[count] = log(count);
	if (keywords_language_load(state, error, error_size) == -1) {
		keywords_fini(state);
		return -1;
	}
	return 0;
}

static void
keywords_fini(void *state_pointer)
{
	struct keywords_state *state = state_pointer;

	keywords_language_free(state);
	for (size_t i = 0; i < state->term_capacity; i++)
		free(state->terms[i].surfaces);
	free(state->terms);
	free(state->ranked);
	free(state->tallies);
	state->terms = NULL;
	state->ranked = NULL;
	state->tallies = NULL;
	state->term_capacity = state->ranked_capacity = state->term_count = 0;
	state->type_capacity = 0;
}

/* ---- one article ---- */

/* The article's term for key, added when new; NULL when out of memory. */
static struct term *
article_term(struct keywords_state *state, struct term_key *key)
{
	struct term *term, *grown;

	if (key->article == state->article_number)
		return &state->terms[key->term];
	/* new terms zeroed: their surfaces, kept from article to article, start unallocated */
	if (__builtin_expect(state->term_count == state->term_capacity, 0)) {
		if ((grown = grow_for_one(state->terms, &state->term_capacity,
		    state->term_count, sizeof(*grown), 256)) == NULL)
			return NULL;
		state->terms = grown;
	}
	key->article = state->article_number;
	key->term = state->term_count++;
	term = &state->terms[key->term];
	term->key = key;
	term->frequency = 0;
	term->score = 0;
	term->surface_count = 0;
	return term;
}

/* Count a written form of the term, weight times (0: only offer it), first met at word first;
 * -1 when out of memory. */
static int
surface_count_add(struct term *term, const char *text, size_t length, int weight,
    uint32_t first)
{
	struct surface *surface, *grown;

	for (size_t i = 0; i < term->surface_count; i++) {
		surface = &term->surfaces[i];
		if (surface->length == length && memcmp(surface->text, text, length) == 0) {
			surface->count += weight;
			if (first < surface->first)
				surface->first = first;
			return 0;
		}
	}
	if (__builtin_expect(term->surface_count == term->surface_capacity, 0)) {
		if ((grown = grow_for_one(term->surfaces, &term->surface_capacity,
		    term->surface_count, sizeof(*grown), 4)) == NULL)
			return -1;
		term->surfaces = grown;
	}
	surface = &term->surfaces[term->surface_count++];
	surface->text = text;
	surface->length = length;
	surface->count = weight;
	surface->first = first;
	return 0;
}

/* The most counted surface; of equal counts, the first met (the one word-by-word counting
 * added first). */
static const struct surface *
surface_best(const struct term *term)
{
	const struct surface *best = &term->surfaces[0];

	for (size_t i = 1; i < term->surface_count; i++) {
		const struct surface *surface = &term->surfaces[i];

		if (surface->count > best->count ||
		    (surface->count == best->count && surface->first < best->first))
			best = surface;
	}
	return best;
}

/* tallies ready for the article's types, all empty; -1 when out of memory. */
static int
tallies_reset(struct keywords_state *state, size_t count)
{
	if (state->type_capacity < count) {
		struct type_tally *grown = realloc(state->tallies, count * sizeof(*grown));

		if (grown == NULL)
			return -1;
		state->tallies = grown;
		state->type_capacity = count;
	}
	/* weights 0, first words TALLY_NONE */
	for (size_t i = 0; i < count; i++)
		state->tallies[i] = (struct type_tally){ 0, 0, TALLY_NONE, TALLY_NONE };
	return 0;
}

/*
 * Tally the words of one text by type, the first of them at word base.  Backwards, so that
 * the first word of a type is the last one written down (the text is tallied before the
 * title for the same reason).  A capital at a sentence start says
 * nothing about the word: there it only offers the folded form, for words seen nowhere else.
 */
static void
types_tally(struct type_tally *tallies, const struct ws_token_text *words, uint32_t base,
    int weight)
{
	for (size_t i = words->count; i-- > 0;) {
		const struct ws_token *word = &words->tokens[i];
		struct type_tally *tally = &tallies[word->type];

		tally->weight += weight;
		if (word->sentence_start && !word->all_upper)
			tally->first_offered = base + (uint32_t)i;
		else {
			tally->counted += weight;
			tally->first_counted = base + (uint32_t)i;
		}
	}
}

/* In a keys index: the form is no term (too short, a stop word). */
static struct term_key no_key;

/* The form of the article's type i: by its stable form id in by_id when not NULL and known
 * there, else keywords_word_form_of (then kept in by_id); NULL when out of memory. */
static const struct word_form *
type_form(struct keywords_state *state, struct stemmer_slot *slot, const char *language,
    const struct ws_tokens *tokens, size_t i, void **by_id)
{
	const struct word_form *form;

	if (by_id != NULL && (form = by_id[tokens->form_ids[i]]) != NULL)
		return form;
	if ((form = keywords_word_form_of(state, slot, language, &tokens->types[i])) != NULL &&
	    by_id != NULL)
		by_id[tokens->form_ids[i]] = (void *)form;
	return form;
}

/*
 * The loads terms_collect makes for type i's term key miss the cache once a worker's other
 * stages have run (keys is indexed by stable form id over the whole stream, and each key is
 * a record of its own): each is asked for ahead, the key's entry in keys KEYS_AHEAD types
 * before it is read and the key itself KEY_AHEAD types before, so that the misses of
 * several types overlap instead of coming one after another.
 */
#define KEYS_AHEAD	16
#define KEY_AHEAD	8

static inline void
keys_prefetch(const struct ws_tokens *tokens, void **keys, size_t i)
{
	const struct term_key *ahead;

	if (i + KEYS_AHEAD < tokens->type_count)
		__builtin_prefetch(&keys[tokens->form_ids[i + KEYS_AHEAD]]);
	if (i + KEY_AHEAD < tokens->type_count &&
	    (ahead = keys[tokens->form_ids[i + KEY_AHEAD]]) != NULL)
		__builtin_prefetch(ahead);
}

/*
 * Add each token type's tally to the article's terms.  Its term key comes straight from keys
 * (the slot's keys_by_id, by stable form id) when not NULL and known there: the form itself
 * (a cold pointer away) is read only for its folded spelling, at a sentence start.  -1 when
 * out of memory (a term or surface could not be kept: the article fails rather than be
 * tagged from part of its words).
 */
static int
terms_collect(struct keywords_state *state, struct stemmer_slot *slot, const char *language,
    const struct ws_tokens *tokens, void **by_id, void **keys)
{
	int failed = 0;

	for (size_t i = 0; i < tokens->type_count; i++) {
		if (keys != NULL)
			keys_prefetch(tokens, keys, i);
		const struct ws_token_type *type = &tokens->types[i];
		const struct type_tally *tally = &state->tallies[i];
		const struct word_form *form = NULL;
		struct term_key *key = keys != NULL ? keys[tokens->form_ids[i]] : NULL;
		struct term *term;

		/* isdigit() of the C locale (wiresift never calls setlocale), inline */
		if (tally->weight == 0 || type->length >= TOKEN_BYTES ||
		    (type->written[0] >= '0' && type->written[0] <= '9'))
			continue;
		if (key == NULL) {
			if ((form = type_form(state, slot, language, tokens, i, by_id)) == NULL)
				continue;
			key = form->key != NULL ? form->key : &no_key;
			if (keys != NULL)
				keys[tokens->form_ids[i]] = key;
		}
		if (key == &no_key)
			continue;
		if ((term = article_term(state, key)) == NULL) {
			failed = -1;
			continue;
		}
		term->frequency += tally->weight;
		if (tally->first_counted != TALLY_NONE)
			failed |= surface_count_add(term, type->written, type->length,
			    tally->counted, tally->first_counted);
		if (tally->first_offered != TALLY_NONE && (form != NULL ||
		    (form = type_form(state, slot, language, tokens, i, by_id)) != NULL))
			failed |= surface_count_add(term, form->folded, form->folded_length, 0,
			    tally->first_offered);
	}
	return failed;
}

static int
term_compare(const void *left_pointer, const void *right_pointer)
{
	const struct term *left = *(struct term *const *)left_pointer;
	const struct term *right = *(struct term *const *)right_pointer;

	if (left->score != right->score)
		return left->score > right->score ? -1 : 1;
	return strcmp(left->key->text, right->key->text);
}

/* log(count), from the table for small counts. */
static double
log_count(const struct keywords_state *state, double count)
{
	return count < SMALL_COUNTS && count >= 1 && count == (int)count ?
	    state->log_of[(int)count] : log(count);
}

/* The document-frequency slot of the term, inserted when new; NULL when out of memory. */
static void **
frequency_slot(struct keywords_state *state, struct term_key *key)
{
	size_t capacity = state->document_frequency.capacity;
	void **slot;

	if (key->frequency != NULL && key->layout == state->frequency_layout)
		return key->frequency;
	slot = word_table_insert(&state->document_frequency, key->text);
	if (state->document_frequency.capacity != capacity)
		state->frequency_layout++;	/* grown: every slot moved */
	key->frequency = slot;
	key->layout = state->frequency_layout;
	return slot;
}

/* 1 + log((documents + 1) / (frequency + 1)), computed once an article per small frequency. */
static double
inverse_frequency(struct keywords_state *state, uintptr_t frequency)
{
	double factor;

	if (frequency < SMALL_COUNTS && state->idf_of[frequency].article == state->article_number)
		return state->idf_of[frequency].value;
	factor = 1 + log((state->documents + 1) / ((double)frequency + 1));
	if (frequency < SMALL_COUNTS) {
		state->idf_of[frequency].article = state->article_number;
		state->idf_of[frequency].value = factor;
	}
	return factor;
}

/* This article is one more document with the term; its TF-IDF score. */
static double
term_score(struct keywords_state *state, const struct term *term)
{
	void **known = frequency_slot(state, term->key);
	uintptr_t frequency;

	if (known != NULL)
		*known = (void *)((uintptr_t)*known + 1);
	else
		known = word_table_find(&state->document_frequency, term->key->text);
	frequency = known != NULL ? (uintptr_t)*known : 1;
	return (1 + log_count(state, term->frequency)) * inverse_frequency(state, frequency);
}

/*
 * Order the best top of the count terms first, as sorting them all would: term_compare is a
 * total order, so the first top are the same.  Few are kept of many, so they are picked by
 * insertion; a large top sorts everything.
 */
static void
rank_top(struct term **ranked, size_t count, size_t top)
{
	size_t kept = 0;

	if (top >= count || top > 32) {
		qsort(ranked, count, sizeof(*ranked), term_compare);
		return;
	}
	for (size_t i = 0; i < count; i++) {
		struct term *term = ranked[i];
		size_t at = kept;

		if (kept == top && term_compare(&term, &ranked[top - 1]) >= 0)
			continue;
		if (kept < top)
			kept++;
		else
			at = top - 1;
		while (at > 0 && term_compare(&term, &ranked[at - 1]) < 0) {
			ranked[at] = ranked[at - 1];
			at--;
		}
		ranked[at] = term;
	}
}

/* The best surface of the term, NUL-terminated in out (sized TOKEN_BYTES). */
static const char *
surface_text(const struct term *term, char *out)
{
	const struct surface *best = surface_best(term);
	size_t length = best->length < TOKEN_BYTES ? best->length : TOKEN_BYTES - 1;

	memcpy(out, best->text, length);
	out[length] = '\0';
	return out;
}

static int
keywords_process(void *state_pointer, struct article *article, const struct ws_tokens *tokens)
{
	struct keywords_state *state = state_pointer;
	const char *language = keywords_stem_language(state, article->lang_code);
	struct stemmer_slot scratch = { .stemmer = NULL }, *slot;
	size_t ranked_count = 0;
	char surface[TOKEN_BYTES];
	void **by_id = NULL, **keys = NULL;

	slot = keywords_slot_for(state, language, &scratch);
	if (slot->forms.count > FORMS_MAX)
		keywords_slot_forget(slot);
	state->article_number++;
	state->term_count = 0;
	if (tallies_reset(state, tokens->type_count) == -1) {
		keywords_slot_forget(&scratch);
		return -1;
	}
	/* backwards (types_tally): the text, then the title */
	types_tally(state->tallies, &tokens->text, (uint32_t)tokens->title.count, 1);
	types_tally(state->tallies, &tokens->title, 0, TITLE_WEIGHT);
	/* a scratch slot lives for this article only: no index for it */
	if (slot != &scratch && ws_tokens_have_form_ids(tokens) &&
	    (by_id = form_index_ready(&slot->by_id, tokens->form_generation,
	    tokens->form_id_count)) != NULL)
		keys = form_index_ready(&slot->keys_by_id, tokens->form_generation,
		    tokens->form_id_count);
	if (terms_collect(state, slot, language, tokens, by_id, keys) == -1) {
		keywords_slot_forget(&scratch);
		return -1;
	}
	if (state->term_count == 0) {
		keywords_slot_forget(&scratch);
		return 0;
	}
	if (state->ranked_capacity < state->term_count) {
		struct term **grown = realloc(state->ranked, state->term_count * sizeof(*grown));

		if (grown == NULL) {
			keywords_slot_forget(&scratch);
			return -1;
		}
		state->ranked = grown;
		state->ranked_capacity = state->term_count;
	}
	state->documents += 1;
	for (size_t i = 0; i < state->term_count; i++) {
		struct term *term = &state->terms[i];

		if (term->surface_count == 0)
			continue;
		term->score = term_score(state, term);
		state->ranked[ranked_count++] = term;
	}
	rank_top(state->ranked, ranked_count, (size_t)state->top);
	strlist_clear(&article->keywords);
	for (size_t i = 0; i < ranked_count && i < (size_t)state->top; i++)
		strlist_add_unique(&article->keywords, surface_text(state->ranked[i], surface));
	keywords_slot_forget(&scratch);
	if (state->document_frequency.count > (size_t)state->max_terms)
		keywords_frequencies_decay(state);
	return 0;
}

static const struct ws_plugin keywords_plugin = {
	.abi = WS_PLUGIN_ABI,
	.name = "keywords",
	.description = "distinctive words by TF-IDF over the stream seen so far",
	.options = keywords_options,
	.state_size = sizeof(struct keywords_state),
	.init = keywords_init,
	.fini = keywords_fini,
	.process_tokens = keywords_process,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &keywords_plugin;
}
