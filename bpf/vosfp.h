/* vosfp.h - everything the XDP datapath and user space (agent, tests, bench) must agree on:
 * counter indices, the runtime config layout, list key layouts and map names.
 * Plain fixed-width C types only: this file is included by BPF C (after vmlinux.h) and by
 * ordinary user-space C (after <linux/types.h>). Never renumber a counter; append. */
#ifndef VOSFP_H
#define VOSFP_H

/* Indices into the per-CPU array xdp_counters. 0-4 are the seed's and operators' dashboards and
 * scripts read them by number: append only. */
enum vosfp_counter {
	VOSFP_CNT_OPTIONS_DROPPED = 0,	/* stealth: OPTIONS from a source not allowlisted */
	VOSFP_CNT_REDIRECTED = 1,	/* handed to an AF_XDP socket */
	VOSFP_CNT_PASSED = 2,		/* inspected SIP traffic passed to the stack */
	VOSFP_CNT_BLOCKED = 3,		/* source in the blocklist */
	VOSFP_CNT_MALFORMED = 4,	/* not SIP, or lengths that lie */
	VOSFP_CNT_RATE_LIMITED = 5,	/* SIP request over its source's rate limit */
	VOSFP_CNT_AUTO_BLOCKED = 6,	/* source under a timed auto-block */
	VOSFP_CNT_SCANNER_DROPPED = 7,	/* SIP request whose User-Agent is a scanner's */
	VOSFP_CNT_COUNT			/* number of counters in use */
};

/* The counter map is created with room to spare so that counters appended later keep the
 * pinned map's shape (a pinned map can only be reused by an object with identical geometry). */
#define VOSFP_COUNTER_SLOTS 16

/* Per-interface counters, beside xdp_counters (which keeps the totals the seed's tools read).
 *  - iface_slots: ARRAY indexed by ifindex -> slot. An array lookup is inlined by the verifier
 *    (a bounds check and an add), where a hash would cost a hash per counted packet. 0, an
 *    ifindex the agent never declared or one beyond VOSFP_IFINDEX_MAX all count in slot 0,
 *    "other": a packet is never lost to the totals' cross-check.
 *  - iface_counters: PERCPU_ARRAY of struct vosfp_traffic, key slot * VOSFP_COUNTER_SLOTS +
 *    counter index, so a slot has room for every counter ever appended (same geometry for ever).
 *  - iface_names: ARRAY slot -> struct vosfp_iface_slot, written by the agent only: which
 *    interface a slot counts, so --stats (which knows only the pin path) can name it. */
#define VOSFP_IFINDEX_MAX	65536	/* ifindexes grow with every netdev ever created */
#define VOSFP_IFACE_SLOTS	128	/* slot 0 = other; the config declares at most 64 */
#define VOSFP_IFACE_OTHER	0

struct vosfp_traffic {
	__u64 packets;
	__u64 bytes;		/* frame bytes as XDP sees them (L2 header included, no FCS) */
};

struct vosfp_iface_slot {
	__u32 ifindex;		/* 0: slot free */
	char name[16];		/* IFNAMSIZ, NUL-terminated */
};

/* Runtime switches, map vosfp_config (array, one entry). An all-zero value means exactly the
 * seed's behaviour (UDP 5060 inspected, stealth on, malformed checks on), so the object works
 * when attached by ip(8) with no loader at all: every flag is therefore a deviation from it. */
#define VOSFP_F_PORTS		(1u << 0)	/* port bitmaps below are authoritative */
#define VOSFP_F_NO_STEALTH	(1u << 1)	/* let OPTIONS from unknown sources through */
#define VOSFP_F_NO_MALFORMED	(1u << 2)	/* do not drop malformed SIP */
#define VOSFP_F_V4_SUMMARY	(1u << 3)	/* the IPv4 /24 summaries below are maintained */
#define VOSFP_F_RATE_LIMIT	(1u << 4)	/* per-source token buckets, rate[] below */
#define VOSFP_F_AUTO_BLOCK	(1u << 5)	/* sources over their limit get timed blocks */
#define VOSFP_F_SCANNERS	(1u << 6)	/* drop requests whose User-Agent is in scanner_tokens */
#define VOSFP_F_V6_SUMMARY_BLOCK (1u << 7)	/* blocked_v6_sum/_wide cover the IPv6 blocklist */
#define VOSFP_F_V6_SUMMARY_ALLOW (1u << 8)	/* allowed_v6_sum/_wide cover the IPv6 allowlist */
#define VOSFP_F_V6_PREFIX_INDEX	(1u << 12)	/* blocked_v6_full/_len + blocked_nets6_h cover the
						 * IPv6 blocklist's prefixes (with ..._SUMMARY_BLOCK) */

#define VOSFP_DEFAULT_SIP_PORT 5060
#define VOSFP_PORT_BITMAP_BYTES (65536 / 8)

/* SIP request classes with a rate limit each. */
enum vosfp_method {
	VOSFP_M_REGISTER = 0,
	VOSFP_M_INVITE = 1,
	VOSFP_M_OPTIONS = 2,
	VOSFP_M_OTHER = 3,		/* any other request (responses are never limited) */
	VOSFP_METHODS
};

/* One request class's token bucket: `rate` requests per second refill it, `burst` is its depth
 * (at most `burst` requests back to back from an idle source). rate 0: unlimited. */
struct vosfp_rate {
	__u32 rate;
	__u32 burst;			/* 0 is taken as 1 */
};

struct vosfp_config {
	__u32 flags;				/* VOSFP_F_* */
	__u32 reserved;				/* must be zero */
	__u8 udp_ports[VOSFP_PORT_BITMAP_BYTES];	/* bit (port & 7) of byte (port >> 3) */
	__u8 tcp_ports[VOSFP_PORT_BITMAP_BYTES];	/* TCP is blocklist-only */
	/* Appended for flood defence; all zero with their flags clear. */
	struct vosfp_rate rate[VOSFP_METHODS];	/* by enum vosfp_method, under VOSFP_F_RATE_LIMIT */
	__u32 auto_block_after_ms;	/* over the limit this long without a break -> blocked */
	__u32 auto_block_ms;		/* for this long */
};

/* Per-source state keys: one layout for both families, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d),
 * so one map (and one LRU) covers every source. */
struct vosfp_src_key {
	__u8 addr[16];
};

/* Map rate_state (LRU hash by source): GCRA "theoretical arrival time" per request class, the
 * integer form of a token bucket (see sip_logic.bpf.c), and the current over-limit streak. */
struct vosfp_rate_state {
	__u64 tat[VOSFP_METHODS];	/* ns, coarse clock: the bucket is full once now >= tat */
	__u64 over_since;		/* ns of the first drop of the current streak; 0: none */
	__u64 last_over;		/* ns of the latest drop */
};

/* Flood defence time is the coarse monotonic clock (bpf_ktime_get_coarse_ns, user space's
 * CLOCK_MONOTONIC_COARSE), which moves in ticks of 1/HZ: at most 10 ms. A token bucket then
 * holds at least this long's worth of requests (burst >= rate / 100), or a limit above
 * burst / tick could never be reached. */
#define VOSFP_CLOCK_TICK_MAX_NS 10000000ULL

/* A streak of over-limit drops breaks when no request was dropped for this long. */
#define VOSFP_OVER_GAP_NS 1000000000ULL

/* Map auto_blocked (LRU hash by source): the datapath adds entries and ignores (and deletes)
 * expired ones itself.
 * Map auto_block_horizon (array, one __u64): no entry of auto_blocked expires after this (ns,
 * the coarse clock). Once the clock passes it, nobody can be under a block and the datapath
 * skips the auto_blocked lookup (a hash of 16 bytes per SIP packet). Whoever adds an entry
 * raises the horizon first, so a reader never meets an entry beyond it: the datapath when it
 * blocks, the agent when it restores or carries entries over. Pinned like the other maps. */
enum vosfp_block_reason {
	VOSFP_REASON_RATE = 1,		/* over its rate limit for auto_block_after_ms */
};

struct vosfp_auto_block {
	__u64 expires;			/* ns, CLOCK_MONOTONIC_COARSE (bpf_ktime_get_coarse_ns) */
	__u32 reason;			/* enum vosfp_block_reason */
	__u32 method;			/* enum vosfp_method whose limit was exceeded */
};

/* Map scanner_tokens (hash): scanner User-Agents, keyed by the value's first word, i.e. its
 * leading run of ASCII letters and digits ("friendly" of "friendly-scanner", "iwar" of
 * "iWar/0.1"), lower-cased: its first 8 bytes (zero-padded when shorter) and its length (capped
 * at VOSFP_UA_WORD_MAX, which then means "that long or longer"). The length keeps short tokens
 * exact: "sipcli" matches "sipcli/v1.8" but not "sipclient". One lookup per request whatever
 * the number of tokens. */
#define VOSFP_UA_WORD_BYTES 8
#define VOSFP_UA_WORD_MAX 16

struct vosfp_scanner_key {
	__u8 word[VOSFP_UA_WORD_BYTES];
	__u32 len;
};

/* The User-Agent header is looked for in the first this many payload bytes (the search stops
 * earlier, at the blank line that ends the headers). Scanners send short requests; a header
 * past this point is not seen. */
#define VOSFP_UA_SEARCH_MAX 1024

/* List keys. Addresses are in network byte order, exactly as they appear in the packet.
 * Exact addresses live in hash maps (one hash per packet for the common case of a /32 or /128
 * entry); prefixes live in LPM tries, consulted only when the exact lookup misses. */
struct vosfp_lpm4_key {
	__u32 prefixlen;			/* 0..32, bits of addr that count */
	__u8 addr[4];
};

struct vosfp_lpm6_key {
	__u32 prefixlen;			/* 0..128 */
	__u8 addr[16];
};

struct vosfp_addr6 {
	__u8 addr[16];
};

/* IPv4 /24 summaries, one bit per /24: bit (i & 63) of word (i >> 6), i = the address's top 24
 * bits. Consulted only when VOSFP_F_V4_SUMMARY is set, so lists written without them still work.
 *  - blocked_v4_sum, allowed_v4_sum ("near"): set when some entry of the list is inside that /24
 *    or covers it. A clear bit settles "not listed" with one array read; the hash and the LPM trie
 *    (whose lookups cost tens of ns with a big list) are probed only under a set bit.
 *  - blocked_v4_full: set when a blocklist prefix of /24 or shorter covers the whole /24. A set
 *    bit settles "blocked" with one array read: the flood from a blocked range never reaches the
 *    trie. */
#define VOSFP_V4_SUMMARY_WORDS (1u << 18)	/* 2^24 /24s, 64 per word */

/* IPv6 summaries, per list two 2^24-bit arrays of the v4 layout. A source is looked up (16-byte
 * hash probe, then the 128-level LPM trie walk: ~80 ns with a 1M-entry list) only when one of
 * its two bits is set; otherwise one or two array reads settle "not listed".
 *  - blocked_v6_sum, allowed_v6_sum: entries of length >= 32, one bit per hash of the /32 they
 *    lie in. /32 is what an ISP or a hoster is allocated, so entries cluster in few /32s; 2^32
 *    /32s do not fit, hence the hash; a collision only costs the normal lookups.
 *  - blocked_v6_wide, allowed_v6_wide: entries shorter than /32, direct, one bit per /24 (the
 *    address's top 24 bits): a /24../31 sets its /24's bit, a shorter one the 2^(24-len) bits of
 *    the /24s it covers (contiguous words, as a v4 /8). Hashing these would scatter a short
 *    prefix over millions of bits and fill the other summary; direct bits keep the space no entry
 *    touches clear, whatever the list holds (even ::/0 fits: every bit set).
 * Read only under the list's flag, so an object loaded by ip(8) works with hand-written entries;
 * the agent sets it once the summaries are filled. */
#define VOSFP_V6_SUMMARY_BITS	24

/* The v6_sum bit of a /32 (top32: the address's first 4 bytes in host order). Multiply-shift hashing
 * (Dietzfelbinger): the top bits of the product by an odd constant, two instructions on either
 * side; the constant (2^32 / golden ratio) spreads the consecutive /32s of one prefix. */
static inline __u32 vosfp_v6_sum_bit(__u32 top32)
{
	return (__u32)(top32 * 0x9E3779B1u) >> (32 - VOSFP_V6_SUMMARY_BITS);
}

/* The IPv6 blocklist's prefix index: a source covered by a prefix is found with a few array reads
 * and one hash probe per prefix length near it, instead of the LPM trie's walk down up to 128
 * levels (~90 ns with a million entries; a hash probe costs what the exact lookup does).
 *  - blocked_v6_full: the v6_wide layout, one bit per /24, set when a prefix of /24 or shorter
 *    covers that whole /24 (as blocked_v4_full): a set bit settles "blocked".
 *  - blocked_v6_len: ARRAY of VOSFP_V6_LEN_BUCKETS words, each listing prefix lengths: up to
 *    VOSFP_V6_LENS, one a byte from byte 0 (bits 0-7) up, longest first, 0 after the last;
 *    VOSFP_V6_LENS_MORE in byte 0 when they do not fit (the trie decides for that bucket). A
 *    prefix of /32 to /127 lists its length in the bucket of its /32 (hashed as for v6_sum: the
 *    word its v6_sum bit lies in), one of /25 to /31 in the bucket of its /24 (that of the /24's
 *    first /32), probed only for sources whose v6_wide bit is set. Sharing a bucket only costs
 *    probes: a probe finds only a prefix that covers the source.
 *  - blocked_nets6_h: every prefix of blocked_nets6 (shorter than /128) again, in a HASH keyed by
 *    its "marked address" (struct vosfp_addr6): its first address with the bit just past the
 *    prefix set, so the 16 bytes name the length too (2001:db8::/32 -> 2001:db8:8000::). A length
 *    L of the source's bucket is one lookup of the source's first L bits, marked: the same 16-byte
 *    key an exact lookup hashes (a 20-byte key with the length beside it cost ~5 ns more a probe).
 * Exact addresses (/128) stay in blocked_ips6. Read only under VOSFP_F_V6_PREFIX_INDEX together
 * with VOSFP_F_V6_SUMMARY_BLOCK; the agent sets it once the three are filled. The trie keeps every
 * prefix too: it decides for a full bucket and for whoever writes the lists without the agent. */
#define VOSFP_V6_LEN_BUCKETS	VOSFP_V4_SUMMARY_WORDS
#define VOSFP_V6_LENS		8
#define VOSFP_V6_LENS_MORE	0xFF
#define VOSFP_V6_LEN_MIN	25	/* shorter prefixes cover whole /24s: blocked_v6_full */

/* The blocked_v6_len bucket of a /32 (top32 as for vosfp_v6_sum_bit), and of a /24. */
static inline __u32 vosfp_v6_len_bucket(__u32 top32)
{
	return vosfp_v6_sum_bit(top32) >> 6;
}

static inline __u32 vosfp_v6_len_bucket24(__u32 top32)
{
	return vosfp_v6_len_bucket(top32 & 0xFFFFFF00u);
}

/* Value stored in every list map; only presence matters today. */
typedef __u8 vosfp_list_value;

/* Default map sizes compiled into the object (used as-is when loaded by ip(8); the agent sets
 * its own from the config's limits before load). List maps are created without preallocation,
 * so a large maximum costs memory only for the entries actually present. */
#define VOSFP_BLOCKLIST_DEFAULT_MAX	1048576
#define VOSFP_ALLOWLIST_DEFAULT_MAX	65536
#define VOSFP_XSKS_DEFAULT_MAX		64	/* RX queues that may carry an AF_XDP socket */
#define VOSFP_RATE_SOURCES_DEFAULT_MAX	65536	/* sources tracked; LRU: floods evict, never fill */
#define VOSFP_AUTO_BLOCK_DEFAULT_MAX	65536
#define VOSFP_SCANNER_TOKENS_MAX	256

/* IPv6 extension headers walked before giving up on finding the transport header. Real SIP
 * traffic carries none or one; 6 covers hop-by-hop + destination + routing + fragment + AH
 * + destination with room to spare. A longer chain is treated as "port unknown": blocked
 * sources are still dropped, everything else passes. */
#define VOSFP_IPV6_EXT_MAX 6

/* SIP checks. */
#define VOSFP_SIP_MIN_LEN	20	/* shorter payloads are keep-alives unless they claim REGISTER */
#define VOSFP_SIP_VERSION_WINDOW 64	/* "SIP/2.0" must lie entirely within these first bytes */

#endif /* VOSFP_H */
