/* egress.h - the egress program's filter on an interface: a clsact egress filter (direct action)
 * at vosfp's own handle and priority (bpf/vosfp.h: VOSFP_TC_HANDLE, VOSFP_TC_PRIORITY), attached
 * through netlink TC (bpf_tc_attach), and pinned program <pin_path>/egress/<ifname>, vosfp's
 * record of where it attached one. Like a pinned XDP link, the filter outlives the agent.
 * Why netlink TC and not tcx: Debian 12's kernel (6.1) has no tcx (6.6 added it) and its libbpf
 * (1.1) no API for it; a netlink filter works on both. Never touches another filter. */
#ifndef VOSFP_EGRESS_H
#define VOSFP_EGRESS_H

#include <stddef.h>

/* The name the egress program has in the object: a filter at vosfp's handle running a program
 * of another name is not vosfp's. */
#define EGRESS_PROG_NAME "sip_answers"

/* The program id of the filter at vosfp's handle on ifname's egress; 0 when there is none. */
unsigned egress_filter_prog(const char *ifname);

/* Make prog_fd vosfp's egress filter on ifname (the clsact qdisc is added when missing). A
 * filter already at vosfp's handle is replaced only when it runs a program named
 * EGRESS_PROG_NAME (vosfp's, left unrecorded by a crash): anything else there is refused.
 * *replaced_id gets the id of the program replaced (0: none). 0, or -errno with why. */
int egress_attach(const char *ifname, int prog_fd, unsigned *replaced_id, char *why, size_t len);

/* Switch the filter at vosfp's handle to prog_fd (it must be there). 0 or -errno. */
int egress_replace(const char *ifname, int prog_fd);

/* Remove the filter at vosfp's handle (the clsact qdisc stays: other tools may use it). 0, or
 * -errno (-ENOENT: none there). */
int egress_detach(const char *ifname);

int egress_pin(const char *pin_path, const char *ifname, int prog_fd);
int egress_unpin(const char *pin_path, const char *ifname);
/* The id of the program pinned for ifname, 0 when none. */
unsigned egress_pinned_prog(const char *pin_path, const char *ifname);

/* Does ifname's filter at vosfp's handle run the program pinned for it (vosfp's record)? The
 * filter's program id goes to *filter_id when given (0: no filter there). */
int egress_recorded_attached(const char *pin_path, const char *ifname, unsigned *filter_id);

#endif
