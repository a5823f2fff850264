/* floors.h - the lower-bound programs of bench/floor.bpf.c, loaded for prog_bench and flood_bench. */
#ifndef VOSFP_BENCH_FLOORS_H
#define VOSFP_BENCH_FLOORS_H

#include <stdint.h>

struct bpf_object;

enum floor_prog { FLOOR_PARSE, FLOOR_BLOCKED, FLOOR_DEFENCE, FLOOR_PROGS };

struct floors {
	struct bpf_object *obj;
	int fds[FLOOR_PROGS];		/* program fds, by enum floor_prog */
};

extern const char *const floor_prog_names[FLOOR_PROGS];

/* Load path's programs with sip_xdp_prog's blocked_ips and rate_slots maps (fds) and
 * floor_defence reading header_bytes of payload. Returns 0 or a negative errno (message on stderr). */
int floors_open(struct floors *f, const char *path, int blocked_ips_fd, int rate_slots_fd,
		uint32_t header_bytes);
void floors_close(struct floors *f);

#endif
