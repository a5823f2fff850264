/* xdp_hook.h - how vosfp's program sits on an interface's XDP hook, as one table of operations
 * with two methods behind it: a bpf_link, vosfp alone on the hook (links.c), or one program of
 * libxdp's multi-program dispatcher, beside others (xdp_dispatch.c). reconcile.c picks a method per
 * interface and calls it through this table; it never calls libxdp or bpf_link_* itself. No
 * operation here ever detaches or replaces a program vosfp did not attach. */
#ifndef VOSFP_XDP_HOOK_H
#define VOSFP_XDP_HOOK_H

#include <stddef.h>

#include "desired.h"

/* An attachment is held by one fd: the bpf_link (link), or vosfp's program (dispatcher). Pinned,
 * it outlives the agent; a fresh one is the transaction's until it is pinned at commit. */
struct xdp_hook {
	enum vosfp_attach_method method;
	const char *what;		/* for messages: "bpf_link", "libxdp dispatcher" */

	/* Attach prog_fd (dp's program of this method's kind, datapath.h) to di, trying di's modes
	 * in order. 0 with *fd and *used set, or -errno with why: each mode tried and the reason. */
	int (*attach)(int prog_fd, const struct desired_iface *di, int *fd, enum vosfp_xdp_mode *used,
		      char *why, size_t len);
	/* Take vosfp's program off ifindex now (an undone attach, a mode or method change). */
	int (*take_off)(int ifindex, int fd);
	/* Run new_prog_fd instead of the attachment's program with no instant without either
	 * (link: bpf_link_update; dispatcher: see xdp_dispatch.h). *fd may change. 0 or -errno. */
	int (*replace)(const struct desired_iface *di, int ifindex, int *fd, int new_prog_fd, char *why,
		       size_t len);
	int (*pin)(const char *pin_path, const char *ifname, int fd);	/* replaces an older pin */
	int (*open_pinned)(const char *pin_path, const char *ifname);	/* fd or -errno */
	/* Take the pinned attachment off the interface (when it is still there) and unpin it. */
	int (*remove)(const char *pin_path, const char *ifname);
	/* Drop the pin only (the attachment is already off: a mode or method change moved it). */
	int (*unpin)(const char *pin_path, const char *ifname);
	unsigned (*prog_id)(int fd);			/* the program behind the attachment, or 0 */
	/* Is ifname's pinned attachment on the interface now, running its program? */
	int (*attached)(const char *pin_path, const char *ifname);
};

extern const struct xdp_hook xdp_hook_link, xdp_hook_dispatch;

static inline const struct xdp_hook *xdp_hook_of(enum vosfp_attach_method m)
{
	return m == VOSFP_ATTACH_DISPATCHER ? &xdp_hook_dispatch : &xdp_hook_link;
}

/* An fd of the program behind an attachment, or -1. */
int xdp_hook_prog_fd(const struct xdp_hook *h, int fd);

#endif
