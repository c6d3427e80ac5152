/*
 * fuzz_file.h - for fuzz targets whose parser reads a file: each input is written to one file
 * in a private temporary directory, which is removed when the fuzzer exits.
 */
#ifndef WIRESIFT_FUZZ_FILE_H
#define WIRESIFT_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_directory[64];
static char fuzz_path[96];

static void
fuzz_file_remove(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_directory);
}

/* Write the input to /tmp/wiresift-fuzz-TARGET-XXXXXX/NAME; returns that path. */
static inline const char *
fuzz_file_write(const char *target, const char *name, const uint8_t *data, size_t size)
{
	FILE *file;

	if (fuzz_path[0] == '\0') {
		snprintf(fuzz_directory, sizeof fuzz_directory, "/tmp/wiresift-fuzz-%s-XXXXXX",
		    target);
		if (mkdtemp(fuzz_directory) == NULL)
			abort();
		snprintf(fuzz_path, sizeof fuzz_path, "%s/%s", fuzz_directory, name);
		atexit(fuzz_file_remove);
	}
	if ((file = fopen(fuzz_path, "wb")) == NULL)
		abort();
	fwrite(data, 1, size, file);
	fclose(file);
	return fuzz_path;
}

#endif
