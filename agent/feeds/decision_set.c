/* decision_set.c - see decision_set.h. Sets and images stay sorted, so every step is a merge:
 * an incremental answer of m decisions costs O(n + m log m), never a sort of all n. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decision_set.h"

const char *const decision_summary_maps[DECISION_SUMS] = {
	[DECISION_SUM_V4] = "dec_v4_sum", [DECISION_SUM_V6] = "dec_v6_sum", [DECISION_SUM_V6_WIDE] = "dec_v6_wide",
};

/* The live decisions of a list, sorted, one per prefix (the latest expiry of duplicates). */
static int from_list(const struct lapi_list *l, uint64_t received, struct decision **out, size_t *n)
{
	struct decision *v = malloc((l->n ? l->n : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].duration_ns > 0)
			v[k++] = (struct decision){ .prefix = l->v[i].prefix, .origin = l->v[i].origin,
						    .expires = received + (uint64_t)l->v[i].duration_ns };
	decision_sort(v, k);
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		if (*n && !decision_cmp(&v[*n - 1].prefix, &v[i].prefix)) {
			if (v[i].expires > v[*n - 1].expires)
				v[*n - 1] = v[i];
			continue;
		}
		v[(*n)++] = v[i];
	}
	*out = v;
	return 0;
}

int decision_set_replace(struct decision_set *s, const struct lapi_list *add, uint64_t received)
{
	struct decision *v;
	size_t n;

	if (from_list(add, received, &v, &n))
		return -ENOMEM;
	free(s->v);
	s->v = v;
	s->n = n;
	s->cap = add->n ? add->n : 1;
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	return decision_cmp(a, b);
}

int decision_set_update(struct decision_set *s, const struct lapi_list *add, const struct lapi_list *del,
			uint64_t received)
{
	struct vosfp_prefix *gone = malloc((del->n ? del->n : 1) * sizeof(*gone));
	struct decision *adds = NULL, *out = NULL;
	size_t na = 0, i = 0, j = 0, k = 0, n = 0;

	if (!gone || from_list(add, received, &adds, &na) ||
	    !(out = malloc((s->n + na ? s->n + na : 1) * sizeof(*out)))) {
		free(gone);
		free(adds);
		return -ENOMEM;
	}
	for (size_t d = 0; d < del->n; d++)
		gone[d] = del->v[d].prefix;
	qsort(gone, del->n, sizeof(*gone), cmp_prefix);
	while (i < s->n || k < na) {
		int c = i == s->n ? 1 : k == na ? -1 : decision_cmp(&s->v[i].prefix, &adds[k].prefix);
		int deleted = 0;

		if (c <= 0) {
			while (j < del->n && decision_cmp(&gone[j], &s->v[i].prefix) < 0)
				j++;
			deleted = j < del->n && !decision_cmp(&gone[j], &s->v[i].prefix);
		}
		if (c < 0) {
			if (!deleted)
				out[n++] = s->v[i];
			i++;
		} else if (c > 0) {
			out[n++] = adds[k++];
		} else {
			out[n] = adds[k];
			if (!deleted && s->v[i].expires > adds[k].expires)
				out[n] = s->v[i];
			n++, i++, k++;
		}
	}
	free(gone);
	free(adds);
	free(s->v);
	s->v = out;
	s->n = n;
	s->cap = n;
	return 0;
}

size_t decision_set_expire(struct decision_set *s, uint64_t now)
{
	size_t k = 0, before = s->n;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].expires > now)
			s->v[k++] = s->v[i];
	s->n = k;
	return before - k;
}

uint64_t decision_set_next_expiry(const struct decision_set *s)
{
	uint64_t first = UINT64_MAX;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].expires < first)
			first = s->v[i].expires;
	return first;
}

static int whole_length(const struct vosfp_prefix *p)
{
	return p->len == (p->family == 4 ? 32 : 128);
}

void decision_set_count(const struct decision_set *s, size_t out[VOSFP_ORIGINS][2])
{
	memset(out, 0, sizeof(size_t) * VOSFP_ORIGINS * 2);
	for (size_t i = 0; i < s->n; i++)
		out[s->v[i].origin < VOSFP_ORIGINS ? s->v[i].origin : VOSFP_ORIGIN_OTHER][!whole_length(&s->v[i].prefix)]++;
}

void decision_set_free(struct decision_set *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Does outer contain inner (inner's first address inside, inner no shorter)? */
static int covers(const struct vosfp_prefix *outer, const struct vosfp_prefix *inner)
{
	return outer->family == inner->family && outer->len <= inner->len &&
	       vosfp_prefix_contains(outer, inner->family, inner->addr);
}

int decision_image_build(const struct decision_set *s, struct decision_image *out)
{
	/* The covers of the current entry, shortest first: at most one per length. */
	size_t chain[129], depth = 0;

	out->n = 0;
	out->v = malloc((s->n ? s->n : 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct decision_entry *e = &out->v[out->n];

		while (depth && !covers(&out->v[chain[depth - 1]].prefix, &s->v[i].prefix))
			depth--;
		memset(e, 0, sizeof(*e));
		e->prefix = s->v[i].prefix;
		e->value.own_expires = e->value.expires = s->v[i].expires;
		e->value.own_origin = e->value.origin = s->v[i].origin;
		/* The nearest cover already carries the latest expiry of all of its own covers. */
		if (depth && out->v[chain[depth - 1]].value.expires > e->value.expires) {
			e->value.expires = out->v[chain[depth - 1]].value.expires;
			e->value.origin = out->v[chain[depth - 1]].value.origin;
		}
		if (depth < sizeof(chain) / sizeof(chain[0]))
			chain[depth++] = out->n;
		out->n++;
	}
	return 0;
}

int decision_image_diff(const struct decision_image *have, const struct decision_image *want,
			struct decision_image *write, struct decision_image *remove)
{
	size_t i = 0, k = 0;

	write->n = remove->n = 0;
	write->v = malloc((want->n ? want->n : 1) * sizeof(*write->v));
	remove->v = malloc((have->n ? have->n : 1) * sizeof(*remove->v));
	if (!write->v || !remove->v) {
		decision_image_free(write);
		decision_image_free(remove);
		return -ENOMEM;
	}
	while (i < have->n || k < want->n) {
		int c = i == have->n ? 1 : k == want->n ? -1 : decision_cmp(&have->v[i].prefix, &want->v[k].prefix);

		if (c < 0) {
			remove->v[remove->n++] = have->v[i++];
		} else if (c > 0) {
			write->v[write->n++] = want->v[k++];
		} else {
			if (memcmp(&have->v[i].value, &want->v[k].value, sizeof(want->v[k].value)))
				write->v[write->n++] = want->v[k];
			i++, k++;
		}
	}
	return 0;
}

int decision_set_from_image(const struct decision_image *img, uint64_t now, struct decision_set *out)
{
	memset(out, 0, sizeof(*out));
	out->v = malloc((img->n ? img->n : 1) * sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < img->n; i++)
		if (img->v[i].value.own_expires > now)
			out->v[out->n++] = (struct decision){ .prefix = img->v[i].prefix,
							      .origin = (uint8_t)img->v[i].value.own_origin,
							      .expires = img->v[i].value.own_expires };
	out->cap = img->n;
	return 0;
}

void decision_image_free(struct decision_image *img)
{
	free(img->v);
	memset(img, 0, sizeof(*img));
}

void decision_summaries(const struct decision_image *img, uint64_t *const sums[DECISION_SUMS])
{
	/* The blocklist's summary rule (summary.c), into the decision maps' own arrays; no "full"
	 * summary: even a covered /24 needs its entry's expiry. */
	uint64_t *as_blocklist[SUMMARY_KINDS] = {
		[SUMMARY_BLOCK_NEAR] = sums[DECISION_SUM_V4], [SUMMARY_BLOCK_V6] = sums[DECISION_SUM_V6],
		[SUMMARY_BLOCK_V6_WIDE] = sums[DECISION_SUM_V6_WIDE],
	};

	for (size_t i = 0; i < img->n; i++)
		summary_add(&img->v[i].prefix, 1, as_blocklist);
}
