/* pins.c - the pin layout, in one place. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
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

int pins_on_bpffs(const char *pin_path)
{
	char parent[4096];
	struct statfs st;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_path);
	if (statfs(parent, &st) == 0)
		return st.f_type == BPF_FS_MAGIC;
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	return statfs(parent, &st) == 0 && st.f_type == BPF_FS_MAGIC;
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
