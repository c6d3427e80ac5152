/*
 * test_message.c - the article message written without a tree (daemon/message_write.c)
 * against the same message built as a jansson tree and written (article_json.c's message_render,
 * what it replaced): byte for byte, over articles that fill every field and that leave each
 * optional one out, with strings that need escapes.  Then what jansson reads back from it,
 * and the verdicts the loop adds (message_write_verdicts) against their trees, and the
 * loop's message built in the worker's buffer (article_json_take) against article_to_json.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "article.h"
#include "json_arena.h"
#include "message_write.h"
#include "util.h"

/* An article with every field of the message set, strings that need escapes included. */
static struct article *
full_article(void)
{
	struct article *article = article_new();

	article->guid = xstrdup("urn:x:1");
	article->link = xstrdup("https://x.example/a?b=1&c=\"2\"");
	article->title = xstrdup("Title \"quoted\" \\ back\tslash \xc3\xa9 \xe2\x80\x94 \xf0\x9f\x93\xb0");
	article->summary = xstrdup("Sum\x01mary \x1f with controls\r\n");
	article->text = xstrdup("One.\n\nTwo \xe4\xb8\xad\xe6\x96\x87.\b\f");
	article->dateline = xstrdup("KABUL");
	article->feed_name = xstrdup("Feed");
	article->source_name = xstrdup("Source \"name\"");
	article->source_domain = xstrdup("x.example");
	article->feed_url = xstrdup("https://x.example/feed");
	article->feed_title = xstrdup("Feed title");
	article->feed_language = xstrdup("en-GB");
	strlist_add(&article->source_tags, "world");
	strlist_add(&article->source_tags, "wire");
	article->published = 1758435540;
	article->updated = 1758435600;
	article->fetched = 1758435660;
	article->published_is_fetch_time = 1;
	strcpy(article->lang_code, "en");
	article->lang_confidence = 0.987;
	article_add_person(article, "A. Writer", "a@x.example", NULL);
	article_add_person(article, NULL, "b@x.example", "https://x.example/b");
	article_add_category(article, "Politics", NULL, NULL);
	article_add_entity(article, "Kabul", "place", 2);
	article_add_entity(article, "Zabihullah Mujahid", NULL, 1);
	strlist_add(&article->keywords, "bagram");
	strlist_add(&article->topics, "politics");
	article_add_enclosure(article, "https://x.example/a.mp3", "audio/mpeg", 12345);
	article_add_enclosure(article, "https://x.example/b.jpg", NULL, -1);
	article_enclosure_list_add(&article->media, &article->media_count,
	    "https://x.example/m.jpg", "image/jpeg", 0);
	article->word_count = 461;
	article->fulltext_status = "fetched";	/* static strings */
	article->fulltext_url = xstrdup("https://x.example/a");
	article->fulltext_method = "dom";
	article->fulltext_words = 800;
	article->fulltext_http_status = 200;
	article->is_update = 1;
	article_assign_id(article);
	return article;
}

/*
 * 1 when both writers succeeded (ok) and direct holds tree's bytes, NUL-terminated; prints the
 * two when not. Frees both buffers.
 */
static int
same_bytes(int ok, struct buffer *direct, struct buffer *tree)
{
	int same = ok && direct->length == tree->length &&
	    memcmp(direct->data, tree->data, direct->length) == 0 &&
	    direct->data[direct->length] == '\0';

	if (!same)
		printf("  direct: %.*s\n  tree:   %.*s\n", (int)direct->length, direct->data,
		    (int)tree->length, tree->data);
	buffer_free(direct);
	buffer_free(tree);
	return same;
}

/* message_write's bytes equal the tree's; returns 1 when they do. */
static int
same_as_tree(const struct article *article)
{
	struct buffer direct = { 0 }, tree = { 0 };
	int written, rendered;

	written = message_write(article, &direct);
	json_arena_begin();
	rendered = message_render(article, &tree);
	json_arena_end();
	return same_bytes(written == 0 && rendered == 0, &direct, &tree);
}

static void
test_full_article(void)
{
	struct article *article = full_article();

	CHECK(same_as_tree(article));
	article_free(article);
}

/* Each optional part left out in turn: nulls, empty lists, no lang, no page step. */
static void
test_optional_fields_left_out(void)
{
	for (int variant = 0; variant < 6; variant++) {
		struct article *article = full_article();

		switch (variant) {
		case 0:	/* authors only named: {name, null, null} */
			article_person_list_free(article->people, article->person_count);
			article->people = NULL;
			article->person_count = 0;
			break;
		case 1:
			article->lang_code[0] = '\0';
			article->published_is_fetch_time = 0;
			break;
		case 2:
			article->fulltext_status = NULL;
			article->is_update = 0;
			break;
		case 3:
			article->fulltext_http_status = 0;
			article->fulltext_method = NULL;
			break;
		case 4:	/* no texts, no times, no source */
			free(article->title);
			free(article->text);
			free(article->summary);
			free(article->source_name);
			article->title = article->text = article->summary = NULL;
			article->source_name = NULL;
			article->published = article->updated = 0;
			break;
		default:
			strlist_clear(&article->keywords);
			strlist_clear(&article->source_tags);
			strlist_clear(&article->authors);
			article_person_list_free(article->people, article->person_count);
			article->people = NULL;
			article->person_count = 0;
			article->word_count = 0;
			break;
		}
		CHECK(same_as_tree(article));
		article_free(article);
	}
}

/* A string that is not UTF-8 fails the direct write; the message then leaves it out. */
static void
test_invalid_string_falls_back(void)
{
	struct article *article = full_article();
	struct buffer direct = { 0 };
	json_error_t error;
	json_t *root;
	char *text;

	free(article->summary);
	article->summary = xstrdup("Broken \xc3 summary");
	CHECK(message_write(article, &direct) == -1);
	buffer_free(&direct);
	text = article_json_without_dedup(article);
	text = xrealloc(text, strlen(text) + 2);
	strcat(text, "}");
	root = json_loads(text, 0, &error);
	CHECK(root != NULL);
	CHECK(json_object_get(root, "summary") == NULL);
	CHECK(json_is_string(json_object_get(root, "title")));
	json_decref(root);
	free(text);
	article_free(article);
}

/* jansson (an independent reader) reads back what was written. */
static void
test_jansson_reads_it_back(void)
{
	struct article *article = full_article();
	struct buffer direct = { 0 };
	json_error_t error;
	json_t *root, *entities;

	CHECK(message_write(article, &direct) == 0);
	root = json_loads(direct.data, 0, &error);
	CHECK(root != NULL);
	CHECK_STR(json_string_value(json_object_get(root, "title")), article->title);
	CHECK_STR(json_string_value(json_object_get(root, "summary")), article->summary);
	CHECK(json_real_value(json_object_get(json_object_get(root, "lang"), "confidence")) ==
	    0.99);
	entities = json_object_get(json_object_get(root, "tags"), "entities");
	CHECK(json_array_size(entities) == 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(entities, 1), "type")),
	    "other");
	CHECK(json_is_null(json_object_get(json_array_get(json_object_get(root, "enclosures"),
	    1), "length")));
	CHECK(json_integer_value(json_object_get(root, "reading_time")) == 3);
	CHECK(json_is_true(json_object_get(root, "update")));
	json_decref(root);
	buffer_free(&direct);
	article_free(article);
}

/* The verdicts written directly against the trees, byte for byte; 1 when the same. */
static int
verdicts_same_as_tree(const struct article *article)
{
	struct buffer direct = { 0 }, tree = { 0 };
	const char *open_message = "{\"id\":\"x\"";
	int written;

	written = message_write_verdicts(article, open_message, &direct);
	message_render_verdicts(article, open_message, &tree);
	return same_bytes(written == 0, &direct, &tree);
}

static void
test_verdicts(void)
{
	struct article *article = full_article();
	struct buffer direct = { 0 };

	CHECK(verdicts_same_as_tree(article));		/* unknown, no story */
	article->dedup.status = DEDUP_DUPLICATE;
	article->dedup.duplicate_of = xstrdup("0123456789abcdef0123456789abcdef");
	article->dedup.group = xstrdup("0123456789abcdef0123456789abcdef");
	article->dedup.similarity = 0.87654;
	article->dedup.method = "minhash";
	article->story.id = xstrdup("00112233aabbccdd");
	article->story.size = 3;
	article->story.first_seen = 1758435540;
	article->story.headline = xstrdup("A \"headline\" \xc3\xa9");
	CHECK(verdicts_same_as_tree(article));
	article->dedup.status = DEDUP_UNIQUE;
	article->story.first_seen = 0;
	article->dedup.similarity = 1.0;
	CHECK(verdicts_same_as_tree(article));
	/* a headline that is not UTF-8: not written directly; the tree leaves it out */
	free(article->story.headline);
	article->story.headline = xstrdup("Broken \xff");
	CHECK(message_write_verdicts(article, "{", &direct) == -1);
	buffer_free(&direct);
	{
		char *whole = article_json_with_dedup(article, "{\"id\":\"x\"");
		json_error_t error;
		json_t *root = json_loads(whole, 0, &error);

		CHECK(root != NULL);
		CHECK(json_object_get(json_object_get(root, "story"), "headline") == NULL);
		CHECK(json_integer_value(json_object_get(json_object_get(root, "story"),
		    "size")) == 3);
		json_decref(root);
		free(whole);
	}
	article_free(article);
}

/*
 * article_json_take (the loop's step: verdicts appended in the worker's buffer, its length
 * carried) gives what article_to_json (the open message measured and copied) gives, in each
 * way json_without_dedup can come: kept by the worker, set without its length, not set.
 */
static int
take_same_as_to_json(struct article *article, int how)
{
	char *expected, *taken;
	size_t length;
	int same;

	free(article->json_without_dedup);
	article->json_without_dedup = NULL;
	article->json_without_dedup_length = article->json_without_dedup_capacity = 0;
	if (how == 0)
		article_keep_json_without_dedup(article);
	else if (how == 1)
		article->json_without_dedup = article_json_without_dedup(article);
	expected = article_to_json(article);
	taken = article_json_take(article, &length);
	same = strcmp(expected, taken) == 0 && length == strlen(taken) &&
	    article->json_without_dedup == NULL && article->json_without_dedup_length == 0;
	free(expected);
	free(taken);
	return same;
}

static void
test_take(void)
{
	struct article *article = full_article();

	for (int how = 0; how < 3; how++)
		CHECK(take_same_as_to_json(article, how));	/* unknown, no story */
	article->dedup.status = DEDUP_DUPLICATE;
	article->dedup.duplicate_of = xstrdup("0123456789abcdef0123456789abcdef");
	article->dedup.similarity = 0.5;
	article->dedup.method = "minhash";
	article->story.id = xstrdup("00112233aabbccdd");
	article->story.size = 2;
	article->story.headline = xstrdup("A headline");
	for (int how = 0; how < 3; how++)
		CHECK(take_same_as_to_json(article, how));
	/* a verdict that is not UTF-8: the tree's verdicts after the same open message */
	free(article->story.headline);
	article->story.headline = xstrdup("Broken \xff");
	for (int how = 0; how < 3; how++)
		CHECK(take_same_as_to_json(article, how));
	/* an open message that is not UTF-8 either: the tree's */
	free(article->summary);
	article->summary = xstrdup("Broken \xc3 summary");
	for (int how = 0; how < 3; how++)
		CHECK(take_same_as_to_json(article, how));
	article_free(article);
}

int
main(void)
{
	RUN(test_full_article);
	RUN(test_optional_fields_left_out);
	RUN(test_invalid_string_falls_back);
	RUN(test_jansson_reads_it_back);
	RUN(test_verdicts);
	RUN(test_take);
	return check_finish();
}
