/*
 * meta.c - the feed's own fields as `wiresift parse` prints them once per feed (title, link,
 * subtitle, language, image, updated, generator, authors), the names of what was repaired,
 * and why a feed could not be read.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../json_write.h"
#include "feed_internal.h"

static const char *const problem_names[] = {
	"invalid-encoding", "mislabelled-charset", "unknown-charset", "nul-bytes",
	"control-characters", "undeclared-entity", "bare-ampersand", "stray-less-than",
	"unclosed-tag", "dtd-entity-refused", "external-entity", "not-well-formed",
	"nesting-too-deep", "html-not-feed", "invalid-json",
};

const char *
feed_problem_names(unsigned problems, char *buffer, size_t size)
{
	size_t length = 0;

	if (size == 0)
		return buffer;
	buffer[0] = '\0';
	for (size_t i = 0; i < sizeof problem_names / sizeof problem_names[0]; i++) {
		if ((problems & (1u << i)) == 0)
			continue;
		length += (size_t)snprintf(buffer + length, size - length, "%s%s",
		    length > 0 ? " " : "", problem_names[i]);
		if (length >= size)
			break;
	}
	return buffer;
}


static json_t *
people_json(const struct feed_meta *meta)
{
	json_t *array = json_array();

	for (size_t i = 0; i < meta->author_count; i++)
		json_array_append_new(array, json_pack("{s:o, s:o, s:o}",
		    "name", json_string_or_null(meta->authors[i].name),
		    "email", json_string_or_null(meta->authors[i].email),
		    "uri", json_string_or_null(meta->authors[i].uri)));
	return array;
}

static json_t *
problems_json(unsigned problems)
{
	json_t *array = json_array();

	for (size_t i = 0; i < sizeof problem_names / sizeof problem_names[0]; i++)
		if (problems & (1u << i))
			json_array_append_new(array, json_string(problem_names[i]));
	return array;
}

char *
feed_meta_to_json(const struct feed_meta *meta, const char *feed_url, const char *error)
{
	json_t *root = json_object();
	json_t *feed = json_object();
	struct buffer out = { 0 };

	json_object_set_new(feed, "url", json_string_or_null(feed_url));
	json_object_set_new(feed, "format", json_string_or_null(meta->format));
	json_object_set_new(feed, "title", json_string_or_null(meta->title));
	json_object_set_new(feed, "link", json_string_or_null(meta->link));
	json_object_set_new(feed, "subtitle", json_string_or_null(meta->subtitle));
	json_object_set_new(feed, "language", json_string_or_null(meta->language));
	json_object_set_new(feed, "image", json_string_or_null(meta->image));
	json_object_set_new(feed, "updated", json_time_or_null(meta->updated));
	json_object_set_new(feed, "generator", json_string_or_null(meta->generator));
	json_object_set_new(feed, "authors", people_json(meta));
	json_object_set_new(feed, "items", json_integer((json_int_t)meta->item_count));
	json_object_set_new(feed, "problems", problems_json(meta->problems));
	json_object_set_new(feed, "error", json_string_or_null(error));
	json_object_set_new(root, "record", json_string("feed"));
	json_object_set_new(root, "feed", feed);
	if (json_write(root, &out) != 0) {
		out.length = 0;
		buffer_append_string(&out, "{}");
	}
	json_decref(root);
	return buffer_steal(&out);
}
