/* decision_load.h - the bench's CrowdSec fleet: N decisions of the mix a LAPI hands over (mostly
 * IPv4 addresses, some /24 ranges, some IPv6), written into the program's decision maps by the
 * agent's own code (decision_set.c for the image and summaries, decision_map.c for the writes),
 * and sources for the rows that meet them. Never near 198.18.0.2 or 2001:db8::2, the sources of
 * the other rows. */
#ifndef VOSFP_BENCH_DECISION_LOAD_H
#define VOSFP_BENCH_DECISION_LOAD_H

#include <arpa/inet.h>
#include <stdint.h>

struct harness;

enum decision_kind { DECISION_EXACT4, DECISION_IN_RANGE4, DECISION_EXACT6, DECISION_KINDS };
#define DECISION_CANDIDATES 32

struct decision_load {
	uint32_t count;			/* decisions in force */
	uint32_t v4, v4_ranges, v6;	/* of which */
	double ms;			/* image, summaries and map writes */
	double v4_sum_density;		/* % of dec_v4_sum's bits set */
	/* Candidate sources for the rows, by kind: under an IPv4 address decision, inside a /24
	 * decision with no address decision of its own, under an IPv6 address decision. The bench
	 * takes the first the blocklist leaves alone. */
	char cand[DECISION_KINDS][DECISION_CANDIDATES][INET6_ADDRSTRLEN];
	int cand_n[DECISION_KINDS];
};

/* 0, or a negative errno (message on stderr). */
int decision_load(struct harness *h, uint32_t count, struct decision_load *out);

#endif
