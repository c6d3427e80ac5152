/*
 * json_arena.c - the per-thread arena of json_arena.h, installed as jansson's allocator.
 *
 * The allocator is process-wide (json_set_alloc_funcs), so it decides per call: a thread
 * with its arena open bumps a pointer in a chunk; any other call is malloc/free. A free of
 * arena memory does nothing; json_arena_end() rewinds the arena, keeping one standard chunk
 * for the next message. Chunks are freed when the thread exits.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "json_arena.h"
#include "util.h"

#define CHUNK_SIZE	(64 * 1024)
#define ALIGNMENT	16

struct chunk {
	struct chunk	*next;		/* older chunks of the same message */
	size_t		 capacity;
	size_t		 used;
	_Alignas(ALIGNMENT) unsigned char data[];
};

struct arena {
	struct chunk	*chunks;	/* the one being filled first */
};

static pthread_key_t arena_key;
static pthread_once_t arena_once = PTHREAD_ONCE_INIT;
static _Thread_local struct arena *open_arena;	/* this thread's, between begin and end */

static void
chunks_free(struct chunk *chunk)
{
	while (chunk != NULL) {
		struct chunk *next = chunk->next;

		free(chunk);
		chunk = next;
	}
}

static void
arena_destroy(void *pointer)
{
	struct arena *arena = pointer;

	chunks_free(arena->chunks);
	free(arena);
}

static void *
arena_malloc(size_t size)
{
	struct arena *arena = open_arena;
	struct chunk *chunk;

	if (arena == NULL)
		return malloc(size);
	size = (size + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
	chunk = arena->chunks;
	if (chunk == NULL || chunk->capacity - chunk->used < size) {
		size_t capacity = size > CHUNK_SIZE ? size : CHUNK_SIZE;

		if ((chunk = malloc(sizeof *chunk + capacity)) == NULL)
			return NULL;
		chunk->next = arena->chunks;
		chunk->capacity = capacity;
		chunk->used = 0;
		arena->chunks = chunk;
	}
	chunk->used += size;
	return chunk->data + chunk->used - size;
}

static int
arena_owns(const struct arena *arena, const void *pointer)
{
	uintptr_t address = (uintptr_t)pointer;

	for (const struct chunk *chunk = arena->chunks; chunk != NULL; chunk = chunk->next)
		if (address >= (uintptr_t)chunk->data &&
		    address < (uintptr_t)chunk->data + chunk->capacity)
			return 1;
	return 0;
}

static void
arena_free(void *pointer)
{
	if (pointer == NULL || (open_arena != NULL && arena_owns(open_arena, pointer)))
		return;
	free(pointer);
}

static void
arena_setup(void)
{
	pthread_key_create(&arena_key, arena_destroy);
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void
json_arena_begin(void)
{
	struct arena *arena;

	pthread_once(&arena_once, arena_setup);
	if ((arena = pthread_getspecific(arena_key)) == NULL) {
		arena = xcalloc(1, sizeof *arena);
		pthread_setspecific(arena_key, arena);
	}
	open_arena = arena;
}

void
json_arena_end(void)
{
	struct arena *arena = open_arena;
	struct chunk *keep;

	if (arena == NULL)
		return;
	open_arena = NULL;
	/* Keep the oldest chunk when it is a standard one; the rest go. */
	for (keep = arena->chunks; keep != NULL && keep->next != NULL; keep = keep->next)
		;
	if (keep != NULL && keep->capacity == CHUNK_SIZE) {
		struct chunk *chunk = arena->chunks;

		while (chunk != keep) {
			struct chunk *next = chunk->next;

			free(chunk);
			chunk = next;
		}
		keep->used = 0;
		arena->chunks = keep;
	} else {
		chunks_free(arena->chunks);
		arena->chunks = NULL;
	}
}
