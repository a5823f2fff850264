/* txn_test.c - rollback decisions: newest change undone first, each by its inverse, partial list
 * writes undone exactly as far as they got. */
#include <check.h>

#include "txn.h"

static void rec(struct journal *j, enum change_kind kind, unsigned slot, enum plan_op op, size_t count)
{
	struct change c = { .kind = kind, .slot = slot, .op = op, .count = count };

	ck_assert_int_eq(journal_record(j, &c), 0);
}

START_TEST(test_undo_reverses_and_inverts)
{
	struct journal j = { 0 };
	struct undo_step s[8];
	size_t n;

	rec(&j, CHANGE_LINK_CREATED, 0, 0, 0);		/* 0: veth0 attached */
	rec(&j, CHANGE_LINK_SWITCHED, 1, 0, 0);		/* 1: eth1 switched to the new program */
	rec(&j, CHANGE_LIST, 0, PLAN_BLOCK_ADD, 5);	/* 2 */
	rec(&j, CHANGE_LIST, 0, PLAN_ALLOW_DEL, 2);	/* 3 */
	rec(&j, CHANGE_RUNTIME, 0, PLAN_RUNTIME, 0);	/* 4 */
	rec(&j, CHANGE_LIST, 0, PLAN_ALLOW_ADD, 1);	/* 5: failed half way, one entry in */
	n = journal_undo(&j, s);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(s[0].action, UNDO_LIST_DEL);
	ck_assert_uint_eq(s[0].change, 5);
	ck_assert_int_eq(s[1].action, UNDO_RESTORE_RUNTIME);
	ck_assert_int_eq(s[2].action, UNDO_LIST_ADD);		/* allowlist removals come back */
	ck_assert_uint_eq(s[2].change, 3);
	ck_assert_int_eq(s[3].action, UNDO_LIST_DEL);		/* blocklist additions go */
	ck_assert_uint_eq(s[3].change, 2);
	ck_assert_int_eq(s[4].action, UNDO_SWITCH_BACK);
	ck_assert_uint_eq(s[4].change, 1);
	ck_assert_int_eq(s[5].action, UNDO_CLOSE_LINK);
	ck_assert_uint_eq(s[5].change, 0);
	journal_free(&j);
}
END_TEST

/* The prefix index's ops are undone as the blocklist's: what went in comes out, and back. */
START_TEST(test_index_undone_as_lists)
{
	struct journal j = { 0 };
	struct undo_step s[4];

	rec(&j, CHANGE_LIST, 0, PLAN_INDEX_ADD, 3);
	rec(&j, CHANGE_LIST, 0, PLAN_INDEX_DEL, 2);
	ck_assert_uint_eq(journal_undo(&j, s), 2);
	ck_assert_int_eq(s[0].action, UNDO_LIST_ADD);
	ck_assert_int_eq(s[1].action, UNDO_LIST_DEL);
	journal_free(&j);
}
END_TEST

/* A list op that failed before writing anything leaves nothing to undo. */
START_TEST(test_nothing_written_nothing_undone)
{
	struct journal j = { 0 };
	struct undo_step s[4];

	rec(&j, CHANGE_LIST, 0, PLAN_BLOCK_ADD, 0);
	ck_assert_uint_eq(journal_undo(&j, s), 0);
	rec(&j, CHANGE_MODE_CHANGED, 3, 0, 0);
	ck_assert_uint_eq(journal_undo(&j, s), 1);
	ck_assert_int_eq(s[0].action, UNDO_MODE_BACK);
	ck_assert_uint_eq(j.v[s[0].change].slot, 3);
	rec(&j, CHANGE_SUMMARY, 1, 0, 0);
	ck_assert_uint_eq(journal_undo(&j, s), 2);
	ck_assert_int_eq(s[0].action, UNDO_RESTORE_SUMMARY);
	ck_assert_uint_eq(j.v[s[0].change].slot, 1);
	journal_free(&j);
}
END_TEST

/* An interface's XDP link and egress filter go back together, newest first: a failure on the
 * next interface undoes both on this one. */
START_TEST(test_egress_undone_with_xdp)
{
	struct journal j = { 0 };
	struct undo_step s[4];

	rec(&j, CHANGE_LINK_CREATED, 0, 0, 0);		/* 0: veth0's XDP link */
	rec(&j, CHANGE_EGRESS_ATTACHED, 0, 0, 0);	/* 1: veth0's egress filter */
	rec(&j, CHANGE_LINK_SWITCHED, 1, 0, 0);		/* 2: eth1 kept, new program */
	rec(&j, CHANGE_EGRESS_SWITCHED, 1, 0, 0);	/* 3: and its egress filter too */
	ck_assert_uint_eq(journal_undo(&j, s), 4);
	ck_assert_int_eq(s[0].action, UNDO_EGRESS_SWITCH_BACK);
	ck_assert_uint_eq(j.v[s[0].change].slot, 1);
	ck_assert_int_eq(s[1].action, UNDO_SWITCH_BACK);
	ck_assert_int_eq(s[2].action, UNDO_EGRESS_DETACH);
	ck_assert_uint_eq(j.v[s[2].change].slot, 0);
	ck_assert_int_eq(s[3].action, UNDO_CLOSE_LINK);
	journal_free(&j);
}
END_TEST

/* The slot maps and the pins a transaction made come back first among what preceded them. */
START_TEST(test_slots_and_pins_undone)
{
	struct journal j = { 0 };
	struct undo_step s[4];

	rec(&j, CHANGE_PINS_MADE, 0, 0, 0);
	rec(&j, CHANGE_IFACE_SLOTS, 0, 0, 0);
	rec(&j, CHANGE_LINK_CREATED, 2, 0, 0);
	ck_assert_uint_eq(journal_undo(&j, s), 3);
	ck_assert_int_eq(s[0].action, UNDO_CLOSE_LINK);
	ck_assert_int_eq(s[1].action, UNDO_RESTORE_IFACE_SLOTS);
	ck_assert_int_eq(s[2].action, UNDO_UNPIN);
	journal_free(&j);
}
END_TEST

START_TEST(test_empty_journal)
{
	struct journal j = { 0 };
	struct undo_step s[1];

	ck_assert_uint_eq(journal_undo(&j, s), 0);
}
END_TEST

TCase *txn_tcase(void)
{
	TCase *tc = tcase_create("txn");

	tcase_add_test(tc, test_undo_reverses_and_inverts);
	tcase_add_test(tc, test_nothing_written_nothing_undone);
	tcase_add_test(tc, test_index_undone_as_lists);
	tcase_add_test(tc, test_egress_undone_with_xdp);
	tcase_add_test(tc, test_slots_and_pins_undone);
	tcase_add_test(tc, test_empty_journal);
	return tc;
}
