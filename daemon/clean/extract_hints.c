/*
 * extract_hints.c - what an element's class and id say about it: tokens such as "share",
 * "comment", "article-body" found at the start of a word of either attribute ("share-bar",
 * "top_share", "share"; not "unshared"), case-insensitively. All tokens are matched in one
 * pass over the two values, by their first letter, into a bit mask per element: one bit
 * for positive hints (article, content, story...), one for negative ones, one per reason a
 * block is boilerplate (comments, related, share, cookie...), in order of precedence.
 */
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "extract_internal.h"

struct hint_group {
	const char *reason;	/* NULL: the positive and negative groups */
	int	 weak;
	const char *tokens[16];
};

/* Bit i of a mask is group i. */
static const struct hint_group groups[] = {
	{ NULL, 0, { "article", "body", "content", "entry", "main", "page", "post", "text",
	    "blog", "story", "prose", "h-entry", "hentry", NULL } },
	{ NULL, 0, { "comment", "meta", "footer", "footnote", "sidebar", "widget", "related",
	    "share", "promo", "sponsor", "nav", "menu", "hidden", "banner", NULL } },
	{ NULL, 0, { "social", "tags", "tool", "masthead", "byline", "caption", "newsletter",
	    "subscribe", "cookie", "consent", "ad-", "ads", NULL } },
	{ "comments", 0, { "comment", "disqus", "respond", "replies", NULL } },
	{ "related", 0, { "related", "more-stories", "recommend", "read-more", "readmore",
	    "also-read", "more-from", "outbrain", "taboola", "trending", "most-read",
	    "most-popular", "popular", NULL } },
	{ "share", 0, { "share", "sharing", "social", "addthis", "sharedaddy", "follow-us",
	    NULL } },
	{ "cookie", 0, { "cookie", "consent", "gdpr", "cmp-", "onetrust", "didomi", NULL } },
	{ "subscription", 0, { "newsletter", "subscribe", "subscription", "signup", "sign-up",
	    "paywall", "regwall", "piano", "registration", NULL } },
	{ "navigation", 0, { "nav", "menu", "breadcrumb", "skip-link", "skiplink",
	    "pagination", "pager", "masthead", NULL } },
	{ "author-bio", 0, { "author-bio", "bio", "about-the-author", "author-info",
	    "author-box", "contributor", NULL } },
	{ "byline", 0, { "byline", "by-line", "timestamp", "article-meta", "post-meta",
	    "entry-meta", "dateline-", NULL } },
	{ "caption", 0, { "caption", "credit", "legends", NULL } },
	{ "advertising", 0, { "ad-", "ads-", "advert", "sponsor", "promo", "dfp-", NULL } },
	{ "hidden", 0, { "hidden", "sr-only", "screen-reader", "visually-hidden", NULL } },
	{ "popup", 0, { "popup", "agegate", NULL } },
	{ "sidebar", 1, { "sidebar", "side-bar", "rail", "widget", "aside", "skyscraper",
	    "supplemental", "shoutbox", "community", NULL } },
	{ "footer", 1, { "footer", "foot", NULL } },
	{ "header", 1, { "header", "top-bar", "topbar", "banner", NULL } },
	{ "tags", 1, { "tags", "tag-list", "topics", "keywords", NULL } },
};

#define GROUPS		(sizeof groups / sizeof groups[0])
#define POSITIVE	(1u << 0)
#define NEGATIVE	((1u << 1) | (1u << 2))
#define FIRST_REASON	3
#define MAX_TOKENS	160

struct token {
	const char *text;
	size_t	 length;
	uint32_t bit;
};

/* Tokens by their first (lower-case) letter: tokens[start[c]] ... tokens[start[c + 1]]. */
static struct token tokens[MAX_TOKENS];
static unsigned short start[257];
static pthread_once_t tokens_once = PTHREAD_ONCE_INIT;

static void
tokens_index(void)
{
	size_t count = 0;

	for (unsigned c = 0; c < 256; c++) {
		start[c] = (unsigned short)count;
		for (size_t g = 0; g < GROUPS; g++)
			for (size_t i = 0; groups[g].tokens[i] != NULL; i++)
				if ((unsigned char)groups[g].tokens[i][0] == c &&
				    count < MAX_TOKENS)
					tokens[count++] = (struct token){ groups[g].tokens[i],
					    strlen(groups[g].tokens[i]), 1u << g };
	}
	start[256] = (unsigned short)count;
}

static int
is_word_start(const char *value, const char *at)
{
	return at == value || at[-1] == ' ' || at[-1] == '-' || at[-1] == '_' ||
	    at[-1] == '\t' || at[-1] == '\n';
}

static uint32_t
value_hints(const char *value)
{
	uint32_t mask = 0;

	for (const char *at = value; *at != '\0'; at++) {
		unsigned c = (unsigned char)*at;

		if (!is_word_start(value, at))
			continue;	/* cheaper first: most characters start no word */
		c = c >= 'A' && c <= 'Z' ? c + 32 : c;
		for (unsigned i = start[c]; i < start[c + 1]; i++)
			if (strncasecmp(at, tokens[i].text, tokens[i].length) == 0)
				mask |= tokens[i].bit;
	}
	return mask;
}

uint32_t
node_hints(const xmlNode *node)
{
	const char *class, *id;
	uint32_t mask = 0;

	if (node->properties == NULL)
		return 0;
	pthread_once(&tokens_once, tokens_index);
	if ((class = node_attribute(node, "class")) != NULL)
		mask |= value_hints(class);
	if ((id = node_attribute(node, "id")) != NULL)
		mask |= value_hints(id);
	return mask;
}

int
hints_weight(uint32_t mask)
{
	return (mask & NEGATIVE ? -25 : 0) + (mask & POSITIVE ? 25 : 0);
}

int
hints_positive(uint32_t mask)
{
	return (mask & POSITIVE) != 0;
}

const char *
hints_reason(uint32_t mask, int *weak)
{
	for (size_t g = FIRST_REASON; g < GROUPS; g++)
		if (mask & (1u << g)) {
			*weak = groups[g].weak;
			return groups[g].reason;
		}
	return NULL;
}
