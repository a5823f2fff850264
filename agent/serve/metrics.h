/* metrics.h - the Prometheus text exposition (format 0.0.4) of a snapshot and of the daemon's
 * reload statistics. Pure: a struct in, text out; serving it is metrics_server.c's job. */
#ifndef VOSFP_METRICS_H
#define VOSFP_METRICS_H

#include <stdio.h>

#include "snapshot.h"

/* What only the running daemon knows: its reconciles. Kept in its memory, never in the kernel. */
struct reload_stats {
	unsigned long long ok, failed;	/* reconciles since start, the initial one included */
	unsigned long long generation;	/* config generation: successful reconciles (1 = start) */
	double last_timestamp;		/* Unix time the last reconcile ended; 0: none yet */
	double last_duration;		/* its duration in seconds */
	int last_ok;
};

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

void metrics_write(const struct snapshot *s, const struct reload_stats *r, FILE *out);

struct feed_status;

/* The CrowdSec feed's own figures (the running daemon's; only while the section is there). */
void metrics_write_feed(const struct feed_status *f, FILE *out);

#endif
