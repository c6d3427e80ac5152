/*
 * fuzz_config.c - libFuzzer target for the configuration parser: the input is written to a
 * temporary file and loaded with config_load(). Relative paths in it (feeds list, rules)
 * resolve inside the temporary directory, which holds nothing else. Built and run by
 * tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char directory[] = "/tmp/wiresift-fuzz-config-XXXXXX";
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
		snprintf(path, sizeof path, "%s/fuzz.conf", directory);
	}
	if ((file = fopen(path, "wb")) == NULL)
		abort();
	fwrite(data, 1, size, file);
	fclose(file);
	if ((config = config_load(path, error, sizeof error)) != NULL)
		config_free(config);
	unlink(path);
	return 0;
}
