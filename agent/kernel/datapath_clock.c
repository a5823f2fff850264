/* datapath_clock.c - measure the kernel's tick and anchor the programs' clock (bpf/vosfp.h:
 * struct vosfp_clock) to the coarse clock.
 *
 * The kernel steps jiffies and the coarse clock in one tick update (jiffies first, the clock a
 * moment later), so the last reading sip_clock_probe gives before jiffies moves on holds both of
 * one update: ns = phase + jiffies * tick. Two such readings a few ticks apart give the tick to
 * the nanosecond; a reading torn between the two writes shows as a tick off, far outside the
 * tolerance, and the measurement starts again. Only HZ values a kernel can be built with are
 * taken (kernel/Kconfig.hz), with the kernel's own tick length for each (TICK_NSEC): jiffies
 * count ticks of exactly that length of monotonic time, so the anchor holds for the uptime.
 * The coarse clock steps at its own boundaries, a whole number of its intervals apart (NTP's
 * tick length, a hair off TICK_NSEC), so where they fall between jiffies' boundaries drifts:
 * anchored a tick back, the programs' clock trails the coarse clock by less than three ticks
 * and does not lead it (by more than a late tick interrupt). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath_clock.h"
#include "mono_time.h"
#include "vosfp.h"

#define PROBE_NAME	"sip_clock_probe"
#define CLOCK_MAP_NAME	".data.clock"
#define READINGS	3		/* the tick is measured over READINGS - 1 ticks at least */
#define TRIES		3
#define SPIN_MAX_NS	200000000ULL	/* per try: a tick is 10 ms at most */

static const unsigned kernel_hz[] = { 100, 250, 300, 1000 };

struct probe {
	int prog_fd, map_fd;
};

static int probe_find(struct bpf_object *obj, struct probe *p)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, PROBE_NAME);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, CLOCK_MAP_NAME);

	p->prog_fd = prog ? bpf_program__fd(prog) : -1;
	p->map_fd = map ? bpf_map__fd(map) : -1;
	return p->prog_fd >= 0 && p->map_fd >= 0 ? 0 : -ENOENT;
}

/* One run of the probe: *c is the clock's map value, probe_* both clocks at one instant. */
static int probe_read(const struct probe *p, struct vosfp_clock *c)
{
	__u8 frame[64] = { 0 };	/* XDP wants an Ethernet header's worth; the probe reads none */
	__u32 zero = 0;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .repeat = 1);

	if (bpf_prog_test_run_opts(p->prog_fd, &opts) || bpf_map_lookup_elem(p->map_fd, &zero, c))
		return -errno;
	return 0;
}

/* The last reading of each of READINGS jiffies values in a row (see the top). */
static int last_readings(const struct probe *p, struct vosfp_clock last[READINGS])
{
	uint64_t deadline = mono_ns() + SPIN_MAX_NS;
	struct vosfp_clock prev, now;
	int n = 0, err = probe_read(p, &prev);

	while (!err && n < READINGS) {
		if (mono_ns() > deadline)
			return -ETIMEDOUT;
		err = probe_read(p, &now);
		if (!err && now.probe_jiffies != prev.probe_jiffies)
			last[n++] = prev;
		prev = now;
	}
	return err;
}

/* The kernel's tick length for the HZ whose tick the readings show, 0 for none (*hz: the HZ). */
static uint64_t snap_tick(const struct vosfp_clock last[READINGS], unsigned *hz)
{
	uint64_t ticks = last[READINGS - 1].probe_jiffies - last[0].probe_jiffies;
	uint64_t span = last[READINGS - 1].probe_ns - last[0].probe_ns, measured;

	if (!ticks || last[READINGS - 1].probe_ns < last[0].probe_ns)
		return 0;
	measured = span / ticks;
	for (size_t i = 0; i < sizeof(kernel_hz) / sizeof(kernel_hz[0]); i++) {
		uint64_t tick = (1000000000ULL + kernel_hz[i] / 2) / kernel_hz[i];

		if (measured > tick - tick / 50 && measured < tick + tick / 50) {
			*hz = kernel_hz[i];
			return tick;
		}
	}
	return 0;
}

unsigned datapath_clock_set(struct bpf_object *obj, char *why, size_t len)
{
	struct vosfp_clock last[READINGS], c;
	struct probe p;
	__u32 zero = 0;
	unsigned hz = 0;
	uint64_t tick = 0;
	int err = probe_find(obj, &p);

	if (err) {
		snprintf(why, len, "the object has no %s", PROBE_NAME);
		return 0;
	}
	for (int t = 0; t < TRIES && !tick; t++) {
		err = last_readings(&p, last);
		if (err) {
			snprintf(why, len, "cannot read the kernel's clocks with %s: %s", PROBE_NAME,
				 strerror(-err));
			return 0;
		}
		tick = snap_tick(last, &hz);
	}
	if (!tick) {
		snprintf(why, len, "jiffies moved %llu times in %llu ns: no HZ a kernel can be built with",
			 (unsigned long long)(last[READINGS - 1].probe_jiffies - last[0].probe_jiffies),
			 (unsigned long long)(last[READINGS - 1].probe_ns - last[0].probe_ns));
		return 0;
	}
	/* The anchor: the latest reading, a tick back, so that the clock never runs ahead of the
	 * coarse clock (an expiry user space wrote is never ended early); the earliest offset of
	 * the readings, should one have been read as the kernel caught several ticks up at once. */
	c = last[READINGS - 1];
	c.anchor_jiffies = c.probe_jiffies;
	c.anchor_ns = c.probe_ns;
	for (int i = 0; i < READINGS - 1; i++) {
		uint64_t at = last[i].probe_ns + (c.anchor_jiffies - last[i].probe_jiffies) * tick;

		if (at < c.anchor_ns)
			c.anchor_ns = at;
	}
	c.anchor_ns -= tick;
	c.tick_ns = tick;
	if (bpf_map_update_elem(p.map_fd, &zero, &c, BPF_ANY)) {
		snprintf(why, len, "cannot set the program's clock: %s", strerror(errno));
		return 0;
	}
	return hz;
}

uint64_t datapath_clock_now(struct bpf_object *obj)
{
	struct vosfp_clock c;
	struct probe p;

	if (probe_find(obj, &p) || probe_read(&p, &c))
		return 0;
	return c.tick_ns ? vosfp_clock_at(&c, c.probe_jiffies) : c.probe_ns;
}
