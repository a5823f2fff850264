/* decision.h - one outside decision (CrowdSec) as vosfp holds it, and the text forms the LAPI gives
 * decisions in: values by scope, Go durations, origin names. Pure: no I/O, no clock; the held set
 * and the kernel maps are other files' jobs. */
#ifndef VOSFP_DECISION_H
#define VOSFP_DECISION_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* A decision as the LAPI stated it: what, from whom, for how long from the response. */
struct lapi_decision {
	struct vosfp_prefix prefix;
	uint8_t origin;			/* enum vosfp_origin */
	int64_t duration_ns;		/* as given: zero or negative in deletions and expired ones */
};

/* A decision vosfp holds: until when, on the datapath's clock. */
struct decision {
	struct vosfp_prefix prefix;
	uint8_t origin;			/* enum vosfp_origin */
	uint64_t expires;		/* CLOCK_MONOTONIC_COARSE ns */
};

/* A decision's class (bpf/vosfp.h) from its LAPI origin and scenario: a scenario of vosfp's
 * watchers ("vosfp/...") is VOSFP_ORIGIN_VOSFP whatever its origin; otherwise by origin:
 * "crowdsec"; "cscli", "cscli-import"; "CAPI", "lists"; anything else is VOSFP_ORIGIN_OTHER.
 * scenario may be NULL. */
uint8_t decision_origin_class(const char *origin, const char *scenario);
/* The class's name in --stats and /metrics: crowdsec, cscli, lists, vosfp, other. */
const char *decision_origin_name(uint8_t origin);

/* What vosfp's watcher writes into the decisions it publishes: the origin of a security engine's
 * decisions (others are hidden from a plain `cscli alerts list`), under scenarios of its own. */
#define DECISION_OWN_ORIGIN "crowdsec"
#define DECISION_OWN_SCENARIO_PREFIX "vosfp/"

/* A Go duration ("3h59m58.3s", "-14.2ms", "0s") to ns: 0, or -1 when it is not one or does not
 * fit in 64 bits. */
int decision_duration_parse(const char *text, int64_t *ns);

/* A decision's value in its scope: range = 0 (scope Ip) takes an address, with at most a
 * full-length suffix (/32, /128); range = 1 (scope Range) takes address/length, host bits
 * cleared (the LAPI keeps "192.0.2.7/24" as written). IPv4-mapped IPv6 (::ffff:a.b.c.d, and
 * ranges of /96 and longer inside it) becomes IPv4, as the packets carry it. 0, or -1 with the
 * reason in err (as long as errlen allows). */
int decision_value_parse(int range, const char *value, struct vosfp_prefix *out, char *err, size_t errlen);

/* The datapath's per-source key (bpf/vosfp.h: IPv4 as ::ffff:a.b.c.d) of a one-address prefix,
 * to meet auto-blocks: 0, or -1 for a range. */
int decision_source_key(const struct vosfp_prefix *p, struct vosfp_src_key *k);

/* The order decisions are held in: family, then address, then length. A prefix comes right
 * before every prefix it contains (they share its first address or follow it, before the first
 * address past its end), so one pass finds each entry's covers. */
int decision_cmp(const struct vosfp_prefix *a, const struct vosfp_prefix *b);
void decision_sort(struct decision *v, size_t n);

#endif
