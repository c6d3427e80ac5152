/*
 * test_feed_conformance.c - runs the feed conformance suite in tests/feeds/: every NAME.EXT
 * with a NAME.expect.json beside it is parsed with feed_parse() and compared, key by key, with
 * the hand-written expectation (tests/feeds/README.md lists the keys). One file, one test.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "feed/feed.h"
#include "util.h"

#define FEEDS_DIR "tests/feeds"

static json_t *
time_value(time_t when)
{
	char text[21];

	if (when == 0)
		return json_null();
	time_format_rfc3339(when, text);
	return json_string(text);
}

static json_t *
string_or_null(const char *text)
{
	return text != NULL ? json_string(text) : json_null();
}

static json_t *
string_list(const struct strlist *list)
{
	json_t *array = json_array();

	for (size_t i = 0; i < list->count; i++)
		json_array_append_new(array, json_string(list->items[i]));
	return array;
}

/* A JSON text the program wrote, as a value (freed). */
static json_t *
parsed_json(char *text)
{
	json_t *value = json_loads(text, 0, NULL);

	free(text);
	return value != NULL ? value : json_null();
}

static json_t *
enclosure_list(const struct enclosure *list, size_t count)
{
	json_t *array = json_array();

	for (size_t i = 0; i < count; i++)
		json_array_append_new(array, json_pack("{s:o s:o s:I}",
		    "url", string_or_null(list[i].url), "type", string_or_null(list[i].type),
		    "length", (json_int_t)list[i].length));
	return array;
}

static int
collect_item(struct article *item, void *context)
{
	json_t *items = context;
	json_t *object = json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o}",
	    "guid", string_or_null(item->guid), "link", string_or_null(item->link),
	    "title_raw", string_or_null(item->title_raw),
	    "summary_html", string_or_null(item->summary_html),
	    "content_html", string_or_null(item->content_html),
	    "authors", string_list(&item->authors), "categories", string_list(&item->categories),
	    "published", time_value(item->published), "updated", time_value(item->updated),
	    "feed_title", string_or_null(item->feed_title),
	    "feed_format", string_or_null(item->feed_format), "id", string_or_null(item->id));

	json_object_set_new(object, "enclosures",
	    enclosure_list(item->enclosures, item->enclosure_count));
	json_object_set_new(object, "media", enclosure_list(item->media, item->media_count));
	json_object_set_new(object, "record", parsed_json(article_to_parse_json(item)));
	json_array_append_new(items, object);
	article_free(item);
	return 0;
}

/* Everything the parser said about one file, as JSON. */
static json_t *
parse_file(const char *name, const char *data, size_t size, const char *content_type)
{
	struct feed_meta meta;
	char error[256], feed_url[1024];
	json_t *items = json_array();
	json_t *result, *record;
	int status;

	snprintf(feed_url, sizeof(feed_url), "http://example.com/feeds/%s", name);
	status = feed_parse(data, size, feed_url, content_type, &meta, collect_item, items,
	    error, sizeof(error));
	result = json_pack("{s:o s:o s:o s:o s:o s:i s:i s:I s:o s:o}",
	    "format", string_or_null(meta.format), "title", string_or_null(meta.title),
	    "link", string_or_null(meta.link), "language", string_or_null(meta.language),
	    "error", status == 0 ? json_null() : json_string(error),
	    "ttl_minutes", meta.ttl_minutes, "update_period_seconds", meta.update_period_seconds,
	    "items", (json_int_t)meta.item_count, "item", items,
	    "status", json_integer(status));
	record = parsed_json(feed_meta_to_json(&meta, feed_url, status == 0 ? NULL : error));
	json_object_set(result, "feed_record", json_object_get(record, "feed"));
	json_decref(record);
	feed_meta_free(&meta);
	return result;
}

static int compare_object(const char *name, const char *where, json_t *expected,
    json_t *actual, const char *all_output);

static void
report(const char *name, const char *where, const char *key, json_t *expected, json_t *actual)
{
	char *expected_text = json_dumps(expected, JSON_ENCODE_ANY | JSON_COMPACT);
	char *actual_text = actual != NULL ? json_dumps(actual, JSON_ENCODE_ANY | JSON_COMPACT) :
	    strdup("(missing)");

	fprintf(stderr, "%s: %s%s:\n  got:      %s\n  expected: %s\n", name, where, key,
	    actual_text, expected_text);
	free(expected_text);
	free(actual_text);
}

/* KEY_contains / KEY_not_contains: substring tests on a string field. */
static int
compare_substring(const char *name, const char *where, const char *key, json_t *expected,
    json_t *actual_object)
{
	const char *suffix = strstr(key, "_not_contains") != NULL ? "_not_contains" : "_contains";
	size_t field_length = strlen(key) - strlen(suffix);
	char field[64];
	json_t *actual;
	const char *text, *needle = json_string_value(expected);
	int wanted = strcmp(suffix, "_contains") == 0;

	snprintf(field, sizeof(field), "%.*s", (int)field_length, key);
	actual = json_object_get(actual_object, field);
	text = json_is_string(actual) ? json_string_value(actual) : "";
	if (needle != NULL && (strstr(text, needle) != NULL) == wanted)
		return 0;
	report(name, where, key, expected, actual);
	return 1;
}

static int
compare_value(const char *name, const char *where, const char *key, json_t *expected,
    json_t *actual, const char *all_output)
{
	char nested[64];

	if (strcmp(key, "error") == 0 && json_is_string(expected)) {
		if (json_is_string(actual) && strstr(json_string_value(actual),
		    json_string_value(expected)) != NULL)
			return 0;
		report(name, where, key, expected, actual);
		return 1;
	}
	if (json_is_array(expected) && json_is_array(actual) && strcmp(key, "item") == 0) {
		size_t index;
		json_t *element;
		int failures = 0;

		json_array_foreach(expected, index, element) {
			snprintf(nested, sizeof(nested), "item[%zu].", index);
			if (index >= json_array_size(actual)) {
				report(name, nested, "", element, NULL);
				failures++;
			} else
				failures += compare_object(name, nested, element,
				    json_array_get(actual, index), all_output);
		}
		return failures;
	}
	if (json_is_object(expected) && json_is_object(actual)) {
		snprintf(nested, sizeof(nested), "%s%s.", where, key);
		return compare_object(name, nested, expected, actual, all_output);
	}
	if (json_equal(expected, actual))
		return 0;
	report(name, where, key, expected, actual);
	return 1;
}

static int
compare_object(const char *name, const char *where, json_t *expected, json_t *actual,
    const char *all_output)
{
	const char *key;
	json_t *value;
	int failures = 0;

	json_object_foreach(expected, key, value) {
		if ((where[0] == '\0' && strcmp(key, "content_type") == 0) ||
		    strcmp(key, "comment") == 0)
			continue;
		if (strcmp(key, "output_not_contains") == 0) {
			if (strstr(all_output, json_string_value(value)) != NULL) {
				report(name, where, key, value, NULL);
				failures++;
			}
		} else if (strstr(key, "_contains") != NULL)
			failures += compare_substring(name, where, key, value, actual);
		else
			failures += compare_value(name, where, key, value, json_object_get(actual,
			    key), all_output);
	}
	return failures;
}

static int
is_feed_file(const char *name)
{
	size_t length = strlen(name);

	if (name[0] == '.' || (length > 12 && strcmp(name + length - 12, ".expect.json") == 0))
		return 0;
	return strcmp(name, "README.md") != 0 && strchr(name, '.') != NULL;
}

static int
compare_names(const void *left, const void *right)
{
	return strcmp(*(char *const *)left, *(char *const *)right);
}

static void
run_case(const char *file_name)
{
	char path[1024], expect_path[1024], base[512];
	json_error_t json_error;
	json_t *expected, *actual;
	char *data, *all_output;
	size_t size;
	int failures;

	snprintf(base, sizeof(base), "%s", file_name);
	*strrchr(base, '.') = '\0';
	snprintf(path, sizeof(path), "%s/%s", FEEDS_DIR, file_name);
	snprintf(expect_path, sizeof(expect_path), "%s/%s.expect.json", FEEDS_DIR, base);
	if ((expected = json_load_file(expect_path, 0, &json_error)) == NULL) {
		if (access(expect_path, F_OK) == 0) {
			fprintf(stderr, "%s: %d: %s\n", expect_path, json_error.line, json_error.text);
			check_tests_failed++;
		}
		return;
	}
	if ((data = file_read(path, &size)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		check_tests_failed++;
		json_decref(expected);
		return;
	}
	actual = parse_file(base, data, size,
	    json_string_value(json_object_get(expected, "content_type")));
	all_output = json_dumps(actual, JSON_COMPACT);
	check_current_test = file_name;
	check_current_failures = compare_object(file_name, "", expected, actual, all_output);
	failures = check_current_failures;
	if (failures == 0)
		check_tests_passed++;
	else {
		check_tests_failed++;
		fprintf(stderr, "FAIL %s\n", file_name);
		if (getenv("FEED_VERBOSE") != NULL)
			fprintf(stderr, "%s\n", all_output);
	}
	free(all_output);
	free(data);
	json_decref(actual);
	json_decref(expected);
}

int
main(int argc, char **argv)
{
	DIR *directory = opendir(FEEDS_DIR);
	struct dirent *entry;
	char **names = NULL;
	size_t count = 0;

	if (directory == NULL) {
		fprintf(stderr, "test_feed_conformance: %s not found (run from the repository "
		    "root)\n", FEEDS_DIR);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	while ((entry = readdir(directory)) != NULL) {
		if (!is_feed_file(entry->d_name))
			continue;
		if (argc > 1 && strstr(entry->d_name, argv[1]) == NULL)
			continue;
		names = xrealloc(names, (count + 1) * sizeof(*names));
		names[count++] = xstrdup(entry->d_name);
	}
	closedir(directory);
	qsort(names, count, sizeof(*names), compare_names);
	for (size_t i = 0; i < count; i++) {
		run_case(names[i]);
		free(names[i]);
	}
	free(names);
	return check_finish();
}
