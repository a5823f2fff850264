/* safe_path.h - StrictModes for the agent's own directories (the pin directory, the lock
 * directory), as sshd and the OpenBSD daemons check theirs: a directory another local user could
 * change, replace or move away is refused, with what to do. It never changes a mode or an owner
 * it finds: it creates missing directories 0700 and judges the rest. */
#ifndef VOSFP_SAFE_PATH_H
#define VOSFP_SAFE_PATH_H

#include <stddef.h>

/* Every existing ancestor of path (path itself excluded): owned by root or the agent's user,
 * and not writable by group or others unless its sticky bit is set (then only an entry's owner
 * may rename or remove it: /tmp, and /sys/fs/bpf on Debian, 1777). A symbolic link on the way
 * must be owned by root or the agent's user too. 0, or -EPERM with why (naming `what` and path). */
int safe_path_parents(const char *path, const char *what, char *why, size_t len);

/* path itself: a directory, not a symbolic link, owned by the agent's user and not writable by
 * group or others. 1 it is, 0 it does not exist, -EPERM (or another -errno) with why. */
int safe_path_own_dir(const char *path, const char *what, char *why, size_t len);

/* safe_path_own_dir, creating path mode 0700 first when it does not exist (one level). A
 * directory another user made in the instant between is refused like any other. 0 or -errno. */
int safe_path_make_dir(const char *path, const char *what, char *why, size_t len);

#endif
