/*
 * language.c - the keywords plugin's language side: stop words, the stemmer of each language
 * and the written forms it has made, and the document frequencies (keywords.h) that
 * keywords.c scores an article's terms against.
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
 * term key interned; keywords.c finds it by the host's stable form id first (words.h's
 * form_index, per language too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "keywords.h"

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

struct sb_stemmer *
keywords_stemmer_for(struct keywords_state *state, const char *code)
{
	if (code == NULL || *code == '\0')
		code = "en";
	for (size_t i = 0; i < state->stemmer_count; i++)
		if (strcmp(state->stemmers[i].code, code) == 0)
			return state->stemmers[i].stemmer;
	if (state->stemmer_count == STEMMER_SLOTS)
		return keywords_stemmer_for(state, "en");
	snprintf(state->stemmers[state->stemmer_count].code, sizeof(state->stemmers[0].code),
	    "%s", code);
	state->stemmers[state->stemmer_count].stemmer = sb_stemmer_new(code, "UTF_8");
	return state->stemmers[state->stemmer_count++].stemmer;
}

/* The language whose stemmer is used: the article's when libstemmer has one, else "en". */
const char *
keywords_stem_language(struct keywords_state *state, const char *code)
{
	if (code != NULL && *code != '\0' && keywords_stemmer_for(state, code) != NULL)
		return code;
	return "en";
}

/* Stem a folded word into out as "lang:stem". */
static void
stem_key(struct keywords_state *state, const char *language, const char *folded, char *out,
    size_t out_size)
{
	struct sb_stemmer *stemmer = keywords_stemmer_for(state, language);
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

int
keywords_language_load(struct keywords_state *state, char *error, size_t error_size)
{
	for (size_t i = 0; i < sizeof(english_stop_words) / sizeof(english_stop_words[0]); i++)
		stop_word_add(state, english_stop_words[i]);
	if ((state->background_path != NULL && background_load(state, error, error_size) == -1) ||
	    (state->stopwords_path != NULL && stopwords_load(state, error, error_size) == -1))
		return -1;
	return 0;
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
void
keywords_slot_forget(struct stemmer_slot *slot)
{
	word_table_free(&slot->forms, word_form_free);
	word_table_free(&slot->keys, term_key_free);
	free(slot->memo);
	slot->memo = NULL;
	form_index_free(&slot->by_id);
	form_index_free(&slot->keys_by_id);
}

void
keywords_language_free(struct keywords_state *state)
{
	for (size_t i = 0; i < state->stemmer_count; i++) {
		if (state->stemmers[i].stemmer != NULL)
			sb_stemmer_delete(state->stemmers[i].stemmer);
		keywords_slot_forget(&state->stemmers[i]);
	}
	state->stemmer_count = 0;
	word_table_free(&state->stop_words, NULL);
	word_table_free(&state->document_frequency, NULL);
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
const struct word_form *
keywords_word_form_of(struct keywords_state *state, struct stemmer_slot *slot,
    const char *language, const struct ws_token_type *type)
{
	char folded[TOKEN_BYTES];
	size_t folded_length;
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
	folded_length = words_fold(type->written, type->length, folded, sizeof(folded));
	if ((form = calloc(1, sizeof(*form))) == NULL || (form->folded = strdup(folded)) == NULL) {
		free(form);
		return NULL;
	}
	form->folded_length = folded_length;
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

/*
 * The slot whose stemmer and caches serve language; with every slot taken by other
 * languages, a scratch slot (the caller forgets it after the article).
 */
struct stemmer_slot *
keywords_slot_for(struct keywords_state *state, const char *language,
    struct stemmer_slot *scratch)
{
	for (size_t i = 0; i < state->stemmer_count; i++)
		if (strcmp(state->stemmers[i].code, language) == 0)
			return &state->stemmers[i];
	return scratch;
}

/* Halve every document frequency and drop the terms that reach zero. */
void
keywords_frequencies_decay(struct keywords_state *state)
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
