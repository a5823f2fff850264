/* plan_test.c - planning without a kernel: diffs only, the never-more-permissive order, map
 * re-creation on size changes, interface actions. */
#include <check.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "summary.h"

static void add(struct prefix_set *s, const char *text)
{
	struct vosfp_prefix p;

	ck_assert_int_eq(vosfp_prefix_parse(text, &p, NULL, 0), 0);
	ck_assert_int_eq(prefix_set_add(s, &p), 0);
}

static void set_of(struct prefix_set *s, const char *const *texts)
{
	memset(s, 0, sizeof(*s));
	for (; *texts; texts++)
		add(s, *texts);
	prefix_set_finish(s);
}

static int holds(const struct prefix_set *s, const char *text)
{
	struct vosfp_prefix p;

	ck_assert_int_eq(vosfp_prefix_parse(text, &p, NULL, 0), 0);
	return prefix_set_contains(s, &p);
}

static struct desired_iface veth0 = { .name = "veth0", .modes = { VOSFP_MODE_NATIVE, VOSFP_MODE_GENERIC }, .mode_count = 2 };

static void base(struct desired *want, struct observed *have)
{
	memset(want, 0, sizeof(*want));
	memset(have, 0, sizeof(*have));
	strcpy(want->config_path, "/etc/vosfp.yaml");
	strcpy(want->pin_path, "/sys/fs/bpf/vosfp");
	want->blocklist_max = have->blocklist_max = 1000;
	want->allowlist_max = have->allowlist_max = 100;
	want->runtime.flags = have->runtime.flags = VOSFP_F_PORTS;
	have->readable = have->pinned = 1;
}

START_TEST(test_diff_only)
{
	static const char *const want_block[] = { "198.51.100.1", "198.51.100.2", "2001:db8::/32", "10.0.0.0/8", NULL };
	static const char *const have_block[] = { "198.51.100.1", "198.51.100.3", "10.0.0.0/8", NULL };
	static const char *const want_allow[] = { "203.0.113.0/24", NULL };
	static const char *const have_allow[] = { "203.0.113.0/24", "198.18.0.9", NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	set_of(&want.blocked, want_block);
	set_of(&have.blocked, have_block);
	set_of(&want.allowed, want_allow);
	set_of(&have.allowed, have_allow);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(!p.new_maps);
	ck_assert(!p.runtime_changed);
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_ADD].n, 2);
	ck_assert(holds(&p.lists[PLAN_BLOCK_ADD], "198.51.100.2"));
	ck_assert(holds(&p.lists[PLAN_BLOCK_ADD], "2001:db8::/32"));
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_DEL].n, 1);
	ck_assert(holds(&p.lists[PLAN_BLOCK_DEL], "198.51.100.3"));
	ck_assert_uint_eq(p.lists[PLAN_ALLOW_ADD].n, 0);
	ck_assert_uint_eq(p.lists[PLAN_ALLOW_DEL].n, 1);
	ck_assert(holds(&p.lists[PLAN_ALLOW_DEL], "198.18.0.9"));
	plan_free(&p);
	prefix_set_free(&want.blocked);
	prefix_set_free(&want.allowed);
	observed_free(&have);
}
END_TEST

/* Same desired and observed: nothing at all to do (a restart writes no map entry). */
START_TEST(test_unchanged_is_empty)
{
	static const char *const list[] = { "198.51.100.1", "10.0.0.0/8", NULL };
	struct observed_iface ours = { .name = "veth0", .mode = VOSFP_MODE_GENERIC, .ours = 1 };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	set_of(&want.blocked, list);
	set_of(&have.blocked, list);
	want.ifaces = &veth0;
	want.iface_count = 1;
	have.ifaces = &ours;
	have.iface_count = 1;
	/* The kernel's summaries are the ones these lists need. */
	for (int k = 0; k < SUMMARY_KINDS; k++)
		have.summaries[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
	summary_build(&have.blocked, 1, have.summaries);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(plan_empty(&p));
	ck_assert_int_eq(p.ifaces[0].action, IFACE_KEEP);
	plan_free(&p);
	prefix_set_free(&want.blocked);
	prefix_set_free(&have.blocked);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		free(have.summaries[k]);
}
END_TEST

/* Summaries: only the words that differ count, and new maps start from zero. */
START_TEST(test_summary_diff)
{
	static const char *const was[] = { "198.51.100.7", "10.0.0.0/8", NULL };
	static const char *const now[] = { "198.51.100.7", "10.0.0.0/9", "198.51.101.1", NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	set_of(&want.blocked, now);
	set_of(&have.blocked, was);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		have.summaries[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
	summary_build(&have.blocked, 1, have.summaries);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	/* 10.128.0.0/9 is 32768 /24s = 512 words cleared; 198.51.101.x is in the same word as
	 * 198.51.100.x (64 /24s per word): one more "near" word changes. Only prefixes of /24 or
	 * shorter fill "full" words: the 512. */
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_NEAR], 512 + 1);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_FULL], 512);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_ALLOW_NEAR], 0);
	plan_free(&p);

	want.blocklist_max = 5000;	/* new maps: every non-zero word is a change */
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_NEAR], 512 + 1);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_FULL], 512);
	plan_free(&p);
	prefix_set_free(&want.blocked);
	observed_free(&have);
}
END_TEST

/* The order of the ops is the safety argument: stricter first, looser last. */
START_TEST(test_order_never_more_permissive)
{
	ck_assert_int_lt(PLAN_BLOCK_ADD, PLAN_BLOCK_DEL);
	ck_assert_int_lt(PLAN_ALLOW_DEL, PLAN_ALLOW_ADD);
	ck_assert_int_lt(PLAN_BLOCK_ADD, PLAN_ALLOW_ADD);
	ck_assert_int_lt(PLAN_ALLOW_DEL, PLAN_BLOCK_DEL);
	ck_assert_int_lt(PLAN_ALLOW_DEL, PLAN_RUNTIME);
	ck_assert_int_lt(PLAN_RUNTIME, PLAN_ALLOW_ADD);
	/* The prefix index follows its entries in (after the blocklist's summaries grew) and out. */
	ck_assert_int_lt(PLAN_BLOCK_ADD, PLAN_INDEX_ADD);
	ck_assert_int_lt(PLAN_INDEX_ADD, PLAN_ALLOW_ADD);
	ck_assert_int_lt(PLAN_BLOCK_DEL, PLAN_INDEX_DEL);
	ck_assert_int_eq(PLAN_INDEX_DEL, PLAN_OPS - 1);
	ck_assert_str_eq(plan_op_name(PLAN_BLOCK_ADD), "blocklist add");
}
END_TEST

START_TEST(test_size_change_recreates_maps)
{
	static const char *const list[] = { "198.51.100.1", NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	set_of(&want.blocked, list);
	set_of(&have.blocked, list);
	want.blocklist_max = 2000;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.new_maps);
	ck_assert(p.runtime_changed);
	/* New maps start empty: the whole desired list is written to them. */
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_ADD].n, 1);
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_DEL].n, 0);
	plan_free(&p);
	prefix_set_free(&want.blocked);
	prefix_set_free(&have.blocked);
}
END_TEST

/* limits.rate_sources_max / auto_block_max: new maps when a pinned size differs; pins of an
 * object without those maps (size 0) are no reason for new ones. */
START_TEST(test_defence_map_sizes)
{
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	want.rate_sources_max = have.rate_sources_max = 65536;
	want.auto_block_max = have.auto_block_max = 65536;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(!p.new_maps);
	plan_free(&p);

	want.auto_block_max = 2048;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.new_maps);
	plan_free(&p);

	want.auto_block_max = 65536;
	want.rate_sources_max = 1024;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.new_maps);
	plan_free(&p);

	have.rate_sources_max = have.auto_block_max = 0;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(!p.new_maps);
	plan_free(&p);
}
END_TEST

START_TEST(test_runtime_change)
{
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	want.runtime.flags |= VOSFP_F_NO_STEALTH;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.runtime_changed);
	ck_assert(!p.new_maps);
	ck_assert(!plan_empty(&p));
	plan_free(&p);
}
END_TEST

/* Flood defence retuned or switched: a map write, never new maps or a new program. */
START_TEST(test_defence_change_is_runtime_only)
{
	struct vosfp_scanner_key keys[2];
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	want.runtime.flags |= VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK;
	want.runtime.rate[VOSFP_M_INVITE] = (struct vosfp_rate){ 5, 10 };
	want.runtime.auto_block_ms = 60000;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.runtime_changed);
	ck_assert(!p.scanners_changed);
	ck_assert(!p.new_maps);
	ck_assert(!p.swap_program);
	plan_free(&p);

	/* Same flags, new token set: only the tokens change. */
	base(&want, &have);
	ck_assert_int_eq(scanner_key("sipvicious", &keys[0]), 0);
	ck_assert_int_eq(scanner_key("sipcli", &keys[1]), 0);
	want.scanners = keys;
	want.scanner_count = 2;
	have.scanners = keys;
	have.scanner_count = 1;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(!p.runtime_changed);
	ck_assert(p.scanners_changed);
	ck_assert(!p.new_maps);
	ck_assert(!plan_empty(&p));
	plan_free(&p);
	have.scanner_count = 2;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(plan_empty(&p));
	plan_free(&p);
}
END_TEST

static unsigned taken_slots(const struct vosfp_scanner_free *f)
{
	unsigned n = 0;

	for (unsigned w = 0; w < VOSFP_SCANNER_FREE_WORDS; w++)
		n += (unsigned)__builtin_popcountll(~f->bits[w]);
	return n;
}

/* scanner_free: each key takes its own slot (the default tokens' slots are distinct), the union
 * of two sets takes both; the plan writes the map when its pinned content differs, or when a
 * swap creates it, and leaves pins without it alone otherwise (an older program). */
START_TEST(test_scanner_free)
{
	struct vosfp_scanner_key keys[VOSFP_SCANNER_TOKENS_MAX];
	struct vosfp_scanner_free one, other, both;
	struct desired want;
	struct observed have;
	struct plan p;

	for (unsigned i = 0; i < scanner_default_count; i++)
		ck_assert_int_eq(scanner_key(scanner_default_tokens[i], &keys[i]), 0);
	scanner_free_build(keys, scanner_default_count, NULL, 0, &one);
	ck_assert_uint_eq(taken_slots(&one), scanner_default_count);
	scanner_free_build(NULL, 0, NULL, 0, &both);
	ck_assert_uint_eq(taken_slots(&both), 0);
	scanner_free_build(keys, 2, NULL, 0, &one);
	scanner_free_build(&keys[2], 3, NULL, 0, &other);
	scanner_free_build(keys, 2, &keys[2], 3, &both);
	ck_assert_uint_eq(taken_slots(&both), 5);
	for (unsigned w = 0; w < VOSFP_SCANNER_FREE_WORDS; w++)
		ck_assert(both.bits[w] == (one.bits[w] & other.bits[w]));

	base(&want, &have);
	want.scanners = have.scanners = keys;
	want.scanner_count = have.scanner_count = 2;
	scanner_free_build(keys, 2, NULL, 0, &want.scanner_free);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_msg(plan_empty(&p), "pins without scanner_free and no swap: nothing to write");
	plan_free(&p);
	have.program_outdated = 1;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_msg(p.swap_program && p.scanners_changed, "a swap creates scanner_free: written");
	plan_free(&p);
	have.program_outdated = 0;
	have.scanner_free_pinned = 1;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_msg(p.scanners_changed, "pinned scanner_free all zero: written");
	plan_free(&p);
	have.scanner_free = want.scanner_free;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(plan_empty(&p));
	plan_free(&p);
}
END_TEST

/* Pins of an object with another sip_config layout cannot be reused: new maps. */
START_TEST(test_outdated_maps_recreated)
{
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	have.maps_outdated = 1;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.new_maps);
	ck_assert(p.runtime_changed);
	plan_free(&p);
}
END_TEST

START_TEST(test_interface_actions)
{
	struct desired_iface eth1 = { .name = "eth1", .modes = { VOSFP_MODE_NATIVE }, .mode_count = 1 };
	struct desired_iface wanted[] = { veth0, eth1 };
	struct observed_iface seen[] = {
		{ .name = "eth1", .mode = VOSFP_MODE_GENERIC, .ours = 1 },	/* mode no longer allowed */
		{ .name = "old0", .mode = VOSFP_MODE_NATIVE, .ours = 1 },	/* no longer declared */
		{ .name = "other0", .mode = VOSFP_MODE_NATIVE, .ours = 0 },	/* not ours: left alone */
	};
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	want.ifaces = wanted;
	want.iface_count = 2;
	have.ifaces = seen;
	have.iface_count = 3;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_uint_eq(p.iface_count, 3);
	ck_assert_str_eq(p.ifaces[0].name, "veth0");
	ck_assert_int_eq(p.ifaces[0].action, IFACE_ATTACH);
	ck_assert_str_eq(p.ifaces[1].name, "eth1");
	ck_assert_int_eq(p.ifaces[1].action, IFACE_REATTACH);
	ck_assert_str_eq(p.ifaces[2].name, "old0");
	ck_assert_int_eq(p.ifaces[2].action, IFACE_DETACH);
	plan_free(&p);
}
END_TEST

/* The attach method is part of what is declared: another method re-attaches (under the guard); an
 * attachment removed by someone else (not on the hook, pin still there) attaches anew, and when a
 * pin of each method names the interface the one on the hook decides. */
START_TEST(test_attach_method_actions)
{
	static const struct {
		enum vosfp_attach_method want;
		struct observed_iface seen[2];
		unsigned seen_n;
		enum iface_action action;
		enum vosfp_attach_method have_method;
	} rows[] = {
		{ VOSFP_ATTACH_LINK, { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_LINK, 1 } }, 1, IFACE_KEEP, VOSFP_ATTACH_LINK },
		{ VOSFP_ATTACH_DISPATCHER, { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_LINK, 1 } }, 1, IFACE_REATTACH, VOSFP_ATTACH_LINK },
		{ VOSFP_ATTACH_LINK, { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_DISPATCHER, 1 } }, 1, IFACE_REATTACH, VOSFP_ATTACH_DISPATCHER },
		{ VOSFP_ATTACH_DISPATCHER, { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_DISPATCHER, 1 } }, 1, IFACE_KEEP, VOSFP_ATTACH_DISPATCHER },
		{ VOSFP_ATTACH_DISPATCHER, { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_DISPATCHER, 0 } }, 1, IFACE_ATTACH, VOSFP_ATTACH_DISPATCHER },
		{ VOSFP_ATTACH_LINK, { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_LINK, 0 } }, 1, IFACE_ATTACH, VOSFP_ATTACH_LINK },
		{ VOSFP_ATTACH_DISPATCHER,
		  { { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_LINK, 0 }, { "e0", VOSFP_MODE_NATIVE, VOSFP_ATTACH_DISPATCHER, 1 } },
		  2, IFACE_KEEP, VOSFP_ATTACH_DISPATCHER },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct desired_iface e0 = { .name = "e0", .modes = { VOSFP_MODE_NATIVE }, .mode_count = 1,
					    .method = rows[i].want };
		struct observed_iface seen[2];
		struct desired want;
		struct observed have;
		struct plan p;

		memcpy(seen, rows[i].seen, sizeof(seen));
		base(&want, &have);
		want.ifaces = &e0;
		want.iface_count = 1;
		have.ifaces = seen;
		have.iface_count = rows[i].seen_n;
		ck_assert_int_eq(plan_build(&want, &have, &p), 0);
		ck_assert_uint_eq(p.iface_count, 1);
		ck_assert_msg(p.ifaces[0].action == rows[i].action && p.ifaces[0].have_method == rows[i].have_method,
			      "row %zu: action %d (have method %d), expected %d (%d)", i, p.ifaces[0].action,
			      p.ifaces[0].have_method, rows[i].action, rows[i].have_method);
		plan_free(&p);
	}
}
END_TEST

/* The egress filter follows the answers section on every declared interface: attached where
 * missing (or recorded but gone), kept where there; with the section off, or on an interface no
 * longer declared, detached; a record left for an interface known only to egress goes too. */
START_TEST(test_egress_actions)
{
	struct desired_iface eth1 = { .name = "eth1", .modes = { VOSFP_MODE_NATIVE }, .mode_count = 1 };
	struct desired_iface eth2 = { .name = "eth2", .modes = { VOSFP_MODE_NATIVE }, .mode_count = 1 };
	struct desired_iface wanted[] = { veth0, eth1, eth2 };
	struct observed_iface seen[] = {
		{ .name = "veth0", .mode = VOSFP_MODE_NATIVE, .ours = 1 },
		{ .name = "eth1", .mode = VOSFP_MODE_NATIVE, .ours = 1 },
		{ .name = "old0", .mode = VOSFP_MODE_NATIVE, .ours = 1 },
	};
	struct observed_egress filters[] = {
		{ .name = "veth0", .attached = 1 }, { .name = "eth1", .attached = 0 },
		{ .name = "old0", .attached = 1 }, { .name = "gone0", .attached = 0 },
	};
	static const struct {
		int answers;
		enum egress_action veth0, eth1, eth2, old0, gone0;
	} rows[] = {
		{ 1, EGRESS_KEEP, EGRESS_ATTACH, EGRESS_ATTACH, EGRESS_DETACH, EGRESS_DETACH },
		{ 0, EGRESS_DETACH, EGRESS_DETACH, EGRESS_NONE, EGRESS_DETACH, EGRESS_DETACH },
	};
	struct desired want;
	struct observed have;
	struct plan p;

	for (unsigned r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		base(&want, &have);
		want.ifaces = wanted;
		want.iface_count = 3;
		want.egress = rows[r].answers;
		have.ifaces = seen;
		have.iface_count = 3;
		have.egress = filters;
		have.egress_count = 4;
		ck_assert_int_eq(plan_build(&want, &have, &p), 0);
		ck_assert_uint_eq(p.iface_count, 5);
		ck_assert_str_eq(p.ifaces[3].name, "old0");
		ck_assert_str_eq(p.ifaces[4].name, "gone0");
		ck_assert_int_eq(p.ifaces[4].action, IFACE_DETACH);
		ck_assert_msg(p.ifaces[0].egress == rows[r].veth0 && p.ifaces[1].egress == rows[r].eth1 &&
			      p.ifaces[2].egress == rows[r].eth2 && p.ifaces[3].egress == rows[r].old0 &&
			      p.ifaces[4].egress == rows[r].gone0, "row %u: %d %d %d %d %d", r, p.ifaces[0].egress,
			      p.ifaces[1].egress, p.ifaces[2].egress, p.ifaces[3].egress, p.ifaces[4].egress);
		ck_assert(!plan_empty(&p));
		plan_free(&p);
	}
	/* Nothing else to do and every filter in place: an empty plan. */
	base(&want, &have);
	want.ifaces = wanted;
	want.iface_count = 1;
	want.egress = 1;
	have.ifaces = seen;
	have.iface_count = 1;
	have.egress = filters;
	have.egress_count = 1;
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(plan_empty(&p));
	plan_free(&p);
}
END_TEST

START_TEST(test_first_start)
{
	static const char *const block[] = { "198.51.100.1", "2001:db8::1", NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	have.pinned = 0;
	set_of(&want.blocked, block);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.new_maps);
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_ADD].n, 2);
	plan_free(&p);
	prefix_set_free(&want.blocked);
}
END_TEST

static int cmp_for_qsort(const void *a, const void *b)
{
	return prefix_cmp(a, b);
}

/* The bucket + radix sort must give exactly what qsort gives: sorted, duplicates gone. Loop 0:
 * mixed families and lengths (several buckets, comparison sort inside small ones); loop 1: IPv4
 * hosts only (one bucket, sorted in place by the radix passes). */
START_TEST(test_prefix_set_sort)
{
	struct prefix_set s = { 0 };
	struct vosfp_prefix *ref;
	size_t n = 100000, distinct = 0;
	uint64_t seed = 7 + (uint64_t)_i;

	for (size_t i = 0; i < n; i++) {
		struct vosfp_prefix p = { 0 };

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		if (_i == 0) {
			p.family = (seed >> 63) ? 6 : 4;
			p.len = (__u8)((seed >> 40) % 3 == 0 ? 24 : (p.family == 4 ? 32 : 128));
			/* few distinct addresses: many duplicates, long equal runs */
			p.addr[0] = (__u8)(seed >> 20) % 7;
			p.addr[3] = (__u8)(seed >> 28);
		} else {
			/* 65536 distinct values spread over all 32 bits: duplicates too */
			uint32_t a = (uint32_t)(seed >> 48) * 65537u;

			p.family = 4;
			p.len = 32;
			memcpy(p.addr, (__u8[]){ a >> 24, a >> 16, a >> 8, a }, 4);
		}
		ck_assert_int_eq(prefix_set_add(&s, &p), 0);
	}
	ref = malloc(n * sizeof(*ref));
	memcpy(ref, s.v, n * sizeof(*ref));
	qsort(ref, n, sizeof(*ref), cmp_for_qsort);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || prefix_cmp(&ref[i - 1], &ref[i]))
			ref[distinct++] = ref[i];
	prefix_set_finish(&s);
	ck_assert_uint_eq(s.n, distinct);
	ck_assert_int_eq(memcmp(s.v, ref, distinct * sizeof(*ref)), 0);
	free(ref);
	prefix_set_free(&s);
}
END_TEST

static int v6_bit(const uint64_t *words, uint32_t slash32)
{
	uint32_t bit = vosfp_v6_sum_bit(slash32);

	return (words[bit >> 6] >> (bit & 63)) & 1;
}

static uint64_t popcount(const uint64_t *words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < SUMMARY_WORDS; i++)
		n += (uint64_t)__builtin_popcountll(words[i]);
	return n;
}

/* A /32 other than `x` with the same v6 summary bit. */
static uint32_t collider(uint32_t x)
{
	uint32_t y = x + 1;

	while (vosfp_v6_sum_bit(y) != vosfp_v6_sum_bit(x))
		y++;
	return y;
}

/* Does a blocked_v6_len word list len? */
static int lists_length(uint64_t word, unsigned len)
{
	for (int i = 0; i < VOSFP_V6_LENS; i++)
		if (((word >> (8 * i)) & 0xFF) == len)
			return 1;
	return 0;
}

static uint64_t nonzero_words(const uint64_t *words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < SUMMARY_WORDS; i++)
		n += words[i] != 0;
	return n;
}

/* blocked_nets6_h is diffed against what it holds: the blocklist's IPv6 prefixes (not its /128s, not
 * IPv4, not the allowlist's), all of them when it is new or empty (an upgrade from pins without
 * it), the missing and the stale ones otherwise (a list edit, or what a crash left). */
START_TEST(test_blocked_index_diff)
{
	static const char *const block[] = { "198.51.100.1", "10.0.0.0/8", "2001:db8::1", "2001:db8::/48",
					     "2400::/12", "2001:db8:1::/127", NULL };
	static const char *const allow[] = { "2001:db8:a11::/48", NULL };
	static const char *const part[] = { "2400::/12", "2001:db8:dead::/48", NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	set_of(&want.blocked, block);
	set_of(&have.blocked, block);
	set_of(&want.allowed, allow);
	set_of(&have.allowed, allow);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);	/* index empty: an upgrade */
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_ADD].n, 0);
	ck_assert_uint_eq(p.lists[PLAN_INDEX_ADD].n, 3);
	ck_assert(holds(&p.lists[PLAN_INDEX_ADD], "2001:db8::/48"));
	ck_assert(holds(&p.lists[PLAN_INDEX_ADD], "2400::/12"));
	ck_assert(holds(&p.lists[PLAN_INDEX_ADD], "2001:db8:1::/127"));
	ck_assert_uint_eq(p.lists[PLAN_INDEX_DEL].n, 0);
	ck_assert(!plan_empty(&p));
	plan_free(&p);

	set_of(&have.blocked_index, part);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_uint_eq(p.lists[PLAN_INDEX_ADD].n, 2);
	ck_assert(!holds(&p.lists[PLAN_INDEX_ADD], "2400::/12"));
	ck_assert_uint_eq(p.lists[PLAN_INDEX_DEL].n, 1);
	ck_assert(holds(&p.lists[PLAN_INDEX_DEL], "2001:db8:dead::/48"));
	plan_free(&p);
	prefix_set_free(&have.blocked_index);

	ck_assert_int_eq(plan_blocked_index(&want.blocked, &have.blocked_index), 0);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		have.summaries[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
	summary_build(&have.blocked, 1, have.summaries);
	summary_build(&have.allowed, 0, have.summaries);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);	/* in step: nothing to do */
	ck_assert(plan_empty(&p));
	plan_free(&p);

	want.blocklist_max = 2000;				/* new maps: all of it again */
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(p.new_maps);
	ck_assert_uint_eq(p.lists[PLAN_INDEX_ADD].n, 3);
	ck_assert_uint_eq(p.lists[PLAN_INDEX_DEL].n, 0);
	plan_free(&p);
	observed_free(&have);
	prefix_set_free(&want.blocked);
	prefix_set_free(&want.allowed);
}
END_TEST

/* blocked_v4_part: the /24 of a blocklist prefix of /25 to /31, and nothing else: not a host, not
 * a /24 or a shorter prefix (blocked_v4_full's), never for the allowlist. */
START_TEST(test_summary_v4_part)
{
	static const struct {
		const char *entry;
		int blocklist;
		uint64_t part_bits;
	} rows[] = {
		{ "198.18.5.0/25", 1, 1 }, { "198.18.5.128/31", 1, 1 }, { "198.18.5.7", 1, 0 },
		{ "198.18.5.0/24", 1, 0 }, { "198.18.0.0/15", 1, 0 }, { "198.18.5.0/25", 0, 0 },
	};
	uint32_t slash24 = 198u << 16 | 18u << 8 | 5u;

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t *sums[SUMMARY_KINDS];
		struct vosfp_prefix p;
		uint64_t bits = 0;

		for (int k = 0; k < SUMMARY_KINDS; k++)
			ck_assert_ptr_nonnull(sums[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t)));
		ck_assert_int_eq(vosfp_prefix_parse(rows[i].entry, &p, NULL, 0), 0);
		summary_add(&p, rows[i].blocklist, sums);
		for (uint32_t w = 0; w < SUMMARY_WORDS; w++)
			bits += (uint64_t)__builtin_popcountll(sums[SUMMARY_BLOCK_V4_PART][w]);
		ck_assert_msg(bits == rows[i].part_bits, "%s (%s): %llu blocked_v4_part bits, want %llu",
			      rows[i].entry, rows[i].blocklist ? "blocklist" : "allowlist",
			      (unsigned long long)bits, (unsigned long long)rows[i].part_bits);
		if (rows[i].part_bits)
			ck_assert(sums[SUMMARY_BLOCK_V4_PART][slash24 >> 6] & 1ULL << (slash24 & 63));
		for (int k = 0; k < SUMMARY_KINDS; k++)
			free(sums[k]);
	}
}
END_TEST

/* summary_build's IPv6 part: which bits one entry sets, in its own list's summaries only; for a
 * blocklist prefix the index's too (v6_full up to /24, v6_len from /25 to /127). */
START_TEST(test_summary_v6_bits)
{
	static const struct {
		const char *entry;
		int blocklist;
		uint64_t sum_bits;	/* set in the list's v6_sum (hashed /32s) */
		uint64_t wide_bits;	/* set in the list's v6_wide (direct /24s) */
		uint32_t inside;	/* a /32 whose v6_sum bit must be set (0: none) */
		uint32_t wide_in;	/* a /24 whose v6_wide bit must be set (0: none) */
		uint64_t full_bits;	/* set in blocked_v6_full (its /24s covered whole) */
		int indexed;		/* its length in one blocked_v6_len bucket: its /32's or /24's */
	} rows[] = {
		{ "2001:db8::1", 1, 1, 0, 0x20010db8, 0, 0, 0 },		/* /128: exact hash only */
		{ "2001:db8:1::/48", 1, 1, 0, 0x20010db8, 0, 0, 1 },
		{ "2001:db8::/127", 1, 1, 0, 0x20010db8, 0, 0, 1 },
		{ "2001:db8::/32", 1, 1, 0, 0x20010db8, 0, 0, 1 },
		{ "2001:dc0::/29", 1, 0, 1, 0, 0x20010d, 0, 1 },		/* shorter than /32: its /24 */
		{ "2001:d80::/25", 1, 0, 1, 0, 0x20010d, 0, 1 },
		{ "2001:d00::/24", 1, 0, 1, 0, 0x20010d, 1, 0 },
		{ "2a00::/16", 1, 0, 256, 0, 0x2a00ff, 256, 0 },		/* 256 /24s */
		{ "2400::/12", 1, 0, 4096, 0, 0x240fff, 4096, 0 },
		{ "::/0", 1, 0, 1u << 24, 0, 0xffffff, 1u << 24, 0 },	/* every /24 */
		{ "2001:db8:a11::7", 0, 1, 0, 0x20010db8, 0, 0, 0 },
		{ "2001:db8:a11::/48", 0, 1, 0, 0x20010db8, 0, 0, 0 },	/* the allowlist: no index */
		{ "2a00:1000::/20", 0, 0, 16, 0, 0x2a001f, 0, 0 },
		{ "198.51.100.0/24", 1, 0, 0, 0, 0, 0, 0 },			/* IPv4: not here */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t *sums[SUMMARY_KINDS];
		struct vosfp_prefix p;
		int sum = rows[i].blocklist ? SUMMARY_BLOCK_V6 : SUMMARY_ALLOW_V6;
		int wide = rows[i].blocklist ? SUMMARY_BLOCK_V6_WIDE : SUMMARY_ALLOW_V6_WIDE;
		uint32_t top;

		for (int k = 0; k < SUMMARY_KINDS; k++)
			sums[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		ck_assert_int_eq(vosfp_prefix_parse(rows[i].entry, &p, NULL, 0), 0);
		summary_add(&p, rows[i].blocklist, sums);
		ck_assert_msg(popcount(sums[sum]) == rows[i].sum_bits, "%s: %llu v6_sum bits, expected %llu",
			      rows[i].entry, (unsigned long long)popcount(sums[sum]),
			      (unsigned long long)rows[i].sum_bits);
		ck_assert_msg(popcount(sums[wide]) == rows[i].wide_bits, "%s: %llu v6_wide bits, expected %llu",
			      rows[i].entry, (unsigned long long)popcount(sums[wide]),
			      (unsigned long long)rows[i].wide_bits);
		ck_assert_msg(!rows[i].inside || v6_bit(sums[sum], rows[i].inside), "%s: bit of %08x clear",
			      rows[i].entry, rows[i].inside);
		ck_assert_msg(!rows[i].wide_in || (sums[wide][rows[i].wide_in >> 6] >> (rows[i].wide_in & 63) & 1),
			      "%s: wide bit of %06x clear", rows[i].entry, rows[i].wide_in);
		ck_assert_msg(popcount(sums[SUMMARY_BLOCK_V6_FULL]) == rows[i].full_bits,
			      "%s: %llu v6_full bits, expected %llu", rows[i].entry,
			      (unsigned long long)popcount(sums[SUMMARY_BLOCK_V6_FULL]),
			      (unsigned long long)rows[i].full_bits);
		/* Its length in the bucket of its /32 (or /24, below /32), in no other bucket. */
		top = (uint32_t)p.addr[0] << 24 | (uint32_t)p.addr[1] << 16 | (uint32_t)p.addr[2] << 8 | p.addr[3];
		ck_assert_msg(!rows[i].indexed ||
			      lists_length(sums[SUMMARY_BLOCK_V6_LEN][p.len >= 32 ? vosfp_v6_len_bucket(top) :
								      vosfp_v6_len_bucket24(top)], p.len),
			      "%s: its bucket lacks /%u", rows[i].entry, p.len);
		ck_assert_msg(nonzero_words(sums[SUMMARY_BLOCK_V6_LEN]) == (uint64_t)rows[i].indexed,
			      "%s: %llu v6_len buckets, expected %d", rows[i].entry,
			      (unsigned long long)nonzero_words(sums[SUMMARY_BLOCK_V6_LEN]), rows[i].indexed);
		for (int k = 0; k < SUMMARY_KINDS; k++)
			ck_assert_msg(k == sum || k == wide || k == SUMMARY_BLOCK_V6_FULL || k == SUMMARY_BLOCK_V6_LEN ||
				      p.family == 4 || popcount(sums[k]) == 0,
				      "%s: summary %s touched", rows[i].entry, summary_map_names[k]);
		for (int k = 0; k < SUMMARY_KINDS; k++)
			free(sums[k]);
	}
}
END_TEST

/* blocked_v6_len words: lengths longest first, each once, 0 after the last; a ninth length turns
 * the word into VOSFP_V6_LENS_MORE, which stays; growing keeps every length of both words. */
START_TEST(test_summary_v6_lens)
{
	uint64_t w = 0, other = 0;

	w = summary_lens_add(w, 48);
	w = summary_lens_add(w, 64);
	w = summary_lens_add(w, 48);
	w = summary_lens_add(w, 25);
	ck_assert_uint_eq(w, 64 | 48 << 8 | 25 << 16);
	other = summary_lens_add(summary_lens_add(0, 127), 56);
	ck_assert_uint_eq(summary_grow(SUMMARY_BLOCK_V6_LEN, w, other),
			  127 | 64 << 8 | (uint64_t)56 << 16 | (uint64_t)48 << 24 | (uint64_t)25 << 32);
	ck_assert_uint_eq(summary_grow(SUMMARY_BLOCK_V6_LEN, w, 0), w);
	ck_assert_uint_eq(summary_grow(SUMMARY_BLOCK_V6, 1, 2), 3);
	for (unsigned len = 100; len < 108; len++)
		w = summary_lens_add(w, len);
	ck_assert_uint_eq(w, VOSFP_V6_LENS_MORE);		/* 3 + 8 lengths */
	ck_assert_uint_eq(summary_lens_add(w, 30), VOSFP_V6_LENS_MORE);
	ck_assert_uint_eq(summary_grow(SUMMARY_BLOCK_V6_LEN, other, w), VOSFP_V6_LENS_MORE);
	ck_assert_uint_eq(summary_grow(SUMMARY_BLOCK_V6_LEN, w, other), VOSFP_V6_LENS_MORE);
	w = 0;
	for (unsigned len = 120; len > 112; len--)		/* exactly eight fit */
		w = summary_lens_add(w, len);
	ck_assert_uint_eq(w & 0xFF, 120);
	ck_assert_uint_eq(w >> 56, 113);
}
END_TEST

/* A v6 blocklist add: the bit is in the plan's new summary (not the old), in a summary of the
 * blocklist, so reconcile grows it (old | new) before PLAN_BLOCK_ADD writes the entry. Its
 * removal leaves the bit to the FINAL step, after the entry is gone. */
START_TEST(test_summary_v6_block_add_grows_first)
{
	static const char *const none[] = { NULL };
	static const char *const one[] = { "2001:db8:bad::6", NULL };
	static const char *const wide[] = { "2001:dc0::/29", NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	base(&want, &have);
	set_of(&want.blocked, one);
	set_of(&have.blocked, none);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_ADD].n, 1);
	ck_assert(summary_of_blocklist(SUMMARY_BLOCK_V6));
	ck_assert(!summary_of_blocklist(SUMMARY_ALLOW_V6));
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_V6], 1);
	ck_assert(v6_bit(p.summary_new[SUMMARY_BLOCK_V6], 0x20010db8));
	ck_assert(!v6_bit(p.summary_old[SUMMARY_BLOCK_V6], 0x20010db8));
	ck_assert_uint_eq(p.summary_changed[SUMMARY_ALLOW_V6], 0);
	ck_assert(!plan_empty(&p));
	plan_free(&p);
	prefix_set_free(&want.blocked);
	prefix_set_free(&have.blocked);

	/* Shorter than /32: the direct /24 summary, also one of the blocklist's. */
	base(&want, &have);
	set_of(&want.blocked, wide);
	set_of(&have.blocked, none);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert(summary_of_blocklist(SUMMARY_BLOCK_V6_WIDE));
	ck_assert(!summary_of_blocklist(SUMMARY_ALLOW_V6_WIDE));
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_V6_WIDE], 1);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_V6], 0);
	plan_free(&p);
	prefix_set_free(&want.blocked);
	prefix_set_free(&have.blocked);

	/* And back: the entry goes in PLAN_BLOCK_DEL, the bit only with the final summary. */
	base(&want, &have);
	set_of(&want.blocked, none);
	set_of(&have.blocked, one);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		have.summaries[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
	summary_build(&have.blocked, 1, have.summaries);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_DEL].n, 1);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_V6], 1);
	ck_assert(v6_bit(p.summary_old[SUMMARY_BLOCK_V6], 0x20010db8));
	ck_assert(!v6_bit(p.summary_new[SUMMARY_BLOCK_V6], 0x20010db8));
	plan_free(&p);
	prefix_set_free(&want.blocked);
	observed_free(&have);
}
END_TEST

/* Two /32s sharing a bit: removing one's entry keeps the bit the other needs. */
START_TEST(test_summary_v6_collision_kept)
{
	uint32_t x = 0x20010db8, y = collider(x);
	char ytext[64];
	const char *was[] = { "2001:db8:1::/48", ytext, NULL };
	const char *now[] = { ytext, NULL };
	struct desired want;
	struct observed have;
	struct plan p;

	snprintf(ytext, sizeof(ytext), "%x:%x::1", y >> 16, y & 0xFFFF);
	base(&want, &have);
	set_of(&want.blocked, now);
	set_of(&have.blocked, was);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		have.summaries[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
	summary_build(&have.blocked, 1, have.summaries);
	ck_assert_uint_eq(popcount(have.summaries[SUMMARY_BLOCK_V6]), 1);
	ck_assert_int_eq(plan_build(&want, &have, &p), 0);
	ck_assert_uint_eq(p.lists[PLAN_BLOCK_DEL].n, 1);
	ck_assert_uint_eq(p.summary_changed[SUMMARY_BLOCK_V6], 0);
	ck_assert(v6_bit(p.summary_new[SUMMARY_BLOCK_V6], x));
	plan_free(&p);
	prefix_set_free(&want.blocked);
	observed_free(&have);
}
END_TEST

TCase *plan_tcase(void)
{
	TCase *tc = tcase_create("plan");

	tcase_add_test(tc, test_diff_only);
	tcase_add_test(tc, test_unchanged_is_empty);
	tcase_add_test(tc, test_order_never_more_permissive);
	tcase_add_test(tc, test_size_change_recreates_maps);
	tcase_add_test(tc, test_runtime_change);
	tcase_add_test(tc, test_defence_change_is_runtime_only);
	tcase_add_test(tc, test_scanner_free);
	tcase_add_test(tc, test_outdated_maps_recreated);
	tcase_add_test(tc, test_interface_actions);
	tcase_add_test(tc, test_attach_method_actions);
	tcase_add_test(tc, test_egress_actions);
	tcase_add_test(tc, test_first_start);
	tcase_add_test(tc, test_defence_map_sizes);
	tcase_add_loop_test(tc, test_prefix_set_sort, 0, 2);
	tcase_add_test(tc, test_summary_diff);
	tcase_add_test(tc, test_summary_v4_part);
	tcase_add_test(tc, test_summary_v6_bits);
	tcase_add_test(tc, test_summary_v6_lens);
	tcase_add_test(tc, test_blocked_index_diff);
	tcase_add_test(tc, test_summary_v6_block_add_grows_first);
	tcase_add_test(tc, test_summary_v6_collision_kept);
	return tc;
}
