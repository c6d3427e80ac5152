/*
 * json_arena.h - jansson values of one message from a per-thread arena instead of malloc.
 *
 * Rendering a message builds and frees about 130 small jansson values (objects, their hash
 * tables, copies of every string); between json_arena_begin() and json_arena_end() on a
 * thread, jansson allocates them from that thread's arena and frees nothing, and
 * json_arena_end() takes them back all at once. Everything built in between must be
 * released (json_decref) before json_arena_end(). Other threads, and this one outside the
 * pair, use malloc as usual.
 */
#ifndef WIRESIFT_JSON_ARENA_H
#define WIRESIFT_JSON_ARENA_H

void	 json_arena_begin(void);
void	 json_arena_end(void);

#endif
