/*
 * plugin_dir.h - where a unit test or benchmark run from the build tree loads the shipped
 * plugins from: $WIRESIFT_PLUGIN_DIR when it names a directory (tests/run.sh sets it to the
 * build's plugins), else the plugins of the build the binary belongs to (BUILD/tests/test_X
 * and BUILD/bench/bench_X load BUILD/plugins/NAME.so: build-asan's sanitized plugins under
 * ASan, not build/'s or the installed ones), else build/plugins when /proc/self/exe cannot be
 * read.  Call it first in main().
 */
#ifndef WIRESIFT_PLUGIN_DIR_H
#define WIRESIFT_PLUGIN_DIR_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void
plugin_dir_default(void)
{
	const char *dir = getenv("WIRESIFT_PLUGIN_DIR");
	char path[4096];
	ssize_t length;
	char *slash;

	if (dir != NULL && *dir != '\0')
		return;
	length = readlink("/proc/self/exe", path, sizeof path - sizeof "/plugins");
	for (int up = 0; up < 2 && length > 0; up++) {	/* drop /test_X, then /tests */
		path[length] = '\0';
		slash = strrchr(path, '/');
		length = slash != NULL ? slash - path : -1;
	}
	if (length > 0) {
		memcpy(path + length, "/plugins", sizeof "/plugins");
		setenv("WIRESIFT_PLUGIN_DIR", path, 1);
	} else
		setenv("WIRESIFT_PLUGIN_DIR", "build/plugins", 1);
}

#endif
