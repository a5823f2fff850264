/* autoblock_map.h - the pinned auto_blocked map: read its live entries (for --stats, /metrics
 * and the daemon's watch), add restored ones; and the daemon's once-a-second watch over it: a
 * log line per block and release, and the optional persist file (auto_block.persist_file). */
#ifndef VOSFP_AUTOBLOCK_MAP_H
#define VOSFP_AUTOBLOCK_MAP_H

#include <limits.h>

#include "autoblock.h"

/* CLOCK_MONOTONIC_COARSE in ns: the scale of the datapath's expiries (bpf/vosfp.h: struct
 * vosfp_clock, a few ticks behind it at most). */
__u64 autoblock_now(void);
void autoblock_clocks_now(struct autoblock_clocks *c);

/* The entries of <pin_path>/auto_blocked still live at now, sorted. No such map (pins of an
 * older object, or nothing applied) is an empty set. 0, or a negative errno with err. */
int autoblock_map_read(const char *pin_path, __u64 now, struct autoblock_set *out, char *err, size_t errlen);

/* Every entry of <pin_path>/auto_block_history (the latest block of each source, expired or
 * not, with its repeats), sorted. No such map: an empty set. 0, or a negative errno with err. */
int autoblock_history_read(const char *pin_path, struct autoblock_set *out, char *err, size_t errlen);

/* New maps (datapath.c): the live blocks and the history pinned under pin_path move into the
 * maps blocks_fd and history_fd (-1: none). Returns the live blocks moved. */
size_t autoblock_carry(const char *pin_path, int blocks_fd, int history_fd);

/* auto_block_horizon and auto_block_slots (bpf/vosfp.h; slots_fd -1: an object without them):
 * raise them (they never go down) to cover the live entries of the auto_blocked map blocked_fd,
 * e.g. new maps beside entries made before them. 0 or a negative errno. (Restoring from the
 * persist file raises them itself.) */
int autoblock_horizon_cover(int blocked_fd, int horizon_fd, int slots_fd);

/* The daemon's view, kept between ticks. */
struct autoblock_watch {
	struct autoblock_set seen;		/* at the last tick */
	struct autoblock_set written;		/* what the persist file holds */
	int file_valid;				/* written reflects the file */
	char persist[PATH_MAX];			/* "" when not persisting */
	__u32 repeat_within_ms;			/* repeat offenders on: the file keeps histories */
	char write_error[1024];			/* why the last write failed, "" after a success */
};

#define AUTOBLOCK_TICK_MS 1000
#define AUTOBLOCK_LOG_CAP 20			/* lines per tick, then "... and N more" */
/* The largest persist file worth reading: a line for each of the most live blocks a config can
 * allow (VOSFP_DEFENCE_MAP_MAX) and, with repeat offenders on, as many expired histories; a line
 * is at most 105 bytes (longest address, time, reason, " repeat=N"). */
#define AUTOBLOCK_PERSIST_MAX_BYTES (2ULL * VOSFP_DEFENCE_MAP_MAX * 112ULL)

/* After every successful reconcile: take persist_file ("" for none) and, when it is new (the
 * first reconcile included), restore its live entries into the map and their histories (with
 * repeat offenders on, repeat_within_ms > 0, the expired ones it kept too). */
void autoblock_watch_follow(struct autoblock_watch *w, const char *pin_path, const char *persist_file,
			    __u32 repeat_within_ms);

/* Once a second: read the map (and the history, with repeat offenders on), log what changed,
 * rewrite the persist file if what it would say changed. */
void autoblock_watch_tick(struct autoblock_watch *w, const char *pin_path);

void autoblock_watch_free(struct autoblock_watch *w);

#endif
