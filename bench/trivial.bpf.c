// SPDX-License-Identifier: GPL-2.0
/* trivial.bpf.c - the baseline every sip_xdp_prog ratio in `make bench` is measured against,
 * in the same run on the same frames: the cost of BPF_PROG_TEST_RUN itself (trivial_tc: the
 * egress program's). Must stay trivial. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int trivial_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int trivial_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int trivial_tc(struct __sk_buff *skb)
{
	return -1;	/* TC_ACT_UNSPEC, as sip_answers returns on every path */
}
