/* table_test.c - every row of the verdict table through the real kernel program: the action and
 * the exact counter deltas (one counter +1, or none, every other slot unchanged). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <string.h>

#include "prog_harness.h"
#include "verdict_table.h"

#define ETH_HLEN 14

static struct harness h;

/* The program loaded with the table's lists (shared with the differential test). */
void load_table_policy(struct harness *hh)
{
	verdict_table_init();
	if (harness_open(hh, 0))
		abort();
	for (size_t i = 0; i < table_blocked_count; i++)
		if (harness_block(hh, &table_blocked[i]))
			abort();
	for (size_t i = 0; i < table_allowed_count; i++)
		if (harness_allow(hh, &table_allowed[i]))
			abort();
}

static void load_with_table_policy(void)
{
	load_table_policy(&h);
}

static void unload(void)
{
	harness_close(&h);
}

/* The row's config, with the summaries in use or not: every row runs both ways. */
static const struct vosfp_config *row_config(const struct verdict_row *r, int summaries)
{
	static struct vosfp_config cfg;
	const struct vosfp_config *base = table_config(r->config);

	if (!summaries)
		return base;
	if (base)
		cfg = *base;
	else
		memset(&cfg, 0, sizeof(cfg));
	cfg.flags |= HARNESS_SUMMARIES;
	return &cfg;
}

START_TEST(test_kernel_row)
{
	const struct verdict_row *r = &verdict_rows[_i % verdict_row_count];
	int summaries = _i >= (int)verdict_row_count;
	uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
	uint8_t frame[FRAME_MAX];
	size_t len = verdict_row_frame(r, frame, sizeof(frame));
	int action;

	ck_assert_msg(len > 0, "row '%s': frame does not build", r->name);
	if (len < ETH_HLEN) {
		/* The kernel refuses such input before the program runs (and no driver delivers it);
		 * the reference classifier's unit test covers the row. */
		ck_assert_int_eq(harness_run(&h, frame, len), -EINVAL);
		return;
	}
	ck_assert_int_eq(harness_set_config(&h, row_config(r, summaries)), 0);
	ck_assert_int_eq(harness_counters(&h, before, VOSFP_COUNTER_SLOTS), 0);
	action = harness_run(&h, frame, len);
	ck_assert_int_eq(harness_counters(&h, after, VOSFP_COUNTER_SLOTS), 0);

	ck_assert_msg(action == (int)r->action, "row '%s'%s: kernel action %s, expected %s", r->name,
		      summaries ? " (summaries on)" : "", ref_action_name(action), ref_action_name(r->action));
	for (int slot = 0; slot < VOSFP_COUNTER_SLOTS; slot++) {
		uint64_t want = before[slot] + (slot == r->counter ? 1 : 0);

		ck_assert_msg(after[slot] == want, "row '%s'%s: counter %s moved by %lld, expected %lld",
			      r->name, summaries ? " (summaries on)" : "", ref_counter_name(slot),
			      (long long)(after[slot] - before[slot]),
			      (long long)(want - before[slot]));
	}
}
END_TEST

/* The counters start at zero and only the rows' own packets move them. */
START_TEST(test_counter_totals)
{
	uint64_t expected[VOSFP_COUNTER_SLOTS] = { 0 }, got[VOSFP_COUNTER_SLOTS];
	uint8_t frame[FRAME_MAX];

	ck_assert_int_eq(harness_reset_counters(&h), 0);
	for (size_t i = 0; i < verdict_row_count; i++) {
		const struct verdict_row *r = &verdict_rows[i];
		size_t len = verdict_row_frame(r, frame, sizeof(frame));

		if (len < ETH_HLEN)
			continue;
		ck_assert_int_eq(harness_set_config(&h, table_config(r->config)), 0);
		for (int k = 0; k < 3; k++)
			ck_assert_int_eq(harness_run(&h, frame, len), r->action);
		if (r->counter != REF_UNCOUNTED)
			expected[r->counter] += 3;
	}
	ck_assert_int_eq(harness_counters(&h, got, VOSFP_COUNTER_SLOTS), 0);
	for (int slot = 0; slot < VOSFP_COUNTER_SLOTS; slot++)
		ck_assert_msg(got[slot] == expected[slot], "counter %s = %llu, expected %llu",
			      ref_counter_name(slot), (unsigned long long)got[slot],
			      (unsigned long long)expected[slot]);
}
END_TEST

TCase *table_tcase(void)
{
	TCase *tc = tcase_create("verdict-table");

	tcase_add_unchecked_fixture(tc, load_with_table_policy, unload);
	tcase_add_loop_test(tc, test_kernel_row, 0, 2 * (int)verdict_row_count);
	tcase_add_test(tc, test_counter_totals);
	return tc;
}
