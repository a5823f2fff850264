/* scanner_test.c - the kernel program's scanner User-Agent verdict against
 * reference_is_scanner, request by request, on generated and mutated SIP requests: the header
 * at any line, in any case, with blanks, CR/LF or bare LF, headers ending early or not at all,
 * the header straddling the search window, the payload length and the frame end, tokens and
 * near misses. Only the scanner flag is on. Deterministic (seed printed; VOSFP_UA_SEED and
 * VOSFP_UA_FRAMES override). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "frame.h"
#include "prog_harness.h"
#include "reference_scanner.h"
#include "scanner.h"
#include "sip_logic.skel.h"
#include "test_rng.h"
#include "text_gen.h"

#define DEFAULT_FRAMES 120000
#define MAX_REPORTED 5
#define UA_NAME_LEN 11		/* "User-Agent:" */

static struct harness h;

static const char *pick(struct rng *r, const char *const *v, size_t n)
{
	return v[below(r, (unsigned)n)];
}

#define PICK(r, v) pick((r), (v), sizeof(v) / sizeof((v)[0]))

static const char *const request_lines[] = {
	"INVITE sip:2002@198.18.0.1 SIP/2.0", "REGISTER sip:198.18.0.1 SIP/2.0",
	"OPTIONS sip:100@198.18.0.1 SIP/2.0", "MESSAGE sip:1001@198.18.0.1 SIP/2.0",
	"BYE sip:1001@198.18.0.2 SIP/2.0", "SUBSCRIBE sip:1001@198.18.0.1 SIP/2.0",
	"SIP/2.0 200 OK", "invite sip:2002@198.18.0.1 SIP/2.0", "ACK", "X",
};

static const char *const headers[] = {
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds;rport", "Max-Forwards: 70",
	"From: \"sipvicious\" <sip:100@1.1.1.1>;tag=6630", "To: <sip:1001@198.18.0.1>",
	"Call-ID: a84b4c76e66710@198.18.0.2", "CSeq: 314159 INVITE", "Contact: <sip:1001@198.18.0.2>",
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS", "Supported: replaces, timer", "Expires: 3600",
	"Content-Type: application/sdp", "Unsupported: foo", "u: presence", "v: SIP/2.0/UDP a",
	"Server: friendly-scanner", "X-User-Agent: sipvicious", "User-Agents: sipcli",
	"UserAgent: sipcli", "User-Agent : iwar", "User_Agent: sundayddr", "Usar-Agent: sipscan",
	"User-Agen: sipvicious", "Content-Length: 0", "Accept: application/sdp",
};

/* Names of the header under test: the real one in any case, and near misses. "User\rAgent"
 * passes for the real one (see reference_scanner.c). */
static const char *const near_names[] = {
	"User-Agen", "User-Agents", "UserAgent", "User_Agent", "X-User-Agent", "User-Agent ",
	"User\rAgent", "Usar-Agent", "User-Agent\t", "Uzer-Agent", "User-Ageny",
};

static const char *const near_tokens[] = {
	"sipclient", "sipcl", "friendly", "friendlyscanner", "iwarr", "iwa", "sundayddrr",
	"sundaydd", "vaxsipuseragen", "vaxsipuseragentx", "sipscanner", "sipvicious2",
	"sipviciouz", "sipvicio", "sipcli0", "Linphone", "Zoiper", "Asterisk PBX", "",
	"0123456789abcdefg", "a", "-friendly-scanner", "(sipcli)",
};

static const char *const suffixes[] = {
	"", "/1.0", " 1.2 (Linux)", "-scanner", "0", "_x", "\t", ".", "/", " ",
	"abcdefghijklmnopqrstuvwxyz0123456789",
};

static const char *const bodies[] = {
	"v=0\r\no=alice 2890844526 2890844526 IN IP4 198.18.0.2\r\ns=-\r\nc=IN IP4 198.18.0.2\r\n",
	"User-Agent: friendly-scanner\r\n", "\r\nUser-Agent: sipcli\r\n", "hello", "",
};

/* Bytes a mutation inserts or writes: the ones the search decides on. */
static const uint8_t hot_bytes[] = { '\n', '\r', '\v', ':', ' ', '\t', 'u', 'U', 'a', '-', 0, 0x8A, 0x2A };

static const char *eol(struct rng *r, int style)
{
	static const char *const any[] = { "\r\n", "\n", "\r\n", "\r", "\n\v", "\r\n" };

	if (style == 0)
		return "\r\n";
	if (style == 1)
		return "\n";
	return PICK(r, any);
}

static void user_agent(struct rng *r, struct text *g, int style)
{
	unsigned blanks = below(r, 4) ? below(r, 2) : below(r, 11);

	if (g->mark < 0)
		g->mark = (long)g->len;
	if (below(r, 7) == 0)
		text_put_cased(r, g, PICK(r, near_names), below(r, 2));
	else
		text_put_cased(r, g, "User-Agent", below(r, 2));
	text_puts(g, ":");
	for (unsigned i = 0; i < blanks; i++)
		text_puts(g, below(r, 3) ? " " : "\t");
	if (below(r, 2))
		text_put_cased(r, g, scanner_default_tokens[below(r, scanner_default_count)], below(r, 3) == 0);
	else
		text_put_cased(r, g, PICK(r, near_tokens), below(r, 3) == 0);
	text_puts(g, PICK(r, suffixes));
	text_puts(g, eol(r, style));
}

/* A request with 0..24 headers, the User-Agent (none, one or two) at random lines, maybe
 * pushed to the window's edge, then maybe the blank line and a body. */
static void generate(struct rng *r, struct text *g)
{
	unsigned n = below(r, 25), ua_line = below(r, n + 1), uas = below(r, 10) == 0 ? 0 : 1 + (below(r, 10) == 0);
	int style = below(r, 6) < 4 ? 0 : (int)below(r, 3);
	int to_edge = below(r, 4) == 0;

	g->len = 0;
	g->mark = -1;
	text_puts(g, PICK(r, request_lines));
	text_puts(g, eol(r, style));
	for (unsigned i = 0; i <= n; i++) {
		if (i == ua_line && uas) {
			if (to_edge)	/* the name ends within a few bytes of the 1024-byte window */
				text_pad_to(r, g, VOSFP_UA_SEARCH_MAX - UA_NAME_LEN - 14 + below(r, 20),
				       eol(r, style));
			user_agent(r, g, style);
			if (uas == 2)
				user_agent(r, g, style);
		}
		if (i < n) {
			text_puts(g, PICK(r, headers));
			text_puts(g, eol(r, style));
		}
	}
	if (below(r, 5)) {
		text_puts(g, eol(r, style));
		text_puts(g, PICK(r, bodies));
	}
}

static void mutate(struct rng *r, struct text *g)
{
	int rounds = 1 + below(r, 3);

	for (int i = 0; i < rounds && g->len > 0; i++) {
		size_t at = below(r, (unsigned)g->len);

		/* Near the User-Agent line half of the time: that is where the decisions are. */
		if (g->mark >= 0 && below(r, 2)) {
			at = (size_t)g->mark + below(r, 40);
			at = at >= 4 ? at - 4 : 0;
			if (at >= g->len)
				at = g->len - 1;
		}
		text_mutate_at(r, g, at, hot_bytes, sizeof(hot_bytes));
	}
}

/* A cut (payload length or frame end) around the User-Agent line when there is one: from a
 * few bytes before its name to well into its value. Otherwise anywhere. */
static size_t cut_point(struct rng *r, const struct text *g)
{
	size_t at;

	if (g->mark >= 0 && below(r, 4))
		at = (size_t)g->mark + below(r, 48);
	else
		at = below(r, (unsigned)g->len + 1);
	at = at >= 6 ? at - 6 : 0;
	return at < g->len ? at : g->len;
}

static void report(unsigned long n, int kernel, int want, const struct text *g, size_t seen,
		   size_t avail)
{
	fprintf(stderr, "scanner mismatch (request %lu): kernel %s, reference %s; %zu payload bytes, "
		"%zu trusted, %zu in the frame, User-Agent at %ld:\n", n,
		kernel ? "scanner" : "not", want ? "scanner" : "not", g->len, seen, avail, g->mark);
	text_dump(stderr, g, g->len);
}

static void load(void)
{
	struct vosfp_config c = { .flags = VOSFP_F_SCANNERS };

	ck_assert_int_eq(harness_open(&h, 0), 0);
	ck_assert_int_eq(harness_set_scanners(&h, NULL, 0), 0);
	ck_assert_int_eq(harness_set_config(&h, &c), 0);
}

static void unload(void)
{
	harness_close(&h);
}

#define SLOTS (VOSFP_CNT_SCANNER_DROPPED + 1)

/* Run one payload (cut to len trusted bytes) through the kernel: 1 dropped as a scanner. */
static int kernel_scanner(const char *payload, size_t payload_len, size_t len)
{
	struct frame_spec s = { .family = 4, .src = "198.18.9.2", .payload = payload,
				.payload_len = payload_len,
				.udp_len_delta = (int)len - (int)payload_len };
	uint64_t before[SLOTS], after[SLOTS];
	uint8_t f[FRAME_MAX];
	size_t flen = frame_build(&s, f, sizeof(f));

	ck_assert_uint_gt(flen, 0);
	ck_assert_int_eq(harness_counters(&h, before, SLOTS), 0);
	harness_run(&h, f, flen);
	ck_assert_int_eq(harness_counters(&h, after, SLOTS), 0);
	return after[VOSFP_CNT_SCANNER_DROPPED] != before[VOSFP_CNT_SCANNER_DROPPED];
}

/* The rules the generator only meets by chance, one row each: both the reference and the
 * kernel must give the expected answer. */
START_TEST(test_scanner_rows)
{
	static const struct {
		const char *payload;
		int cut;		/* trusted bytes short of the payload's end */
		int want;
	} rows[] = {
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n", 0, 1 },
		{ "OPTIONS sip:a SIP/2.0\r\nuSER-aGENT:sipcli/1.0\r\n\r\n", 0, 1 },
		{ "OPTIONS sip:a SIP/2.0\nUser-Agent: \t iWar\n\n", 0, 1 },
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent:         sipcli\r\n\r\n", 0, 0 },	/* 9 blanks */
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent : sipcli\r\n\r\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\nUser-Agent: sipcli\r\n", 0, 0 },	/* body */
		{ "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\rUser-Agent: sipcli\r\n", 0, 0 },	/* a CR line */
		{ "SIP/2.0 200 OK\r\nUser-Agent: sipcli\r\n\r\n", 0, 0 },			/* a response */
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent: sipcli", 0, 1 },			/* no line end */
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent: sipcli", 1, 0 },			/* "sipcl" */
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent: sipclient", 3, 1 },		/* "sipcli" */
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent:", 0, 0 },
		/* Case is folded by setting bit 0x20: a CR stands for the '-' of the name. */
		{ "OPTIONS sip:a SIP/2.0\r\nUser\rAgent: sipcli\r\n\r\n", 0, 1 },
		/* Only a line feed starts a line. */
		{ "OPTIONS sip:a SIP/2.0\r\n\vUser-Agent: sipcli\r\n\r\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nX-User-Agent: sipcli\r\n\r\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nX-User-Agent: a\r\nUser-Agent: sipcli\r\n\r\n", 0, 1 },
		/* The first User-Agent decides, and only before the blank line (CRLF or LF). */
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent: Zoiper\r\nUser-Agent: sipcli\r\n\r\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nUser-Agent: sipcli\r\nUser-Agent: Zoiper\r\n\r\n", 0, 1 },
		{ "OPTIONS sip:a SIP/2.0\n\nUser-Agent: sipcli\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\nUser-Agent: sipcli\r\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\nUser-Agent: Zoiper\r\nUser-Agent: sipcli\r\n", 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n \r\nUser-Agent: sipcli\r\n\r\n", 0, 1 },	/* " \r\n": not blank */
	};

	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t plen = strlen(rows[i].payload), len = plen - rows[i].cut;
		int ref = reference_is_scanner((const uint8_t *)rows[i].payload, len, plen,
					       scanner_default_tokens, scanner_default_count);
		int kernel = kernel_scanner(rows[i].payload, plen, len);

		ck_assert_msg(ref == rows[i].want && kernel == rows[i].want,
			      "row %u: want %d, reference %d, kernel %d", i, rows[i].want, ref, kernel);
	}
}
END_TEST

/* The datapath samples one 4-byte load per 9 payload bytes: a User-Agent line found at each
 * offset from a sample (and most of one more round), with a request line that puts it there. */
START_TEST(test_scanner_every_alignment)
{
	char payload[256];

	for (int shift = 0; shift < 18; shift++) {
		int n = snprintf(payload, sizeof(payload), "OPTIONS sip:a SIP/2.0\r\nVia: %.*s\r\n"
				 "User-Agent: sipcli\r\n\r\n", shift, "xxxxxxxxxxxxxxxxxx");

		ck_assert_msg(kernel_scanner(payload, (size_t)n, (size_t)n) == 1,
			      "User-Agent line at payload offset %d not found", 30 + shift);
	}
}
END_TEST

START_TEST(test_scanner_matches_reference)
{
	unsigned long frames = env_ulong("VOSFP_UA_FRAMES", DEFAULT_FRAMES);
	unsigned long seed = env_ulong("VOSFP_UA_SEED", 20261126);
	struct rng r = { seed };
	unsigned long mismatches = 0, scanners = 0, at_window = 0, cut_len = 0, cut_frame = 0;
	uint64_t before[SLOTS], after[SLOTS];
	static struct text g;
	uint8_t f[FRAME_MAX];

	ck_assert_int_eq(harness_counters(&h, before, SLOTS), 0);
	for (unsigned long n = 0; n < frames; n++) {
		struct frame_spec s = { .family = below(&r, 5) ? 4 : 6 };
		size_t flen, off, seen, avail;
		int action, kernel, want;

		generate(&r, &g);
		if (below(&r, 3) == 0)
			mutate(&r, &g);
		s.src = s.family == 4 ? "198.18.9.1" : "2001:db8:9::1";
		s.payload = g.buf;
		s.payload_len = g.len;
		seen = g.len;
		/* The payload length the datapath trusts: a UDP length shorter than the datagram. */
		if (below(&r, 5) == 0) {
			seen = cut_point(&r, &g);
			s.udp_len_delta = (int)seen - (int)g.len;
			cut_len++;
		}
		if (below(&r, 8) == 0)		/* Ethernet padding after the datagram */
			s.pad = 1 + below(&r, 64);
		off = frame_payload_offset(&s);
		if (below(&r, 5) == 0) {	/* the frame ends early */
			s.truncate = off + cut_point(&r, &g);
			cut_frame++;
		}
		flen = frame_build(&s, f, sizeof(f));
		ck_assert_uint_ge(flen, off);
		/* Padding that reads like headers must never be looked at. */
		for (size_t i = off + g.len; i < flen; i++)
			f[i] = "User-Agent: sipcli\r\n"[(i - off - g.len) % 20];
		avail = flen - off;
		if (g.mark >= VOSFP_UA_SEARCH_MAX - 2 * UA_NAME_LEN &&
		    g.mark <= VOSFP_UA_SEARCH_MAX + UA_NAME_LEN)
			at_window++;

		want = reference_is_scanner(g.buf, seen, avail, scanner_default_tokens,
					    scanner_default_count);
		action = harness_run(&h, f, flen);
		ck_assert_int_eq(harness_counters(&h, after, SLOTS), 0);
		kernel = after[VOSFP_CNT_SCANNER_DROPPED] != before[VOSFP_CNT_SCANNER_DROPPED];
		ck_assert_uint_le(after[VOSFP_CNT_SCANNER_DROPPED] - before[VOSFP_CNT_SCANNER_DROPPED], 1);
		memcpy(before, after, sizeof(before));
		if (kernel)
			ck_assert_int_eq(action, XDP_DROP);
		if (kernel != want && ++mismatches <= MAX_REPORTED)
			report(n, kernel, want, &g, seen, avail);
		scanners += want;
	}
	printf("scanner differential: %lu requests (seed %lu), %lu mismatches; %lu scanners, "
	       "%lu not; %lu with the User-Agent at the window's edge, %lu cut by the payload "
	       "length, %lu by the frame end\n", frames, seed, mismatches, scanners,
	       frames - scanners, at_window, cut_len, cut_frame);
	fflush(stdout);
	ck_assert_msg(mismatches == 0, "%lu of %lu requests got another scanner verdict from the kernel",
		      mismatches, frames);
	/* Both answers and the edges must each be exercised, or the comparison proves little. */
	if (frames >= DEFAULT_FRAMES) {
		ck_assert_uint_gt(scanners, frames / 10);
		ck_assert_uint_gt(frames - scanners, frames / 10);
		ck_assert_uint_gt(at_window, frames / 50);
	}
}
END_TEST

TCase *scanner_tcase(void)
{
	TCase *tc = tcase_create("scanner");

	tcase_add_unchecked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_scanner_rows);
	tcase_add_test(tc, test_scanner_every_alignment);
	tcase_add_test(tc, test_scanner_matches_reference);
	return tc;
}
