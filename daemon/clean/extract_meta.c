/*
 * extract_meta.c - what a page says about itself: JSON-LD (NewsArticle, Article, BlogPosting,
 * LiveBlogPosting... found at the top, in arrays and in @graph: headline, articleBody, author,
 * datePublished, dateModified), then OpenGraph and <meta> (og:title, og:url,
 * article:published_time, article:modified_time, author), <link rel=canonical> and <title>,
 * and the first <time datetime> of the page as the publication date when nothing else says.
 * Read in one walk over the page (JSON-LD scripts may sit anywhere), before it is pruned.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "extract_internal.h"
#include "feed/feed.h"
#include "url.h"

static const char *const article_types[] = {
	"NewsArticle", "Article", "BlogPosting", "LiveBlogPosting", "ReportageNewsArticle",
	"AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle",
	"Report", "TechArticle", "ScholarlyArticle", "SatiricalArticle", "WebPage", NULL
};

/* 2: an article type, 1: WebPage (metadata only), 0: neither. */
static int
type_rank(json_t *type)
{
	const char *name;
	size_t i;
	int best = 0;

	if (json_is_array(type)) {
		json_t *member;

		json_array_foreach(type, i, member) {
			int rank = type_rank(member);

			best = rank > best ? rank : best;
		}
		return best;
	}
	if ((name = json_string_value(type)) == NULL)
		return 0;
	for (i = 0; article_types[i] != NULL; i++)
		if (strcmp(name, article_types[i]) == 0)
			return strcmp(name, "WebPage") == 0 ? 1 : 2;
	return 0;
}

static void
add_author(struct strlist *authors, json_t *author)
{
	size_t i;
	json_t *member;
	const char *name = NULL;

	if (json_is_array(author)) {
		json_array_foreach(author, i, member)
			add_author(authors, member);
		return;
	}
	if (json_is_string(author))
		name = json_string_value(author);
	else if (json_is_object(author))
		name = json_string_value(json_object_get(author, "name"));
	if (name != NULL && name[0] != '\0' && strncmp(name, "http", 4) != 0) {
		char *clean = html_to_text(name, strlen(name));

		flatten_newlines(clean);
		collapse_spaces(clean);
		if (clean[0] != '\0')
			strlist_add_unique(authors, clean);
		free(clean);
	}
}

static void
set_string(char **field, json_t *value)
{
	const char *text = json_string_value(value);

	if (*field == NULL && text != NULL && text[0] != '\0')
		*field = xstrdup(text);
}

static void
meta_from_object(struct page_meta *meta, json_t *object)
{
	const char *date;

	set_string(&meta->title, json_object_get(object, "headline"));
	if (meta->body == NULL && json_string_value(json_object_get(object, "articleBody"))) {
		const char *body = json_string_value(json_object_get(object, "articleBody"));

		meta->body = html_to_text(body, strlen(body));
	}
	if (meta->authors.count == 0)
		add_author(&meta->authors, json_object_get(object, "author"));
	if (meta->published == 0 && (date = json_string_value(json_object_get(object,
	    "datePublished"))) != NULL)
		meta->published = feed_date_parse(date);
	if (meta->updated == 0 && (date = json_string_value(json_object_get(object,
	    "dateModified"))) != NULL)
		meta->updated = feed_date_parse(date);
}

/* Find article objects in a JSON-LD value: the object itself, arrays, @graph. */
static void
meta_from_json(struct page_meta *meta, json_t *value, int depth)
{
	size_t i;
	json_t *member;

	if (depth > 4)
		return;
	if (json_is_array(value)) {
		json_array_foreach(value, i, member)
			meta_from_json(meta, member, depth + 1);
		return;
	}
	if (!json_is_object(value))
		return;
	if (type_rank(json_object_get(value, "@type")) == 2)
		meta_from_object(meta, value);
	if ((member = json_object_get(value, "@graph")) != NULL)
		meta_from_json(meta, member, depth + 1);
	if ((member = json_object_get(value, "mainEntity")) != NULL)
		meta_from_json(meta, member, depth + 1);
}

/* The JSON of a script, in place: without the <![CDATA[ ... ]]> some pages wrap it in. */
static const char *
json_ld_text(char *text)
{
	char *end;

	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	if (strncmp(text, "<![CDATA[", 9) != 0)
		return text;
	text += 9;
	if ((end = strstr(text, "]]>")) != NULL)
		*end = '\0';
	return text;
}

static void
read_json_ld(struct page_meta *meta, xmlNode *script)
{
	const char *type = node_attribute(script, "type");
	xmlChar *text;
	json_t *value;

	if (type == NULL || strcasecmp(type, "application/ld+json") != 0)
		return;
	if ((text = xmlNodeGetContent(script)) == NULL)
		return;
	value = json_loads(json_ld_text((char *)text), JSON_DECODE_ANY, NULL);
	xmlFree(text);
	if (value == NULL)
		return;
	meta_from_json(meta, value, 0);
	json_decref(value);
}

/* <meta property|name=KEY content=VALUE> */
static void
read_meta_tag(struct page_meta *meta, xmlNode *node, char **og_title, char **og_url)
{
	const char *key = node_attribute(node, "property"), *content;

	if (key == NULL)
		key = node_attribute(node, "name");
	if (key == NULL || (content = node_attribute(node, "content")) == NULL || !content[0])
		return;
	if (strcasecmp(key, "og:title") == 0 && *og_title == NULL)
		*og_title = xstrdup(content);
	else if (strcasecmp(key, "og:url") == 0 && *og_url == NULL)
		*og_url = xstrdup(content);
	else if ((strcasecmp(key, "article:published_time") == 0 ||
	    strcasecmp(key, "datePublished") == 0 || strcasecmp(key, "pubdate") == 0) &&
	    meta->published == 0)
		meta->published = feed_date_parse(content);
	else if (strcasecmp(key, "article:modified_time") == 0 && meta->updated == 0)
		meta->updated = feed_date_parse(content);
	else if ((strcasecmp(key, "author") == 0 || strcasecmp(key, "article:author") == 0) &&
	    meta->authors.count == 0) {
		json_t *name = json_string(content);

		add_author(&meta->authors, name);
		json_decref(name);
	}
}

struct head_scan {
	char	*og_title, *og_url, *canonical, *title;
	time_t	 first_time;	/* the first <time datetime> of the page */
};

static void
read_element(struct page_meta *meta, struct head_scan *scan, xmlNode *node)
{
	const char *name = (const char *)node->name, *rel, *href;

	if (name[0] != 's' && name[0] != 'm' && name[0] != 'l' && name[0] != 't')
		return;
	if (strcmp(name, "script") == 0)
		read_json_ld(meta, node);
	else if (strcmp(name, "meta") == 0)
		read_meta_tag(meta, node, &scan->og_title, &scan->og_url);
	else if (strcmp(name, "link") == 0 && (rel = node_attribute(node, "rel")) != NULL &&
	    strcasecmp(rel, "canonical") == 0 && (href = node_attribute(node, "href")) != NULL &&
	    scan->canonical == NULL)
		scan->canonical = xstrdup(href);
	else if (strcmp(name, "title") == 0 && scan->title == NULL && node->parent != NULL &&
	    node->parent->name != NULL && strcmp((const char *)node->parent->name, "head") == 0)
		scan->title = html_render_line(node);
	else if (strcmp(name, "time") == 0 && scan->first_time == 0 &&
	    (href = node_attribute(node, "datetime")) != NULL)
		scan->first_time = feed_date_parse(href);
}

/* A canonical URL is used only on the page's own site (same domain, or no page URL). */
static char *
consistent_url(const char *candidate, const char *page_url)
{
	char *url, *domain, *page_domain;
	int same;

	if (candidate == NULL || (url = url_canonical(candidate, page_url, NULL)) == NULL)
		return NULL;
	if (page_url == NULL)
		return url;
	domain = url_domain(url);
	page_domain = url_domain(page_url);
	same = domain && page_domain && strcmp(domain, page_domain) == 0;
	free(domain);
	free(page_domain);
	if (!same) {
		free(url);
		return NULL;
	}
	return url;
}

void
page_meta_read(struct page *page, struct page_meta *meta)
{
	struct head_scan scan = { 0 };
	xmlNode *root = xmlDocGetRootElement(page->document);

	memset(meta, 0, sizeof *meta);
	for (xmlNode *node = root; node != NULL; ) {
		if (node->type == XML_ELEMENT_NODE)
			read_element(meta, &scan, node);
		if (node->children != NULL && node->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)node->name, "script") != 0) {
			node = node->children;
			continue;
		}
		while (node != NULL && node->next == NULL)
			node = node->parent;
		if (node != NULL)
			node = node->next;
	}
	if (meta->title == NULL)
		meta->title = scan.og_title ? xstrdup(scan.og_title) :
		    scan.title ? xstrdup(scan.title) : NULL;
	if (meta->published == 0)
		meta->published = scan.first_time;	/* a byline's <time>, when nothing says more */
	if ((meta->url = consistent_url(scan.canonical, page->url)) == NULL)
		meta->url = consistent_url(scan.og_url, page->url);
	free(scan.og_title);
	free(scan.og_url);
	free(scan.canonical);
	free(scan.title);
}

void
page_meta_free(struct page_meta *meta)
{
	free(meta->title);
	free(meta->body);
	free(meta->url);
	strlist_clear(&meta->authors);
	memset(meta, 0, sizeof *meta);
}
