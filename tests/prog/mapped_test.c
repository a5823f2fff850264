/* mapped_test.c - IPv4-mapped list entries through the real kernel program: an entry written
 * ::ffff:a.b.c.d is parsed and keyed as the agent does (addr.c: vosfp_prefix_parse, then the map
 * and key vosfp_prefix_map/vosfp_prefix_key choose), and an IPv4 packet from a.b.c.d must meet it.
 * Kept as an IPv6 key it never would: the datapath looks IPv4 sources up in the IPv4 maps only. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <linux/bpf.h>

#include "frame.h"
#include "prog_harness.h"

static struct harness h;

static void load(void)
{
	ck_assert_int_eq(harness_open(&h, 0), 0);
}

static void unload(void)
{
	harness_close(&h);
}

static const struct {
	const char *name;
	const char *block, *allow;	/* one entry each, as an operator writes it (NULL: none) */
	const char *src;		/* the frame's source */
	const char *method;
	int action, counter;
} rows[] = {
	{ "blocked ::ffff:198.18.0.7, IPv4 REGISTER from 198.18.0.7", "::ffff:198.18.0.7", NULL, "198.18.0.7",
	  "REGISTER", XDP_DROP, VOSFP_CNT_BLOCKED },
	{ "blocked ::ffff:198.18.0.7, IPv4 REGISTER from 198.18.0.8", "::ffff:198.18.0.7", NULL, "198.18.0.8",
	  "REGISTER", XDP_PASS, VOSFP_CNT_PASSED },
	{ "blocked ::ffff:198.18.5.0/120, IPv4 REGISTER from 198.18.5.9", "::ffff:198.18.5.0/120", NULL,
	  "198.18.5.9", "REGISTER", XDP_DROP, VOSFP_CNT_BLOCKED },
	{ "blocked ::FFFF:C612:0007 (hex), IPv4 REGISTER from 198.18.0.7", "::FFFF:C612:0007", NULL, "198.18.0.7",
	  "REGISTER", XDP_DROP, VOSFP_CNT_BLOCKED },
	{ "allowed ::ffff:198.18.0.9, IPv4 OPTIONS from 198.18.0.9 (stealth)", NULL, "::ffff:198.18.0.9",
	  "198.18.0.9", "OPTIONS", XDP_PASS, VOSFP_CNT_PASSED },
	{ "allowed ::ffff:198.18.0.9, IPv4 OPTIONS from 198.18.0.10 (stealth)", NULL, "::ffff:198.18.0.9",
	  "198.18.0.10", "OPTIONS", XDP_DROP, VOSFP_CNT_OPTIONS_DROPPED },
	{ "blocked 2001:db8::7 (a true IPv6 entry), IPv6 REGISTER from it", "2001:db8::7", NULL, "2001:db8::7",
	  "REGISTER", XDP_DROP, VOSFP_CNT_BLOCKED },
};

START_TEST(test_mapped_entry)
{
	const struct vosfp_config cfg = { .flags = HARNESS_SUMMARIES };
	char payload[256];
	int n = snprintf(payload, sizeof(payload),
			 "%s sip:1001@198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2:5060\r\nContent-Length: 0\r\n\r\n",
			 rows[_i].method);
	int v6 = strchr(rows[_i].src, ':') != NULL;
	struct frame_spec s = { .family = v6 ? 6 : 4, .src = rows[_i].src, .dst = v6 ? "2001:db8::1" : NULL,
				.payload = payload, .payload_len = (size_t)n };
	uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
	uint8_t frame[FRAME_MAX];
	size_t len = frame_build(&s, frame, sizeof(frame));
	int action;

	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(harness_clear_lists(&h), 0);
	ck_assert_int_eq(harness_set_config(&h, &cfg), 0);
	if (rows[_i].block)
		harness_block_str(&h, rows[_i].block);
	if (rows[_i].allow)
		harness_allow_str(&h, rows[_i].allow);
	ck_assert_int_eq(harness_counters(&h, before, VOSFP_COUNTER_SLOTS), 0);
	action = harness_run(&h, frame, len);
	ck_assert_int_eq(harness_counters(&h, after, VOSFP_COUNTER_SLOTS), 0);
	ck_assert_msg(action == rows[_i].action, "%s: action %d, expected %d", rows[_i].name, action, rows[_i].action);
	for (int c = 0; c < VOSFP_COUNTER_SLOTS; c++)
		ck_assert_msg(after[c] - before[c] == (c == rows[_i].counter ? 1u : 0u),
			      "%s: counter %d moved by %llu", rows[_i].name, c, (unsigned long long)(after[c] - before[c]));
}
END_TEST

TCase *mapped_tcase(void)
{
	TCase *tc = tcase_create("mapped");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_add_loop_test(tc, test_mapped_entry, 0, sizeof(rows) / sizeof(rows[0]));
	return tc;
}
