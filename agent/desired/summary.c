/* summary.c - see summary.h. A v4 /8 sets 65536 bits: whole words are filled, not bits. */
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
	[SUMMARY_BLOCK_V6] = "blocked_v6_sum",
	[SUMMARY_ALLOW_V6] = "allowed_v6_sum",
	[SUMMARY_BLOCK_V6_WIDE] = "blocked_v6_wide",
	[SUMMARY_ALLOW_V6_WIDE] = "allowed_v6_wide",
};

static uint32_t top32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static void add4(const struct vosfp_prefix *p, uint64_t *near, uint64_t *full)
{
	uint32_t first = top32(p->addr) >> 8;

	if (p->len > 24) {
		set_range(near, first, 1);
		return;
	}
	set_range(near, first, 1u << (24 - p->len));
	if (full)
		set_range(full, first, 1u << (24 - p->len));
}

static void add6(const struct vosfp_prefix *p, uint64_t *sum, uint64_t *wide)
{
	uint32_t bit = vosfp_v6_sum_bit(top32(p->addr)), first = top32(p->addr) >> 8;

	if (p->len >= 32)
		sum[bit >> 6] |= 1ULL << (bit & 63);
	else if (p->len >= 24)
		set_range(wide, first, 1);
	else
		set_range(wide, first & ~((1u << (24 - p->len)) - 1), 1u << (24 - p->len));
}

void summary_add(const struct vosfp_prefix *p, int blocklist, uint64_t *const sums[SUMMARY_KINDS])
{
	if (p->family == 4)
		add4(p, sums[blocklist ? SUMMARY_BLOCK_NEAR : SUMMARY_ALLOW_NEAR],
		     blocklist ? sums[SUMMARY_BLOCK_FULL] : NULL);
	else if (p->family == 6)
		add6(p, sums[blocklist ? SUMMARY_BLOCK_V6 : SUMMARY_ALLOW_V6],
		     sums[blocklist ? SUMMARY_BLOCK_V6_WIDE : SUMMARY_ALLOW_V6_WIDE]);
}

void summary_build(const struct prefix_set *s, int blocklist, uint64_t *const sums[SUMMARY_KINDS])
{
	for (size_t i = 0; i < s->n; i++)
		summary_add(&s->v[i], blocklist, sums);
}
