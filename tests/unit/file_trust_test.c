/* file_trust_test.c - agent/desired/file_trust.c on real files: each row lays out a fresh temp
 * directory with a few shell commands, then reads a path in it. Only regular files are read,
 * nothing blocks (a FIFO with no writer: Check's timeout would fail the row), every read is
 * bounded, and a file is trusted only when it and every directory on its way (symlinks followed)
 * can be changed by nobody but root or the reading user. Rows that chown or change the effective
 * uid need root and are skipped without it. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_trust.h"

#define NOBODY 65534
#define A_LIST "echo 198.18.0.1 >"

static const struct {
	const char *name;
	const char *layout;	/* sh commands run in the temp directory D (mode 0755, root's) */
	const char *path;	/* read: relative to D, or absolute */
	unsigned flags;
	size_t max;
	int root;		/* the layout or euid needs root */
	uid_t euid;		/* read as this user (0: as we are) */
	int ret;		/* of trusted_read */
	const char *why;	/* in the reason, when ret < 0 */
} rows[] = {
	/* I, J: regular files only, bounded */
	{ "a regular file", A_LIST "f", "f", 0, 64, 0, 0, 0, NULL },
	{ "an empty file", ": >f", "f", 0, 64, 0, 0, 0, NULL },
	{ "a file of exactly max bytes", A_LIST "f", "f", 0, 11, 0, 0, 0, NULL },
	{ "a file one byte over max", A_LIST "f", "f", 0, 10, 0, 0, -EFBIG, "11 bytes, more than the 10" },
	{ "1 GiB (sparse), refused before it is read", "truncate -s 1G f", "f", 0, 1 << 20, 0, 0, -EFBIG,
	  "more than the 1048576" },
	{ "a FIFO with no writer: refused, not waited on", "mkfifo f", "f", 0, 64, 0, 0, -EINVAL, "a FIFO" },
	{ "a directory", "mkdir f", "f", 0, 64, 0, 0, -EINVAL, "a directory, not a regular file" },
	{ "a directory named with a slash", "mkdir f", "f/", 0, 64, 0, 0, -EINVAL, "a directory" },
	{ "/dev/zero", "", "/dev/zero", 0, 64, 0, 0, -EINVAL, "a character device, not a regular file" },
	{ "a missing file", "", "f", 0, 64, 0, 0, -ENOENT, "No such file or directory" },
	{ "a missing directory on the way", "", "d/f", 0, 64, 0, 0, -ENOENT, "No such file or directory" },
	{ "a symlink to a regular file", A_LIST "t; ln -s t f", "f", 0, 64, 0, 0, 0, NULL },
	{ "a symlink under TRUST_NOFOLLOW", A_LIST "t; ln -s t f", "f", TRUST_NOFOLLOW, 64, 0, 0, -ELOOP,
	  "a symbolic link" },
	{ "a symlink on the way under TRUST_NOFOLLOW: only the last may not be one",
	  "mkdir r; " A_LIST "r/f; ln -s r l", "l/f", TRUST_NOFOLLOW, 64, 0, 0, 0, NULL },
	{ "a symlink loop", "ln -s a b; ln -s b a", "a", 0, 64, 0, 0, -ELOOP, "symbolic links" },
	{ "a path with . and ..", "mkdir a b; " A_LIST "b/f", "a/./../b/f", 0, 64, 0, 0, 0, NULL },
	/* D: the file's own owner and mode */
	{ "mode 0666", A_LIST "f; chmod 666 f", "f", 0, 64, 0, 0, -EPERM,
	  "unsafe: writable by group or others (mode 0666), who could change it: chmod go-w " },
	{ "mode 0620 (group-writable)", A_LIST "f; chmod 620 f", "f", 0, 64, 0, 0, -EPERM, "(mode 0620)" },
	{ "mode 0600, root's", A_LIST "f; chmod 600 f", "f", 0, 64, 0, 0, 0, NULL },
	{ "owned by nobody", A_LIST "f; chown 65534 f", "f", 0, 64, 1, 0, -EPERM,
	  "unsafe: owned by uid 65534 (nobody), not root, who could change it: chown root " },
	/* D: every directory on the way */
	{ "a world-writable directory", "mkdir -m 777 d; " A_LIST "d/f", "d/f", 0, 64, 0, 0, -EPERM,
	  "/d is writable by group or others (mode 0777), who could replace the file: chmod go-w " },
	{ "a group-writable directory", "mkdir -m 775 d; " A_LIST "d/f", "d/f", 0, 64, 0, 0, -EPERM, "(mode 0775)" },
	{ "a directory owned by nobody", "mkdir d; " A_LIST "d/f; chown 65534 d", "d/f", 0, 64, 1, 0, -EPERM,
	  "/d is owned by uid 65534 (nobody), not root, who could replace the file: chown root " },
	{ "an unsafe directory further up", "mkdir -m 777 d; mkdir d/e; " A_LIST "d/e/f", "d/e/f", 0, 64, 0, 0,
	  -EPERM, "/d is writable by group or others" },
	{ "a sticky shared directory (/tmp) with root's file: accepted", "mkdir -m 1777 d; " A_LIST "d/f", "d/f",
	  0, 64, 0, 0, 0, NULL },
	{ "a sticky shared directory with nobody's file", "mkdir -m 1777 d; " A_LIST "d/f; chown 65534 d/f",
	  "d/f", 0, 64, 1, 0, -EPERM, "/d/f is owned by uid 65534 (nobody) in the shared directory " },
	{ "a sticky shared directory with nobody's directory on the way",
	  "mkdir -m 1777 d; mkdir d/e; " A_LIST "d/e/f; chown 65534 d/e", "d/e/f", 0, 64, 1, 0, -EPERM,
	  "/d/e is owned by uid 65534 (nobody)" },
	{ "a sticky shared directory with nobody's symlink to root's file",
	  "mkdir -m 1777 d; " A_LIST "t; ln -s ../t d/f; chown -h 65534 d/f", "d/f", 0, 64, 1, 0, -EPERM,
	  "/d/f is owned by uid 65534 (nobody) in the shared directory " },
	/* D: symlinks followed, every directory they go through checked */
	{ "the Kubernetes ConfigMap layout (KEY -> ..data/KEY, ..data -> ..TIMESTAMP)",
	  "mkdir cm cm/..2024_01_01; " A_LIST "cm/..2024_01_01/f; ln -s ..2024_01_01 cm/..data; ln -s ..data/f cm/f",
	  "cm/f", 0, 64, 0, 0, 0, NULL },
	{ "a symlink into a world-writable directory", "mkdir -m 777 w; " A_LIST "w/f; ln -s w/f f", "f", 0, 64, 0, 0,
	  -EPERM, "/w is writable by group or others" },
	{ "an absolute symlink into a world-writable directory", "mkdir -m 777 w; " A_LIST "w/f; ln -s \"$PWD/w/f\" f",
	  "f", 0, 64, 0, 0, -EPERM, "/w is writable by group or others" },
	{ "a symlink held in a world-writable directory, which neither the path nor the file is in",
	  "mkdir -m 777 w; mkdir r; " A_LIST "r/f; ln -s ../r w/l; ln -s w/l/f f", "f", 0, 64, 0, 0, -EPERM,
	  "/w is writable by group or others" },
	/* D: an unprivileged reader (--dry-run, --check-list as a user) */
	{ "as nobody: nobody's own file", A_LIST "f; chown 65534 f", "f", 0, 64, 1, NOBODY, 0, NULL },
	{ "as nobody: root's file 0644", A_LIST "f", "f", 0, 64, 1, NOBODY, 0, NULL },
	{ "as nobody: root's file 0600", A_LIST "f; chmod 600 f", "f", 0, 64, 1, NOBODY, -EACCES,
	  "Permission denied" },
	{ "as nobody: another user's file", A_LIST "f; chown 1 f", "f", 0, 64, 1, NOBODY, -EPERM,
	  "not root or uid 65534 (nobody), who runs this" },
};

START_TEST(test_trusted_read)
{
	char dir[] = "/tmp/vosfp-file-trust-test.XXXXXX", path[600], why[1024] = "", cmd[1200], *buf = NULL;
	size_t size = 0;
	int ret;

	if (rows[_i].root && geteuid() != 0)
		return;	/* chown and seteuid need root */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "set -e; cd %s; chmod 755 .; %s", dir, rows[_i].layout);
	ck_assert_msg(system(cmd) == 0, "%s: layout failed: %s", rows[_i].name, cmd);
	snprintf(path, sizeof(path), "%s%s%s", rows[_i].path[0] == '/' ? "" : dir, rows[_i].path[0] == '/' ? "" : "/",
		 rows[_i].path);
	if (rows[_i].euid)
		ck_assert_int_eq(seteuid(rows[_i].euid), 0);
	ret = trusted_read(path, rows[_i].flags, rows[_i].max, &buf, &size, why, sizeof(why));
	if (rows[_i].euid)
		ck_assert_int_eq(seteuid(0), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(ret == rows[_i].ret, "%s: returned %d (%s), expected %d", rows[_i].name, ret, why, rows[_i].ret);
	if (ret == 0) {
		ck_assert_uint_eq(size, strlen(buf));
		ck_assert_str_eq(buf, strstr(rows[_i].layout, A_LIST) ? "198.18.0.1\n" : "");
		free(buf);
	} else {
		ck_assert_msg(strstr(why, rows[_i].why), "%s: reason '%s' lacks '%s'", rows[_i].name, why, rows[_i].why);
	}
}
END_TEST

/* A relative path is checked from / through the current directory. */
START_TEST(test_relative_path_checks_cwd)
{
	char dir[] = "/tmp/vosfp-file-trust-test.XXXXXX", cmd[200], why[1024], *buf;
	size_t size;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cd %s && chmod 777 . && " A_LIST "f", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(trusted_read("f", 0, 64, &buf, &size, why, sizeof(why)), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "is writable by group or others (mode 0777)"));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(trusted_read("./f", 0, 64, &buf, &size, why, sizeof(why)), 0);
	free(buf);
	ck_assert_int_eq(chdir("/"), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

TCase *file_trust_tcase(void)
{
	TCase *tc = tcase_create("file_trust");

	tcase_add_loop_test(tc, test_trusted_read, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_relative_path_checks_cwd);
	return tc;
}
