/*
 * fuzz_feeds_list.c - libFuzzer target for the feeds list parser: the input is written to a
 * temporary file and read with config_load_feeds() into a default configuration. Built and
 * run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char directory[] = "/tmp/wiresift-fuzz-feeds-XXXXXX";
static char path[sizeof directory + 16];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[512];
	struct config *config;
	FILE *file;

	if (path[0] == '\0') {
		if (mkdtemp(directory) == NULL)
			abort();
		snprintf(path, sizeof path, "%s/feeds.list", directory);
	}
	if ((file = fopen(path, "wb")) == NULL)
		abort();
	fwrite(data, 1, size, file);
	fclose(file);
	config = config_defaults();
	config_load_feeds(config, path, error, sizeof error);
	config_free(config);
	unlink(path);
	return 0;
}
