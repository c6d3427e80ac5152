/*
 * test_lang.c - the lang plugin's sample (plugins/lang/lang.cc): what CLD2 reads is exactly
 * the first max_bytes of title + "\n\n" + text, cut back to a UTF-8 character boundary.  A
 * plain reference here builds that prefix by hand and hands it, as the whole text of an
 * untitled article, to a chain that reads everything; the two verdicts (code and confidence)
 * must be the same at every cut, on texts whose language changes part-way (so that the
 * confidence, CLD2's share of the text, moves with each byte it reads) and on the seed
 * articles.  Language accuracy against true labels is measured by tests/bench/bench_lang.c.
 *
 * Plugins are loaded from $WIRESIFT_PLUGIN_DIR (build/plugins when unset).  Runs from the
 * repo root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "article.h"
#include "plugin.h"
#include "util.h"
#include "fixtures.h"

static struct plugin_chain *
lang_chain(const char *max_bytes)
{
	struct plugin_setting setting = { (char *)"max_bytes", (char *)max_bytes, 2 };
	struct plugin_config config = { (char *)"lang", (char *)"conf/wiresift.conf", 1,
	    &setting, 1 };
	char error[512];
	struct plugin_chain *chain = plugin_chain_load(&config, 1, NULL, error, sizeof(error));

	if (chain == NULL)
		fprintf(stderr, "  cannot load lang: %s\n", error);
	return chain;
}

/* The reference sample: title "\n\n" text, its first limit bytes, cut to a character start. */
static char *
reference_sample(const char *title, const char *text, size_t limit)
{
	struct buffer whole = { 0 };
	size_t length;

	if (title != NULL) {
		buffer_append_string(&whole, title);
		buffer_append_string(&whole, "\n\n");
	}
	buffer_append_string(&whole, text);
	buffer_append(&whole, "", 1);
	length = whole.length - 1;
	if (length > limit) {
		length = limit;
		while (length > 0 && ((unsigned char)whole.data[length] & 0xC0) == 0x80)
			length--;
	}
	whole.data[length] = '\0';
	return whole.data;
}

/* The verdict on title + text by a chain of max_bytes limit equals the whole-text verdict on
 * the reference sample; returns whether it does. */
static int
sample_matches(struct plugin_chain *whole, const char *title, const char *text, size_t limit)
{
	char setting[32], *prefix = reference_sample(title, text, limit);
	struct plugin_chain *cut;
	struct article *ours = article_new(), *reference = article_new();
	int same;

	snprintf(setting, sizeof(setting), "%zu", limit);
	cut = lang_chain(setting);
	article_set(&ours->title, title);
	article_set(&ours->text, text);
	article_set(&reference->text, prefix);
	if (cut != NULL)
		plugin_chain_process(cut, ours);
	plugin_chain_process(whole, reference);
	same = cut != NULL && strcmp(ours->lang_code, reference->lang_code) == 0 &&
	    ours->lang_confidence == reference->lang_confidence;
	if (!same)
		fprintf(stderr, "  max_bytes %zu: %s %.3f, reference %s %.3f\n", limit,
		    ours->lang_code, ours->lang_confidence, reference->lang_code,
		    reference->lang_confidence);
	plugin_chain_free(cut);
	article_free(ours);
	article_free(reference);
	free(prefix);
	return same;
}

/* Texts written for this test: German, then French, then Russian (two-byte letters), so that
 * every cut gives CLD2 a different mix. */
static const char *const mixed_title = "Gemischte Meldung \xC3\xBC" "ber Br\xC3\xBC" "cken";
static const char *const mixed_text =
    "Die Stadtverwaltung hat am Dienstag beschlossen, die alte Br\xC3\xBC" "cke \xC3\xBC"
    "ber den Fluss bis zum Fr\xC3\xBChjahr zu sanieren; die Anwohner klagten seit Jahren "
    "\xC3\xBC" "ber den Verkehr. "
    "Le conseil municipal a d\xC3\xA9" "cid\xC3\xA9 mardi de r\xC3\xA9nover le vieux pont, "
    "apr\xC3\xA8s des ann\xC3\xA9" "es de plaintes des riverains sur la circulation. "
    "\xD0\x93\xD0\xBE\xD1\x80\xD0\xBE\xD0\xB4\xD1\x81\xD0\xBA\xD0\xBE\xD0\xB9 "
    "\xD1\x81\xD0\xBE\xD0\xB2\xD0\xB5\xD1\x82 \xD1\x80\xD0\xB5\xD1\x88\xD0\xB8\xD0\xBB "
    "\xD0\xBE\xD1\x82\xD1\x80\xD0\xB5\xD0\xBC\xD0\xBE\xD0\xBD\xD1\x82\xD0\xB8\xD1\x80"
    "\xD0\xBE\xD0\xB2\xD0\xB0\xD1\x82\xD1\x8C \xD1\x81\xD1\x82\xD0\xB0\xD1\x80\xD1\x8B"
    "\xD0\xB9 \xD0\xBC\xD0\xBE\xD1\x81\xD1\x82 \xD1\x87\xD0\xB5\xD1\x80\xD0\xB5\xD0\xB7 "
    "\xD1\x80\xD0\xB5\xD0\xBA\xD1\x83 \xD0\xB2\xD0\xB5\xD1\x81\xD0\xBD\xD0\xBE\xD0\xB9.";

static void
test_lang_sample_is_the_prefix(void)
{
	struct plugin_chain *whole = lang_chain("1000000");
	size_t title_length = strlen(mixed_title), cuts = 0, matched = 0;

	CHECK(whole != NULL);
	if (whole == NULL)
		return;
	/* Every cut from inside the title to past the end, byte by byte around the edges. */
	for (size_t limit = 1; limit <= strlen(mixed_text) + title_length + 8; limit++) {
		if (limit > title_length + 4 && limit % 7 != 0 && limit < strlen(mixed_text))
			continue;
		cuts++;
		matched += (size_t)sample_matches(whole, mixed_title, mixed_text, limit);
	}
	CHECK(cuts > 60);
	CHECK(matched == cuts);
	/* No title: the text alone. */
	CHECK(sample_matches(whole, NULL, mixed_text, 256));
	CHECK(sample_matches(whole, NULL, mixed_text, 512));
	plugin_chain_free(whole);
}

static void
test_lang_sample_seeds(void)
{
	char *texts[100];
	size_t count = seeds_read(texts, NULL, 100);
	struct plugin_chain *whole;

	if (count == 0) {
		SKIP("no seeds directory (../shared/seeds): seed articles not checked");
		return;
	}
	whole = lang_chain("1000000");
	CHECK(whole != NULL);
	for (size_t i = 0; whole != NULL && i < count; i++) {
		char *text = texts[i], *newline = strchr(text, '\n');

		if (newline != NULL)
			*newline = '\0';
		CHECK(sample_matches(whole, text, newline != NULL ? newline + 1 : "", 512));
		CHECK(sample_matches(whole, text, newline != NULL ? newline + 1 : "", 256));
	}
	for (size_t i = 0; i < count; i++)
		free(texts[i]);
	plugin_chain_free(whole);
}

int
main(void)
{
	if (getenv("WIRESIFT_PLUGIN_DIR") == NULL || *getenv("WIRESIFT_PLUGIN_DIR") == '\0')
		setenv("WIRESIFT_PLUGIN_DIR", "build/plugins", 1);
	RUN(test_lang_sample_is_the_prefix);
	RUN(test_lang_sample_seeds);
	return check_finish();
}
