/*
 * extract_skim.c - a page without the parts no extraction reads, before libxml2 parses it:
 * <script> (but JSON-LD), <style> and <svg> elements with all they hold, and comments. Half
 * the bytes of real article pages are those (51% of Readability's 130 test pages), and
 * libxml2 decodes each of their characters into text nodes that would only be thrown away;
 * skimming first nearly halves the parse. The scan follows the HTML tokenizer where it
 * matters: a comment runs to "-->", a script or style is raw text up to its end tag, so
 * markup-like text inside either is skipped with it. Everything else is copied unchanged.
 */
#include <string.h>
#include <strings.h>

#include "extract_internal.h"

struct skipped {
	const char *name;
	size_t	 length;
};

static const struct skipped skipped[] = {
	{ "script", 6 }, { "style", 5 }, { "svg", 3 },
};

static int
is_name_end(char c)
{
	return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f';
}

/* The end of the tag that starts at `at` ('<'), or NULL when it does not end. */
static const char *
tag_end(const char *at, const char *end)
{
	const char *close = memchr(at, '>', (size_t)(end - at));

	return close ? close + 1 : NULL;
}

/* Does the start tag [at, close) declare JSON-LD (type="application/ld+json")? */
static int
is_json_ld(const char *at, const char *close)
{
	return memmem(at, (size_t)(close - at), "ld+json", 7) != NULL;
}

/* Where the element opened at `at` ends (after its end tag), or NULL to keep it. */
static const char *
skip_element(const char *at, const char *end)
{
	for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
		size_t length = skipped[i].length;
		const char *close, *search;

		if ((size_t)(end - at) < length + 2 ||
		    strncasecmp(at + 1, skipped[i].name, length) != 0 ||
		    !is_name_end(at[1 + length]))
			continue;
		if ((close = tag_end(at, end)) == NULL)
			return NULL;
		if (i == 0 && is_json_ld(at, close))
			return NULL;
		for (search = close; (search = memchr(search, '<', (size_t)(end - search)));
		    search++)
			if ((size_t)(end - search) >= length + 2 && search[1] == '/' &&
			    strncasecmp(search + 2, skipped[i].name, length) == 0)
				return tag_end(search, end) ? tag_end(search, end) : end;
		return end;
	}
	return NULL;
}

char *
page_skim(const char *html, size_t length, size_t *skimmed_length)
{
	const char *at = html, *end = html + length, *copied = html, *next;
	struct buffer out = { 0 };

	buffer_reserve(&out, length);
	while ((at = memchr(at, '<', (size_t)(end - at))) != NULL) {
		next = NULL;
		if ((size_t)(end - at) < 4 || (at[1] != '!' && (at[1] | 0x20) != 's')) {
			at++;	/* neither a comment nor script, style or svg */
			continue;
		}
		if (memcmp(at, "<!--", 4) == 0) {
			const char *close = memmem(at + 4, (size_t)(end - at - 4), "-->", 3);

			next = close ? close + 3 : end;
		} else
			next = skip_element(at, end);
		if (next == NULL) {
			at++;
			continue;
		}
		buffer_append(&out, copied, (size_t)(at - copied));
		buffer_append(&out, " ", 1);	/* as the element's break would */
		at = copied = next;
	}
	buffer_append(&out, copied, (size_t)(end - copied));
	*skimmed_length = out.length;
	return buffer_steal(&out);
}
