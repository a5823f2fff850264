/* decision_map.h - the pinned decision maps (bpf/vosfp.h: dec_ips, dec_ips6, dec_nets,
 * dec_nets6, their summaries, dec_traffic): read back the image they hold, bring them from one
 * image to another in an order that never hides a decision, empty them, read the traffic by
 * origin. Only the agent's feed writes them (and --down removes them); list reloads never do. */
#ifndef VOSFP_DECISION_MAP_H
#define VOSFP_DECISION_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "decision_set.h"

struct decision_maps {
	int fd[VOSFP_LIST_MAPS];		/* by enum vosfp_list_map, keyed like the lists */
	int sum_fd[DECISION_SUMS];
	int traffic_fd;
};

/* Open them under pin_path: 0, -ENOENT when the pins predate them (the next program swap adds
 * them), or another negative errno, with err. */
int decision_maps_open(const char *pin_path, struct decision_maps *m, char *err, size_t errlen);
void decision_maps_close(struct decision_maps *m);

/* The kernel's id of the pinned dec_ips map (0: none): another id means other maps. */
uint32_t decision_maps_id(const char *pin_path);

/* Everything the entry maps hold, sorted (decision_cmp). 0 or a negative errno. */
int decision_maps_read(const struct decision_maps *m, struct decision_image *out);

/* From the maps' image, whose summaries are old, to the image whose summaries are new, given the
 * entries to write and to remove: summary bits for what comes first, then the writes, the
 * removals, and the summaries to new (only the words still holding bits new lacks are written). 0 or a negative
 * errno with err; after a failure the maps hold a mix: read them back before the next write. */
int decision_maps_write(const struct decision_maps *m, const struct decision_image *write,
			const struct decision_image *remove, const uint64_t *const old[DECISION_SUMS],
			const uint64_t *const new[DECISION_SUMS], char *err, size_t errlen);

/* Packets and bytes that met a decision under pin_path, summed over CPUs: [0] dropped, [1]
 * passed because allowlisted, by enum vosfp_origin. No map (older pins): all zero, 0. */
int decision_traffic_read(const char *pin_path, struct vosfp_traffic out[2][VOSFP_ORIGINS]);

#endif
