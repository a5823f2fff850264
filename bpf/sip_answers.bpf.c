// SPDX-License-Identifier: GPL-2.0
/* sip_answers.bpf.c - the egress program (TC, clsact egress): reads the SIP responses the server
 * sends from its SIP ports and applies the answer rule of bpf/vosfp.h, which turns a peer the
 * server keeps refusing (auth failures) or keeps telling "no such user" (enumeration) into a
 * timed auto-block; the XDP program drops the peer from its next request on.
 * It never changes, drops or delays a packet: every path returns TC_ACT_UNSPEC.
 *
 * Per response, cheapest rejection first:
 *  1. L2/L3/L4 as the XDP program parses them (parse.h); headers a forwarded packet carries
 *     outside the skb's linear part are pulled in once. Not UDP/TCP from a configured SIP port
 *     -> done. Fragments carry no port -> done.
 *  2. The payload (UDP; TCP when the segment starts with one) must start with a status line
 *     "SIP/2.0 NNN" (12 bytes, read in place from the linear part, else with
 *     bpf_skb_load_bytes: a TCP payload is often in the skb's fragments).
 *  3. 100 Trying -> done. 2xx and the other answers that settle a challenge: only a peer with
 *     unsettled challenges is looked at further (one hash lookup otherwise).
 *  4. Challenges (401/407), refusals (403) and settling answers to such a peer: the Call-ID is
 *     found in the first VOSFP_ANSWER_SEARCH_MAX bytes (copied to a per-CPU buffer) and keys
 *     the peer's call in answer_calls. Not-found answers count per peer.
 *  5. The peer over a limit -> vosfp_auto_block (sip_logic.bpf.c), unless allowlisted.
 *
 * CPUs answering one peer at once update its state with atomic adds and bounded
 * compare-and-swap loops: a lost race can lose a count (a refusal not counted), and at a
 * generation boundary move one settle to the wrong generation (one challenge judged unanswered),
 * never more. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vosfp.h"
#include "swar.h"
#include "parse.h"
#include "shared.h"

#define TC_ACT_UNSPEC	(-1)

VOSFP_CONFIG_MAP(extern);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VOSFP_ANSWER_PEERS_DEFAULT_MAX);
	__type(key, struct vosfp_src_key);
	__type(value, struct vosfp_answer_peer);
} answer_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VOSFP_ANSWER_PEERS_DEFAULT_MAX);
	__type(key, struct vosfp_answer_call_key);
	__type(value, struct vosfp_answer_call);
} answer_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VOSFP_COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} answer_counters SEC(".maps");

/* The response's first bytes, where the Call-ID is searched. Offsets into it are masked with
 * SCRATCH_MASK, which the verifier of any kernel can follow (a comparison of two registers
 * bounds neither on older ones): twice the window, and a word more for the 8-byte loads. Bytes
 * past what was copied are stale and never decide anything: every test is bounded by the
 * copied length. */
#define SCRATCH_MASK	(2 * VOSFP_ANSWER_SEARCH_MAX - 1)

struct answer_scratch {
	__u8 b[SCRATCH_MASK + 1 + 8];
	__u64 hash;	/* call_id_line's answer */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct answer_scratch);
} answer_scratch SEC(".maps");

#ifdef VOSFP_TEST_CLOCK
/* Test builds only (build/sip_logic_tclock.bpf.o, for the differential test): the rule's clock
 * is this map's value, set by the test, so generated sequences can span hours in no time. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} answer_test_clock SEC(".maps");

static __always_inline __u64 clock_ns(void)
{
	__u32 zero = 0;
	__u64 *t = bpf_map_lookup_elem(&answer_test_clock, &zero);

	return t ? *t : 0;
}
#else
/* The clock of every auto-block expiry: the programs' own (bpf/shared.h: datapath_now). */
static __always_inline __u64 clock_ns(void)
{
	return datapath_now();
}
#endif

static __always_inline void count(__u32 idx, __u32 n)
{
	__u64 *c = bpf_map_lookup_elem(&answer_counters, &idx);

	if (c)
		*c += n;
}

/* ---- the response ---- */

enum answer_kind {
	ANSWER_IGNORED,		/* 100 Trying: the server got the request, nothing more */
	ANSWER_SETTLES,		/* any other answer: the request passed authentication */
	ANSWER_CHALLENGE,	/* 401, 407 */
	ANSWER_REFUSED,		/* 403 */
	ANSWER_NOT_FOUND,	/* 404, 410, 484, 485, 604: settles too */
};

#define WORD_SIP_20	0x20302E322F504953ULL	/* "SIP/2.0 " as a little-endian load */

/* The status line's class, or -1 when the payload does not start with "SIP/2.0 NNN" and a
 * space, CR or LF (a request, a body segment, anything else). */
static __always_inline int answer_kind(const __u8 *p)
{
	__u32 code;

	if (*(const __u64 *)p != WORD_SIP_20 || p[8] < '1' || p[8] > '6' || p[9] < '0' ||
	    p[9] > '9' || p[10] < '0' || p[10] > '9' || (p[11] != ' ' && p[11] != '\r' && p[11] != '\n'))
		return -1;
	code = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
	switch (code) {
	case 100:
		return ANSWER_IGNORED;
	case 401:
	case 407:
		return ANSWER_CHALLENGE;
	case 403:
		return ANSWER_REFUSED;
	case 404:
	case 410:
	case 484:
	case 485:
	case 604:
		return ANSWER_NOT_FOUND;
	default:
		return ANSWER_SETTLES;
	}
}

#define CASE_CALL_ID	0x0020200020202020ULL	/* the case bit of the letters of "call-id" */
#define WORD_CALL_ID	0x0064692D6C6C6163ULL	/* "call-id", little-endian */
#define LOW7		0x00FFFFFFFFFFFFFFULL
#define HASH_MUL	0x9E3779B97F4A7C15ULL

static __always_inline __u64 mix(__u64 h, __u64 w)
{
	h = (h ^ w) * HASH_MUL;
	return h ^ (h >> 32);
}

static __always_inline bool blank(__u8 c)
{
	return c == ' ' || c == '\t';
}

/* 0x80 in each byte of w that ends a Call-ID value (CR, LF, space, tab), exact in the lowest. */
static __always_inline __u64 value_ends(__u64 w)
{
	return SWAR_BYTE_FLAGS(w, '\r') | SWAR_BYTE_FLAGS(w, '\n') | SWAR_BYTE_FLAGS(w, ' ') |
	       SWAR_BYTE_FLAGS(w, '\t');
}

/* The line at `at` of s's first n bytes: 1 when it is the Call-ID header ("Call-ID" or "i", any
 * case, up to VOSFP_CALL_ID_BLANKS blanks, ':', as many blanks again) with a value (bytes up
 * to CR, LF, space, tab or the end of the n bytes; its first VOSFP_CALL_ID_MAX count), the
 * value's hash then in s->hash (never 0); 0 when it is another header; -1 when the search ends
 * here (the blank line, the end of the n bytes, an empty Call-ID). A global function: the
 * verifier checks it once, not at each line the caller may find. */
__noinline int call_id_line(struct answer_scratch *s, __u32 at, __u32 n)
{
	__u32 k, len = 0;
	__u64 h = 0;

	if (!s || at >= n || n > VOSFP_ANSWER_SEARCH_MAX)
		return -1;
	at &= SCRATCH_MASK;
	if (s->b[at] == '\r' || s->b[at] == '\n')
		return -1;
	if (at + 7 <= n && ((*(__u64 *)&s->b[at] | CASE_CALL_ID) & LOW7) == WORD_CALL_ID)
		k = at + 7;
	else if ((s->b[at] | 0x20) == 'i')
		k = at + 1;
	else
		return 0;
	k = opaque_mask(k, SCRATCH_MASK);
	for (int i = 0; i < VOSFP_CALL_ID_BLANKS && k < n && blank(s->b[k & SCRATCH_MASK]); i++)
		k++;
	if (k >= n || s->b[k & SCRATCH_MASK] != ':')
		return 0;
	/* Paths with names of two lengths and any number of blanks reach these points with offsets
	 * in ranges of their own; masked (a no-op: k < n <= 1024), they all have [0, SCRATCH_MASK]
	 * and the verifier goes on with one state instead of one each. */
	k = opaque_mask(k + 1, SCRATCH_MASK);
	for (int i = 0; i < VOSFP_CALL_ID_BLANKS && k < n && blank(s->b[k & SCRATCH_MASK]); i++)
		k++;
	k = opaque_mask(k, SCRATCH_MASK);
	/* The value, a word at a time: the lowest end flag is exact (swar.h). Every way a word can
	 * end the value leaves the loop on one branch, so the verifier walks one state a round. */
	for (__u32 w = 0; w < VOSFP_CALL_ID_MAX; w += 8) {
		__u32 idx = k + w, avail, j;
		__u64 word, ends;

		if (idx >= n)
			break;
		word = *(__u64 *)&s->b[idx & SCRATCH_MASK];
		ends = value_ends(word);
		avail = n - idx;
		if (!ends && avail >= 8) {
			h = mix(h, word);
			len += 8;
			continue;
		}
		j = ends ? swar_lowest_byte(ends) : 8;
		if (j > avail)
			j = avail;
		if (j)
			h = mix(h, word & (~0ULL >> (64 - 8 * (j & 7))));
		len += j & 7;
		break;
	}
	if (!len)
		return -1;
	s->hash = mix(h, len) | 1;
	return 1;
}

/* The lines that start in the 8 bytes at w (after each line feed there, found a word at a time
 * and each checked exactly), as call_id_line answers for the first that decides: 1 (the hash
 * in s->hash), -1, or 0 when none does. A global function, for the same reason. */
__noinline int call_id_word(struct answer_scratch *s, __u32 w, __u32 n)
{
	__u64 m;

	if (!s || w >= n || w >= VOSFP_ANSWER_SEARCH_MAX)
		return -1;
	m = SWAR_BYTE_FLAGS(*(__u64 *)&s->b[w], '\n');
	if (n - w < 8)
		m &= ~(SWAR_HIGH << (8 * (n - w)));
	for (int b = 0; b < 8 && m; b++) {
		__u32 i = w + swar_lowest_byte(m);
		int r;

		m &= m - 1;
		if (s->b[i & SCRATCH_MASK] != '\n')
			continue;
		r = call_id_line(s, i + 1, n);
		if (r)
			return r;
	}
	return 0;
}

/* The hash of the response's Call-ID (s's first n bytes), 0 when it has none there. The status
 * line is not a header: lines count from the first line feed. A global function, so that what
 * follows in the caller is verified once, not once per word the search may stop at. */
__noinline __u64 call_id_hash(struct answer_scratch *s, __u32 n)
{
	if (!s)
		return 0;
	for (__u32 w = 0; w < VOSFP_ANSWER_SEARCH_MAX; w += 8) {
		int r;

		if (w >= n)
			return 0;
		/* Most words hold no line feed: only one that may goes to call_id_word. */
		if (!SWAR_BYTE_FLAGS(*(__u64 *)&s->b[w], '\n'))
			continue;
		r = call_id_word(s, w, n);
		if (r)
			return r > 0 ? s->hash : 0;
	}
	return 0;
}

/* ---- the rule (bpf/vosfp.h) ---- */

#define CAS_TRIES 3

/* One less, never below zero: 1 when taken. */
static __always_inline int take_one(__u32 *v)
{
	for (int i = 0; i < CAS_TRIES; i++) {
		__u32 old = *v;

		if (!old)
			return 0;
		if (__sync_val_compare_and_swap(v, old, old - 1) == old)
			return 1;
	}
	return 0;
}

/* Into generation gen: the challenges of generations before gen - 1 are unanswered now.
 * Returns how many that judges. One CPU moves the counts (the one whose compare-and-swap of
 * p->gen succeeds). */
static __always_inline __u32 advance(struct vosfp_answer_peer *p, __u64 gen)
{
	__u64 old = p->gen;
	__u32 cur, prev;

	if (gen <= old || __sync_val_compare_and_swap(&p->gen, old, gen) != old)
		return 0;
	cur = __sync_lock_test_and_set(&p->pending, 0);
	prev = __sync_lock_test_and_set(&p->pending_prev, gen == old + 1 ? cur : 0);
	return gen == old + 1 ? prev : prev + cur;
}

/* Failures and not-found answers count within answers_window_ms of the first of the window. */
static __always_inline void open_window(const struct vosfp_config *cfg, struct vosfp_answer_peer *p,
					__u64 now)
{
	if ((!p->failures && !p->not_found) || now - p->window_start >= (__u64)cfg->answers_window_ms * 1000000) {
		p->failures = 0;
		p->not_found = 0;
		p->window_start = now;
	}
}

static __always_inline void add_failures(const struct vosfp_config *cfg, struct vosfp_answer_peer *p,
					 __u64 now, __u32 n)
{
	if (!n)
		return;
	open_window(cfg, p, now);
	__sync_fetch_and_add(&p->failures, n);
	count(VOSFP_ANS_AUTH_FAILURES, n);
}

/* A challenge of generation gen leaves its generation's count, when it is still unsettled
 * (gen or gen - 1 of the peer's): 1 then. */
static __always_inline int leave_generation(struct vosfp_answer_peer *p, __u64 gen)
{
	if (gen == p->gen)
		return take_one(&p->pending);
	if (gen + 1 == p->gen)
		return take_one(&p->pending_prev);
	return 0;
}

/* The call's unsettled challenge leaves its generation's count, and the call is forgotten.
 * 1 when there was one. */
static __always_inline int take_challenge(struct vosfp_answer_peer *p, struct vosfp_answer_call_key *ck)
{
	struct vosfp_answer_call *c = bpf_map_lookup_elem(&answer_calls, ck);
	int was;

	if (!c)
		return 0;
	was = leave_generation(p, c->gen);
	bpf_map_delete_elem(&answer_calls, ck);
	return was;
}

/* A new peer's state, from generation gen on. Another CPU may have made it meanwhile: then that
 * one. */
static __always_inline struct vosfp_answer_peer *new_peer(struct vosfp_src_key *key, __u64 gen)
{
	struct vosfp_answer_peer fresh = { .gen = gen };

	bpf_map_update_elem(&answer_peers, key, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&answer_peers, key);
}

/* Over a limit: an auto-block (unless the peer is allowlisted), and a new window. */
static __always_inline void judge(const struct vosfp_config *cfg, struct vosfp_answer_peer *p,
				  struct vosfp_src_key *key, __u64 now)
{
	__u32 reason, idx;

	if (cfg->auth_failures_max && p->failures >= cfg->auth_failures_max) {
		reason = VOSFP_REASON_AUTH_FAILURES;
		idx = VOSFP_ANS_BLOCKED_AUTH;
	} else if (cfg->not_found_max && p->not_found >= cfg->not_found_max) {
		reason = VOSFP_REASON_ENUMERATION;
		idx = VOSFP_ANS_BLOCKED_ENUM;
	} else {
		return;
	}
	p->failures = 0;
	p->not_found = 0;
	if (vosfp_allowlisted(key))
		count(VOSFP_ANS_ALLOWLISTED, 1);
	else if (vosfp_auto_block(key, reason, 0, now))
		count(idx, 1);
}

/* One answer of class kind to the peer key, payload at off (n bytes of it may be read). A
 * global function: the verifier checks it once, not once per way the caller parsed the frame. */
__noinline int apply_answer(struct __sk_buff *skb, struct vosfp_src_key *key, int kind, __u32 off, __u32 n)
{
	struct vosfp_answer_call_key ck = {};
	struct vosfp_answer_peer *p;
	struct answer_scratch *s;
	struct vosfp_config *cfg;
	__u32 zero = 0, judged;
	__u64 now, gen;

	if (!key || !skb)
		return 0;
	/* The most common answer (2xx to a peer the rule knows nothing of) ends at this lookup. */
	p = bpf_map_lookup_elem(&answer_peers, key);
	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if ((!p && kind == ANSWER_SETTLES) || !cfg)
		return 0;
	now = clock_ns();
	gen = now / ((__u64)(cfg->answers_challenge_ms ? cfg->answers_challenge_ms : 1) * 1000000);
	if (!p)
		p = new_peer(key, gen);
	if (!p)
		return 0;
	judged = advance(p, gen);
	add_failures(cfg, p, now, judged);
	if (kind == ANSWER_NOT_FOUND) {
		open_window(cfg, p, now);
		__sync_fetch_and_add(&p->not_found, 1);
	}
	/* The call matters to a challenge, a refusal, and an answer that may settle one. */
	if (kind != ANSWER_CHALLENGE && kind != ANSWER_REFUSED && !p->pending && !p->pending_prev)
		goto out;
	s = bpf_map_lookup_elem(&answer_scratch, &zero);
	if (!s || n < 1)
		goto out;
	if (n > VOSFP_ANSWER_SEARCH_MAX)
		n = VOSFP_ANSWER_SEARCH_MAX;
	/* [1, VOSFP_ANSWER_SEARCH_MAX] as the helper wants it, stated where the call is: a copy of
	 * n the compiler spilled and reloaded would have lost its lower bound. */
	n = opaque_mask(n - 1, VOSFP_ANSWER_SEARCH_MAX - 1) + 1;
	if (bpf_skb_load_bytes(skb, off, s->b, n))
		goto out;
	__builtin_memcpy(ck.addr, key->addr, sizeof(ck.addr));
	ck.call = call_id_hash(s, n);
	if (!ck.call) {
		if (kind == ANSWER_CHALLENGE || kind == ANSWER_REFUSED)
			count(VOSFP_ANS_NO_CALL_ID, 1);
		if (kind == ANSWER_REFUSED)
			add_failures(cfg, p, now, 1);
		goto out;
	}
	if (kind == ANSWER_CHALLENGE) {
		struct vosfp_answer_call fresh = { .gen = p->gen }, *c;

		/* A challenge again in a call whose last one nothing settled: the credentials it
		 * was answered with were refused. The call then stays, in this generation. */
		c = bpf_map_lookup_elem(&answer_calls, &ck);
		if (c) {
			add_failures(cfg, p, now, leave_generation(p, c->gen));
			c->gen = p->gen;
		} else {
			bpf_map_update_elem(&answer_calls, &ck, &fresh, BPF_ANY);
		}
		__sync_fetch_and_add(&p->pending, 1);
	} else {
		take_challenge(p, &ck);
		if (kind == ANSWER_REFUSED)
			add_failures(cfg, p, now, 1);
	}
out:
	judge(cfg, p, key, now);
	return 0;
}

/* ---- the program ---- */

/* Parse to a whole transport header (UDP 8 bytes, TCP 20) in the linear part. */
static __always_inline int headers(struct __sk_buff *skb, struct frame *f)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (parse_frame(data, data_end, f) != PARSE_OK)
		return PARSE_SKIP;
	if (f->portless || !f->l4)
		return PARSE_SKIP;
	if (f->l4_proto == PROTO_UDP)
		return (void *)(f->l4 + sizeof(struct udphdr)) <= data_end ? PARSE_OK : PARSE_SKIP;
	if (f->l4_proto == PROTO_TCP)
		return (void *)(f->l4 + sizeof(struct tcphdr)) <= data_end ? PARSE_OK : PARSE_SKIP;
	return PARSE_SKIP;
}

/* Enough for two VLAN tags, IPv4 with 40 bytes of options or IPv6 with a few extension headers,
 * and a TCP header. */
#define PULL_MAX 128

/* The destination address, as the auto-block key. */
static __always_inline int peer_key(struct __sk_buff *skb, const struct frame *f, struct vosfp_src_key *k)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (f->l3_off > 64)
		return -1;
	if (f->is_v6) {
		struct ipv6hdr *ip6 = data + f->l3_off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		__builtin_memcpy(k->addr, &ip6->daddr, sizeof(k->addr));
	} else {
		struct iphdr *ip = data + f->l3_off;

		if ((void *)(ip + 1) > data_end)
			return -1;
		__builtin_memset(k->addr, 0, 10);
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		__builtin_memcpy(&k->addr[12], &ip->daddr, 4);
	}
	return 0;
}

SEC("tc")
int sip_answers(struct __sk_buff *skb)
{
	struct vosfp_config *cfg;
	struct vosfp_src_key key;
	struct frame f = {};
	__u32 zero = 0, off, avail, len;
	__u64 line[2];		/* aligned: the verifier wants stack loads aligned */
	void *data_end;
	int kind;

	cfg = bpf_map_lookup_elem(&sip_config, &zero);
	if (!cfg || !(cfg->flags & VOSFP_F_ANSWERS))
		return TC_ACT_UNSPEC;
	if (headers(skb, &f) != PARSE_OK) {
		__u32 linear = skb->data_end - skb->data;

		/* Headers the stack wrote are linear; a forwarded packet's may not all be. */
		if (skb->len <= linear)
			return TC_ACT_UNSPEC;
		if (bpf_skb_pull_data(skb, skb->len < PULL_MAX ? skb->len : PULL_MAX))
			return TC_ACT_UNSPEC;
		__builtin_memset(&f, 0, sizeof(f));
		if (headers(skb, &f) != PARSE_OK)
			return TC_ACT_UNSPEC;
	}
	data_end = (void *)(long)skb->data_end;
	if (f.l4_proto == PROTO_UDP) {
		struct udphdr *udp = (struct udphdr *)f.l4;
		__u32 udp_len;

		if ((void *)(udp + 1) > data_end ||
		    !port_selected(cfg, cfg->udp_ports, bpf_ntohs(udp->source), true))
			return TC_ACT_UNSPEC;
		off = f.l4_off + sizeof(*udp);
		udp_len = bpf_ntohs(udp->len);
		len = udp_len > sizeof(*udp) ? udp_len - sizeof(*udp) : 0;
	} else {
		struct tcphdr *tcp = (struct tcphdr *)f.l4;

		if ((void *)(tcp + 1) > data_end ||
		    !port_selected(cfg, cfg->tcp_ports, bpf_ntohs(tcp->source), false))
			return TC_ACT_UNSPEC;
		off = f.l4_off + tcp->doff * 4;
		len = f.ip_end > off ? f.ip_end - off : 0;
	}
	/* Bytes there are: the transport's length, the IP datagram's, and the skb's. */
	avail = f.ip_end > off ? f.ip_end - off : 0;
	if (len > avail)
		len = avail;
	avail = skb->len > off ? skb->len - off : 0;
	if (len > avail)
		len = avail;
	if (len < 12)
		return TC_ACT_UNSPEC;
	/* The status line where the skb's linear part holds it (what the stack sends), else
	 * copied out of the fragments. */
	if (off <= HDR_OFF_MAX && (void *)(long)skb->data + opaque_mask(off, HDR_OFF_MAX) + 12 <= data_end) {
		__u8 *p = (void *)(long)skb->data + opaque_mask(off, HDR_OFF_MAX);

		if ((void *)(p + 12) > (void *)(long)skb->data_end)
			return TC_ACT_UNSPEC;
		__builtin_memcpy(line, p, 12);
	} else if (bpf_skb_load_bytes(skb, off, line, 12)) {
		return TC_ACT_UNSPEC;
	}
	kind = answer_kind((const __u8 *)line);
	if (kind < 0)
		return TC_ACT_UNSPEC;
	count(VOSFP_ANS_RESPONSES, 1);
	if (kind == ANSWER_CHALLENGE)
		count(VOSFP_ANS_CHALLENGES, 1);
	else if (kind == ANSWER_REFUSED)
		count(VOSFP_ANS_REFUSED, 1);
	else if (kind == ANSWER_NOT_FOUND)
		count(VOSFP_ANS_NOT_FOUND, 1);
	if (kind == ANSWER_IGNORED || peer_key(skb, &f, &key))
		return TC_ACT_UNSPEC;
	apply_answer(skb, &key, kind, off, len);
	return TC_ACT_UNSPEC;
}
