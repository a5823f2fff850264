/* iface_wait.c - see iface_wait.h. One if_nametoindex per awaited name and tick. */
#include <stdio.h>
#include <string.h>

#include "iface_wait.h"
#include "log.h"

unsigned iface_wait_note(struct iface_wait *w, const struct desired *want, int failed)
{
	char list[sizeof(w->names)] = "";

	w->count = 0;
	for (unsigned i = 0; failed && i < want->iface_count && w->count < VOSFP_MAX_INTERFACES * 2; i++) {
		const char *name = want->ifaces[i].name;

		if (if_nametoindex(name))
			continue;
		snprintf(w->names[w->count++], IF_NAMESIZE, "%s", name);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", list[0] ? ", " : "", name);
	}
	if (w->count)
		log_msg(LOG_WARNING, "waiting for %s to exist: attaching vosfp as soon as %s (every declared interface in one transaction); until then the policy applied last keeps filtering",
			list, w->count > 1 ? "they do" : "it does");
	return w->count;
}

int iface_wait_check(struct iface_wait *w, char *why, size_t len)
{
	for (unsigned i = 0; i < w->count; i++) {
		unsigned index = if_nametoindex(w->names[i]);

		if (!index)
			continue;
		log_msg(LOG_INFO, "%s: the interface exists now (index %u): attaching vosfp", w->names[i], index);
		snprintf(why, len, "%s exists now", w->names[i]);
		memmove(w->names[i], w->names[i + 1], (w->count - i - 1) * sizeof(w->names[0]));
		w->count--;
		return 1;
	}
	return 0;
}
