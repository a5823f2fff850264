/* admission.c - see admission.h. Linear in the slots while one is free; once all are taken, one
 * sort of the slots by source finds the source holding the most, so a flood from many sources
 * costs n log n per accept, never n squared. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"

void admission_source_of(const struct sockaddr_storage *peer, struct admission_source *out)
{
	memset(out, 0, sizeof(*out));
	if (peer->ss_family == AF_INET) {
		out->key[0] = 4;
		memcpy(out->key + 1, &((const struct sockaddr_in *)peer)->sin_addr, 4);
	} else if (peer->ss_family == AF_INET6) {
		out->key[0] = 6;
		memcpy(out->key + 1, &((const struct sockaddr_in6 *)peer)->sin6_addr, 8);
	}
}

static int same_source(const struct admission_source *a, const struct admission_source *b)
{
	return !memcmp(a->key, b->key, sizeof(a->key));
}

/* Is slot a sooner given up than slot b (both occupied)? */
static int gives_way_before(const struct admission_slot *a, const struct admission_slot *b)
{
	return a->stage != b->stage ? a->stage < b->stage : a->since < b->since;
}

static int by_source(const void *x, const void *y, void *ctx)
{
	const struct admission_slot *slots = ctx;

	return memcmp(slots[*(const unsigned *)x].source.key, slots[*(const unsigned *)y].source.key,
		      sizeof(slots->source.key));
}

/* Every slot is taken: the most expendable slot of the source holding the most, counting the
 * newcomer with its own (of sources holding equally many, the one whose candidate gives way
 * first). */
static int from_busiest_source(const struct admission_slot *slots, unsigned n, const struct admission_source *from)
{
	unsigned *order = malloc(n * sizeof(*order)), best_count = 0;
	int best = -1;

	if (!order)
		return admission_expendable(slots, n);	/* no memory: fairness is a nicety here */
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_source, (void *)slots);
	for (unsigned run = 0, end; run < n; run = end) {
		int candidate = (int)order[run];
		unsigned count;

		for (end = run + 1; end < n && same_source(&slots[order[end]].source, &slots[order[run]].source); end++)
			if (gives_way_before(&slots[order[end]], &slots[candidate]))
				candidate = (int)order[end];
		count = end - run + same_source(&slots[candidate].source, from);
		if (count > best_count || (count == best_count && gives_way_before(&slots[candidate], &slots[best]))) {
			best_count = count;
			best = candidate;
		}
	}
	free(order);
	return best;
}

int admission_choose(const struct admission_slot *slots, unsigned n, const struct admission_source *from)
{
	for (unsigned i = 0; i < n; i++)
		if (slots[i].stage == STAGE_FREE)
			return (int)i;
	return n ? from_busiest_source(slots, n, from) : -1;
}

int admission_expendable(const struct admission_slot *slots, unsigned n)
{
	int best = -1;

	for (unsigned i = 0; i < n; i++)
		if (slots[i].stage != STAGE_FREE && (best < 0 || gives_way_before(&slots[i], &slots[best])))
			best = (int)i;
	return best;
}
