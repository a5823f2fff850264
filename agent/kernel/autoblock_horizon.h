/* autoblock_horizon.h - raise auto_block_horizon and auto_block_slots (bpf/vosfp.h) over blocks
 * user space is about to add to auto_blocked, so the datapath looks them up: the agent when it
 * restores or carries blocks over (autoblock_map.c), the tests' harness when it puts one in. */
#ifndef VOSFP_AUTOBLOCK_HORIZON_H
#define VOSFP_AUTOBLOCK_HORIZON_H

#include "autoblock.h"

/* The horizon (array map horizon_fd) to the latest expiry in s, and each entry's slot in
 * auto_block_slots (slots_fd; -1: an object that has none) to its own; neither goes down.
 * 0 or a negative errno. */
int autoblock_raise_horizons(int horizon_fd, int slots_fd, const struct autoblock_set *s);

#endif
