/* file_trust.c - see file_trust.h. Every check is made on what was opened (fstat of the
 * descriptor), the check before open only keeps FIFOs and devices from being opened at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_trust.h"

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO (reading it would wait for a writer)";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISLNK(m))
		return "a symbolic link";
	return "of an unknown type";
}

static int fail(int err, char *why, size_t len, const char *fmt, const char *arg)
{
	snprintf(why, len, fmt, arg);
	return err;
}

int trusted_open(const char *path, unsigned flags, struct stat *st, char *why, size_t len)
{
	struct stat pre;
	int fd;

	if ((flags & TRUST_NOFOLLOW ? lstat(path, &pre) : stat(path, &pre)) < 0)
		return fail(-errno, why, len, "%s", strerror(errno));
	if (S_ISLNK(pre.st_mode))
		return fail(-ELOOP, why, len, "%s",
			    "a symbolic link: the agent's own state file must not be one (remove the link)");
	if (!S_ISREG(pre.st_mode))
		return fail(-EINVAL, why, len, "%s, not a regular file", kind_of(pre.st_mode));
	/* O_NONBLOCK: should a FIFO take the file's place after the check, open returns at once. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (flags & TRUST_NOFOLLOW ? O_NOFOLLOW : 0));
	if (fd < 0)
		return fail(-errno, why, len, "%s", strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_dev != pre.st_dev || st->st_ino != pre.st_ino) {
		close(fd);
		return fail(-EAGAIN, why, len, "%s", "replaced while being opened: try again");
	}
	return fd;
}

long trusted_read_fd(int fd, void *buf, size_t count)
{
	size_t n = 0;

	while (n < count) {
		ssize_t got = read(fd, (char *)buf + n, count - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		n += (size_t)got;
	}
	return (long)n;
}

int trusted_read(const char *path, unsigned flags, size_t max, char **buf, size_t *size, char *why,
		 size_t len)
{
	struct stat st;
	size_t cap, n = 0;
	char *b = NULL;
	int fd = trusted_open(path, flags, &st, why, len), err = 0;

	if (fd < 0)
		return fd;
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		snprintf(why, len, "%lld bytes, more than the %zu such a file may have", (long long)st.st_size, max);
		return -EFBIG;
	}
	/* Room for one byte more than fstat saw: a full buffer means the file grew since. */
	for (cap = (size_t)st.st_size + 1;; cap = cap > (max + 1) / 2 ? max + 1 : cap * 2) {
		char *bigger = realloc(b, cap + 1);
		long got;

		if (!bigger) {
			err = -ENOMEM;
			break;
		}
		b = bigger;
		got = trusted_read_fd(fd, b + n, cap - n);
		if (got < 0) {
			err = (int)got;
			break;
		}
		n += (size_t)got;
		if (n < cap)
			break;
		if (n > max) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		free(b);
		if (err == -EFBIG)
			snprintf(why, len, "more than the %zu bytes such a file may have", max);
		else
			snprintf(why, len, "%s", strerror(-err));
		return err;
	}
	b[n] = '\0';
	*buf = b;
	*size = n;
	return 0;
}
