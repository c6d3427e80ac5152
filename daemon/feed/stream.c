/*
 * stream.c - the streaming way through an XML feed: xmlTextReader, fed by xmlReaderForIO from
 * a read callback over the prepared text, with recovery on; each item or entry, and each
 * channel-level element, is expanded on its own, handed to xmldoc.c and skipped, so libxml2
 * frees it: memory holds one item and a few chunks, not the feed. A feed that breaks the
 * reader is parsed again into a tree by libxml2's recovering parser (the recovery pass).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "xmlparse.h"

/* What a libxml2 error says was wrong with the feed. */
static unsigned
xml_error_problem(const xmlError *xml_error)
{
	if (xml_error->code == XML_ERR_TAG_NAME_MISMATCH ||
	    xml_error->code == XML_ERR_TAG_NOT_FINISHED ||
	    xml_error->code == XML_ERR_LTSLASH_REQUIRED)
		return FEED_PROBLEM_UNCLOSED_TAG;
	if (xml_error->message != NULL && strstr(xml_error->message, "depth") != NULL)
		return FEED_PROBLEM_NESTING_TOO_DEEP;
	if (xml_error->code == XML_ERR_UNDECLARED_ENTITY ||
	    xml_error->code == XML_WAR_UNDECLARED_ENTITY)
		return FEED_PROBLEM_UNDECLARED_ENTITY;
	return FEED_PROBLEM_NOT_WELL_FORMED;
}

/* libxml2 reports here instead of stderr; the first error is kept for the error message. */
static void
record_xml_error(void *context, xmlErrorPtr xml_error)
{
	struct xml_run *run = context;
	size_t length;

	if (xml_error == NULL || xml_error->level < XML_ERR_ERROR)
		return;
	run->feed.meta->problems |= xml_error_problem(xml_error);
	if (run->first_error[0] != '\0')
		return;
	run->first_error_line = xml_error->line;
	snprintf(run->first_error, sizeof(run->first_error), "%s",
	    xml_error->message != NULL ? xml_error->message : "XML error");
	length = strlen(run->first_error);
	while (length > 0 && isspace((unsigned char)run->first_error[length - 1]))
		run->first_error[--length] = '\0';
}

/* Walk the document; returns the last xmlTextReader status (0 at the end, -1 on failure). */
static int
walk(struct xml_run *run, char *error, size_t error_size)
{
	xmlTextReaderPtr reader = run->reader;
	int status = xmlTextReaderRead(reader);

	while (status == 1 && !run->stopped) {
		xmlNodePtr node, expanded;
		enum node_action action;

		if (xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT ||
		    (node = xmlTextReaderCurrentNode(reader)) == NULL) {
			status = xmlTextReaderRead(reader);
			continue;
		}
		if (!run->have_root) {
			if (feed_xml_root(run, node, error, error_size) < 0)
				return -2;
			status = xmlTextReaderRead(reader);
			continue;
		}
		action = feed_xml_classify(run, node, xmlTextReaderDepth(reader));
		if (action == ACTION_DESCEND) {
			status = xmlTextReaderRead(reader);
			continue;
		}
		if (action != ACTION_SKIP && (expanded = xmlTextReaderExpand(reader)) != NULL) {
			if (action == ACTION_ITEM)
				feed_xml_item(run, expanded);
			else
				feed_xml_meta(run, expanded);
		}
		status = xmlTextReaderNext(reader);
	}
	return run->stopped ? 0 : status;
}

/*
 * What libxml2 reads: the prepared text, handed over so that libxml2 parses it as it parsed
 * the whole prepared text in memory. xmlTextReader pushes its input to the parser in blocks
 * of 512 bytes. From memory, the last partial block goes in before the end is signalled;
 * from a read callback, together with the end, and then the first well-formedness error of a
 * broken feed comes sooner (other items before the recovery pass). So a last read that ends
 * in a partial block returns the whole blocks only, and the partial block on the next call.
 * (From memory the reader also pushes one empty block before the end, which a callback cannot
 * cause: for a few broken feeds the line of the first error reported differs, not the items.)
 * The first 4 bytes (what xmlTextReader asks for first) are read ahead: a text shorter than
 * that is given from memory.
 */
#define READER_BLOCK	512	/* xmlreader.c's CHUNK_SIZE */

struct prepared_input {
	struct feed_decoder	*decoder;	/* NULL: the caller's */
	struct feed_preparer	*preparer;
	char			 held[READER_BLOCK];	/* read, not yet handed over */
	size_t			 held_length;
	size_t			 held_position;
	int			 ended;
	int			 by_blocks;	/* xmlTextReader: hold a last partial block */
};

/* libxml2's read callback: the next prepared bytes, 0 at the end. */
static int
read_prepared(void *context, char *buffer, int length)
{
	struct prepared_input *input = context;
	size_t count = 0, fresh, partial;

	if (length <= 0)
		return 0;
	if (input->held_position < input->held_length) {
		count = input->held_length - input->held_position;
		if (count > (size_t)length)
			count = (size_t)length;
		memcpy(buffer, input->held + input->held_position, count);
		input->held_position += count;
	}
	if (input->ended || count == (size_t)length)
		return (int)count;
	fresh = feed_preparer_read(input->preparer, buffer + count, (size_t)length - count);
	count += fresh;
	if (count < (size_t)length) {
		input->ended = 1;
		partial = count % READER_BLOCK;
		if (input->by_blocks && count > READER_BLOCK && partial > 0) {
			memcpy(input->held, buffer + count - partial, partial);
			input->held_length = partial;
			input->held_position = 0;
			count -= partial;
		}
	}
	return (int)count;
}

/* Start preparing decoder's text; 1 when it is shorter than 4 bytes (all in held). */
static int
prepared_open(struct prepared_input *input, struct feed_decoder *decoder)
{
	memset(input, 0, sizeof(*input));
	input->preparer = feed_preparer_new(decoder);
	input->held_length = feed_preparer_read(input->preparer, input->held, 4);
	input->ended = input->held_length < 4;
	return input->ended;
}

static void
prepared_close(struct prepared_input *input, struct feed_meta *meta)
{
	meta->problems |= feed_preparer_problems(input->preparer);
	feed_preparer_free(input->preparer);
	feed_decoder_free(input->decoder);
	memset(input, 0, sizeof(*input));
}

/* The recovery pass reads the body again: a new decoder, positioned where the text starts. */
static int
prepared_reopen(struct prepared_input *input, const struct xml_source *source)
{
	struct feed_decoder *decoder;
	size_t length;
	int complete, small;

	decoder = feed_decoder_new(source->data, source->size, source->content_type);
	feed_decoder_peek(decoder, source->skip, &length, &complete);
	feed_decoder_skip(decoder, source->skip);
	small = prepared_open(input, decoder);
	input->decoder = decoder;
	return small;
}

static int
recover_tree(struct xml_run *run, const struct xml_source *source, const char *feed_url,
    char *error, size_t error_size)
{
	xmlParserCtxtPtr context = xmlNewParserCtxt();
	size_t already_delivered = run->feed.meta->item_count, item_index = 0;
	struct prepared_input input;
	xmlDocPtr document;
	xmlNodePtr root;

	if (context == NULL)
		return -1;
	if (prepared_reopen(&input, source))
		document = xmlCtxtReadMemory(context, input.held, (int)input.held_length,
		    feed_url, "UTF-8", XML_OPTIONS);
	else
		document = xmlCtxtReadIO(context, read_prepared, NULL, &input, feed_url,
		    "UTF-8", XML_OPTIONS);
	xmlFreeParserCtxt(context);
	prepared_close(&input, run->feed.meta);
	if (document == NULL || (root = xmlDocGetRootElement(document)) == NULL) {
		xmlFreeDoc(document);
		return -1;
	}
	if (!run->have_root && feed_xml_root(run, root, error, error_size) < 0) {
		xmlFreeDoc(document);
		return -2;
	}
	feed_xml_visit(run, root->children, 1, &item_index, already_delivered);
	xmlFreeDoc(document);
	return 0;
}

int
feed_parse_stream(struct xml_run *run, const struct xml_source *source,
    struct feed_decoder *decoder, char *error, size_t error_size)
{
	const char *feed_url = run->feed.feed_url;
	struct prepared_input input;
	int status, small;

	small = decoder == NULL ? prepared_reopen(&input, source) : prepared_open(&input,
	    decoder);
	if (small)
		run->reader = xmlReaderForMemory(input.held, (int)input.held_length, feed_url,
		    "UTF-8", XML_OPTIONS);
	else {
		input.by_blocks = 1;
		run->reader = xmlReaderForIO(read_prepared, NULL, &input, feed_url, "UTF-8",
		    XML_OPTIONS);
	}
	if (run->reader == NULL) {
		prepared_close(&input, run->feed.meta);
		feed_set_error(error, error_size, "cannot create an XML reader");
		return FEED_STREAM_FAILED;
	}
	xmlTextReaderSetStructuredErrorHandler(run->reader, record_xml_error, run);
	status = walk(run, error, error_size);
	xmlFreeTextReader(run->reader);
	prepared_close(&input, run->feed.meta);
	if (status == -1 && !run->stopped)
		status = recover_tree(run, source, feed_url, error, error_size);
	return status;
}
