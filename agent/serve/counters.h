/* counters.h - user space's names for the datapath's counters (bpf/vosfp.h has the indices):
 * one table for the CLI, the JSON output and the tests. */
#ifndef VOSFP_COUNTERS_H
#define VOSFP_COUNTERS_H

#include <linux/types.h>

#include "vosfp.h"

struct vosfp_counter_info {
	const char *name;	/* as in code and test output: "OPTIONS_DROPPED" */
	const char *key;	/* JSON and metrics: "options_dropped" */
	const char *label;	/* for people, the seed's wording: "OPTIONS dropped (stealth)" */
};

extern const struct vosfp_counter_info vosfp_counters[VOSFP_CNT_COUNT];

/* The egress program's counters (enum vosfp_answer_counter), the same way. */
extern const struct vosfp_counter_info vosfp_answer_counters[VOSFP_ANS_COUNT];

/* The name of counter slot i; "unused slot" past the counters in use. */
const char *vosfp_counter_name(int i);

#endif
