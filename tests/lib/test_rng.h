/* test_rng.h - what the randomized kernel tests share: a deterministic generator (the same
 * sequence on every machine, so a failing seed can be replayed) and numeric overrides from the
 * environment (the seed, the number of frames). */
#ifndef VOSFP_TEST_RNG_H
#define VOSFP_TEST_RNG_H

#include <stdint.h>
#include <stdlib.h>

struct rng {
	uint64_t s;
};

/* splitmix64: tiny, fast, and the same sequence on every machine. */
static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* 0..n-1 (0 when n is 0). */
static inline unsigned below(struct rng *r, unsigned n)
{
	return n ? (unsigned)(rnd(r) % n) : 0;
}

/* The environment variable name as a number, or def when unset or empty. */
static inline unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

#endif
