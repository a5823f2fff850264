/* lapi_worker.h - the CrowdSec feed's worker thread, the one place that waits on the network. It
 * polls the LAPI's decision stream (a startup answer first and after any failure, then
 * incremental ones each poll interval, backing off while the LAPI does not answer), parses each
 * answer whole, and hands complete, validated batches to the reconcile loop through a queue and
 * an eventfd. When publishing, it logs in as a watcher and posts the auto-blocks the loop hands
 * it. It never touches a BPF map; the loop only ever takes its lock to move items in or out.
 *
 * Why a thread and not libcurl's multi interface in the loop's poll(): a 100,000-decision answer
 * takes json-c ~250 ms to parse, which the loop would spend away from file events; a thread
 * does the fetch and the parse, and the loop gets a batch it applies in a few ms. */
#ifndef VOSFP_LAPI_WORKER_H
#define VOSFP_LAPI_WORKER_H

#include <stdint.h>

#include "autoblock.h"
#include "desired.h"
#include "lapi_stream.h"
#include "secret_file.h"

/* Everything the thread needs, copied in: it shares nothing else with the loop. */
struct worker_settings {
	struct desired_crowdsec cs;
	char api_key[SECRET_KEY_MAX + 1];
	struct machine_credentials creds;	/* when cs.credentials_file is set */
	char user_agent[64];			/* "vosfp/0.1.0" */
	char host[256];				/* this node, in alert messages */
};

/* One answer, validated whole. */
struct worker_batch {
	struct worker_batch *next;
	int startup;				/* replaces the held set */
	uint64_t received;			/* coarse ns: its durations count from here */
	double fetch_ms, parse_ms;		/* how long the exchange and the parse took */
	struct lapi_batch b;
};

/* Failure kinds: a new kind in an outage is logged, a repeat is not. */
enum worker_failure { WF_NONE, WF_UNREACHABLE, WF_KEY, WF_STATUS, WF_REJECTED };

struct worker_stats {
	int lapi_up;				/* the last poll was answered and accepted */
	int synced;				/* a startup answer was taken since the worker started */
	double last_success;			/* Unix time of the last accepted answer; 0: none */
	unsigned long long polls_ok, polls_failed;
	unsigned long long skipped[LAPI_SKIPS];	/* decisions set aside, since start */
	unsigned long long alerts_posted, alerts_failed;
	size_t alerts_pending;
	enum worker_failure failing;		/* the current outage's kind, WF_NONE when up */
};

struct worker;

/* Start the thread. NULL (with err) when it cannot. */
struct worker *worker_start(const struct worker_settings *s, char *err, size_t errlen);

/* Readable when batches wait (an eventfd). */
int worker_fd(const struct worker *w);

/* The batches handed over since the last call, oldest first; the eventfd is drained. Each is freed
 * with worker_batch_free. */
struct worker_batch *worker_take(struct worker *w);
void worker_batch_free(struct worker_batch *b);

void worker_get_stats(struct worker *w, struct worker_stats *out);

/* Queue own auto-blocks for publishing (nothing when not publishing). Posted once the worker has
 * taken a startup answer, unless the LAPI already holds a vosfp decision on the source lasting
 * as long; dropped when the block ends first. */
void worker_publish(struct worker *w, const struct autoblock *blocks, size_t n);

/* Tell the thread to end and let go of it: it finishes on its own (within about a second), its
 * pending batches are dropped. wait_ms > 0: wait that long for it at most (at exit). */
void worker_stop(struct worker *w, long wait_ms);

#endif
