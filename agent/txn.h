/* txn.h - the journal of one reconcile and the decisions of its rollback: what to undo, and in
 * which order. Pure: reconcile.c records changes as it makes them and executes the undo steps
 * decided here. */
#ifndef VOSFP_TXN_H
#define VOSFP_TXN_H

#include <stddef.h>

#include "plan.h"

enum change_kind {
	CHANGE_LINK_CREATED,	/* a new link on an interface */
	CHANGE_LINK_SWITCHED,	/* a link moved to a new program (bpf_link_update) */
	CHANGE_MODE_CHANGED,	/* link moved to another XDP mode (a new link, the same program) */
	CHANGE_LIST,		/* `count` entries of plan op `op` written */
	CHANGE_RUNTIME,		/* the runtime config overwritten */
	CHANGE_SUMMARY,		/* words of IPv4 /24 summary `slot` (enum summary_kind) written */
	CHANGE_EGRESS_ATTACHED,	/* an egress filter added on an interface */
	CHANGE_EGRESS_SWITCHED,	/* the egress filter moved to another program */
	CHANGE_IFACE_SLOTS,	/* per-interface counter slots (re)assigned: the caller keeps what
				 * they held */
	CHANGE_PINS_MADE,	/* pins made for maps that had none (the caller keeps their names) */
};

struct change {
	enum change_kind kind;
	unsigned slot;		/* links: the caller's index of the interface record */
	enum plan_op op;	/* CHANGE_LIST */
	size_t count;		/* CHANGE_LIST: entries applied (a failed op may be partial) */
};

struct journal {
	struct change *v;
	size_t n, cap;
};

enum undo_action {
	UNDO_CLOSE_LINK,		/* closing the unpinned link detaches it */
	UNDO_SWITCH_BACK,		/* bpf_link_update back to the previous program */
	UNDO_MODE_BACK,		/* the link back to its old mode, under the TC guard */
	UNDO_LIST_ADD,			/* put back the entries a removal took out */
	UNDO_LIST_DEL,			/* take out the entries an addition put in */
	UNDO_RESTORE_RUNTIME,
	UNDO_RESTORE_SUMMARY,		/* write back the summary words this run changed */
	UNDO_EGRESS_DETACH,		/* remove the egress filter this run added */
	UNDO_EGRESS_SWITCH_BACK,	/* the egress filter back to its previous program */
	UNDO_RESTORE_IFACE_SLOTS,	/* iface_slots, iface_names, iface_counters as they were */
	UNDO_UNPIN,			/* remove the pins this run made */
};

struct undo_step {
	enum undo_action action;
	size_t change;		/* index of the journal entry it undoes */
};

int journal_record(struct journal *j, const struct change *c);
void journal_free(struct journal *j);

/* Fill out (room for j->n steps) with the rollback of j: newest change first, each replaced by
 * its inverse; changes that changed nothing need no step. Returns the number of steps. */
size_t journal_undo(const struct journal *j, struct undo_step *out);

#endif
