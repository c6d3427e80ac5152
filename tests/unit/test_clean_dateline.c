/*
 * test_clean_dateline.c - the dateline's place and dash read off regexec's whole match
 * (dateline.c, dateline_groups_by_hand 1) against regexec's groups (0, as it was): the same
 * dateline and the same text left, on generated first paragraphs of dateline shapes (cities
 * in capitals, regions, days, agencies, every dash, colons, wire credits) and their
 * mutations, and on the paragraphs of the test and demo feeds.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "article.h"
#include "clean/clean.h"
#include "clean/clean_internal.h"
#include "feed/feed.h"
#include "util.h"

static uint64_t random_state = 0xD1B54A32D192ED03ULL;

static unsigned
random_below(unsigned below)
{
	random_state = random_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(random_state >> 33) % below;
}

static const char *
pick(const char *const *pieces, size_t count)
{
	return pieces[random_below((unsigned)count)];
}

#define PICK(pieces)	pick(pieces, sizeof pieces / sizeof pieces[0])

/* A paragraph that starts like a dateline, or nearly. */
static char *
generated_head(void)
{
	static const char *const places[] = { "WASHINGTON", "NEW YORK", "ST. LOUIS", "O'HARE",
	    "PORT-AU-PRINCE", "KYIV", "A", "AB", "UPDATE", "BREAKING NEWS", "X.", "NEW-",
	    "New Delhi", "Paris", "LA PAZ", "RIO DE JANEIRO" };
	static const char *const regions[] = { "", ", Wales", ", Mo.", ", Ile-de-France",
	    ", Ile-", ", D.C.", ", O'Neill", ", Sao Paulo State", ", Mo", "," };
	static const char *const days[] = { "", "", ", Sept 21", " Sep 3", ", Sept. 21",
	    ", Jan 123", ", May 1", "," };
	static const char *const agencies[] = { "", "", " (AP)", " (Reuters)", " (PTI)",
	    " (Wire)", "(AP)", " ()", " (a-b c)", " (AP", " (dpa)", " ((AP))" };
	static const char *const dashes[] = { " \xe2\x80\x94 ", " \xe2\x80\x93 ", " - ",
	    " -- ", "- ", "-- ", "\xe2\x80\x94 ", " \xe2\x80\x94   ", ": ", ":  ", " : ",
	    " \xe2\x80\x94", " --- ", "-  ", ") - ", " ", "" };
	static const char *const rests[] = { "The talks resumed.", "x", "", "- more -",
	    "2024 was late.", "NATO - the alliance - met.", "(AP) \xe2\x80\x94 again" };
	char *head = xasprintf("%s%s%s%s%s%s", PICK(places), PICK(regions), PICK(days),
	    PICK(agencies), PICK(dashes), PICK(rests));
	size_t length = strlen(head);

	if (length > 1 && random_below(3) == 0) {	/* one byte changed or dropped */
		static const char mutations[] = " -,.:()'A1a";
		size_t at = random_below((unsigned)length);

		if (random_below(2))
			head[at] = mutations[random_below(sizeof mutations - 1)];
		else
			memmove(head + at, head + at + 1, length - at);
	}
	return head;
}

/* The dateline and text of html cleaned with the groups read one way. */
static char *
cleaned(const struct clean_rules *rules, const char *html, int by_hand)
{
	struct article *article = article_new();
	char *result;

	dateline_groups_by_hand = by_hand;
	article->content_html = xstrdup(html);
	clean_article(article, rules, NULL, NULL);
	result = xasprintf("%s|%s", article->dateline ? article->dateline : "(none)",
	    article->text ? article->text : "(none)");
	article_free(article);
	dateline_groups_by_hand = 1;
	return result;
}

/* Both ways agree on html; counts a dateline found. */
static int
ways_agree(const struct clean_rules *rules, const char *html, size_t *found)
{
	char *fast = cleaned(rules, html, 1), *slow = cleaned(rules, html, 0);
	int agree = strcmp(fast, slow) == 0;

	if (!agree)
		fprintf(stderr, "  on %s:\n   by hand %s\n   regexec %s\n", html, fast, slow);
	*found += strncmp(slow, "(none)|", 7) != 0;
	free(fast);
	free(slow);
	return agree;
}

static void
test_generated_heads(void)
{
	char error[256];
	struct clean_rules *rules = clean_rules_load(NULL, error, sizeof error);
	size_t disagreements = 0, found = 0;

	CHECK(rules != NULL);
	if (rules == NULL)
		return;
	for (int round = 0; round < 6000; round++) {
		char *head = generated_head();
		char *html = xasprintf(round % 3 == 2 ? "<p>Short lead.</p><p>%s</p>" :
		    "<p>%s</p><p>Second paragraph.</p>", head);

		disagreements += !ways_agree(rules, html, &found);
		free(html);
		free(head);
	}
	printf("  6000 generated heads: %zu datelines found\n", found);
	CHECK(disagreements == 0);
	CHECK(found > 600);	/* the comparison covers datelines, not only their absence */
	clean_rules_free(rules);
}

struct article_list {
	struct article **items;
	size_t count;
};

static int
collect_item(struct article *item, void *context)
{
	struct article_list *list = context;

	list->items = xrealloc(list->items, (list->count + 1) * sizeof *list->items);
	list->items[list->count++] = item;
	return 0;
}

/* Every item of the feeds in directory, cleaned both ways. */
static void
check_feed_directory(const struct clean_rules *rules, const char *directory, size_t *items,
    size_t *found, size_t *disagreements)
{
	DIR *dir = opendir(directory);
	struct dirent *entry;

	if (dir == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		struct article_list list = { NULL, 0 };
		char error[256];
		char *path, *data;
		size_t size;

		if (strstr(entry->d_name, ".xml") == NULL)
			continue;
		path = xasprintf("%s/%s", directory, entry->d_name);
		if ((data = file_read(path, &size)) != NULL)
			feed_parse(data, size, path, NULL, NULL, collect_item, &list, error,
			    sizeof error);
		for (size_t i = 0; i < list.count; i++) {
			const char *body = list.items[i]->content_html ?
			    list.items[i]->content_html : list.items[i]->summary_html;

			if (body != NULL) {
				*disagreements += !ways_agree(rules, body, found);
				(*items)++;
			}
			article_free(list.items[i]);
		}
		free(list.items);
		free(data);
		free(path);
	}
	closedir(dir);
}

static void
test_feed_items(void)
{
	char error[256];
	struct clean_rules *rules = clean_rules_load("conf/rules/boilerplate.rules", error,
	    sizeof error);
	size_t items = 0, found = 0, disagreements = 0;

	CHECK(rules != NULL);
	if (rules == NULL)
		return;
	check_feed_directory(rules, "tests/feeds", &items, &found, &disagreements);
	check_feed_directory(rules, "conf/demo/feeds", &items, &found, &disagreements);
	printf("  %zu feed items: %zu datelines found\n", items, found);
	CHECK(items > 40);
	CHECK(disagreements == 0);
	clean_rules_free(rules);
}

int
main(void)
{
	RUN(test_generated_heads);
	RUN(test_feed_items);
	return check_finish();
}
