/*
 * plugin_dir.h - where a unit test or benchmark run from the build tree loads the shipped
 * plugins from: $WIRESIFT_PLUGIN_DIR when it names a directory (tests/run.sh sets it to the
 * build's plugins), else build/plugins, the default build's.  Call it first in main().
 */
#ifndef WIRESIFT_PLUGIN_DIR_H
#define WIRESIFT_PLUGIN_DIR_H

#include <stdlib.h>

static inline void
plugin_dir_default(void)
{
	const char *dir = getenv("WIRESIFT_PLUGIN_DIR");

	if (dir == NULL || *dir == '\0')
		setenv("WIRESIFT_PLUGIN_DIR", "build/plugins", 1);
}

#endif
