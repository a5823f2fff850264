/* file_stamp.h - what a file looked like when the agent read it (identity, size, times), so the
 * daemon can tell afterwards whether it changed since: exactly, by comparing two stamps, with no
 * guess about which clock the kernel stamped it with. Reads metadata only, never contents. */
#ifndef VOSFP_FILE_STAMP_H
#define VOSFP_FILE_STAMP_H

#include <sys/stat.h>

struct file_stamp {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* Stamp the file at path (followed through symlinks: a swapped ConfigMap "..data" link is a new
 * file). A path that does not exist gets a stamp too: its appearance is a change. */
void file_stamp_take(const char *path, struct file_stamp *out);
int file_stamp_same(const struct file_stamp *a, const struct file_stamp *b);

#endif
