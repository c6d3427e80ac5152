/*
 * explain.c - the sentence `wiresift process --explain` prints for each article's story:
 * which story it joined or opened, the score against the threshold with its parts, the
 * evidence that held a look-alike apart, and the features it shares with the best story,
 * heaviest first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "story_internal.h"
#include "util.h"

#define SHARED_SHOWN 6

static const char *
kind_name(enum story_kind kind)
{
	static const char *const names[] = { "word", "number", "person", "place",
	    "organization", "other" };

	return kind <= KIND_OTHER ? names[kind] : "?";
}

struct shared {
	uint32_t	 item;
	double		 product;
};

static int
by_product(const void *a, const void *b)
{
	double x = ((const struct shared *)a)->product, y = ((const struct shared *)b)->product;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void
append_shared(struct buffer *out, const struct story_vector *vector,
    const struct story_features *features, const struct story *story)
{
	struct shared shared[VECTOR_MAX];
	size_t count = 0;
	uint32_t i = 0, j = 0;

	while (i < vector->count && j < story->centroid_count) {
		if (vector->items[i].key < story->centroid[j].key)
			i++;
		else if (story->centroid[j].key < vector->items[i].key)
			j++;
		else {
			shared[count].item = vector->items[i].name;
			shared[count++].product = (double)vector->items[i].weight *
			    story->centroid[j].weight / story->size;
			i++;
			j++;
		}
	}
	qsort(shared, count, sizeof *shared, by_product);
	buffer_append_string(out, " shared=");
	if (count == 0)
		buffer_append_string(out, "none");
	for (size_t k = 0; k < count && k < SHARED_SHOWN; k++)
		buffer_printf(out, "%s%s:%s(%.2f)", k ? "," : "",
		    kind_name(key_kind(features->items[shared[k].item].key)),
		    story_feature_name(features, shared[k].item), shared[k].product);
}

static void
append_score(struct buffer *out, const struct story_score *score, double threshold)
{
	buffer_printf(out, " score=%.3f threshold=%.2f words=%.2f", score->score, threshold,
	    score->terms);
	if (score->entities >= 0)
		buffer_printf(out, " entities=%.2f", score->entities);
	if (score->numbers >= 0)
		buffer_printf(out, " numbers=%.2f", score->numbers);
	if (score->time_factor < 1)
		buffer_printf(out, " time=%.2f", score->time_factor);
	if (score->conflicts != 0)
		buffer_printf(out, " apart_by=%s%s%s",
		    score->conflicts & CONFLICT_PEOPLE ? "people," : "",
		    score->conflicts & CONFLICT_PLACES ? "places," : "",
		    score->conflicts & CONFLICT_NUMBERS ? "numbers," : "");
}

char *
story_explain(const struct story_vector *vector, const struct story_features *features,
    const struct story *best, const struct story_score *score, double threshold, int joined,
    const char *story_id)
{
	struct buffer out = { 0 };
	char best_id[17];

	if (joined) {
		buffer_printf(&out, "joined story=%s size=%u", story_id, best->size);
		append_score(&out, score, threshold);
		append_shared(&out, vector, features, best);
		return buffer_steal(&out);
	}
	buffer_printf(&out, "opened story=%s", story_id);
	if (best == NULL) {
		buffer_append_string(&out, " no open story shares a feature");
		return buffer_steal(&out);
	}
	story_id_format(best->key, best_id);
	buffer_printf(&out, " nearest=%s", best_id);
	append_score(&out, score, threshold);
	append_shared(&out, vector, features, best);
	return buffer_steal(&out);
}
