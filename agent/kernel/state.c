/* state.c - observed state from the bpf filesystem: list maps back into prefix sets, the runtime
 * config, map sizes, and the interfaces our pinned links are attached to (with their mode). */
#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "bpf_errno.h"
#include "egress.h"
#include "log.h"
#include "pins.h"
#include "state.h"
#include "summary.h"
#include "xdp_hook.h"

static int open_pinned(const char *pin_path, const char *name)
{
	char path[4352];

	pins_map_path(pin_path, name, path, sizeof(path));
	return bpf_obj_get(path);
}

#define LOOKUP_BATCH 65536

/* The prefix a key of list map m stands for: index_keys for the blocklist's prefix index
 * (blocked_nets6_h: marked addresses), else the list map's own layout. */
static int key_prefix(enum vosfp_list_map m, int index_keys, const __u8 *key, struct vosfp_prefix *p)
{
	if (index_keys)
		return vosfp_prefix_from_index_key(key, p);
	vosfp_prefix_from_key(m, key, p);
	return 0;
}

/* Hash maps (keys laid out as list map m's, or index keys): a million keys in a few batch
 * syscalls. 1 = done, 0 = not supported here. A key that names no prefix is skipped. */
static int read_list_batch(int fd, enum vosfp_list_map m, int index_keys, struct prefix_set *set)
{
	static __u8 keys[LOOKUP_BATCH * VOSFP_LIST_KEY_MAX];
	static vosfp_list_value values[LOOKUP_BATCH];
	struct vosfp_prefix probe = {
		.family = m == VOSFP_LIST_EXACT4 || m == VOSFP_LIST_NETS4 ? 4 : 6,
		.len = m == VOSFP_LIST_EXACT4 ? 32 : m == VOSFP_LIST_EXACT6 ? 128 : 0,
	};
	__u8 scratch[VOSFP_LIST_KEY_MAX];
	size_t key_size = index_keys ? sizeof(struct vosfp_addr6) : vosfp_prefix_key(&probe, scratch);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 in = 0, out = 0;
	int first = 1;

	for (;;) {
		__u32 count = LOOKUP_BATCH;
		struct vosfp_prefix p;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, values, &count, &opts);
		int err = ret ? errno : 0;

		if (ret && err != ENOENT)
			return first && (err == ENOTSUPP || err == EOPNOTSUPP || err == EINVAL) ? 0 : -err;
		for (__u32 i = 0; i < count; i++)
			if (!key_prefix(m, index_keys, keys + i * key_size, &p) && prefix_set_add(set, &p))
				return -ENOMEM;
		if (err == ENOENT)
			return 1;
		in = out;
		first = 0;
	}
}

/* is_hash: a hash map (the exact ones, the prefix index), read in batches where the kernel can;
 * index_keys as for read_list_batch. */
static int read_list(int fd, enum vosfp_list_map m, int is_hash, int index_keys, struct prefix_set *set)
{
	__u8 key[VOSFP_LIST_KEY_MAX], next[VOSFP_LIST_KEY_MAX];
	struct vosfp_prefix p;
	void *prev = NULL;

	if (is_hash) {
		int ret = read_list_batch(fd, m, index_keys, set);

		if (ret)
			return ret < 0 ? ret : 0;
	}
	/* LPM tries (and hashes without batches): one key at a time. */
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		if (!key_prefix(m, index_keys, next, &p) && prefix_set_add(set, &p))
			return -ENOMEM;
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	return errno == ENOENT ? 0 : -errno;
}

static __u32 map_size(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

/* max_entries of a pinned map; 0 when there is no such pin. */
static __u32 pinned_size(const char *pin_path, const char *name)
{
	int fd = open_pinned(pin_path, name);
	__u32 n;

	if (fd < 0)
		return 0;
	n = map_size(fd);
	close(fd);
	return n;
}

static int cmp_scanner_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vosfp_scanner_key));
}

/* The scanner tokens, sorted, and their free slots; a missing scanner_tokens (pins of an older
 * object) marks the maps outdated. */
static int read_scanners(const char *pin_path, struct observed *o)
{
	struct vosfp_scanner_key key, next;
	int fd = open_pinned(pin_path, "scanner_tokens");
	void *prev = NULL;

	if (fd < 0) {
		o->maps_outdated = 1;
		return errno == ENOENT ? 0 : -errno;
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct vosfp_scanner_key *v = realloc(o->scanners, (o->scanner_count + 1) * sizeof(*v));

		if (!v) {
			close(fd);
			return -ENOMEM;
		}
		o->scanners = v;
		v[o->scanner_count++] = next;
		key = next;
		prev = &key;
	}
	close(fd);
	fd = open_pinned(pin_path, "scanner_free");
	if (fd >= 0) {
		__u32 zero = 0;

		o->scanner_free_pinned = 1;
		if (bpf_map_lookup_elem(fd, &zero, &o->scanner_free))
			log_msg(LOG_WARNING, "%s/scanner_free: cannot read: %s", pin_path, strerror(errno));
		close(fd);
	}
	/* An empty map leaves scanners NULL, and qsort's base must never be NULL (C11 7.22.5). */
	if (o->scanner_count > 1)
		qsort(o->scanners, o->scanner_count, sizeof(*o->scanners), cmp_scanner_key);
	return 0;
}

/* The pinned sip_config's value size: another size means another object's layout. */
static __u32 value_size(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.value_size;
}

static int read_lists(struct observed *o, const char *pin_path, const char *const *names,
		      struct prefix_set *set, __u32 *size)
{
	for (int m = 0; m < VOSFP_LIST_MAPS; m++) {
		int fd = open_pinned(pin_path, names[m]), err;

		/* Its pin removed and beyond repair (kernel/pin_repair.h): new maps replace these. */
		if (fd < 0 && errno == ENOENT) {
			o->maps_outdated = 1;
			continue;
		}
		if (fd < 0)
			return -errno;
		*size = map_size(fd);
		err = set ? read_list(fd, m, m == VOSFP_LIST_EXACT4 || m == VOSFP_LIST_EXACT6, 0, set) : 0;
		close(fd);
		if (err)
			return err;
	}
	if (set)
		prefix_set_finish(set);
	return 0;
}

/* blocked_nets6_h (bpf/vosfp.h), when pinned; its contents only with_lists. */
static int read_blocked_index(const char *pin_path, struct observed *o, int with_lists)
{
	int fd = open_pinned(pin_path, pins_block_index_map), err = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	o->blocked_index_pinned = 1;
	if (with_lists)
		err = read_list(fd, VOSFP_LIST_NETS6, 1, 1, &o->blocked_index);
	close(fd);
	if (!err)
		prefix_set_finish(&o->blocked_index);
	return err;
}

static enum vosfp_xdp_mode mode_of(__u8 attach_mode)
{
	if (attach_mode == XDP_ATTACHED_SKB)
		return VOSFP_MODE_GENERIC;
	if (attach_mode == XDP_ATTACHED_HW)
		return VOSFP_MODE_OFFLOAD;
	return VOSFP_MODE_NATIVE;
}

/* Every attachment vosfp pinned with hook's method (its pin directory): the interface, whether
 * the attachment is on it now, and its mode. */
static int read_attachments(const char *pin_path, const struct xdp_hook *hook, struct observed *o)
{
	char dir_path[4352];
	struct dirent *e;
	DIR *dir;

	if (hook->method == VOSFP_ATTACH_DISPATCHER)
		pins_dispatch_dir(pin_path, dir_path, sizeof(dir_path));
	else
		pins_links_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dir))) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		struct observed_iface *oi, *v;
		int ifindex;

		/* ':' is in no interface name: a pin being replaced (pins.h). */
		if (e->d_name[0] == '.' || strchr(e->d_name, ':') || strlen(e->d_name) >= IF_NAMESIZE)
			continue;
		v = realloc(o->ifaces, (o->iface_count + 1) * sizeof(*v));
		if (!v)
			break;
		o->ifaces = v;
		oi = &o->ifaces[o->iface_count++];
		memset(oi, 0, sizeof(*oi));
		memcpy(oi->name, e->d_name, strlen(e->d_name) + 1);
		oi->method = hook->method;
		/* A link whose interface vanished, or that someone detached, a program taken out of
		 * the dispatcher: not on the interface any more, and so not ours. */
		oi->ours = hook->attached(pin_path, oi->name);
		ifindex = (int)if_nametoindex(oi->name);
		if (oi->ours && bpf_xdp_query(ifindex, 0, &q) == 0)
			oi->mode = mode_of(q.attach_mode);
	}
	closedir(dir);
	return 0;
}

/* The egress filters vosfp recorded (<pin_path>/egress/<ifname>), each attached or not: a record
 * whose filter is gone (the interface was deleted, someone removed it) is still listed, so the
 * plan clears it. */
static int read_egress(const char *pin_path, struct observed *o)
{
	char dir_path[4352];
	struct dirent *e;
	DIR *dir;

	pins_egress_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dir))) {
		struct observed_egress *v;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IF_NAMESIZE)
			continue;
		v = realloc(o->egress, (o->egress_count + 1) * sizeof(*v));
		if (!v)
			break;
		o->egress = v;
		v = &o->egress[o->egress_count++];
		memset(v, 0, sizeof(*v));
		memcpy(v->name, e->d_name, strlen(e->d_name) + 1);
		v->attached = egress_recorded_attached(pin_path, e->d_name, NULL);
	}
	closedir(dir);
	return 0;
}

/* A summary array: 2 MB, read in one batch (or word by word where batches are refused). An
 * optional one an older object did not pin stays NULL: all zero, as the map made for it will be. */
static int read_summary(struct observed *o, const char *pin_path, enum summary_kind k, uint64_t **out)
{
	static __u32 keys[SUMMARY_WORDS];
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count = SUMMARY_WORDS, out_batch = 0;
	uint64_t *words = calloc(SUMMARY_WORDS, sizeof(uint64_t));
	int fd = open_pinned(pin_path, summary_map_names[k]), err = 0;

	if (fd < 0 && errno == ENOENT) {
		/* An older object's (optional) or a pin removed beyond repair: new maps then. */
		o->maps_outdated |= !summary_optional(k);
		free(words);
		return 0;
	}
	if (!words || fd < 0) {
		err = !words ? -ENOMEM : -errno;
		goto out;
	}
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, words, &count, &opts) &&
	    errno != ENOENT) {
		for (__u32 i = 0; i < SUMMARY_WORDS; i++)
			if (bpf_map_lookup_elem(fd, &i, &words[i])) {
				err = -errno;
				goto out;
			}
	}
out:
	if (fd >= 0)
		close(fd);
	if (err)
		free(words);
	else
		*out = words;
	return err;
}

int state_read(const char *pin_path, struct observed *o, int with_lists)
{
	__u32 zero = 0;
	int fd, err;

	memset(o, 0, sizeof(*o));
	if (access(pin_path, F_OK)) {
		o->readable = errno == ENOENT;
		return 0;
	}
	fd = open_pinned(pin_path, "sip_config");
	if (fd < 0) {
		o->readable = errno == ENOENT;	/* EPERM/EACCES: not root */
		return 0;
	}
	o->readable = o->pinned = 1;
	if (value_size(fd) != sizeof(o->runtime)) {
		/* Reading it into our struct would be wrong; new maps replace it. */
		o->maps_outdated = 1;
	} else if (bpf_map_lookup_elem(fd, &zero, &o->runtime))
		log_msg(LOG_WARNING, "%s/sip_config: cannot read: %s", pin_path, strerror(errno));
	close(fd);
	err = read_lists(o, pin_path, pins_block_maps, with_lists ? &o->blocked : NULL, &o->blocklist_max);
	if (!err)
		err = read_lists(o, pin_path, pins_allow_maps, with_lists ? &o->allowed : NULL, &o->allowlist_max);
	if (!err)
		err = read_blocked_index(pin_path, o, with_lists);
	o->v4_part_pinned = pinned_size(pin_path, summary_map_names[SUMMARY_BLOCK_V4_PART]) != 0;
	if (!err)
		err = read_scanners(pin_path, o);
	if (!err) {
		o->rate_sources_max = pinned_size(pin_path, "rate_state");
		o->auto_block_max = pinned_size(pin_path, "auto_blocked");
	}
	for (int k = 0; !err && with_lists && k < SUMMARY_KINDS; k++)
		err = read_summary(o, pin_path, (enum summary_kind)k, &o->summaries[k]);
	if (!err)
		err = read_attachments(pin_path, &xdp_hook_link, o);
	if (!err)
		err = read_attachments(pin_path, &xdp_hook_dispatch, o);
	if (!err)
		err = read_egress(pin_path, o);
	if (err) {
		log_msg(LOG_ERR, "%s: cannot read pinned state: %s", pin_path, strerror(-err));
		observed_free(o);
	}
	return err;
}
