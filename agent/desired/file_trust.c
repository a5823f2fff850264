/* file_trust.c - see file_trust.h. The walk checks every directory and entry before anything is
 * opened (so a FIFO or a device never is); the file's own owner and mode are checked on what was
 * opened (fstat of the descriptor). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
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

static int fail(int err, char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

/* Root, and the agent's own user (an unprivileged --dry-run trusts its user's files: they cannot
 * be used against that user's own process). */
static int trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static const char *user(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "uid %u (%s)", (unsigned)uid, pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

static const char *owners(char *buf, size_t len)
{
	char me[96];

	if (geteuid() == 0)
		snprintf(buf, len, "root");
	else
		snprintf(buf, len, "root or %s, who runs this", user(geteuid(), me, sizeof(me)));
	return buf;
}

/* On a read-only mount nobody, owner or not, can change what is there (root could remount): its
 * owners and mode bits count for nothing. A Kubernetes ConfigMap volume is 0777 and mounted
 * read-only; a directory bind-mounted read-only into a container is what its mounter vouches for
 * (whoever may write it on the host still can: that is the mounter's choice, not ours to see). */
static int read_only_mount(const char *path, int fd)
{
	struct statvfs vfs;

	return (fd >= 0 ? fstatvfs(fd, &vfs) : statvfs(path, &vfs)) == 0 && (vfs.f_flag & ST_RDONLY);
}

/* A directory on the way. Group- or world-writable is accepted only with the sticky bit (/tmp):
 * others may add entries there but not rename or remove ours, and each entry we go through is
 * checked for its owner (*shared tells the walk to). */
static int check_dir(const char *dir, const struct stat *st, int *shared, char *why, size_t len)
{
	char u[96], o[128];

	*shared = 0;
	if (read_only_mount(dir, -1))
		return 0;
	if (!trusted_owner(st->st_uid))
		return fail(-EPERM, why, len, "unsafe: the directory %s is owned by %s, not %s, who could replace the file: chown root %s",
			    dir, user(st->st_uid, u, sizeof(u)), owners(o, sizeof(o)), dir);
	*shared = (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
	if (*shared && !(st->st_mode & S_ISVTX))
		return fail(-EPERM, why, len, "unsafe: the directory %s is writable by group or others (mode %04o), who could replace the file: chmod go-w %s",
			    dir, (unsigned)(st->st_mode & 07777), dir);
	return 0;
}

/* What the walk went through last: the directory (resolved, "" for /) and whether others may add
 * entries to it. */
struct walk {
	char dir[PATH_MAX];
	int shared;
};

static int enter_dir(struct walk *w, const char *dir, char *why, size_t len)
{
	struct stat st;

	if (lstat(*dir ? dir : "/", &st) < 0)
		return fail(-errno, why, len, "%s: %s", *dir ? dir : "/", strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(-ENOTDIR, why, len, "%s: %s", dir, strerror(ENOTDIR));
	snprintf(w->dir, sizeof(w->dir), "%s", dir);
	return check_dir(*dir ? dir : "/", &st, &w->shared, why, len);
}

/* The path made absolute, in rest (cwd first for a relative one); never cut. */
static int absolute(const char *path, char *rest, size_t size, char *why, size_t len)
{
	char cwd[PATH_MAX];
	int n;

	if (strlen(path) >= PATH_MAX)
		return fail(-ENAMETOOLONG, why, len, "%s", strerror(ENAMETOOLONG));
	if (path[0] == '/') {
		n = snprintf(rest, size, "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return fail(-errno, why, len, "the current directory: %s", strerror(errno));
		n = snprintf(rest, size, "%s/%s", cwd, path);
	}
	return n < 0 || (size_t)n >= size ? fail(-ENAMETOOLONG, why, len, "%s", strerror(ENAMETOOLONG)) : 0;
}

#define TRUST_MAX_LINKS 40	/* the kernel's own bound (MAXSYMLINKS) */

/* Resolve path one component at a time, as the kernel would, checking every directory the lookup
 * goes through (those holding the symlinks it follows included) and every entry taken from a
 * shared directory. *out gets the resolved path (no symlink left in it) and *st what it names.
 * Each checked directory can be changed only by root or us, so what was checked stays what the
 * caller then opens. */
static int resolve(const char *path, unsigned flags, char *out, struct stat *st, char *why, size_t len)
{
	char rest[2 * PATH_MAX], target[PATH_MAX], tmp[2 * PATH_MAX], u[96];
	struct walk w;
	unsigned links = 0;
	char *p;
	int ret = absolute(path, rest, sizeof(rest), why, len);

	if (ret || (ret = enter_dir(&w, "", why, len)))
		return ret;
	for (p = rest;;) {
		size_t clen;
		int last, n;

		while (*p == '/')
			p++;
		if (!*p) {	/* "/", "dir/", "dir/..": the directory reached is what was named */
			snprintf(out, PATH_MAX, "%s", *w.dir ? w.dir : "/");
			return lstat(out, st) < 0 ? fail(-errno, why, len, "%s", strerror(errno)) : 0;
		}
		clen = strcspn(p, "/");
		last = !p[clen + strspn(p + clen, "/")];
		if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.')) {
			if (clen == 2 && strrchr(w.dir, '/'))
				*strrchr(w.dir, '/') = '\0';	/* checked on the way down */
			snprintf(tmp, sizeof(tmp), "%s", w.dir);
			if ((ret = enter_dir(&w, tmp, why, len)))
				return ret;
			p += clen;
			continue;
		}
		n = snprintf(out, PATH_MAX, "%s/%.*s", w.dir, (int)clen, p);
		if (n < 0 || n >= PATH_MAX)
			return fail(-ENAMETOOLONG, why, len, "%s", strerror(ENAMETOOLONG));
		p += clen;
		if (lstat(out, st) < 0)
			return fail(-errno, why, len, "%s", strerror(errno));
		if (w.shared && !trusted_owner(st->st_uid))
			return fail(-EPERM, why, len, "unsafe: %s is owned by %s in the shared directory %s, where anyone may put it: chown root %s, or move it to a directory only root can write",
				    out, user(st->st_uid, u, sizeof(u)), *w.dir ? w.dir : "/", out);
		if (S_ISLNK(st->st_mode)) {
			ssize_t tlen;

			if (last && (flags & TRUST_NOFOLLOW))
				return fail(-ELOOP, why, len, "%s",
					    "a symbolic link: the agent's own state file must not be one (remove the link)");
			if (++links > TRUST_MAX_LINKS)
				return fail(-ELOOP, why, len, "%s", strerror(ELOOP));
			tlen = readlink(out, target, sizeof(target));
			if (tlen < 0 || (size_t)tlen >= sizeof(target))
				return fail(tlen < 0 ? -errno : -ENAMETOOLONG, why, len, "%s: %s", out,
					    strerror(tlen < 0 ? errno : ENAMETOOLONG));
			n = snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)tlen, target, p);
			if (n < 0 || (size_t)n >= sizeof(tmp))
				return fail(-ENAMETOOLONG, why, len, "%s", strerror(ENAMETOOLONG));
			memcpy(rest, tmp, (size_t)n + 1);
			p = rest;
			if (target[0] == '/' && (ret = enter_dir(&w, "", why, len)))
				return ret;
			continue;
		}
		if (last)
			return 0;
		if (!S_ISDIR(st->st_mode))
			return fail(-ENOTDIR, why, len, "%s: %s", out, strerror(ENOTDIR));
		snprintf(tmp, sizeof(tmp), "%s", out);
		if ((ret = enter_dir(&w, tmp, why, len)))
			return ret;
	}
}

int trusted_open(const char *path, unsigned flags, struct stat *out, char *why, size_t len)
{
	char real[PATH_MAX], u[96], o[128];
	struct stat st;
	int ret = resolve(path, flags, real, &st, why, len), fd;

	if (ret)
		return ret;
	if (!S_ISREG(st.st_mode))
		return fail(-EINVAL, why, len, "%s, not a regular file", kind_of(st.st_mode));
	/* O_NONBLOCK: should a FIFO take the file's place after the check, open returns at once. */
	fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return fail(-errno, why, len, "%s", strerror(errno));
	if (fstat(fd, out) < 0 || !S_ISREG(out->st_mode) || out->st_dev != st.st_dev || out->st_ino != st.st_ino)
		ret = fail(-EAGAIN, why, len, "%s", "replaced while being opened: try again");
	else if (read_only_mount(real, fd))
		ret = 0;
	else if (!trusted_owner(out->st_uid))
		ret = fail(-EPERM, why, len, "unsafe: owned by %s, not %s, who could change it: chown root %s",
			   user(out->st_uid, u, sizeof(u)), owners(o, sizeof(o)), real);
	else if (out->st_mode & (S_IWGRP | S_IWOTH))
		ret = fail(-EPERM, why, len, "unsafe: writable by group or others (mode %04o), who could change it: chmod go-w %s",
			   (unsigned)(out->st_mode & 07777), real);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int trusted_dir(const char *dir, char *real, char *why, size_t len)
{
	struct stat st;
	int shared, ret = resolve(dir, 0, real, &st, why, len);

	if (ret)
		return ret;
	if (!S_ISDIR(st.st_mode))
		return fail(-ENOTDIR, why, len, "%s", strerror(ENOTDIR));
	/* A file made there must not be replaceable by others: no shared directory, even sticky. */
	if ((ret = check_dir(real, &st, &shared, why, len)))
		return ret;
	return shared ? fail(-EPERM, why, len, "unsafe: the directory %s is writable by group or others (mode %04o), who could replace what the agent writes there: chmod go-w %s",
			     real, (unsigned)(st.st_mode & 07777), real)
		      : 0;
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
