/* egress.c - see egress.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress.h"
#include "pins.h"
#include "vosfp.h"

static int hook_of(const char *ifname, struct bpf_tc_hook *hook)
{
	int ifindex = (int)if_nametoindex(ifname);

	if (!ifindex)
		return -ENODEV;
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_EGRESS;
	return 0;
}

static void ours(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = VOSFP_TC_HANDLE;
	opts->priority = VOSFP_TC_PRIORITY;
}

/* ifname's egress hook and vosfp's filter on it: 0, or -ENODEV. */
static int our_filter(const char *ifname, struct bpf_tc_hook *hook, struct bpf_tc_opts *opts)
{
	ours(opts);
	return hook_of(ifname, hook);
}

unsigned egress_filter_prog(const char *ifname)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;

	if (our_filter(ifname, &hook, &opts) || bpf_tc_query(&hook, &opts))
		return 0;
	return opts.prog_id;
}

static int prog_named_ours(unsigned id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), ok;

	if (fd < 0)
		return 0;
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, EGRESS_PROG_NAME);
	close(fd);
	return ok;
}

int egress_replace(const char *ifname, int prog_fd)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret = our_filter(ifname, &hook, &opts);

	opts.prog_fd = prog_fd;
	opts.flags = BPF_TC_F_REPLACE;
	return ret ? ret : bpf_tc_attach(&hook, &opts);
}

int egress_attach(const char *ifname, int prog_fd, unsigned *replaced_id, char *why, size_t len)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	unsigned there;
	int ret;

	*replaced_id = 0;
	ret = hook_of(ifname, &hook);
	if (ret) {
		snprintf(why, len, "no such interface");
		return ret;
	}
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		snprintf(why, len, "cannot add the clsact qdisc: %s", strerror(-ret));
		return ret;
	}
	there = egress_filter_prog(ifname);
	if (there && !prog_named_ours(there)) {
		snprintf(why, len,
			 "a filter of program id %u holds vosfp's handle 0x%x priority %d: refusing to replace it (tc filter del dev %s egress handle 0x%x prio %d bpf)",
			 there, VOSFP_TC_HANDLE, VOSFP_TC_PRIORITY, ifname, VOSFP_TC_HANDLE, VOSFP_TC_PRIORITY);
		return -EEXIST;
	}
	ours(&opts);
	opts.prog_fd = prog_fd;
	opts.flags = there ? BPF_TC_F_REPLACE : 0;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret) {
		snprintf(why, len, "cannot attach the egress filter: %s", strerror(-ret));
		return ret;
	}
	*replaced_id = there;
	return 0;
}

int egress_detach(const char *ifname)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret = our_filter(ifname, &hook, &opts);

	return ret ? ret : bpf_tc_detach(&hook, &opts);
}

int egress_pin(const char *pin_path, const char *ifname, int prog_fd)
{
	char path[4352];

	pins_egress_dir(pin_path, path, sizeof(path));
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	pins_egress_path(pin_path, ifname, path, sizeof(path));
	unlink(path);
	return bpf_obj_pin(prog_fd, path) ? -errno : 0;
}

int egress_unpin(const char *pin_path, const char *ifname)
{
	char path[4352];

	pins_egress_path(pin_path, ifname, path, sizeof(path));
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

unsigned egress_pinned_prog(const char *pin_path, const char *ifname)
{
	char path[4352];

	pins_egress_path(pin_path, ifname, path, sizeof(path));
	return pins_object_id(path);
}

int egress_recorded_attached(const char *pin_path, const char *ifname, unsigned *filter_id)
{
	unsigned pinned = egress_pinned_prog(pin_path, ifname), id = egress_filter_prog(ifname);

	if (filter_id)
		*filter_id = id;
	return pinned && id == pinned;
}
