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
	VOSFP_CNT_DECISION_DROPPED = 8,	/* source under a live outside decision (CrowdSec) */
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
#define VOSFP_F_DECISIONS	(1u << 9)	/* sources under a decision map entry are dropped */
#define VOSFP_F_ANSWERS		(1u << 10)	/* the egress program applies the answer rule below */
#define VOSFP_F_V6_PREFIX_INDEX	(1u << 12)	/* blocked_v6_full/_len + blocked_nets6_h cover the
						 * IPv6 blocklist's prefixes (with ..._SUMMARY_BLOCK) */
#define VOSFP_F_V4_PART_SUMMARY	(1u << 13)	/* blocked_v4_part covers the IPv4 blocklist's /25../31
						 * prefixes (with VOSFP_F_V4_SUMMARY) */

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
	__u32 auto_block_ms;		/* for this long (every auto-block, whatever its reason) */
	/* Appended for the answer rule (VOSFP_F_ANSWERS, see answer_peers below) and repeat
	 * offenders; all zero with their flags clear. */
	__u32 answers_window_ms;	/* failures and not-found answers count this long after the first */
	__u32 answers_challenge_ms;	/* a challenge is unanswered once this long (up to twice) passed */
	__u32 auth_failures_max;	/* this many auth failures in a window -> auto-blocked */
	__u32 not_found_max;		/* this many not-found answers in a window -> auto-blocked */
	__u32 repeat_within_ms;		/* a block this soon after the source's last one expired is a
					 * repeat: 0, every block lasts auto_block_ms */
	__u32 repeat_factor;		/* a repeat lasts this many times the one before */
	__u32 repeat_max_ms;		/* up to this long */
	__u32 reserved2;		/* must be zero */
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

/* Map rate_slots (array of VOSFP_RATE_SLOTS): the rate state of one source per slot, the slot
 * picked by a hash of the source (vosfp_rate_slot). An array read costs a few ns where the LRU
 * hash costs 30-40, so a source that owns its slot never touches rate_state. Two sources may
 * share a slot: the first owns it, the other keeps its state in rate_state, until the owner's
 * state is idle (every bucket full, no live over-limit streak), which is worth no more than no
 * state at all: then the next source to arrive takes the slot over, bringing its rate_state
 * entry with it. So no source's state is ever dropped or reset by another's, whatever the
 * hash: colliding sources cost one more lookup, nothing else. 64 bytes: one cache line. */
struct vosfp_rate_slot {
	struct vosfp_src_key owner;
	struct vosfp_rate_state state;
};

#define VOSFP_RATE_SLOT_BITS	14
#define VOSFP_RATE_SLOTS	(1u << VOSFP_RATE_SLOT_BITS)

/* A source's hash for its slots: both halves of the key as little-endian loads, multiply-shift
 * hashed with a constant each; a slot is the top bits of the sum, so an IPv4 source (its address
 * in the second half) and an IPv6 one spread alike. */
static inline __u64 vosfp_src_hash(const struct vosfp_src_key *key)
{
	__u64 head, tail;

	__builtin_memcpy(&head, key->addr, sizeof(head));
	__builtin_memcpy(&tail, key->addr + 8, sizeof(tail));
	return head * 0x9E3779B97F4A7C15ULL + tail * 0xC2B2AE3D27D4EB4FULL;
}

static inline __u32 vosfp_rate_slot(const struct vosfp_src_key *key)
{
	return (__u32)(vosfp_src_hash(key) >> (64 - VOSFP_RATE_SLOT_BITS));
}

/* Flood defence time is the coarse monotonic clock (bpf_ktime_get_coarse_ns, user space's
 * CLOCK_MONOTONIC_COARSE), which moves in ticks of 1/HZ: at most 10 ms. A token bucket then
 * holds at least this long's worth of requests (burst >= rate / 100), or a limit above
 * burst / tick could never be reached. */
#define VOSFP_CLOCK_TICK_MAX_NS 10000000ULL

/* The programs' clock (map .data.clock; bpf/shared.h: datapath_now): the coarse clock's
 * nanoseconds, computed from jiffies once user space has measured the kernel's tick
 * (agent/kernel/datapath_clock.c):
 *	now = anchor_ns + (jiffies - anchor_jiffies) * tick_ns
 * The JIT reads jiffies with one load, where bpf_ktime_get_coarse_ns is a helper call; on a
 * kernel that guards every return against AMD's SRSO, a call and its return cost about a hash
 * lookup. Both clocks step once a tick: this one trails CLOCK_MONOTONIC_COARSE by less than
 * three ticks (30 ms at HZ 100) and does not lead it, so an expiry user space writes with the
 * coarse clock is never ended early. tick_ns 0 (not measured, or a HZ no kernel is built
 * with): the helper. probe_*: both clocks read at one instant by sip_clock_probe, a program
 * user space runs (BPF_PROG_TEST_RUN) to measure the tick. */
struct vosfp_clock {
	__u64 anchor_jiffies;
	__u64 anchor_ns;
	__u64 tick_ns;
	__u64 probe_jiffies;
	__u64 probe_ns;
};

/* The clock's reading at jiffies (tick_ns set): the program and user space compute it alike. */
static inline __u64 vosfp_clock_at(const struct vosfp_clock *c, __u64 jiffies)
{
	return c->anchor_ns + (jiffies - c->anchor_jiffies) * c->tick_ns;
}

/* A streak of over-limit drops breaks when no request was dropped for this long. */
#define VOSFP_OVER_GAP_NS 1000000000ULL

/* Map auto_blocked (LRU hash by source): the datapath adds entries and ignores (and deletes)
 * expired ones itself.
 * Map auto_block_horizon (array, one __u64): no entry of auto_blocked expires after this (ns,
 * the programs' clock). Once the clock passes it, nobody can be under a block and the datapath
 * skips the auto_blocked lookup (a hash of 16 bytes per SIP packet).
 * Map auto_block_slots (array, VOSFP_BLOCK_SLOTS __u64): the same per slot of the source
 * (vosfp_block_slot). While some source is under a block, the others' packets read their slot
 * and skip the lookup unless a blocked source shares it: during an attack, legitimate traffic
 * pays an array read (inlined) where a hash lookup is a call and a 16-byte hash. A slot never
 * goes down: it runs out by itself, so no reader ever needs it cleared.
 * Whoever adds an entry raises the horizon and the entry's slot first, so a reader never meets
 * an entry beyond either: the datapath when it blocks, the agent when it restores or carries
 * entries over. Pinned like the other maps. */
enum vosfp_block_reason {
	VOSFP_REASON_RATE = 1,		/* over its rate limit for auto_block_after_ms (XDP) */
	VOSFP_REASON_AUTH_FAILURES = 2,	/* the server refused its credentials auth_failures_max times */
	VOSFP_REASON_ENUMERATION = 3,	/* the server answered "no such user" not_found_max times */
	VOSFP_REASON_SCANNER = 4,	/* a scanner's User-Agent (XDP, with VOSFP_F_AUTO_BLOCK) */
	VOSFP_REASONS			/* one past the last: user space names each (autoblock.c) */
};

struct vosfp_auto_block {
	__u64 expires;			/* ns, the programs' clock (bpf/shared.h: datapath_now) */
	__u32 reason;			/* enum vosfp_block_reason */
	__u32 method;			/* enum vosfp_method whose limit was exceeded */
};

#define VOSFP_BLOCK_SLOT_BITS	16
#define VOSFP_BLOCK_SLOTS	(1u << VOSFP_BLOCK_SLOT_BITS)

static inline __u32 vosfp_block_slot(const struct vosfp_src_key *key)
{
	return (__u32)(vosfp_src_hash(key) >> (64 - VOSFP_BLOCK_SLOT_BITS));
}

/* Map auto_block_history (LRU hash by source): the latest block of each source, kept after it
 * expired, so a source blocked again within repeat_within_ms of its expiry is a repeat offender
 * and gets repeat_factor times the previous duration (capped at repeat_max_ms). Written by
 * whoever makes a block (both programs share one function for it), read and restored by the
 * agent's persist file. */
struct vosfp_block_history {
	__u64 expires;			/* ns, coarse clock: when the latest block ends or ended */
	__u32 repeats;			/* 0 for a first block, +1 for each repeat in a row */
	__u16 reason;			/* enum vosfp_block_reason of the latest block */
	__u16 method;			/* and its enum vosfp_method */
};

/* Repeats counted at most: the duration reaches any cap long before (factor >= 2). */
#define VOSFP_REPEATS_MAX 64

/* ---- The answer rule (egress program, sip_answers.bpf.c) ----
 * It reads the responses leaving the configured SIP ports (UDP source port; TCP segments that
 * start with a status line) and keeps, per peer (the destination, keyed as vosfp_src_key):
 *  - auth failures: a 403; a 401/407 challenge in a call (Call-ID) whose previous challenge no
 *    answer settled (the credentials sent were refused); a challenge that no answer settled
 *    within answers_challenge_ms (between one and two of them: generations of that length);
 *  - not-found answers: 404, 410, 484, 485, 604.
 * A challenge is settled by the next answer in the same call other than 100, 401, 403, 407:
 * the credentials passed. So digest authentication (401 then 200) never counts, however many
 * clients behind one address are challenged at once. auth_failures_max failures, or
 * not_found_max not-found answers, within answers_window_ms of the first -> an auto-block.
 * Map answer_peers (LRU hash by peer): struct vosfp_answer_peer.
 * Map answer_calls (LRU hash): the unsettled challenges, by peer and Call-ID hash.
 * Map answer_counters (per-CPU array): enum vosfp_answer_counter. */
struct vosfp_answer_peer {
	__u64 window_start;		/* ns: the first failure or not-found answer of the window */
	__u64 gen;			/* challenge generation last seen: now / answers_challenge_ms */
	__u32 failures;			/* auth failures in the window */
	__u32 not_found;		/* not-found answers in the window */
	__u32 pending;			/* unsettled challenges of generation gen */
	__u32 pending_prev;		/* and of generation gen - 1 */
};

struct vosfp_answer_call_key {
	__u8 addr[16];			/* the peer, as vosfp_src_key */
	__u64 call;			/* hash of the Call-ID value (its first VOSFP_CALL_ID_MAX bytes) */
};

struct vosfp_answer_call {
	__u64 gen;			/* the generation of its unsettled challenge */
};

enum vosfp_answer_counter {
	VOSFP_ANS_RESPONSES = 0,	/* SIP responses read leaving a SIP port */
	VOSFP_ANS_CHALLENGES = 1,	/* 401 and 407 */
	VOSFP_ANS_REFUSED = 2,		/* 403 */
	VOSFP_ANS_NOT_FOUND = 3,	/* 404, 410, 484, 485, 604 */
	VOSFP_ANS_AUTH_FAILURES = 4,	/* auth failures the rule counted */
	VOSFP_ANS_BLOCKED_AUTH = 5,	/* auto-blocks for auth failures */
	VOSFP_ANS_BLOCKED_ENUM = 6,	/* auto-blocks for enumeration */
	VOSFP_ANS_ALLOWLISTED = 7,	/* allowlisted peers that met the rule: not blocked */
	VOSFP_ANS_NO_CALL_ID = 8,	/* challenges and refusals without a Call-ID in the window */
	VOSFP_ANS_COUNT
};

/* Response bytes searched for the Call-ID (the search stops at the blank line). */
#define VOSFP_ANSWER_SEARCH_MAX 1024
/* Call-ID bytes that key a call: longer values share a key with their first this many. */
#define VOSFP_CALL_ID_MAX	128
/* Blanks allowed around the colon of the Call-ID header ("Call-ID :  x"), on each side. */
#define VOSFP_CALL_ID_BLANKS	8
/* The egress filter's place among the interface's clsact egress filters: priority 1 (first),
 * a handle of its own. It only reads and returns TC_ACT_UNSPEC: filters after it run as if it
 * were not there. */
#define VOSFP_TC_PRIORITY	1
#define VOSFP_TC_HANDLE		0x5f1b

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

/* Map scanner_free (array, one element): the token slots no key of scanner_tokens hashes to, one
 * bit each. An ordinary User-Agent's word usually lands on a free slot: one array read instead
 * of the hash lookup (which costs a jhash and a bucket walk). A clear bit proves nothing, so the
 * zeroed map a new program starts with only means "look it up"; an older program ignores it.
 * The agent clears the slots of keys it adds before adding them and sets those of keys it
 * deletes after deleting them, so a free slot never has a key, in any mix of old and new bytes a
 * reader may see. 4096 slots: with the 256 tokens at most, 94% of words skip the lookup. */
#define VOSFP_SCANNER_SLOT_BITS	12
#define VOSFP_SCANNER_FREE_WORDS ((1u << VOSFP_SCANNER_SLOT_BITS) / 64)

struct vosfp_scanner_free {
	__u64 bits[VOSFP_SCANNER_FREE_WORDS];
};

/* A key's slot: its word as a little-endian load (the way the datapath builds it), the length
 * folded in, multiply-shift hashing as for vosfp_v6_sum_bit. */
static inline __u32 vosfp_scanner_slot(const struct vosfp_scanner_key *key)
{
	__u64 word;

	__builtin_memcpy(&word, key->word, sizeof(word));
	return (__u32)(((word ^ key->len) * 0x9E3779B97F4A7C15ULL) >> (64 - VOSFP_SCANNER_SLOT_BITS));
}

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
 *    trie.
 *  - blocked_v4_part: set when a blocklist prefix of /25 to /31 lies in that /24. Under
 *    VOSFP_F_V4_PART_SUMMARY, a source whose near bit is set (a listed host shares its /24) but
 *    whose full and part bits are clear is settled by the exact hash alone: no prefix can cover
 *    it, and the trie is not walked. A big list sets nearly every near bit; few /24s hold a
 *    /25../31. */
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
#define VOSFP_ANSWER_PEERS_DEFAULT_MAX	65536	/* like rate_state: the agent sizes both alike */

/* Decisions of outside feeds (agent/feeds/: the CrowdSec LAPI), in maps of their own that only the
 * agent's feed writes: never the operator's list maps. Like the lists, exact addresses in hashes
 * (dec_ips, dec_ips6) and prefixes in LPM tries (dec_nets, dec_nets6), keyed alike; the value
 * carries the expiry the datapath checks itself, so a decision ends on time whatever the agent
 * and the LAPI are doing. The agent stores in every entry the latest expiry of all the decisions
 * covering that prefix (itself and every shorter one), so the longest match alone settles it:
 * a live /16 still counts for a source whose /24 entry has expired. dec_v4_sum, dec_v6_sum and
 * dec_v6_wide summarise the entries as the blocklist's summaries do (same layout and rule,
 * VOSFP_V4_SUMMARY_WORDS words each): a clear bit settles "no decision" with one array read,
 * so a source under none costs what it cost without the feed. An entry goes in after its bits,
 * and its bits go after the entry. Read only under VOSFP_F_DECISIONS.
 * dec_traffic (per-CPU array of struct vosfp_traffic): packets and bytes by the origin of the
 * decision that matched, dropped (index origin) or passed because the source is allowlisted
 * (VOSFP_ORIGIN_SLOTS + origin): the allowlist wins over every decision. */
enum vosfp_origin {
	VOSFP_ORIGIN_OTHER = 0,		/* an origin the agent has no name for */
	VOSFP_ORIGIN_CROWDSEC = 1,	/* a CrowdSec security engine's scenario */
	VOSFP_ORIGIN_CSCLI = 2,		/* an operator's cscli decisions add / import */
	VOSFP_ORIGIN_LISTS = 3,		/* blocklists: the community's (CAPI) and subscribed ones */
	VOSFP_ORIGIN_VOSFP = 4,		/* vosfp's own auto-blocks, published by a vosfp watcher */
	VOSFP_ORIGINS
};

#define VOSFP_ORIGIN_SLOTS	8	/* room to append origins with the map's geometry kept */
#define VOSFP_DECISIONS_MAX	1048576	/* per map; not preallocated */

struct vosfp_decision {
	__u64 expires;		/* ns, coarse clock: the latest expiry covering this prefix */
	__u64 own_expires;	/* this prefix's own decision */
	__u32 origin;		/* enum vosfp_origin of the decision `expires` comes from */
	__u32 own_origin;
};

/* IPv6 extension headers walked before giving up on finding the transport header. Real SIP
 * traffic carries none or one; 6 covers hop-by-hop + destination + routing + fragment + AH
 * + destination with room to spare. A longer chain is treated as "port unknown": blocked
 * sources are still dropped, everything else passes. */
#define VOSFP_IPV6_EXT_MAX 6

/* SIP checks. */
#define VOSFP_SIP_MIN_LEN	20	/* shorter payloads are keep-alives unless they claim REGISTER */
#define VOSFP_SIP_VERSION_WINDOW 64	/* "SIP/2.0" must lie entirely within these first bytes */

#endif /* VOSFP_H */
