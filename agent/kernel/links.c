/* links.c - attach, pin, swap and detach XDP links: the "link" method of xdp_hook.h. A pin is
 * replaced in one step, never removed first: a link held only by this process must outlive it
 * once pinned. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "links.h"
#include "xdp_hook.h"
#include "pins.h"

static __u32 mode_flag(enum vosfp_xdp_mode m)
{
	switch (m) {
	case VOSFP_MODE_GENERIC:
		return XDP_FLAGS_SKB_MODE;
	case VOSFP_MODE_OFFLOAD:
		return XDP_FLAGS_HW_MODE;
	default:
		return XDP_FLAGS_DRV_MODE;
	}
}

int link_attach(int prog_fd, const struct desired_iface *di, int *link_fd,
		enum vosfp_xdp_mode *used, char *why, size_t whylen)
{
	int ifindex = (int)if_nametoindex(di->name);
	size_t off = 0;

	why[0] = '\0';
	if (!ifindex) {
		snprintf(why, whylen, "no such interface");
		return -ENODEV;
	}
	for (unsigned i = 0; i < di->mode_count; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flag(di->modes[i]));
		int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

		if (fd >= 0) {
			*link_fd = fd;
			*used = di->modes[i];
			return 0;
		}
		off += snprintf(why + off, off < whylen ? whylen - off : 0, "%s%s: %s",
				off ? "; " : "", xdp_mode_name(di->modes[i]), strerror(errno));
	}
	return -EOPNOTSUPP;
}

int link_pin(const char *pin_path, const char *ifname, int link_fd)
{
	char dir[4352], path[4352];

	pins_links_dir(pin_path, dir, sizeof(dir));
	pins_link_path(pin_path, ifname, path, sizeof(path));
	return pins_replace_in(dir, "pin_path's links directory", link_fd, path);
}

int link_open_pinned(const char *pin_path, const char *ifname)
{
	char path[4352];
	int fd;

	pins_link_path(pin_path, ifname, path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int link_unpin(const char *pin_path, const char *ifname)
{
	char path[4352];

	pins_link_path(pin_path, ifname, path, sizeof(path));
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

unsigned link_prog_id(int link_fd)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(link_fd, &info, &len) ? 0 : info.prog_id;
}

int link_attached(const char *pin_path, const char *ifname)
{
	struct bpf_link_info info = { 0 };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 len = sizeof(info);
	int ifindex = (int)if_nametoindex(ifname), fd = link_open_pinned(pin_path, ifname), ok;

	if (fd < 0)
		return 0;
	ok = ifindex && !bpf_obj_get_info_by_fd(fd, &info, &len) && (int)info.xdp.ifindex == ifindex &&
	     !bpf_xdp_query(ifindex, 0, &q) && q.prog_id == info.prog_id;
	close(fd);
	return ok;
}

static int link_take_off(int ifindex, int fd)
{
	(void)ifindex;
	return bpf_link_detach(fd) ? -errno : 0;
}

/* bpf_link_update: the kernel switches the program in one step. */
static int link_replace(const struct desired_iface *di, int ifindex, int *fd, int new_prog_fd, char *why,
			size_t len)
{
	(void)di;
	(void)ifindex;
	if (bpf_link_update(*fd, new_prog_fd, NULL)) {
		int err = -errno;

		snprintf(why, len, "%s", strerror(-err));
		return err;
	}
	return 0;
}

/* The kernel detaches a link with its last holder: the pin is it, once the agent's fds are closed. */
static int link_remove(const char *pin_path, const char *ifname)
{
	return link_unpin(pin_path, ifname);
}

const struct xdp_hook xdp_hook_link = {
	.method = VOSFP_ATTACH_LINK,
	.what = "bpf_link",
	.attach = link_attach,
	.take_off = link_take_off,
	.replace = link_replace,
	.pin = link_pin,
	.open_pinned = link_open_pinned,
	.remove = link_remove,
	.unpin = link_unpin,
	.prog_id = link_prog_id,
	.attached = link_attached,
};

int xdp_hook_prog_fd(const struct xdp_hook *h, int fd)
{
	unsigned id = h->prog_id(fd);

	return id ? bpf_prog_get_fd_by_id(id) : -1;
}
