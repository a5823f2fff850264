/* alert.h - vosfp's own auto-blocks as CrowdSec alerts (POST /v1/alerts): each alert carries one
 * ban decision on its source for the time the block has left, under the scenario of the block's
 * reason. Pure: blocks in, JSON text out. */
#ifndef VOSFP_ALERT_H
#define VOSFP_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "autoblock.h"

/* For a block reason without a row in the table (a reason newer than this file). */
#define ALERT_SCENARIO_OTHER "vosfp/auto-block"

/* The scenario of an auto-block reason (enum vosfp_block_reason): "vosfp/sip-flood", ... */
const char *alert_scenario(uint32_t reason);

/* Every scenario vosfp posts under, ALERT_SCENARIO_OTHER included (the watcher's login lists
 * them); *n gets their number. */
const char *const *alert_scenarios(size_t *n);

/* One alert per block, as the JSON array the LAPI takes; now: coarse ns (the blocks' clock),
 * now_unix: the same moment in Unix seconds; host names this node in each message. A string to
 * free, or NULL (out of memory). */
char *alert_json(const struct autoblock *blocks, size_t n, uint64_t now, long long now_unix, const char *host);

#endif
