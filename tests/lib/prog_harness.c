/* prog_harness.c - one place that knows how to load sip_xdp_prog for tests and the bench, fill
 * its lists and run frames through BPF_PROG_TEST_RUN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "autoblock_horizon.h"
#include "datapath_clock.h"
#include "prog_harness.h"
#include "scanner.h"
#include "sip_logic.skel.h"
#include "summary.h"

int harness_open(struct harness *h, uint32_t blocklist_max)
{
	struct bpf_map *block[VOSFP_LIST_MAPS], *allow[VOSFP_LIST_MAPS];
	char why[160];
	int err;

	memset(h, 0, sizeof(*h));
	h->skel = sip_logic__open();
	if (!h->skel) {
		fprintf(stderr, "harness: cannot open sip_logic object: %s\n", strerror(errno));
		return -errno;
	}
	block[VOSFP_LIST_EXACT4] = h->skel->maps.blocked_ips;
	block[VOSFP_LIST_EXACT6] = h->skel->maps.blocked_ips6;
	block[VOSFP_LIST_NETS4] = h->skel->maps.blocked_nets;
	block[VOSFP_LIST_NETS6] = h->skel->maps.blocked_nets6;
	allow[VOSFP_LIST_EXACT4] = h->skel->maps.allowed_ips;
	allow[VOSFP_LIST_EXACT6] = h->skel->maps.allowed_ips6;
	allow[VOSFP_LIST_NETS4] = h->skel->maps.allowed_nets;
	allow[VOSFP_LIST_NETS6] = h->skel->maps.allowed_nets6;
	for (int i = 0; blocklist_max && i < VOSFP_LIST_MAPS; i++)
		bpf_map__set_max_entries(block[i], blocklist_max);
	if (blocklist_max)
		bpf_map__set_max_entries(h->skel->maps.blocked_nets6_h, blocklist_max);

	err = sip_logic__load(h->skel);
	if (err) {
		fprintf(stderr, "harness: cannot load sip_logic (need root?): %s\n", strerror(-err));
		sip_logic__destroy(h->skel);
		h->skel = NULL;
		return err;
	}
	/* The clock the agent sets (clock_test.c checks it was set). */
	if (!datapath_clock_set(h->skel->obj, why, sizeof(why)))
		fprintf(stderr, "harness: the program keeps the coarse clock's helper: %s\n", why);
	for (int i = 0; i < VOSFP_LIST_MAPS; i++) {
		h->block_fds[i] = bpf_map__fd(block[i]);
		h->allow_fds[i] = bpf_map__fd(allow[i]);
	}
	h->sum_fds[SUMMARY_BLOCK_NEAR] = bpf_map__fd(h->skel->maps.blocked_v4_sum);
	h->sum_fds[SUMMARY_ALLOW_NEAR] = bpf_map__fd(h->skel->maps.allowed_v4_sum);
	h->sum_fds[SUMMARY_BLOCK_FULL] = bpf_map__fd(h->skel->maps.blocked_v4_full);
	h->sum_fds[SUMMARY_BLOCK_V6] = bpf_map__fd(h->skel->maps.blocked_v6_sum);
	h->sum_fds[SUMMARY_ALLOW_V6] = bpf_map__fd(h->skel->maps.allowed_v6_sum);
	h->sum_fds[SUMMARY_BLOCK_V6_WIDE] = bpf_map__fd(h->skel->maps.blocked_v6_wide);
	h->sum_fds[SUMMARY_ALLOW_V6_WIDE] = bpf_map__fd(h->skel->maps.allowed_v6_wide);
	h->sum_fds[SUMMARY_BLOCK_V6_FULL] = bpf_map__fd(h->skel->maps.blocked_v6_full);
	h->sum_fds[SUMMARY_BLOCK_V6_LEN] = bpf_map__fd(h->skel->maps.blocked_v6_len);
	h->sum_fds[SUMMARY_BLOCK_V4_PART] = bpf_map__fd(h->skel->maps.blocked_v4_part);
	h->block_nets6_h_fd = bpf_map__fd(h->skel->maps.blocked_nets6_h);
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		h->sums[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		if (!h->sums[k]) {
			harness_close(h);
			return -ENOMEM;
		}
	}
	h->prog_fd = bpf_program__fd(h->skel->progs.sip_xdp_prog);
	h->guard_fd = bpf_program__fd(h->skel->progs.sip_tc_guard);
	h->counters_fd = bpf_map__fd(h->skel->maps.xdp_counters);
	h->config_fd = bpf_map__fd(h->skel->maps.sip_config);
	h->iface_slots_fd = bpf_map__fd(h->skel->maps.iface_slots);
	h->iface_counters_fd = bpf_map__fd(h->skel->maps.iface_counters);
	h->ncpus = libbpf_num_possible_cpus();
	return 0;
}

int harness_auto_block(struct harness *h, const struct vosfp_src_key *key, const struct vosfp_auto_block *b)
{
	struct autoblock one = { .key = *key, .expires = b->expires };
	struct autoblock_set s = { .v = &one, .n = 1 };
	int err = autoblock_raise_horizons(bpf_map__fd(h->skel->maps.auto_block_horizon),
					   bpf_map__fd(h->skel->maps.auto_block_slots), &s);

	if (!err && bpf_map_update_elem(bpf_map__fd(h->skel->maps.auto_blocked), key, b, BPF_ANY))
		err = -errno;
	return err;
}

uint64_t harness_now(struct harness *h)
{
	return datapath_clock_now(h->skel->obj);
}

void harness_close(struct harness *h)
{
	if (h->skel)
		sip_logic__destroy(h->skel);
	h->skel = NULL;
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		free(h->sums[k]);
		h->sums[k] = NULL;
	}
}

/* Write the words of one summary that differ from `old` (NULL: every non-zero word). */
static int write_summary(int fd, const uint64_t *words, const uint64_t *old)
{
	for (__u32 i = 0; i < SUMMARY_WORDS; i++)
		if (old ? words[i] != old[i] : words[i] != 0)
			if (bpf_map_update_elem(fd, &i, &words[i], BPF_ANY))
				return -errno;
	return 0;
}

static int write_words(struct harness *h, int k, uint32_t first, uint32_t words)
{
	for (__u32 i = first; i < first + words && i < SUMMARY_WORDS; i++)
		if (bpf_map_update_elem(h->sum_fds[k], &i, &h->sums[k][i], BPF_ANY))
			return -errno;
	return 0;
}

/* The v6 summary words an entry touches (bpf/vosfp.h): its /32's hashed bit (length >= 32) or
 * the direct bits of its /24s (v6_wide, and v6_full for a blocklist prefix up to /24), and for a
 * blocklist prefix of /25 to /127 the v6_len bucket of its /32 or /24. */
static int follow_v6(struct harness *h, int blocklist, const struct vosfp_prefix *p)
{
	uint32_t top = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 | (uint32_t)p->addr[2] << 8 | p->addr[3];
	uint32_t first = (top >> 8) >> 6, words = p->len >= 24 ? 1 : ((1u << (24 - p->len)) + 63) / 64;
	int err;

	if (p->len >= 32)
		err = write_words(h, blocklist ? SUMMARY_BLOCK_V6 : SUMMARY_ALLOW_V6, vosfp_v6_sum_bit(top) >> 6, 1);
	else
		err = write_words(h, blocklist ? SUMMARY_BLOCK_V6_WIDE : SUMMARY_ALLOW_V6_WIDE, first, words);
	if (!err && blocklist && p->len < VOSFP_V6_LEN_MIN)
		err = write_words(h, SUMMARY_BLOCK_V6_FULL, first, words);
	if (!err && blocklist && p->len >= VOSFP_V6_LEN_MIN && p->len < 128)
		err = write_words(h, SUMMARY_BLOCK_V6_LEN,
				  p->len >= 32 ? vosfp_v6_len_bucket(top) : vosfp_v6_len_bucket24(top), 1);
	return err;
}

/* Keep the summaries of the list an entry joined in step: the words it touches. */
static int summary_follow(struct harness *h, int blocklist, const struct vosfp_prefix *p)
{
	int near = blocklist ? SUMMARY_BLOCK_NEAR : SUMMARY_ALLOW_NEAR;
	uint32_t first, words;

	summary_add(p, blocklist, h->sums);
	if (p->family == 6)
		return follow_v6(h, blocklist, p);
	if (p->family != 4)
		return 0;
	first = ((uint32_t)p->addr[0] << 16 | (uint32_t)p->addr[1] << 8 | p->addr[2]) >> 6;
	words = p->len >= 24 ? 1 : ((1u << (24 - p->len)) + 63) / 64;
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		if (k != near && !(blocklist && (k == SUMMARY_BLOCK_FULL || k == SUMMARY_BLOCK_V4_PART)))
			continue;
		for (__u32 i = first; i < first + words && i < SUMMARY_WORDS; i++)
			if (bpf_map_update_elem(h->sum_fds[k], &i, &h->sums[k][i], BPF_ANY))
				return -errno;
	}
	return 0;
}

int harness_set_config(struct harness *h, const struct vosfp_config *cfg)
{
	static const struct vosfp_config zero;
	__u32 key = 0;

	return bpf_map_update_elem(h->config_fd, &key, cfg ? cfg : &zero, BPF_ANY) ? -errno : 0;
}

int harness_set_scanners(struct harness *h, const char *const *tokens, unsigned n)
{
	struct vosfp_scanner_key keys[VOSFP_SCANNER_TOKENS_MAX];

	if (!tokens) {
		tokens = scanner_default_tokens;
		n = scanner_default_count;
	}
	if (n > VOSFP_SCANNER_TOKENS_MAX)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		if (scanner_key(tokens[i], &keys[i]))
			return -1;
	return apply_scanners(bpf_map__fd(h->skel->maps.scanner_tokens), bpf_map__fd(h->skel->maps.scanner_free),
			      keys, n, NULL, 0);
}

static int key_update(int fd, const void *key, int add)
{
	vosfp_list_value one = 1;

	if (add)
		return bpf_map_update_elem(fd, key, &one, BPF_ANY) ? -errno : 0;
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

/* mirror_fd: blocked_nets6_h for the blocklist (its v6 prefixes again), -1 for the allowlist. */
static int list_update(const int *fds, int mirror_fd, const struct vosfp_prefix *p, int add)
{
	__u8 key[VOSFP_LIST_KEY_MAX];
	enum vosfp_list_map m = vosfp_prefix_map(p);
	int err;

	vosfp_prefix_key(p, key);
	err = key_update(fds[m], key, add);
	if (!err && m == VOSFP_LIST_NETS6 && mirror_fd >= 0) {
		vosfp_prefix_index_key(p, key);
		err = key_update(mirror_fd, key, add);
	}
	return err;
}

int harness_block(struct harness *h, const struct vosfp_prefix *p)
{
	int err = list_update(h->block_fds, h->block_nets6_h_fd, p, 1);

	return err ? err : summary_follow(h, 1, p);
}

int harness_allow(struct harness *h, const struct vosfp_prefix *p)
{
	int err = list_update(h->allow_fds, -1, p, 1);

	return err ? err : summary_follow(h, 0, p);
}

int harness_unlist(struct harness *h, int blocklist, const struct vosfp_prefix *p)
{
	return list_update(blocklist ? h->block_fds : h->allow_fds, blocklist ? h->block_nets6_h_fd : -1, p, 0);
}

static void list_str(struct harness *h, const char *text, int block)
{
	struct vosfp_prefix p;
	char err[256];
	int ret;

	if (vosfp_prefix_parse(text, &p, err, sizeof(err))) {
		fprintf(stderr, "harness: bad test literal: %s\n", err);
		abort();
	}
	ret = block ? harness_block(h, &p) : harness_allow(h, &p);
	if (ret) {
		fprintf(stderr, "harness: cannot list %s: %s\n", text, strerror(-ret));
		abort();
	}
}

void harness_block_str(struct harness *h, const char *text)
{
	list_str(h, text, 1);
}

void harness_allow_str(struct harness *h, const char *text)
{
	list_str(h, text, 0);
}

static int map_clear(int fd)
{
	__u8 key[VOSFP_LIST_KEY_MAX], next[VOSFP_LIST_KEY_MAX];

	/* Always restart from the first key: deleting invalidates the iteration cursor. */
	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, sizeof(key));
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	}
	return 0;
}

int harness_clear_lists(struct harness *h)
{
	for (int i = 0; i < VOSFP_LIST_MAPS; i++) {
		int err = map_clear(h->block_fds[i]);

		if (!err)
			err = map_clear(h->allow_fds[i]);
		if (err)
			return err;
	}
	if (map_clear(h->block_nets6_h_fd))
		return -errno;
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		uint64_t *old = h->sums[k];

		h->sums[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		if (!h->sums[k] || write_summary(h->sum_fds[k], h->sums[k], old)) {
			free(old);
			return -ENOMEM;
		}
		free(old);
	}
	return 0;
}

/* Every entry of one list map into the list's summaries (and, mirror_fd >= 0, into that map). */
static int read_entries(int fd, enum vosfp_list_map m, int blocklist, uint64_t *const sums[SUMMARY_KINDS],
			int mirror_fd)
{
	__u8 key[VOSFP_LIST_KEY_MAX], next[VOSFP_LIST_KEY_MAX];
	struct vosfp_prefix p;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		vosfp_prefix_from_key(m, next, &p);
		summary_add(&p, blocklist, sums);
		if (mirror_fd >= 0) {
			__u8 index_key[sizeof(struct vosfp_addr6)];

			vosfp_prefix_index_key(&p, index_key);
			if (key_update(mirror_fd, index_key, 1))
				return -errno;
		}
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

int harness_sync_summaries(struct harness *h)
{
	uint64_t *words[SUMMARY_KINDS];
	int err = 0;

	for (int k = 0; k < SUMMARY_KINDS; k++) {
		words[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		if (!words[k])
			err = -ENOMEM;
	}
	for (int m = 0; !err && m < VOSFP_LIST_MAPS; m++) {
		err = read_entries(h->block_fds[m], (enum vosfp_list_map)m, 1, words,
				   m == VOSFP_LIST_NETS6 ? h->block_nets6_h_fd : -1);
		if (!err)
			err = read_entries(h->allow_fds[m], (enum vosfp_list_map)m, 0, words, -1);
	}
	for (int k = 0; !err && k < SUMMARY_KINDS; k++)
		err = write_summary(h->sum_fds[k], words[k], h->sums[k]);
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		if (err) {
			free(words[k]);
			continue;
		}
		free(h->sums[k]);
		h->sums[k] = words[k];
	}
	return err;
}
int harness_snapshot(struct harness *h, uint64_t *saved[SUMMARY_KINDS])
{
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		saved[k] = malloc(SUMMARY_BYTES);
		if (!saved[k]) {
			while (k--)
				free(saved[k]);
			return -ENOMEM;
		}
		memcpy(saved[k], h->sums[k], SUMMARY_BYTES);
	}
	return 0;
}

int harness_restore(struct harness *h, uint64_t *saved[SUMMARY_KINDS])
{
	int err = 0;

	for (int k = 0; k < SUMMARY_KINDS; k++) {
		if (!err)
			err = write_summary(h->sum_fds[k], saved[k], h->sums[k]);
		free(h->sums[k]);
		h->sums[k] = saved[k];
	}
	return err;
}

/* One program, one frame, `repeat` runs in the kernel: its return code, or a negative errno. */
static int run_prog(int prog_fd, const uint8_t *frame, size_t len, uint32_t repeat, uint32_t *ns_per_run)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = (__u32)len,
		.repeat = repeat,
	);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if (ns_per_run)
		*ns_per_run = opts.duration;
	return (int)opts.retval;
}

int harness_run_repeat(struct harness *h, const uint8_t *frame, size_t len, uint32_t repeat,
		       uint32_t *ns_per_run)
{
	return run_prog(h->prog_fd, frame, len, repeat, ns_per_run);
}

/* One run of prog_fd on frame with a test-run ctx; *retval gets the program's return. */
static int run_once(int prog_fd, const uint8_t *frame, size_t len, void *ctx, size_t ctx_size,
		    __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = frame,
		.data_size_in = (__u32)len,
		.ctx_in = ctx,
		.ctx_size_in = (__u32)ctx_size,
		.repeat = 1,
	);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

int harness_run_on(struct harness *h, const uint8_t *frame, size_t len, uint32_t ifindex)
{
	/* The kernel wants data 0 and data_end = the frame's length in a test-run ctx. */
	struct xdp_md ctx = { .data_end = (__u32)len, .ingress_ifindex = ifindex };
	__u32 action = 0;
	int err = run_once(h->prog_fd, frame, len, &ctx, sizeof(ctx), &action);

	return err ? err : (int)action;
}

int harness_guard_run_on(struct harness *h, const uint8_t *frame, size_t len, uint32_t ifindex,
			 int *verdict)
{
	/* The skb's interface is the namespace's ifindex (0: none); the guard reads ingress_ifindex. */
	struct __sk_buff ctx = { .ingress_ifindex = ifindex, .ifindex = ifindex };
	__u32 action = 0;
	int err = run_once(h->guard_fd, frame, len, &ctx, sizeof(ctx), &action);

	*verdict = (int)action;
	return err;
}

int harness_set_iface_slot(struct harness *h, uint32_t ifindex, uint32_t slot)
{
	return bpf_map_update_elem(h->iface_slots_fd, &ifindex, &slot, BPF_ANY) ? -errno : 0;
}

int harness_iface_traffic(struct harness *h, uint32_t slot, struct vosfp_traffic out[VOSFP_COUNTER_SLOTS])
{
	struct vosfp_traffic values[h->ncpus];

	for (__u32 i = 0; i < VOSFP_COUNTER_SLOTS; i++) {
		__u32 key = slot * VOSFP_COUNTER_SLOTS + i;

		if (bpf_map_lookup_elem(h->iface_counters_fd, &key, values))
			return -errno;
		memset(&out[i], 0, sizeof(out[i]));
		for (int cpu = 0; cpu < h->ncpus; cpu++) {
			out[i].packets += values[cpu].packets;
			out[i].bytes += values[cpu].bytes;
		}
	}
	return 0;
}

int harness_run(struct harness *h, const uint8_t *frame, size_t len)
{
	return harness_run_repeat(h, frame, len, 1, NULL);
}

int harness_run_egress_repeat(struct harness *h, const uint8_t *frame, size_t len, uint32_t repeat,
			      uint32_t *ns_per_run)
{
	return run_prog(bpf_program__fd(h->skel->progs.sip_answers), frame, len, repeat, ns_per_run);
}

int harness_run_egress(struct harness *h, const uint8_t *frame, size_t len)
{
	return harness_run_egress_repeat(h, frame, len, 1, NULL);
}


/* Slots 0..slots-1 of a per-CPU array of __u64, summed over all CPUs. */
static int sum_per_cpu(struct harness *h, int fd, uint64_t *out, unsigned slots)
{
	uint64_t values[h->ncpus];

	for (__u32 slot = 0; slot < slots; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, values))
			return -errno;
		out[slot] = 0;
		for (int cpu = 0; cpu < h->ncpus; cpu++)
			out[slot] += values[cpu];
	}
	return 0;
}

int harness_counters(struct harness *h, uint64_t *out, unsigned slots)
{
	return sum_per_cpu(h, h->counters_fd, out, slots);
}

int harness_run_counted(struct harness *h, const uint8_t *frame, size_t len, int *moved)
{
	uint64_t before[VOSFP_COUNTER_SLOTS], after[VOSFP_COUNTER_SLOTS];
	int action, err;

	*moved = -2;
	if ((err = harness_counters(h, before, VOSFP_COUNTER_SLOTS)))
		return err;
	action = harness_run(h, frame, len);
	if ((err = harness_counters(h, after, VOSFP_COUNTER_SLOTS)))
		return err;
	*moved = -1;
	for (int i = 0; i < VOSFP_COUNTER_SLOTS; i++)
		if (after[i] != before[i])
			*moved = *moved == -1 && after[i] - before[i] == 1 ? i : -2;
	return action;
}

int harness_answer_counters(struct harness *h, uint64_t out[VOSFP_COUNTER_SLOTS])
{
	return sum_per_cpu(h, bpf_map__fd(h->skel->maps.answer_counters), out, VOSFP_COUNTER_SLOTS);
}

int harness_reset_counters(struct harness *h)
{
	uint64_t zeros[h->ncpus];

	memset(zeros, 0, sizeof(zeros));
	for (__u32 slot = 0; slot < VOSFP_COUNTER_SLOTS; slot++)
		if (bpf_map_update_elem(h->counters_fd, &slot, zeros, BPF_ANY))
			return -errno;
	return 0;
}
