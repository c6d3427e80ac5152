/*
 * test_tokens.c - the token stream the host hands ABI-2 plugins (daemon/tokens.c) against the
 * way each tagger scanned on its own before: words_next (plugins/words.h) over every line of
 * the text by itself, as the entities plugin did, and over the whole text, as keywords and
 * topics did.  Same words, same flags, and one type per distinct written form, its copy
 * zero-padded to 16 bytes when shorter (the key token_forms.c reads there).
 */
#include <sys/mman.h>
#include <unistd.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tokens.h"
#include "util.h"
#include "../../plugins/words.h"

/* Texts with what a scanner can trip on: possessives (ASCII and U+2019) at line ends,
 * apostrophes before a newline, CRLF, non-Latin letters and marks, digits, invalid UTF-8,
 * blank lines, all-capital words, a line that holds no word. */
static const char *const texts[] = {
	"Trump's envoy met NATO's chief in Kabul.\n\nThe talks' outcome was unclear\n"
	"rock 'n' roll isn't dead, they said'\nFirst line ending with an apostrophe'\n",
	"Zabihullah Mujahid\xE2\x80\x99s statement\xE2\x80\x99s tone\r\nnext line \xC3\x89mile "
	"Zola, caf\xC3\xA9s and na\xC3\xAFve r\xC3\xA9sum\xC3\xA9s.\n---\n\nUS US us Us uS 2024 "
	"4G\n",
	"\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x81\xA7 \xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 "
	"\xD8\xA7\xD9\x84\xD9\x82\xD8\xA7\xD9\x87\xD8\xB1\xD8\xA9 bad\xFF\xFE" "bytes \xE2\x80 cut",
	"",
	"\n\n\n",
	"One. Two! Three? four\tfive  six\n(seven) [eight] \"nine\" ten-eleven O'Brien's",
	"rock'\xC3\xA9 l'\xE2\x80\x99s caf\xC3\xA9's \xC3\x89S's BBC's it's Ab's ab'\n'x' "
	"\xE2\x80\x9CQuoted\xE2\x80\x9D \xC2\xA0nbsp\xC2\xA0word end.",
};

/* Each line's words by words_next over the line alone, offsets shifted to the whole text,
 * into *words (caller frees); returns how many. */
static size_t
words_by_line(const char *text, struct word **words)
{
	size_t count = 0, offset = 0;

	*words = NULL;
	while (text[offset] != '\0') {
		size_t length = strcspn(text + offset, "\n"), position = 0;
		struct word word;

		while (length > 0 && words_next(text + offset, length, &position, &word)) {
			word.start += offset;
			word.end += offset;
			*words = xrealloc(*words, (count + 1) * sizeof(**words));
			(*words)[count++] = word;
		}
		offset += length;
		while (text[offset] == '\n')
			offset++;
	}
	return count;
}

static void
check_token(const struct ws_token *token, const struct word *word)
{
	CHECK(token->start == word->start && token->end == word->end);
	CHECK(token->capitalized == word->capitalized && token->all_upper == word->all_upper);
	CHECK(token->sentence_start == word->sentence_start);
	CHECK(token->after_punctuation == word->after_punctuation);
}

/* Every token of one text against both ways of scanning it. */
static void
check_text(const struct ws_token_text *view, const char *text)
{
	struct word *by_line, whole;
	size_t count = words_by_line(text, &by_line), position = 0, i = 0;

	CHECK(view->text == text || (text[0] == '\0' && view->count == 0));
	CHECK(view->count == count);
	for (i = 0; i < view->count && i < count; i++)
		check_token(&view->tokens[i], &by_line[i]);
	for (i = 0; words_next(text, strlen(text), &position, &whole); i++)
		if (i < view->count)
			check_token(&view->tokens[i], &whole);
	CHECK(i == view->count);
	free(by_line);
}

/*
 * words_fold_hash (the taggers' one-pass fold and hash) gives each type what words_fold
 * then words_hash give, in room for the whole word and in room that cuts it short.
 */
static void
check_fold_hash(const struct ws_tokens *tokens)
{
	static const size_t sizes[] = { 64, 6, 2 };

	for (size_t i = 0; i < tokens->type_count; i++) {
		const struct ws_token_type *type = &tokens->types[i];

		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			char folded[64], expected[64];
			uint64_t hash = 0;
			size_t length = words_fold_hash(type->written, type->length, folded,
			    sizes[s], &hash);
			size_t expected_length = words_fold(type->written, type->length,
			    expected, sizes[s]);

			CHECK(length == expected_length && strcmp(folded, expected) == 0 &&
			    hash == words_hash(expected));
		}
	}
}

/*
 * The plain reference of the types' numbering: each token's form compared with every form
 * met before it (title, then text), numbered in the order first met.
 */
static void
check_type_order(const struct ws_tokens *tokens)
{
	const struct ws_token_text *texts_of[2] = { &tokens->title, &tokens->text };
	size_t capacity = tokens->title.count + tokens->text.count + 1, met = 0;
	struct { const char *bytes; size_t length; } *forms = xcalloc(capacity, sizeof(*forms));

	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < texts_of[t]->count; i++) {
			const struct ws_token *token = &texts_of[t]->tokens[i];
			const char *bytes = texts_of[t]->text + token->start;
			size_t length = token->end - token->start, number = 0;

			while (number < met && (forms[number].length != length ||
			    memcmp(forms[number].bytes, bytes, length) != 0))
				number++;
			if (number == met) {
				forms[met].bytes = bytes;
				forms[met++].length = length;
			}
			CHECK(token->type == number);
		}
	}
	CHECK(tokens->type_count == met);
	free(forms);
}

/*
 * A type's copy as form_table_ids reads its key (token_forms.h): 16 readable bytes, the form
 * and then zeros when it is shorter, so equal to the form zero-padded here.
 */
static int
key_cell_is_form(const struct ws_token_type *type)
{
	char padded[16] = { 0 };

	memcpy(padded, type->written, type->length < 16 ? type->length : 16);
	return memcmp(padded, type->written, 16) == 0;
}

/* Types: written form and hash as words_hash gives them; alike tokens share one. */
static void
check_types(const struct ws_tokens *tokens)
{
	const struct ws_token_text *texts_of[2] = { &tokens->title, &tokens->text };

	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < texts_of[t]->count; i++) {
			const struct ws_token *token = &texts_of[t]->tokens[i];
			const struct ws_token_type *type = &tokens->types[token->type];
			size_t length = token->end - token->start;

			CHECK(token->type < tokens->type_count);
			CHECK(type->length == length && strlen(type->written) == length);
			CHECK(memcmp(type->written, texts_of[t]->text + token->start, length) == 0);
			CHECK(type->hash == words_hash(type->written));
			CHECK(key_cell_is_form(type));
		}
	}
	for (size_t a = 0; a < tokens->type_count; a++)
		for (size_t b = a + 1; b < tokens->type_count; b++)
			CHECK(strcmp(tokens->types[a].written, tokens->types[b].written) != 0);
	check_type_order(tokens);
	check_fold_hash(tokens);
}

static void
test_stream_is_what_each_plugin_scanned(void)
{
	struct token_stream *stream = token_stream_new();
	size_t count = sizeof(texts) / sizeof(texts[0]);

	for (size_t i = 0; i < count; i++) {
		const char *title = texts[(i + 1) % count];
		const struct ws_tokens *tokens = token_stream_build(stream, title, texts[i]);

		check_text(&tokens->title, title);
		check_text(&tokens->text, texts[i]);
		check_types(tokens);
	}
	/* No title, no text: empty. */
	const struct ws_tokens *none = token_stream_build(stream, NULL, NULL);
	CHECK(none->title.count == 0 && none->text.count == 0 && none->type_count == 0);
	token_stream_free(stream);
}

/* A text of many distinct words (the type table grows) and of repeats (they share types). */
static void
test_many_types(void)
{
	struct token_stream *stream = token_stream_new();
	struct buffer text = { 0 };
	const struct ws_tokens *tokens;
	char word[32];

	for (int i = 0; i < 6000; i++) {
		snprintf(word, sizeof(word), "%sw%d ", i % 7 == 0 ? "\n" : "", i % 3000);
		buffer_append_string(&text, word);
	}
	tokens = token_stream_build(stream, "w1 W1 w1", text.data);
	CHECK(tokens->text.count == 6000);
	CHECK(tokens->type_count == 3001);	/* w0 ... w2999, and "W1" */
	CHECK(tokens->title.tokens[0].type == tokens->title.tokens[2].type);
	CHECK(tokens->title.tokens[0].type != tokens->title.tokens[1].type);
	CHECK(tokens->text.tokens[1].type == tokens->title.tokens[0].type);
	CHECK(tokens->text.tokens[3001].type == tokens->text.tokens[1].type);
	check_text(&tokens->text, text.data);
	check_types(tokens);
	free(text.data);
	token_stream_free(stream);
}

/*
 * Random texts from pieces a scanner can trip on (tokens.c reads ASCII from a byte table and
 * everything else with utf8proc): each against words_next, token by token.
 */
static void
test_random_texts(void)
{
	static const char *const pieces[] = {
		"a", "Z", "word", "WORD", "Word", "7", "42", " ", "  ", "\t", "\r\n", "\n", ".",
		"!", "?", ",", "-", "(", "\"", "'", "'s", "'S", "\xE2\x80\x99", "\xE2\x80\x99s",
		"\xC3\xA9", "\xC3\x89", "\xC7\x85", "\xCC\x81", "\xE6\x9D\xB1", "\xD0\x9C",
		"\xC2\xA0", "\xE2\x80\xA8", "\xE2\x80\x94", "\xFF", "\xE2\x80", "\xC3",
		"\xF0\x9F\x98\x80", "\xCA\xB0", "\xD9\xA3", "\xE2\x85\xA0", "_", "\x01",
	};
	size_t piece_count = sizeof(pieces) / sizeof(pieces[0]);
	struct token_stream *stream = token_stream_new();
	uint64_t state = 0x9e3779b97f4a7c15ULL;

	for (int round = 0; round < 3000; round++) {
		struct buffer text = { 0 }, title = { 0 };
		int length = 1 + round % 40;

		for (int i = 0; i < length; i++) {
			state = state * 6364136223846793005ULL + 1442695040888963407ULL;
			buffer_append_string(i % 3 == 2 ? &title : &text,
			    pieces[(state >> 33) % piece_count]);
		}
		buffer_append(&title, "", 1);
		buffer_append(&text, "", 1);
		const struct ws_tokens *tokens = token_stream_build(stream, title.data, text.data);

		check_text(&tokens->title, title.data);
		check_text(&tokens->text, text.data);
		check_types(tokens);
		free(title.data);
		free(text.data);
	}
	token_stream_free(stream);
}

/*
 * Words of 1 to 70 bytes at every offset of a 16-byte block (tokens.c reads a word a block at
 * a time), with what may end them: the text's end, a space and a word, punctuation, an
 * apostrophe with or without a word after it, possessives, a letter from 0x80; lower, capital
 * and all-capital, with digits.
 */
static void
test_block_edges(void)
{
	static const char *const endings[] = {
		"", " ", " x", "  y", ".", ". Z", ",\n", "'", "'s", "'S x", "'t", "\xE2\x80\x99s",
		"\xE2\x80\x99", "\xC3\xA9", "\xC3\x89t", "\xC2\xA0z", "-q", "\t9",
	};
	struct token_stream *stream = token_stream_new();
	char text[160];

	for (int length = 1; length <= 70; length++) {
		for (int offset = 0; offset < 18; offset++) {
			for (size_t e = 0; e < sizeof(endings) / sizeof(endings[0]); e++) {
				int at = 0, shape = (length + offset + (int)e) % 4;

				for (int i = 0; i < offset; i++)
					text[at++] = i % 5 == 4 ? '.' : ' ';
				for (int i = 0; i < length; i++) {
					char c = (char)('a' + (i * 7 + length) % 26);

					if (shape == 1 && i == 0)
						c = (char)(c - 32);
					else if (shape == 2)
						c = (char)(c - 32);
					else if (shape == 3 && i % 4 == 3)
						c = (char)('0' + i % 10);
					text[at++] = c;
				}
				snprintf(text + at, sizeof(text) - (size_t)at, "%s", endings[e]);
				const struct ws_tokens *tokens = token_stream_build(stream,
				    text + offset, text);

				check_text(&tokens->title, text + offset);
				check_text(&tokens->text, text);
				check_types(tokens);
			}
		}
	}
	token_stream_free(stream);
}

/*
 * Texts whose NUL is the last byte before a page that cannot be read: the scan reads nothing
 * past a text's end (a fault here otherwise).
 */
static void
test_page_end(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *pages = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct token_stream *stream = token_stream_new();
	int checked = 0;

	CHECK(pages != MAP_FAILED);
	if (pages == MAP_FAILED)
		return;
	CHECK(mprotect(pages + page, (size_t)page, PROT_NONE) == 0);
	for (int length = 0; length < 48; length++) {
		char *text = pages + page - 1 - length;

		for (int i = 0; i < length; i++)
			text[i] = i % 6 == 5 ? ' ' : (char)('a' + i % 26);
		text[length] = '\0';
		const struct ws_tokens *tokens = token_stream_build(stream, text, text);

		check_text(&tokens->text, text);
		check_types(tokens);
		checked++;
	}
	CHECK(checked == 48);
	token_stream_free(stream);
	munmap(pages, (size_t)page * 2);
}

/*
 * Written forms alike in their first 16 bytes (tokens.c interns by them) and of 15 to 40
 * bytes, many of them (the table grows while they go in), each kept apart; and a second
 * build over other words gives no type of the first.
 */
static void
test_long_forms(void)
{
	struct token_stream *stream = token_stream_new();
	struct buffer text = { 0 };
	const struct ws_tokens *tokens;
	char word[64];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3000; i++) {
			int length = 15 + i % 26;

			snprintf(word, sizeof(word), "internationaliz%s", "ationsXYZabcdefghijklmnop");
			word[length] = '\0';
			if (length > 16)
				word[length - 1] = (char)('a' + (i / 26) % 26);
			buffer_append_string(&text, word);
			buffer_append_string(&text, i % 9 == 0 ? ".\n" : " ");
		}
	}
	buffer_append(&text, "", 1);
	tokens = token_stream_build(stream, "internationalizations", text.data);
	check_text(&tokens->text, text.data);
	check_types(tokens);
	CHECK(tokens->text.count == 6000 && tokens->type_count > 300);
	tokens = token_stream_build(stream, NULL, "short words only");
	CHECK(tokens->type_count == 3);
	check_types(tokens);
	free(text.data);
	token_stream_free(stream);
}

/*
 * word_table_get_hashed (the taggers' look-up of a word form, inserted when new) against
 * word_table_insert_hashed: 5,000 keys, each met several times in a scrambled order, every
 * key given the same value slot by both, each table as large as the other in the end.
 */
static void
test_word_table_get(void)
{
	struct word_table got = { 0 }, inserted = { 0 };
	char key[32];
	int ok = 1;

	for (unsigned i = 0; i < 20000; i++) {
		unsigned which = (i * 7919u) % 5000u;
		void **a, **b;

		snprintf(key, sizeof key, "w%u", which);
		a = word_table_get_hashed(&got, key, words_hash(key));
		b = word_table_insert_hashed(&inserted, key, words_hash(key));
		if (a == NULL || b == NULL) {
			ok = 0;
			break;
		}
		ok &= *a == *b;
		if (*a == NULL)
			*a = *b = (void *)(uintptr_t)(which + 1);
	}
	CHECK(ok && got.count == 5000 && inserted.count == 5000);
	for (unsigned which = 0; which < 5000; which++) {
		void **a;

		snprintf(key, sizeof key, "w%u", which);
		a = word_table_find(&got, key);
		ok &= a != NULL && *a == (void *)(uintptr_t)(which + 1);
	}
	CHECK(ok);
	word_table_free(&got, NULL);
	word_table_free(&inserted, NULL);
}

/* The seed articles (real news text), when they are there. */
static void
test_seeds(void)
{
	const char *seeds = check_seeds_dir();
	struct token_stream *stream = token_stream_new();
	int checked = 0;

	for (int i = 0; seeds != NULL && i < 100; i++) {
		char pattern[PATH_MAX], command[PATH_MAX + 32], path[PATH_MAX];
		FILE *list;
		char *content;
		size_t size;

		snprintf(pattern, sizeof(pattern), "%s/%03d_*.txt", seeds, i);
		snprintf(command, sizeof(command), "ls %s 2>/dev/null", pattern);
		if ((list = popen(command, "r")) == NULL)
			break;
		if (fgets(path, sizeof(path), list) != NULL) {
			path[strcspn(path, "\n")] = '\0';
			if ((content = file_read(path, &size)) != NULL) {
				const struct ws_tokens *tokens = token_stream_build(stream, NULL,
				    content);

				CHECK(tokens->text.count > 100);
				check_text(&tokens->text, content);
				check_types(tokens);
				checked++;
				free(content);
			}
		}
		pclose(list);
	}
	token_stream_free(stream);
	if (checked == 0)
		SKIP("no seeds directory (../shared/seeds)");
}

int
main(void)
{
	RUN(test_stream_is_what_each_plugin_scanned);
	RUN(test_many_types);
	RUN(test_random_texts);
	RUN(test_block_edges);
	RUN(test_page_end);
	RUN(test_long_forms);
	RUN(test_seeds);
	RUN(test_word_table_get);
	return check_finish();
}
