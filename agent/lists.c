/* lists.c - read list files into prefix sets with file:line errors. Fast enough for a
 * million-line blocklist (one pass, no per-line allocation). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

long list_file_read(const char *path, int optional, struct prefix_set *set, struct diag *d)
{
	char *line = NULL, err[256];
	size_t cap = 0, bad_before = d->count;
	struct vosfp_prefix p;
	long entries = 0, lineno = 0;
	struct stat st;
	ssize_t len;
	FILE *f = fopen(path, "r");

	if (!f) {
		if (optional && errno == ENOENT)
			return 0;
		diag_add(d, path, 0, "cannot open list file: %s%s", strerror(errno),
			 errno == ENOENT ? " (list it under optional_files if it may be absent)" : "");
		return -errno;
	}
	/* One allocation for the whole file: the shortest entry line is 8 bytes ("1.2.3.4\n"). */
	if (fstat(fileno(f), &st) == 0 && st.st_size > 0)
		prefix_set_reserve(set, (size_t)st.st_size / 8 + 1);
	while ((len = getline(&line, &cap, f)) >= 0) {
		int ret;

		lineno++;
		if ((size_t)len != strlen(line)) {
			diag_add(d, path, (int)lineno, "binary data: expected text, one address or CIDR prefix per line");
			break;
		}
		if (len > LINE_MAX_LEN) {
			diag_add(d, path, (int)lineno, "line of %zd characters: expected one address or CIDR prefix per line",
				 len);
			continue;
		}
		ret = list_line_parse(line, &p, err, sizeof(err));
		if (ret < 0) {
			diag_add(d, path, (int)lineno, "%s", err);
		} else if (ret > 0) {
			if (prefix_set_add(set, &p)) {
				diag_add(d, path, (int)lineno, "out of memory");
				break;
			}
			entries++;
		}
	}
	if (ferror(f))
		diag_add(d, path, 0, "read error: %s", strerror(errno));
	free(line);
	fclose(f);
	return d->count == bad_before ? entries : -EINVAL;
}
