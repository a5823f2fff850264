/* answers_differential_test.c - the egress program (sip_answers) and vosfp_auto_block against
 * reference_answers, answer by answer, on generated sequences: a few peers (IPv4 and IPv6, one
 * maybe allowlisted), a few calls each, challenges, refusals, settling and not-found answers,
 * 100 Trying, requests and garbage, Call-IDs in every form at any line (near the 1024-byte
 * edge too), mutated bytes, lengths and frames cut short, time stepping across challenge
 * generations, windows, block expiries and repeat windows. After every answer the peer's rule
 * state, its block and its repeat history must be the reference's; after every sequence the
 * counters. Runs build/sip_logic_tclock.bpf.o, where the egress program's clock is a map the
 * test sets (the production object reads the kernel's clock; nothing else differs).
 * Deterministic (seed printed; VOSFP_ANS_SEED and VOSFP_ANS_SEQUENCES override). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "autoblock.h"
#include "frame.h"
#include "reference_answers.h"
#include "sip_logic_tclock.skel.h"
#include "test_rng.h"
#include "text_gen.h"

#define DEFAULT_SEQUENCES 100000
#define MAX_REPORTED 5
#define MAX_PEERS 3
#define MAX_CALLS 5

static struct sip_logic_tclock *sk;
static int fd_peers, fd_calls, fd_blocked, fd_history, fd_counters, fd_clock, fd_config, fd_allow4, fd_allow6;
static int ncpus;

static void load(void)
{
	sk = sip_logic_tclock__open_and_load();
	ck_assert_msg(sk != NULL, "cannot load build/sip_logic_tclock.bpf.o");
	fd_peers = bpf_map__fd(sk->maps.answer_peers);
	fd_calls = bpf_map__fd(sk->maps.answer_calls);
	fd_blocked = bpf_map__fd(sk->maps.auto_blocked);
	fd_history = bpf_map__fd(sk->maps.auto_block_history);
	fd_counters = bpf_map__fd(sk->maps.answer_counters);
	fd_clock = bpf_map__fd(sk->maps.answer_test_clock);
	fd_config = bpf_map__fd(sk->maps.sip_config);
	fd_allow4 = bpf_map__fd(sk->maps.allowed_ips);
	fd_allow6 = bpf_map__fd(sk->maps.allowed_ips6);
	ncpus = libbpf_num_possible_cpus();
}

static void unload(void)
{
	sip_logic_tclock__destroy(sk);
	sk = NULL;
}

/* ---- one sequence's world ---- */

struct peer {
	char addr[48];
	int family;
	struct vosfp_src_key key;
	int allowlisted;
};

struct world {
	struct ref_rule rule;
	struct peer peers[MAX_PEERS];
	unsigned n_peers;
	char calls[MAX_CALLS][160];
	unsigned n_calls;
	uint64_t now;
};

static const uint32_t challenge_ms[] = { 50, 100, 500, 1000, 5000 };
static const uint32_t window_ms[] = { 100, 500, 1000, 10000, 60000 };
static const uint32_t block_ms[] = { 100, 500, 2000 };

#define PICK_U(r, v) ((v)[below((r), sizeof(v) / sizeof((v)[0]))])

static void key_of(const struct peer *p, struct vosfp_src_key *k)
{
	ck_assert_int_eq(autoblock_key_parse(p->addr, k), 0);
}

static void random_call(struct rng *r, char *out, size_t cap)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEF0123456789-.!%*_+`'~()<>:\\\"/[]?{}@";
	unsigned len;

	switch (below(r, 6)) {
	case 0:
		len = 1 + below(r, 3);
		break;
	case 1:				/* around the 128 bytes that key a call */
		len = VOSFP_CALL_ID_MAX - 3 + below(r, 8);
		break;
	default:
		len = 8 + below(r, 40);
	}
	if (len >= cap)
		len = (unsigned)cap - 1;
	for (unsigned i = 0; i < len; i++)
		out[i] = chars[below(r, sizeof(chars) - 1)];
	out[len] = 0;
}

static void new_world(struct rng *r, struct world *w)
{
	struct ref_rule *u = &w->rule;

	memset(w, 0, sizeof(*w));
	u->challenge_ms = PICK_U(r, challenge_ms);
	u->window_ms = PICK_U(r, window_ms);
	u->auth_failures_max = below(r, 10) ? 1 + below(r, 6) : 0;
	u->not_found_max = below(r, 10) ? 1 + below(r, 6) : 0;
	u->block_ms = PICK_U(r, block_ms);
	if (below(r, 2)) {
		u->repeat_within_ms = 100 + below(r, 5000);
		u->repeat_factor = 2 + below(r, 3);
		u->repeat_max_ms = u->block_ms * (1 + below(r, 20));
	}
	w->n_peers = 1 + below(r, MAX_PEERS);
	for (unsigned i = 0; i < w->n_peers; i++) {
		struct peer *p = &w->peers[i];

		p->family = below(r, 3) ? 4 : 6;
		if (p->family == 4)
			snprintf(p->addr, sizeof(p->addr), "198.18.%u.%u", 20 + i, 1 + below(r, 250));
		else
			snprintf(p->addr, sizeof(p->addr), "2001:db8:%x::%x", 20 + i, 1 + below(r, 0xfff));
		key_of(p, &p->key);
		p->allowlisted = below(r, 8) == 0;
	}
	w->n_calls = 1 + below(r, MAX_CALLS);
	for (unsigned i = 0; i < w->n_calls; i++) {
		random_call(r, w->calls[i], sizeof(w->calls[i]));
		/* Sometimes two values alike in their first 128 bytes, or in all but case. */
		if (i && below(r, 10) == 0) {
			memcpy(w->calls[i], w->calls[i - 1], sizeof(w->calls[i]));
			if (strlen(w->calls[i]) > 1 && below(r, 2))
				w->calls[i][strlen(w->calls[i]) - 1] ^= 0x20;
			else if (strlen(w->calls[i]) + 1 < sizeof(w->calls[i]))
				strcat(w->calls[i], "x");
		}
	}
	w->now = 1000000000000ULL + (rnd(r) % 1000000000000ULL);
}

/* ---- one answer ---- */

static const char *const statuses[] = {
	"SIP/2.0 401 Unauthorized", "SIP/2.0 407 Proxy Authentication Required", "SIP/2.0 401 Unauthorized",
	"SIP/2.0 407 Proxy Authentication Required", "SIP/2.0 403 Forbidden", "SIP/2.0 404 Not Found",
	"SIP/2.0 404 Not Found", "SIP/2.0 484 Address Incomplete", "SIP/2.0 604 Does Not Exist Anywhere",
	"SIP/2.0 410 Gone", "SIP/2.0 485 Ambiguous", "SIP/2.0 200 OK", "SIP/2.0 200 OK", "SIP/2.0 202 Accepted",
	"SIP/2.0 180 Ringing", "SIP/2.0 183 Session Progress", "SIP/2.0 100 Trying", "SIP/2.0 486 Busy Here",
	"SIP/2.0 500 Server Internal Error", "SIP/2.0 302 Moved", "SIP/2.0 603 Decline", "SIP/2.0 401",
	"SIP/2.0 200", "SIP/2.0 4011 X", "SIP/2.0 701 X", "sip/2.0 401 X", "SIP/2.0  401 X",
	"INVITE sip:1001@198.18.0.1 SIP/2.0", "REGISTER sip:198.18.0.1 SIP/2.0", "HTTP/1.1 401 X", "SIP/2.0 40",
};

static const char *const headers[] = {
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds;rport=5062",
	"From: <sip:1001@198.18.0.1>;tag=1928301774", "To: <sip:1001@198.18.0.1>;tag=a6c85cf",
	"CSeq: 2 REGISTER", "Contact: <sip:1001@198.18.0.2:5062>", "Server: kamailio (5.6.3 (x86_64/linux))",
	"WWW-Authenticate: Digest realm=\"198.18.0.1\", nonce=\"Z1x2Y3w4\"", "Content-Length: 0",
	"Call-Info: <http://x>", "X-Call-ID: decoy", "Call-IDs: decoy", "i : decoy-too", "I-Header: x",
	"Calls-ID: x", "Call_ID: x", "Call-I: x", "iX: y", "v: SIP/2.0/UDP 198.18.0.2", "l: 0",
};

static const char *eol(struct rng *r, int style)
{
	static const char *const any[] = { "\r\n", "\n", "\r\n", "\r", "\r\n" };

	return style == 0 ? "\r\n" : style == 1 ? "\n" : any[below(r, 5)];
}

static void blanks(struct rng *r, struct text *g)
{
	unsigned n = below(r, 4) ? below(r, 2) : below(r, VOSFP_CALL_ID_BLANKS + 3);

	for (unsigned i = 0; i < n; i++)
		text_puts(g, below(r, 3) ? " " : "\t");
}

static void call_id_line(struct rng *r, struct text *g, const struct world *w, int style)
{
	static const char *const trailers[] = { "", "", "", " ", "\t", " ;x", "\x01" };

	g->mark = (long)g->len;
	text_put_cased(r, g, below(r, 3) ? "Call-ID" : "i", below(r, 3) == 0);
	blanks(r, g);
	text_puts(g, ":");
	blanks(r, g);
	text_puts(g, w->calls[below(r, w->n_calls)]);
	text_puts(g, trailers[below(r, 7)]);
	text_puts(g, eol(r, style));
}

static void generate(struct rng *r, struct text *g, const struct world *w)
{
	unsigned n = below(r, 9), at = below(r, n + 1);
	int style = below(r, 6) < 4 ? 0 : (int)below(r, 3);
	int calls = below(r, 15) ? 1 : below(r, 3);	/* mostly one Call-ID line */

	g->len = 0;
	g->mark = -1;
	text_puts(g, statuses[below(r, sizeof(statuses) / sizeof(statuses[0]))]);
	text_puts(g, eol(r, style));
	for (unsigned i = 0; i <= n; i++) {
		if (i == at && calls) {
			if (below(r, 6) == 0)	/* the value ends within a few bytes of the window */
				text_pad_to(r, g, VOSFP_ANSWER_SEARCH_MAX - 30 + below(r, 40), eol(r, style));
			for (int c = 0; c < calls; c++)
				call_id_line(r, g, w, style);
		}
		if (i < n) {
			text_puts(g, headers[below(r, sizeof(headers) / sizeof(headers[0]))]);
			text_puts(g, eol(r, style));
		}
	}
	if (below(r, 3)) {
		text_puts(g, eol(r, style));
		if (below(r, 3) == 0)
			text_puts(g, "Call-ID: in-the-body\r\n");
	}
}

static const uint8_t hot_bytes[] = { '\n', '\r', ' ', '\t', ':', 'i', 'I', 'C', '-', 0, 0x8A, '0', '4' };

static void mutate(struct rng *r, struct text *g)
{
	for (int i = 0, rounds = 1 + below(r, 3); i < rounds && g->len > 0; i++) {
		size_t at = below(r, (unsigned)g->len);

		if (g->mark >= 0 && below(r, 2)) {
			at = (size_t)g->mark + below(r, 24);
			at = at >= 3 ? at - 3 : 0;
			if (at >= g->len)
				at = g->len - 1;
		} else if (below(r, 4) == 0) {
			at = below(r, 13);	/* the status line */
			if (at >= g->len)
				at = g->len - 1;
		}
		text_mutate_at(r, g, at, hot_bytes, sizeof(hot_bytes));
	}
}

/* Virtual time to the next answer: the same instant, a few ms, or around the rule's periods. */
static uint64_t step_ns(struct rng *r, const struct ref_rule *u)
{
	uint64_t ms;

	switch (below(r, 10)) {
	case 0: case 1: case 2:
		return 0;
	case 3: case 4: case 5:
		ms = below(r, 20);
		break;
	case 6:
		ms = u->challenge_ms / 2 + below(r, u->challenge_ms + 1);
		break;
	case 7:
		ms = u->challenge_ms + below(r, 2 * u->challenge_ms + 1);
		break;
	case 8:
		ms = u->window_ms / 2 + below(r, u->window_ms + 1);
		break;
	default:
		ms = u->block_ms + below(r, 2 * u->block_ms + u->repeat_within_ms + 1);
	}
	return ms * 1000000 + below(r, 1000000);
}

/* ---- the kernel's side ---- */

static void write_config(const struct ref_rule *u)
{
	struct vosfp_config c = { .flags = VOSFP_F_PORTS | VOSFP_F_ANSWERS };
	__u32 zero = 0;

	c.udp_ports[5060 / 8] |= 1u << (5060 % 8);
	c.tcp_ports[5060 / 8] |= 1u << (5060 % 8);
	c.answers_window_ms = u->window_ms;
	c.answers_challenge_ms = u->challenge_ms;
	c.auth_failures_max = u->auth_failures_max;
	c.not_found_max = u->not_found_max;
	c.auto_block_ms = u->block_ms;
	c.repeat_within_ms = u->repeat_within_ms;
	c.repeat_factor = u->repeat_factor;
	c.repeat_max_ms = u->repeat_max_ms;
	ck_assert_int_eq(bpf_map_update_elem(fd_config, &zero, &c, BPF_ANY), 0);
}

static void allow(const struct peer *p, int add)
{
	vosfp_list_value one = 1;
	int fd = p->family == 4 ? fd_allow4 : fd_allow6;
	const void *k = p->family == 4 ? (const void *)&p->key.addr[12] : (const void *)p->key.addr;

	if (add)
		ck_assert_int_eq(bpf_map_update_elem(fd, k, &one, BPF_ANY), 0);
	else
		bpf_map_delete_elem(fd, k);
}

static void counters(uint64_t out[VOSFP_ANS_COUNT])
{
	uint64_t v[ncpus];

	for (__u32 i = 0; i < VOSFP_ANS_COUNT; i++) {
		ck_assert_int_eq(bpf_map_lookup_elem(fd_counters, &i, v), 0);
		out[i] = 0;
		for (int c = 0; c < ncpus; c++)
			out[i] += v[c];
	}
}

/* Back to empty maps for the next sequence: its peers' entries, and every call. */
static void clear(const struct world *w)
{
	struct vosfp_answer_call_key k;

	for (unsigned i = 0; i < w->n_peers; i++) {
		bpf_map_delete_elem(fd_peers, &w->peers[i].key);
		bpf_map_delete_elem(fd_blocked, &w->peers[i].key);
		bpf_map_delete_elem(fd_history, &w->peers[i].key);
		allow(&w->peers[i], 0);
	}
	while (bpf_map_get_next_key(fd_calls, NULL, &k) == 0)
		ck_assert_int_eq(bpf_map_delete_elem(fd_calls, &k), 0);
}

/* The kernel's state for peer p against the reference's; a description of the first
 * difference in why (empty: none). */
static void compare(const struct ref_answers *ref, const struct peer *p, char *why, size_t len)
{
	const struct ref_peer *rp = ref_answers_peer(ref, &p->key);
	struct vosfp_answer_peer kp;
	struct vosfp_auto_block kb;
	struct vosfp_block_history kh;
	int has_state = bpf_map_lookup_elem(fd_peers, &p->key, &kp) == 0;
	int has_block = bpf_map_lookup_elem(fd_blocked, &p->key, &kb) == 0;
	int has_history = bpf_map_lookup_elem(fd_history, &p->key, &kh) == 0;
	int ref_state = rp && rp->has_state, ref_block = rp && rp->has_block;
	int ref_history = rp && rp->has_history;

	why[0] = 0;
	if (has_state != ref_state)
		snprintf(why, len, "rule state: kernel %s, reference %s", has_state ? "has one" : "none",
			 ref_state ? "has one" : "none");
	else if (has_state && (kp.failures != rp->failures || kp.not_found != rp->not_found ||
			       kp.pending != rp->pending || kp.pending_prev != rp->pending_prev ||
			       kp.gen != rp->gen))
		snprintf(why, len, "rule state: kernel failures %u not_found %u pending %u+%u gen %llu, "
			 "reference %u %u %u+%u %llu", kp.failures, kp.not_found, kp.pending, kp.pending_prev,
			 (unsigned long long)kp.gen, rp->failures, rp->not_found, rp->pending, rp->pending_prev,
			 (unsigned long long)rp->gen);
	else if (has_block != ref_block || (has_block && (kb.expires != rp->block_expires ||
							  kb.reason != rp->block_reason)))
		snprintf(why, len, "block: kernel %d (reason %u, expires %llu), reference %d (%u, %llu)",
			 has_block, has_block ? kb.reason : 0, has_block ? (unsigned long long)kb.expires : 0,
			 ref_block, ref_block ? rp->block_reason : 0,
			 ref_block ? (unsigned long long)rp->block_expires : 0);
	else if (has_history != ref_history || (has_history && (kh.repeats != rp->repeats ||
								kh.expires != rp->history_expires)))
		snprintf(why, len, "history: kernel %d (repeats %u), reference %d (%u)", has_history,
			 has_history ? kh.repeats : 0, ref_history, ref_history ? rp->repeats : 0);
}

static void report(unsigned long seq, unsigned step, const char *why, const struct text *g, size_t trusted)
{
	fprintf(stderr, "answers mismatch (sequence %lu, answer %u): %s; %zu payload bytes, %zu trusted:\n",
		seq, step, why, g->len, trusted);
	text_dump(stderr, g, 400);
}

struct tally {
	unsigned long answers, mismatches, blocks, repeats, allowlisted, judged;
};

/* One sequence of 1-40 answers (mostly up to 8); mismatches counted in t. mutant: the reference's deliberate
 * break (0: none). */
static void run_sequence(struct rng *r, unsigned long seq, int mutant, struct tally *t)
{
	static struct ref_answers ref;
	static struct text g;
	struct world w;
	uint64_t before[VOSFP_ANS_COUNT], after[VOSFP_ANS_COUNT];
	/* Mostly short, a quarter long enough for blocks to expire and come back. */
	unsigned steps = below(r, 4) ? 1 + below(r, 8) : 1 + below(r, 40);
	__u32 zero = 0;
	char why[256];

	new_world(r, &w);
	w.rule.mutant = mutant;
	ref_answers_init(&ref, &w.rule);
	write_config(&w.rule);
	for (unsigned i = 0; i < w.n_peers; i++)
		if (w.peers[i].allowlisted) {
			allow(&w.peers[i], 1);
			ref_answers_allow(&ref, &w.peers[i].key);
		}
	counters(before);
	for (unsigned s = 0; s < steps; s++) {
		const struct peer *p = &w.peers[below(r, w.n_peers)];
		struct frame_spec f = { .family = p->family, .dst = p->addr, .sport = 5060, .dport = 5062 };
		uint8_t frame[FRAME_MAX];
		size_t flen, off, trusted, avail;

		w.now += step_ns(r, &w.rule);
		generate(r, &g, &w);
		if (below(r, 8) == 0)
			mutate(r, &g);
		f.src = p->family == 4 ? "198.18.0.1" : "2001:db8::1";
		f.proto = below(r, 7) ? 17 : 6;
		f.vlans = below(r, 10) ? 0 : 1 + below(r, 2);
		if (below(r, 25) == 0)
			f.sport = 5061;		/* not a SIP port: never read */
		f.payload = g.buf;
		f.payload_len = g.len;
		trusted = g.len;
		if (f.proto == 17 && below(r, 8) == 0) {	/* a UDP length shorter than the datagram */
			trusted = below(r, (unsigned)g.len + 1);
			f.udp_len_delta = (int)trusted - (int)g.len;
		}
		if (below(r, 10) == 0)
			f.pad = 1 + below(r, 40);
		off = frame_payload_offset(&f);
		if (below(r, 12) == 0)			/* the frame ends early */
			f.truncate = off + below(r, (unsigned)g.len + 1);
		flen = frame_build(&f, frame, sizeof(frame));
		ck_assert_uint_ge(flen, off);
		/* Padding that reads like a response's headers must never be looked at. */
		for (size_t i = off + g.len; i < flen; i++)
			frame[i] = "\r\nCall-ID: pad\r\n"[(i - off - g.len) % 16];
		avail = flen - off;
		if (trusted > avail)
			trusted = avail;

		if (f.sport == 5060)
			ref_answers_step(&ref, &p->key, g.buf, trusted, w.now);
		ck_assert_int_eq(bpf_map_update_elem(fd_clock, &zero, &w.now, BPF_ANY), 0);
		{
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)flen,
				    .repeat = 1);

			ck_assert_int_eq(bpf_prog_test_run_opts(bpf_program__fd(sk->progs.sip_answers), &opts), 0);
			ck_assert_int_eq((int)opts.retval, -1);
		}
		t->answers++;
		compare(&ref, p, why, sizeof(why));
		if (why[0]) {
			if (++t->mismatches <= MAX_REPORTED && !mutant)
				report(seq, s, why, &g, trusted);
			break;	/* the states differ from here on: one mismatch per sequence */
		}
	}
	counters(after);
	if (!why[0])
		for (int i = 0; i < VOSFP_ANS_COUNT; i++)
			if (after[i] - before[i] != ref.counters[i]) {
				if (++t->mismatches <= MAX_REPORTED && !mutant)
					fprintf(stderr, "answers mismatch (sequence %lu): counter %d +%llu, reference +%llu\n",
						seq, i, (unsigned long long)(after[i] - before[i]),
						(unsigned long long)ref.counters[i]);
				break;
			}
	t->blocks += ref.counters[VOSFP_ANS_BLOCKED_AUTH] + ref.counters[VOSFP_ANS_BLOCKED_ENUM];
	t->allowlisted += ref.counters[VOSFP_ANS_ALLOWLISTED];
	t->judged += ref.counters[VOSFP_ANS_AUTH_FAILURES];
	for (unsigned i = 0; i < ref.n_peers; i++)
		t->repeats += ref.peers[i].repeats > 0;
	clear(&w);
}

START_TEST(test_answers_match_reference)
{
	unsigned long sequences = env_ulong("VOSFP_ANS_SEQUENCES", DEFAULT_SEQUENCES);
	unsigned long seed = env_ulong("VOSFP_ANS_SEED", 20261206);
	struct rng r = { seed };
	struct tally t = { 0 };

	for (unsigned long n = 0; n < sequences; n++)
		run_sequence(&r, n, 0, &t);
	printf("answers differential: %lu sequences (seed %lu), %lu answers, %lu mismatches; %lu blocks "
	       "(%lu peers with repeats), %lu allowlisted peers spared, %lu auth failures counted\n",
	       sequences, seed, t.answers, t.mismatches, t.blocks, t.repeats, t.allowlisted, t.judged);
	ck_assert_uint_eq(t.mismatches, 0);
	/* The generator must reach the rule's outcomes, or 0 mismatches would say little. */
	ck_assert_uint_gt(t.blocks, sequences / 20);
	ck_assert_uint_gt(t.repeats, sequences / 200);
	ck_assert_uint_gt(t.allowlisted, 0);
}
END_TEST

/* The differential notices a reference broken on purpose, in each of several ways: it can fail. */
START_TEST(test_differential_catches_breaks)
{
	for (int mutant = 1; mutant < REF_MUTANTS; mutant++) {
		struct rng r = { 7 + (uint64_t)mutant };
		struct tally t = { 0 };

		for (unsigned long n = 0; n < 3000; n++)
			run_sequence(&r, n, mutant, &t);
		printf("answers differential against reference mutant %d: %lu of 3000 sequences differ\n",
		       mutant, t.mismatches);
		ck_assert_msg(t.mismatches > 0, "mutant %d went unnoticed", mutant);
	}
}
END_TEST

TCase *answers_differential_tcase(void)
{
	TCase *tc = tcase_create("answers_differential");

	tcase_add_checked_fixture(tc, load, unload);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_answers_match_reference);
	tcase_add_test(tc, test_differential_catches_breaks);
	return tc;
}
