/*
 * extract_internal.h - what the extractor's files share: the parsed page with its per-element
 * figures (struct page), and the functions of extract_meta.c (JSON-LD, OpenGraph, <meta>),
 * extract_dom.c (boilerplate pruning and block scoring) and extract_sites.c (per-site rules).
 */
#ifndef WIRESIFT_EXTRACT_INTERNAL_H
#define WIRESIFT_EXTRACT_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include <libxml/tree.h>

#include "clean_internal.h"
#include "extract.h"

/* Figures of one element, kept in node->_private while the page is extracted. */
struct node_stats {
	size_t	 chars;		/* non-space characters of its text */
	size_t	 link_chars;	/* ... inside <a> */
	unsigned commas;	/* , ， 、 ، */
	unsigned paragraphs;	/* <p> and text blocks */
	unsigned images;
	unsigned items;		/* <li> */
	double	 score;
	int	 scored;	/* score was given its initial value */
	int	 lost_child;	/* a child was removed as furniture */
};

struct page {
	xmlDoc		*document;
	xmlNode		*body;
	const char	*url;
	struct node_stats *stats;	/* one per element, by node->_private */
	size_t		 stats_count;
	size_t		 stats_capacity;
	clean_explain_fn explain;
	void		*explain_context;
};

/* What the page's structured data and <meta> say. */
struct page_meta {
	char		*title;		/* JSON-LD headline, og:title, <title> */
	char		*body;		/* JSON-LD articleBody, as text */
	char		*url;		/* rel=canonical, og:url */
	struct strlist	 authors;
	time_t		 published;
	time_t		 updated;
	int		 has_article_type;	/* JSON-LD says NewsArticle/Article/... */
};

/* extract_meta.c */
void	 page_meta_read(struct page *page, struct page_meta *meta);
void	 page_meta_free(struct page_meta *meta);

/* extract_dom.c */
void	 page_stats_compute(struct page *page);
/* Remove boilerplate subtrees (by tag, class/id and hidden marks) from the whole page. */
void	 page_prune(struct page *page);
/* The nodes holding the article, in document order (caller frees the array); 0: none. */
size_t	 page_content_nodes(struct page *page, xmlNode ***nodes);
/* Remove link lists, share bars and the like left inside the chosen nodes. */
void	 page_clean_content(struct page *page, xmlNode *const *nodes, size_t count);
/* Unlink and free node, reporting its text as "extract:REASON". */
void	 page_remove(struct page *page, xmlNode *node, const char *reason);
/* Does the class or id of node hold one of the tokens (lower-case substrings)? */
const char *node_hint(const xmlNode *node, const char *const *tokens);
const char *node_attribute(const xmlNode *node, const char *name);

/* extract_sites.c: 1 when the site's keep selectors matched (nodes set), 0 when not. */
int	 site_rules_apply(const struct extract_rules *rules, struct page *page, xmlNode ***nodes,
	    size_t *count);

#endif
