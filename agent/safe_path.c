/* safe_path.c - see safe_path.h. Judges with lstat/stat only; never follows a link it was not
 * told is safe, never chmods or chowns. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_path.h"

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

static int trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* One ancestor, already lstat'ed as l (and, through any link, stat'ed as s). */
static int check_parent(const char *dir, const struct stat *l, const struct stat *s, const char *what,
			const char *path, char *why, size_t len)
{
	char owner[96], me[96];

	user_name(geteuid(), me, sizeof(me));
	if (S_ISLNK(l->st_mode) && !trusted_owner(l->st_uid)) {
		snprintf(why, len,
			 "%s %s: its parent %s is a symbolic link owned by %s: whoever owns it decides where %s lives; only root%s%s may own a link on its way: replace it with a directory or a root-owned link",
			 what, path, dir, user_name(l->st_uid, owner, sizeof(owner)), what, geteuid() ? " or " : "",
			 geteuid() ? me : "");
		return -EPERM;
	}
	if (!S_ISDIR(s->st_mode)) {
		snprintf(why, len, "%s %s: its parent %s is not a directory", what, path, dir);
		return -ENOTDIR;
	}
	if (!trusted_owner(s->st_uid)) {
		snprintf(why, len,
			 "%s %s: its parent %s is owned by %s, mode %04o: its owner can move %s away or replace it; only root%s%s may own its parents: chown root %s, or choose another %s",
			 what, path, dir, user_name(s->st_uid, owner, sizeof(owner)), (unsigned)(s->st_mode & 07777),
			 what, geteuid() ? " or " : "", geteuid() ? me : "", dir, what);
		return -EPERM;
	}
	if ((s->st_mode & (S_IWGRP | S_IWOTH)) && !(s->st_mode & S_ISVTX)) {
		snprintf(why, len,
			 "%s %s: its parent %s has mode %04o: writable by group or others without the sticky bit, so any of them can rename or replace %s: chmod go-w %s (or chmod +t %s)",
			 what, path, dir, (unsigned)(s->st_mode & 07777), what, dir, dir);
		return -EPERM;
	}
	return 0;
}

int safe_path_parents(const char *path, const char *what, char *why, size_t len)
{
	char dir[4096];
	size_t n = strlen(path);

	if (path[0] != '/' || n >= sizeof(dir)) {
		snprintf(why, len, "%s %s: expected an absolute path", what, path);
		return -EINVAL;
	}
	{
		struct stat root;
		int ret = stat("/", &root) ? -errno : check_parent("/", &root, &root, what, path, why, len);

		if (ret)
			return ret;
	}
	/* Each prefix ending before a '/', from "/" down to path's parent. */
	for (size_t i = 1; i <= n; i++) {
		struct stat l, s;
		int ret;

		if (path[i] != '/' && path[i] != '\0')
			continue;
		if (path[i] == '\0')
			break;		/* path itself: not a parent */
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (lstat(dir, &l) || stat(dir, &s)) {
			if (errno == ENOENT)
				return 0;	/* the rest is made by the agent */
			snprintf(why, len, "%s %s: cannot examine %s: %s", what, path, dir, strerror(errno));
			return -errno;
		}
		ret = check_parent(dir, &l, &s, what, path, why, len);
		if (ret)
			return ret;
	}
	return 0;
}

int safe_path_own_dir(const char *path, const char *what, char *why, size_t len)
{
	char owner[96], me[96];
	struct stat l;

	if (lstat(path, &l)) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, len, "%s %s: cannot examine it: %s", what, path, strerror(errno));
		return -errno;
	}
	user_name(geteuid(), me, sizeof(me));
	if (S_ISLNK(l.st_mode)) {
		snprintf(why, len,
			 "%s %s is a symbolic link (owned by %s): the agent keeps its state only in a directory it owns; remove the link and run again (the agent creates the directory, mode 0700)",
			 what, path, user_name(l.st_uid, owner, sizeof(owner)));
		return -EPERM;
	}
	if (!S_ISDIR(l.st_mode)) {
		snprintf(why, len, "%s %s exists and is not a directory: remove it or choose another %s", what, path,
			 what);
		return -ENOTDIR;
	}
	if (l.st_uid != geteuid()) {
		snprintf(why, len,
			 "%s %s is owned by %s, mode %04o, not by %s that runs the agent: its owner can change or remove what the agent keeps there; check what it holds, remove it (rmdir %s) and run again: the agent creates it, mode 0700",
			 what, path, user_name(l.st_uid, owner, sizeof(owner)), (unsigned)(l.st_mode & 07777), me, path);
		return -EPERM;
	}
	if (l.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len,
			 "%s %s has mode %04o: writable by group or others, who could replace what the agent keeps there: chmod go-w %s",
			 what, path, (unsigned)(l.st_mode & 07777), path);
		return -EPERM;
	}
	return 1;
}

int safe_path_make_dir(const char *path, const char *what, char *why, size_t len)
{
	int ret;

	if (mkdir(path, 0700) && errno != EEXIST) {
		snprintf(why, len, "cannot create %s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	ret = safe_path_own_dir(path, what, why, len);
	if (ret == 0) {
		snprintf(why, len, "%s %s vanished as it was made", what, path);
		return -ENOENT;
	}
	return ret < 0 ? ret : 0;
}
