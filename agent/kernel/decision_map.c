/* decision_map.c - see decision_map.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "decision_map.h"
#include "pins.h"

static const char *const entry_maps[VOSFP_LIST_MAPS] = {
	[VOSFP_LIST_EXACT4] = "dec_ips", [VOSFP_LIST_EXACT6] = "dec_ips6",
	[VOSFP_LIST_NETS4] = "dec_nets", [VOSFP_LIST_NETS6] = "dec_nets6",
};

static int open_pinned(const char *pin_path, const char *name)
{
	char path[4352];

	pins_map_path(pin_path, name, path, sizeof(path));
	return bpf_obj_get(path);
}

void decision_maps_close(struct decision_maps *m)
{
	for (int i = 0; i < VOSFP_LIST_MAPS; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
	for (int k = 0; k < DECISION_SUMS; k++)
		if (m->sum_fd[k] >= 0)
			close(m->sum_fd[k]);
	if (m->traffic_fd >= 0)
		close(m->traffic_fd);
	memset(m, 0xFF, sizeof(*m));	/* every fd -1 */
}

int decision_maps_open(const char *pin_path, struct decision_maps *m, char *err, size_t errlen)
{
	const char *missing = NULL;
	int ret = 0;

	memset(m, 0xFF, sizeof(*m));
	for (int i = 0; i < VOSFP_LIST_MAPS && !missing; i++)
		if ((m->fd[i] = open_pinned(pin_path, entry_maps[i])) < 0)
			missing = entry_maps[i];
	for (int k = 0; k < DECISION_SUMS && !missing; k++)
		if ((m->sum_fd[k] = open_pinned(pin_path, decision_summary_maps[k])) < 0)
			missing = decision_summary_maps[k];
	if (!missing && (m->traffic_fd = open_pinned(pin_path, "dec_traffic")) < 0)
		missing = "dec_traffic";
	if (missing) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s/%s: %s%s", pin_path, missing, strerror(errno),
			 errno == ENOENT ? " (the pinned program predates decisions: the next program swap adds them)" : "");
		decision_maps_close(m);
	}
	return ret;
}

uint32_t decision_maps_id(const char *pin_path)
{
	char path[4352];

	pins_map_path(pin_path, entry_maps[VOSFP_LIST_EXACT4], path, sizeof(path));
	return pins_object_id(path);
}

static struct vosfp_prefix probe(enum vosfp_list_map m)
{
	int v4 = m == VOSFP_LIST_EXACT4 || m == VOSFP_LIST_NETS4;

	return (struct vosfp_prefix){ .family = v4 ? 4 : 6,
				      .len = m == VOSFP_LIST_EXACT4 ? 32 : m == VOSFP_LIST_EXACT6 ? 128 : 0 };
}

static size_t key_size_of(enum vosfp_list_map m)
{
	struct vosfp_prefix p = probe(m);
	__u8 scratch[VOSFP_LIST_KEY_MAX];

	return vosfp_prefix_key(&p, scratch);
}

static int push(struct decision_image *img, size_t *cap, enum vosfp_list_map m, const void *key,
		const struct vosfp_decision *v)
{
	if (img->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		struct decision_entry *nv = realloc(img->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		img->v = nv;
		*cap = ncap;
	}
	vosfp_prefix_from_key(m, key, &img->v[img->n].prefix);
	img->v[img->n++].value = *v;
	return 0;
}

/* Hashes in batches; LPM tries (no batch lookup) one key at a time. */
static int read_map(int fd, enum vosfp_list_map m, struct decision_image *img, size_t *cap)
{
	enum { BATCH = 4096 };
	static __u8 keys[BATCH * VOSFP_LIST_KEY_MAX];
	static struct vosfp_decision vals[BATCH];
	size_t ks = key_size_of(m);
	__u8 key[VOSFP_LIST_KEY_MAX], next[VOSFP_LIST_KEY_MAX];
	void *prev = NULL;

	if (m == VOSFP_LIST_EXACT4 || m == VOSFP_LIST_EXACT6) {
		__u64 in = 0, out = 0;

		for (int first = 1;; first = 0) {
			__u32 count = BATCH;
			int ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
			int e = ret ? errno : 0;

			if (ret && e != ENOENT)
				return -e;
			for (__u32 i = 0; i < count; i++)
				if (push(img, cap, m, keys + i * ks, &vals[i]))
					return -ENOMEM;
			if (e == ENOENT)
				return 0;
			in = out;
		}
	}
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		struct vosfp_decision v;

		if (bpf_map_lookup_elem(fd, next, &v) == 0 && push(img, cap, m, next, &v))
			return -ENOMEM;
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int cmp_entry(const void *a, const void *b)
{
	return decision_cmp(&((const struct decision_entry *)a)->prefix, &((const struct decision_entry *)b)->prefix);
}

int decision_maps_read(const struct decision_maps *m, struct decision_image *out)
{
	size_t cap = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < VOSFP_LIST_MAPS && !ret; i++)
		ret = read_map(m->fd[i], (enum vosfp_list_map)i, out, &cap);
	if (ret)
		decision_image_free(out);
	else if (out->n)	/* qsort(NULL, 0) is undefined: no decision held is the common case */
		qsort(out->v, out->n, sizeof(*out->v), cmp_entry);
	return ret;
}

/* The entries of img, grouped by map as key and value arrays, written or deleted. */
static int write_entries(const struct decision_maps *m, const struct decision_image *img, int add, char *err,
			 size_t errlen)
{
	size_t counts[VOSFP_LIST_MAPS] = { 0 };
	__u8 *keys[VOSFP_LIST_MAPS] = { 0 };
	struct vosfp_decision *vals[VOSFP_LIST_MAPS] = { 0 };
	int ret = 0;

	for (size_t i = 0; i < img->n; i++)
		counts[vosfp_prefix_map(&img->v[i].prefix)]++;
	for (int k = 0; k < VOSFP_LIST_MAPS && !ret; k++) {
		keys[k] = malloc(counts[k] * key_size_of(k) + 1);
		vals[k] = malloc(counts[k] * sizeof(*vals[k]) + 1);
		if (!keys[k] || !vals[k])
			ret = -ENOMEM;
		counts[k] = 0;
	}
	for (size_t i = 0; !ret && i < img->n; i++) {
		enum vosfp_list_map k = vosfp_prefix_map(&img->v[i].prefix);

		vosfp_prefix_key(&img->v[i].prefix, keys[k] + counts[k] * key_size_of(k));
		vals[k][counts[k]++] = img->v[i].value;
	}
	for (int k = 0; k < VOSFP_LIST_MAPS && !ret; k++) {
		size_t done = 0;

		ret = apply_entries(m->fd[k], keys[k], key_size_of(k), vals[k], sizeof(*vals[k]), counts[k], add, &done);
		if (ret)
			snprintf(err, errlen, "%s %s: %s (%zu of %zu done)", add ? "writing" : "removing", entry_maps[k],
				 strerror(-ret), done, counts[k]);
	}
	for (int k = 0; k < VOSFP_LIST_MAPS; k++) {
		free(keys[k]);
		free(vals[k]);
	}
	return ret;
}

/* Each decision summary has the geometry and the bits of the blocklist's own of its family. */
static const enum summary_kind decision_summary_kind[DECISION_SUMS] = {
	[DECISION_SUM_V4] = SUMMARY_BLOCK_NEAR,
	[DECISION_SUM_V6] = SUMMARY_BLOCK_V6,
	[DECISION_SUM_V6_WIDE] = SUMMARY_BLOCK_V6_WIDE,
};

static int summaries(const struct decision_maps *m, const uint64_t *const old[DECISION_SUMS],
		     const uint64_t *const new[DECISION_SUMS], enum summary_phase phase, char *err, size_t errlen)
{
	for (int k = 0; k < DECISION_SUMS; k++) {
		int ret = apply_summary(m->sum_fd[k], decision_summary_kind[k], old[k], new[k], phase);

		if (ret) {
			snprintf(err, errlen, "writing %s: %s", decision_summary_maps[k], strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int decision_maps_write(const struct decision_maps *m, const struct decision_image *write,
			const struct decision_image *remove, const uint64_t *const old[DECISION_SUMS],
			const uint64_t *const new[DECISION_SUMS], char *err, size_t errlen)
{
	int ret = summaries(m, old, new, SUMMARY_GROW, err, errlen);

	if (!ret)
		ret = write_entries(m, write, 1, err, errlen);
	if (!ret)
		ret = write_entries(m, remove, 0, err, errlen);
	if (!ret)
		ret = summaries(m, old, new, SUMMARY_SHRINK, err, errlen);
	return ret;
}

int decision_traffic_read(const char *pin_path, struct vosfp_traffic out[2][VOSFP_ORIGINS])
{
	int ncpus = libbpf_num_possible_cpus(), fd = open_pinned(pin_path, "dec_traffic"), ret = 0;

	memset(out, 0, sizeof(struct vosfp_traffic) * 2 * VOSFP_ORIGINS);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	for (__u32 passed = 0; passed < 2 && !ret; passed++)
		for (__u32 o = 0; o < VOSFP_ORIGINS && !ret; o++) {
			struct vosfp_traffic per_cpu[ncpus > 0 ? ncpus : 1];
			__u32 slot = passed * VOSFP_ORIGIN_SLOTS + o;

			if (bpf_map_lookup_elem(fd, &slot, per_cpu)) {
				ret = -errno;
				break;
			}
			for (int c = 0; c < ncpus; c++) {
				out[passed][o].packets += per_cpu[c].packets;
				out[passed][o].bytes += per_cpu[c].bytes;
			}
		}
	close(fd);
	return ret;
}
