/*
 * extract_tree.h - what the two files of the extractor's own tree builder share:
 * extract_tree.c builds libxml2's tree the way libxml2's HTML parser does, from the tags,
 * attributes, names and references that extract_tree_read.c reads the way its tokenizer does.
 */
#ifndef WIRESIFT_EXTRACT_TREE_H
#define WIRESIFT_EXTRACT_TREE_H

#include <libxml/dict.h>
#include <libxml/tree.h>

#include "extract_internal.h"

#define NAME_MAX_CHARS	100	/* libxml2's HTML_PARSER_BUFFER_SIZE */
#define MAX_ATTRIBUTES	64

struct names {
	const xmlChar *html, *head, *body, *p, *script, *style;
};

struct tree_context;

struct tree {
	const unsigned char *at, *end;
	struct tree_context *context;	/* the thread's names and what libxml2 says of them */
	xmlDoc	*doc;
	xmlDict	*dict;
	struct names n;
	const xmlChar **names;	/* libxml2's name stack */
	xmlNode	**nodes;	/* its node stack (the SAX handler's) */
	size_t	 depth, capacity;
	int	 seen;		/* libxml2's ctxt->html: 3 once head, 10 once body was pushed */
	int	 discarded;	/* misplaced html, head and body tags (ctxt->depth) */
	struct buffer text;	/* characters not yet in a node, when not one run of the input */
	const unsigned char *run;	/* else these, in the input */
	size_t	 run_length;
	xmlNode	*text_parent;
	struct buffer values;	/* the current tag's decoded attribute values */
	int	 failed;
};

/* An attribute read: its value is raw[0..length) or, decoded, tree->values from offset. */
struct attribute {
	const xmlChar *name;
	int	 has_value;
	int	 decoded;
	const char *raw;
	size_t	 offset, length;
};

static inline int
tree_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline int
tree_is_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
tree_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* extract_tree.c */
const xmlChar *tree_intern(struct tree *tree, const char *name, size_t length);

/* extract_tree_read.c */
void	 tree_skip_blanks(struct tree *tree);
/* A reference at tree->at ('&') decoded into out; -1 (failed) where libxml2 reads it otherwise,
 * *valid 0 for a character reference that gives nothing. */
int	 tree_reference(struct tree *tree, struct buffer *out, int *valid);
/* An HTML name at tree->at, lower-cased; NULL when none or not ours (then failed is set). */
const xmlChar *tree_html_name(struct tree *tree, int element);
/* A start tag's attributes up to its end ('>', "/>" or the end of the input). */
size_t	 tree_read_attributes(struct tree *tree, struct attribute *attributes);
int	 tree_plain_utf8(const unsigned char *at, const unsigned char *end);
int	 tree_even_quotes(const unsigned char *at, const unsigned char *end);

#endif
