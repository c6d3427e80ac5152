/*
 * dedup_corpus.h - the generated corpus bench_dedup.c measures the dedup index on: a
 * reproducible random sequence, words drawn from a Zipf vocabulary of made-up words, original
 * articles (paragraph lists, same-topic ones sharing quoted sentences) and edited wire copies
 * of them (headline added, last paragraphs trimmed, advert line inserted, typos fixed, byline
 * added, paragraphs rewritten).
 */
#ifndef WIRESIFT_BENCH_DEDUP_CORPUS_H
#define WIRESIFT_BENCH_DEDUP_CORPUS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define VOCABULARY	30000
#define TOPICS		300
#define QUOTES_PER_TOPIC 12


/* ---- random numbers and words ---- */

static uint64_t random_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
random_next(void)
{
	uint64_t z = (random_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t
random_below(size_t bound)
{
	return (size_t)(random_next() % bound);
}

static double
random_unit(void)
{
	return (double)(random_next() >> 11) / 9007199254740992.0;
}

static char	*vocabulary[VOCABULARY];
static double	 zipf_cdf[VOCABULARY];

static void
vocabulary_init(void)
{
	double total = 0;

	for (size_t i = 0; i < VOCABULARY; i++) {
		/* Frequent words short, rare ones longer, like real text. */
		size_t length = 2 + (size_t)(log((double)i + 2) * 0.9) + random_below(3);
		char *word = xmalloc(length + 1);

		for (size_t j = 0; j < length; j++)
			word[j] = (char)('a' + random_below(26));
		word[length] = '\0';
		vocabulary[i] = word;
		total += 1.0 / pow((double)i + 1, 1.05);
		zipf_cdf[i] = total;
	}
	for (size_t i = 0; i < VOCABULARY; i++)
		zipf_cdf[i] /= total;
}

static const char *
zipf_word(void)
{
	double u = random_unit();
	size_t low = 0, high = VOCABULARY - 1;

	while (low < high) {
		size_t middle = (low + high) / 2;

		if (zipf_cdf[middle] < u)
			low = middle + 1;
		else
			high = middle;
	}
	return vocabulary[low];
}

static void
append_sentence(struct buffer *out, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			buffer_append_string(out, " ");
		buffer_append_string(out, zipf_word());
	}
	buffer_append_string(out, ".");
}

static char *
new_sentence(size_t count)
{
	struct buffer out = { 0 };

	append_sentence(&out, count);
	return buffer_steal(&out);
}

/* ---- documents as paragraph lists ---- */

struct document {
	char	**paragraphs;
	size_t	  count;
	char	 *text;		/* joined with "\n\n" */
	int	  origin;	/* index of the original it was made from, -1 for originals */
	char	  id[40];
};

static char	*quotes[TOPICS][QUOTES_PER_TOPIC];
static char	*adverts[4];

static void
corpus_init(void)
{
	vocabulary_init();
	for (size_t t = 0; t < TOPICS; t++)
		for (size_t q = 0; q < QUOTES_PER_TOPIC; q++)
			quotes[t][q] = new_sentence(14 + random_below(14));
	for (size_t a = 0; a < 4; a++)
		adverts[a] = new_sentence(10 + random_below(6));
}

static void
document_add(struct document *document, char *paragraph)
{
	document->paragraphs = xrealloc(document->paragraphs,
	    (document->count + 1) * sizeof *document->paragraphs);
	document->paragraphs[document->count++] = paragraph;
}

static void
document_join(struct document *document)
{
	struct buffer out = { 0 };

	for (size_t i = 0; i < document->count; i++) {
		if (i > 0)
			buffer_append_string(&out, "\n\n");
		buffer_append_string(&out, document->paragraphs[i]);
	}
	free(document->text);
	document->text = buffer_steal(&out);
}

static void
document_free(struct document *document)
{
	for (size_t i = 0; i < document->count; i++)
		free(document->paragraphs[i]);
	free(document->paragraphs);
	free(document->text);
	memset(document, 0, sizeof *document);
}

/* An original article: 6-9 paragraphs of 50-90 words, with 0-3 quotes of its topic. */
static void
make_original(struct document *document)
{
	size_t topic = random_below(TOPICS), paragraphs = 6 + random_below(4);
	size_t quoted = random_below(4);

	memset(document, 0, sizeof *document);
	document->origin = -1;
	for (size_t p = 0; p < paragraphs; p++) {
		struct buffer out = { 0 };
		size_t length = 50 + random_below(41);

		while (length > 0) {
			size_t sentence = 8 + random_below(15);

			if (sentence > length)
				sentence = length;
			if (out.length > 0)
				buffer_append_string(&out, " ");
			append_sentence(&out, sentence);
			length -= sentence;
		}
		if (quoted > 0 && random_below(3) == 0) {
			buffer_append_string(&out, " \"");
			buffer_append_string(&out, quotes[topic][random_below(QUOTES_PER_TOPIC)]);
			buffer_append_string(&out, "\" said an official.");
			quoted--;
		}
		document_add(document, buffer_steal(&out));
	}
	document_join(document);
}

/* Replace `count` random words of a paragraph (typo fixes and small rewordings). */
static char *
reword(const char *paragraph, size_t count)
{
	char *copy = xstrdup(paragraph);
	size_t length = strlen(copy);
	struct buffer out = { 0 };

	for (size_t i = 0; i < count; i++) {
		size_t at = random_below(length);

		while (at > 0 && copy[at - 1] != ' ')
			at--;
		if (copy[at] >= 'a' && copy[at] <= 'z')
			copy[at] = (char)('a' + (copy[at] - 'a' + 1 + random_below(25)) % 26);
	}
	buffer_append_string(&out, copy);
	free(copy);
	return buffer_steal(&out);
}

/* An edited wire copy of source: a random mix of the usual edits, at least one. */
static void
make_copy(struct document *copy, const struct document *source, int origin)
{
	int edits = 0;
	size_t keep = source->count;

	memset(copy, 0, sizeof *copy);
	copy->origin = origin;
	if (random_below(2) == 0) {		/* headline added */
		document_add(copy, new_sentence(8 + random_below(5)));
		edits++;
	}
	if (random_below(3) == 0) {		/* byline */
		document_add(copy, xasprintf("By %s %s, Staff Reporter", zipf_word(), zipf_word()));
		edits++;
	}
	if (random_below(3) == 0 && keep > 4) {	/* trimmed last paragraph(s) */
		keep -= 1 + random_below(2);
		edits++;
	}
	for (size_t p = 0; p < keep; p++) {
		const char *paragraph = source->paragraphs[p];
		int typo = random_below(6) == 0;

		document_add(copy, typo ? reword(paragraph, 1 + random_below(3)) :
		    xstrdup(paragraph));
		edits += typo;
		if (p == keep / 2 && random_below(3) == 0) {	/* advert inserted */
			document_add(copy, xstrdup(adverts[random_below(4)]));
			edits++;
		}
	}
	if (random_below(6) == 0 && copy->count > 4) {	/* a paragraph or two rewritten */
		for (size_t r = 0; r < 1 + random_below(2); r++) {
			size_t at = random_below(copy->count);

			free(copy->paragraphs[at]);
			copy->paragraphs[at] = new_sentence(50 + random_below(30));
		}
		edits++;
	}
	if (edits == 0) {
		free(copy->paragraphs[0]);
		copy->paragraphs[0] = reword(source->paragraphs[0], 2);
	}
	document_join(copy);
}

#endif
