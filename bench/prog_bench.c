/* prog_bench.c - `make bench`: ns per packet of sip_xdp_prog for each verdict class, with a
 * 1,000,000-entry blocklist loaded, beside a trivial XDP_PASS/XDP_DROP program run in the same
 * process on the same frames. One class runs with the flood defence on (rate limit, auto-block,
 * scanner User-Agents): a 1400-byte INVITE whose User-Agent is the 11th of its 13 headers. The
 * *_dec and decision_* classes run with 100,000 CrowdSec decisions in force (decision_load.h):
 * a source under none beside the same frame without them, and sources under one. Last, the
 * egress program (sip_answers) per SIP response, beside a trivial TC program (trivial_tc).
 * It reports; it never fails on a missed target. It exits non-zero
 * only when loading fails or a frame takes another path than the one its row claims to measure. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_getcpu, CPU_SET */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "bpf_errno.h"
#include "datapath_clock.h"
#include "decision_load.h"
#include "floors.h"
#include "frame.h"
#include "prog_harness.h"
#include "scanner.h"
#include "sip_logic.skel.h"

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* Targets from the issue, as multiples of the trivial program's cost. */
#define TARGET_PASS 2.0
#define TARGET_DROP 1.5
#define TARGET_DEFENCE 2.5	/* a big INVITE with rate limit, auto-block and scanners on */

/* Each list map gets room for the whole list, so any mix fits; entries cost memory only when
 * present (the maps are not preallocated). */
#define BENCH_MAP_MAX (1u << 21)

struct bench_opts {
	uint32_t entries;	/* blocklist size */
	uint32_t repeat;	/* BPF_PROG_TEST_RUN repetitions per trial */
	int trials;		/* the median of these is reported */
	const char *trivial_obj;
	const char *floor_obj;
	const char *sip_obj;		/* this build's object (its skeleton is built in) */
	const char *compare_obj;	/* -c: another build of sip_xdp_prog, measured beside it */
	int images;			/* -i: loaded copies of each build, trials spread over them */
	const char *only;		/* -k: only the classes whose name contains this */
};

/* ---- deterministic PRNG (splitmix64): the same list, hence the same tries, on every run ---- */

static uint64_t rng_state = 0x766f736670ULL;	/* "vosfp" */

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint32_t rng_range(uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rng_next() % (hi - lo + 1));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- key sets: deduplicated, and already laid out as the batch update's key array ---- */

struct keyset {
	size_t key_size;
	uint8_t *keys;		/* count keys back to back */
	uint32_t count, cap;
	uint32_t *slots;	/* open addressing: key index + 1, 0 = empty */
	uint32_t mask;
};

static int keyset_init(struct keyset *ks, size_t key_size, uint32_t cap)
{
	uint32_t nslots = 1;

	while (nslots < 2 * cap)	/* at most half full: probes stay short */
		nslots <<= 1;
	memset(ks, 0, sizeof(*ks));
	ks->key_size = key_size;
	ks->cap = cap;
	ks->mask = nslots - 1;
	ks->keys = calloc(cap ? cap : 1, key_size);
	ks->slots = calloc(nslots, sizeof(*ks->slots));
	return ks->keys && ks->slots ? 0 : -ENOMEM;
}

static void keyset_free(struct keyset *ks)
{
	free(ks->keys);
	free(ks->slots);
}

static uint32_t key_hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* The slot holding key, or the empty slot where it belongs. */
static uint32_t *keyset_slot(const struct keyset *ks, const void *key)
{
	uint32_t i = key_hash(key, ks->key_size) & ks->mask;

	while (ks->slots[i] &&
	       memcmp(ks->keys + (ks->slots[i] - 1) * ks->key_size, key, ks->key_size))
		i = (i + 1) & ks->mask;
	return &ks->slots[i];
}

static int keyset_has(const struct keyset *ks, const void *key)
{
	return *keyset_slot(ks, key) != 0;
}

/* 1 if added, 0 if already present or full. */
static int keyset_add(struct keyset *ks, const void *key)
{
	uint32_t *slot = keyset_slot(ks, key);

	if (*slot || ks->count == ks->cap)
		return 0;
	memcpy(ks->keys + ks->count * ks->key_size, key, ks->key_size);
	*slot = ++ks->count;
	return 1;
}

static const void *keyset_key(const struct keyset *ks, uint32_t i)
{
	return ks->keys + i * ks->key_size;
}

/* ---- the synthetic blocklist ---- */

/* The mix of a real-world list: mostly single hosts, some networks, both families. Prefix
 * lengths are drawn uniformly, so the short ones saturate (all 256 /8s are drawn): outside the
 * reserved ranges below the list covers nearly all of IPv4, like a geo-block of every country
 * but one. That does not change what a lookup costs, only which sources are "unknown". */
static const struct list_share {
	enum vosfp_list_map map;
	int family, min_len, max_len;
	int percent;
} list_mix[VOSFP_LIST_MAPS] = {
	{ VOSFP_LIST_EXACT4, 4, 32, 32, 40 },
	{ VOSFP_LIST_NETS4, 4, 8, 31, 20 },
	{ VOSFP_LIST_EXACT6, 6, 128, 128, 30 },
	{ VOSFP_LIST_NETS6, 6, 16, 64, 10 },	/* RIR blocks down to single /64 subnets */
};

/* The bench's own sources live here (RFC 2544 benchmarking and RFC 3849 documentation ranges,
 * frame.c's defaults): the generator never lists anything overlapping them, so "unknown
 * source" rows really miss both lists however many short prefixes the list holds. */
static const char *const reserved_text[] = { "198.18.0.0/15", "2001:db8::/32" };

static int overlaps_reserved(const struct vosfp_prefix *p)
{
	for (size_t i = 0; i < sizeof(reserved_text) / sizeof(reserved_text[0]); i++) {
		struct vosfp_prefix r;

		vosfp_prefix_parse(reserved_text[i], &r, NULL, 0);
		if (vosfp_prefix_contains(&r, p->family, p->addr) ||
		    vosfp_prefix_contains(p, r.family, r.addr))
			return 1;
	}
	return 0;
}

static void clear_host_bits(struct vosfp_prefix *p)
{
	int bytes = p->family == 4 ? 4 : 16;

	for (int i = 0; i < bytes; i++) {
		int keep = p->len - i * 8;

		p->addr[i] &= keep >= 8 ? 0xFF : keep <= 0 ? 0 : (__u8)(0xFF << (8 - keep));
	}
}

static struct vosfp_prefix random_prefix(const struct list_share *s)
{
	struct vosfp_prefix p = { .family = s->family };

	p.len = rng_range(s->min_len, s->max_len);
	for (int i = 0; i < 16; i += 8) {
		uint64_t r = rng_next();

		memcpy(p.addr + i, &r, 8);
	}
	if (p.family == 4)
		memset(p.addr + 4, 0, 12);
	else
		p.addr[0] = 0x20 | (p.addr[0] & 0x1F);	/* global unicast, 2000::/3 */
	clear_host_bits(&p);
	return p;
}

struct blocklist {
	struct keyset maps[VOSFP_LIST_MAPS];	/* indexed by enum vosfp_list_map */
	uint32_t total;
};

static int blocklist_generate(struct blocklist *bl, uint32_t entries)
{
	uint32_t assigned = 0;

	memset(bl, 0, sizeof(*bl));
	for (int i = 0; i < VOSFP_LIST_MAPS; i++) {
		const struct list_share *s = &list_mix[i];
		struct keyset *ks = &bl->maps[s->map];
		uint32_t want = i == VOSFP_LIST_MAPS - 1 ? entries - assigned :
				(uint64_t)entries * s->percent / 100;
		struct vosfp_prefix probe = { .family = s->family, .len = s->min_len };
		uint8_t key[VOSFP_LIST_KEY_MAX];

		if (keyset_init(ks, vosfp_prefix_key(&probe, key), want))
			return -ENOMEM;
		while (ks->count < want) {
			struct vosfp_prefix p = random_prefix(s);

			if (overlaps_reserved(&p))
				continue;
			vosfp_prefix_key(&p, key);
			keyset_add(ks, key);	/* a duplicate is simply drawn again */
		}
		assigned += want;
	}
	bl->total = assigned;
	return 0;
}

static void blocklist_free(struct blocklist *bl)
{
	for (int i = 0; i < VOSFP_LIST_MAPS; i++)
		keyset_free(&bl->maps[i]);
}

/* ---- loading the list into the maps ---- */

static const char *const map_names[VOSFP_LIST_MAPS] = {
	[VOSFP_LIST_EXACT4] = "blocked_ips",
	[VOSFP_LIST_EXACT6] = "blocked_ips6",
	[VOSFP_LIST_NETS4] = "blocked_nets",
	[VOSFP_LIST_NETS6] = "blocked_nets6",
};

struct load_result {
	const char *method[VOSFP_LIST_MAPS];
	double ms[VOSFP_LIST_MAPS];
	double total_ms;
};

static int update_each(int fd, const struct keyset *ks, uint32_t from, const vosfp_list_value *one)
{
	for (uint32_t i = from; i < ks->count; i++)
		if (bpf_map_update_elem(fd, keyset_key(ks, i), one, BPF_ANY))
			return -errno;
	return 0;
}

/* One batch call per map, as the agent applies a plan. A kernel whose map type lacks batch
 * updates (LPM tries, on some kernels) refuses the call outright: then one update per element,
 * and the method is reported, since it dominates the load time. */
static int load_map(int fd, const struct keyset *ks, const vosfp_list_value *values,
		    const char **method)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	__u32 done = ks->count;

	*method = "batch";
	if (!bpf_map_update_batch(fd, ks->keys, values, &done, &opts))
		return 0;
	if (errno != EINVAL && errno != ENOTSUPP && errno != EOPNOTSUPP)
		return -errno;
	*method = done ? "batch+per-element" : "per-element";
	return update_each(fd, ks, done, values);
}

static int blocklist_load(struct harness *h, const struct blocklist *bl, struct load_result *res)
{
	vosfp_list_value *values = malloc(bl->total ? bl->total : 1);
	double start = now_ms();
	int err = 0;

	if (!values)
		return -ENOMEM;
	memset(values, 1, bl->total ? bl->total : 1);
	for (int m = 0; m < VOSFP_LIST_MAPS && !err; m++) {
		double t = now_ms();

		err = load_map(h->block_fds[m], &bl->maps[m], values, &res->method[m]);
		res->ms[m] = now_ms() - t;
		if (err)
			fprintf(stderr, "prog_bench: loading %u entries into %s: %s\n",
				bl->maps[m].count, map_names[m], strerror(-err));
	}
	res->total_ms = now_ms() - start;
	free(values);
	return err;
}

/* As the agent runs it: every summary in use. */
static const struct vosfp_config summaries_on = { .flags = HARNESS_SUMMARIES };

/* With the flood defence on: set up by defence_setup. */
static struct vosfp_config defence_on;

/* How much a summary can settle: the share of its bits set (a source meeting a set bit goes on
 * to the hash and the trie). */
static double summary_density(const uint64_t *words)
{
	uint64_t set = 0;

	for (uint32_t i = 0; i < SUMMARY_WORDS; i++)
		set += (uint64_t)__builtin_popcountll(words[i]);
	return 100.0 * (double)set / ((double)SUMMARY_WORDS * 64);
}

static void print_summaries(const struct harness *h)
{
	printf("summaries: bits set: blocked_v4_sum %.1f%%, blocked_v6_sum %.1f%%, blocked_v6_wide %.1f%%\n\n",
	       summary_density(h->sums[SUMMARY_BLOCK_NEAR]), summary_density(h->sums[SUMMARY_BLOCK_V6]),
	       summary_density(h->sums[SUMMARY_BLOCK_V6_WIDE]));
}

static void print_load(const struct blocklist *bl, const struct load_result *res)
{
	printf("blocklist: %u entries loaded in %.1f ms\n", bl->total, res->total_ms);
	for (int m = 0; m < VOSFP_LIST_MAPS; m++)
		printf("  %-14s %8u entries  %8.1f ms  %s\n", map_names[m], bl->maps[m].count,
		       res->ms[m], res->method[m]);
	printf("\n");
}

/* ---- the rows of the table ---- */

/* A few allowlisted sources, so the stealth row probes non-empty allowlist maps. None covers a
 * row's source. */
static const char *const allowlist[] = {
	"198.18.200.1", "198.19.10.0/24", "2001:db8::200:1", "2001:db8:ffff::/48",
};

struct bench_class {
	const char *name;
	int action;		/* XDP action sip_xdp_prog must return */
	int counter;		/* counter that must move by one, or -1: none may move */
	int defence;		/* run with the flood defence on (defence_on below) */
	int decisions;		/* run with the decisions in force (decisions_on below) */
	int attack;		/* with other sources under timed blocks (attack_setup below) */
	struct frame_spec spec;
	char src[INET6_ADDRSTRLEN];
	uint8_t frame[FRAME_MAX];
	size_t len;
};

/* Sample SIP, as a softphone sends it: ~350 bytes of REGISTER. */
static size_t sip_register(char *buf, size_t cap, int family)
{
	const char *dst = family == 4 ? "198.18.0.1" : "[2001:db8::1]";
	const char *src = family == 4 ? "198.18.0.2" : "[2001:db8::2]";

	return snprintf(buf, cap,
		"REGISTER sip:%s SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:5062;branch=z9hG4bK776asdhds;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:1001@%s>;tag=1928301774\r\n"
		"To: <sip:1001@%s>\r\n"
		"Call-ID: a84b4c76e66710@%s\r\n"
		"CSeq: 314159 REGISTER\r\n"
		"Contact: <sip:1001@%s:5062>\r\n"
		"Expires: 3600\r\n"
		"User-Agent: vosfp-bench/1.0\r\n"
		"Content-Length: 0\r\n\r\n",
		dst, src, dst, dst, src, src);
}

static size_t sip_options(char *buf, size_t cap)
{
	return snprintf(buf, cap,
		"OPTIONS sip:100@198.18.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-scan\r\n"
		"From: \"sipvicious\" <sip:100@1.1.1.1>;tag=6630\r\n"
		"To: \"sipvicious\" <sip:100@1.1.1.1>\r\n"
		"Call-ID: 1612307520\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Max-Forwards: 70\r\n"
		"Content-Length: 0\r\n\r\n");
}

static size_t invite_headers(char *buf, size_t cap, size_t body_len)
{
	return snprintf(buf, cap,
		"INVITE sip:2002@198.18.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK74bf9;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: \"Alice\" <sip:1001@198.18.0.1>;tag=9fxced76sl\r\n"
		"To: <sip:2002@198.18.0.1>\r\n"
		"Call-ID: 3848276298220188511@198.18.0.2\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:1001@198.18.0.2:5062>\r\n"
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY\r\n"
		"Supported: replaces, timer\r\n"
		"User-Agent: vosfp-bench/1.0\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n", body_len);
}

/* An INVITE of exactly `size` payload bytes (buf holds size + 1): real headers and an SDP offer,
 * padded with attribute lines to the size of a big offer with many codecs. */
static size_t sip_invite(char *buf, size_t size)
{
	static const char sdp[] =
		"v=0\r\no=alice 2890844526 2890844526 IN IP4 198.18.0.2\r\ns=-\r\n"
		"c=IN IP4 198.18.0.2\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 9 101\r\n"
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n";
	static const char x[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	size_t hdr = 0, body = 0, used;

	/* Content-Length's digits change the header size: settle the fixed point. */
	for (int i = 0; i < 4; i++) {
		hdr = invite_headers(buf, size + 1, body);
		body = size - hdr;
	}
	used = hdr + snprintf(buf + hdr, size + 1 - hdr, "%s", sdp);
	/* "a=x-pad:" + k x + CRLF is k + 10 bytes; the last line takes what is left. */
	while (used + 10 <= size) {
		size_t room = size - used;
		int k = room - 10 > 60 ? 40 : (int)(room - 10);

		used += snprintf(buf + used, size + 1 - used, "a=x-pad:%.*s\r\n", k, x);
	}
	return used;
}

static void addr_text(int family, const uint8_t *addr, char *out)
{
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, INET6_ADDRSTRLEN);
}

/* A listed host's address, from the middle of the generated list. */
static void pick_exact(const struct blocklist *bl, enum vosfp_list_map m, int family, char *out)
{
	const struct keyset *ks = &bl->maps[m];

	addr_text(family, keyset_key(ks, ks->count / 2), out);
}

/* An address that only a prefix covers: the exact hash must miss so the LPM trie decides. */
static int pick_covered(const struct blocklist *bl, int v6, char *out)
{
	const struct keyset *nets = &bl->maps[v6 ? VOSFP_LIST_NETS6 : VOSFP_LIST_NETS4];
	const struct keyset *hosts = &bl->maps[v6 ? VOSFP_LIST_EXACT6 : VOSFP_LIST_EXACT4];
	int bytes = v6 ? 16 : 4;

	for (uint32_t i = nets->count / 2; i < nets->count; i++) {
		const uint8_t *key = keyset_key(nets, i);
		uint32_t len;
		uint8_t addr[16];

		memcpy(&len, key, sizeof(len));
		memcpy(addr, key + sizeof(len), bytes);
		if (len > (uint32_t)bytes * 8 - 2)
			continue;
		addr[bytes - 1] |= 1;	/* a host inside, not the network address */
		if (keyset_has(hosts, addr))
			continue;
		addr_text(v6 ? 6 : 4, addr, out);
		return 0;
	}
	return -ENOENT;
}

/* Where the User-Agent line of the bench's INVITE starts: the least a header search reads. */
static uint32_t invite_ua_offset;

/* A source for a decision row that the lists leave alone: the first candidate whose frame
 * passes with the decisions off. */
static int pick_decided(struct harness *h, struct bench_class *row, const struct decision_load *dl, int kind)
{
	for (int i = 0; i < dl->cand_n[kind]; i++) {
		struct frame_spec spec = row->spec;
		uint8_t frame[FRAME_MAX];
		size_t len;

		spec.src = dl->cand[kind][i];
		len = frame_build(&spec, frame, sizeof(frame));
		if (len && !harness_set_config(h, &summaries_on) && harness_run(h, frame, len) == XDP_PASS) {
			snprintf(row->src, sizeof(row->src), "%s", spec.src);
			return 0;
		}
	}
	fprintf(stderr, "prog_bench: %s: every candidate source is on the blocklist\n", row->name);
	return -ENOENT;
}

static int classes_build(struct harness *h, struct bench_class *c, int max, const struct blocklist *bl,
			 const struct decision_load *dl)
{
	static char reg4[512], reg6[512], options[512], invite[1400 + 1], junk[512];
	size_t reg4_len = sip_register(reg4, sizeof(reg4), 4);
	size_t reg6_len = sip_register(reg6, sizeof(reg6), 6);
	size_t options_len = sip_options(options, sizeof(options));
	size_t invite_len = sip_invite(invite, sizeof(invite) - 1);
	size_t junk_len = frame_junk_payload(junk, sizeof(junk));
	struct bench_class rows[] = {
		{ .name = "blocked_v4_exact", .action = XDP_DROP, .counter = VOSFP_CNT_BLOCKED,
		  .spec = { .family = 4, .payload = reg4, .payload_len = reg4_len } },
		{ .name = "blocked_v4_prefix", .action = XDP_DROP, .counter = VOSFP_CNT_BLOCKED,
		  .spec = { .family = 4, .payload = reg4, .payload_len = reg4_len } },
		{ .name = "blocked_v6_exact", .action = XDP_DROP, .counter = VOSFP_CNT_BLOCKED,
		  .spec = { .family = 6, .payload = reg6, .payload_len = reg6_len } },
		{ .name = "blocked_v6_prefix", .action = XDP_DROP, .counter = VOSFP_CNT_BLOCKED,
		  .spec = { .family = 6, .payload = reg6, .payload_len = reg6_len } },
		{ .name = "options_v4_stealth", .action = XDP_DROP,
		  .counter = VOSFP_CNT_OPTIONS_DROPPED,
		  .spec = { .family = 4, .payload = options, .payload_len = options_len } },
		{ .name = "junk_v4_malformed", .action = XDP_DROP, .counter = VOSFP_CNT_MALFORMED,
		  .spec = { .family = 4, .payload = junk, .payload_len = junk_len } },
		{ .name = "register_v4", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED,
		  .spec = { .family = 4, .payload = reg4, .payload_len = reg4_len } },
		{ .name = "register_v6", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED,
		  .spec = { .family = 6, .payload = reg6, .payload_len = reg6_len } },
		{ .name = "invite_v4_1400", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED,
		  .spec = { .family = 4, .payload = invite, .payload_len = invite_len } },
		{ .name = "invite_v4_defence", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED,
		  .defence = 1, .spec = { .family = 4, .payload = invite, .payload_len = invite_len } },
		{ .name = "invite_v4_attack", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED,
		  .defence = 1, .attack = 1,
		  .spec = { .family = 4, .payload = invite, .payload_len = invite_len } },
		{ .name = "register_v4_dec", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED, .decisions = 1,
		  .spec = { .family = 4, .payload = reg4, .payload_len = reg4_len } },
		{ .name = "register_v6_dec", .action = XDP_PASS, .counter = VOSFP_CNT_PASSED, .decisions = 1,
		  .spec = { .family = 6, .payload = reg6, .payload_len = reg6_len } },
		{ .name = "decision_v4_exact", .action = XDP_DROP, .counter = VOSFP_CNT_DECISION_DROPPED,
		  .decisions = 1, .spec = { .family = 4, .payload = reg4, .payload_len = reg4_len } },
		{ .name = "decision_v4_range", .action = XDP_DROP, .counter = VOSFP_CNT_DECISION_DROPPED,
		  .decisions = 1, .spec = { .family = 4, .payload = reg4, .payload_len = reg4_len } },
		{ .name = "decision_v6_exact", .action = XDP_DROP, .counter = VOSFP_CNT_DECISION_DROPPED,
		  .decisions = 1, .spec = { .family = 6, .payload = reg6, .payload_len = reg6_len } },
		{ .name = "udp_v4_dns", .action = XDP_PASS, .counter = -1,
		  .spec = { .family = 4, .dport = 53, .payload = reg4, .payload_len = 40 } },
		{ .name = "tcp_v4_5060", .action = XDP_PASS, .counter = -1,
		  .spec = { .family = 4, .proto = 6, .payload = reg4, .payload_len = reg4_len } },
	};
	int n = sizeof(rows) / sizeof(rows[0]);
	const char *ua_line = strstr(invite, "\r\nUser-Agent:");

	if (n > max || !ua_line)
		return -E2BIG;
	invite_ua_offset = ua_line + 2 - invite;
	pick_exact(bl, VOSFP_LIST_EXACT4, 4, rows[0].src);
	pick_exact(bl, VOSFP_LIST_EXACT6, 6, rows[2].src);
	if (pick_covered(bl, 0, rows[1].src) || pick_covered(bl, 1, rows[3].src)) {
		fprintf(stderr, "prog_bench: no blocklist prefix wide enough to cover a host\n");
		return -ENOENT;
	}
	for (int i = 0; i < n; i++) {
		int kind = !strcmp(rows[i].name, "decision_v4_exact") ? DECISION_EXACT4 :
			   !strcmp(rows[i].name, "decision_v4_range") ? DECISION_IN_RANGE4 :
			   !strcmp(rows[i].name, "decision_v6_exact") ? DECISION_EXACT6 : -1;

		if (kind >= 0 && pick_decided(h, &rows[i], dl, kind))
			return -ENOENT;
		c[i] = rows[i];
		if (c[i].src[0])
			c[i].spec.src = c[i].src;
		c[i].len = frame_build(&c[i].spec, c[i].frame, sizeof(c[i].frame));
		if (!c[i].len) {
			fprintf(stderr, "prog_bench: %s: frame does not fit\n", c[i].name);
			return -EINVAL;
		}
	}
	return n;
}

/* ---- measuring ---- */

/* sip_xdp_prog runs through the harness; the baselines are plain libbpf programs. */
struct target {
	const char *name;
	struct harness *h;	/* set for sip_xdp_prog */
	int fd;			/* otherwise */
	int tc;			/* a TC program: its return code (TC_ACT_UNSPEC is -1) is not an
				 * error; target_run returns 0 for it */
};

/* One build of a program, loaded as several images: where the JIT places an image moves its
 * cost by a few percent (two loads of one object differ by up to ~8% here), so trials cycle
 * through the images. */
#define IMAGES_MAX 8

struct build {
	struct target img[IMAGES_MAX];
	struct bpf_object *obj[IMAGES_MAX];	/* images loaded from a file (not the skeleton's) */
	int n;
};

static int target_run(const struct target *t, const uint8_t *frame, size_t len, uint32_t repeat,
		      uint32_t *kernel_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .repeat = repeat);

	if (t->h)
		return harness_run_repeat(t->h, frame, len, repeat, kernel_ns);
	if (bpf_prog_test_run_opts(t->fd, &opts))
		return -errno;
	if (kernel_ns)
		*kernel_ns = opts.duration;
	return t->tc ? 0 : (int)opts.retval;
}

/* This thread's CPU time: unlike the wall clock it stops while other tasks run on this CPU, as
 * the kernel's own timer does (the test loop runs non-preemptible and pauses its timer when it
 * yields), but it keeps the fraction of a nanosecond the kernel's figure drops. */
static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct sample {
	double ns;		/* CPU time around the run, per packet: fractional */
	uint32_t kernel_ns;	/* the kernel's own average: whole ns, truncated */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* One trial: the cost of one run, to a fraction of a nanosecond.
 * The kernel's own average counts only its loop, but truncates to whole ns: too coarse for
 * programs that cost a few ns. The CPU time around the syscall keeps the fraction but also
 * counts a fixed cost per call, which for repeat > 1 is large (~1 ms: the kernel swaps the
 * program into the XDP dispatcher and back), i.e. ~1 ns per run at 1e6 runs. A call with
 * repeat = 2 pays the same fixed cost, so the difference of the two is the loop alone; the
 * kernel's integer average bounds the result (its true value lies in [avg, avg + 1)). */
static int trial(const struct target *t, const struct bench_class *c, uint32_t repeat,
		 struct sample *out)
{
	double t0, t1, t2, ns;
	int ret;

	t0 = thread_cpu_ns();
	ret = target_run(t, c->frame, c->len, 2, NULL);
	t1 = thread_cpu_ns();
	if (ret >= 0)
		ret = target_run(t, c->frame, c->len, repeat, &out->kernel_ns);
	t2 = thread_cpu_ns();
	if (ret < 0)
		return ret;

	ns = ((t2 - t1) - (t1 - t0)) / (repeat - 2);
	if (ns < out->kernel_ns)
		ns = out->kernel_ns;
	if (ns > out->kernel_ns + 1.0)
		ns = out->kernel_ns + 1.0;
	out->ns = ns;
	return 0;
}

struct result {
	struct sample prog, base, other;	/* medians; other: the -c build, if any */
};

/* The median of n trials of one target. */
static struct sample median_of(double *ns, uint32_t *kernel_ns, int n)
{
	qsort(ns, n, sizeof(double), cmp_double);
	qsort(kernel_ns, n, sizeof(uint32_t), cmp_u32);
	return (struct sample){ ns[n / 2], kernel_ns[n / 2] };
}

/* One figure: a build run on a class's frame; its median once measured. */
struct item {
	const struct build *b;
	const struct bench_class *c;
	struct sample med;
};

/* The trials of every item alternate, round after round, so frequency drift and noisy neighbours
 * hit all of them alike; a build's trials cycle through its images. */
static int measure_items(struct item *it, int n, const struct bench_opts *o)
{
	double ns[n][o->trials];
	uint32_t kns[n][o->trials];
	struct sample s;
	int err = 0;

	/* Warm-up: caches, branch predictors, the trie's hot path. */
	for (int k = 0; k < n; k++)
		for (int i = 0; i < it[k].b->n && !err; i++)
			err = trial(&it[k].b->img[i], it[k].c, o->repeat / 10, &s);
	for (int i = 0; i < o->trials && !err; i++)
		for (int k = 0; k < n && !err; k++) {
			err = trial(&it[k].b->img[i % it[k].b->n], it[k].c, o->repeat, &s);
			ns[k][i] = s.ns;
			kns[k][i] = s.kernel_ns;
		}
	for (int k = 0; k < n && !err; k++)
		it[k].med = median_of(ns[k], kns[k], o->trials);
	return err;
}

/* A class: the program, its baseline (and the build it is compared with, if any), on its frame. */
static int measure(const struct build *prog, const struct target *base, const struct build *other,
		   const struct bench_class *c, const struct bench_opts *o, struct result *r)
{
	const struct build only_base = { .img = { *base }, .n = 1 };
	struct item it[3] = { { .b = prog, .c = c }, { .b = &only_base, .c = c }, { .b = other, .c = c } };
	int err = measure_items(it, other ? 3 : 2, o);

	r->prog = it[0].med;
	r->base = it[1].med;
	r->other = it[2].med;
	return err;
}

static const char *action_name(int action)
{
	switch (action) {
	case XDP_ABORTED: return "ABORTED";
	case XDP_DROP: return "DROP";
	case XDP_PASS: return "PASS";
	case XDP_TX: return "TX";
	case XDP_REDIRECT: return "REDIRECT";
	default: return "?";
	}
}

/* Run the frame once and check verdict and counters: timing a frame that takes another path than
 * its row names would measure the wrong thing. Checked before and after measuring: state the runs
 * leave behind (a rate limit's bucket, an auto-block) could move a frame to another path. */
static int verify_when(struct harness *h, const struct target *base, const struct bench_class *c,
		       const char *when)
{
	uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
	int ret, base_ret;

	if (harness_counters(h, before, VOSFP_COUNTER_SLOTS))
		return -EIO;
	ret = harness_run(h, c->frame, c->len);
	if (ret < 0 || harness_counters(h, after, VOSFP_COUNTER_SLOTS))
		return ret < 0 ? ret : -EIO;
	if (ret != c->action) {
		fprintf(stderr, "prog_bench: %s (source %s)%s: sip_xdp_prog returned %s, "
			"expected %s\n", c->name, c->spec.src ? c->spec.src : "default", when,
			action_name(ret), action_name(c->action));
		return -EINVAL;
	}
	for (int i = 0; i < VOSFP_COUNTER_SLOTS; i++) {
		uint64_t want = before[i] + (i == c->counter);

		if (after[i] != want) {
			fprintf(stderr, "prog_bench: %s%s: counter %d moved by %lld, expected %d\n",
				c->name, when, i, (long long)(after[i] - before[i]), i == c->counter);
			return -EINVAL;
		}
	}
	base_ret = target_run(base, c->frame, c->len, 1, NULL);
	if (base_ret != c->action) {
		fprintf(stderr, "prog_bench: %s: baseline %s returned %d\n", c->name, base->name,
			base_ret);
		return -EINVAL;
	}
	return 0;
}

static int verify(struct harness *h, const struct target *base, const struct bench_class *c)
{
	return verify_when(h, base, c, "");
}

static int verify_after(struct harness *h, const struct target *base, const struct bench_class *c)
{
	return verify_when(h, base, c, " (after measuring)");
}

/* ---- output ---- */

static void print_header(void)
{
	printf("ns/pkt:    CPU time of BPF_PROG_TEST_RUN per run, its fixed cost per call removed\n"
	       "kernel_ns: the kernel's own average, truncated to whole ns\n"
	       "extra:     ns/pkt - baseline_ns\n"
	       "ratio:     ns/pkt / baseline_ns, held against target\n\n");
	printf("%-19s %-7s %8s %9s  %-13s %11s %8s %6s %6s  %s\n", "class", "verdict", "ns/pkt",
	       "kernel_ns", "baseline", "baseline_ns", "extra", "ratio", "target", "status");
}

static double target_of(const struct bench_class *c)
{
	if (c->defence)
		return TARGET_DEFENCE;
	return c->action == XDP_DROP ? TARGET_DROP : TARGET_PASS;
}

static void print_row(const struct bench_class *c, const struct target *base,
		      const struct result *r)
{
	double ratio = r->prog.ns / r->base.ns;

	printf("%-19s %-7s %8.2f %9u  %-13s %11.2f %8.2f %6.2f %6.1f  %s\n", c->name,
	       action_name(c->action), r->prog.ns, r->prog.kernel_ns, base->name, r->base.ns,
	       r->prog.ns - r->base.ns, ratio, target_of(c), ratio <= target_of(c) ? "ok" : "over");
}

/* -c: the other build's median from the same rounds, and this build's time as a share of it. */
static void print_compare(const struct bench_class *c, const struct result *r, int machine)
{
	if (machine)
		printf("BENCH compare class=%s ns=%.2f other_ns=%.2f ratio=%.3f\n", c->name, r->prog.ns,
		       r->other.ns, r->prog.ns / r->other.ns);
	else
		printf("%-19s %-7s %8.2f  (-c build, same rounds; this build %.3fx of it)\n", "",
		       "other", r->other.ns, r->prog.ns / r->other.ns);
}

static void print_machine(const struct bench_class *c, const struct target *base,
			  const struct result *r)
{
	double ratio = r->prog.ns / r->base.ns;

	printf("BENCH prog class=%s verdict=%s bytes=%zu ns=%.2f kernel_ns=%u baseline=%s "
	       "baseline_ns=%.2f baseline_kernel_ns=%u extra_ns=%.2f ratio=%.2f target=%.1f "
	       "status=%s\n", c->name, action_name(c->action), c->len, r->prog.ns,
	       r->prog.kernel_ns, base->name, r->base.ns, r->base.kernel_ns,
	       r->prog.ns - r->base.ns, ratio, target_of(c), ratio <= target_of(c) ? "ok" : "over");
}

/* ---- floors: the least work each kind of class needs (bench/floor.bpf.c) ---- */

static const struct floor_row {
	enum floor_prog prog;
	const char *frame_of;	/* the class whose frame it runs */
	int action;		/* the verdict it must return on that frame */
	double target;		/* the tightest target among the classes it bounds */
	const char *bounds;	/* those classes */
} floor_rows[] = {
	{ FLOOR_PARSE, "register_v4", XDP_PASS, TARGET_DROP, "every class (parse to the port)" },
	{ FLOOR_BLOCKED, "blocked_v4_exact", XDP_DROP, TARGET_DROP,
	  "blocked_* (+ one hash lookup, one counter)" },
	{ FLOOR_DEFENCE, "invite_v4_defence", XDP_PASS, TARGET_DEFENCE,
	  "invite_v4_defence (+ the source's rate state, the headers before the User-Agent)" },
};

static const struct bench_class *class_named(const struct bench_class *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(c[i].name, name))
			return &c[i];
	return NULL;
}

/* Measured like the classes, against the same baselines. A floor over a target means that no
 * program doing that class's work meets the target on this machine, whatever its design. */
static int run_floors(const struct floors *fl, const struct bench_class *classes, int n,
		      const struct target *pass, const struct target *drop,
		      const struct bench_opts *o)
{
	struct result r[sizeof(floor_rows) / sizeof(floor_rows[0])];
	int rows = sizeof(floor_rows) / sizeof(floor_rows[0]);

	printf("\nfloors: the least work a class needs, as cheap as the verifier allows "
	       "(bench/floor.bpf.c, no policy)\n");
	printf("%-19s %-7s %8s  %-13s %11s %6s %6s  %-18s %s\n", "floor", "verdict", "ns/pkt",
	       "baseline", "baseline_ns", "ratio", "target", "status", "bounds");
	for (int i = 0; i < rows; i++) {
		const struct floor_row *f = &floor_rows[i];
		const struct bench_class *c = class_named(classes, n, f->frame_of);
		const struct target *base = f->action == XDP_DROP ? drop : pass;
		struct target t = { .name = floor_prog_names[f->prog], .fd = fl->fds[f->prog] };
		int ret, err;
		double ratio;

		if (!c) {	/* left out by -k */
			r[i].prog.ns = 0;
			continue;
		}
		ret = target_run(&t, c->frame, c->len, 1, NULL);
		if (ret != f->action) {
			fprintf(stderr, "prog_bench: %s on %s's frame returned %d, expected %s\n",
				t.name, c->name, ret, action_name(f->action));
			return -EINVAL;
		}
		const struct build one = { .img = { t }, .n = 1 };

		if ((err = measure(&one, base, NULL, c, o, &r[i])))
			return err;
		ratio = r[i].prog.ns / r[i].base.ns;
		printf("%-19s %-7s %8.2f  %-13s %11.2f %6.2f %6.1f  %-18s %s\n", t.name,
		       action_name(f->action), r[i].prog.ns, base->name, r[i].base.ns, ratio,
		       f->target, ratio > f->target ? "target below floor" : "floor under target",
		       f->bounds);
		fflush(stdout);
	}
	for (int i = 0; i < rows; i++) {
		const struct floor_row *f = &floor_rows[i];
		double ratio = r[i].prog.ns / r[i].base.ns;

		if (!r[i].prog.ns)
			continue;
		printf("BENCH floor name=%s frame=%s ns=%.2f baseline_ns=%.2f ratio=%.2f target=%.1f "
		       "status=%s\n", floor_prog_names[f->prog], f->frame_of, r[i].prog.ns,
		       r[i].base.ns, ratio, f->target, ratio > f->target ? "above" : "below");
	}
	return 0;
}

/* ---- goals: each class held to its reference, both measured in the same rounds ---- */

/* Issue 14's targets: a class against a sibling class, a floor or a program with less to do,
 * never against a figure from another run. */
#define GOAL_V6_PREFIX	1.3	/* blocked_v6_prefix <= 1.3 x blocked_v6_exact, every length */
#define GOAL_DEFENCE	2.0	/* the defence INVITE <= 2 x the same INVITE with the defence off */
#define GOAL_NON_SIP_NS	2.0	/* non-SIP UDP <= floor_parse + 2 ns */

static void print_goal(const char *name, const struct item *c, const struct item *ref,
		       const char *ref_name, int extra)
{
	double v = extra ? c->med.ns - ref->med.ns : c->med.ns / ref->med.ns;
	double target = extra ? GOAL_NON_SIP_NS : !strcmp(name, "defence") ? GOAL_DEFENCE : GOAL_V6_PREFIX;
	const char *status = v <= target ? "ok" : "over";

	printf("%-10s %-19s %8.2f  %-29s %8.2f  %s%6.2f%s  %s%.1f%s  %s\n", name, c->c->name, c->med.ns,
	       ref_name, ref->med.ns, extra ? "+" : "", v, extra ? " ns" : "x  ", extra ? "<= +" : "<= ",
	       target, extra ? " ns" : "x  ", status);
	printf("BENCH goal name=%s class=%s ns=%.2f reference=%s reference_ns=%.2f %s=%.2f target=%.2f "
	       "status=%s\n", name, c->c->name, c->med.ns, ref_name, ref->med.ns, extra ? "extra_ns" : "ratio",
	       v, target, status);
}

static int run_goals(struct harness *h, const struct build *prog, const struct build *plain,
		     const struct floors *fl, const struct bench_class *classes, int n,
		     const struct target *pass, const struct target *drop, const struct bench_opts *o)
{
	const struct bench_class *prefix = class_named(classes, n, "blocked_v6_prefix"),
				 *exact = class_named(classes, n, "blocked_v6_exact"),
				 *defence = class_named(classes, n, "invite_v4_defence"),
				 *dns = class_named(classes, n, "udp_v4_dns");
	const struct build floor = { .img = { { .name = "floor_parse", .fd = fl->fds[FLOOR_PARSE] } }, .n = 1 };
	struct item it[2];
	int err = 0;

	printf("\ngoals: each class against its reference, measured in the same rounds\n");
	printf("%-10s %-19s %8s  %-29s %8s  %-10s  %-10s  %s\n", "goal", "class", "ns/pkt", "reference",
	       "ns/pkt", "measured", "target", "status");
	if (prefix && exact) {
		it[0] = (struct item){ .b = prog, .c = prefix };
		it[1] = (struct item){ .b = prog, .c = exact };
		err = harness_set_config(h, &summaries_on);
		if (!err)
			err = measure_items(it, 2, o);
		if (!err && !(err = verify_after(h, drop, prefix)) && !(err = verify_after(h, drop, exact)))
			print_goal("v6_prefix", &it[0], &it[1], exact->name, 0);
	}
	if (!err && defence) {
		/* The same frame through an image whose own config has the defence off. */
		it[0] = (struct item){ .b = prog, .c = defence };
		it[1] = (struct item){ .b = plain, .c = defence };
		err = harness_set_config(h, &defence_on);
		if (!err)
			err = measure_items(it, 2, o);
		if (!err && !(err = verify_after(h, pass, defence)))
			print_goal("defence", &it[0], &it[1], "the same INVITE, defence off", 0);
	}
	if (!err && dns) {
		it[0] = (struct item){ .b = prog, .c = dns };
		it[1] = (struct item){ .b = &floor, .c = dns };
		err = harness_set_config(h, &summaries_on);
		if (!err)
			err = measure_items(it, 2, o);
		if (!err && !(err = verify_after(h, pass, dns)))
			print_goal("non_sip", &it[0], &it[1], "floor_parse", 1);
	}
	fflush(stdout);
	return err;
}

/* ---- every IPv6 prefix length: a source covered by one blocked prefix of that length ---- */

static void flip_bit(uint8_t *a, unsigned i)
{
	a[i / 8] ^= 0x80 >> (i % 8);
}

/* Is addr covered by the generated list (its v6 prefixes, /16 to /64, or a host)? */
static int generated_covers(const struct blocklist *bl, const uint8_t *addr)
{
	uint8_t key[VOSFP_LIST_KEY_MAX];

	if (keyset_has(&bl->maps[VOSFP_LIST_EXACT6], addr))
		return 1;
	for (int len = list_mix[VOSFP_LIST_NETS6].min_len; len <= list_mix[VOSFP_LIST_NETS6].max_len; len++) {
		struct vosfp_prefix p = { .family = 6, .len = (__u8)len };

		memcpy(p.addr, addr, 16);
		clear_host_bits(&p);
		vosfp_prefix_key(&p, key);
		if (keyset_has(&bl->maps[VOSFP_LIST_NETS6], key))
			return 1;
	}
	return 0;
}

/* For each length L, one blocked prefix P_L = B/L alone beside the generated list: B lies in
 * 2001:db8::/32, which the generator keeps clear, and the source S_L inside P_L is drawn again
 * until no generated entry covers it, so P_L alone decides. P_L is taken out again (and the
 * summaries restored) before the next length. A length found over the target is measured twice
 * more (the same source) and keeps the median of the three: on a shared host one trial series in
 * 129 can meet a burst of other work. */
#define SWEEP_LENGTHS 129
#define SWEEP_AGAIN 2

struct sweep_point {
	char src[INET6_ADDRSTRLEN];
	double ns, exact_ns, ratio;
};

static int sweep_length(struct harness *h, const struct build *prog, const struct bench_class *exact,
			const struct blocklist *bl, const struct target *drop, const struct bench_opts *o,
			int len, uint64_t r, struct sweep_point *pt)
{
	static const uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x5e, 0xed, 0x5e, 0xed,
				       0x5e, 0xed, 0x5e, 0xed, 0x5e, 0xed, 0x5e, 0xed };
	static struct bench_class c;
	struct vosfp_prefix p = { .family = 6, .len = (__u8)len };
	uint64_t *saved[SUMMARY_KINDS];
	struct item it[2];
	uint8_t a[16];
	int err;

	memcpy(p.addr, b, 16);
	clear_host_bits(&p);
	do {	/* host bits that no generated entry covers (the same for every r) */
		uint64_t x = r;

		memcpy(a, p.addr, 16);
		for (int i = len; i < 128; i++)
			if ((x = x * 6364136223846793005ULL + 1442695040888963407ULL) >> 63)
				flip_bit(a, i);
		r = x;
	} while (generated_covers(bl, a));
	if ((err = harness_snapshot(h, saved)))
		return err;
	err = harness_block(h, &p);
	c = *exact;
	c.name = "blocked_v6_len";
	addr_text(6, a, c.src);
	c.spec.src = c.src;
	c.len = frame_build(&c.spec, c.frame, sizeof(c.frame));
	if (!err)
		err = verify(h, drop, &c);
	it[0] = (struct item){ .b = prog, .c = &c };
	it[1] = (struct item){ .b = prog, .c = exact };
	if (!err)
		err = measure_items(it, 2, o);
	if (!err)
		err = verify_after(h, drop, &c);
	if (!err)
		err = harness_unlist(h, 1, &p);
	if (harness_restore(h, saved) && !err)
		err = -EIO;
	memcpy(pt->src, c.src, sizeof(pt->src));
	pt->ns = it[0].med.ns;
	pt->exact_ns = it[1].med.ns;
	pt->ratio = pt->ns / pt->exact_ns;
	return err;
}

static int cmp_point(const void *a, const void *b)
{
	return cmp_double(&((const struct sweep_point *)a)->ratio, &((const struct sweep_point *)b)->ratio);
}

static int run_v6_sweep(struct harness *h, const struct build *prog, const struct bench_class *exact,
			const struct blocklist *bl, const struct target *drop, const struct bench_opts *o)
{
	struct bench_opts quick = *o;
	struct sweep_point pt[SWEEP_LENGTHS];
	double worst = 0;
	int worst_len = 0, again = 0, err;

	quick.repeat = o->repeat / 10 > 1000 ? o->repeat / 10 : 1000;
	err = harness_set_config(h, &summaries_on);
	printf("\nIPv6 prefix lengths 0-128: a source covered by one blocked prefix of that length, against "
	       "blocked_v6_exact in the same rounds (%u runs per trial): ratio\n", quick.repeat);
	for (int len = 0; len < SWEEP_LENGTHS && !err; len++) {
		err = sweep_length(h, prog, exact, bl, drop, &quick, len, 0x5eed + len, &pt[len]);
		/* Over the target in a quick trial: measured again with the full runs per trial, the
		 * median of three kept. The worst of 129 short measurements on a shared host is often
		 * one a preemption landed in; a slower path stays slower however long it is timed. */
		if (!err && pt[len].ratio > GOAL_V6_PREFIX) {
			struct sweep_point three[SWEEP_AGAIN + 1];
			double first = pt[len].ratio;

			for (int k = 0; k <= SWEEP_AGAIN && !err; k++)
				err = sweep_length(h, prog, exact, bl, drop, o, len, 0x5eed + len, &three[k]);
			qsort(three, 1 + SWEEP_AGAIN, sizeof(three[0]), cmp_point);
			pt[len] = three[SWEEP_AGAIN / 2];
			printf("  /%d: %.2f in %u runs per trial, %.2f in %u (median of three)\n", len, first,
			       quick.repeat, pt[len].ratio, o->repeat);
			again++;
		}
		if (err)
			break;
		if (pt[len].ratio > worst) {
			worst = pt[len].ratio;
			worst_len = len;
		}
		printf("BENCH v6len len=%d source=%s ns=%.2f exact_ns=%.2f ratio=%.3f\n", len, pt[len].src,
		       pt[len].ns, pt[len].exact_ns, pt[len].ratio);
	}
	if (err)
		return err;
	for (int len = 0; len < SWEEP_LENGTHS; len++)
		printf("  /%-3d %5.2f%s", len, pt[len].ratio, len % 8 == 7 || len == SWEEP_LENGTHS - 1 ? "\n" : "");
	printf("%d length%s over %.2f in %u runs per trial measured again (above)\n", again, again == 1 ? "" : "s",
	       GOAL_V6_PREFIX, quick.repeat);
	printf("%-10s %-19s %8s  %-29s %8s  %6.2fx    <= %.1fx    %s (worst /%d)\n", "v6_lengths",
	       "blocked_v6_len", "", "blocked_v6_exact", "", worst, GOAL_V6_PREFIX,
	       worst <= GOAL_V6_PREFIX ? "ok" : "over", worst_len);
	printf("BENCH goal name=v6_prefix_every_length worst_len=%d ratio=%.2f target=%.2f remeasured=%d status=%s\n",
	       worst_len, worst, GOAL_V6_PREFIX, again, worst <= GOAL_V6_PREFIX ? "ok" : "over");
	return 0;
}

/* ---- setup ---- */

static int trivial_open(const char *path, struct bpf_object **obj, struct target *pass,
			struct target *drop)
{
	struct bpf_program *p, *d;
	int err;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj) {
		fprintf(stderr, "prog_bench: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	err = bpf_object__load(*obj);
	if (err) {
		fprintf(stderr, "prog_bench: cannot load %s: %s\n", path, strerror(-err));
		return err;
	}
	p = bpf_object__find_program_by_name(*obj, "trivial_pass");
	d = bpf_object__find_program_by_name(*obj, "trivial_drop");
	if (!p || !d) {
		fprintf(stderr, "prog_bench: %s lacks trivial_pass/trivial_drop\n", path);
		return -ENOENT;
	}
	*pass = (struct target){ .name = "trivial_pass", .fd = bpf_program__fd(p) };
	*drop = (struct target){ .name = "trivial_drop", .fd = bpf_program__fd(d) };
	return 0;
}

/* ---- the egress program (sip_answers): ns per response beside trivial_tc ---- */

#define TC_ACT_UNSPEC (-1)

struct egress_class {
	const char *name;
	int counter;		/* the answer counter that must move by one, -1: none */
	struct frame_spec spec;	/* from the server (198.18.0.1:5060) to the peer */
	char payload[1600];
	uint8_t frame[FRAME_MAX];
	size_t len;
};

/* A response as Kamailio sends one: status, then Via, From, To, Call-ID (the 5th line), CSeq,
 * maybe an authentication challenge, and body_len bytes of SDP. */
static size_t sip_response(char *buf, size_t cap, const char *status, size_t body_len)
{
	size_t n = (size_t)snprintf(buf, cap,
		"%s\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK776asdhds;rport=5062;received=198.18.0.2\r\n"
		"From: <sip:1001@198.18.0.1>;tag=1928301774\r\n"
		"To: <sip:1001@198.18.0.1>;tag=a6c85cf\r\n"
		"Call-ID: a84b4c76e66710@198.18.0.2\r\n"
		"CSeq: 2 REGISTER\r\n"
		"WWW-Authenticate: Digest realm=\"198.18.0.1\", nonce=\"Z1x2Y3w4Z1x2Y3w4\"\r\n"
		"Server: kamailio (5.6.3 (x86_64/linux))\r\n"
		"Content-Length: %zu\r\n\r\n", status, body_len);

	for (size_t i = 0; i < body_len && n + 1 < cap; i++)
		buf[n++] = "v=0 o=- c=IN IP4 198.18.0.2 m=audio 4000 RTP/AVP 0 a=rtpmap:0 PCMU/8000\r\n"[i % 72];
	return n;
}

static int egress_classes_build(struct egress_class *c, int max)
{
	static const struct {
		const char *name, *status;
		int counter, family, proto;
		uint16_t sport;
		size_t body;
	} rows[] = {
		{ "answer_200_v4", "SIP/2.0 200 OK", VOSFP_ANS_RESPONSES, 4, 17, 5060, 0 },
		{ "answer_200_v6", "SIP/2.0 200 OK", VOSFP_ANS_RESPONSES, 6, 17, 5060, 0 },
		{ "answer_200_v4_1400", "SIP/2.0 200 OK", VOSFP_ANS_RESPONSES, 4, 17, 5060, 900 },
		{ "answer_100_v4", "SIP/2.0 100 Trying", VOSFP_ANS_RESPONSES, 4, 17, 5060, 0 },
		{ "answer_404_v4", "SIP/2.0 404 Not Found", VOSFP_ANS_NOT_FOUND, 4, 17, 5060, 0 },
		{ "answer_401_v4", "SIP/2.0 401 Unauthorized", VOSFP_ANS_CHALLENGES, 4, 17, 5060, 0 },
		{ "answer_401_v6_tcp", "SIP/2.0 401 Unauthorized", VOSFP_ANS_CHALLENGES, 6, 6, 5060, 0 },
		{ "udp_v4_other_port", "SIP/2.0 200 OK", -1, 4, 17, 5070, 0 },
	};
	int n = sizeof(rows) / sizeof(rows[0]);

	if (n > max)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		c[i] = (struct egress_class){ .name = rows[i].name, .counter = rows[i].counter };
		c[i].spec = (struct frame_spec){ .family = rows[i].family, .proto = rows[i].proto,
						 .src = rows[i].family == 4 ? "198.18.0.1" : "2001:db8::1",
						 .dst = rows[i].family == 4 ? "198.18.0.2" : "2001:db8::2",
						 .sport = rows[i].sport, .dport = 5062, .payload = c[i].payload };
		c[i].spec.payload_len = sip_response(c[i].payload, sizeof(c[i].payload), rows[i].status,
						     rows[i].body);
		c[i].len = frame_build(&c[i].spec, c[i].frame, sizeof(c[i].frame));
		if (!c[i].len)
			return -EINVAL;
	}
	return n;
}

/* Once, checked: the program reads the frame as its row says (the counter moves) and returns
 * TC_ACT_UNSPEC; the baseline runs. */
static int egress_verify(struct harness *h, const struct target *base, const struct egress_class *c)
{
	uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
	int ret;

	if (harness_answer_counters(h, before))
		return -EIO;
	ret = harness_run_egress(h, c->frame, c->len);
	if (harness_answer_counters(h, after))
		return -EIO;
	if (ret != TC_ACT_UNSPEC || target_run(base, c->frame, c->len, 1, NULL) != 0 ||
	    (c->counter >= 0 && after[c->counter] != before[c->counter] + 1) ||
	    (c->counter < 0 && after[VOSFP_ANS_RESPONSES] != before[VOSFP_ANS_RESPONSES])) {
		fprintf(stderr, "prog_bench: %s: sip_answers returned %d, counter %d did not move as expected\n",
			c->name, ret, c->counter);
		return -EINVAL;
	}
	return 0;
}

/* The answer rule on, its limits off: every run of a class does the same work (a 401 in one
 * call is the same refused attempt again, never a block). */
static int run_egress(struct harness *h, int trivial_tc_fd, const struct bench_opts *o)
{
	static struct egress_class c[8];
	struct vosfp_config cfg = { .flags = VOSFP_F_PORTS | VOSFP_F_ANSWERS };
	const struct build prog = { .img = { { .name = "sip_answers", .fd = bpf_program__fd(h->skel->progs.sip_answers),
						 .tc = 1 } }, .n = 1 };
	struct target base = { .name = "trivial_tc", .fd = trivial_tc_fd, .tc = 1 };
	int n = egress_classes_build(c, 8), err = n < 0 ? n : 0;

	cfg.udp_ports[5060 / 8] |= 1u << (5060 % 8);
	cfg.tcp_ports[5060 / 8] |= 1u << (5060 % 8);
	cfg.answers_window_ms = cfg.answers_challenge_ms = 60000;
	cfg.auto_block_ms = 60000;
	if (!err)
		err = harness_set_config(h, &cfg);
	if (err)
		return err;
	printf("\negress: sip_answers per response leaving a SIP port, beside trivial_tc (TC, same run)\n");
	printf("%-19s %8s %9s  %-11s %11s %8s %6s\n", "class", "ns/pkt", "kernel_ns", "baseline",
	       "baseline_ns", "extra", "ratio");
	for (int i = 0; i < n && !err; i++) {
		struct bench_class bc = { .name = c[i].name, .len = c[i].len };
		struct result r;

		memcpy(bc.frame, c[i].frame, c[i].len);
		err = egress_verify(h, &base, &c[i]);
		if (!err)
			err = measure(&prog, &base, NULL, &bc, o, &r);
		if (err)
			break;
		printf("%-19s %8.2f %9u  %-11s %11.2f %8.2f %6.2f\n", c[i].name, r.prog.ns, r.prog.kernel_ns,
		       base.name, r.base.ns, r.prog.ns - r.base.ns, r.prog.ns / r.base.ns);
		printf("BENCH egress class=%s bytes=%zu ns=%.2f kernel_ns=%u baseline=%s baseline_ns=%.2f "
		       "extra_ns=%.2f ratio=%.2f\n", c[i].name, c[i].len, r.prog.ns, r.prog.kernel_ns,
		       base.name, r.base.ns, r.prog.ns - r.base.ns, r.prog.ns / r.base.ns);
		fflush(stdout);
	}
	return err;
}

static int allowlist_load(struct harness *h)
{
	for (size_t i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++) {
		struct vosfp_prefix p;
		char err[256];
		int ret;

		if (vosfp_prefix_parse(allowlist[i], &p, err, sizeof(err))) {
			fprintf(stderr, "prog_bench: %s\n", err);
			return -EINVAL;
		}
		ret = harness_allow(h, &p);
		if (ret) {
			fprintf(stderr, "prog_bench: allowlist %s: %s\n", allowlist[i],
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The flood defence as an operator runs it: every feature on, the default scanner tokens in
 * their map. The rate is above 1e9/s, so the emission interval is 0: the bucket never empties
 * over millions of runs from one source, yet every run does the whole accounting (lookup,
 * division, compare-and-swap) a real limit does. The User-Agent is searched for and looked up
 * like any other. */

static int defence_setup(struct harness *h)
{
	defence_on.flags = summaries_on.flags | VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK | VOSFP_F_SCANNERS;
	for (int m = 0; m < VOSFP_METHODS; m++)
		defence_on.rate[m] = (struct vosfp_rate){ .rate = 0xFFFFFFFFu, .burst = 1 };
	defence_on.auto_block_after_ms = 0;
	defence_on.auto_block_ms = 1000;
	if (harness_set_scanners(h, NULL, 0)) {
		fprintf(stderr, "prog_bench: cannot load the scanner tokens: %s\n", strerror(errno));
		return -EIO;
	}
	return 0;
}

/* An attack under way: ATTACK_BLOCKS other sources (198.19.64.0 on) under timed blocks of an
 * hour, made as the agent restores them (the horizon and their slots raised). The horizon is
 * kept aside and put back only for the classes that measure the attack (attack_set): every
 * other class runs with nobody blocked, as before. */
#define ATTACK_BLOCKS 1000
static __u64 attack_horizon;

static int attack_set(struct harness *h, int on)
{
	__u64 horizon = on ? attack_horizon : 0;
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(h->skel->maps.auto_block_horizon), &zero, &horizon, BPF_ANY) ?
	       -errno : 0;
}

static int attack_setup(struct harness *h)
{
	struct vosfp_auto_block b = { .expires = harness_now(h) + 3600ULL * 1000000000ULL,
				      .reason = VOSFP_REASON_RATE };
	int err = 0;

	for (__u32 i = 0; i < ATTACK_BLOCKS && !err; i++) {
		struct vosfp_src_key key = { .addr = { [10] = 0xff, [11] = 0xff, 198, 19 } };
		__u32 host = (64u << 8) + i;

		key.addr[14] = host >> 8;
		key.addr[15] = host & 0xff;
		err = harness_auto_block(h, &key, &b);
	}
	attack_horizon = b.expires;
	if (err)
		fprintf(stderr, "prog_bench: cannot set the attack's blocks: %s\n", strerror(-err));
	return err ? err : attack_set(h, 0);
}

/* Every trial on one CPU: BPF_PROG_TEST_RUN runs where it is called, and a migration between
 * the program's trial and its baseline's would compare two different cores. */
static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "prog_bench: cannot pin to a CPU (%s); numbers may be noisier\n",
			strerror(errno));
}

/* Printed with the results: other work on the machine inflates every figure (ratios less so,
 * since each program trial alternates with its baseline's). */
static double load_average(void)
{
	double load = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = -1;
		fclose(f);
	}
	return load;
}

/* An image of sip_xdp_prog from path (this build's object, or another build's for -c: the one
 * before a change), loaded on the harness's own maps wherever a map of the same name exists, so
 * every image meets the same lists. A map only the other build has is created empty. With own_cfg,
 * the image has a sip_config of its own holding it (the same lists under another config). */
static int image_open(struct harness *h, const char *path, struct bpf_object **obj, struct target *t,
		      const struct vosfp_config *own_cfg)
{
	__u32 zero = 0;
	struct bpf_program *p;
	struct bpf_map *m;
	char why[160];
	int err = 0;

	*obj = bpf_object__open_file(path, NULL);
	if (!*obj) {
		fprintf(stderr, "prog_bench: cannot open %s: %s\n", path, strerror(errno));
		return -errno;
	}
	bpf_object__for_each_map(m, *obj) {
		const char *name = bpf_map__name(m);
		struct bpf_map *ours = bpf_object__find_map_by_name(h->skel->obj, name);

		if (own_cfg && !strcmp(name, "sip_config"))
			continue;
		if (!strchr(name, '.') && ours && (err = bpf_map__reuse_fd(m, bpf_map__fd(ours))))
			break;
	}
	if (!err)
		err = bpf_object__load(*obj);
	if (!err && own_cfg &&
	    bpf_map_update_elem(bpf_map__fd(bpf_object__find_map_by_name(*obj, "sip_config")), &zero, own_cfg, 0))
		err = -errno;
	if (!err)
		datapath_clock_set(*obj, why, sizeof(why));	/* as the agent does; an older object has no probe */
	p = err ? NULL : bpf_object__find_program_by_name(*obj, "sip_xdp_prog");
	if (!p) {
		fprintf(stderr, "prog_bench: cannot load sip_xdp_prog of %s on the bench's maps: %s\n",
			path, strerror(err ? -err : ENOENT));
		return err ? err : -ENOENT;
	}
	*t = (struct target){ .name = "sip_xdp_prog", .fd = bpf_program__fd(p) };
	return 0;
}

/* This build: the harness's program and images - 1 more from its object; the other build (-c):
 * images from its object; plain: this build's images with a config of their own, the defence off. */
static int builds_open(struct harness *h, const struct bench_opts *o, struct build *self,
		       struct build *other, struct build *plain)
{
	int err = 0;

	for (plain->n = 0; plain->n < o->images && !err; plain->n++)
		err = image_open(h, o->sip_obj, &plain->obj[plain->n], &plain->img[plain->n], &summaries_on);
	self->img[0] = (struct target){ .name = "sip_xdp_prog", .h = h };
	for (self->n = 1; self->n < o->images && !err; self->n++)
		err = image_open(h, o->sip_obj, &self->obj[self->n], &self->img[self->n], NULL);
	for (other->n = 0; o->compare_obj && other->n < o->images && !err; other->n++)
		err = image_open(h, o->compare_obj, &other->obj[other->n], &other->img[other->n], NULL);
	return err;
}

static void builds_close(struct build *self, struct build *other, struct build *plain)
{
	for (int i = 0; i < IMAGES_MAX; i++) {
		bpf_object__close(self->obj[i]);
		bpf_object__close(other->obj[i]);
		bpf_object__close(plain->obj[i]);
	}
}

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
		"usage: %s [-n ENTRIES] [-r REPEAT] [-t TRIALS] SIP_OBJ TRIVIAL_OBJ FLOOR_OBJ\n"
		"  Measures sip_xdp_prog (built into this binary from SIP_OBJ's skeleton) per\n"
		"  verdict class against trivial_pass/trivial_drop from TRIVIAL_OBJ, with ENTRIES\n"
		"  blocklist entries loaded; then the lower-bound programs of FLOOR_OBJ.\n"
		"  -n ENTRIES  blocklist size (default 1000000)\n"
		"  -r REPEAT   runs per trial, >= 1000 (default 1000000)\n"
		"  -t TRIALS   trials per figure, the median is reported (default 5)\n"
		"  -c OBJ      also measure OBJ's sip_xdp_prog (another build) on the same maps,\n"
		"              its trials interleaved with this build's (A/B in one run)\n"
		"  -i IMAGES   load each build this many times, trials spread over the copies\n"
		"              (1-8, default 1; the JIT's placement moves an image's cost by a few %%)\n"
		"  -k TEXT     only the classes whose name contains TEXT (and their floors)\n"
		"exit: 0 measured (targets met or not), 1 load failure or wrong verdict, 2 usage\n",
		argv0);
}

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	int opt;

	*o = (struct bench_opts){ .entries = 1000000, .repeat = 1000000, .trials = 5, .images = 1 };
	while ((opt = getopt(argc, argv, "n:r:t:c:k:i:h")) != -1) {
		switch (opt) {
		case 'i': o->images = atoi(optarg); break;
		case 'c': o->compare_obj = optarg; break;
		case 'k': o->only = optarg; break;
		case 'n': o->entries = strtoul(optarg, NULL, 10); break;
		case 'r': o->repeat = strtoul(optarg, NULL, 10); break;
		case 't': o->trials = atoi(optarg); break;
		case 'h': usage(stdout, argv[0]); exit(0);
		default: return -EINVAL;
		}
	}
	if (argc - optind != 3 || o->repeat < 1000 || o->trials < 1 || o->trials > 101 ||
	    o->entries >= BENCH_MAP_MAX || o->images < 1 || o->images > IMAGES_MAX)
		return -EINVAL;
	o->sip_obj = argv[optind];
	o->trivial_obj = argv[optind + 1];
	o->floor_obj = argv[optind + 2];
	return 0;
}

#define MAX_CLASSES 20
#define BENCH_DECISIONS 100000

/* The decisions' classes: the lists and summaries as usual, VOSFP_F_DECISIONS on. */
static struct vosfp_config decisions_on;

static const struct vosfp_config *config_of(const struct bench_class *c)
{
	return c->defence ? &defence_on : c->decisions ? &decisions_on : &summaries_on;
}

static int run(const struct bench_opts *o)
{
	static struct bench_class classes[MAX_CLASSES];
	struct result results[MAX_CLASSES];
	struct target pass, drop;
	struct build prog = { 0 }, other = { 0 }, plain = { 0 };
	struct bpf_object *trivial = NULL;
	struct floors floors = { 0 };
	struct blocklist bl;
	struct load_result load = { 0 };
	struct decision_load dl;
	struct harness h;
	double gen_ms = now_ms();
	int n = 0, err;

	if (blocklist_generate(&bl, o->entries)) {
		fprintf(stderr, "prog_bench: out of memory\n");
		return EXIT_RUNTIME;
	}
	gen_ms = now_ms() - gen_ms;
	if ((err = harness_open(&h, BENCH_MAP_MAX))) {
		blocklist_free(&bl);
		return EXIT_RUNTIME;
	}
	err = trivial_open(o->trivial_obj, &trivial, &pass, &drop);
	if (!err)
		err = harness_set_config(&h, &summaries_on);
	if (!err)
		err = allowlist_load(&h);
	if (!err)
		err = blocklist_load(&h, &bl, &load);
	/* As the agent runs it: the summaries kept in step with the lists. */
	if (!err)
		err = harness_sync_summaries(&h);
	if (!err)
		err = decision_load(&h, BENCH_DECISIONS, &dl);
	decisions_on = summaries_on;
	decisions_on.flags |= VOSFP_F_DECISIONS;
	if (!err && (n = classes_build(&h, classes, MAX_CLASSES, &bl, &dl)) < 0)
		err = n;
	if (!err)
		err = defence_setup(&h);
	if (!err)
		err = attack_setup(&h);
	if (!err)
		err = floors_open(&floors, o->floor_obj, h.block_fds[VOSFP_LIST_EXACT4],
				  bpf_map__fd(h.skel->maps.rate_slots), invite_ua_offset);
	if (!err)
		err = builds_open(&h, o, &prog, &other, &plain);
	if (err)
		goto out;
	if (o->only) {
		int kept = 0;

		for (int i = 0; i < n; i++)
			if (strstr(classes[i].name, o->only))
				classes[kept++] = classes[i];
		n = kept;
	}

	printf("vosfp prog bench: %u-entry blocklist (generated in %.0f ms), %u runs per trial, "
	       "median of %d trials over %d image%s of each program, CPU %d, load average %.2f\n\n",
	       bl.total, gen_ms, o->repeat, o->trials, o->images, o->images == 1 ? "" : "s",
	       sched_getcpu(), load_average());
	print_load(&bl, &load);
	print_summaries(&h);
	printf("decisions: %u in force (%u IPv4 addresses, %u IPv4 /24s, %u IPv6) written in %.1f ms; "
	       "dec_v4_sum %.2f%% of bits set\n\n", dl.count, dl.v4, dl.v4_ranges, dl.v6, dl.ms, dl.v4_sum_density);
	print_header();
	for (int i = 0; i < n && !err; i++) {
		const struct target *base = classes[i].action == XDP_DROP ? &drop : &pass;

		err = harness_set_config(&h, config_of(&classes[i]));
		if (!err)
			err = attack_set(&h, classes[i].attack);
		if (!err)
			err = verify(&h, base, &classes[i]);
		for (int k = 0; k < other.n && !err; k++)
			if (target_run(&other.img[k], classes[i].frame, classes[i].len, 1, NULL) != classes[i].action) {
				fprintf(stderr, "prog_bench: %s: the -c build returns another verdict\n",
					classes[i].name);
				err = -EINVAL;
			}
		if (!err)
			err = measure(&prog, base, o->compare_obj ? &other : NULL, &classes[i], o, &results[i]);
		if (!err)
			err = verify_after(&h, base, &classes[i]);
		if (!err)
			print_row(&classes[i], base, &results[i]);
		if (!err && o->compare_obj)
			print_compare(&classes[i], &results[i], 0);
		fflush(stdout);
	}
	if (!err)
		err = attack_set(&h, 0);
	if (err)
		goto out;

	printf("\n");
	printf("BENCH decisions entries=%u ms=%.1f v4_sum_density=%.2f\n", dl.count, dl.ms, dl.v4_sum_density);
	printf("BENCH load entries=%u ms=%.1f", bl.total, load.total_ms);
	for (int m = 0; m < VOSFP_LIST_MAPS; m++)
		printf(" %s=%u:%s", map_names[m], bl.maps[m].count, load.method[m]);
	printf("\n");
	for (int i = 0; i < n; i++) {
		const struct target *base = classes[i].action == XDP_DROP ? &drop : &pass;

		print_machine(&classes[i], base, &results[i]);
		if (o->compare_obj)
			print_compare(&classes[i], &results[i], 1);
	}
	err = run_floors(&floors, classes, n, &pass, &drop, o);
	if (!err)
		err = run_goals(&h, &prog, &plain, &floors, classes, n, &pass, &drop, o);
	/* Last: it adds a prefix of every length, ::/0 included, to the blocklist. -k names it
	 * blocked_v6_len. */
	if (!err && class_named(classes, n, "blocked_v6_exact") && (!o->only || strstr("blocked_v6_len", o->only)))
		err = run_v6_sweep(&h, &prog, class_named(classes, n, "blocked_v6_exact"), &bl, &drop, o);
	if (!err && (!o->only || strstr("egress", o->only))) {
		struct bpf_program *tc = bpf_object__find_program_by_name(trivial, "trivial_tc");

		err = tc ? run_egress(&h, bpf_program__fd(tc), o) : -ENOENT;
	}
out:
	if (err)
		fprintf(stderr, "prog_bench: aborted (%s)\n", strerror(err < 0 ? -err : err));
	bpf_object__close(trivial);
	builds_close(&prog, &other, &plain);
	floors_close(&floors);
	harness_close(&h);
	blocklist_free(&bl);
	return err ? EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;

	if (parse_args(argc, argv, &o)) {
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	pin_cpu();
	return run(&o);
}
