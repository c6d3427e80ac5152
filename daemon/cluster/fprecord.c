/*
 * fprecord.c - the records of the fingerprints topic (fprecord.h): one per prepared article,
 * written binary (docs/schema/fingerprint.schema.json gives the layout), read binary or JSON.
 *
 * Every instance reads every record of the group, its own ones only for the id and the time
 * (the article is still here, parked), the others' into an article for dedup_check() and
 * story_assign(). The JSON layout of earlier versions cost the loop thread a jansson tree of
 * some hundred nodes per record on both sides; the binary one is written into a buffer sized
 * for it first, each integer one store, and its id and time are read at fixed places; another
 * instance's is read with a load per integer and one copy per string (none for an entity's,
 * terminated on the stack for article_add_entity). Writing and reading a record byte by byte,
 * a string copied twice, took 4-6x the instructions (bench_fprecord). Integers are
 * little-endian, strings a 32-bit length (0xFFFFFFFF: none) and their bytes, unterminated.
 */
#include <endian.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/fprecord.h"
#include "story/story_internal.h"
#include "util.h"

#define NO_STRING	UINT32_MAX
#define FEATURE_SIZE	12	/* a story feature: key, count, salient */

/* The buffer of the record being written, sized for it first (record_size): grows only if
 * that was short. */
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

/* The size low bytes of value at at, little-endian, whatever the host's order. */
static void
store_uint(uint8_t *at, uint64_t value, size_t size)
{
	uint64_t little = htole64(value);

	memcpy(at, &little, size);
}

static void
put_uint(struct writer *out, uint64_t value, size_t size)
{
	store_uint(reserve(out, size), value, size);
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

static size_t
string_size(const char *text)
{
	return 4 + (text != NULL ? strlen(text) : 0);
}

static const char *
outlet_of(const struct article *article)
{
	return article->source_name ? article->source_name : article->source_domain ?
	    article->source_domain : article->feed_name;
}

/* The record's length (at least: a string too long for a length is written as none). */
static size_t
record_size(const struct dedup_hasher *hasher, const struct article *article)
{
	size_t size = FPRECORD_HEADER + 8 + string_size(article->id) +
	    string_size(article->feed_url) + 16 + hasher->signature_bytes +
	    (size_t)hasher->bands * 8;

	if (article->story_features == NULL)
		return size;
	size += 8 + string_size(outlet_of(article)) + string_size(article->title) + 8 +
	    (size_t)article->story_features->count * FEATURE_SIZE;
	for (size_t i = 0; i < article->entity_count; i++)
		size += string_size(article->entities[i].name) +
		    string_size(article->entities[i].type) + 4;
	return size;
}

/* What story_assign() looks at: the features, the outlet, the title, the entities. */
static void
put_story(struct writer *out, const struct article *article)
{
	const struct story_features *features = article->story_features;
	uint8_t *at;

	put_uint(out, (uint64_t)features->time, 8);
	put_string(out, outlet_of(article));
	put_string(out, article->title);
	put_uint(out, article->entity_count, 4);
	for (size_t i = 0; i < article->entity_count; i++) {
		put_string(out, article->entities[i].name);
		put_string(out, article->entities[i].type);
		put_uint(out, (uint32_t)article->entities[i].count, 4);
	}
	put_uint(out, features->count, 4);
	at = reserve(out, (size_t)features->count * FEATURE_SIZE);
	for (uint32_t i = 0; i < features->count; i++, at += FEATURE_SIZE) {
		store_uint(at, features->items[i].key, 8);
		store_uint(at + 8, features->items[i].count, 2);
		store_uint(at + 10, features->items[i].salient, 2);
	}
}

uint8_t *
fprecord_encode(const struct dedup_hasher *hasher, const struct article *article, time_t when,
    size_t *length)
{
	const struct dedup_sketch *sketch = article->dedup_sketch;
	struct writer out = { NULL, 0, record_size(hasher, article) };

	out.data = xmalloc(out.capacity);

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

/* The size bytes at at, little-endian, whatever the host's order. */
static uint64_t
load_uint(const uint8_t *at, size_t size)
{
	uint64_t little = 0;

	memcpy(&little, at, size);
	return le64toh(little);
}

static uint64_t
get_uint(struct reader *in, size_t size)
{
	const uint8_t *at = take(in, size);

	return at != NULL ? load_uint(at, size) : 0;
}

/* The next string where it is in the record (not terminated), NULL when it is none (or the
 * record is short). */
static const char *
get_text(struct reader *in, uint32_t *length)
{
	const uint8_t *at;

	*length = (uint32_t)get_uint(in, 4);
	if (in->failed || *length == NO_STRING || (at = take(in, *length)) == NULL)
		return NULL;
	return (const char *)at;
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

int
fprecord_has_story(const struct fprecord *record)
{
	if (record->json != NULL)
		return json_is_object(json_object_get(record->json, "story"));
	return record->length > 2 && (record->data[2] & FPRECORD_STORY) != 0;
}

void
fprecord_close(struct fprecord *record)
{
	if (record->json != NULL)
		json_decref(record->json);
	record->json = NULL;
}

/*
 * A feature set of count items for the caller to write, every field (their names are for
 * --explain only: none, offset 0), and a spare one zeroed. Not zeroed whole: clearing items
 * about to be written was a third of reading a record back (bench_fprecord).
 */
static struct story_features *
features_new(size_t count, int64_t time)
{
	struct story_features *features = xcalloc(1, sizeof *features);

	features->capacity = (uint32_t)count + 1;
	features->items = xmalloc(features->capacity * sizeof *features->items);
	memset(&features->items[count], 0, sizeof *features->items);
	features->names = xcalloc(1, 1);
	features->names_capacity = 1;
	features->time = time;
	return features;
}

/* The next string into *field, when it is one: up to its first NUL, as a C string reads. */
static void
take_string(struct reader *in, char **field)
{
	uint32_t length;
	const char *text = get_text(in, &length);

	if (text != NULL) {
		free(*field);
		*field = xstrndup(text, length);
	}
}

/* An entity: its name and type terminated in a buffer on the stack (article_add_entity copies
 * them), one on the heap only for names too long for it. */
static void
get_entity(struct reader *in, struct article *article)
{
	uint32_t name_length, type_length;
	const char *name = get_text(in, &name_length), *type = get_text(in, &type_length);
	int mentions = (int)(int32_t)get_uint(in, 4);
	char scratch[256], *both;
	size_t size;

	if (name == NULL || in->failed)
		return;
	size = (size_t)name_length + 1 + (type != NULL ? (size_t)type_length + 1 : 0);
	both = size <= sizeof scratch ? scratch : xmalloc(size);
	memcpy(both, name, name_length);
	both[name_length] = '\0';
	if (type != NULL) {
		memcpy(both + name_length + 1, type, type_length);
		both[name_length + 1 + type_length] = '\0';
	}
	article_add_entity(article, both, type != NULL ? both + name_length + 1 : NULL, mentions);
	if (both != scratch)
		free(both);
}

/*
 * count features (FEATURE_SIZE bytes each: key, count, salient) into items. On a
 * little-endian host a feature's last four bytes are the item's count and salient as they
 * lie in memory (struct story_item: key, count, salient, name, no padding), so each item is
 * two loads and two stores, its name (0) stored with them: 8 instructions a feature, not 11
 * (a load and store a field), at ~350 features a third of reading an article-size record.
 */
static void
read_features(struct story_item *items, const uint8_t *at, uint32_t count)
{
#if __BYTE_ORDER == __LITTLE_ENDIAN
	_Static_assert(sizeof(struct story_item) == 16 &&
	    offsetof(struct story_item, count) == 8 && offsetof(struct story_item, salient) == 10 &&
	    offsetof(struct story_item, name) == 12, "story_item: key, count, salient, name");
	for (uint32_t i = 0; i < count; i++, at += FEATURE_SIZE) {
		uint32_t both;
		uint64_t rest;

		memcpy(&items[i].key, at, sizeof items[i].key);
		memcpy(&both, at + 8, sizeof both);
		rest = both;	/* count, salient, then a name of 0 */
		memcpy(&items[i].count, &rest, sizeof rest);
	}
#else
	for (uint32_t i = 0; i < count; i++, at += FEATURE_SIZE) {
		items[i].key = load_uint(at, 8);
		items[i].count = (uint16_t)load_uint(at + 8, 2);
		items[i].salient = (uint16_t)load_uint(at + 10, 2);
		items[i].name = 0;
	}
#endif
}

static void
binary_story(struct reader *in, struct article *article)
{
	int64_t time = (int64_t)get_uint(in, 8);
	const uint8_t *at;
	uint32_t count;

	take_string(in, &article->source_name);
	take_string(in, &article->title);
	count = (uint32_t)get_uint(in, 4);
	for (uint32_t i = 0; i < count && !in->failed; i++)
		get_entity(in, article);
	count = (uint32_t)get_uint(in, 4);
	if (in->failed || count > (in->length - in->at) / FEATURE_SIZE) {
		in->failed = 1;
		return;
	}
	article->story_features = features_new(count, time);
	at = take(in, (size_t)count * FEATURE_SIZE);
	read_features(article->story_features->items, at, count);
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
	if (fprecord_has_story(record))
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
		struct story_item *at = &features->items[features->count++];
		at->key = hex_value(json_array_get(item, 0));
		at->count = (uint16_t)json_integer_value(json_array_get(item, 1));
		at->salient = (uint16_t)json_integer_value(json_array_get(item, 2));
		at->name = 0;
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
	if (fprecord_has_story(record))
		json_story(json_object_get(record->json, "story"), article);
	return article;
}

struct article *
fprecord_article(const struct fprecord *record, const struct dedup_hasher *hasher)
{
	return record->json != NULL ? json_article(record, hasher) :
	    binary_article(record, hasher);
}
