/*
 * config.c - reads wiresift.conf (INI) and the feeds list. The parser is line based; every
 * error is reported as "FILE:LINE: what is wrong" and stops the load, so `wiresift -t` can
 * tell an operator exactly what to fix. Keys of each section are declared in a table with
 * their type and destination, so an unknown key is an error and not silently ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "opml.h"
#include "util.h"

enum key_type { KEY_STRING, KEY_PATH, KEY_DURATION, KEY_SIZE, KEY_LONG, KEY_BOOL, KEY_FRACTION,
	KEY_LOG_LEVEL, KEY_DEDUP_POLICY, KEY_INT, KEY_WORKERS, KEY_FULLTEXT_MODE };

struct key_spec {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	size_t		 offset;	/* into struct config */
};

#define FIELD(name) offsetof(struct config, name)

static const struct key_spec key_specs[] = {
	{ "daemon", "state_dir", KEY_PATH, FIELD(state_dir) },
	{ "daemon", "log_level", KEY_LOG_LEVEL, FIELD(log_level) },
	{ "daemon", "log_levels", KEY_STRING, FIELD(log_levels) },
	{ "daemon", "plugin_dir", KEY_PATH, FIELD(plugin_dir) },
	{ "daemon", "shutdown_timeout", KEY_DURATION, FIELD(shutdown_timeout_ms) },
	{ "daemon", "spool_max_size", KEY_SIZE, FIELD(spool_max_size) },
	{ "daemon", "summary_interval", KEY_DURATION, FIELD(summary_interval_ms) },
	{ "daemon", "workers", KEY_WORKERS, FIELD(workers) },
	{ "kafka", "bootstrap.servers", KEY_STRING, FIELD(bootstrap_servers) },
	{ "kafka", "topic.articles", KEY_STRING, FIELD(topic_articles) },
	{ "kafka", "topic.duplicates", KEY_STRING, FIELD(topic_duplicates) },
	{ "kafka", "topic.stories", KEY_STRING, FIELD(topic_stories) },
	{ "feeds", "list", KEY_PATH, FIELD(feeds_list) },
	{ "feeds", "opml", KEY_PATH, FIELD(opml) },
	{ "feeds", "interval", KEY_DURATION, FIELD(interval_ms) },
	{ "feeds", "min_interval", KEY_DURATION, FIELD(min_interval_ms) },
	{ "feeds", "max_interval", KEY_DURATION, FIELD(max_interval_ms) },
	{ "feeds", "max_backoff", KEY_DURATION, FIELD(max_backoff_ms) },
	{ "feeds", "connect_timeout", KEY_DURATION, FIELD(connect_timeout_ms) },
	{ "feeds", "timeout", KEY_DURATION, FIELD(timeout_ms) },
	{ "feeds", "max_size", KEY_SIZE, FIELD(max_size) },
	{ "feeds", "max_connections", KEY_LONG, FIELD(max_connections) },
	{ "feeds", "max_host_connections", KEY_LONG, FIELD(max_host_connections) },
	{ "feeds", "allow_private", KEY_BOOL, FIELD(allow_private) },
	{ "feeds", "adaptive", KEY_BOOL, FIELD(adaptive) },
	{ "feeds", "user_agent", KEY_STRING, FIELD(user_agent) },
	{ "clean", "rules", KEY_PATH, FIELD(rules_file) },
	{ "clean", "site_rules", KEY_PATH, FIELD(site_rules_file) },
	{ "fulltext", "mode", KEY_FULLTEXT_MODE, FIELD(fulltext.mode) },
	{ "fulltext", "min_words", KEY_INT, FIELD(fulltext.min_words) },
	{ "fulltext", "timeout", KEY_DURATION, FIELD(fulltext.timeout_ms) },
	{ "fulltext", "max_size", KEY_SIZE, FIELD(fulltext.max_size) },
	{ "fulltext", "max_wait", KEY_DURATION, FIELD(fulltext.max_wait_ms) },
	{ "fulltext", "robots", KEY_BOOL, FIELD(fulltext.robots) },
	{ "fulltext", "robots_max_age", KEY_DURATION, FIELD(fulltext.robots_max_age_ms) },
	{ "fulltext", "robots_retry", KEY_DURATION, FIELD(fulltext.robots_retry_ms) },
	{ "fulltext", "max_crawl_delay", KEY_DURATION, FIELD(fulltext.max_crawl_delay_ms) },
	{ "fulltext", "cache", KEY_DURATION, FIELD(fulltext.cache_ms) },
	{ "metrics", "listen", KEY_STRING, FIELD(metrics_listen) },
	{ "dedup", "shingle_size", KEY_INT, FIELD(dedup.shingle_size) },
	{ "dedup", "signature_size", KEY_INT, FIELD(dedup.signature_size) },
	{ "dedup", "bands", KEY_INT, FIELD(dedup.bands) },
	{ "dedup", "threshold", KEY_FRACTION, FIELD(dedup.threshold) },
	{ "dedup", "containment_threshold", KEY_FRACTION, FIELD(dedup.containment_threshold) },
	{ "dedup", "min_words", KEY_INT, FIELD(dedup.min_words) },
	{ "dedup", "window", KEY_DURATION, FIELD(dedup.window_seconds) },
	{ "dedup", "policy", KEY_DEDUP_POLICY, FIELD(dedup.policy) },
	{ "stories", "enabled", KEY_BOOL, FIELD(stories.enabled) },
	{ "stories", "threshold", KEY_FRACTION, FIELD(stories.threshold) },
	{ "stories", "window", KEY_DURATION, FIELD(stories.window_seconds) },
	{ "cluster", "group", KEY_STRING, FIELD(cluster.group) },
	{ "cluster", "topic.feeds", KEY_STRING, FIELD(cluster.topic_feeds) },
	{ "cluster", "topic.state", KEY_STRING, FIELD(cluster.topic_state) },
	{ "cluster", "topic.fingerprints", KEY_STRING, FIELD(cluster.topic_fingerprints) },
	{ "cluster", "partitions", KEY_INT, FIELD(cluster.partitions) },
	{ "cluster", "replication_factor", KEY_INT, FIELD(cluster.replication_factor) },
	{ "cluster", "session_timeout", KEY_DURATION, FIELD(cluster.session_timeout_ms) },
	{ "cluster", "commit_interval", KEY_DURATION, FIELD(cluster.commit_interval_ms) },
	{ "cluster", "fingerprint_timeout", KEY_DURATION,
	    FIELD(cluster.fingerprint_timeout_ms) },
	{ NULL, NULL, 0, 0 }
};

/* Where we are while reading a file, for error messages. */
struct parse_position {
	const char	*file;
	int		 line;
	char		*error;
	size_t		 error_size;
};

static int __attribute__((format(printf, 2, 3)))
parse_error(struct parse_position *position, const char *format, ...)
{
	char reason[512];
	va_list args;

	va_start(args, format);
	vsnprintf(reason, sizeof reason, format, args);
	va_end(args);
	if (position->line > 0)
		snprintf(position->error, position->error_size, "%s:%d: %s", position->file,
		    position->line, reason);
	else
		snprintf(position->error, position->error_size, "%s: %s", position->file, reason);
	return -1;
}

struct config *
config_defaults(void)
{
	struct config *config = xcalloc(1, sizeof *config);

	config->state_dir = xstrdup("/var/lib/wiresift");
	config->log_level = LOG_LEVEL_INFO;
	config->shutdown_timeout_ms = 10000;
	config->spool_max_size = 1024LL * 1024 * 1024;
	config->summary_interval_ms = 60000;
	config->workers = WORKERS_AUTO;
	config->bootstrap_servers = xstrdup("");
	config->topic_articles = xstrdup("news.articles");
	config->topic_duplicates = xstrdup("news.duplicates");
	config->interval_ms = 5 * 60 * 1000;
	config->min_interval_ms = 30 * 1000;
	config->max_interval_ms = 6 * 3600 * 1000;
	config->max_backoff_ms = 24LL * 3600 * 1000;
	config->connect_timeout_ms = 10 * 1000;
	config->timeout_ms = 60 * 1000;
	config->max_size = 16LL * 1024 * 1024;
	config->max_connections = 256;
	config->max_host_connections = 2;
	config->allow_private = 0;
	config->adaptive = 1;
	config->fulltext.mode = FULLTEXT_AUTO;
	config->fulltext.min_words = 150;
	config->fulltext.timeout_ms = 20 * 1000;
	config->fulltext.max_size = 4LL * 1024 * 1024;
	config->fulltext.max_wait_ms = 60 * 1000;
	config->fulltext.robots = 1;
	config->fulltext.robots_max_age_ms = 24LL * 3600 * 1000;
	config->fulltext.robots_retry_ms = 10 * 60 * 1000;
	config->fulltext.max_crawl_delay_ms = 30 * 1000;
	config->fulltext.cache_ms = 3LL * 86400 * 1000;
	dedup_config_defaults(&config->dedup);
	story_config_defaults(&config->stories);
	config->topic_stories = xstrdup("news.stories");
	config->cluster.topic_feeds = xstrdup("wiresift.feeds");
	config->cluster.topic_state = xstrdup("wiresift.state");
	config->cluster.topic_fingerprints = xstrdup("wiresift.fingerprints");
	config->cluster.partitions = 12;
	config->cluster.session_timeout_ms = 10 * 1000;
	config->cluster.commit_interval_ms = 500;
	config->cluster.fingerprint_timeout_ms = 60 * 1000;
	return config;
}

static void
feed_config_clear(struct feed_config *feed)
{
	free(feed->url);
	free(feed->name);
	free(feed->user_agent);
	free(feed->file);
	strlist_clear(&feed->tags);
	strlist_clear(&feed->headers);
}

void
config_free(struct config *config)
{
	if (config == NULL)
		return;
	free(config->path);
	free(config->state_dir);
	free(config->plugin_dir);
	free(config->log_levels);
	free(config->bootstrap_servers);
	free(config->topic_articles);
	free(config->topic_duplicates);
	free(config->topic_stories);
	free(config->feeds_list);
	free(config->opml);
	free(config->user_agent);
	free(config->rules_file);
	free(config->site_rules_file);
	free(config->metrics_listen);
	free(config->cluster.group);
	free(config->cluster.topic_feeds);
	free(config->cluster.topic_state);
	free(config->cluster.topic_fingerprints);
	for (size_t i = 0; i < config->kafka_setting_count; i++) {
		free(config->kafka_settings[i].key);
		free(config->kafka_settings[i].value);
	}
	free(config->kafka_settings);
	for (size_t i = 0; i < config->feed_count; i++)
		feed_config_clear(&config->feeds[i]);
	free(config->feeds);
	for (size_t i = 0; i < config->plugin_count; i++) {
		struct plugin_config *plugin = &config->plugins[i];
		for (size_t j = 0; j < plugin->setting_count; j++) {
			free(plugin->settings[j].key);
			free(plugin->settings[j].value);
		}
		free(plugin->settings);
		free(plugin->name);
		free(plugin->config_file);
	}
	free(config->plugins);
	for (size_t i = 0; i < config->route_count; i++) {
		free(config->routes[i].kind);
		free(config->routes[i].value);
		free(config->routes[i].topic);
	}
	free(config->routes);
	free((char *)config->dedup.state_dir);
	free((char *)config->stories.state_dir);
	free(config);
}

/* Trim leading and trailing white space in place. */
static char *
trim(char *text)
{
	char *end;

	while (isspace((unsigned char)*text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return text;
}

/*
 * Remove a trailing comment: ';' or '#' at the start of the value or after white space,
 * outside double quotes. Then unquote a value written as "...".
 */
static char *
value_clean(char *value)
{
	int quoted = 0;

	for (char *p = value; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ';' || *p == '#') &&
		    (p == value || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	}
	value = trim(value);
	size_t length = strlen(value);
	if (length >= 2 && value[0] == '"' && value[length - 1] == '"') {
		value[length - 1] = '\0';
		value++;
	}
	return value;
}

static int
bool_parse(const char *text, int *result)
{
	static const char *yes[] = { "yes", "true", "on", "1", NULL };
	static const char *no[] = { "no", "false", "off", "0", NULL };

	for (int i = 0; yes[i]; i++)
		if (strcasecmp(text, yes[i]) == 0)
			return *result = 1, 0;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(text, no[i]) == 0)
			return *result = 0, 0;
	return -1;
}

/* "never", "auto" or "always": FULLTEXT_*, else -1. */
static int
fulltext_mode_parse(const char *text)
{
	if (strcmp(text, "never") == 0)
		return FULLTEXT_NEVER;
	if (strcmp(text, "auto") == 0)
		return FULLTEXT_AUTO;
	if (strcmp(text, "always") == 0)
		return FULLTEXT_ALWAYS;
	return -1;
}

static int
set_typed_value(struct config *config, const struct key_spec *spec, const char *value,
    struct parse_position *position)
{
	char *destination = (char *)config + spec->offset;
	char *end;
	long long number;
	double fraction;

	switch (spec->type) {
	case KEY_STRING:
		if (spec->offset == FIELD(log_levels) && !log_component_levels_valid(value))
			return parse_error(position, "%s: expected COMPONENT:LEVEL,... (e.g. "
			    "fetch:debug,kafka:warning), not \"%s\"", spec->name, value);
		article_set((char **)destination, value);
		return 0;
	case KEY_PATH:
		free(*(char **)destination);
		*(char **)destination = path_resolve(position->file, value);
		return 0;
	case KEY_DURATION:
		if ((number = duration_parse_ms(value)) < 0)
			return parse_error(position, "%s: not a duration: \"%s\" (use e.g. 90s, 5m, "
			    "2h, 1d)", spec->name, value);
		if (spec->offset == FIELD(dedup.window_seconds))
			number /= 1000;
		if (spec->offset == FIELD(stories.window_seconds))
			number /= 1000;
		if (spec->offset == FIELD(cluster.commit_interval_ms) &&
		    (number < COMMIT_INTERVAL_MIN_MS || number > COMMIT_INTERVAL_MAX_MS))
			return parse_error(position, "%s: expected %dms to %ds (a transaction must "
			    "commit well within its 10s timeout), not \"%s\"", spec->name,
			    COMMIT_INTERVAL_MIN_MS, COMMIT_INTERVAL_MAX_MS / 1000, value);
		if (spec->offset == FIELD(cluster.fingerprint_timeout_ms) && number < 1000)
			return parse_error(position, "%s: expected at least 1s (a parked article "
			    "waits this long for its fingerprint), not \"%s\"", spec->name, value);
		*(long long *)destination = number;
		return 0;
	case KEY_SIZE:
		if ((number = size_parse(value)) < 0)
			return parse_error(position, "%s: not a size: \"%s\" (use e.g. 16M, 512k)",
			    spec->name, value);
		*(long long *)destination = number;
		return 0;
	case KEY_FULLTEXT_MODE:
		if ((*(int *)destination = fulltext_mode_parse(value)) < 0)
			return parse_error(position, "%s: expected auto, always or never, "
			    "not \"%s\"", spec->name, value);
		return 0;
	case KEY_WORKERS:
		if (strcmp(value, "auto") == 0) {
			*(int *)destination = WORKERS_AUTO;
			return 0;
		}
		errno = 0;
		number = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || number < 1 || number > 64)
			return parse_error(position, "%s: expected auto or 1 to 64, got \"%s\"",
			    spec->name, value);
		*(int *)destination = (int)number;
		return 0;
	case KEY_LONG:
	case KEY_INT:
		errno = 0;
		number = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || number < 0 || number > 1000000000)
			return parse_error(position, "%s: not a whole number: \"%s\"", spec->name,
			    value);
		if (spec->type == KEY_LONG)
			*(long *)destination = (long)number;
		else
			*(int *)destination = (int)number;
		return 0;
	case KEY_BOOL:
		if (bool_parse(value, (int *)destination) < 0)
			return parse_error(position, "%s: expected yes or no, not \"%s\"",
			    spec->name, value);
		return 0;
	case KEY_FRACTION:
		fraction = strtod(value, &end);
		if (end == value || *end != '\0' || fraction < 0 || fraction > 1)
			return parse_error(position, "%s: expected a number from 0 to 1, not \"%s\"",
			    spec->name, value);
		*(double *)destination = fraction;
		return 0;
	case KEY_LOG_LEVEL:
		if (log_level_parse(value, (enum log_level *)destination) < 0)
			return parse_error(position, "%s: expected debug, info, warning or error, "
			    "not \"%s\"", spec->name, value);
		return 0;
	case KEY_DEDUP_POLICY:
		if (strcmp(value, "route") == 0)
			*(enum dedup_policy *)destination = DEDUP_POLICY_ROUTE;
		else if (strcmp(value, "drop") == 0)
			*(enum dedup_policy *)destination = DEDUP_POLICY_DROP;
		else if (strcmp(value, "tag") == 0)
			*(enum dedup_policy *)destination = DEDUP_POLICY_TAG;
		else
			return parse_error(position, "%s: expected route, drop or tag, not \"%s\"",
			    spec->name, value);
		return 0;
	}
	return parse_error(position, "%s: internal error: unknown key type", spec->name);
}

static int
add_kafka_setting(struct config *config, const char *key, const char *value, int line)
{
	struct kafka_setting *setting;

	config->kafka_settings = xrealloc(config->kafka_settings,
	    (config->kafka_setting_count + 1) * sizeof *config->kafka_settings);
	setting = &config->kafka_settings[config->kafka_setting_count++];
	setting->key = xstrdup(key);
	setting->value = xstrdup(value);
	setting->line = line;
	return 0;
}

static int
add_route(struct config *config, const char *key, const char *value,
    struct parse_position *position)
{
	static const char *kinds[] = { "lang", "topic", "source", "tag", "entity", "category",
	    NULL };
	const char *colon = strchr(key, ':');
	struct route_rule *rule;
	int known = 0;

	if (colon == NULL || colon == key || colon[1] == '\0')
		return parse_error(position, "route \"%s\": expected KIND:VALUE = TOPIC "
		    "(e.g. lang:de = news.de)", key);
	for (int i = 0; kinds[i]; i++)
		if (strlen(kinds[i]) == (size_t)(colon - key) &&
		    strncmp(key, kinds[i], (size_t)(colon - key)) == 0)
			known = 1;
	if (!known)
		return parse_error(position, "route \"%s\": unknown kind (expected lang, topic, "
		    "source, tag, entity or category)", key);
	if (*value == '\0')
		return parse_error(position, "route \"%s\": no topic given", key);
	config->routes = xrealloc(config->routes, (config->route_count + 1) *
	    sizeof *config->routes);
	rule = &config->routes[config->route_count++];
	rule->kind = xstrndup(key, (size_t)(colon - key));
	rule->value = xstrdup(colon + 1);
	rule->topic = xstrdup(value);
	rule->line = position->line;
	return 0;
}

static void
add_plugin_setting(struct plugin_config *plugin, const char *key, const char *value, int line)
{
	struct plugin_setting *setting;

	plugin->settings = xrealloc(plugin->settings, (plugin->setting_count + 1) *
	    sizeof *plugin->settings);
	setting = &plugin->settings[plugin->setting_count++];
	setting->key = xstrdup(key);
	setting->value = xstrdup(value);
	setting->line = line;
}

/* "[name]" or "[plugin "name"]": sets *section, and opens a plugin section when needed. */
static int
open_section(struct config *config, char *header, char *section, size_t section_size,
    struct parse_position *position)
{
	static const char *known[] = { "daemon", "kafka", "feeds", "metrics", "clean", "dedup",
	    "fulltext", "stories",
	    "route", "cluster", NULL };
	char *name = trim(header);
	char *quote;
	struct plugin_config *plugin;

	if (strncmp(name, "plugin", 6) == 0 && isspace((unsigned char)name[6])) {
		name = trim(name + 6);
		if (name[0] != '"' || (quote = strchr(name + 1, '"')) == NULL || quote[1] != '\0' ||
		    quote == name + 1)
			return parse_error(position, "expected [plugin \"NAME\"]");
		*quote = '\0';
		name++;
		for (size_t i = 0; i < config->plugin_count; i++)
			if (strcmp(config->plugins[i].name, name) == 0)
				return parse_error(position, "plugin \"%s\" configured twice", name);
		config->plugins = xrealloc(config->plugins, (config->plugin_count + 1) *
		    sizeof *config->plugins);
		plugin = &config->plugins[config->plugin_count++];
		memset(plugin, 0, sizeof *plugin);
		plugin->name = xstrdup(name);
		plugin->config_file = xstrdup(position->file);
		plugin->line = position->line;
		snprintf(section, section_size, "plugin");
		return 0;
	}
	for (int i = 0; known[i]; i++) {
		if (strcmp(name, known[i]) == 0) {
			snprintf(section, section_size, "%s", name);
			return 0;
		}
	}
	return parse_error(position, "unknown section [%s] (expected daemon, kafka, feeds, "
	    "metrics, clean, dedup, fulltext, stories, route, cluster or plugin \"NAME\")", name);
}

static int
set_key(struct config *config, const char *section, const char *key, const char *value,
    struct parse_position *position)
{
	if (strcmp(section, "plugin") == 0) {
		add_plugin_setting(&config->plugins[config->plugin_count - 1], key, value,
		    position->line);
		return 0;
	}
	if (strcmp(section, "route") == 0)
		return add_route(config, key, value, position);
	for (const struct key_spec *spec = key_specs; spec->name; spec++)
		if (strcmp(spec->section, section) == 0 && strcmp(spec->name, key) == 0)
			return set_typed_value(config, spec, value, position);
	if (strcmp(section, "kafka") == 0) {
		if (strncmp(key, "topic.", 6) == 0)
			return parse_error(position, "unknown key \"%s\" in [kafka] (topics are "
			    "topic.articles and topic.duplicates)", key);
		return add_kafka_setting(config, key, value, position->line);
	}
	return parse_error(position, "unknown key \"%s\" in [%s]", key, section);
}

static int
config_parse_text(struct config *config, char *text, struct parse_position *position)
{
	char section[64] = "";
	char *line, *next, *equals, *key, *value;

	for (line = text, position->line = 1; line != NULL; line = next, position->line++) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *close = strrchr(line, ']');
			char *rest = close ? trim(close + 1) : NULL;
			if (close == NULL || (*rest != '\0' && *rest != ';' && *rest != '#'))
				return parse_error(position, "section header without closing ]");
			*close = '\0';
			if (open_section(config, line + 1, section, sizeof section, position) < 0)
				return -1;
			continue;
		}
		if ((equals = strchr(line, '=')) == NULL)
			return parse_error(position, "expected KEY = VALUE, got \"%s\"", line);
		if (section[0] == '\0')
			return parse_error(position, "key outside any [section]");
		*equals = '\0';
		key = trim(line);
		value = value_clean(equals + 1);
		if (*key == '\0')
			return parse_error(position, "empty key before =");
		if (set_key(config, section, key, value, position) < 0)
			return -1;
	}
	return 0;
}

/* [cluster]: a group turns it on; it needs a real broker and names three topics. */
static int
cluster_config_check(struct config *config, struct parse_position *position)
{
	const struct cluster_config *cluster = &config->cluster;

	if (cluster->group == NULL)
		return 0;
	if (cluster->group[0] == '\0')
		return parse_error(position, "[cluster] group must not be empty");
	if (config->bootstrap_servers[0] == '\0')
		return parse_error(position, "[cluster] needs [kafka] bootstrap.servers (the "
		    "embedded broker cannot hold a group of instances)");
	if (cluster->topic_feeds[0] == '\0' || cluster->topic_state[0] == '\0' ||
	    cluster->topic_fingerprints[0] == '\0' ||
	    strcmp(cluster->topic_feeds, cluster->topic_state) == 0 ||
	    strcmp(cluster->topic_fingerprints, cluster->topic_feeds) == 0 ||
	    strcmp(cluster->topic_fingerprints, cluster->topic_state) == 0)
		return parse_error(position, "[cluster] topic.feeds, topic.state and "
		    "topic.fingerprints must be three names");
	if (cluster->partitions < 1 || cluster->partitions > 10000)
		return parse_error(position, "[cluster] partitions must be 1 to 10000");
	if (cluster->session_timeout_ms < 1000)
		return parse_error(position, "[cluster] session_timeout must be at least 1s");
	return 0;
}

static int
config_check(struct config *config, struct parse_position *position)
{
	position->line = 0;
	if (config->topic_articles[0] == '\0' || config->topic_duplicates[0] == '\0' ||
	    config->topic_stories[0] == '\0')
		return parse_error(position, "[kafka] topic.articles, topic.duplicates and "
		    "topic.stories must not be empty");
	if (config->stories.window_seconds < 60)
		return parse_error(position, "[stories] window must be at least 1m");
	if (config->interval_ms < 1000)
		return parse_error(position, "[feeds] interval must be at least 1s");
	if (config->max_connections < 1 || config->max_host_connections < 1)
		return parse_error(position, "[feeds] max_connections and max_host_connections "
		    "must be at least 1");
	if (config->dedup.shingle_size < 1 || config->dedup.signature_size < 8 ||
	    config->dedup.bands < 1 || config->dedup.signature_size % config->dedup.bands != 0)
		return parse_error(position, "[dedup] needs shingle_size >= 1, signature_size >= 8 "
		    "and bands dividing signature_size");
	return cluster_config_check(config, position);
}

struct config *
config_load(const char *path, char *error, size_t error_size)
{
	struct parse_position position = { path, 0, error, error_size };
	struct config *config = config_defaults();
	char *text;

	config->path = xstrdup(path);
	if ((text = file_read(path, NULL)) == NULL) {
		parse_error(&position, "cannot read: %s", strerror(errno));
		config_free(config);
		return NULL;
	}
	if (config_parse_text(config, text, &position) < 0 ||
	    config_check(config, &position) < 0 ||
	    (config->feeds_list != NULL &&
	    config_load_feeds(config, config->feeds_list, error, error_size) < 0) ||
	    (config->opml != NULL &&
	    opml_load_feeds(config, config->opml, error, error_size) < 0)) {
		free(text);
		config_free(config);
		return NULL;
	}
	free(text);
	config->dedup.state_dir = xstrdup(config->state_dir);
	config->stories.state_dir = xstrdup(config->state_dir);
	return config;
}

/* Split the next white-space separated token, honouring key="quoted value". */
static char *
next_token(char **cursor)
{
	char *start = *cursor, *out, *p;
	int quoted = 0;

	while (isspace((unsigned char)*start))
		start++;
	if (*start == '\0')
		return NULL;
	for (out = p = start; *p != '\0'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && isspace((unsigned char)*p))
			break;
		else
			*out++ = *p;
	}
	*cursor = *p != '\0' ? p + 1 : p;
	*out = '\0';
	return start;
}

/* A feed location: an http(s) or file URL, or a path relative to the feeds list. */
static char *
feed_url_resolve(const char *list_path, const char *location)
{
	char *path, *absolute, *url;

	if (strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0 ||
	    strncmp(location, "file://", 7) == 0)
		return xstrdup(location);
	if (strstr(location, "://") != NULL)
		return NULL;
	path = path_resolve(list_path, location);
	absolute = realpath(path, NULL);
	url = xasprintf("file://%s", absolute ? absolute : path);
	free(absolute);
	free(path);
	return url;
}

static int
feed_option(struct feed_config *feed, const char *token, struct parse_position *position)
{
	const char *equals = strchr(token, '=');
	const char *value;
	char *copy, *cursor, *tag;

	if (equals == NULL || equals == token)
		return parse_error(position, "expected KEY=VALUE after the URL, got \"%s\"", token);
	value = equals + 1;
	if (strncmp(token, "name=", 5) == 0) {
		article_set(&feed->name, value);
	} else if (strncmp(token, "interval=", 9) == 0) {
		if ((feed->interval_ms = duration_parse_ms(value)) < 1000)
			return parse_error(position, "interval: not a duration of at least 1s: "
			    "\"%s\"", value);
	} else if (strncmp(token, "tags=", 5) == 0) {
		copy = xstrdup(value);
		for (cursor = copy; (tag = strsep(&cursor, ",")) != NULL;)
			if (*tag != '\0')
				strlist_add_unique(&feed->tags, tag);
		free(copy);
	} else if (strncmp(token, "header=", 7) == 0) {
		if (strchr(value, ':') == NULL || strpbrk(value, "\r\n") != NULL)
			return parse_error(position, "header: expected \"Name: value\", got \"%s\"",
			    value);
		strlist_add(&feed->headers, value);
	} else if (strncmp(token, "user_agent=", 11) == 0) {
		article_set(&feed->user_agent, value);
	} else if (strncmp(token, "fulltext=", 9) == 0) {
		if ((feed->fulltext = fulltext_mode_parse(value)) < 0)
			return parse_error(position, "fulltext: expected auto, always or never, not "
			    "\"%s\"", value);
	} else
		return parse_error(position, "unknown feed option \"%.*s\" (expected name, "
		    "interval, tags, header, user_agent or fulltext)", (int)(equals - token),
		    token);
	return 0;
}

static const struct feed_config *
feed_listed(const struct config *config, const char *url)
{
	for (size_t i = 0; i < config->feed_count; i++)
		if (strcmp(config->feeds[i].url, url) == 0)
			return &config->feeds[i];
	return NULL;
}

int
config_load_feeds(struct config *config, const char *path, char *error, size_t error_size)
{
	struct parse_position position = { path, 0, error, error_size };
	char *text, *line, *next, *cursor, *token;
	struct feed_config feed;
	struct string_set listed = { 0 };	/* every feed URL so far: a list of 10,000 */

	if ((text = file_read(path, NULL)) == NULL)
		return parse_error(&position, "cannot read feeds list: %s", strerror(errno));
	for (size_t i = 0; i < config->feed_count; i++)
		string_set_add(&listed, config->feeds[i].url);
	for (line = text, position.line = 1; line != NULL; line = next, position.line++) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(value_clean(line));
		if (*line == '\0')
			continue;
		memset(&feed, 0, sizeof feed);
		cursor = line;
		token = next_token(&cursor);
		if ((feed.url = feed_url_resolve(path, token)) == NULL) {
			parse_error(&position, "unsupported feed URL \"%s\" (http, https or file)",
			    token);
			goto fail;
		}
		while ((token = next_token(&cursor)) != NULL)
			if (feed_option(&feed, token, &position) < 0)
				goto fail;
		if (!string_set_add(&listed, feed.url)) {
			const struct feed_config *first = feed_listed(config, feed.url);

			parse_error(&position, "feed %s already listed at %s:%d", feed.url,
			    first->file, first->line);
			goto fail;
		}
		feed.file = xstrdup(path);
		feed.line = position.line;
		config->feeds = xrealloc(config->feeds, (config->feed_count + 1) *
		    sizeof *config->feeds);
		config->feeds[config->feed_count++] = feed;
	}
	string_set_clear(&listed);
	free(text);
	return 0;
fail:
	string_set_clear(&listed);
	feed_config_clear(&feed);
	free(text);
	return -1;
}
