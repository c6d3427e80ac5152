/*
 * tree_compare.h - are two libxml2 documents the same tree, node for node? Element names,
 * namespace declarations' prefixes, attributes (names, values and how many value nodes), text
 * and CDATA content and node types must all match, under the document and at its top level
 * (DTD nodes excepted: page_tree() does not copy a doctype's identifiers). Used by test_tree
 * and fuzz_tree to compare extract_tree.c's tree with libxml2's HTML parser's.
 */
#ifndef WIRESIFT_TREE_COMPARE_H
#define WIRESIFT_TREE_COMPARE_H

#include <stdio.h>
#include <string.h>

#include <libxml/tree.h>

static int
tree_differ(const xmlNode *node, const char *what, char *why, size_t size)
{
	snprintf(why, size, "%s at <%s> under <%s>: %.60s", what,
	    node && node->name ? (const char *)node->name : "",
	    node && node->parent && node->parent->name ? (const char *)node->parent->name : "",
	    node && node->content ? (const char *)node->content : "");
	return 0;
}

static int
tree_same_string(const xmlChar *a, const xmlChar *b)
{
	return a == NULL || b == NULL ? a == b : strcmp((const char *)a, (const char *)b) == 0;
}

static int
tree_same_element(const xmlNode *a, const xmlNode *b)
{
	const xmlAttr *x = a->properties, *y = b->properties;
	const xmlNs *m = a->nsDef, *n = b->nsDef;

	if (!tree_same_string(a->name, b->name))
		return 0;
	for (; m != NULL && n != NULL; m = m->next, n = n->next)
		if (!tree_same_string(m->prefix, n->prefix) || !tree_same_string(m->href, n->href))
			return 0;
	if (m != NULL || n != NULL)
		return 0;
	for (; x != NULL && y != NULL; x = x->next, y = y->next) {
		if (!tree_same_string(x->name, y->name) ||
		    (x->children == NULL) != (y->children == NULL))
			return 0;
		if (x->children != NULL && (!tree_same_string(x->children->content,
		    y->children->content) || x->children->next != NULL ||
		    y->children->next != NULL))
			return 0;
	}
	return x == NULL && y == NULL;
}

static const xmlNode *
tree_skip_dtd(const xmlNode *node)
{
	while (node != NULL && node->type == XML_DTD_NODE)
		node = node->next;
	return node;
}

static int
tree_same_list(const xmlNode *a, const xmlNode *b, char *why, size_t size)
{
	for (a = tree_skip_dtd(a), b = tree_skip_dtd(b); a != NULL && b != NULL;
	    a = tree_skip_dtd(a->next), b = tree_skip_dtd(b->next)) {
		if (a->type != b->type)
			return tree_differ(a, "node type", why, size);
		if (a->type != XML_ELEMENT_NODE) {
			if (!tree_same_string(a->content, b->content))
				return tree_differ(a, "content", why, size);
			continue;
		}
		if (!tree_same_element(a, b))
			return tree_differ(a, "element", why, size);
		if (!tree_same_list(a->children, b->children, why, size))
			return 0;
	}
	return a == NULL && b == NULL ? 1 : tree_differ(a ? a : b, "child count", why, size);
}

/* 1 when the documents hold the same tree; else 0 and why says where they part. */
static int
trees_equal(const xmlDoc *a, const xmlDoc *b, char *why, size_t size)
{
	return tree_same_list(a->children, b->children, why, size);
}

#endif
