/*
 * extract_command.c - `wiresift extract FILE|URL...`: reads each page (a file, or an
 * http(s)/file URL fetched with libcurl, blocking: a one-shot command), runs extract_page()
 * with the rules of the configuration ([clean] rules and site_rules) and prints
 * {"input","url","title","text","dateline","authors","published","updated","method",
 * "words"} on one
 * line, or {"input","error"} for an input that could not be read; the others go on. No
 * state, no Kafka. --explain reports each removal on stderr.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clean/extract.h"
#include "extract_command.h"
#include "fetch.h"
#include "json_write.h"
#include "util.h"

static void
print_json(json_t *object)
{
	struct buffer out = { 0 };

	if (json_write(object, &out) == 0) {
		fwrite(out.data, 1, out.length, stdout);
		putchar('\n');
	}
	buffer_free(&out);
	json_decref(object);
}


static json_t *
result_json(const char *input, const struct extract_result *result)
{
	json_t *object = json_object(), *authors = json_array();

	for (size_t i = 0; i < result->authors.count; i++)
		json_array_append_new(authors, json_string(result->authors.items[i]));
	json_object_set_new(object, "input", json_string(input));
	json_object_set_new(object, "url", json_string_or_null(result->url));
	json_object_set_new(object, "title", json_string_or_null(result->title));
	json_object_set_new(object, "text", json_string_or_null(result->text));
	json_object_set_new(object, "dateline", json_string_or_null(result->dateline));
	json_object_set_new(object, "authors", authors);
	json_object_set_new(object, "published", json_time_or_null(result->published));
	json_object_set_new(object, "updated", json_time_or_null(result->updated));
	json_object_set_new(object, "method", json_string_or_null(result->method));
	json_object_set_new(object, "words", json_integer((json_int_t)result->words));
	return object;
}

/* One input: its JSON object, or an error object; 0 or -1 when it could not be read. */
static int
extract_one(const struct extract_rules *sites, const struct clean_rules *rules, int explain,
    const char *input)
{
	struct extract_result result;
	char error[256] = "", *page, *url = NULL;
	size_t length = 0;

	if (strstr(input, "://") == NULL) {
		if ((page = file_read(input, &length)) == NULL)
			snprintf(error, sizeof error, "%s", strerror(errno));
	} else
		page = fetch_once(input, &length, NULL, &url, error, sizeof error);
	if (page == NULL) {
		json_t *object = json_object();

		json_object_set_new(object, "input", json_string(input));
		json_object_set_new(object, "error", json_string(error));
		print_json(object);
		return -1;
	}
	extract_page(sites, rules, page, length, url, &result,
	    explain ? clean_explain_print : NULL, (void *)input);
	print_json(result_json(input, &result));
	extract_result_free(&result);
	free(page);
	free(url);
	return 0;
}

int
extract_command(const struct config *config, int explain, char **inputs, int count)
{
	char error[1024];
	struct clean_rules *rules;
	struct extract_rules *sites;
	int status = 0;

	if ((rules = clean_rules_load(config->rules_file, error, sizeof error)) == NULL ||
	    (sites = extract_rules_load(config->site_rules_file, error, sizeof error)) == NULL) {
		fprintf(stderr, "wiresift: %s\n", error);
		clean_rules_free(rules);
		return 1;
	}
	for (int i = 0; i < count; i++)
		if (extract_one(sites, rules, explain, inputs[i]) == -1)
			status = 1;
	fflush(stdout);
	extract_rules_free(sites);
	clean_rules_free(rules);
	return status;
}
