/* pin_repair.c - see pin_repair.h. Pins only maps a running program of ours holds, under the
 * declared object's name for them; never unpins, never replaces a pin that exists. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "links.h"
#include "log.h"
#include "pin_repair.h"
#include "pins.h"
#include "vosfp.h"

#define PROG_MAPS_MAX 64
#define PROGS_MAX 8		/* distinct programs behind our links (usually one) */

struct held_map {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];	/* the kernel's: the object's name cut to 15 bytes */
	char iface[16];			/* a link whose program holds it */
};

struct held {
	struct held_map v[PROGS_MAX * PROG_MAPS_MAX];
	unsigned n;
};

/* The maps of the program behind one link pin, into h. */
static void maps_of_link(const char *pin_path, const char *iface, __u32 *progs, unsigned *nprogs,
			 struct held *h)
{
	__u32 ids[PROG_MAPS_MAX], prog_id;
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int link = link_open_pinned(pin_path, iface), fd;

	if (link < 0)
		return;
	prog_id = link_prog_id(link);
	close(link);
	for (unsigned i = 0; i < *nprogs; i++)
		if (progs[i] == prog_id)
			return;
	if (!prog_id || *nprogs == PROGS_MAX || (fd = bpf_prog_get_fd_by_id(prog_id)) < 0)
		return;
	progs[(*nprogs)++] = prog_id;
	info.nr_map_ids = PROG_MAPS_MAX;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.nr_map_ids = 0;
	close(fd);
	for (__u32 i = 0; i < info.nr_map_ids && i < PROG_MAPS_MAX; i++) {
		struct bpf_map_info mi = { 0 };
		__u32 mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(ids[i]);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) && h->n < sizeof(h->v) / sizeof(h->v[0])) {
			h->v[h->n].id = ids[i];
			memcpy(h->v[h->n].name, mi.name, sizeof(mi.name));
			snprintf(h->v[h->n++].iface, sizeof(h->v[0].iface), "%s", iface);
		}
		close(mfd);
	}
}

static void held_maps(const char *pin_path, struct held *h)
{
	char dir_path[4352];
	__u32 progs[PROGS_MAX];
	unsigned nprogs = 0;
	struct dirent *e;
	DIR *dir;

	h->n = 0;
	pins_links_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	while (dir && (e = readdir(dir)))
		if (e->d_name[0] != '.' && !strchr(e->d_name, ':') && strlen(e->d_name) < 16)
			maps_of_link(pin_path, e->d_name, progs, &nprogs, h);
	if (dir)
		closedir(dir);
}

/* The one map of h the kernel names as the object's `name` (cut to 15 bytes); NULL if none, or
 * if programs hold different maps of that name (which is then not ours to pick). */
static const struct held_map *find(const struct held *h, const char *name, int *ambiguous)
{
	const struct held_map *found = NULL;

	*ambiguous = 0;
	for (unsigned i = 0; i < h->n; i++) {
		if (strncmp(h->v[i].name, name, BPF_OBJ_NAME_LEN - 1))
			continue;
		if (found && found->id != h->v[i].id)
			*ambiguous = 1;
		found = &h->v[i];
	}
	return *ambiguous ? NULL : found;
}

static int restore(const char *pin_path, const char *name, const struct held *h)
{
	const struct held_map *m;
	char path[4352];
	int ambiguous, fd, ret = 0;

	m = find(h, name, &ambiguous);
	if (!m) {
		log_msg(LOG_WARNING,
			"%s/%s: pin missing, and %s: a map held by nothing else went with its pin, with its contents; new maps are made from the config (counters and per-interface slots restart if theirs went)",
			pin_path, name,
			ambiguous ? "the programs on our links hold different maps of that name (none is picked)" :
			!h->n ? "no program of ours is attached to hold the map" :
				"the attached program does not use that map");
		return 1;
	}
	pins_map_path(pin_path, name, path, sizeof(path));
	fd = bpf_map_get_fd_by_id(m->id);
	if (fd < 0 || bpf_obj_pin(fd, path))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret) {
		log_msg(LOG_ERR, "%s: pin missing; cannot pin the map again (id %u): %s", path, m->id, strerror(-ret));
		return 1;
	}
	log_msg(LOG_INFO, "%s: pin missing: restored from the program attached to %s (map id %u)", path, m->iface,
		m->id);
	return 0;
}

int pin_repair(const struct desired *want)
{
	struct bpf_object *obj;
	struct bpf_map *map;
	struct held *h = NULL;
	char path[4352];
	int lost = 0;

	if (access(want->pin_path, F_OK))
		return 0;	/* nothing pinned yet */
	obj = bpf_object__open_file(want->bpf_object, NULL);
	if (!obj)
		return 0;	/* the transaction reports an unreadable object */
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		pins_map_path(want->pin_path, name, path, sizeof(path));
		if (strchr(name, '.') || access(path, F_OK) == 0)
			continue;
		if (!h) {
			h = calloc(1, sizeof(*h));
			if (!h)
				break;
			held_maps(want->pin_path, h);
		}
		lost |= restore(want->pin_path, name, h);
	}
	bpf_object__close(obj);
	free(h);
	return lost;
}

void pin_repair_links(const struct desired *want)
{
	char path[4352];
	int names_fd;

	pins_map_path(want->pin_path, "iface_names", path, sizeof(path));
	names_fd = bpf_obj_get(path);
	if (names_fd < 0)
		return;
	for (unsigned i = 0; i < want->iface_count; i++) {
		const char *name = want->ifaces[i].name;
		struct vosfp_iface_slot slot;

		pins_link_path(want->pin_path, name, path, sizeof(path));
		if (access(path, F_OK) == 0)
			continue;
		/* A slot under its name: a committed transaction attached it. */
		for (__u32 s = 1; s < VOSFP_IFACE_SLOTS; s++)
			if (!bpf_map_lookup_elem(names_fd, &s, &slot) && slot.ifindex &&
			    !strncmp(slot.name, name, sizeof(slot.name))) {
				log_msg(LOG_WARNING,
					"%s: its link pin %s is gone, and the XDP program with it: a pin is a link's only holder and the kernel detaches a link with its last holder, so it cannot be pinned again; attaching anew",
					name, path);
				break;
			}
	}
	close(names_fd);
}
