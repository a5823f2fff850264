/* prog_harness.h - loads sip_xdp_prog through its skeleton and drives it with
 * BPF_PROG_TEST_RUN: policy in, frames through, verdicts and exact counter totals out. */
#ifndef VOSFP_TEST_PROG_HARNESS_H
#define VOSFP_TEST_PROG_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "summary.h"

struct sip_logic;

struct harness {
	struct sip_logic *skel;
	int prog_fd;
	int guard_fd;				/* sip_tc_guard, the TC program of mode changes */
	int block_fds[VOSFP_LIST_MAPS];		/* indexed by enum vosfp_list_map */
	int allow_fds[VOSFP_LIST_MAPS];
	int block_nets6_h_fd;			/* blocked_nets6_h: the blocklist's v6 prefixes again */
	int counters_fd;
	int config_fd;
	int iface_slots_fd, iface_counters_fd;	/* per-interface counting (bpf/vosfp.h) */
	int ncpus;
	int sum_fds[SUMMARY_KINDS];		/* summaries, by enum summary_kind */
	uint64_t *sums[SUMMARY_KINDS];		/* what the harness has written into them */
};

/* Open and load the object; blocklist_max sizes the blocklist maps (0 = object default).
 * Returns 0 or a negative errno (message on stderr). */
int harness_open(struct harness *h, uint32_t blocklist_max);
void harness_close(struct harness *h);

/* A timed block of key in auto_blocked, as the agent restores one: the horizon and the key's
 * slot raised to its expiry first (bpf/vosfp.h: auto_block_slots). 0 or a negative errno. */
int harness_auto_block(struct harness *h, const struct vosfp_src_key *key, const struct vosfp_auto_block *b);

/* What the programs' clock reads now (ns; a few ticks behind CLOCK_MONOTONIC_COARSE at most):
 * the time to write expiries against when a test needs them exact. */
uint64_t harness_now(struct harness *h);

/* Runtime config (NULL = all zero: seed defaults). */
int harness_set_config(struct harness *h, const struct vosfp_config *cfg);

/* The scanner tokens (NULL: the defaults; -1 from a token with no key) in scanner_tokens, and
 * their free slots in scanner_free, written as the agent writes them; the maps held none before. */
int harness_set_scanners(struct harness *h, const char *const *tokens, unsigned n);

/* Add / remove one entry in the blocklist or allowlist. */
int harness_block(struct harness *h, const struct vosfp_prefix *p);
int harness_allow(struct harness *h, const struct vosfp_prefix *p);
int harness_unlist(struct harness *h, int blocklist, const struct vosfp_prefix *p);
/* Parse and add; aborts the test process on a bad literal. */
void harness_block_str(struct harness *h, const char *text);
void harness_allow_str(struct harness *h, const char *text);
/* Empty both lists (and their summaries). */
int harness_clear_lists(struct harness *h);

/* The summaries (IPv4 and IPv6, the v6 prefix index's too) follow every harness_block/
 * harness_allow, and blocked_nets6_h every change of blocked_nets6. After filling the list maps
 * any other way, rebuild them from the maps' contents with this (blocked_nets6_h included). The
 * datapath reads them only under VOSFP_F_V4_SUMMARY / VOSFP_F_V6_SUMMARY_* /
 * VOSFP_F_V6_PREFIX_INDEX / VOSFP_F_V4_PART_SUMMARY in the config (HARNESS_SUMMARIES: all). */
int harness_sync_summaries(struct harness *h);
#define HARNESS_SUMMARIES (VOSFP_F_V4_SUMMARY | VOSFP_F_V6_SUMMARY_BLOCK | VOSFP_F_V6_SUMMARY_ALLOW | \
			   VOSFP_F_V6_PREFIX_INDEX | VOSFP_F_V4_PART_SUMMARY)

/* The summaries as they are now (saved: SUMMARY_KINDS arrays, allocated here), and back to them
 * (the maps and the harness's copy; saved is freed): harness_unlist leaves the summaries as they
 * were, so entries listed and unlisted in between leave them exactly as saved. */
int harness_snapshot(struct harness *h, uint64_t *saved[SUMMARY_KINDS]);
int harness_restore(struct harness *h, uint64_t *saved[SUMMARY_KINDS]);

/* Run one frame once; returns the XDP action or a negative errno. */
int harness_run(struct harness *h, const uint8_t *frame, size_t len);

/* Run one frame once as if received on ifindex (the test-run ctx's ingress_ifindex: the kernel
 * wants a device that exists, e.g. lo). */
int harness_run_on(struct harness *h, const uint8_t *frame, size_t len, uint32_t ifindex);

/* Run one frame once through the TC guard as an skb received on ifindex (0: none); *verdict
 * gets its TC action (-1 TC_ACT_UNSPEC: no verdict, 2 TC_ACT_SHOT: dropped). 0 or -errno. */
int harness_guard_run_on(struct harness *h, const uint8_t *frame, size_t len, uint32_t ifindex,
			 int *verdict);

/* Count packets received on ifindex in this slot (0: back to "other"). */
int harness_set_iface_slot(struct harness *h, uint32_t ifindex, uint32_t slot);

/* One slot's counters, per counter index, summed over all CPUs. */
int harness_iface_traffic(struct harness *h, uint32_t slot, struct vosfp_traffic out[VOSFP_COUNTER_SLOTS]);

/* Run one frame `repeat` times in the kernel; *ns_per_run gets the kernel's average. */
int harness_run_repeat(struct harness *h, const uint8_t *frame, size_t len, uint32_t repeat,
		       uint32_t *ns_per_run);

/* Run one frame once through the egress program (sip_answers, TC); its return code (it always
 * returns TC_ACT_UNSPEC, -1) or a negative errno. */
int harness_run_egress(struct harness *h, const uint8_t *frame, size_t len);
int harness_run_egress_repeat(struct harness *h, const uint8_t *frame, size_t len, uint32_t repeat,
			      uint32_t *ns_per_run);

/* The egress program's counters (enum vosfp_answer_counter), summed over all CPUs. */
int harness_answer_counters(struct harness *h, uint64_t out[VOSFP_COUNTER_SLOTS]);

/* Run one frame once; *moved gets the one counter that moved, by one (-1: none; -2: several, or
 * one by more than one). The XDP action, or a negative errno. */
int harness_run_counted(struct harness *h, const uint8_t *frame, size_t len, int *moved);

/* Counter slots 0..slots-1 summed over all CPUs into out[0..slots-1]. */
int harness_counters(struct harness *h, uint64_t *out, unsigned slots);
int harness_reset_counters(struct harness *h);

#endif
