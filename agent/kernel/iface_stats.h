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

/* What iface_slots_sync overwrote, in the order it did, to be put back by a rollback. */
struct iface_slots_undo {
	unsigned names_n, routes_n, counters_n;
	struct {
		__u32 slot;
		struct vosfp_iface_slot was;
	} names[2 * VOSFP_IFACE_SLOTS];		/* a slot freed, then assigned again */
	struct {
		__u32 ifindex, was;
	} routes[2 * VOSFP_IFACE_SLOTS];	/* a slot freed and one assigned per ifindex at most */
	struct {
		__u32 slot;
		void *was;			/* VOSFP_COUNTER_SLOTS per-CPU values, malloc'ed */
	} counters[VOSFP_IFACE_SLOTS];
};

/* Give every declared interface that exists a slot, keeping the slots they already have (their
 * counts continue), freeing the slots of interfaces no longer declared (or renamed, or
 * recreated with a new ifindex) and zeroing a slot before it counts for a new interface.
 * Every value it overwrites goes into undo first (zeroed by the caller).
 * 0, or a negative errno (the first failure: the rest is still attempted). */
int iface_slots_sync(int slots_fd, int names_fd, int counters_fd, const struct desired *want,
		     struct iface_slots_undo *undo);

/* Put back what undo holds, newest first: routes first (nothing counts into a slot being
 * restored), then counters, then names. Counts a rolled-back interface made in its new slot in
 * the meantime are dropped with the slot. 0 or the first negative errno. */
int iface_slots_restore(int slots_fd, int names_fd, int counters_fd, const struct iface_slots_undo *undo);
void iface_slots_undo_free(struct iface_slots_undo *undo);

struct iface_traffic {
	char name[16];				/* IFACE_OTHER_NAME for slot 0 */
	__u32 ifindex;				/* 0 for slot 0 */
	struct vosfp_traffic t[VOSFP_CNT_COUNT];	/* summed over CPUs, by counter index */
};

/* Slot 0 first, then every named slot in slot order. *out is malloc'ed. 0 or a negative errno. */
int iface_traffic_read(int names_fd, int counters_fd, struct iface_traffic **out, unsigned *count);

#endif
