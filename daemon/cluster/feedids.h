/*
 * feedids.h - the delivered ids of a cluster state record (feedstate.c) in their compact form:
 * per feed the last CLUSTER_DELIVERED_MAX ids as 64-bit hashes (XXH3_64bits of the id) with
 * their versions (the item's updated time and content hash as delivered), oldest first, kept
 * in plain arrays and written into the record as one base64 string ("ids", layout in
 * docs/schema/feed-state.schema.json). Records of earlier versions ("delivered" and
 * "versions") are read into the same form. A small open-addressing index over the hashes
 * finds an entry in constant time. A map from feed URL to its ids holds the feeds of the
 * instance's partitions.
 */
#ifndef WIRESIFT_FEEDIDS_H
#define WIRESIFT_FEEDIDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FEEDIDS_VERSION		1	/* the packed layout's first byte */

/*
 * 24 bytes: an instance holds one for each id of each feed it polls, 1000 a full feed (with
 * an int of its own, handed made it 32: 8 KB more a full feed, 400 MB at 50,000 feeds).
 */
struct feedid {
	uint64_t	 hash;		/* XXH3_64bits(id) */
	uint64_t	 content_hash;	/* what it said as delivered, 0 none */
	int64_t		 updated : 63;	/* the feed's updated time as delivered, 0 none (+-2^61) */
	uint64_t	 handed : 1;	/* read from the topic; not yet given to the seen cache */
};

struct feedids {
	char		*url;
	struct feedids	*next;		/* in its map bucket */
	struct feedid	*entries;	/* oldest first: base + start */
	struct feedid	*base;		/* capacity entries allocated */
	size_t		 count, capacity, start;
	size_t		 handed;	/* entries with handed set */
	uint16_t	*index;		/* open addressing: 1 + slot in base, 0 empty */
	size_t		 index_size;	/* a power of two, at least 1.5 x capacity */
};

struct feedids_map {
	struct feedids	**buckets;
	size_t		 size, count;
};

uint64_t feedids_hash(const char *id);
/* Index of the hash's entry, or -1. */
long	 feedids_find(const struct feedids *ids, uint64_t hash);
/* Appends (moves to the end) the hash's entry with this version; the oldest go past the max. */
void	 feedids_deliver(struct feedids *ids, uint64_t hash, int64_t updated,
	    uint64_t content_hash, int handed);
void	 feedids_remove(struct feedids *ids, size_t index);
/* Frees the entries and the index (not the URL): ids is then empty. */
void	 feedids_clear(struct feedids *ids);
/* Replaces to's entries by from's, which is then empty. */
void	 feedids_move(struct feedids *to, struct feedids *from);

/* The packed layout, base64: appended to out, without quotes. */
void	 feedids_encode(const struct feedids *ids, struct buffer *out);
/* Replaces ids' entries by those of a base64 string (all handed); -1 when malformed. */
int	 feedids_decode(struct feedids *ids, const char *text, size_t length);
/* Replaces ids' entries by an earlier version's "delivered" and "versions" (all handed). */
void	 feedids_from_json(struct feedids *ids, json_t *delivered, json_t *versions);

/* The feed's ids, NULL when the map has none; created (empty) by feedids_take. */
struct feedids *feedids_get(const struct feedids_map *map, const char *url);
struct feedids *feedids_take(struct feedids_map *map, const char *url);
void	 feedids_drop(struct feedids_map *map, const char *url);
/* Drops the feeds for which match(context, url) says 1. */
void	 feedids_drop_if(struct feedids_map *map, int (*match)(void *, const char *),
	    void *context);
void	 feedids_map_clear(struct feedids_map *map);

#endif
