/*
 * opml.h - feed subscriptions from OPML, the format feed readers export: every <outline> with
 * an xmlUrl, at any depth; its title (or text) becomes the feed name and the titles of the
 * outlines around it (folders) become its tags.
 */
#ifndef WIRESIFT_OPML_H
#define WIRESIFT_OPML_H

#include <stddef.h>
#include "config.h"

/* Append the OPML file's feeds to config->feeds (skipping ones already listed). -1 on error. */
int	 opml_load_feeds(struct config *config, const char *path, char *error, size_t error_size);
/* Print the feeds of an OPML file as feeds.list lines on stdout. 0, or 1 with a message. */
int	 opml_print_feeds_list(const char *path);

#endif
