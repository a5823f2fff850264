// SPDX-License-Identifier: GPL-2.0
/* floor.bpf.c - lower bounds for `make bench`: the least work any SIP filter must do for a
 * class, written as cheaply as the verifier allows and with no policy at all. When a floor's
 * ratio to the trivial program already exceeds a class's target, no filter doing that class's
 * job meets the target as measured here (BPF_PROG_TEST_RUN on this machine), vosfp included.
 * The frames are the bench's own: IPv4 without options or VLAN tags, UDP to port 5060.
 * Never loaded by vosfp itself. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vosfp.h"

#define ETH_P_IP	0x0800
#define PROTO_UDP	17

char LICENSE[] SEC("license") = "GPL";

/* The bench points these at sip_xdp_prog's own maps (bpf_map__reuse_fd): the same 400,000
 * blocked hosts in the same hash table, the same per-source rate state slots. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, vosfp_list_value);
} blocked_ips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VOSFP_RATE_SLOTS);
	__type(key, __u32);
	__type(value, struct vosfp_rate_slot);
} rate_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} floor_drops SEC(".maps");

/* Payload bytes floor_defence reads: set by the bench before load (where the User-Agent
 * header of its INVITE starts). */
const volatile __u32 header_bytes = 0;

/* Ethernet, IPv4, UDP to 5060: the payload, or NULL. */
static __always_inline __u8 *sip_payload(struct xdp_md *ctx, __u32 *saddr)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != PROTO_UDP || udp->dest != bpf_htons(VOSFP_DEFAULT_SIP_PORT))
		return NULL;
	*saddr = ip->saddr;
	return (__u8 *)(udp + 1);
}

/* What every class pays before it can decide anything. */
SEC("xdp")
int floor_parse(struct xdp_md *ctx)
{
	__u32 saddr;

	return sip_payload(ctx, &saddr) ? XDP_PASS : XDP_ABORTED;
}

/* A blocked source: one hash lookup and one counter, then drop. */
SEC("xdp")
int floor_blocked(struct xdp_md *ctx)
{
	__u32 saddr, zero = 0;
	__u64 *drops;

	if (!sip_payload(ctx, &saddr))
		return XDP_ABORTED;
	if (!bpf_map_lookup_elem(&blocked_ips, &saddr))
		return XDP_PASS;
	drops = bpf_map_lookup_elem(&floor_drops, &zero);
	if (drops)
		*drops += 1;
	return XDP_DROP;
}

#define BLOCK 64

/* A per-source rate limit and a User-Agent search: the source's rate state read from its
 * slot (not updated, the owner not compared), and the headers before the User-Agent line read:
 * every 8-byte word up to it (whole 64-byte blocks only, one bounds check each), XOR-folded
 * with the state's first word into two accumulators so the loads stay, and nothing else: no
 * newline found, no name compared, no token looked up. */
SEC("xdp")
int floor_defence(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct vosfp_src_key key = { .addr = { [10] = 0xff, [11] = 0xff } };
	__u64 a = 0, b = 0;
	__u32 saddr, idx;
	__u8 *p = sip_payload(ctx, &saddr);
	struct vosfp_rate_slot *slot;

	if (!p)
		return XDP_ABORTED;
	__builtin_memcpy(&key.addr[12], &saddr, sizeof(saddr));
	idx = vosfp_rate_slot(&key);
	slot = bpf_map_lookup_elem(&rate_slots, &idx);
	if (!slot)
		return XDP_ABORTED;
	a = slot->state.tat[0];
	for (__u32 base = 0; base + BLOCK <= VOSFP_UA_SEARCH_MAX; base += BLOCK) {
		__u64 *w = (__u64 *)(p + base);

		if (base + BLOCK > header_bytes || (void *)(w + BLOCK / 8) > data_end)
			break;
		a ^= w[0] ^ w[2] ^ w[4] ^ w[6];
		b ^= w[1] ^ w[3] ^ w[5] ^ w[7];
	}
	return a == b ? XDP_DROP : XDP_PASS;
}
