/* file_trust.h - how the agent opens every file whose content it acts on: the config, list files,
 * interface files, key and credential files, its own state files (StrictModes, as sshd and the
 * OpenBSD daemons). Promise: a descriptor only for a regular file owned by root (or the agent's
 * own user) and not writable by group or others, reached through directories of which the same
 * holds (every one from / on, those holding a symlink followed included; a shared directory only
 * with the sticky bit and then only for an entry of root's; on a read-only mount, where nobody can
 * change anything, owners and modes are not held against it), opened without blocking (a FIFO or a device is refused before it is opened) and read
 * within a stated bound. It never cuts a path short and never reads past the bound. */
#ifndef VOSFP_FILE_TRUST_H
#define VOSFP_FILE_TRUST_H

#include <stddef.h>
#include <sys/stat.h>

/* The last component must not be a symbolic link: for the agent's own state files, which nobody
 * has a reason to link elsewhere. */
#define TRUST_NOFOLLOW 0x1

/* Open path for reading (O_CLOEXEC). Returns the descriptor with *st filled, or a negative errno
 * with why saying what is wrong and what to do, without naming path itself (the caller does):
 * -EPERM when it is unsafe ("unsafe: writable by group or others (mode 0666), who could change
 * it: chmod go-w PATH"), -ENOENT when it does not exist, -EINVAL when it is not a regular file,
 * -ELOOP for a symlink under TRUST_NOFOLLOW (or too many), -ENAMETOOLONG, or the error of the
 * failing call (-EACCES). A relative path is checked from / through the current directory. */
int trusted_open(const char *path, unsigned flags, struct stat *st, char *why, size_t len);

/* Is dir a safe place for the agent's own files (its state): a directory reached as trusted_open
 * reaches a file, not writable by group or others even with the sticky bit (a sticky directory
 * lets others pre-create a name). 0 with real (PATH_MAX) the resolved directory, or -errno and why. */
int trusted_dir(const char *dir, char *real, char *why, size_t len);

/* The whole file, NUL-terminated, in *buf (to free) and *size. A file of more than max bytes is
 * -EFBIG, found before it is read; a read error is an error, never an end of file. */
int trusted_read(const char *path, unsigned flags, size_t max, char **buf, size_t *size, char *why,
		 size_t len);

/* Read up to count bytes at the descriptor's offset, retrying interrupted and short reads: the
 * number read (less than count only at the end of the file), or a negative errno. */
long trusted_read_fd(int fd, void *buf, size_t count);

#endif
