/*
 * message_write.h - an article's message written without a jansson tree (message_write.c):
 * what article_json_without_dedup() renders, byte for byte.
 */
#ifndef WIRESIFT_MESSAGE_WRITE_H
#define WIRESIFT_MESSAGE_WRITE_H

#include "article.h"
#include "util.h"

/*
 * Append article's message, closed ("}") and NUL-terminated, to out (its text and summary
 * measured once, for the buffer's room and their writing); 0, or -1 when one of
 * its strings is not valid UTF-8 or its language confidence is not finite (out then holds
 * part of it: the caller truncates).
 */
int	 message_write(const struct article *article, struct buffer *out);

/*
 * The whole message: without_dedup (article_json_without_dedup's, left open) and the verdicts
 * ("dedup", and "story" once assigned), closed and NUL-terminated, appended to out; 0, or -1
 * as message_write (a string that is not UTF-8, a similarity that is not finite).
 */
int	 message_write_verdicts(const struct article *article, const char *without_dedup,
	    struct buffer *out);
/*
 * The verdicts alone, appended to out that already holds the open message (the loop appends
 * them in the buffer the worker wrote the message in: article_json_take()); 0 or -1 as above.
 */
int	 message_write_verdicts_after(const struct article *article, struct buffer *out);
/* "unique", "duplicate" or "unknown". */
const char *message_dedup_status(enum dedup_status status);

/*
 * The same message from a jansson tree of checked strings (article_json.c; in a json_arena when
 * the caller opens one): a string that is not valid UTF-8 is left out, as jansson leaves it.
 * What message_write's caller falls back to, and what test_message compares it with.
 */
int	 message_render(const struct article *article, struct buffer *out);
/* The verdicts from jansson trees of checked strings, as message_write_verdicts writes them. */
void	 message_render_verdicts(const struct article *article, const char *without_dedup,
	    struct buffer *out);
/* The same verdicts alone, appended to out that holds the open message. */
void	 message_render_verdicts_after(const struct article *article, struct buffer *out);

#endif
