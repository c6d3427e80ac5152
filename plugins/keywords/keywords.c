/*
 * keywords.c - the "keywords" tagger plugin: the most distinctive words of an article by
 * TF-IDF, written to article->keywords as the surface form the article uses most.
 *
 * Words are case-folded and stemmed with libstemmer (the stemmer of article->lang_code,
 * English when unknown or unsupported), so "officials" and "official" count as one term.
 * Document frequencies live in memory, keyed "LANG:STEM": seeded from a background file
 * (conf/keywords.background: "documents N" then "WORD DF" lines) and updated with every
 * article the daemon sees, so words every article uses sink as the stream goes on.  When the
 * table outgrows max_terms, every count is halved and the terms that reach zero are dropped,
 * which also ages old news out.
 *
 * Folding and stemming a word is most of the work, and news repeats its words: per language,
 * each written form seen is folded and stemmed once and kept (at most FORMS_MAX of them, then
 * the cache starts over, a direct-mapped memo, words.h's word_memo, in front of it), with its
 * term key interned.  An article is counted per distinct written form (ABI-2 token type),
 * not per word: one pass over the words tallies each type's weight and where it is first met
 * (written as it is, or at a sentence start, where only its folded form is offered); then
 * each type is looked up once and its tally added to its term,
 * its written and folded forms becoming the term's surfaces, ranked by count and, on a tie,
 * by where they first appear (as counting word by word in order gave).  An article's terms
 * and tallies live in scratch arrays reused from one article to the next.
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

#include <libstemmer.h>

#include "article.h"
#include "plugin_api.h"
#include "../words.h"

#define TOKEN_BYTES	64
#define STEMMER_SLOTS	16
#define TITLE_WEIGHT	2
#define FORMS_MAX	50000	/* written forms cached per language */
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
	struct term_key	*key;		/* NULL: never a keyword (too short, a stop word) */
};

/* The stemmer of one language and what it has made so far. */
struct stemmer_slot {
	char		 code[8];
	struct sb_stemmer *stemmer;	/* NULL: none for this language */
	struct word_table forms;	/* written form -> struct word_form */
	struct word_memo *memo;		/* in front of forms (WORD_MEMO_SLOTS), or NULL */
	struct word_table keys;		/* "lang:stem" -> struct term_key */
};

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

/* English function words; other languages rely on their document frequencies. */
static const char *const english_stop_words[] = {
	"a", "about", "above", "after", "again", "against", "all", "almost", "along", "already",
	"also", "although", "always", "am", "among", "an", "and", "another", "any", "are",
	"around", "as", "at", "away", "back", "be", "became", "because", "been", "before",
	"being", "below", "between", "both", "but", "by", "can", "cannot", "could", "did", "do",
	"does", "doing", "don't", "down", "during", "each", "either", "else", "even", "ever",
	"every", "few", "for", "from", "further", "get", "gets", "got", "had", "has", "have",
	"having", "he", "he'd", "he's", "her", "here", "hers", "herself", "him", "himself",
	"his", "how", "however", "i", "i'm", "if", "in", "into", "is", "isn't", "it", "it's",
	"its", "itself", "just", "least", "less", "like", "made", "make", "many", "may", "me",
	"might", "more", "most", "much", "must", "my", "myself", "neither", "never", "no", "nor",
	"not", "now", "of", "off", "often", "on", "once", "one", "only", "or", "other", "others",
	"our", "ours", "ourselves", "out", "over", "own", "per", "perhaps", "quite", "rather",
	"really", "same", "see", "seen", "shall", "she", "should", "since", "so", "some", "still",
	"such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then",
	"there", "there's", "these", "they", "they're", "this", "those", "though", "through",
	"thus", "to", "too", "toward", "towards", "two", "under", "until", "up", "upon", "us",
	"very", "was", "wasn't", "we", "we're", "well", "were", "what", "when", "where",
	"whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within",
	"without", "won't", "would", "yet", "you", "your", "yours", "yourself", "said", "says",
	"say", "told", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
};

static int
stop_word_add(struct keywords_state *state, const char *word)
{
	void **slot = word_table_insert(&state->stop_words, word);

	if (slot == NULL)
		return -1;
	*slot = (void *)1;
	return 0;
}

static struct sb_stemmer *
stemmer_for(struct keywords_state *state, const char *code)
{
	if (code == NULL || *code == '\0')
		code = "en";
	for (size_t i = 0; i < state->stemmer_count; i++)
		if (strcmp(state->stemmers[i].code, code) == 0)
			return state->stemmers[i].stemmer;
	if (state->stemmer_count == STEMMER_SLOTS)
		return stemmer_for(state, "en");
	snprintf(state->stemmers[state->stemmer_count].code, sizeof(state->stemmers[0].code),
	    "%s", code);
	state->stemmers[state->stemmer_count].stemmer = sb_stemmer_new(code, "UTF_8");
	return state->stemmers[state->stemmer_count++].stemmer;
}

/* The language whose stemmer is used: the article's when libstemmer has one, else "en". */
static const char *
stem_language(struct keywords_state *state, const char *code)
{
	if (code != NULL && *code != '\0' && stemmer_for(state, code) != NULL)
		return code;
	return "en";
}

/* Stem a folded word into out as "lang:stem". */
static void
stem_key(struct keywords_state *state, const char *language, const char *folded, char *out,
    size_t out_size)
{
	struct sb_stemmer *stemmer = stemmer_for(state, language);
	const char *stem = NULL;
	size_t language_length = strlen(language), length = 0;

	if (stemmer != NULL && (stem = (const char *)sb_stemmer_stem(stemmer,
	    (const sb_symbol *)folded, (int)strlen(folded))) != NULL)
		length = (size_t)sb_stemmer_length(stemmer);
	if (stem == NULL) {
		stem = folded;
		length = strlen(folded);
	}
	/* "lang:stem", truncated to fit as snprintf would */
	if (language_length >= out_size)
		language_length = out_size - 1;
	memcpy(out, language, language_length);
	if (language_length + 1 < out_size) {
		out[language_length++] = ':';
		if (length > out_size - 1 - language_length)
			length = out_size - 1 - language_length;
		memcpy(out + language_length, stem, length);
		language_length += length;
	}
	out[language_length] = '\0';
}

static int
frequency_add(struct keywords_state *state, const char *key, uintptr_t count)
{
	void **slot = word_table_insert(&state->document_frequency, key);

	if (slot == NULL)
		return -1;
	*slot = (void *)((uintptr_t)*slot + count);
	return 0;
}

static int
background_load(struct keywords_state *state, char *error, size_t error_size)
{
	FILE *file = fopen(state->background_path, "r");
	char *buffer = NULL, *line, word[TOKEN_BYTES], folded[TOKEN_BYTES], key[TOKEN_BYTES + 8];
	size_t buffer_size = 0;
	int line_number = 0, result = 0;
	long count;

	if (file == NULL) {
		snprintf(error, error_size, "cannot open background %s: %m",
		    state->background_path);
		return -1;
	}
	while ((line = words_read_line(file, &buffer, &buffer_size, &line_number)) != NULL) {
		if (sscanf(line, "documents %ld", &count) == 1 && count > 0) {
			state->documents = (double)count;
			continue;
		}
		if (sscanf(line, "%63s %ld", word, &count) != 2 || count < 1) {
			snprintf(error, error_size, "%s:%d: expected WORD COUNT",
			    state->background_path, line_number);
			result = -1;
			break;
		}
		words_fold(word, strlen(word), folded, sizeof(folded));
		stem_key(state, "en", folded, key, sizeof(key));
		if (frequency_add(state, key, (uintptr_t)count) == -1) {
			snprintf(error, error_size, "out of memory");
			result = -1;
			break;
		}
	}
	free(buffer);
	fclose(file);
	return result;
}

static int
stopwords_load(struct keywords_state *state, char *error, size_t error_size)
{
	FILE *file = fopen(state->stopwords_path, "r");
	char *buffer = NULL, *line, folded[TOKEN_BYTES];
	size_t buffer_size = 0;
	int line_number = 0;

	if (file == NULL) {
		snprintf(error, error_size, "cannot open stopwords %s: %m", state->stopwords_path);
		return -1;
	}
	while ((line = words_read_line(file, &buffer, &buffer_size, &line_number)) != NULL) {
		words_fold(line, strlen(line), folded, sizeof(folded));
		stop_word_add(state, folded);
	}
	free(buffer);
	fclose(file);
	return 0;
}

static void keywords_fini(void *state_pointer);
static void stemmer_slot_forget(struct stemmer_slot *slot);

static int
keywords_init(void *state_pointer, char *error, size_t error_size)
{
	struct keywords_state *state = state_pointer;

	if (state->top < 1 || state->max_terms < 1000) {
		snprintf(error, error_size, "top must be at least 1 and max_terms at least 1000");
		return -1;
	}
	if (stemmer_for(state, "en") == NULL) {
		snprintf(error, error_size, "libstemmer has no English stemmer");
		return -1;
	}
	for (int count = 1; count < SMALL_COUNTS; count++)
		state->log_of[count] = log(count);
	for (size_t i = 0; i < sizeof(english_stop_words) / sizeof(english_stop_words[0]); i++)
		stop_word_add(state, english_stop_words[i]);
	if ((state->background_path != NULL && background_load(state, error, error_size) == -1) ||
	    (state->stopwords_path != NULL && stopwords_load(state, error, error_size) == -1)) {
		keywords_fini(state);
		return -1;
	}
	return 0;
}

static void
keywords_fini(void *state_pointer)
{
	struct keywords_state *state = state_pointer;

	for (size_t i = 0; i < state->stemmer_count; i++) {
		if (state->stemmers[i].stemmer != NULL)
			sb_stemmer_delete(state->stemmers[i].stemmer);
		stemmer_slot_forget(&state->stemmers[i]);
	}
	state->stemmer_count = 0;
	word_table_free(&state->stop_words, NULL);
	word_table_free(&state->document_frequency, NULL);
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

static size_t
character_count(const char *text)
{
	size_t count = 0;

	for (; *text != '\0'; text++)
		if (((unsigned char)*text & 0xC0) != 0x80)
			count++;
	return count;
}

static void
word_form_free(void *value)
{
	struct word_form *form = value;

	if (form != NULL)
		free(form->folded);
	free(form);
}

static void
term_key_free(void *value)
{
	struct term_key *key = value;

	if (key != NULL)
		free(key->text);
	free(key);
}

/* Drop what the slot has cached (its stemmer stays). */
static void
stemmer_slot_forget(struct stemmer_slot *slot)
{
	word_table_free(&slot->forms, word_form_free);
	word_table_free(&slot->keys, term_key_free);
	free(slot->memo);
	slot->memo = NULL;
}

/* The interned key "lang:stem" of a folded word; NULL when out of memory. */
static struct term_key *
term_key_of(struct keywords_state *state, struct stemmer_slot *slot, const char *language,
    const char *folded)
{
	char text[TOKEN_BYTES + 8];
	void **entry;
	struct term_key *key;

	stem_key(state, language, folded, text, sizeof(text));
	if ((entry = word_table_insert(&slot->keys, text)) == NULL)
		return NULL;
	if (*entry == NULL) {
		if ((key = calloc(1, sizeof(*key))) == NULL || (key->text = strdup(text)) == NULL) {
			free(key);
			return NULL;
		}
		*entry = key;
	}
	return *entry;
}

/* The cached form of a written word (an ABI-2 token type, length < TOKEN_BYTES), made when
 * new; NULL when out of memory. */
static const struct word_form *
word_form_of(struct keywords_state *state, struct stemmer_slot *slot, const char *language,
    const struct ws_token_type *type)
{
	char folded[TOKEN_BYTES];
	struct word_form *form;
	void **entry;

	if (slot->memo != NULL &&
	    (form = word_memo_find(slot->memo, type->written, type->length, type->hash)) != NULL)
		return form;
	if (slot->memo == NULL)
		slot->memo = calloc(WORD_MEMO_SLOTS, sizeof(*slot->memo));
	if ((entry = word_table_get_hashed(&slot->forms, type->written, type->hash)) == NULL)
		return NULL;
	if (*entry != NULL) {
		form = *entry;
		goto memoise;
	}
	words_fold(type->written, type->length, folded, sizeof(folded));
	if ((form = calloc(1, sizeof(*form))) == NULL || (form->folded = strdup(folded)) == NULL) {
		free(form);
		return NULL;
	}
	if (character_count(folded) >= (size_t)state->min_length &&
	    word_table_find(&state->stop_words, folded) == NULL &&
	    (form->key = term_key_of(state, slot, language, folded)) == NULL) {
		word_form_free(form);
		return NULL;
	}
	*entry = form;
memoise:
	if (slot->memo != NULL)
		word_memo_put(slot->memo, word_table_key_of(&slot->forms, entry), type->length,
		    type->hash, form);
	return form;
}

/* The article's term for key, added when new; NULL when out of memory. */
static struct term *
article_term(struct keywords_state *state, struct term_key *key)
{
	struct term *term;

	if (key->article == state->article_number)
		return &state->terms[key->term];
	if (state->term_count == state->term_capacity) {
		size_t capacity = state->term_capacity ? state->term_capacity * 2 : 256;
		struct term *grown = realloc(state->terms, capacity * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		memset(grown + state->term_capacity, 0,
		    (capacity - state->term_capacity) * sizeof(*grown));
		state->terms = grown;
		state->term_capacity = capacity;
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

/* Count a written form of the term, weight times (0: only offer it), first met at word first. */
static void
surface_count_add(struct term *term, const char *text, size_t length, int weight,
    uint32_t first)
{
	struct surface *surface;

	for (size_t i = 0; i < term->surface_count; i++) {
		surface = &term->surfaces[i];
		if (surface->length == length && memcmp(surface->text, text, length) == 0) {
			surface->count += weight;
			if (first < surface->first)
				surface->first = first;
			return;
		}
	}
	if (term->surface_count == term->surface_capacity) {
		size_t capacity = term->surface_capacity ? term->surface_capacity * 2 : 4;
		struct surface *grown = realloc(term->surfaces, capacity * sizeof(*grown));

		if (grown == NULL)
			return;
		term->surfaces = grown;
		term->surface_capacity = capacity;
	}
	surface = &term->surfaces[term->surface_count++];
	surface->text = text;
	surface->length = length;
	surface->count = weight;
	surface->first = first;
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

/* Add each token type's tally to the article's terms. */
static void
terms_collect(struct keywords_state *state, struct stemmer_slot *slot, const char *language,
    const struct ws_tokens *tokens)
{
	for (size_t i = 0; i < tokens->type_count; i++) {
		const struct ws_token_type *type = &tokens->types[i];
		const struct type_tally *tally = &state->tallies[i];
		const struct word_form *form;
		struct term *term;

		/* isdigit() of the C locale (wiresift never calls setlocale), inline */
		if (tally->weight == 0 || type->length >= TOKEN_BYTES ||
		    (type->written[0] >= '0' && type->written[0] <= '9'))
			continue;
		if ((form = word_form_of(state, slot, language, type)) == NULL ||
		    form->key == NULL || (term = article_term(state, form->key)) == NULL)
			continue;
		term->frequency += tally->weight;
		if (tally->first_counted != TALLY_NONE)
			surface_count_add(term, type->written, type->length, tally->counted,
			    tally->first_counted);
		if (tally->first_offered != TALLY_NONE)
			surface_count_add(term, form->folded, strlen(form->folded), 0,
			    tally->first_offered);
	}
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

/* Halve every document frequency and drop the terms that reach zero. */
static void
frequencies_decay(struct keywords_state *state)
{
	struct word_table kept;
	struct word_table *table = &state->document_frequency;

	memset(&kept, 0, sizeof(kept));
	for (size_t i = 0; i < table->capacity; i++) {
		uintptr_t halved;
		void **slot;

		if (table->keys[i] == NULL || (halved = (uintptr_t)table->values[i] / 2) == 0)
			continue;
		if ((slot = word_table_insert(&kept, table->keys[i])) != NULL)
			*slot = (void *)halved;
	}
	word_table_free(table, NULL);
	*table = kept;
	state->frequency_layout++;
	state->documents /= 2;
}

/*
 * The slot whose stemmer and caches serve language; with every slot taken by other
 * languages, a scratch slot (the caller forgets it after the article).
 */
static struct stemmer_slot *
slot_for(struct keywords_state *state, const char *language, struct stemmer_slot *scratch)
{
	for (size_t i = 0; i < state->stemmer_count; i++)
		if (strcmp(state->stemmers[i].code, language) == 0)
			return &state->stemmers[i];
	return scratch;
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
	const char *language = stem_language(state, article->lang_code);
	struct stemmer_slot scratch = { .stemmer = NULL }, *slot;
	size_t ranked_count = 0;
	char surface[TOKEN_BYTES];

	slot = slot_for(state, language, &scratch);
	if (slot->forms.count > FORMS_MAX)
		stemmer_slot_forget(slot);
	state->article_number++;
	state->term_count = 0;
	if (tallies_reset(state, tokens->type_count) == -1) {
		stemmer_slot_forget(&scratch);
		return -1;
	}
	/* backwards (types_tally): the text, then the title */
	types_tally(state->tallies, &tokens->text, (uint32_t)tokens->title.count, 1);
	types_tally(state->tallies, &tokens->title, 0, TITLE_WEIGHT);
	terms_collect(state, slot, language, tokens);
	if (state->term_count == 0) {
		stemmer_slot_forget(&scratch);
		return 0;
	}
	if (state->ranked_capacity < state->term_count) {
		struct term **grown = realloc(state->ranked, state->term_count * sizeof(*grown));

		if (grown == NULL) {
			stemmer_slot_forget(&scratch);
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
	stemmer_slot_forget(&scratch);
	if (state->document_frequency.count > (size_t)state->max_terms)
		frequencies_decay(state);
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
