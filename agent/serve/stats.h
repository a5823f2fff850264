/* stats.h - gather a snapshot (snapshot.h) from the pinned maps, and print it for people or as
 * JSON (--stats, --stats --json). Reads only. */
#ifndef VOSFP_STATS_H
#define VOSFP_STATS_H

#include <stdio.h>

#include "snapshot.h"

/* Fill s from pin_path. lists: the list sizes when the caller knows them (the daemon, which
 * wrote the maps), NULL to count the pinned list maps (and the decisions in force, which the
 * daemon fills in itself). 0, or a negative errno with the reason (and what to do) in err. */
int stats_collect(const char *pin_path, const size_t (*lists)[SNAP_FAMILIES], struct snapshot *s,
		  char *err, size_t errlen);

void stats_write_text(const struct snapshot *s, FILE *out);
void stats_write_json(const struct snapshot *s, FILE *out);

/* --stats: collect and print. 0, or a negative errno (message on stderr). */
int stats_print(const char *pin_path, int json, FILE *out);

#endif
