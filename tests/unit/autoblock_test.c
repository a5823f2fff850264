/* autoblock_test.c - auto-block text, diffs and the persist file's lines (agent/desired/autoblock.c):
 * round trips between the two clocks, expired and malformed lines, the log cap. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "autoblock.h"

#define S 1000000000ULL

static const struct autoblock_clocks clocks = { .realtime_s = 1800000000LL, .mono_ns = 5000 * S };
/* The repeat window the lines are read with: longer than the uptime above, so a history entry
 * can have ended before boot and still be inside it. */
#define WINDOW (7200 * S)

static struct autoblock entry(const char *addr, __u64 expires, __u32 method)
{
	struct autoblock b = { .expires = expires, .reason = VOSFP_REASON_RATE, .method = method };

	ck_assert_int_eq(autoblock_key_parse(addr, &b.key), 0);
	return b;
}

START_TEST(text_of_an_entry)
{
	struct autoblock v4 = entry("198.18.0.7", 0, VOSFP_M_REGISTER), v6 = entry("2001:db8::1", 0, VOSFP_M_OTHER);
	char buf[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN];
	__u32 r, m;

	ck_assert_str_eq(autoblock_addr(&v4.key, buf, sizeof(buf)), "198.18.0.7");
	ck_assert_int_eq(v4.key.addr[10], 0xff);	/* v4-mapped, as the datapath keys it */
	ck_assert_str_eq(autoblock_addr(&v6.key, buf, sizeof(buf)), "2001:db8::1");
	ck_assert_str_eq(autoblock_reason(VOSFP_REASON_RATE, VOSFP_M_REGISTER, reason, sizeof(reason)),
			 "rate limit REGISTER");
	ck_assert_str_eq(autoblock_reason(9, 0, reason, sizeof(reason)), "reason 9");
	ck_assert_int_eq(autoblock_reason_parse("rate limit INVITE", &r, &m), 0);
	ck_assert_uint_eq(m, VOSFP_M_INVITE);
	ck_assert_int_eq(autoblock_reason_parse("rate limit invite", &r, &m), -1);
	/* The answer rule's reasons: one name each, no method. */
	ck_assert_str_eq(autoblock_reason(VOSFP_REASON_AUTH_FAILURES, 0, reason, sizeof(reason)), "auth-failures");
	ck_assert_str_eq(autoblock_reason(VOSFP_REASON_ENUMERATION, 0, reason, sizeof(reason)), "enumeration");
	ck_assert_int_eq(autoblock_reason_parse("enumeration", &r, &m), 0);
	ck_assert_uint_eq(r, VOSFP_REASON_ENUMERATION);
	ck_assert_int_eq(autoblock_reason_parse("auth-failures", &r, &m), 0);
	ck_assert_uint_eq(r, VOSFP_REASON_AUTH_FAILURES);
	ck_assert_int_eq(autoblock_reason_parse("rate-limit", &r, &m), -1);	/* a key, not a text */
	ck_assert_str_eq(autoblock_reason_key(VOSFP_REASON_RATE), "rate-limit");
	ck_assert_ptr_null(autoblock_reason_key(VOSFP_REASONS));
	ck_assert_int_eq(autoblock_key_parse("198.18.0.0/24", &v4.key), -1);
}
END_TEST

START_TEST(seconds_left_round_up)
{
	struct autoblock b = entry("198.18.0.7", 1000 * S, 0);

	ck_assert_uint_eq(autoblock_seconds_left(&b, 400 * S), 600);
	ck_assert_uint_eq(autoblock_seconds_left(&b, 400 * S + 1), 600);
	ck_assert_uint_eq(autoblock_seconds_left(&b, 999 * S), 1);
	ck_assert_uint_eq(autoblock_seconds_left(&b, 1000 * S), 0);
	ck_assert_uint_eq(autoblock_seconds_left(&b, 2000 * S), 0);
}
END_TEST

START_TEST(line_round_trip)
{
	struct autoblock b = entry("198.18.60.2", clocks.mono_ns + 600 * S, VOSFP_M_REGISTER), back;
	char line[160], err[160];

	autoblock_line_format(&b, &clocks, 0, line, sizeof(line));
	ck_assert_str_eq(line, "198.18.60.2 1800000600 rate limit REGISTER\n");
	line[strcspn(line, "\n")] = 0;
	ck_assert_int_eq(autoblock_line_parse(line, &clocks, WINDOW, &back, err, sizeof(err)), 1);
	ck_assert_int_eq(memcmp(&back.key, &b.key, sizeof(b.key)), 0);
	ck_assert_uint_eq(back.expires, b.expires);
	ck_assert_uint_eq(back.method, VOSFP_M_REGISTER);

	/* Later, with both clocks moved on (a reboot restarts the monotonic one): the same end. */
	{
		struct autoblock_clocks after = { .realtime_s = clocks.realtime_s + 100, .mono_ns = 7 * S };

		ck_assert_int_eq(autoblock_line_parse("2001:db8::9 1800000600 rate limit other", &after, WINDOW, &back,
						      err, sizeof(err)), 1);
		ck_assert_uint_eq(back.expires, 7 * S + 500 * S);
		ck_assert_uint_eq(back.method, VOSFP_M_OTHER);
	}
	/* A part-second expiry is written rounded up, never shorter. */
	b.expires = clocks.mono_ns + 10 * S + 1;
	autoblock_line_format(&b, &clocks, 0, line, sizeof(line));
	ck_assert_str_eq(line, "198.18.60.2 1800000011 rate limit REGISTER\n");
}
END_TEST

/* Repeat offenders: lines carry repeat=N; an expired one with it is history, kept for the
 * next block's repeat; files without it load as before. */
START_TEST(repeat_lines)
{
	static const struct {
		const char *line;
		int want;		/* autoblock_line_parse's answer */
		__u32 reason, repeats;
		long long ago;		/* seconds since its expiry (negative: seconds left) */
	} rows[] = {
		{ "198.18.0.1 1800000600 auth-failures repeat=2", 1, VOSFP_REASON_AUTH_FAILURES, 2, -600 },
		{ "198.18.0.1 1800000600 rate limit INVITE repeat=0", 1, VOSFP_REASON_RATE, 0, -600 },
		{ "2001:db8::1 1799999000 enumeration repeat=1", AUTOBLOCK_LINE_HISTORY, VOSFP_REASON_ENUMERATION, 1, 1000 },
		{ "198.18.0.1 1799999000 enumeration", 0, 0, 0, 0 },		/* no repeat=: expired */
		/* Ended before boot (6000 s ago, uptime 5000 s) but inside the window: held as
		 * ending at boot. Past the window, at boot or long before: a first block again. */
		{ "198.18.0.1 1799994000 enumeration repeat=1", AUTOBLOCK_LINE_HISTORY, VOSFP_REASON_ENUMERATION, 1, -1 },
		{ "198.18.0.1 1799992800 enumeration repeat=1", 0, 0, 0, 0 },
		{ "198.18.0.1 1799992801 scanner repeat=2", AUTOBLOCK_LINE_HISTORY, VOSFP_REASON_SCANNER, 2, -1 },
		{ "198.18.0.1 1 enumeration repeat=1", 0, 0, 0, 0 },
		{ "198.18.0.1 1799996400 auth-failures repeat=3", AUTOBLOCK_LINE_HISTORY, VOSFP_REASON_AUTH_FAILURES, 3, 3600 },
		{ "198.18.0.1 1800000600 enumeration repeat=99", 1, VOSFP_REASON_ENUMERATION, VOSFP_REPEATS_MAX, -600 },
		{ "198.18.0.1 1800000600 enumeration repeat=", -1, 0, 0, 0 },
		{ "198.18.0.1 1800000600 enumeration repeat=x", -1, 0, 0, 0 },
		{ "198.18.0.1 1800000600 repeat=1", -1, 0, 0, 0 },
		{ "198.18.0.1 1800000600 enumeration  repeat=1", -1, 0, 0, 0 },
	};

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct autoblock b;
		char err[200];
		int got = autoblock_line_parse(rows[i].line, &clocks, WINDOW, &b, err, sizeof(err));

		ck_assert_msg(got == rows[i].want, "row %u (%s): %d, expected %d", i, rows[i].line, got, rows[i].want);
		if (got <= 0)
			continue;
		ck_assert_msg(b.reason == rows[i].reason && b.repeats == rows[i].repeats, "row %u: reason %u repeats %u",
			      i, b.reason, b.repeats);
		if (rows[i].ago == -1)		/* before the monotonic clock's start */
			ck_assert_uint_eq(b.expires, 1);
		else
			ck_assert_uint_eq(b.expires, clocks.mono_ns - rows[i].ago * (long long)S);
	}
}
END_TEST

/* A history line written and read back: its expiry in the past, rounded down. */
START_TEST(repeat_round_trip)
{
	struct autoblock b = entry("198.18.60.2", clocks.mono_ns - 30 * S - 1, 0), back;
	char line[192], err[200];

	b.reason = VOSFP_REASON_AUTH_FAILURES;
	b.repeats = 3;
	autoblock_line_format(&b, &clocks, 1, line, sizeof(line));
	ck_assert_str_eq(line, "198.18.60.2 1799999970 auth-failures repeat=3\n");
	line[strcspn(line, "\n")] = 0;
	ck_assert_int_eq(autoblock_line_parse(line, &clocks, WINDOW, &back, err, sizeof(err)), AUTOBLOCK_LINE_HISTORY);
	ck_assert_uint_eq(back.repeats, 3);
	ck_assert_uint_eq(back.expires, clocks.mono_ns - 30 * S);
	/* Live, with repeats off: the old form exactly. */
	b.expires = clocks.mono_ns + 5 * S;
	autoblock_line_format(&b, &clocks, 0, line, sizeof(line));
	ck_assert_str_eq(line, "198.18.60.2 1800000005 auth-failures\n");
}
END_TEST

START_TEST(lines_skipped_and_refused)
{
	struct autoblock b;
	char err[160];

	ck_assert_int_eq(autoblock_line_parse("", &clocks, WINDOW, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(autoblock_line_parse("  # a comment", &clocks, WINDOW, &b, err, sizeof(err)), 0);
	/* Expired (now or earlier): nothing to restore, and not an error. */
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 1800000000 rate limit REGISTER", &clocks, WINDOW, &b, err,
					      sizeof(err)), 0);
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 1 rate limit REGISTER", &clocks, WINDOW, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 1800000001 rate limit REGISTER\r", &clocks, WINDOW, &b, err,
					      sizeof(err)), 1);
	ck_assert_uint_eq(b.expires, clocks.mono_ns + S);

	ck_assert_int_eq(autoblock_line_parse("198.18.0.300 1800000100 rate limit REGISTER", &clocks, WINDOW, &b, err,
					      sizeof(err)), -1);
	ck_assert_str_eq(err, "its first word is not an IPv4 or IPv6 address");
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 soon rate limit REGISTER", &clocks, WINDOW, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected ADDRESS EXPIRY_UNIX_SECONDS REASON");
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 1800000100", &clocks, WINDOW, &b, err, sizeof(err)), -1);
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 1800000100 flood", &clocks, WINDOW, &b, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown reason (expected 'rate limit REGISTER|INVITE|OPTIONS|other', 'scanner', 'auth-failures' or 'enumeration')");
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 -5 rate limit REGISTER", &clocks, WINDOW, &b, err, sizeof(err)), -1);
	/* A line of a file that is not ours: none of its words reach the reason (the log). */
	ck_assert_int_eq(autoblock_line_parse("IMPORTANT: the password is hunter2", &clocks, WINDOW, &b, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, "IMPORTANT"));
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 1800000100 hunter2", &clocks, WINDOW, &b, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, "hunter2"));

	/* Far in the future: capped at the longest duration a config can give. */
	ck_assert_int_eq(autoblock_line_parse("198.18.0.1 9999999999 rate limit INVITE", &clocks, WINDOW, &b, err,
					      sizeof(err)), 1);
	ck_assert_uint_eq(b.expires, clocks.mono_ns + 4294967ULL * S);
}
END_TEST

struct seen {
	int blocked, released;
	char first[64];
};

static void count(void *ctx, enum autoblock_change what, const struct autoblock *b)
{
	struct seen *s = ctx;
	char addr[AUTOBLOCK_ADDR_STRLEN];

	if (!s->blocked && !s->released)
		snprintf(s->first, sizeof(s->first), "%s %s", what == AUTOBLOCK_BLOCKED ? "+" : "-",
			 autoblock_addr(&b->key, addr, sizeof(addr)));
	if (what == AUTOBLOCK_BLOCKED)
		s->blocked++;
	else
		s->released++;
}

START_TEST(diff_and_cap)
{
	struct autoblock a[3] = { entry("198.18.0.1", 10 * S, 0), entry("198.18.0.2", 10 * S, 0),
				  entry("198.18.0.3", 10 * S, 0) };
	struct autoblock b[3] = { entry("198.18.0.2", 10 * S, 0), entry("198.18.0.3", 20 * S, 0),
				  entry("198.18.0.4", 10 * S, 0) };
	struct autoblock_set prev = { a, 3 }, cur = { b, 3 }, none = { NULL, 0 };
	struct seen s = { 0 };
	size_t more;

	autoblock_sort(&prev);
	autoblock_sort(&cur);
	/* .1 released, .3 renewed (new expiry), .4 new; .2 unchanged. */
	ck_assert_uint_eq(autoblock_diff(&prev, &cur, count, &s, 20, &more), 3);
	ck_assert_int_eq(s.blocked, 2);
	ck_assert_int_eq(s.released, 1);
	ck_assert_str_eq(s.first, "- 198.18.0.1");
	ck_assert_uint_eq(more, 0);

	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(autoblock_diff(&none, &cur, count, &s, 2, &more), 3);
	ck_assert_int_eq(s.blocked, 2);
	ck_assert_uint_eq(more, 1);
	ck_assert_uint_eq(autoblock_diff(&cur, &cur, count, &s, 2, &more), 0);
	ck_assert(autoblock_set_equal(&cur, &cur));
	ck_assert(!autoblock_set_equal(&prev, &cur));
}
END_TEST

TCase *autoblock_tcase(void)
{
	TCase *tc = tcase_create("autoblock");

	tcase_add_test(tc, text_of_an_entry);
	tcase_add_test(tc, seconds_left_round_up);
	tcase_add_test(tc, line_round_trip);
	tcase_add_test(tc, lines_skipped_and_refused);
	tcase_add_test(tc, repeat_lines);
	tcase_add_test(tc, repeat_round_trip);
	tcase_add_test(tc, diff_and_cap);
	return tc;
}
