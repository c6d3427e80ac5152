/*
 * plugin_sections.h - the plugin tests' way to load plugins without a config file: a
 * [plugin "NAME"] section built in memory (settings as key, value pairs), a chain loaded from
 * such sections, and an article with a title and a text set.  test_plugins.c and
 * test_plugin_tags.c include it.
 */
#ifndef WIRESIFT_TEST_PLUGIN_SECTIONS_H
#define WIRESIFT_TEST_PLUGIN_SECTIONS_H

#include <stdarg.h>
#include <string.h>

#include "article.h"
#include "plugin.h"

#define CONFIG_FILE "conf/wiresift.conf"	/* only its directory matters: conf/ */

/* A [plugin "NAME"] section with up to 4 settings given as key, value pairs, NULL-ended. */
struct section {
	struct plugin_config	config;
	struct plugin_setting	settings[4];
};

static void
section_init(struct section *section, const char *name, int line, ...)
{
	va_list args;
	const char *key;

	memset(section, 0, sizeof(*section));
	section->config.name = (char *)name;
	section->config.config_file = (char *)CONFIG_FILE;
	section->config.line = line;
	section->config.settings = section->settings;
	va_start(args, line);
	while ((key = va_arg(args, const char *)) != NULL && section->config.setting_count < 4) {
		struct plugin_setting *setting = &section->settings[section->config.setting_count++];

		setting->key = (char *)key;
		setting->value = va_arg(args, char *);
		setting->line = line + (int)section->config.setting_count;
	}
	va_end(args);
}

static struct plugin_chain *
load_sections(struct section *sections, size_t count, char *error, size_t error_size)
{
	struct plugin_config configs[8];

	for (size_t i = 0; i < count; i++)
		configs[i] = sections[i].config;
	return plugin_chain_load(configs, count, NULL, error, error_size);
}

static struct article *
article_with(const char *title, const char *text)
{
	struct article *article = article_new();

	article_set(&article->title, title);
	article_set(&article->text, text);
	article_set(&article->id, "0123abcd");
	return article;
}

#endif
