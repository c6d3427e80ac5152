/*
 * extract_skim.c - a page without the parts no extraction reads, before its tree is built:
 * <script> (but JSON-LD), <style> and <svg> elements with all they hold, comments, the
 * attributes of start tags that nothing reads, and the length of blank runs. Real article
 * pages are mostly such bytes: of Readability's 130 test pages, scripts, styles, SVG and
 * comments are 51%; of what is left, 46% is start tags' attributes (three quarters of them
 * neither class, id, style nor a hidden mark: href, src, srcset, title, onclick, data-*) and
 * 31% blank runs. libxml2 decodes each of those characters into nodes that would only be
 * thrown away (a style that says neither display nor visibility too: is_hidden reads no more).
 *
 * The scan follows libxml2 2.9.14's HTML tokenizer (htmlParseStartTag, htmlParseAttribute,
 * htmlParseEndTag, htmlParseScript): a comment runs to "-->"; a script or style is raw text
 * up to an end tag of exactly its name (a JSON-LD script is copied whole); a start tag is
 * read attribute by attribute (names of at most 100 characters, bogus ones skipped to a
 * blank, unquoted values up to a blank or '>'), an end tag up to its '>'; '<' starting none
 * of them is text, a doctype inside the document makes a '<' after it text. With the flags:
 * a start tag keeps its name and the attributes the extractor reads (every one on the tags of
 * kept_whole, and all of them on a page a site rule covers); text outside pre-like elements
 * has each blank run as one blank. A tag running to the end of the page leaves the rest as it
 * is. test_skim compares libxml2's trees of pages skimmed with and without the flags.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "extract_internal.h"

#define HTML_NAME_MAX	100	/* libxml2's HTML_PARSER_BUFFER_SIZE */

struct skipped {
	const char *name;
	size_t	 length;
};

static const struct skipped skipped[] = {
	{ "script", 6 }, { "style", 5 }, { "svg", 3 },
};

/* What extract_dom.c, extract_hints.c and html_text.c read of an element in <body>. */
static const char *const kept_attributes[] = {
	"aria-hidden", "class", "hidden", "id", "style",
};

/* Start tags copied whole: metadata (extract_meta.c) and the document's frame. */
static const char *const kept_whole[] = {
	"base", "body", "head", "html", "link", "meta", "script", "time",
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';	/* libxml2's IS_BLANK_CH */
}

static int
is_name_end(char c)
{
	return c == '>' || c == '/' || is_blank(c) || c == '\f';
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_name_char(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
	    c == '.';
}

/* Is name (length bytes, any case) one of list's? */
static int
is_listed(const char *name, size_t length, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if ((name[0] | 0x20) == list[i][0] && strlen(list[i]) == length &&
		    strncasecmp(name, list[i], length) == 0)
			return 1;
	return 0;
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

/*
 * After the end tag "</name" of a raw-text element whose content starts at from: an end tag
 * of another name ("</scripts>") leaves libxml2 in the element.
 */
static const char *
raw_text_end(const char *from, const char *end, const char *name, size_t length)
{
	for (const char *search = from; (search = memchr(search, '<', (size_t)(end - search)));
	    search++)
		if ((size_t)(end - search) >= length + 3 && search[1] == '/' &&
		    strncasecmp(search + 2, name, length) == 0 && !is_name_char(search[2 + length]))
			return tag_end(search, end) ? tag_end(search, end) : end;
	return end;
}

/*
 * Where the element opened at `at` ends (after its end tag), or NULL to keep it; *kept set
 * to the end of a JSON-LD script, which is kept whole.
 */
static const char *
skip_element(const char *at, const char *end, const char **kept)
{
	for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++) {
		size_t length = skipped[i].length;
		const char *close;

		if ((size_t)(end - at) < length + 2 ||
		    strncasecmp(at + 1, skipped[i].name, length) != 0 ||
		    !is_name_end(at[1 + length]))
			continue;
		if ((close = tag_end(at, end)) == NULL)
			return NULL;
		if (i == 0 && is_json_ld(at, close)) {
			*kept = raw_text_end(close, end, skipped[i].name, length);
			return NULL;
		}
		return raw_text_end(close, end, skipped[i].name, length);
	}
	return NULL;
}

/* A name as libxml2's htmlParseHTMLName reads it (at most 100 characters): its end. */
static const char *
html_name_end(const char *p, const char *end)
{
	const char *limit = (size_t)(end - p) > HTML_NAME_MAX ? p + HTML_NAME_MAX : end;

	if (p >= end || !(is_letter(*p) || *p == '_' || *p == ':' || *p == '.'))
		return p;
	while (p < limit && is_name_char(*p))
		p++;
	return p;
}

/* One attribute value at p (after '='), as htmlParseAttValue reads it: its end, or NULL. */
static const char *
attribute_value_end(const char *p, const char *end)
{
	if (p < end && (*p == '"' || *p == '\'')) {
		const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));

		return close ? close + 1 : NULL;	/* unclosed: the rest of the page */
	}
	while (p < end && !is_blank(*p) && *p != '>')
		p++;
	return p;
}

/*
 * One attribute at p as htmlParseAttribute reads it: name [= value]. Its end, with
 * *name_length 0 for a bogus one (skipped up to a blank or the tag's end); NULL when it
 * runs to the end of the page.
 */
static const char *
attribute_end(const char *p, const char *end, size_t *name_length)
{
	const char *name = p, *after;

	if ((p = html_name_end(p, end)) == name) {
		*name_length = 0;
		while (p < end && !is_blank(*p) && *p != '>' && !(*p == '/' && p + 1 < end &&
		    p[1] == '>'))
			p++;
		return p < end ? p : NULL;
	}
	*name_length = (size_t)(p - name);
	for (after = p; after < end && is_blank(*after); after++)
		;
	if (after >= end || *after != '=')
		return p;
	for (after++; after < end && is_blank(*after); after++)
		;
	return attribute_value_end(after, end);
}

/*
 * Is the attribute [name, end) a style that cannot hide its element? is_hidden() looks for
 * display and visibility only; a value with a character reference is kept, whatever it says.
 */
static int
is_plain_style(const char *name, size_t name_length, const char *end)
{
	if (name_length != 5 || strncasecmp(name, "style", 5) != 0)
		return 0;
	for (const char *at = name + 5; at < end; at++) {
		size_t left = (size_t)(end - at);

		if (*at == '&' || (left >= 7 && strncasecmp(at, "display", 7) == 0) ||
		    (left >= 10 && strncasecmp(at, "visibility", 10) == 0))
			return 0;
	}
	return 1;
}

/*
 * The start tag at `at` ('<' and a letter) into out, as htmlParseStartTag reads it: without
 * the attributes nothing reads when drop_attributes (a kept one after one space, bogus ones
 * gone), else as it is. Returns the tag's end, or NULL (nothing written) when the tag runs
 * to the end of the page.
 */
static const char *
skim_start_tag(const char *at, const char *end, int drop_attributes, struct buffer *out)
{
	const char *p = html_name_end(at + 1, end), *after = p;
	size_t marks = out->length, name_length;
	int keep_all;

	keep_all = !drop_attributes || is_listed(at + 1, (size_t)(p - at - 1), kept_whole,
	    sizeof kept_whole / sizeof kept_whole[0]);
	if (!keep_all)
		buffer_append(out, at, (size_t)(p - at));
	for (;;) {
		while (p < end && is_blank(*p))
			p++;
		if (p >= end || *p == '>' || (*p == '/' && p + 1 < end && p[1] == '>'))
			break;
		if ((after = attribute_end(p, end, &name_length)) == NULL)
			break;
		if (!keep_all && name_length > 0 && is_listed(p, name_length, kept_attributes,
		    sizeof kept_attributes / sizeof kept_attributes[0]) &&
		    !is_plain_style(p, name_length, after)) {
			buffer_append(out, " ", 1);
			buffer_append(out, p, (size_t)(after - p));
		}
		p = after;
	}
	if (p >= end || after == NULL) {
		out->length = marks;	/* what was written of it is taken back */
		if (out->data != NULL)
			out->data[marks] = '\0';
		return NULL;
	}
	after = p + (*p == '>' ? 1 : 2);
	if (keep_all)
		buffer_append(out, at, (size_t)(after - at));
	else if (*p == '>')
		buffer_append(out, ">", 1);
	else
		buffer_append(out, " />", 3);
	return after;
}

/* The end tag at `at` ("</" and a letter) as htmlParseEndTag reads it: its end, or NULL. */
static const char *
end_tag_end(const char *at, const char *end, size_t *name_length)
{
	const char *p = html_name_end(at + 2, end), *close;

	*name_length = (size_t)(p - at - 2);
	while (p < end && is_blank(*p))
		p++;
	if ((close = memchr(p, '>', (size_t)(end - p))) == NULL)
		return NULL;
	return close + 1;	/* what stands before '>' is skipped */
}

/*
 * Elements whose text keeps its blank runs (the renderer keeps pre's; the rest alike). Where
 * libxml2 closes one is not followed: after the first, no blank run is collapsed.
 */
static int
is_preformatted(const char *name, size_t length)
{
	static const char *const names[] = { "listing", "plaintext", "pre", "textarea", "xmp" };

	return is_listed(name, length, names, sizeof names / sizeof names[0]);
}

/* Elements libxml2 reads as raw text up to their end tag. */
static int
is_raw_text(const char *name, size_t length)
{
	static const char *const names[] = { "script", "style" };

	return is_listed(name, length, names, sizeof names / sizeof names[0]);
}

/* The bytes of word that are 0 as 0x80, the others as 0 (exact, unlike the usual trick). */
static uint64_t
zero_bytes(uint64_t word)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;

	return ~(((word & low7) + low7) | word | low7);
}

/* After a blank: the end of the blank run at from, *newline set when it holds a '\n'. */
static const char *
blank_run_end(const char *from, const char *to, int *newline)
{
	const uint64_t ones = 0x0101010101010101ULL;

	while (to - from >= 8) {	/* eight blanks at a time (indentation runs are long) */
		uint64_t word, newlines;

		memcpy(&word, from, 8);
		newlines = zero_bytes(word ^ (ones * '\n'));
		if ((zero_bytes(word ^ (ones * ' ')) | zero_bytes(word ^ (ones * '\t')) | newlines |
		    zero_bytes(word ^ (ones * '\r'))) != ones * 0x80)
			break;
		*newline |= newlines != 0;
		from += 8;
	}
	for (; from < to && is_blank(*from); from++)
		*newline |= *from == '\n';
	return from;
}

/* Text into out, each run of blanks as one ("\n" when it holds one) when collapse. */
static void
copy_text(struct buffer *out, const char *from, const char *to, int collapse)
{
	char *write;

	if (!collapse || from == to) {
		buffer_append(out, from, (size_t)(to - from));
		return;
	}
	buffer_reserve(out, (size_t)(to - from) + 1);
	write = out->data + out->length;
	while (from < to) {
		char c = *from++;

		if (is_blank(c)) {
			int newline = c == '\n';

			from = blank_run_end(from, to, &newline);
			c = newline ? '\n' : c;
		}
		*write++ = c;
	}
	*write = '\0';
	out->length = (size_t)(write - out->data);
}

struct skim {
	const char *end;
	const char *copied;	/* bytes from here to the scan are not written yet */
	int	 flags;
	int	 collapse;	/* they are text whose blank runs may be collapsed */
	int	 preformatted;	/* a pre-like element opened: blank runs kept from there on */
	struct buffer out;
};

/*
 * A start or end tag at `at`: the text before it, then the tag; where the scan goes on. A
 * tag running to the end of the page (an unclosed quote, no '>') is left as it is.
 */
static const char *
skim_tag(struct skim *skim, const char *at)
{
	const char *next;
	size_t name_length;

	copy_text(&skim->out, skim->copied, at, skim->collapse);
	skim->copied = at;
	if (at[1] == '/') {
		if ((next = end_tag_end(at, skim->end, &name_length)) != NULL)
			buffer_append(&skim->out, at, (size_t)(next - at));
	} else if ((next = skim_start_tag(at, skim->end, skim->flags & SKIM_ATTRIBUTES,
	    &skim->out)) != NULL) {
		const char *name = at + 1;
		size_t length = (size_t)(html_name_end(name, skim->end) - name);

		skim->preformatted |= is_preformatted(name, length);
		if (is_raw_text(name, length)) {	/* "<script<p>": copied to its end */
			const char *close = raw_text_end(next, skim->end, name, length);

			buffer_append(&skim->out, next, (size_t)(close - next));
			next = close;
		}
	}
	if (next == NULL) {
		skim->collapse = 0;
		return skim->end;
	}
	skim->collapse = (skim->flags & SKIM_SPACES) && !skim->preformatted;
	skim->copied = next;
	return next;
}

static int
is_blank_only(const char *text, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!is_blank(text[i]))
			return 0;
	return 1;
}

/* Where the scan goes on after a '<' that starts neither a tag nor what is skipped. */
static const char *
skim_other(struct skim *skim, const char *at)
{
	const char *close;

	if (at[1] == '/')
		return at + 2;	/* "</" without a name: libxml2 drops it */
	if (!(at[1] == '?' && (is_letter(at[2]) || at[2] == '_' || at[2] == ':')) &&
	    !(at[1] == '!' && (size_t)(skim->end - at) > 9 && strncasecmp(at + 2, "DOCTYPE", 7) == 0))
		return at + 1;	/* '<' as text; "<?" without a target is dropped */
	/* a processing instruction or a doctype: up to '>', left as it is */
	copy_text(&skim->out, skim->copied, at, skim->collapse);
	skim->copied = at;
	skim->collapse = 0;
	if ((close = memchr(at, '>', (size_t)(skim->end - at))) == NULL)
		return skim->end;
	/*
	 * After a doctype inside the document libxml2 reads a '<' that starts no element,
	 * comment or PI as text ("<!DOCTYPE html></p>" is text and "/p>").
	 */
	if (at[1] == '!' && !is_blank_only(skim->out.data, skim->out.length) &&
	    (size_t)(skim->end - close) > 2 && close[1] == '<' && !is_letter(close[2]) &&
	    close[2] != '?' && !((size_t)(skim->end - close) > 4 && memcmp(close + 1, "<!--", 4) == 0))
		return close + 2;
	return close + 1;
}

/* What is skipped or copied whole at `at` ('<'), or NULL: the scan goes on after it. */
static const char *
skim_skipped(struct skim *skim, const char *at)
{
	const char *next, *kept = NULL;

	if (memcmp(at, "<!--", 4) == 0) {
		const char *close = memmem(at + 4, (size_t)(skim->end - at - 4), "-->", 3);

		next = close ? close + 3 : skim->end;
	} else if ((at[1] | 0x20) != 's' || (next = skip_element(at, skim->end, &kept)) == NULL) {
		if (kept == NULL)
			return NULL;
		copy_text(&skim->out, skim->copied, at, skim->collapse);
		buffer_append(&skim->out, at, (size_t)(kept - at));	/* JSON-LD */
		skim->copied = kept;
		return kept;
	}
	copy_text(&skim->out, skim->copied, at, skim->collapse);
	buffer_append(&skim->out, " ", 1);	/* as the element's break would */
	skim->copied = next;
	return next;
}

char *
page_skim(const char *html, size_t length, int flags, size_t *skimmed_length)
{
	struct skim skim = { .end = html + length, .copied = html,
	    .flags = flags };
	const char *at = html, *next;

	buffer_reserve(&skim.out, length);
	if (memchr(html, '\0', length) != NULL)
		skim.flags = 0;	/* libxml2 stops reading at a NUL: the page is left to it */
	while ((at = memchr(at, '<', (size_t)(skim.end - at))) != NULL) {
		if ((size_t)(skim.end - at) < 4)
			break;
		if ((next = skim_skipped(&skim, at)) != NULL)
			at = next;
		else if (is_letter(at[1]) || (at[1] == '/' && (is_letter(at[2]) || at[2] == '_' ||
		    at[2] == ':' || at[2] == '.')))
			at = skim_tag(&skim, at);
		else
			at = skim_other(&skim, at);
	}
	if (at != NULL) {	/* a '<' too near the end for a tag: left as it is */
		copy_text(&skim.out, skim.copied, at, skim.collapse);
		skim.copied = at;
		skim.collapse = 0;
	}
	copy_text(&skim.out, skim.copied, skim.end, skim.collapse);
	*skimmed_length = skim.out.length;
	return buffer_steal(&skim.out);
}
