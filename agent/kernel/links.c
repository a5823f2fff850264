/* links.c - attach, pin, swap and detach XDP links. A pin is replaced in one step, never removed
 * first: a link held only by this process must outlive it once pinned. */
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
#include "pins.h"
#include "safe_path.h"

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
	char path[4352], why[1024];
	int ret;

	pins_links_dir(pin_path, path, sizeof(path));
	ret = safe_path_make_dir(path, "pin_path's links directory", why, sizeof(why));
	if (ret) {
		errno = -ret;
		return ret;
	}
	pins_link_path(pin_path, ifname, path, sizeof(path));
	return pins_replace(link_fd, path);
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

int link_prog_fd(int link_fd)
{
	unsigned id = link_prog_id(link_fd);

	return id ? bpf_prog_get_fd_by_id(id) : -1;
}

unsigned foreign_xdp_prog(const char *pin_path, const char *ifname)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = (int)if_nametoindex(ifname), fd;
	unsigned ours = 0;

	if (!ifindex || bpf_xdp_query(ifindex, 0, &q) || !q.prog_id)
		return 0;
	fd = link_open_pinned(pin_path, ifname);
	if (fd >= 0) {
		ours = link_prog_id(fd);
		close(fd);
	}
	return q.prog_id == ours ? 0 : q.prog_id;
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
