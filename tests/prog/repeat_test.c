/* repeat_test.c - repeat offenders through the real kernel, on the real clock: a source blocked
 * again within repeat_within_ms of its last block's expiry gets repeat_factor times the last
 * duration, up to repeat_max_ms, whichever program made the block (the XDP rate limit, the
 * egress answer rule: both call vosfp_auto_block); later than that, the first duration again.
 * Durations are a few hundred ms, and each block's expiry is bracketed by the clock read just
 * before and just after the packet that made it. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "autoblock.h"
#include "frame.h"
#include "prog_harness.h"
#include "sip_logic.skel.h"

#define BLOCK_MS 150
#define FACTOR 3
#define MAX_MS 1000
#define WITHIN_MS 400

static struct harness h;

static void load(void)
{
	ck_assert_int_eq(harness_open(&h, 0), 0);
}

static void unload(void)
{
	harness_close(&h);
}

static void sleep_until(uint64_t ns)
{
	while (harness_now(&h) < ns) {
		struct timespec ts = { 0, 2000000 };

		nanosleep(&ts, NULL);
	}
}

/* REGISTER 1/s, burst 1, the first request over it blocks; 403s block at the second. */
static void configure(uint32_t within_ms)
{
	struct vosfp_config c = { .flags = VOSFP_F_PORTS | VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK |
					   VOSFP_F_ANSWERS };

	c.udp_ports[5060 / 8] |= 1u << (5060 % 8);
	c.rate[VOSFP_M_REGISTER] = (struct vosfp_rate){ .rate = 1, .burst = 1 };
	c.auto_block_ms = BLOCK_MS;
	c.repeat_within_ms = within_ms;
	c.repeat_factor = FACTOR;
	c.repeat_max_ms = MAX_MS;
	c.answers_window_ms = 60000;
	c.answers_challenge_ms = 60000;
	c.auth_failures_max = 2;
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
}

/* Two REGISTERs from src: at 1/s burst 1 one of them is over the limit, which blocks (the
 * bucket of a source blocked a moment ago is still empty: then the first). */
static void flood(const char *src)
{
	const char *req = "REGISTER sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP x\r\nContent-Length: 0\r\n\r\n";
	struct frame_spec s = { .family = 4, .src = src, .payload = req, .payload_len = strlen(req) };
	uint8_t f[FRAME_MAX];
	size_t len = frame_build(&s, f, sizeof(f));

	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(harness_run(&h, f, len), 0);
}

/* Two refusals from the server to peer: the answer rule's block. */
static void refuse(const char *peer)
{
	const char *resp = "SIP/2.0 403 Forbidden\r\nCall-ID: r@x\r\nContent-Length: 0\r\n\r\n";
	struct frame_spec s = { .family = 4, .src = "198.18.0.1", .dst = peer, .sport = 5060,
				.payload = resp, .payload_len = strlen(resp) };
	uint8_t f[FRAME_MAX];
	size_t len = frame_build(&s, f, sizeof(f));

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(harness_run_egress(&h, f, len), -1);
}

/* Make a block with how(addr); it must last want_ms (bracketed by the clock) and carry repeats.
 * Returns its expiry. */
static uint64_t block_and_check(void (*how)(const char *), const char *addr, uint64_t want_ms,
				__u32 repeats, __u32 reason)
{
	struct vosfp_src_key k;
	struct vosfp_auto_block b;
	struct vosfp_block_history hist;
	uint64_t t0 = harness_now(&h), t1, d = want_ms * 1000000;

	how(addr);
	t1 = harness_now(&h);
	ck_assert_int_eq(autoblock_key_parse(addr, &k), 0);
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.auto_blocked), &k, &b), 0);
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.auto_block_history), &k, &hist), 0);
	ck_assert_msg(b.expires >= t0 + d && b.expires <= t1 + d, "%s: block of %lld ms, expected %llu",
		      addr, (long long)(b.expires - t0) / 1000000, (unsigned long long)want_ms);
	ck_assert_uint_eq(b.reason, reason);
	ck_assert_uint_eq(hist.expires, b.expires);
	ck_assert_uint_eq(hist.repeats, repeats);
	ck_assert_uint_eq(hist.reason, reason);
	return b.expires;
}

static void rate_block(const char *addr)
{
	flood(addr);
}

START_TEST(test_repeats_grow_to_the_cap)
{
	uint64_t until;

	configure(WITHIN_MS);
	until = block_and_check(rate_block, "198.18.30.1", BLOCK_MS, 0, VOSFP_REASON_RATE);
	sleep_until(until + 20000000);
	/* A repeat from the other program: the answer rule's block, 3 x 150 ms. */
	until = block_and_check(refuse, "198.18.30.1", BLOCK_MS * FACTOR, 1, VOSFP_REASON_AUTH_FAILURES);
	sleep_until(until + 20000000);
	/* 9 x 150 ms is over the cap: 1000 ms. */
	until = block_and_check(rate_block, "198.18.30.1", MAX_MS, 2, VOSFP_REASON_RATE);
	sleep_until(until + 20000000);
	until = block_and_check(rate_block, "198.18.30.1", MAX_MS, 3, VOSFP_REASON_RATE);
	/* Longer than repeat_within_ms after the expiry: a first block again. */
	sleep_until(until + (WITHIN_MS + 50) * 1000000ULL);
	block_and_check(rate_block, "198.18.30.1", BLOCK_MS, 0, VOSFP_REASON_RATE);
}
END_TEST

/* repeat_within_ms 0: every block lasts auto_block_ms; the history is kept all the same. */
START_TEST(test_repeats_off)
{
	uint64_t until;

	configure(0);
	until = block_and_check(rate_block, "198.18.31.1", BLOCK_MS, 0, VOSFP_REASON_RATE);
	sleep_until(until + 20000000);
	block_and_check(rate_block, "198.18.31.1", BLOCK_MS, 0, VOSFP_REASON_RATE);
}
END_TEST

/* Each source has its own history. */
START_TEST(test_repeats_per_source)
{
	uint64_t until;

	configure(WITHIN_MS);
	until = block_and_check(rate_block, "198.18.32.1", BLOCK_MS, 0, VOSFP_REASON_RATE);
	sleep_until(until + 20000000);
	block_and_check(rate_block, "198.18.32.2", BLOCK_MS, 0, VOSFP_REASON_RATE);
	block_and_check(rate_block, "198.18.32.1", BLOCK_MS * FACTOR, 1, VOSFP_REASON_RATE);
}
END_TEST

TCase *repeat_tcase(void)
{
	TCase *tc = tcase_create("repeat");

	tcase_add_checked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_repeats_grow_to_the_cap);
	tcase_add_test(tc, test_repeats_off);
	tcase_add_test(tc, test_repeats_per_source);
	return tc;
}
