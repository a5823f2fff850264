/* fuzz_file.c - see fuzz_file.h. One directory per fuzzing process, "vosfp-fuzz.XXXXXX" under
 * $TMPDIR, or /dev/shm, or /tmp; the files named there are removed with it at exit. Memory-backed
 * if it can be: on a disk file system every input would be a write to the disk (ext4 flushes a
 * file truncated and rewritten on close), a hundred times slower. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_trust.h"
#include "fuzz_file.h"

static char dir[4096];

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* The parsers read only files file_trust.h trusts: in a directory it refuses, every input would
 * be turned away at the door and the fuzzing would test nothing else. Say so and stop. */
static void check_trusted(void)
{
	char probe[4352], why[512];
	struct stat st;
	int fd;

	snprintf(probe, sizeof(probe), "%s/probe", dir);
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror("fuzz_file: probe");
		abort();
	}
	close(fd);
	fd = trusted_open(probe, 0, &st, why, sizeof(why));
	unlink(probe);
	if (fd < 0) {
		fprintf(stderr, "fuzz_file: the parsers refuse files in %s (%s): set TMPDIR to a directory of yours\n",
			dir, why);
		exit(1);
	}
	close(fd);
}

const char *fuzz_path(const char *name)
{
	static char path[4352];

	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");

		if (!tmp || !tmp[0])
			tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(dir, sizeof(dir), "%s/vosfp-fuzz.XXXXXX", tmp);
		if (!mkdtemp(dir)) {
			perror("fuzz_file: mkdtemp");
			abort();
		}
		atexit(remove_dir);
		check_trusted();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

const char *fuzz_file_write(const char *name, const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(name);
	size_t done = 0;
	int fd;

	unlink(path);	/* a new file, not a truncated one (see above) */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		perror("fuzz_file: open");
		abort();
	}
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			perror("fuzz_file: write");
			abort();
		}
		done += (size_t)n;
	}
	close(fd);
	return path;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}
