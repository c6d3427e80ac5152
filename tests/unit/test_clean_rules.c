/*
 * test_clean_rules.c - the cleaner's boilerplate rules: their file format and its errors, each
 * kind and option, the built-in rules (specific enough to keep news text), the explain
 * callback, and the fast paths they rest on checked against slow ones and plain references:
 * rules ruled out by their literals before regexec, the literal sets searched by their
 * rarest bytes, and the cleaner's byte scans on random texts. The HTML and the article are
 * test_clean.c's.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "check.h"
#include "clean_helpers.h"
#include "fixtures.h"
#include "article.h"
#include "clean/clean.h"
#include "clean/clean_internal.h"
#include "util.h"
#include "words_reference.h"


/* ------------------------------------------------------------------------------------------ */
/* The cleaner's byte scans against plain references, on random texts                         */

static uint64_t scan_random_state = 0x2545F4914F6CDD1DULL;

static unsigned
scan_random(unsigned below)
{
	scan_random_state = scan_random_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(scan_random_state >> 33) % below;
}

/* A random text of ASCII words, punctuation, controls, UTF-8 letters, marks, CJK, dashes and
 * invalid bytes; returns its length. */
static size_t
scan_random_text(char *text, size_t size)
{
	static const char *const pieces[] = {
		"word", "Ab", "9", " ", "  ", "'", "-", "don't", "re-run", ".", ",", "\n", "\t",
		"\x7f", "\x01", "<", "&", "\xC3\xA9", "e\xCC\x81", "\xE2\x80\x99", "\xE2\x80\x94",
		"\xE6\x9D\xB1", "\xE3\x81\x82", "\xE0\xA4\xBF", "\xFF", "\xE2\x81", "\xEF\xBC\xA1",
		"\xE2\x82\xAC", "\xC2\xA0", "\xEF\xBF\xBE", "\xF0\x9F\x98\x80", "xxxxxxxxxxxxxxxxxxxx",
	};
	size_t length = 0, count = sizeof(pieces) / sizeof(*pieces);

	for (unsigned i = scan_random(40) + 1; i > 0; i--) {
		const char *piece = pieces[scan_random((unsigned)count)];

		if (length + strlen(piece) + 1 > size)
			break;
		memcpy(text + length, piece, strlen(piece));
		length += strlen(piece);
	}
	text[length] = '\0';
	return length;
}

static void
test_byte_scans_against_references(void)
{
	char text[1024];

	for (int round = 0; round < 5000; round++) {
		size_t length = scan_random_text(text, sizeof(text)), span = 0;
		unsigned low = scan_random(0x80), high = low + scan_random(0x80 - low);
		char *copy, *normal = NULL;

		CHECK(count_words(text, length) == reference_count_words(text, length));
		while (span < length && (unsigned char)text[span] >= low &&
		    (unsigned char)text[span] <= high)
			span++;
		CHECK(ascii_span(text, length, (unsigned char)low, (unsigned char)high) == span);
		/* NFC: the shortcut for text surely NFC never skips a change. */
		copy = normalize_nfc(xstrdup(text));
		if (utf8proc_map((const utf8proc_uint8_t *)text, 0, (utf8proc_uint8_t **)&normal,
		    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) >= 0)
			CHECK(strcmp(copy, normal) == 0);
		free(normal);
		free(copy);
	}
}

/* collapse_spaces as it was: byte by byte, always. */
static size_t
reference_collapse_spaces(char *text)
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

/*
 * flatten_newlines and collapse_spaces (which skip text with nothing to do) against their
 * byte-by-byte references, on texts of spaces, line breaks, words and UTF-8 (most with
 * nothing to collapse, as the builder writes them).
 */
static void
test_one_line_against_references(void)
{
	static const char *const pieces[] = { " ", "  ", "\n", "\n\n", "word", "a", "é",
	    "—", ".", " x" };
	size_t unchanged = 0;

	for (int round = 0; round < 20000; round++) {
		struct buffer text = { 0 };
		unsigned count = scan_random(12);
		char *expected, *actual;
		size_t expected_length;

		for (unsigned i = 0; i < count; i++)
			buffer_append_string(&text, pieces[round % 2 ? 4 + scan_random(6) :
			    scan_random(10)]);
		actual = text.data != NULL ? buffer_steal(&text) : xstrdup("");
		expected = xstrdup(actual);
		for (char *at = expected; *at != '\0'; at++)
			if (*at == '\n')
				*at = ' ';
		flatten_newlines(actual);
		CHECK_STR(actual, expected);
		expected_length = reference_collapse_spaces(expected);
		unchanged += strcmp(expected, actual) == 0;
		CHECK(collapse_spaces(actual) == expected_length);
		CHECK_STR(actual, expected);
		free(expected);
		free(actual);
	}
	printf("  one-line texts: %zu of 20000 had nothing to collapse\n", unchanged);
	CHECK(unchanged > 2000 && unchanged < 18000);
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

/* Write text to the test's rules file; returns its path (valid until the next call). */
static const char *
write_rules(const char *text)
{
	static char *path;

	free(path);
	path = write_temp("test.rules", text);
	return path;
}

/* ------------------------------------------------------------------------------------------ */
/* Rules                                                                                      */

static void
test_rules_file_loads(void)
{
	struct clean_rules *rules = load_rules_file();
	struct article *article = article_new();

	/* the file's tracking-params line feeds the canonical URL */
	article->link = xstrdup("https://Example.com/story?CMP=share_btn&utm_source=x&id=3#top");
	article->content_html = xstrdup("<p>Body.</p>");
	CHECK(clean_article(article, rules, NULL, NULL) == 0);
	CHECK_STR(article->url, "https://example.com/story?id=3");
	article_free(article);
	clean_rules_free(rules);
}

static void
test_rules_file_errors(void)
{
	char error[256];
	struct clean_rules *rules;
	const char *path;

	rules = clean_rules_load("/nonexistent/boilerplate.rules", error, sizeof error);
	CHECK(rules == NULL);
	CHECK_CONTAINS(error, "/nonexistent/boilerplate.rules: ");

	path = write_rules("# comment\n\ndrop-paragraph fine ^ok$\nexplode bad x\n");
	rules = clean_rules_load(path, error, sizeof error);
	CHECK(rules == NULL);
	CHECK_CONTAINS(error, ":4: unknown rule kind 'explode'");

	path = write_rules("strip broken (unclosed\n");
	CHECK(clean_rules_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: rule broken: ");

	path = write_rules("drop-paragraph lonely\n");
	CHECK(clean_rules_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: rule lonely has no pattern");

	path = write_rules("drop-paragraph counted max-words=zero ^x\n");
	CHECK(clean_rules_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: bad option in rule counted");

	path = write_rules("disable no-such-rule\n");
	CHECK(clean_rules_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, ":1: no rule named no-such-rule");

	path = write_rules("tracking-params missing-file\n");
	CHECK(clean_rules_load(path, error, sizeof error) == NULL);
	CHECK_CONTAINS(error, "missing-file: ");
	unlink(path);
}

/* Clean html with the rules in rules_text; returns the text (caller frees). */
static char *
clean_with_rules(const char *rules_text, const char *html, struct buffer *explained)
{
	char error[256];
	const char *path = write_rules(rules_text);
	struct clean_rules *rules = clean_rules_load(path, error, sizeof error);
	struct article *article = article_new();
	char *text;

	unlink(path);
	CHECK(rules != NULL);
	if (rules == NULL) {
		fprintf(stderr, "rules: %s\n", error);
		article_free(article);
		return NULL;
	}
	article->content_html = xstrdup(html);
	clean_article(article, rules, explained ? record_explain : NULL, explained);
	text = article->text ? xstrdup(article->text) : NULL;
	article_free(article);
	clean_rules_free(rules);
	return text;
}

static void
test_rule_kinds_and_options(void)
{
	struct buffer explained = { 0 };
	char *text;

	text = clean_with_rules(
	    "strip promo \\[(AD|PROMO)\\] ?\n"
	    "drop-paragraph short-junk max-words=3 ^junk\n"
	    "drop-after signoff last=2 ^-- ?end of story\n",
	    "<p>[AD] Start [PROMO] here.</p><p>junk line</p>"
	    "<p>junk but a long paragraph that is real reporting stays</p>"
	    "<p>Middle.</p><p>-- end of story</p><p>trailing bio</p>", &explained);
	CHECK_STR(text, "Start here.\n\njunk but a long paragraph that is real reporting stays\n\n"
	    "Middle.");
	CHECK_STR(explained.data, "promo|[AD] \npromo|[PROMO] \nshort-junk|junk line\n"
	    "signoff|-- end of story\nsignoff|trailing bio\n");
	free(text);

	/* drop-after with last=N does not fire far from the end, nor on the first paragraph */
	text = clean_with_rules("drop-after signoff last=1 ^stop\n",
	    "<p>stop at the start</p><p>stop in the middle</p><p>the end</p>", NULL);
	CHECK_STR(text, "stop at the start\n\nstop in the middle\n\nthe end");
	free(text);

	/* case: exact case only; first=N */
	text = clean_with_rules("drop-paragraph shout case ^LOUD$\n"
	    "drop-paragraph lead first=1 ^lead$\n",
	    "<p>lead</p><p>LOUD</p><p>loud</p><p>lead</p>", NULL);
	CHECK_STR(text, "loud\n\nlead");
	free(text);

	/* disable a built-in; redefine another by name */
	buffer_reset(&explained);
	text = clean_with_rules("disable also-read\n"
	    "drop-paragraph click-here max-words=5 ^Tap to win\n",
	    "<p>Body text.</p><p>Also Read: other story</p><p>Click here to win</p>"
	    "<p>Tap to win</p>", &explained);
	CHECK_STR(text, "Body text.\n\nAlso Read: other story\n\nClick here to win");
	CHECK_STR(explained.data, "click-here|Tap to win\n");
	free(text);
	buffer_free(&explained);
}

static void
test_builtin_rules_are_specific(void)
{
	struct article *article = article_new();
	struct buffer explained = { 0 };

	/* real reporting that merely mentions the trigger words stays */
	article->content_html = xstrdup(
	    "<p>Readers who click here and there rarely subscribe, the study found.</p>"
	    "<p>Related: the minister said nothing more about the talks, which ran late into the "
	    "night and ended without an agreement on any of the issues raised by either side, "
	    "according to officials briefed on the meeting who spoke on condition of anonymity "
	    "because they were not allowed to talk to the press.</p>"
	    "<p>The post office reopened on Monday.</p>"
	    "<p>She urged children to read more.</p>"
	    "<p>Follow the money, investigators said.</p>"
	    "<p>Share the road, police urged drivers.</p>"
	    "<p>The ministry released this video on Tuesday showing the flooded road.</p>"
	    "<p>The photo published this week shows a crowd of several thousand people gathered "
	    "in the square, some of them holding banners and flags, while police watched from the "
	    "rooftops and the side streets nearby for most of the afternoon and evening.</p>");
	CHECK(clean_article(article, NULL, record_explain, &explained) == 0);
	CHECK(explained.data == NULL);
	CHECK(article->text != NULL && count_paragraphs(article->text) == 8);
	buffer_free(&explained);
	article_free(article);
}

static void
test_feed_footers_and_prompts(void)
{
	struct clean_rules *rules = load_rules_file();
	struct article *article = article_new();
	struct buffer explained = { 0 };
	size_t length;

	article->content_html = file_read(FIXTURES "wordpress-feed.html", &length);
	CHECK(article->content_html != NULL);
	CHECK(clean_article(article, rules, record_explain, &explained) == 0);
	CHECK_STR(article->text, "The city library will stay open until midnight during exam "
	    "weeks, the council announced on Thursday.\n\n"
	    "The change follows a petition signed by more than 4,000 students last autumn.\n\n"
	    "Librarians will work extra shifts, and security staff will be added at the east "
	    "entrance.");
	CHECK_CONTAINS(explained.data, "html:div.wp-caption|The main reading room");
	CHECK_CONTAINS(explained.data, "html:div.sharedaddy|Share this:");
	CHECK_CONTAINS(explained.data, "leading-date-stamp|date 2024-05-03 \n");
	CHECK_CONTAINS(explained.data, "photo-credit-inline|(Photo: Jane Roe/City Press)\n");
	CHECK_CONTAINS(explained.data, "also-read|Also Read: Council approves new bike lanes\n");
	CHECK_CONTAINS(explained.data, "follow-us|Follow us on Twitter");
	CHECK_CONTAINS(explained.data, "file-photo|File photo of");
	CHECK_CONTAINS(explained.data, "photo-credit|Image: City Press\n");
	CHECK_CONTAINS(explained.data, "continue-reading-inline|Continue reading Library hours");
	CHECK_CONTAINS(explained.data, "feed-footer-inline|The post Library to stay open late "
	    "appeared first on City Press.\n");
	buffer_free(&explained);
	article_free(article);

	/* links standing alone, share buttons */
	article = article_new();
	article->content_html = xstrdup("<p>Story.</p><p>https://twitter.com/someone/status/12345"
	    "?s=20</p><p> https://example.com/elsewhere </p><p>Share</p><p>Copy link</p>"
	    "<p>Share this article</p><p>End.</p>");
	CHECK(clean_article(article, rules, NULL, NULL) == 0);
	CHECK_STR(article->text, "Story.\n\nEnd.");
	article_free(article);

	/* footers glued to the end of a summary paragraph */
	article = article_new();
	article->summary_html = xstrdup("<p>Short excerpt of the story [&hellip;] The post Big "
	    "News: Part 2 appeared first on Example Daily.</p>");
	CHECK(clean_article(article, rules, NULL, NULL) == 0);
	CHECK_STR(article->text, "Short excerpt of the story [\xe2\x80\xa6]");
	article_free(article);
	article = article_new();
	article->summary_html = xstrdup("Mayor opens the new bridge. Read more \xc2\xbb");
	CHECK(clean_article(article, rules, NULL, NULL) == 0);
	CHECK_STR(article->text, "Mayor opens the new bridge.");
	article_free(article);
	clean_rules_free(rules);
}

static void
test_author_bio(void)
{
	struct clean_rules *rules = load_rules_file();
	struct article *article = article_new();
	struct buffer explained = { 0 };

	article->content_html = xstrdup("<p>The port reopened on Monday.</p>"
	    "<p>Jane Q. Doe is a senior fellow at the Institute for Harbour Studies.</p>"
	    "<p>Jane Doe is a reporter for The Example Times.</p>"
	    "<p>Traffic was light, the harbour master said.</p>"
	    "<p>Jane Q. Doe is a senior fellow at the Institute for Harbour Studies.</p>"
	    "<p>Follow her on Twitter @janedoe.</p>");
	CHECK(clean_article(article, rules, record_explain, &explained) == 0);
	/* the bio in the middle is not at the end: it stays */
	CHECK_STR(article->text, "The port reopened on Monday.\n\n"
	    "Jane Q. Doe is a senior fellow at the Institute for Harbour Studies.\n\n"
	    "Jane Doe is a reporter for The Example Times.\n\n"
	    "Traffic was light, the harbour master said.");
	CHECK_CONTAINS(explained.data, "follow-author|Follow her on Twitter @janedoe.\n");
	CHECK_CONTAINS(explained.data, "author-bio|Jane Q. Doe is a senior fellow");
	buffer_free(&explained);
	article_free(article);

	article = article_new();
	article->content_html = xstrdup("<p>First.</p><p>Second.</p>"
	    "<p>The writer is a former ambassador to Ruritania.</p>");
	CHECK(clean_article(article, rules, NULL, NULL) == 0);
	CHECK_STR(article->text, "First.\n\nSecond.");
	article_free(article);
	clean_rules_free(rules);
}


/*
 * Rules skip regexec when the literals of their pattern rule a paragraph out. Whatever the
 * pattern, a rule must drop (or strip) exactly the paragraphs regexec matches: each pattern
 * below, with and without `case`, against each text. Words no built-in rule knows keep the
 * built-ins out of the way.
 */
static const char *const filter_patterns[] = {
	"^(Apple|Melon)s? (by|from) ", "zq\\.example\\.com/[A-Za-z0-9]+",
	"\\b(peeled|sliced) (this|the above) (apple|pear)\\b",
	"^[A-Z][a-z]+ (is|was) (a|an) [a-z]+ at ",
	"(^|[[:space:]])(Keep peeling|Peel more)( [^.!?]*)?(\xe2\x80\xa6|\\.\\.\\.)?$",
	"^(\xe2\x80\x94|\xe2\x80\x93|-) ?[^()]+\\(@[A-Za-z0-9_]+\\)",
	"^(Also Peel|Related (Pear|Pears))[[:space:]]*:", "^Pick [^ ]+( [^ ]+)? at (Noon|Dusk)\\b",
	"^(Orchard|\xc2\xa9|\\(o\\)) .*All pears kept", "ripened first on", "a{2,3}b", "x(ab|cd)*y",
	"^(ab|cd)+z", "^a|b$", "[[:digit:]]{4}-[0-9]{2}", "\\(Crate (apple|pear)\\)", "^[^a-z]+$",
	"caf\xc3\xa9|na\xc3\xafve", "^.?Q", "(a|)bc", "\\w+@\\w+", "^\\s*Ripe:", "^(Kiwi)*fig",
	"^Plum{0,2}s", "(pear|plum)+ tart", "^\\(zz\\)", "[.]end$", "^Fig\\.", "x\\{2\\}",
	"^(((Deep)))nest", "^x{00,2}y", "^(ab){0}c", "^(A|B|C|D|E|F|G|H|I|J|K|L|M|N|O|P|Q|R|S|T|U|V|W|X|Y|Z)(a|b|c|d)(x|y)",
};

static const char *const filter_texts[] = {
	"Apple by Jane Doe", "apples from Spain", "APPLE BY X", "An apple by Jane",
	"Look zq.example.com/AbC123 here", "zq.example.com/", "ZQ.EXAMPLE.COM/x",
	"He peeled this apple today.", "sliced the above pear", "peeled the apple",
	"Jane is a grower at Kew", "jane is a grower at Kew", "Keep peeling", "More. Peel more...",
	"Peelmore", "keep peeling the fruit", "\xe2\x80\x94 Jane Doe (@jane) May 1", "- x (@y)",
	"\xe2\x80\x94(@y)", "Also Peel: x", "Related Pears : y", "related pear: z", "Also peel",
	"Pick Jane Doe at Noon", "Pick us at Dusk today", "pick jane at dusk",
	"Orchard 2024 Example. All pears kept", "\xc2\xa9 2024 all pears kept", "(o) x all pears kept",
	"The pear X ripened first on Y", "RIPENED FIRST ON", "aab", "aaab", "ab", "xy", "xabcdy",
	"xaby", "abz", "cdcdz", "z", "abc", "cab", "b", "2024-05", "20245-1", "(Crate apple)",
	"(crate PEAR)", "ALL CAPS LINE", "Not caps", "un caf\xc3\xa9", "NA\xc3\x8fVE", "naive", "Q",
	"xQ", "xxQ", "bc", "user@example", "Ripe: today", "ripe:", "KiwiKiwifig", "fig", "Kiwi",
	"Plus", "Plumms", "Pls", "pear tart", "plumpear tart", "PEAR TART", "(zz) x", "(ZZ)",
	"the end", "an end", "Fig. 3", "Figs", "xx{2}", "x{2}", "DeepNest", "deepnest", "Bax",
	"bdy", "Zdy", "Zey", "y", "xxy", "c", "abc", "\xc3\x89" "cole", "\xc3\xa9",
};

/* Does the rule zz-probe (kind, case or not, pattern) act on text, as the explain callback says? */
static int
rule_acts_on(struct clean_rules *rules, const char *text)
{
	struct article *article = article_new();
	struct buffer explained = { 0 };
	char *expected = xasprintf("zz-probe|%s\n", text);
	int acted;

	article->content_html = xasprintf("<p>Kept paragraph one.</p><p>%s</p>", text);
	clean_article(article, rules, record_explain, &explained);
	acted = explained.data != NULL && strstr(explained.data, expected) != NULL;
	if (!acted && explained.data != NULL && strncmp(explained.data, "zz-probe|", 9) == 0)
		acted = 1;	/* a strip rule removed part of the text */
	free(expected);
	buffer_free(&explained);
	article_free(article);
	return acted;
}

static void
test_rule_prefilters(void)
{
	for (size_t p = 0; p < sizeof filter_patterns / sizeof filter_patterns[0]; p++) {
		for (int variant = 0; variant < 4; variant++) {
			int case_sensitive = variant & 1, strip = variant & 2;
			char *rule = xasprintf("%s zz-probe %s%s\n", strip ? "strip" :
			    "drop-paragraph", case_sensitive ? "case " : "", filter_patterns[p]);
			const char *path = write_rules(rule);
			char error[256];
			struct clean_rules *rules;
			regex_t regex;

			free(rule);
			rules = clean_rules_load(path, error, sizeof error);
			CHECK(rules != NULL);
			CHECK(regcomp(&regex, filter_patterns[p],
			    REG_EXTENDED | (case_sensitive ? 0 : REG_ICASE)) == 0);
			for (size_t t = 0; rules != NULL && t < sizeof filter_texts /
			    sizeof filter_texts[0]; t++) {
				regmatch_t match;
				int matches = regexec(&regex, filter_texts[t], 1, &match, 0) == 0;
				int acts = rule_acts_on(rules, filter_texts[t]);

				/* a strip rule acts on a non-empty match; an empty one is no sign */
				if (strip && matches && match.rm_eo == match.rm_so)
					continue;
				if (acts != matches)
					fprintf(stderr, "  %s%s /%s/ on \"%s\": regexec %d, rule %d\n",
					    strip ? "strip " : "", case_sensitive ? "case" : "icase",
					    filter_patterns[p], filter_texts[t], matches, acts);
				CHECK(acts == matches);
			}
			regfree(&regex);
			clean_rules_free(rules);
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The anchored search of a "contains" set against the index and a plain search               */

/* The plain reference: does one of the set's strings occur in text (ASCII folded)? */
static int
set_in_text_reference(const struct literal_set *set, int ignore_case, const char *text,
    size_t length)
{
	for (size_t k = 0; k < set->count; k++)
		for (size_t at = 0; at + set->lengths[k] <= length; at++) {
			size_t i = 0;

			while (i < set->lengths[k] && (ignore_case ?
			    tolower((unsigned char)text[at + i]) == (unsigned char)set->strings[k][i] :
			    text[at + i] == set->strings[k][i]))
				i++;
			if (i == set->lengths[k])
				return 1;
		}
	return 0;
}

/* A piece of a generated paragraph: a literal of the rules (whole, cut, case-flipped), a
 * word, UTF-8 or punctuation. */
static void
append_piece(struct buffer *text, const struct literal_index *index)
{
	static const char *const others[] = { "the ", "a", " ", "é", "—", "–", "…", "(", ")",
	    ", ", ": ", "-", "\xe2\x80", "P", "p", "R", "C", "K", ".", "/", "x", "Read ", "is",
	    "was " };
	unsigned choice = scan_random(10);

	if (choice < 5 && index->count > 0) {
		size_t id = scan_random((unsigned)index->count), length = index->lengths[id];
		char *copy = xstrndup(index->texts[id], length);

		if (choice == 1 && length > 1)
			length -= 1 + scan_random((unsigned)length - 1);	/* cut short */
		if (choice == 2)
			memmove(copy, copy + 1, length--);	/* its first byte lost */
		for (size_t i = 0; choice == 3 && i < length; i++)	/* cases flipped */
			if (scan_random(2) && isalpha((unsigned char)copy[i]))
				copy[i] = (char)(copy[i] ^ 0x20);
		buffer_append(text, copy, length);
		free(copy);
		return;
	}
	buffer_append_string(text, others[scan_random(sizeof others / sizeof others[0])]);
}

/* Every "contains" set of filter: anchored search, index and reference agree on text. */
static int
check_filter_sets(const struct prefilter *filter, struct filter_text *view, const char *text,
    size_t length, size_t *anchored, size_t *found)
{
	int agree = 1;

	for (size_t i = 0; i < filter->contains_count; i++) {
		const struct literal_set *set = &filter->contains[i];
		int reference = set_in_text_reference(set, filter->ignore_case, text, length);

		filter_text_set(view, text, length);
		if (literal_set_indexed(view, set) != reference)
			agree = 0;
		if (set->anchor_count == 0)
			continue;
		(*anchored)++;
		*found += reference;
		if (literal_set_screened(set, filter->ignore_case, text, length) != reference)
			agree = 0;
	}
	if (!agree)
		fprintf(stderr, "  sets disagree on \"%.*s\"\n", (int)length, text);
	return agree;
}

/*
 * The sets of a rule set whose index files only the literals of sets searched through it
 * (the default): those sets agree with the reference. *filed counts their searches.
 */
static int
check_filed_sets(const struct clean_rules *rules, struct filter_text *view, const char *text,
    size_t length, size_t *filed)
{
	int agree = 1;

	for (size_t r = 0; r < rules->count + DATELINE_PATTERNS; r++) {
		const struct prefilter *filter = r < rules->count ? &rules->rules[r].filter :
		    &rules->datelines[r - rules->count].filter;

		for (size_t i = 0; i < filter->contains_count; i++) {
			const struct literal_set *set = &filter->contains[i];

			if (set->anchor_count > 0)
				continue;
			(*filed)++;
			filter_text_set(view, text, length);
			if (literal_set_indexed(view, set) != set_in_text_reference(set,
			    filter->ignore_case, text, length))
				agree = 0;
		}
	}
	if (!agree)
		fprintf(stderr, "  filed sets disagree on \"%.*s\"\n", (int)length, text);
	return agree;
}

/* How many literals of the index are filed for its scan. */
static size_t
filed_literals(const struct literal_index *index)
{
	size_t count = 0;

	for (size_t id = 0; id < index->count; id++)
		count += index->filed[id] != 0;
	return count;
}

static void
test_literal_sets_anchored(void)
{
	char error[256];
	struct clean_rules *rules, *filed_rules = clean_rules_load(RULES_FILE, error,
	    sizeof error);
	size_t anchored = 0, found = 0, filed = 0;

	/* rules: every set's literals in the index, so that each set is searched both ways */
	literal_index_all = 1;
	rules = clean_rules_load(RULES_FILE, error, sizeof error);
	literal_index_all = 0;
	CHECK(rules != NULL);
	CHECK(filed_rules != NULL);
	if (rules == NULL || filed_rules == NULL)
		return;
	/* the default files fewer: the anchored sets' literals are not scanned for */
	printf("  index literals: %zu, filed by default: %zu\n", filed_rules->literals.count,
	    filed_literals(&filed_rules->literals));
	CHECK(filed_literals(&rules->literals) == rules->literals.count);
	CHECK(filed_literals(&filed_rules->literals) < filed_rules->literals.count);
	for (int round = 0; round < 3000; round++) {
		struct buffer text = { 0 };
		struct filter_text view = { .index = &rules->literals };
		struct filter_text filed_view = { .index = &filed_rules->literals };
		unsigned pieces = 1 + scan_random(round < 1500 ? 4 : 40);
		int agree = 1;

		for (unsigned i = 0; i < pieces; i++)
			append_piece(&text, &rules->literals);
		if (text.data == NULL)
			buffer_append_string(&text, " ");
		for (size_t r = 0; r < rules->count; r++)
			agree &= check_filter_sets(&rules->rules[r].filter, &view, text.data,
			    text.length, &anchored, &found);
		for (int d = 0; d < DATELINE_PATTERNS; d++)
			agree &= check_filter_sets(&rules->datelines[d].filter, &view, text.data,
			    text.length, &anchored, &found);
		agree &= check_filed_sets(filed_rules, &filed_view, text.data, text.length,
		    &filed);
		CHECK(agree);
		filter_text_free(&view);
		filter_text_free(&filed_view);
		free(text.data);
	}
	/* the rules' sets are searched by anchors (not all by the index) and the texts hold
	 * their strings often enough to tell */
	printf("  anchored sets: %zu searches, %zu found\n", anchored, found);
	CHECK(anchored > 3000);
	CHECK(found > anchored / 20);
#ifdef __SSE2__
	/* and some of them by pairs of bytes (" appeared first on " by "pp") */
	size_t paired = 0;

	for (size_t r = 0; r < rules->count; r++)
		for (size_t i = 0; i < rules->rules[r].filter.contains_count; i++)
			paired += rules->rules[r].filter.contains[i].anchor_pairs != 0;
	printf("  sets anchored at pairs: %zu\n", paired);
	CHECK(paired > 0);
#endif
	printf("  sets searched through the default index: %zu searches\n", filed);
	CHECK(filed >= 3000);
	clean_rules_free(rules);
	clean_rules_free(filed_rules);
}


int
main(void)
{
	int status;

	if (temp_dir_make("clean_rules") != 0)
		return 1;
	RUN(test_byte_scans_against_references);
	RUN(test_one_line_against_references);
	RUN(test_rules_file_loads);
	RUN(test_rules_file_errors);
	RUN(test_rule_kinds_and_options);
	RUN(test_builtin_rules_are_specific);
	RUN(test_feed_footers_and_prompts);
	RUN(test_author_bio);
	RUN(test_rule_prefilters);
	RUN(test_literal_sets_anchored);
	status = check_finish();
	temp_dir_remove();
	return status;
}
