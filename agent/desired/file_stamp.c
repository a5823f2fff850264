/* file_stamp.c - see file_stamp.h. Taking a stamp before reading is what makes it exact: on
 * kernels with multigrain timestamps (6.13+) a change after a stat() gets a fine-grained ctime,
 * so even an edit in the same clock tick shows; elsewhere size and inode still tell most edits. */
#include <string.h>

#include "file_stamp.h"

void file_stamp_take(const char *path, struct file_stamp *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st))
		return;
	out->exists = 1;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime = st.st_mtim;
	out->ctime = st.st_ctim;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int file_stamp_same(const struct file_stamp *a, const struct file_stamp *b)
{
	if (a->exists != b->exists)
		return 0;
	return !a->exists || (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
			      same_time(&a->mtime, &b->mtime) && same_time(&a->ctime, &b->ctime));
}
