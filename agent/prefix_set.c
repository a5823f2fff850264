/* prefix_set.c - sorted prefix sets; the order (family, length, address) is arbitrary but total,
 * which is all a merge-style diff needs. */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
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

/* The same order as prefix_cmp, inlined: a million-entry list is sorted on every reload, and
 * qsort's call per comparison was most of a reload's time. */
static inline uint64_t be64_at(const __u8 *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static inline int less(const struct vosfp_prefix *a, const struct vosfp_prefix *b)
{
	uint64_t x, y;

	if (a->family != b->family)
		return a->family < b->family;
	if (a->len != b->len)
		return a->len < b->len;
	x = be64_at(a->addr), y = be64_at(b->addr);
	if (x != y)
		return x < y;
	return be64_at(a->addr + 8) < be64_at(b->addr + 8);
}

static void insertion_sort(struct vosfp_prefix *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct vosfp_prefix x = v[i];
		size_t j = i;

		for (; j > 0 && less(&x, &v[j - 1]); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void swap(struct vosfp_prefix *a, struct vosfp_prefix *b)
{
	struct vosfp_prefix t = *a;

	*a = *b;
	*b = t;
}

/* Quicksort, median of three, smaller side first; past a depth bound (hostile input) it hands the
 * range to qsort, so the worst case stays O(n log n). */
static void sort_range(struct vosfp_prefix *v, size_t n, int depth)
{
	while (n > 16) {
		struct vosfp_prefix pivot;
		size_t i = 0, j = n - 1, mid = n / 2;

		if (depth-- == 0) {
			qsort(v, n, sizeof(*v), cmp_void);
			return;
		}
		if (less(&v[mid], &v[0]))
			swap(&v[mid], &v[0]);
		if (less(&v[n - 1], &v[0]))
			swap(&v[n - 1], &v[0]);
		if (less(&v[n - 1], &v[mid]))
			swap(&v[n - 1], &v[mid]);
		pivot = v[mid];
		for (;;) {
			while (less(&v[i], &pivot))
				i++;
			while (less(&pivot, &v[j]))
				j--;
			if (i >= j)
				break;
			swap(&v[i++], &v[j--]);
		}
		/* [0, j] <= pivot <= [j + 1, n) */
		if (j + 1 < n - j - 1) {
			sort_range(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_range(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

int prefix_set_reserve(struct prefix_set *s, size_t more)
{
	size_t cap = s->n + more;
	struct vosfp_prefix *v;

	if (cap <= s->cap)
		return 0;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

int prefix_set_add(struct prefix_set *s, const struct vosfp_prefix *p)
{
	if (s->n == s->cap && prefix_set_reserve(s, s->cap ? s->cap : 64))
		return -ENOMEM;
	s->v[s->n++] = *p;
	return 0;
}

void prefix_set_finish(struct prefix_set *s)
{
	size_t out = 0;

	if (!s->n)
		return;
	sort_range(s->v, s->n, 64);
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
