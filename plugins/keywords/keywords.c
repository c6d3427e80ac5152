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
 */
#include <ctype.h>
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
	struct {
		char		 code[8];
		struct sb_stemmer *stemmer;	/* NULL: none for this language */
	}	 stemmers[STEMMER_SLOTS];
	size_t	 stemmer_count;
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
	const sb_symbol *stem = NULL;

	if (stemmer != NULL)
		stem = sb_stemmer_stem(stemmer, (const sb_symbol *)folded, (int)strlen(folded));
	snprintf(out, out_size, "%s:%s", language, stem != NULL ? (const char *)stem : folded);
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

	for (size_t i = 0; i < state->stemmer_count; i++)
		if (state->stemmers[i].stemmer != NULL)
			sb_stemmer_delete(state->stemmers[i].stemmer);
	state->stemmer_count = 0;
	word_table_free(&state->stop_words, NULL);
	word_table_free(&state->document_frequency, NULL);
}

/* ---- one article ---- */

struct surface {
	char	*text;
	int	 count;
};

struct term {
	char		*key;		/* "lang:stem", owned by the article's term table */
	int		 frequency;	/* mentions, the title's weighted */
	double		 score;
	struct surface	*surfaces;
	size_t		 surface_count;
};

static void
term_free(void *value)
{
	struct term *term = value;

	if (term == NULL)
		return;
	for (size_t i = 0; i < term->surface_count; i++)
		free(term->surfaces[i].text);
	free(term->surfaces);
	free(term);
}

static void
surface_count_add(struct term *term, const char *text, int weight)
{
	struct surface *grown;

	for (size_t i = 0; i < term->surface_count; i++) {
		if (strcmp(term->surfaces[i].text, text) == 0) {
			term->surfaces[i].count += weight;
			return;
		}
	}
	grown = realloc(term->surfaces, (term->surface_count + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	term->surfaces = grown;
	if ((grown[term->surface_count].text = strdup(text)) == NULL)
		return;
	grown[term->surface_count++].count = weight;
}

static const char *
surface_best(const struct term *term)
{
	const struct surface *best = &term->surfaces[0];

	for (size_t i = 1; i < term->surface_count; i++)
		if (term->surfaces[i].count > best->count)
			best = &term->surfaces[i];
	return best->text;
}

static size_t
character_count(const char *text)
{
	size_t count = 0;

	for (; *text != '\0'; text++)
		if (((unsigned char)*text & 0xC0) != 0x80)
			count++;
	return count;
}

/* Count the terms of one text into terms. */
static void
terms_collect(struct keywords_state *state, struct word_table *terms, const char *language,
    const char *text, int weight)
{
	size_t length = strlen(text), position = 0;
	char folded[TOKEN_BYTES], key[TOKEN_BYTES + 8], surface[TOKEN_BYTES];
	struct word word;

	while (words_next(text, length, &position, &word)) {
		size_t word_length = word.end - word.start;
		struct term *term;
		void **slot;

		if (word_length >= TOKEN_BYTES || isdigit((unsigned char)text[word.start]))
			continue;
		words_fold(text + word.start, word_length, folded, sizeof(folded));
		if (character_count(folded) < (size_t)state->min_length ||
		    word_table_find(&state->stop_words, folded) != NULL)
			continue;
		stem_key(state, language, folded, key, sizeof(key));
		if ((slot = word_table_insert(terms, key)) == NULL)
			continue;
		if (*slot == NULL && (*slot = calloc(1, sizeof(struct term))) == NULL)
			continue;
		term = *slot;
		term->frequency += weight;
		/*
		 * A capital at a sentence start says nothing about the word: there it only
		 * offers the folded form, for words seen nowhere else.
		 */
		if (word.sentence_start && !word.all_upper) {
			surface_count_add(term, folded, 0);
			continue;
		}
		snprintf(surface, sizeof(surface), "%.*s", (int)word_length, text + word.start);
		surface_count_add(term, surface, weight);
	}
}

static int
term_compare(const void *left_pointer, const void *right_pointer)
{
	const struct term *left = *(struct term *const *)left_pointer;
	const struct term *right = *(struct term *const *)right_pointer;

	if (left->score != right->score)
		return left->score > right->score ? -1 : 1;
	return strcmp(left->key, right->key);
}

/* Halve every document frequency and drop the terms that reach zero. */
static void
frequencies_decay(struct keywords_state *state)
{
	struct word_table kept = { NULL, NULL, 0, 0 };
	struct word_table *table = &state->document_frequency;

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
	state->documents /= 2;
}

static int
keywords_process(void *state_pointer, struct article *article)
{
	struct keywords_state *state = state_pointer;
	const char *language = stem_language(state, article->lang_code);
	struct word_table terms = { NULL, NULL, 0, 0 };
	struct term **ranked;
	size_t ranked_count = 0;

	if (article->title != NULL)
		terms_collect(state, &terms, language, article->title, TITLE_WEIGHT);
	if (article->text != NULL)
		terms_collect(state, &terms, language, article->text, 1);
	if (terms.count == 0) {
		word_table_free(&terms, term_free);
		return 0;
	}
	if ((ranked = calloc(terms.count, sizeof(*ranked))) == NULL) {
		word_table_free(&terms, term_free);
		return -1;
	}
	state->documents += 1;
	for (size_t i = 0; i < terms.capacity; i++) {
		struct term *term = terms.values[i];
		void **known;
		double frequency;

		if (terms.keys[i] == NULL || term == NULL || term->surface_count == 0)
			continue;
		term->key = terms.keys[i];
		/* This article counts among the documents that have the term. */
		frequency_add(state, term->key, 1);
		known = word_table_find(&state->document_frequency, term->key);
		frequency = known != NULL ? (double)(uintptr_t)*known : 1;
		term->score = (1 + log(term->frequency)) *
		    (1 + log((state->documents + 1) / (frequency + 1)));
		ranked[ranked_count++] = term;
	}
	qsort(ranked, ranked_count, sizeof(*ranked), term_compare);
	strlist_clear(&article->keywords);
	for (size_t i = 0; i < ranked_count && i < (size_t)state->top; i++)
		strlist_add_unique(&article->keywords, surface_best(ranked[i]));
	free(ranked);
	word_table_free(&terms, term_free);
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
	.process = keywords_process,
	.fini = keywords_fini,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &keywords_plugin;
}
