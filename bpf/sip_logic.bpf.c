// SPDX-License-Identifier: GPL-2.0
/* sip_logic.bpf.c - the vosfp XDP datapath: drops blocklisted sources, OPTIONS from unknown
 * sources and malformed SIP at the NIC; passes or AF_XDP-redirects the rest.
 * It must never drop what it cannot classify: unparseable or non-SIP traffic passes untouched.
 *
 * Decision order (first match decides; "uncounted" means no counter moves):
 *  1. L2: Ethernet + up to two VLAN tags. Not IPv4/IPv6, or truncated -> PASS uncounted.
 *  2. L3: IPv4 (options skipped) / IPv6 (extension headers walked, bounded). Invalid or truncated
 *     header -> PASS uncounted. Non-first fragments and over-long IPv6 header chains carry no
 *     port: blocklisted source -> DROP BLOCKED, else PASS uncounted.
 *  3. L4: UDP/TCP to a configured SIP port, else PASS uncounted (truncated L4 too).
 *  4. Blocklisted source -> DROP BLOCKED (UDP and TCP). TCP stops here: PASS, PASSED.
 *  5. Stealth: UDP payload "OPTIONS " from a source not in the allowlist -> DROP OPTIONS_DROPPED.
 *  6. Malformed: lengths that lie (UDP length vs IP length vs frame), "REGISTER " shorter than
 *     20 bytes or without "SIP/2.0" in its first 64 bytes, any payload of >= 20 bytes without
 *     "SIP/2.0" in its first 64 bytes -> DROP MALFORMED.
 *  7. AF_XDP socket on this RX queue -> REDIRECT, REDIRECTED (never for IP fragments: the rest
 *     of the datagram goes to the kernel, which must reassemble it).
 *  8. PASS, PASSED.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vosfp.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8

#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

#define IPV6_HDR_HOP	0
#define IPV6_HDR_ROUTE	43
#define IPV6_HDR_FRAG	44
#define IPV6_HDR_AH	51
#define IPV6_HDR_DEST	60

#define PROTO_TCP	6
#define PROTO_UDP	17

#define VLAN_MAX_DEPTH	2	/* 802.1ad outer + 802.1Q inner (QinQ) */

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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vosfp_config);
} sip_config SEC(".maps");

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

#define V4_SUMMARY(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(max_entries, VOSFP_V4_SUMMARY_WORDS);		\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} name SEC(".maps")

V4_SUMMARY(blocked_v4_sum);
V4_SUMMARY(allowed_v4_sum);
V4_SUMMARY(blocked_v4_full);

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, VOSFP_XSKS_DEFAULT_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* ---- parsing ---- */

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

/* What the parsers learn about one frame. The transport header is kept as a packet pointer
 * (the verifier keeps a spilled pointer's bounds, not those of a spilled offset); lengths are
 * offsets from the start of the frame. */
struct frame {
	__u8 *l4;		/* transport header */
	__u32 l3_off;		/* IP header */
	__u32 l4_off;
	__u32 ip_end;		/* end of the IP datagram as its header declares it */
	__u16 eth_proto;
	__u8 l4_proto;
	__u8 is_v6;
	__u8 first_fragment;	/* more fragments follow this one (offset 0) */
	__u8 portless;		/* non-first fragment or header chain too long: no port visible */
	__u32 saddr4;
	struct vosfp_addr6 saddr6;
};

enum parse_result { PARSE_OK, PARSE_SKIP };

/* Header offsets never exceed this in a linear XDP frame (a page at most). */
#define HDR_OFF_MAX 0x3FFF

/* Every parse path (VLAN depth, IP options, each IPv6 extension header) reaches the transport
 * header with a different offset range; the verifier would walk the rest of the program once per
 * range. Masking through an opaque register gives every path the same range [0, HDR_OFF_MAX], so
 * their states merge. Callers have already rejected offsets above HDR_OFF_MAX: the mask changes
 * no value. */
static __always_inline __u32 uniform_off(__u32 off)
{
	asm volatile("" : "+r"(off));
	return off & HDR_OFF_MAX;
}

static __always_inline int parse_l2(void *data, void *data_end, struct frame *f)
{
	struct ethhdr *eth = data;
	__u32 off = sizeof(*eth);
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return PARSE_SKIP;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_tag *tag = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 1) > data_end)
			return PARSE_SKIP;
		proto = tag->proto;
		off += sizeof(*tag);
	}
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		return PARSE_SKIP;
	f->eth_proto = proto;
	f->l3_off = off;
	return PARSE_OK;
}

static __always_inline int parse_ipv4(void *data, void *data_end, struct frame *f)
{
	struct iphdr *ip = data + f->l3_off;
	__u32 hdr_len, tot_len;
	__u16 frag;

	if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
		return PARSE_SKIP;
	hdr_len = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	if ((void *)ip + hdr_len > data_end || tot_len < hdr_len)
		return PARSE_SKIP;

	frag = bpf_ntohs(ip->frag_off);
	f->portless = (frag & IP_OFFSET) != 0;
	f->first_fragment = !f->portless && (frag & IP_MF);
	f->l4_proto = ip->protocol;
	f->l4_off = uniform_off(f->l3_off + hdr_len);
	f->l4 = data + f->l4_off;
	f->ip_end = f->l3_off + tot_len;
	f->saddr4 = ip->saddr;
	return PARSE_OK;
}

static __always_inline int parse_ipv6(void *data, void *data_end, struct frame *f)
{
	struct ipv6hdr *ip6 = data + f->l3_off;
	__u32 off = f->l3_off + sizeof(*ip6);
	__u8 next;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6 || ip6->payload_len == 0)
		return PARSE_SKIP;
	__builtin_memcpy(f->saddr6.addr, &ip6->saddr, sizeof(f->saddr6.addr));
	f->is_v6 = 1;
	f->ip_end = off + bpf_ntohs(ip6->payload_len);
	next = ip6->nexthdr;

	/* Bounded walk: see VOSFP_IPV6_EXT_MAX for why this many is enough. */
#pragma unroll
	for (int i = 0; i < VOSFP_IPV6_EXT_MAX; i++) {
		__u8 *ext = data + off;
		__u32 len;

		if (next != IPV6_HDR_HOP && next != IPV6_HDR_ROUTE && next != IPV6_HDR_DEST &&
		    next != IPV6_HDR_AH && next != IPV6_HDR_FRAG)
			break;
		if ((void *)(ext + 8) > data_end)	/* every extension header is >= 8 bytes */
			return PARSE_SKIP;
		if (next == IPV6_HDR_FRAG) {
			__u16 frag = (ext[2] << 8) | ext[3];

			if (frag & 0xFFF8) {		/* fragment offset != 0 */
				f->portless = 1;
				return PARSE_OK;
			}
			f->first_fragment = frag & 1;	/* M flag */
			len = 8;
		} else if (next == IPV6_HDR_AH) {
			len = (ext[1] + 2) * 4;
		} else {
			len = (ext[1] + 1) * 8;
		}
		next = ext[0];
		off += len;
		if (off > HDR_OFF_MAX)
			return PARSE_SKIP;
		off = uniform_off(off);
	}
	if (next == IPV6_HDR_HOP || next == IPV6_HDR_ROUTE || next == IPV6_HDR_DEST ||
	    next == IPV6_HDR_AH || next == IPV6_HDR_FRAG) {
		f->portless = 1;			/* chain longer than we walk */
		return PARSE_OK;
	}
	f->l4_proto = next;
	f->l4_off = off;
	f->l4 = data + off;
	return PARSE_OK;
}

/* ---- lists ---- */

/* full may be NULL (the allowlist has no "whole /24" summary): the branch then compiles away. */
static __always_inline bool listed4(void *near, void *full, void *exact, void *prefixes, __u32 addr,
				    const struct vosfp_config *cfg)
{
	struct vosfp_lpm4_key key = { .prefixlen = 32 };

	if (cfg->flags & VOSFP_F_V4_SUMMARY) {
		__u32 slash24 = bpf_ntohl(addr) >> 8, word = slash24 >> 6;
		__u64 bit = 1ULL << (slash24 & 63), *bits;

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
	__builtin_memcpy(key.addr, &addr, sizeof(key.addr));
	return bpf_map_lookup_elem(prefixes, &key) != NULL;
}

static __always_inline bool listed6(void *exact, void *prefixes, const struct vosfp_addr6 *addr)
{
	struct vosfp_lpm6_key key = { .prefixlen = 128 };

	if (bpf_map_lookup_elem(exact, addr))
		return true;
	__builtin_memcpy(key.addr, addr->addr, sizeof(key.addr));
	return bpf_map_lookup_elem(prefixes, &key) != NULL;
}

static __always_inline bool is_blocked(const struct frame *f, const struct vosfp_config *cfg)
{
	if (f->is_v6)
		return listed6(&blocked_ips6, &blocked_nets6, &f->saddr6);
	return listed4(&blocked_v4_sum, &blocked_v4_full, &blocked_ips, &blocked_nets, f->saddr4, cfg);
}

static __always_inline bool is_allowed(const struct frame *f, const struct vosfp_config *cfg)
{
	if (f->is_v6)
		return listed6(&allowed_ips6, &allowed_nets6, &f->saddr6);
	return listed4(&allowed_v4_sum, NULL, &allowed_ips, &allowed_nets, f->saddr4, cfg);
}

/* ---- SIP ---- */

static __always_inline bool port_selected(const struct vosfp_config *cfg, const __u8 *bitmap,
					  __u16 port, bool seed_default)
{
	if (!(cfg->flags & VOSFP_F_PORTS))
		return seed_default && port == VOSFP_DEFAULT_SIP_PORT;
	return bitmap[port >> 3] & (1 << (port & 7));
}

#define IS_SIP_VERSION_AT(p, i)							\
	((p)[(i)] == 'S' && (p)[(i) + 1] == 'I' && (p)[(i) + 2] == 'P' && (p)[(i) + 3] == '/' && \
	 (p)[(i) + 4] == '2' && (p)[(i) + 5] == '.' && (p)[(i) + 6] == '0')

/* Does "SIP/2.0" lie entirely within the first min(len, 64) bytes of the payload at offset off?
 * A plain scan: a probe is one byte load and one branch while the first byte differs, cheaper
 * than a skip table whose data-dependent steps the verifier cannot merge. A global function so
 * the verifier checks it once, not once per parse path of the caller. */
__noinline int has_sip_version(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 window = len < VOSFP_SIP_VERSION_WINDOW ? len : VOSFP_SIP_VERSION_WINDOW;
	__u32 last_start;
	__u8 *p;

	/* The offset bound keeps the verifier able to prove reads in range; no linear XDP frame
	 * is larger. */
	if (window < 7 || off > 0x7FFF)
		return 0;
	p = data + off;
	last_start = window - 7;

	if ((void *)(p + VOSFP_SIP_VERSION_WINDOW) <= data_end) {
		/* Common case: the whole window is in the frame. Unrolled by hand (clang will not):
		 * constant offsets, no bounds check, one load and one branch per probe while the
		 * first byte differs. */
#define PROBE(i)							\
		if ((i) > last_start)					\
			return 0;					\
		if (IS_SIP_VERSION_AT(p, (i)))				\
			return 1;
#define PROBE8(i) PROBE(i) PROBE(i + 1) PROBE(i + 2) PROBE(i + 3) PROBE(i + 4) PROBE(i + 5) \
		PROBE(i + 6) PROBE(i + 7)
		PROBE8(0) PROBE8(8) PROBE8(16) PROBE8(24) PROBE8(32) PROBE8(40) PROBE8(48)
		PROBE(56) PROBE(57)
#undef PROBE8
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

static __always_inline bool starts_with_word(__u8 *p, void *data_end, __u32 len, __u64 word_be)
{
	if (len < 8 || (void *)(p + 8) > data_end)
		return false;
	return *(__u64 *)p == bpf_cpu_to_be64(word_be);
}

#define WORD_OPTIONS	0x4F5054494F4E5320ULL	/* "OPTIONS " */
#define WORD_REGISTER	0x5245474953544552ULL	/* "REGISTER", then a space */

/* ---- verdicts ---- */

/* Only verdicts are counted, so uncounted traffic pays nothing for the per-interface figures;
 * a counted one pays two inlined array lookups (ifindex -> slot, then the slot's counter). */
static __always_inline int count(struct xdp_md *ctx, __u32 idx, int action)
{
	__u64 *c = bpf_map_lookup_elem(&xdp_counters, &idx);
	__u32 ifindex = ctx->ingress_ifindex, key = VOSFP_IFACE_OTHER, *slot;
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
		t->bytes += ctx->data_end - ctx->data;
	}
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

	if (!(cfg->flags & VOSFP_F_NO_STEALTH) &&
	    starts_with_word(payload, data_end, seen, WORD_OPTIONS) && !is_allowed(f, cfg))
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

	if (!f->first_fragment &&
	    bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS) == XDP_REDIRECT)
		return count(ctx, VOSFP_CNT_REDIRECTED, XDP_REDIRECT);
	return count(ctx, VOSFP_CNT_PASSED, XDP_PASS);
}

SEC("xdp")
int sip_xdp_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct vosfp_config *cfg;
	struct frame f = {};
	__u32 zero = 0;
	__u16 dport;

	if (parse_l2(data, data_end, &f) != PARSE_OK)
		return XDP_PASS;
	if (f.eth_proto == bpf_htons(ETH_P_IP)) {
		if (parse_ipv4(data, data_end, &f) != PARSE_OK)
			return XDP_PASS;
	} else if (parse_ipv6(data, data_end, &f) != PARSE_OK) {
		return XDP_PASS;
	}

	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if (!cfg)
		return XDP_PASS;
	if (f.portless)
		return is_blocked(&f, cfg) ? count(ctx, VOSFP_CNT_BLOCKED, XDP_DROP) : XDP_PASS;
	if (!f.l4)	/* parsers set it whenever the port is visible; says so to the verifier */
		return XDP_PASS;

	if (f.l4_proto == PROTO_UDP) {
		struct udphdr *udp = (struct udphdr *)f.l4;

		if ((void *)(udp + 1) > data_end)
			return XDP_PASS;
		dport = bpf_ntohs(udp->dest);
		if (!port_selected(cfg, cfg->udp_ports, dport, true))
			return XDP_PASS;
	} else if (f.l4_proto == PROTO_TCP) {
		struct tcphdr *tcp = (struct tcphdr *)f.l4;

		if ((void *)(tcp + 1) > data_end)
			return XDP_PASS;
		dport = bpf_ntohs(tcp->dest);
		if (!port_selected(cfg, cfg->tcp_ports, dport, false))
			return XDP_PASS;
	} else {
		return XDP_PASS;
	}

	if (is_blocked(&f, cfg))
		return count(ctx, VOSFP_CNT_BLOCKED, XDP_DROP);
	if (f.l4_proto == PROTO_TCP)
		return count(ctx, VOSFP_CNT_PASSED, XDP_PASS);
	return classify_udp(ctx, cfg, &f);
}
