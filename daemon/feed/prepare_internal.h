/*
 * prepare_internal.h - what the two files of the XML pre-pass share (not an interface of the
 * feed parser): the preparer's state, writing out (the caller's buffer, then the spill) and
 * moving on in the input, all in prepare.c but for the entity and character references
 * (prepare_entities.c).
 */
#ifndef WIRESIFT_FEED_PREPARE_INTERNAL_H
#define WIRESIFT_FEED_PREPARE_INTERNAL_H

#include <stddef.h>
#include <string.h>

#include "feed_internal.h"

enum prepare_state {
	STATE_TEXT,		/* character data: looking for '<' and '&' */
	STATE_TAG,		/* inside a start or end tag, after its '<' */
	STATE_COPY_THROUGH,	/* comment, CDATA section or PI: copied up to its end marker */
	STATE_DOCTYPE,		/* dropped, newlines kept */
	STATE_DROP_TAG		/* </br> and friends: dropped through '>' */
};

struct feed_preparer {
	struct feed_decoder *decoder;
	const char	*piece;		/* decoded text being read */
	size_t		 piece_length;
	size_t		 piece_position;
	int		 decoder_done;
	char		 carry[64];	/* a lookahead joined across pieces */
	size_t		 carry_length;
	size_t		 carry_position;
	int		 in_carry;	/* reading the carry, then the rest of the piece */
	enum prepare_state state;
	char		 quote;		/* tag, DOCTYPE: the quote we are inside, or 0 */
	int		 void_element;	/* tag: an HTML void element, closed with "/>" */
	int		 bracket_depth;	/* DOCTYPE: its internal subset */
	const char	*marker;	/* copy-through: "-->", "]]>" or "?>" */
	size_t		 marker_length;
	char		 recent[2];	/* copy-through: the last bytes copied */
	size_t		 recent_length;
	char		*out;		/* the caller's buffer */
	size_t		 out_length;
	size_t		 out_size;
	char		 last_out;	/* the last byte written */
	char		*spill;		/* written but not yet in a caller's buffer */
	size_t		 spill_capacity;
	size_t		 spill_length;
	size_t		 spill_position;
	struct feed_dtd	 dtd;		/* the internal subset's entities (dtd.c) */
	unsigned	 problems;	/* FEED_PROBLEM_* */
};

/* ---- input: the current piece, or the carry ---- */

static inline void
advance(struct feed_preparer *preparer, size_t count)
{
	if (preparer->in_carry)
		preparer->carry_position += count;
	else
		preparer->piece_position += count;
}

/*
 * The text at hand with at least want bytes in one run, fewer only where the document ends
 * (prepare.c).
 */
const char *feed_preparer_lookahead(struct feed_preparer *preparer, size_t want,
	    size_t *length);

/* ---- output: the caller's buffer, then the spill ---- */

static inline size_t
room(const struct feed_preparer *preparer)
{
	return preparer->out_size - preparer->out_length;
}

/* Copy count bytes, all of which fit (count <= room). */
static inline void
copy_out(struct feed_preparer *preparer, const char *text, size_t count)
{
	if (count == 0)
		return;
	memcpy(preparer->out + preparer->out_length, text, count);
	preparer->out_length += count;
	preparer->last_out = text[count - 1];
}

/* Write a short replacement; what does not fit waits in the spill. */
static inline void
emit(struct feed_preparer *preparer, const char *text, size_t count)
{
	size_t now = count < room(preparer) ? count : room(preparer);

	copy_out(preparer, text, now);
	if (now < count) {
		if (preparer->spill_length + count - now > preparer->spill_capacity) {
			preparer->spill_capacity = preparer->spill_length + count - now + 64;
			preparer->spill = xrealloc(preparer->spill, preparer->spill_capacity);
		}
		memcpy(preparer->spill + preparer->spill_length, text + now, count - now);
		preparer->spill_length += count - now;
	}
	preparer->last_out = text[count - 1];
}

static inline void
emit_string(struct feed_preparer *preparer, const char *text)
{
	emit(preparer, text, strlen(text));
}

/* Whether XML allows the character. */
static inline int
is_xml_char(unsigned long codepoint)
{
	return codepoint == 0x9 || codepoint == 0xA || codepoint == 0xD ||
	    (codepoint >= 0x20 && codepoint <= 0xD7FF) ||
	    (codepoint >= 0xE000 && codepoint <= 0xFFFD) ||
	    (codepoint >= 0x10000 && codepoint <= 0x10FFFF);
}

/* ---- prepare_entities.c ---- */

/* At '&': an entity or character reference, kept or rewritten, or a bare '&' escaped. */
void	feed_preparer_fix_entity(struct feed_preparer *preparer);

#endif
