/* iface_stats.h - per-interface counter slots: which declared interface counts in which slot of
 * the pinned iface_counters map (bpf/vosfp.h), and reading those counters back by name.
 * Counting only: nothing here changes what the datapath drops or passes. */
#ifndef VOSFP_IFACE_STATS_H
#define VOSFP_IFACE_STATS_H

#include <linux/types.h>

#include "desired.h"
#include "vosfp.h"

/* The label of slot 0 (interfaces without a slot). Not a possible interface name: the kernel
 * refuses ':' in one, so it can never collide with a real interface. */
#define IFACE_OTHER_NAME ":other"

/* Give every declared interface that exists a slot, keeping the slots they already have (their
 * counts continue), freeing the slots of interfaces no longer declared (or renamed, or
 * recreated with a new ifindex) and zeroing a slot before it counts for a new interface.
 * 0, or a negative errno (the first failure: the rest is still attempted). */
int iface_slots_sync(int slots_fd, int names_fd, int counters_fd, const struct desired *want);

struct iface_traffic {
	char name[16];				/* IFACE_OTHER_NAME for slot 0 */
	__u32 ifindex;				/* 0 for slot 0 */
	struct vosfp_traffic t[VOSFP_CNT_COUNT];	/* summed over CPUs, by counter index */
};

/* Slot 0 first, then every named slot in slot order. *out is malloc'ed. 0 or a negative errno. */
int iface_traffic_read(int names_fd, int counters_fd, struct iface_traffic **out, unsigned *count);

#endif
