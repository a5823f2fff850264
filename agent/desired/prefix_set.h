/* prefix_set.h - a sorted, duplicate-free set of prefixes: the shape in which the desired and
 * the observed lists are compared. */
#ifndef VOSFP_PREFIX_SET_H
#define VOSFP_PREFIX_SET_H

#include <stddef.h>

#include "addr.h"

struct prefix_set {
	struct vosfp_prefix *v;
	size_t n, cap;
};

int prefix_set_add(struct prefix_set *s, const struct vosfp_prefix *p);	/* unsorted append */
int prefix_set_reserve(struct prefix_set *s, size_t more);	/* room for `more` appends */
void prefix_set_finish(struct prefix_set *s);	/* sort and drop duplicates */
int prefix_set_contains(const struct prefix_set *s, const struct vosfp_prefix *p); /* finished sets */
int prefix_cmp(const struct vosfp_prefix *a, const struct vosfp_prefix *b);
void prefix_set_free(struct prefix_set *s);

#endif
