/*
 * test_tokens_scalar.c - daemon/tokens.c built here without its SSE2 block reader
 * (TOKENS_NO_SSE2: the byte loop of machines without SSE2) against the build the daemon
 * links (SSE2 on x86-64): the same tokens and the same types, on texts with words of 1 to 40
 * bytes at every offset of a block, random texts of ASCII and UTF-8 pieces, and the seeds
 * (and, built over the same texts in turn, the same stable form ids).
 */
#include <limits.h>
#include <stdio.h>

#define TOKENS_NO_SSE2
#define token_stream_new	scalar_token_stream_new
#define token_stream_free	scalar_token_stream_free
#define token_stream_build	scalar_token_stream_build
#define token_streams_form_limit scalar_token_streams_form_limit
#define ws_host_form_ids	scalar_ws_host_form_ids
#include "../../daemon/tokens.c"
#undef token_stream_new
#undef token_stream_free
#undef token_stream_build
#undef token_streams_form_limit
#undef ws_host_form_ids

#include "check.h"

struct token_stream	*token_stream_new(void);
void			 token_stream_free(struct token_stream *);
const struct ws_tokens	*token_stream_build(struct token_stream *, const char *, const char *);

static struct token_stream *simd, *scalar;

/* Both builds of one title and text: every token and every type alike. */
static int
same_streams(const char *title, const char *text)
{
	const struct ws_tokens *a = token_stream_build(simd, title, text);
	const struct ws_tokens *b = scalar_token_stream_build(scalar, title, text);
	int same = a->title.count == b->title.count && a->text.count == b->text.count &&
	    a->type_count == b->type_count;

	for (size_t i = 0; same && i < a->title.count + a->text.count; i++)
		same = memcmp(&a->title.tokens[i], &b->title.tokens[i],
		    sizeof(struct ws_token)) == 0;
	for (size_t i = 0; same && i < a->type_count; i++)
		same = a->types[i].length == b->types[i].length &&
		    a->types[i].hash == b->types[i].hash &&
		    strcmp(a->types[i].written, b->types[i].written) == 0 &&
		    a->form_ids[i] == b->form_ids[i];
	return same && a->text.count + a->title.count > 0;
}

static void
test_block_edges(void)
{
	static const char *const endings[] = { "", " next", ". Then", "'s", "\xC3\xA9", "'" };
	char text[96];
	int same = 1;

	for (int length = 1; length <= 40; length++) {
		for (int offset = 0; offset < 17; offset++) {
			for (size_t e = 0; e < sizeof(endings) / sizeof(endings[0]); e++) {
				int at = 0;

				for (int i = 0; i < offset; i++)
					text[at++] = i % 3 == 2 ? ',' : ' ';
				for (int i = 0; i < length; i++)
					text[at++] = (char)((i + length) % 5 == 0 ? 'A' + i % 26 :
					    (i + e) % 7 == 3 ? '0' + i % 10 : 'a' + (i * 3) % 26);
				snprintf(text + at, sizeof(text) - (size_t)at, "%s", endings[e]);
				same &= same_streams(text + offset / 2, text);
			}
		}
	}
	CHECK(same);
}

static void
test_random_texts(void)
{
	static const char *const pieces[] = {
		"a", "Z", "word", "WORD", "Word", "7", "42", " ", "  ", "\t", "\r\n", "\n", ".",
		",", "'", "'s", "\xE2\x80\x99s", "\xC3\xA9", "\xC3\x89", "\xE6\x9D\xB1", "\xFF",
		"internationalization", "Internationalisation", "abcdefghijklmnop",
	};
	uint64_t state = 0x2545F4914F6CDD1DULL;
	int same = 1;

	for (int round = 0; round < 2000; round++) {
		struct buffer text = { 0 };

		for (int i = 0; i < 1 + round % 60; i++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			buffer_append_string(&text, pieces[(state >> 33) %
			    (sizeof(pieces) / sizeof(pieces[0]))]);
		}
		buffer_append_string(&text, " z");
		buffer_append(&text, "", 1);
		same &= same_streams(NULL, text.data);
		free(text.data);
	}
	CHECK(same);
}

static void
test_seeds(void)
{
	const char *seeds = check_seeds_dir();
	char command[PATH_MAX + 32], path[PATH_MAX];
	int checked = 0, same = 1;
	FILE *list;

	if (seeds != NULL) {
		snprintf(command, sizeof(command), "ls %s/*.txt 2>/dev/null", seeds);
		if ((list = popen(command, "r")) != NULL) {
			while (fgets(path, sizeof(path), list) != NULL) {
				size_t size;
				char *content;

				path[strcspn(path, "\n")] = '\0';
				if ((content = file_read(path, &size)) == NULL)
					continue;
				same &= same_streams(NULL, content);
				checked++;
				free(content);
			}
			pclose(list);
		}
	}
	CHECK(same);
	if (checked == 0)
		SKIP("no seeds directory (../shared/seeds)");
}

int
main(void)
{
	simd = token_stream_new();
	scalar = scalar_token_stream_new();
	RUN(test_block_edges);
	RUN(test_random_texts);
	RUN(test_seeds);
	token_stream_free(simd);
	scalar_token_stream_free(scalar);
	return check_finish();
}
