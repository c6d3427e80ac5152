/*
 * clean.c - the cleaning stage: feed HTML (or plain text) to paragraphs of clean text, with
 * boilerplate removed by named rules, the dateline lifted out, the canonical URL and a word
 * count.
 *
 * HTML goes through libxml2's forgiving HTML parser; the tree is walked without recursion (so
 * any depth is safe) and text is written straight into one growing buffer: block elements end
 * paragraphs, embeds and page furniture (script, figure, nav, tweets...) are skipped, white
 * space and typographic noise (nbsp, zero-width characters, soft hyphens) are folded, and the
 * result is put in Unicode NFC with utf8proc. Input without block markup is plain text: each
 * line is a paragraph.
 *
 * Boilerplate rules are POSIX extended regular expressions matched per paragraph. Built-in
 * rules come first; a rules file (conf/rules/boilerplate.rules documents the format) adds to
 * them, replaces one by using its name, or disables one.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <utf8proc.h>

#include "article.h"
#include "clean.h"
#include "url.h"
#include "util.h"

#define SUMMARY_MAX_CHARS	500
#define DATELINE_SCAN_BYTES	240	/* a dateline sits in the first few words */
#define DATELINE_MAX_PARAGRAPHS	3	/* title and standfirst may precede it */
#define DATELINE_LEAD_MAX_WORDS	60	/* ... but only short ones */

enum rule_kind {
	RULE_STRIP,		/* remove each match inside a paragraph */
	RULE_DROP_PARAGRAPH,	/* remove a matching paragraph */
	RULE_DROP_AFTER		/* remove a matching paragraph and all that follow */
};

struct clean_rule {
	enum rule_kind kind;
	char	*name;
	regex_t	 regex;
	size_t	 max_words;	/* only paragraphs of at most this many words; 0: any */
	size_t	 first;		/* only within the first N paragraphs; 0: anywhere */
	size_t	 last;		/* only within the last N paragraphs; 0: anywhere */
};

struct dateline_pattern {
	regex_t	 regex;		/* group 1: the place */
	int	 agency_group;	/* group holding "(AP)", or 0 */
	int	 dash_group;	/* group holding the dash, or 0 */
};

enum { DATELINE_DASH, DATELINE_COLON, DATELINE_WIRE, DATELINE_PATTERNS };

struct clean_rules {
	struct clean_rule *rules;
	size_t	 count;
	size_t	 capacity;
	struct strlist tracking_params;	/* extra query names for url_canonical */
	struct dateline_pattern datelines[DATELINE_PATTERNS];
};

/*
 * The built-in rules, in the rules-file syntax. Each is specific on purpose: a rule that
 * could match a sentence of reporting must be limited by max-words or position.
 */
static const char *const builtin_rules[] = {
	/* stray metadata fragments scraped in front of the text */
	"strip leading-date-stamp ^date:? [0-9]{4}-[0-9]{2}-[0-9]{2}( |$)",
	"strip photo-credit-inline \\((AP |AFP |Reuters |Getty |EPA |File )?"
	    "(Photo|Photograph|Image|Picture|Pic|Video|File photo)( credit)?( ?:|/)[^)]*\\)",
	"strip file-photo-inline \\((File|Representational|Representative) "
	    "(photo|image|picture|pic)\\)",
	/* embedded posts: tweet body ending in its photo link, and the attribution line */
	"drop-paragraph tweet-body max-words=80 pic\\.twitter\\.com/[A-Za-z0-9]+[[:space:]]*$",
	"drop-paragraph tweet-attribution max-words=24 ^(—|–|-|&mdash;) ?[^()]+"
	    "\\(@[A-Za-z0-9_]+\\) (January|February|March|April|May|June|July|August|"
	    "September|October|November|December) [0-9]{1,2}, [0-9]{4}$",
	"drop-paragraph tweet-link ^https?://(www\\.|mobile\\.)?(twitter|x)\\.com/"
	    "[A-Za-z0-9_]+/status/[0-9]+[^ ]*$",
	"drop-paragraph instagram-prompt max-words=8 ^View this (post|profile) on Instagram$",
	"drop-paragraph instagram-attribution max-words=30 ^A post shared by .*\\(@[A-Za-z0-9_.]+\\)",
	"drop-paragraph bare-url ^https?://[^ ]+$",
	/* links to other stories */
	"drop-paragraph also-read max-words=40 ^(Also Read|Read Also|Also See|See Also|Read More|"
	    "More|Related|Related (Story|Stories|Article|Articles|News|Coverage|Reading)|"
	    "Recommended|Must Read|Don't Miss|Do Not Miss|You May Also Like|Also Watch|"
	    "Watch Also|Trending)[[:space:]]*:",
	/* captions and photo credits standing as their own paragraph */
	"drop-paragraph photo-credit max-words=25 ^(Photo|Photos|Photograph|Image|Images|Picture|"
	    "Pic|Video|Graphic|Illustration)( credit| courtesy| source)?[[:space:]]*:",
	"drop-paragraph photo-by max-words=25 ^(Photo|Photograph|Image|Picture)s? (by|courtesy of|"
	    "credit) ",
	"drop-paragraph file-photo max-words=30 ^(File|Representational|Representative|Handout) "
	    "(photo|image|picture|pic)\\b",
	"drop-paragraph caption-this-image first=2 max-words=40 \\b(published|posted|shared|released|"
	    "tweeted|circulated) (this|the above|the following) (image|photo|photograph|"
	    "picture|graphic|poster|video)\\b",
	/* feed footers */
	"drop-paragraph feed-footer max-words=80 ^The post .+ appeared first on .+$",
	"strip feed-footer-inline The post ([^.]|\\.[^ ])* appeared first on .*$",
	"drop-paragraph continue-reading max-words=20 ^(Continue reading|Read more|Keep reading|"
	    "Read the (full|rest of the|whole) (story|article|post)|Read full (story|article))\\b",
	"strip continue-reading-inline case (^|[[:space:]])(Continue reading|Read more|"
	    "Keep reading|Read the full story|Read full story)( [^.!?]*)?(…|\\.\\.\\.|»|›|→|"
	    "\\[…\\]|\\[\\.\\.\\.\\])?$",
	/* share and subscribe prompts */
	"drop-paragraph follow-us max-words=40 ^(Follow|Like|Find|Join) us (on|at|in)\\b",
	"drop-paragraph follow-author max-words=25 ^Follow [^ ]+( [^ ]+)? on (Twitter|X|Facebook|"
	    "Instagram|LinkedIn|Threads|Bluesky|Mastodon|Telegram|WhatsApp|Google News)\\b",
	"drop-paragraph subscribe max-words=40 ^(Subscribe|Sign up|Register) (to|for|now|here|"
	    "today)\\b",
	"drop-paragraph click-here max-words=40 ^(Click|Tap) here\\b",
	"drop-paragraph download-app max-words=30 ^Download (the|our) .*app\\b",
	"drop-paragraph share-prompt max-words=15 ^Share (this|on|via)\\b",
	"drop-paragraph share-buttons ^(Share|Tweet|Email|Print|WhatsApp|Facebook|"
	    "Twitter|LinkedIn|Copy link)( (this|article|story))?$",
	"drop-paragraph advertisement max-words=5 ^(Advertisement|Sponsored|Sponsored content|"
	    "(Story|Article) continues below( advertisement)?|Scroll to continue( with content)?)$",
	NULL
};

/* Lead words that look like a dateline in capitals but are labels. */
static const char *const dateline_labels[] = {
	"ALERT", "ANALYSIS", "BREAKING", "BREAKING NEWS", "COMMENT", "CORRECTION", "EDITORIAL", "EDITOR'S NOTE",
	"EXCLUSIVE", "EXPLAINER", "FACT CHECK", "FILE", "FLASH", "INTERVIEW", "JUST IN", "LIVE", "LIVE UPDATES", "NOTE",
	"OPINION", "PHOTO", "PHOTOS", "Q", "REVIEW", "UPDATE", "UPDATED", "URGENT", "VIDEO", "WATCH",
	NULL
};

/* ------------------------------------------------------------------------------------------ */
/* Words and UTF-8                                                                            */

/* Count words: runs of letters, digits or marks; each Han or kana character is a word. */
static size_t
count_words(const char *text, size_t length)
{
	const utf8proc_uint8_t *at = (const utf8proc_uint8_t *)text;
	const utf8proc_uint8_t *end = at + length;
	size_t words = 0;
	int in_word = 0;

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;
		int word_char;

		if (*at < 0x80) {
			word_char = isalnum(*at) || (in_word && (*at == '\'' || *at == '-'));
			if (word_char && !in_word)
				words++;
			in_word = word_char;
			at++;
			continue;
		}
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0) {
			at++;
			continue;
		}
		at += size;
		if ((code_point >= 0x3040 && code_point <= 0x30ff) ||
		    (code_point >= 0x3400 && code_point <= 0x9fff) ||
		    (code_point >= 0xf900 && code_point <= 0xfaff)) {
			words++;
			in_word = 0;
			continue;
		}
		switch (utf8proc_category(code_point)) {
		case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
		case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
		case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
			if (!in_word)
				words++;
			in_word = 1;
			break;
		case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
			break;	/* combining marks continue a word (Devanagari vowel signs) */
		default:
			/* U+2019 inside a word ("don’t") keeps it one word */
			in_word = in_word && code_point == 0x2019;
		}
	}
	return words;
}

/*
 * Is text certainly in NFC already? True when every character is below U+0300 (no combining
 * marks, no decompositions NFC would change) or is general punctuation or a currency sign
 * (dashes, quotes, ellipsis, euro): the usual news text, spared utf8proc's full pass.
 */
static int
is_surely_nfc(const char *text)
{
	const unsigned char *at = (const unsigned char *)text;

	while (*at != '\0') {
		if (*at < 0xcc) {
			at++;	/* ASCII, continuation bytes, and lead bytes below U+0300 */
			continue;
		}
		if (at[0] == 0xe2 && (at[1] == 0x80 || at[1] == 0x81 || at[1] == 0x82)) {
			unsigned code_point = 0x2000 | (unsigned)(at[1] & 0x3f) << 6 |
			    (unsigned)(at[2] & 0x3f);

			if ((code_point >= 0x2010 && code_point <= 0x2027) ||
			    (code_point >= 0x2030 && code_point <= 0x205e) ||
			    (code_point >= 0x20a0 && code_point <= 0x20c0)) {
				at += 3;
				continue;
			}
		}
		return 0;
	}
	return 1;
}

/* Unicode NFC; takes ownership of text. Text that is not valid UTF-8 is kept as it is. */
static char *
normalize_nfc(char *text)
{
	utf8proc_uint8_t *composed = NULL;
	utf8proc_ssize_t length;

	if (is_surely_nfc(text))
		return text;
	length = utf8proc_map((const utf8proc_uint8_t *)text, 0, &composed,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (length < 0)
		return text;
	free(text);
	return (char *)composed;
}

/* Paragraph breaks become spaces, in place: for one-line renderings. */
static void
flatten_newlines(char *text)
{
	for (; *text != '\0'; text++)
		if (*text == '\n')
			*text = ' ';
}

/* Collapse runs of spaces to one and trim both ends, in place. Returns the new length. */
static size_t
collapse_spaces(char *text)
{
	char *read = text, *write = text;

	while (*read == ' ')
		read++;
	for (; *read != '\0'; read++) {
		if (*read == ' ' && (read[1] == ' ' || read[1] == '\0'))
			continue;
		*write++ = *read;
	}
	*write = '\0';
	return (size_t)(write - text);
}

/* ------------------------------------------------------------------------------------------ */
/* HTML to text                                                                               */

enum element_kind {
	ELEMENT_INLINE,		/* text flows through (a, b, span, unknown tags) */
	ELEMENT_BLOCK,		/* paragraph break before and after */
	ELEMENT_PRE,		/* block whose newlines are paragraph breaks */
	ELEMENT_CELL,		/* table cell: a space before and after */
	ELEMENT_DROP,		/* skipped with all it contains; leaves a space */
	ELEMENT_DROP_BLOCK	/* skipped with all it contains; leaves a paragraph break */
};

struct element_class {
	const char *name;
	enum element_kind kind;
};

/* Sorted by name for bsearch. */
static const struct element_class element_classes[] = {
	{ "address", ELEMENT_BLOCK }, { "applet", ELEMENT_DROP }, { "article", ELEMENT_BLOCK },
	{ "aside", ELEMENT_DROP_BLOCK }, { "audio", ELEMENT_DROP_BLOCK }, { "base", ELEMENT_DROP },
	{ "blockquote", ELEMENT_BLOCK }, { "body", ELEMENT_BLOCK }, { "br", ELEMENT_BLOCK },
	{ "button", ELEMENT_DROP }, { "canvas", ELEMENT_DROP }, { "caption", ELEMENT_BLOCK },
	{ "center", ELEMENT_BLOCK }, { "dd", ELEMENT_BLOCK }, { "details", ELEMENT_BLOCK },
	{ "dialog", ELEMENT_DROP_BLOCK }, { "dir", ELEMENT_BLOCK }, { "div", ELEMENT_BLOCK },
	{ "dl", ELEMENT_BLOCK }, { "dt", ELEMENT_BLOCK }, { "embed", ELEMENT_DROP },
	{ "fieldset", ELEMENT_BLOCK }, { "figcaption", ELEMENT_DROP_BLOCK }, { "figure", ELEMENT_DROP_BLOCK },
	{ "footer", ELEMENT_BLOCK }, { "form", ELEMENT_DROP_BLOCK }, { "frame", ELEMENT_DROP_BLOCK },
	{ "frameset", ELEMENT_DROP_BLOCK }, { "h1", ELEMENT_BLOCK }, { "h2", ELEMENT_BLOCK },
	{ "h3", ELEMENT_BLOCK }, { "h4", ELEMENT_BLOCK }, { "h5", ELEMENT_BLOCK },
	{ "h6", ELEMENT_BLOCK }, { "head", ELEMENT_DROP_BLOCK }, { "header", ELEMENT_BLOCK },
	{ "hgroup", ELEMENT_BLOCK }, { "hr", ELEMENT_BLOCK }, { "html", ELEMENT_BLOCK },
	{ "iframe", ELEMENT_DROP_BLOCK }, { "img", ELEMENT_DROP }, { "input", ELEMENT_DROP },
	{ "li", ELEMENT_BLOCK }, { "link", ELEMENT_DROP }, { "main", ELEMENT_BLOCK },
	{ "map", ELEMENT_DROP }, { "menu", ELEMENT_BLOCK }, { "meta", ELEMENT_DROP },
	{ "nav", ELEMENT_DROP_BLOCK }, { "noscript", ELEMENT_DROP }, { "object", ELEMENT_DROP },
	{ "ol", ELEMENT_BLOCK }, { "option", ELEMENT_DROP }, { "p", ELEMENT_BLOCK },
	{ "picture", ELEMENT_DROP }, { "pre", ELEMENT_PRE }, { "script", ELEMENT_DROP },
	{ "section", ELEMENT_BLOCK }, { "select", ELEMENT_DROP }, { "source", ELEMENT_DROP },
	{ "style", ELEMENT_DROP }, { "summary", ELEMENT_BLOCK }, { "svg", ELEMENT_DROP },
	{ "table", ELEMENT_BLOCK }, { "tbody", ELEMENT_BLOCK }, { "td", ELEMENT_CELL },
	{ "template", ELEMENT_DROP }, { "textarea", ELEMENT_DROP }, { "tfoot", ELEMENT_BLOCK },
	{ "th", ELEMENT_CELL }, { "thead", ELEMENT_BLOCK }, { "title", ELEMENT_DROP },
	{ "tr", ELEMENT_BLOCK }, { "track", ELEMENT_DROP }, { "ul", ELEMENT_BLOCK },
	{ "video", ELEMENT_DROP_BLOCK },
};

/* class="..." tokens that mark embeds, captions and share widgets. */
static const char *const dropped_class_tokens[] = {
	"twitter-tweet", "twitter-video", "twitter-timeline", "instagram-media", "tiktok-embed",
	"fb-post", "fb-video", "reddit-card", "wp-caption", "wp-caption-text", "caption",
	"image-caption", "photo-caption", "photo-credit", "media-caption", "sharedaddy",
	"sd-sharing-enabled", "jp-relatedposts", "yarpp-related", "feedflare",
	"addtoany_share_save_container", "share-buttons", "social-share",
	NULL
};

static int
compare_element_class(const void *key, const void *member)
{
	return strcmp(key, ((const struct element_class *)member)->name);
}

static enum element_kind
element_kind_by_name(const char *name)
{
	const struct element_class *found;

	if (strncmp(name, "amp-", 4) == 0)
		return ELEMENT_DROP;	/* AMP components: ads, embeds, share bars */
	found = bsearch(name, element_classes, sizeof element_classes / sizeof element_classes[0],
	    sizeof element_classes[0], compare_element_class);
	return found ? found->kind : ELEMENT_INLINE;
}

/* The class token that marks node as an embed or widget, or NULL. */
static const char *
dropped_class_of(const xmlNode *node)
{
	for (const xmlAttr *attribute = node->properties; attribute; attribute = attribute->next) {
		const char *value, *token;

		if (strcmp((const char *)attribute->name, "class") != 0 ||
		    attribute->children == NULL || attribute->children->content == NULL)
			continue;
		value = (const char *)attribute->children->content;
		for (size_t i = 0; (token = dropped_class_tokens[i]) != NULL; i++) {
			size_t token_length = strlen(token);

			for (const char *at = value; (at = strstr(at, token)) != NULL; at++) {
				int starts = at == value || isspace((unsigned char)at[-1]);
				char after = at[token_length];

				if (starts && (after == '\0' || isspace((unsigned char)after)))
					return token;
			}
		}
	}
	return NULL;
}

struct text_builder {
	struct buffer out;
	int	 pending_space;
	int	 pending_break;
	int	 newline_breaks;	/* plain text: a newline ends a paragraph */
	int	 pre_depth;
	int	 explaining;		/* rendering a dropped element: drop nothing inside */
	clean_explain_fn explain;
	void	*explain_context;
};

/* Write pending white space, then length bytes of text. */
static void
builder_emit(struct text_builder *builder, const char *text, size_t length)
{
	if (length == 0)
		return;
	if (builder->out.length > 0) {
		if (builder->pending_break)
			buffer_append(&builder->out, "\n\n", 2);
		else if (builder->pending_space)
			buffer_append(&builder->out, " ", 1);
	}
	builder->pending_break = builder->pending_space = 0;
	buffer_append(&builder->out, text, length);
}

/* What to do with one code point of a text node. */
enum char_class { CHAR_KEEP, CHAR_SPACE, CHAR_NEWLINE, CHAR_PARAGRAPH, CHAR_DROP };

static enum char_class
classify_code_point(utf8proc_int32_t code_point)
{
	switch (code_point) {
	case '\n':
		return CHAR_NEWLINE;
	case '\t': case '\v': case '\f': case '\r': case ' ': case 0x85: case 0xa0: case 0x1680:
	case 0x2028: case 0x202f: case 0x205f: case 0x3000:
		return CHAR_SPACE;
	case 0x2029:
		return CHAR_PARAGRAPH;
	case 0xad: case 0x180e: case 0x200b: case 0x200e: case 0x200f: case 0x2060:
	case 0xfeff: case 0xfffc:
		return CHAR_DROP;
	}
	if (code_point >= 0x2000 && code_point <= 0x200a)
		return CHAR_SPACE;
	if (code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f) ||
	    (code_point >= 0x202a && code_point <= 0x202e) ||
	    (code_point >= 0x2066 && code_point <= 0x2069))
		return CHAR_DROP;
	return CHAR_KEEP;
}

/*
 * A space left before "," or "." by a removed link ("said the AP .") is dropped; an
 * ellipsis (" ...") and ".NET" keep theirs.
 */
static int
is_stray_space_before(const struct text_builder *builder, const unsigned char *at,
    const unsigned char *end)
{
	unsigned char previous, next;

	if (!builder->pending_space || builder->pending_break || builder->out.length == 0)
		return 0;
	if (*at != ',' && *at != '.')
		return 0;
	previous = (unsigned char)builder->out.data[builder->out.length - 1];
	next = at + 1 < end ? at[1] : ' ';
	if (!(isalnum(previous) || previous >= 0x80))
		return 0;
	return next == ' ' || next == '\n' || next == '"' || next == ')';
}

static void
builder_add_text(struct text_builder *builder, const char *text)
{
	const unsigned char *at = (const unsigned char *)text;
	const unsigned char *end = at + strlen(text);
	const unsigned char *run = at;	/* start of bytes kept as they are */

	while (at < end) {
		utf8proc_int32_t code_point;
		utf8proc_ssize_t size;
		enum char_class class;

		if (*at > 0x20 && *at < 0x7f) {
			if (at == run && is_stray_space_before(builder, at, end))
				builder->pending_space = 0;
			at++;
			continue;
		}
		size = utf8proc_iterate(at, end - at, &code_point);
		if (size <= 0) {
			size = 1;
			class = CHAR_DROP;
		} else
			class = classify_code_point(code_point);
		if (class == CHAR_KEEP) {
			at += size;
			continue;
		}
		builder_emit(builder, (const char *)run, (size_t)(at - run));
		if (class == CHAR_PARAGRAPH ||
		    (class == CHAR_NEWLINE && (builder->newline_breaks || builder->pre_depth > 0)))
			builder->pending_break = 1;
		else if (class == CHAR_SPACE || class == CHAR_NEWLINE)
			builder->pending_space = 1;
		at += size;
		run = at;
	}
	builder_emit(builder, (const char *)run, (size_t)(at - run));
}

static void builder_walk(struct text_builder *, xmlNode *, const xmlNode *);

/* Report an element skipped on purpose, with its text on one line, to the explain callback. */
static void
builder_explain_drop(struct text_builder *builder, xmlNode *node, const char *class_token)
{
	struct text_builder inner = { .explaining = 1 };
	char rule_name[96];
	char *text;

	if (builder->explain == NULL || node->children == NULL)
		return;
	builder_walk(&inner, node->children, node);
	text = buffer_steal(&inner.out);
	flatten_newlines(text);
	collapse_spaces(text);
	if (text[0] != '\0') {
		if (class_token != NULL)
			snprintf(rule_name, sizeof rule_name, "html:%s.%s", node->name, class_token);
		else
			snprintf(rule_name, sizeof rule_name, "html:%s", node->name);
		builder->explain(rule_name, text, builder->explain_context);
	}
	free(text);
}

static enum element_kind
node_kind(const xmlNode *node)
{
	if (node->type != XML_ELEMENT_NODE || node->name == NULL)
		return ELEMENT_INLINE;
	return element_kind_by_name((const char *)node->name);
}

/* Entering node: returns 1 when its children are to be walked. */
static int
builder_enter(struct text_builder *builder, xmlNode *node)
{
	const char *class_token;

	switch (node->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (node->content != NULL)
			builder_add_text(builder, (const char *)node->content);
		return 0;
	case XML_ELEMENT_NODE:
		break;
	default:
		return 0;	/* comments, processing instructions */
	}
	switch (node_kind(node)) {
	case ELEMENT_DROP:
	case ELEMENT_DROP_BLOCK:
		if (builder->explaining) {
			builder->pending_space = 1;
			return 1;
		}
		builder_explain_drop(builder, node, NULL);
		return 0;
	case ELEMENT_BLOCK:
	case ELEMENT_PRE:
		builder->pending_break = 1;
		break;
	case ELEMENT_CELL:
		builder->pending_space = 1;
		break;
	case ELEMENT_INLINE:
		break;
	}
	if (!builder->explaining && (class_token = dropped_class_of(node)) != NULL) {
		builder_explain_drop(builder, node, class_token);
		return 0;
	}
	if (node_kind(node) == ELEMENT_PRE)
		builder->pre_depth++;
	return 1;
}

/* Leaving node, after its children when entered (builder_enter returned 1). */
static void
builder_leave(struct text_builder *builder, xmlNode *node, int entered)
{
	switch (node_kind(node)) {
	case ELEMENT_PRE:
		if (entered)
			builder->pre_depth--;
		/* FALLTHROUGH */
	case ELEMENT_BLOCK:
	case ELEMENT_DROP_BLOCK:
		builder->pending_break = 1;
		break;
	case ELEMENT_CELL:
	case ELEMENT_DROP:
		builder->pending_space = 1;
		break;
	case ELEMENT_INLINE:
		/* an inline element dropped for its class (a span caption) */
		if (!entered && node->type == XML_ELEMENT_NODE)
			builder->pending_space = 1;
		break;
	}
}

/* Walk first, its siblings and their subtrees in document order, without recursion. */
static void
builder_walk(struct text_builder *builder, xmlNode *first, const xmlNode *stop)
{
	xmlNode *node = first;

	while (node != NULL) {
		int entered = builder_enter(builder, node);

		if (entered && node->children != NULL) {
			node = node->children;
			continue;
		}
		builder_leave(builder, node, entered);
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			if (node == NULL || node == stop || node->type != XML_ELEMENT_NODE)
				return;
			builder_leave(builder, node, 1);
		}
		if (node != NULL)
			node = node->next;
	}
}

/* Does the input hold a block-level tag (then newlines are only white space)? */
static int
has_block_markup(const char *html, size_t length)
{
	const char *end = html + length;

	for (const char *at = html; (at = memchr(at, '<', (size_t)(end - at))) != NULL; at++) {
		char name[12];
		size_t name_length = 0;
		const char *letter = at + 1;
		enum element_kind kind;

		if (letter < end && *letter == '/')
			letter++;
		while (letter < end && isalnum((unsigned char)*letter) &&
		    name_length < sizeof name - 1)
			name[name_length++] = (char)tolower((unsigned char)*letter++);
		name[name_length] = '\0';
		if (name_length == 0)
			continue;
		kind = element_kind_by_name(name);
		if (kind == ELEMENT_BLOCK || kind == ELEMENT_PRE || kind == ELEMENT_CELL)
			return 1;
	}
	return 0;
}

static char *
html_to_text_explain(const char *html, size_t length, clean_explain_fn explain,
    void *explain_context)
{
	struct text_builder builder = { .explain = explain, .explain_context = explain_context };
	htmlDocPtr document;
	int options = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
	    HTML_PARSE_NONET | HTML_PARSE_COMPACT | XML_PARSE_HUGE;

	if (html == NULL || length == 0)
		return xstrdup("");
	if (length > INT_MAX)
		length = INT_MAX;
	builder.newline_breaks = !has_block_markup(html, length);
	document = htmlReadMemory(html, (int)length, NULL, "UTF-8", options);
	if (document == NULL)
		return xstrdup("");
	builder_walk(&builder, document->children, NULL);
	xmlFreeDoc(document);
	return normalize_nfc(buffer_steal(&builder.out));
}

char *
html_to_text(const char *html, size_t length)
{
	return html_to_text_explain(html, length, NULL, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Rules                                                                                      */

static struct clean_rule *
rules_find(struct clean_rules *rules, const char *name)
{
	for (size_t i = 0; i < rules->count; i++)
		if (strcmp(rules->rules[i].name, name) == 0)
			return &rules->rules[i];
	return NULL;
}

static void
rule_free(struct clean_rule *rule)
{
	regfree(&rule->regex);
	free(rule->name);
}

/* Add a rule, or replace the one with the same name (so a file can redefine a built-in). */
static void
rules_add(struct clean_rules *rules, struct clean_rule *rule)
{
	struct clean_rule *existing = rules_find(rules, rule->name);

	if (existing != NULL) {
		rule_free(existing);
		*existing = *rule;
		return;
	}
	if (rules->count == rules->capacity) {
		rules->capacity = rules->capacity ? rules->capacity * 2 : 32;
		rules->rules = xrealloc(rules->rules, rules->capacity * sizeof *rules->rules);
	}
	rules->rules[rules->count++] = *rule;
}

static int
rules_disable(struct clean_rules *rules, const char *name)
{
	struct clean_rule *rule = rules_find(rules, name);
	size_t index;

	if (rule == NULL)
		return -1;
	index = (size_t)(rule - rules->rules);
	rule_free(rule);
	memmove(rule, rule + 1, (rules->count - index - 1) * sizeof *rule);
	rules->count--;
	return 0;
}

/* Next white-space separated word of *cursor, NUL-terminated in place; NULL at the end. */
static char *
next_word(char **cursor)
{
	char *word = *cursor + strspn(*cursor, " \t");
	char *end;

	if (*word == '\0')
		return NULL;
	end = word + strcspn(word, " \t");
	if (*end != '\0')
		*end++ = '\0';
	*cursor = end;
	return word;
}

static int
parse_count(const char *text, size_t *count)
{
	char *end;
	unsigned long value;

	errno = 0;
	value = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value == 0 || text[0] == '-')
		return -1;
	*count = (size_t)value;
	return 0;
}

/* Parse "max-words=N", "first=N", "last=N" or "case"; 1 if word was an option, -1 if bad. */
static int
parse_rule_option(struct clean_rule *rule, const char *word, int *case_sensitive)
{
	size_t *target = NULL;
	const char *value = NULL;

	if (strcmp(word, "case") == 0) {
		*case_sensitive = 1;
		return 1;
	}
	if (strncmp(word, "max-words=", 10) == 0)
		target = &rule->max_words, value = word + 10;
	else if (strncmp(word, "first=", 6) == 0)
		target = &rule->first, value = word + 6;
	else if (strncmp(word, "last=", 5) == 0)
		target = &rule->last, value = word + 5;
	if (target == NULL)
		return 0;
	return parse_count(value, target) == 0 ? 1 : -1;
}

/* Load "tracking-params FILE": one query name or prefix* per line. */
static int
load_tracking_params(struct clean_rules *rules, const char *rules_path, const char *path,
    char *error, size_t error_size)
{
	char *resolved = path_resolve(rules_path, path);
	char *content = file_read(resolved, NULL);
	char *line, *cursor;

	if (content == NULL) {
		snprintf(error, error_size, "%s: %s", resolved, strerror(errno));
		free(resolved);
		return -1;
	}
	free(resolved);
	for (cursor = content; (line = strsep(&cursor, "\n")) != NULL;) {
		char *name = next_word(&line);

		if (name != NULL && name[0] != '#')
			strlist_add(&rules->tracking_params, name);
	}
	free(content);
	return 0;
}

static int
parse_rule_line(struct clean_rules *rules, char *line, const char *path, size_t line_number,
    char *error, size_t error_size)
{
	struct clean_rule rule = { 0 };
	char *cursor = line, *kind, *name, *pattern;
	int case_sensitive = 0, option, status;
	size_t length = strlen(line);

	while (length > 0 && isspace((unsigned char)line[length - 1]))
		line[--length] = '\0';
	if ((kind = next_word(&cursor)) == NULL || kind[0] == '#')
		return 0;
	if ((name = next_word(&cursor)) == NULL) {
		snprintf(error, error_size, "%s:%zu: %s needs a name", path, line_number, kind);
		return -1;
	}
	if (strcmp(kind, "disable") == 0) {
		if (rules_disable(rules, name) == 0)
			return 0;
		snprintf(error, error_size, "%s:%zu: no rule named %s", path, line_number, name);
		return -1;
	}
	if (strcmp(kind, "tracking-params") == 0)
		return load_tracking_params(rules, path, name, error, error_size);
	if (strcmp(kind, "strip") == 0)
		rule.kind = RULE_STRIP;
	else if (strcmp(kind, "drop-paragraph") == 0)
		rule.kind = RULE_DROP_PARAGRAPH;
	else if (strcmp(kind, "drop-after") == 0)
		rule.kind = RULE_DROP_AFTER;
	else {
		snprintf(error, error_size, "%s:%zu: unknown rule kind '%s'", path, line_number,
		    kind);
		return -1;
	}
	for (;;) {
		pattern = cursor + strspn(cursor, " \t");
		char *word_end = pattern + strcspn(pattern, " \t");
		char saved = *word_end;

		*word_end = '\0';
		option = parse_rule_option(&rule, pattern, &case_sensitive);
		*word_end = saved;
		if (option == -1) {
			snprintf(error, error_size, "%s:%zu: bad option in rule %s", path,
			    line_number, name);
			return -1;
		}
		if (option == 0)
			break;
		cursor = word_end;
	}
	if (*pattern == '\0') {
		snprintf(error, error_size, "%s:%zu: rule %s has no pattern", path, line_number,
		    name);
		return -1;
	}
	status = regcomp(&rule.regex, pattern, REG_EXTENDED | (case_sensitive ? 0 : REG_ICASE) |
	    (rule.kind == RULE_STRIP ? 0 : REG_NOSUB));
	if (status != 0) {
		char message[128];

		regerror(status, &rule.regex, message, sizeof message);
		snprintf(error, error_size, "%s:%zu: rule %s: %s", path, line_number, name,
		    message);
		return -1;
	}
	rule.name = xstrdup(name);
	rules_add(rules, &rule);
	return 0;
}

static int
parse_rules_text(struct clean_rules *rules, char *text, const char *path, char *error,
    size_t error_size)
{
	char *line, *cursor = text;
	size_t line_number = 0;

	while ((line = strsep(&cursor, "\n")) != NULL)
		if (parse_rule_line(rules, line, path, ++line_number, error, error_size) == -1)
			return -1;
	return 0;
}

static int
compile_datelines(struct clean_rules *rules)
{
#define CITY	"[A-Z][A-Z.'-]*[A-Z.]"
#define WORD	"[A-Z][A-Za-z.'-]*"
#define DAY	"[A-Z][a-z]{2,8}\\.? [0-9]{1,2}"
	/* "JALALABAD, Afghanistan —", "WASHINGTON (AP) —", "NEW YORK, Sept 21 (Reuters) -" */
	static const char dash[] = "^(" CITY "( " CITY ")*(, " WORD "( " WORD ")*)*)(,? " DAY ")?"
	    "( \\([^()]+\\))? ?(—|–|--|-) +";
	/* "NEW DELHI: " */
	static const char colon[] = "^(" CITY "( " CITY "){0,3}(, " WORD "( " WORD ")*)?): +";
	/* "New Delhi, Sep 21 (PTI) " */
	static const char wire[] = "^(" WORD "( " WORD ")?), " DAY " \\((PTI|IANS|ANI|UNI|Reuters|"
	    "AFP|AP|Xinhua|dpa)\\):?( (—|–|-))? +";
#undef CITY
#undef WORD
#undef DAY
	struct dateline_pattern *patterns = rules->datelines;

	if (regcomp(&patterns[DATELINE_DASH].regex, dash, REG_EXTENDED) != 0)
		return -1;
	patterns[DATELINE_DASH].agency_group = 6;
	patterns[DATELINE_DASH].dash_group = 7;
	if (regcomp(&patterns[DATELINE_COLON].regex, colon, REG_EXTENDED) != 0) {
		regfree(&patterns[DATELINE_DASH].regex);
		return -1;
	}
	if (regcomp(&patterns[DATELINE_WIRE].regex, wire, REG_EXTENDED) != 0) {
		regfree(&patterns[DATELINE_DASH].regex);
		regfree(&patterns[DATELINE_COLON].regex);
		return -1;
	}
	patterns[DATELINE_WIRE].agency_group = 3;
	return 0;
}

struct clean_rules *
clean_rules_load(const char *path, char *error, size_t error_size)
{
	struct clean_rules *rules = xcalloc(1, sizeof *rules);
	char *text;
	int failed;

	if (compile_datelines(rules) == -1) {
		snprintf(error, error_size, "built-in dateline patterns do not compile");
		free(rules);
		return NULL;
	}
	for (size_t i = 0; builtin_rules[i] != NULL; i++) {
		text = xstrdup(builtin_rules[i]);
		failed = parse_rule_line(rules, text, "built-in", i + 1, error, error_size);
		free(text);
		if (failed) {
			clean_rules_free(rules);
			return NULL;
		}
	}
	if (path == NULL)
		return rules;
	if ((text = file_read(path, NULL)) == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		clean_rules_free(rules);
		return NULL;
	}
	failed = parse_rules_text(rules, text, path, error, error_size);
	free(text);
	if (failed) {
		clean_rules_free(rules);
		return NULL;
	}
	return rules;
}

void
clean_rules_free(struct clean_rules *rules)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < rules->count; i++)
		rule_free(&rules->rules[i]);
	free(rules->rules);
	for (int i = 0; i < DATELINE_PATTERNS; i++)
		regfree(&rules->datelines[i].regex);
	strlist_clear(&rules->tracking_params);
	free(rules);
}

/* ------------------------------------------------------------------------------------------ */
/* Paragraphs and rule application                                                            */

struct paragraph {
	char	*text;
	size_t	 length;
	size_t	 words;
	int	 dropped;
};

struct paragraphs {
	struct paragraph *items;
	size_t	 count;
};

struct explain_sink {
	clean_explain_fn function;
	void	*context;
};

static void
explain(const struct explain_sink *sink, const char *rule_name, const char *text)
{
	if (sink->function != NULL)
		sink->function(rule_name, text, sink->context);
}

/* Split text at "\n\n" into paragraphs (copies). */
static struct paragraphs
paragraphs_split(const char *text)
{
	struct paragraphs list = { 0 };
	size_t capacity = 0;
	const char *start = text;

	while (*start != '\0') {
		size_t length = strcspn(start, "\n");

		if (length > 0) {
			if (list.count == capacity) {
				capacity = capacity ? capacity * 2 : 16;
				list.items = xrealloc(list.items, capacity * sizeof *list.items);
			}
			list.items[list.count++] = (struct paragraph){
				.text = xstrndup(start, length), .length = length,
				.words = count_words(start, length) };
		}
		start += length;
		while (*start == '\n')
			start++;
	}
	return list;
}

static void
paragraphs_free(struct paragraphs *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].text);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* Join the paragraphs left with "\n\n"; NULL when none is left. */
static char *
paragraphs_join(const struct paragraphs *list, const char *separator)
{
	struct buffer joined = { 0 };

	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i].dropped)
			continue;
		if (joined.length > 0)
			buffer_append_string(&joined, separator);
		buffer_append(&joined, list->items[i].text, list->items[i].length);
	}
	return joined.length > 0 ? buffer_steal(&joined) : NULL;
}

/* Does rule apply to paragraph number index of count (limits only, not the pattern)? */
static int
rule_applies(const struct clean_rule *rule, const struct paragraph *paragraph, size_t index,
    size_t count)
{
	if (rule->max_words != 0 && paragraph->words > rule->max_words)
		return 0;
	if (rule->first != 0 && index >= rule->first)
		return 0;
	if (rule->last != 0 && index + rule->last < count)
		return 0;
	return 1;
}

/*
 * Remove every match of a strip rule from the paragraph. REG_STARTEND bounds each search, so
 * a paragraph with many matches costs one pass, not one strlen per match.
 */
static void
apply_strip(const struct clean_rule *rule, struct paragraph *paragraph,
    const struct explain_sink *sink)
{
	struct buffer kept = { 0 };
	size_t offset = 0, copied = 0;
	regmatch_t match;

	while (offset <= paragraph->length) {
		match.rm_so = (regoff_t)offset;
		match.rm_eo = (regoff_t)paragraph->length;
		if (regexec(&rule->regex, paragraph->text, 1, &match,
		    REG_STARTEND | (offset > 0 ? REG_NOTBOL : 0)) != 0)
			break;
		size_t start = (size_t)match.rm_so, end = (size_t)match.rm_eo;

		if (end == start) {
			offset = start + 1;
			continue;
		}
		if (sink->function != NULL) {
			char *removed = xstrndup(paragraph->text + start, end - start);

			explain(sink, rule->name, removed);
			free(removed);
		}
		buffer_append(&kept, paragraph->text + copied, start - copied);
		copied = offset = end;
	}
	if (copied == 0)
		return;		/* nothing matched */
	buffer_append(&kept, paragraph->text + copied, paragraph->length - copied);
	free(paragraph->text);
	paragraph->text = buffer_steal(&kept);
	paragraph->length = collapse_spaces(paragraph->text);
	paragraph->words = count_words(paragraph->text, paragraph->length);
	if (paragraph->length == 0)
		paragraph->dropped = 1;
}

static void
apply_strip_and_drop(const struct clean_rules *rules, struct paragraphs *list,
    const struct explain_sink *sink)
{
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		for (size_t r = 0; r < rules->count && !paragraph->dropped; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind == RULE_STRIP && rule_applies(rule, paragraph, i, list->count))
				apply_strip(rule, paragraph, sink);
		}
		for (size_t r = 0; r < rules->count && !paragraph->dropped; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind != RULE_DROP_PARAGRAPH ||
			    !rule_applies(rule, paragraph, i, list->count) ||
			    regexec(&rule->regex, paragraph->text, 0, NULL, 0) != 0)
				continue;
			explain(sink, rule->name, paragraph->text);
			paragraph->dropped = 1;
		}
	}
}

/*
 * drop-after: the first paragraph (never the first of the article) a rule matches, and all
 * after it, go. Positions count only paragraphs still kept.
 */
static void
apply_drop_after(const struct clean_rules *rules, struct paragraphs *list,
    const struct explain_sink *sink)
{
	size_t kept = 0, position = 0;

	for (size_t i = 0; i < list->count; i++)
		kept += !list->items[i].dropped;
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		for (size_t r = 0; position > 0 && r < rules->count; r++) {
			const struct clean_rule *rule = &rules->rules[r];

			if (rule->kind != RULE_DROP_AFTER ||
			    !rule_applies(rule, paragraph, position, kept) ||
			    regexec(&rule->regex, paragraph->text, 0, NULL, 0) != 0)
				continue;
			for (size_t j = i; j < list->count; j++) {
				if (list->items[j].dropped)
					continue;
				explain(sink, rule->name, list->items[j].text);
				list->items[j].dropped = 1;
			}
			return;
		}
		position++;
	}
}

static void
apply_rules(const struct clean_rules *rules, struct paragraphs *list,
    const struct explain_sink *sink)
{
	apply_strip_and_drop(rules, list, sink);
	apply_drop_after(rules, list, sink);
}

/* ------------------------------------------------------------------------------------------ */
/* Dateline                                                                                   */

static int
is_dateline_label(const char *place, size_t length)
{
	for (size_t i = 0; dateline_labels[i] != NULL; i++)
		if (strlen(dateline_labels[i]) == length &&
		    strncmp(dateline_labels[i], place, length) == 0)
			return 1;
	return 0;
}

/*
 * Match one dateline pattern at the start of text; returns the length of the whole dateline
 * (0: none) and the place in *place_length.
 */
static size_t
match_dateline(const struct dateline_pattern *pattern, const char *text, size_t *place_length)
{
	char head[DATELINE_SCAN_BYTES + 1];
	size_t head_length = strlen(text);
	regmatch_t groups[10];

	if (head_length > DATELINE_SCAN_BYTES)
		head_length = DATELINE_SCAN_BYTES;
	memcpy(head, text, head_length);
	head[head_length] = '\0';
	if (regexec(&pattern->regex, head, 10, groups, 0) != 0)
		return 0;
	*place_length = (size_t)groups[1].rm_eo;
	if (is_dateline_label(head, *place_length))
		return 0;
	if (pattern->dash_group != 0 && groups[pattern->dash_group].rm_so >= 0 &&
	    head[groups[pattern->dash_group].rm_so] == '-' &&
	    groups[pattern->agency_group].rm_so < 0)
		return 0;	/* "NATO - ..." is a sentence; "PARIS (Reuters) - " a dateline */
	if ((size_t)groups[0].rm_eo >= head_length)
		return 0;	/* nothing after it: the paragraph is a heading */
	return (size_t)groups[0].rm_eo;
}

/* Find, store and remove the dateline of the first paragraphs. */
static void
extract_dateline(const struct clean_rules *rules, struct article *article,
    struct paragraphs *list, const struct explain_sink *sink)
{
	size_t seen = 0;

	for (size_t i = 0; i < list->count && seen < DATELINE_MAX_PARAGRAPHS; i++) {
		struct paragraph *paragraph = &list->items[i];
		size_t length = 0, place_length = 0;

		if (paragraph->dropped)
			continue;
		for (int p = 0; p < DATELINE_PATTERNS && length == 0; p++)
			if (p != DATELINE_COLON || seen == 0)
				length = match_dateline(&rules->datelines[p], paragraph->text,
				    &place_length);
		if (length > 0) {
			char *removed = xstrndup(paragraph->text, length);

			free(article->dateline);
			article->dateline = xstrndup(paragraph->text, place_length);
			explain(sink, "dateline", removed);
			free(removed);
			memmove(paragraph->text, paragraph->text + length,
			    paragraph->length - length + 1);
			paragraph->length -= length;
			paragraph->words = count_words(paragraph->text, paragraph->length);
			return;
		}
		if (paragraph->words > DATELINE_LEAD_MAX_WORDS)
			return;
		seen++;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The article                                                                                */

/* Drop the first paragraph when it repeats the title. */
static void
drop_title_repeat(const char *title, struct paragraphs *list, const struct explain_sink *sink)
{
	if (title == NULL)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct paragraph *paragraph = &list->items[i];

		if (paragraph->dropped)
			continue;
		if (strcasecmp(paragraph->text, title) == 0) {
			explain(sink, "title-repeat", paragraph->text);
			paragraph->dropped = 1;
		}
		return;
	}
}

/* Cut text to at most max_chars characters at a word boundary, adding "…". */
static char *
cap_on_word_boundary(char *text, size_t max_chars)
{
	size_t chars = 0, last_space = 0, i;

	for (i = 0; text[i] != '\0'; i++) {
		if (((unsigned char)text[i] & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		if (chars == max_chars)
			break;
		if (text[i] == ' ')
			last_space = i;
		chars++;
	}
	if (text[i] == '\0')
		return text;
	if (last_space > i / 2)
		i = last_space;
	while (i > 0 && strchr(" ,;:-", text[i - 1]) != NULL)
		i--;
	text = xrealloc(text, i + sizeof "…");
	memcpy(text + i, "…", sizeof "…");
	return text;
}

/*
 * Text of an HTML fragment after the rules, paragraphs joined by "\n\n"; NULL when nothing is
 * left. The dateline, when found, goes to article->dateline.
 */
static char *
clean_fragment(const char *html, const struct clean_rules *rules, const char *title,
    struct article *article, const struct explain_sink *sink)
{
	char *text = html_to_text_explain(html, strlen(html), sink->function, sink->context);
	struct paragraphs list = paragraphs_split(text);
	char *result;

	free(text);
	drop_title_repeat(title, &list, sink);
	apply_rules(rules, &list, sink);
	if (article != NULL)
		extract_dateline(rules, article, &list, sink);
	result = paragraphs_join(&list, "\n\n");
	paragraphs_free(&list);
	return result;
}

/* The title on one line: paragraph breaks become spaces. NULL when empty. */
static char *
clean_title(const char *title_raw)
{
	char *title, *read, *write;

	if (title_raw == NULL)
		return NULL;
	title = html_to_text(title_raw, strlen(title_raw));
	for (read = write = title; *read != '\0'; read++) {
		if (*read == '\n') {
			if (read[1] == '\n')
				read++;
			*write++ = ' ';
		} else
			*write++ = *read;
	}
	*write = '\0';
	if (title[0] == '\0') {
		free(title);
		return NULL;
	}
	return title;
}

/*
 * The summary on one line, capped: the summary field cleaned (when there is no content, the
 * text came from it already), else the first paragraph of the text.
 */
static char *
make_summary(const struct article *article, const struct clean_rules *rules,
    const struct explain_sink *sink)
{
	char *summary = NULL;

	if (article->summary_html != NULL && article->content_html == NULL &&
	    article->text != NULL) {
		summary = xstrdup(article->text);
		flatten_newlines(summary);
		collapse_spaces(summary);
	} else if (article->summary_html != NULL && article->content_html != NULL) {
		struct article scratch = { 0 };	/* receives a dateline we do not keep */
		char *text = clean_fragment(article->summary_html, rules, article->title,
		    &scratch, sink);

		free(scratch.dateline);
		if (text != NULL) {
			flatten_newlines(text);
			collapse_spaces(text);
			summary = text;
		}
	}
	if (summary == NULL && article->text != NULL)
		summary = xstrndup(article->text, strcspn(article->text, "\n"));
	if (summary != NULL)
		summary = cap_on_word_boundary(summary, SUMMARY_MAX_CHARS);
	return summary;
}

static int
clean_article_with(struct article *article, const struct clean_rules *rules,
    const struct explain_sink *sink)
{
	const char *body = article->content_html ? article->content_html : article->summary_html;

	free(article->title);
	article->title = clean_title(article->title_raw);
	free(article->text);
	free(article->dateline);
	article->dateline = NULL;
	article->text = body ? clean_fragment(body, rules, article->title, article, sink) : NULL;
	free(article->summary);
	article->summary = make_summary(article, rules, sink);
	article->word_count = article->text ? count_words(article->text,
	    strlen(article->text)) : 0;
	free(article->url);
	article->url = article->link ? url_canonical(article->link, NULL,
	    &rules->tracking_params) : NULL;
	return article->title == NULL && article->text == NULL ? -1 : 0;
}

int
clean_article(struct article *article, const struct clean_rules *rules,
    clean_explain_fn explain_function, void *explain_context)
{
	struct explain_sink sink = { explain_function, explain_context };
	struct clean_rules *builtin = NULL;
	char error[256];
	int status;

	if (rules == NULL) {
		/* no rule set given: the built-in one, built for this call */
		if ((builtin = clean_rules_load(NULL, error, sizeof error)) == NULL)
			return -1;
		rules = builtin;
	}
	status = clean_article_with(article, rules, &sink);
	clean_rules_free(builtin);
	return status;
}
