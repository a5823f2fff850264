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

#include "autoblock_horizon.h"
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

static int append(struct autoblock_set *s, size_t *cap, const struct autoblock *b)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct autoblock *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		*cap = ncap;
	}
	s->v[s->n++] = *b;
	return 0;
}

/* The two maps keyed by source, auto_blocked and auto_block_history, as autoblock entries. */
static void from_block(const struct vosfp_src_key *k, const void *value, struct autoblock *out)
{
	const struct vosfp_auto_block *v = value;

	*out = (struct autoblock){ .key = *k, .expires = v->expires, .reason = v->reason, .method = v->method };
}

static void from_history(const struct vosfp_src_key *k, const void *value, struct autoblock *out)
{
	const struct vosfp_block_history *v = value;

	*out = (struct autoblock){ .key = *k, .expires = v->expires, .reason = v->reason, .method = v->method,
				   .repeats = v->repeats };
}

struct source_map {
	const char *name;
	size_t value_size;
	void (*entry)(const struct vosfp_src_key *k, const void *value, struct autoblock *out);
};

static const struct source_map blocks_map = { "auto_blocked", sizeof(struct vosfp_auto_block), from_block };
static const struct source_map history_map = { "auto_block_history", sizeof(struct vosfp_block_history),
					       from_history };

#define VALUE_MAX sizeof(struct vosfp_block_history)

/* The entries expiring after `after`, sorted. Batch lookups: a few syscalls for the whole map
 * (at most its max_entries, 65536 by default), where one lookup per key would cost two each. */
static int read_fd(int fd, const struct source_map *m, __u64 after, struct autoblock_set *out)
{
	static struct vosfp_src_key keys[BATCH];
	static __u8 vals[BATCH * VALUE_MAX];
	__u32 in = 0, next = 0;
	size_t cap = 0;
	int first = 1;

	for (;;) {
		__u32 count = BATCH;
		int ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &next, keys, vals, &count, NULL);
		int err = ret ? errno : 0;

		if (ret && err != ENOENT)
			return -err;
		for (__u32 i = 0; i < count; i++) {
			struct autoblock b;

			m->entry(&keys[i], vals + i * m->value_size, &b);
			if (b.expires > after && append(out, &cap, &b))
				return -ENOMEM;
		}
		if (err == ENOENT)
			break;
		in = next;
		first = 0;
	}
	autoblock_sort(out);
	return 0;
}

int autoblock_horizon_cover(int blocked_fd, int horizon_fd, int slots_fd)
{
	struct autoblock_set s = { 0 };
	int ret;

	/* An object from before the flood defence, or before the horizon: nothing to cover. */
	if (blocked_fd < 0 || horizon_fd < 0)
		return 0;
	ret = read_fd(blocked_fd, &blocks_map, autoblock_now(), &s);
	if (!ret)
		ret = autoblock_raise_horizons(horizon_fd, slots_fd, &s);
	autoblock_set_free(&s);
	return ret;
}

static int map_read(const char *pin_path, const struct source_map *m, __u64 after, struct autoblock_set *out,
		    char *err, size_t errlen)
{
	char path[4352];
	int fd, ret;

	memset(out, 0, sizeof(*out));
	pins_map_path(pin_path, m->name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return ret;
	}
	ret = read_fd(fd, m, after, out);
	if (ret) {
		snprintf(err, errlen, "reading %s: %s", path, strerror(-ret));
		autoblock_set_free(out);
	}
	close(fd);
	return ret;
}

int autoblock_map_read(const char *pin_path, __u64 now, struct autoblock_set *out, char *err, size_t errlen)
{
	return map_read(pin_path, &blocks_map, now, out, err, errlen);
}

int autoblock_history_read(const char *pin_path, struct autoblock_set *out, char *err, size_t errlen)
{
	return map_read(pin_path, &history_map, 0, out, err, errlen);
}

/* Write the entries of s into a map of m's kind; an entry already there is the datapath's own,
 * newer word: it is kept. Returns how many were written. */
static size_t write_entries(int fd, const struct source_map *m, const struct autoblock_set *s)
{
	char addr[AUTOBLOCK_ADDR_STRLEN];
	size_t written = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct autoblock *b = &s->v[i];
		struct vosfp_auto_block block = { .expires = b->expires, .reason = b->reason, .method = b->method };
		struct vosfp_block_history hist = { .expires = b->expires, .repeats = b->repeats,
						    .reason = (__u16)b->reason, .method = (__u16)b->method };

		if (!bpf_map_update_elem(fd, &b->key, m == &blocks_map ? (void *)&block : (void *)&hist, BPF_NOEXIST))
			written++;
		else if (errno != EEXIST)
			log_msg(LOG_WARNING, "auto-block: writing %s of %s: %s", m->name,
				autoblock_addr(&b->key, addr, sizeof(addr)), strerror(errno));
	}
	return written;
}

size_t autoblock_carry(const char *pin_path, int blocks_fd, int history_fd)
{
	struct autoblock_set s;
	char err[4608];
	size_t moved = 0;

	if (blocks_fd >= 0 && !autoblock_map_read(pin_path, autoblock_now(), &s, err, sizeof(err))) {
		moved = write_entries(blocks_fd, &blocks_map, &s);
		if (s.n)
			log_msg(LOG_INFO, "auto-block: %zu of %zu live entr%s carried over to the new maps", moved,
				s.n, s.n == 1 ? "y" : "ies");
		autoblock_set_free(&s);
	}
	if (history_fd >= 0 && !autoblock_history_read(pin_path, &s, err, sizeof(err))) {
		write_entries(history_fd, &history_map, &s);
		autoblock_set_free(&s);
	}
	return moved;
}

/* The persist file is the agent's own state, not operator policy: a bad line (a torn write from
 * before the atomic rename, a hand edit) costs that one entry, logged without its content; it
 * never stops the agent or the other entries, unlike a bad line in a list file. Opened as the
 * agent opens any input (file_trust.h), and never through a symlink: a link to another file would
 * make the agent read (and echo) that file, and then replace the link. Live entries go to live,
 * expired ones kept for their repeats (history, while within repeat_within_ns) to history. */
static void read_file(const char *file, __u64 repeat_within_ns, struct autoblock_set *live,
		      struct autoblock_set *history)
{
	struct autoblock_clocks c;
	struct stat st;
	size_t live_cap = 0, history_cap = 0, bad = 0;
	char line[512], why[1024];
	int lineno = 0, fd = trusted_open(file, TRUST_NOFOLLOW, &st, why, sizeof(why));
	FILE *f;

	memset(live, 0, sizeof(*live));
	memset(history, 0, sizeof(*history));
	if (fd < 0) {
		if (fd != -ENOENT)
			log_msg(LOG_WARNING, "auto-block: %s: %s; nothing restored", file, why);
		return;
	}
	if ((unsigned long long)st.st_size > AUTOBLOCK_PERSIST_MAX_BYTES) {
		log_msg(LOG_WARNING, "auto-block: %s: %lld bytes, more than %llu live blocks and as many histories could take; nothing restored",
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
	while (fgets(line, sizeof(line), f) && live->n < VOSFP_DEFENCE_MAP_MAX && history->n < VOSFP_DEFENCE_MAP_MAX) {
		struct autoblock b;
		int r;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		r = autoblock_line_parse(line, &c, repeat_within_ns, &b, why, sizeof(why));
		if (r < 0 && bad++ < AUTOBLOCK_LOG_CAP)
			log_msg(LOG_WARNING, "%s:%d: %s; line skipped", file, lineno, why);
		if ((r == 1 && append(live, &live_cap, &b)) ||
		    (r == AUTOBLOCK_LINE_HISTORY && append(history, &history_cap, &b)))
			break;
	}
	if (ferror(f))
		log_msg(LOG_WARNING, "auto-block: reading %s: %s; the entries before line %d restored", file,
			strerror(errno), lineno);
	if (bad > AUTOBLOCK_LOG_CAP)
		log_msg(LOG_WARNING, "%s: ... and %zu more lines skipped", file, bad - AUTOBLOCK_LOG_CAP);
	fclose(f);
}

/* Before restoring s: the datapath would not look for entries beyond its horizons. */
static int raise_pinned_horizon(const char *pin_path, const struct autoblock_set *s)
{
	char path[4352];
	int fd, slots_fd, slots_err, ret;

	/* Neither pinned: the program in place predates them and looks every source up; no
	 * auto_block_slots only: it reads the horizon alone. */
	pins_map_path(pin_path, "auto_block_slots", path, sizeof(path));
	slots_fd = bpf_obj_get(path);
	slots_err = slots_fd < 0 && errno != ENOENT ? -errno : 0;
	pins_map_path(pin_path, "auto_block_horizon", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0 && errno == ENOENT)
		ret = 0;
	else if (fd < 0)
		ret = -errno;
	else
		ret = slots_err ? slots_err : autoblock_raise_horizons(fd, slots_fd, s);
	if (ret)
		log_msg(LOG_WARNING, "auto-block: cannot raise %s and its slots: %s; nothing restored", path,
			strerror(-ret));
	if (fd >= 0)
		close(fd);
	if (slots_fd >= 0)
		close(slots_fd);
	return ret;
}

/* The history of the live blocks restored and, with repeat offenders on, of the expired ones the
 * file kept: their next block is a repeat. No such map (an older object's pins): nothing. */
static void restore_history(const struct autoblock_watch *w, const char *pin_path,
			    const struct autoblock_set *live, const struct autoblock_set *expired)
{
	char path[4352];
	int fd;

	pins_map_path(pin_path, history_map.name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	write_entries(fd, &history_map, live);
	if (w->repeat_within_ms)
		write_entries(fd, &history_map, expired);
	close(fd);
}

static void restore(struct autoblock_watch *w, const char *pin_path)
{
	struct autoblock_set live, expired;
	char path[4352];
	size_t restored = 0;
	int fd;

	read_file(w->persist, (__u64)w->repeat_within_ms * 1000000, &live, &expired);
	if (live.n) {
		fd = open_map(pin_path, path, sizeof(path));
		if (fd < 0)
			log_msg(LOG_WARNING, "auto-block: cannot open %s: %s; nothing restored", path, strerror(errno));
		else if (!raise_pinned_horizon(pin_path, &live))
			restored = write_entries(fd, &blocks_map, &live);
		if (fd >= 0)
			close(fd);
		log_msg(LOG_INFO, "auto-block: restored %zu of %zu live entr%s from %s", restored, live.n,
			live.n == 1 ? "y" : "ies", w->persist);
	}
	restore_history(w, pin_path, &live, &expired);
	if (expired.n && w->repeat_within_ms)
		log_msg(LOG_INFO, "auto-block: restored the repeat history of %zu source%s from %s", expired.n,
			expired.n == 1 ? "" : "s", w->persist);
	autoblock_set_free(&live);
	autoblock_set_free(&expired);
}

void autoblock_watch_follow(struct autoblock_watch *w, const char *pin_path, const char *persist_file,
			    __u32 repeat_within_ms)
{
	if (w->repeat_within_ms != repeat_within_ms)
		w->file_valid = 0;	/* the lines change form */
	w->repeat_within_ms = repeat_within_ms;
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
	char addr[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN], repeat[24] = "";

	autoblock_addr(&b->key, addr, sizeof(addr));
	autoblock_reason(b->reason, b->method, reason, sizeof(reason));
	if (b->repeats)
		snprintf(repeat, sizeof(repeat), ", repeat %u", b->repeats);
	if (what == AUTOBLOCK_BLOCKED)
		log_msg(LOG_NOTICE, "%s: auto-blocked for %llu s (%s%s)", addr, autoblock_seconds_left(b, now),
			reason, repeat);
	else
		log_msg(LOG_NOTICE, "%s: auto-block released (%s, %s)", addr, reason,
			now >= b->expires ? "expired" : "removed");
}

/* Whole file to a temp name beside it, then rename: a reader (or a crash) sees the old file or
 * the new one, never half of one. The temp file is made new (O_EXCL, never through a link: what
 * was there is removed first), mode 0600, in a directory only root can change; the rename
 * replaces a link at the persist path rather than writing through it. With with_repeats, the
 * lines carry their repeat counts. */
static int write_file(const char *file, const struct autoblock_set *s, int with_repeats, char *why, size_t len)
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
		char line[192];

		autoblock_line_format(&s->v[i], &c, with_repeats, line, sizeof(line));
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

/* With repeat offenders on: the live blocks take their repeats from the history, and the file
 * also keeps the expired blocks whose next block would still be a repeat. Both sets sorted;
 * *file gets the merge. */
static int with_history(const struct autoblock_watch *w, const char *pin_path, __u64 now,
			struct autoblock_set *cur, struct autoblock_set *file)
{
	struct autoblock_set hist;
	char err[4608];
	size_t i = 0, j = 0, cap = 0;
	int ret = autoblock_history_read(pin_path, &hist, err, sizeof(err));

	memset(file, 0, sizeof(*file));
	if (ret) {
		log_msg(LOG_WARNING, "auto-block: %s", err);
		return ret;
	}
	while (!ret && (i < cur->n || j < hist.n)) {
		int c = i == cur->n ? 1 : j == hist.n ? -1 :
			memcmp(&cur->v[i].key, &hist.v[j].key, sizeof(cur->v[i].key));

		if (c <= 0) {
			if (!c)
				cur->v[i].repeats = hist.v[j++].repeats;
			ret = append(file, &cap, &cur->v[i++]);
		} else {
			const struct autoblock *h = &hist.v[j++];

			if (h->expires <= now && now < h->expires + (__u64)w->repeat_within_ms * 1000000)
				ret = append(file, &cap, h);
		}
	}
	autoblock_set_free(&hist);
	return ret;
}

void autoblock_watch_tick(struct autoblock_watch *w, const char *pin_path)
{
	__u64 now = autoblock_now();
	struct autoblock_set cur, file = { 0 };
	const struct autoblock_set *to_write = &cur;
	char err[4608];
	size_t more;

	if (autoblock_map_read(pin_path, now, &cur, err, sizeof(err))) {
		log_msg(LOG_WARNING, "auto-block: %s", err);
		return;
	}
	if (w->repeat_within_ms && !with_history(w, pin_path, now, &cur, &file))
		to_write = &file;
	autoblock_diff(&w->seen, &cur, log_change, &now, AUTOBLOCK_LOG_CAP, &more);
	if (more)
		log_msg(LOG_NOTICE, "... and %zu more auto-block change%s", more, more == 1 ? "" : "s");
	if (w->persist[0] && (!w->file_valid || !autoblock_set_equal(&w->written, to_write))) {
		char why[1024];

		/* Tried again every second, said once until the reason changes or it works. */
		if (write_file(w->persist, to_write, w->repeat_within_ms != 0, why, sizeof(why))) {
			if (strcmp(why, w->write_error))
				log_msg(LOG_WARNING, "auto-block: cannot write %s: %s (tried again every second)",
					w->persist, why);
			snprintf(w->write_error, sizeof(w->write_error), "%s", why);
		} else {
			w->file_valid = !autoblock_set_copy(&w->written, to_write);
			w->write_error[0] = '\0';
		}
	}
	autoblock_set_free(&file);
	autoblock_set_free(&w->seen);
	w->seen = cur;
}

void autoblock_watch_free(struct autoblock_watch *w)
{
	autoblock_set_free(&w->seen);
	autoblock_set_free(&w->written);
}
