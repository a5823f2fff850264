/* answers_test.c - the egress program (sip_answers) through the real kernel: which frames it
 * reads as SIP responses (IPv4, IPv6, VLAN, IPv4 options, IPv6 extension headers, UDP and TCP,
 * ports, status lines whole, split or cut, non-SIP payloads), how it finds the Call-ID (long and
 * compact forms, case, blanks), and the answer rule on short sequences: digest authentication
 * and twenty clients behind one address never count, refused credentials and not-found
 * answers lead to an auto-block that the XDP program then enforces, allowlisted peers are
 * exempt, and unanswered challenges age into failures. Exact counter deltas throughout. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "autoblock.h"
#include "frame.h"
#include "prog_harness.h"
#include "sip_logic.skel.h"

#define SERVER "198.18.0.1"
#define TC_ACT_UNSPEC (-1)

static struct harness h;

static void load(void)
{
	ck_assert_int_eq(harness_open(&h, 0), 0);
}

static void unload(void)
{
	harness_close(&h);
}

static void set_port(__u8 *bitmap, unsigned port)
{
	bitmap[port / 8] |= (__u8)(1u << (port % 8));
}

/* UDP and TCP 5060, the rule on: n auth failures or m not-found answers in a minute block for a
 * minute; a challenge has a minute to be answered (no aging within a test unless it says so). */
static struct vosfp_config rule(uint32_t n, uint32_t m)
{
	struct vosfp_config c = { .flags = VOSFP_F_PORTS | VOSFP_F_ANSWERS };

	set_port(c.udp_ports, 5060);
	set_port(c.tcp_ports, 5060);
	c.answers_window_ms = 60000;
	c.answers_challenge_ms = 60000;
	c.auth_failures_max = n;
	c.not_found_max = m;
	c.auto_block_ms = 60000;
	return c;
}

static void use(const struct vosfp_config *c)
{
	ck_assert_int_eq(harness_set_config(&h, c), 0);
}

/* A response as Kamailio sends one, with the given status line and Call-ID line. */
static size_t response(char *buf, size_t cap, const char *status, const char *call_id_line)
{
	return (size_t)snprintf(buf, cap,
		"%s\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds;rport=5062\r\n"
		"From: <sip:1001@198.18.0.1>;tag=1928301774\r\n"
		"To: <sip:1001@198.18.0.1>;tag=a6c85cf\r\n"
		"%s\r\n"
		"CSeq: 2 REGISTER\r\n"
		"WWW-Authenticate: Digest realm=\"198.18.0.1\", nonce=\"Z1x2Y3w4\"\r\n"
		"Content-Length: 0\r\n\r\n",
		status, call_id_line);
}

/* Counter deltas of one egress run of the frame s describes (the server's address and port
 * filled in when s leaves them out). */
static void run_frame(struct frame_spec s, uint64_t delta[VOSFP_COUNTER_SLOTS])
{
	uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
	uint8_t frame[FRAME_MAX];
	size_t len;

	if (!s.src)
		s.src = s.family == 6 ? "2001:db8::1" : SERVER;
	if (!s.sport)
		s.sport = 5060;
	if (!s.dport)
		s.dport = 5062;
	len = frame_build(&s, frame, sizeof(frame));
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(harness_answer_counters(&h, before), 0);
	ck_assert_int_eq(harness_run_egress(&h, frame, len), TC_ACT_UNSPEC);
	ck_assert_int_eq(harness_answer_counters(&h, after), 0);
	for (int i = 0; i < VOSFP_COUNTER_SLOTS; i++)
		delta[i] = after[i] - before[i];
}

/* One answer (status line, Call-ID value) from the server to peer over UDP. */
static void answer(const char *peer, const char *status, const char *call, uint64_t delta[VOSFP_COUNTER_SLOTS])
{
	char payload[1024], line[256];
	struct frame_spec s = { .family = strchr(peer, ':') ? 6 : 4, .dst = peer, .payload = payload };

	snprintf(line, sizeof(line), "Call-ID: %s", call);
	s.payload_len = response(payload, sizeof(payload), status, line);
	run_frame(s, delta);
}

/* The rule's state for peer; 0 when there is one. */
static int peer(const char *addr, struct vosfp_answer_peer *p)
{
	struct vosfp_src_key k;

	ck_assert_int_eq(autoblock_key_parse(addr, &k), 0);
	return bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.answer_peers), &k, p);
}

/* The peer's auto-block, if any: its reason, 0 when there is none. */
static __u32 blocked(const char *addr, struct vosfp_auto_block *b)
{
	struct vosfp_src_key k;

	ck_assert_int_eq(autoblock_key_parse(addr, &k), 0);
	if (bpf_map_lookup_elem(bpf_map__fd(h.skel->maps.auto_blocked), &k, b))
		return 0;
	return b->reason;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- the parser: which frames count as responses ---- */

struct parse_row {
	const char *name;
	struct frame_spec s;		/* payload NULL: a 401 with a Call-ID */
	const char *payload;
	int responses, challenges;	/* counter deltas expected */
};

START_TEST(test_parser_rows)
{
	static const char challenge[] = "SIP/2.0 401 Unauthorized\r\nCall-ID: abc@198.18.0.2\r\n\r\n";
	static const struct parse_row rows[] = {
		{ "IPv4 UDP from 5060", { .family = 4 }, challenge, 1, 1 },
		{ "IPv6 UDP", { .family = 6, .dst = "2001:db8::2" }, challenge, 1, 1 },
		{ "one VLAN tag", { .family = 4, .vlans = 1 }, challenge, 1, 1 },
		{ "QinQ", { .family = 6, .vlans = 2, .dst = "2001:db8::2" }, challenge, 1, 1 },
		{ "three VLAN tags: not parsed", { .family = 4, .vlans = 3 }, challenge, 0, 0 },
		{ "IPv4 options", { .family = 4, .ipv4_options = 40 }, challenge, 1, 1 },
		{ "IPv6 hop-by-hop + destination options", { .family = 6, .dst = "2001:db8::2",
		  .ipv6_ext = { 0, 60 }, .ipv6_ext_count = 2 }, challenge, 1, 1 },
		{ "IPv6 chain longer than walked", { .family = 6, .dst = "2001:db8::2",
		  .ipv6_ext = { 0, 60, 60, 60, 60, 60, 60 }, .ipv6_ext_count = 7 }, challenge, 0, 0 },
		{ "non-first fragment", { .family = 4, .frag = FRAG_LATER, .frag_offset = 1480 }, challenge, 0, 0 },
		{ "from another port", { .family = 4, .sport = 5070 }, challenge, 0, 0 },
		{ "to 5060 from elsewhere (a request's direction)", { .family = 4, .sport = 40000,
		  .dport = 5060 }, challenge, 0, 0 },
		{ "TCP from 5060", { .family = 4, .proto = 6 }, challenge, 1, 1 },
		{ "TCP over IPv6", { .family = 6, .proto = 6, .dst = "2001:db8::2" }, challenge, 1, 1 },
		{ "TCP segment inside a body", { .family = 4, .proto = 6 }, "a=rtpmap:0 PCMU/8000\r\n", 0, 0 },
		{ "a request from the SIP port", { .family = 4 }, "INVITE sip:1001@198.18.0.2 SIP/2.0\r\n\r\n", 0, 0 },
		{ "no reason phrase", { .family = 4 }, "SIP/2.0 401\r\nCall-ID: a\r\n\r\n", 1, 1 },
		{ "LF only", { .family = 4 }, "SIP/2.0 401\nCall-ID: a\n\n", 1, 1 },
		{ "exactly the 12 bytes", { .family = 4 }, "SIP/2.0 401 ", 1, 1 },
		{ "11 bytes", { .family = 4 }, "SIP/2.0 401", 0, 0 },
		{ "cut by the UDP length", { .family = 4, .udp_len_delta = -45 }, challenge, 0, 0 },
		{ "cut by the frame end", { .family = 4, .truncate = 14 + 20 + 8 + 11 }, challenge, 0, 0 },
		{ "IP length shorter than the status line", { .family = 4, .ip_len_delta = -44 }, challenge, 0, 0 },
		{ "four digits", { .family = 4 }, "SIP/2.0 4011 X\r\n\r\n", 0, 0 },
		{ "class 7", { .family = 4 }, "SIP/2.0 701 X\r\n\r\n", 0, 0 },
		{ "lower case", { .family = 4 }, "sip/2.0 401 X\r\n\r\n", 0, 0 },
		{ "SIP/2.1", { .family = 4 }, "SIP/2.1 401 X\r\n\r\n", 0, 0 },
		{ "two spaces", { .family = 4 }, "SIP/2.0  401 X\r\n\r\n", 0, 0 },
		{ "HTTP", { .family = 4 }, "HTTP/1.1 401 Unauthorized\r\n\r\n", 0, 0 },
		{ "binary", { .family = 4 }, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d", 0, 0 },
		{ "200 counts as a response", { .family = 4 }, "SIP/2.0 200 OK\r\n\r\n", 1, 0 },
		{ "100 Trying too", { .family = 4 }, "SIP/2.0 100 Trying\r\n\r\n", 1, 0 },
	};
	struct vosfp_config c = rule(5, 5);

	use(&c);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct frame_spec s = rows[i].s;
		uint64_t d[VOSFP_COUNTER_SLOTS];

		if (!s.dst)
			s.dst = "198.18.0.2";
		s.payload = rows[i].payload;
		s.payload_len = strlen(rows[i].payload);
		run_frame(s, d);
		ck_assert_msg(d[VOSFP_ANS_RESPONSES] == (uint64_t)rows[i].responses &&
			      d[VOSFP_ANS_CHALLENGES] == (uint64_t)rows[i].challenges,
			      "row %u (%s): responses +%llu challenges +%llu, expected +%d +%d", i,
			      rows[i].name, (unsigned long long)d[VOSFP_ANS_RESPONSES],
			      (unsigned long long)d[VOSFP_ANS_CHALLENGES], rows[i].responses,
			      rows[i].challenges);
	}
}
END_TEST

/* The classes of status codes. */
START_TEST(test_status_classes)
{
	static const struct {
		const char *status;
		int idx;		/* the counter that moves besides RESPONSES, -1: none */
	} rows[] = {
		{ "SIP/2.0 401 Unauthorized", VOSFP_ANS_CHALLENGES },
		{ "SIP/2.0 407 Proxy Authentication Required", VOSFP_ANS_CHALLENGES },
		{ "SIP/2.0 403 Forbidden", VOSFP_ANS_REFUSED },
		{ "SIP/2.0 404 Not Found", VOSFP_ANS_NOT_FOUND },
		{ "SIP/2.0 410 Gone", VOSFP_ANS_NOT_FOUND },
		{ "SIP/2.0 484 Address Incomplete", VOSFP_ANS_NOT_FOUND },
		{ "SIP/2.0 485 Ambiguous", VOSFP_ANS_NOT_FOUND },
		{ "SIP/2.0 604 Does Not Exist Anywhere", VOSFP_ANS_NOT_FOUND },
		{ "SIP/2.0 200 OK", -1 }, { "SIP/2.0 180 Ringing", -1 }, { "SIP/2.0 486 Busy Here", -1 },
		{ "SIP/2.0 480 Temporarily Unavailable", -1 }, { "SIP/2.0 503 Service Unavailable", -1 },
		{ "SIP/2.0 402 Payment Required", -1 }, { "SIP/2.0 408 Request Timeout", -1 },
	};
	struct vosfp_config c = rule(100, 100);

	use(&c);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t d[VOSFP_COUNTER_SLOTS];

		answer("198.18.1.1", rows[i].status, "class@x", d);
		ck_assert_msg(d[VOSFP_ANS_RESPONSES] == 1, "%s: not read as a response", rows[i].status);
		for (int k = VOSFP_ANS_CHALLENGES; k <= VOSFP_ANS_NOT_FOUND; k++)
			ck_assert_msg(d[k] == (k == rows[i].idx), "%s: counter %d +%llu", rows[i].status, k,
				      (unsigned long long)d[k]);
	}
}
END_TEST

/* Call-ID forms: a challenge and its second challenge written differently are one call (one
 * refusal counted); written as different values, two calls (none). */
START_TEST(test_call_id_forms)
{
	static const struct {
		const char *first, *second;
		int same;
	} rows[] = {
		{ "Call-ID: a84b4c76e66710@pc33", "i: a84b4c76e66710@pc33", 1 },
		{ "CALL-ID: a84b4c76e66710@pc33", "call-id:a84b4c76e66710@pc33", 1 },
		{ "Call-ID \t : \t a84b4c76e66710", "I:a84b4c76e66710", 1 },
		{ "Call-ID: a84b4c76e66710 ", "Call-ID: a84b4c76e66710", 1 },
		{ "Call-ID: a84b4c76e66710", "Call-ID: a84b4c76e66711", 0 },
		{ "Call-ID: a84b4c76e6671", "Call-ID: a84b4c76e66710", 0 },
		{ "Call-ID: abc", "Call-ID: ABC", 0 },		/* the value is case-sensitive */
		{ "Call-ID:        x", "i: x", 1 },		/* 8 blanks: the most allowed */
		{ "Call-Info: x\r\nCall-ID: y", "i: y", 1 },	/* a near name first */
	};
	struct vosfp_config c = rule(100, 100);

	use(&c);
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char payload[1024], peer_addr[32];
		struct frame_spec s = { .family = 4, .dst = peer_addr, .payload = payload };
		struct vosfp_answer_peer p;
		uint64_t d[VOSFP_COUNTER_SLOTS];

		snprintf(peer_addr, sizeof(peer_addr), "198.18.2.%u", i + 1);
		s.payload_len = response(payload, sizeof(payload), "SIP/2.0 401 Unauthorized", rows[i].first);
		run_frame(s, d);
		s.payload_len = response(payload, sizeof(payload), "SIP/2.0 401 Unauthorized", rows[i].second);
		run_frame(s, d);
		ck_assert_int_eq(peer(peer_addr, &p), 0);
		ck_assert_msg(p.failures == (__u32)rows[i].same && p.pending == 2u - rows[i].same,
			      "row %u: failures %u pending %u, expected one call: %d", i, p.failures,
			      p.pending, rows[i].same);
	}
}
END_TEST

/* No Call-ID where it is looked for: the challenge is counted as such, never as a failure. */
START_TEST(test_no_call_id)
{
	static const char *const payloads[] = {
		"SIP/2.0 401 Unauthorized\r\nVia: x\r\n\r\nCall-ID: in-the-body\r\n",
		"SIP/2.0 401 Unauthorized\r\nCall-ID:\r\n\r\n",
		"SIP/2.0 401 Unauthorized\r\nCall-ID:         toomanyblanks\r\n\r\n",
		"SIP/2.0 401 Unauthorized\r\nX-Call-ID: x\r\nCall-IDs: y\r\n\r\n",
		"SIP/2.0 401 Call-ID: x\r\n\r\n",		/* in the status line */
	};
	struct vosfp_config c = rule(2, 100);

	use(&c);
	for (unsigned i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		struct frame_spec s = { .family = 4, .dst = "198.18.3.1", .payload = payloads[i],
					.payload_len = strlen(payloads[i]) };
		uint64_t d[VOSFP_COUNTER_SLOTS];

		for (int k = 0; k < 3; k++) {
			run_frame(s, d);
			ck_assert_msg(d[VOSFP_ANS_CHALLENGES] == 1 && d[VOSFP_ANS_NO_CALL_ID] == 1 &&
				      d[VOSFP_ANS_AUTH_FAILURES] == 0, "payload %u, run %d", i, k);
		}
	}
	ck_assert_int_eq(blocked("198.18.3.1", &(struct vosfp_auto_block){ 0 }), 0);
}
END_TEST

/* The Call-ID past the search window is not seen; just inside it is. */
START_TEST(test_call_id_window)
{
	struct vosfp_config c = rule(100, 100);
	static char payload[2048];
	const char *head = "SIP/2.0 401 Unauthorized\r\nX-Pad: ";
	const char *tail = "\r\nCall-ID: w\r\n\r\n";

	use(&c);
	for (int edge = -1; edge <= 1; edge++) {
		/* The value's byte 'w' at offset 1023 + edge. */
		size_t at = VOSFP_ANSWER_SEARCH_MAX - 1 + edge, pad = at - strlen(head) - strlen("\r\nCall-ID: ");
		struct frame_spec s = { .family = 4, .dst = "198.18.4.1", .payload = payload };
		uint64_t d[VOSFP_COUNTER_SLOTS];

		memcpy(payload, head, strlen(head));
		memset(payload + strlen(head), 'p', pad);
		memcpy(payload + strlen(head) + pad, tail, strlen(tail) + 1);
		s.payload_len = strlen(payload);
		ck_assert_int_eq(payload[at], 'w');
		run_frame(s, d);
		ck_assert_msg(d[VOSFP_ANS_NO_CALL_ID] == (edge > 0), "value at %zu: no Call-ID +%llu", at,
			      (unsigned long long)d[VOSFP_ANS_NO_CALL_ID]);
	}
}
END_TEST

/* ---- the rule ---- */

/* Digest authentication: challenged, then answered; twenty clients behind one address at once. */
START_TEST(test_digest_never_counts)
{
	struct vosfp_config c = rule(3, 3);
	struct vosfp_answer_peer p;
	uint64_t d[VOSFP_COUNTER_SLOTS];
	char call[32];

	use(&c);
	answer("198.18.5.1", "SIP/2.0 401 Unauthorized", "one@pc", d);
	answer("198.18.5.1", "SIP/2.0 200 OK", "one@pc", d);
	for (int i = 0; i < 20; i++) {
		snprintf(call, sizeof(call), "phone%d@nat", i);
		answer("198.18.5.2", "SIP/2.0 401 Unauthorized", call, d);
	}
	for (int i = 0; i < 20; i++) {
		snprintf(call, sizeof(call), "phone%d@nat", i);
		answer("198.18.5.2", i % 2 ? "SIP/2.0 200 OK" : "SIP/2.0 180 Ringing", call, d);
	}
	ck_assert_int_eq(peer("198.18.5.1", &p), 0);
	ck_assert_uint_eq(p.failures + p.pending + p.pending_prev, 0);
	ck_assert_int_eq(peer("198.18.5.2", &p), 0);
	ck_assert_uint_eq(p.failures + p.pending + p.pending_prev, 0);
	ck_assert_int_eq(blocked("198.18.5.2", &(struct vosfp_auto_block){ 0 }), 0);
}
END_TEST

/* One mistyped password: challenge, refused (challenged again), then right: one failure. A 100
 * Trying in between settles nothing. */
START_TEST(test_one_mistype)
{
	struct vosfp_config c = rule(2, 3);
	struct vosfp_answer_peer p;
	uint64_t d[VOSFP_COUNTER_SLOTS];

	use(&c);
	answer("198.18.6.1", "SIP/2.0 401 Unauthorized", "m@pc", d);
	answer("198.18.6.1", "SIP/2.0 100 Trying", "m@pc", d);
	answer("198.18.6.1", "SIP/2.0 401 Unauthorized", "m@pc", d);
	ck_assert_uint_eq(d[VOSFP_ANS_AUTH_FAILURES], 1);
	answer("198.18.6.1", "SIP/2.0 200 OK", "m@pc", d);
	ck_assert_int_eq(peer("198.18.6.1", &p), 0);
	ck_assert_uint_eq(p.failures, 1);
	ck_assert_uint_eq(p.pending + p.pending_prev, 0);
	ck_assert_int_eq(blocked("198.18.6.1", &(struct vosfp_auto_block){ 0 }), 0);
}
END_TEST

/* A cracker: challenged again and again in one call. The N-th refusal blocks it, for the
 * configured time, with reason auth-failures; the XDP program then drops it with only the
 * answer rule on. */
START_TEST(test_cracker_blocked)
{
	struct vosfp_config c = rule(4, 100);
	struct vosfp_auto_block b;
	uint64_t d[VOSFP_COUNTER_SLOTS], x[VOSFP_COUNTER_SLOTS], x0[VOSFP_COUNTER_SLOTS];
	const char *req = "REGISTER sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.7.1\r\n"
			  "Content-Length: 0\r\n\r\n";
	struct frame_spec in = { .family = 4, .src = "198.18.7.1", .payload = req,
				 .payload_len = strlen(req) };
	uint8_t frame[FRAME_MAX];
	size_t len = frame_build(&in, frame, sizeof(frame));
	uint64_t t0;

	use(&c);
	answer("198.18.7.1", "SIP/2.0 401 Unauthorized", "crack@x", d);	/* the first challenge */
	for (int i = 1; i <= 4; i++) {
		ck_assert_int_eq(blocked("198.18.7.1", &b), 0);
		t0 = harness_now(&h);
		answer("198.18.7.1", "SIP/2.0 401 Unauthorized", "crack@x", d);
		ck_assert_uint_eq(d[VOSFP_ANS_AUTH_FAILURES], 1);
		ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], i == 4);
	}
	ck_assert_uint_eq(blocked("198.18.7.1", &b), VOSFP_REASON_AUTH_FAILURES);
	ck_assert_uint_ge(b.expires, t0 + 60000ULL * 1000000);
	ck_assert_uint_le(b.expires, harness_now(&h) + 60000ULL * 1000000);
	/* The XDP program drops its next request. */
	ck_assert_int_eq(harness_counters(&h, x0, VOSFP_COUNTER_SLOTS), 0);
	ck_assert_int_eq(harness_run(&h, frame, len), XDP_DROP);
	ck_assert_int_eq(harness_counters(&h, x, VOSFP_COUNTER_SLOTS), 0);
	ck_assert_uint_eq(x[VOSFP_CNT_AUTO_BLOCKED] - x0[VOSFP_CNT_AUTO_BLOCKED], 1);
	/* A later answer in flight does not block it again or anew. */
	answer("198.18.7.1", "SIP/2.0 401 Unauthorized", "crack@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 0);
}
END_TEST

/* 403s count one each, with or without a challenge before; a 403 takes its call's challenge
 * (so the challenge is not also judged unanswered later). */
START_TEST(test_refusals)
{
	struct vosfp_config c = rule(3, 100);
	struct vosfp_answer_peer p;
	uint64_t d[VOSFP_COUNTER_SLOTS];

	use(&c);
	answer("198.18.8.1", "SIP/2.0 401 Unauthorized", "r@x", d);
	answer("198.18.8.1", "SIP/2.0 403 Forbidden", "r@x", d);
	ck_assert_int_eq(peer("198.18.8.1", &p), 0);
	ck_assert_uint_eq(p.failures, 1);
	ck_assert_uint_eq(p.pending, 0);
	answer("198.18.8.1", "SIP/2.0 403 Forbidden", "s@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 0);
	answer("198.18.8.1", "SIP/2.0 403 Forbidden", "t@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 1);
	ck_assert_uint_eq(blocked("198.18.8.1", &(struct vosfp_auto_block){ 0 }), VOSFP_REASON_AUTH_FAILURES);
}
END_TEST

/* An enumerator: M not-found answers, each in its own call, over IPv6. Known extensions'
 * challenges in between are pending, not failures. */
START_TEST(test_enumerator_blocked)
{
	struct vosfp_config c = rule(100, 5);
	uint64_t d[VOSFP_COUNTER_SLOTS];
	char call[32];

	use(&c);
	for (int i = 0; i < 5; i++) {
		snprintf(call, sizeof(call), "ext%d@scan", i);
		answer("2001:db8::9", "SIP/2.0 401 Unauthorized", call, d);
		ck_assert_uint_eq(d[VOSFP_ANS_AUTH_FAILURES], 0);
		snprintf(call, sizeof(call), "none%d@scan", i);
		answer("2001:db8::9", "SIP/2.0 404 Not Found", call, d);
		ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_ENUM], i == 4);
	}
	ck_assert_uint_eq(blocked("2001:db8::9", &(struct vosfp_auto_block){ 0 }), VOSFP_REASON_ENUMERATION);
}
END_TEST

START_TEST(test_allowlisted_exempt)
{
	struct vosfp_config c = rule(2, 2);
	uint64_t d[VOSFP_COUNTER_SLOTS];

	use(&c);
	harness_allow_str(&h, "198.18.9.0/24");
	for (int i = 0; i < 3; i++)
		answer("198.18.9.7", "SIP/2.0 403 Forbidden", "a@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_ALLOWLISTED], 0);		/* counted from 0 again */
	answer("198.18.9.7", "SIP/2.0 403 Forbidden", "a@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_ALLOWLISTED], 1);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 0);
	ck_assert_int_eq(blocked("198.18.9.7", &(struct vosfp_auto_block){ 0 }), 0);
}
END_TEST

/* Flag off: nothing is read at all. */
START_TEST(test_flag_off)
{
	struct vosfp_config c = rule(1, 1);
	uint64_t d[VOSFP_COUNTER_SLOTS];

	c.flags &= ~VOSFP_F_ANSWERS;
	use(&c);
	answer("198.18.10.1", "SIP/2.0 403 Forbidden", "a@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_RESPONSES], 0);
	ck_assert_int_ne(peer("198.18.10.1", &(struct vosfp_answer_peer){ 0 }), 0);
}
END_TEST

/* A challenge nothing settles is a failure once its generation is two old (100 ms generations:
 * between 100 and 200 ms); one settled in time is not. */
START_TEST(test_unanswered_challenge_ages)
{
	struct vosfp_config c = rule(100, 100);
	struct vosfp_answer_peer p;
	uint64_t d[VOSFP_COUNTER_SLOTS];

	c.answers_challenge_ms = 100;
	use(&c);
	answer("198.18.11.1", "SIP/2.0 401 Unauthorized", "slow@x", d);
	answer("198.18.11.2", "SIP/2.0 401 Unauthorized", "ok@x", d);
	answer("198.18.11.2", "SIP/2.0 200 OK", "ok@x", d);
	sleep_ms(250);
	answer("198.18.11.1", "SIP/2.0 200 OK", "other@x", d);	/* any answer judges */
	ck_assert_uint_eq(d[VOSFP_ANS_AUTH_FAILURES], 1);
	ck_assert_int_eq(peer("198.18.11.1", &p), 0);
	ck_assert_uint_eq(p.failures, 1);
	answer("198.18.11.2", "SIP/2.0 401 Unauthorized", "ok2@x", d);
	ck_assert_uint_eq(d[VOSFP_ANS_AUTH_FAILURES], 0);
	/* Settled late (after it was judged): no refund, no second count. */
	answer("198.18.11.1", "SIP/2.0 200 OK", "slow@x", d);
	ck_assert_int_eq(peer("198.18.11.1", &p), 0);
	ck_assert_uint_eq(p.failures, 1);
}
END_TEST

/* The window: failures count within answers_window_ms of the first; a later one starts anew. */
START_TEST(test_window)
{
	struct vosfp_config c = rule(3, 100);
	struct vosfp_answer_peer p;
	uint64_t d[VOSFP_COUNTER_SLOTS];

	c.answers_window_ms = 150;
	use(&c);
	answer("198.18.12.1", "SIP/2.0 403 Forbidden", "a", d);
	answer("198.18.12.1", "SIP/2.0 403 Forbidden", "b", d);
	sleep_ms(200);
	answer("198.18.12.1", "SIP/2.0 403 Forbidden", "c", d);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 0);
	ck_assert_int_eq(peer("198.18.12.1", &p), 0);
	ck_assert_uint_eq(p.failures, 1);
}
END_TEST

/* Retuning is a map write: the same loaded program follows the new limit at once. */
START_TEST(test_retune)
{
	struct vosfp_config c = rule(10, 100);
	uint64_t d[VOSFP_COUNTER_SLOTS];

	use(&c);
	answer("198.18.13.1", "SIP/2.0 403 Forbidden", "a", d);
	answer("198.18.13.1", "SIP/2.0 403 Forbidden", "b", d);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 0);
	c.auth_failures_max = 3;
	use(&c);
	answer("198.18.13.1", "SIP/2.0 403 Forbidden", "c", d);
	ck_assert_uint_eq(d[VOSFP_ANS_BLOCKED_AUTH], 1);
}
END_TEST

TCase *answers_tcase(void)
{
	TCase *tc = tcase_create("answers");

	tcase_add_checked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_parser_rows);
	tcase_add_test(tc, test_status_classes);
	tcase_add_test(tc, test_call_id_forms);
	tcase_add_test(tc, test_no_call_id);
	tcase_add_test(tc, test_call_id_window);
	tcase_add_test(tc, test_digest_never_counts);
	tcase_add_test(tc, test_one_mistype);
	tcase_add_test(tc, test_cracker_blocked);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_enumerator_blocked);
	tcase_add_test(tc, test_allowlisted_exempt);
	tcase_add_test(tc, test_flag_off);
	tcase_add_test(tc, test_unanswered_challenge_ages);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_retune);
	return tc;
}
