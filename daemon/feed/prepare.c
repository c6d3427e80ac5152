/*
 * prepare.c - the pass over decoded XML that runs before libxml2 sees it.
 *
 * It makes the parser safe and real-world feeds parseable:
 *  - the DOCTYPE is removed (its newlines kept, so line numbers hold), so libxml2 never sees an
 *    entity declaration: nothing external is loaded and nothing recursive expanded (billion
 *    laughs, XXE). The internal subset's plain internal entities are expanded instead
 *    (dtd.c says which, and how many);
 *  - HTML 4 named entities (&nbsp; &mdash; &eacute; ...) become numeric character references,
 *    numeric references to C1 code points are read as windows-1252 (&#146; is a quote), and
 *    references to characters XML forbids become U+FFFD;
 *  - HTML's legacy entities need no ';' (&copy 2025), as HTML reads them, except before '=';
 *  - a bare '&' or an unknown entity becomes &amp; and a '<' that cannot start markup &lt;;
 *  - unclosed HTML void elements (<br>, <img>) in unescaped descriptions are closed.
 * Comments, CDATA sections and processing instructions are copied untouched.
 *
 * It streams: feed_preparer_read() pulls decoded pieces from the decoder and writes prepared
 * text straight into the caller's buffer (libxml2's input buffer). It is a state machine (text,
 * tag, comment/CDATA/PI up to its end marker, DOCTYPE, dropped end tag), so a construct may
 * straddle pieces; the few decisions that need bytes ahead (an entity: 41 bytes at most; what
 * a '<' starts: 10) join the end of one piece and the start of the next in a small carry
 * buffer. An end marker cut in two is found with the last bytes copied. Output that does not
 * fit the caller's buffer (one replacement, 16 bytes at most) waits in a spill buffer.
 * The references and entities at an '&' that are not kept as they are are rewritten by
 * prepare_entities.c; the state and the output it shares are in prepare_internal.h.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "prepare_internal.h"

#define MARKUP_LOOKAHEAD	10	/* "<!DOCTYPE", "<![CDATA[", "</" + 7 name characters + 1 */

struct feed_preparer *
feed_preparer_new(struct feed_decoder *decoder)
{
	struct feed_preparer *preparer = xcalloc(1, sizeof(*preparer));

	preparer->decoder = decoder;
	return preparer;
}

void
feed_preparer_free(struct feed_preparer *preparer)
{
	if (preparer == NULL)
		return;
	feed_dtd_clear(&preparer->dtd);
	free(preparer->spill);
	free(preparer);
}

unsigned
feed_preparer_problems(const struct feed_preparer *preparer)
{
	return preparer->problems | preparer->dtd.problems |
	    feed_decoder_problems(preparer->decoder);
}

/* ---- input: the current piece, or the carry ---- */

/* The decoded text at hand, NULL at the end of the document. */
static const char *
window(struct feed_preparer *preparer, size_t *length)
{
	for (;;) {
		if (preparer->in_carry) {
			if (preparer->carry_position < preparer->carry_length) {
				*length = preparer->carry_length - preparer->carry_position;
				return preparer->carry + preparer->carry_position;
			}
			preparer->in_carry = 0;
		}
		if (preparer->piece_position < preparer->piece_length) {
			*length = preparer->piece_length - preparer->piece_position;
			return preparer->piece + preparer->piece_position;
		}
		if (preparer->decoder_done) {
			*length = 0;
			return NULL;
		}
		preparer->piece_length = feed_decoder_next(preparer->decoder, &preparer->piece);
		preparer->piece_position = 0;
		preparer->decoder_done = preparer->piece_length == 0;
	}
}

/* Move bytes of the following pieces into the carry until it holds want bytes. */
static void
fill_carry(struct feed_preparer *preparer, size_t want)
{
	while (preparer->carry_length < want) {
		size_t take;

		if (preparer->piece_position == preparer->piece_length) {
			if (preparer->decoder_done)
				return;
			preparer->piece_length = feed_decoder_next(preparer->decoder,
			    &preparer->piece);
			preparer->piece_position = 0;
			if ((preparer->decoder_done = preparer->piece_length == 0))
				return;
		}
		take = preparer->piece_length - preparer->piece_position;
		if (take > want - preparer->carry_length)
			take = want - preparer->carry_length;
		memcpy(preparer->carry + preparer->carry_length,
		    preparer->piece + preparer->piece_position, take);
		preparer->carry_length += take;
		preparer->piece_position += take;
	}
}

/*
 * The text at hand with at least want bytes in one run, fewer only where the document ends
 * (so *length may be compared as the original whole-document pass compared what was left).
 */
const char *
feed_preparer_lookahead(struct feed_preparer *preparer, size_t want, size_t *length)
{
	const char *text = window(preparer, length);

	if (text == NULL || *length >= want)
		return text;
	if (preparer->in_carry)
		memmove(preparer->carry, text, *length);
	else {
		memcpy(preparer->carry, text, *length);
		preparer->piece_position += *length;
		preparer->in_carry = 1;
	}
	preparer->carry_length = *length;
	preparer->carry_position = 0;
	fill_carry(preparer, want);
	*length = preparer->carry_length;
	return preparer->carry;
}

/* ---- markup ---- */

static int
is_name_start(char character)
{
	return isalpha((unsigned char)character) || character == '_' || character == ':' ||
	    (unsigned char)character >= 0x80;
}

static int
is_name_character(char character)
{
	return isalnum((unsigned char)character) || character == '_' || character == ':' ||
	    character == '-' || character == '.';
}

/*
 * HTML void elements written unescaped in a description (<br>, <img ...>) are never closed,
 * which would swallow the rest of the item; no feed vocabulary uses these unprefixed names
 * (<link> is RSS's and <source> Atom's, so they are not among them).
 */
static int
is_html_void(const char *name, size_t length)
{
	static const struct {
		const char	*name;
		size_t		 length;
	} names[] = {
		{ "br", 2 }, { "hr", 2 }, { "img", 3 }, { "wbr", 3 }, { "input", 5 }, { "meta", 4 },
		{ "area", 4 }, { "col", 3 }, { "embed", 5 }, { "param", 5 }, { "track", 5 }
	};
	int first = tolower((unsigned char)name[0]);

	if (length < 2 || length > 6)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].length == length && names[i].name[0] == first &&
		    strncasecmp(name, names[i].name, length) == 0)
			return 1;
	return 0;
}

/* Comment, CDATA or PI: its opening is copied; the rest up to marker, by copy_through. */
static void
start_copy_through(struct feed_preparer *preparer, const char *opening, size_t length,
    const char *marker)
{
	preparer->marker = marker;
	preparer->marker_length = strlen(marker);
	/* the marker is looked for from the '<' on: "<!-->" is a whole comment */
	preparer->recent_length = preparer->marker_length - 1;
	memcpy(preparer->recent, opening + length - preparer->recent_length,
	    preparer->recent_length);
	emit(preparer, opening, length);
	advance(preparer, length);
	preparer->state = STATE_COPY_THROUGH;
}

/* A start or end tag at '<' (lookahead text, available bytes). */
static void
start_tag(struct feed_preparer *preparer, const char *text, size_t available)
{
	int end_tag = text[1] == '/';
	size_t name_start = 1 + (size_t)end_tag, name_length = 0;

	while (name_start + name_length < available &&
	    is_name_character(text[name_start + name_length]))
		name_length++;
	/* a name running to the end of the lookahead is longer than any void element's */
	preparer->void_element = is_html_void(text + name_start, name_length);
	if (preparer->void_element && end_tag) {
		/* </br>: drop it, the start tag is closed already */
		preparer->problems |= FEED_PROBLEM_UNCLOSED_TAG;
		preparer->state = STATE_DROP_TAG;
		return;
	}
	emit(preparer, "<", 1);
	advance(preparer, 1);
	preparer->quote = 0;
	preparer->state = STATE_TAG;
}

/* At '<': what it starts. */
static void
scan_markup(struct feed_preparer *preparer)
{
	size_t available;
	const char *text = feed_preparer_lookahead(preparer, MARKUP_LOOKAHEAD, &available);
	char next = available > 1 ? text[1] : '\0';

	if (available >= 4 && memcmp(text, "<!--", 4) == 0)
		start_copy_through(preparer, text, 4, "-->");
	else if (available >= 9 && memcmp(text, "<![CDATA[", 9) == 0)
		start_copy_through(preparer, text, 9, "]]>");
	else if (available >= 2 && memcmp(text, "<?", 2) == 0)
		start_copy_through(preparer, text, 2, "?>");
	else if (next == '!' && available >= 9 && strncasecmp(text, "<!DOCTYPE", 9) == 0) {
		preparer->quote = 0;
		preparer->bracket_depth = 0;
		preparer->state = STATE_DOCTYPE;
	} else if (is_name_start(next) || (next == '/' && available > 2 &&
	    is_name_start(text[2])))
		start_tag(preparer, text, available);
	else {
		preparer->problems |= FEED_PROBLEM_STRAY_LESS_THAN;
		emit_string(preparer, "&lt;");
		advance(preparer, 1);
	}
}

/* Bytes before the first '<' or '&'. */
static size_t
plain_run(const char *text, size_t length)
{
	size_t position = 0;

#ifdef __SSE2__
	const __m128i less_than = _mm_set1_epi8('<'), ampersand = _mm_set1_epi8('&');

	while (position + 16 <= length) {
		__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(text + position));
		int found = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, less_than),
		    _mm_cmpeq_epi8(bytes, ampersand)));

		if (found != 0)
			return position + (size_t)__builtin_ctz((unsigned)found);
		position += 16;
	}
#endif
	while (position < length && text[position] != '<' && text[position] != '&')
		position++;
	return position;
}

/*
 * Length of the entity or character reference at text that the pass keeps as it is (&lt;
 * &gt; &amp; &quot; &apos;, and &#N; in decimal for a character XML allows, outside C1),
 * 0 for any other: the common case, copied with the text around it.
 */
static size_t
kept_reference(const char *text, size_t length)
{
	unsigned long codepoint = 0;
	size_t index = 2;

	if (length >= 4 && text[2] == 't' && text[3] == ';' && (text[1] == 'l' || text[1] == 'g'))
		return 4;
	if (length >= 5 && memcmp(text, "&amp;", 5) == 0)
		return 5;
	if (length >= 6 && (memcmp(text, "&quot;", 6) == 0 || memcmp(text, "&apos;", 6) == 0))
		return 6;
	if (length < 4 || text[1] != '#' || text[2] < '1' || text[2] > '9')
		return 0;
	while (index < length && index < 9 && text[index] >= '0' && text[index] <= '9')
		codepoint = codepoint * 10 + (unsigned long)(text[index++] - '0');
	if (index >= length || text[index] != ';' || (codepoint >= 0x80 && codepoint <= 0x9F) ||
	    !is_xml_char(codepoint))
		return 0;
	return index + 1;
}

/* ---- the states; each returns 0 at the end of the document ---- */

static int
text_step(struct feed_preparer *preparer)
{
	size_t length, run;
	const char *text = window(preparer, &length);

	if (text == NULL)
		return 0;
	run = plain_run(text, length);
	while (run < length && text[run] == '&') {
		size_t kept = kept_reference(text + run, length - run);

		if (kept == 0)
			break;
		run += kept;
		run += plain_run(text + run, length - run);
	}
	if (run > 0) {
		if (run > room(preparer))
			run = room(preparer);
		copy_out(preparer, text, run);
		advance(preparer, run);
	} else if (text[0] == '<')
		scan_markup(preparer);
	else
		feed_preparer_fix_entity(preparer);
	return 1;
}

/* The bytes tag_step stops at: outside quotes, inside "...", inside '...'. */
static const unsigned char tag_stops[3][256] = {
	{ ['"'] = 1, ['\''] = 1, ['<'] = 1, ['>'] = 1 },
	{ ['"'] = 1, ['&'] = 1, ['<'] = 1 },
	{ ['\''] = 1, ['&'] = 1, ['<'] = 1 },
};

/* A start or end tag: copied, with entities in attribute values fixed. */
static int
tag_step(struct feed_preparer *preparer)
{
	size_t length, position = 0;
	const char *text = window(preparer, &length);
	char character = 0;

	if (text == NULL)
		return 0;
	if (length > room(preparer))
		length = room(preparer);
	for (;;) {
		const unsigned char *stops = tag_stops[preparer->quote == 0 ? 0 :
		    preparer->quote == '"' ? 1 : 2];

		while (position < length && !stops[(unsigned char)text[position]])
			position++;
		if (position == length)
			break;
		character = text[position];
		if (preparer->quote != 0 && character == preparer->quote)
			preparer->quote = 0;
		else if (preparer->quote == 0 && (character == '"' || character == '\''))
			preparer->quote = character;
		else
			break;
		position++;
	}
	copy_out(preparer, text, position);
	advance(preparer, position);
	if (position == length)
		return 1;
	if (character == '&')
		feed_preparer_fix_entity(preparer);
	else if (character == '<' && preparer->quote != 0) {
		emit_string(preparer, "&lt;");
		advance(preparer, 1);
	} else if (character == '<')
		preparer->state = STATE_TEXT;	/* an unclosed tag: let libxml2 recover */
	else {
		if (preparer->void_element && preparer->last_out != '/') {
			preparer->problems |= FEED_PROBLEM_UNCLOSED_TAG;
			emit(preparer, "/", 1);
		}
		emit(preparer, ">", 1);
		advance(preparer, 1);
		preparer->state = STATE_TEXT;
	}
	return 1;
}

/* Remember the last bytes copied, for an end marker cut by the end of a piece. */
static void
remember_recent(struct feed_preparer *preparer, const char *text, size_t count)
{
	size_t keep = preparer->marker_length - 1;
	char joined[4];
	size_t joined_length;

	if (count >= keep) {
		memcpy(preparer->recent, text + count - keep, keep);
		preparer->recent_length = keep;
		return;
	}
	memcpy(joined, preparer->recent, preparer->recent_length);
	memcpy(joined + preparer->recent_length, text, count);
	joined_length = preparer->recent_length + count;
	if (joined_length > keep) {
		memmove(joined, joined + joined_length - keep, keep);
		joined_length = keep;
	}
	memcpy(preparer->recent, joined, joined_length);
	preparer->recent_length = joined_length;
}

/* Bytes of text that finish a marker begun in the recent bytes; 0 if none does. */
static size_t
marker_across(const struct feed_preparer *preparer, const char *text, size_t length)
{
	char joined[6];
	size_t head = length < preparer->marker_length - 1 ? length :
	    preparer->marker_length - 1;
	size_t joined_length = preparer->recent_length + head;

	memcpy(joined, preparer->recent, preparer->recent_length);
	memcpy(joined + preparer->recent_length, text, head);
	for (size_t start = 0; start < preparer->recent_length; start++)
		if (start + preparer->marker_length <= joined_length &&
		    memcmp(joined + start, preparer->marker, preparer->marker_length) == 0)
			return start + preparer->marker_length - preparer->recent_length;
	return 0;
}

/*
 * The first whole end marker in text. memchr looks for the marker's first byte: a CDATA
 * section of HTML has a '>' every few words but hardly ever a ']' (looking for the '>' as
 * before cost ~3.5K instructions an article-size item).
 */
static const char *
find_marker(const struct feed_preparer *preparer, const char *text, size_t length)
{
	const char *marker = preparer->marker, *at = text, *last;
	size_t marker_length = preparer->marker_length;

	if (length < marker_length)
		return NULL;
	last = text + length - marker_length;	/* the last place a whole marker starts */
	while (at <= last && (at = memchr(at, marker[0], (size_t)(last - at) + 1)) != NULL) {
		if (at[1] == marker[1] && (marker_length == 2 || at[2] == marker[2]))
			return at;
		at++;
	}
	return NULL;
}

/* Copy through the end marker (or to the end of the document). */
static int
copy_through_step(struct feed_preparer *preparer)
{
	size_t length, count, through;
	const char *text = window(preparer, &length);
	const char *found;

	if (text == NULL)
		return 0;
	if ((through = marker_across(preparer, text, length)) > 0) {
		emit(preparer, text, through);
		advance(preparer, through);
		preparer->state = STATE_TEXT;
		return 1;
	}
	found = find_marker(preparer, text, length);
	through = found != NULL ? (size_t)(found - text) + preparer->marker_length : length;
	count = through < room(preparer) ? through : room(preparer);
	copy_out(preparer, text, count);
	remember_recent(preparer, text, count);
	advance(preparer, count);
	if (found != NULL && count == through)
		preparer->state = STATE_TEXT;
	return 1;
}

/* Skip <!DOCTYPE ...[...]>, keeping only its newlines. */
static int
doctype_step(struct feed_preparer *preparer)
{
	size_t length, position = 0;
	const char *text = window(preparer, &length);

	if (text == NULL)
		return 0;
	while (position < length && room(preparer) > 0) {
		char character = text[position++];

		feed_dtd_append(&preparer->dtd, character);
		if (character == '\n')
			emit(preparer, "\n", 1);
		if (preparer->quote != 0) {
			if (character == preparer->quote)
				preparer->quote = 0;
		} else if (character == '"' || character == '\'')
			preparer->quote = character;
		else if (character == '[')
			preparer->bracket_depth++;
		else if (character == ']' && preparer->bracket_depth > 0)
			preparer->bracket_depth--;
		else if (character == '>' && preparer->bracket_depth == 0) {
			preparer->state = STATE_TEXT;
			feed_dtd_finish(&preparer->dtd);
			break;
		}
	}
	advance(preparer, position);
	return 1;
}

static int
drop_tag_step(struct feed_preparer *preparer)
{
	size_t length;
	const char *text = window(preparer, &length);
	const char *close;

	if (text == NULL)
		return 0;
	if ((close = memchr(text, '>', length)) != NULL) {
		advance(preparer, (size_t)(close - text) + 1);
		preparer->state = STATE_TEXT;
	} else
		advance(preparer, length);
	return 1;
}

size_t
feed_preparer_read(struct feed_preparer *preparer, char *buffer, size_t size)
{
	int more = 1;

	preparer->out = buffer;
	preparer->out_length = 0;
	preparer->out_size = size;
	while (preparer->out_length < size && more) {
		if (preparer->spill_position < preparer->spill_length) {
			size_t count = preparer->spill_length - preparer->spill_position;

			if (count > room(preparer))
				count = room(preparer);
			memcpy(buffer + preparer->out_length,
			    preparer->spill + preparer->spill_position, count);
			preparer->out_length += count;
			preparer->spill_position += count;
			continue;
		}
		preparer->spill_position = preparer->spill_length = 0;
		switch (preparer->state) {
		case STATE_TEXT:
			more = text_step(preparer);
			break;
		case STATE_TAG:
			more = tag_step(preparer);
			break;
		case STATE_COPY_THROUGH:
			more = copy_through_step(preparer);
			break;
		case STATE_DOCTYPE:
			more = doctype_step(preparer);
			break;
		case STATE_DROP_TAG:
			more = drop_tag_step(preparer);
			break;
		}
	}
	preparer->out = NULL;
	return preparer->out_length;
}
