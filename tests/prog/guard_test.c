/* guard_test.c - the TC guard (sip_tc_guard) against the XDP program, both through the real kernel
 * on the same maps: the guard drops exactly the frames XDP drops for their source (BLOCKED,
 * AUTO_BLOCKED), counting each as XDP does (same counter, same interface slot, the frame's
 * length), and passes every other frame without counting anything: verdict table rows, auto-
 * blocks, and mutated rows (deterministic; VOSFP_GUARD_SEED and VOSFP_GUARD_FRAMES override). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_harness.h"
#include "sip_logic.skel.h"
#include "test_rng.h"
#include "verdict_table.h"

#define ETH_HLEN 14
#define LO_IFINDEX 1
#define LO_SLOT 7
#define TC_ACT_UNSPEC -1
#define TC_ACT_SHOT 2

static struct harness h;

void load_table_policy(struct harness *hh);

static void load(void)
{
	load_table_policy(&h);
	ck_assert_int_eq(harness_set_iface_slot(&h, LO_IFINDEX, LO_SLOT), 0);
}

static void unload(void)
{
	harness_close(&h);
}

struct counts {
	uint64_t total[VOSFP_COUNTER_SLOTS];
	struct vosfp_traffic slot[VOSFP_COUNTER_SLOTS];
};

static void read_counts(struct counts *c)
{
	ck_assert_int_eq(harness_counters(&h, c->total, VOSFP_COUNTER_SLOTS), 0);
	ck_assert_int_eq(harness_iface_traffic(&h, LO_SLOT, c->slot), 0);
}

static int source_drop(int counter)
{
	return counter == VOSFP_CNT_BLOCKED || counter == VOSFP_CNT_AUTO_BLOCKED;
}

/* The frame through the guard: it must drop it under `counter` (a source drop: one packet and
 * len bytes in the total and LO_SLOT), or pass it counting nothing. Returns 0, or 1 when the
 * kernel refuses to build an skb of it (an IP header cut short: it never reaches TC either, and
 * XDP never drops it for its source: asserted). */
static int expect_guard(const char *name, const uint8_t *frame, size_t len, int counter)
{
	struct counts before, after;
	int verdict, drop = source_drop(counter), ret;

	read_counts(&before);
	ret = harness_guard_run_on(&h, frame, len, LO_IFINDEX, &verdict);
	if (ret == -EINVAL && !drop)
		return 1;
	ck_assert_msg(ret == 0, "%s: the guard did not run: %s", name, strerror(-ret));
	read_counts(&after);
	ck_assert_msg(verdict == (drop ? TC_ACT_SHOT : TC_ACT_UNSPEC), "%s: guard verdict %d, expected %d", name,
		      verdict, drop ? TC_ACT_SHOT : TC_ACT_UNSPEC);
	for (int c = 0; c < VOSFP_COUNTER_SLOTS; c++) {
		int hit = drop && c == counter;

		ck_assert_msg(after.total[c] - before.total[c] == (uint64_t)hit &&
			      after.slot[c].packets - before.slot[c].packets == (uint64_t)hit &&
			      after.slot[c].bytes - before.slot[c].bytes == (hit ? len : 0),
			      "%s: guard moved %s by %llu (slot: %llu packets, %llu bytes), expected %d (%zu bytes)",
			      name, ref_counter_name(c), (unsigned long long)(after.total[c] - before.total[c]),
			      (unsigned long long)(after.slot[c].packets - before.slot[c].packets),
			      (unsigned long long)(after.slot[c].bytes - before.slot[c].bytes), hit, hit ? len : 0);
	}
	return 0;
}

/* Every row of the verdict table, summaries off and on: the guard drops the rows XDP drops for
 * their source, with XDP's counter, and no other row. */
START_TEST(test_guard_row)
{
	const struct verdict_row *r = &verdict_rows[_i % verdict_row_count];
	struct vosfp_config cfg = { 0 };
	uint8_t frame[FRAME_MAX];
	size_t len = verdict_row_frame(r, frame, sizeof(frame));
	char name[160];

	if (len < ETH_HLEN)
		return;		/* refused by the kernel before any program runs: see table_test.c */
	if (table_config(r->config))
		cfg = *table_config(r->config);
	if (_i >= (int)verdict_row_count)
		cfg.flags |= HARNESS_SUMMARIES;
	ck_assert_int_eq(harness_set_config(&h, &cfg), 0);
	snprintf(name, sizeof(name), "row '%s'%s", r->name, _i >= (int)verdict_row_count ? " (summaries on)" : "");
	expect_guard(name, frame, len, r->counter);
}
END_TEST

static size_t invite_from(const char *src, int proto, uint8_t *frame)
{
	static const char invite[] = "INVITE sip:1001@198.18.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	struct frame_spec s = { .family = 4, .src = src, .proto = proto, .payload = invite,
				.payload_len = sizeof(invite) - 1 };

	return frame_build(&s, frame, FRAME_MAX);
}

/* Auto-blocks: the guard drops an auto-blocked source as XDP does (UDP; TCP to a port the seed
 * config does not inspect passes both), an allowlisted one never, and none once the horizon is
 * behind the clock. */
START_TEST(test_guard_auto_block)
{
	struct vosfp_config cfg = { .flags = VOSFP_F_AUTO_BLOCK };
	struct vosfp_auto_block b = { .expires = harness_now(&h) + 60000000000ULL, .reason = VOSFP_REASON_RATE };
	/* 198.18.9.1 blocked; 198.18.7.7 is in the table's allowlist and auto-blocked too. */
	struct vosfp_src_key k1 = { .addr = { [10] = 0xff, [11] = 0xff, 198, 18, 9, 1 } };
	struct vosfp_src_key k2 = { .addr = { [10] = 0xff, [11] = 0xff, 198, 18, 7, 7 } };
	uint8_t frame[FRAME_MAX];
	__u32 zero = 0;
	size_t len;

	ck_assert_int_eq(harness_set_config(&h, &cfg), 0);
	ck_assert_int_eq(harness_auto_block(&h, &k1, &b), 0);
	ck_assert_int_eq(harness_auto_block(&h, &k2, &b), 0);

	len = invite_from("198.18.9.1", 17, frame);
	ck_assert_int_eq(harness_run_on(&h, frame, len, LO_IFINDEX), 1 /* XDP_DROP */);
	expect_guard("auto-blocked source, UDP", frame, len, VOSFP_CNT_AUTO_BLOCKED);
	len = invite_from("198.18.9.1", 6, frame);
	expect_guard("auto-blocked source, TCP to an uninspected port", frame, len, -1);
	len = invite_from("198.18.7.7", 17, frame);
	expect_guard("auto-blocked but allowlisted source", frame, len, -1);
	len = invite_from("198.18.9.2", 17, frame);
	expect_guard("a neighbour of the auto-blocked source", frame, len, -1);

	b.expires = harness_now(&h) - 1;
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(h.skel->maps.auto_block_horizon), &zero, &b.expires,
					     BPF_ANY), 0);
	len = invite_from("198.18.9.1", 17, frame);
	expect_guard("auto-block behind the horizon", frame, len, -1);
}
END_TEST

/* Mutated rows (bit flips and boundary bytes in the headers, truncation): the guard drops a frame
 * if and only if XDP drops it for its source, under the same counter. */
START_TEST(test_guard_agrees_with_xdp)
{
	struct rng r = { .s = env_ulong("VOSFP_GUARD_SEED", 20261207) };
	unsigned long frames = env_ulong("VOSFP_GUARD_FRAMES", 20000), compared = 0, drops = 0, refused = 0;
	struct vosfp_config cfg = { .flags = HARNESS_SUMMARIES };

	ck_assert_int_eq(harness_set_config(&h, &cfg), 0);
	for (unsigned long n = 0; n < frames; n++) {
		const struct verdict_row *row = &verdict_rows[below(&r, verdict_row_count)];
		uint8_t frame[FRAME_MAX];
		size_t len = verdict_row_frame(row, frame, sizeof(frame));
		uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
		int xdp_counter = -1;
		char name[160];

		if (len < ETH_HLEN || row->config != CFG_SEED)
			continue;
		for (int k = 1 + below(&r, 3); k > 0; k--) {
			size_t at = below(&r, len < 80 ? (unsigned)len : 80);

			frame[at] = below(&r, 2) ? frame[at] ^ (1u << below(&r, 8)) : (uint8_t)rnd(&r);
		}
		if (!below(&r, 8))
			len = ETH_HLEN + below(&r, (unsigned)(len - ETH_HLEN));
		ck_assert_int_eq(harness_counters(&h, before, VOSFP_COUNTER_SLOTS), 0);
		ck_assert_int_ge(harness_run_on(&h, frame, len, LO_IFINDEX), 0);
		ck_assert_int_eq(harness_counters(&h, after, VOSFP_COUNTER_SLOTS), 0);
		for (int c = 0; c < VOSFP_COUNTER_SLOTS; c++)
			if (after[c] != before[c])
				xdp_counter = c;
		compared++;
		drops += source_drop(xdp_counter);
		snprintf(name, sizeof(name), "frame %lu (a mutation of row '%s', %zu bytes)", n, row->name, len);
		refused += expect_guard(name, frame, len, xdp_counter);
	}
	printf("guard: %lu mutated frames, %lu dropped for their source by XDP and the guard alike, %lu refused as an skb by the kernel\n",
	       compared, drops, refused);
	ck_assert_uint_gt(drops, 0);
}
END_TEST

TCase *guard_tcase(void)
{
	TCase *tc = tcase_create("tc-guard");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_guard_row, 0, (int)(2 * verdict_row_count));
	tcase_add_test(tc, test_guard_auto_block);
	tcase_add_test(tc, test_guard_agrees_with_xdp);
	return tc;
}
