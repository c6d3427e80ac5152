/*
 * clean.h - the cleaning stage: HTML to plain text, boilerplate removal by named rules,
 * dateline extraction, canonical URL, word count.
 *
 * Rules are loaded from a file (conf/rules/boilerplate.rules, format documented there) on top of
 * the built-in set; each rule has a name, and an explain callback reports every removal as
 * (rule name, removed text) for `wiresift process --explain`.
 */
#ifndef WIRESIFT_CLEAN_H
#define WIRESIFT_CLEAN_H

#include <stddef.h>
#include "article.h"

struct clean_rules;

/* NULL path: built-in rules only. NULL on error with "FILE:LINE: reason" in error. */
struct clean_rules *clean_rules_load(const char *path, char *error, size_t error_size);
void	 clean_rules_free(struct clean_rules *rules);

typedef void (*clean_explain_fn)(const char *rule_name, const char *removed_text, void *context);
/* The explain function of wiresift process and extract: a line on stderr,
 * explain: SOURCE: rule=NAME removed="TEXT", with SOURCE (a const char *) as its context. */
void	 clean_explain_print(const char *rule_name, const char *removed_text, void *source);

/*
 * Fill article->title, summary, text, dateline, url (canonical, from link), word_count from the
 * raw fields. Returns 0, or -1 when nothing usable is left (no title and no text).
 */
int	 clean_article(struct article *article, const struct clean_rules *rules,
	    clean_explain_fn explain, void *explain_context);

/* HTML fragment to text: block elements become "\n\n", whitespace collapsed, NFC. Caller frees. */
char	*html_to_text(const char *html, size_t length);

#endif
