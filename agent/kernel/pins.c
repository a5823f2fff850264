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

#include <bpf/bpf.h>
#include <linux/magic.h>

#include "pins.h"
#include "safe_path.h"

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

void pins_dispatch_dir(const char *pin_path, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dispatch", pin_path);
}

void pins_dispatch_path(const char *pin_path, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/dispatch/%s", pin_path, ifname);
}

void pins_egress_dir(const char *pin_path, char *buf, size_t len)
{
	snprintf(buf, len, "%s/egress", pin_path);
}

void pins_egress_path(const char *pin_path, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/egress/%s", pin_path, ifname);
}

unsigned pins_object_id(const char *path)
{
	/* A map's and a program's info both start with their type and id; the program's, the
	 * larger, holds either (the kernel fills what the object has, the rest stays zero). */
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	unsigned id;

	if (fd < 0)
		return 0;
	id = bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
	close(fd);
	return id;
}

int pins_replace(int fd, const char *path)
{
	char tmp[4608];

	/* Not a dot name (bpffs refuses dots in names). A colon: no interface or map is named so. */
	snprintf(tmp, sizeof(tmp), "%s" PINS_TMP_SUFFIX, path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	if (rename(tmp, path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}

int pins_replace_in(const char *dir, const char *what, int fd, const char *path)
{
	char why[1024];
	int ret = safe_path_make_dir(dir, what, why, sizeof(why));

	if (!ret)
		ret = pins_replace(fd, path);
	if (ret)
		errno = -ret;
	return ret;
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

/* The lock files live in a directory only the agent's user can write (/run/lock and /tmp are
 * world-writable: a local user could hold a lock for ever, or plant a link for root to write
 * through). */
int pins_lock_file(const char *pin_path, const char *suffix, int *fd, char *why, size_t len)
{
	char path[4352], *c;
	struct stat st;
	int ret;

	*fd = -1;
	ret = safe_path_parents(PINS_LOCK_DIR, "lock directory", why, len);
	if (ret)
		return ret;
	if (mkdir(PINS_LOCK_DIR, 0700) && errno != EEXIST && errno != EACCES && errno != EROFS) {
		snprintf(why, len, "cannot create lock directory " PINS_LOCK_DIR ": %s", strerror(errno));
		return -errno;
	}
	/* Not root: root's lock directory is not ours to use (and no reconcile of ours can change the
	 * kernel without root anyway): go on unlocked, as before. */
	if (geteuid() != 0 && lstat(PINS_LOCK_DIR, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	ret = safe_path_own_dir(PINS_LOCK_DIR, "lock directory", why, len);
	if (ret <= 0)
		return ret;	/* 0: it could not be made (not root): unlocked */
	snprintf(path, sizeof(path), PINS_LOCK_DIR "/vosfp%s.%s", pin_path, suffix);
	for (c = path + strlen(PINS_LOCK_DIR "/"); *c; c++)
		if (*c == '/')
			*c = '_';
	*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (*fd < 0 || fstat(*fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		ret = *fd < 0 ? -errno : -EPERM;
		snprintf(why, len, "lock file %s: %s", path,
			 *fd < 0 ? strerror(errno) : "not a regular file of the agent's user: remove it");
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return ret;
	}
	return 0;
}

/* One reconcile at a time per pin_path, across processes (a daemon and a script's --once):
 * their transactions would otherwise interleave and break the safe order. */
int pins_lock(const char *pin_path, int *fd, char *why, size_t len)
{
	int ret = pins_lock_file(pin_path, "lock", fd, why, len);

	if (!ret && *fd >= 0 && flock(*fd, LOCK_EX)) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}
