/* hook_watch.h - the daemon's look, once a tick, at the XDP hooks it attached: an attachment gone
 * since the last successful reconcile (a force-detached bpf_link, a dispatcher rebuilt without
 * vosfp's program, the interface deleted; with the answer rule on, its egress filter gone: the
 * clsact qdisc deleted) is said, with what the hook holds now, and the daemon
 * reconciles, which attaches again through the normal journaled transaction. (An interface
 * deleted fails that reconcile; iface_wait.h then waits for it to be made again.) Reads only. */
#ifndef VOSFP_HOOK_WATCH_H
#define VOSFP_HOOK_WATCH_H

#include <stddef.h>

#include "desired.h"

struct hook_watch {
	unsigned char attached[VOSFP_MAX_INTERFACES * 2];	/* by want's interface index */
};

/* After a successful reconcile: every declared interface carries vosfp. */
void hook_watch_reset(struct hook_watch *w, const struct desired *want);

/* 1 with why (for the reload's log line) when an interface lost vosfp's attachment since the last
 * look; each loss is reported once (a reconcile that cannot attach again says why itself, and is
 * not retried every tick). */
int hook_watch_check(struct hook_watch *w, const struct desired *want, char *why, size_t len);

#endif
