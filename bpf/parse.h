/* parse.h - the L2/L3/L4 parsers both vosfp programs share: Ethernet with up to two VLAN tags,
 * IPv4 with options, IPv6 with its extension headers (bounded), and whether a port is one of the
 * configured SIP ports. Direct packet access only (XDP's data/data_end, TC's skb->data/data_end);
 * nothing here reads a map or decides a verdict. */
#ifndef VOSFP_PARSE_H
#define VOSFP_PARSE_H

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

/* x & mask, computed even where the compiler knows x <= mask already: the verifier may have lost
 * that bound (a value spilled in 32 bits comes back unbounded), and the mask restores it. */
static __always_inline __u32 opaque_mask(__u32 x, __u32 mask)
{
	asm volatile("" : "+r"(x));
	return x & mask;
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

static __always_inline bool port_selected(const struct vosfp_config *cfg, const __u8 *bitmap,
					  __u16 port, bool seed_default)
{
	if (!(cfg->flags & VOSFP_F_PORTS))
		return seed_default && port == VOSFP_DEFAULT_SIP_PORT;
	return bitmap[port >> 3] & (1 << (port & 7));
}

/* L2 then L3 into f: PARSE_SKIP for anything that is not a valid IPv4 or IPv6 header. */
static __always_inline int parse_frame(void *data, void *data_end, struct frame *f)
{
	if (parse_l2(data, data_end, f) != PARSE_OK)
		return PARSE_SKIP;
	if (f->eth_proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(data, data_end, f);
	return parse_ipv6(data, data_end, f);
}

#endif /* VOSFP_PARSE_H */
