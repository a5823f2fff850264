/* reconcile.c - the transaction. Rules that keep a host safe while it runs:
 *  - nothing changes until the whole desired state is valid;
 *  - interfaces first (new attaches, then atomic program switches), lists after, XDP mode
 *    changes after everything else that can fail, detaches last; any failure undoes what this
 *    run did, newest first;
 *  - new maps are filled before any interface switches to them (atomic in either attach method,
 *    kernel/xdp_hook.h);
 *  - no interface is ever without a filter: a mode change (and its undo) cannot be atomic, so
 *    the TC guard (kernel/guard.h) covers its detach -> attach window;
 *  - a program vosfp does not own is never replaced (kernel/xdp_census.h names it). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "egress.h"
#include "guard.h"
#include "iface_stats.h"
#include "log.h"
#include "mono_time.h"
#include "pin_repair.h"
#include "pins.h"
#include "plan.h"
#include "reconcile.h"
#include "safe_path.h"
#include "state.h"
#include "summary.h"
#include "txn.h"
#include "xdp_census.h"
#include "xdp_hook.h"

/* An interface this run touched: the fds an undo or the commit needs. */
struct iface_rec {
	const char *name;
	int ifindex;
	const struct desired_iface *want;	/* its declared settings (the dispatcher's run priority) */
	const struct xdp_hook *hook;	/* the method of att_fd */
	const struct xdp_hook *old_hook;	/* method changed: the method to go back to */
	int att_fd;			/* the attachment this run created or switched, or -1 */
	int old_prog_fd;		/* switched: the program to go back to, or -1 */
	enum vosfp_xdp_mode old_mode;	/* mode changed: the mode to go back to */
	enum vosfp_xdp_mode mode;
	int created;			/* a new link: pinned at commit */
	long guarded_us;		/* mode changed: how long XDP was off (the guard on) */
	int egress_changed;		/* its egress filter was added or switched: pin it */
	int egress_old_prog_fd;		/* switched: the program to go back to, or -1 */
};

struct txn {
	const struct desired *want;
	const struct observed *have;
	const struct plan *plan;
	struct datapath dp;
	struct list_fds index_fds;	/* the prefix index's ops: blocked_nets6_h as the v6 prefix map */
	struct iface_rec *recs;
	unsigned rec_count;
	struct journal journal;
	int swap;			/* kept interfaces switch to the program loaded here */
	int runtime_recorded;		/* CHANGE_RUNTIME journaled: its one undo restores it whole */
	struct iface_slots_undo slots_undo;	/* CHANGE_IFACE_SLOTS: what the slot maps held */
	struct pin_list pins_made;	/* CHANGE_PINS_MADE */
	char err[1024];
};

/* dp's program for a method: the dispatcher runs the freplace copy (datapath.h). */
static int prog_for(const struct txn *t, const struct xdp_hook *h)
{
	return h->method == VOSFP_ATTACH_DISPATCHER ? t->dp.ext_prog_fd : t->dp.prog_fd;
}

static void record(struct txn *t, enum change_kind kind, unsigned slot, enum plan_op op, size_t count)
{
	struct change c = { .kind = kind, .slot = slot, .op = op, .count = count };

	if (journal_record(&t->journal, &c))
		log_msg(LOG_ERR, "out of memory recording a change: a rollback would be incomplete");
}

static int summary_step(struct txn *t, int l, enum summary_phase phase)
{
	int ret;

	/* No map: the running program (an older object's, not swapped) does not read it. */
	if (!t->plan->summary_changed[l] || t->dp.summary_fd[l] < 0)
		return 0;
	ret = apply_summary(t->dp.summary_fd[l], (enum summary_kind)l, t->plan->summary_old[l], t->plan->summary_new[l],
			    phase);
	record(t, CHANGE_SUMMARY, (unsigned)l, 0, 0);
	if (ret)
		snprintf(t->err, sizeof(t->err), "summary %s: %s", summary_map_names[l], strerror(-ret));
	return ret;
}

static void record_runtime(struct txn *t)
{
	if (!t->runtime_recorded)
		record(t, CHANGE_RUNTIME, 0, PLAN_RUNTIME, 0);
	t->runtime_recorded = 1;
}

static int write_runtime(struct txn *t, const struct vosfp_config *cfg)
{
	__u32 zero = 0;

	record_runtime(t);
	if (bpf_map_update_elem(t->dp.config_fd, &zero, cfg, BPF_ANY)) {
		snprintf(t->err, sizeof(t->err), "runtime config: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* The VOSFP_F_V6_SUMMARY_* flags let the datapath trust the v6 summaries, VOSFP_F_V6_PREFIX_INDEX
 * its prefix index, VOSFP_F_V4_PART_SUMMARY blocked_v4_part. Pins of an older object had none:
 * the upgrade swaps the program first (on fresh, empty maps) and fills them with the list steps,
 * so a flag goes on only once they are final (after every other step), or a blocked source would
 * meet a clear bit or an empty bucket and pass (an allowed one be refused). The index's and
 * blocked_v4_part's flags count as on only where their maps were pinned already (an older
 * program ignores the flags: they may have been written before). Returns the flags this run
 * turns on. */
static uint32_t summary_flags_turning_on(const struct txn *t)
{
	const uint32_t late = VOSFP_F_V6_SUMMARY_BLOCK | VOSFP_F_V6_SUMMARY_ALLOW | VOSFP_F_V6_PREFIX_INDEX |
			      VOSFP_F_V4_PART_SUMMARY;
	uint32_t was_on = t->plan->new_maps ? 0 : t->have->runtime.flags & late;

	if (!t->have->blocked_index_pinned)
		was_on &= ~VOSFP_F_V6_PREFIX_INDEX;
	if (!t->have->v4_part_pinned)
		was_on &= ~VOSFP_F_V4_PART_SUMMARY;
	return t->want->runtime.flags & late & ~was_on;
}

/* A new program on the pinned maps (a swap) reads the config as it is, and an older program let
 * the flags above be written while it ignored them: one may be on for a map the swap creates
 * empty, and a blocked source would pass until the lists fill it. Off before the swap (the
 * older program then reads its summaries less, never wrongly); on again once they are final. */
static int hold_late_flags(struct txn *t)
{
	struct vosfp_config cfg = t->have->runtime;
	uint32_t turning_on = summary_flags_turning_on(t);

	if (!t->plan->swap_program || !(cfg.flags & turning_on))
		return 0;
	cfg.flags &= ~turning_on;
	return write_runtime(t, &cfg);
}

static const struct list_fds *op_fds(const struct txn *t, enum plan_op op)
{
	if (op == PLAN_INDEX_ADD || op == PLAN_INDEX_DEL)
		return &t->index_fds;
	return op == PLAN_BLOCK_ADD || op == PLAN_BLOCK_DEL ? &t->dp.block : &t->dp.allow;
}

/* Move r's attachment, which runs dp's program, to the first mode of `to` the kernel takes, with
 * to_hook's method. The kernel holds no native and generic program at once, a link cannot change
 * its mode, and a bpf_link and a dispatcher cannot share the hook: the old attachment goes before
 * the new one comes. The TC guard, on dp's maps, filters in between. Every mode of `to` refused:
 * the attachment comes back as it was (the refusal is the error). The new one is pinned (and the
 * other method's pin dropped) before the guard goes: from then on it outlives this process. */
static int switch_mode(struct txn *t, struct iface_rec *r, const struct desired_iface *to,
		       const struct xdp_hook *to_hook)
{
	struct desired_iface back = *to;
	const struct xdp_hook *used_hook = to_hook;
	enum vosfp_xdp_mode used;
	uint64_t t0;
	struct guard g;
	char why[512], why_back[256];
	int fd = -1, err;

	if (t->dp.guard_fd < 0) {
		snprintf(t->err, sizeof(t->err),
			 "%s: %.512s has no sip_tc_guard program (an older object): changing the XDP mode would leave the interface unfiltered for an instant; declare this version's object",
			 r->name, t->want->bpf_object);
		return -EOPNOTSUPP;
	}
	err = guard_on(&g, r->ifindex, t->dp.guard_fd, why, sizeof(why));
	if (err) {
		snprintf(t->err, sizeof(t->err), "%s: %s: the XDP mode is not changed without it", r->name, why);
		return err;
	}
	t0 = mono_ns();
	r->hook->take_off(r->ifindex, r->att_fd);
	err = to_hook->attach(prog_for(t, to_hook), to, &fd, &used, why, sizeof(why));
	if (err) {
		snprintf(t->err, sizeof(t->err), "%s: cannot attach XDP through the %s (tried %s)", r->name,
			 to_hook->what, why);
		back.modes[0] = r->mode;
		back.mode_count = 1;
		back.method = r->hook->method;
		used_hook = r->hook;
		if (r->hook->attach(prog_for(t, r->hook), &back, &fd, &used, why_back, sizeof(why_back))) {
			log_msg(LOG_ERR, "%s: cannot attach XDP in its previous %s mode either (%s): the TC guard stays (blocklist and auto-block only) until the next reconcile",
				r->name, xdp_mode_name(r->mode), why_back);
			return err;
		}
	}
	if (used_hook->pin(t->want->pin_path, r->name, fd))
		log_msg(LOG_ERR, "%s: cannot pin its XDP attachment: %s (filtering stops when the agent exits)",
			r->name, strerror(errno));
	if (used_hook != r->hook)
		r->hook->unpin(t->want->pin_path, r->name);
	close(r->att_fd);
	r->att_fd = fd;
	r->mode = used;
	r->hook = used_hook;
	r->guarded_us = us_since(t0);
	if (guard_off(&g))
		log_msg(LOG_ERR, "%s: cannot remove the TC guard: %s (the next reconcile retries)", r->name,
			strerror(errno));
	return err;
}

/* Bring the scanner tokens from one side's set to the other's (to = 1: have -> want). New maps
 * start empty, whatever the pinned ones held. */
static int move_scanners(const struct txn *t, int to_want)
{
	const struct observed *h = t->have;
	const struct desired *w = t->want;
	unsigned have_n = t->plan->new_maps ? 0 : h->scanner_count;

	if (to_want)
		return apply_scanners(t->dp.scanner_fd, t->dp.scanner_free_fd, w->scanners, w->scanner_count, h->scanners, have_n);
	return apply_scanners(t->dp.scanner_fd, t->dp.scanner_free_fd, h->scanners, have_n, w->scanners, w->scanner_count);
}

/* Undo everything recorded, newest first, as txn.c decides. */
static void rollback(struct txn *t)
{
	struct undo_step steps[t->journal.n + 1];
	size_t n = journal_undo(&t->journal, steps);
	struct desired_iface back;
	char failed[sizeof(t->err)];
	__u32 zero = 0;

	/* Undo steps that fail write t->err: the transaction's own error is the one reported. */
	memcpy(failed, t->err, sizeof(failed));

	for (size_t i = 0; i < n; i++) {
		const struct change *c = &t->journal.v[steps[i].change];
		struct iface_rec *r = &t->recs[c->slot < t->rec_count ? c->slot : 0];
		struct prefix_set partial;
		char err[256];
		size_t done;

		switch (steps[i].action) {
		case UNDO_CLOSE_LINK:
			r->hook->take_off(r->ifindex, r->att_fd);
			if (r->hook->method == VOSFP_ATTACH_DISPATCHER)
				r->hook->unpin(t->want->pin_path, r->name);
			close(r->att_fd);
			r->att_fd = -1;
			break;
		case UNDO_SWITCH_BACK:
			if (r->hook->replace(r->want, r->ifindex, &r->att_fd, r->old_prog_fd, err, sizeof(err)))
				log_msg(LOG_ERR, "%s: rollback could not restore the previous program: %s",
					r->name, err);
			else
				r->hook->pin(t->want->pin_path, r->name, r->att_fd);
			break;
		case UNDO_MODE_BACK:
			back = *r->want;
			back.mode_count = 1;
			back.modes[0] = r->old_mode;
			back.method = r->old_hook->method;
			if (switch_mode(t, r, &back, r->old_hook))
				log_msg(LOG_ERR, "rollback: %s", t->err);
			else
				log_msg(LOG_INFO, "%s: back to %s mode (XDP off for %ld us, the TC guard filtering)",
					r->name, xdp_mode_name(r->mode), r->guarded_us);
			break;
		case UNDO_LIST_ADD:
		case UNDO_LIST_DEL:
			partial = t->plan->lists[c->op];
			partial.n = c->count;
			if (apply_list(op_fds(t, c->op), &partial, steps[i].action == UNDO_LIST_ADD, &done, err,
				       sizeof(err)))
				log_msg(LOG_ERR, "rollback of %s incomplete: %s", plan_op_name(c->op), err);
			break;
		case UNDO_RESTORE_RUNTIME:
			bpf_map_update_elem(t->dp.config_fd, &zero, &t->have->runtime, BPF_ANY);
			if (move_scanners(t, 0))
				log_msg(LOG_ERR, "rollback of the scanner tokens incomplete: %s", strerror(errno));
			break;
		case UNDO_EGRESS_DETACH:
			if (egress_detach(r->name))
				log_msg(LOG_ERR, "%s: rollback could not remove the egress filter", r->name);
			break;
		case UNDO_EGRESS_SWITCH_BACK:
			if (r->egress_old_prog_fd < 0 || egress_replace(r->name, r->egress_old_prog_fd))
				log_msg(LOG_ERR, "%s: rollback could not restore the egress filter's program", r->name);
			break;
		case UNDO_RESTORE_IFACE_SLOTS:
			if (iface_slots_restore(t->dp.iface_slots_fd, t->dp.iface_names_fd, t->dp.iface_counters_fd,
						&t->slots_undo))
				log_msg(LOG_ERR, "rollback of the per-interface counter slots incomplete: %s",
					strerror(errno));
			break;
		case UNDO_UNPIN:
			datapath_unpin(t->want->pin_path, &t->pins_made);
			break;
		case UNDO_RESTORE_SUMMARY:
			if (apply_summary(t->dp.summary_fd[c->slot], (enum summary_kind)c->slot,
					  t->plan->summary_old[c->slot], t->plan->summary_new[c->slot], SUMMARY_UNDO))
				log_msg(LOG_ERR, "rollback of summary %s incomplete: %s",
					summary_map_names[c->slot], strerror(errno));
			break;
		}
	}
	memcpy(t->err, failed, sizeof(failed));
}

static int fail_iface(struct txn *t, const char *name, const char *fmt, const char *detail)
{
	size_t off = (size_t)snprintf(t->err, sizeof(t->err), "%s: ", name);

	snprintf(t->err + off, sizeof(t->err) - off, fmt, detail);
	return -EIO;
}

static struct iface_rec *new_rec(struct txn *t, const struct plan_iface *pi, unsigned *slot)
{
	struct iface_rec *r = &t->recs[*slot = t->rec_count++];

	memset(r, 0, sizeof(*r));
	r->name = pi->name;
	r->ifindex = (int)if_nametoindex(pi->name);
	r->old_prog_fd = r->att_fd = r->egress_old_prog_fd = -1;
	r->want = pi->want;
	r->hook = &xdp_hook_link;
	return r;
}

/* The record this run already keeps for the interface (its XDP step), or a new one. */
static struct iface_rec *rec_for(struct txn *t, const struct plan_iface *pi, unsigned *slot)
{
	for (unsigned i = 0; i < t->rec_count; i++)
		if (!strcmp(t->recs[i].name, pi->name)) {
			*slot = i;
			return &t->recs[i];
		}
	return new_rec(t, pi, slot);
}

/* Is what runs on the interface in the way of method h? Anything is for a bpf_link (it needs the
 * hook alone); only a program outside a libxdp dispatcher is for the dispatcher. */
static int refuse_foreign(struct txn *t, const char *name, const struct xdp_hook *h)
{
	struct xdp_census c;
	char what[768];

	if (xdp_census_take(name, &c) || c.how == HOOK_EMPTY ||
	    (h->method == VOSFP_ATTACH_DISPATCHER && c.how == HOOK_DISPATCHER))
		return 0;
	xdp_census_describe(&c, 0, what, sizeof(what));
	if (c.how == HOOK_DISPATCHER)
		snprintf(t->err, sizeof(t->err),
			 "%s carries %s; vosfp's bpf_link needs the XDP hook alone and vosfp never replaces a program it did not attach: set xdp_attach.method: dispatcher to run beside them, or remove them (%s)",
			 name, what, xdp_census_remedy(&c));
	else
		snprintf(t->err, sizeof(t->err),
			 "%s carries %s%s, not attached by vosfp: vosfp never replaces a program it did not attach; %s",
			 name, what,
			 h->method == VOSFP_ATTACH_DISPATCHER ? ", which is not a libxdp dispatcher libxdp could add vosfp to" : "",
			 xdp_census_remedy(&c));
	return -EBUSY;
}

/* A declared interface vosfp has not attached yet. An attachment that outlives this process by
 * itself (the dispatcher's) is pinned at once: one that a dying run left unnamed would have the
 * next run add a second vosfp program beside it. */
static int attach_iface(struct txn *t, const struct plan_iface *pi)
{
	const struct xdp_hook *h = xdp_hook_of(pi->want->method);
	unsigned slot;
	struct iface_rec *r = new_rec(t, pi, &slot);
	char why[512];
	int ret = refuse_foreign(t, pi->name, h);

	if (ret)
		return ret;
	r->hook = h;
	ret = h->attach(prog_for(t, h), pi->want, &r->att_fd, &r->mode, why, sizeof(why));
	if (ret == -ENODEV)	/* no mode was tried: say only that */
		return fail_iface(t, pi->name, "%s", why);
	if (ret)
		return fail_iface(t, pi->name, "cannot attach XDP (tried %s)", why);
	r->created = 1;
	record(t, CHANGE_LINK_CREATED, slot, 0, 0);
	if (h->method == VOSFP_ATTACH_DISPATCHER && h->pin(t->want->pin_path, pi->name, r->att_fd))
		return fail_iface(t, pi->name, "cannot pin vosfp's program in the dispatcher: %s", strerror(errno));
	return 0;
}

/* Point the interface's pinned attachment at dp's program, atomically; pinned again at once (a
 * dispatcher's attachment is a new program, a link's is the same link). */
static int switch_program(struct txn *t, const struct plan_iface *pi, struct iface_rec *r, unsigned slot)
{
	const struct xdp_hook *h = xdp_hook_of(pi->have_method);
	int fd = h->open_pinned(t->want->pin_path, pi->name);
	char why[512];

	if (fd < 0)
		return fail_iface(t, pi->name, "cannot open its pinned XDP attachment: %s", strerror(-fd));
	r->hook = h;
	r->att_fd = fd;
	r->old_prog_fd = xdp_hook_prog_fd(h, fd);
	if (h->replace(pi->want, r->ifindex, &r->att_fd, prog_for(t, h), why, sizeof(why)))
		return fail_iface(t, pi->name, "cannot switch to the new program: %s", why);
	record(t, CHANGE_LINK_SWITCHED, slot, 0, 0);
	if (h->pin(t->want->pin_path, pi->name, r->att_fd))
		log_msg(LOG_ERR, "%s: cannot pin its XDP attachment again: %s", pi->name, strerror(errno));
	return 0;
}

/* A kept interface: onto the new program when there is one (new maps or a new object). */
static int keep_iface(struct txn *t, const struct plan_iface *pi)
{
	unsigned slot;
	struct iface_rec *r;

	if (!t->swap)
		return 0;
	r = new_rec(t, pi, &slot);
	r->mode = pi->have_mode;
	return switch_program(t, pi, r, slot);
}

/* A dispatcher's mode is every one of its programs' mode, and a bpf_link needs the hook alone:
 * with others beside vosfp in it, neither can change without touching them. */
static int refuse_moving_others(struct txn *t, const struct plan_iface *pi)
{
	struct xdp_census c;
	char what[768];

	if (pi->have_method != VOSFP_ATTACH_DISPATCHER || xdp_census_take(pi->name, &c) ||
	    c.how != HOOK_DISPATCHER || c.dispatcher.n < 2)
		return 0;
	xdp_census_describe(&c, 0, what, sizeof(what));
	snprintf(t->err, sizeof(t->err),
		 "%s carries %s: %s would move the other programs too; keep xdp_attach.method: dispatcher and xdp_mode with %s, or unload them first (xdp-loader unload %s --id ID)",
		 pi->name, what,
		 pi->want->method != VOSFP_ATTACH_DISPATCHER ? "leaving the dispatcher for a bpf_link" : "changing the XDP mode",
		 xdp_mode_name(pi->have_mode), pi->name);
	return -EBUSY;
}

/* An interface whose mode must change. Its link first runs dp's program (an atomic switch), so
 * both sides of the mode change's window and the guard in it use one set of maps: the guard
 * then drops exactly what XDP would, and counts nothing twice. */
static int change_mode(struct txn *t, const struct plan_iface *pi)
{
	unsigned slot;
	struct iface_rec *r;
	int ret = refuse_moving_others(t, pi);

	if (ret)
		return ret;
	r = new_rec(t, pi, &slot);
	ret = switch_program(t, pi, r, slot);
	if (ret)
		return ret;
	r->mode = r->old_mode = pi->have_mode;
	r->old_hook = r->hook;
	ret = switch_mode(t, r, pi->want, xdp_hook_of(pi->want->method));
	if (ret)
		return ret;
	r->created = 1;
	record(t, CHANGE_MODE_CHANGED, slot, 0, 0);
	return 0;
}

/* Every planned interface with this action, in the plan's order. */
static int ifaces_with(struct txn *t, enum iface_action action,
		       int (*step)(struct txn *t, const struct plan_iface *pi))
{
	for (unsigned i = 0; i < t->plan->iface_count; i++)
		if (t->plan->ifaces[i].action == action) {
			int ret = step(t, &t->plan->ifaces[i]);

			if (ret)
				return ret;
		}
	return 0;
}

/* The egress filter (the answer rule): added where planned; on the new program when the run
 * swaps programs. A filter vosfp left unrecorded (egress_attach adopts it) counts as switched. */
static int change_egress(struct txn *t, const struct plan_iface *pi)
{
	struct iface_rec *r;
	unsigned slot, old_id = 0;
	char why[512];

	if (pi->egress != EGRESS_ATTACH && !(pi->egress == EGRESS_KEEP && t->swap))
		return 0;
	if (t->dp.egress_prog_fd < 0)
		return fail_iface(t, pi->name, "cannot attach the egress filter: %s has no program " EGRESS_PROG_NAME,
				  t->want->bpf_object);
	r = rec_for(t, pi, &slot);
	if (pi->egress == EGRESS_KEEP) {
		old_id = egress_filter_prog(pi->name);
		r->egress_old_prog_fd = old_id ? bpf_prog_get_fd_by_id(old_id) : -1;
		if (egress_replace(pi->name, t->dp.egress_prog_fd))
			return fail_iface(t, pi->name, "cannot switch the egress filter to the new program: %s",
					  strerror(errno));
	} else if (egress_attach(pi->name, t->dp.egress_prog_fd, &old_id, why, sizeof(why))) {
		return fail_iface(t, pi->name, "egress (answers): %s", why);
	} else if (old_id) {
		r->egress_old_prog_fd = bpf_prog_get_fd_by_id(old_id);
	}
	r->egress_changed = 1;
	record(t, old_id ? CHANGE_EGRESS_SWITCHED : CHANGE_EGRESS_ATTACHED, slot, 0, 0);
	return 0;
}

/* Every planned egress change, after the XDP steps: each mode change's TC guard, which removes
 * the clsact qdisc if it made one, is gone before an egress filter goes into that qdisc. */
static int egress_changes(struct txn *t)
{
	for (unsigned i = 0; i < t->plan->iface_count; i++) {
		int ret = change_egress(t, &t->plan->ifaces[i]);

		if (ret)
			return ret;
	}
	return 0;
}

static int op_adds(enum plan_op op)
{
	return op == PLAN_BLOCK_ADD || op == PLAN_INDEX_ADD || op == PLAN_ALLOW_ADD;
}

/* The list ops and the runtime config, in the plan's order; every write is journaled. */
static int apply_lists(struct txn *t)
{
	const struct plan *p = t->plan;
	struct vosfp_config cfg;

	for (int op = 0; op < PLAN_OPS; op++) {
		char err[256];
		size_t done = 0;
		int ret;

		/* The blocklist's summaries cover old and new entries before any entry moves. */
		for (int k = 0; op == PLAN_BLOCK_ADD && k < SUMMARY_KINDS; k++)
			if (summary_of_blocklist(k) && summary_step(t, k, SUMMARY_GROW))
				return -EIO;
		if (op == PLAN_RUNTIME) {
			if (!p->runtime_changed && !p->scanners_changed)
				continue;
			/* Journaled first: its undo restores tokens and config whole, even after a
			 * failure half-way. Tokens before the config, so a feature turned on finds
			 * them in place. */
			record_runtime(t);
			if (p->scanners_changed && (ret = move_scanners(t, 1))) {
				snprintf(t->err, sizeof(t->err), "scanner tokens: %s", strerror(-ret));
				return ret;
			}
			cfg = t->want->runtime;
			cfg.flags &= ~summary_flags_turning_on(t);
			if (p->runtime_changed && (ret = write_runtime(t, &cfg)))
				return ret;
			continue;
		}
		/* No index map: the running program (an older object's, not swapped) does not read it. */
		if (!p->lists[op].n || ((op == PLAN_INDEX_ADD || op == PLAN_INDEX_DEL) && t->dp.block_index_fd < 0))
			continue;
		ret = apply_list(op_fds(t, op), &p->lists[op], op_adds(op), &done, err, sizeof(err));
		record(t, CHANGE_LIST, 0, op, done);
		if (ret) {
			snprintf(t->err, sizeof(t->err), "%s: %s", plan_op_name(op), err);
			return ret;
		}
	}
	/* Entries are where they belong: summaries to exactly what the lists need. */
	for (int k = 0; k < SUMMARY_KINDS; k++)
		if (summary_step(t, k, SUMMARY_FINAL))
			return -EIO;
	if (summary_flags_turning_on(t) && write_runtime(t, &t->want->runtime))
		return -EIO;
	return 0;
}

static int needs_program(const struct plan *p)
{
	for (unsigned i = 0; i < p->iface_count; i++)
		if (p->ifaces[i].action == IFACE_ATTACH || p->ifaces[i].action == IFACE_REATTACH ||
		    p->ifaces[i].egress == EGRESS_ATTACH)
			return 1;
	return p->new_maps || p->swap_program;
}

/* An attachment of one method is recorded by one pin: a pin of the other method for the same
 * interface (an attachment someone removed, a method change) names nothing on the hook any more. */
static void drop_other_pin(const char *pin_path, const struct iface_rec *r)
{
	const struct xdp_hook *other = r->hook == &xdp_hook_link ? &xdp_hook_dispatch : &xdp_hook_link;

	if (!other->attached(pin_path, r->name))
		other->unpin(pin_path, r->name);
}

/* Success: pin new links, release what undo would have needed, drop undeclared interfaces. */
static void commit(struct txn *t)
{
	for (unsigned i = 0; i < t->rec_count; i++) {
		struct iface_rec *r = &t->recs[i];
		int via_link = r->hook == &xdp_hook_link;

		if (r->created && r->hook->pin(t->want->pin_path, r->name, r->att_fd))
			log_msg(LOG_ERR, "%s: cannot pin its XDP attachment: %s (filtering stops when the agent exits)",
				r->name, strerror(errno));
		if (r->created)
			drop_other_pin(t->want->pin_path, r);
		if (r->att_fd >= 0 && r->guarded_us)
			log_msg(LOG_INFO, "%s: %s mode -> %s mode%s%s (XDP off for %ld us, the TC guard filtering)",
				r->name, xdp_mode_name(r->old_mode), xdp_mode_name(r->mode),
				r->old_hook != r->hook ? ", now through the " : "",
				r->old_hook != r->hook ? r->hook->what : "", r->guarded_us);
		else if (r->att_fd >= 0)	/* the link method keeps the line operators' scripts know */
			log_msg(LOG_INFO, "%s: %s (%s mode%s%s)", r->name,
				r->created ? "attached" : "switched to the new program", xdp_mode_name(r->mode),
				via_link ? "" : ", through the ", via_link ? "" : r->hook->what);
		if (r->egress_changed && egress_pin(t->want->pin_path, r->name, t->dp.egress_prog_fd))
			log_msg(LOG_ERR, "%s: cannot record its egress filter under %s: %s (vosfp --down will not find it)",
				r->name, t->want->pin_path, strerror(errno));
		if (r->egress_changed)
			log_msg(LOG_INFO, "%s: egress filter (answers) %s", r->name,
				r->egress_old_prog_fd >= 0 ? "switched to the new program" : "attached");
	}
	for (unsigned i = 0; i < t->plan->iface_count; i++) {
		const struct plan_iface *pi = &t->plan->ifaces[i];

		if (pi->action == IFACE_DETACH) {
			int ret = xdp_hook_of(pi->have_method)->remove(t->want->pin_path, pi->name);

			if (ret)
				log_msg(LOG_ERR, "%s: cannot take vosfp's program off the interface: %s", pi->name,
					strerror(-ret));
			else
				log_msg(LOG_INFO, "%s: detached (no longer declared)", pi->name);
		}
		/* Last, like every detach: the answer rule is off, or the interface undeclared. */
		if (pi->egress == EGRESS_DETACH) {
			int ret = egress_detach(pi->name);

			egress_unpin(t->want->pin_path, pi->name);
			if (ret && ret != -ENOENT && ret != -ENODEV)
				log_msg(LOG_ERR, "%s: cannot remove the egress filter: %s", pi->name, strerror(-ret));
			else
				log_msg(LOG_INFO, "%s: egress filter (answers) detached", pi->name);
		}
	}
}

static void release(struct txn *t)
{
	for (unsigned i = 0; i < t->rec_count; i++) {
		if (t->recs[i].att_fd >= 0)
			close(t->recs[i].att_fd);
		if (t->recs[i].old_prog_fd >= 0)
			close(t->recs[i].old_prog_fd);
		if (t->recs[i].egress_old_prog_fd >= 0)
			close(t->recs[i].egress_old_prog_fd);
	}
	free(t->recs);
	iface_slots_undo_free(&t->slots_undo);
	journal_free(&t->journal);
	datapath_close(&t->dp);
}

/* Slots before links: an interface attached now counts under its name from its first packet.
 * Counting is not filtering: a failure here is logged and the transaction goes on. Whatever was
 * written is journaled: a rollback puts the slot maps back as they were. */
static void count_per_interface(struct txn *t)
{
	int err;

	if (t->dp.iface_slots_fd < 0 || t->dp.iface_names_fd < 0 || t->dp.iface_counters_fd < 0)
		return;
	err = iface_slots_sync(t->dp.iface_slots_fd, t->dp.iface_names_fd, t->dp.iface_counters_fd, t->want,
			       &t->slots_undo);
	if (t->slots_undo.names_n || t->slots_undo.routes_n || t->slots_undo.counters_n)
		record(t, CHANGE_IFACE_SLOTS, 0, 0, 0);
	if (err)
		log_msg(LOG_WARNING, "per-interface counters: cannot assign slots: %s (filtering unaffected)",
			strerror(-err));
}

/* Order: fresh maps are filled before anything can see them; interfaces next (new ones start
 * on the current lists, which is never looser than before); then list changes in the planner's
 * safe order; mode changes; pins last. Any failure undoes the journal. */
static int execute(struct txn *t)
{
	const struct plan *p = t->plan;
	int ret;

	if (p->new_maps)
		ret = datapath_load(t->want, DP_FRESH_MAPS, &t->dp, t->err, sizeof(t->err));
	else if (needs_program(p))
		ret = datapath_load(t->want, DP_REUSE_PINS, &t->dp, t->err, sizeof(t->err));
	else
		ret = datapath_open_pinned_maps(t->want->pin_path, &t->dp, t->err, sizeof(t->err));
	/* An upgrade from an older object's pins: its new maps get pins before any link uses them,
	 * or the next start would create them again and lose what they counted. */
	if (!ret && !p->new_maps && needs_program(p)) {
		ret = datapath_pin_missing(t->want, &t->dp, &t->pins_made, t->err, sizeof(t->err));
		if (ret)
			datapath_unpin(t->want->pin_path, &t->pins_made);
		else if (t->pins_made.n)
			record(t, CHANGE_PINS_MADE, 0, 0, 0);
	}
	if (ret) {
		journal_free(&t->journal);
		datapath_close(&t->dp);
		return ret;
	}
	t->swap = p->new_maps || p->swap_program;
	for (int m = 0; m < VOSFP_LIST_MAPS; m++)
		t->index_fds.fd[m] = m == VOSFP_LIST_NETS6 ? t->dp.block_index_fd : -1;
	t->index_fds.index_keys = 1;
	t->recs = calloc(p->iface_count + 1, sizeof(*t->recs));
	if (!t->recs) {
		datapath_unpin(t->want->pin_path, &t->pins_made);
		journal_free(&t->journal);
		datapath_close(&t->dp);
		return -ENOMEM;
	}

	if (p->new_maps)
		ret = apply_lists(t);
	if (!ret)
		count_per_interface(t);
	if (!ret)
		ret = hold_late_flags(t);
	/* What can fail without touching a working interface comes first: new attaches, the atomic
	 * switches of kept links, the lists. Mode changes last: each takes the XDP program off an
	 * interface for an instant (guarded), so they run only once nothing else can fail, and a
	 * refused attach elsewhere never costs a working interface a detach and a re-attach. */
	if (!ret)
		ret = ifaces_with(t, IFACE_ATTACH, attach_iface);
	if (!ret)
		ret = ifaces_with(t, IFACE_KEEP, keep_iface);
	if (!ret && !p->new_maps)
		ret = apply_lists(t);
	if (!ret)
		ret = ifaces_with(t, IFACE_REATTACH, change_mode);
	if (!ret)
		ret = egress_changes(t);
	if (!ret && p->new_maps)
		ret = datapath_pin(t->want, &t->dp, t->err, sizeof(t->err));
	if (ret)
		rollback(t);
	else
		commit(t);
	release(t);
	return ret;
}

/* A TC guard outlives the process that put it: one is left when an agent dies inside a mode
 * change's window. Removed wherever our XDP link is attached again; kept where it is not (it is
 * then the interface's only filter). */
static void sweep_guards(const struct desired *want)
{
	for (unsigned i = 0; i < want->iface_count; i++) {
		const char *name = want->ifaces[i].name;
		int ret;

		if (!xdp_hook_link.attached(want->pin_path, name) && !xdp_hook_dispatch.attached(want->pin_path, name))
			continue;
		ret = guard_sweep((int)if_nametoindex(name));
		if (ret > 0)
			log_msg(LOG_INFO, "%s: removed a TC guard an interrupted run left (XDP is attached)", name);
		else if (ret < 0)
			log_msg(LOG_ERR, "%s: cannot remove a TC guard an interrupted run left: %s", name, strerror(-ret));
	}
}

static void log_summary(const struct plan *p, long ms)
{
	log_msg(LOG_INFO, "reconciled in %ld ms: blocklist +%zu -%zu, allowlist +%zu -%zu%s%s", ms,
		p->lists[PLAN_BLOCK_ADD].n, p->lists[PLAN_BLOCK_DEL].n, p->lists[PLAN_ALLOW_ADD].n,
		p->lists[PLAN_ALLOW_DEL].n,
		p->runtime_changed || p->scanners_changed ? ", runtime config updated" : "",
		p->new_maps ? ", new maps" : p->swap_program ? ", new program" : "");
}

void list_cache_drop(struct list_cache *c)
{
	prefix_set_free(&c->blocked);
	prefix_set_free(&c->allowed);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		free(c->summaries[k]);
	memset(c, 0, sizeof(*c));
}

/* Observed state; the list contents from the cache when it can be trusted. The cache's sets move
 * into `have` (no copy of a million entries); remember() refills the cache. */
static int observe(const struct desired *want, struct list_cache *cache, struct observed *have)
{
	int from_cache = cache && cache->valid;
	int err = state_read(want->pin_path, have, !from_cache);

	if (err || !from_cache || !have->pinned)
		return err;
	have->blocked = cache->blocked;
	have->allowed = cache->allowed;
	for (int k = 0; k < SUMMARY_KINDS; k++)
		have->summaries[k] = cache->summaries[k];
	memset(cache, 0, sizeof(*cache));
	/* A pinned index was written by the reconcile that filled the cache (had another process
	 * pinned it since, the stamp would have dropped the cache): it holds the cache's prefixes. */
	if (have->blocked_index_pinned && plan_blocked_index(&have->blocked, &have->blocked_index)) {
		observed_free(have);
		return -ENOMEM;
	}
	return 0;
}

/* After success the kernel holds exactly want's lists: they move into the cache (the caller
 * needs want for its list of files only). After a failure the rollback may not have been
 * perfect: the kernel is read back next time. */
static void remember(struct list_cache *cache, struct desired *want, struct plan *p, int ok)
{
	if (!cache)
		return;
	list_cache_drop(cache);
	if (!ok)
		return;
	cache->blocked = want->blocked;
	cache->allowed = want->allowed;
	memset(&want->blocked, 0, sizeof(want->blocked));
	memset(&want->allowed, 0, sizeof(want->allowed));
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		cache->summaries[k] = p->summary_new[k];
		p->summary_new[k] = NULL;
	}
	cache->valid = 1;
}

static enum reconcile_result reconcile_locked(const char *config, struct desired *want,
					      struct list_cache *cache, int lock);

/* The pin directory and its links/ must be the agent's own, and every parent one only root (or
 * the agent's user) can change (safe_path.h): otherwise another user could replace or remove
 * the pins, or point them elsewhere. Refused before anything changes. */
static int pin_dir_refused(const char *config, const char *pin_path)
{
	char why[1024], links[4352], dispatch[4352];
	int ret;

	pins_links_dir(pin_path, links, sizeof(links));
	pins_dispatch_dir(pin_path, dispatch, sizeof(dispatch));
	ret = safe_path_parents(pin_path, "pin_path", why, sizeof(why));
	if (!ret)
		ret = safe_path_own_dir(pin_path, "pin_path", why, sizeof(why));
	if (ret > 0)
		ret = safe_path_own_dir(links, "pin_path's links directory", why, sizeof(why));
	if (ret >= 0)
		ret = safe_path_own_dir(dispatch, "pin_path's dispatch directory", why, sizeof(why));
	if (ret >= 0)
		return 0;
	if (config)
		log_msg(LOG_ERR, "%s: %s; nothing changed", config, why);
	else
		log_msg(LOG_ERR, "%s; nothing changed", why);
	return 1;
}

enum reconcile_result reconcile(const char *config, struct desired *want, struct list_cache *cache)
{
	struct config_file cf;
	struct diag d = { 0 };
	enum reconcile_result r;
	int lock = -1;

	/* Which lock depends on pin_path, in the config: read the config alone first (cheap; the
	 * lists are read once, under the lock, so what is applied is what the files say then). */
	if (config_load(config, &cf, &d) == 0) {
		char why[1024];
		int err = pins_lock(cf.doc->pin_path ? cf.doc->pin_path : VOSFP_DEFAULT_PIN_PATH, &lock, why,
				    sizeof(why));

		config_free(&cf);
		if (err) {
			diag_clear(&d);
			memset(want, 0, sizeof(*want));	/* nothing read: empty for the caller to free */
			log_msg(LOG_ERR, "%s; nothing changed", why);
			return RECONCILE_INVALID;
		}
	}
	diag_clear(&d);
	r = reconcile_locked(config, want, cache, lock);
	if (lock >= 0)
		close(lock);
	return r;
}

/* The lock file holds a stamp of the last reconcile that changed the kernel: whoever it was.
 * A daemon whose stamp is no longer there knows another process (a script's --once) wrote the
 * maps since, and reads them back instead of trusting its cache. */
static void read_stamp(int lock, char *buf, size_t len)
{
	ssize_t n = lock >= 0 ? pread(lock, buf, len - 1, 0) : -1;

	buf[n > 0 ? n : 0] = '\0';
}

static void write_stamp(int lock, char *out, size_t len)
{
	static unsigned long serial;
	struct timespec now;

	if (lock < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(out, len, "%d %lu %lld.%09ld\n", (int)getpid(), ++serial, (long long)now.tv_sec, now.tv_nsec);
	if (pwrite(lock, out, strlen(out), 0) < 0 || ftruncate(lock, (off_t)strlen(out)))
		out[0] = '\0';
}

static enum reconcile_result reconcile_locked(const char *config, struct desired *want,
					      struct list_cache *cache, int lock)
{
	static int guards_swept;
	int lost_pins;
	char stamp[64], mounted[64], why[4352];
	uint64_t t0;
	struct observed have;
	struct diag d = { 0 };
	struct plan p;
	struct txn t = { 0 };
	int ret;

	t0 = mono_ns();
	ret = desired_build(config, want, &d);
	for (size_t i = 0; i < d.kept; i++)
		log_msg(LOG_ERR, "%s", d.msgs[i]);
	for (size_t i = 0; i < d.notes_kept; i++)
		log_msg(LOG_WARNING, "%s", d.notes[i]);
	if (ret)
		log_msg(LOG_ERR, "%s: invalid (%zu problem%s): nothing changed", config, d.count,
			d.count == 1 ? "" : "s");
	diag_clear(&d);
	if (ret)
		return RECONCILE_INVALID;
	ret = pins_ensure_bpffs(want->pin_path, mounted, why, sizeof(why));
	/* -EINVAL: no bpf filesystem there and none of ours to mount: the config must change. */
	if (ret == -EINVAL) {
		log_msg(LOG_ERR, "%s:%d: pin_path: %s; nothing changed", config, want->pin_path_line, why);
		return RECONCILE_INVALID;
	}
	if (ret) {
		log_msg(LOG_ERR, "pin_path %s", why);
		return RECONCILE_FAILED;
	}
	if (mounted[0])
		log_msg(LOG_INFO, "mounted a bpf filesystem on %s (none was mounted; mode 0700)", mounted);
	if (pin_dir_refused(config, want->pin_path))
		return RECONCILE_INVALID;
	/* Pins removed from under the running state: put back what the kernel still holds; what it
	 * cannot is said, and new maps replace it. */
	lost_pins = pin_repair(want);
	pin_repair_links(want);
	read_stamp(lock, stamp, sizeof(stamp));
	if (cache && cache->valid && strcmp(stamp, cache->stamp)) {
		log_msg(LOG_INFO, "another process changed %s since the last reconcile: reading it back",
			want->pin_path);
		list_cache_drop(cache);
	}
	if (observe(want, cache, &have))
		return RECONCILE_FAILED;
	if (!have.readable) {
		log_msg(LOG_ERR, "cannot read %s: run as root (CAP_BPF, CAP_NET_ADMIN)", want->pin_path);
		return RECONCILE_FAILED;
	}
	have.program_outdated = datapath_outdated(want, &have);
	have.maps_outdated |= lost_pins;
	if (plan_build(want, &have, &p)) {
		observed_free(&have);
		return RECONCILE_FAILED;
	}
	if (plan_empty(&p)) {
		log_msg(LOG_INFO, "no change: %zu blocked, %zu allowed, %u interface%s (%ld ms)",
			want->blocked.n, want->allowed.n, want->iface_count,
			want->iface_count == 1 ? "" : "s", ms_since(t0));
		ret = 0;
	} else {
		t.want = want;
		t.have = &have;
		t.plan = &p;
		ret = execute(&t);
		if (ret)
			log_msg(LOG_ERR, "%s; rolled back, previous state kept", t.err);
		else
			log_summary(&p, ms_since(t0));
	}
	/* Guards are looked for once per process and after every change of the kernel's state:
	 * nothing else leaves one. */
	if (!guards_swept || !plan_empty(&p))
		sweep_guards(want);
	guards_swept = 1;
	/* Stamp a change (or a failed attempt, which may have left traces): no-change runs keep the
	 * stamp, so a daemon's cache survives scripts that had nothing to do. */
	if (ret || !plan_empty(&p))
		write_stamp(lock, stamp, sizeof(stamp));
	remember(cache, want, &p, ret == 0);
	if (cache && cache->valid)
		snprintf(cache->stamp, sizeof(cache->stamp), "%s", stamp);
	plan_free(&p);
	observed_free(&have);
	return ret ? RECONCILE_FAILED : RECONCILE_OK;
}

/* Every egress filter vosfp recorded: removed when it still runs the recorded program (a filter
 * someone put at vosfp's handle since is left alone), and the record with it. */
static void egress_down(const char *pin_path)
{
	char dir_path[4352];
	struct dirent *e;
	DIR *dir;

	pins_egress_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (egress_recorded_attached(pin_path, e->d_name, NULL) && !egress_detach(e->d_name))
			log_msg(LOG_INFO, "%s: egress filter (answers) detached", e->d_name);
		egress_unpin(pin_path, e->d_name);
	}
	if (dir)
		closedir(dir);
	rmdir(dir_path);
}

/* Every program vosfp runs in a libxdp dispatcher: out of it (the other programs there keep
 * running, in a dispatcher libxdp rebuilds without vosfp's), and the pin with it. */
static int dispatch_down(const char *pin_path)
{
	char dir_path[4352];
	struct dirent *e;
	DIR *dir;
	int n = 0;

	pins_dispatch_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	while (dir && (e = readdir(dir))) {
		int ret;

		if (e->d_name[0] == '.')
			continue;
		ret = xdp_hook_dispatch.remove(pin_path, e->d_name);
		if (ret) {
			log_msg(LOG_ERR, "%s: cannot take vosfp's program out of the libxdp dispatcher: %s", e->d_name,
				strerror(-ret));
			continue;
		}
		log_msg(LOG_INFO, "%s: detached (out of the libxdp dispatcher; the other programs there keep running)",
			e->d_name);
		n++;
		if (guard_sweep((int)if_nametoindex(e->d_name)) > 0)
			log_msg(LOG_INFO, "%s: TC guard removed", e->d_name);
	}
	if (dir)
		closedir(dir);
	rmdir(dir_path);
	return n;
}

int reconcile_down(const char *pin_path)
{
	char dir_path[4352], path[4608];
	struct dirent *e;
	DIR *dir;
	int detached = 0, unpinned = 0;

	/* --down unlinks what it finds: in a directory another user controls that could be
	 * anything the agent's user may remove. */
	if (pin_dir_refused(NULL, pin_path))
		return 1;

	pins_links_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir_path, e->d_name);
		if (unlink(path) == 0) {
			log_msg(LOG_INFO, "%s: detached", e->d_name);
			detached++;
		}
		if (guard_sweep((int)if_nametoindex(e->d_name)) > 0)
			log_msg(LOG_INFO, "%s: TC guard removed", e->d_name);
	}
	if (dir)
		closedir(dir);
	rmdir(dir_path);
	detached += dispatch_down(pin_path);
	egress_down(pin_path);
	dir = opendir(pin_path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, e->d_name);
		unpinned += unlink(path) == 0;
	}
	if (dir)
		closedir(dir);
	if (rmdir(pin_path) && errno != ENOENT) {
		log_msg(LOG_ERR, "cannot remove %s: %s", pin_path, strerror(errno));
		return -errno;
	}
	log_msg(LOG_INFO, "down: %d interface%s detached, %d pin%s removed", detached,
		detached == 1 ? "" : "s", unpinned, unpinned == 1 ? "" : "s");
	return 0;
}
