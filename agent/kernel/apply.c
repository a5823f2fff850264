/* apply.c - map writes for list changes. A million entries go in a handful of batch syscalls;
 * a one-line edit is one syscall. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "apply.h"
#include "scanner.h"
#include "summary.h"
#include "bpf_errno.h"

#define BATCH_ENTRIES 65536	/* per syscall: bounds the kernel's copy, not our speed */

static int one_by_one(int fd, const __u8 *keys, size_t key_size, const __u8 *values, size_t value_size,
		      size_t n, int add, size_t *done)
{
	for (size_t i = 0; i < n; i++) {
		const void *key = keys + i * key_size;
		int ret = add ? bpf_map_update_elem(fd, key, values + i * value_size, BPF_ANY)
			      : bpf_map_delete_elem(fd, key);

		/* Deleting what is already gone is the goal reached, not a failure. */
		if (ret && !(!add && errno == ENOENT))
			return -errno;
		(*done)++;
	}
	return 0;
}

int apply_entries(int fd, const void *keys, size_t key_size, const void *values, size_t value_size, size_t n,
		  int add, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);

	for (size_t off = 0; off < n; off += BATCH_ENTRIES) {
		size_t chunk_n = n - off < BATCH_ENTRIES ? n - off : BATCH_ENTRIES;
		__u32 count = (__u32)chunk_n;
		const __u8 *chunk = (const __u8 *)keys + off * key_size;
		const __u8 *vals = add ? (const __u8 *)values + off * value_size : NULL;
		int ret = add ? bpf_map_update_batch(fd, chunk, vals, &count, &opts)
			      : bpf_map_delete_batch(fd, chunk, &count, &opts);

		if (ret && (errno == ENOTSUPP || errno == EOPNOTSUPP || errno == ENOENT)) {
			/* Maps without batch ops (the kernel says so before touching anything), and
			 * a batch delete that stopped at a key already gone: finish the chunk one
			 * entry at a time from where the kernel stopped. */
			if (errno != ENOENT)
				count = 0;
			*done += count;
			ret = one_by_one(fd, chunk + (size_t)count * key_size, key_size,
					 vals ? vals + (size_t)count * value_size : NULL, value_size,
					 chunk_n - count, add, done);
			if (ret)
				return ret;
			continue;
		}
		if (ret)
			return -errno;
		*done += count;
	}
	return 0;
}

/* p's key in its map of fds (key: VOSFP_LIST_KEY_MAX bytes); returns the key's size. */
static size_t list_key(const struct list_fds *fds, const struct vosfp_prefix *p, __u8 *key)
{
	if (fds->index_keys && vosfp_prefix_map(p) == VOSFP_LIST_NETS6) {
		vosfp_prefix_index_key(p, key);
		return sizeof(struct vosfp_addr6);
	}
	return vosfp_prefix_key(p, key);
}

/* List values are all one: presence is what counts. */
static int write_keys(int fd, const __u8 *keys, size_t key_size, size_t n, int add, size_t *done)
{
	static vosfp_list_value ones[BATCH_ENTRIES];

	if (!ones[0])
		memset(ones, 1, sizeof(ones));
	for (size_t off = 0; off < n; off += BATCH_ENTRIES) {
		size_t chunk_n = n - off < BATCH_ENTRIES ? n - off : BATCH_ENTRIES;
		int ret = apply_entries(fd, keys + off * key_size, key_size, ones, sizeof(ones[0]), chunk_n, add, done);

		if (ret)
			return ret;
	}
	return 0;
}

int apply_list(const struct list_fds *fds, const struct prefix_set *s, int add, size_t *done,
	       char *err, size_t errlen)
{
	size_t counts[VOSFP_LIST_MAPS] = { 0 }, key_size[VOSFP_LIST_MAPS];
	__u8 *keys[VOSFP_LIST_MAPS] = { 0 };
	int ret = 0;

	*done = 0;
	for (size_t i = 0; i < s->n; i++)
		counts[vosfp_prefix_map(&s->v[i])]++;
	for (int m = 0; m < VOSFP_LIST_MAPS; m++) {
		struct vosfp_prefix probe = { .family = m == VOSFP_LIST_EXACT4 || m == VOSFP_LIST_NETS4 ? 4 : 6 };
		__u8 scratch[VOSFP_LIST_KEY_MAX];

		probe.len = m == VOSFP_LIST_EXACT4 ? 32 : m == VOSFP_LIST_EXACT6 ? 128 : 0;
		key_size[m] = list_key(fds, &probe, scratch);
		keys[m] = malloc(counts[m] * key_size[m] + 1);
		if (!keys[m])
			ret = -ENOMEM;
		counts[m] = 0;
	}
	for (size_t i = 0; !ret && i < s->n; i++) {
		enum vosfp_list_map m = vosfp_prefix_map(&s->v[i]);

		list_key(fds, &s->v[i], keys[m] + counts[m]++ * key_size[m]);
	}
	for (int m = 0; !ret && m < VOSFP_LIST_MAPS; m++) {
		size_t before = *done;

		ret = write_keys(fds->fd[m], keys[m], key_size[m], counts[m], add, done);
		if (ret) {
			const __u8 *key = keys[m] + (*done - before) * key_size[m];
			struct vosfp_prefix p;
			char text[VOSFP_PREFIX_STRLEN];

			if (fds->index_keys && m == VOSFP_LIST_NETS6)
				vosfp_prefix_from_index_key(key, &p);
			else
				vosfp_prefix_from_key(m, key, &p);
			snprintf(err, errlen, "%s %s: %s", add ? "adding" : "removing",
				 vosfp_prefix_str(&p, text, sizeof(text)), strerror(-ret));
		}
	}
	for (int m = 0; m < VOSFP_LIST_MAPS; m++)
		free(keys[m]);
	return ret;
}

/* Write the words of a summary a phase needs: GROW old and new together (summary_grow) where
 * that differs from old, FINAL new where it differs from old, UNDO old wherever the two differ,
 * SHRINK new where what GROW left differs from it (half of FINAL's writes after a GROW that only
 * added bits: 100,000 decisions set ~95,000 words). All in one batch: a first start with a big
 * list changes most of the 262144 words. */
int apply_summary(int fd, enum summary_kind k, const uint64_t *old, const uint64_t *new,
		  enum summary_phase phase)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	__u32 *keys = malloc(SUMMARY_WORDS * sizeof(*keys));
	uint64_t *values = malloc(SUMMARY_WORDS * sizeof(*values));
	__u32 n = 0, count;
	int ret = 0;

	if (!keys || !values) {
		ret = -ENOMEM;
		goto out;
	}
	for (__u32 i = 0; i < SUMMARY_WORDS; i++) {
		uint64_t grown;

		if (old[i] == new[i])
			continue;
		/* After GROW the word holds grown (written, or already old when equal). */
		grown = phase == SUMMARY_GROW || phase == SUMMARY_SHRINK ? summary_grow(k, old[i], new[i]) : 0;
		if ((phase == SUMMARY_GROW && grown == old[i]) || (phase == SUMMARY_SHRINK && grown == new[i]))
			continue;
		keys[n] = i;
		values[n++] = phase == SUMMARY_GROW ? grown : phase == SUMMARY_UNDO ? old[i] : new[i];
	}
	count = n;
	if (n && bpf_map_update_batch(fd, keys, values, &count, &opts)) {
		/* Without batch support: word by word. */
		if (errno != ENOTSUPP && errno != EOPNOTSUPP) {
			ret = -errno;
			goto out;
		}
		for (__u32 i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &keys[i], &values[i], BPF_ANY)) {
				ret = -errno;
				break;
			}
	}
out:
	free(keys);
	free(values);
	return ret;
}

static int has_key(const struct vosfp_scanner_key *v, unsigned n, const struct vosfp_scanner_key *k)
{
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(&v[i], k, sizeof(*k)))
			return 1;
	return 0;
}

static int write_free(int free_fd, const struct vosfp_scanner_key *a, unsigned n,
		      const struct vosfp_scanner_key *b, unsigned m)
{
	struct vosfp_scanner_free f;
	__u32 zero = 0;

	if (free_fd < 0)
		return 0;
	scanner_free_build(a, n, b, m, &f);
	return bpf_map_update_elem(free_fd, &zero, &f, BPF_ANY) ? -errno : 0;
}

/* A few hundred keys at most: plain loops are enough. The free slots of both sets first, so no
 * key is ever added on a slot the datapath reads as free; the new set's once the old keys are
 * gone. */
int apply_scanners(int fd, int free_fd, const struct vosfp_scanner_key *want, unsigned n,
		   const struct vosfp_scanner_key *have, unsigned m)
{
	vosfp_list_value one = 1;
	int err = write_free(free_fd, want, n, have, m);

	for (unsigned i = 0; !err && i < n; i++)
		if (!has_key(have, m, &want[i]) && bpf_map_update_elem(fd, &want[i], &one, BPF_ANY))
			err = -errno;
	for (unsigned i = 0; !err && i < m; i++)
		if (!has_key(want, n, &have[i]) && bpf_map_delete_elem(fd, &have[i]) && errno != ENOENT)
			err = -errno;
	return err ? err : write_free(free_fd, want, n, NULL, 0);
}
