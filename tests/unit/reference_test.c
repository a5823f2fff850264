/* reference_test.c - the reference classifier against the hand-written verdict table: the
 * oracle of the differential test must itself be right. */
#include <check.h>

#include "verdict_table.h"

START_TEST(test_reference_row)
{
	const struct verdict_row *r = &verdict_rows[_i];
	uint8_t frame[FRAME_MAX];
	size_t len = verdict_row_frame(r, frame, sizeof(frame));
	struct ref_policy pol;
	struct ref_verdict v;

	verdict_table_init();
	pol = verdict_row_policy(r);
	ck_assert_msg(len > 0, "row '%s': frame does not build", r->name);
	v = reference_classify(frame, len, &pol);
	ck_assert_msg(v.action == r->action && v.counter == r->counter,
		      "row '%s': reference says %s/%s, table says %s/%s", r->name,
		      ref_action_name(v.action), ref_counter_name(v.counter),
		      ref_action_name(r->action), ref_counter_name(r->counter));
}
END_TEST

TCase *reference_tcase(void)
{
	TCase *tc = tcase_create("reference");

	tcase_add_loop_test(tc, test_reference_row, 0, (int)verdict_row_count);
	return tc;
}
