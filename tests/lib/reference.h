/* reference.h - the datapath's decision table written for clarity, in plain C, with no BPF:
 * the oracle the differential test holds the kernel program to. */
#ifndef VOSFP_TEST_REFERENCE_H
#define VOSFP_TEST_REFERENCE_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"

struct ref_policy {
	const struct vosfp_config *cfg;		/* NULL: all-zero config (seed defaults) */
	const struct vosfp_prefix *blocked;
	size_t n_blocked;
	const struct vosfp_prefix *allowed;
	size_t n_allowed;
	int xsk_on_queue;			/* an AF_XDP socket is bound to the RX queue */
};

/* XDP action constants, as the kernel's enum xdp_action. */
enum ref_action { REF_ABORTED = 0, REF_DROP = 1, REF_PASS = 2, REF_TX = 3, REF_REDIRECT = 4 };

#define REF_UNCOUNTED (-1)

struct ref_verdict {
	enum ref_action action;
	int counter;				/* enum vosfp_counter, or REF_UNCOUNTED */
};

struct ref_verdict reference_classify(const uint8_t *frame, size_t len, const struct ref_policy *pol);

const char *ref_counter_name(int counter);
const char *ref_action_name(int action);

#endif
