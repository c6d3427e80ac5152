/*
 * robots_check.c - asks daemon/robots.c about paths, for comparisons with other robots.txt
 * parsers (tests/e2e/test_robots_compare.py): robots_check FILE AGENT PATH... prints one line
 * per path, "allow" or "disallow", then "crawl-delay N" (-1 when none).
 */
#include <stdio.h>
#include <stdlib.h>

#include "robots.h"
#include "util.h"

int
main(int argc, char **argv)
{
	FILE *file;
	struct buffer body = { 0 };
	char chunk[8192];
	size_t length;
	struct robots *robots;

	if (argc < 3 || (file = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: robots_check FILE AGENT PATH...\n");
		return 2;
	}
	while ((length = fread(chunk, 1, sizeof chunk, file)) > 0)
		buffer_append(&body, chunk, length);
	fclose(file);
	robots = robots_parse(body.data ? body.data : "", body.length, argv[2]);
	for (int i = 3; i < argc; i++)
		printf("%s\n", robots_allowed(robots, argv[i]) ? "allow" : "disallow");
	printf("crawl-delay %g\n", robots_crawl_delay(robots));
	robots_free(robots);
	buffer_free(&body);
	return 0;
}
