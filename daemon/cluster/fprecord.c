/*
 * fprecord.c - the records of the fingerprints topic (fprecord.h): one per prepared article,
 * written binary (docs/schema/fingerprint.schema.json gives the layout), read binary or JSON.
 *
 * Every instance reads every record of the group, its own ones only for the id and the time
 * (the article is still here, parked), the others' into an article for dedup_check() and
 * story_assign(). The JSON layout of earlier versions cost the loop thread a jansson tree of
 * some hundred nodes per record on both sides; the binary one is written with a few copies and
 * its id and time are read at fixed places. Integers are little-endian, strings a 32-bit
 * length (0xFFFFFFFF: none) and their bytes, unterminated.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/fprecord.h"
#include "story/story_internal.h"
#include "util.h"

#define NO_STRING	UINT32_MAX

/* A growing buffer of the record being written. */
struct writer {
	uint8_t		*data;
	size_t		 length, capacity;
};

static uint8_t *
reserve(struct writer *out, size_t size)
{
	if (out->length + size > out->capacity) {
		while (out->length + size > out->capacity)
			out->capacity = out->capacity ? out->capacity * 2 : 512;
		out->data = xrealloc(out->data, out->capacity);
	}
	out->length += size;
	return out->data + out->length - size;
}

static void
put_uint(struct writer *out, uint64_t value, size_t size)
{
	uint8_t *at = reserve(out, size);

	for (size_t i = 0; i < size; i++)
		at[i] = (uint8_t)(value >> (8 * i));
}

static void
put_bytes(struct writer *out, const void *data, size_t size)
{
	if (size > 0)
		memcpy(reserve(out, size), data, size);
}

static void
put_string(struct writer *out, const char *text)
{
	size_t length = text != NULL ? strlen(text) : 0;

	if (text == NULL || length >= NO_STRING) {
		put_uint(out, NO_STRING, 4);
		return;
	}
	put_uint(out, length, 4);
	put_bytes(out, text, length);
}

/* What story_assign() looks at: the features, the outlet, the title, the entities. */
static void
put_story(struct writer *out, const struct article *article)
{
	const struct story_features *features = article->story_features;
	const char *outlet = article->source_name ? article->source_name :
	    article->source_domain ? article->source_domain : article->feed_name;

	put_uint(out, (uint64_t)features->time, 8);
	put_string(out, outlet);
	put_string(out, article->title);
	put_uint(out, article->entity_count, 4);
	for (size_t i = 0; i < article->entity_count; i++) {
		put_string(out, article->entities[i].name);
		put_string(out, article->entities[i].type);
		put_uint(out, (uint32_t)article->entities[i].count, 4);
	}
	put_uint(out, features->count, 4);
	for (uint32_t i = 0; i < features->count; i++) {
		put_uint(out, features->items[i].key, 8);
		put_uint(out, features->items[i].count, 2);
		put_uint(out, features->items[i].salient, 2);
	}
}

uint8_t *
fprecord_encode(const struct dedup_hasher *hasher, const struct article *article, time_t when,
    size_t *length)
{
	const struct dedup_sketch *sketch = article->dedup_sketch;
	struct writer out = { NULL, 0, 0 };

	put_uint(&out, FPRECORD_MAGIC, 1);
	put_uint(&out, FPRECORD_VERSION, 1);
	put_uint(&out, article->story_features != NULL ? FPRECORD_STORY : 0, 1);
	put_uint(&out, (uint8_t)hasher->shingle_size, 1);
	put_uint(&out, (uint16_t)hasher->signature_size, 2);
	put_uint(&out, (uint16_t)hasher->bands, 2);
	put_uint(&out, (uint64_t)when, 8);
	put_string(&out, article->id);
	put_string(&out, article->feed_url);
	put_uint(&out, sketch->exact_hash, 8);
	put_uint(&out, sketch->word_count, 4);
	put_uint(&out, sketch->shingle_count, 4);
	put_bytes(&out, sketch->signature, hasher->signature_bytes);
	for (int i = 0; i < hasher->bands; i++)
		put_uint(&out, sketch->band_keys[i], 8);
	if (article->story_features != NULL)
		put_story(&out, article);
	*length = out.length;
	return out.data;
}

/* Reading a binary record: every read checks the bounds; a short one sets failed. */
struct reader {
	const uint8_t	*data;
	size_t		 length, at;
	int		 failed;
};

static const uint8_t *
take(struct reader *in, size_t size)
{
	if (in->failed || size > in->length - in->at) {
		in->failed = 1;
		return NULL;
	}
	in->at += size;
	return in->data + in->at - size;
}

static uint64_t
get_uint(struct reader *in, size_t size)
{
	const uint8_t *at = take(in, size);
	uint64_t value = 0;

	for (size_t i = 0; at != NULL && i < size; i++)
		value |= (uint64_t)at[i] << (8 * i);
	return value;
}

/* A malloc'd copy of the next string, NULL when it is none (or the record is short). */
static char *
get_string(struct reader *in)
{
	uint32_t length = (uint32_t)get_uint(in, 4);
	const uint8_t *at;

	if (in->failed || length == NO_STRING || (at = take(in, length)) == NULL)
		return NULL;
	return xstrndup((const char *)at, length);
}

static void
skip_string(struct reader *in)
{
	uint32_t length = (uint32_t)get_uint(in, 4);

	if (length != NO_STRING)
		take(in, length);
}

static int
binary_open(struct fprecord *record)
{
	struct reader in = { record->data, record->length, FPRECORD_HEADER, 0 };
	uint32_t id_length;
	const uint8_t *id;

	record->time = (time_t)get_uint(&in, 8);
	id_length = (uint32_t)get_uint(&in, 4);
	if (in.failed || id_length == 0 || id_length >= sizeof record->id ||
	    (id = take(&in, id_length)) == NULL)
		return -1;
	memcpy(record->id, id, id_length);
	record->id[id_length] = '\0';
	skip_string(&in);	/* the feed: for people, not judged */
	record->sketch_at = in.at;
	return in.failed ? -1 : 0;
}

static int
json_open(struct fprecord *record, const void *value, size_t length)
{
	const char *id;

	if ((record->json = json_loadb(value, length, 0, NULL)) == NULL ||
	    (id = json_string_value(json_object_get(record->json, "id"))) == NULL ||
	    strlen(id) >= sizeof record->id)
		return -1;
	strcpy(record->id, id);
	record->time = (time_t)json_integer_value(json_object_get(record->json, "time"));
	return 0;
}

int
fprecord_open(struct fprecord *record, const void *value, size_t length)
{
	const uint8_t *data = value;

	memset(record, 0, sizeof *record);
	if (length >= FPRECORD_HEADER && data[0] == FPRECORD_MAGIC &&
	    data[1] == FPRECORD_VERSION) {
		record->data = data;
		record->length = length;
		return binary_open(record);
	}
	if (length > 0 && data[0] == '{')
		return json_open(record, value, length);
	return -1;
}

void
fprecord_close(struct fprecord *record)
{
	if (record->json != NULL)
		json_decref(record->json);
	record->json = NULL;
}

/* An empty feature set of room for count items (names are for --explain only). */
static struct story_features *
features_new(size_t count, int64_t time)
{
	struct story_features *features = xcalloc(1, sizeof *features);

	features->capacity = (uint32_t)count + 1;
	features->items = xcalloc(features->capacity, sizeof *features->items);
	features->names = xcalloc(1, 1);
	features->names_capacity = 1;
	features->time = time;
	return features;
}

static void
take_string(struct reader *in, char **field)
{
	char *text = get_string(in);

	if (text != NULL)
		article_set(field, text);
	free(text);
}

static void
binary_story(struct reader *in, struct article *article)
{
	int64_t time = (int64_t)get_uint(in, 8);
	uint32_t count;

	take_string(in, &article->source_name);
	take_string(in, &article->title);
	count = (uint32_t)get_uint(in, 4);
	for (uint32_t i = 0; i < count && !in->failed; i++) {
		char *name = get_string(in), *type = get_string(in);
		int mentions = (int)(int32_t)get_uint(in, 4);
		if (name != NULL && !in->failed)
			article_add_entity(article, name, type, mentions);
		free(name);
		free(type);
	}
	count = (uint32_t)get_uint(in, 4);
	if (in->failed || count > (in->length - in->at) / 12) {
		in->failed = 1;
		return;
	}
	article->story_features = features_new(count, time);
	for (uint32_t i = 0; i < count; i++) {
		struct story_item *item = &article->story_features->items[i];
		item->key = get_uint(in, 8);
		item->count = (uint16_t)get_uint(in, 2);
		item->salient = (uint16_t)get_uint(in, 2);
	}
	article->story_features->count = count;
}

static int
binary_matches(const struct fprecord *record, const struct dedup_hasher *hasher)
{
	const uint8_t *data = record->data;

	return data[3] == hasher->shingle_size &&
	    (data[4] | data[5] << 8) == hasher->signature_size &&
	    (data[6] | data[7] << 8) == hasher->bands;
}

static struct article *
binary_article(const struct fprecord *record, const struct dedup_hasher *hasher)
{
	struct reader in = { record->data, record->length, record->sketch_at, 0 };
	struct dedup_sketch *sketch;
	struct article *article;
	const uint8_t *signature;

	if (!binary_matches(record, hasher))
		return NULL;
	sketch = xcalloc(1, sizeof *sketch);
	dedup_sketch_init(sketch, hasher);
	article = article_new();
	article_set(&article->id, record->id);
	article->dedup_sketch = sketch;
	sketch->exact_hash = get_uint(&in, 8);
	sketch->word_count = (uint32_t)get_uint(&in, 4);
	sketch->shingle_count = (uint32_t)get_uint(&in, 4);
	if ((signature = take(&in, hasher->signature_bytes)) != NULL)
		memcpy(sketch->signature, signature, hasher->signature_bytes);
	for (int i = 0; i < hasher->bands; i++)
		sketch->band_keys[i] = get_uint(&in, 8);
	if (record->data[2] & FPRECORD_STORY)
		binary_story(&in, article);
	if (in.failed) {
		article_free(article);
		return NULL;
	}
	return article;
}

/* JSON records (earlier versions): 1 when sketched with our shingle, signature and bands. */
static int
json_matches(json_t *record, const struct dedup_hasher *hasher)
{
	json_t *sizes = json_object_get(record, "sketch");
	const char *signature = json_string_value(json_object_get(record, "signature"));

	return json_integer_value(json_array_get(sizes, 0)) == hasher->shingle_size &&
	    json_integer_value(json_array_get(sizes, 1)) == hasher->signature_size &&
	    json_integer_value(json_array_get(sizes, 2)) == hasher->bands &&
	    signature != NULL && strlen(signature) == hasher->signature_bytes * 2 &&
	    json_array_size(json_object_get(record, "bands")) == (size_t)hasher->bands &&
	    json_is_string(json_object_get(record, "exact"));
}

static int
hex_decode(const char *hex, uint8_t *out, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		unsigned value;
		if (sscanf(hex + 2 * i, "%2x", &value) != 1)
			return -1;
		out[i] = (uint8_t)value;
	}
	return 0;
}

static uint64_t
hex_value(json_t *value)
{
	return json_string_value(value) ? strtoull(json_string_value(value), NULL, 16) : 0;
}

static struct dedup_sketch *
json_sketch(json_t *record, const struct dedup_hasher *hasher)
{
	json_t *bands = json_object_get(record, "bands");
	struct dedup_sketch *sketch;

	if (!json_matches(record, hasher))
		return NULL;
	sketch = xcalloc(1, sizeof *sketch);
	dedup_sketch_init(sketch, hasher);
	sketch->exact_hash = hex_value(json_object_get(record, "exact"));
	sketch->word_count = (uint32_t)json_integer_value(json_object_get(record, "words"));
	sketch->shingle_count = (uint32_t)json_integer_value(json_object_get(record, "shingles"));
	for (size_t i = 0; i < json_array_size(bands); i++)
		sketch->band_keys[i] = hex_value(json_array_get(bands, i));
	if (hex_decode(json_string_value(json_object_get(record, "signature")),
	    sketch->signature, hasher->signature_bytes) < 0) {
		dedup_sketch_destroy(sketch);
		return NULL;
	}
	return sketch;
}

static void
json_story(json_t *story, struct article *article)
{
	json_t *items = json_object_get(story, "items"), *entities = json_object_get(story,
	    "entities"), *item;
	struct story_features *features = features_new(json_array_size(items),
	    json_integer_value(json_object_get(story, "time")));
	const char *text;
	size_t i;

	json_array_foreach(items, i, item) {
		features->items[features->count].key = hex_value(json_array_get(item, 0));
		features->items[features->count].count =
		    (uint16_t)json_integer_value(json_array_get(item, 1));
		features->items[features->count++].salient =
		    (uint16_t)json_integer_value(json_array_get(item, 2));
	}
	article->story_features = features;
	if ((text = json_string_value(json_object_get(story, "outlet"))) != NULL)
		article_set(&article->source_name, text);
	if ((text = json_string_value(json_object_get(story, "title"))) != NULL)
		article_set(&article->title, text);
	json_array_foreach(entities, i, item)
		if (json_string_value(json_array_get(item, 0)) != NULL)
			article_add_entity(article, json_string_value(json_array_get(item, 0)),
			    json_string_value(json_array_get(item, 1)),
			    (int)json_integer_value(json_array_get(item, 2)));
}

static struct article *
json_article(const struct fprecord *record, const struct dedup_hasher *hasher)
{
	struct dedup_sketch *sketch = json_sketch(record->json, hasher);
	struct article *article;

	if (sketch == NULL)
		return NULL;
	article = article_new();
	article_set(&article->id, record->id);
	article->dedup_sketch = sketch;
	if (json_is_object(json_object_get(record->json, "story")))
		json_story(json_object_get(record->json, "story"), article);
	return article;
}

struct article *
fprecord_article(const struct fprecord *record, const struct dedup_hasher *hasher)
{
	return record->json != NULL ? json_article(record, hasher) :
	    binary_article(record, hasher);
}
