/*
 * extract_internal.h - what the extractor's files share: the parsed page with its per-element
 * figures (struct page), and the functions of extract_meta.c (JSON-LD, OpenGraph, <meta>),
 * extract_dom.c (boilerplate pruning and block scoring) and extract_sites.c (per-site rules).
 */
#ifndef WIRESIFT_EXTRACT_INTERNAL_H
#define WIRESIFT_EXTRACT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libxml/tree.h>

#include "clean_internal.h"
#include "extract.h"

/* What an element's name says (extract_tags.c). */
enum {
	TAG_BLOCK = 1 << 0,	/* ends a paragraph */
	TAG_CODE = 1 << 1,	/* its text is not prose */
	TAG_TEXT = 1 << 2,	/* a text block that is scored */
	TAG_CONTAINER = 1 << 3,	/* div, section: scored when holding text and no blocks */
	TAG_LIST = 1 << 4,
	TAG_HEADING = 1 << 5,
	TAG_KEEP = 1 << 6,	/* never pruned */
	TAG_LINK = 1 << 7,
	TAG_PARAGRAPH = 1 << 8,
	TAG_IMAGE = 1 << 9,
	TAG_ITEM = 1 << 10,
	TAG_FORM = 1 << 11,
	TAG_BOX = 1 << 12,	/* header, table: removed when mostly links */
};

struct tag_info {
	const char *name;
	unsigned flags;
	int	 weight;	/* base score of a candidate */
	const char *prune;	/* dropped whatever its class: why ("" silently) */
};

const struct tag_info *tag_info_of(const xmlNode *node);

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
	const struct tag_info *tag;
	int	 hints_known;
	uint32_t hints;		/* node_hints() */
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
};

/* extract_meta.c */
void	 page_meta_read(struct page *page, struct page_meta *meta);
void	 page_meta_free(struct page_meta *meta);

/*
 * extract_skim.c: the page without scripts (but JSON-LD), styles, SVG and comments; with
 * SKIM_ATTRIBUTES without the attributes that nothing but site rules reads, with SKIM_SPACES
 * each blank run of text outside pre-like elements as one blank.
 */
#define SKIM_ATTRIBUTES	0x1
#define SKIM_SPACES	0x2
char	*page_skim(const char *html, size_t length, int flags, size_t *skimmed_length);

/*
 * extract_tree.c: libxml2's tree of a skimmed UTF-8 page built without its HTML parser, or NULL
 * where the page holds what only libxml2's parser reproduces (then parse it with libxml2).
 */
xmlDoc	*page_tree(const char *html, size_t length);

/* extract_dom.c */
void	 page_stats_compute(struct page *page);
/* Forget which elements lost a child (pruning is not the loss page_clean_content looks for). */
void	 page_stats_forget_losses(struct page *page);
/* Remove boilerplate subtrees (by tag, class/id and hidden marks) from the whole page. */
void	 page_prune(struct page *page);
/* The nodes holding the article, in document order (caller frees the array); 0: none. */
size_t	 page_content_nodes(struct page *page, xmlNode ***nodes);
/* Remove link lists, share bars and the like left inside the chosen nodes. */
void	 page_clean_content(struct page *page, xmlNode *const *nodes, size_t count);
/* Unlink and free node, reporting its text as "extract:REASON". */
void	 page_remove(struct page *page, xmlNode *node, const char *reason);
const char *node_attribute(const xmlNode *node, const char *name);

/* extract_hints.c: the hints of an element's class and id as a mask */
uint32_t node_hints(const xmlNode *node);
int	 hints_weight(uint32_t mask);		/* -25, 0 or +25 (both: 0) */
int	 hints_positive(uint32_t mask);
/* The first reason the mask gives for dropping the element, or NULL; *weak when only for
 * elements holding a minor part of the page. */
const char *hints_reason(uint32_t mask, int *weak);

/* extract_sites.c: 1 when the site's keep selectors matched (nodes set), 0 when not. */
int	 site_rules_apply(const struct extract_rules *rules, struct page *page, xmlNode ***nodes,
	    size_t *count);

/* Does a site rule apply to the page at page_url (so it may select by any attribute)? */
int	 site_rules_cover(const struct extract_rules *rules, const char *page_url);

#endif
