/* summary.h - the summary bitmaps of bpf/vosfp.h (IPv4 /24s, hashed IPv6 /32s), computed from a
 * list: what lets the datapath skip the hash and the LPM trie for sources no entry is near. Pure. */
#ifndef VOSFP_SUMMARY_H
#define VOSFP_SUMMARY_H

#include <stdint.h>

#include "prefix_set.h"

/* Every summary has the same geometry (2^24 bits), so one size and one writer serve all. */
#define SUMMARY_WORDS VOSFP_V4_SUMMARY_WORDS
#define SUMMARY_BYTES ((size_t)SUMMARY_WORDS * sizeof(uint64_t))

/* The summary maps of bpf/vosfp.h, in the order the agent keeps them. */
enum summary_kind {
	SUMMARY_BLOCK_NEAR,	/* blocked_v4_sum */
	SUMMARY_ALLOW_NEAR,	/* allowed_v4_sum */
	SUMMARY_BLOCK_FULL,	/* blocked_v4_full */
	SUMMARY_BLOCK_V6,	/* blocked_v6_sum */
	SUMMARY_ALLOW_V6,	/* allowed_v6_sum */
	SUMMARY_BLOCK_V6_WIDE,	/* blocked_v6_wide */
	SUMMARY_ALLOW_V6_WIDE,	/* allowed_v6_wide */
	SUMMARY_BLOCK_V6_FULL,	/* blocked_v6_full: /24s a blocklist prefix covers whole */
	SUMMARY_BLOCK_V6_LEN,	/* blocked_v6_len: prefix lengths per /32 bucket (not bits) */
	SUMMARY_BLOCK_V4_PART,	/* blocked_v4_part: /24s a blocklist prefix of /25../31 lies in */
	SUMMARY_KINDS
};

extern const char *const summary_map_names[SUMMARY_KINDS];

/* Summaries of the blocklist lean strict (grown before its entries are added, shrunk after
 * they are removed); the allowlist's bits can change at any point. */
static inline int summary_of_blocklist(enum summary_kind k)
{
	return k != SUMMARY_ALLOW_NEAR && k != SUMMARY_ALLOW_V6 && k != SUMMARY_ALLOW_V6_WIDE;
}

/* Maps an older object's pins may lack (added after the first release): a missing one reads as
 * all zero, and is created when the new program is loaded. */
static inline int summary_optional(enum summary_kind k)
{
	return k >= SUMMARY_BLOCK_V6;
}

/* Set, in the summaries of its list (sums indexed by enum summary_kind, SUMMARY_WORDS words each,
 * zeroed by the caller; the other list's are not touched), the bits of one entry: for IPv4 every
 * /24 it lies in or covers (near) or covers whole (full), and for a blocklist prefix of /25../31
 * the /24 it lies in (v4_part); for IPv6 the hashed bit of its /32
 * (v6_sum, length >= 32) or the bits of the /24s it lies in or covers (v6_wide, shorter); for an
 * IPv6 blocklist prefix also the /24s it covers whole (v6_full, /24 or shorter) or its length in
 * the bucket of its /32 (v6_len, /32 to /127) or of its /24 (/25 to /31). */
void summary_add(const struct vosfp_prefix *p, int blocklist, uint64_t *const sums[SUMMARY_KINDS]);

/* blocked_v6_len words (bpf/vosfp.h): `word` with length `len` added, longest first; a word
 * already holding VOSFP_V6_LENS lengths becomes VOSFP_V6_LENS_MORE. */
uint64_t summary_lens_add(uint64_t word, unsigned len);

/* What a summary word must hold while both old and new entries may be in the maps (the GROW
 * phase): every bit of both, or for v6_len every length of both. */
uint64_t summary_grow(enum summary_kind k, uint64_t old, uint64_t new);

/* The same for every entry of a list. */
void summary_build(const struct prefix_set *s, int blocklist, uint64_t *const sums[SUMMARY_KINDS]);

#endif
