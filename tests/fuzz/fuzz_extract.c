/*
 * fuzz_extract.c - libFuzzer target for the article extractor: extract_page() on arbitrary
 * bytes as a page, with the built-in boilerplate rules and a site-rules set whose keep and
 * drop selectors apply to the page's URL, so both the heuristics and the site rules run.
 * Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clean/clean.h"
#include "clean/extract.h"

static struct clean_rules *rules;
static struct extract_rules *sites;

static void
explain_discard(const char *rule, const char *removed, void *context)
{
	(void)rule;
	(void)removed;
	(void)context;
}

static struct extract_rules *
sites_load(void)
{
	static const char text[] = "sited.invalid drop .promo, [data-x^=ad]\n"
	    "sited.invalid drop //aside | //div[@id='x']\n"
	    "sited.invalid keep article > .body, #main p\n";
	char path[] = "/tmp/fuzz-sites-XXXXXX", error[256];
	int fd = mkstemp(path);
	struct extract_rules *loaded;

	if (fd < 0 || write(fd, text, sizeof text - 1) != (ssize_t)(sizeof text - 1))
		abort();
	close(fd);
	loaded = extract_rules_load(path, error, sizeof error);
	unlink(path);
	if (loaded == NULL)
		abort();
	return loaded;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[256];
	struct extract_result result;

	if (rules == NULL && (rules = clean_rules_load(NULL, error, sizeof error)) == NULL)
		abort();
	if (sites == NULL)
		sites = sites_load();
	extract_page(sites, rules, (const char *)data, size, "https://www.sited.invalid/a/b",
	    &result, explain_discard, NULL);
	extract_result_free(&result);
	extract_page(NULL, NULL, (const char *)data, size, NULL, &result, NULL, NULL);
	extract_result_free(&result);
	return 0;
}
