/* hook_watch.c - see hook_watch.h. Cheap enough for every tick: a bpf_link is two syscalls, a
 * dispatcher one query and a walk of the kernel's links, an egress filter one netlink query and
 * one pin read. */
#include <stdio.h>
#include <string.h>

#include "egress.h"
#include "hook_watch.h"
#include "log.h"
#include "xdp_census.h"
#include "xdp_hook.h"

static unsigned slots(const struct hook_watch *w, const struct desired *want)
{
	unsigned n = (unsigned)sizeof(w->attached);

	return want->iface_count < n ? want->iface_count : n;
}

void hook_watch_reset(struct hook_watch *w, const struct desired *want)
{
	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < slots(w, want); i++)
		w->attached[i] = 1;
}

/* Is vosfp's egress filter gone from an interface the answer rule puts it on? A filter at
 * vosfp's handle running another program than the pinned one counts as gone too; what the
 * handle holds goes to now. */
static int egress_lost(const struct desired *want, const char *name, char *now, size_t len)
{
	unsigned id;

	if (!want->egress || egress_recorded_attached(want->pin_path, name, &id))
		return 0;
	if (id)
		snprintf(now, len, "prog %u at vosfp's TC handle, not the pinned one", id);
	else
		snprintf(now, len, "no filter at vosfp's TC handle");
	return 1;
}

int hook_watch_check(struct hook_watch *w, const struct desired *want, char *why, size_t len)
{
	int lost = 0;

	for (unsigned i = 0; i < slots(w, want); i++) {
		const struct desired_iface *di = &want->ifaces[i];
		const char *part = "XDP program";
		char now[1024];

		if (!w->attached[i])
			continue;
		if (xdp_hook_of(di->method)->attached(want->pin_path, di->name)) {
			/* tc qdisc del dev IF clsact, or another tool replacing the qdisc */
			if (!egress_lost(want, di->name, now, sizeof(now)))
				continue;
			part = "egress filter (answers)";
		} else {
			xdp_census_report(want->pin_path, di->name, now, sizeof(now));
		}
		w->attached[i] = 0;
		log_msg(LOG_WARNING, "%s: vosfp's %s is no longer attached (%s): something else removed it; attaching it again",
			di->name, part, now);
		if (!lost)
			snprintf(why, len, "%s lost vosfp's %s", di->name, part);
		lost = 1;
	}
	return lost;
}
