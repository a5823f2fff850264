/* file_trust_test.c - agent/desired/file_trust.c on real files made in a temp directory: only
 * regular files are read, nothing blocks (a FIFO with no writer: Check's timeout would fail the
 * row), every read is bounded, TRUST_NOFOLLOW refuses a symlink. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_trust.h"

enum setup { REGULAR, EMPTY, FIFO, DIRECTORY, MISSING, SYMLINK, BIG, DEVICE };

static const struct {
	const char *name;
	enum setup setup;
	unsigned flags;
	size_t max;
	int ret;		/* of trusted_read */
	const char *why;	/* in the reason, when ret < 0 */
} rows[] = {
	{ "a regular file", REGULAR, 0, 64, 0, NULL },
	{ "an empty file", EMPTY, 0, 64, 0, NULL },
	{ "a file of exactly max bytes", REGULAR, 0, 11, 0, NULL },
	{ "a file one byte over max", REGULAR, 0, 10, -EFBIG, "11 bytes, more than the 10" },
	{ "a big file, refused before it is read", BIG, 0, 1 << 20, -EFBIG, "more than the 1048576" },
	{ "a FIFO with no writer: refused, not waited on", FIFO, 0, 64, -EINVAL, "a FIFO" },
	{ "a directory", DIRECTORY, 0, 64, -EINVAL, "a directory, not a regular file" },
	{ "/dev/zero", DEVICE, 0, 64, -EINVAL, "a character device, not a regular file" },
	{ "a missing file", MISSING, 0, 64, -ENOENT, "No such file or directory" },
	{ "a symlink to a regular file", SYMLINK, 0, 64, 0, NULL },
	{ "a symlink under TRUST_NOFOLLOW", SYMLINK, TRUST_NOFOLLOW, 64, -ELOOP, "a symbolic link" },
	{ "a regular file under TRUST_NOFOLLOW", REGULAR, TRUST_NOFOLLOW, 64, 0, NULL },
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* What the row reads: dir/f made as the row says. */
static void make(enum setup setup, const char *dir, char *path, size_t len)
{
	char target[512];

	snprintf(path, len, "%s/f", dir);
	switch (setup) {
	case REGULAR:
		write_file(path, "198.18.0.1\n");
		break;
	case EMPTY:
		write_file(path, "");
		break;
	case FIFO:
		ck_assert_int_eq(mkfifo(path, 0600), 0);
		break;
	case DIRECTORY:
		ck_assert_int_eq(mkdir(path, 0700), 0);
		break;
	case MISSING:
		break;
	case SYMLINK:
		snprintf(target, sizeof(target), "%s/target", dir);
		write_file(target, "198.18.0.1\n");
		ck_assert_int_eq(symlink("target", path), 0);
		break;
	case BIG: {
		int fd = open(path, O_WRONLY | O_CREAT, 0600);

		/* 1 GiB, sparse: a read of it would take a second and the memory; fstat tells first. */
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, 1LL << 30), 0);
		close(fd);
		break;
	}
	case DEVICE:
		snprintf(path, len, "/dev/zero");
		break;
	}
}

START_TEST(test_trusted_read)
{
	char dir[] = "/tmp/vosfp-file-trust-test.XXXXXX", path[600], why[512] = "", cmd[700], *buf = NULL;
	size_t size = 0;
	int ret;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	make(rows[_i].setup, dir, path, sizeof(path));
	ret = trusted_read(path, rows[_i].flags, rows[_i].max, &buf, &size, why, sizeof(why));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(ret == rows[_i].ret, "%s: returned %d (%s), expected %d", rows[_i].name, ret, why, rows[_i].ret);
	if (ret == 0) {
		ck_assert_uint_eq(size, strlen(buf));
		ck_assert_str_eq(buf, rows[_i].setup == EMPTY ? "" : "198.18.0.1\n");
		free(buf);
	} else {
		ck_assert_msg(strstr(why, rows[_i].why), "%s: reason '%s' lacks '%s'", rows[_i].name, why, rows[_i].why);
	}
}
END_TEST

TCase *file_trust_tcase(void)
{
	TCase *tc = tcase_create("file_trust");

	tcase_add_loop_test(tc, test_trusted_read, 0, sizeof(rows) / sizeof(rows[0]));
	return tc;
}
