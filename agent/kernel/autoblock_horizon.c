/* autoblock_horizon.c - see autoblock_horizon.h. */
#include <errno.h>

#include <bpf/bpf.h>

#include "autoblock_horizon.h"

/* Raise the word at key of the array map fd to expires; it never goes down. Not atomic with the
 * datapath's own raises: one racing this write can be lowered by at most the gap between its
 * expiry and ours, the time user space took since it read. */
static int raise_word(int fd, __u32 key, __u64 expires)
{
	__u64 word;

	if (bpf_map_lookup_elem(fd, &key, &word))
		return -errno;
	if (word >= expires)
		return 0;
	return bpf_map_update_elem(fd, &key, &expires, BPF_ANY) ? -errno : 0;
}

int autoblock_raise_horizons(int horizon_fd, int slots_fd, const struct autoblock_set *s)
{
	__u64 latest = 0;
	int ret = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].expires > latest)
			latest = s->v[i].expires;
	if (latest)
		ret = raise_word(horizon_fd, 0, latest);
	for (size_t i = 0; !ret && slots_fd >= 0 && i < s->n; i++)
		ret = raise_word(slots_fd, vosfp_block_slot(&s->v[i].key), s->v[i].expires);
	return ret;
}
