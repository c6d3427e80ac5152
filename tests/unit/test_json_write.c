/*
 * test_json_write.c - the message JSON writer (daemon/json_write.c) against jansson's
 * json_dumps on the same values: every byte of a string, lengths, numbers (short reals
 * against printf's shortest round trip), and the arena its values live in (json_arena.c).
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "heap.h"
#include "article.h"
#include "json_arena.h"
#include "json_write.h"
#include "util.h"

/* json_write() of value as a string (NULL when it refused). */
static char *
written(const json_t *value)
{
	struct buffer out = { 0 };

	if (json_write(value, &out) == -1) {
		buffer_free(&out);
		return NULL;
	}
	return buffer_steal(&out);
}

/*
 * The writer against jansson's own compact dump, on 20,000 random strings built from the
 * bytes that matter (controls, quote, backslash, slash, DEL, pieces of multi-byte characters,
 * bytes never valid in UTF-8): the same text where jansson accepts the string, a refusal
 * where it does not.
 */
static void
test_json_write_matches_jansson(void)
{
	static const char *pieces[] = { "a", "Z", " ", "\"", "\\", "/", "\x01", "\x1f", "\n",
	    "\t", "\r", "\b", "\f", "\x7f", "\xc3\xa9", "\xe2\x80\x99", "\xf0\x9f\x98\x80",
	    "\xef\xbf\xbf", "\xc3", "\xa9", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	    "\xff", "\xe2\x82", "plain ascii run of words" };
	unsigned int seed = 12345;
	int same = 0, refused_both = 0, wrong = 0;

	for (int round = 0; round < 20000; round++) {
		char text[400] = "";
		int count = (int)(rand_r(&seed) % 24);

		for (int i = 0; i < count; i++)
			strcat(text, pieces[rand_r(&seed) % (sizeof pieces / sizeof pieces[0])]);
		json_t *array = json_array();
		json_array_append_new(array, json_stringn_nocheck(text, strlen(text)));
		char *ours = written(array);
		char *theirs = json_dumps(array, JSON_COMPACT);

		if (ours == NULL && theirs == NULL)
			refused_both++;
		else if (ours != NULL && theirs != NULL && strcmp(ours, theirs) == 0)
			same++;
		else if (wrong++ == 0)
			fprintf(stderr, "json_write: \"%s\" against jansson's \"%s\"\n",
			    ours ? ours : "(refused)", theirs ? theirs : "(refused)");
		free(ours);
		free(theirs);
		json_decref(array);
	}
	CHECK(wrong == 0);
	CHECK(same > 1000 && refused_both > 1000);	/* both kinds were exercised */
}

/*
 * The writer's runs against jansson where they end: every byte value (and a two-, three- and
 * four-byte character) at every position of plain strings of 1 to 40 bytes, alone and after
 * a character already written in the same string (the ends of a string are read overlapping
 * bytes before the current position).
 */
static void
test_json_write_every_byte(void)
{
	static const char *const prefixes[] = { "", "\xc3\xa9", "\n", "\"" };
	static const char *const characters[] = { "\xc3\xa9", "\xe2\x80\x99",
	    "\xf0\x9f\x98\x80" };
	int same = 0, refused_both = 0, wrong = 0;

	for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++)
		for (int length = 1; length <= 40; length++)
			for (int at = 0; at < length; at++)
				for (int value = 0; value < 256 + 3; value++) {
					char text[64];
					size_t used = strlen(prefixes[p]);

					memcpy(text, prefixes[p], used);
					for (int i = 0; i < length; i++)
						text[used + (size_t)i] = (char)('a' + i % 26);
					text[used + (size_t)length] = '\0';
					if (value == 0)
						text[used + (size_t)at] = '\0';	/* a shorter string */
					else if (value < 256)
						text[used + (size_t)at] = (char)value;
					else {
						const char *c = characters[value - 256];

						if ((size_t)at + strlen(c) > (size_t)length)
							continue;
						memcpy(text + used + at, c, strlen(c));
					}
					json_t *array = json_array();
					json_array_append_new(array, json_stringn_nocheck(text,
					    strlen(text)));
					char *ours = written(array);
					char *theirs = json_dumps(array, JSON_COMPACT);

					if (ours == NULL && theirs == NULL)
						refused_both++;
					else if (ours != NULL && theirs != NULL &&
					    strcmp(ours, theirs) == 0)
						same++;
					else if (wrong++ == 0)
						fprintf(stderr, "json_write: \"%s\" against jansson's "
						    "\"%s\"\n", ours ? ours : "(refused)",
						    theirs ? theirs : "(refused)");
					free(ours);
					free(theirs);
					json_decref(array);
				}
	CHECK(wrong == 0);
	CHECK(same > 100000 && refused_both > 10000);
}

/*
 * json_write_string_length() on the first length bytes of a longer text (the byte after them
 * a quote, a control or a lone UTF-8 lead, so reading past the end would show) against the
 * plain json_write_string() of the same bytes copied and terminated: 20,000 random strings.
 */
static void
test_json_write_string_length(void)
{
	static const char alphabet[] = "ab \"\\\n\x01\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x93\xb0\xed\x80";
	unsigned seed = 29;
	int same = 0, total = 20000;

	for (int round = 0; round < total; round++) {
		size_t length = (size_t)(rand_r(&seed) % 48);
		char *text = xmalloc(length + 1), *copy = xmalloc(length + 1);
		struct buffer by_length = { 0 }, by_nul = { 0 };
		int length_result, nul_result;

		for (size_t i = 0; i < length; i++)
			text[i] = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
		memcpy(copy, text, length);
		copy[length] = '\0';
		text[length] = "\"\x01\xc3"[round % 3];	/* not a terminator */
		length_result = json_write_string_length(text, length, &by_length);
		nul_result = json_write_string(copy, &by_nul);
		same += length_result == nul_result && (nul_result < 0 ||
		    (by_length.length == by_nul.length &&
		    memcmp(by_length.data, by_nul.data, by_nul.length) == 0));
		buffer_free(&by_length);
		buffer_free(&by_nul);
		free(text);
		free(copy);
	}
	CHECK(same == total);
}

static void
test_json_write_values(void)
{
	json_t *value = json_pack("{s:i, s:I, s:I, s:[f, f, f, f, f, f], s:{}, s:[], s:b, s:b, s:n, "
	    "s:s}", "small", -7, "max", (json_int_t)INT64_MAX, "min", (json_int_t)INT64_MIN,
	    "reals", 0.99, 1.0, 1e300, 0.1 + 0.2, -0.0, 0.877,
	    "empty object", "empty array", "yes", 1, "no", 0, "nothing", "key \"\n\"", "\xc3\xa9");
	char *text = written(value);

	CHECK_STR(text, "{\"small\":-7,\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808,"
	    "\"reals\":[0.99,1.0,1e+300,0.30000000000000004,-0.0,0.877],"
	    "\"empty object\":{},\"empty array\":[],\"yes\":true,\"no\":false,\"nothing\":null,"
	    "\"key \\\"\\n\\\"\":\"\xc3\xa9\"}");
	/* Every real reads back as the same double. */
	json_t *read_back = json_loads(text, 0, NULL);
	json_t *reals = json_object_get(read_back, "reals");
	CHECK(json_array_size(reals) == 6);
	for (size_t i = 0; i < json_array_size(reals); i++)
		CHECK(json_real_value(json_array_get(reals, i)) ==
		    json_real_value(json_array_get(json_object_get(value, "reals"), i)));
	json_decref(read_back);
	free(text);
	json_decref(value);
	/* A key that is not UTF-8 is refused like a value. */
	value = json_object();
	json_object_set_new_nocheck(value, "bad \xff key", json_true());
	CHECK(written(value) == NULL);
	json_decref(value);
}

/* A real as write_real() wrote every real before its short-decimal path: the fewest of 15
 * to 17 significant digits that read back, ".0" added when that shows no '.' or exponent. */
static void
reference_real(double value, char *text, size_t size)
{
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, size, "%.*g", digits, value);
		if (strtod(text, NULL) == value)
			break;
	}
	if (strpbrk(text, ".eE") == NULL)
		strcat(text, ".0");
}

/*
 * Reals of at most three decimals (the message's rounded shares and scores take a short path)
 * and others around them: the same text as the %.*g reference, for every thousandth from
 * -100 to 100, the rounded values message_write.c makes, large ones, tiny ones and -0.0.
 */
static void
test_json_write_short_reals(void)
{
	static const double others[] = { -0.0, 0.0, 1e-4, 0.0005, 0.1 + 0.2, 1.0 / 3, 999999999.999,
	    1e9, -1e9, 123456789.125, 1e15, 1e300, 5e-324, 0.877, 0.99, 100000000.001 };
	unsigned int seed = 777;
	int wrong = 0, checked = 0;

	for (int i = 0; i < 200000 + 2 * (int)(sizeof others / sizeof others[0]) + 20000; i++) {
		double value;
		char ours_text[64], theirs[64];
		struct buffer out = { 0 };

		if (i <= 200000)
			value = (i - 100000) / 1000.0;
		else if (i < 200001 + (int)(sizeof others / sizeof others[0]))
			value = others[i - 200001];
		else if (i < 200001 + 2 * (int)(sizeof others / sizeof others[0]))
			value = nextafter(others[i - 200001 - (int)(sizeof others / sizeof others[0])],
			    2.0);
		else if (i % 2)
			value = round((double)rand_r(&seed) / RAND_MAX * 1000.0) / 1000.0;
		else
			value = round((double)rand_r(&seed) / RAND_MAX * 100.0) / 100.0;
		CHECK(json_write_real(value, &out) == 0);
		json_write_end(&out);
		snprintf(ours_text, sizeof ours_text, "%s", out.data);
		buffer_free(&out);
		reference_real(value, theirs, sizeof theirs);
		if (strcmp(ours_text, theirs) != 0 && wrong++ < 3)
			fprintf(stderr, "json_write_real(%.17g): %s, reference %s\n", value,
			    ours_text, theirs);
		checked++;
	}
	CHECK(wrong == 0);
	CHECK(checked > 200000);
}

/*
 * Messages rendered through the per-thread jansson arena: right, whatever their size (a text
 * past one arena chunk too), jansson values made before any arena still freed by malloc, and
 * the heap not growing from message to message.
 */
static void
test_json_arena(void)
{
	struct article *article = article_new();
	json_t *outside = json_string("made with malloc");
	struct buffer big = { 0 };
	size_t before = 0, after;
	int wrong = 0;

	while (big.length < 150 * 1024)
		buffer_append_string(&big, "A line of text \"quoted\" \xc3\xa9 and more.\n");
	article->link = xstrdup("https://x.example/a");
	article->title = xstrdup("Title");
	article_assign_id(article);
	for (int round = 0; round < 2000; round++) {
		json_error_t error;
		json_t *root;
		char *text;

		free(article->text);
		article->text = round % 3 == 0 ? xstrdup(big.data) : xasprintf("Short %d.", round);
		if (round == 1000) {
			json_decref(outside);	/* freed while no arena is open: malloc's */
			outside = NULL;
		}
		if (round == 200)
			before = heap_in_use();
		text = article_to_json(article);
		root = json_loads(text, 0, &error);
		if (root == NULL || strcmp(json_string_value(json_object_get(root, "text")),
		    article->text) != 0 || !json_is_object(json_object_get(root, "dedup")))
			wrong++;
		json_decref(root);
		free(text);
	}
	after = heap_in_use();
	CHECK(wrong == 0);
	CHECK(after < before + 1024 * 1024);
	buffer_free(&big);
	article_free(article);
}

int
main(void)
{
	RUN(test_json_arena);
	RUN(test_json_write_matches_jansson);
	RUN(test_json_write_every_byte);
	RUN(test_json_write_string_length);
	RUN(test_json_write_values);
	RUN(test_json_write_short_reals);
	return check_finish();
}
