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

/* IPv4 addresses of one (family, length) bucket: three 11-bit LSD radix passes over the address
 * as a number (the struct is rebuilt from it: family and length are the bucket's, the other
 * address bytes zero). Linear, where a comparison sort of the biggest bucket was most of a
 * reload; 11-bit digits keep each pass's 2048 counters and write cursors in L1 (16-bit digits
 * scattered a million writes over 65536 places: measured slower). */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)

static int sort_v4_bucket(struct vosfp_prefix *v, size_t n)
{
	uint32_t *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
	size_t count[RADIX_SIZE];
	__u8 family = v[0].family, len = v[0].len;

	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (uint32_t)v[i].addr[0] << 24 | (uint32_t)v[i].addr[1] << 16 |
		       (uint32_t)v[i].addr[2] << 8 | v[i].addr[3];
	for (int shift = 0; shift < 32; shift += RADIX_BITS) {
		size_t sum = 0;
		uint32_t *t;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < n; i++)
			count[(a[i] >> shift) & (RADIX_SIZE - 1)]++;
		for (size_t d = 0; d < RADIX_SIZE; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i] >> shift) & (RADIX_SIZE - 1)]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		v[i].family = family;
		v[i].len = len;
		v[i].addr[0] = (__u8)(a[i] >> 24);
		v[i].addr[1] = (__u8)(a[i] >> 16);
		v[i].addr[2] = (__u8)(a[i] >> 8);
		v[i].addr[3] = (__u8)a[i];
	}
	free(a);
	free(b);
	return 0;
}

#define BUCKETS (2 * 129)	/* (family, length): IPv4 /0../32 first, then IPv6 /0../128 */

static unsigned bucket_of(const struct vosfp_prefix *p)
{
	return p->family == 4 ? p->len : 129u + p->len;
}

/* The order of prefix_cmp: bucket by (family, length), which is a counting sort, then each
 * bucket by address. Falls back to the comparison sort when memory is short. */
static void sort_set(struct prefix_set *s)
{
	size_t start[BUCKETS + 1] = { 0 }, fill[BUCKETS];
	unsigned used = 0;

	for (size_t i = 0; i < s->n; i++)
		start[bucket_of(&s->v[i]) + 1]++;
	for (unsigned k = 0; k < BUCKETS; k++) {
		used += start[k + 1] != 0;
		start[k + 1] += start[k];
		fill[k] = start[k];
	}
	/* A big list is mostly one bucket (IPv4 hosts): then it is already in bucket order. */
	if (used > 1) {
		struct vosfp_prefix *tmp = malloc(s->n * sizeof(*tmp));

		if (!tmp) {
			sort_range(s->v, s->n, 64);
			return;
		}
		for (size_t i = 0; i < s->n; i++)
			tmp[fill[bucket_of(&s->v[i])]++] = s->v[i];
		free(s->v);
		s->v = tmp;
		s->cap = s->n;
	}
	for (unsigned k = 0; k < BUCKETS; k++) {
		size_t n = start[k + 1] - start[k];

		if (n < 2)
			continue;
		if (k >= 129 || n < 64 || sort_v4_bucket(s->v + start[k], n))
			sort_range(s->v + start[k], n, 64);
	}
}

void prefix_set_finish(struct prefix_set *s)
{
	size_t out = 0;

	if (!s->n)
		return;
	sort_set(s);
	for (size_t i = 1; i < s->n; i++)
		if (less(&s->v[out], &s->v[i]))	/* sorted: "not equal" is "less" */
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
