/* snapshot.h - every figure the agent reports, gathered at one moment: counters in total and
 * per interface, list sizes, XDP modes, live auto-blocks. One struct feeds --stats, --stats --json and /metrics,
 * so the three cannot disagree. Plain data; filled by stats.c, printed by stats.c and metrics.c. */
#ifndef VOSFP_SNAPSHOT_H
#define VOSFP_SNAPSHOT_H

#include <stddef.h>
#include <sys/types.h>

#include "autoblock.h"
#include "iface_stats.h"
#include "prefix_set.h"

enum snapshot_list { SNAP_BLOCKLIST, SNAP_ALLOWLIST, SNAP_LISTS };
enum snapshot_family { SNAP_IPV4, SNAP_IPV6, SNAP_FAMILIES };

struct snapshot_link {
	char name[16];
	enum vosfp_xdp_mode mode;
	enum vosfp_attach_method method;
	char hook[768];			/* how vosfp is attached and what else runs on the hook
					 * (kernel/xdp_census.h) */
};

struct snapshot {
	unsigned long long total[VOSFP_CNT_COUNT];	/* xdp_counters: every interface, ever */
	unsigned long long handled;			/* their sum */
	int per_iface;					/* 0: pins predate per-interface counters */
	struct iface_traffic *ifaces;			/* slot 0 (IFACE_OTHER_NAME) first */
	unsigned iface_count;
	struct snapshot_link *links;			/* interfaces vosfp's links are attached to */
	unsigned link_count;
	size_t lists[SNAP_LISTS][SNAP_FAMILIES];	/* entries in the list maps */
	struct autoblock_set blocks;			/* live auto-blocks, sorted by source (their
							 * repeats from auto_block_history) */
	__u64 now;					/* coarse monotonic ns they were read at */
	/* The answer rule (egress program). */
	int has_answers;				/* 0: pins predate it (no answer_counters) */
	unsigned long long answers[VOSFP_ANS_COUNT];	/* answer_counters */
	char (*egress)[16];				/* interfaces its filter is attached to */
	unsigned egress_count;
	/* Outside decisions (CrowdSec): 0 when the pins predate the decision maps. */
	int decisions_present;
	size_t decisions[VOSFP_ORIGINS][2];		/* in force, by origin and scope (0 ip, 1 range) */
	struct vosfp_traffic decision_traffic[2][VOSFP_ORIGINS];	/* [0] dropped, [1] allowlisted */
	/* --stats only: the daemon keeping these pins (daemon_claim_holder; /metrics come from it). */
	pid_t daemon_pid;
};

extern const char *const snapshot_scope_names[2];	/* "ip", "range" */

/* Live auto-blocks with reason r (enum vosfp_block_reason). */
size_t snapshot_blocks_by_reason(const struct snapshot *s, __u32 r);

extern const char *const snapshot_list_names[SNAP_LISTS];	/* "blocklist", "allowlist" */
extern const char *const snapshot_family_names[SNAP_FAMILIES];	/* "ipv4", "ipv6" */

/* Entries by list and family, from the sets the list maps hold. */
void snapshot_count_lists(const struct prefix_set *blocked, const struct prefix_set *allowed,
			  size_t out[SNAP_LISTS][SNAP_FAMILIES]);

/* "drop", "pass" or "redirect": what the datapath did with packets of counter i. */
const char *snapshot_action(int counter);

void snapshot_free(struct snapshot *s);

#endif
