/* summary.c - see summary.h. A /8 sets 65536 bits: whole words are filled, not bits. */
#include <string.h>

#include "summary.h"

static void set_range(uint64_t *words, uint32_t first, uint32_t count)
{
	uint32_t end = first + count;

	while (first < end && (first & 63)) {
		words[first >> 6] |= 1ULL << (first & 63);
		first++;
	}
	if (end - first >= 64) {
		memset(&words[first >> 6], 0xFF, ((end - first) >> 6) * sizeof(uint64_t));
		first += (end - first) & ~63u;
	}
	while (first < end) {
		words[first >> 6] |= 1ULL << (first & 63);
		first++;
	}
}

const char *const summary_map_names[SUMMARY_KINDS] = {
	[SUMMARY_BLOCK_NEAR] = "blocked_v4_sum",
	[SUMMARY_ALLOW_NEAR] = "allowed_v4_sum",
	[SUMMARY_BLOCK_FULL] = "blocked_v4_full",
};

void summary_add(const struct vosfp_prefix *p, uint64_t *near, uint64_t *full)
{
	uint32_t addr, first;

	if (p->family != 4)
		return;
	addr = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 | (uint32_t)p->addr[2] << 8 | p->addr[3];
	first = addr >> 8;
	if (p->len > 24) {
		set_range(near, first, 1);
		return;
	}
	set_range(near, first, 1u << (24 - p->len));
	if (full)
		set_range(full, first, 1u << (24 - p->len));
}

void summary_build(const struct prefix_set *s, uint64_t *near, uint64_t *full)
{
	for (size_t i = 0; i < s->n; i++)
		summary_add(&s->v[i], near, full);
}
