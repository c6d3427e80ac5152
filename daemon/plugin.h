/*
 * plugin.h - the host side of the plugin ABI (plugin_api.h): load the configured plugins in
 * order, check their ABI, fill their options, run them over each article.
 */
#ifndef WIRESIFT_PLUGIN_H
#define WIRESIFT_PLUGIN_H

#include <stddef.h>
#include "article.h"

/* One `key = value` line of a [plugin "NAME"] section, with where it was written. */
struct plugin_setting {
	char	*key;
	char	*value;
	int	 line;
};

/* One [plugin "NAME"] section of the configuration. */
struct plugin_config {
	char			*name;
	char			*config_file;	/* the file the section is in (for FILE:LINE errors) */
	int			 line;		/* line of the section header */
	struct plugin_setting	*settings;
	size_t			 setting_count;
};

struct plugin_chain;

/*
 * Load NAME.so for each config, in order, from the first of: $WIRESIFT_PLUGIN_DIR, plugin_dir
 * (the configuration's; may be NULL), the directory "plugins" beside the running executable
 * (a binary run from the build tree finds build/plugins), the compiled-in WIRESIFT_PLUGIN_DIR.
 * NULL on error with "FILE:LINE: plugin NAME: reason" in error: a missing .so, an ABI mismatch,
 * an unknown or ill-typed option, a failed init.
 */
struct plugin_chain *plugin_chain_load(const struct plugin_config *configs, size_t count,
	    const char *plugin_dir, char *error, size_t error_size);
/* Run every plugin over the article; a plugin failure is logged and the article goes on. */
void	 plugin_chain_process(struct plugin_chain *chain, struct article *article);
size_t	 plugin_chain_count(const struct plugin_chain *chain);
/*
 * The token stream of the article the chain last processed, when no ABI-1 plugin ran after it
 * was built (so it is of the title and text as they are now); else NULL. Valid until the
 * chain processes the next article.
 */
struct ws_tokens;
const struct ws_tokens *plugin_chain_tokens(const struct plugin_chain *chain);
/* plugin_chain_process in steps, to time each plugin (bench_clean): begin, then each index in
 * order over the same article. */
void	 plugin_chain_begin(struct plugin_chain *chain);
void	 plugin_chain_process_one(struct plugin_chain *chain, size_t index,
	    struct article *article);
void	 plugin_chain_free(struct plugin_chain *chain);

#endif
