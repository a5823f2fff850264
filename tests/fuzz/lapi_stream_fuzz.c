/* lapi_stream_fuzz.c - libFuzzer target: the input as a CrowdSec LAPI answer, through
 * lapi_stream_parse (the decision stream) and lapi_list_parse (the decision list), the bytes the
 * agent takes from the network. Beyond no crash, leak, overread or undefined behaviour: an
 * answer is accepted whole or refused whole (a refusal says why and leaves the batch empty); every
 * decision accepted is one the datapath can hold (a valid prefix, host bits clear, a known origin
 * class, a new one still running); a filter never lets through what it leaves out. */
#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "lapi_stream.h"
#include "vosfp.h"

static const char *const ban[] = { "ban" };
static const char *const cscli[] = { "cscli" };
/* What the agent enforces by default (Ip and Range bans from every origin), and a narrow one. */
static const struct lapi_filter wide = { .scopes = LAPI_SCOPE_IP | LAPI_SCOPE_RANGE, .types = ban, .type_count = 1 };
static const struct lapi_filter narrow = { .scopes = LAPI_SCOPE_IP, .types = ban, .type_count = 1,
					   .origins = cscli, .origin_count = 1 };

static int prefix_valid(const struct vosfp_prefix *p)
{
	unsigned bytes = p->family == 4 ? 4 : 16, max = bytes * 8;

	if ((p->family != 4 && p->family != 6) || p->len > max)
		return 0;
	for (unsigned bit = p->len; bit < 128; bit++)	/* past the prefix: zero, IPv4's unused tail too */
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return 0;
	return 1;
}

static void check_list(const struct lapi_list *l, int added, const struct lapi_filter *f)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct lapi_decision *d = &l->v[i];

		if (!prefix_valid(&d->prefix) || d->origin >= VOSFP_ORIGINS)
			abort();	/* a decision the maps cannot hold */
		if (added && d->duration_ns <= 0)
			abort();	/* a new decision already over: it must have been skipped */
		/* Scope Ip: one address, whatever the text said. */
		if (f == &narrow && added && d->prefix.len != (d->prefix.family == 4 ? 32 : 128))
			abort();
	}
}

/* Field by field: the struct's padding is not the parser's to set. */
static int same(const struct lapi_list *a, const struct lapi_list *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->v[i].prefix, &b->v[i].prefix, sizeof(a->v[i].prefix)) ||
		    a->v[i].origin != b->v[i].origin || a->v[i].duration_ns != b->v[i].duration_ns)
			return 0;
	return 1;
}

static void check(const char *body, size_t len, const struct lapi_filter *f, int stream)
{
	struct lapi_batch b, again;
	char err[256] = "", err2[256] = "";
	int r = stream ? lapi_stream_parse(body, len, f, &b, err, sizeof(err))
		       : lapi_list_parse(body, len, f, &b, err, sizeof(err));
	int r2 = stream ? lapi_stream_parse(body, len, f, &again, err2, sizeof(err2))
			: lapi_list_parse(body, len, f, &again, err2, sizeof(err2));

	if (r != r2 || (r && strcmp(err, err2)))
		abort();	/* the same bytes judged twice, otherwise */
	if (r) {
		if (!err[0] || b.add.n || b.del.n)
			abort();	/* refused without a reason, or with something left in the batch */
	} else {
		if (b.add.n != again.add.n || b.del.n != again.del.n || !same(&b.add, &again.add) ||
		    !same(&b.del, &again.del))
			abort();
		if (!stream && b.del.n)
			abort();	/* a list has no deletions */
		check_list(&b.add, 1, f);
		check_list(&b.del, 0, f);
	}
	lapi_batch_free(&b);
	lapi_batch_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, no NUL after it: the parser must stop at len (ASan sees an overread). */
	char *body = malloc(size ? size : 1);

	if (!body)
		return 0;
	if (size)
		memcpy(body, data, size);
	check(body, size, &wide, 1);
	check(body, size, &narrow, 1);
	check(body, size, &wide, 0);
	free(body);
	return 0;
}
