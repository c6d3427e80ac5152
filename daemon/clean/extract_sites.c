/*
 * extract_sites.c - per-site extraction rules (conf/rules/sites.rules documents the format):
 * lines "HOST keep|drop SELECTOR", where HOST covers its subdomains and SELECTOR is XPath
 * (starting with / or () or CSS-like: tag, *, #id, .class, [attr], [attr=v], [attr^=v],
 * [attr*=v], joined by descendant (space) or child (>) combinators, several separated by
 * commas. CSS-like selectors are translated to XPath when loaded, and every expression is
 * compiled once to check it; libxml2 evaluates them. Drops run first (each match removed and
 * explained as "extract:site-rule"); the matches of a site's keep selectors, when there are
 * any, are then the article.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xpath.h>

#include "extract_internal.h"
#include "url.h"

struct site_rule {
	char		*host;
	struct buffer	 keep;		/* keep selectors joined by " | " */
	struct strlist	 drops;
};

struct extract_rules {
	struct site_rule *sites;
	size_t		 count;
};

/* ---- CSS-like selectors to XPath ---- */

static int
is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == ':' ||
	    (unsigned char)c >= 0x80;
}

/* Append a quoted XPath literal; -1 when value holds both quote characters. */
static int
append_literal(struct buffer *out, const char *value, size_t length)
{
	char quote = memchr(value, '\'', length) ? '"' : '\'';

	if (quote == '"' && memchr(value, '"', length))
		return -1;
	buffer_append(out, &quote, 1);
	buffer_append(out, value, length);
	buffer_append(out, &quote, 1);
	return 0;
}

/* [attr], [attr=v], [attr^=v], [attr*=v] at *p (after '['). */
static int
translate_attribute(const char **p, struct buffer *out)
{
	const char *name = *p, *value;
	size_t name_length, value_length;
	char op = '=';

	while (is_name_char(**p))
		(*p)++;
	if ((name_length = (size_t)(*p - name)) == 0)
		return -1;
	if (**p == ']') {
		buffer_printf(out, "[@%.*s]", (int)name_length, name);
		(*p)++;
		return 0;
	}
	if (**p == '^' || **p == '*' || **p == '~')
		op = *(*p)++;
	if (*(*p)++ != '=')
		return -1;
	if (**p == '"' || **p == '\'') {
		char quote = *(*p)++;

		value = *p;
		while (**p && **p != quote)
			(*p)++;
		if (**p != quote)
			return -1;
		value_length = (size_t)(*p - value);
		(*p)++;
	} else {
		value = *p;
		while (is_name_char(**p))
			(*p)++;
		value_length = (size_t)(*p - value);
	}
	if (*(*p)++ != ']')
		return -1;
	if (op == '=')
		buffer_printf(out, "[@%.*s=", (int)name_length, name);
	else if (op == '^')
		buffer_printf(out, "[starts-with(@%.*s,", (int)name_length, name);
	else if (op == '*')
		buffer_printf(out, "[contains(@%.*s,", (int)name_length, name);
	else
		buffer_printf(out, "[contains(concat(' ',normalize-space(@%.*s),' '),concat(' ',",
		    (int)name_length, name);
	if (append_literal(out, value, value_length) == -1)
		return -1;
	buffer_append_string(out, op == '=' ? "]" : op == '~' ? ",' '))]" : ")]");
	return 0;
}

/* One compound selector (tag#id.class[attr]) at *p. */
static int
translate_compound(const char **p, struct buffer *out)
{
	const char *start = *p;

	if (**p == '*') {
		buffer_append_string(out, "*");
		(*p)++;
	} else if (is_name_char(**p)) {
		while (is_name_char(**p))
			(*p)++;
		buffer_printf(out, "%.*s", (int)(*p - start), start);
	} else
		buffer_append_string(out, "*");
	while (**p == '#' || **p == '.' || **p == '[') {
		char kind = *(*p)++;
		const char *name = *p;

		if (kind == '[') {
			if (translate_attribute(p, out) == -1)
				return -1;
			continue;
		}
		while (is_name_char(**p))
			(*p)++;
		if (*p == name)
			return -1;
		if (kind == '#')
			buffer_printf(out, "[@id='%.*s']", (int)(*p - name), name);
		else
			buffer_printf(out, "[contains(concat(' ',normalize-space(@class),' '),' %.*s ')]",
			    (int)(*p - name), name);
	}
	return *p == start ? -1 : 0;
}

/* A CSS-like selector list to an XPath union over the document; NULL when not understood. */
static char *
css_to_xpath(const char *css)
{
	struct buffer out = { 0 };
	const char *p = css;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		buffer_append_string(&out, "//");
		for (;;) {
			if (translate_compound(&p, &out) == -1)
				goto fail;
			while (isspace((unsigned char)*p))
				p++;
			if (*p == '\0' || *p == ',')
				break;
			if (*p == '>') {
				p++;
				while (isspace((unsigned char)*p))
					p++;
				buffer_append_string(&out, "/");
			} else
				buffer_append_string(&out, "//");
		}
		if (*p == '\0')
			return buffer_steal(&out);
		p++;
		buffer_append_string(&out, " | ");
	}
fail:
	buffer_free(&out);
	return NULL;
}

/* ---- the rules file ---- */

static struct site_rule *
site_for(struct extract_rules *rules, const char *host)
{
	for (size_t i = 0; i < rules->count; i++)
		if (strcasecmp(rules->sites[i].host, host) == 0)
			return &rules->sites[i];
	rules->sites = xrealloc(rules->sites, (rules->count + 1) * sizeof *rules->sites);
	memset(&rules->sites[rules->count], 0, sizeof rules->sites[0]);
	rules->sites[rules->count].host = xstrdup(host);
	return &rules->sites[rules->count++];
}

static void
quiet(void *context, const char *format, ...)
{
	(void)context;
	(void)format;
}

/* Does the expression compile? libxml2's complaint is not printed: the caller reports. */
static int
xpath_compiles(const char *xpath)
{
	xmlGenericErrorFunc saved = xmlGenericError;
	void *saved_context = xmlGenericErrorContext;
	xmlXPathCompExprPtr compiled;

	xmlSetGenericErrorFunc(NULL, quiet);
	compiled = xmlXPathCompile((const xmlChar *)xpath);
	xmlSetGenericErrorFunc(saved_context, saved);
	if (compiled == NULL)
		return 0;
	xmlXPathFreeCompExpr(compiled);
	return 1;
}

static int
parse_site_line(struct extract_rules *rules, char *line, const char *path, size_t number,
    char *error, size_t error_size)
{
	char *host, *action, *selector, *xpath;
	struct site_rule *site;

	host = strtok_r(line, " \t", &selector);
	action = strtok_r(NULL, " \t", &selector);
	while (selector && isspace((unsigned char)*selector))
		selector++;
	if (host == NULL || action == NULL || selector == NULL || *selector == '\0' ||
	    (strcmp(action, "keep") != 0 && strcmp(action, "drop") != 0)) {
		snprintf(error, error_size, "%s:%zu: expected HOST keep|drop SELECTOR", path,
		    number);
		return -1;
	}
	xpath = selector[0] == '/' || selector[0] == '(' ? xstrdup(selector) :
	    css_to_xpath(selector);
	if (xpath == NULL || !xpath_compiles(xpath)) {
		snprintf(error, error_size, "%s:%zu: bad selector: %s", path, number, selector);
		free(xpath);
		return -1;
	}
	site = site_for(rules, host);
	if (strcmp(action, "drop") == 0)
		strlist_add(&site->drops, xpath);
	else {
		if (site->keep.length > 0)
			buffer_append_string(&site->keep, " | ");
		buffer_append_string(&site->keep, xpath);
	}
	free(xpath);
	return 0;
}

struct extract_rules *
extract_rules_load(const char *path, char *error, size_t error_size)
{
	struct extract_rules *rules = xcalloc(1, sizeof *rules);
	char *text, *cursor, *line;
	size_t number = 0;

	xmlInitParser();
	if (path == NULL)
		return rules;
	if ((text = file_read(path, NULL)) == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		free(rules);
		return NULL;
	}
	for (cursor = text; (line = strsep(&cursor, "\n")) != NULL; ) {
		char *end;

		number++;
		while (isspace((unsigned char)*line))
			line++;
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (parse_site_line(rules, line, path, number, error, error_size) == -1) {
			free(text);
			extract_rules_free(rules);
			return NULL;
		}
	}
	free(text);
	return rules;
}

void
extract_rules_free(struct extract_rules *rules)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < rules->count; i++) {
		free(rules->sites[i].host);
		buffer_free(&rules->sites[i].keep);
		strlist_clear(&rules->sites[i].drops);
	}
	free(rules->sites);
	free(rules);
}

/* ---- applying them ---- */

/* The site whose host is the page's host or a parent domain of it. */
static const struct site_rule *
site_of_page(const struct extract_rules *rules, const char *page_url)
{
	char *host;
	const struct site_rule *found = NULL;

	if (rules == NULL || rules->count == 0 || page_url == NULL ||
	    (host = url_domain(page_url)) == NULL)
		return NULL;
	for (size_t i = 0; i < rules->count && found == NULL; i++) {
		const char *site = rules->sites[i].host;
		size_t host_length = strlen(host), site_length = strlen(site);

		if (strncasecmp(site, "www.", 4) == 0)
			site += 4, site_length -= 4;
		if (strcasecmp(host, site) == 0 || (host_length > site_length &&
		    host[host_length - site_length - 1] == '.' &&
		    strcasecmp(host + host_length - site_length, site) == 0))
			found = &rules->sites[i];
	}
	free(host);
	return found;
}

int
site_rules_cover(const struct extract_rules *rules, const char *page_url)
{
	return site_of_page(rules, page_url) != NULL;
}

static xmlXPathObjectPtr
evaluate(xmlXPathContextPtr context, const char *xpath)
{
	xmlXPathObjectPtr result = xmlXPathEvalExpression((const xmlChar *)xpath, context);

	if (result != NULL && (result->type != XPATH_NODESET || result->nodesetval == NULL)) {
		xmlXPathFreeObject(result);
		return NULL;
	}
	return result;
}

static int
is_inside(const xmlNode *node, xmlNode *const *nodes, size_t count)
{
	for (const xmlNode *up = node->parent; up != NULL; up = up->parent)
		for (size_t i = 0; i < count; i++)
			if (nodes[i] == up)
				return 1;
	return 0;
}

/* Is node the body or one of its ancestors (which a drop must leave)? */
static int
holds_body(const xmlNode *node, const xmlNode *body)
{
	for (const xmlNode *at = body; at != NULL; at = at->parent)
		if (at == node)
			return 1;
	return 0;
}

static void
apply_drops(const struct site_rule *site, struct page *page, xmlXPathContextPtr context)
{
	for (size_t i = 0; i < site->drops.count; i++) {
		xmlXPathObjectPtr found = evaluate(context, site->drops.items[i]);

		if (found == NULL)
			continue;
		/* last first: a match inside another is removed before it */
		for (int j = found->nodesetval->nodeNr; j-- > 0; ) {
			xmlNode *node = found->nodesetval->nodeTab[j];

			if (node->type == XML_ELEMENT_NODE && !holds_body(node, page->body))
				page_remove(page, node, "site-rule");
		}
		xmlXPathFreeObject(found);
	}
}

int
site_rules_apply(const struct extract_rules *rules, struct page *page, xmlNode ***nodes,
    size_t *count)
{
	const struct site_rule *site = site_of_page(rules, page->url);
	xmlXPathContextPtr context;
	xmlXPathObjectPtr found;

	*nodes = NULL;
	*count = 0;
	if (site == NULL || (context = xmlXPathNewContext(page->document)) == NULL)
		return 0;
	apply_drops(site, page, context);
	if (site->keep.length > 0 && (found = evaluate(context, site->keep.data)) != NULL) {
		xmlNode **list = xmalloc(((size_t)found->nodesetval->nodeNr + 1) * sizeof *list);

		for (int j = 0; j < found->nodesetval->nodeNr; j++) {
			xmlNode *node = found->nodesetval->nodeTab[j];

			if (node->type == XML_ELEMENT_NODE && !is_inside(node, list, *count))
				list[(*count)++] = node;
		}
		xmlXPathFreeObject(found);
		if (*count > 0)
			*nodes = list;
		else
			free(list);
	}
	xmlXPathFreeContext(context);
	return *count > 0;
}
