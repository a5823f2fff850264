/* iface_stats.c - see iface_stats.h. The slot table (iface_names) lives in a pinned map, not in
 * the agent, so slots survive restarts and any reader can name them. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "iface_stats.h"
#include "log.h"

static int zero_slot(int counters_fd, __u32 slot)
{
	int ncpus = libbpf_num_possible_cpus();
	struct vosfp_traffic zeros[ncpus > 0 ? ncpus : 1];

	memset(zeros, 0, sizeof(zeros));
	for (__u32 i = 0; i < VOSFP_COUNTER_SLOTS; i++) {
		__u32 key = slot * VOSFP_COUNTER_SLOTS + i;

		if (bpf_map_update_elem(counters_fd, &key, zeros, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int first_error(int have, int ret)
{
	return have ? have : ret;
}

/* Point ifindex at slot (0: back to "other"), if the array has room for that ifindex. */
static int route(int slots_fd, __u32 ifindex, __u32 slot)
{
	if (ifindex >= VOSFP_IFINDEX_MAX)
		return 0;
	return bpf_map_update_elem(slots_fd, &ifindex, &slot, BPF_ANY) ? -errno : 0;
}

int iface_slots_sync(int slots_fd, int names_fd, int counters_fd, const struct desired *want)
{
	struct vosfp_iface_slot names[VOSFP_IFACE_SLOTS];
	int kept[VOSFP_IFACE_SLOTS] = { 0 }, err = 0;
	__u32 has_slot[want->iface_count + 1], ifindex[want->iface_count + 1];

	for (__u32 s = 0; s < VOSFP_IFACE_SLOTS; s++)
		if (bpf_map_lookup_elem(names_fd, &s, &names[s]))
			return -errno;
	for (unsigned i = 0; i < want->iface_count; i++) {
		ifindex[i] = if_nametoindex(want->ifaces[i].name);
		has_slot[i] = 0;
		for (__u32 s = 1; ifindex[i] && s < VOSFP_IFACE_SLOTS; s++)
			if (names[s].ifindex == ifindex[i] &&
			    !strncmp(names[s].name, want->ifaces[i].name, sizeof(names[s].name))) {
				has_slot[i] = s;
				kept[s] = 1;
			}
	}
	for (__u32 s = 1; s < VOSFP_IFACE_SLOTS; s++) {
		__u32 cur;

		if (!names[s].ifindex || kept[s])
			continue;
		/* The ifindex may already count for a newer slot (renamed interface): leave that. */
		if (names[s].ifindex < VOSFP_IFINDEX_MAX &&
		    !bpf_map_lookup_elem(slots_fd, &names[s].ifindex, &cur) && cur == s)
			err = first_error(err, route(slots_fd, names[s].ifindex, 0));
		memset(&names[s], 0, sizeof(names[s]));
		if (bpf_map_update_elem(names_fd, &s, &names[s], BPF_ANY))
			err = first_error(err, -errno);
	}
	for (unsigned i = 0; i < want->iface_count; i++) {
		__u32 s = 1;

		if (!ifindex[i] || has_slot[i])
			continue;
		while (s < VOSFP_IFACE_SLOTS && names[s].ifindex)
			s++;
		if (s == VOSFP_IFACE_SLOTS) {
			log_msg(LOG_WARNING, "%s: no free counter slot: its packets count as '%s'",
				want->ifaces[i].name, IFACE_OTHER_NAME);
			continue;
		}
		if (ifindex[i] >= VOSFP_IFINDEX_MAX)
			log_msg(LOG_WARNING, "%s: ifindex %u is beyond the %u the datapath maps: its packets count as '%s'",
				want->ifaces[i].name, ifindex[i], VOSFP_IFINDEX_MAX, IFACE_OTHER_NAME);
		/* Zeroed before the ifindex points at it: a new interface never inherits counts. */
		err = first_error(err, zero_slot(counters_fd, s));
		names[s].ifindex = ifindex[i];
		snprintf(names[s].name, sizeof(names[s].name), "%s", want->ifaces[i].name);
		if (bpf_map_update_elem(names_fd, &s, &names[s], BPF_ANY))
			err = first_error(err, -errno);
		err = first_error(err, route(slots_fd, ifindex[i], s));
	}
	return err;
}

static int read_slot(int counters_fd, __u32 slot, struct iface_traffic *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct vosfp_traffic values[ncpus > 0 ? ncpus : 1];

	for (__u32 i = 0; i < VOSFP_CNT_COUNT; i++) {
		__u32 key = slot * VOSFP_COUNTER_SLOTS + i;

		if (bpf_map_lookup_elem(counters_fd, &key, values))
			return -errno;
		memset(&out->t[i], 0, sizeof(out->t[i]));
		for (int c = 0; c < ncpus; c++) {
			out->t[i].packets += values[c].packets;
			out->t[i].bytes += values[c].bytes;
		}
	}
	return 0;
}

int iface_traffic_read(int names_fd, int counters_fd, struct iface_traffic **out, unsigned *count)
{
	struct iface_traffic *v = calloc(VOSFP_IFACE_SLOTS, sizeof(*v));
	unsigned n = 0;
	int err = 0;

	if (!v)
		return -ENOMEM;
	for (__u32 s = 0; !err && s < VOSFP_IFACE_SLOTS; s++) {
		struct vosfp_iface_slot name;

		if (bpf_map_lookup_elem(names_fd, &s, &name)) {
			err = -errno;
			break;
		}
		if (s && !name.ifindex)
			continue;
		if (s) {
			memcpy(v[n].name, name.name, sizeof(v[n].name));
			v[n].name[sizeof(v[n].name) - 1] = '\0';
			v[n].ifindex = name.ifindex;
		} else {
			snprintf(v[n].name, sizeof(v[n].name), "%s", IFACE_OTHER_NAME);
		}
		err = read_slot(counters_fd, s, &v[n]);
		n++;
	}
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	*count = n;
	return 0;
}
