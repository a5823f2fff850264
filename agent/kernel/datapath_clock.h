/* datapath_clock.h - sets the programs' clock (bpf/vosfp.h: struct vosfp_clock) in a loaded
 * object, before anything attaches it: measures the kernel's tick with sip_clock_probe and
 * anchors jiffies to the coarse clock. The agent, the tests' harness and the bench all load
 * through it, so what is tested and measured is the clock the agent runs. */
#ifndef VOSFP_DATAPATH_CLOCK_H
#define VOSFP_DATAPATH_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct bpf_object;

/* Measure and set the clock of a loaded object. Returns the kernel's HZ (the program now reads
 * jiffies), or 0 with why filled: it keeps calling bpf_ktime_get_coarse_ns (an object without
 * the probe, a kernel refusing the test run, a tick of no HZ a kernel can be built with).
 * Either clock is correct, so neither is an error. Takes a few ticks (30 ms at HZ 100). */
unsigned datapath_clock_set(struct bpf_object *obj, char *why, size_t len);

/* What the program's clock reads now (one run of the probe), in ns; 0 when it cannot tell. */
uint64_t datapath_clock_now(struct bpf_object *obj);

#endif
