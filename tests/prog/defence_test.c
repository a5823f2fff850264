/* defence_test.c - flood defence through the real kernel program: per-source rate limits,
 * timed auto-blocks and scanner User-Agents, with exact verdicts and counter deltas.
 * Time runs for real in BPF_PROG_TEST_RUN (bpf/shared.h: datapath_now), so the limits here are slow
 * (1-10 requests/s) and each burst is sent within a few ms: refill between two frames of a
 * burst is far below one token, which keeps every count exact. Each test uses its own source
 * addresses: the per-source state outlives a test. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "autoblock.h"
#include "frame.h"
#include "prog_harness.h"
#include "scanner.h"
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

/* A request as a softphone sends it, with the given method and User-Agent line (NULL: none). */
static size_t request(char *buf, size_t cap, const char *method, const char *ua_line)
{
	return snprintf(buf, cap,
		"%s sip:1001@198.18.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:1001@198.18.0.1>;tag=1928301774\r\n"
		"To: <sip:1001@198.18.0.1>\r\n"
		"Call-ID: a84b4c76e66710@198.18.0.2\r\n"
		"CSeq: 314159 %s\r\n"
		"Contact: <sip:1001@198.18.0.2:5062>\r\n"
		"%s%s"
		"Content-Length: 0\r\n\r\n",
		method, method, ua_line ? ua_line : "", ua_line ? "\r\n" : "");
}

/* Run one frame built from payload and src; return the action and the one counter that moved
 * (-1: none; -2: more than one moved, or by more than one). */
static int run(const char *src, const char *payload, size_t len, int *moved)
{
	struct frame_spec s = { .family = strchr(src, ':') ? 6 : 4, .src = src, .payload = payload,
				.payload_len = len };
	uint8_t frame[FRAME_MAX];
	size_t flen = frame_build(&s, frame, sizeof(frame));
	int action;

	ck_assert_uint_gt(flen, 0);
	action = harness_run_counted(&h, frame, flen, moved);
	ck_assert_int_ge(action, 0);
	return action;
}

/* Send n identical requests; tally the counters that moved. */
static void burst(const char *src, const char *method, int n, int tally[VOSFP_COUNTER_SLOTS])
{
	char payload[1024];
	size_t len = request(payload, sizeof(payload), method, "User-Agent: Linphone/5.2");

	memset(tally, 0, sizeof(int) * VOSFP_COUNTER_SLOTS);
	for (int i = 0; i < n; i++) {
		int moved, action = run(src, payload, len, &moved);

		ck_assert_msg(moved >= 0, "%s %s #%d: no counter or several moved", src, method, i);
		ck_assert_int_eq(action, moved == VOSFP_CNT_PASSED ? XDP_PASS : XDP_DROP);
		tally[moved]++;
	}
}

static void set_rate(struct vosfp_config *c, int method, uint32_t rate, uint32_t burst_size)
{
	c->rate[method] = (struct vosfp_rate){ .rate = rate, .burst = burst_size };
}

static void all_rates(struct vosfp_config *c, uint32_t rate, uint32_t burst_size)
{
	for (int m = 0; m < VOSFP_METHODS; m++)
		set_rate(c, m, rate, burst_size);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(test_burst_plus_k_limited)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT };
	int t[VOSFP_COUNTER_SLOTS];

	all_rates(&c, 1, 5);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.1.1", "REGISTER", 5 + 3, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 5);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 3);
	/* Another source has its own bucket, untouched by the first one's flood. */
	burst("198.18.1.2", "REGISTER", 5, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 5);
	/* IPv6 sources too. */
	burst("2001:db8::1:1", "INVITE", 5 + 4, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 5);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 4);
}
END_TEST

START_TEST(test_per_method)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT };
	int t[VOSFP_COUNTER_SLOTS];

	set_rate(&c, VOSFP_M_INVITE, 1, 2);	/* REGISTER, OPTIONS, other: unlimited */
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.2.1", "REGISTER", 20, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 20);
	burst("198.18.2.1", "INVITE", 2 + 5, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 5);
	/* "Other" requests have their own class. */
	set_rate(&c, VOSFP_M_OTHER, 1, 3);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.2.1", "SUBSCRIBE", 3 + 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 3);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 2);
}
END_TEST

/* Responses and keep-alives are never limited: only requests are. */
START_TEST(test_responses_not_limited)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT };
	const char *resp = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.1\r\nContent-Length: 0\r\n\r\n";
	int moved;

	all_rates(&c, 1, 1);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(run("198.18.3.1", resp, strlen(resp), &moved), XDP_PASS);
		ck_assert_int_eq(moved, VOSFP_CNT_PASSED);
		ck_assert_int_eq(run("198.18.3.1", "\r\n\r\n", 4, &moved), XDP_PASS);
		ck_assert_int_eq(moved, VOSFP_CNT_PASSED);
	}
}
END_TEST

START_TEST(test_allowlisted_never_limited)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK };
	int t[VOSFP_COUNTER_SLOTS];

	all_rates(&c, 1, 1);
	c.auto_block_ms = 60000;
	harness_allow_str(&h, "198.18.4.1");
	harness_allow_str(&h, "2001:db8::4:0/112");
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.4.1", "REGISTER", 50, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 50);
	burst("2001:db8::4:1", "INVITE", 50, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 50);
	/* A neighbour outside the allowlist is limited. */
	burst("198.18.4.2", "REGISTER", 4, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	ck_assert_int_eq(t[VOSFP_CNT_AUTO_BLOCKED], 2);
}
END_TEST

/* Limits off (flag clear) with rates still set: nothing is limited. */
START_TEST(test_flag_off)
{
	struct vosfp_config c = { 0 };
	int t[VOSFP_COUNTER_SLOTS];

	all_rates(&c, 1, 1);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.5.1", "REGISTER", 20, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 20);
}
END_TEST

/* after 0: the first request over the limit starts the block; it expires on its own. */
START_TEST(test_auto_block_engages_and_expires)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK };
	int t[VOSFP_COUNTER_SLOTS];

	all_rates(&c, 10, 2);		/* a token per 100 ms */
	c.auto_block_after_ms = 0;
	c.auto_block_ms = 200;
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.6.1", "REGISTER", 2 + 1 + 4, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);	/* this one started the block */
	ck_assert_int_eq(t[VOSFP_CNT_AUTO_BLOCKED], 4);
	/* Another source is unaffected. */
	burst("198.18.6.2", "REGISTER", 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	sleep_ms(400);			/* block over, bucket full again */
	burst("198.18.6.1", "REGISTER", 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
}
END_TEST

/* after > 0: only a streak of drops that long blocks. */
START_TEST(test_auto_block_after_streak)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK };
	int t[VOSFP_COUNTER_SLOTS];

	all_rates(&c, 1, 1);
	c.auto_block_after_ms = 100;
	c.auto_block_ms = 60000;
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst("198.18.7.1", "INVITE", 1 + 3, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 3);	/* streak shorter than 100 ms */
	sleep_ms(150);
	burst("198.18.7.1", "INVITE", 1 + 3, t);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);	/* streak now >= 100 ms: blocked */
	ck_assert_int_eq(t[VOSFP_CNT_AUTO_BLOCKED], 3);
	/* Static lists win over dynamic state: once blocklisted, BLOCKED counts it. */
	harness_block_str(&h, "198.18.7.1");
	burst("198.18.7.1", "INVITE", 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_BLOCKED], 2);
	/* An allowlisted source is exempt even from a block that began before it was listed. */
	burst("198.18.7.2", "INVITE", 1 + 1, t);
	sleep_ms(150);
	burst("198.18.7.2", "INVITE", 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	ck_assert_int_eq(t[VOSFP_CNT_AUTO_BLOCKED], 1);
	harness_allow_str(&h, "198.18.7.2");
	burst("198.18.7.2", "INVITE", 3, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 3);
}
END_TEST

/* Word idx of auto_block_horizon or auto_block_slots (the test sets them down too). */
static void set_word(struct bpf_map *map, __u32 idx, __u64 ns)
{
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(map), &idx, &ns, BPF_ANY), 0);
}

/* The contract the agent relies on when it restores or carries blocks over (bpf/vosfp.h): the
 * datapath looks a source up only while the horizon and the source's slot are both ahead of
 * the clock, so an entry added without raising both is not enforced, and one covered by both
 * is. */
START_TEST(test_auto_block_horizon)
{
	struct vosfp_config c = { .flags = VOSFP_F_AUTO_BLOCK };
	struct vosfp_src_key key = { .addr = { [10] = 0xff, [11] = 0xff, 198, 18, 8, 1 } };
	struct vosfp_auto_block b = { .expires = harness_now(&h) + 60000000000ULL,
				      .reason = VOSFP_REASON_RATE };
	struct bpf_map *horizon = h.skel->maps.auto_block_horizon, *slots = h.skel->maps.auto_block_slots;
	__u32 slot = vosfp_block_slot(&key);
	int t[VOSFP_COUNTER_SLOTS];

	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(h.skel->maps.auto_blocked), &key, &b,
					     BPF_NOEXIST), 0);
	burst("198.18.8.1", "INVITE", 2, t);		/* horizon 0: nobody looked up */
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
	set_word(horizon, 0, b.expires);
	burst("198.18.8.1", "INVITE", 2, t);		/* its slot 0: not looked up */
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
	set_word(slots, slot, b.expires);
	burst("198.18.8.1", "INVITE", 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_AUTO_BLOCKED], 2);
	burst("198.18.8.2", "INVITE", 1, t);		/* not blocked */
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	set_word(slots, slot, harness_now(&h) - 1);	/* the clock is past its slot */
	burst("198.18.8.1", "INVITE", 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
	set_word(slots, slot, b.expires);
	set_word(horizon, 0, harness_now(&h) - 1);	/* past the horizon */
	burst("198.18.8.1", "INVITE", 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
}
END_TEST

/* ---- rate slots (bpf/vosfp.h: rate_slots in front of rate_state) ---- */

static struct vosfp_src_key source_key(const char *text)
{
	struct vosfp_src_key k;

	ck_assert_int_eq(autoblock_key_parse(text, &k), 0);
	return k;
}

static int rate_slots_fd(void)
{
	return bpf_map__fd(h.skel->maps.rate_slots);
}

/* A source of 198.19.0.0/16 whose rate slot is src's, as text into out; the slot emptied, so
 * that no earlier test's source owns it. */
static void share_slot(const char *src, char out[INET_ADDRSTRLEN])
{
	struct vosfp_src_key a = source_key(src), b = source_key("198.19.0.0");
	struct vosfp_rate_slot empty = {};
	__u32 idx = vosfp_rate_slot(&a);

	ck_assert_int_eq(bpf_map_update_elem(rate_slots_fd(), &idx, &empty, BPF_ANY), 0);
	for (unsigned i = 0; i < 65536; i++) {
		b.addr[14] = i >> 8;
		b.addr[15] = i & 0xff;
		if (vosfp_rate_slot(&b) == idx) {
			autoblock_addr(&b, out, INET_ADDRSTRLEN);
			return;
		}
	}
	ck_abort_msg("no source of 198.19.0.0/16 shares %s's rate slot", src);
}

static bool owns_slot(const char *src)
{
	struct vosfp_src_key k = source_key(src);
	struct vosfp_rate_slot s;
	__u32 idx = vosfp_rate_slot(&k);

	ck_assert_int_eq(bpf_map_lookup_elem(rate_slots_fd(), &idx, &s), 0);
	return !memcmp(&s.owner, &k, sizeof(k));
}

static bool in_rate_state(const char *src)
{
	struct vosfp_src_key k = source_key(src);
	struct vosfp_rate_state st;

	return !bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.rate_state), &k, &st);
}

/* Two sources on one slot: the first owns it, the other keeps its own bucket in rate_state, and
 * neither empties or refills the other's. */
START_TEST(test_rate_slot_shared)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT };
	const char *a = "198.18.9.1";
	char b[INET_ADDRSTRLEN];
	int t[VOSFP_COUNTER_SLOTS];

	share_slot(a, b);
	all_rates(&c, 1, 3);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst(a, "REGISTER", 3 + 2, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 3);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 2);
	ck_assert(owns_slot(a) && !in_rate_state(a));
	burst(b, "REGISTER", 3 + 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 3);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	ck_assert_msg(owns_slot(a) && in_rate_state(b), "%s took the slot of %s, whose bucket is empty", b, a);
	burst(a, "REGISTER", 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	burst(b, "REGISTER", 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
}
END_TEST

/* Once the owner's buckets are full again, the other source takes the slot over and brings its
 * state along: its empty bucket stays empty. */
START_TEST(test_rate_slot_taken_over_with_state)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT };
	const char *a = "198.18.9.2";
	char b[INET_ADDRSTRLEN];
	int t[VOSFP_COUNTER_SLOTS];

	share_slot(a, b);
	set_rate(&c, VOSFP_M_INVITE, 10, 1);	/* a token per 100 ms */
	set_rate(&c, VOSFP_M_REGISTER, 1, 2);	/* a token per second */
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst(a, "INVITE", 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	burst(b, "REGISTER", 2 + 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 2);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	ck_assert(owns_slot(a) && in_rate_state(b));
	sleep_ms(150);				/* a's bucket full again; b's still empty */
	burst(b, "REGISTER", 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	ck_assert_msg(owns_slot(b) && !in_rate_state(b), "%s did not move into its slot", b);
	burst(a, "INVITE", 1, t);		/* a starts again, full, in rate_state */
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	ck_assert(owns_slot(b) && in_rate_state(a));
}
END_TEST

/* An owner in a streak of over-limit drops keeps its slot although its bucket is full again:
 * the streak (which turns into an auto-block) would be lost with it. */
START_TEST(test_rate_slot_kept_through_streak)
{
	struct vosfp_config c = { .flags = VOSFP_F_RATE_LIMIT };
	const char *a = "198.18.9.3";
	char b[INET_ADDRSTRLEN];
	int t[VOSFP_COUNTER_SLOTS];

	share_slot(a, b);
	all_rates(&c, 10, 1);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	burst(a, "INVITE", 1 + 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_RATE_LIMITED], 1);
	sleep_ms(150);				/* full again, the streak still live (VOSFP_OVER_GAP_NS) */
	burst(b, "INVITE", 1, t);
	ck_assert_int_eq(t[VOSFP_CNT_PASSED], 1);
	ck_assert_msg(owns_slot(a) && in_rate_state(b), "%s took the slot of %s in its streak", b, a);
}
END_TEST

/* ---- scanners ---- */

static void scanners_on(void)
{
	struct vosfp_config c = { .flags = VOSFP_F_SCANNERS };

	ck_assert_int_eq(harness_set_scanners(&h, NULL, 0), 0);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
}

static int ua_verdict(const char *method, const char *ua_line, int *moved)
{
	char payload[1024];
	size_t len = request(payload, sizeof(payload), method, ua_line);

	return run("198.18.8.1", payload, len, moved);
}

START_TEST(test_scanner_tokens)
{
	static const char *const forms[] = { "User-Agent: %s", "user-agent:%s", "USER-AGENT: \t %s/0.8",
					     "User-Agent:\t%s 1.2 (Linux)" };
	char line[128];
	int moved;

	scanners_on();
	for (unsigned i = 0; i < scanner_default_count; i++)
		for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			snprintf(line, sizeof(line), forms[f], scanner_default_tokens[i]);
			ck_assert_msg(ua_verdict(i % 2 ? "OPTIONS" : "REGISTER", line, &moved) == XDP_DROP &&
				      moved == VOSFP_CNT_SCANNER_DROPPED, "'%s' not dropped as a scanner", line);
		}
}
END_TEST

static void write_free(const struct vosfp_scanner_free *f)
{
	__u32 zero = 0;

	ck_assert_int_eq(bpf_map_update_elem(bpf_map__fd(h.skel->maps.scanner_free), &zero, f, BPF_ANY), 0);
}

/* scanner_free lets a word skip the token lookup: its zeroed state (a new program's) still finds
 * every token, and a slot the agent marked free is really not looked up (the test of a bit that
 * is read at all: with the token's own slot free, the token passes). */
START_TEST(test_scanner_free_slots)
{
	struct vosfp_scanner_free f = { 0 };
	struct vosfp_scanner_key k;
	__u32 slot;
	int moved;

	scanners_on();
	ck_assert_int_eq(ua_verdict("REGISTER", "User-Agent: friendly-scanner", &moved), XDP_DROP);
	ck_assert_int_eq(ua_verdict("REGISTER", "User-Agent: Linphone/5.2", &moved), XDP_PASS);

	write_free(&f);
	ck_assert_int_eq(ua_verdict("REGISTER", "User-Agent: friendly-scanner", &moved), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_SCANNER_DROPPED);
	ck_assert_int_eq(ua_verdict("REGISTER", "User-Agent: Linphone/5.2", &moved), XDP_PASS);

	ck_assert_int_eq(scanner_key("friendly", &k), 0);
	slot = vosfp_scanner_slot(&k);
	f.bits[slot / 64] = 1ULL << (slot % 64);
	write_free(&f);
	ck_assert_int_eq(ua_verdict("REGISTER", "User-Agent: friendly-scanner", &moved), XDP_PASS);
	ck_assert_int_eq(ua_verdict("REGISTER", "User-Agent: sipvicious", &moved), XDP_DROP);
}
END_TEST

START_TEST(test_benign_user_agents)
{
	static const char *const benign[] = {
		"User-Agent: Linphone/5.2 (friendly-scanner)",	/* token later in the value */
		"User-Agent: Zoiper sipvicious",
		"User-Agent: sipclient/2.0",			/* longer word than "sipcli" */
		"User-Agent: iWarrior",
		"X-User-Agent: sipvicious",			/* another header */
		"Server: friendly-scanner",
		NULL,						/* no User-Agent at all */
	};
	int moved;

	scanners_on();
	for (unsigned i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		ck_assert_int_eq(ua_verdict("REGISTER", benign[i], &moved), XDP_PASS);
		ck_assert_msg(moved == VOSFP_CNT_PASSED, "'%s' moved counter %d", benign[i], moved);
	}
}
END_TEST

/* The search covers the headers only: a User-Agent line in the body is not a header. */
START_TEST(test_scanner_in_body_passes)
{
	const char *msg = "MESSAGE sip:1001@198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2\r\n"
			  "Content-Type: text/plain\r\nContent-Length: 30\r\n\r\n"
			  "User-Agent: friendly-scanner\r\n";
	int moved;

	scanners_on();
	ck_assert_int_eq(run("198.18.8.2", msg, strlen(msg), &moved), XDP_PASS);
	ck_assert_int_eq(moved, VOSFP_CNT_PASSED);
}
END_TEST

/* Scanners from an allowlisted source pass (a monitoring probe may use such a tool); with
 * the feature off nothing is dropped. */
START_TEST(test_scanner_exemptions)
{
	char payload[1024];
	size_t len = request(payload, sizeof(payload), "REGISTER", "User-Agent: friendly-scanner");
	struct vosfp_config off = { 0 };
	int moved;

	scanners_on();
	harness_allow_str(&h, "198.18.8.3");
	ck_assert_int_eq(run("198.18.8.3", payload, len, &moved), XDP_PASS);
	ck_assert_int_eq(moved, VOSFP_CNT_PASSED);
	ck_assert_int_eq(run("198.18.8.4", payload, len, &moved), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_SCANNER_DROPPED);
	ck_assert_int_eq(harness_set_config(&h, &off), 0);
	ck_assert_int_eq(run("198.18.8.4", payload, len, &moved), XDP_PASS);
	ck_assert_int_eq(moved, VOSFP_CNT_PASSED);
}
END_TEST

/* With timed blocks on, a scanner's first request starts a block (reason scanner, its own
 * duration): whatever it sends next is dropped as AUTO_BLOCKED before its payload is read. With
 * them off, every scanner request is judged on its own and nothing is blocked. */
START_TEST(test_scanner_starts_auto_block)
{
	char scan[1024], phone[1024];
	size_t scan_len = request(scan, sizeof(scan), "REGISTER", "User-Agent: friendly-scanner");
	size_t phone_len = request(phone, sizeof(phone), "REGISTER", "User-Agent: Linphone/5.2");
	struct vosfp_src_key key = { .addr = { [10] = 0xff, [11] = 0xff, 198, 18, 8, 5 } };
	int auto_fd = bpf_map__fd(h.skel->maps.auto_blocked);
	struct vosfp_config c;
	struct vosfp_auto_block b;
	__u32 zero = 0, slot;
	__u64 until;
	int moved;

	scanners_on();
	ck_assert_int_eq(run("198.18.8.5", scan, scan_len, &moved), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_SCANNER_DROPPED);
	ck_assert_int_ne(bpf_map_lookup_elem(auto_fd, &key, &b), 0);	/* timed blocks off: none */
	ck_assert_int_eq(run("198.18.8.5", phone, phone_len, &moved), XDP_PASS);

	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.sip_config), &zero, &c), 0);
	c.flags |= VOSFP_F_AUTO_BLOCK;
	c.auto_block_ms = 60000;
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
	ck_assert_int_eq(run("198.18.8.5", scan, scan_len, &moved), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_SCANNER_DROPPED);
	ck_assert_int_eq(bpf_map_lookup_elem(auto_fd, &key, &b), 0);
	ck_assert_int_eq(b.reason, VOSFP_REASON_SCANNER);
	ck_assert_uint_gt(b.expires, harness_now(&h) + 50000000000ULL);	/* about 60 s left */
	/* The block raised the horizon and its slot first (bpf/vosfp.h: auto_block_slots). */
	slot = vosfp_block_slot(&key);
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.auto_block_horizon), &zero, &until), 0);
	ck_assert_uint_ge(until, b.expires);
	ck_assert_int_eq(bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.auto_block_slots), &slot, &until), 0);
	ck_assert_uint_ge(until, b.expires);
	ck_assert_int_eq(run("198.18.8.5", phone, phone_len, &moved), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_AUTO_BLOCKED);
	ck_assert_int_eq(run("198.18.8.6", phone, phone_len, &moved), XDP_PASS);	/* another source */
}
END_TEST

/* A User-Agent late in a long header block is found within VOSFP_UA_SEARCH_MAX. */
START_TEST(test_scanner_late_header)
{
	char payload[1400], pad[701];
	int moved, n;

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	n = snprintf(payload, sizeof(payload),
		     "INVITE sip:2002@198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2\r\n"
		     "X-Pad: %s\r\nuser-agent: sundayddr\r\nContent-Length: 0\r\n\r\n", pad);
	scanners_on();
	ck_assert_int_eq(run("198.18.8.5", payload, n, &moved), XDP_DROP);
	ck_assert_int_eq(moved, VOSFP_CNT_SCANNER_DROPPED);
}
END_TEST

TCase *defence_tcase(void)
{
	TCase *tc = tcase_create("defence");

	tcase_add_checked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_burst_plus_k_limited);
	tcase_add_test(tc, test_per_method);
	tcase_add_test(tc, test_responses_not_limited);
	tcase_add_test(tc, test_allowlisted_never_limited);
	tcase_add_test(tc, test_flag_off);
	tcase_add_test(tc, test_auto_block_engages_and_expires);
	tcase_add_test(tc, test_auto_block_after_streak);
	tcase_add_test(tc, test_auto_block_horizon);
	tcase_add_test(tc, test_rate_slot_shared);
	tcase_add_test(tc, test_rate_slot_taken_over_with_state);
	tcase_add_test(tc, test_rate_slot_kept_through_streak);
	tcase_add_test(tc, test_scanner_tokens);
	tcase_add_test(tc, test_scanner_free_slots);
	tcase_add_test(tc, test_benign_user_agents);
	tcase_add_test(tc, test_scanner_in_body_passes);
	tcase_add_test(tc, test_scanner_exemptions);
	tcase_add_test(tc, test_scanner_starts_auto_block);
	tcase_add_test(tc, test_scanner_late_header);
	return tc;
}
