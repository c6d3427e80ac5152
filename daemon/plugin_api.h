/*
 * plugin_api.h - the tagger plugin ABI, version WS_PLUGIN_ABI.
 *
 * A plugin is a shared object in its own directory under plugins/ that exports
 *     const struct ws_plugin *ws_plugin_entry(void);
 * The host (daemon/plugin.c) dlopens it, refuses an ABI mismatch, allocates `state_size`
 * zeroed bytes, fills the declared options into that state (from the config's
 * [plugin "NAME"] section, or their defaults), then calls init once, process once per article
 * (on the event loop thread, in config order), fini at shutdown.
 *
 * Plugins may call the article_* and strlist_* helpers of article.h and the log helpers of
 * log.h: the daemon is linked with -rdynamic so those symbols resolve.
 */
#ifndef WIRESIFT_PLUGIN_API_H
#define WIRESIFT_PLUGIN_API_H

#include <stddef.h>
#include "article.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WS_PLUGIN_ABI 1

enum ws_option_type {
	WS_OPTION_STRING,	/* char *: malloc'd copy, freed by the host after fini */
	WS_OPTION_INT,		/* long */
	WS_OPTION_DOUBLE,	/* double */
	WS_OPTION_BOOL,		/* int: yes/no/true/false/on/off/1/0 */
	WS_OPTION_PATH		/* char *: like STRING, resolved against the config file's directory */
};

struct ws_option {
	const char		*name;
	const char		*default_value;	/* NULL: no default (string options stay NULL) */
	const char		*description;
	enum ws_option_type	 type;
	size_t			 offset;	/* offsetof(struct my_state, field) */
};

struct ws_plugin {
	unsigned		 abi;		/* WS_PLUGIN_ABI */
	const char		*name;		/* must match the [plugin "NAME"] section */
	const char		*description;
	const struct ws_option	*options;	/* terminated by an entry with name == NULL */
	size_t			 state_size;
	/* 0 on success; otherwise write a reason into error and return -1. */
	int	(*init)(void *state, char *error, size_t error_size);
	/* 0 on success; -1 to report a failure on this article (the article goes on untagged). */
	int	(*process)(void *state, struct article *article);
	void	(*fini)(void *state);
};

typedef const struct ws_plugin *(*ws_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif
