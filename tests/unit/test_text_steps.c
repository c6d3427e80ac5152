/*
 * test_text_steps.c - differential test of html_text.c's block steps: the text of every
 * fragment must be byte-identical whether builder_add_text steps over plain prose sixteen or
 * eight bytes at a time (html_text_block_steps = 1, the default) or one byte at a time as it
 * did (0). Inputs: seeded random fragments made of the pieces the steps must stop at (single
 * and double spaces, a space before "," or ".", newlines and tabs, control characters, DEL,
 * no-break spaces, letters from 0x80, tags and references) between words of every length,
 * through both the fast path (html_to_text) and libxml2's (html_to_text_parsed); and the
 * seeds, when ../shared/seeds is there. The sixteen-byte test is checked to be the eight-byte
 * one twice, and the steps to be taken, so the comparison is not vacuous.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clean/clean.h"
#include "clean/clean_internal.h"
#include "util.h"

#define FRAGMENTS	3000

static const char *const pieces[] = {
	"word", "a", "longerwordhere", "Kabul", "10,000", "U.S.", " ", " ", " ", "  ", " ,",
	" .", ", ", ". ", "...", " ...", "\n", "\n\n", "\t", "\r\n", "\x01", "\x7f", "\xc2\xa0",
	"\xc3\xa9", "\xe2\x80\x94", "\xe2\x80\x99", "\xe2\x80\x8b", "&amp;", "&nbsp;", "<b>", "</b>",
	"<p>", "</p>", "<a href=\"x\">", "</a>", "<br>", "\"quoted\"", "(a)", " )", "x.NET",
};

/* A fragment of 1 to 80 random pieces. */
static char *
random_fragment(unsigned *seed)
{
	struct buffer out = { 0 };
	size_t count = 1 + (size_t)(rand_r(seed) % 80);

	for (size_t i = 0; i < count; i++)
		buffer_append_string(&out, pieces[(size_t)rand_r(seed) %
		    (sizeof pieces / sizeof pieces[0])]);
	if (out.data == NULL)
		buffer_append_string(&out, "");
	return buffer_steal(&out);
}

/* The text of fragment by one converter with and without the steps; 1 when the same. */
static int
same_both_ways(char *(*convert)(const char *, size_t), const char *fragment)
{
	char *with, *without;
	int same;

	html_text_block_steps = 1;
	with = convert(fragment, strlen(fragment));
	html_text_block_steps = 0;
	without = convert(fragment, strlen(fragment));
	html_text_block_steps = 1;
	same = (with == NULL && without == NULL) ||
	    (with != NULL && without != NULL && strcmp(with, without) == 0);
	if (!same)
		printf("  fragment: \"%s\"\n  steps: \"%s\"\n  bytes: \"%s\"\n", fragment,
		    with ? with : "(null)", without ? without : "(null)");
	free(with);
	free(without);
	return same;
}

static void
test_random_fragments(void)
{
	unsigned seed = 17;
	size_t differing = 0;

	for (int i = 0; i < FRAGMENTS; i++) {
		char *fragment = random_fragment(&seed);

		differing += !same_both_ways(html_to_text, fragment);
		differing += !same_both_ways(html_to_text_parsed, fragment);
		free(fragment);
	}
	CHECK(differing == 0);
}

/* The sixteen-byte test is the eight-byte one at `at` and at `at + 8`, at every position of
 * the random fragments with 17 bytes to read (both answers seen). */
static void
test_sixteen_is_two_eights(void)
{
	unsigned seed = 23;
	size_t differing = 0, plain = 0, not_plain = 0;

	for (int i = 0; i < FRAGMENTS; i++) {
		char *fragment = random_fragment(&seed);
		const unsigned char *bytes = (const unsigned char *)fragment;
		size_t length = strlen(fragment);

		for (size_t at = 0; at + 17 <= length; at++) {
			int sixteen = html_plain_block16(bytes + at);

			differing += sixteen != (html_plain_block(bytes + at) &&
			    html_plain_block(bytes + at + 8));
			plain += sixteen;
			not_plain += !sixteen;
		}
		free(fragment);
	}
	CHECK(differing == 0);
	CHECK(plain > 100 && not_plain > 100);
}

/* The steps are taken on prose (so the comparison above is not vacuous), and not over what
 * the loop must act on. */
static void
test_steps_are_taken_on_prose(void)
{
	const char *prose = "<p>The council met on Tuesday and the mayor said the bridge "
	    "would reopen in three weeks, after repairs to its northern span.</p>";
	const unsigned char *at = (const unsigned char *)prose;

	CHECK(html_plain_block(at + 3));		/* "The coun" */
	CHECK(html_plain_block(at + 40));
	CHECK(!html_plain_block((const unsigned char *)"one  two."));	/* two spaces */
	CHECK(!html_plain_block((const unsigned char *)"said AP ,x"));	/* " ," */
	CHECK(!html_plain_block((const unsigned char *)"line\nnext"));
	CHECK(!html_plain_block((const unsigned char *)"caf\xc3\xa9 bar"));
	CHECK(!html_plain_block((const unsigned char *)"abcdefg ."));	/* at[8] */
	CHECK(html_plain_block((const unsigned char *)"abcdefg x"));
	CHECK(html_plain_block16(at + 3));		/* "The council met " */
	CHECK(!html_plain_block16((const unsigned char *)"abcdefghijklmno ."));	/* at[16] */
	CHECK(same_both_ways(html_to_text, prose));
	CHECK(same_both_ways(html_to_text_parsed, prose));
}

static void
test_seeds(void)
{
	DIR *directory = opendir("../shared/seeds");
	struct dirent *entry;
	size_t checked = 0;

	if (directory == NULL) {
		SKIP("no seeds directory (../shared/seeds)");
		return;
	}
	while ((entry = readdir(directory)) != NULL) {
		char path[512];
		char *text;

		if (strstr(entry->d_name, ".txt") == NULL)
			continue;
		snprintf(path, sizeof path, "../shared/seeds/%s", entry->d_name);
		if ((text = file_read(path, NULL)) == NULL)
			continue;
		CHECK(same_both_ways(html_to_text, text));
		CHECK(same_both_ways(html_to_text_parsed, text));
		checked++;
		free(text);
	}
	closedir(directory);
	CHECK(checked > 0);
}

int
main(void)
{
	RUN(test_random_fragments);
	RUN(test_sixteen_is_two_eights);
	RUN(test_steps_are_taken_on_prose);
	RUN(test_seeds);
	return check_finish();
}
