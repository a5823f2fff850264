/* lists.c - read list files into prefix sets with file:line errors. Fast enough for a
 * million-line blocklist (one pass, no per-line allocation), and never holding more than the
 * list's limit allows, whatever the file's size. */
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

/* The file is read in chunks: what it costs is the entries it holds (at most the bound), not its
 * size. A line may straddle two chunks; only an overlong one is counted rather than kept. */
#define CHUNK (1u << 20)

struct list_reader {
	const char *path;
	struct prefix_set *set;
	const struct list_bound *bound;
	size_t compact_at;		/* entries held before duplicates are dropped: 3/2 of the bound */
	struct diag *d;
	long lineno, entries;
	int stop;			/* binary data, out of memory or over the bound: read no further */
	int over;			/* over the bound */
	long mapped, mapped_line;	/* IPv4-mapped entries read as IPv4: how many, the first's line */
	char mapped_text[VOSFP_PREFIX_STRLEN], mapped_as[VOSFP_PREFIX_STRLEN];
};

/* A blocklist entry of length 0: valid, but said (addr.h). */
static void whole_internet(struct list_reader *r, const struct vosfp_prefix *p)
{
	char text[VOSFP_PREFIX_STRLEN];

	if (p->len == 0 && r->bound && r->bound->list && !strcmp(r->bound->list, "blocklist"))
		diag_warn(r->d, r->path, (int)r->lineno, VOSFP_WHOLE_FAMILY_NOTE, vosfp_prefix_str(p, text, sizeof(text)),
			  p->family == 4 ? "IPv4" : "IPv6");
}

/* Room for one more entry in the set. With a bound, the set is kept within 3/2 of it: when that
 * fills, duplicates go (a file may repeat a line millions of times), and if more distinct entries
 * than the bound remain, the list is refused here, before the rest is read. */
static int make_room(struct list_reader *r)
{
	struct prefix_set *set = r->set;

	if (r->compact_at && set->n >= r->compact_at) {
		prefix_set_finish(set);
		if (set->n > r->bound->max) {
			diag_add(r->d, r->bound->limit.file, r->bound->limit.line,
				 "%s holds more than %s (%zu) entries by %s:%ld (read no further): raise the limit or shorten the list",
				 r->bound->list, r->bound->limit.key, r->bound->max, r->path, r->lineno);
			r->over = 1;
			return -E2BIG;
		}
	}
	if (set->n < set->cap)
		return 0;
	if (prefix_set_reserve(set, r->compact_at && 2 * set->cap > r->compact_at ? r->compact_at - set->n
										   : set->cap ? set->cap : 64)) {
		diag_add(r->d, r->path, (int)r->lineno, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* One line of at most LINE_MAX_LEN bytes, without NUL: line[len - 1] is its newline, or the file's
 * last byte (the buffer has a byte to spare after it). */
static void take_line(struct list_reader *r, char *line, size_t len)
{
	struct prefix_set *set = r->set;
	char err[256];
	int ret;

	line[len - (line[len - 1] == '\n')] = '\0';	/* our copy: the line is now a string */
	if (make_room(r)) {
		r->stop = 1;
		return;
	}
	/* Most lines of a big list are one plain IPv4 address or prefix: parsed straight into the
	 * set. Anything else (comments, blanks, IPv6, errors) takes the general path. */
	if (vosfp_prefix_parse_v4(line, &set->v[set->n])) {
		whole_internet(r, &set->v[set->n]);
		set->n++;
		r->entries++;
		return;
	}
	ret = list_line_parse(line, &set->v[set->n], err, sizeof(err));
	if (ret < 0) {
		diag_add(r->d, r->path, (int)r->lineno, "%s", err);
	} else if (ret > 0) {
		if (vosfp_prefix_was_mapped(line, &set->v[set->n]) && !r->mapped++) {
			r->mapped_line = r->lineno;
			snprintf(r->mapped_text, sizeof(r->mapped_text), "%s", line + strspn(line, " \t"));
			vosfp_prefix_str(&set->v[set->n], r->mapped_as, sizeof(r->mapped_as));
		}
		whole_internet(r, &set->v[set->n]);
		set->n++;
		r->entries++;
	}
}

static void too_long(struct list_reader *r, size_t len)
{
	diag_add(r->d, r->path, (int)r->lineno, "line of %zu characters: expected one address or CIDR prefix per line", len);
}

/* Read fd to its end, line by line: 0, or a negative errno for a read error. */
static int read_lines(struct list_reader *r, int fd)
{
	char *buf = malloc(CHUNK + LINE_MAX_LEN + 2);
	size_t have = 0;	/* an unfinished line kept from the last chunk */
	size_t skipping = 0;	/* > 0: inside a line too long to keep, this many bytes so far */
	long got;

	if (!buf)
		return -ENOMEM;
	do {
		char *p = buf, *end;

		got = trusted_read_fd(fd, buf + have, CHUNK);
		if (got < 0)
			break;
		end = buf + have + got;
		while (!r->stop && p < end) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl + 1 - p) : (size_t)(end - p);	/* with its newline */

			if (!nl && got && !skipping && len <= LINE_MAX_LEN)
				break;	/* the line goes on in the next chunk */
			if (!skipping)
				r->lineno++;
			if (memchr(p, '\0', len)) {
				diag_add(r->d, r->path, (int)r->lineno,
					 "binary data: expected text, one address or CIDR prefix per line");
				r->stop = 1;
			} else if (skipping || len > LINE_MAX_LEN) {
				skipping += len;
				if (nl || !got) {
					too_long(r, skipping);
					skipping = 0;
				}
			} else {
				take_line(r, p, len);
			}
			p += len;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
	} while (got > 0 && !r->stop);
	if (got == 0 && skipping && !r->stop)
		too_long(r, skipping);
	free(buf);
	return got < 0 ? (int)got : 0;
}

long list_file_read(const char *path, int optional, struct prefix_set *set, struct diag *d,
		    const struct diag_ref *ref, const struct list_bound *bound)
{
	struct list_reader r = { .path = path, .set = set, .bound = bound, .d = d };
	size_t bad_before = d->count;
	char err[1024];
	struct stat st;
	int fd = trusted_open(path, 0, &st, err, sizeof(err)), ret;

	if (fd < 0) {
		if (optional && fd == -ENOENT)
			return 0;
		diag_add_ref(d, ref, path, "cannot open list file: %s%s", err,
			     fd == -ENOENT ? " (list it under optional_files if it may be absent)" : "");
		return fd;
	}
	if (bound && bound->max)
		r.compact_at = bound->max + bound->max / 2 + 1;
	ret = read_lines(&r, fd);
	close(fd);
	if (r.mapped == 1)
		diag_warn(d, path, (int)r.mapped_line, VOSFP_MAPPED_NOTE, r.mapped_text, r.mapped_as);
	else if (r.mapped > 1)
		diag_warn(d, path, (int)r.mapped_line, VOSFP_MAPPED_NOTE "; and %ld more line%s like it", r.mapped_text,
			  r.mapped_as, r.mapped - 1, r.mapped == 2 ? "" : "s");
	if (ret) {
		diag_add_ref(d, ref, path, "read error: %s", strerror(-ret));
		return ret;
	}
	return r.over ? -E2BIG : d->count == bad_before ? r.entries : -EINVAL;
}
