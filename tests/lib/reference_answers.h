/* reference_answers.h - the answer rule of bpf/vosfp.h and the auto-blocks it makes (with
 * repeat offenders), written for a reader in plain C: one answer at a time, Call-IDs compared as
 * exact strings, every state in small arrays. The oracle the answer differential test holds
 * the egress program (sip_answers.bpf.c) and vosfp_auto_block to. No code shared with them: only
 * the layouts and limits of bpf/vosfp.h. */
#ifndef VOSFP_TEST_REFERENCE_ANSWERS_H
#define VOSFP_TEST_REFERENCE_ANSWERS_H

#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "vosfp.h"

#define REF_PEERS 16
#define REF_CALLS 64

/* Deliberate breaks, each a mistake the kernel program could make: the differential test must
 * notice every one of them (it shows the test can fail). */
enum ref_mutant {
	REF_EXACT = 0,
	REF_MUTANT_TRYING_SETTLES,	/* 100 Trying settles a challenge */
	REF_MUTANT_NO_AGING,		/* unanswered challenges never count */
	REF_MUTANT_OFF_BY_ONE,		/* blocks one failure late */
	REF_MUTANT_NO_REPEATS,		/* repeat offenders get the first duration */
	REF_MUTANT_NINE_BLANKS,		/* one blank more before the Call-ID's colon */
	REF_MUTANTS
};

/* What the rule reads of the runtime config (struct vosfp_config's fields of the same names). */
struct ref_rule {
	uint32_t window_ms, challenge_ms, auth_failures_max, not_found_max;
	uint32_t block_ms, repeat_within_ms, repeat_factor, repeat_max_ms;
	int mutant;			/* enum ref_mutant */
};

struct ref_peer {
	struct vosfp_src_key key;
	int has_state;			/* the rule keeps state for it (answer_peers) */
	uint64_t window_start, gen;
	uint32_t failures, not_found, pending, pending_prev;
	/* The auto-block and the history vosfp_auto_block keeps (has_block, has_history). */
	int has_block, has_history;
	uint64_t block_expires, history_expires;
	uint32_t block_reason, repeats;
	int allowlisted;
};

struct ref_call {
	struct vosfp_src_key key;
	char id[VOSFP_CALL_ID_MAX];
	size_t len;
	uint64_t gen;
};

struct ref_answers {
	struct ref_rule rule;
	struct ref_peer peers[REF_PEERS];
	unsigned n_peers;
	struct ref_call calls[REF_CALLS];
	unsigned n_calls;
	uint64_t counters[VOSFP_ANS_COUNT];
};

/* Empty state under rule. */
void ref_answers_init(struct ref_answers *r, const struct ref_rule *rule);

/* Mark an address as allowlisted (before its first answer). */
void ref_answers_allow(struct ref_answers *r, const struct vosfp_src_key *key);

/* One packet leaving a SIP port towards key at time now (ns): its payload, of which len bytes
 * are trusted (the transport's and the IP datagram's lengths, and the frame). */
void ref_answers_step(struct ref_answers *r, const struct vosfp_src_key *key, const uint8_t *payload,
		      size_t len, uint64_t now);

/* The peer's entry (check has_state), NULL when it was never seen nor allowlisted. */
const struct ref_peer *ref_answers_peer(const struct ref_answers *r, const struct vosfp_src_key *key);

#endif
