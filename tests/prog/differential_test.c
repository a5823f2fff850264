/* differential_test.c - the kernel program and the reference classifier must agree, frame by
 * frame, on hundreds of thousands of random frames and mutations of the verdict table's rows:
 * the same action and the same counter moved. Deterministic (seed printed; VOSFP_DIFF_SEED and
 * VOSFP_DIFF_FRAMES override). */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog_harness.h"
#include "test_rng.h"
#include "verdict_table.h"

#define DEFAULT_FRAMES 200000
/* BPF_PROG_TEST_RUN refuses XDP input shorter than an Ethernet header (EINVAL), and no driver
 * delivers such a frame: the shortest frame worth comparing. */
#define ETH_HLEN 14
#define MAX_REPORTED 5

static struct harness h;

/* Values that sit on the decision boundaries of the parsers. */
static const uint8_t interesting_bytes[] = {
	0x00, 0x01, 0x02, 0x05, 0x06, 0x07, 0x08, 0x11, 0x13, 0x14, 0x20, 0x2C, 0x33, 0x3A, 0x3B,
	0x3C, 0x40, 0x41, 0x45, 0x46, 0x4F, 0x60, 0x7F, 0x80, 0x81, 0x86, 0x88, 0xA8, 0xC4, 0xDD,
	0xFF, 0x0D, 0x0A, 'S', 'I', 'P', '/', '2', '.', '0', ' ',
};

static const char *const words[] = {
	"SIP/2.0", "OPTIONS ", "REGISTER ", "REGISTER", "OPTIONS", "\r\n", "SIP/2.", "INVITE ",
};

/* A 16-bit field near a header boundary gets a value around the truth. */
static void nudge16(struct rng *r, uint8_t *f, size_t len)
{
	size_t at = below(r, len > 1 ? (unsigned)len - 1 : 1);
	int delta = (int)below(r, 41) - 20;
	unsigned v = ((f[at] << 8) | f[at + 1]) + delta;

	if (below(r, 4) == 0)
		v = below(r, 65536);
	f[at] = v >> 8;
	f[at + 1] = v & 0xFF;
}

static size_t mutate(struct rng *r, uint8_t *f, size_t len, size_t cap)
{
	int rounds = 1 + below(r, 4);

	for (int i = 0; i < rounds && len > 2; i++) {
		switch (below(r, 8)) {
		case 0:		/* flip a bit */
			f[below(r, len)] ^= 1u << below(r, 8);
			break;
		case 1:		/* a boundary value somewhere in the headers */
			f[below(r, len < 80 ? len : 80)] =
				interesting_bytes[below(r, sizeof(interesting_bytes))];
			break;
		case 2:		/* a length field that lies */
			nudge16(r, f, len < 90 ? len : 90);
			break;
		case 3:		/* truncate (not below an Ethernet header: see ETH_HLEN below) */
			len = ETH_HLEN + below(r, len > ETH_HLEN ? (unsigned)(len - ETH_HLEN) : 1);
			break;
		case 4: {	/* padding or garbage after the datagram */
			size_t extra = below(r, 64);

			if (len + extra > cap)
				break;
			for (size_t k = 0; k < extra; k++)
				f[len + k] = below(r, 2) ? 0 : (uint8_t)rnd(r);
			len += extra;
			break;
		}
		case 5: {	/* a SIP word somewhere in the first bytes of the payload */
			const char *w = words[below(r, sizeof(words) / sizeof(words[0]))];
			size_t wl = strlen(w), at = 40 + below(r, 90);

			if (at + wl <= len)
				memcpy(f + at, w, wl);
			break;
		}
		case 6:		/* a random byte anywhere */
			f[below(r, len)] = (uint8_t)rnd(r);
			break;
		default: {	/* a source address next to (or inside) a listed one */
			size_t at = 14 + below(r, 48);

			if (at < len)
				f[at] ^= (uint8_t)(1u << below(r, 8));
			break;
		}
		}
	}
	return len;
}

static size_t random_frame(struct rng *r, uint8_t *f, size_t cap)
{
	static const uint16_t types[] = { 0x0800, 0x86DD, 0x8100, 0x88A8, 0x0806 };
	size_t len = ETH_HLEN + below(r, 200);

	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)rnd(r);
	if (len >= 14) {
		uint16_t t = types[below(r, sizeof(types) / sizeof(types[0]))];

		f[12] = t >> 8;
		f[13] = t & 0xFF;
	}
	return len;
}

static void hexdump(const uint8_t *f, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, "%02x%s", f[i], (i % 32 == 31 || i + 1 == len) ? "\n" : "");
}

/* IPv6 summaries under stress: four policies in turn, each adding to the one before.
 *  0: the table's lists (/128s and /48s in 2001:db8, a /29, a /20);
 *  1: + a blocked /48 and an allowed /128 in a /32 whose v6_sum bit is 2001:db8's, where the
 *     table's v6 entries are (a collision: sources of that /32 outside every entry must still
 *     pass after the full lookups, and those inside be found);
 *  2: + a blocked /12 (4096 v6_wide bits);
 *  3: + an allowed /15.
 * Probe rows send from inside and beside each (and from the colliding /32 already under 0);
 * mutations flip bits of their sources. */
#define POLICIES 4
#define EXTRA_MAX 4
#define PROBES 8

static struct vosfp_prefix pol_blocked[64], pol_allowed[64];
static size_t pol_blocked_n[POLICIES], pol_allowed_n[POLICIES];
static char probe_src[PROBES][INET6_ADDRSTRLEN];
static struct verdict_row probes[PROBES];

/* A /32 other than 2001:db8 with the same summary bit, as text "xxxx:yyyy". */
static void colliding_slash32(char *out, size_t size)
{
	const uint32_t db8 = 0x20010db8;
	uint32_t y = 0x2a000000;

	while (vosfp_v6_sum_bit(y) != vosfp_v6_sum_bit(db8))
		y++;	/* 2^24 bits: a match within ~2^24 tries, well before y wraps */
	snprintf(out, size, "%x:%x", y >> 16, y & 0xFFFF);
}

static void parse_into(struct vosfp_prefix *v, size_t *n, const char *text)
{
	char err[128];

	if (vosfp_prefix_parse(text, &v[*n], err, sizeof(err)))
		abort();
	(*n)++;
}

static void build_policies(void)
{
	static const char *const probe_fmt[PROBES] = {
		"%s::1", "%s:1::9", "%s:a11::7", "%s:a11::8",
		"240f:ffff::1", "2410::1", "2601:ffff::1", "2602::1",
	};
	char y[16], text[64];
	size_t nb, na;

	colliding_slash32(y, sizeof(y));
	memcpy(pol_blocked, table_blocked, table_blocked_count * sizeof(*pol_blocked));
	memcpy(pol_allowed, table_allowed, table_allowed_count * sizeof(*pol_allowed));
	nb = table_blocked_count;
	na = table_allowed_count;
	pol_blocked_n[0] = nb;
	pol_allowed_n[0] = na;
	snprintf(text, sizeof(text), "%s:1::/48", y);
	parse_into(pol_blocked, &nb, text);
	snprintf(text, sizeof(text), "%s:a11::7", y);
	parse_into(pol_allowed, &na, text);
	pol_blocked_n[1] = nb;
	pol_allowed_n[1] = na;
	parse_into(pol_blocked, &nb, "2400::/12");
	pol_blocked_n[2] = nb;
	pol_allowed_n[2] = na;
	parse_into(pol_allowed, &na, "2600::/15");
	pol_blocked_n[3] = nb;
	pol_allowed_n[3] = na;
	for (int i = 0; i < PROBES; i++) {
		snprintf(probe_src[i], sizeof(probe_src[i]), probe_fmt[i], y);
		probes[i] = (struct verdict_row){
			.name = probe_src[i],
			.spec = { .family = 6, .src = probe_src[i] },
			.text = i % 4 >= 2 ? SIP_OPTIONS : SIP_REGISTER,
		};
	}
}

/* Enter policy `to` from the one before: its new entries, as the agent would add them. */
static void enter_policy(int to)
{
	for (size_t i = pol_blocked_n[to - 1]; i < pol_blocked_n[to]; i++)
		ck_assert_int_eq(harness_block(&h, &pol_blocked[i]), 0);
	for (size_t i = pol_allowed_n[to - 1]; i < pol_allowed_n[to]; i++)
		ck_assert_int_eq(harness_allow(&h, &pol_allowed[i]), 0);
}

static void load(void)
{
	load_table_policy(&h);
	build_policies();
}

static void unload(void)
{
	harness_close(&h);
}


/* A frame of a verdict row, mutated half of the time, never shorter than an Ethernet header (a
 * truncated-Ethernet row keeps its leftover bytes). */
static size_t row_frame(struct rng *r, const struct verdict_row *row, uint8_t *f, size_t cap)
{
	size_t len = verdict_row_frame(row, f, cap);

	if (below(r, 2))
		len = mutate(r, f, len, cap);
	return len < ETH_HLEN ? ETH_HLEN : len;
}

/* One frame through the kernel: its action and the counter that moved (REF_UNCOUNTED for none);
 * before holds the counters as they were, and is moved on. Does the kernel agree with want,
 * counting the frame at most once? */
static int kernel_agrees(const uint8_t *f, size_t len, const struct ref_verdict *want, uint64_t *before,
			 int *action, int *moved)
{
	uint64_t after[VOSFP_CNT_COUNT];
	int moves = 0;

	*moved = REF_UNCOUNTED;
	*action = harness_run(&h, f, len);
	ck_assert_int_eq(harness_counters(&h, after, VOSFP_CNT_COUNT), 0);
	for (int c = 0; c < VOSFP_CNT_COUNT; c++) {
		if (after[c] != before[c]) {
			*moved = c;
			moves += (int)(after[c] - before[c]);
		}
		before[c] = after[c];
	}
	return *action == (int)want->action && *moved == want->counter && moves <= 1;
}

/* The reference knows the seed's classes only (the flood defence is off here): every counter is
 * compared, the seed's classes must each be exercised. */
#define SEED_COUNTERS (VOSFP_CNT_MALFORMED + 1)

START_TEST(test_kernel_matches_reference)
{
	unsigned long frames = env_ulong("VOSFP_DIFF_FRAMES", DEFAULT_FRAMES);
	struct rng r = { env_ulong("VOSFP_DIFF_SEED", 20261125) };
	uint64_t before[VOSFP_CNT_COUNT];
	unsigned long mismatches = 0, by_counter[SEED_COUNTERS + 1] = { 0 }, mutated = 0;
	static const enum table_config configs[] = { CFG_SEED, CFG_PORTS, CFG_NO_STEALTH,
						     CFG_NO_MALFORMED };
	unsigned long probed = 0, summarized = 0;
	uint8_t f[FRAME_MAX];
	int policy = 0;

	ck_assert_int_eq(harness_counters(&h, before, VOSFP_CNT_COUNT), 0);
	for (unsigned long n = 0; n < frames; n++) {
		/* Switch config in runs so the map update is not the dominant cost; every other run
		 * uses the summaries (the reference knows nothing of them: same verdicts). */
		enum table_config cfg = configs[(n / 1000) % 4];
		int now = (int)(n * POLICIES / frames), switched = now != policy;
		struct vosfp_config with_summaries;
		struct ref_policy pol;

		for (; policy < now; policy++)
			enter_policy(policy + 1);
		pol = (struct ref_policy){
			.cfg = table_config(cfg),
			.blocked = pol_blocked, .n_blocked = pol_blocked_n[policy],
			.allowed = pol_allowed, .n_allowed = pol_allowed_n[policy],
		};
		struct ref_verdict want;
		size_t len;
		int action, moved;

		if ((n / 4000) % 2) {
			if (pol.cfg)
				with_summaries = *pol.cfg;
			else
				memset(&with_summaries, 0, sizeof(with_summaries));
			with_summaries.flags |= HARNESS_SUMMARIES;
			pol.cfg = &with_summaries;
			summarized++;
		}
		if (n % 1000 == 0 || switched)
			ck_assert_int_eq(harness_set_config(&h, pol.cfg), 0);
		if (below(&r, 10) < 2) {
			const struct verdict_row *probe = &probes[below(&r, PROBES)];

			len = row_frame(&r, probe, f, sizeof(f));
			probed++;
		} else if (below(&r, 10) < 8) {
			len = verdict_row_frame(&verdict_rows[below(&r, verdict_row_count)], f, sizeof(f));
			len = mutate(&r, f, len, sizeof(f));
			if (len < ETH_HLEN)	/* the truncated-Ethernet row: keep its leftover bytes */
				len = ETH_HLEN;
			mutated++;
		} else {
			len = random_frame(&r, f, sizeof(f));
		}

		want = reference_classify(f, len, &pol);
		if (!kernel_agrees(f, len, &want, before, &action, &moved)) {
			if (++mismatches <= MAX_REPORTED) {
				fprintf(stderr, "mismatch #%lu (frame %lu, config %d%s, policy %d): kernel %s/%s, reference %s/%s, %zu bytes:\n",
					mismatches, n, cfg, pol.cfg == &with_summaries ? " + summaries" : "", policy, ref_action_name(action), ref_counter_name(moved),
					ref_action_name(want.action), ref_counter_name(want.counter), len);
				hexdump(f, len);
			}
		}
		by_counter[want.counter == REF_UNCOUNTED ? SEED_COUNTERS : want.counter]++;
	}
	printf("differential: %lu frames (%lu mutated rows, %lu IPv6 summary probes, %lu random; "
	       "%d policies, %lu frames with the summaries in use), %lu mismatches; "
	       "PASSED %lu, REDIRECTED %lu, BLOCKED %lu, OPTIONS_DROPPED %lu, MALFORMED %lu, uncounted %lu\n",
	       frames, mutated, probed, frames - mutated - probed, POLICIES, summarized, mismatches,
	       by_counter[VOSFP_CNT_PASSED],
	       by_counter[VOSFP_CNT_REDIRECTED], by_counter[VOSFP_CNT_BLOCKED],
	       by_counter[VOSFP_CNT_OPTIONS_DROPPED], by_counter[VOSFP_CNT_MALFORMED],
	       by_counter[SEED_COUNTERS]);
	fflush(stdout);
	ck_assert_msg(mismatches == 0, "%lu of %lu frames got a different verdict from the kernel",
		      mismatches, frames);
	/* Every verdict class must have been exercised, or the test proves little. */
	for (int c = 0; c <= SEED_COUNTERS; c++)
		if (c != VOSFP_CNT_REDIRECTED)
			ck_assert_msg(by_counter[c] > 100, "class %s hit only %lu times",
				      ref_counter_name(c == SEED_COUNTERS ? REF_UNCOUNTED : c), by_counter[c]);
}
END_TEST

/* ---- every IPv6 prefix length, with the blocklist's prefix index (bpf/vosfp.h) in use ----
 * Round L (0..128) adds to the table's lists one blocked prefix P of length L around a random
 * address B (in some rounds the first of its /24, whose bucket is then its /32's), and decoys that
 * share B's index buckets without covering B: prefixes in B's /32 (or /24) of other lengths (in
 * some rounds exactly as many as a bucket word holds, or more, so the trie decides), a /128
 * beside B, prefixes of another /32 whose bucket is B's. Its frames come from inside P, just
 * outside it (one bit of the first L flipped), inside a decoy, elsewhere in B's /32 and /24; half
 * are mutated. Three in four run with every summary and the index on, the rest without. The round
 * ends with its entries removed and the summaries rebuilt from the lists. */
#define LEN_DECOYS_MAX 16

static struct vosfp_prefix *len_blocked;	/* the table's blocklist, then the round's entries */

static void len_load(void)
{
	load_table_policy(&h);
	len_blocked = calloc(table_blocked_count + LEN_DECOYS_MAX + 1, sizeof(*len_blocked));
	memcpy(len_blocked, table_blocked, table_blocked_count * sizeof(*len_blocked));
}

static void len_unload(void)
{
	free(len_blocked);
	harness_close(&h);
}

static void flip_bit(uint8_t *a, unsigned i)
{
	a[i / 8] ^= 0x80 >> (i % 8);
}

/* Bits from `from` on: cleared (a prefix's host bits) or random (an address inside it). */
static void host_bits(uint8_t *a, unsigned from, struct rng *r)
{
	for (unsigned i = from; i < 128; i++)
		if (r ? below(r, 2) : (a[i / 8] & (0x80 >> (i % 8))) != 0)
			flip_bit(a, i);
}

static int same_prefix(const struct vosfp_prefix *a, const struct vosfp_prefix *b)
{
	return a->family == b->family && a->len == b->len && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Append p (addr's first len bits) to the round's entries unless already there; 1 if added. */
static int round_add(size_t *n, const uint8_t *addr, unsigned len)
{
	struct vosfp_prefix p = { .family = 6, .len = (uint8_t)len };

	memcpy(p.addr, addr, 16);
	host_bits(p.addr, len, NULL);
	for (size_t i = 0; i < *n; i++)
		if (same_prefix(&len_blocked[i], &p))
			return 0;
	len_blocked[(*n)++] = p;
	return 1;
}

static uint32_t top32_of(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Decoys sharing B's bucket without covering B (their first differing bit lies before their end). */
static void add_decoys(struct rng *r, size_t *n, const uint8_t *b, unsigned len)
{
	static const unsigned counts[] = { 0, 2, 5, 7, 10 };	/* 7 + P: a word's last slot */
	unsigned want = counts[below(r, 5)];
	uint8_t d[16];

	for (unsigned i = 0; i < want && *n < table_blocked_count + LEN_DECOYS_MAX - 3; i++) {
		/* In B's /32 (32..127), or, around a short P, sometimes in B's /24 (25..31). */
		unsigned lo = len < 32 && below(r, 2) ? 24 : 32, q = lo + below(r, 127 - lo);
		unsigned m = q + 1 + below(r, 127 - q);

		memcpy(d, b, 16);
		flip_bit(d, q);
		round_add(n, d, m);
	}
	memcpy(d, b, 16);
	flip_bit(d, 127);
	if (below(r, 3))
		round_add(n, d, 128);		/* a host beside B: v6_sum bit and exact hash */
	if (below(r, 3) == 0) {			/* another /32 whose bucket is B's */
		uint32_t top = top32_of(b), y = top + 1;

		while (vosfp_v6_len_bucket(y) != vosfp_v6_len_bucket(top))
			y++;
		d[0] = y >> 24, d[1] = y >> 16, d[2] = y >> 8, d[3] = y;
		host_bits(d, 32, r);
		round_add(n, d, 32 + below(r, 96));
	}
}

START_TEST(test_every_v6_prefix_length)
{
	unsigned long per_len = env_ulong("VOSFP_DIFF_LEN_FRAMES", 1200), frames = 0, mismatches = 0;
	struct rng r = { env_ulong("VOSFP_DIFF_SEED", 20261125) ^ 0x7636ULL };
	static const enum table_config configs[] = { CFG_SEED, CFG_NO_STEALTH };
	unsigned full_buckets = 0, blocked_by_len[129] = { 0 }, other_by_len[129] = { 0 };
	uint64_t before[VOSFP_CNT_COUNT];
	uint8_t f[FRAME_MAX];

	ck_assert_int_eq(harness_counters(&h, before, VOSFP_CNT_COUNT), 0);
	for (unsigned len = 0; len <= 128; len++) {
		size_t n = table_blocked_count, first = n;
		uint8_t b[16];
		struct vosfp_config cfg[2];

		for (int i = 0; i < 16; i += 8) {
			uint64_t x = rnd(&r);

			memcpy(b + i, &x, 8);
		}
		b[0] = 0x20 | (b[0] & 0x1F);		/* global unicast, 2000::/3 */
		if (below(&r, 4) == 0)
			b[3] = 0;	/* the first /32 of its /24: the /24's bucket is the /32's */
		round_add(&n, b, len);
		add_decoys(&r, &n, b, len);
		for (size_t i = first; i < n; i++)
			ck_assert_int_eq(harness_block(&h, &len_blocked[i]), 0);
		full_buckets += (h.sums[SUMMARY_BLOCK_V6_LEN][vosfp_v6_len_bucket(top32_of(b))] & 0xFF) ==
				VOSFP_V6_LENS_MORE;

		for (unsigned long k = 0; k < per_len; k++) {
			int indexed = below(&r, 4) != 0, action, moved;
			const struct vosfp_config *base = table_config(configs[below(&r, 2)]);
			struct ref_policy pol = { .blocked = len_blocked, .n_blocked = n,
						  .allowed = table_allowed, .n_allowed = table_allowed_count };
			char src[INET6_ADDRSTRLEN];
			struct verdict_row row;
			struct ref_verdict want;
			uint8_t a[16];
			size_t flen;

			memcpy(a, b, 16);
			switch (below(&r, 6)) {
			case 0: case 1:		/* inside P */
				host_bits(a, len, &r);
				break;
			case 2:			/* just outside: one of its first len bits flipped */
				if (len)
					flip_bit(a, below(&r, len));
				host_bits(a, len, &r);
				break;
			case 3:			/* inside a decoy (or P) */
				memcpy(a, len_blocked[first + below(&r, (unsigned)(n - first))].addr, 16);
				host_bits(a, len_blocked[first].len, &r);
				break;
			case 4:
				host_bits(a, 32, &r);
				break;
			default:
				host_bits(a, 24, &r);
				break;
			}
			inet_ntop(AF_INET6, a, src, sizeof(src));
			row = (struct verdict_row){ .name = src, .spec = { .family = 6, .src = src },
						    .text = below(&r, 2) ? SIP_REGISTER : SIP_OPTIONS };
			cfg[0] = base ? *base : (struct vosfp_config){ 0 };
			cfg[0].flags |= indexed ? HARNESS_SUMMARIES : 0;
			pol.cfg = &cfg[0];
			if (k == 0 || memcmp(&cfg[0], &cfg[1], sizeof(cfg[0]))) {
				ck_assert_int_eq(harness_set_config(&h, &cfg[0]), 0);
				cfg[1] = cfg[0];
			}
			flen = row_frame(&r, &row, f, sizeof(f));
			want = reference_classify(f, flen, &pol);
			if (!kernel_agrees(f, flen, &want, before, &action, &moved)) {
				if (++mismatches <= MAX_REPORTED) {
					fprintf(stderr, "mismatch #%lu (/%u round, frame %lu, source %s%s): kernel %s/%s, reference %s/%s, %zu bytes:\n",
						mismatches, len, k, src, indexed ? ", index on" : "",
						ref_action_name(action), ref_counter_name(moved),
						ref_action_name(want.action), ref_counter_name(want.counter), flen);
					hexdump(f, flen);
				}
			}
			if (indexed && want.counter == VOSFP_CNT_BLOCKED)
				blocked_by_len[len]++;
			else if (indexed)
				other_by_len[len]++;
			frames++;
		}
		for (size_t i = first; i < n; i++)
			ck_assert_int_eq(harness_unlist(&h, 1, &len_blocked[i]), 0);
		ck_assert_int_eq(harness_sync_summaries(&h), 0);
	}
	printf("differential, every IPv6 prefix length: %lu frames over lengths 0-128 (%lu each, 3 in 4 "
	       "with the prefix index on; %u rounds with B's bucket full), %lu mismatches\n",
	       frames, per_len, full_buckets, mismatches);
	fflush(stdout);
	ck_assert_msg(mismatches == 0, "%lu of %lu frames got a different verdict from the kernel",
		      mismatches, frames);
	/* Each length must have been met blocked and not (but ::/0 covers every source), with the
	 * index on; and full buckets. */
	for (unsigned len = 0; len <= 128; len++)
		ck_assert_msg(blocked_by_len[len] >= per_len / 8 && (!len || other_by_len[len] >= per_len / 8),
			      "/%u: %u blocked and %u other frames with the index on", len,
			      blocked_by_len[len], other_by_len[len]);
	ck_assert_msg(full_buckets > 0, "no round filled B's bucket");
}
END_TEST

TCase *differential_tcase(void)
{
	TCase *tc = tcase_create("differential");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_kernel_matches_reference);
	return tc;
}

TCase *differential_v6_lengths_tcase(void)
{
	TCase *tc = tcase_create("differential_v6_lengths");

	tcase_add_unchecked_fixture(tc, len_load, len_unload);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_every_v6_prefix_length);
	return tc;
}
