/* daemon_claim.h - a running daemon's claim on its pin path: a lock file beside the reconcile
 * lock (PINS_LOCK_DIR/vosfp<pin_path>.daemon, the daemon's pid inside), held for the daemon's
 * life. --down looks for it: a daemon that runs on the pins --down removes would notice every
 * attachment gone and put it all back within a second (hook_watch.h), so --down refuses. */
#ifndef VOSFP_DAEMON_CLAIM_H
#define VOSFP_DAEMON_CLAIM_H

#include <sys/types.h>

struct daemon_claim {
	int fd;			/* -1: none held */
	char pin_path[4096];	/* what fd claims */
	int warned;		/* another process holds pin_path's claim: said once */
};

#define DAEMON_CLAIM_INIT { .fd = -1 }

/* Hold the claim on pin_path (releasing one on another path): after each good reconcile, so
 * the claim follows a pin_path edit, and a claim another daemon held is taken once it exits. */
void daemon_claim_follow(struct daemon_claim *c, const char *pin_path);
void daemon_claim_release(struct daemon_claim *c);

#define DAEMON_CLAIM_HELD_PID_UNKNOWN	(-1)
#define DAEMON_CLAIM_CANNOT_TELL	(-2)	/* no lock directory of ours: not root */

/* The pid of the process holding pin_path's claim, 0 when none holds it, or one of the two
 * values above. */
pid_t daemon_claim_holder(const char *pin_path);

#endif
