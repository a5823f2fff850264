/* pins.c - the pin layout, in one place. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "pins.h"

const char *const pins_block_maps[VOSFP_LIST_MAPS] = {
	[VOSFP_LIST_EXACT4] = "blocked_ips",
	[VOSFP_LIST_EXACT6] = "blocked_ips6",
	[VOSFP_LIST_NETS4] = "blocked_nets",
	[VOSFP_LIST_NETS6] = "blocked_nets6",
};

const char pins_block_index_map[] = "blocked_nets6_h";

const char *const pins_allow_maps[VOSFP_LIST_MAPS] = {
	[VOSFP_LIST_EXACT4] = "allowed_ips",
	[VOSFP_LIST_EXACT6] = "allowed_ips6",
	[VOSFP_LIST_NETS4] = "allowed_nets",
	[VOSFP_LIST_NETS6] = "allowed_nets6",
};

void pins_map_path(const char *pin_path, const char *map, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", pin_path, map);
}

void pins_links_dir(const char *pin_path, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links", pin_path);
}

void pins_link_path(const char *pin_path, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%s", pin_path, ifname);
}

/* The nearest existing ancestor of path (path itself if it exists) into buf. */
static void nearest_existing(const char *path, char *buf, size_t len)
{
	struct stat st;
	char *slash;

	snprintf(buf, len, "%s", path);
	while (stat(buf, &st) && (slash = strrchr(buf, '/'))) {
		if (slash == buf) {
			buf[1] = '\0';
			return;
		}
		*slash = '\0';
	}
}

static int under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

int pins_ensure_bpffs(const char *pin_path, char *mounted, char *why, size_t len)
{
	char near[4096];
	struct statfs st;

	mounted[0] = why[0] = '\0';
	nearest_existing(pin_path, near, sizeof(near));
	if (statfs(near, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return 0;
	/* Mount only where bpffs belongs by convention; a bpffs over any other directory would
	 * hide what the operator keeps there. */
	if (!under(pin_path, PINS_BPFFS_ROOT)) {
		snprintf(why, len,
			 "%s is not on a bpf filesystem and vosfp mounts one only at " PINS_BPFFS_ROOT
			 ": choose a pin_path under " PINS_BPFFS_ROOT ", or mount one first (mount -t bpf bpf DIR)",
			 pin_path);
		return -EINVAL;
	}
	/* mode=0700 as systemd and bpftool mount it: pins are root's business. */
	if (mount("bpf", PINS_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		snprintf(why, len, "%s: no bpf filesystem is mounted and mounting one on " PINS_BPFFS_ROOT
			 " failed: %s (run as root, or mount -t bpf bpf " PINS_BPFFS_ROOT " first)",
			 pin_path, strerror(-err));
		return err;
	}
	snprintf(mounted, 64, "%s", PINS_BPFFS_ROOT);
	return 0;
}

/* One reconcile at a time per pin_path, across processes (a daemon and a script's --once):
 * their transactions would otherwise interleave and break the safe order. */
int pins_lock(const char *pin_path)
{
	char path[4352], *c;
	int fd;

	snprintf(path, sizeof(path), "%s/vosfp%s.lock", access("/run/lock", W_OK) ? "/tmp" : "/run/lock",
		 pin_path);
	for (c = path + strlen(access("/run/lock", W_OK) ? "/tmp/" : "/run/lock/"); *c; c++)
		if (*c == '/')
			*c = '_';
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}
