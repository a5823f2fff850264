/* summary.h - the IPv4 /24 summary bitmaps of bpf/vosfp.h, computed from a list: what lets the
 * datapath skip the hash and the LPM trie for sources no entry is near. Pure. */
#ifndef VOSFP_SUMMARY_H
#define VOSFP_SUMMARY_H

#include <stdint.h>

#include "prefix_set.h"

#define SUMMARY_BYTES ((size_t)VOSFP_V4_SUMMARY_WORDS * sizeof(uint64_t))

/* Set in words (VOSFP_V4_SUMMARY_WORDS, zeroed by the caller) the bit of every /24 that an
 * IPv4 entry of s lies in or covers. */
void summary_build(const struct prefix_set *s, uint64_t *words);

/* The same for one entry (what a test harness adding entries one by one needs). */
void summary_add(const struct vosfp_prefix *p, uint64_t *words);

#endif
