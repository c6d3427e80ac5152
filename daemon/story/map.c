/*
 * map.c - the story stage's 64-bit hash maps (article id -> story, story id -> slot, pending
 * joins): linear probing, grown at half full, deletion by backward shift so no tombstones
 * pile up as stories leave the window.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "story_internal.h"
#include "util.h"

#define INITIAL_CAPACITY 1024

uint64_t
story_map_key(const char *text)
{
	uint64_t key = XXH3_64bits(text, strlen(text));

	return key != 0 ? key : 1;
}

void
story_map_init(struct story_map *map)
{
	map->capacity = INITIAL_CAPACITY;
	map->used = 0;
	map->keys = xcalloc(map->capacity, sizeof *map->keys);
	map->values = xcalloc(map->capacity, sizeof *map->values);
}

void
story_map_free(struct story_map *map)
{
	free(map->keys);
	free(map->values);
	memset(map, 0, sizeof *map);
}

static size_t
home(const struct story_map *map, uint64_t key)
{
	return (size_t)(key * 0x9E3779B97F4A7C15ULL >> 20) & (map->capacity - 1);
}

void
story_map_prefetch(const struct story_map *map, uint64_t key)
{
	__builtin_prefetch(&map->keys[home(map, key)]);
}

static void
grow(struct story_map *map)
{
	uint64_t *keys = map->keys, *values = map->values;
	size_t capacity = map->capacity;

	map->capacity *= 2;
	map->used = 0;
	map->keys = xcalloc(map->capacity, sizeof *map->keys);
	map->values = xcalloc(map->capacity, sizeof *map->values);
	for (size_t i = 0; i < capacity; i++)
		if (keys[i] != 0)
			story_map_put(map, keys[i], values[i]);
	free(keys);
	free(values);
}

void
story_map_put(struct story_map *map, uint64_t key, uint64_t value)
{
	size_t slot;

	if ((map->used + 1) * 2 > map->capacity)
		grow(map);
	slot = home(map, key);
	while (map->keys[slot] != 0 && map->keys[slot] != key)
		slot = (slot + 1) & (map->capacity - 1);
	if (map->keys[slot] == 0)
		map->used++;
	map->keys[slot] = key;
	map->values[slot] = value;
}

int
story_map_get(const struct story_map *map, uint64_t key, uint64_t *value)
{
	size_t slot = home(map, key);

	while (map->keys[slot] != 0) {
		if (map->keys[slot] == key) {
			*value = map->values[slot];
			return 1;
		}
		slot = (slot + 1) & (map->capacity - 1);
	}
	return 0;
}

void
story_map_remove(struct story_map *map, uint64_t key)
{
	size_t mask = map->capacity - 1, slot = home(map, key), next;

	while (map->keys[slot] != key) {
		if (map->keys[slot] == 0)
			return;
		slot = (slot + 1) & mask;
	}
	/* Shift back every following entry that may sit in the freed slot. */
	for (next = (slot + 1) & mask; map->keys[next] != 0; next = (next + 1) & mask) {
		size_t wanted = home(map, map->keys[next]);

		if (((next - wanted) & mask) >= ((next - slot) & mask)) {
			map->keys[slot] = map->keys[next];
			map->values[slot] = map->values[next];
			slot = next;
		}
	}
	map->keys[slot] = 0;
	map->values[slot] = 0;
	map->used--;
}
