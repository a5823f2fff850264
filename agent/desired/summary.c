/* summary.c - see summary.h. A v4 /8 sets 65536 bits: whole words are filled, not bits. Pure. */
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
	[SUMMARY_BLOCK_V6_FULL] = "blocked_v6_full",
	[SUMMARY_BLOCK_V6_LEN] = "blocked_v6_len",
	[SUMMARY_BLOCK_V4_PART] = "blocked_v4_part",
};

static uint32_t top32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* full and part: NULL where the list has none (the allowlist). */
static void add4(const struct vosfp_prefix *p, uint64_t *near, uint64_t *full, uint64_t *part)
{
	uint32_t first = top32(p->addr) >> 8;

	if (p->len > 24) {
		set_range(near, first, 1);
		if (part && p->len < 32)
			set_range(part, first, 1);
		return;
	}
	set_range(near, first, 1u << (24 - p->len));
	if (full)
		set_range(full, first, 1u << (24 - p->len));
}

uint64_t summary_lens_add(uint64_t word, unsigned len)
{
	uint8_t lens[VOSFP_V6_LENS + 1] = { 0 };
	unsigned n = 0, at;

	if ((word & 0xFF) == VOSFP_V6_LENS_MORE)
		return word;
	while (n < VOSFP_V6_LENS && (lens[n] = (uint8_t)(word >> (8 * n))))
		n++;
	for (at = 0; at < n && lens[at] > len; at++)
		;
	if (at < n && lens[at] == len)
		return word;
	if (n == VOSFP_V6_LENS)
		return VOSFP_V6_LENS_MORE;
	memmove(&lens[at + 1], &lens[at], n - at);
	lens[at] = (uint8_t)len;
	word = 0;
	for (unsigned i = 0; i <= n; i++)
		word |= (uint64_t)lens[i] << (8 * i);
	return word;
}

uint64_t summary_grow(enum summary_kind k, uint64_t old, uint64_t new)
{
	if (k != SUMMARY_BLOCK_V6_LEN)
		return old | new;
	if ((new & 0xFF) == VOSFP_V6_LENS_MORE)
		return VOSFP_V6_LENS_MORE;
	for (unsigned i = 0; i < VOSFP_V6_LENS && (new >> (8 * i)) & 0xFF; i++)
		old = summary_lens_add(old, (new >> (8 * i)) & 0xFF);
	return old;
}

/* The /24s a prefix shorter than /32 lies in or covers: [*first, *first + count). */
static uint32_t slash24s(const struct vosfp_prefix *p, uint32_t *first)
{
	*first = top32(p->addr) >> 8;
	if (p->len >= 24)
		return 1;
	*first &= ~((1u << (24 - p->len)) - 1);
	return 1u << (24 - p->len);
}

/* full and lens: NULL for the allowlist (its prefixes have no index). */
static void add6(const struct vosfp_prefix *p, uint64_t *sum, uint64_t *wide, uint64_t *full,
		 uint64_t *lens)
{
	uint32_t bit = vosfp_v6_sum_bit(top32(p->addr)), first, count;

	if (p->len >= 32) {
		sum[bit >> 6] |= 1ULL << (bit & 63);
	} else {
		count = slash24s(p, &first);
		set_range(wide, first, count);
		if (full && p->len < VOSFP_V6_LEN_MIN)
			set_range(full, first, count);
	}
	if (!lens || p->len < VOSFP_V6_LEN_MIN || p->len == 128)
		return;
	bit = p->len >= 32 ? vosfp_v6_len_bucket(top32(p->addr)) : vosfp_v6_len_bucket24(top32(p->addr));
	lens[bit] = summary_lens_add(lens[bit], p->len);
}

void summary_add(const struct vosfp_prefix *p, int blocklist, uint64_t *const sums[SUMMARY_KINDS])
{
	if (p->family == 4)
		add4(p, sums[blocklist ? SUMMARY_BLOCK_NEAR : SUMMARY_ALLOW_NEAR],
		     blocklist ? sums[SUMMARY_BLOCK_FULL] : NULL,
		     blocklist ? sums[SUMMARY_BLOCK_V4_PART] : NULL);
	else if (p->family == 6)
		add6(p, sums[blocklist ? SUMMARY_BLOCK_V6 : SUMMARY_ALLOW_V6],
		     sums[blocklist ? SUMMARY_BLOCK_V6_WIDE : SUMMARY_ALLOW_V6_WIDE],
		     blocklist ? sums[SUMMARY_BLOCK_V6_FULL] : NULL,
		     blocklist ? sums[SUMMARY_BLOCK_V6_LEN] : NULL);
}

void summary_build(const struct prefix_set *s, int blocklist, uint64_t *const sums[SUMMARY_KINDS])
{
	for (size_t i = 0; i < s->n; i++)
		summary_add(&s->v[i], blocklist, sums);
}
