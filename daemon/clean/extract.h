/*
 * extract.h - the main text of an article page: what `wiresift extract` prints, and the call
 * for any stage that has fetched an item's linked page.
 *
 * extract_page() makes the page into libxml2's tree once (extract_tree.c, or libxml2's HTML
 * parser for what that leaves to it) and takes, in this order:
 *   1. per-site rules (conf/rules/sites.rules): the page's host mapped to selectors (CSS-like
 *      or XPath) whose matches are dropped, and, when given, whose matches are the text;
 *   2. JSON-LD NewsArticle/Article (articleBody, headline, author, datePublished,
 *      dateModified), used for the text only when it is not a teaser of the page's own text;
 *   3. the DOM: blocks scored by text and link density, paragraph and punctuation counts,
 *      class/id hints and position; navigation, related links, share bars, comments, cookie
 *      and subscription walls, captions, bios and newsletter prompts are dropped.
 * Metadata (title, authors, dates, canonical URL) comes from JSON-LD, then OpenGraph and
 * <meta>, then the page, each only when consistent with the page. The cleaner's boilerplate
 * rules (clean_rules) then run on the text's paragraphs, and the dateline is lifted out, as
 * for feed text. Every removal is reported to the explain callback: "extract:REASON" for what
 * the extractor dropped, the rule's name for what a rule removed.
 *
 * Thread-safe: the rule sets are only read; each call parses on its thread's own context.
 */
#ifndef WIRESIFT_EXTRACT_H
#define WIRESIFT_EXTRACT_H

#include <stddef.h>
#include <time.h>

#include "article.h"
#include "clean/clean.h"

struct extract_rules;

/*
 * Per-site rules from a file (format in conf/rules/sites.rules); NULL path: no site rules.
 * NULL on error with "FILE:LINE: reason" in error.
 */
struct extract_rules *extract_rules_load(const char *path, char *error, size_t error_size);
void	 extract_rules_free(struct extract_rules *rules);

/* How the text was found. */
#define EXTRACT_METHOD_JSON_LD		"json-ld"
#define EXTRACT_METHOD_DOM		"dom"
#define EXTRACT_METHOD_SITE_RULE	"site-rule"

struct extract_result {
	char		*title;		/* one line; NULL when unknown */
	char		*text;		/* paragraphs separated by "\n\n"; NULL: no article body */
	char		*dateline;	/* "WASHINGTON" lifted off the text, or NULL */
	struct strlist	 authors;
	time_t		 published;	/* UTC; 0 when unknown */
	time_t		 updated;	/* UTC; 0 when unknown */
	char		*url;		/* rel=canonical or og:url on page_url's site, else page_url */
	const char	*method;	/* EXTRACT_METHOD_*, static; NULL when no text */
	size_t		 words;		/* of text */
};

/*
 * Extract the article of one page. site_rules and clean_rules may be NULL (no site rules;
 * no boilerplate rules). page_url (may be NULL) resolves relative links and picks the site
 * rules. explain may be NULL. The result is zeroed first; free it with
 * extract_result_free() whatever the return. Returns 0 when an article body was found,
 * -1 when the page holds none (result->text NULL; metadata may still be set).
 */
int	 extract_page(const struct extract_rules *site_rules, const struct clean_rules *clean_rules,
	    const char *html, size_t length, const char *page_url, struct extract_result *result,
	    clean_explain_fn explain, void *explain_context);
void	 extract_result_free(struct extract_result *result);

#endif
