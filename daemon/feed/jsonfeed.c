/*
 * jsonfeed.c - JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), parsed with jansson.
 *
 * A JSON Feed is one JSON value, so it is read whole (they are small); items are still handed
 * over one by one. Item authors default to the feed's (1.1), 1.0's single "author" is read too.
 * content_text becomes HTML (escaped, paragraphs) for summary_html when there is no summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "feed_internal.h"

static const char *
string_member(json_t *object, const char *key)
{
	json_t *value = json_object_get(object, key);

	return json_is_string(value) ? json_string_value(value) : NULL;
}

/* "author": {...} (1.0) and "authors": [{...}] (1.1) */
static void
add_authors(struct strlist *authors, json_t *object)
{
	json_t *list = json_object_get(object, "authors");
	json_t *single = json_object_get(object, "author");
	json_t *author;
	size_t index;

	if (json_is_array(list))
		json_array_foreach(list, index, author)
			if (json_is_object(author))
				feed_add_author(authors, string_member(author, "name"));
	if (authors->count == 0 && json_is_object(single))
		feed_add_author(authors, string_member(single, "name"));
}

static void
json_item_text(struct article *item, json_t *object)
{
	const char *summary = string_member(object, "summary");
	const char *content_text = string_member(object, "content_text");
	char *trimmed;

	feed_set_once(&item->title_raw, string_member(object, "title"));
	feed_set_once(&item->content_html, string_member(object, "content_html"));
	if ((trimmed = feed_trim(summary)) != NULL || (trimmed = feed_trim(content_text)) != NULL) {
		item->summary_html = feed_text_to_html(trimmed);
		free(trimmed);
	}
	if (item->content_html == NULL && summary != NULL &&
	    (trimmed = feed_trim(content_text)) != NULL) {
		item->content_html = feed_text_to_html(trimmed);
		free(trimmed);
	}
}

static struct article *
json_item(json_t *object, const char *base, const struct strlist *feed_authors)
{
	struct article *item = article_new();
	json_t *id = json_object_get(object, "id");
	json_t *tags = json_object_get(object, "tags");
	json_t *attachments = json_object_get(object, "attachments");
	json_t *element;
	size_t index;

	if (json_is_string(id))
		feed_set_once(&item->guid, json_string_value(id));
	else if (json_is_integer(id)) {	/* 1.0 feeds in the wild use numbers */
		char number[32];

		snprintf(number, sizeof(number), "%lld", (long long)json_integer_value(id));
		item->guid = xstrdup(number);
	}
	item->link = feed_resolve(base, string_member(object, "url"));
	if (item->link == NULL)
		item->link = feed_resolve(base, string_member(object, "external_url"));
	json_item_text(item, object);
	if (base != NULL)
		item->content_html = feed_html_resolve(item->content_html, base);
	item->published = feed_date_parse(string_member(object, "date_published"));
	item->updated = feed_date_parse(string_member(object, "date_modified"));
	add_authors(&item->authors, object);
	if (item->authors.count == 0)
		for (size_t i = 0; i < feed_authors->count; i++)
			strlist_add(&item->authors, feed_authors->items[i]);
	if (json_is_array(tags))
		json_array_foreach(tags, index, element)
			if (json_is_string(element) && json_string_length(element) > 0)
				strlist_add_unique(&item->categories, json_string_value(element));
	if (json_is_array(attachments))
		json_array_foreach(attachments, index, element) {
			json_t *size = json_object_get(element, "size_in_bytes");
			char *url = feed_resolve(base, string_member(element, "url"));

			if (url != NULL)
				article_add_enclosure(item, url, string_member(element, "mime_type"),
				    json_is_integer(size) && json_integer_value(size) >= 0 ?
				    (long long)json_integer_value(size) : -1);
			free(url);
		}
	return item;
}

/* The format from "version"; NULL if this is not a JSON Feed. */
static const char *
json_format(json_t *root)
{
	const char *version = string_member(root, "version");

	if (version == NULL)
		return json_is_array(json_object_get(root, "items")) ? "json1.1" : NULL;
	if (strstr(version, "jsonfeed.org/version/1.1") != NULL)
		return "json1.1";
	if (strstr(version, "jsonfeed.org/version/1") != NULL)
		return "json1.0";
	return NULL;
}

int
feed_parse_json(const char *data, size_t size, const char *feed_url, struct feed_meta *meta,
    feed_item_fn on_item, void *context, char *error, size_t error_size)
{
	json_error_t json_error;
	json_t *root = json_loadb(data, size, 0, &json_error);
	struct strlist feed_authors = { 0 };
	const char *format;
	json_t *items, *element;
	size_t index;

	if (root == NULL) {
		if (error != NULL)
			snprintf(error, error_size, "line %d: invalid JSON: %s", json_error.line,
			    json_error.text);
		return -1;
	}
	if (!json_is_object(root) || (format = json_format(root)) == NULL) {
		if (error != NULL)
			snprintf(error, error_size, "line 1: JSON document, not a JSON Feed");
		json_decref(root);
		return -1;
	}
	meta->format = xstrdup(format);
	feed_set_once(&meta->title, string_member(root, "title"));
	meta->link = feed_resolve(feed_url, string_member(root, "home_page_url"));
	feed_set_once(&meta->language, string_member(root, "language"));
	add_authors(&feed_authors, root);
	items = json_object_get(root, "items");
	if (json_is_array(items))
		json_array_foreach(items, index, element) {
			if (!json_is_object(element))
				continue;
			if (feed_deliver(json_item(element, feed_url, &feed_authors), feed_url, meta,
			    on_item, context))
				break;
		}
	strlist_clear(&feed_authors);
	json_decref(root);
	return 0;
}
