/* decision_set.h - the decisions the agent holds, and the image they give the kernel's decision
 * maps: per prefix its own decision and the latest expiry covering it (bpf/vosfp.h), plus the
 * summary bits. Pure computations (apply a batch, expire, build and diff images); writing them is
 * decision_map.c's job. */
#ifndef VOSFP_DECISION_SET_H
#define VOSFP_DECISION_SET_H

#include <stddef.h>
#include <stdint.h>

#include "decision.h"
#include "lapi_stream.h"
#include "summary.h"

/* Sorted by decision_cmp, one decision per prefix. */
struct decision_set {
	struct decision *v;
	size_t n, cap;
};

/* The answer of a startup stream: the set becomes exactly its live decisions (what the LAPI no
 * longer lists goes; what it lists takes the expiry it gives now). received: coarse ns at which
 * the answer arrived, the origin of its durations. 0 or -ENOMEM (the set unchanged). */
int decision_set_replace(struct decision_set *s, const struct lapi_list *add, uint64_t received);

/* An incremental answer: del's prefixes go, then add's come in; a prefix held already keeps the
 * later of its two expiries (the LAPI sends each value's longest decision; a shorter one sent
 * later must not cut it short). 0 or -ENOMEM (the set unchanged). */
int decision_set_update(struct decision_set *s, const struct lapi_list *add, const struct lapi_list *del,
			uint64_t received);

/* Drop the decisions over at now; how many went. */
size_t decision_set_expire(struct decision_set *s, uint64_t now);

/* The earliest expiry held (UINT64_MAX when empty): nothing to sweep before it. */
uint64_t decision_set_next_expiry(const struct decision_set *s);

/* Held decisions by origin (enum vosfp_origin) and scope (0 Ip: a whole-length prefix, 1 Range). */
void decision_set_count(const struct decision_set *s, size_t out[VOSFP_ORIGINS][2]);

void decision_set_free(struct decision_set *s);

/* One entry of the kernel's decision maps. */
struct decision_entry {
	struct vosfp_prefix prefix;
	struct vosfp_decision value;
};

/* Sorted by decision_cmp. */
struct decision_image {
	struct decision_entry *v;
	size_t n;
};

/* The image of s: every held prefix, its `expires`/`origin` the latest of itself and every
 * prefix covering it. 0 or -ENOMEM. */
int decision_image_build(const struct decision_set *s, struct decision_image *out);

/* What takes the kernel from have to want: entries to write (new, or another value) and entries
 * to delete (prefixes want lacks). 0 or -ENOMEM. */
int decision_image_diff(const struct decision_image *have, const struct decision_image *want,
			struct decision_image *write, struct decision_image *remove);

/* The held set a kernel image stands for: each entry's own decision, when live at now. 0 or
 * -ENOMEM. */
int decision_set_from_image(const struct decision_image *img, uint64_t now, struct decision_set *out);

void decision_image_free(struct decision_image *img);

/* The summaries (bpf/vosfp.h: dec_v4_sum, dec_v6_sum, dec_v6_wide) of an image, into zeroed
 * arrays of SUMMARY_WORDS words. */
enum decision_summary { DECISION_SUM_V4, DECISION_SUM_V6, DECISION_SUM_V6_WIDE, DECISION_SUMS };
extern const char *const decision_summary_maps[DECISION_SUMS];
void decision_summaries(const struct decision_image *img, uint64_t *const sums[DECISION_SUMS]);

#endif
