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
#include "fuzz_file.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_write("feeds", "feeds.list", data, size);
	char error[512];
	struct config *config;

	config = config_defaults();
	config_load_feeds(config, path, error, sizeof error);
	config_free(config);
	return 0;
}
