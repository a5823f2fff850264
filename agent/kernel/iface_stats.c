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

static size_t slot_counters_size(void)
{
	int ncpus = libbpf_num_possible_cpus();

	return (size_t)(ncpus > 0 ? ncpus : 1) * sizeof(struct vosfp_traffic);
}

/* A slot's VOSFP_COUNTER_SLOTS counters, each ncpus values, from or into buf. */
static int slot_counters(int counters_fd, __u32 slot, char *buf, int write)
{
	size_t one = slot_counters_size();

	for (__u32 i = 0; i < VOSFP_COUNTER_SLOTS; i++) {
		__u32 key = slot * VOSFP_COUNTER_SLOTS + i;

		if (write ? bpf_map_update_elem(counters_fd, &key, buf + i * one, BPF_ANY) :
			    bpf_map_lookup_elem(counters_fd, &key, buf + i * one))
			return -errno;
	}
	return 0;
}

static int zero_slot(int counters_fd, __u32 slot, struct iface_slots_undo *undo)
{
	size_t size = VOSFP_COUNTER_SLOTS * slot_counters_size();
	char *was = malloc(size), *zeros = calloc(1, size);
	int err = !was || !zeros ? -ENOMEM : slot_counters(counters_fd, slot, was, 0);

	if (!err && undo->counters_n < VOSFP_IFACE_SLOTS) {
		undo->counters[undo->counters_n].slot = slot;
		undo->counters[undo->counters_n++].was = was;
		was = NULL;
		err = slot_counters(counters_fd, slot, zeros, 1);
	} else if (!err) {
		err = -ENOSPC;
	}
	free(was);
	free(zeros);
	return err;
}

static int first_error(int have, int ret)
{
	return have ? have : ret;
}

/* Point ifindex at slot (0: back to "other"), if the array has room for that ifindex. */
static int route(int slots_fd, __u32 ifindex, __u32 slot, struct iface_slots_undo *undo)
{
	__u32 was = 0;

	if (ifindex >= VOSFP_IFINDEX_MAX)
		return 0;
	if (undo->routes_n == 2 * VOSFP_IFACE_SLOTS)
		return -ENOSPC;
	if (bpf_map_lookup_elem(slots_fd, &ifindex, &was))
		return -errno;
	undo->routes[undo->routes_n].ifindex = ifindex;
	undo->routes[undo->routes_n++].was = was;
	return bpf_map_update_elem(slots_fd, &ifindex, &slot, BPF_ANY) ? -errno : 0;
}

static int name_slot(int names_fd, __u32 slot, const struct vosfp_iface_slot *was,
		     const struct vosfp_iface_slot *now, struct iface_slots_undo *undo)
{
	undo->names[undo->names_n].slot = slot;
	undo->names[undo->names_n++].was = *was;
	return bpf_map_update_elem(names_fd, &slot, now, BPF_ANY) ? -errno : 0;
}

int iface_slots_sync(int slots_fd, int names_fd, int counters_fd, const struct desired *want,
		     struct iface_slots_undo *undo)
{
	struct vosfp_iface_slot names[VOSFP_IFACE_SLOTS], was;
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
			err = first_error(err, route(slots_fd, names[s].ifindex, 0, undo));
		was = names[s];
		memset(&names[s], 0, sizeof(names[s]));
		err = first_error(err, name_slot(names_fd, s, &was, &names[s], undo));
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
		err = first_error(err, zero_slot(counters_fd, s, undo));
		was = names[s];
		names[s].ifindex = ifindex[i];
		snprintf(names[s].name, sizeof(names[s].name), "%s", want->ifaces[i].name);
		err = first_error(err, name_slot(names_fd, s, &was, &names[s], undo));
		err = first_error(err, route(slots_fd, ifindex[i], s, undo));
	}
	return err;
}

int iface_slots_restore(int slots_fd, int names_fd, int counters_fd, const struct iface_slots_undo *undo)
{
	int err = 0;

	for (unsigned i = undo->routes_n; i-- > 0;)
		if (bpf_map_update_elem(slots_fd, &undo->routes[i].ifindex, &undo->routes[i].was, BPF_ANY))
			err = first_error(err, -errno);
	for (unsigned i = undo->counters_n; i-- > 0;)
		err = first_error(err, slot_counters(counters_fd, undo->counters[i].slot, undo->counters[i].was, 1));
	for (unsigned i = undo->names_n; i-- > 0;)
		if (bpf_map_update_elem(names_fd, &undo->names[i].slot, &undo->names[i].was, BPF_ANY))
			err = first_error(err, -errno);
	return err;
}

void iface_slots_undo_free(struct iface_slots_undo *undo)
{
	for (unsigned i = 0; i < undo->counters_n; i++)
		free(undo->counters[i].was);
	memset(undo, 0, sizeof(*undo));
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
