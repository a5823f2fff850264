/* datapath.h - one loaded instance of sip_logic.bpf.o: its program and map fds. Loaded either on
 * the pinned maps (same policy, a program to attach to new interfaces) or on fresh maps of the
 * declared sizes (first start, new sizes, new object), to be filled and then pinned. */
#ifndef VOSFP_DATAPATH_H
#define VOSFP_DATAPATH_H

#include <stddef.h>

#include "apply.h"
#include "desired.h"
#include "summary.h"

struct bpf_object;

struct datapath {
	struct bpf_object *obj;
	int prog_fd;
	/* sip_xdp_prog again, loaded as a freplace (BPF_PROG_TYPE_EXT) program on the same maps: what
	 * libxdp's dispatcher runs (xdp_dispatch.h). -1 unless an interface uses the dispatcher. */
	struct bpf_object *ext_obj;
	int ext_prog_fd;
	int egress_prog_fd;		/* sip_answers (egress.h); -1 without a program load, or in an
					 * object from before it */
	int guard_fd;			/* sip_tc_guard (kernel/guard.h); -1 in an older object */
	int config_fd, counters_fd, xsks_fd;
	int scanner_fd;			/* scanner_tokens */
	int scanner_free_fd;		/* scanner_free; -1 for an older object, or its pins */
	struct list_fds block, allow;
	int block_index_fd;		/* blocked_nets6_h; -1 while pins of an older object are open
					 * without a program load (that program does not read it) */
	int summary_fd[SUMMARY_KINDS];	/* by enum summary_kind; an optional one (summary_optional)
					 * is -1 while pins of an older object are open without a
					 * program load: that program does not read it */
	/* Per-interface counting (iface_stats.h); -1 when pins from a version without it are
	 * open without a program load (they appear with the next program swap). */
	int iface_slots_fd, iface_counters_fd, iface_names_fd;
};

enum dp_maps { DP_REUSE_PINS, DP_FRESH_MAPS };

/* Open and load want->bpf_object. DP_REUSE_PINS: every map is the pinned one (a map with no pin
 * yet, added by a newer object, is created). DP_FRESH_MAPS: list and config maps are new (sized
 * from want); the counters (total and per interface) and the XSK map are still the pinned ones
 * when they exist, so counts and AF_XDP sockets survive. */
int datapath_load(const struct desired *want, enum dp_maps how, struct datapath *dp, char *err,
		  size_t errlen);

/* Pin every map under want->pin_path, replacing older pins; on a failure half way the older pins
 * are put back. */
int datapath_pin(const struct desired *want, struct datapath *dp, char *err, size_t errlen);

#define DATAPATH_MAPS_MAX 64	/* maps of one object, with room to spare */

/* Names of pins one call made (undone by datapath_unpin). */
struct pin_list {
	int n;
	char names[DATAPATH_MAPS_MAX][64];
};

/* Pin only the maps that have no pin yet (an upgrade from pins of an older object: its new maps),
 * listing them in made. Pinned maps in use are never unpinned, not even for an instant. */
int datapath_pin_missing(const struct desired *want, struct datapath *dp, struct pin_list *made,
			 char *err, size_t errlen);

/* Remove the pins in made (a rollback of datapath_pin_missing). */
void datapath_unpin(const char *pin_path, const struct pin_list *made);

void datapath_close(struct datapath *dp);

/* Open the pinned list/config maps only (no program): enough to apply list changes. */
int datapath_open_pinned_maps(const char *pin_path, struct datapath *dp, char *err, size_t errlen);

struct observed;

/* Is the program on our links other than the declared object's? Found by loading the object on
 * the pinned maps and comparing program tags, once per object file version (path and mtime). */
int datapath_outdated(const struct desired *want, const struct observed *have);

#endif
