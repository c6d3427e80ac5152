/*
 * article_json.c - the article's two JSON forms: the schema-2 Kafka message value (written by
 * message_write.c without a tree, or rendered from a jansson tree when a string is not valid
 * UTF-8) with its dedup and story verdicts, and the `wiresift parse` record.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "dedup/dedup.h"
#include "story/story.h"
#include "json_arena.h"
#include "json_write.h"
#include "message_write.h"
#include "util.h"

/*
 * Strings of a message are valid UTF-8 by construction (the feed parser decodes to it, the
 * cleaner and the plugins keep it so): message_write.c writes the message without a tree,
 * checking every string as it writes it.  Should one not be valid, the message is rendered
 * from a tree of checked strings instead (message_render), which leaves that one out as
 * jansson does; the other JSON outputs here are built that way too.
 */
static json_t *
json_text(const char *value)
{
	return json_string(value);
}

static json_t *
json_text_or_null(const char *value)
{
	return value != NULL ? json_text(value) : json_null();
}

static json_t *
json_strlist(const struct strlist *list)
{
	json_t *array = json_array();

	for (size_t i = 0; i < list->count; i++)
		json_array_append_new(array, json_text(list->items[i]));
	return array;
}

static json_t *
json_enclosures(const struct enclosure *list, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; i < count; i++) {
		const struct enclosure *enclosure = &list[i];
		json_t *object = json_object();

		json_object_set_new_nocheck(object, "url", json_text_or_null(enclosure->url));
		json_object_set_new_nocheck(object, "type", json_text_or_null(enclosure->type));
		json_object_set_new_nocheck(object, "length", enclosure->length >= 0 ?
		    json_integer(enclosure->length) : json_null());
		json_array_append_new(array, object);
	}
	return array;
}

static json_t *
json_entities(const struct article *article)
{
	json_t *array = json_array();

	for (size_t i = 0; i < article->entity_count; i++) {
		const struct entity *found = &article->entities[i];
		json_t *entity = json_object();

		json_object_set_new_nocheck(entity, "name", json_text_or_null(found->name));
		json_object_set_new_nocheck(entity, "type", json_text_or_null(found->type));
		json_object_set_new_nocheck(entity, "count", json_integer(found->count));
		json_array_append_new(array, entity);
	}
	return array;
}

static json_t *
json_story(const struct story_ref *story)
{
	json_t *object = json_object();

	json_object_set_new_nocheck(object, "id", json_text_or_null(story->id));
	json_object_set_new_nocheck(object, "size", json_integer((json_int_t)story->size));
	json_object_set_new_nocheck(object, "first_seen", json_time_or_null(story->first_seen));
	json_object_set_new_nocheck(object, "headline", json_text_or_null(story->headline));
	return object;
}

/*
 * Append object's compact JSON to out (no intermediate copy) and drop the object; 0, or -1
 * when it holds a string that is not valid UTF-8 (then "{}" is written).
 */
static int
json_render_into(json_t *object, struct buffer *out)
{
	size_t start = out->length;
	int failed = json_write(object, out) != 0;

	if (failed) {
		out->length = start;
		buffer_append_string(out, "{}");
	}
	json_decref(object);
	return failed ? -1 : 0;
}

static char *
json_render(json_t *object)
{
	struct buffer out = { 0 };

	json_render_into(object, &out);
	return buffer_steal(&out);
}

/* What the page step did: status, the page fetched, how its text was found, its words. */
static json_t *
json_fulltext(const struct article *article)
{
	json_t *fulltext = json_object();

	json_object_set_new_nocheck(fulltext, "status", json_string(article->fulltext_status));
	json_object_set_new_nocheck(fulltext, "url", json_text_or_null(article->fulltext_url));
	json_object_set_new_nocheck(fulltext, "method",
	    json_text_or_null(article->fulltext_method));
	json_object_set_new_nocheck(fulltext, "words",
	    json_integer((json_int_t)article->fulltext_words));
	json_object_set_new_nocheck(fulltext, "http_status", article->fulltext_http_status > 0 ?
	    json_integer((json_int_t)article->fulltext_http_status) : json_null());
	return fulltext;
}

static json_t *
article_people_json(const struct article_person *people, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; i < count; i++)
		json_array_append_new(array, json_pack("{s:o, s:o, s:o}",
		    "name", json_text_or_null(people[i].name),
		    "email", json_text_or_null(people[i].email),
		    "uri", json_text_or_null(people[i].uri)));
	return array;
}

/*
 * Schema 2: the authors as {name, email, uri}; those only named (a plugin's, an older
 * stage's) come from the authors list with no email or uri.
 */
static json_t *
message_authors(const struct article *article)
{
	json_t *array;

	if (article->person_count > 0)
		return article_people_json(article->people, article->person_count);
	array = json_array();
	for (size_t i = 0; i < article->authors.count; i++)
		json_array_append_new(array, json_pack("{s:o, s:o, s:o}",
		    "name", json_text_or_null(article->authors.items[i]),
		    "email", json_null(), "uri", json_null()));
	return array;
}

/*
 * The message as a jansson tree of checked strings, written: what message_write() writes
 * without the tree, and what a message holding a string that is not UTF-8 falls back to.
 */
int
message_render(const struct article *article, struct buffer *out)
{
	json_t *root = json_object(), *source, *lang, *tags;

	json_object_set_new_nocheck(root, "schema", json_integer(ARTICLE_SCHEMA));
	json_object_set_new_nocheck(root, "id", json_text_or_null(article->id));
	json_object_set_new_nocheck(root, "url", json_text_or_null(article->url ? article->url :
	    article->link));
	json_object_set_new_nocheck(root, "guid", json_text_or_null(article->guid));
	source = json_object();
	json_object_set_new_nocheck(source, "name", json_text_or_null(article->source_name ?
	    article->source_name : article->feed_name));
	json_object_set_new_nocheck(source, "domain", json_text_or_null(article->source_domain));
	json_object_set_new_nocheck(source, "feed", json_text_or_null(article->feed_url));
	json_object_set_new_nocheck(source, "tags", json_strlist(&article->source_tags));
	json_object_set_new_nocheck(source, "title", json_text_or_null(article->feed_title));
	json_object_set_new_nocheck(source, "language", json_text_or_null(article->feed_language));
	json_object_set_new_nocheck(root, "source", source);
	json_object_set_new_nocheck(root, "title", json_text_or_null(article->title));
	json_object_set_new_nocheck(root, "summary", json_text_or_null(article->summary));
	json_object_set_new_nocheck(root, "text", json_text_or_null(article->text));
	json_object_set_new_nocheck(root, "dateline", json_text_or_null(article->dateline));
	json_object_set_new_nocheck(root, "authors", message_authors(article));
	json_object_set_new_nocheck(root, "published", json_time_or_null(article->published));
	json_object_set_new_nocheck(root, "published_estimated",
	    json_boolean(article->published_is_fetch_time));
	json_object_set_new_nocheck(root, "updated", json_time_or_null(article->updated));
	json_object_set_new_nocheck(root, "fetched", json_time_or_null(article->fetched));
	if (article->lang_code[0] != '\0') {
		lang = json_object();
		json_object_set_new_nocheck(lang, "code", json_text(article->lang_code));
		json_object_set_new_nocheck(lang, "confidence",
		    json_real(round(article->lang_confidence * 100.0) / 100.0));
		json_object_set_new_nocheck(root, "lang", lang);
	} else
		json_object_set_new_nocheck(root, "lang", json_null());
	tags = json_object();
	json_object_set_new_nocheck(tags, "categories", json_strlist(&article->categories));
	json_object_set_new_nocheck(tags, "entities", json_entities(article));
	json_object_set_new_nocheck(tags, "keywords", json_strlist(&article->keywords));
	json_object_set_new_nocheck(tags, "topics", json_strlist(&article->topics));
	json_object_set_new_nocheck(root, "tags", tags);
	json_object_set_new_nocheck(root, "enclosures",
	    json_enclosures(article->enclosures, article->enclosure_count));
	json_object_set_new_nocheck(root, "media", json_enclosures(article->media,
	    article->media_count));
	json_object_set_new_nocheck(root, "word_count",
	    json_integer((json_int_t)article->word_count));
	json_object_set_new_nocheck(root, "reading_time",
	    json_integer((json_int_t)((article->word_count + 229) / 230)));
	if (article->fulltext_status != NULL)
		json_object_set_new_nocheck(root, "fulltext", json_fulltext(article));
	if (article->is_update)
		json_object_set_new_nocheck(root, "update", json_true());
	return json_render_into(root, out);
}

void
article_json_open(const struct article *article, struct buffer *out)
{
	int failed;

	/* message_write reserves the room (one allocation in the common case) */
	if ((failed = message_write(article, out)) != 0) {
		/* a string that is not UTF-8: the tree, whose checked strings leave it out */
		out->length = 0;
		json_arena_begin();
		message_render(article, out);
		json_arena_end();
	}
	if (out->length > 0 && out->data[out->length - 1] == '}')
		out->data[--out->length] = '\0';	/* left open for "dedup" */
}

char *
article_json_without_dedup(const struct article *article)
{
	struct buffer out = { 0 };

	article_json_open(article, &out);
	return buffer_steal(&out);
}

void
article_keep_json_without_dedup(struct article *article)
{
	struct buffer out = { 0 };

	article_json_open(article, &out);
	free(article->json_without_dedup);
	article->json_without_dedup_length = out.length;
	article->json_without_dedup_capacity = out.capacity;
	article->json_without_dedup = buffer_steal(&out);
}

/*
 * The verdicts as jansson trees of checked strings (a string that is not UTF-8 left out, a
 * dedup object that cannot be written "{}"): what message_write_verdicts() writes without
 * them, and what a message it cannot write falls back to.
 */
void
message_render_verdicts(const struct article *article, const char *without_dedup,
    struct buffer *whole)
{
	buffer_append_string(whole, without_dedup);
	message_render_verdicts_after(article, whole);
}

void
message_render_verdicts_after(const struct article *article, struct buffer *whole)
{
	double similarity = round(article->dedup.similarity * 1000.0) / 1000.0;
	json_t *dedup;

	json_arena_begin();
	dedup = json_object();
	json_object_set_new_nocheck(dedup, "status",
	    json_string_nocheck(message_dedup_status(article->dedup.status)));
	json_object_set_new_nocheck(dedup, "duplicate_of",
	    json_text_or_null(article->dedup.duplicate_of));
	json_object_set_new_nocheck(dedup, "similarity", json_real(similarity));
	json_object_set_new_nocheck(dedup, "group", json_text_or_null(article->dedup.group));
	json_object_set_new_nocheck(dedup, "method", json_text_or_null(article->dedup.method));
	buffer_append_string(whole, ",\"dedup\":");
	json_render_into(dedup, whole);
	if (article->story.id != NULL) {
		buffer_append_string(whole, ",\"story\":");
		json_render_into(json_story(&article->story), whole);
	}
	json_arena_end();
	buffer_append(whole, "}", 1);
}

/* The verdicts appended to whole, which holds the open message (open bytes of it). */
static void
append_verdicts(const struct article *article, struct buffer *whole, size_t open)
{
	if (message_write_verdicts_after(article, whole) != 0) {
		whole->length = open;
		message_render_verdicts_after(article, whole);
	}
}

char *
article_json_with_dedup(const struct article *article, const char *without_dedup)
{
	struct buffer whole = { 0 };
	size_t open = strlen(without_dedup);

	buffer_reserve(&whole, open + 512);
	json_write_raw(without_dedup, open, &whole);
	append_verdicts(article, &whole, open);
	return buffer_steal(&whole);
}

char *
article_to_json(const struct article *article)
{
	char *without_dedup = article->json_without_dedup != NULL ? NULL :
	    article_json_without_dedup(article);
	char *whole = article_json_with_dedup(article, without_dedup != NULL ? without_dedup :
	    article->json_without_dedup);

	free(without_dedup);
	return whole;
}

/*
 * The whole message in the buffer the worker wrote json_without_dedup in, taken from the
 * article (its length and room known: nothing measured, nothing copied but the verdicts);
 * rendered here when the worker did not. *length: the message's bytes. Caller frees.
 */
char *
article_json_take(struct article *article, size_t *length)
{
	struct buffer whole = { 0 };

	if (article->json_without_dedup == NULL)
		article_json_open(article, &whole);
	else {
		whole.data = article->json_without_dedup;
		whole.length = article->json_without_dedup_length;
		whole.capacity = article->json_without_dedup_capacity;
		if (whole.capacity == 0) {	/* not kept by article_keep_json_without_dedup */
			whole.length = strlen(whole.data);
			whole.capacity = whole.length + 1;
		}
		article->json_without_dedup = NULL;
		article->json_without_dedup_length = article->json_without_dedup_capacity = 0;
	}
	append_verdicts(article, &whole, whole.length);
	*length = whole.length;
	return buffer_steal(&whole);
}

static const char *
text_type_name(unsigned char type)
{
	return type == ARTICLE_TEXT_PLAIN ? "text" : type == ARTICLE_TEXT_XHTML ? "xhtml" : "html";
}

static json_t *
json_category_details(const struct article *article)
{
	json_t *array = json_array();

	for (size_t i = 0; i < article->category_detail_count; i++) {
		const struct article_category *category = &article->category_details[i];

		json_array_append_new(array, json_pack("{s:o, s:o, s:o}",
		    "term", json_text_or_null(category->term),
		    "scheme", json_text_or_null(category->scheme),
		    "label", json_text_or_null(category->label)));
	}
	return array;
}

static json_t *
json_permalink(signed char flag)
{
	return flag < 0 ? json_null() : json_boolean(flag);
}

/*
 * A text field of the parse record as the feed gave it, with its type and the xml:lang and
 * xml:base in effect where it was read (KEY_type, KEY_language, KEY_base; null without it).
 */
static void
parse_json_text(json_t *root, const struct article *article, const char *key,
    enum article_text_field field, const char *value, unsigned char type)
{
	char name[32];
	const char *base = article->text_base[field] != NULL ? article->text_base[field] :
	    article->feed_url;

	json_object_set_new_nocheck(root, key, json_text_or_null(value));
	snprintf(name, sizeof name, "%s_type", key);
	json_object_set_new(root, name, value != NULL ?
	    json_string_nocheck(text_type_name(type)) : json_null());
	snprintf(name, sizeof name, "%s_language", key);
	json_object_set_new(root, name, json_text_or_null(value != NULL ?
	    article->text_language[field] : NULL));
	snprintf(name, sizeof name, "%s_base", key);
	json_object_set_new(root, name, json_text_or_null(value != NULL ? base : NULL));
}

char *
article_to_parse_json(const struct article *article)
{
	json_t *root = json_object();

	json_object_set_new_nocheck(root, "id", json_text_or_null(article->id));
	json_object_set_new_nocheck(root, "guid", json_text_or_null(article->guid));
	json_object_set_new_nocheck(root, "guid_is_permalink",
	    json_permalink(article->guid_is_permalink));
	json_object_set_new_nocheck(root, "url", json_text_or_null(article->link));
	parse_json_text(root, article, "title", ARTICLE_FIELD_TITLE, article->title_raw,
	    article->title_type);
	json_object_set_new_nocheck(root, "published", json_time_or_null(article->published));
	json_object_set_new_nocheck(root, "updated", json_time_or_null(article->updated));
	json_object_set_new_nocheck(root, "created", json_time_or_null(article->created));
	json_object_set_new_nocheck(root, "authors",
	    article_people_json(article->people, article->person_count));
	json_object_set_new_nocheck(root, "categories", json_category_details(article));
	parse_json_text(root, article, "summary", ARTICLE_FIELD_SUMMARY, article->summary_raw ?
	    article->summary_raw : article->summary_html, article->summary_type);
	parse_json_text(root, article, "content", ARTICLE_FIELD_CONTENT, article->content_raw ?
	    article->content_raw : article->content_html, article->content_type);
	json_object_set_new_nocheck(root, "content_src", json_text_or_null(article->content_src));
	json_object_set_new_nocheck(root, "enclosures",
	    json_enclosures(article->enclosures, article->enclosure_count));
	json_object_set_new_nocheck(root, "media", json_enclosures(article->media,
	    article->media_count));
	json_object_set_new_nocheck(root, "feed", json_pack("{s:o, s:o, s:o, s:o}",
	    "title", json_text_or_null(article->feed_title),
	    "url", json_text_or_null(article->feed_url),
	    "format", json_text_or_null(article->feed_format),
	    "language", json_text_or_null(article->feed_language)));
	return json_render(root);
}
