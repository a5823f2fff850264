/* crowdsec_feed.h - the CrowdSec feed as the daemon's loop sees it: it follows the crowdsec
 * section (starts, restarts on new settings or a new key, stops and empties the decision maps),
 * applies the worker's batches to the pinned decision maps, sweeps decisions that ended, and
 * hands vosfp's new auto-blocks to the worker to publish. Never blocks on the network: that is
 * the worker's (lapi_worker.h). Never touches the operator's list maps. */
#ifndef VOSFP_CROWDSEC_FEED_H
#define VOSFP_CROWDSEC_FEED_H

#include "autoblock.h"
#include "desired.h"
#include "lapi_worker.h"

struct feed_status {
	int enabled;				/* a worker is running */
	int publishing;
	struct worker_stats w;
	size_t held[VOSFP_ORIGINS][2];		/* by origin, scope (0 Ip, 1 Range) */
	unsigned long long echoes;		/* own blocks back from the LAPI, not held twice */
	unsigned long long apply_failures;	/* batches the maps refused (read back, tried again) */
};

struct feed;

/* version goes into the User-Agent the LAPI shows ("vosfp/VERSION"). */
struct feed *feed_new(const char *version);
void feed_free(struct feed *f);

/* After every successful reconcile; then feed_tick, so that a new worker meets the live blocks
 * before its first answer. */
void feed_follow(struct feed *f, const struct desired *want);

/* Readable when the worker has batches (-1: no worker); then feed_serve. */
int feed_fd(const struct feed *f);
void feed_serve(struct feed *f);

/* Once a second, with the auto-blocks live now: sweep ended decisions, publish new blocks. */
void feed_tick(struct feed *f, const struct autoblock_set *blocks);

void feed_get_status(struct feed *f, struct feed_status *out);

#endif
