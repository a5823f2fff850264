/* plan.h - the pure heart of reconcile: (desired state, observed kernel state) -> the ordered
 * list of changes that makes the kernel match, holding only differences. No I/O here: --dry-run
 * prints a plan, apply executes the same plan. */
#ifndef VOSFP_PLAN_H
#define VOSFP_PLAN_H

#include <stdio.h>

#include "desired.h"
#include "summary.h"

struct observed_iface {
	char name[16];
	enum vosfp_xdp_mode mode;
	enum vosfp_attach_method method;	/* how vosfp attached it (which pin records it) */
	int ours;			/* vosfp's attachment is on the interface (else: it was removed,
					 * or someone else's program is there) */
};

/* An interface vosfp recorded an egress filter for (egress.h). */
struct observed_egress {
	char name[16];
	int attached;			/* the filter at vosfp's handle runs the recorded program */
};

/* What the kernel holds now, as read from the pins (or nothing, when unreadable). */
struct observed {
	int readable;			/* 0: state could not be read (e.g. not root) */
	int pinned;			/* vosfp maps exist under pin_path */
	struct prefix_set blocked, allowed;
	struct vosfp_config runtime;
	struct vosfp_scanner_key *scanners;	/* map scanner_tokens, sorted */
	unsigned scanner_count;
	/* The pinned maps were made by an object of another layout (an older sip_config, a map
	 * missing): they cannot be reused, new ones are made. */
	int maps_outdated;
	uint32_t blocklist_max, allowlist_max;	/* sizes of the pinned maps */
	uint32_t rate_sources_max, auto_block_max;	/* 0: no such pin (an older object's) */
	struct observed_iface *ifaces;
	unsigned iface_count;
	struct observed_egress *egress;
	unsigned egress_count;
	uint64_t *summaries[SUMMARY_KINDS];	/* summaries in the kernel, by enum summary_kind;
						 * NULL when not read or not pinned (then: all zero) */
	/* blocked_nets6_h, the blocklist's v6 prefixes again (the prefix index, bpf/vosfp.h):
	 * pinned or not, and what it holds (empty when not pinned). */
	int blocked_index_pinned;
	struct prefix_set blocked_index;
	int v4_part_pinned;	/* blocked_v4_part (added after blocked_v4_sum) is pinned */
	int scanner_free_pinned;	/* scanner_free (added after scanner_tokens) is pinned, */
	struct vosfp_scanner_free scanner_free;	/* and holds this (all zero when not pinned) */
	/* The running program differs from the declared object's (found by loading the object
	 * and comparing program tags; the planner only reads the answer). */
	int program_outdated;
};

enum plan_op {
	PLAN_BLOCK_ADD,		/* first: the host only gets stricter */
	PLAN_INDEX_ADD,		/* the blocklist's IPv6 prefixes that blocked_nets6_h lacks */
	PLAN_ALLOW_DEL,
	PLAN_RUNTIME,		/* switch ports/stealth/malformed/flood defence (and the scanner
				 * tokens) at the strictest point */
	PLAN_ALLOW_ADD,
	PLAN_BLOCK_DEL,		/* last: loosen only once everything else is in place */
	PLAN_INDEX_DEL,		/* and blocked_nets6_h's prefixes the blocklist no longer has */
	PLAN_OPS
};

enum iface_action {
	IFACE_KEEP,
	IFACE_ATTACH,		/* declared, not attached by us */
	IFACE_DETACH,		/* attached by us, no longer declared */
	IFACE_REATTACH,		/* declared with a mode list that excludes the current mode, or
				 * another attach method */
};

/* The egress filter (the answer rule) on an interface. */
enum egress_action {
	EGRESS_NONE,		/* neither wanted nor there */
	EGRESS_KEEP,		/* wanted and there (switched too when the program is) */
	EGRESS_ATTACH,
	EGRESS_DETACH,		/* there (or recorded) and no longer wanted */
};

struct plan_iface {
	char name[16];
	enum iface_action action;
	enum egress_action egress;
	const struct desired_iface *want;	/* NULL for IFACE_DETACH */
	/* KEEP, REATTACH, DETACH: vosfp's attachment there now */
	enum vosfp_attach_method have_method;
	enum vosfp_xdp_mode have_mode;
};

struct plan {
	struct prefix_set lists[PLAN_OPS];	/* entries for the list ops (PLAN_RUNTIME: unused) */
	int runtime_changed;
	int scanners_changed;	/* map scanner_tokens must become want->scanners */
	int new_maps;		/* create maps (first start, or sizes changed): swap the program */
	/* Summaries, by enum summary_kind: what the kernel holds and what the new lists
	 * need. The blocklist's grow (old | new) before its entries are added and shrink to new
	 * after they are removed, so no listed source is ever skipped; the allowlist's "near" bits
	 * may change at any point (a stale bit only costs a lookup, a missing one only refuses). */
	uint64_t *summary_old[SUMMARY_KINDS], *summary_new[SUMMARY_KINDS];
	size_t summary_changed[SUMMARY_KINDS];	/* words that differ */
	int swap_program;	/* same maps, new program: switch every kept interface to it */
	struct plan_iface *ifaces;
	unsigned iface_count;
};

/* The prefixes of a blocklist that blocked_nets6_h holds again: IPv6, shorter than /128 (out: an
 * empty set, filled in order). 0 or -ENOMEM. */
int plan_blocked_index(const struct prefix_set *blocked, struct prefix_set *out);

/* Fill p. 0 or -ENOMEM. */
int plan_build(const struct desired *want, const struct observed *have, struct plan *p);
void plan_free(struct plan *p);

/* Nothing to do? */
int plan_empty(const struct plan *p);

/* Human-readable plan, one line per step (lists summarised by count, first entries shown). */
void plan_print(const struct plan *p, const struct desired *want, const struct observed *have, FILE *out);

const char *plan_op_name(enum plan_op op);

void observed_free(struct observed *o);

#endif
