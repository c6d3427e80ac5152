/*
 * tree.c - the fast path for a well-formed XML feed of at most FEED_TREE_MAX_BYTES: the
 * prepared text through libxml2's push parser into a tree, walked once it is complete
 * (xmldoc.c). A broken one, or one whose root is no feed's, goes the streaming way (stream.c).
 */
#include <stdlib.h>

#include "xmlparse.h"

/*
 * The fast path for a feed of at most FEED_TREE_MAX_BYTES: the prepared text goes to libxml2's
 * push parser in TREE_CHUNK blocks and builds the tree, walked as the recovery pass walks it.
 * xmlTextReader pushes to the same parser 512 bytes at a time and expands each item; the
 * whole-document way takes 26% fewer instructions on news-size items (bench_parse on the
 * article bench's feeds: 346K to 257K an item). No encoding is named: the prepared text is UTF-8 and
 * XML_PARSE_IGNORE_ENC keeps a declaration from saying otherwise, so libxml2 does not copy it
 * through its UTF-8 converter. Only a well-formed feed is walked: at the first error the tree
 * is dropped, nothing delivered, and the feed goes the streaming way (reader, then recovery),
 * whose items, repairs and error lines are what they always were. So does a document whose
 * root is no feed's. Larger feeds stream, so memory holds one item.
 */

/* libxml2's structured error handler for the fast path: data is the parser context. */
static void
note_tree_error(void *data, xmlErrorPtr xml_error)
{
	xmlParserCtxtPtr context = data;

	if (xml_error != NULL && xml_error->level >= XML_ERR_ERROR)
		*(int *)context->_private = 1;
}

#define TREE_CHUNK	(64 * 1024)

/* The prepared text through libxml2's push parser in TREE_CHUNK blocks; NULL when broken. */
static xmlDocPtr
read_tree(struct feed_decoder *decoder, const char *feed_url, struct feed_meta *meta)
{
	struct feed_preparer *preparer = feed_preparer_new(decoder);
	xmlParserCtxtPtr context;
	xmlDocPtr document = NULL;
	char *chunk = xmalloc(TREE_CHUNK);
	size_t length = feed_preparer_read(preparer, chunk, 4);
	int failed = 0;

	context = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, feed_url);
	if (context == NULL)
		goto done;
	xmlCtxtResetPush(context, chunk, (int)length, feed_url, NULL);
	xmlCtxtUseOptions(context, XML_OPTIONS);
	context->_private = &failed;
	context->sax->serror = note_tree_error;
	while (!failed && (length = feed_preparer_read(preparer, chunk, TREE_CHUNK)) > 0)
		xmlParseChunk(context, chunk, (int)length, 0);
	xmlParseChunk(context, NULL, 0, 1);
	document = context->myDoc;
	context->myDoc = NULL;
	if (document != NULL && (failed || !context->wellFormed || !context->nsWellFormed)) {
		xmlFreeDoc(document);
		document = NULL;
	}
	xmlFreeParserCtxt(context);
done:
	if (document != NULL)
		meta->problems |= feed_preparer_problems(preparer);
	feed_preparer_free(preparer);
	free(chunk);
	return document;
}

/* walk()'s status for a well-formed feed of at most FEED_TREE_MAX_BYTES, else FEED_TREE_BROKEN. */
int
feed_parse_tree(struct xml_run *run, struct feed_decoder *decoder, const char *feed_url,
    char *error, size_t error_size)
{
	xmlDocPtr document = read_tree(decoder, feed_url, run->feed.meta);
	xmlNodePtr root;
	size_t item_index = 0;

	if (document == NULL)
		return FEED_TREE_BROKEN;
	if ((root = xmlDocGetRootElement(document)) == NULL) {
		xmlFreeDoc(document);
		return FEED_TREE_BROKEN;
	}
	if (!feed_xml_is_feed_root(root)) {	/* the streaming way says what it is instead */
		xmlFreeDoc(document);
		return FEED_TREE_BROKEN;
	}
	if (feed_xml_root(run, root, error, error_size) < 0) {
		xmlFreeDoc(document);
		return -2;
	}
	feed_xml_visit(run, root->children, 1, &item_index, 0);
	xmlFreeDoc(document);
	return 0;
}
