/*
 * tree.c - the fast path for a well-formed XML feed of at most FEED_TREE_MAX_BYTES: the
 * prepared text, whole, into a tree by libxml2 (its large CDATA sections lifted out while
 * libxml2 parses, cdata.c, and the rest read by the pull parser; the push parser when nothing
 * is lifted), walked once it is complete (xmldoc.c). A broken one, or one whose root is no
 * feed's, goes the streaming way (stream.c).
 */
#include <stdlib.h>

#include <libxml/parserInternals.h>

#include "xmlparse.h"

/*
 * The fast path for a feed of at most FEED_TREE_MAX_BYTES: the prepared text, whole in one
 * buffer, goes to libxml2's push parser in TREE_CHUNK blocks and builds the tree, walked as
 * the recovery pass walks it. xmlTextReader pushes to the same parser 512 bytes at a time and
 * expands each item; the whole-document way takes 26% fewer instructions on news-size items
 * (bench_parse on the article bench's feeds: 346K to 257K an item). The pull parser
 * (xmlParseDocument over the text in place) reads a CDATA section a character at a time and
 * takes twice the push parser's instructions on the same feeds. No encoding is named: the
 * prepared text is UTF-8 and XML_PARSE_IGNORE_ENC keeps a declaration from saying otherwise,
 * so libxml2 does not copy it through its UTF-8 converter. Only a well-formed feed is walked:
 * at the first error the tree is dropped, nothing delivered, and the feed goes the streaming
 * way (reader, then recovery), whose items, repairs and error lines are what they always
 * were. So does a document whose root is no feed's. Larger feeds stream, so memory holds one
 * item.
 *
 * Once its large CDATA sections are lifted out (cdata.c), the text goes to the pull parser
 * instead (read_text(): xmlParseDocument over the text in place): with no long CDATA section
 * left for it to read a character at a time, it builds the same tree as the push parser
 * without the push parser's copy of the text into its input buffer and its look-ahead for
 * each element's end: 2.3K instructions an article fewer (bench_parse, article feeds: 39.0K
 * to 36.6K an item). test_cdata checks the two trees are the same, feed by feed.
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

/* The whole prepared text, NUL-terminated, in one buffer (about size_hint bytes long). */
static char *
prepare_whole(struct feed_preparer *preparer, size_t size_hint, size_t *length)
{
	size_t size = size_hint + size_hint / 8 + 4096, used = 0, got;
	char *text = xmalloc(size + 1);

	while ((got = feed_preparer_read(preparer, text + used, size - used)) > 0)
		if ((used += got) == size)
			text = xrealloc(text, (size *= 2) + 1);
	text[used] = '\0';
	*length = used;
	return text;
}

/* The document a parse built, NULL when it failed or is not well-formed; frees context. */
static xmlDocPtr
take_document(xmlParserCtxtPtr context, int failed)
{
	xmlDocPtr document = context->myDoc;

	context->myDoc = NULL;
	if (document != NULL && (failed || !context->wellFormed || !context->nsWellFormed)) {
		xmlFreeDoc(document);
		document = NULL;
	}
	xmlFreeParserCtxt(context);
	return document;
}

/* text through libxml2's push parser: 4 bytes, then TREE_CHUNK blocks; NULL when broken. */
static xmlDocPtr
push_text(const char *text, size_t length, const char *feed_url)
{
	xmlParserCtxtPtr context;
	size_t at = length < 4 ? length : 4, chunk;
	int failed = 0;

	context = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, feed_url);
	if (context == NULL)
		return NULL;
	xmlCtxtResetPush(context, text, (int)at, feed_url, NULL);
	xmlCtxtUseOptions(context, XML_OPTIONS);
	context->_private = &failed;
	context->sax->serror = note_tree_error;
	for (; !failed && at < length; at += chunk) {
		chunk = length - at < TREE_CHUNK ? length - at : TREE_CHUNK;
		xmlParseChunk(context, text + at, (int)chunk, 0);
	}
	xmlParseChunk(context, NULL, 0, 1);
	return take_document(context, failed);
}

/* text through libxml2's pull parser, in place, with the push parser's options and error
 * handling (the URL as the document's, as xmlCtxtReadMemory sets it); NULL when broken. */
static xmlDocPtr
read_text(const char *text, size_t length, const char *feed_url)
{
	xmlParserCtxtPtr context;
	int failed = 0;

	context = xmlCreateMemoryParserCtxt(text, (int)length);
	if (context == NULL)
		return NULL;
	if (context->input != NULL && context->input->filename == NULL && feed_url != NULL)
		context->input->filename = (char *)xmlStrdup((const xmlChar *)feed_url);
	xmlCtxtUseOptions(context, XML_OPTIONS);
	context->_private = &failed;
	context->sax->serror = note_tree_error;
	xmlParseDocument(context);
	return take_document(context, failed);
}

/*
 * The tree of prepared text (NUL-terminated), its large CDATA sections lifted out while
 * libxml2 parses when lift is set (cdata.c) and the rest read by the pull parser, the whole
 * text pushed as it is when that fails or nothing was lifted; NULL when broken.
 */
xmlDocPtr
feed_tree_from_text(const char *text, size_t length, const char *feed_url, int lift)
{
	struct feed_cdata cdata;
	xmlDocPtr document = NULL;

	if (lift && feed_cdata_lift(&cdata, text, length) > 0) {
		document = read_text(cdata.lifted.data, cdata.lifted.length, feed_url);
		if (document != NULL && feed_cdata_restore(&cdata, document) < 0) {
			xmlFreeDoc(document);
			document = NULL;
		}
		feed_cdata_clear(&cdata);
	}
	if (document == NULL)
		document = push_text(text, length, feed_url);
	return document;
}

/* The decoder's text prepared whole, and its tree; NULL when broken. */
static xmlDocPtr
read_tree(struct feed_decoder *decoder, size_t size_hint, const char *feed_url,
    struct feed_meta *meta)
{
	struct feed_preparer *preparer = feed_preparer_new(decoder);
	size_t length;
	char *text = prepare_whole(preparer, size_hint, &length);
	xmlDocPtr document = feed_tree_from_text(text, length, feed_url, 1);

	if (document != NULL)
		meta->problems |= feed_preparer_problems(preparer);
	feed_preparer_free(preparer);
	free(text);
	return document;
}

/* walk()'s status for a well-formed feed of at most FEED_TREE_MAX_BYTES, else FEED_TREE_BROKEN. */
int
feed_parse_tree(struct xml_run *run, struct feed_decoder *decoder, size_t size_hint,
    const char *feed_url, char *error, size_t error_size)
{
	xmlDocPtr document = read_tree(decoder, size_hint, feed_url, run->feed.meta);
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
