/*
 * plugin.c - the host side of the tagger plugin ABI (plugin_api.h).
 *
 * For each [plugin "NAME"] section, in order: dlopen PLUGIN_DIR/NAME.so, look up
 * ws_plugin_entry, refuse an ABI or name mismatch, allocate the plugin's zeroed state, fill
 * every declared option from the section or its default (type-checked, paths resolved against
 * the config file's directory), then call init.  Every error names FILE:LINE and the plugin.
 * plugin_chain_process runs the plugins over an article; a failing plugin is logged and the
 * article goes on to the next one.  ABI-2 plugins get the article's token stream (tokens.c),
 * built once for all of them when the first one runs; after the chain, plugin_chain_tokens()
 * hands it on (story features read their words off it) while it is still of the article's
 * title and text.
 */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "plugin.h"
#include "plugin_api.h"
#include "tokens.h"
#include "util.h"

#ifndef WIRESIFT_PLUGIN_DIR
#define WIRESIFT_PLUGIN_DIR "build/plugins"
#endif

struct loaded_plugin {
	void			*handle;	/* from dlopen */
	const struct ws_plugin	*plugin;
	void			*state;		/* state_size bytes, options filled in */
	int			 initialized;	/* init succeeded: fini is owed */
	long long		 timeout_ms;	/* the host's "timeout" key: time budget per article */
	int			 overruns_in_row;
	int64_t			 bypassed_until_ms;	/* circuit open: articles skip the plugin */
};

/* A plugin over its budget this many articles in a row is bypassed for BYPASS_MS. */
#define OVERRUNS_BEFORE_BYPASS	3
#define BYPASS_MS		60000
#define DEFAULT_TIMEOUT_MS	1000
#define HOST_KEY_TIMEOUT	"timeout"	/* read by the host, never passed to the plugin */

struct plugin_chain {
	struct loaded_plugin	*plugins;
	size_t			 count;
	struct token_stream	*stream;	/* for ABI-2 plugins, reused */
	const struct ws_tokens	*tokens;	/* the current article's, once built */
};

static const char *
config_file_name(const struct plugin_config *config)
{
	return config->config_file != NULL ? config->config_file : "(config)";
}

/* Write "FILE:LINE: plugin NAME: reason" into error. */
static void __attribute__((format(printf, 5, 6)))
plugin_error(char *error, size_t error_size, const struct plugin_config *config, int line,
    const char *format, ...)
{
	char reason[512];
	va_list args;

	va_start(args, format);
	vsnprintf(reason, sizeof(reason), format, args);
	va_end(args);
	snprintf(error, error_size, "%s:%d: plugin %s: %s", config_file_name(config), line,
	    config->name != NULL ? config->name : "", reason);
}

static int
parse_long(const char *text, long *value)
{
	char *end;

	errno = 0;
	*value = strtol(text, &end, 10);
	return errno == 0 && end != text && *end == '\0' ? 0 : -1;
}

static int
parse_double(const char *text, double *value)
{
	char *end;

	errno = 0;
	*value = strtod(text, &end);
	return errno == 0 && end != text && *end == '\0' && isfinite(*value) ? 0 : -1;
}

static int
parse_bool(const char *text, int *value)
{
	static const char *const true_words[] = { "yes", "true", "on", "1" };
	static const char *const false_words[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(true_words) / sizeof(true_words[0]); i++) {
		if (strcasecmp(text, true_words[i]) == 0) {
			*value = 1;
			return 0;
		}
		if (strcasecmp(text, false_words[i]) == 0) {
			*value = 0;
			return 0;
		}
	}
	return -1;
}

static const char *
option_type_name(enum ws_option_type type)
{
	switch (type) {
	case WS_OPTION_STRING:	return "string";
	case WS_OPTION_INT:	return "integer";
	case WS_OPTION_DOUBLE:	return "number";
	case WS_OPTION_BOOL:	return "boolean (yes/no)";
	case WS_OPTION_PATH:	return "path";
	}
	return "value";
}

/* Store one option's value into the state; -1 when the text does not parse as its type. */
static int
option_store(const struct ws_option *option, const char *text, const char *config_file,
    void *state)
{
	char *field = (char *)state + option->offset;

	switch (option->type) {
	case WS_OPTION_STRING:
		if (text == NULL)
			return 0;
		*(char **)(void *)field = xstrdup(text);
		return 0;
	case WS_OPTION_PATH:
		if (text == NULL)
			return 0;
		if (*text == '\0')
			return -1;
		*(char **)(void *)field = path_resolve(config_file, text);
		return 0;
	case WS_OPTION_INT:
		return text == NULL ? 0 : parse_long(text, (long *)(void *)field);
	case WS_OPTION_DOUBLE:
		return text == NULL ? 0 : parse_double(text, (double *)(void *)field);
	case WS_OPTION_BOOL:
		return text == NULL ? 0 : parse_bool(text, (int *)(void *)field);
	}
	return -1;
}

static const struct plugin_setting *
find_setting(const struct plugin_config *config, const char *key)
{
	for (size_t i = 0; i < config->setting_count; i++)
		if (strcmp(config->settings[i].key, key) == 0)
			return &config->settings[i];
	return NULL;
}

static const struct ws_option *
find_option(const struct ws_plugin *plugin, const char *key)
{
	for (const struct ws_option *option = plugin->options;
	    option != NULL && option->name != NULL; option++)
		if (strcmp(option->name, key) == 0)
			return option;
	return NULL;
}

/* Reject unknown and repeated keys, then fill every declared option. */
static int
options_fill(struct loaded_plugin *loaded, const struct plugin_config *config, char *error,
    size_t error_size)
{
	const struct ws_plugin *plugin = loaded->plugin;

	loaded->timeout_ms = DEFAULT_TIMEOUT_MS;
	for (size_t i = 0; i < config->setting_count; i++) {
		const struct plugin_setting *setting = &config->settings[i];

		if (strcmp(setting->key, HOST_KEY_TIMEOUT) == 0) {
			if ((loaded->timeout_ms = duration_parse_ms(setting->value)) <= 0) {
				plugin_error(error, error_size, config, setting->line,
				    "timeout: not a duration: \"%s\"", setting->value);
				return -1;
			}
			continue;
		}
		if (find_option(plugin, setting->key) == NULL) {
			plugin_error(error, error_size, config, setting->line,
			    "unknown option %s", setting->key);
			return -1;
		}
		if (find_setting(config, setting->key) != setting) {
			plugin_error(error, error_size, config, setting->line,
			    "option %s given twice", setting->key);
			return -1;
		}
	}
	for (const struct ws_option *option = plugin->options;
	    option != NULL && option->name != NULL; option++) {
		const struct plugin_setting *setting = find_setting(config, option->name);
		const char *text = setting != NULL ? setting->value : option->default_value;

		if (option_store(option, text, config->config_file, loaded->state) == -1) {
			plugin_error(error, error_size, config,
			    setting != NULL ? setting->line : config->line,
			    "option %s: invalid %s \"%s\"%s", option->name,
			    option_type_name(option->type), text,
			    setting != NULL ? "" : " (built-in default)");
			return -1;
		}
	}
	return 0;
}

static void
options_free(struct loaded_plugin *loaded)
{
	const struct ws_plugin *plugin = loaded->plugin;

	if (loaded->state == NULL || plugin == NULL)
		return;
	for (const struct ws_option *option = plugin->options;
	    option != NULL && option->name != NULL; option++) {
		if (option->type == WS_OPTION_STRING || option->type == WS_OPTION_PATH) {
			char **field = (char **)(void *)((char *)loaded->state + option->offset);

			free(*field);
			*field = NULL;
		}
	}
}

static void
plugin_unload(struct loaded_plugin *loaded)
{
	if (loaded->initialized && loaded->plugin->fini != NULL)
		loaded->plugin->fini(loaded->state);
	options_free(loaded);
	free(loaded->state);
	if (loaded->handle != NULL)
		dlclose(loaded->handle);
	memset(loaded, 0, sizeof(*loaded));
}

/* dlopen and check the entry point; fills loaded->handle and loaded->plugin. */
/* Whether the plugin takes the token stream (ABI 2 with process_tokens). */
static int
uses_tokens(const struct ws_plugin *plugin)
{
	return plugin->abi >= 2 && plugin->process_tokens != NULL;
}

static int
plugin_open(struct loaded_plugin *loaded, const struct plugin_config *config,
    const char *plugin_dir, char *error, size_t error_size)
{
	ws_plugin_entry_fn entry;
	char *path;

	if (config->name == NULL || *config->name == '\0' || strchr(config->name, '/') != NULL) {
		plugin_error(error, error_size, config, config->line, "invalid plugin name");
		return -1;
	}
	path = xasprintf("%s/%s.so", plugin_dir, config->name);
	loaded->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (loaded->handle == NULL) {
		plugin_error(error, error_size, config, config->line, "cannot load %s: %s", path,
		    dlerror());
		free(path);
		return -1;
	}
	*(void **)(&entry) = dlsym(loaded->handle, "ws_plugin_entry");
	if (entry == NULL || (loaded->plugin = entry()) == NULL) {
		plugin_error(error, error_size, config, config->line,
		    "%s exports no ws_plugin_entry", path);
		free(path);
		return -1;
	}
	free(path);
	if (loaded->plugin->abi < WS_PLUGIN_ABI_OLDEST || loaded->plugin->abi > WS_PLUGIN_ABI) {
		plugin_error(error, error_size, config, config->line,
		    "ABI version %u, this wiresift needs %u to %u", loaded->plugin->abi,
		    WS_PLUGIN_ABI_OLDEST, WS_PLUGIN_ABI);
		return -1;
	}
	if (loaded->plugin->name == NULL || strcmp(loaded->plugin->name, config->name) != 0) {
		plugin_error(error, error_size, config, config->line,
		    "the shared object calls itself \"%s\"",
		    loaded->plugin->name != NULL ? loaded->plugin->name : "");
		return -1;
	}
	if (loaded->plugin->process == NULL && uses_tokens(loaded->plugin) == 0) {
		plugin_error(error, error_size, config, config->line, "no process function");
		return -1;
	}
	return 0;
}

static int
plugin_load(struct loaded_plugin *loaded, const struct plugin_config *config,
    const char *plugin_dir, char *error, size_t error_size)
{
	char reason[512] = "";

	if (plugin_open(loaded, config, plugin_dir, error, error_size) == -1)
		return -1;
	loaded->state = xcalloc(1, loaded->plugin->state_size > 0 ?
	    loaded->plugin->state_size : 1);
	if (options_fill(loaded, config, error, error_size) == -1)
		return -1;
	if (loaded->plugin->init != NULL &&
	    loaded->plugin->init(loaded->state, reason, sizeof(reason)) != 0) {
		plugin_error(error, error_size, config, config->line, "init failed: %s",
		    reason[0] != '\0' ? reason : "no reason given");
		return -1;
	}
	loaded->initialized = 1;
	return 0;
}

/* Where the plugins are (see plugin.h): the first of the four places that applies. Caller frees. */
static char *
plugin_dir_choose(const char *configured)
{
	const char *env_dir = getenv("WIRESIFT_PLUGIN_DIR");
	char *beside;

	if (env_dir != NULL && *env_dir != '\0')
		return xstrdup(env_dir);
	if (configured != NULL)
		return xstrdup(configured);
	if ((beside = path_beside_executable("plugins")) != NULL)
		return beside;		/* a binary in the build tree: build/plugins */
	return xstrdup(WIRESIFT_PLUGIN_DIR);
}

struct plugin_chain *
plugin_chain_load(const struct plugin_config *configs, size_t count, const char *plugin_dir,
    char *error, size_t error_size)
{
	char *directory = plugin_dir_choose(plugin_dir);
	struct plugin_chain *chain;

	if (error_size > 0)
		error[0] = '\0';
	chain = xcalloc(1, sizeof(*chain));
	chain->plugins = xcalloc(count > 0 ? count : 1, sizeof(*chain->plugins));
	for (size_t i = 0; i < count; i++) {
		chain->count = i + 1;
		if (plugin_load(&chain->plugins[i], &configs[i], directory, error,
		    error_size) == -1) {
			plugin_chain_free(chain);
			free(directory);
			return NULL;
		}
		log_event(LOG_LEVEL_DEBUG, "plugin", "plugin.loaded", "plugin=%s",
		    log_quote(configs[i].name));
	}
	free(directory);
	return chain;
}

/*
 * The plugin's process call. The token stream is built for the first ABI-2 plugin and kept
 * for the next ones; an ABI-1 plugin may have changed title or text, so it is built again
 * after one (ABI-2 plugins must leave them as they are: plugin_api.h).
 */
static int
plugin_call(struct plugin_chain *chain, struct loaded_plugin *loaded, struct article *article)
{
	if (!uses_tokens(loaded->plugin)) {
		chain->tokens = NULL;
		return loaded->plugin->process(loaded->state, article);
	}
	if (chain->tokens == NULL) {
		if (chain->stream == NULL)
			chain->stream = token_stream_new();
		chain->tokens = token_stream_build(chain->stream, article->title, article->text);
	}
	return loaded->plugin->process_tokens(loaded->state, article, chain->tokens);
}

/*
 * One plugin over one article. A call cannot be stopped halfway without risking the plugin's
 * state, so the time budget works as a circuit breaker: each call over it is logged, and after
 * OVERRUNS_BEFORE_BYPASS in a row the plugin is bypassed for BYPASS_MS (articles go on untagged
 * by it), then tried again.
 */
static void
plugin_run(struct plugin_chain *chain, struct loaded_plugin *loaded, struct article *article)
{
	const char *name = loaded->plugin->name;
	const char *id = article->id != NULL ? article->id : "";
	int64_t started = monotonic_ms(), elapsed;
	char key[96];

	if (loaded->bypassed_until_ms != 0) {
		if (started < loaded->bypassed_until_ms)
			return;
		loaded->bypassed_until_ms = 0;
		log_event(LOG_LEVEL_INFO, "plugin", "plugin.retried", "plugin=%s",
		    log_quote(name));
	}
	if (plugin_call(chain, loaded, article) != 0)
		log_event(LOG_LEVEL_WARNING, "plugin", "plugin.failed", "plugin=%s id=%s",
		    log_quote(name), log_quote(id));
	elapsed = monotonic_ms() - started;
	if (elapsed <= loaded->timeout_ms) {
		loaded->overruns_in_row = 0;
		return;
	}
	snprintf(key, sizeof key, "plugin.timeout %s", name);
	log_complain(key, "plugin", "plugin.timeout", "plugin=%s id=%s ms=%lld budget_ms=%lld",
	    log_quote(name), log_quote(id), (long long)elapsed, loaded->timeout_ms);
	if (++loaded->overruns_in_row >= OVERRUNS_BEFORE_BYPASS) {
		loaded->overruns_in_row = 0;
		loaded->bypassed_until_ms = monotonic_ms() + BYPASS_MS;
		log_event(LOG_LEVEL_WARNING, "plugin", "plugin.bypassed", "plugin=%s for_ms=%d "
		    "note=\"articles go on untagged by it\"", log_quote(name), BYPASS_MS);
	}
}

void
plugin_chain_process(struct plugin_chain *chain, struct article *article)
{
	if (chain == NULL)
		return;
	plugin_chain_begin(chain);
	for (size_t i = 0; i < chain->count; i++)
		plugin_run(chain, &chain->plugins[i], article);
}

const struct ws_tokens *
plugin_chain_tokens(const struct plugin_chain *chain)
{
	return chain != NULL ? chain->tokens : NULL;
}

void
plugin_chain_begin(struct plugin_chain *chain)
{
	chain->tokens = NULL;
}

void
plugin_chain_process_one(struct plugin_chain *chain, size_t index, struct article *article)
{
	if (index < chain->count)
		plugin_run(chain, &chain->plugins[index], article);
}

size_t
plugin_chain_count(const struct plugin_chain *chain)
{
	return chain != NULL ? chain->count : 0;
}

void
plugin_chain_free(struct plugin_chain *chain)
{
	if (chain == NULL)
		return;
	/* Last loaded first, like a stack of constructors. */
	for (size_t i = chain->count; i > 0; i--)
		plugin_unload(&chain->plugins[i - 1]);
	free(chain->plugins);
	token_stream_free(chain->stream);
	free(chain);
}
