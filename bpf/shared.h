/* shared.h - what the two programs of sip_logic.bpf.o share beyond bpf/parse.h (the parsers,
 * port_selected): the runtime config map and the functions sip_logic.bpf.c exports to the egress
 * program (sip_answers.bpf.c).
 * The two files are compiled apart and linked into one object (bpftool gen object), so they
 * share every map and are loaded, pinned and swapped together. Declarations only. */
#ifndef VOSFP_SHARED_H
#define VOSFP_SHARED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vosfp.h"

/* Map sip_config: the file that defines it writes VOSFP_CONFIG_MAP(), the other
 * VOSFP_CONFIG_MAP(extern); the linker makes them one map. */
#define VOSFP_CONFIG_MAP(storage)				\
	storage struct {					\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__uint(max_entries, 1);				\
		__type(key, __u32);				\
		__type(value, struct vosfp_config);		\
	} sip_config SEC(".maps")

/* The programs' clock (bpf/vosfp.h: struct vosfp_clock), defined by sip_logic.bpf.c in a section
 * of its own, so user space sets it as one map value before anything attaches the programs; the
 * linker makes the egress program's declaration the same variable. */
extern struct vosfp_clock datapath_clock;

/* Now on that clock: ns of the coarse monotonic clock, a few ticks behind it at most. */
static __always_inline __u64 datapath_now(void)
{
	if (!datapath_clock.tick_ns)
		return bpf_ktime_get_coarse_ns();
	return vosfp_clock_at(&datapath_clock, bpf_jiffies64());
}

/* Block the source key for the configured time (auto_block_ms), longer when it is a repeat
 * offender (bpf/vosfp.h: auto_block_history), as of now (ns, the caller's clock). A source under
 * a live block keeps it unchanged. 1: a block was made, 0: not. */
int vosfp_auto_block(struct vosfp_src_key *key, __u32 reason, __u32 method, __u64 now);

/* Is the address of key (v4-mapped or IPv6) in the allowlist? 1 or 0. */
int vosfp_allowlisted(struct vosfp_src_key *key);

#endif /* VOSFP_SHARED_H */
