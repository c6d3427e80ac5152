/*
 * test_lang_hash.c - plugins/lang/cld2_hash.h's inline hashes against libcld2's own
 * functions (QuadHashV2, OctaHash40, PairHash, taken from libcld2.so.0 by their C++ names):
 * the same value for every gram of 0 to 40 bytes at every offset of random texts of ASCII
 * letters, spaces, control bytes and UTF-8 of 2 to 4 bytes (so every length class of the
 * mixers and every space indicator is met), and for random pairs of 40-bit hashes.  The
 * ASCII quadgram hash of cld2_score.cc's walk (cld2_quad_hash_short, from a gram's first
 * four bytes) against QuadHashV2 on grams of 1 to 4 bytes.  SKIPPED when libcld2.so.0 or a
 * symbol cannot be found.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "../../plugins/lang/cld2_hash.h"

#define RANDOM_SEED 0x68617368ULL
#include "xorshift.h"

#define TEXT_BYTES	4096
#define TEXT_PAD	64	/* CLD2's hashes read up to 3 bytes past a gram, ours 7 */
#define LONGEST_GRAM	40

typedef uint32_t (*quad_hash_fn)(const char *, int);
typedef uint64_t (*octa_hash_fn)(const char *, int);
typedef uint64_t (*pair_hash_fn)(uint64_t, uint64_t);

static quad_hash_fn cld2_QuadHashV2;
static octa_hash_fn cld2_OctaHash40;
static pair_hash_fn cld2_PairHash;

/* libcld2's three functions; 0 when the library or one of them is missing. */
static int
load_cld2(void)
{
	void *library = dlopen("libcld2.so.0", RTLD_NOW | RTLD_LOCAL);

	if (library == NULL)
		return 0;
	cld2_QuadHashV2 = (quad_hash_fn)dlsym(library, "_ZN4CLD210QuadHashV2EPKci");
	cld2_OctaHash40 = (octa_hash_fn)dlsym(library, "_ZN4CLD210OctaHash40EPKci");
	cld2_PairHash = (pair_hash_fn)dlsym(library, "_ZN4CLD28PairHashEyy");
	return cld2_QuadHashV2 != NULL && cld2_OctaHash40 != NULL && cld2_PairHash != NULL;
}

/* One random character of the texts: mostly letters and spaces, some of everything else. */
static size_t
random_character(char *out)
{
	static const char *const others[] = { "\xc3\xa9", "\xd0\xb6", "\xe4\xb8\xad",
	    "\xe0\xa4\x95", "\xf0\x9f\x98\x80", "\t", "\n", "\x01", "!", "9" };
	unsigned pick = next_random(100);

	if (pick < 60) {
		out[0] = (char)('a' + next_random(26));
		return 1;
	}
	if (pick < 80) {
		out[0] = ' ';
		return 1;
	}
	const char *other = others[next_random(sizeof(others) / sizeof(others[0]))];

	memcpy(out, other, strlen(other));
	return strlen(other);
}

/* A random text of about TEXT_BYTES bytes after a leading space, padded with spaces. */
static void
random_text(char *text)
{
	size_t at = 1;

	memset(text, ' ', TEXT_BYTES + TEXT_PAD);
	while (at < TEXT_BYTES - 4)
		at += random_character(text + at);
}

static void
test_lang_hash_grams_equal_cld2s(void)
{
	static char text[TEXT_BYTES + TEXT_PAD];
	long compared = 0, quad_differ = 0, octa_differ = 0, short_differ = 0;

	if (!load_cld2()) {
		SKIP("libcld2.so.0 or its hash functions not found");
		return;
	}
	for (int round = 0; round < 8; round++) {
		random_text(text);
		for (int at = 1; at < TEXT_BYTES - LONGEST_GRAM; at++)
			for (int bytes = 0; bytes <= LONGEST_GRAM; bytes++) {
				const char *gram = text + at;

				quad_differ += cld2_quad_hash(gram, bytes) != cld2_QuadHashV2(gram,
				    bytes);
				octa_differ += cld2_octa_hash(gram, bytes) != cld2_OctaHash40(gram,
				    bytes);
				if (bytes >= 1 && bytes <= 4)
					short_differ += cld2_quad_hash_short(cld2_load32(gram),
					    bytes, cld2_prepost(gram, bytes)) !=
					    cld2_QuadHashV2(gram, bytes);
				compared++;
			}
	}
	printf("  %ld grams: quadgram %ld differ (ASCII path %ld), octagram %ld differ\n",
	    compared, quad_differ, short_differ, octa_differ);
	CHECK(compared > 1000000);
	CHECK(quad_differ == 0);
	CHECK(short_differ == 0);
	CHECK(octa_differ == 0);
}

static void
test_lang_hash_pairs_equal_cld2s(void)
{
	long differ = 0;

	if (!load_cld2()) {
		SKIP("libcld2.so.0 or its hash functions not found");
		return;
	}
	for (int i = 0; i < 100000; i++) {
		uint64_t first = ((uint64_t)next_random(1u << 20) << 20 | next_random(1u << 20)) ^
		    (uint64_t)next_random(256) << 32;
		uint64_t second = (uint64_t)next_random(1u << 30) << 10 | next_random(1024);

		differ += cld2_pair_hash(first, second) != cld2_PairHash(first, second);
	}
	CHECK(differ == 0);
}

int
main(void)
{
	RUN(test_lang_hash_grams_equal_cld2s);
	RUN(test_lang_hash_pairs_equal_cld2s);
	return check_finish();
}
