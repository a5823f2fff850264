/* autoblock.h - the datapath's timed auto-blocks (map auto_blocked) as user space sees them:
 * their text (source, reason, time left), the changes between two readings, and the lines of
 * the optional persist file. Pure user space, no kernel access (autoblock_map.h reads and writes
 * the map), so the unit tests hold every rule here. */
#ifndef VOSFP_AUTOBLOCK_H
#define VOSFP_AUTOBLOCK_H

#include <stddef.h>
#include <linux/types.h>

#include "vosfp.h"

/* One entry of auto_blocked. expires is CLOCK_MONOTONIC_COARSE ns: the programs' clock is on
 * that scale and never ahead of it (bpf/vosfp.h: struct vosfp_clock), so a fresh block read with
 * clock_gettime(CLOCK_MONOTONIC_COARSE) never shows more than its configured duration
 * (tests/integration/defence_test.sh checks). */
struct autoblock {
	struct vosfp_src_key key;
	__u64 expires;
	__u32 reason;		/* enum vosfp_block_reason */
	__u32 method;		/* enum vosfp_method */
	__u32 repeats;		/* repeats in a row (auto_block_history); 0 read from auto_blocked */
};

/* Entries sorted by key (memcmp order), so two readings diff in one merge. */
struct autoblock_set {
	struct autoblock *v;
	size_t n;
};

#define AUTOBLOCK_ADDR_STRLEN 46	/* INET6_ADDRSTRLEN */
#define AUTOBLOCK_REASON_STRLEN 48

/* "198.18.0.7" for a v4-mapped key, "2001:db8::1" otherwise. */
const char *autoblock_addr(const struct vosfp_src_key *k, char *buf, size_t len);
/* A reason's key ("rate-limit", "auth-failures", "enumeration": metrics labels, JSON), NULL for
 * one this agent does not know. The one table of reason names, beside bpf/vosfp.h's numbers. */
const char *autoblock_reason_key(__u32 reason);
/* "rate limit REGISTER" (a rate limit's names its method), "auth-failures", "enumeration";
 * "reason N" for one this agent does not know. What the logs, --stats and the persist file say. */
const char *autoblock_reason(__u32 reason, __u32 method, char *buf, size_t len);
/* Text to (reason, method), the inverse of autoblock_reason for reasons it knows: 0 or -1. */
int autoblock_reason_parse(const char *text, __u32 *reason, __u32 *method);
/* Address text (IPv4 or IPv6, no prefix length) to a key: 0 or -1. */
int autoblock_key_parse(const char *text, struct vosfp_src_key *k);

/* Seconds left at now (coarse ns), rounded up: a block made this second shows its full duration. */
unsigned long long autoblock_seconds_left(const struct autoblock *b, __u64 now);

void autoblock_sort(struct autoblock_set *s);
void autoblock_set_free(struct autoblock_set *s);
/* to becomes a copy of from (its old entries freed): 0, or -ENOMEM with to unchanged. */
int autoblock_set_copy(struct autoblock_set *to, const struct autoblock_set *from);
/* Same sources with the same expiries and repeats (what the persist file would say is unchanged). */
int autoblock_set_equal(const struct autoblock_set *a, const struct autoblock_set *b);

/* What changed from prev to cur (both sorted): each source blocked anew (absent before, or its
 * block renewed: another expiry) and each released (gone from the map, or expired by now and so
 * no longer in cur). emit gets at most cap lines; *more counts those left out. Returns the number
 * of changes. */
enum autoblock_change { AUTOBLOCK_BLOCKED, AUTOBLOCK_RELEASED };
typedef void (*autoblock_emit_fn)(void *ctx, enum autoblock_change what, const struct autoblock *b);
size_t autoblock_diff(const struct autoblock_set *prev, const struct autoblock_set *cur,
		      autoblock_emit_fn emit, void *ctx, size_t cap, size_t *more);

/* Persist file: one line per source, "ADDRESS EXPIRY_UNIX_SECONDS REASON [repeat=N]", REASON as
 * autoblock_reason writes it. With repeat offenders on, each line also carries the source's
 * repeats, and a source whose block expired is kept (its history) as long as its next block
 * would still be a repeat; the line's expiry is then in the past. Files written without
 * repeat= (before repeat offenders, or with them off) load as they always did.
 * realtime_now / mono_now: the two clocks read together, to convert expiries between them
 * (whole seconds in the file). */
struct autoblock_clocks {
	long long realtime_s;		/* CLOCK_REALTIME, seconds */
	__u64 mono_ns;			/* CLOCK_MONOTONIC_COARSE, ns */
};

/* Format one entry as a file line (with its '\n'); with_repeats adds " repeat=N". The length
 * written, as snprintf. */
int autoblock_line_format(const struct autoblock *b, const struct autoblock_clocks *c, int with_repeats,
			  char *buf, size_t len);

/* Parse one line (no '\n'). 1: an entry still live at c, in *out (expiry converted to the coarse
 * monotonic clock); AUTOBLOCK_LINE_HISTORY: an entry with repeat= that expired less than
 * repeat_within_ns ago (its next block would be a repeat), in *out with its expiry in the past;
 * one that expired before the monotonic clock's start (before this boot) is stored as expiring
 * at that start (1): a repeat until the window has passed since boot (longer than its own
 * window by the time from its expiry to the boot, and never more than one window after boot);
 * 0: a blank line, a comment, or an expired entry without repeat= or past its window (nothing to
 * restore); -1: malformed, the reason in err (which never quotes the line). */
#define AUTOBLOCK_LINE_HISTORY 2
int autoblock_line_parse(const char *line, const struct autoblock_clocks *c, __u64 repeat_within_ns,
			 struct autoblock *out, char *err, size_t errlen);

#endif
