/* autoblock_map.c - see autoblock_map.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "autoblock_map.h"
#include "config.h"
#include "file_trust.h"
#include "log.h"
#include "pins.h"

#define BATCH 1024

__u64 autoblock_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

void autoblock_clocks_now(struct autoblock_clocks *c)
{
	struct timespec t;

	c->mono_ns = autoblock_now();
	clock_gettime(CLOCK_REALTIME, &t);
	c->realtime_s = t.tv_sec;
}

static int open_map(const char *pin_path, char *path, size_t len)
{
	pins_map_path(pin_path, "auto_blocked", path, len);
	return bpf_obj_get(path);
}

static int append(struct autoblock_set *s, size_t *cap, const struct vosfp_src_key *k,
		  const struct vosfp_auto_block *v)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct autoblock *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		*cap = ncap;
	}
	s->v[s->n++] = (struct autoblock){ .key = *k, .expires = v->expires, .reason = v->reason,
					   .method = v->method };
	return 0;
}

/* Batch lookups: a few syscalls for the whole map (at most its max_entries, 65536 by default),
 * where one lookup per key would cost two syscalls each. */
static int read_fd(int fd, __u64 now, struct autoblock_set *out)
{
	static struct vosfp_src_key keys[BATCH];
	static struct vosfp_auto_block vals[BATCH];
	__u32 in = 0, next = 0;
	size_t cap = 0;
	int first = 1;

	for (;;) {
		__u32 count = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &next, keys, vals, &count, NULL);
		int err = ret ? errno : 0;

		if (ret && err != ENOENT)
			return -err;
		for (__u32 i = 0; i < count; i++)
			if (vals[i].expires > now && append(out, &cap, &keys[i], &vals[i]))
				return -ENOMEM;
		if (err == ENOENT)
			break;
		in = next;
		first = 0;
	}
	autoblock_sort(out);
	return 0;
}

/* Raise the horizon to the latest expiry in s; it never goes down. */
static int raise_horizon_over(int horizon_fd, const struct autoblock_set *s)
{
	__u32 zero = 0;
	__u64 horizon, latest = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].expires > latest)
			latest = s->v[i].expires;
	if (bpf_map_lookup_elem(horizon_fd, &zero, &horizon))
		return -errno;
	if (horizon >= latest)
		return 0;
	/* Not atomic with the datapath's own raises: one racing this write can be lowered by at
	 * most the gap between its expiry and ours, the time the agent took since it read. */
	return bpf_map_update_elem(horizon_fd, &zero, &latest, BPF_ANY) ? -errno : 0;
}

int autoblock_horizon_cover(int blocked_fd, int horizon_fd)
{
	struct autoblock_set s = { 0 };
	int ret;

	/* An object from before the flood defence, or before the horizon: nothing to cover. */
	if (blocked_fd < 0 || horizon_fd < 0)
		return 0;
	ret = read_fd(blocked_fd, autoblock_now(), &s);
	if (!ret)
		ret = raise_horizon_over(horizon_fd, &s);
	autoblock_set_free(&s);
	return ret;
}

int autoblock_map_read(const char *pin_path, __u64 now, struct autoblock_set *out, char *err, size_t errlen)
{
	char path[4352];
	int fd = open_map(pin_path, path, sizeof(path)), ret;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	ret = read_fd(fd, now, out);
	if (ret) {
		snprintf(err, errlen, "reading %s: %s", path, strerror(-ret));
		autoblock_set_free(out);
	}
	close(fd);
	return ret;
}

/* The persist file is the agent's own state, not operator policy: a bad line (a torn write from
 * before the atomic rename, a hand edit) costs that one entry, logged without its content; it
 * never stops the agent or the other entries, unlike a bad line in a list file. Opened as the
 * agent opens any input (file_trust.h), and never through a symlink: a link to another file would
 * make the agent read (and echo) that file, and then replace the link. */
static void read_file(const char *file, struct autoblock_set *out)
{
	struct autoblock_clocks c;
	struct stat st;
	size_t cap = 0, bad = 0;
	char line[512], why[1024];
	int lineno = 0, fd = trusted_open(file, TRUST_NOFOLLOW, &st, why, sizeof(why));
	FILE *f;

	memset(out, 0, sizeof(*out));
	if (fd < 0) {
		if (fd != -ENOENT)
			log_msg(LOG_WARNING, "auto-block: %s: %s; nothing restored", file, why);
		return;
	}
	if ((unsigned long long)st.st_size > AUTOBLOCK_PERSIST_MAX_BYTES) {
		log_msg(LOG_WARNING, "auto-block: %s: %lld bytes, more than %llu live blocks could take; nothing restored",
			file, (long long)st.st_size, (unsigned long long)VOSFP_DEFENCE_MAP_MAX);
		close(fd);
		return;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return;
	}
	autoblock_clocks_now(&c);
	while (fgets(line, sizeof(line), f) && out->n < VOSFP_DEFENCE_MAP_MAX) {
		struct autoblock b;
		int r;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		r = autoblock_line_parse(line, &c, &b, why, sizeof(why));
		if (r < 0 && bad++ < AUTOBLOCK_LOG_CAP)
			log_msg(LOG_WARNING, "%s:%d: %s; line skipped", file, lineno, why);
		if (r > 0) {
			struct vosfp_auto_block v = { .expires = b.expires, .reason = b.reason, .method = b.method };

			if (append(out, &cap, &b.key, &v))
				break;
		}
	}
	if (ferror(f))
		log_msg(LOG_WARNING, "auto-block: reading %s: %s; the entries before line %d restored", file,
			strerror(errno), lineno);
	if (bad > AUTOBLOCK_LOG_CAP)
		log_msg(LOG_WARNING, "%s: ... and %zu more lines skipped", file, bad - AUTOBLOCK_LOG_CAP);
	fclose(f);
}

/* Before restoring s: the datapath would not look for entries beyond its horizon. */
static int raise_pinned_horizon(const char *pin_path, const struct autoblock_set *s)
{
	char path[4352];
	int fd, ret;

	pins_map_path(pin_path, "auto_block_horizon", path, sizeof(path));
	fd = bpf_obj_get(path);
	/* No horizon pinned: the program in place predates it and looks every source up. */
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = raise_horizon_over(fd, s);
	close(fd);
	if (ret)
		log_msg(LOG_WARNING, "auto-block: cannot raise %s: %s; nothing restored", path, strerror(-ret));
	return ret;
}

static void restore(struct autoblock_watch *w, const char *pin_path)
{
	struct autoblock_set s;
	char path[4352], addr[AUTOBLOCK_ADDR_STRLEN];
	unsigned restored = 0;
	int fd;

	read_file(w->persist, &s);
	if (!s.n) {
		autoblock_set_free(&s);
		return;
	}
	fd = open_map(pin_path, path, sizeof(path));
	if (fd < 0) {
		log_msg(LOG_WARNING, "auto-block: cannot open %s: %s; nothing restored", path, strerror(errno));
		autoblock_set_free(&s);
		return;
	}
	if (raise_pinned_horizon(pin_path, &s)) {
		close(fd);
		autoblock_set_free(&s);
		return;
	}
	for (size_t i = 0; i < s.n; i++) {
		struct vosfp_auto_block v = { .expires = s.v[i].expires, .reason = s.v[i].reason,
					      .method = s.v[i].method };

		/* An entry already in the map is the datapath's own, newer word: keep it. */
		if (!bpf_map_update_elem(fd, &s.v[i].key, &v, BPF_NOEXIST))
			restored++;
		else if (errno != EEXIST)
			log_msg(LOG_WARNING, "auto-block: restoring %s: %s",
				autoblock_addr(&s.v[i].key, addr, sizeof(addr)), strerror(errno));
	}
	close(fd);
	log_msg(LOG_INFO, "auto-block: restored %u of %zu live entr%s from %s", restored, s.n,
		s.n == 1 ? "y" : "ies", w->persist);
	autoblock_set_free(&s);
}

void autoblock_watch_follow(struct autoblock_watch *w, const char *pin_path, const char *persist_file)
{
	if (!strcmp(w->persist, persist_file))
		return;
	snprintf(w->persist, sizeof(w->persist), "%s", persist_file);
	w->file_valid = 0;
	if (w->persist[0])
		restore(w, pin_path);
}

static void log_change(void *ctx, enum autoblock_change what, const struct autoblock *b)
{
	__u64 now = *(const __u64 *)ctx;
	char addr[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN];

	autoblock_addr(&b->key, addr, sizeof(addr));
	autoblock_reason(b->reason, b->method, reason, sizeof(reason));
	if (what == AUTOBLOCK_BLOCKED)
		log_msg(LOG_NOTICE, "%s: auto-blocked for %llu s (%s)", addr, autoblock_seconds_left(b, now), reason);
	else
		log_msg(LOG_NOTICE, "%s: auto-block released (%s, %s)", addr, reason,
			now >= b->expires ? "expired" : "removed");
}

/* Whole file to a temp name beside it, then rename: a reader (or a crash) sees the old file or
 * the new one, never half of one. The temp file is made new (O_EXCL, never through a link: what
 * was there is removed first), mode 0600, in a directory only root can change; the rename
 * replaces a link at the persist path rather than writing through it. */
static int write_file(const char *file, const struct autoblock_set *s, char *why, size_t len)
{
	struct autoblock_clocks c;
	char tmp[PATH_MAX + 16], dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(file, '/');
	int fd, ok, ret;
	FILE *f;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - file) + !(slash - file) : 1, slash ? file : ".");
	ret = trusted_dir(dir, real, why, len);
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if (unlink(tmp) && errno != ENOENT) {
		ret = -errno;
		snprintf(why, len, "removing the old temp file .tmp: %s", strerror(-ret));
		return ret;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		snprintf(why, len, "creating the temp file .tmp: %s", strerror(-ret));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return ret;
	}
	autoblock_clocks_now(&c);
	for (size_t i = 0; i < s->n; i++) {
		char line[160];

		autoblock_line_format(&s->v[i], &c, line, sizeof(line));
		fputs(line, f);
	}
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, file)) {
		ret = -errno;
		snprintf(why, len, "%s", strerror(-ret));
		unlink(tmp);
		return ret;
	}
	/* The rename itself on disk: a power cut must not bring back the previous file. */
	fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

void autoblock_watch_tick(struct autoblock_watch *w, const char *pin_path)
{
	__u64 now = autoblock_now();
	struct autoblock_set cur;
	char err[4608];
	size_t more;

	if (autoblock_map_read(pin_path, now, &cur, err, sizeof(err))) {
		log_msg(LOG_WARNING, "auto-block: %s", err);
		return;
	}
	autoblock_diff(&w->seen, &cur, log_change, &now, AUTOBLOCK_LOG_CAP, &more);
	if (more)
		log_msg(LOG_NOTICE, "... and %zu more auto-block change%s", more, more == 1 ? "" : "s");
	if (w->persist[0] && (!w->file_valid || !autoblock_set_equal(&w->written, &cur))) {
		char why[1024];

		/* Tried again every second, said once until the reason changes or it works. */
		if (write_file(w->persist, &cur, why, sizeof(why))) {
			if (strcmp(why, w->write_error))
				log_msg(LOG_WARNING, "auto-block: cannot write %s: %s (tried again every second)",
					w->persist, why);
			snprintf(w->write_error, sizeof(w->write_error), "%s", why);
		} else {
			w->file_valid = !autoblock_set_copy(&w->written, &cur);
			w->write_error[0] = '\0';
		}
	}
	autoblock_set_free(&w->seen);
	w->seen = cur;
}

void autoblock_watch_free(struct autoblock_watch *w)
{
	autoblock_set_free(&w->seen);
	autoblock_set_free(&w->written);
}
