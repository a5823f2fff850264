/* links.h - XDP attachment through bpf_link, pinned under <pin_path>/links/<ifname> so it outlives
 * the agent. Owning the link is how vosfp knows a program is its own: it never replaces a program
 * attached any other way. */
#ifndef VOSFP_LINKS_H
#define VOSFP_LINKS_H

#include <stddef.h>

#include "desired.h"

/* Attach prog_fd to the interface trying its modes in order. On success *link_fd and *used are
 * set; on failure why holds every mode tried with the kernel's reason. */
int link_attach(int prog_fd, const struct desired_iface *di, int *link_fd,
		enum vosfp_xdp_mode *used, char *why, size_t whylen);

/* The XDP program on ifname not attached through a vosfp link, if any (its id), else 0. */
unsigned foreign_xdp_prog(const char *pin_path, const char *ifname);

/* Is ifname's pinned link attached to it, its program the interface's XDP program? */
int link_attached(const char *pin_path, const char *ifname);

int link_pin(const char *pin_path, const char *ifname, int link_fd);	/* replaces an older pin */
int link_open_pinned(const char *pin_path, const char *ifname);	/* fd or -errno */
int link_unpin(const char *pin_path, const char *ifname);		/* detaches if last ref */

/* Program id currently behind a link, or 0; an fd of that program, or -1. */
unsigned link_prog_id(int link_fd);
int link_prog_fd(int link_fd);

#endif
