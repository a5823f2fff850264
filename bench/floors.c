/* floors.c - loads bench/floor.bpf.c for prog_bench and flood_bench: its maps are
 * sip_xdp_prog's own, so the floors' lookups meet the same tables, and its header_bytes is set
 * before load. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "floors.h"

const char *const floor_prog_names[FLOOR_PROGS] = {
	[FLOOR_PARSE] = "floor_parse",
	[FLOOR_BLOCKED] = "floor_blocked",
	[FLOOR_DEFENCE] = "floor_defence",
};

static int set_header_bytes(struct bpf_object *obj, uint32_t header_bytes)
{
	struct bpf_map *rodata = NULL, *m;

	/* libbpf names the map "<object>.rodata"; clang may add others (.rodata.cst16, ...). */
	bpf_object__for_each_map(m, obj) {
		const char *dot = strchr(bpf_map__name(m), '.');

		if (dot && !strcmp(dot, ".rodata"))
			rodata = m;
	}
	/* header_bytes is the object's only read-only global: the section is that one value. */
	if (!rodata || bpf_map__value_size(rodata) != sizeof(header_bytes))
		return -ENOENT;
	return bpf_map__set_initial_value(rodata, &header_bytes, sizeof(header_bytes));
}

int floors_open(struct floors *f, const char *path, int blocked_ips_fd, int rate_slots_fd,
		uint32_t header_bytes)
{
	struct bpf_map *blocked, *rate;
	int err;

	memset(f, 0, sizeof(*f));
	f->obj = bpf_object__open_file(path, NULL);
	if (!f->obj) {
		err = -errno;
		fprintf(stderr, "floors: cannot open %s: %s\n", path, strerror(-err));
		return err;
	}
	blocked = bpf_object__find_map_by_name(f->obj, "blocked_ips");
	rate = bpf_object__find_map_by_name(f->obj, "rate_slots");
	err = blocked && rate ? bpf_map__reuse_fd(blocked, blocked_ips_fd) : -ENOENT;
	if (!err)
		err = bpf_map__reuse_fd(rate, rate_slots_fd);
	if (!err)
		err = set_header_bytes(f->obj, header_bytes);
	if (!err)
		err = bpf_object__load(f->obj);
	for (int i = 0; i < FLOOR_PROGS && !err; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(f->obj, floor_prog_names[i]);

		f->fds[i] = p ? bpf_program__fd(p) : -ENOENT;
		if (f->fds[i] < 0)
			err = f->fds[i];
	}
	if (err)
		fprintf(stderr, "floors: cannot load %s: %s\n", path, strerror(-err));
	return err;
}

void floors_close(struct floors *f)
{
	bpf_object__close(f->obj);
	f->obj = NULL;
}
