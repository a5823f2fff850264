/* datapath.c - load the object with libbpf, size or reuse its maps, pin them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "autoblock_map.h"
#include "datapath_clock.h"
#include "datapath.h"
#include "egress.h"
#include "xdp_hook.h"
#include "log.h"
#include "plan.h"
#include "pins.h"
#include "safe_path.h"
#include "summary.h"

static void reset(struct datapath *dp)
{
	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = dp->ext_prog_fd = dp->guard_fd = dp->config_fd = dp->counters_fd = dp->xsks_fd = dp->scanner_fd = -1;
	dp->egress_prog_fd = dp->scanner_free_fd = -1;
	dp->iface_slots_fd = dp->iface_counters_fd = dp->iface_names_fd = -1;
	dp->block_index_fd = -1;
	for (int k = 0; k < SUMMARY_KINDS; k++)
		dp->summary_fd[k] = -1;
	for (int m = 0; m < VOSFP_LIST_MAPS; m++)
		dp->block.fd[m] = dp->allow.fd[m] = -1;
}

static int pinned_fd(const char *pin_path, const char *name)
{
	char path[4352];

	pins_map_path(pin_path, name, path, sizeof(path));
	return bpf_obj_get(path);
}

/* Use the pinned map for this one, when there is one. */
static int reuse(struct bpf_map *map, const char *pin_path)
{
	int fd = pinned_fd(pin_path, bpf_map__name(map)), err;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = bpf_map__reuse_fd(map, fd);
	close(fd);
	return err;
}

/* Maps whose contents outlive a resize of the lists: counts, slot assignments, AF_XDP sockets,
 * and the outside decisions (fixed sizes; only the feed writes them, never a list reload). */
static int survives_new_maps(const char *name)
{
	static const char *const kept[] = { "xdp_counters", "xsks_map", "iface_slots", "iface_counters",
					    "iface_names", "dec_ips", "dec_ips6", "dec_nets", "dec_nets6",
					    "dec_v4_sum", "dec_v6_sum", "dec_v6_wide", "dec_traffic",
					    "answer_counters" };

	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (!strcmp(name, kept[i]))
			return 1;
	return 0;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -1;
}

static int wants_dispatcher(const struct desired *want)
{
	for (unsigned i = 0; i < want->iface_count; i++)
		if (want->ifaces[i].method == VOSFP_ATTACH_DISPATCHER)
			return 1;
	return 0;
}

/* The dispatcher's copy of sip_xdp_prog: the object opened again, every map the loaded one's, only
 * sip_xdp_prog loaded, as an extension of the loaded sip_xdp_prog (any program with a function of
 * the same signature is a valid first target; libxdp links it into each dispatcher's slot). */
static int load_ext(const struct desired *want, struct datapath *dp, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int ret;

	dp->ext_obj = bpf_object__open_file(want->bpf_object, NULL);
	if (!dp->ext_obj) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s again: %s", want->bpf_object, strerror(-ret));
		return ret;
	}
	bpf_object__for_each_map(map, dp->ext_obj) {
		struct bpf_map *same = bpf_object__find_map_by_name(dp->obj, bpf_map__name(map));

		if (same && (ret = bpf_map__reuse_fd(map, bpf_map__fd(same)))) {
			snprintf(err, errlen, "cannot share map %s with the dispatcher's program: %s",
				 bpf_map__name(map), strerror(-ret));
			return ret;
		}
	}
	bpf_object__for_each_program(prog, dp->ext_obj) {
		if (strcmp(bpf_program__name(prog), "sip_xdp_prog")) {
			bpf_program__set_autoload(prog, false);
			continue;
		}
		bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
		bpf_program__set_expected_attach_type(prog, 0);
		ret = bpf_program__set_attach_target(prog, dp->prog_fd, "sip_xdp_prog");
		if (ret) {
			snprintf(err, errlen, "cannot target sip_xdp_prog: %s", strerror(-ret));
			return ret;
		}
	}
	ret = bpf_object__load(dp->ext_obj);
	if (ret) {
		snprintf(err, errlen,
			 "the kernel refused sip_xdp_prog as a freplace program, which libxdp's dispatcher needs: %s%s",
			 strerror(-ret),
			 ret == -EPERM ? " (this kernel refuses freplace and tracing programs: libxdp cannot run a dispatcher here either; use xdp_attach.method: link)" : "");
		return ret;
	}
	prog = bpf_object__find_program_by_name(dp->ext_obj, "sip_xdp_prog");
	dp->ext_prog_fd = prog ? bpf_program__fd(prog) : -1;
	return dp->ext_prog_fd < 0 ? -ENOENT : 0;
}

/* The program reads jiffies when the tick could be measured, else the coarse clock's helper:
 * both correct, so a failure is only said. */
static void set_clock(struct bpf_object *obj)
{
	char why[160];
	unsigned hz = datapath_clock_set(obj, why, sizeof(why));

	if (hz)
		log_msg(LOG_DEBUG, "datapath clock: jiffies, HZ %u", hz);
	else
		log_msg(LOG_NOTICE, "datapath clock: the coarse clock's helper (%s)", why);
}

int datapath_load(const struct desired *want, enum dp_maps how, struct datapath *dp, char *err,
		  size_t errlen)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int ret;

	reset(dp);
	dp->obj = bpf_object__open_file(want->bpf_object, NULL);
	if (!dp->obj) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", want->bpf_object, strerror(-ret));
		return ret;
	}
	bpf_object__for_each_map(map, dp->obj) {
		const char *name = bpf_map__name(map);
		int is_summary = 0, is_block, is_allow;

		for (int k = 0; k < SUMMARY_KINDS; k++)
			is_summary |= !strcmp(name, summary_map_names[k]);
		is_block = !is_summary && !strncmp(name, "blocked_", 8);
		is_allow = !is_summary && !strncmp(name, "allowed_", 8);

		/* The object's own data (.rodata: constant tables) is never pinned, and bpffs refuses
		 * to even look a dotted name up (EPERM). */
		if (strchr(name, '.'))
			continue;
		if (how == DP_REUSE_PINS || survives_new_maps(name)) {
			ret = reuse(map, want->pin_path);
			if (ret) {
				snprintf(err, errlen, "pinned map %s/%s does not fit %s: %s", want->pin_path,
					 name, want->bpf_object, strerror(-ret));
				goto fail;
			}
		} else if (is_block || is_allow) {
			bpf_map__set_max_entries(map, is_block ? want->blocklist_max : want->allowlist_max);
		} else if (!strcmp(name, "rate_state") || !strcmp(name, "answer_peers") ||
			   !strcmp(name, "answer_calls")) {
			/* The answer rule tracks peers (and their open challenges) as the rate
			 * limit tracks sources: one limit for both. */
			bpf_map__set_max_entries(map, want->rate_sources_max);
		} else if (!strcmp(name, "auto_blocked") || !strcmp(name, "auto_block_history")) {
			bpf_map__set_max_entries(map, want->auto_block_max);
		}
	}
	/* The egress program is verified only for a config that attaches it: without the answers
	 * section a load costs what it did before there was one. */
	prog = bpf_object__find_program_by_name(dp->obj, EGRESS_PROG_NAME);
	if (prog && !want->egress)
		bpf_program__set_autoload(prog, false);
	ret = bpf_object__load(dp->obj);
	if (ret) {
		snprintf(err, errlen, "kernel refused %s: %s", want->bpf_object, strerror(-ret));
		goto fail;
	}
	prog = bpf_object__find_program_by_name(dp->obj, "sip_xdp_prog");
	if (!prog) {
		ret = -ENOENT;
		snprintf(err, errlen, "%s has no program sip_xdp_prog", want->bpf_object);
		goto fail;
	}
	dp->prog_fd = bpf_program__fd(prog);
	prog = bpf_object__find_program_by_name(dp->obj, EGRESS_PROG_NAME);
	dp->egress_prog_fd = prog && want->egress ? bpf_program__fd(prog) : -1;
	prog = bpf_object__find_program_by_name(dp->obj, "sip_tc_guard");
	dp->guard_fd = prog ? bpf_program__fd(prog) : -1;	/* an older object has none */
	dp->config_fd = map_fd(dp->obj, "sip_config");
	dp->counters_fd = map_fd(dp->obj, "xdp_counters");
	dp->xsks_fd = map_fd(dp->obj, "xsks_map");
	dp->iface_slots_fd = map_fd(dp->obj, "iface_slots");
	dp->iface_counters_fd = map_fd(dp->obj, "iface_counters");
	dp->iface_names_fd = map_fd(dp->obj, "iface_names");
	dp->scanner_fd = map_fd(dp->obj, "scanner_tokens");
	dp->scanner_free_fd = map_fd(dp->obj, "scanner_free");
	/* New maps (a list or map resized, a new layout) must not release the sources under a
	 * timed block, nor forget the repeat offenders. A block the datapath adds between this copy
	 * and the program swap stays behind; its source's next flood blocks it again. */
	if (how == DP_FRESH_MAPS)
		autoblock_carry(want->pin_path, map_fd(dp->obj, "auto_blocked"), map_fd(dp->obj, "auto_block_history"));
	/* A new horizon map (fresh maps, or pins of an object that had none) must cover the blocks
	 * already in the auto_blocked map the program will read: carried over, or reused. */
	ret = autoblock_horizon_cover(map_fd(dp->obj, "auto_blocked"), map_fd(dp->obj, "auto_block_horizon"),
				      map_fd(dp->obj, "auto_block_slots"));
	if (ret) {
		snprintf(err, errlen, "cannot set auto_block_horizon and auto_block_slots from auto_blocked: %s",
			 strerror(-ret));
		goto fail;
	}
	for (int m = 0; m < VOSFP_LIST_MAPS; m++) {
		dp->block.fd[m] = map_fd(dp->obj, pins_block_maps[m]);
		dp->allow.fd[m] = map_fd(dp->obj, pins_allow_maps[m]);
	}
	dp->block_index_fd = map_fd(dp->obj, pins_block_index_map);
	for (int k = 0; k < SUMMARY_KINDS; k++)
		dp->summary_fd[k] = map_fd(dp->obj, summary_map_names[k]);
	if (wants_dispatcher(want) && (ret = load_ext(want, dp, err, errlen)))
		goto fail;
	/* Last: the dispatcher's copy shares the clock's map, and must not see it set and then
	 * overwritten by its own load. */
	set_clock(dp->obj);
	return 0;
fail:
	bpf_object__close(dp->ext_obj);
	bpf_object__close(dp->obj);
	reset(dp);
	return ret;
}

/* Put back the pins datapath_pin replaced (old[i] -1: there was none), closing the fds. */
static void unpin_replaced(const char *pin_path, char names[][64], int *old, int n)
{
	char path[4352];

	for (int i = 0; i < n; i++) {
		int ret = 0;

		pins_map_path(pin_path, names[i], path, sizeof(path));
		if (old[i] >= 0)
			ret = pins_replace(old[i], path);
		else if (unlink(path) && errno != ENOENT)
			ret = -errno;
		if (ret)
			log_msg(LOG_ERR, "%s: cannot put the previous pin back: %s", path, strerror(-ret));
		if (old[i] >= 0)
			close(old[i]);
	}
}

int datapath_pin(const struct desired *want, struct datapath *dp, char *err, size_t errlen)
{
	char path[4352], names[DATAPATH_MAPS_MAX][64];
	int old[DATAPATH_MAPS_MAX], n = 0, ret = 0;
	struct bpf_map *map;

	ret = safe_path_make_dir(want->pin_path, "pin_path", err, errlen);
	if (ret)
		return ret;
	bpf_object__for_each_map(map, dp->obj) {
		const char *name = bpf_map__name(map);

		if (strchr(name, '.') || bpf_map__fd(map) < 0)
			continue;
		if (n == DATAPATH_MAPS_MAX) {
			ret = -E2BIG;
			snprintf(err, errlen, "%s has more than %d maps", want->bpf_object, DATAPATH_MAPS_MAX);
			break;
		}
		pins_map_path(want->pin_path, name, path, sizeof(path));
		/* A fresh map replaces the old pin, a reused one is pinned again, unchanged; the old
		 * one is kept until every pin is in place, to be put back on a failure. */
		old[n] = bpf_obj_get(path);
		snprintf(names[n++], sizeof(names[0]), "%s", name);
		ret = pins_replace(bpf_map__fd(map), path);
		if (ret) {
			snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
			break;
		}
	}
	if (ret) {
		unpin_replaced(want->pin_path, names, old, n);
		return ret;
	}
	for (int i = 0; i < n; i++)
		if (old[i] >= 0)
			close(old[i]);
	return 0;
}

int datapath_pin_missing(const struct desired *want, struct datapath *dp, struct pin_list *made,
			 char *err, size_t errlen)
{
	struct bpf_map *map;
	char path[4352];

	made->n = 0;
	bpf_object__for_each_map(map, dp->obj) {
		const char *name = bpf_map__name(map);

		if (strchr(name, '.') || bpf_map__fd(map) < 0)
			continue;
		pins_map_path(want->pin_path, name, path, sizeof(path));
		if (access(path, F_OK) == 0)
			continue;
		if (made->n == DATAPATH_MAPS_MAX || bpf_obj_pin(bpf_map__fd(map), path)) {
			int ret = made->n == DATAPATH_MAPS_MAX ? -E2BIG : -errno;

			snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
			return ret;
		}
		snprintf(made->names[made->n++], sizeof(made->names[0]), "%s", name);
	}
	return 0;
}

void datapath_unpin(const char *pin_path, const struct pin_list *made)
{
	char path[4352];

	for (int i = 0; i < made->n; i++) {
		pins_map_path(pin_path, made->names[i], path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			log_msg(LOG_ERR, "%s: cannot remove the pin this run made: %s", path, strerror(errno));
	}
}

void datapath_close(struct datapath *dp)
{
	bpf_object__close(dp->ext_obj);
	if (dp->obj) {
		bpf_object__close(dp->obj);
	} else {
		int *fds[] = { &dp->config_fd, &dp->counters_fd, &dp->xsks_fd, &dp->scanner_fd,
			       &dp->scanner_free_fd, &dp->iface_slots_fd, &dp->iface_counters_fd, &dp->iface_names_fd,
			       &dp->block_index_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (*fds[i] >= 0)
				close(*fds[i]);
		for (int k = 0; k < SUMMARY_KINDS; k++)
			if (dp->summary_fd[k] >= 0)
				close(dp->summary_fd[k]);
		for (int m = 0; m < VOSFP_LIST_MAPS; m++) {
			if (dp->block.fd[m] >= 0)
				close(dp->block.fd[m]);
			if (dp->allow.fd[m] >= 0)
				close(dp->allow.fd[m]);
		}
	}
	reset(dp);
}

int datapath_open_pinned_maps(const char *pin_path, struct datapath *dp, char *err, size_t errlen)
{
	int missing = 0;

	reset(dp);
	dp->config_fd = pinned_fd(pin_path, "sip_config");
	dp->counters_fd = pinned_fd(pin_path, "xdp_counters");
	dp->scanner_fd = pinned_fd(pin_path, "scanner_tokens");
	/* Optional (the v6 summaries and prefix index, the per-interface maps): pins of an older
	 * object lack them until its program is swapped. */
	dp->block_index_fd = pinned_fd(pin_path, pins_block_index_map);
	dp->scanner_free_fd = pinned_fd(pin_path, "scanner_free");
	dp->iface_slots_fd = pinned_fd(pin_path, "iface_slots");
	dp->iface_counters_fd = pinned_fd(pin_path, "iface_counters");
	dp->iface_names_fd = pinned_fd(pin_path, "iface_names");
	for (int m = 0; m < VOSFP_LIST_MAPS; m++) {
		dp->block.fd[m] = pinned_fd(pin_path, pins_block_maps[m]);
		dp->allow.fd[m] = pinned_fd(pin_path, pins_allow_maps[m]);
		if (dp->block.fd[m] < 0 || dp->allow.fd[m] < 0)
			break;
	}
	for (int k = 0; k < SUMMARY_KINDS; k++) {
		dp->summary_fd[k] = pinned_fd(pin_path, summary_map_names[k]);
		if (dp->summary_fd[k] < 0 && !(summary_optional(k) && errno == ENOENT))
			missing = 1;
	}
	if (missing || dp->config_fd < 0 || dp->counters_fd < 0 || dp->scanner_fd < 0 ||
	    dp->block.fd[VOSFP_LIST_MAPS - 1] < 0 || dp->allow.fd[VOSFP_LIST_MAPS - 1] < 0) {
		int ret = -errno;

		snprintf(err, errlen, "cannot open the maps pinned under %s: %s", pin_path, strerror(errno));
		datapath_close(dp);
		return ret;
	}
	return 0;
}

static int prog_tag(int prog_fd, __u8 tag[BPF_TAG_SIZE])
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	memcpy(tag, info.tag, BPF_TAG_SIZE);
	return 0;
}

/* Does the first attached egress filter run a program other than prog_fd's (the declared one)? */
static int egress_outdated(const struct observed *have, int prog_fd)
{
	__u8 running[BPF_TAG_SIZE], declared[BPF_TAG_SIZE];
	unsigned id = 0;
	int fd, differs = 0;

	for (unsigned i = 0; !id && i < have->egress_count; i++)
		if (have->egress[i].attached)
			id = egress_filter_prog(have->egress[i].name);
	if (!id || prog_fd < 0 || prog_tag(prog_fd, declared))
		return 0;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		differs = !prog_tag(fd, running) && memcmp(running, declared, BPF_TAG_SIZE);
		close(fd);
	}
	return differs;
}

/* Is the program on our links the declared object's? Loading the object (on the pinned maps)
 * is the only way to know its program's tag, so it is done once per object file version:
 * at start, and when bpf_object's path or mtime changes. */
int datapath_outdated(const struct desired *want, const struct observed *have)
{
	static char checked_path[PATH_MAX];
	static struct timespec checked_mtime;
	__u8 running[BPF_TAG_SIZE], declared[BPF_TAG_SIZE];
	const struct xdp_hook *hook;
	struct datapath dp;
	struct stat st;
	char err[512];
	int link_fd, prog_fd, outdated = 0;

	if (!have->pinned || !have->iface_count || stat(want->bpf_object, &st))
		return 0;
	if (!strcmp(checked_path, want->bpf_object) && st.st_mtim.tv_sec == checked_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == checked_mtime.tv_nsec)
		return 0;
	hook = xdp_hook_of(have->ifaces[0].method);
	link_fd = hook->open_pinned(want->pin_path, have->ifaces[0].name);
	if (link_fd < 0)
		return 0;
	prog_fd = xdp_hook_prog_fd(hook, link_fd);
	close(link_fd);
	if (prog_fd < 0 || prog_tag(prog_fd, running)) {
		if (prog_fd >= 0)
			close(prog_fd);
		return 0;
	}
	close(prog_fd);
	if (datapath_load(want, DP_REUSE_PINS, &dp, err, sizeof(err)) == 0) {
		outdated = prog_tag(dp.prog_fd, declared) == 0 && memcmp(running, declared, BPF_TAG_SIZE);
		outdated |= egress_outdated(have, dp.egress_prog_fd);
		datapath_close(&dp);
	} else {
		outdated = 1;	/* the swap will fail the same way, with the message and a rollback */
	}
	snprintf(checked_path, sizeof(checked_path), "%s", want->bpf_object);
	checked_mtime = st.st_mtim;
	return outdated;
}
