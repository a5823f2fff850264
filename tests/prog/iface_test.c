/* iface_test.c - per-interface counters through the real kernel program: every row of the verdict
 * table received on lo (ifindex 1, given a slot) moves exactly its counter in that slot, by one
 * packet and the frame's length in bytes, and nothing in any other slot; packets of an interface
 * without a slot, or with a slot number out of range, count in slot 0 ("other"). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "prog_harness.h"
#include "verdict_table.h"

#define ETH_HLEN 14
#define LO_IFINDEX 1		/* the loopback device is always ifindex 1 in its namespace */
#define LO_SLOT 5		/* any slot but 0: shows the slot comes from the map, not a default */

static struct harness h;

void load_table_policy(struct harness *hh);

static void load(void)
{
	load_table_policy(&h);
}

static void unload(void)
{
	harness_close(&h);
}

/* Slots 0 and LO_SLOT, and one more that must never move. */
static const __u32 watched[] = { 0, LO_SLOT, LO_SLOT + 1 };
#define WATCHED (sizeof(watched) / sizeof(watched[0]))

static void read_watched(struct vosfp_traffic out[WATCHED][VOSFP_COUNTER_SLOTS])
{
	for (size_t w = 0; w < WATCHED; w++)
		ck_assert_int_eq(harness_iface_traffic(&h, watched[w], out[w]), 0);
}

/* Run row i's frame on ifindex; it must land in slot `into` (every other watched slot still). */
static void check_row(const struct verdict_row *r, __u32 ifindex, __u32 into)
{
	struct vosfp_traffic before[WATCHED][VOSFP_COUNTER_SLOTS], after[WATCHED][VOSFP_COUNTER_SLOTS];
	uint8_t frame[FRAME_MAX];
	size_t len = verdict_row_frame(r, frame, sizeof(frame));
	int action;

	if (len < ETH_HLEN)
		return;		/* refused by the kernel before the program runs: see table_test.c */
	ck_assert_int_eq(harness_set_config(&h, table_config(r->config)), 0);
	read_watched(before);
	action = harness_run_on(&h, frame, len, ifindex);
	read_watched(after);
	ck_assert_msg(action == (int)r->action, "row '%s' on ifindex %u: action %s, expected %s", r->name,
		      ifindex, ref_action_name(action), ref_action_name(r->action));
	for (size_t w = 0; w < WATCHED; w++)
		for (int c = 0; c < VOSFP_COUNTER_SLOTS; c++) {
			int hit = watched[w] == into && c == r->counter;
			__u64 packets = after[w][c].packets - before[w][c].packets;
			__u64 bytes = after[w][c].bytes - before[w][c].bytes;

			ck_assert_msg(packets == (hit ? 1u : 0u) && bytes == (hit ? len : 0u),
				      "row '%s' on ifindex %u: slot %u counter %s moved by %llu packets / %llu bytes, expected %d / %zu",
				      r->name, ifindex, watched[w], ref_counter_name(c), (unsigned long long)packets,
				      (unsigned long long)bytes, hit, hit ? len : 0);
		}
}

START_TEST(test_row_in_slot)
{
	ck_assert_int_eq(harness_set_iface_slot(&h, LO_IFINDEX, LO_SLOT), 0);
	check_row(&verdict_rows[_i], LO_IFINDEX, LO_SLOT);
}
END_TEST

START_TEST(test_row_without_slot)
{
	ck_assert_int_eq(harness_set_iface_slot(&h, LO_IFINDEX, 0), 0);
	check_row(&verdict_rows[_i], LO_IFINDEX, 0);
}
END_TEST

/* No ctx at all: ingress_ifindex 0, never given a slot. */
START_TEST(test_no_ifindex_counts_as_other)
{
	ck_assert_int_eq(harness_set_iface_slot(&h, 0, 0), 0);
	check_row(&verdict_rows[_i], 0, 0);
}
END_TEST

/* A corrupted slot number must not index past the counters: the datapath bounds it. */
START_TEST(test_slot_out_of_range)
{
	const __u32 bad[] = { VOSFP_IFACE_SLOTS, VOSFP_IFACE_SLOTS + 1, 0xFFFFFFFFu };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(harness_set_iface_slot(&h, LO_IFINDEX, bad[i]), 0);
		check_row(&verdict_rows[_i], LO_IFINDEX, 0);
	}
}
END_TEST

/* Totals stay the seed's: xdp_counters still moves by one per counted packet, whatever the slot. */
START_TEST(test_totals_equal_slot_sums)
{
	uint64_t total[VOSFP_COUNTER_SLOTS];
	struct vosfp_traffic slots[2][VOSFP_COUNTER_SLOTS];
	uint8_t frame[FRAME_MAX];

	ck_assert_int_eq(harness_reset_counters(&h), 0);
	for (__u32 s = 0; s < 2; s++) {
		struct vosfp_traffic zero[VOSFP_COUNTER_SLOTS];

		/* Start the two slots used here from their current values: compare deltas. */
		ck_assert_int_eq(harness_iface_traffic(&h, s ? LO_SLOT : 0, zero), 0);
		memcpy(slots[s], zero, sizeof(zero));
	}
	for (size_t i = 0; i < verdict_row_count; i++) {
		const struct verdict_row *r = &verdict_rows[i];
		size_t len = verdict_row_frame(r, frame, sizeof(frame));

		if (len < ETH_HLEN)
			continue;
		ck_assert_int_eq(harness_set_config(&h, table_config(r->config)), 0);
		ck_assert_int_eq(harness_set_iface_slot(&h, LO_IFINDEX, i % 2 ? LO_SLOT : 0), 0);
		ck_assert_int_eq(harness_run_on(&h, frame, len, LO_IFINDEX), r->action);
	}
	ck_assert_int_eq(harness_counters(&h, total, VOSFP_COUNTER_SLOTS), 0);
	for (int c = 0; c < VOSFP_COUNTER_SLOTS; c++) {
		struct vosfp_traffic now[2][VOSFP_COUNTER_SLOTS];
		__u64 sum;

		ck_assert_int_eq(harness_iface_traffic(&h, 0, now[0]), 0);
		ck_assert_int_eq(harness_iface_traffic(&h, LO_SLOT, now[1]), 0);
		sum = now[0][c].packets - slots[0][c].packets + now[1][c].packets - slots[1][c].packets;
		ck_assert_msg(sum == total[c], "counter %s: slots sum to %llu, xdp_counters says %llu",
			      ref_counter_name(c), (unsigned long long)sum, (unsigned long long)total[c]);
	}
}
END_TEST

TCase *iface_tcase(void)
{
	TCase *tc = tcase_create("per-interface");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_add_loop_test(tc, test_row_in_slot, 0, (int)verdict_row_count);
	tcase_add_loop_test(tc, test_row_without_slot, 0, (int)verdict_row_count);
	tcase_add_loop_test(tc, test_no_ifindex_counts_as_other, 0, (int)verdict_row_count);
	tcase_add_loop_test(tc, test_slot_out_of_range, 0, (int)verdict_row_count);
	tcase_add_test(tc, test_totals_equal_slot_sums);
	return tc;
}
