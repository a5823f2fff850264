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

#define VOSFP_DEFAULT_SIP_PORT 5060
#define VOSFP_PORT_BITMAP_BYTES (65536 / 8)

struct vosfp_config {
	__u32 flags;				/* VOSFP_F_* */
	__u32 reserved;				/* must be zero */
	__u8 udp_ports[VOSFP_PORT_BITMAP_BYTES];	/* bit (port & 7) of byte (port >> 3) */
	__u8 tcp_ports[VOSFP_PORT_BITMAP_BYTES];	/* TCP is blocklist-only */
};

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

/* Value stored in every list map; only presence matters today. */
typedef __u8 vosfp_list_value;

/* Default map sizes compiled into the object (used as-is when loaded by ip(8); the agent sets
 * its own from the config's limits before load). List maps are created without preallocation,
 * so a large maximum costs memory only for the entries actually present. */
#define VOSFP_BLOCKLIST_DEFAULT_MAX	1048576
#define VOSFP_ALLOWLIST_DEFAULT_MAX	65536
#define VOSFP_XSKS_DEFAULT_MAX		64	/* RX queues that may carry an AF_XDP socket */

/* IPv6 extension headers walked before giving up on finding the transport header. Real SIP
 * traffic carries none or one; 6 covers hop-by-hop + destination + routing + fragment + AH
 * + destination with room to spare. A longer chain is treated as "port unknown": blocked
 * sources are still dropped, everything else passes. */
#define VOSFP_IPV6_EXT_MAX 6

/* SIP checks. */
#define VOSFP_SIP_MIN_LEN	20	/* shorter payloads are keep-alives unless they claim REGISTER */
#define VOSFP_SIP_VERSION_WINDOW 64	/* "SIP/2.0" must lie entirely within these first bytes */

#endif /* VOSFP_H */
