/* reconcile.h - one reconcile: build the desired state, read the kernel's, plan, and apply the
 * plan as a transaction (all or nothing). The same entry point serves start, --once and every
 * reload. */
#ifndef VOSFP_RECONCILE_H
#define VOSFP_RECONCILE_H

#include <stdint.h>

#include "desired.h"
#include "summary.h"

enum reconcile_result {
	RECONCILE_OK = 0,
	RECONCILE_INVALID = 2,		/* the config or a list file is invalid: nothing changed */
	RECONCILE_FAILED = 1,		/* the kernel refused: rolled back, previous state kept */
};

/* What the last successful reconcile left in the list maps. The agent is their only writer, so a
 * reload can diff against this instead of reading a million entries back from the kernel. */
struct list_cache {
	int valid;
	struct prefix_set blocked, allowed;
	uint64_t *summaries[SUMMARY_KINDS];	/* the summaries written with them */
	char stamp[64];			/* the lock file's stamp after our last reconcile: another
					 * process's reconcile changes it, and the cache is dropped */
};

void list_cache_drop(struct list_cache *c);

/* On return *want holds the desired state that was read (valid or not: list_files tells the
 * watcher what to watch); the caller frees it with desired_free. cache may be NULL (always read
 * the kernel); otherwise it is used when valid and refreshed on success, when want's lists move
 * into it (want's blocked/allowed are then empty). */
enum reconcile_result reconcile(const char *config, struct desired *want, struct list_cache *cache);

/* Detach from every interface vosfp attached, unpin every map, remove pin_path (and the TC
 * guards an interrupted run left). 0, -errno, or 1: refused, pin_path is not the agent's own
 * directory (safe_path.h), nothing touched. */
int reconcile_down(const char *pin_path);

#endif
