/* guard.c - the TC guard: see guard.h. Through libbpf's netlink TC helpers (Debian's libbpf 1.1
 * has no tcx): a clsact qdisc, one direct-action cls_bpf filter. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.h"

#define GUARD_PROG_NAME "sip_tc_guard"

/* The program of the filter at the guard's place on ifindex: its id, 0 if there is none. */
static __u32 filter_there(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = GUARD_HANDLE, .priority = GUARD_PRIORITY);

	return bpf_tc_query(&hook, &q) ? 0 : q.prog_id;
}

/* Is program id a guard (by name: the only thing a filter tells about its program)? */
static int is_guard(__u32 id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), ok;

	if (fd < 0)
		return 0;
	ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, GUARD_PROG_NAME);
	close(fd);
	return ok;
}

int guard_on(struct guard *g, int ifindex, int prog_fd, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_HANDLE, .priority = GUARD_PRIORITY,
		    .prog_fd = prog_fd);
	__u32 there;
	int err;

	memset(g, 0, sizeof(*g));
	g->ifindex = ifindex;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		snprintf(why, len, "cannot create its clsact qdisc: %s", strerror(-err));
		return err;
	}
	g->made_qdisc = !err;
	there = filter_there(ifindex);
	if (there && !is_guard(there)) {
		snprintf(why, len, "TC ingress filter priority %d handle %#x is taken (prog id %u): the guard needs it",
			 GUARD_PRIORITY, GUARD_HANDLE, there);
		return -EEXIST;
	}
	if (there)
		opts.flags = BPF_TC_F_REPLACE;	/* a guard a killed run left */
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		snprintf(why, len, "cannot attach the TC guard: %s", strerror(-err));
		if (g->made_qdisc) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		return err;
	}
	g->on = 1;
	return 0;
}

int guard_off(struct guard *g)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = g->ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_HANDLE, .priority = GUARD_PRIORITY);
	int err;

	if (!g->on)
		return 0;
	err = bpf_tc_detach(&hook, &opts);
	if (err)
		return err;
	g->on = 0;
	/* Only a qdisc made for the guard, and with both directions: destroying BPF_TC_INGRESS
	 * alone would flush every ingress filter, other tools' included. */
	if (g->made_qdisc) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		err = bpf_tc_hook_destroy(&hook);
	}
	return err == -ENOENT ? 0 : err;
}

int guard_sweep(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = GUARD_HANDLE, .priority = GUARD_PRIORITY);
	__u32 there = filter_there(ifindex);
	int err;

	if (!there || !is_guard(there))
		return 0;
	err = bpf_tc_detach(&hook, &opts);
	return err ? err : 1;
}
