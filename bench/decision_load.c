/* decision_load.c - see decision_load.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/libbpf.h>

#include "decision_load.h"
#include "decision_map.h"
#include "prog_harness.h"
#include "sip_logic.skel.h"
#include "test_rng.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

#define PROBES 16	/* decisions of each kind the rows can pick their source from */

/* The rows' sources must stay clear of the random blocklist, which leaves only 198.18.0.0/15 and
 * 2001:db8::/32 alone: the IPv4 probes lie in 198.19.0.0/16 (away from the other rows' 198.18.0.2
 * and the bench's allowlisted 198.19.10.0/24), the IPv6 ones in the /32s after 2001:db8::/32 (the
 * bench picks one the blocklist misses). */
static void probe_decision(uint32_t k, struct lapi_decision *d)
{
	struct vosfp_prefix *p = &d->prefix;
	uint32_t j = k % PROBES;

	if (k < PROBES) {
		*p = (struct vosfp_prefix){ .family = 4, .len = 32, .addr = { 198, 19, (uint8_t)(30 + j), 7 } };
	} else if (k < 2 * PROBES) {
		*p = (struct vosfp_prefix){ .family = 4, .len = 24, .addr = { 198, 19, (uint8_t)(100 + j), 0 } };
	} else {
		*p = (struct vosfp_prefix){ .family = 6, .len = 128, .addr = { 0x20, 0x01, 0x0d, (uint8_t)(0xb9 + j) } };
		p->addr[15] = 7;
	}
}

/* Elsewhere the mix a LAPI hands over, never in 198.18.0.0/15 or 2001:db8::/32. */
static void random_decision(struct rng *r, uint32_t i, uint32_t count, struct lapi_decision *d)
{
	struct vosfp_prefix *p = &d->prefix;

	memset(d, 0, sizeof(*d));
	d->duration_ns = 3600LL * 1000000000LL;
	d->origin = (uint8_t)(i % VOSFP_ORIGINS);
	if (i + 3 * PROBES >= count) {
		probe_decision(i + 3 * PROBES - count, d);
		return;
	}
	if (i < count / 20) {			/* 5% IPv6: half /128, half /64 */
		p->family = 6;
		p->len = i & 1 ? 128 : 64;
		p->addr[0] = 0x24;
		p->addr[1] = (uint8_t)(1 + below(r, 254));
		for (int k = 2; k < (p->len == 128 ? 16 : 8); k++)
			p->addr[k] = (uint8_t)rnd(r);
		return;
	}
	p->family = 4;
	p->len = i < count / 10 ? 24 : 32;	/* 5% /24 ranges, 90% addresses */
	p->addr[0] = (uint8_t)(11 + below(r, 180));	/* 11..190: never 198 */
	p->addr[1] = (uint8_t)rnd(r);
	p->addr[2] = (uint8_t)rnd(r);
	p->addr[3] = p->len == 24 ? 0 : (uint8_t)rnd(r);
}

static double density(const uint64_t *w)
{
	size_t set = 0;

	for (uint32_t i = 0; i < SUMMARY_WORDS; i++)
		set += (size_t)__builtin_popcountll(w[i]);
	return 100.0 * (double)set / (64.0 * SUMMARY_WORDS);
}

static void candidate(struct decision_load *out, enum decision_kind k, const struct vosfp_prefix *p)
{
	if (out->cand_n[k] < DECISION_CANDIDATES)
		inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, out->cand[k][out->cand_n[k]++],
			  INET6_ADDRSTRLEN);
}

/* The probes as candidate sources: host .77 of each /24 range (no address decision there). */
static void pick(struct decision_load *out)
{
	for (uint32_t k = 0; k < 3 * PROBES; k++) {
		struct lapi_decision d;

		probe_decision(k, &d);
		if (d.prefix.family == 4 && d.prefix.len == 24)
			d.prefix.addr[3] = 77;
		candidate(out, k < PROBES ? DECISION_EXACT4 : k < 2 * PROBES ? DECISION_IN_RANGE4 : DECISION_EXACT6,
			  &d.prefix);
	}
}

int decision_load(struct harness *h, uint32_t count, struct decision_load *out)
{
	struct lapi_list l = { .v = calloc(count, sizeof(*l.v)), .n = count, .cap = count };
	struct decision_maps m = {
		.fd = { bpf_map__fd(h->skel->maps.dec_ips), bpf_map__fd(h->skel->maps.dec_ips6),
			bpf_map__fd(h->skel->maps.dec_nets), bpf_map__fd(h->skel->maps.dec_nets6) },
		.sum_fd = { bpf_map__fd(h->skel->maps.dec_v4_sum), bpf_map__fd(h->skel->maps.dec_v6_sum),
			    bpf_map__fd(h->skel->maps.dec_v6_wide) },
		.traffic_fd = bpf_map__fd(h->skel->maps.dec_traffic),
	};
	struct decision_image img = { 0 }, none = { 0 };
	struct decision_set s = { 0 };
	uint64_t *sums[DECISION_SUMS] = { 0 }, *empty[DECISION_SUMS] = { 0 };
	struct rng r = { 0xdec15105ULL };
	struct timespec coarse;
	char err[512];
	double t0;
	int ret = l.v ? 0 : -ENOMEM;

	memset(out, 0, sizeof(*out));
	for (int k = 0; k < DECISION_SUMS && !ret; k++)
		if (!(sums[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t))) || !(empty[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t))))
			ret = -ENOMEM;
	for (uint32_t i = 0; !ret && i < count; i++)
		random_decision(&r, i, count, &l.v[i]);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
	t0 = now_ms();
	if (!ret)
		ret = decision_set_replace(&s, &l, (uint64_t)coarse.tv_sec * 1000000000ULL + (uint64_t)coarse.tv_nsec);
	if (!ret)
		ret = decision_image_build(&s, &img);
	if (!ret) {
		decision_summaries(&img, sums);
		ret = decision_maps_write(&m, &img, &none, (const uint64_t *const *)empty, (const uint64_t *const *)sums,
					  err, sizeof(err));
		if (ret)
			fprintf(stderr, "prog_bench: decisions: %s\n", err);
	}
	out->ms = now_ms() - t0;
	if (!ret) {
		out->count = (uint32_t)s.n;
		for (size_t i = 0; i < s.n; i++) {
			out->v6 += s.v[i].prefix.family == 6;
			out->v4_ranges += s.v[i].prefix.family == 4 && s.v[i].prefix.len < 32;
		}
		out->v4 = out->count - out->v6 - out->v4_ranges;
		out->v4_sum_density = density(sums[DECISION_SUM_V4]);
		pick(out);
		if (!out->cand_n[DECISION_EXACT4] || !out->cand_n[DECISION_IN_RANGE4] || !out->cand_n[DECISION_EXACT6]) {
			fprintf(stderr, "prog_bench: decisions: no source to pick for a row\n");
			ret = -ENOENT;
		}
	}
	for (int k = 0; k < DECISION_SUMS; k++) {
		free(sums[k]);
		free(empty[k]);
	}
	free(l.v);
	decision_set_free(&s);
	decision_image_free(&img);
	return ret;
}
