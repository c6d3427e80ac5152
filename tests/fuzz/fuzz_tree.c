/*
 * fuzz_tree.c - libFuzzer target for the extractor's own tree builder (extract_tree.c), as a
 * differential test: arbitrary bytes, skimmed as the extractor skims them and also as they
 * are, given to page_tree() and to libxml2's HTML parser (html_parse_page); wherever
 * page_tree() builds a tree, it must be libxml2's (tree_compare.h), or the target aborts.
 * Built and run by tests/fuzz/run.sh (tree.dict holds the tags and references it mixes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clean/extract_internal.h"
#include "tree_compare.h"

static void
compare(const char *html, size_t length)
{
	xmlDoc *ours = page_tree(html, length), *reference;
	char why[200];

	if (ours == NULL)
		return;
	reference = html_parse_page(html, length, "UTF-8");
	if (reference == NULL || !trees_equal(reference, ours, why, sizeof why)) {
		fprintf(stderr, "page_tree differs from libxml2: %s\n",
		    reference ? why : "libxml2 gave no tree");
		abort();
	}
	xmlFreeDoc(reference);
	xmlFreeDoc(ours);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t length;
	char *skimmed = page_skim((const char *)data, size, SKIM_ATTRIBUTES | SKIM_SPACES,
	    &length);

	compare(skimmed, length);
	free(skimmed);
	compare((const char *)data, size);
	return 0;
}
