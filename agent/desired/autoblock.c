/* autoblock.c - see autoblock.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoblock.h"

static const char *const method_names[VOSFP_METHODS] = { "REGISTER", "INVITE", "OPTIONS", "other" };

static const __u8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

const char *autoblock_addr(const struct vosfp_src_key *k, char *buf, size_t len)
{
	if (!memcmp(k->addr, v4_mapped, sizeof(v4_mapped)))
		inet_ntop(AF_INET, k->addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, k->addr, buf, (socklen_t)len);
	return buf;
}

static const char *const reason_keys[VOSFP_REASONS] = {
	[VOSFP_REASON_RATE] = "rate-limit",
	[VOSFP_REASON_AUTH_FAILURES] = "auth-failures",
	[VOSFP_REASON_ENUMERATION] = "enumeration",
	[VOSFP_REASON_SCANNER] = "scanner",
};

const char *autoblock_reason_key(__u32 reason)
{
	return reason < VOSFP_REASONS ? reason_keys[reason] : NULL;
}

const char *autoblock_reason(__u32 reason, __u32 method, char *buf, size_t len)
{
	if (reason == VOSFP_REASON_RATE && method < VOSFP_METHODS)
		snprintf(buf, len, "rate limit %s", method_names[method]);
	else if (reason != VOSFP_REASON_RATE && autoblock_reason_key(reason))
		snprintf(buf, len, "%s", autoblock_reason_key(reason));
	else
		snprintf(buf, len, "reason %u", reason);
	return buf;
}

int autoblock_reason_parse(const char *text, __u32 *reason, __u32 *method)
{
	static const char prefix[] = "rate limit ";

	for (__u32 r = 0; r < VOSFP_REASONS; r++)
		if (r != VOSFP_REASON_RATE && reason_keys[r] && !strcmp(text, reason_keys[r])) {
			*reason = r;
			*method = 0;
			return 0;
		}
	if (strncmp(text, prefix, sizeof(prefix) - 1))
		return -1;
	for (__u32 m = 0; m < VOSFP_METHODS; m++)
		if (!strcmp(text + sizeof(prefix) - 1, method_names[m])) {
			*reason = VOSFP_REASON_RATE;
			*method = m;
			return 0;
		}
	return -1;
}

int autoblock_key_parse(const char *text, struct vosfp_src_key *k)
{
	memset(k, 0, sizeof(*k));
	if (inet_pton(AF_INET, text, k->addr + 12) == 1) {
		memcpy(k->addr, v4_mapped, sizeof(v4_mapped));
		return 0;
	}
	return inet_pton(AF_INET6, text, k->addr) == 1 ? 0 : -1;
}

unsigned long long autoblock_seconds_left(const struct autoblock *b, __u64 now)
{
	return b->expires > now ? (b->expires - now + 999999999ULL) / 1000000000ULL : 0;
}

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct autoblock *)a)->key, &((const struct autoblock *)b)->key,
		      sizeof(struct vosfp_src_key));
}

void autoblock_sort(struct autoblock_set *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), by_key);
}

void autoblock_set_free(struct autoblock_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int autoblock_set_copy(struct autoblock_set *to, const struct autoblock_set *from)
{
	struct autoblock *v = malloc((from->n ? from->n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (from->n)	/* from->v may be NULL then: memcpy(.., NULL, 0) is undefined */
		memcpy(v, from->v, from->n * sizeof(*v));
	autoblock_set_free(to);
	to->v = v;
	to->n = from->n;
	return 0;
}

int autoblock_set_equal(const struct autoblock_set *a, const struct autoblock_set *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (by_key(&a->v[i], &b->v[i]) || a->v[i].expires != b->v[i].expires ||
		    a->v[i].repeats != b->v[i].repeats)
			return 0;
	return 1;
}

struct emitter {
	autoblock_emit_fn emit;
	void *ctx;
	size_t cap, done;
};

static void note(struct emitter *e, enum autoblock_change what, const struct autoblock *b)
{
	if (e->done++ < e->cap)
		e->emit(e->ctx, what, b);
}

size_t autoblock_diff(const struct autoblock_set *prev, const struct autoblock_set *cur,
		      autoblock_emit_fn emit, void *ctx, size_t cap, size_t *more)
{
	struct emitter e = { .emit = emit, .ctx = ctx, .cap = cap };
	size_t i = 0, j = 0;

	while (i < prev->n || j < cur->n) {
		int c = i == prev->n ? 1 : j == cur->n ? -1 : by_key(&prev->v[i], &cur->v[j]);

		if (c < 0) {
			note(&e, AUTOBLOCK_RELEASED, &prev->v[i++]);
		} else if (c > 0) {
			note(&e, AUTOBLOCK_BLOCKED, &cur->v[j++]);
		} else {
			/* A renewed block (the source flooded again after its release, between two
			 * readings) is a new block: say so. */
			if (prev->v[i].expires != cur->v[j].expires)
				note(&e, AUTOBLOCK_BLOCKED, &cur->v[j]);
			i++, j++;
		}
	}
	*more = e.done > cap ? e.done - cap : 0;
	return e.done;
}

int autoblock_line_format(const struct autoblock *b, const struct autoblock_clocks *c, int with_repeats,
			  char *buf, size_t len)
{
	char addr[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN], repeats[24] = "";
	/* Rounded up to a whole second: a restored block never ends before the original would. An
	 * expired one (history) is written rounded down, to the second it ended in. */
	long long at = b->expires > c->mono_ns ? (long long)autoblock_seconds_left(b, c->mono_ns)
					       : -(long long)((c->mono_ns - b->expires) / 1000000000ULL);

	if (with_repeats)
		snprintf(repeats, sizeof(repeats), " repeat=%u", b->repeats);
	return snprintf(buf, len, "%s %lld %s%s\n", autoblock_addr(&b->key, addr, sizeof(addr)),
			c->realtime_s + at, autoblock_reason(b->reason, b->method, reason, sizeof(reason)),
			repeats);
}

/* A trailing " repeat=N" of the reason text p (n bytes): N in *repeats, n shortened. 1 when
 * there is one. */
static int take_repeats(const char *p, size_t *n, __u32 *repeats)
{
	static const char word[] = " repeat=";
	size_t k = *n;
	unsigned long v = 0;

	while (k && p[k - 1] >= '0' && p[k - 1] <= '9')
		k--;
	if (k == *n || *n - k > 9 || k < sizeof(word) - 1 ||
	    strncmp(p + k - (sizeof(word) - 1), word, sizeof(word) - 1))
		return 0;
	for (size_t i = k; i < *n; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	*repeats = v > VOSFP_REPEATS_MAX ? VOSFP_REPEATS_MAX : (__u32)v;
	*n = k - (sizeof(word) - 1);
	return 1;
}

int autoblock_line_parse(const char *line, const struct autoblock_clocks *c, __u64 repeat_within_ns,
			 struct autoblock *out, char *err, size_t errlen)
{
	char addr[AUTOBLOCK_ADDR_STRLEN + 1];
	const char *p = line, *end;
	long long expiry;
	int history;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	n = strcspn(p, " \t");
	if (n >= sizeof(addr)) {
		snprintf(err, errlen, "its first word is too long for an address");
		return -1;
	}
	memcpy(addr, p, n);
	addr[n] = 0;
	memset(out, 0, sizeof(*out));
	/* The reasons never quote the line: a file that is not ours (a link, a hand edit) must not
	 * leak its words into the log. */
	if (autoblock_key_parse(addr, &out->key)) {
		snprintf(err, errlen, "its first word is not an IPv4 or IPv6 address");
		return -1;
	}
	p += n;
	errno = 0;
	expiry = strtoll(p, (char **)&end, 10);
	if (end == p || errno || (*end != ' ' && *end != '\t') || expiry < 0) {
		snprintf(err, errlen, "expected ADDRESS EXPIRY_UNIX_SECONDS REASON");
		return -1;
	}
	for (p = end; *p == ' ' || *p == '\t'; p++)
		;
	n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	history = take_repeats(p, &n, &out->repeats);
	{
		char reason[AUTOBLOCK_REASON_STRLEN];

		if (n >= sizeof(reason) || (memcpy(reason, p, n), reason[n] = 0,
					    autoblock_reason_parse(reason, &out->reason, &out->method))) {
			snprintf(err, errlen, "unknown reason (expected 'rate limit REGISTER|INVITE|OPTIONS|other', 'scanner', 'auth-failures' or 'enumeration')");
			return -1;
		}
	}
	if (expiry <= c->realtime_s) {
		__u64 ago = (__u64)(c->realtime_s - expiry) * 1000000000ULL;

		/* Past its window, a new block would be a first one again: nothing to keep. Checked
		 * here because below the monotonic clock's start (before this boot) the age cannot
		 * be stored, and the datapath would take such an entry for a recent one. */
		if (!history || ago >= repeat_within_ns)
			return 0;
		out->expires = ago < c->mono_ns ? c->mono_ns - ago : 1;
		return AUTOBLOCK_LINE_HISTORY;
	}
	/* A far-future expiry (a clock set back, a hand edit) is capped at the longest duration the
	 * config allows, so a bad file cannot block a source for ever. */
	if (expiry - c->realtime_s > 4294967LL)
		expiry = c->realtime_s + 4294967LL;
	out->expires = c->mono_ns + (__u64)(expiry - c->realtime_s) * 1000000000ULL;
	return 1;
}
