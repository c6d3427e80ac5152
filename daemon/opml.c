/*
 * opml.c - reads OPML subscription lists (see opml.h) with libxml2, without network access or
 * entity expansion.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opml.h"
#include "util.h"

typedef void (*outline_fn)(const char *url, const char *name, const struct strlist *folders,
	    int line, void *context);

static char *
attribute(xmlNode *node, const char *name)
{
	xmlChar *value = xmlGetProp(node, (const xmlChar *)name);
	char *copy = value != NULL && value[0] != '\0' ? xstrdup((const char *)value) : NULL;

	xmlFree(value);
	return copy;
}

static void
walk(xmlNode *node, struct strlist *folders, outline_fn visit, void *context)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcasecmp(node->name, (const xmlChar *)"outline") != 0) {
			walk(node->children, folders, visit, context);
			continue;
		}
		char *url = attribute(node, "xmlUrl");
		char *name = attribute(node, "title");
		if (name == NULL)
			name = attribute(node, "text");
		if (url != NULL)
			visit(url, name, folders, node->line, context);
		else if (name != NULL) {
			strlist_add(folders, name);
			walk(node->children, folders, visit, context);
			free(folders->items[--folders->count]);
		}
		free(url);
		free(name);
	}
}

static int
read_opml(const char *path, outline_fn visit, void *context, char *error, size_t error_size)
{
	xmlDoc *document = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	xmlNode *root;
	struct strlist folders = { 0 };

	if (document == NULL) {
		const xmlError *problem = xmlGetLastError();
		snprintf(error, error_size, "%s:%d: not readable as OPML: %s", path,
		    problem ? problem->line : 0, problem && problem->message ?
		    problem->message : "cannot read");
		if (error[strlen(error) - 1] == '\n')
			error[strlen(error) - 1] = '\0';
		return -1;
	}
	root = xmlDocGetRootElement(document);
	if (root == NULL || xmlStrcasecmp(root->name, (const xmlChar *)"opml") != 0) {
		snprintf(error, error_size, "%s: not an OPML document (root element is <%s>)", path,
		    root ? (const char *)root->name : "none");
		xmlFreeDoc(document);
		return -1;
	}
	walk(root->children, &folders, visit, context);
	strlist_clear(&folders);
	xmlFreeDoc(document);
	return 0;
}

struct load_context {
	struct config	*config;
	const char	*path;
	struct string_set listed;	/* every feed URL of the config so far */
};

static void
add_to_config(const char *url, const char *name, const struct strlist *folders, int line,
    void *context)
{
	struct load_context *load = context;
	struct config *config = load->config;
	struct feed_config *feed;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return;
	if (!string_set_add(&load->listed, url))
		return;
	config->feeds = xrealloc(config->feeds, (config->feed_count + 1) * sizeof *config->feeds);
	feed = &config->feeds[config->feed_count++];
	memset(feed, 0, sizeof *feed);
	feed->url = xstrdup(url);
	feed->name = name ? xstrdup(name) : NULL;
	for (size_t i = 0; i < folders->count; i++)
		strlist_add_unique(&feed->tags, folders->items[i]);
	feed->file = xstrdup(load->path);
	feed->line = line;
}

int
opml_load_feeds(struct config *config, const char *path, char *error, size_t error_size)
{
	struct load_context load = { config, path, { 0 } };
	int result;

	for (size_t i = 0; i < config->feed_count; i++)
		string_set_add(&load.listed, config->feeds[i].url);
	result = read_opml(path, add_to_config, &load, error, error_size);
	string_set_clear(&load.listed);
	return result;
}

/* A feeds.list value: quoted when it holds white space or quotes would confuse. */
static void
print_value(const char *value)
{
	if (strpbrk(value, " \t\"#;") == NULL) {
		fputs(value, stdout);
		return;
	}
	putchar('"');
	for (const char *p = value; *p; p++)
		if (*p != '"')
			putchar(*p);
	putchar('"');
}

static void
print_line(const char *url, const char *name, const struct strlist *folders, int line,
    void *context)
{
	fputs(url, stdout);
	if (name != NULL) {
		fputs(" name=", stdout);
		print_value(name);
	}
	if (folders->count > 0) {
		struct buffer tags = { 0 };
		for (size_t i = 0; i < folders->count; i++)
			buffer_printf(&tags, "%s%s", i ? "," : "", folders->items[i]);
		fputs(" tags=", stdout);
		print_value(tags.data);
		buffer_free(&tags);
	}
	putchar('\n');
}

int
opml_print_feeds_list(const char *path)
{
	char error[512];

	printf("# feeds from %s (wiresift import-opml)\n", path);
	if (read_opml(path, print_line, NULL, error, sizeof error) < 0) {
		fprintf(stderr, "wiresift: %s\n", error);
		return 1;
	}
	return 0;
}
