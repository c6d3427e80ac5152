/*
 * xorshift.h - a reproducible xorshift64 sequence for tests that generate their inputs: the
 * including test defines RANDOM_SEED (each test its own sequence) and draws with next_random().
 */
#ifndef WIRESIFT_XORSHIFT_H
#define WIRESIFT_XORSHIFT_H

#include <stdint.h>

static uint64_t random_state = RANDOM_SEED;

/* A number below `below`, from the test's sequence. */
static unsigned
next_random(unsigned below)
{
	random_state ^= random_state << 13;
	random_state ^= random_state >> 7;
	random_state ^= random_state << 17;
	return (unsigned)(random_state % below);
}

#endif
