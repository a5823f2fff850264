/* pins.h - where vosfp keeps its state in the bpf filesystem, so filtering and policy outlive the
 * agent: <pin_path>/<map name> for every map, <pin_path>/links/<ifname> for every XDP link,
 * <pin_path>/dispatch/<ifname> for the program vosfp runs in an interface's libxdp dispatcher
 * (xdp_dispatch.h), <pin_path>/egress/<ifname> for the program of every egress filter (egress.h). */
#ifndef VOSFP_PINS_H
#define VOSFP_PINS_H

#include <stddef.h>

#include "addr.h"

/* List map names, indexed by enum vosfp_list_map. */
extern const char *const pins_block_maps[VOSFP_LIST_MAPS];
extern const char *const pins_allow_maps[VOSFP_LIST_MAPS];
/* The blocklist's IPv6 prefixes again, in a hash (bpf/vosfp.h: the prefix index). */
extern const char pins_block_index_map[];

void pins_map_path(const char *pin_path, const char *map, char *buf, size_t len);
void pins_link_path(const char *pin_path, const char *ifname, char *buf, size_t len);
void pins_links_dir(const char *pin_path, char *buf, size_t len);
void pins_dispatch_dir(const char *pin_path, char *buf, size_t len);
void pins_dispatch_path(const char *pin_path, const char *ifname, char *buf, size_t len);
void pins_egress_dir(const char *pin_path, char *buf, size_t len);
void pins_egress_path(const char *pin_path, const char *ifname, char *buf, size_t len);

/* Pin fd at path, replacing what is pinned there in one step: pinned under a temporary name
 * beside it (path + PINS_TMP_SUFFIX: readers of the pin directory skip names with a colon),
 * then renamed over it (bpffs renames atomically), so path never goes missing and a
 * link or map whose only other holder is this process survives the process dying in between.
 * 0 or -errno. */
#define PINS_TMP_SUFFIX ":new"
int pins_replace(int fd, const char *path);

/* The id of the map or program pinned at path (which one it is tells a reload from a restart);
 * 0 when nothing can be read there. */
unsigned pins_object_id(const char *path);

/* pins_replace into a subdirectory of pin_path (links/, dispatch/): the directory is made 0700
 * first when missing, and refused when it is not the agent's own (safe_path.h; what names it in
 * the message). 0 or -errno (errno set too). */
int pins_replace_in(const char *dir, const char *what, int fd, const char *path);

/* Where bpf filesystems are mounted by convention (systemd, bpftool, Cilium). */
#define PINS_BPFFS_ROOT "/sys/fs/bpf"

/* Make sure pin_path can be on a bpf filesystem: when none is mounted where it will live and
 * pin_path is under PINS_BPFFS_ROOT, mount one there (hosts without systemd as PID 1 have none).
 * Returns 0 (mounted is then the mount point made, or empty when one was there already), or
 * -errno with why saying what to do (mounted[] has room for 64 bytes). */
int pins_ensure_bpffs(const char *pin_path, char *mounted, char *why, size_t len);

/* Where the reconcile locks live: made 0700 by the agent, refused when another user could write
 * it (safe_path.h). */
#define PINS_LOCK_DIR "/run/vosfp"

/* Open (made if missing) the lock file PINS_LOCK_DIR/vosfp<pin_path, '/' -> '_'>.<suffix>, not
 * locked: 0 with *fd (-1: the directory cannot be made, e.g. not root: the caller goes on
 * without it), or -errno with why when the directory or the file is not the agent's own. */
int pins_lock_file(const char *pin_path, const char *suffix, int *fd, char *why, size_t len);

/* Take the exclusive lock that serializes reconciles of one pin_path across processes (suffix
 * "lock"). As pins_lock_file; *fd is the fd to close to release it. */
int pins_lock(const char *pin_path, int *fd, char *why, size_t len);

#endif
