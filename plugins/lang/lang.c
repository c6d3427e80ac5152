/*
 * lang.c - the "lang" tagger plugin: identifies the language of title + text with
 * libexttextcat's n-gram fingerprints (Cavnar & Trenkle's TextCat) and writes the ISO 639
 * code into article->lang_code with a confidence in lang_confidence.
 *
 * textcat_Classify only says which languages score within 3% of the best, so this plugin
 * loads the fingerprints itself (fp_* API) and compares the text with every one of them:
 * a softmax over the relative out-of-place distances gives the confidence, with the
 * variants of one language (zh-CN/zh-TW, ...) summed.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libexttextcat/textcat.h>
#include <libexttextcat/fingerprint.h>

#include "article.h"
#include "plugin_api.h"

#define LANG_MAX_NGRAMS		400	/* libexttextcat's MAXNGRAMS */
#define LANG_SOFTMAX_SHARPNESS	60.0	/* 7% further from the text than the best: weight e^-4.2 */

struct language_model {
	void	*fingerprint;
	char	 code[8];	/* "en", "zh", "sr", "ace": the primary subtag */
	int	 score;		/* scratch: distance to the current text */
};

struct lang_state {
	/* options */
	char	*model_dir;
	char	*model_config;
	long	 min_chars;
	long	 max_bytes;
	char	*languages;	/* space- or comma-separated codes, or NULL for all */
	/* loaded */
	struct language_model *models;
	size_t	 model_count;
	size_t	 previous_best;	/* the last article's language: compared first */
};

static const struct ws_option lang_options[] = {
	{ "model_dir", "/usr/share/libexttextcat", "directory of the .lm fingerprints",
	    WS_OPTION_PATH, offsetof(struct lang_state, model_dir) },
	{ "model_config", "/usr/share/libexttextcat/fpdb.conf",
	    "fingerprint list: FILE.lm NAME per line", WS_OPTION_PATH,
	    offsetof(struct lang_state, model_config) },
	{ "min_chars", "40", "texts shorter than this are left unidentified",
	    WS_OPTION_INT, offsetof(struct lang_state, min_chars) },
	{ "max_bytes", "2000", "classify at most this many bytes of title + text",
	    WS_OPTION_INT, offsetof(struct lang_state, max_bytes) },
	{ "languages", NULL, "only consider these codes, e.g. \"en de fr\"",
	    WS_OPTION_STRING, offsetof(struct lang_state, languages) },
	{ NULL, NULL, NULL, 0, 0 }
};

/* "zh-CN-utf8" -> "zh"; "en--utf8" -> "en". */
static void
primary_subtag(const char *name, char code[8])
{
	size_t length = strcspn(name, "-_");

	if (length > 7)
		length = 7;
	memcpy(code, name, length);
	code[length] = '\0';
}

static int
language_wanted(const struct lang_state *state, const char *code)
{
	const char *at = state->languages;
	size_t length = strlen(code);

	if (at == NULL || *at == '\0')
		return 1;
	while (*at != '\0') {
		size_t word = strcspn(at, " ,\t");

		if (word == length && strncmp(at, code, length) == 0)
			return 1;
		at += word;
		at += strspn(at, " ,\t");
	}
	return 0;
}

static int
model_add(struct lang_state *state, const char *file, const char *name, char *error,
    size_t error_size)
{
	struct language_model *model;
	char path[4096];
	void *fingerprint;

	snprintf(path, sizeof(path), "%s/%s", state->model_dir, file);
	if ((fingerprint = fp_Init(name)) == NULL) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	if (fp_Read(fingerprint, path, LANG_MAX_NGRAMS) == 0) {
		fp_Done(fingerprint);
		snprintf(error, error_size, "cannot read fingerprint %s", path);
		return -1;
	}
	model = realloc(state->models, (state->model_count + 1) * sizeof(*state->models));
	if (model == NULL) {
		fp_Done(fingerprint);
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	state->models = model;
	model = &state->models[state->model_count++];
	model->fingerprint = fingerprint;
	primary_subtag(name, model->code);
	return 0;
}

static void lang_fini(void *state_pointer);

static int
lang_init(void *state_pointer, char *error, size_t error_size)
{
	struct lang_state *state = state_pointer;
	char line[1024], file[512], name[128];
	FILE *config;

	if (state->max_bytes < 16) {
		snprintf(error, error_size, "max_bytes must be at least 16");
		return -1;
	}
	if ((config = fopen(state->model_config, "r")) == NULL) {
		snprintf(error, error_size, "cannot open %s: %m", state->model_config);
		return -1;
	}
	while (fgets(line, sizeof(line), config) != NULL) {
		char code[8];

		if (line[0] == '#' || sscanf(line, "%511s %127s", file, name) != 2)
			continue;
		primary_subtag(name, code);
		if (!language_wanted(state, code))
			continue;
		if (model_add(state, file, name, error, error_size) == -1) {
			fclose(config);
			lang_fini(state);
			return -1;
		}
	}
	fclose(config);
	if (state->model_count == 0) {
		snprintf(error, error_size, "no language fingerprints loaded from %s%s%s",
		    state->model_config, state->languages ? " for languages " : "",
		    state->languages ? state->languages : "");
		return -1;
	}
	return 0;
}

/* Title and text joined, at most max_bytes, cut at a UTF-8 character boundary. */
static char *
sample_text(const struct lang_state *state, const struct article *article, size_t *length)
{
	size_t limit = (size_t)state->max_bytes, used = 0;
	const char *parts[] = { article->title, article->text != NULL ? article->text :
	    article->summary };
	char *sample = malloc(limit + 1);

	if (sample == NULL)
		return NULL;
	for (size_t i = 0; i < 2 && used < limit; i++) {
		size_t part_length;

		if (parts[i] == NULL || *parts[i] == '\0')
			continue;
		if (used > 0)
			sample[used++] = '\n';
		part_length = strlen(parts[i]);
		if (part_length > limit - used)
			part_length = limit - used;
		memcpy(sample + used, parts[i], part_length);
		used += part_length;
	}
	while (used > 0 && used == limit && ((unsigned char)sample[used - 1] & 0xC0) == 0x80)
		used--;
	if (used > 0 && used == limit && ((unsigned char)sample[used - 1] & 0xC0) == 0xC0)
		used--;
	sample[used] = '\0';
	*length = used;
	return sample;
}

/* Count characters that are not spaces, digits or ASCII punctuation. */
static size_t
letter_count(const char *text, size_t length)
{
	size_t letters = 0;

	for (size_t i = 0; i < length; i++) {
		unsigned char byte = (unsigned char)text[i];

		if ((byte & 0xC0) == 0x80)
			continue;
		if (byte >= 0x80 || (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z'))
			letters++;
	}
	return letters;
}

/* Distances from the text to every model; returns the index of the best, -1 on failure. */
static int
score_models(struct lang_state *state, const char *sample, size_t length)
{
	void *unknown = fp_Init(NULL);
	int best = -1;

	if (unknown == NULL)
		return -1;
	fp_SetProperty(unknown, TCPROP_UTF8AWARE, TC_TRUE);
	fp_SetProperty(unknown, TCPROP_MINIMUM_DOCUMENT_SIZE, 1);
	if (fp_Create(unknown, sample, (uint4)length, LANG_MAX_NGRAMS) == 0) {
		fp_Done(unknown);
		return -1;
	}
	/*
	 * Compare with the language of the previous article first (a feed rarely switches), then
	 * stop each other comparison once it is 20% worse than the best so far: such a model's
	 * softmax weight (best_confidence) is below e^-12 whatever its exact distance.
	 */
	size_t first = state->previous_best < state->model_count ? state->previous_best : 0;

	best = (int)first;
	state->models[first].score = fp_Compare(state->models[first].fingerprint, unknown,
	    INT_MAX);
	for (size_t i = 0; i < state->model_count; i++) {
		if (i == first)
			continue;
		long cutoff = (long)state->models[best].score * 6 / 5 + 1;
		state->models[i].score = fp_Compare(state->models[i].fingerprint, unknown,
		    cutoff < INT_MAX ? (int)cutoff : INT_MAX);
		if (state->models[i].score < state->models[best].score)
			best = (int)i;
	}
	state->previous_best = (size_t)best;
	fp_Done(unknown);
	return best;
}

/* Share of the softmax weight that falls on the best model's language. */
static double
best_confidence(const struct lang_state *state, int best)
{
	double best_score = state->models[best].score, total = 0, same_language = 0;

	if (best_score <= 0)
		return 1.0;
	for (size_t i = 0; i < state->model_count; i++) {
		double relative = state->models[i].score / best_score - 1.0;
		double weight = exp(-LANG_SOFTMAX_SHARPNESS * relative);

		total += weight;
		if (strcmp(state->models[i].code, state->models[best].code) == 0)
			same_language += weight;
	}
	return total > 0 ? same_language / total : 0;
}

static int
lang_process(void *state_pointer, struct article *article)
{
	struct lang_state *state = state_pointer;
	size_t length;
	char *sample = sample_text(state, article, &length);
	int best;

	if (sample == NULL)
		return -1;
	if (letter_count(sample, length) < (size_t)(state->min_chars > 0 ? state->min_chars : 0)) {
		free(sample);
		return 0;	/* too short to tell: leave lang_code empty */
	}
	best = score_models(state, sample, length);
	free(sample);
	if (best < 0)
		return 0;
	snprintf(article->lang_code, sizeof(article->lang_code), "%s", state->models[best].code);
	article->lang_confidence = round(best_confidence(state, best) * 1000) / 1000;
	return 0;
}

static void
lang_fini(void *state_pointer)
{
	struct lang_state *state = state_pointer;

	for (size_t i = 0; i < state->model_count; i++)
		fp_Done(state->models[i].fingerprint);
	free(state->models);
	state->models = NULL;
	state->model_count = 0;
}

static const struct ws_plugin lang_plugin = {
	.abi = WS_PLUGIN_ABI,
	.name = "lang",
	.description = "language identification with libexttextcat",
	.options = lang_options,
	.state_size = sizeof(struct lang_state),
	.init = lang_init,
	.process = lang_process,
	.fini = lang_fini,
};

const struct ws_plugin *
ws_plugin_entry(void)
{
	return &lang_plugin;
}
