/*
 * message_write.c - an article's message (schema 2, all but its verdicts) written straight
 * into the buffer, field by field, with json_write.c's pieces: the same bytes as building the
 * jansson tree of article_json.c's message_render() and writing it, without the tree.  Building
 * the tree (an object per entity, enclosure and author, a string copy per field) was about
 * half of a news-size article's message (callgrind: 136K instructions an article, 80K of
 * them the writing).
 *
 * A string that is not valid UTF-8 fails the write (-1), as it fails json_write(); the caller
 * then renders the tree with checked strings, which leaves such a string out as before.  The
 * verdicts the loop adds ("dedup", "story") are written the same way.
 */
#include <math.h>
#include <string.h>

#include "article.h"
#include "json_write.h"
#include "message_write.h"

#define RAW(out, literal)	json_write_raw((literal), sizeof(literal) - 1, (out))

static int
text_or_null(const char *value, struct buffer *out)
{
	if (value == NULL) {
		RAW(out, "null");
		return 0;
	}
	return json_write_string(value, out);
}

/* text_or_null for a string whose length the caller has measured. */
static int
text_length_or_null(const char *value, size_t length, struct buffer *out)
{
	if (value == NULL) {
		RAW(out, "null");
		return 0;
	}
	return json_write_string_length(value, length, out);
}

static int
time_or_null(time_t when, struct buffer *out)
{
	char stamp[21];

	if (when == 0) {
		RAW(out, "null");
		return 0;
	}
	time_format_rfc3339(when, stamp);
	return json_write_string(stamp, out);
}

/* An array of strings; a NULL item is left out, as json_array_append_new(NULL) leaves it. */
static int
strlist(const struct strlist *list, struct buffer *out)
{
	int first = 1;

	RAW(out, "[");
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i] == NULL)
			continue;
		if (!first)
			RAW(out, ",");
		first = 0;
		if (json_write_string(list->items[i], out) != 0)
			return -1;
	}
	RAW(out, "]");
	return 0;
}

/* {"name":...,"email":...,"uri":...} */
static int
person(const char *name, const char *email, const char *uri, struct buffer *out)
{
	RAW(out, "{\"name\":");
	if (text_or_null(name, out) != 0)
		return -1;
	RAW(out, ",\"email\":");
	if (text_or_null(email, out) != 0)
		return -1;
	RAW(out, ",\"uri\":");
	if (text_or_null(uri, out) != 0)
		return -1;
	RAW(out, "}");
	return 0;
}

/* Schema 2's authors: the people, else the names of the authors list. */
static int
authors(const struct article *article, struct buffer *out)
{
	RAW(out, "[");
	for (size_t i = 0; i < article->person_count; i++) {
		const struct article_person *one = &article->people[i];

		if (i > 0)
			RAW(out, ",");
		if (person(one->name, one->email, one->uri, out) != 0)
			return -1;
	}
	for (size_t i = 0; article->person_count == 0 && i < article->authors.count; i++) {
		if (i > 0)
			RAW(out, ",");
		if (person(article->authors.items[i], NULL, NULL, out) != 0)
			return -1;
	}
	RAW(out, "]");
	return 0;
}

static int
enclosures(const struct enclosure *list, size_t count, struct buffer *out)
{
	RAW(out, "[");
	for (size_t i = 0; i < count; i++) {
		if (i > 0)
			RAW(out, ",");
		RAW(out, "{\"url\":");
		if (text_or_null(list[i].url, out) != 0)
			return -1;
		RAW(out, ",\"type\":");
		if (text_or_null(list[i].type, out) != 0)
			return -1;
		RAW(out, ",\"length\":");
		if (list[i].length >= 0)
			json_write_integer(list[i].length, out);
		else
			RAW(out, "null");
		RAW(out, "}");
	}
	RAW(out, "]");
	return 0;
}

static int
entities(const struct article *article, struct buffer *out)
{
	RAW(out, "[");
	for (size_t i = 0; i < article->entity_count; i++) {
		const struct entity *found = &article->entities[i];

		if (i > 0)
			RAW(out, ",");
		RAW(out, "{\"name\":");
		if (text_or_null(found->name, out) != 0)
			return -1;
		RAW(out, ",\"type\":");
		if (text_or_null(found->type, out) != 0)
			return -1;
		RAW(out, ",\"count\":");
		json_write_integer(found->count, out);
		RAW(out, "}");
	}
	RAW(out, "]");
	return 0;
}

static int
source(const struct article *article, struct buffer *out)
{
	RAW(out, ",\"source\":{\"name\":");
	if (text_or_null(article->source_name ? article->source_name : article->feed_name,
	    out) != 0)
		return -1;
	RAW(out, ",\"domain\":");
	if (text_or_null(article->source_domain, out) != 0)
		return -1;
	RAW(out, ",\"feed\":");
	if (text_or_null(article->feed_url, out) != 0)
		return -1;
	RAW(out, ",\"tags\":");
	if (strlist(&article->source_tags, out) != 0)
		return -1;
	RAW(out, ",\"title\":");
	if (text_or_null(article->feed_title, out) != 0)
		return -1;
	RAW(out, ",\"language\":");
	if (text_or_null(article->feed_language, out) != 0)
		return -1;
	RAW(out, "}");
	return 0;
}

/* "lang" and "tags". */
static int
tags(const struct article *article, struct buffer *out)
{
	RAW(out, ",\"lang\":");
	if (article->lang_code[0] != '\0') {
		RAW(out, "{\"code\":");
		if (json_write_string(article->lang_code, out) != 0)
			return -1;
		RAW(out, ",\"confidence\":");
		if (json_write_real(round(article->lang_confidence * 100.0) / 100.0, out) != 0)
			return -1;
		RAW(out, "}");
	} else
		RAW(out, "null");
	RAW(out, ",\"tags\":{\"categories\":");
	if (strlist(&article->categories, out) != 0)
		return -1;
	RAW(out, ",\"entities\":");
	if (entities(article, out) != 0)
		return -1;
	RAW(out, ",\"keywords\":");
	if (strlist(&article->keywords, out) != 0)
		return -1;
	RAW(out, ",\"topics\":");
	if (strlist(&article->topics, out) != 0)
		return -1;
	RAW(out, "}");
	return 0;
}

/* What the page step did, when it ran. */
static int
fulltext(const struct article *article, struct buffer *out)
{
	RAW(out, ",\"fulltext\":{\"status\":");
	if (json_write_string(article->fulltext_status, out) != 0)
		return -1;
	RAW(out, ",\"url\":");
	if (text_or_null(article->fulltext_url, out) != 0)
		return -1;
	RAW(out, ",\"method\":");
	if (text_or_null(article->fulltext_method, out) != 0)
		return -1;
	RAW(out, ",\"words\":");
	json_write_integer((json_int_t)article->fulltext_words, out);
	RAW(out, ",\"http_status\":");
	if (article->fulltext_http_status > 0)
		json_write_integer((json_int_t)article->fulltext_http_status, out);
	else
		RAW(out, "null");
	RAW(out, "}");
	return 0;
}

/* "title" to "fetched"; the summary and the text measured already (their lengths). */
static int
texts_and_times(const struct article *article, size_t summary_length, size_t text_length,
    struct buffer *out)
{
	RAW(out, ",\"title\":");
	if (text_or_null(article->title, out) != 0)
		return -1;
	RAW(out, ",\"summary\":");
	if (text_length_or_null(article->summary, summary_length, out) != 0)
		return -1;
	RAW(out, ",\"text\":");
	if (text_length_or_null(article->text, text_length, out) != 0)
		return -1;
	RAW(out, ",\"dateline\":");
	if (text_or_null(article->dateline, out) != 0)
		return -1;
	RAW(out, ",\"authors\":");
	if (authors(article, out) != 0)
		return -1;
	RAW(out, ",\"published\":");
	if (time_or_null(article->published, out) != 0)
		return -1;
	if (article->published_is_fetch_time)
		RAW(out, ",\"published_estimated\":true,\"updated\":");
	else
		RAW(out, ",\"published_estimated\":false,\"updated\":");
	if (time_or_null(article->updated, out) != 0)
		return -1;
	RAW(out, ",\"fetched\":");
	return time_or_null(article->fetched, out);
}

int
message_write(const struct article *article, struct buffer *out)
{
	size_t text_length = article->text != NULL ? strlen(article->text) : 0;
	size_t summary_length = article->summary != NULL ? strlen(article->summary) : 0;

	/* one allocation in the common case: the texts, a little escaping, the rest */
	buffer_reserve(out, text_length * 9 / 8 + summary_length + 2048);
	RAW(out, "{\"schema\":");
	json_write_integer(ARTICLE_SCHEMA, out);
	RAW(out, ",\"id\":");
	if (text_or_null(article->id, out) != 0)
		return -1;
	RAW(out, ",\"url\":");
	if (text_or_null(article->url ? article->url : article->link, out) != 0)
		return -1;
	RAW(out, ",\"guid\":");
	if (text_or_null(article->guid, out) != 0 || source(article, out) != 0 ||
	    texts_and_times(article, summary_length, text_length, out) != 0 ||
	    tags(article, out) != 0)
		return -1;
	RAW(out, ",\"enclosures\":");
	if (enclosures(article->enclosures, article->enclosure_count, out) != 0)
		return -1;
	RAW(out, ",\"media\":");
	if (enclosures(article->media, article->media_count, out) != 0)
		return -1;
	RAW(out, ",\"word_count\":");
	json_write_integer((json_int_t)article->word_count, out);
	RAW(out, ",\"reading_time\":");
	json_write_integer((json_int_t)((article->word_count + 229) / 230), out);
	if (article->fulltext_status != NULL && fulltext(article, out) != 0)
		return -1;
	if (article->is_update)
		RAW(out, ",\"update\":true");
	RAW(out, "}");
	json_write_end(out);
	return 0;
}

const char *
message_dedup_status(enum dedup_status status)
{
	switch (status) {
	case DEDUP_UNIQUE:
		return "unique";
	case DEDUP_DUPLICATE:
		return "duplicate";
	default:
		return "unknown";
	}
}

/* ,"dedup":{...} */
static int
dedup(const struct article *article, struct buffer *out)
{
	RAW(out, ",\"dedup\":{\"status\":");
	if (json_write_string(message_dedup_status(article->dedup.status), out) != 0)
		return -1;
	RAW(out, ",\"duplicate_of\":");
	if (text_or_null(article->dedup.duplicate_of, out) != 0)
		return -1;
	RAW(out, ",\"similarity\":");
	if (json_write_real(round(article->dedup.similarity * 1000.0) / 1000.0, out) != 0)
		return -1;
	RAW(out, ",\"group\":");
	if (text_or_null(article->dedup.group, out) != 0)
		return -1;
	RAW(out, ",\"method\":");
	if (text_or_null(article->dedup.method, out) != 0)
		return -1;
	RAW(out, "}");
	return 0;
}

/* ,"story":{...} */
static int
story(const struct story_ref *story, struct buffer *out)
{
	RAW(out, ",\"story\":{\"id\":");
	if (text_or_null(story->id, out) != 0)
		return -1;
	RAW(out, ",\"size\":");
	json_write_integer((json_int_t)story->size, out);
	RAW(out, ",\"first_seen\":");
	if (time_or_null(story->first_seen, out) != 0)
		return -1;
	RAW(out, ",\"headline\":");
	if (text_or_null(story->headline, out) != 0)
		return -1;
	RAW(out, "}");
	return 0;
}

int
message_write_verdicts(const struct article *article, const char *without_dedup,
    struct buffer *out)
{
	json_write_raw(without_dedup, strlen(without_dedup), out);
	return message_write_verdicts_after(article, out);
}

int
message_write_verdicts_after(const struct article *article, struct buffer *out)
{
	if (dedup(article, out) != 0 ||
	    (article->story.id != NULL && story(&article->story, out) != 0))
		return -1;
	RAW(out, "}");
	json_write_end(out);
	return 0;
}
