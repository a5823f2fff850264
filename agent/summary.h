/* summary.h - the IPv4 /24 summary bitmaps of bpf/vosfp.h, computed from a list: what lets the
 * datapath skip the hash and the LPM trie for sources no entry is near. Pure. */
#ifndef VOSFP_SUMMARY_H
#define VOSFP_SUMMARY_H

#include <stdint.h>

#include "prefix_set.h"

#define SUMMARY_BYTES ((size_t)VOSFP_V4_SUMMARY_WORDS * sizeof(uint64_t))

/* The summary maps of bpf/vosfp.h, in the order the agent keeps them. */
enum summary_kind {
	SUMMARY_BLOCK_NEAR,	/* blocked_v4_sum */
	SUMMARY_ALLOW_NEAR,	/* allowed_v4_sum */
	SUMMARY_BLOCK_FULL,	/* blocked_v4_full */
	SUMMARY_KINDS
};

extern const char *const summary_map_names[SUMMARY_KINDS];

/* Summaries of the blocklist lean strict (grown before its entries are added, shrunk after
 * they are removed); the allowlist's "near" bits can change at any point. */
static inline int summary_of_blocklist(enum summary_kind k)
{
	return k != SUMMARY_ALLOW_NEAR;
}

/* Set in near (and full, when not NULL) - VOSFP_V4_SUMMARY_WORDS words zeroed by the caller -
 * the bits of every /24 that an IPv4 entry of s lies in or covers (near), or covers whole
 * (full). */
void summary_build(const struct prefix_set *s, uint64_t *near, uint64_t *full);

/* The same for one entry (what a test harness adding entries one by one needs). */
void summary_add(const struct vosfp_prefix *p, uint64_t *near, uint64_t *full);

#endif
