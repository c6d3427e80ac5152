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
#include "fuzz_file.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_write("config", "fuzz.conf", data, size);
	char error[512];
	struct config *config;

	if ((config = config_load(path, error, sizeof error)) != NULL)
		config_free(config);
	return 0;
}
