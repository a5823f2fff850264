/* snapshot.c - see snapshot.h. */
#include <stdlib.h>
#include <string.h>

#include "snapshot.h"

const char *const snapshot_list_names[SNAP_LISTS] = { "blocklist", "allowlist" };
const char *const snapshot_family_names[SNAP_FAMILIES] = { "ipv4", "ipv6" };
const char *const snapshot_scope_names[2] = { "ip", "range" };

void snapshot_count_lists(const struct prefix_set *blocked, const struct prefix_set *allowed,
			  size_t out[SNAP_LISTS][SNAP_FAMILIES])
{
	const struct prefix_set *sets[SNAP_LISTS] = { blocked, allowed };

	memset(out, 0, sizeof(size_t) * SNAP_LISTS * SNAP_FAMILIES);
	for (int l = 0; l < SNAP_LISTS; l++)
		for (size_t i = 0; sets[l] && i < sets[l]->n; i++)
			out[l][sets[l]->v[i].family == 6 ? SNAP_IPV6 : SNAP_IPV4]++;
}

const char *snapshot_action(int counter)
{
	switch (counter) {
	case VOSFP_CNT_PASSED:
		return "pass";
	case VOSFP_CNT_REDIRECTED:
		return "redirect";
	default:
		return "drop";
	}
}

size_t snapshot_blocks_by_reason(const struct snapshot *s, __u32 r)
{
	size_t n = 0;

	for (size_t i = 0; i < s->blocks.n; i++)
		n += s->blocks.v[i].reason == r;
	return n;
}

void snapshot_free(struct snapshot *s)
{
	free(s->ifaces);
	free(s->links);
	free(s->egress);
	autoblock_set_free(&s->blocks);
	memset(s, 0, sizeof(*s));
}
