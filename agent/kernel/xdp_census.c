/* xdp_census.c - see xdp_census.h. The kernel says which program is on the hook; a bpf_link is
 * found among the kernel's links, a dispatcher through libxdp (xdp_dispatch.h); anything else
 * came through netlink (ip link, a legacy libxdp or libbpf attach). */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "xdp_census.h"
#include "xdp_hook.h"

/* The XDP bpf_link on ifindex, if any: its id. */
static unsigned xdp_link_on(int ifindex)
{
	__u32 id = 0;

	while (!bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id), ok;

		if (fd < 0)
			continue;
		ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		     (int)info.xdp.ifindex == ifindex;
		close(fd);
		if (ok)
			return id;
	}
	return 0;
}

static void prog_name(unsigned id, char *buf, size_t len)
{
	struct bpf_prog_info info = { 0 };
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	buf[0] = '\0';
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(buf, len, "%s", info.name);
	if (fd >= 0)
		close(fd);
}

int xdp_census_take(const char *ifname, struct xdp_census *c)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = (int)if_nametoindex(ifname);

	memset(c, 0, sizeof(*c));
	if (!ifindex)
		return -ENODEV;
	if (bpf_xdp_query(ifindex, 0, &q) || !(q.drv_prog_id || q.skb_prog_id))
		return 0;
	c->prog_id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	c->mode = q.drv_prog_id ? VOSFP_MODE_NATIVE : VOSFP_MODE_GENERIC;
	prog_name(c->prog_id, c->prog_name, sizeof(c->prog_name));
	c->link_id = xdp_link_on(ifindex);
	if (c->link_id)
		c->how = HOOK_BPF_LINK;
	else if (dispatch_read(ifindex, &c->dispatcher) == 1)
		c->how = HOOK_DISPATCHER;
	else
		c->how = HOOK_NETLINK;
	return 0;
}

void xdp_census_describe(const struct xdp_census *c, unsigned ours, char *buf, size_t len)
{
	size_t off;

	switch (c->how) {
	case HOOK_EMPTY:
		snprintf(buf, len, "no XDP program");
		return;
	case HOOK_BPF_LINK:
		snprintf(buf, len, "prog %u %s, attached through bpf_link %u (%s)", c->prog_id, c->prog_name,
			 c->link_id, xdp_mode_name(c->mode));
		return;
	case HOOK_NETLINK:
		snprintf(buf, len, "prog %u %s, attached through netlink (%s)", c->prog_id, c->prog_name,
			 xdp_mode_name(c->mode));
		return;
	case HOOK_DISPATCHER:
		break;
	}
	off = (size_t)snprintf(buf, len, "libxdp dispatcher %u (%s) running", c->dispatcher.id,
			       xdp_mode_name(c->dispatcher.mode));
	for (unsigned i = 0; i < c->dispatcher.n; i++) {
		const struct dispatch_prog *p = &c->dispatcher.progs[i];
		char chain[64];

		dispatch_actions_str(p->chain_call_actions, chain, sizeof(chain));
		off += snprintf(buf + off, off < len ? len - off : 0, "%s %s%s (id %u, priority %u, next program on %s)",
				i ? "," : "", p->name, p->id == ours ? " [vosfp]" : "", p->id, p->run_priority,
				chain);
	}
	if (!c->dispatcher.n)
		snprintf(buf + off, off < len ? len - off : 0, " no program");
}

const char *xdp_census_remedy(const struct xdp_census *c)
{
	switch (c->how) {
	case HOOK_BPF_LINK:
		return "the process that holds its bpf_link must release it (bpftool link show; a pinned link goes with its pin)";
	case HOOK_NETLINK:
		return "remove it with the tool that loaded it, or: ip link set dev IFACE xdp off (xdpgeneric off for generic mode)";
	case HOOK_DISPATCHER:
		return "xdp-loader unload IFACE --id ID removes one program, --all every one";
	default:
		return "";
	}
}

/* vosfp's program on ifname (either method's pin), or 0. */
static unsigned our_prog(const char *pin_path, const char *ifname, const struct xdp_hook **how)
{
	const struct xdp_hook *hooks[] = { &xdp_hook_link, &xdp_hook_dispatch };

	for (int i = 0; i < 2; i++) {
		int fd;
		unsigned id;

		if (!hooks[i]->attached(pin_path, ifname))
			continue;
		fd = hooks[i]->open_pinned(pin_path, ifname);
		id = fd >= 0 ? hooks[i]->prog_id(fd) : 0;
		if (fd >= 0)
			close(fd);
		*how = hooks[i];
		return id;
	}
	return 0;
}

void xdp_census_report(const char *pin_path, const char *ifname, char *buf, size_t len)
{
	const struct xdp_hook *how = NULL;
	unsigned ours = our_prog(pin_path, ifname, &how);
	struct xdp_census c;
	char what[768];

	if (xdp_census_take(ifname, &c)) {
		snprintf(buf, len, "no such interface");
		return;
	}
	xdp_census_describe(&c, ours, what, sizeof(what));
	if (!ours)
		snprintf(buf, len, "vosfp not attached; the hook holds %s", what);
	else if (how->method == VOSFP_ATTACH_LINK)
		snprintf(buf, len, "vosfp through bpf_link %u (%s), alone on the hook", c.link_id, xdp_mode_name(c.mode));
	else
		snprintf(buf, len, "vosfp (prog %u) in the %s", ours, what);
}
