/* clock_test.c - the programs' clock (bpf/vosfp.h: struct vosfp_clock): the tick the harness
 * measured as the agent does (agent/kernel/datapath_clock.c) is a kernel's, the clock trails
 * CLOCK_MONOTONIC_COARSE by less than three ticks and does not lead it, and the program reads
 * that clock (or, with no tick measured, the coarse clock's helper), shown on a block's expiry. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "frame.h"
#include "prog_harness.h"
#include "sip_logic.skel.h"

static struct harness h;

static void load(void)
{
	ck_assert_int_eq(harness_open(&h, 0), 0);
}

static void unload(void)
{
	harness_close(&h);
}

static uint64_t coarse_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

START_TEST(test_tick_is_a_kernel_hz)
{
	static const unsigned hz[] = { 100, 250, 300, 1000 };
	uint64_t tick = h.skel->data_clock->datapath_clock.tick_ns;
	int found = 0;

	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++)
		found |= tick == (1000000000ULL + hz[i] / 2) / hz[i];
	ck_assert_msg(found, "tick %llu ns is no kernel's (HZ 100, 250, 300, 1000)",
		      (unsigned long long)tick);
}
END_TEST

/* Readings over 20 ticks at least, each less than three ticks behind the coarse clock read
 * before it and not ahead of the one read after it (a tick's leeway: the tick interrupt of a
 * busy VM can come late). */
START_TEST(test_clock_follows_coarse)
{
	uint64_t tick = h.skel->data_clock->datapath_clock.tick_ns, start = coarse_ns(), last = 0;
	int n = 0;

	ck_assert_uint_gt(tick, 0);
	while (coarse_ns() - start < 20 * tick && n < 100000) {
		struct timespec pause = { 0, 200000 };
		uint64_t before = coarse_ns(), at = harness_now(&h), after = coarse_ns();

		ck_assert_msg(at + 3 * tick > before && at <= after + tick,
			      "reading %d: %llu ns, the coarse clock %llu..%llu (tick %llu)", n,
			      (unsigned long long)at, (unsigned long long)before,
			      (unsigned long long)after, (unsigned long long)tick);
		ck_assert_uint_ge(at, last);
		last = at;
		n++;
		nanosleep(&pause, NULL);
	}
	ck_assert_uint_ge(coarse_ns() - start, 20 * tick);
}
END_TEST

/* One INVITE from src through the XDP program: the counter that moved (-1: none, -2: more). */
static int invite_counter(const char *src)
{
	static const char payload[] = "INVITE sip:1001@198.18.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	struct frame_spec s = { .family = 4, .src = src, .payload = payload,
				.payload_len = sizeof(payload) - 1 };
	uint8_t frame[FRAME_MAX];
	size_t len = frame_build(&s, frame, sizeof(frame));
	int moved;

	ck_assert_uint_gt(len, 0);
	ck_assert_int_ge(harness_run_counted(&h, frame, len, &moved), 0);
	return moved;
}

/* A block of 60 s: over for a clock set two minutes ahead, live again for the coarse clock's
 * helper (tick 0, the same shifted anchor) and for the clock as measured. */
START_TEST(test_program_reads_its_clock)
{
	struct vosfp_clock *clock = &h.skel->data_clock->datapath_clock, measured = *clock;
	struct vosfp_config c = { .flags = VOSFP_F_AUTO_BLOCK };
	struct vosfp_src_key key = { .addr = { [10] = 0xff, [11] = 0xff, 198, 18, 9, 1 } };
	struct vosfp_auto_block b = { .expires = harness_now(&h) + 60000000000ULL,
				      .reason = VOSFP_REASON_RATE };

	ck_assert_uint_gt(measured.tick_ns, 0);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	ck_assert_int_eq(harness_auto_block(&h, &key, &b), 0);
	ck_assert_int_eq(invite_counter("198.18.9.1"), VOSFP_CNT_AUTO_BLOCKED);
	clock->anchor_ns += 120000000000ULL;
	ck_assert_int_eq(invite_counter("198.18.9.1"), VOSFP_CNT_PASSED);
	clock->tick_ns = 0;
	ck_assert_int_eq(invite_counter("198.18.9.1"), VOSFP_CNT_AUTO_BLOCKED);
	*clock = measured;
	ck_assert_int_eq(invite_counter("198.18.9.1"), VOSFP_CNT_AUTO_BLOCKED);
}
END_TEST

TCase *clock_tcase(void)
{
	TCase *tc = tcase_create("clock");

	tcase_add_checked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tick_is_a_kernel_hz);
	tcase_add_test(tc, test_clock_follows_coarse);
	tcase_add_test(tc, test_program_reads_its_clock);
	return tc;
}
