/* prefix_set.c - sorted prefix sets; the order (family, length, address) is arbitrary but total,
 * which is all a merge-style diff needs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prefix_set.h"

int prefix_cmp(const struct vosfp_prefix *a, const struct vosfp_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int cmp_void(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

int prefix_set_add(struct prefix_set *s, const struct vosfp_prefix *p)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct vosfp_prefix *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *p;
	return 0;
}

void prefix_set_finish(struct prefix_set *s)
{
	size_t out = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_void);
	for (size_t i = 1; i < s->n; i++)
		if (prefix_cmp(&s->v[out], &s->v[i]))
			s->v[++out] = s->v[i];
	s->n = out + 1;
}

int prefix_set_contains(const struct prefix_set *s, const struct vosfp_prefix *p)
{
	return s->n && bsearch(p, s->v, s->n, sizeof(*s->v), cmp_void) != NULL;
}

void prefix_set_free(struct prefix_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}
