/* lapi_stream.h - the CrowdSec LAPI's JSON answers as vosfp reads them: the decision stream
 * (GET /v1/decisions/stream: {"new": [...], "deleted": [...]}) and the decision list
 * (GET /v1/decisions: [...]). Pure functions of their bytes: an answer is accepted whole, as a
 * validated batch, or refused whole with the reason; nothing partial ever leaves here. */
#ifndef VOSFP_LAPI_STREAM_H
#define VOSFP_LAPI_STREAM_H

#include <stddef.h>

#include "decision.h"

#define LAPI_SCOPE_IP (1u << 0)
#define LAPI_SCOPE_RANGE (1u << 1)

/* Which decisions vosfp enforces (the crowdsec section's scopes, types and origins). */
struct lapi_filter {
	unsigned scopes;			/* LAPI_SCOPE_* */
	const char *const *types;		/* e.g. "ban"; compared without case */
	unsigned type_count;
	const char *const *origins;		/* LAPI origin names; none: every origin */
	unsigned origin_count;
};

/* Why a well-formed decision was set aside (counted, never an error). */
enum lapi_skip {
	LAPI_SKIP_SCOPE,			/* a scope not enforced: Country, AS, Username, ... */
	LAPI_SKIP_TYPE,				/* a type not enforced: captcha, throttle, ... */
	LAPI_SKIP_ORIGIN,			/* an origin the filter leaves out */
	LAPI_SKIP_EXPIRED,			/* a "new" one whose duration is already over */
	LAPI_SKIPS
};

struct lapi_list {
	struct lapi_decision *v;
	size_t n, cap;
};

struct lapi_batch {
	struct lapi_list add;			/* "new" (or the whole list), in the answer's order */
	struct lapi_list del;			/* "deleted" */
	size_t skipped[LAPI_SKIPS];		/* among the new ones */
};

/* The names of enum lapi_skip in logs and /metrics: scope, type, origin, expired. */
extern const char *const lapi_skip_names[LAPI_SKIPS];

/* Parse a stream answer of len bytes (no terminating NUL needed). 0 and *out filled; or -1,
 * *out empty, and err saying what is wrong and where ("new[12]: value ..."). */
int lapi_stream_parse(const char *body, size_t len, const struct lapi_filter *f, struct lapi_batch *out,
		      char *err, size_t errlen);

/* The same for a list answer (a JSON array of decisions, or null): everything lands in add. */
int lapi_list_parse(const char *body, size_t len, const struct lapi_filter *f, struct lapi_batch *out,
		    char *err, size_t errlen);

void lapi_batch_free(struct lapi_batch *b);

#endif
