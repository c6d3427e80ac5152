/*
 * dedup_exact.h - the exact-Jaccard reference bench_dedup.c measures the dedup index against:
 * the exact shingle sets of all earlier articles (shingled as the index shingles them),
 * intersected through an inverted index, so every pair with a shingle in common is measured
 * exactly; duplicate when J >= threshold or containment >= containment_threshold.
 */
#ifndef WIRESIFT_BENCH_DEDUP_EXACT_H
#define WIRESIFT_BENCH_DEDUP_EXACT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "dedup/dedup.h"
#include "dedup/dedup_internal.h"


/* ---- exact reference: inverted index over all shingles ---- */

struct exact_reference {
	uint64_t	*keys;		/* open addressing: shingle -> posting head + 1 */
	uint32_t	*heads;
	size_t		 table_size;
	size_t		 table_used;
	uint32_t	*posting_document;
	uint32_t	*posting_next;
	size_t		 postings;
	size_t		 posting_capacity;
	uint32_t	*set_sizes;	/* per document */
	uint32_t	*overlap;	/* per document, scratch */
	uint32_t	*touched;
	size_t		 documents;
	size_t		 document_capacity;
};

static void
reference_grow_table(struct exact_reference *reference)
{
	size_t old_size = reference->table_size;
	uint64_t *old_keys = reference->keys;
	uint32_t *old_heads = reference->heads;

	reference->table_size = old_size ? old_size * 2 : 1 << 16;
	reference->keys = xcalloc(reference->table_size, sizeof *reference->keys);
	reference->heads = xcalloc(reference->table_size, sizeof *reference->heads);
	for (size_t i = 0; i < old_size; i++) {
		size_t slot;

		if (old_heads[i] == 0)
			continue;
		slot = (size_t)(old_keys[i] & (reference->table_size - 1));
		while (reference->heads[slot] != 0)
			slot = (slot + 1) & (reference->table_size - 1);
		reference->keys[slot] = old_keys[i];
		reference->heads[slot] = old_heads[i];
	}
	free(old_keys);
	free(old_heads);
}

static uint32_t *
reference_head(struct exact_reference *reference, uint64_t shingle, int create)
{
	size_t slot;

	if (create && (reference->table_used + 1) * 2 > reference->table_size)
		reference_grow_table(reference);
	if (reference->table_size == 0)
		return NULL;
	slot = (size_t)(shingle & (reference->table_size - 1));
	while (reference->heads[slot] != 0) {
		if (reference->keys[slot] == shingle)
			return &reference->heads[slot];
		slot = (slot + 1) & (reference->table_size - 1);
	}
	if (!create)
		return NULL;
	reference->keys[slot] = shingle;
	reference->table_used++;
	return &reference->heads[slot];
}

static int
compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The distinct shingles of a text, the same way the index shingles it. */
static size_t
exact_shingles(const char *text, struct dedup_words *scratch, uint64_t **out, size_t *capacity)
{
	size_t width = 5, count, distinct = 0;

	dedup_words_from_text(scratch, text);
	if (scratch->count == 0)
		return 0;
	if (scratch->count < width)
		width = scratch->count;
	count = scratch->count - width + 1;
	if (count > *capacity) {
		*capacity = count;
		*out = xrealloc(*out, count * sizeof **out);
	}
	for (size_t i = 0; i < count; i++)
		(*out)[i] = XXH3_64bits(scratch->hashes + i, width * sizeof(uint64_t));
	qsort(*out, count, sizeof **out, compare_u64);
	for (size_t i = 0; i < count; i++)
		if (distinct == 0 || (*out)[i] != (*out)[distinct - 1])
			(*out)[distinct++] = (*out)[i];
	return distinct;
}

struct exact_verdict {
	int	 duplicate;
	double	 best_resemblance;
	double	 best_containment;
};

/* Judge the next document exactly against all earlier ones, then index it. */
static struct exact_verdict
reference_judge(struct exact_reference *reference, const uint64_t *shingles, size_t count,
    double threshold, double containment_threshold)
{
	struct exact_verdict verdict = { 0, 0, 0 };
	uint32_t self = (uint32_t)reference->documents;
	size_t touched = 0;

	if (reference->documents == reference->document_capacity) {
		reference->document_capacity = reference->document_capacity ?
		    reference->document_capacity * 2 : 4096;
		reference->set_sizes = xrealloc(reference->set_sizes,
		    reference->document_capacity * sizeof *reference->set_sizes);
		reference->overlap = xrealloc(reference->overlap,
		    reference->document_capacity * sizeof *reference->overlap);
		reference->touched = xrealloc(reference->touched,
		    reference->document_capacity * sizeof *reference->touched);
		memset(reference->overlap + reference->documents, 0,
		    (reference->document_capacity - reference->documents) *
		    sizeof *reference->overlap);
	}
	for (size_t i = 0; i < count; i++) {
		uint32_t *head = reference_head(reference, shingles[i], 0);

		for (uint32_t node = head ? *head : 0; node != 0;
		    node = reference->posting_next[node - 1]) {
			uint32_t other = reference->posting_document[node - 1];

			if (reference->overlap[other]++ == 0)
				reference->touched[touched++] = other;
		}
	}
	for (size_t i = 0; i < touched; i++) {
		uint32_t other = reference->touched[i], common = reference->overlap[other];
		uint32_t other_size = reference->set_sizes[other];
		double resemblance = (double)common / (count + other_size - common);
		double containment = (double)common / (count < other_size ? count : other_size);

		if (resemblance > verdict.best_resemblance)
			verdict.best_resemblance = resemblance;
		if (containment > verdict.best_containment)
			verdict.best_containment = containment;
		if (resemblance >= threshold || containment >= containment_threshold)
			verdict.duplicate = 1;
		reference->overlap[other] = 0;
	}
	for (size_t i = 0; i < count; i++) {
		uint32_t *head = reference_head(reference, shingles[i], 1);

		if (reference->postings == reference->posting_capacity) {
			reference->posting_capacity = reference->posting_capacity ?
			    reference->posting_capacity * 2 : 1 << 20;
			reference->posting_document = xrealloc(reference->posting_document,
			    reference->posting_capacity * sizeof *reference->posting_document);
			reference->posting_next = xrealloc(reference->posting_next,
			    reference->posting_capacity * sizeof *reference->posting_next);
		}
		reference->posting_document[reference->postings] = self;
		reference->posting_next[reference->postings] = *head;
		*head = (uint32_t)++reference->postings;
	}
	reference->set_sizes[self] = (uint32_t)count;
	reference->documents++;
	return verdict;
}

static size_t
reference_memory(const struct exact_reference *reference)
{
	return reference->table_size * (sizeof(uint64_t) + sizeof(uint32_t)) +
	    reference->posting_capacity * 2 * sizeof(uint32_t) +
	    reference->document_capacity * 3 * sizeof(uint32_t);
}

static void
reference_free(struct exact_reference *reference)
{
	free(reference->keys);
	free(reference->heads);
	free(reference->posting_document);
	free(reference->posting_next);
	free(reference->set_sizes);
	free(reference->overlap);
	free(reference->touched);
}

#endif
