/*
 * words_reference.h - count_words (daemon/clean/words.c) by its definition, one character at a
 * time through utf8proc: a word is a run of letters and numbers ("'", "-" and U+2019
 * inside a run continue it; combining marks are skipped); each Han or kana character is a
 * word of its own; invalid bytes are skipped.  test_clean_rules and test_clean_words hold the
 * fast paths to it.
 */
#ifndef WIRESIFT_WORDS_REFERENCE_H
#define WIRESIFT_WORDS_REFERENCE_H

#include <stddef.h>

#include <utf8proc.h>

static size_t
reference_count_words(const char *text, size_t length)
{
	size_t words = 0, at = 0;
	int in_word = 0;

	while (at < length) {
		utf8proc_int32_t code;
		utf8proc_ssize_t size = utf8proc_iterate((const utf8proc_uint8_t *)text + at,
		    (utf8proc_ssize_t)(length - at), &code);
		int word_char;

		if (size <= 0) {
			at++;
			continue;
		}
		at += (size_t)size;
		if ((code >= 0x3040 && code <= 0x30ff) || (code >= 0x3400 && code <= 0x9fff) ||
		    (code >= 0xf900 && code <= 0xfaff)) {
			words++;
			in_word = 0;
			continue;
		}
		switch (utf8proc_category(code)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
		case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
			word_char = 1;
			break;
		case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
			continue;
		default:
			word_char = in_word && (code == '\'' || code == '-' || code == 0x2019);
		}
		words += word_char && !in_word;
		in_word = word_char;
	}
	return words;
}

#endif
