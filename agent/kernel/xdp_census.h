/* xdp_census.h - what runs on an interface's XDP hook and how it got there (a bpf_link, netlink, a
 * libxdp dispatcher and the programs in it), said for the operator: the refusal to touch a program
 * vosfp does not own, --stats and --dry-run. Reads only. */
#ifndef VOSFP_XDP_CENSUS_H
#define VOSFP_XDP_CENSUS_H

#include <stddef.h>

#include "xdp_dispatch.h"

enum hook_holder { HOOK_EMPTY, HOOK_BPF_LINK, HOOK_NETLINK, HOOK_DISPATCHER };

struct xdp_census {
	enum hook_holder how;
	unsigned prog_id;		/* the program on the hook (the dispatcher's, for one) */
	char prog_name[16];
	enum vosfp_xdp_mode mode;
	unsigned link_id;		/* HOOK_BPF_LINK */
	struct dispatch_info dispatcher;	/* HOOK_DISPATCHER */
};

/* Fill c for ifname. 0, or -ENODEV. */
int xdp_census_take(const char *ifname, struct xdp_census *c);

/* "prog 42 xdpfilt_dny_udp, attached through netlink (native)" or "libxdp dispatcher 7 (native):
 * sip_xdp_prog (id 9, priority 10, chain on pass), ..."; the program with id `ours` is named as
 * vosfp's. */
void xdp_census_describe(const struct xdp_census *c, unsigned ours, char *buf, size_t len);

/* One line on ifname for --stats and --dry-run: how vosfp is attached there (through which of its
 * pins) and what else runs on the hook. */
void xdp_census_report(const char *pin_path, const char *ifname, char *buf, size_t len);

/* What the operator can do about it: how such a program is removed. */
const char *xdp_census_remedy(const struct xdp_census *c);

#endif
