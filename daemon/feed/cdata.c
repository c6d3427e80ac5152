/*
 * cdata.c - the tree path's large CDATA sections kept out of libxml2's push parser.
 *
 * libxml2 2.9's push parser goes over a CDATA section's content three times: it looks for
 * "]]>" a byte at a time, checks every character (xmlCheckCdataPush) and steps over it counting
 * lines, ~23 instructions a byte: most of the parser's cost on article-size feeds, whose
 * content:encoded is a CDATA section of several KB. So before the tree path (tree.c) parses the
 * prepared text, each CDATA section of at least CDATA_LIFT_MIN bytes whose content passes the
 * same character check is replaced by a short marker (U+FDD0, its number in decimal, U+FDD1);
 * the content stays where it is in the prepared text. Once the tree is built, each marker in a
 * text node is replaced by the content it stands for.
 *
 * The tree is the one libxml2 builds from the whole text: a section that fails the check is
 * left in place for libxml2 to refuse as before; CDATA content becomes text merged with the text
 * around it (XML_PARSE_NOCDATA) whatever its length. The sections are found by the grammar of
 * the prepared text (no DOCTYPE is left in it): markup starts at '<'; a comment ends at the
 * first "-->", a PI at "?>", a tag at a '>' outside quotes; anything else at "<!" ends the
 * search. A marker missing, out of order or one too many (the feed's own text may hold U+FDD0)
 * makes feed_cdata_restore() fail, and the caller parses the text as it is, as it does when
 * the text with markers is not well-formed.
 */
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "xmlparse.h"

#define CDATA_LIFT_MIN	128		/* bytes of content worth a marker */
#define MARK_OPEN	"\xEF\xB7\x90"	/* U+FDD0 */
#define MARK_CLOSE	"\xEF\xB7\x91"	/* U+FDD1 */
#define MARK_LENGTH	3

/* libxml2's xmlIsCharQ(): a character XML allows. */
static int
is_xml_char(unsigned long c)
{
	if (c < 0x100)
		return c == 0x9 || c == 0xA || c == 0xD || c >= 0x20;
	return (c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* The sequence at text[at] as xmlCheckCdataPush reads it: its length, 0 when refused. */
static size_t
sequence_length(const unsigned char *text, size_t at, size_t length)
{
	unsigned char c = text[at];
	unsigned long codepoint;
	size_t count, i;

	if (c < 0x80)
		return c >= 0x20 || c == 0xA || c == 0xD || c == 0x9;
	if ((c & 0xE0) == 0xC0)
		count = 2, codepoint = c & 0x1F;
	else if ((c & 0xF0) == 0xE0)
		count = 3, codepoint = c & 0x0F;
	else if ((c & 0xF8) == 0xF0)
		count = 4, codepoint = c & 0x07;
	else
		return 0;
	if (at + count > length)
		return 0;
	for (i = 1; i < count; i++) {
		if ((text[at + i] & 0xC0) != 0x80)
			return 0;
		codepoint = (codepoint << 6) | (text[at + i] & 0x3F);
	}
	return is_xml_char(codepoint) ? count : 0;
}

/* Whether libxml2's push parser takes text as a CDATA section's content (xmlCheckCdataPush). */
int
feed_cdata_valid(const char *text, size_t length)
{
	const unsigned char *bytes = (const unsigned char *)text;
	size_t at = 0, step;

	while (at < length) {
#ifdef __SSE2__
		/* 16 bytes of printable ASCII at a time: bytes >= 0x80 compare below 0x20 too */
		while (at + 16 <= length) {
			__m128i v = _mm_loadu_si128((const __m128i *)(bytes + at));
			__m128i low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));

			if (_mm_movemask_epi8(low) != 0)
				break;
			at += 16;
		}
		if (at >= length)
			break;
#endif
		if ((step = sequence_length(bytes, at, length)) == 0)
			return 0;
		at += step;
	}
	return 1;
}

/* The end of what starts at text (the '<' of markup not a CDATA section); NULL: stop here. */
static const char *
markup_end(const char *text, const char *end)
{
	const char *found;

	if (end - text >= 4 && memcmp(text, "<!--", 4) == 0)
		return (found = memmem(text + 4, (size_t)(end - text - 4), "-->", 3)) != NULL ?
		    found + 3 : NULL;
	if (end - text >= 2 && memcmp(text, "<?", 2) == 0)
		return (found = memmem(text + 2, (size_t)(end - text - 2), "?>", 2)) != NULL ?
		    found + 2 : NULL;
	if (end - text >= 2 && text[1] == '!')
		return NULL;
	for (text++; text < end; text++) {
		if (*text == '>')
			return text + 1;
		if (*text == '"' || *text == '\'') {
			if ((found = memchr(text + 1, *text, (size_t)(end - text - 1))) == NULL)
				return NULL;
			text = found;
		}
	}
	return NULL;
}

/* Note a section's content (start, length) as lifted, and write the text before it and its marker. */
static void
lift(struct feed_cdata *cdata, const char *from, size_t start, size_t length)
{
	char number[24];
	int digits = snprintf(number, sizeof(number), "%zu", cdata->count);

	if (cdata->count == cdata->capacity) {
		cdata->capacity = cdata->capacity == 0 ? 16 : cdata->capacity * 2;
		cdata->spans = xrealloc(cdata->spans, cdata->capacity * sizeof(*cdata->spans));
	}
	cdata->spans[cdata->count].start = start;
	cdata->spans[cdata->count].length = length;
	cdata->count++;
	buffer_append(&cdata->lifted, from, (size_t)(cdata->text + start - from));
	buffer_append(&cdata->lifted, MARK_OPEN, MARK_LENGTH);
	buffer_append(&cdata->lifted, number, (size_t)digits);
	buffer_append(&cdata->lifted, MARK_CLOSE, MARK_LENGTH);
}

/* The CDATA section whose content starts at content: its end, lifted if it is worth it. */
static const char *
section(struct feed_cdata *cdata, const char *content, const char *end, const char **copied)
{
	const char *close = content;
	size_t length;

	while ((close = memchr(close, ']', (size_t)(end - close))) != NULL &&
	    (end - close < 3 || memcmp(close, "]]>", 3) != 0))
		close++;
	if (close == NULL)
		return NULL;
	length = (size_t)(close - content);
	if (length >= CDATA_LIFT_MIN && feed_cdata_valid(content, length)) {
		lift(cdata, *copied, (size_t)(content - cdata->text), length);
		*copied = close;
	}
	return close + 3;
}

int
feed_cdata_lift(struct feed_cdata *cdata, const char *text, size_t length)
{
	const char *at = text, *end = text + length, *copied = text;

	memset(cdata, 0, sizeof(*cdata));
	cdata->text = text;
	while (at != NULL && (at = memchr(at, '<', (size_t)(end - at))) != NULL) {
		if (end - at >= 9 && memcmp(at, "<![CDATA[", 9) == 0)
			at = section(cdata, at + 9, end, &copied);
		else
			at = markup_end(at, end);
	}
	if (cdata->count > 0)
		buffer_append(&cdata->lifted, copied, (size_t)(end - copied));
	return (int)cdata->count;
}

struct restore {
	struct feed_cdata *cdata;
	size_t		 next;		/* the number the next marker must have */
	struct buffer	 out;
	int		 failed;
};

/* The marker at mark: append what it stands for; the text after it, NULL when it is none. */
static const char *
restore_marker(struct restore *restore, const char *mark)
{
	const char *at = mark + MARK_LENGTH;
	size_t number = 0;

	if (*at < '0' || *at > '9')
		return NULL;
	while (*at >= '0' && *at <= '9' && number <= restore->cdata->count)
		number = number * 10 + (size_t)(*at++ - '0');
	if (number != restore->next || number >= restore->cdata->count ||
	    memcmp(at, MARK_CLOSE, MARK_LENGTH) != 0)
		return NULL;
	buffer_append(&restore->out, restore->cdata->text + restore->cdata->spans[number].start,
	    restore->cdata->spans[number].length);
	restore->next++;
	return at + MARK_LENGTH;
}

/* A text node's markers replaced by their content. */
static void
restore_text(struct restore *restore, xmlNodePtr node)
{
	const char *text = (const char *)node->content, *mark;

	if (text == NULL || (mark = strstr(text, MARK_OPEN)) == NULL)
		return;
	buffer_reset(&restore->out);
	do {
		buffer_append(&restore->out, text, (size_t)(mark - text));
		if ((text = restore_marker(restore, mark)) == NULL) {
			restore->failed = 1;
			return;
		}
	} while ((mark = strstr(text, MARK_OPEN)) != NULL);
	buffer_append_string(&restore->out, text);
	xmlNodeSetContentLen(node, (const xmlChar *)restore->out.data, (int)restore->out.length);
}

static void
restore_nodes(struct restore *restore, xmlNodePtr node)
{
	for (; node != NULL && !restore->failed; node = node->next) {
		if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE)
			restore_text(restore, node);
		else if (node->type == XML_ELEMENT_NODE)
			restore_nodes(restore, node->children);
	}
}

int
feed_cdata_restore(struct feed_cdata *cdata, xmlDocPtr document)
{
	struct restore restore = { .cdata = cdata };

	restore_nodes(&restore, document->children);
	buffer_free(&restore.out);
	return restore.failed || restore.next != cdata->count ? -1 : 0;
}

void
feed_cdata_clear(struct feed_cdata *cdata)
{
	free(cdata->spans);
	buffer_free(&cdata->lifted);
	memset(cdata, 0, sizeof(*cdata));
}
