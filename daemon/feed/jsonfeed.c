/*
 * jsonfeed.c - JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), parsed with jansson.
 *
 * A JSON Feed is one JSON value, so it is read whole (they are small); items are still handed
 * over one by one. Item authors default to the feed's (1.1), 1.0's single "author" is read too.
 * summary and content_text are plain text: kept as served (summary_raw, content_raw) and
 * escaped into paragraphs for the HTML fields; content_text is the body when there is no
 * content_html.
 * A "version" other than the canonical URL ("1.1", "http://jsonfeed.org/version/1") is read.
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

static void
add_author(struct article_person **people, size_t *count, json_t *author, const char *base)
{
	char *name, *email, *uri;

	if (!json_is_object(author))
		return;
	feed_split_author(string_member(author, "name"), &name, &email);
	uri = feed_resolve(base, string_member(author, "url"));
	article_person_list_add(people, count, name, email, uri);
	free(name);
	free(email);
	free(uri);
}

/* "author": {...} (1.0) and "authors": [{...}] (1.1): name, url */
static void
add_authors(struct article_person **people, size_t *count, json_t *object, const char *base)
{
	json_t *list = json_object_get(object, "authors");
	json_t *author;
	size_t index;

	if (json_is_array(list))
		json_array_foreach(list, index, author)
			add_author(people, count, author, base);
	if (*count == 0)
		add_author(people, count, json_object_get(object, "author"), base);
}

/* Plain text (summary, content_text): kept as served, escaped into paragraphs for *html. */
static void
set_plain(char **html, char **raw, unsigned char *type, const char *text)
{
	char *trimmed = feed_trim(text);

	if (*html != NULL || trimmed == NULL) {
		free(trimmed);
		return;
	}
	*raw = trimmed;
	*html = feed_text_to_html(trimmed);
	*type = ARTICLE_TEXT_PLAIN;
}

/* summary is the summary; content_html, else content_text, the body (as feedparser reads them). */
static void
json_item_text(struct article *item, json_t *object)
{
	feed_set_once(&item->title_raw, string_member(object, "title"));
	item->title_type = ARTICLE_TEXT_PLAIN;
	feed_set_once(&item->content_html, string_member(object, "content_html"));
	set_plain(&item->summary_html, &item->summary_raw, &item->summary_type,
	    string_member(object, "summary"));
	set_plain(&item->content_html, &item->content_raw, &item->content_type,
	    string_member(object, "content_text"));
}

static struct article *
json_item(json_t *object, const char *base, const struct feed_meta *meta)
{
	struct article *item = article_new();
	json_t *id = json_object_get(object, "id");
	json_t *tags = json_object_get(object, "tags");
	json_t *attachments = json_object_get(object, "attachments");
	json_t *element;
	size_t index, count = 0;
	struct article_person *people = NULL;

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
	add_authors(&people, &count, object, base);
	for (size_t i = 0; i < count; i++)
		article_add_person(item, people[i].name, people[i].email, people[i].uri);
	article_person_list_free(people, count);
	if (item->person_count == 0)
		for (size_t i = 0; i < meta->author_count; i++)
			article_add_person(item, meta->authors[i].name, meta->authors[i].email,
			    meta->authors[i].uri);
	if (json_is_array(tags))
		json_array_foreach(tags, index, element)
			if (json_is_string(element))
				article_add_category(item, json_string_value(element), NULL, NULL);
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

	int has_items = json_is_array(json_object_get(root, "items"));

	if (version == NULL)
		return has_items ? "json1.1" : NULL;
	/* the URL, as the spec writes it, or written otherwise ("1.1", "http://...", "/") */
	if (strstr(version, "1.1") != NULL && (has_items || strstr(version, "jsonfeed") != NULL))
		return "json1.1";
	if (strstr(version, "jsonfeed") != NULL || has_items)
		return "json1.0";
	return NULL;
}

int
feed_parse_json(const char *data, size_t size, const char *feed_url, struct feed_meta *meta,
    feed_item_fn on_item, void *context, char *error, size_t error_size)
{
	json_error_t json_error;
	json_t *root = json_loadb(data, size, 0, &json_error);
	const char *format;
	json_t *items, *element;
	size_t index;

	if (root == NULL) {
		meta->problems |= FEED_PROBLEM_INVALID_JSON;
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
	add_authors(&meta->authors, &meta->author_count, root, feed_url);
	feed_set_once(&meta->subtitle, string_member(root, "description"));
	meta->image = feed_resolve(feed_url, string_member(root, "icon"));
	items = json_object_get(root, "items");
	if (json_is_array(items))
		json_array_foreach(items, index, element) {
			if (!json_is_object(element))
				continue;
			if (feed_deliver(json_item(element, feed_url, meta), feed_url, meta,
			    on_item, context))
				break;
		}
	json_decref(root);
	return 0;
}
