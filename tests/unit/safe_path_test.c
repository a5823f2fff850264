/* safe_path_test.c - the StrictModes rules for the agent's own directories, on real directories
 * made in a temporary tree: each row builds one situation and names the answer and the words
 * the refusal must hold. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_path.h"

enum shape { MISSING, DIR_MODE, FOREIGN_DIR, SYMLINK, REGULAR };

struct row {
	const char *name;
	mode_t parent_mode;	/* of the directory that holds the path */
	int foreign_parent;	/* the parent is another user's */
	enum shape shape;
	mode_t mode;		/* DIR_MODE: the path's own mode */
	int parents_want, own_want;	/* safe_path_parents, safe_path_own_dir */
	const char *says;	/* in why, when refused */
};

static const struct row rows[] = {
	{ "missing, in a 0755 parent", 0755, 0, MISSING, 0, 0, 0, NULL },
	{ "0700, mine", 0755, 0, DIR_MODE, 0700, 0, 1, NULL },
	{ "0755, mine", 0755, 0, DIR_MODE, 0755, 0, 1, NULL },
	{ "0775, mine: group-writable", 0755, 0, DIR_MODE, 0775, 0, -EPERM, "has mode 0775: writable by group or others" },
	{ "0707, mine: others-writable", 0755, 0, DIR_MODE, 0707, 0, -EPERM, "chmod go-w" },
	{ "another user's", 0755, 0, FOREIGN_DIR, 0700, 0, -EPERM, "is owned by" },
	{ "a symbolic link", 0755, 0, SYMLINK, 0, 0, -EPERM, "is a symbolic link" },
	{ "a regular file", 0755, 0, REGULAR, 0, 0, -ENOTDIR, "is not a directory" },
	{ "in a sticky 1777 parent (Debian's /sys/fs/bpf)", 01777, 0, DIR_MODE, 0700, 0, 1, NULL },
	{ "in a 0777 parent without the sticky bit", 0777, 0, DIR_MODE, 0700, -EPERM, 1, "without the sticky bit" },
	{ "in a 0775 parent", 0775, 0, MISSING, 0, -EPERM, 0, "chmod go-w" },
	{ "in another user's parent", 0755, 1, MISSING, 0, -EPERM, 0, "its parent" },
};

static char top[64];

static void make_top(void)
{
	snprintf(top, sizeof(top), "/tmp/vosfp-safe-path.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
}

static void remove_top(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

/* A uid other than ours that owns files here: nobody when we are root, else root (we cannot
 * chown, but root's "/" serves for another user's directory). */
static int give_away(const char *path)
{
	return geteuid() == 0 ? chown(path, 65534, 65534) : -1;
}

START_TEST(test_row)
{
	const struct row *r = &rows[_i];
	char parent[128], path[160], why[1024] = "";
	int got;

	snprintf(parent, sizeof(parent), "%s/p%d", top, _i);
	ck_assert_int_eq(mkdir(parent, 0700), 0);
	ck_assert_int_eq(chmod(parent, r->parent_mode), 0);
	snprintf(path, sizeof(path), "%s/pins", parent);
	switch (r->shape) {
	case MISSING:
		break;
	case DIR_MODE:
	case FOREIGN_DIR:
		ck_assert_int_eq(mkdir(path, 0700), 0);
		ck_assert_int_eq(chmod(path, r->mode), 0);
		if (r->shape == FOREIGN_DIR && give_away(path))
			snprintf(path, sizeof(path), "/");	/* not root: "/" is another user's */
		break;
	case SYMLINK:
		ck_assert_int_eq(symlink(top, path), 0);
		break;
	case REGULAR:
		fclose(fopen(path, "w"));
		break;
	}
	if (r->foreign_parent && give_away(parent)) {
		/* Not root: no third user's directory to stand for it (root's are trusted). */
		printf("note: row '%s' needs root (a directory given to nobody): not run\n", r->name);
		return;
	}
	got = safe_path_parents(path, "pin_path", why, sizeof(why));
	ck_assert_msg(got == r->parents_want, "%s: safe_path_parents %d, expected %d (%s)", r->name, got,
		      r->parents_want, why);
	if (got && r->says)
		ck_assert_msg(strstr(why, r->says), "%s: '%s' does not say '%s'", r->name, why, r->says);
	why[0] = '\0';
	got = safe_path_own_dir(path, "pin_path", why, sizeof(why));
	ck_assert_msg(got == r->own_want, "%s: safe_path_own_dir %d, expected %d (%s)", r->name, got, r->own_want,
		      why);
	if (got < 0 && r->says)
		ck_assert_msg(strstr(why, r->says), "%s: '%s' does not say '%s'", r->name, why, r->says);
}
END_TEST

/* make_dir creates a missing directory 0700 (whatever the umask lets through: never more). */
START_TEST(test_make_dir)
{
	char path[128], why[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/made", top);
	ck_assert_int_eq(safe_path_make_dir(path, "pin_path", why, sizeof(why)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(safe_path_make_dir(path, "pin_path", why, sizeof(why)), 0);	/* again: fine */
	ck_assert_int_eq(chmod(path, 0770), 0);
	ck_assert_int_eq(safe_path_make_dir(path, "pin_path", why, sizeof(why)), -EPERM);
	ck_assert_int_eq(safe_path_parents("relative/pins", "pin_path", why, sizeof(why)), -EINVAL);
}
END_TEST

TCase *safe_path_tcase(void)
{
	TCase *tc = tcase_create("safe-path");

	tcase_add_unchecked_fixture(tc, make_top, remove_top);
	tcase_add_loop_test(tc, test_row, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_make_dir);
	return tc;
}
