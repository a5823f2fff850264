/* stats.h - the datapath's counters from the pinned per-CPU map, for humans or as JSON. */
#ifndef VOSFP_STATS_H
#define VOSFP_STATS_H

#include <stdio.h>

/* 0, or a negative errno (message on stderr) when the pinned counters cannot be read. */
int stats_print(const char *pin_path, int json, FILE *out);

#endif
