/* guard.h - the TC guard of one interface: sip_tc_guard (bpf/sip_logic.bpf.c) as a clsact ingress
 * filter, in place only while the interface has no XDP program of ours: the detach -> attach
 * window of an XDP mode change and of its undo. It must never be left behind once XDP is back,
 * and never replaces a filter that is not a guard. */
#ifndef VOSFP_GUARD_H
#define VOSFP_GUARD_H

#include <stddef.h>

/* Where the guard sits in the ingress filter chain: priority 1 (first), a handle of its own. */
#define GUARD_PRIORITY	1
#define GUARD_HANDLE	0x5f5

struct guard {
	int ifindex;
	int made_qdisc;		/* the clsact qdisc was created for the guard: it goes with it */
	int on;
};

/* Put prog_fd (a sip_tc_guard) on ifindex's ingress. A guard left there by an earlier run is
 * replaced; any other filter at GUARD_PRIORITY/GUARD_HANDLE is refused. 0, or -errno with why
 * set. */
int guard_on(struct guard *g, int ifindex, int prog_fd, char *why, size_t len);

/* Remove it (and the clsact qdisc, if it was made for it). 0 or -errno. */
int guard_off(struct guard *g);

/* Remove a guard an earlier run left on ifindex (an agent killed inside a window). 1 if one was
 * there and is gone, 0 if there was none, -errno if it could not be removed. */
int guard_sweep(int ifindex);

#endif
