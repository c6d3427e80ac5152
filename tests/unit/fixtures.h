/*
 * fixtures.h - inputs several unit tests set up the same way: a private temporary directory
 * (made at start, removed at the end), files written into it, and the real seed articles,
 * read at run time from ../shared/seeds and never copied into the repository.
 */
#ifndef WIRESIFT_FIXTURES_H
#define WIRESIFT_FIXTURES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util.h"

static char temp_dir[64];

/* Make the test's directory, /tmp/wiresift-test-NAME-XXXXXX; 0 on success. */
static inline int
temp_dir_make(const char *name)
{
	snprintf(temp_dir, sizeof temp_dir, "/tmp/wiresift-test-%s-XXXXXX", name);
	if (mkdtemp(temp_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

/* Remove the test's directory and all it holds. */
static inline void
temp_dir_remove(void)
{
	char *command = xasprintf("rm -rf '%s'", temp_dir);

	if (temp_dir[0] == '\0' || system(command) != 0)
		fprintf(stderr, "could not remove %s\n", temp_dir);
	free(command);
}

/* Write text to NAME in the test's directory; returns the path (free it). */
static inline char *
write_temp(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", temp_dir, name);
	FILE *file = fopen(path, "w");

	CHECK(file != NULL);
	if (file != NULL) {
		fputs(text, file);
		fclose(file);
	}
	return path;
}

/* Read up to max seed articles (*.txt, in name order): their texts and, when names is not
 * NULL, their names without ".txt". Returns the count; 0 when the seeds are absent. */
static inline size_t
seeds_read(char *texts[], char *names[], size_t max)
{
	const char *directory = check_seeds_dir();
	struct dirent **entries;
	size_t count = 0;
	int n;

	if (directory == NULL || (n = scandir(directory, &entries, NULL, alphasort)) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		const char *name = entries[i]->d_name;
		size_t length = strlen(name);

		if (count < max && length > 4 && strcmp(name + length - 4, ".txt") == 0) {
			char *path = xasprintf("%s/%s", directory, name);

			if ((texts[count] = file_read(path, NULL)) != NULL) {
				if (names != NULL)
					names[count] = xstrndup(name, length - 4);
				count++;
			}
			free(path);
		}
		free(entries[i]);
	}
	free(entries);
	return count;
}

#endif
