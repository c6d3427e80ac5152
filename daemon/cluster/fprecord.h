/*
 * fprecord.h - the records of the fingerprints topic (cluster mode's global dedup log,
 * fingerprints.c): written in the compact binary layout of docs/schema/fingerprint.schema.json
 * (magic byte 0xFB, version 1, fixed-width little-endian fields), read in that layout or in
 * the JSON one that earlier versions wrote, so a topic holding both (the window of an upgrade)
 * is read whole.
 */
#ifndef WIRESIFT_FPRECORD_H
#define WIRESIFT_FPRECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "article.h"
#include "dedup/dedup_internal.h"

#define FPRECORD_MAGIC		0xFB	/* starts no JSON text (JSON records start with '{') */
#define FPRECORD_VERSION	1
#define FPRECORD_STORY		0x01	/* flags: the story part follows the sketch */
#define FPRECORD_HEADER		8	/* magic, version, flags, shingle_size, signature_size, bands */

/* A record being read: its id and time at once; the rest only when it is another's. */
struct fprecord {
	const uint8_t	*data;		/* binary: the value */
	size_t		 length;
	size_t		 sketch_at;	/* binary: offset of the exact hash */
	json_t		*json;		/* JSON: the parsed value */
	char		 id[256];
	time_t		 time;
};

/* The article's record (binary) in a malloc'd buffer of *length bytes. */
uint8_t	*fprecord_encode(const struct dedup_hasher *hasher, const struct article *article,
	    time_t when, size_t *length);
/* Reads the id and time; -1 when the value is neither layout or lacks them. */
int	 fprecord_open(struct fprecord *record, const void *value, size_t length);
/* Whether the record carries story features (flags bit 0 of a binary one, "story" in a JSON
 * one): one without them is judged dedup only, by its own instance as by the others. */
int	 fprecord_has_story(const struct fprecord *record);
/* Another instance's candidate: an article of the id, its sketch and story features; NULL
 * when the record was sketched with other [dedup] sizes or is cut short. */
struct article *fprecord_article(const struct fprecord *record,
	    const struct dedup_hasher *hasher);
void	 fprecord_close(struct fprecord *record);

#endif
