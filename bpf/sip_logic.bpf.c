// SPDX-License-Identifier: GPL-2.0
/* sip_logic.bpf.c - the vosfp XDP datapath: drops blocklisted and auto-blocked sources, SIP
 * scanners, request floods, OPTIONS from unknown sources and malformed SIP at the NIC; passes
 * or AF_XDP-redirects the rest. Beside it sip_tc_guard, the TC program that stands in for it
 * while an interface changes XDP mode (steps 1-5 only; see its comment).
 * It must never drop what it cannot classify: unparseable or non-SIP traffic passes untouched.
 *
 * Decision order (first match decides; "uncounted" means no counter moves):
 *  1. L2: Ethernet + up to two VLAN tags. Not IPv4/IPv6, or truncated -> PASS uncounted.
 *  2. L3: IPv4 (options skipped) / IPv6 (extension headers walked, bounded). Invalid or truncated
 *     header -> PASS uncounted. Non-first fragments and over-long IPv6 header chains carry no
 *     port: blocklisted source -> DROP BLOCKED, else PASS uncounted.
 *  3. L4: UDP/TCP to a configured SIP port, else PASS uncounted (truncated L4 too).
 *  4. Blocklisted source -> DROP BLOCKED (UDP and TCP).
 *  5. Source under a live outside decision (VOSFP_F_DECISIONS: CrowdSec), unless allowlisted
 *     -> DROP DECISION_DROPPED (UDP and TCP); an allowlisted one is counted and goes on.
 *     Auto-blocked source (VOSFP_F_AUTO_BLOCK; or VOSFP_F_ANSWERS, for the blocks the egress
 *     program sip_answers.bpf.c makes from the server's answers), unless allowlisted -> DROP
 *     AUTO_BLOCKED (UDP and TCP). TCP stops here: PASS, PASSED.
 *  6. Flood defence, for SIP requests (not responses) from sources not in the allowlist:
 *     scanner User-Agent (VOSFP_F_SCANNERS) -> DROP SCANNER_DROPPED (and, with VOSFP_F_AUTO_BLOCK,
 *     a timed auto-block of the source, reason scanner); over the source's rate
 *     limit for the request's method (VOSFP_F_RATE_LIMIT) -> DROP RATE_LIMITED, and a source
 *     over its limit for auto_block_after_ms gets a timed auto-block.
 *  7. Stealth: UDP payload "OPTIONS " from a source not in the allowlist -> DROP OPTIONS_DROPPED.
 *  8. Malformed: lengths that lie (UDP length vs IP length vs frame), "REGISTER " shorter than
 *     20 bytes or without "SIP/2.0" in its first 64 bytes, any payload of >= 20 bytes without
 *     "SIP/2.0" in its first 64 bytes -> DROP MALFORMED.
 *  9. AF_XDP socket on this RX queue -> REDIRECT, REDIRECTED (never for IP fragments: the rest
 *     of the datagram goes to the kernel, which must reassemble it).
 * 10. PASS, PASSED.
 *
 * Why this order: static lists always win over dynamic state, so the blocklist comes first and
 * the allowlist overrides a decision or an auto-block. A source under a decision or an
 * auto-block is dropped with a few lookups, before any payload is read: a blocked flood costs
 * the least. Scanners are dropped
 * before the rate limit so their requests use no tokens and the counters name the real cause.
 * The rate limit comes before the stealth and malformed checks so that a flood of junk requests
 * also drives a source into an auto-block. With every VOSFP_F_ flag of the flood defence clear
 * (an all-zero config, as ip(8) leaves it) steps 5 and 6 cost one flag test each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vosfp.h"
#include "swar.h"
#include "parse.h"
#include "shared.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- maps (names are the seed's and the operators'; sizes are set by the loader) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VOSFP_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} xdp_counters SEC(".maps");

/* Per-interface counters: see VOSFP_IFACE_SLOTS in vosfp.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VOSFP_IFINDEX_MAX);
	__type(key, __u32);
	__type(value, __u32);
} iface_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VOSFP_IFACE_SLOTS * VOSFP_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, struct vosfp_traffic);
} iface_counters SEC(".maps");

/* Never read here: the agent's record of which interface owns which slot, pinned beside the
 * counters so any reader can name them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VOSFP_IFACE_SLOTS);
	__type(key, __u32);
	__type(value, struct vosfp_iface_slot);
} iface_names SEC(".maps");

VOSFP_CONFIG_MAP();

/* Exact addresses: hash maps, one O(1) probe that settles the common case (single hosts). */
#define EXACT_LIST(name, keytype, max)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_HASH);			\
		__uint(max_entries, max);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, keytype);					\
		__type(value, vosfp_list_value);			\
	} name SEC(".maps")

/* Prefixes: LPM tries, probed only after the exact hash missed. */
#define PREFIX_LIST(name, keytype, max)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
		__uint(max_entries, max);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, keytype);					\
		__type(value, vosfp_list_value);			\
	} name SEC(".maps")

EXACT_LIST(blocked_ips, __u32, VOSFP_BLOCKLIST_DEFAULT_MAX);
EXACT_LIST(blocked_ips6, struct vosfp_addr6, VOSFP_BLOCKLIST_DEFAULT_MAX);
PREFIX_LIST(blocked_nets, struct vosfp_lpm4_key, VOSFP_BLOCKLIST_DEFAULT_MAX);
PREFIX_LIST(blocked_nets6, struct vosfp_lpm6_key, VOSFP_BLOCKLIST_DEFAULT_MAX);

EXACT_LIST(allowed_ips, __u32, VOSFP_ALLOWLIST_DEFAULT_MAX);
EXACT_LIST(allowed_ips6, struct vosfp_addr6, VOSFP_ALLOWLIST_DEFAULT_MAX);
PREFIX_LIST(allowed_nets, struct vosfp_lpm4_key, VOSFP_ALLOWLIST_DEFAULT_MAX);
PREFIX_LIST(allowed_nets6, struct vosfp_lpm6_key, VOSFP_ALLOWLIST_DEFAULT_MAX);

#define SUMMARY(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(max_entries, VOSFP_V4_SUMMARY_WORDS);		\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} name SEC(".maps")

SUMMARY(blocked_v4_sum);
SUMMARY(allowed_v4_sum);
SUMMARY(blocked_v4_full);
SUMMARY(blocked_v4_part);
SUMMARY(blocked_v6_sum);
SUMMARY(allowed_v6_sum);
SUMMARY(blocked_v6_wide);
SUMMARY(allowed_v6_wide);

/* The IPv6 blocklist's prefix index (bpf/vosfp.h): the /24s its short prefixes cover whole, the
 * prefix lengths near each /32, and its prefixes in a hash (probed by length, never walked). */
SUMMARY(blocked_v6_full);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VOSFP_V6_LEN_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} blocked_v6_len SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VOSFP_BLOCKLIST_DEFAULT_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vosfp_addr6);		/* a prefix's marked address (bpf/vosfp.h) */
	__type(value, vosfp_list_value);
} blocked_nets6_h SEC(".maps");

/* Flood defence state. LRU: a flood from spoofed sources evicts old entries instead of filling
 * the map, so a real source's state can be lost (it starts again with a full bucket) but no new
 * source is ever refused. Shared by all CPUs: a per-source limit must see every CPU's packets. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VOSFP_RATE_SOURCES_DEFAULT_MAX);
	__type(key, struct vosfp_src_key);
	__type(value, struct vosfp_rate_state);
} rate_state SEC(".maps");

/* In front of rate_state: a source's state in its own slot, found with an array read (see
 * bpf/vosfp.h). Not per CPU, for the same reason. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VOSFP_RATE_SLOTS);
	__type(key, __u32);
	__type(value, struct vosfp_rate_slot);
} rate_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VOSFP_AUTO_BLOCK_DEFAULT_MAX);
	__type(key, struct vosfp_src_key);
	__type(value, struct vosfp_auto_block);
} auto_blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} auto_block_horizon SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VOSFP_BLOCK_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} auto_block_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VOSFP_AUTO_BLOCK_DEFAULT_MAX);
	__type(key, struct vosfp_src_key);
	__type(value, struct vosfp_block_history);
} auto_block_history SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VOSFP_SCANNER_TOKENS_MAX);
	__type(key, struct vosfp_scanner_key);
	__type(value, vosfp_list_value);
} scanner_tokens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vosfp_scanner_free);
} scanner_free SEC(".maps");

/* Outside decisions (bpf/vosfp.h): written by the agent's feed only, never by a list reload. */
#define DECISION_MAP(name, maptype, keytype)				\
	struct {							\
		__uint(type, maptype);					\
		__uint(max_entries, VOSFP_DECISIONS_MAX);		\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, keytype);					\
		__type(value, struct vosfp_decision);			\
	} name SEC(".maps")

DECISION_MAP(dec_ips, BPF_MAP_TYPE_HASH, __u32);
DECISION_MAP(dec_ips6, BPF_MAP_TYPE_HASH, struct vosfp_addr6);
DECISION_MAP(dec_nets, BPF_MAP_TYPE_LPM_TRIE, struct vosfp_lpm4_key);
DECISION_MAP(dec_nets6, BPF_MAP_TYPE_LPM_TRIE, struct vosfp_lpm6_key);
SUMMARY(dec_v4_sum);
SUMMARY(dec_v6_sum);
SUMMARY(dec_v6_wide);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * VOSFP_ORIGIN_SLOTS);
	__type(key, __u32);
	__type(value, struct vosfp_traffic);
} dec_traffic SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, VOSFP_XSKS_DEFAULT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* ---- the clock (bpf/vosfp.h: struct vosfp_clock) ---- */

/* bpf/shared.h: datapath_now */
struct vosfp_clock datapath_clock SEC(".data.clock");

/* ---- lists ---- */

/* full and part may be NULL (the allowlist has no "whole /24" or "/25../31" summary): their
 * branches then compile away. */
static __always_inline bool listed4(void *near, void *full, void *part, void *exact, void *prefixes,
				    __u32 addr, const struct vosfp_config *cfg)
{
	struct vosfp_lpm4_key key = { .prefixlen = 32 };
	__u32 slash24 = bpf_ntohl(addr) >> 8, word = slash24 >> 6;
	__u64 bit = 1ULL << (slash24 & 63), *bits;

	if (cfg->flags & VOSFP_F_V4_SUMMARY) {
		if (full) {
			bits = bpf_map_lookup_elem(full, &word);
			if (bits && (*bits & bit))
				return true;
		}
		bits = bpf_map_lookup_elem(near, &word);
		if (bits && !(*bits & bit))
			return false;
	}
	if (bpf_map_lookup_elem(exact, &addr))
		return true;
	if (part && (cfg->flags & VOSFP_F_V4_SUMMARY) && (cfg->flags & VOSFP_F_V4_PART_SUMMARY)) {
		bits = bpf_map_lookup_elem(part, &word);
		if (bits && !(*bits & bit))
			return false;
	}
	__builtin_memcpy(key.addr, &addr, sizeof(key.addr));
	return bpf_map_lookup_elem(prefixes, &key) != NULL;
}

static __always_inline bool bit_set(void *summary, __u32 bit)
{
	__u32 word = bit >> 6;
	__u64 *bits = bpf_map_lookup_elem(summary, &word);

	return bits && (*bits & (1ULL << (bit & 63)));
}

enum { PROBE_MISS, PROBE_HIT, PROBE_ASK_TRIE };

/* For a prefix length L (0..128), as two 64-bit words in network byte order, as loaded: the mask
 * of its first L bits, and the mark, the bit just past them, that makes blocked_nets6_h's key.
 * Read-only data: a probe's key is two loads, two ANDs and two ORs, with no branch for the
 * verifier to follow per word (computing them took 2.5 times its work on the whole program). */
#define V6_SHIFTED(v, n) bpf_cpu_to_be64((v) >> ((n) & 63))
#define V6_MASK(l) { (l) >= 64 ? ~0ULL : (l) ? ~V6_SHIFTED(~0ULL, l) : 0,				\
		     (l) >= 128 ? ~0ULL : (l) > 64 ? ~V6_SHIFTED(~0ULL, (l) - 64) : 0 }
#define V6_MARK(l) { (l) < 64 ? V6_SHIFTED(1ULL << 63, l) : 0,					\
		     (l) >= 64 && (l) < 128 ? V6_SHIFTED(1ULL << 63, (l) - 64) : 0 }
#define V6_BY_8(m, l) m(l), m((l) + 1), m((l) + 2), m((l) + 3), m((l) + 4), m((l) + 5), m((l) + 6), m((l) + 7)
#define V6_BY_64(m, l) V6_BY_8(m, l), V6_BY_8(m, (l) + 8), V6_BY_8(m, (l) + 16), V6_BY_8(m, (l) + 24), \
		       V6_BY_8(m, (l) + 32), V6_BY_8(m, (l) + 40), V6_BY_8(m, (l) + 48), V6_BY_8(m, (l) + 56)
static const __u64 v6_prefix_masks[129][2] = { V6_BY_64(V6_MASK, 0), V6_BY_64(V6_MASK, 64), V6_MASK(128) };
static const __u64 v6_prefix_marks[129][2] = { V6_BY_64(V6_MARK, 0), V6_BY_64(V6_MARK, 64), V6_MARK(128) };

/* Is addr inside a prefix of prefix_hash (blocked_nets6_h) of a length that blocked_v6_len's
 * `bucket` lists? One hash probe per length: addr's first L bits, marked. A full bucket
 * (VOSFP_V6_LENS_MORE): the trie must decide. */
static __always_inline int probe_lengths(void *lens, void *prefix_hash, __u32 bucket,
					 const struct vosfp_addr6 *addr)
{
	__u64 *word = bpf_map_lookup_elem(lens, &bucket), w;

	if (!word)
		return PROBE_ASK_TRIE;
	w = *word;
	if (!w)
		return PROBE_MISS;
	if ((w & 0xFF) == VOSFP_V6_LENS_MORE)
		return PROBE_ASK_TRIE;
	for (int i = 0; i < VOSFP_V6_LENS; i++) {
		__u32 len = (w >> (8 * i)) & 0xFF;
		__u64 key[2];

		if (!len || len > 128)
			break;
		__builtin_memcpy(key, addr->addr, sizeof(key));
		key[0] = (key[0] & v6_prefix_masks[len][0]) | v6_prefix_marks[len][0];
		key[1] = (key[1] & v6_prefix_masks[len][1]) | v6_prefix_marks[len][1];
		if (bpf_map_lookup_elem(prefix_hash, key))
			return PROBE_HIT;
	}
	return PROBE_MISS;
}

/* The blocklist's prefix index (bpf/vosfp.h) for a source whose v6_sum bit is near32: PROBE_HIT
 * listed, PROBE_MISS not, PROBE_ASK_TRIE the exact hash and the trie must decide. Entries of /32
 * and longer set the v6_sum bit: only then are the /32's bucket and the exact hash probed. Shorter
 * ones set the /24's v6_wide bit: only then is the /24's bucket probed. v6_full (one array read)
 * comes before the exact hash: a source under a short prefix whose /32 shares a v6_sum bit with
 * listed ones would otherwise pay a missed hash probe too. */
static __always_inline int indexed6(void *wide, void *exact, void *full, void *lens, void *prefix_hash,
				    const struct vosfp_addr6 *addr, __u32 top32, bool near32)
{
	__u32 b32 = vosfp_v6_len_bucket(top32), b24 = vosfp_v6_len_bucket24(top32);
	int r;

	if (near32) {
		r = probe_lengths(lens, prefix_hash, b32, addr);
		if (r != PROBE_MISS)
			return r;
		if (bit_set(full, top32 >> 8))
			return PROBE_HIT;
		if (bpf_map_lookup_elem(exact, addr))
			return PROBE_HIT;
	}
	if (!bit_set(wide, top32 >> 8))
		return PROBE_MISS;
	if (!near32 && bit_set(full, top32 >> 8))
		return PROBE_HIT;
	if (near32 && b24 == b32)
		return PROBE_MISS;	/* probed above */
	return probe_lengths(lens, prefix_hash, b24, addr);
}

/* Under `flag` (bpf/vosfp.h): the /32's hashed bit first (entries of /32 and longer, the usual
 * ones), then the /24's direct bit (shorter entries); both clear settles "not listed". With the
 * blocklist's prefix index (full, lens, prefix_hash: NULL for the allowlist, whose branch then
 * compiles away) under VOSFP_F_V6_PREFIX_INDEX too, the trie is walked only for a full bucket. */
static __always_inline bool listed6(void *sum, void *wide, __u32 flag, void *exact, void *prefixes,
				    void *full, void *lens, void *prefix_hash,
				    const struct vosfp_addr6 *addr, const struct vosfp_config *cfg)
{
	struct vosfp_lpm6_key key = { .prefixlen = 128 };

	if (cfg->flags & flag) {
		__u32 top32, bit, word;
		bool near32;
		__u64 *bits;
		int r;

		__builtin_memcpy(&top32, addr->addr, sizeof(top32));
		top32 = bpf_ntohl(top32);
		bit = vosfp_v6_sum_bit(top32);
		word = bit >> 6;
		bits = bpf_map_lookup_elem(sum, &word);
		near32 = !bits || (*bits & (1ULL << (bit & 63)));
		if (lens && (cfg->flags & VOSFP_F_V6_PREFIX_INDEX)) {
			r = indexed6(wide, exact, full, lens, prefix_hash, addr, top32, near32);
			if (r != PROBE_ASK_TRIE)
				return r == PROBE_HIT;
		} else if (!near32 && !bit_set(wide, top32 >> 8)) {
			return false;
		}
	}
	if (bpf_map_lookup_elem(exact, addr))
		return true;
	__builtin_memcpy(key.addr, addr->addr, sizeof(key.addr));
	return bpf_map_lookup_elem(prefixes, &key) != NULL;
}

static __always_inline bool is_blocked(const struct frame *f, const struct vosfp_config *cfg)
{
	if (f->is_v6)
		return listed6(&blocked_v6_sum, &blocked_v6_wide, VOSFP_F_V6_SUMMARY_BLOCK, &blocked_ips6,
			       &blocked_nets6, &blocked_v6_full, &blocked_v6_len, &blocked_nets6_h,
			       &f->saddr6, cfg);
	return listed4(&blocked_v4_sum, &blocked_v4_full, &blocked_v4_part, &blocked_ips, &blocked_nets,
		       f->saddr4, cfg);
}

static __always_inline bool is_allowed(const struct frame *f, const struct vosfp_config *cfg)
{
	if (f->is_v6)
		return listed6(&allowed_v6_sum, &allowed_v6_wide, VOSFP_F_V6_SUMMARY_ALLOW, &allowed_ips6,
			       &allowed_nets6, NULL, NULL, NULL, &f->saddr6, cfg);
	return listed4(&allowed_v4_sum, NULL, NULL, &allowed_ips, &allowed_nets, f->saddr4, cfg);
}

/* ---- SIP ---- */

#define IS_SIP_VERSION_AT(p, i)							\
	((p)[(i)] == 'S' && (p)[(i) + 1] == 'I' && (p)[(i) + 2] == 'P' && (p)[(i) + 3] == '/' && \
	 (p)[(i) + 4] == '2' && (p)[(i) + 5] == '.' && (p)[(i) + 6] == '0')

#define WORD_SIP_VERSION	0x302E322F50495300ULL	/* "SIP/2.0" as the top 7 bytes of a load */
#define SWAR_MASK_TOP7		0xFFFFFFFFFFFFFF00ULL

/* Where "SIP/2.0" sits in a well-formed request: just before the first CR, the end of the
 * request line (a response starts with it, and the caller's scan finds that at its first probe).
 * The CR is found eight bytes per step; then one load compares the seven bytes before it. Only
 * ever says yes when the version really lies in the window: a request line that does not end
 * that way (LF-only lines, a version elsewhere) leaves the answer to the full scan. The window
 * is in the frame: the caller checked p + VOSFP_SIP_VERSION_WINDOW <= data_end (the verifier
 * still wants the variable-offset load checked on its own). */
static __always_inline bool version_ends_first_line(__u8 *p, void *data_end, __u32 window)
{
#pragma unroll
	for (__u32 w = 0; w < VOSFP_SIP_VERSION_WINDOW; w += 8) {
		__u64 cr = SWAR_BYTE_FLAGS(*(__u64 *)(p + w), '\r');
		__u32 at;

		if (!cr)
			continue;
		at = w + swar_lowest_byte(cr);
		/* at in [8, window]: the 8-byte load at at - 8 stays inside the window. */
		if (at < 8 || at > window)
			return false;
		at = opaque_mask(at - 8, VOSFP_SIP_VERSION_WINDOW - 1);
		if ((void *)(p + at + 8) > data_end)
			return false;
		return (*(__u64 *)(p + at) & SWAR_MASK_TOP7) == WORD_SIP_VERSION;
	}
	return false;
}

/* The payload window has_sip_version looks at: its first min(len, 64) bytes at offset off,
 * where at least 7 are and the offset is one the verifier can bound (no linear XDP frame is
 * larger). Its start, or NULL. */
static __always_inline __u8 *version_window(struct xdp_md *ctx, __u32 off, __u32 len, __u32 *window)
{
	void *data = (void *)(long)ctx->data;

	*window = len < VOSFP_SIP_VERSION_WINDOW ? len : VOSFP_SIP_VERSION_WINDOW;
	if (*window < 7 || off > 0x7FFF)
		return NULL;
	return (__u8 *)data + off;
}

/* Does "SIP/2.0" lie anywhere in has_sip_version's window? A plain scan: a probe is one byte
 * load and one branch while the first byte differs, cheaper than a skip table whose
 * data-dependent steps the verifier cannot merge. A global function so the verifier checks it
 * once, not once per parse path of the caller. */
__noinline int sip_version_anywhere(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data_end = (void *)(long)ctx->data_end;
	__u32 window, last_start;
	__u8 *p = version_window(ctx, off, len, &window);

	if (!p)
		return 0;
	last_start = window - 7;
	if ((void *)(p + VOSFP_SIP_VERSION_WINDOW) <= data_end) {
		/* Constant offsets, no bounds check, one load and one branch per probe while the
		 * first byte differs; only in the words that hold an 'S' at all (one SWAR test per
		 * eight probes: junk such as a DNS or NTP answer has few). Unrolled by hand (clang
		 * will not). */
#define PROBE(i)							\
		if ((i) > last_start)					\
			return 0;					\
		if (IS_SIP_VERSION_AT(p, (i)))				\
			return 1;
#define HAS_S(i)	SWAR_BYTE_FLAGS(*(__u64 *)(p + (i)), 'S')
#define PROBE8(i)							\
		if (HAS_S(i)) {						\
			PROBE(i) PROBE(i + 1) PROBE(i + 2) PROBE(i + 3)	\
			PROBE(i + 4) PROBE(i + 5) PROBE(i + 6) PROBE(i + 7) \
		}
		PROBE8(0) PROBE8(8) PROBE8(16) PROBE8(24) PROBE8(32) PROBE8(40) PROBE8(48)
		if (HAS_S(56)) {
			PROBE(56) PROBE(57)
		}
#undef PROBE8
#undef HAS_S
#undef PROBE
		return 0;
	}
	for (__u32 i = 0; i <= VOSFP_SIP_VERSION_WINDOW - 7; i++) {
		if (i > last_start || (void *)(p + i + 7) > data_end)
			return 0;
		if (IS_SIP_VERSION_AT(p, i))
			return 1;
	}
	return 0;
}

/* Does "SIP/2.0" lie entirely within the first min(len, 64) bytes of the payload at offset off?
 * First where a request has it (above), inline: a well-formed request makes no call here (a
 * BPF call and its return cost about a hash lookup on a kernel that protects returns, AMD's SRSO
 * "Safe RET"); failing that, the plain scan. */
static __always_inline bool has_sip_version(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data_end = (void *)(long)ctx->data_end;
	__u32 window;
	__u8 *p = version_window(ctx, off, len, &window);

	if (!p)
		return false;
	if ((void *)(p + VOSFP_SIP_VERSION_WINDOW) <= data_end && version_ends_first_line(p, data_end, window))
		return true;
	return sip_version_anywhere(ctx, off, len);
}

static __always_inline bool starts_with_word(__u8 *p, void *data_end, __u32 len, __u64 word_be)
{
	if (len < 8 || (void *)(p + 8) > data_end)
		return false;
	return *(__u64 *)p == bpf_cpu_to_be64(word_be);
}

#define WORD_OPTIONS	0x4F5054494F4E5320ULL	/* "OPTIONS " */
#define WORD_REGISTER	0x5245474953544552ULL	/* "REGISTER", then a space */
#define WORD_INVITE	0x494E564954452000ULL	/* "INVITE " (7 bytes, under MASK_7) */
#define MASK_7		0xFFFFFFFFFFFFFF00ULL
#define WORD_SIP	0x5349502F00000000ULL	/* "SIP/" (4 bytes, under MASK_4): a response */
#define MASK_4		0xFFFFFFFF00000000ULL

/* The request class of a payload, or -1 for a response, a keep-alive or anything shorter than
 * 8 bytes: only requests are limited or checked for scanners. A request starts with an
 * upper-case method token (RFC 3261 methods are upper case; extension methods are tokens and
 * in practice upper case too). */
static __always_inline int request_method(__u8 *p, void *data_end, __u32 len)
{
	__u64 w;

	if (len < 8 || (void *)(p + 8) > data_end)
		return -1;
	w = *(__u64 *)p;
	if (w == bpf_cpu_to_be64(WORD_REGISTER))
		return VOSFP_M_REGISTER;
	if ((w & bpf_cpu_to_be64(MASK_7)) == bpf_cpu_to_be64(WORD_INVITE))
		return VOSFP_M_INVITE;
	if (w == bpf_cpu_to_be64(WORD_OPTIONS))
		return VOSFP_M_OPTIONS;
	if (p[0] < 'A' || p[0] > 'Z' || (w & bpf_cpu_to_be64(MASK_4)) == bpf_cpu_to_be64(WORD_SIP))
		return -1;
	return VOSFP_M_OTHER;
}

/* ---- flood defence ---- */

static __always_inline void src_key(const struct frame *f, struct vosfp_src_key *k)
{
	if (f->is_v6) {
		__builtin_memcpy(k->addr, f->saddr6.addr, sizeof(k->addr));
		return;
	}
	__builtin_memset(k->addr, 0, 10);
	k->addr[10] = 0xff;
	k->addr[11] = 0xff;
	__builtin_memcpy(&k->addr[12], &f->saddr4, 4);
}

/* ---- the scanner User-Agent search ----
 *
 * A request's User-Agent header is the first line that starts (after a '\n', within the first
 * VOSFP_UA_SEARCH_MAX payload bytes, with room for the name) with "User-Agent:" in any case,
 * before the blank line that ends the headers. Its value's first word, lower-cased, keys one
 * lookup in scanner_tokens.
 *
 * The search for it makes one 4-byte load per UA_STRIDE (9) payload bytes, where a newline
 * search reads every byte: the text "\nUser-Agent:" is 12 bytes long, so wherever it lies one of
 * the offsets 0, 9, 18, ... falls within its first 9 bytes, and the 4 bytes there are one of its
 * 9 windows of 4 bytes (UA_GRAM_0..8). A window is recognised with a multiply, a shift and one
 * compare against a 16-slot table; only a hit (in ordinary headers: none) is checked byte by
 * byte. The blank line is not looked for on the way: when the first line that looks like a
 * User-Agent (anywhere) is not a scanner's, the answer is no whether it lies in the headers or
 * after them; only a scanner's value sends the search back for a blank line before it. So an
 * ordinary request pays the sampled loads and one array read (scanner_free; rarely the token
 * lookup), a scanner's a newline walk. */

/* Case is folded by setting bit 0x20 in every byte, here and in the exact comparison, so a CR
 * (0x0D) passes for the '-' (0x2D); the colon is compared exactly. */
#define LOWER8		0x2020202020202020ULL
#define LOWER4		0x20202020U
/* "user-age" and "nt:" as little-endian loads, after OR-ing LOWER8 (which leaves '-' and ':'
 * unchanged: both already have the 0x20 bit). */
#define UA_HEAD		0x6567612D72657375ULL	/* "user-age" */
#define UA_TAIL		0x3A746EU		/* "nt:" */
#define UA_NAME_LEN	11			/* "User-Agent:" */
#define UA_WS_MAX	8			/* blanks skipped before the value */

/* The 4-byte windows of "\nuser-agent:" folded (the '\n' becomes '*'), as little-endian loads:
 * UA_GRAM_k starts at byte k. */
#define UA_GRAM(a, b, c, d) ((__u32)((a) | 0x20) | (__u32)((b) | 0x20) << 8 |			\
			     (__u32)((c) | 0x20) << 16 | (__u32)((d) | 0x20) << 24)
#define UA_GRAM_0	UA_GRAM('\n', 'u', 's', 'e')
#define UA_GRAM_1	UA_GRAM('u', 's', 'e', 'r')
#define UA_GRAM_2	UA_GRAM('s', 'e', 'r', '-')
#define UA_GRAM_3	UA_GRAM('e', 'r', '-', 'a')
#define UA_GRAM_4	UA_GRAM('r', '-', 'a', 'g')
#define UA_GRAM_5	UA_GRAM('-', 'a', 'g', 'e')
#define UA_GRAM_6	UA_GRAM('a', 'g', 'e', 'n')
#define UA_GRAM_7	UA_GRAM('g', 'e', 'n', 't')
#define UA_GRAM_8	UA_GRAM('e', 'n', 't', ':')
/* A multiplier that sends the nine windows to nine different slots of 16 (asserted below). */
#define UA_GRAM_MUL	0x85EBCA6BU
#define UA_GRAM_SLOT(g)	((__u32)((g) * UA_GRAM_MUL) >> 28)
#define UA_GRAM_BIT(g)	(1U << UA_GRAM_SLOT(g))
_Static_assert(__builtin_popcount(UA_GRAM_BIT(UA_GRAM_0) | UA_GRAM_BIT(UA_GRAM_1) |
				  UA_GRAM_BIT(UA_GRAM_2) | UA_GRAM_BIT(UA_GRAM_3) |
				  UA_GRAM_BIT(UA_GRAM_4) | UA_GRAM_BIT(UA_GRAM_5) |
				  UA_GRAM_BIT(UA_GRAM_6) | UA_GRAM_BIT(UA_GRAM_7) |
				  UA_GRAM_BIT(UA_GRAM_8)) == 9,
	       "UA_GRAM_MUL must give each window of \"\\nuser-agent:\" a slot of its own");

/* Each slot: the window that hashes there, or 0, which no folded load equals (every byte of
 * one has bit 0x20); and where that window starts in "\nuser-agent:". One table: two would
 * share .rodata's offset 0 in the BTF of clang 14, which the kernel refuses. */
struct ua_slot {
	__u32 gram;
	__u32 start;
};

#define UA_SLOT(k)	[UA_GRAM_SLOT(UA_GRAM_##k)] = { UA_GRAM_##k, k }
static const struct ua_slot ua_slots[16] = {
	UA_SLOT(0), UA_SLOT(1), UA_SLOT(2), UA_SLOT(3), UA_SLOT(4), UA_SLOT(5), UA_SLOT(6), UA_SLOT(7),
	UA_SLOT(8),
};
#undef UA_SLOT

/* Bytes between two loads of the search, and per round of it: one bounds check per round, eight
 * loads at constant offsets. */
#define UA_STRIDE	9
#define UA_BLOCK	(8 * UA_STRIDE)

/* Lower-case an ASCII letter; digits unchanged; anything else (the end of the first word) 0. */
static __always_inline __u8 word_char(__u8 c)
{
	__u8 l = c | 0x20;

	if (l >= 'a' && l <= 'z')
		return l;
	if (c >= '0' && c <= '9')
		return c;
	return 0;
}

/* The low n bytes of a word (n <= 8) set, the others clear. */
static __always_inline __u64 low_bytes(__u32 n)
{
	return n >= 8 ? ~0ULL : (1ULL << (8 * n)) - 1;
}

/* 0x80 in exactly the bytes of w that are ASCII letters, and in those that are digits. Each
 * byte's low seven bits are tested with 0x80 set above them, so no subtraction borrows across
 * bytes; bytes of 0x80 and more are neither. */
static __always_inline __u64 letter_bytes(__u64 w)
{
	__u64 x = (w & ~SWAR_HIGH) | SWAR_HIGH | LOWER8;

	return (x - SWAR_ONES * 'a') & ~(x - SWAR_ONES * ('z' + 1)) & ~w & SWAR_HIGH;
}

static __always_inline __u64 digit_bytes(__u64 w)
{
	__u64 x = (w & ~SWAR_HIGH) | SWAR_HIGH;

	return (x - SWAR_ONES * '0') & ~(x - SWAR_ONES * ('9' + 1)) & ~w & SWAR_HIGH;
}

/* The value's key (struct vosfp_scanner_key) from the 8 bytes at v (where the blanks may be) and
 * the 16 after the first non-blank one, read as words (the frame holds 32 bytes from v on);
 * room payload bytes from v on. The rules of ua_value_key_bytes, eight bytes per step. */
static __always_inline void ua_value_key_words(__u8 *v, void *data_end, __u32 room,
						struct vosfp_scanner_key *key)
{
	__u64 w = *(__u64 *)v, stop, word[2], letters;
	__u32 blanks, n = 0;

	/* The blanks: up to UA_WS_MAX, never past the payload. */
	stop = ~(swar_zero_bytes(w ^ (SWAR_ONES * ' ')) | swar_zero_bytes(w ^ (SWAR_ONES * '\t'))) & SWAR_HIGH;
	stop |= ~low_bytes(room) & SWAR_HIGH;
	blanks = stop ? swar_lowest_byte(stop) : UA_WS_MAX;
	room = room > blanks ? room - blanks : 0;
	v += blanks & 15;
	if ((void *)(v + 16) > data_end)	/* never: the caller checked 32 bytes */
		return;
	word[0] = *(__u64 *)v;
	word[1] = *(__u64 *)(v + 8);
	/* The first word: its letters and digits, up to VOSFP_UA_WORD_MAX, never past the payload. */
#pragma unroll
	for (int i = 0; i < 2; i++) {
		__u32 left = room > 8 * i ? room - 8 * i : 0;

		letters = letter_bytes(word[i]);
		stop = ~(letters | digit_bytes(word[i])) & SWAR_HIGH;
		stop |= ~low_bytes(left) & SWAR_HIGH;
		if (i == 0) {
			__u64 folded = (word[0] | letters >> 2) & low_bytes(stop ? swar_lowest_byte(stop) : 8);

			__builtin_memcpy(key->word, &folded, sizeof(folded));
		}
		if (stop) {
			n += swar_lowest_byte(stop);
			break;
		}
		n += 8;
	}
	key->len = n;
}

/* The same, a byte at a time, for a value too close to the frame's end to be read as words. */
static __always_inline void ua_value_key_bytes(__u8 *v, void *data_end, __u32 room,
					       struct vosfp_scanner_key *key)
{
	__u32 pos = 0;

	/* Leading blanks of the value (RFC 3261 LWS; folded lines are not followed). */
#pragma unroll
	for (int i = 0; i < UA_WS_MAX; i++) {
		if ((void *)(v + 1) > data_end || pos >= room || (*v != ' ' && *v != '\t'))
			break;
		v++;
		pos++;
	}
	/* The first word: up to VOSFP_UA_WORD_MAX bytes, the first VOSFP_UA_WORD_BYTES kept. */
#pragma unroll
	for (int i = 0; i < VOSFP_UA_WORD_MAX; i++) {
		__u8 c;

		if ((void *)(v + i + 1) > data_end || pos + i >= room)
			break;
		c = word_char(v[i]);
		if (!c)
			break;
		if (i < VOSFP_UA_WORD_BYTES)
			key->word[i] = c;
		key->len = i + 1;
	}
}

/* Does no scanner token hash to this key's slot (bpf/vosfp.h: scanner_free)? */
static __always_inline bool scanner_slot_free(const struct vosfp_scanner_key *key)
{
	__u32 zero = 0, slot;
	struct vosfp_scanner_free *free = bpf_map_lookup_elem(&scanner_free, &zero);

	if (!free)
		return false;
	slot = vosfp_scanner_slot(key);
	return free->bits[(slot >> 6) & (VOSFP_SCANNER_FREE_WORDS - 1)] >> (slot & 63) & 1;
}

/* Is the User-Agent value at payload offset off + pos (len payload bytes) a scanner's? Its first
 * word, lower-cased, keys one lookup in scanner_tokens, unless no token takes its slot. */
static __always_inline int ua_is_scanner(struct xdp_md *ctx, __u32 off, __u32 pos, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct vosfp_scanner_key key = {};
	__u32 room;
	__u8 *v;

	/* Bounds small enough for the verifier to track reads past the pointer (their sum stays
	 * far below 64 KiB); no real offset comes near them. */
	if (off > 0x7FFF || pos > 0x7FF || pos >= len)
		return 0;
	room = len - pos;
	v = data + opaque_mask(off, 0x7FFF);
	v += opaque_mask(pos, 0x7FF);
	/* The blanks' offset is known to the verifier as at most 15. */
	if ((void *)(v + 16 + VOSFP_UA_WORD_MAX) <= data_end)
		ua_value_key_words(v, data_end, room, &key);
	else
		ua_value_key_bytes(v, data_end, room, &key);
	return key.len && !scanner_slot_free(&key) && bpf_map_lookup_elem(&scanner_tokens, &key) != NULL;
}

/* Does a User-Agent line of the search start at payload offset `at` - k + 1, where k is where the
 * window found at `at` (the one hashed to `slot`) starts in "\nuser-agent:"? Byte by byte: the
 * '\n' before it, the name, room for the name within the window and the frame. Its start, or 0. */
static __always_inline int ua_line_at(struct xdp_md *ctx, __u32 off, __u32 window, __u32 at, __u32 slot)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 k = ua_slots[slot & 15].start, line;
	__u8 *q;

	if (off > 0x7FFF || at >= VOSFP_UA_SEARCH_MAX || at < k)
		return 0;
	line = at - k + 1;
	if (line + UA_NAME_LEN > window)
		return 0;
	q = data + opaque_mask(off, 0x7FFF);
	q += opaque_mask(line - 1, VOSFP_UA_SEARCH_MAX - 1);
	if ((void *)(q + 1 + UA_NAME_LEN) > data_end || q[0] != '\n')
		return 0;
	q++;
	if ((*(__u64 *)q | LOWER8) != UA_HEAD ||
	    ((q[8] | 0x20) | (q[9] | 0x20) << 8 | q[10] << 16) != UA_TAIL)
		return 0;
	return line;
}

/* The same, as a global function: the verifier checks it once, not at each of the search's
 * offsets that calls it (ua_scan's every_candidate). */
__noinline int ua_line_at_call(struct xdp_md *ctx, __u32 off, __u32 window, __u32 at, __u32 slot)
{
	return ua_line_at(ctx, off, window, at, slot);
}

/* What the search says of the window at payload offset at (a load of 4 bytes): with
 * every_candidate, the start of the User-Agent line it belongs to, or 0; without, whether it is
 * one of "\nuser-agent:"'s windows (a candidate): (at << 4 | slot) + 1, or 0. */
static __always_inline int ua_window(struct xdp_md *ctx, const struct ua_slot *slots, __u32 off,
				     __u32 window, __u32 at, __u32 g, bool every_candidate)
{
	__u32 folded = g | LOWER4, slot = UA_GRAM_SLOT(folded);

	if (slots[slot].gram != folded)
		return 0;
	if (!every_candidate)
		return (at << 4 | slot) + 1;
	return ua_line_at_call(ctx, off, window, at, slot);
}

/* The search over the payload at off (len bytes; see above), blank lines not looked for: the
 * start of the first User-Agent line (every_candidate: each candidate window is checked, in a
 * call), or the first candidate window, as ua_window says (0: none). Whole blocks of UA_BLOCK
 * bytes at fixed offsets (the verifier sees the same few states each round) with one bounds
 * check each; the last partial one word by word. A window past the search's end can start no
 * line with room for the name. */
static __always_inline int ua_scan(struct xdp_md *ctx, __u32 off, __u32 len, bool every_candidate)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 window = len < VOSFP_UA_SEARCH_MAX ? len : VOSFP_UA_SEARCH_MAX;
	const struct ua_slot *slots = ua_slots;
	__u8 *p;
	int found;

	/* Kept in a register: the compiler would load the table's address again for every load. */
	asm volatile("" : "+r"(slots));
	if (off > 0x7FFF)
		return 0;
	p = data + opaque_mask(off, 0x7FFF);
	for (__u32 base = 0; base < VOSFP_UA_SEARCH_MAX; base += UA_BLOCK) {
		__u8 *q = p + base;

		if (base + UA_BLOCK > window || (void *)(q + UA_BLOCK) > data_end) {
#pragma unroll
			for (__u32 w = 0; w < UA_BLOCK; w += UA_STRIDE) {
				if (base + w + 4 > window || (void *)(q + w + 4) > data_end)
					return 0;
				found = ua_window(ctx, slots, off, window, base + w, *(__u32 *)(q + w),
						  every_candidate);
				if (found)
					return found;
			}
			return 0;
		}
#pragma unroll
		for (__u32 w = 0; w < UA_BLOCK; w += UA_STRIDE) {
			found = ua_window(ctx, slots, off, window, base + w, *(__u32 *)(q + w), every_candidate);
			if (found)
				return found;
		}
	}
	return 0;
}

/* The search, each candidate checked: for a request whose first candidate was not the name. */
__noinline int ua_find_checked(struct xdp_md *ctx, __u32 off, __u32 len)
{
	return ua_scan(ctx, off, len, true);
}

/* The start of the first User-Agent line in the payload at off (len bytes), or 0. The first
 * candidate window is found with no call and checked inline: in ordinary requests it is the
 * User-Agent's own (a call and its return cost as much as a hash lookup on a kernel that
 * protects returns, AMD's SRSO "Safe RET"). A candidate that is not the name ("user" of a URI,
 * "ent:" of Event:) hands over to the search that checks each one. */
static __always_inline int ua_find(struct xdp_md *ctx, __u32 off, __u32 len)
{
	__u32 window = len < VOSFP_UA_SEARCH_MAX ? len : VOSFP_UA_SEARCH_MAX;
	int first = ua_scan(ctx, off, len, false), line;

	if (!first)
		return 0;
	line = ua_line_at(ctx, off, window, (__u32)(first - 1) >> 4, (first - 1) & 15);
	return line ? line : ua_find_checked(ctx, off, len);
}

/* 0x80 in each byte of w that may be a '\n' followed (in the word next, w's bytes moved down by
 * one) by a '\r' or '\n': a superset (borrows add flags; bytes below 0x0E pass for CR and LF),
 * so that an ordinary word costs a few operations and no branch of its own. */
static __always_inline __u64 newline_crlf_maybe(__u64 w, __u64 next)
{
	return ((w ^ (SWAR_ONES * '\n')) - SWAR_ONES) & (next - SWAR_ONES * 0x0E);
}

/* Exactly: 0x80 in each byte of w that is a '\n' followed by a '\r' or a '\n'. */
static __always_inline __u64 newline_crlf(__u64 w, __u64 next)
{
	return swar_zero_bytes(w ^ (SWAR_ONES * '\n')) &
	       (swar_zero_bytes(next ^ (SWAR_ONES * '\r')) | swar_zero_bytes(next ^ (SWAR_ONES * '\n')));
}

/* Bytes per round of the blank-line search: eight words, one bounds check and one branch. */
#define BLANK_BLOCK	64

/* Does a blank line (a line starting with '\r' or '\n') start before payload offset end, a
 * User-Agent line's start that ua_find found (so the bytes up to it and the name after it are
 * in the frame)? Blocks of BLANK_BLOCK bytes filtered with newline_crlf_maybe, one branch each;
 * a block with a flag is looked at again word by word, exactly: the lowest newline before a
 * blank line decides. A block past the frame's end lies past end too but for its first bytes:
 * its words one by one. Only a scanner's request comes here. */
__noinline int blank_line_before(struct xdp_md *ctx, __u32 off, __u32 end)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p;

	if (off > 0x7FFF || end > VOSFP_UA_SEARCH_MAX)
		return 0;
	p = data + opaque_mask(off, 0x7FFF);
	for (__u32 base = 0; base + 1 < end && base < VOSFP_UA_SEARCH_MAX; base += BLANK_BLOCK) {
		__u8 *q = p + base;
		__u64 any = 0;

		if ((void *)(q + BLANK_BLOCK + 1) > data_end) {
#pragma unroll
			for (__u32 w = 0; w < BLANK_BLOCK; w += 8) {
				__u64 m;

				if ((void *)(q + w + 9) > data_end)
					return 0;
				m = newline_crlf(*(__u64 *)(q + w), *(__u64 *)(q + w + 1));
				if (m)
					return base + w + swar_lowest_byte(m) + 1 < end;
			}
			return 0;
		}
#pragma unroll
		for (__u32 w = 0; w < BLANK_BLOCK; w += 8)
			any |= newline_crlf_maybe(*(__u64 *)(q + w), *(__u64 *)(q + w + 1));
		if (!(any & SWAR_HIGH))
			continue;
#pragma unroll
		for (__u32 w = 0; w < BLANK_BLOCK; w += 8) {
			__u64 m = newline_crlf(*(__u64 *)(q + w), *(__u64 *)(q + w + 1));

			if (m)
				return base + w + swar_lowest_byte(m) + 1 < end;
		}
	}
	return 0;
}

/* Is the payload at off (len bytes) a request whose User-Agent's first word is a scanner token?
 * See the top of this section. */
static __always_inline int is_scanner(struct xdp_md *ctx, __u32 off, __u32 len)
{
	int line = ua_find(ctx, off, len);

	return line > 0 && ua_is_scanner(ctx, off, line + UA_NAME_LEN, len) &&
	       !blank_line_before(ctx, off, line);
}

/* May any source be under a live auto-block (bpf/vosfp.h: auto_block_horizon)? An inlined array
 * read while nobody was ever blocked; the clock is read (into *now) only after a block was made. */
static __always_inline bool auto_blocks_may_be_live(__u64 *now)
{
	__u32 zero = 0;
	__u64 *horizon = bpf_map_lookup_elem(&auto_block_horizon, &zero);

	if (!horizon || !*horizon)
		return false;
	*now = datapath_now();
	return *now < *horizon;
}

/* With some source blocked: may this one be (bpf/vosfp.h: auto_block_slots)? */
static __always_inline bool block_slot_live(const struct vosfp_src_key *key, __u64 now)
{
	__u32 idx = vosfp_block_slot(key);
	__u64 *until = bpf_map_lookup_elem(&auto_block_slots, &idx);

	return !until || now < *until;
}

#define CAS_TRIES 3

/* Raise a horizon word to expires; it never goes down. CPUs blocking at once write expiries a
 * clock tick apart at most; after CAS_TRIES lost races ours is that close to the winner's, so a
 * block may be overlooked in its last tick, never earlier. */
static __always_inline void raise_word(__u64 *word, __u64 expires)
{
	for (int i = 0; word && i < CAS_TRIES; i++) {
		__u64 old = *word;

		if (old >= expires || __sync_val_compare_and_swap(word, old, expires) == old)
			return;
	}
}

/* Before a new block of key: no entry may expire beyond the horizon nor beyond its slot's. */
static __always_inline void raise_horizons(const struct vosfp_src_key *key, __u64 expires)
{
	__u32 zero = 0, idx = vosfp_block_slot(key);

	raise_word(bpf_map_lookup_elem(&auto_block_horizon, &zero), expires);
	raise_word(bpf_map_lookup_elem(&auto_block_slots, &idx), expires);
}

/* Is the source under a live auto-block at now (datapath_now)? Expired entries are deleted
 * here: no agent round trip. A global function: verified once, not once per parse path. */
__noinline int auto_block_active(struct vosfp_src_key *key, __u64 now)
{
	struct vosfp_auto_block *b;

	if (!key)
		return 0;
	b = bpf_map_lookup_elem(&auto_blocked, key);
	if (!b)
		return 0;
	if (now >= b->expires) {
		bpf_map_delete_elem(&auto_blocked, key);
		return 0;
	}
	return 1;
}

/* After a drop: extend or start the source's over-limit streak; a streak as long as
 * auto_block_after_ms turns into a timed block. */
/* How long a new block of this source lasts: auto_block_ms, times repeat_factor for each
 * repeat in a row (a block within repeat_within_ms of the expiry of the one before), capped at
 * repeat_max_ms. Sets *repeats to the count this block carries. */
static __always_inline __u64 block_ns(const struct vosfp_config *cfg,
				      const struct vosfp_block_history *h, __u64 now, __u32 *repeats)
{
	__u64 d = (__u64)cfg->auto_block_ms * 1000000, max = (__u64)cfg->repeat_max_ms * 1000000;

	if (max < d)		/* no cap below the first duration (the agent never writes one) */
		max = d;

	*repeats = 0;
	if (!cfg->repeat_within_ms || !h || now >= h->expires + (__u64)cfg->repeat_within_ms * 1000000)
		return d;
	*repeats = h->repeats < VOSFP_REPEATS_MAX ? h->repeats + 1 : VOSFP_REPEATS_MAX;
	/* Bounded: the factor is at least 2, so d reaches any cap of 2^32 ms within 64 rounds. */
	for (__u32 i = 0; i < VOSFP_REPEATS_MAX && i < *repeats && d < max; i++)
		d *= cfg->repeat_factor;
	return d < max ? d : max;
}

/* See shared.h. A global function: both programs call it, the verifier checks it once each. */
__noinline int vosfp_auto_block(struct vosfp_src_key *key, __u32 reason, __u32 method, __u64 now)
{
	struct vosfp_block_history *h, next = { .reason = reason, .method = method };
	struct vosfp_auto_block b = { .reason = reason, .method = method };
	struct vosfp_auto_block *live;
	struct vosfp_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if (!cfg || !key)
		return 0;
	live = bpf_map_lookup_elem(&auto_blocked, key);
	if (live && live->expires > now)
		return 0;
	h = bpf_map_lookup_elem(&auto_block_history, key);
	b.expires = now + block_ns(cfg, h, now, &next.repeats);
	next.expires = b.expires;
	raise_horizons(key, b.expires);
	bpf_map_update_elem(&auto_blocked, key, &b, BPF_ANY);
	bpf_map_update_elem(&auto_block_history, key, &next, BPF_ANY);
	return 1;
}

/* See shared.h: the allowlist's test for an address the egress program holds as a key. */
__noinline int vosfp_allowlisted(struct vosfp_src_key *key)
{
	struct vosfp_config *cfg;
	struct frame f = {};
	__u32 zero = 0, head[3];

	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if (!cfg || !key)
		return 0;
	__builtin_memcpy(head, key->addr, sizeof(head));
	/* ::ffff:a.b.c.d is an IPv4 source (src_key) */
	if (head[0] || head[1] || head[2] != bpf_htonl(0xffff)) {
		f.is_v6 = 1;
		__builtin_memcpy(f.saddr6.addr, key->addr, sizeof(f.saddr6.addr));
	} else {
		__builtin_memcpy(&f.saddr4, &key->addr[12], sizeof(f.saddr4));
	}
	return is_allowed(&f, cfg);
}

static __always_inline void note_over_limit(const struct vosfp_config *cfg, struct vosfp_src_key *key,
					    struct vosfp_rate_state *st, __u64 now, int method)
{
	if (!st->over_since || now - st->last_over > VOSFP_OVER_GAP_NS)
		st->over_since = now;
	st->last_over = now;
	if (!(cfg->flags & VOSFP_F_AUTO_BLOCK) ||
	    now - st->over_since < (__u64)cfg->auto_block_after_ms * 1000000)
		return;
	vosfp_auto_block(key, VOSFP_REASON_RATE, method, now);
	st->over_since = 0;
}

static __always_inline bool same_source(const struct vosfp_src_key *a, const struct vosfp_src_key *b)
{
	__u64 a0, a1, b0, b1;

	__builtin_memcpy(&a0, a->addr, 8);
	__builtin_memcpy(&a1, a->addr + 8, 8);
	__builtin_memcpy(&b0, b->addr, 8);
	__builtin_memcpy(&b1, b->addr + 8, 8);
	return a0 == b0 && a1 == b1;
}

/* Does this state limit its source no more than no state at all would? Every bucket full, and
 * no over-limit streak a next drop would extend (note_over_limit). */
static __always_inline bool rate_state_idle(const struct vosfp_rate_state *st, __u64 now)
{
	for (int m = 0; m < VOSFP_METHODS; m++)
		if (st->tat[m] > now)
			return false;
	return !st->over_since || now - st->last_over > VOSFP_OVER_GAP_NS;
}

/* The source's state in its rate_slots slot when it owns the slot, or takes it over from an
 * idle owner (its rate_state entry, if it had one, moves into the slot); NULL when another
 * source holds the slot (the state is then in rate_state). Two CPUs taking one slot over at
 * once, for two sources, may mix their writes or lose one: the slot then belongs to one of them
 * or to nobody until it is idle again, and a source whose entry moved into it in that race
 * starts again with a full bucket (a burst more, once per such race; the bucket words
 * themselves stay atomic). */
static __always_inline struct vosfp_rate_state *rate_slot_state(struct vosfp_src_key *key, __u64 now)
{
	__u32 idx = vosfp_rate_slot(key);
	struct vosfp_rate_slot *slot = bpf_map_lookup_elem(&rate_slots, &idx);
	struct vosfp_rate_state *had;

	if (!slot)
		return NULL;
	if (same_source(&slot->owner, key))
		return &slot->state;
	if (!rate_state_idle(&slot->state, now))
		return NULL;
	had = bpf_map_lookup_elem(&rate_state, key);
	if (had) {
		slot->state = *had;
		bpf_map_delete_elem(&rate_state, key);
	} else {
		__builtin_memset(&slot->state, 0, sizeof(slot->state));
	}
	slot->owner = *key;
	return &slot->state;
}

/* Is this request over its source's limit for its class? GCRA (the "virtual scheduling" form of a
 * token bucket, in integer nanoseconds): each request moves the source's theoretical arrival
 * time tat on by one emission interval T = 1e9 / rate; a request is within the limit while
 * tat - now stays under burst * T, i.e. while a token is left. An idle source's tat falls behind
 * now: a full bucket. Time is datapath_now, on the coarse clock's scale (one tick, 1-10 ms, per
 * step): a precise clock read costs more than the rest of the accounting. So that a limit can be met
 * although time moves in ticks, a bucket holds at least VOSFP_CLOCK_TICK_MAX_NS worth of
 * requests. One 64-bit word per class, updated with compare-and-swap, so CPUs racing
 * on one source account every request; after a few lost races the request passes unaccounted
 * (a flood under such contention is still limited to a few extra packets). The streak fields
 * are plain stores: a race only shifts when a streak began by a packet. An LRU entry evicted
 * while another CPU still holds it may be reused for a new source: at worst one request is
 * accounted to the wrong source, once. The state is the source's slot in rate_slots when it
 * has one (rate_slot_state), else its rate_state entry. Integer bounds: T <= 1e9 and
 * burst < 2^32, so tat and burst * T stay far below 2^64 ns. */
static __always_inline int over_limit(const struct vosfp_config *cfg, struct vosfp_src_key *key, int method)
{
	const struct vosfp_rate *r;
	struct vosfp_rate_state *st, fresh = {};
	__u64 now, interval, limit;

	if (!cfg || !key)
		return 0;
	r = &cfg->rate[method & (VOSFP_METHODS - 1)];
	if (!r->rate)
		return 0;
	now = datapath_now();
	interval = 1000000000ULL / r->rate;
	limit = interval * (r->burst ? r->burst : 1);
	if (limit < VOSFP_CLOCK_TICK_MAX_NS)
		limit = VOSFP_CLOCK_TICK_MAX_NS;
	st = rate_slot_state(key, now);
	if (!st)
		st = bpf_map_lookup_elem(&rate_state, key);
	if (!st) {
		/* A new source: its first request takes one token of a full bucket. Another CPU may
		 * have inserted it meanwhile: then account against that entry. */
		fresh.tat[method & (VOSFP_METHODS - 1)] = now + interval;
		if (!bpf_map_update_elem(&rate_state, key, &fresh, BPF_NOEXIST))
			return 0;
		st = bpf_map_lookup_elem(&rate_state, key);
		if (!st)
			return 0;
	}
	for (int i = 0; i < CAS_TRIES; i++) {
		__u64 *slot = &st->tat[method & (VOSFP_METHODS - 1)];
		__u64 old = *slot, tat = old > now ? old : now;

		if (tat + interval - now > limit) {
			note_over_limit(cfg, key, st, now, method);
			return 1;
		}
		if (__sync_val_compare_and_swap(slot, old, tat + interval) == old)
			return 0;
	}
	return 0;
}

enum { DEFENCE_PASS, DEFENCE_SCANNER, DEFENCE_RATE_LIMITED };

/* The flood defence's verdict on a request (method: enum vosfp_method) from a source not
 * allowlisted (key), its payload at off (len bytes), under the config in force: a scanner's
 * User-Agent, over its source's limit, or neither. One global function with its parts inlined:
 * on a kernel that protects every return (AMD's SRSO "Safe RET"), a BPF call and its return
 * cost about as much as a hash lookup, and an ordinary request now makes one such call here
 * instead of four (the search, the name's check, the value's key, the rate); the verifier
 * still checks the defence once, not once per parse path. The config is looked up again here
 * (an inlined array read): a BPF function takes five arguments at most. */
__noinline int flood_verdict(struct xdp_md *ctx, struct vosfp_src_key *key, __u32 off, __u32 len,
			     int method)
{
	__u32 zero = 0;
	const struct vosfp_config *cfg = bpf_map_lookup_elem(&sip_config, &zero);

	if (!cfg || !key)
		return DEFENCE_PASS;
	if ((cfg->flags & VOSFP_F_SCANNERS) && is_scanner(ctx, off, len))
		return DEFENCE_SCANNER;
	if ((cfg->flags & VOSFP_F_RATE_LIMIT) && over_limit(cfg, key, method))
		return DEFENCE_RATE_LIMITED;
	return DEFENCE_PASS;
}

/* ---- verdicts ---- */

/* Only verdicts are counted, so uncounted traffic pays nothing for the per-interface figures;
 * a counted one pays two inlined array lookups (ifindex -> slot, then the slot's counter).
 * ctx is an XDP buffer or, for the TC guard (tc set), an skb; bytes are the whole frame, L2
 * header included, either way. Its fields are read where they are used: read before the
 * lookups, they stay live across them and the verifier tracks more states. */
static __always_inline void count_frame(void *ctx, bool tc, __u32 idx)
{
	struct xdp_md *xdp = ctx;
	struct __sk_buff *skb = ctx;
	__u64 *c = bpf_map_lookup_elem(&xdp_counters, &idx);
	__u32 ifindex = tc ? skb->ingress_ifindex : xdp->ingress_ifindex, key = VOSFP_IFACE_OTHER, *slot;
	struct vosfp_traffic *t;

	if (c)
		*c += 1;
	slot = bpf_map_lookup_elem(&iface_slots, &ifindex);
	if (slot && *slot < VOSFP_IFACE_SLOTS)
		key = *slot;
	key = key * VOSFP_COUNTER_SLOTS + idx;
	t = bpf_map_lookup_elem(&iface_counters, &key);
	if (t) {
		t->packets += 1;
		t->bytes += tc ? skb->len : xdp->data_end - xdp->data;
	}
}

static __always_inline int count(struct xdp_md *ctx, __u32 idx, int action)
{
	count_frame(ctx, false, idx);
	return action;
}

static __always_inline int classify_udp(struct xdp_md *ctx, const struct vosfp_config *cfg,
					const struct frame *f)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct udphdr *udp = (struct udphdr *)f->l4;
	__u8 *payload = (__u8 *)(udp + 1);
	__s32 ip_l4_len = (__s32)f->ip_end - (__s32)f->l4_off;
	__u32 udp_len, payload_len, seen;
	int allowed = -1;	/* is_allowed's answer once asked */
	__u32 queue = ctx->rx_queue_index;
	bool lengths_ok;

	if ((void *)payload > data_end)
		return XDP_PASS;
	udp_len = bpf_ntohs(udp->len);
	payload_len = udp_len >= sizeof(*udp) ? udp_len - sizeof(*udp) : 0;

	/* Payload bytes we may look at: bounded by the UDP length and the IP datagram, so Ethernet
	 * padding after a short datagram is never mistaken for payload. The frame end bounds it
	 * too: every read below is checked against data_end and fails past it. */
	seen = payload_len;
	if (ip_l4_len - (__s32)sizeof(*udp) < (__s32)seen)
		seen = ip_l4_len > (__s32)sizeof(*udp) ? ip_l4_len - sizeof(*udp) : 0;

	/* A first fragment legitimately carries only part of what its UDP length announces. */
	lengths_ok = udp_len >= sizeof(*udp) && f->ip_end <= 0xFFFF &&
		     data + f->ip_end <= data_end &&
		     (f->first_fragment ? (__s32)udp_len >= ip_l4_len : (__s32)udp_len == ip_l4_len);

	/* Flood defence, for requests from sources not allowlisted. The allowlist answer is kept
	 * for the stealth check. */
	if (cfg->flags & (VOSFP_F_SCANNERS | VOSFP_F_RATE_LIMIT)) {
		int method = request_method(payload, data_end, seen);

		if (method >= 0) {
			struct vosfp_src_key key;

			allowed = is_allowed(f, cfg);
			src_key(f, &key);
			switch (allowed ? DEFENCE_PASS :
				flood_verdict(ctx, &key, f->l4_off + sizeof(*udp), seen, method)) {
			case DEFENCE_SCANNER:
				/* A scanner is no peer: with timed blocks on, its next packets are
				 * dropped before any payload is read (and its block is published). */
				if (cfg->flags & VOSFP_F_AUTO_BLOCK)
					vosfp_auto_block(&key, VOSFP_REASON_SCANNER, method, datapath_now());
				return count(ctx, VOSFP_CNT_SCANNER_DROPPED, XDP_DROP);
			case DEFENCE_RATE_LIMITED:
				return count(ctx, VOSFP_CNT_RATE_LIMITED, XDP_DROP);
			}
		}
	}

	if (!(cfg->flags & VOSFP_F_NO_STEALTH) &&
	    starts_with_word(payload, data_end, seen, WORD_OPTIONS) &&
	    !(allowed >= 0 ? allowed : is_allowed(f, cfg)))
		return count(ctx, VOSFP_CNT_OPTIONS_DROPPED, XDP_DROP);

	if (!(cfg->flags & VOSFP_F_NO_MALFORMED)) {
		bool is_register = seen >= 9 &&
				   starts_with_word(payload, data_end, seen, WORD_REGISTER) &&
				   (void *)(payload + 9) <= data_end && payload[8] == ' ';
		bool needs_version = payload_len >= VOSFP_SIP_MIN_LEN || is_register;

		if (!lengths_ok ||
		    (is_register && payload_len < VOSFP_SIP_MIN_LEN) ||
		    (needs_version && !has_sip_version(ctx, f->l4_off + sizeof(*udp), seen)))
			return count(ctx, VOSFP_CNT_MALFORMED, XDP_DROP);
	}

	/* The lookup is inlined (an array read); the redirect helper is a call, made only when a
	 * socket is bound to this queue: a host without AF_XDP never pays for it. */
	if (!f->first_fragment && bpf_map_lookup_elem(&xsks_map, &queue) &&
	    bpf_redirect_map(&xsks_map, queue, XDP_PASS) == XDP_REDIRECT)
		return count(ctx, VOSFP_CNT_REDIRECTED, XDP_REDIRECT);
	return count(ctx, VOSFP_CNT_PASSED, XDP_PASS);
}

/* ---- outside decisions (bpf/vosfp.h: dec_ips and the maps beside it) ---- */

/* Is a decision near the source? Its summary bit: clear for every source no decision covers or
 * shares a /24 (IPv4) or hashed /32 (IPv6, prefixes of /32 and longer; shorter ones by /24 in
 * dec_v6_wide) with. One array read for a source under no decision. */
static __always_inline bool decision_near(const struct frame *f)
{
	__u32 top, bit, word;
	__u64 *bits;

	if (!f->is_v6) {
		bit = bpf_ntohl(f->saddr4) >> 8;
		word = bit >> 6;
		bits = bpf_map_lookup_elem(&dec_v4_sum, &word);
		return bits && (*bits & (1ULL << (bit & 63)));
	}
	__builtin_memcpy(&top, f->saddr6.addr, sizeof(top));
	top = bpf_ntohl(top);
	bit = vosfp_v6_sum_bit(top);
	word = bit >> 6;
	bits = bpf_map_lookup_elem(&dec_v6_sum, &word);
	if (bits && (*bits & (1ULL << (bit & 63))))
		return true;
	bit = top >> 8;
	word = bit >> 6;
	bits = bpf_map_lookup_elem(&dec_v6_wide, &word);
	return bits && (*bits & (1ULL << (bit & 63)));
}

/* Is a decision entry in force? Each entry holds the latest expiry of every decision covering
 * it, so the first one found settles it. */
static __always_inline bool decision_live(const struct vosfp_decision *d)
{
	return datapath_now() < d->expires;
}

/* The origin + 1 of the live decision covering the source (key: v4-mapped for IPv4), or 0, once
 * an IPv4 source's own entry is known to be absent (decision_slot looks for it): the longest
 * IPv4 prefix; for IPv6 the exact entry, then the longest prefix. A global function: verified
 * once. */
__noinline int decision_origin_rest(struct vosfp_src_key *key)
{
	struct vosfp_decision *d;
	__u64 head, mid;

	if (!key)
		return 0;
	__builtin_memcpy(&head, key->addr, 8);
	__builtin_memcpy(&mid, key->addr + 8, 4);
	if (!head && (__u32)mid == bpf_htonl(0xFFFF)) {
		struct vosfp_lpm4_key k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, key->addr + 12, 4);
		d = bpf_map_lookup_elem(&dec_nets, &k4);
	} else {
		struct vosfp_lpm6_key k6 = { .prefixlen = 128 };

		d = bpf_map_lookup_elem(&dec_ips6, key);
		if (!d) {
			__builtin_memcpy(k6.addr, key->addr, 16);
			d = bpf_map_lookup_elem(&dec_nets6, &k6);
		}
	}
	if (!d || !decision_live(d))
		return 0;
	return (d->origin & (VOSFP_ORIGIN_SLOTS - 1)) + 1;
}

/* The dec_traffic slot of the decision covering the source (bpf/vosfp.h: by origin, allowlisted
 * sources in the upper half), or -1 when none does. An IPv4 address's own decision, the usual
 * ban, is looked up here, inlined: a BPF call and its return cost as much as the lookup on a
 * kernel that protects returns (AMD's SRSO "Safe RET"); the rest is one call. */
static __always_inline int decision_slot(const struct frame *f, const struct vosfp_config *cfg)
{
	struct vosfp_decision *d = NULL;
	struct vosfp_src_key key;
	__u64 origin;

	if (!decision_near(f))
		return -1;
	if (!f->is_v6)
		d = bpf_map_lookup_elem(&dec_ips, &f->saddr4);
	/* 64 bits: no origin wraps to 0. Reduced to its slot below, after both ways join: reduced
	 * in the inline way, its range would differ from the call's answer and the verifier would
	 * walk the rest of the program once more for it (+180k instructions). */
	if (d) {
		origin = decision_live(d) ? (__u64)d->origin + 1 : 0;
	} else {
		src_key(f, &key);
		origin = decision_origin_rest(&key);
	}
	if (!origin)
		return -1;
	return ((origin - 1) & (VOSFP_ORIGIN_SLOTS - 1)) + (is_allowed(f, cfg) ? VOSFP_ORIGIN_SLOTS : 0);
}

/* A frame under a decision, in dec_traffic (ctx as for count_frame). */
static __always_inline void count_decision(void *ctx, bool tc, __u32 slot)
{
	struct vosfp_traffic *t = bpf_map_lookup_elem(&dec_traffic, &slot);
	struct xdp_md *xdp = ctx;
	struct __sk_buff *skb = ctx;

	if (t) {
		t->packets += 1;
		t->bytes += tc ? skb->len : xdp->data_end - xdp->data;
	}
}

#define SOURCE_PASS	-1	/* not inspected traffic: pass, uncounted */
#define SOURCE_INSPECT	-2	/* inspected, and the source alone does not decide */

/* What the source decides on a parsed frame before any payload is read (the blocklist, outside
 * decisions, auto-blocks, on the inspected ports): VOSFP_CNT_BLOCKED, VOSFP_CNT_DECISION_DROPPED
 * or VOSFP_CNT_AUTO_BLOCKED (drop, under that counter), SOURCE_PASS or SOURCE_INSPECT. *dec gets
 * the dec_traffic slot of a decision covering the source (a drop, or an allowlisted pass), else
 * -1. The XDP program and the TC guard both decide here, so the guard drops exactly what XDP
 * would drop at this point, on the same maps. Static lists win over dynamic state: a decision or
 * an auto-block never drops an allowlisted source. */
static __always_inline int source_verdict(void *data_end, const struct frame *f,
					  const struct vosfp_config *cfg, int *dec)
{
	__u64 now;
	__u16 dport;

	if (f->portless)
		return is_blocked(f, cfg) ? VOSFP_CNT_BLOCKED : SOURCE_PASS;
	if (!f->l4)	/* parsers set it whenever the port is visible; says so to the verifier */
		return SOURCE_PASS;

	if (f->l4_proto == PROTO_UDP) {
		struct udphdr *udp = (struct udphdr *)f->l4;

		if ((void *)(udp + 1) > data_end)
			return SOURCE_PASS;
		dport = bpf_ntohs(udp->dest);
		if (!port_selected(cfg, cfg->udp_ports, dport, true))
			return SOURCE_PASS;
	} else if (f->l4_proto == PROTO_TCP) {
		struct tcphdr *tcp = (struct tcphdr *)f->l4;

		if ((void *)(tcp + 1) > data_end)
			return SOURCE_PASS;
		dport = bpf_ntohs(tcp->dest);
		if (!port_selected(cfg, cfg->tcp_ports, dport, false))
			return SOURCE_PASS;
	} else {
		return SOURCE_PASS;
	}

	if (is_blocked(f, cfg))
		return VOSFP_CNT_BLOCKED;
	if (cfg->flags & VOSFP_F_DECISIONS) {
		*dec = decision_slot(f, cfg);
		if (*dec >= 0 && *dec < VOSFP_ORIGIN_SLOTS)
			return VOSFP_CNT_DECISION_DROPPED;
	}
	if ((cfg->flags & (VOSFP_F_AUTO_BLOCK | VOSFP_F_ANSWERS)) && auto_blocks_may_be_live(&now)) {
		struct vosfp_src_key key;

		/* The allowlist, a static list, wins over dynamic state even when it gained the
		 * source after the block began (the entry then just expires). */
		src_key(f, &key);
		if (block_slot_live(&key, now) && auto_block_active(&key, now) && !is_allowed(f, cfg))
			return VOSFP_CNT_AUTO_BLOCKED;
	}
	return SOURCE_INSPECT;
}

enum peek { PEEK_OTHER, PEEK_NOT_SIP, PEEK_SIP };

/* The usual frame first, cheapest rejection first: untagged IPv4 without options, not a later
 * fragment, UDP or TCP. PEEK_NOT_SIP (to a port that is not a SIP port) only where the full parse
 * ends in an uncounted PASS as well (source_verdict's SOURCE_PASS; a header the parsers find
 * invalid or cut short passes the same way): it changes no verdict and no counter, and spares
 * non-SIP traffic the general parsers (VLAN tags, options, fragments, the frame's fields).
 * PEEK_SIP: to a SIP port, untagged IPv4 at byte 14 (what parse_l2 would find). PEEK_OTHER:
 * anything else, for the general parsers. */
static __always_inline enum peek peek_plain_ipv4(void *data, void *data_end, const struct vosfp_config *cfg)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	__be16 *ports = (__be16 *)(ip + 1);	/* source, destination: UDP and TCP alike */
	bool selected;

	if ((void *)(ports + 2) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    *(__u8 *)ip != 0x45 || (ip->frag_off & bpf_htons(IP_OFFSET)))
		return PEEK_OTHER;
	if (ip->protocol == PROTO_UDP)
		selected = port_selected(cfg, cfg->udp_ports, bpf_ntohs(ports[1]), true);
	else if (ip->protocol == PROTO_TCP)
		selected = port_selected(cfg, cfg->tcp_ports, bpf_ntohs(ports[1]), false);
	else
		return PEEK_OTHER;
	return selected ? PEEK_SIP : PEEK_NOT_SIP;
}

SEC("xdp")
int sip_xdp_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct vosfp_config *cfg;
	struct frame f = {};
	__u32 zero = 0;
	int v, dec = -1;

	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if (!cfg)
		return XDP_PASS;
	switch (peek_plain_ipv4(data, data_end, cfg)) {
	case PEEK_NOT_SIP:
		return XDP_PASS;
	case PEEK_SIP:
		f.eth_proto = bpf_htons(ETH_P_IP);
		f.l3_off = sizeof(struct ethhdr);
		if (parse_ipv4(data, data_end, &f) != PARSE_OK)
			return XDP_PASS;
		break;
	default:
		if (parse_frame(data, data_end, &f) != PARSE_OK)
			return XDP_PASS;
	}
	v = source_verdict(data_end, &f, cfg, &dec);
	/* Under a decision: counted by origin, dropped or (allowlisted) passed on. */
	if (dec >= 0)
		count_decision(ctx, false, dec);
	if (v != SOURCE_INSPECT)
		return v == SOURCE_PASS ? XDP_PASS : count(ctx, v, XDP_DROP);
	if (f.l4_proto == PROTO_TCP)
		return count(ctx, VOSFP_CNT_PASSED, XDP_PASS);
	return classify_udp(ctx, cfg, &f);
}

/* sip_clock_probe - never attached: user space runs it (BPF_PROG_TEST_RUN) to read jiffies and
 * the coarse clock at one instant, and from such readings measures datapath_now's tick and
 * anchor (agent/kernel/datapath_clock.c). */
SEC("xdp")
int sip_clock_probe(struct xdp_md *ctx)
{
	datapath_clock.probe_jiffies = bpf_jiffies64();
	datapath_clock.probe_ns = bpf_ktime_get_coarse_ns();
	return XDP_PASS;
}

/* ---- the TC guard ---- */

#define TC_ACT_UNSPEC	-1	/* no verdict: the next filter, or the stack, decides */
#define TC_ACT_SHOT	2

/* Bytes of a frame the parsers may read (Ethernet, two VLAN tags, IPv6 and its usual extension
 * headers, the ports): pulled into the skb's linear data when a driver left them in pages. */
#define GUARD_PULL	256

/* sip_tc_guard - a TC ingress filter the agent puts on an interface only while that interface
 * has no XDP program: the detach -> attach window of an XDP mode change (the kernel cannot hold
 * native and generic at once, and a link cannot change its mode) and of its undo in a rollback.
 * It drops what the XDP program would drop before reading any payload (blocklist, outside
 * decisions, auto-blocks: source_verdict), on the same maps, and counts each drop as XDP would:
 * same counter, same interface slot (and origin slot for a decision), same frame length. It
 * counts nothing else: what it passes is uncounted, as XDP leaves traffic it never saw. In the
 * instants where it and an XDP program both run, a frame XDP passed reaches the guard on the
 * same maps, so the guard passes it too: no frame is counted twice. TC_ACT_UNSPEC, not
 * TC_ACT_OK: other filters on the interface still run. */
SEC("tc")
int sip_tc_guard(struct __sk_buff *skb)
{
	__u32 want = skb->len < GUARD_PULL ? skb->len : GUARD_PULL, zero = 0;
	struct vosfp_config *cfg;
	void *data, *data_end;
	struct frame f = {};
	int v, dec = -1;

	if (skb->data_end - skb->data < want)
		bpf_skb_pull_data(skb, want);
	/* A new skb for the compiler: it must load data and data_end again (the pull moved them)
	 * as plain context reads, never through an address it computed before. */
	asm volatile("" : "+r"(skb));
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (parse_frame(data, data_end, &f) != PARSE_OK)
		return TC_ACT_UNSPEC;
	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if (!cfg)
		return TC_ACT_UNSPEC;
	v = source_verdict(data_end, &f, cfg, &dec);
	if (v != VOSFP_CNT_BLOCKED && v != VOSFP_CNT_DECISION_DROPPED && v != VOSFP_CNT_AUTO_BLOCKED)
		return TC_ACT_UNSPEC;
	/* Only drops: an allowlisted source under a decision XDP counted (dec_traffic) already when
	 * both run; in the window it goes uncounted with everything the guard passes. */
	if (v == VOSFP_CNT_DECISION_DROPPED && dec >= 0)
		count_decision(skb, true, dec);
	count_frame(skb, true, v);
	return TC_ACT_SHOT;
}
