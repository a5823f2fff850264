/* iface_wait.h - the declared interfaces that a failed reconcile found missing: a VLAN, bond or
 * bridge that the network configuration makes after vosfp-agent started (its unit runs before
 * the network is up), a veth or VLAN deleted and made again, an edit that names an interface
 * before it is made. Attach is one transaction over every declared interface, so nothing was
 * changed; the daemon looks once a tick and reconciles again as soon as one of them exists,
 * with no edit or SIGHUP needed. Reads only. */
#ifndef VOSFP_IFACE_WAIT_H
#define VOSFP_IFACE_WAIT_H

#include <net/if.h>
#include <stddef.h>

#include "desired.h"

struct iface_wait {
	char names[VOSFP_MAX_INTERFACES * 2][IF_NAMESIZE];
	unsigned count;
};

/* After a reconcile that failed (failed != 0), the interfaces of want, the state it tried, that
 * do not exist now, said in one line; after any other reconcile none. Their number. */
unsigned iface_wait_note(struct iface_wait *w, const struct desired *want, int failed);

/* 1 with why (for the reload's log line) when one of them exists now; it is awaited no longer,
 * so a reconcile that fails again for another reason is not retried every tick. */
int iface_wait_check(struct iface_wait *w, char *why, size_t len);

#endif
