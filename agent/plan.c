/* plan.c - diff desired against observed. Pure: no kernel, no files, no clock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "summary.h"

const char *plan_op_name(enum plan_op op)
{
	static const char *const names[] = {
		[PLAN_BLOCK_ADD] = "blocklist add",
		[PLAN_ALLOW_DEL] = "allowlist remove",
		[PLAN_RUNTIME] = "runtime config",
		[PLAN_ALLOW_ADD] = "allowlist add",
		[PLAN_BLOCK_DEL] = "blocklist remove",
		[PLAN_INDEX_ADD] = "blocklist v6 prefix index add",
		[PLAN_INDEX_DEL] = "blocklist v6 prefix index remove",
	};

	return op < PLAN_OPS ? names[op] : "?";
}

/* Merge two sorted sets: what only `want` has goes to add, what only `have` has to del. */
static int diff_sets(const struct prefix_set *want, const struct prefix_set *have,
		     struct prefix_set *add, struct prefix_set *del)
{
	size_t i = 0, j = 0;

	while (i < want->n || j < have->n) {
		int c = i == want->n ? 1 : j == have->n ? -1 : prefix_cmp(&want->v[i], &have->v[j]);
		int err = 0;

		if (c < 0)
			err = prefix_set_add(add, &want->v[i++]);
		else if (c > 0)
			err = prefix_set_add(del, &have->v[j++]);
		else
			i++, j++;
		if (err)
			return err;
	}
	return 0;
}

int plan_blocked_index(const struct prefix_set *blocked, struct prefix_set *out)
{
	for (size_t i = 0; i < blocked->n; i++)
		if (blocked->v[i].family == 6 && blocked->v[i].len < 128 && prefix_set_add(out, &blocked->v[i]))
			return -ENOMEM;
	return 0;
}

/* blocked_nets6_h must hold the blocklist's v6 prefixes; it is diffed like a list of its own, so
 * an index left behind by an older object (none) or by a crash (a part) is completed. */
static int plan_index(const struct desired *want, const struct observed *have, struct plan *p)
{
	static const struct prefix_set empty;
	struct prefix_set index = { 0 };
	int err = plan_blocked_index(&want->blocked, &index);

	if (!err)
		err = diff_sets(&index, p->new_maps ? &empty : &have->blocked_index, &p->lists[PLAN_INDEX_ADD],
				&p->lists[PLAN_INDEX_DEL]);
	prefix_set_free(&index);
	return err;
}

/* The interface's attachment; the one on the interface when a pin of each method is there (a
 * method change interrupted before its commit). */
static const struct observed_iface *find_observed(const struct observed *o, const char *name)
{
	const struct observed_iface *found = NULL;

	for (unsigned i = 0; i < o->iface_count; i++)
		if (!strcmp(o->ifaces[i].name, name) && (!found || o->ifaces[i].ours))
			found = &o->ifaces[i];
	return found;
}

static int mode_allowed(const struct desired_iface *d, enum vosfp_xdp_mode m)
{
	for (unsigned i = 0; i < d->mode_count; i++)
		if (d->modes[i] == m)
			return 1;
	return 0;
}

static const struct observed_egress *find_egress(const struct observed *o, const char *name)
{
	for (unsigned i = 0; i < o->egress_count; i++)
		if (!strcmp(o->egress[i].name, name))
			return &o->egress[i];
	return NULL;
}

static struct plan_iface *find_planned(struct plan *p, const char *name)
{
	for (unsigned i = 0; i < p->iface_count; i++)
		if (!strcmp(p->ifaces[i].name, name))
			return &p->ifaces[i];
	return NULL;
}

/* The egress filter follows the answers section on every declared interface; a recorded one
 * anywhere else goes (an interface only egress still names is detached as a whole). */
static void plan_egress(const struct desired *want, const struct observed *have, struct plan *p)
{
	for (unsigned i = 0; i < p->iface_count; i++) {
		struct plan_iface *pi = &p->ifaces[i];
		const struct observed_egress *e = find_egress(have, pi->name);
		int wanted = want->egress && pi->action != IFACE_DETACH;

		if (wanted)
			pi->egress = e && e->attached ? EGRESS_KEEP : EGRESS_ATTACH;
		else
			pi->egress = e ? EGRESS_DETACH : EGRESS_NONE;
	}
	for (unsigned i = 0; i < have->egress_count; i++) {
		struct plan_iface *pi;

		if (find_planned(p, have->egress[i].name))
			continue;
		pi = &p->ifaces[p->iface_count++];
		snprintf(pi->name, sizeof(pi->name), "%s", have->egress[i].name);
		pi->action = IFACE_DETACH;
		pi->egress = EGRESS_DETACH;
	}
}

static int plan_ifaces(const struct desired *want, const struct observed *have, struct plan *p)
{
	p->ifaces = calloc(want->iface_count + have->iface_count + have->egress_count + 1, sizeof(*p->ifaces));
	if (!p->ifaces)
		return -ENOMEM;
	for (unsigned i = 0; i < want->iface_count; i++) {
		const struct desired_iface *d = &want->ifaces[i];
		const struct observed_iface *o = find_observed(have, d->name);
		struct plan_iface *pi = &p->ifaces[p->iface_count++];

		snprintf(pi->name, sizeof(pi->name), "%s", d->name);
		pi->want = d;
		if (o) {
			pi->have_method = o->method;
			pi->have_mode = o->mode;
		}
		if (!o || !o->ours)
			pi->action = IFACE_ATTACH;	/* a foreign program is refused at apply time */
		else if (!mode_allowed(d, o->mode) || o->method != d->method)
			pi->action = IFACE_REATTACH;
		else
			pi->action = IFACE_KEEP;
	}
	for (unsigned i = 0; i < have->iface_count; i++) {
		const struct observed_iface *o = &have->ifaces[i];
		int declared = 0;

		for (unsigned j = 0; j < want->iface_count; j++)
			declared |= !strcmp(want->ifaces[j].name, o->name);
		if (!declared && o->ours) {
			struct plan_iface *pi = &p->ifaces[p->iface_count++];

			snprintf(pi->name, sizeof(pi->name), "%s", o->name);
			pi->action = IFACE_DETACH;
			pi->have_method = o->method;
			pi->have_mode = o->mode;
		}
	}
	plan_egress(want, have, p);
	return 0;
}

int plan_build(const struct desired *want, const struct observed *have, struct plan *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	/* New maps start empty: then everything desired is an addition. */
	p->new_maps = !have->pinned || have->maps_outdated || have->blocklist_max != want->blocklist_max ||
		      have->allowlist_max != want->allowlist_max ||
		      (have->rate_sources_max && have->rate_sources_max != want->rate_sources_max) ||
		      (have->auto_block_max && have->auto_block_max != want->auto_block_max);
	if (p->new_maps) {
		static const struct prefix_set empty;

		err = diff_sets(&want->blocked, &empty, &p->lists[PLAN_BLOCK_ADD], &p->lists[PLAN_BLOCK_DEL]);
		if (!err)
			err = diff_sets(&want->allowed, &empty, &p->lists[PLAN_ALLOW_ADD], &p->lists[PLAN_ALLOW_DEL]);
		p->runtime_changed = 1;
		p->scanners_changed = 1;	/* the tokens, and scanner_free (zeroed in new maps) */
	} else {
		err = diff_sets(&want->blocked, &have->blocked, &p->lists[PLAN_BLOCK_ADD],
				&p->lists[PLAN_BLOCK_DEL]);
		if (!err)
			err = diff_sets(&want->allowed, &have->allowed, &p->lists[PLAN_ALLOW_ADD],
					&p->lists[PLAN_ALLOW_DEL]);
		p->runtime_changed = memcmp(&want->runtime, &have->runtime, sizeof(want->runtime)) != 0;
		p->scanners_changed = want->scanner_count != have->scanner_count ||
				      (want->scanner_count && memcmp(want->scanners, have->scanners,
								     want->scanner_count * sizeof(*want->scanners)));
	}
	if (!err)
		err = plan_index(want, have, p);
	p->swap_program = have->program_outdated && !p->new_maps;
	/* scanner_free as pinned, or as a swap onto pins without it creates it (zeroed: never what
	 * want holds); pins of an older object without a swap have none to write. */
	if ((have->scanner_free_pinned || p->swap_program) &&
	    memcmp(&want->scanner_free, &have->scanner_free, sizeof(want->scanner_free)))
		p->scanners_changed = 1;
	for (int k = 0; !err && k < SUMMARY_KINDS; k++) {
		p->summary_old[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		p->summary_new[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		if (!p->summary_old[k] || !p->summary_new[k])
			err = -ENOMEM;
		/* New maps start zeroed, whatever the old ones held. */
		else if (have->summaries[k] && !p->new_maps)
			memcpy(p->summary_old[k], have->summaries[k], SUMMARY_BYTES);
	}
	if (!err) {
		summary_build(&want->blocked, 1, p->summary_new);
		summary_build(&want->allowed, 0, p->summary_new);
		for (int k = 0; k < SUMMARY_KINDS; k++)
			for (size_t i = 0; i < SUMMARY_WORDS; i++)
				p->summary_changed[k] += p->summary_old[k][i] != p->summary_new[k][i];
	}
	if (!err)
		err = plan_ifaces(want, have, p);
	if (err)
		plan_free(p);
	return err;
}

int plan_empty(const struct plan *p)
{
	for (int op = 0; op < PLAN_OPS; op++)
		if (p->lists[op].n)
			return 0;
	for (unsigned i = 0; i < p->iface_count; i++)
		if (p->ifaces[i].action != IFACE_KEEP || p->ifaces[i].egress == EGRESS_ATTACH ||
		    p->ifaces[i].egress == EGRESS_DETACH)
			return 0;
	for (int k = 0; k < SUMMARY_KINDS; k++)
		if (p->summary_changed[k])
			return 0;
	return !p->runtime_changed && !p->scanners_changed && !p->new_maps && !p->swap_program;
}

void plan_free(struct plan *p)
{
	for (int op = 0; op < PLAN_OPS; op++)
		prefix_set_free(&p->lists[op]);
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		free(p->summary_old[k]);
		free(p->summary_new[k]);
	}
	free(p->ifaces);
	memset(p, 0, sizeof(*p));
}

void observed_free(struct observed *o)
{
	prefix_set_free(&o->blocked);
	prefix_set_free(&o->allowed);
	prefix_set_free(&o->blocked_index);
	free(o->scanners);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		free(o->summaries[k]);
	free(o->ifaces);
	free(o->egress);
	memset(o, 0, sizeof(*o));
}

static void print_modes(const struct desired_iface *d, FILE *out)
{
	for (unsigned m = 0; m < d->mode_count; m++)
		fprintf(out, "%s%s", m ? "," : "", xdp_mode_name(d->modes[m]));
}

void plan_print(const struct plan *p, const struct desired *want, const struct observed *have, FILE *out)
{
	static const char *const actions[] = { "keep", "attach", "detach", "re-attach" };
	static const char *const egress_actions[] = { "", ", egress filter (answers) kept",
						      ", egress filter (answers): attach",
						      ", egress filter (answers): detach" };
	char buf[VOSFP_PREFIX_STRLEN];

	if (!have->readable)
		fprintf(out, "note: kernel state not readable (not root?): planning against an empty kernel\n");
	if (p->new_maps)
		fprintf(out, "maps: create under %s (blocklist_max %u, allowlist_max %u, rate_sources_max %u, auto_block_max %u) from %s%s\n",
			want->pin_path, want->blocklist_max, want->allowlist_max, want->rate_sources_max,
			want->auto_block_max, want->bpf_object,
			have->pinned ? ", then swap the program on every interface" : "");
	if (p->swap_program)
		fprintf(out, "program: %s differs from the running one: swap it on every interface\n",
			want->bpf_object);
	for (int op = 0; op < PLAN_OPS; op++) {
		const struct prefix_set *s = &p->lists[op];

		if (op == PLAN_RUNTIME) {
			if (p->runtime_changed)
				fprintf(out, "%s: update (ports, stealth %s, malformed checks %s, rate limit %s, auto-block %s, scanners %s, crowdsec decisions %s, answers %s, repeat offenders %s)\n",
					plan_op_name(op), want->runtime.flags & VOSFP_F_NO_STEALTH ? "off" : "on",
					want->runtime.flags & VOSFP_F_NO_MALFORMED ? "off" : "on",
					want->runtime.flags & VOSFP_F_RATE_LIMIT ? "on" : "off",
					want->runtime.flags & VOSFP_F_AUTO_BLOCK ? "on" : "off",
					want->runtime.flags & VOSFP_F_SCANNERS ? "on" : "off",
					want->runtime.flags & VOSFP_F_DECISIONS ? "on" : "off",
					want->runtime.flags & VOSFP_F_ANSWERS ? "on" : "off",
					want->runtime.repeat_within_ms ? "on" : "off");
			if (p->scanners_changed)
				fprintf(out, "scanner tokens: %u (were %u)\n", want->scanner_count,
					have->scanner_count);
			continue;
		}
		if (!s->n)
			continue;
		fprintf(out, "%s: %zu entr%s", plan_op_name(op), s->n, s->n == 1 ? "y" : "ies");
		for (size_t i = 0; i < s->n && i < 5; i++)
			fprintf(out, "%s%s", i ? ", " : " (", vosfp_prefix_str(&s->v[i], buf, sizeof(buf)));
		fprintf(out, "%s\n", s->n > 5 ? ", ...)" : ")");
	}
	for (int k = 0; k < SUMMARY_KINDS; k++)
		if (p->summary_changed[k])
			fprintf(out, "summary %s: %zu word%s\n", summary_map_names[k], p->summary_changed[k],
				p->summary_changed[k] == 1 ? "" : "s");
	for (unsigned i = 0; i < p->iface_count; i++) {
		const struct plan_iface *pi = &p->ifaces[i];

		fprintf(out, "interface %s: %s", pi->name, actions[pi->action]);
		if (pi->want && pi->action != IFACE_KEEP) {
			fprintf(out, " (modes ");
			print_modes(pi->want, out);
			/* The default method is said only when it changes. */
			if (pi->want->method == VOSFP_ATTACH_DISPATCHER)
				fprintf(out, ", dispatcher at run priority %u", pi->want->run_priority);
			else if (pi->action == IFACE_REATTACH && pi->have_method != VOSFP_ATTACH_LINK)
				fprintf(out, ", link");
			fprintf(out, ")");
		}
		fprintf(out, "%s\n", egress_actions[pi->egress]);
	}
	if (plan_empty(p))
		fprintf(out, "nothing to change: the kernel matches %s\n", want->config_path);
}
