/* lists.c - read list files into prefix sets with file:line errors. Fast enough for a
 * million-line blocklist (one pass, no per-line allocation). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_trust.h"
#include "lists.h"

#define LINE_MAX_LEN 256	/* far beyond the longest IPv6 prefix */

int list_line_parse(char *line, struct vosfp_prefix *p, char *err, size_t errlen)
{
	char *start = line, *end;

	line[strcspn(line, "#\r\n")] = '\0';
	while (*start == ' ' || *start == '\t')
		start++;
	end = start + strlen(start);
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!*start)
		return 0;
	if (strpbrk(start, " \t")) {
		snprintf(err, errlen, "'%s': expected one address or CIDR prefix per line", start);
		return -EINVAL;
	}
	return vosfp_prefix_parse(start, p, err, errlen) ? -EINVAL : 1;
}

/* The whole file in one buffer (one read, no per-line stdio), NUL-terminated. */
static int slurp(int fd, size_t hint, char **out, size_t *len)
{
	size_t cap = hint + 2, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		ssize_t got;

		if (n + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;

			free(buf);
			return -err;
		}
		if (got == 0) {
			buf[n] = '\0';
			*out = buf;
			*len = n;
			return 0;
		}
		n += (size_t)got;
	}
	free(buf);
	return -ENOMEM;
}

long list_file_read(const char *path, int optional, struct prefix_set *set, struct diag *d,
		    const struct diag_ref *ref)
{
	char err[256], *buf = NULL, *line, *end, *end_of_line, *nul;
	size_t bad_before = d->count, size = 0;
	long entries = 0, lineno = 0;
	size_t lines = 0;
	struct stat st;
	int fd = trusted_open(path, 0, &st, err, sizeof(err)), ret;

	if (fd < 0) {
		if (optional && fd == -ENOENT)
			return 0;
		diag_add_ref(d, ref, path, "cannot open list file: %s%s", err,
			     fd == -ENOENT ? " (list it under optional_files if it may be absent)" : "");
		return fd;
	}
	ret = slurp(fd, st.st_size > 0 ? (size_t)st.st_size : 4096, &buf, &size);
	close(fd);
	if (ret) {
		diag_add_ref(d, ref, path, "read error: %s", strerror(-ret));
		return ret;
	}
	/* One allocation for the whole set, as big as the file has lines (a newline count costs a
	 * few ms; a guess from the size would allocate and touch up to twice the memory). */
	for (line = buf; (line = memchr(line, '\n', (size_t)(buf + size - line))); line++)
		lines++;
	if (prefix_set_reserve(set, lines + 1)) {
		diag_add(d, path, 0, "out of memory");
		free(buf);
		return -ENOMEM;
	}
	nul = memchr(buf, '\0', size);
	end = buf + size;
	for (line = buf; line < end; line = end_of_line + 1) {
		size_t len;

		end_of_line = memchr(line, '\n', (size_t)(end - line));
		if (!end_of_line)
			end_of_line = end;	/* the last line, without its newline */
		len = (size_t)(end_of_line - line) + (end_of_line < end);
		lineno++;
		if (nul && nul < end_of_line) {
			diag_add(d, path, (int)lineno, "binary data: expected text, one address or CIDR prefix per line");
			break;
		}
		if (len > LINE_MAX_LEN) {
			diag_add(d, path, (int)lineno, "line of %zu characters: expected one address or CIDR prefix per line",
				 len);
			continue;
		}
		*end_of_line = '\0';	/* our copy: the line is now a string */
		if (set->n == set->cap && prefix_set_reserve(set, set->cap ? set->cap : 64)) {
			diag_add(d, path, (int)lineno, "out of memory");
			break;
		}
		/* Most lines of a big list are one plain IPv4 address or prefix: parsed straight into
		 * the set. Anything else (comments, blanks, IPv6, errors) takes the general path. */
		if (vosfp_prefix_parse_v4(line, &set->v[set->n])) {
			set->n++;
			entries++;
			continue;
		}
		ret = list_line_parse(line, &set->v[set->n], err, sizeof(err));
		if (ret < 0) {
			diag_add(d, path, (int)lineno, "%s", err);
		} else if (ret > 0) {
			set->n++;
			entries++;
		}
	}
	free(buf);
	return d->count == bad_before ? entries : -EINVAL;
}
