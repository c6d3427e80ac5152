/*
 * fuzz_robots.c - libFuzzer target for the robots.txt parser and matcher (daemon/robots.c).
 * The input's first line is a path to ask about (and the agent is fixed), the rest is the
 * robots.txt; every input also asks about "/", a long path and "/robots.txt", which must
 * always be allowed. Built and run by tests/fuzz/run.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "robots.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *newline = memchr(text, '\n', size);
	size_t path_length = newline ? (size_t)(newline - text) : 0;
	char *path = malloc(path_length + 1);
	char long_path[2048];
	struct robots *robots;

	memcpy(path, text, path_length);
	path[path_length] = '\0';
	memset(long_path, 'a', sizeof long_path - 1);
	long_path[0] = '/';
	long_path[sizeof long_path - 1] = '\0';
	robots = robots_parse(text + path_length, size - path_length, "wiresift");
	robots_allowed(robots, path);
	robots_allowed(robots, "/");
	robots_allowed(robots, long_path);
	if (!robots_allowed(robots, "/robots.txt"))
		abort();
	(void)robots_crawl_delay(robots);
	robots_free(robots);
	free(path);
	return 0;
}
