/* decision_test.c - outside decisions (CrowdSec) in the real kernel program: a source under a live
 * decision is dropped as DECISION_DROPPED and counted by origin; an expired one, one whose summary
 * bit is clear, or any with VOSFP_F_DECISIONS off passes; the blocklist still comes first and the
 * allowlist still wins (counted beside the drops). Entries are written as the agent writes them:
 * summary bits first, the value carrying the expiry the datapath checks; the agent's summary
 * steps (apply.c) leave the words they must. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "frame.h"
#include "prog_harness.h"
#include "sip_logic.skel.h"
#include "summary.h"

static struct harness h;

static void load(void)
{
	ck_assert_int_eq(harness_open(&h, 0), 0);
}

static void unload(void)
{
	harness_close(&h);
}

enum { SUM_V4, SUM_V6, SUM_V6_WIDE, SUMS };

static int sum_fd(int which)
{
	struct bpf_map *m = which == SUM_V4 ? h.skel->maps.dec_v4_sum :
			    which == SUM_V6 ? h.skel->maps.dec_v6_sum : h.skel->maps.dec_v6_wide;

	return bpf_map__fd(m);
}

/* OR the summary bits of p into the kernel's decision summaries (never clears one). */
static void set_bits(const struct vosfp_prefix *p)
{
	static uint64_t words[SUMS][SUMMARY_WORDS];
	uint64_t *sums[SUMMARY_KINDS] = { [SUMMARY_BLOCK_NEAR] = words[SUM_V4],
					  [SUMMARY_BLOCK_V6] = words[SUM_V6],
					  [SUMMARY_BLOCK_V6_WIDE] = words[SUM_V6_WIDE] };

	memset(words, 0, sizeof(words));
	summary_add(p, 1, sums);
	for (int s = 0; s < SUMS; s++)
		for (__u32 w = 0; w < SUMMARY_WORDS; w++) {
			uint64_t cur;

			if (!words[s][w])
				continue;
			ck_assert_int_eq(bpf_map_lookup_elem(sum_fd(s), &w, &cur), 0);
			cur |= words[s][w];
			ck_assert_int_eq(bpf_map_update_elem(sum_fd(s), &w, &cur, BPF_ANY), 0);
		}
}

static int decision_fd(const struct vosfp_prefix *p)
{
	switch (vosfp_prefix_map(p)) {
	case VOSFP_LIST_EXACT4:
		return bpf_map__fd(h.skel->maps.dec_ips);
	case VOSFP_LIST_EXACT6:
		return bpf_map__fd(h.skel->maps.dec_ips6);
	case VOSFP_LIST_NETS4:
		return bpf_map__fd(h.skel->maps.dec_nets);
	default:
		return bpf_map__fd(h.skel->maps.dec_nets6);
	}
}

/* A decision on text ending ms_left from now (negative: already over), from origin; bits =
 * whether its summary bits are set first, as the agent does. */
static void decide(const char *text, long long ms_left, enum vosfp_origin origin, int bits)
{
	struct vosfp_decision v = { .origin = origin, .own_origin = origin };
	__u8 key[VOSFP_LIST_KEY_MAX];
	struct vosfp_prefix p;
	char err[128];

	ck_assert_msg(vosfp_prefix_parse(text, &p, err, sizeof(err)) == 0, "%s: %s", text, err);
	v.expires = v.own_expires = harness_now(&h) + ms_left * 1000000LL;
	if (bits)
		set_bits(&p);
	vosfp_prefix_key(&p, key);
	ck_assert_int_eq(bpf_map_update_elem(decision_fd(&p), key, &v, BPF_ANY), 0);
}

static void decisions_on(__u32 more_flags)
{
	struct vosfp_config c = { .flags = HARNESS_SUMMARIES | VOSFP_F_DECISIONS | more_flags };

	ck_assert_int_eq(harness_set_config(&h, &c), 0);
}

static const char register_msg[] =
	"REGISTER sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2:5060\r\n"
	"User-Agent: Linphone/5.2\r\nContent-Length: 0\r\n\r\n";

/* dec_traffic slot, summed over CPUs. */
static struct vosfp_traffic traffic(__u32 slot)
{
	struct vosfp_traffic per_cpu[h.ncpus], sum = { 0 };

	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.dec_traffic), &slot, per_cpu), 0);
	for (int c = 0; c < h.ncpus; c++) {
		sum.packets += per_cpu[c].packets;
		sum.bytes += per_cpu[c].bytes;
	}
	return sum;
}

/* One REGISTER from src over proto (17 UDP to 5060, 6 TCP to 5061): the action, and the one
 * counter that moved by one (-1 none, -2 several); *len gets the frame length. */
static uint8_t frame[FRAME_MAX];	/* the last frame send_from built */

static int send_from(const char *src, int proto, int *moved, size_t *len)
{
	struct frame_spec s = { .family = strchr(src, ':') ? 6 : 4, .src = src, .proto = proto,
				.dport = proto == 6 ? 5061 : 5060, .payload = register_msg,
				.payload_len = sizeof(register_msg) - 1 };
	int action;

	*len = frame_build(&s, frame, sizeof(frame));
	ck_assert_uint_gt(*len, 0);
	action = harness_run_counted(&h, frame, *len, moved);
	ck_assert_int_ge(action, 0);
	return action;
}

/* The same frame through the TC guard of mode changes (tests/prog/guard_test.c): a drop XDP made
 * for its source is the guard's too, with the same counter and dec_traffic slot; anything else
 * passes it (TC_ACT_UNSPEC) and it counts nothing, not even an allowlisted decision's traffic. */
static void guard_agrees(const char *src, size_t len, int counter, int slot)
{
	int drop = counter == VOSFP_CNT_DECISION_DROPPED || counter == VOSFP_CNT_BLOCKED, verdict;
	struct vosfp_traffic before[2 * VOSFP_ORIGIN_SLOTS], after;
	uint64_t c0[VOSFP_COUNTER_SLOTS], c1[VOSFP_COUNTER_SLOTS];

	for (__u32 i = 0; i < 2 * VOSFP_ORIGIN_SLOTS; i++)
		before[i] = traffic(i);
	ck_assert_int_eq(harness_counters(&h, c0, VOSFP_COUNTER_SLOTS), 0);
	ck_assert_int_eq(harness_guard_run_on(&h, frame, len, 0, &verdict), 0);
	ck_assert_int_eq(harness_counters(&h, c1, VOSFP_COUNTER_SLOTS), 0);
	ck_assert_msg(verdict == (drop ? 2 : -1), "%s: guard verdict %d, expected %d", src, verdict, drop ? 2 : -1);
	for (int i = 0; i < VOSFP_COUNTER_SLOTS; i++)
		ck_assert_msg(c1[i] - c0[i] == (drop && i == counter), "%s: the guard moved counter %d by %llu", src, i,
			      (unsigned long long)(c1[i] - c0[i]));
	for (__u32 i = 0; i < 2 * VOSFP_ORIGIN_SLOTS; i++) {
		int hit = drop && (int)i == slot;

		after = traffic(i);
		ck_assert_msg(after.packets - before[i].packets == (uint64_t)hit &&
			      after.bytes - before[i].bytes == (hit ? len : 0),
			      "%s: the guard moved dec_traffic[%u] by %llu packets", src, i,
			      (unsigned long long)(after.packets - before[i].packets));
	}
}

/* src sends one UDP REGISTER: expect the verdict, the counter, and which dec_traffic slot moved
 * by that frame (-1: none may move); the guard agrees. */
static void expect(const char *src, int action, int counter, int slot)
{
	struct vosfp_traffic before[2 * VOSFP_ORIGIN_SLOTS], after;
	int moved;
	size_t len;

	for (__u32 i = 0; i < 2 * VOSFP_ORIGIN_SLOTS; i++)
		before[i] = traffic(i);
	ck_assert_int_eq(send_from(src, 17, &moved, &len), action);
	ck_assert_msg(moved == counter, "%s: counter %d moved, expected %d", src, moved, counter);
	for (__u32 i = 0; i < 2 * VOSFP_ORIGIN_SLOTS; i++) {
		after = traffic(i);
		if ((int)i == slot) {
			ck_assert_msg(after.packets == before[i].packets + 1 && after.bytes == before[i].bytes + len,
				      "%s: dec_traffic[%u] +%llu packets +%llu bytes, expected +1 / +%zu", src, i,
				      (unsigned long long)(after.packets - before[i].packets),
				      (unsigned long long)(after.bytes - before[i].bytes), len);
		} else {
			ck_assert_msg(after.packets == before[i].packets, "%s: dec_traffic[%u] moved", src, i);
		}
	}
	guard_agrees(src, len, counter, slot);
}

START_TEST(test_address_and_range_v4)
{
	decisions_on(0);
	decide("198.18.50.7", 60000, VOSFP_ORIGIN_CSCLI, 1);
	decide("198.18.51.0/24", 60000, VOSFP_ORIGIN_CROWDSEC, 1);
	expect("198.18.50.7", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_CSCLI);
	expect("198.18.51.200", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_CROWDSEC);
	/* Beside them (same /24 as the address, next /24 after the range): untouched. */
	expect("198.18.50.8", XDP_PASS, VOSFP_CNT_PASSED, -1);
	expect("198.18.52.1", XDP_PASS, VOSFP_CNT_PASSED, -1);
}
END_TEST

START_TEST(test_address_and_ranges_v6)
{
	decisions_on(0);
	decide("2001:db8:50::7", 60000, VOSFP_ORIGIN_LISTS, 1);
	decide("2001:db8:51::/48", 60000, VOSFP_ORIGIN_VOSFP, 1);
	/* Shorter than /32: summarised by /24 in dec_v6_wide. */
	decide("2001:da0::/28", 60000, VOSFP_ORIGIN_OTHER, 1);
	expect("2001:db8:50::7", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_LISTS);
	expect("2001:db8:51:ffff::1", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_VOSFP);
	expect("2001:daf:1::1", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_OTHER);
	expect("2001:db8:50::8", XDP_PASS, VOSFP_CNT_PASSED, -1);
	expect("2001:db8:52::1", XDP_PASS, VOSFP_CNT_PASSED, -1);
}
END_TEST

/* The datapath checks the expiry itself: an entry past it passes, with nobody deleting it. */
START_TEST(test_expiry_checked_in_kernel)
{
	decisions_on(0);
	decide("198.18.53.1", -1, VOSFP_ORIGIN_CSCLI, 1);
	expect("198.18.53.1", XDP_PASS, VOSFP_CNT_PASSED, -1);
	decide("198.18.53.2", 300, VOSFP_ORIGIN_CSCLI, 1);
	expect("198.18.53.2", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_CSCLI);
	/* The coarse clock moves in ticks of at most 10 ms. */
	usleep(300 * 1000 + 20 * 1000);
	expect("198.18.53.2", XDP_PASS, VOSFP_CNT_PASSED, -1);
}
END_TEST

/* The longest match decides, with the expiry and origin the agent stored in it: a nested /28
 * carrying the /24's later expiry (and origin) keeps dropping after its own decision ended. */
START_TEST(test_longest_match_carries_cover)
{
	struct vosfp_decision v = { .origin = VOSFP_ORIGIN_LISTS, .own_origin = VOSFP_ORIGIN_CSCLI };
	struct vosfp_lpm4_key k = { .prefixlen = 28, .addr = { 198, 18, 54, 16 } };

	decisions_on(0);
	decide("198.18.54.0/24", 60000, VOSFP_ORIGIN_LISTS, 1);
	v.own_expires = harness_now(&h) - 1;
	v.expires = harness_now(&h) + 60000000000ULL;
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(h.skel->maps.dec_nets), &k, &v, BPF_ANY), 0);
	expect("198.18.54.17", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_LISTS);
	/* Were the /28's stored expiry its own (over), it would let the source through. */
	v.expires = v.own_expires;
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(h.skel->maps.dec_nets), &k, &v, BPF_ANY), 0);
	expect("198.18.54.17", XDP_PASS, VOSFP_CNT_PASSED, -1);
}
END_TEST

START_TEST(test_allowlist_wins_counted)
{
	decisions_on(0);
	harness_allow_str(&h, "198.18.55.9");
	harness_allow_str(&h, "2001:db8:55::/48");
	decide("198.18.55.0/24", 60000, VOSFP_ORIGIN_CROWDSEC, 1);
	decide("2001:db8:55::9", 60000, VOSFP_ORIGIN_CSCLI, 1);
	expect("198.18.55.9", XDP_PASS, VOSFP_CNT_PASSED, VOSFP_ORIGIN_SLOTS + VOSFP_ORIGIN_CROWDSEC);
	expect("2001:db8:55::9", XDP_PASS, VOSFP_CNT_PASSED, VOSFP_ORIGIN_SLOTS + VOSFP_ORIGIN_CSCLI);
	expect("198.18.55.10", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_CROWDSEC);
}
END_TEST

START_TEST(test_blocklist_first)
{
	decisions_on(0);
	harness_block_str(&h, "198.18.56.1");
	decide("198.18.56.1", 60000, VOSFP_ORIGIN_CSCLI, 1);
	expect("198.18.56.1", XDP_DROP, VOSFP_CNT_BLOCKED, -1);
}
END_TEST

/* Off (the flag clear, as with no crowdsec section): the maps are not read at all. A clear
 * summary bit means "no decision here": an entry written without its bits is not seen. */
START_TEST(test_flag_off_and_bits_first)
{
	decide("198.18.57.1", 60000, VOSFP_ORIGIN_CSCLI, 1);
	decisions_on(0);
	expect("198.18.57.1", XDP_DROP, VOSFP_CNT_DECISION_DROPPED, VOSFP_ORIGIN_CSCLI);
	ck_assert_int_eq(harness_set_config(&h, &(struct vosfp_config){ .flags = HARNESS_SUMMARIES }), 0);
	expect("198.18.57.1", XDP_PASS, VOSFP_CNT_PASSED, -1);
	decisions_on(0);
	decide("198.18.58.1", 60000, VOSFP_ORIGIN_CSCLI, 0);
	expect("198.18.58.1", XDP_PASS, VOSFP_CNT_PASSED, -1);
}
END_TEST

/* TCP to a SIP port: dropped like UDP (before the TCP "blocklist only" pass). */
START_TEST(test_tcp)
{
	struct vosfp_config c = { .flags = HARNESS_SUMMARIES | VOSFP_F_DECISIONS | VOSFP_F_PORTS };
	int moved;
	size_t len;

	c.udp_ports[5060 >> 3] |= 1 << (5060 & 7);
	c.tcp_ports[5061 >> 3] |= 1 << (5061 & 7);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	decide("198.18.59.1", 60000, VOSFP_ORIGIN_CROWDSEC, 1);
	ck_assert_int_eq(send_from("198.18.59.1", 6, &moved, &len), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_DECISION_DROPPED);
	ck_assert_int_eq(send_from("198.18.59.2", 6, &moved, &len), XDP_PASS);
	ck_assert_int_eq(moved, VOSFP_CNT_PASSED);
}
END_TEST

/* The agent's summary steps on a real summary map: GROW (before entries) leaves old|new in every
 * word, SHRINK (after them) leaves new, though it writes only the words where old had bits new
 * lacks. */
START_TEST(test_summary_grow_then_shrink)
{
	static const struct {
		__u32 word;
		uint64_t old, new;
	} rows[] = {
		{ 0, 0, 0x1 },			/* bits come: GROW's alone */
		{ 1, 0x3, 0x3 },		/* unchanged */
		{ 2, 0x1, 0x3 },		/* more bits */
		{ 3, 0x3, 0x1 },		/* fewer: SHRINK's */
		{ 4, 0x6, 0x3 },		/* one comes, one goes */
		{ 5, 0xFF00, 0 },		/* all go */
		{ SUMMARY_WORDS - 1, 1ULL << 63, 1ULL << 62 },
	};
	static uint64_t old[SUMMARY_WORDS], new[SUMMARY_WORDS];
	int fd = sum_fd(SUM_V4);
	uint64_t got;

	memset(old, 0, sizeof(old));
	memset(new, 0, sizeof(new));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		old[rows[i].word] = rows[i].old;
		new[rows[i].word] = rows[i].new;
		ck_assert_int_eq(bpf_map_update_elem(fd, &rows[i].word, &rows[i].old, BPF_ANY), 0);
	}
	ck_assert_int_eq(apply_summary(fd, SUMMARY_BLOCK_NEAR, old, new, SUMMARY_GROW), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(bpf_map_lookup_elem(fd, &rows[i].word, &got), 0);
		ck_assert_msg(got == (rows[i].old | rows[i].new), "word %u after GROW: %#llx", rows[i].word,
			      (unsigned long long)got);
	}
	ck_assert_int_eq(apply_summary(fd, SUMMARY_BLOCK_NEAR, old, new, SUMMARY_SHRINK), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(bpf_map_lookup_elem(fd, &rows[i].word, &got), 0);
		ck_assert_msg(got == rows[i].new, "word %u after SHRINK: %#llx, expected %#llx", rows[i].word,
			      (unsigned long long)got, (unsigned long long)rows[i].new);
	}
	ck_assert_int_eq(bpf_map_lookup_elem(fd, &(__u32){ 6 }, &got), 0);
	ck_assert_uint_eq(got, 0);
}
END_TEST

TCase *decision_tcase(void)
{
	TCase *tc = tcase_create("decision");

	tcase_add_checked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_address_and_range_v4);
	tcase_add_test(tc, test_address_and_ranges_v6);
	tcase_add_test(tc, test_expiry_checked_in_kernel);
	tcase_add_test(tc, test_longest_match_carries_cover);
	tcase_add_test(tc, test_allowlist_wins_counted);
	tcase_add_test(tc, test_blocklist_first);
	tcase_add_test(tc, test_flag_off_and_bits_first);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_summary_grow_then_shrink);
	return tc;
}
