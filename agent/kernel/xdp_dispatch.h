/* xdp_dispatch.h - the "dispatcher" method of xdp_hook.h: vosfp's program, loaded as a freplace
 * program (datapath.h's ext_prog_fd), as one program of libxdp's multi-program dispatcher, beside
 * xdp-filter, AF_XDP programs and whatever else libxdp loaded there. libxdp builds a new
 * dispatcher for every change and swaps it in atomically (XDP_FLAGS_REPLACE); vosfp only ever adds
 * or removes its own program, never another's. The program is pinned at
 * <pin_path>/dispatch/<ifname> (libxdp pins the dispatcher's own state under /sys/fs/bpf/xdp). */
#ifndef VOSFP_XDP_DISPATCH_H
#define VOSFP_XDP_DISPATCH_H

#include <stddef.h>

#include "desired.h"

#define DISPATCH_PROGS_MAX 10	/* libxdp's MAX_DISPATCHER_ACTIONS */

struct dispatch_prog {
	unsigned id;
	char name[16];
	unsigned run_priority;
	unsigned chain_call_actions;	/* bit 1 << enum vosfp_xdp_action */
};

/* A libxdp dispatcher on an interface, as libxdp reads it back. */
struct dispatch_info {
	unsigned id;			/* the dispatcher program */
	enum vosfp_xdp_mode mode;
	unsigned n;
	struct dispatch_prog progs[DISPATCH_PROGS_MAX];
};

/* 1 and *out when the interface's XDP program is a libxdp dispatcher; 0 when it is something else
 * or nothing. */
int dispatch_read(int ifindex, struct dispatch_info *out);

/* "pass,drop" for a chain-call bitmap ("none" for 0). */
void dispatch_actions_str(unsigned actions, char *buf, size_t len);

#endif
