/* xdp_dispatch.c - vosfp's program in libxdp's dispatcher: see xdp_dispatch.h. Only libxdp's public
 * API changes a dispatcher; whether vosfp's program is really linked into the one running is asked
 * of the kernel (its freplace links), not of libxdp's pins, which anyone can remove. */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "mono_time.h"
#include "pins.h"
#include "xdp_dispatch.h"
#include "xdp_hook.h"

static const char *const action_names[] = { "aborted", "drop", "pass", "tx", "redirect" };

/* libxdp's own warnings go to the log at debug level: our messages say what failed. */
static int libxdp_to_log(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	if (line[0])
		log_msg(LOG_DEBUG, "libxdp: %s", line);
	return 0;
}

static void quiet_libxdp(void)
{
	static int done;

	if (!done)
		libxdp_set_print(libxdp_to_log);
	done = 1;
}

static enum xdp_attach_mode libxdp_mode(enum vosfp_xdp_mode m)
{
	return m == VOSFP_MODE_GENERIC ? XDP_MODE_SKB : m == VOSFP_MODE_OFFLOAD ? XDP_MODE_HW : XDP_MODE_NATIVE;
}

/* The program on ifindex's hook (native or generic) and its mode; 0 when there is none. */
static unsigned hook_prog(int ifindex, enum vosfp_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (ifindex <= 0 || bpf_xdp_query(ifindex, 0, &q))
		return 0;
	*mode = q.attach_mode == XDP_ATTACHED_SKB || (!q.drv_prog_id && q.skb_prog_id) ? VOSFP_MODE_GENERIC
											   : VOSFP_MODE_NATIVE;
	return q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : 0;
}

/* Is program prog_id linked (freplace) into program target_id? */
static int linked_into(unsigned prog_id, unsigned target_id)
{
	__u32 id = 0;

	while (prog_id && target_id && !bpf_link_get_next_id(id, &id)) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id), ok;

		if (fd < 0)
			continue;
		ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_TRACING &&
		     info.prog_id == prog_id && info.tracing.target_obj_id == target_id;
		close(fd);
		if (ok)
			return 1;
	}
	return 0;
}

static unsigned prog_id_of(int fd)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

/* A libxdp handle on the program fd, with di's run priority and chain-call actions (NULL: as the
 * program's own metadata says; enough to detach it). Closed with xdp_program__close. */
static struct xdp_program *program_of(int fd, const struct desired_iface *di)
{
	struct xdp_program *p;

	quiet_libxdp();
	p = xdp_program__from_fd(fd);
	if (libxdp_get_error(p))
		return NULL;
	if (di) {
		xdp_program__set_run_prio(p, di->run_priority);
		for (unsigned a = 0; a < 5; a++)
			xdp_program__set_chain_call_enabled(p, a, (di->chain_call_actions >> a) & 1);
	}
	return p;
}

static int mode_declared(const struct desired_iface *di, enum vosfp_xdp_mode m)
{
	for (unsigned i = 0; i < di->mode_count; i++)
		if (di->modes[i] == m)
			return 1;
	return 0;
}

static int add_to(struct xdp_program *p, int ifindex, enum vosfp_xdp_mode mode)
{
	enum vosfp_xdp_mode now;
	int err = xdp_program__attach(p, ifindex, libxdp_mode(mode), 0);

	/* libxdp falls back to a plain attach where the kernel cannot run a dispatcher: vosfp's
	 * program must be in one, linked into the program now on the hook. */
	if (!err && !linked_into(xdp_program__id(p), hook_prog(ifindex, &now))) {
		xdp_program__detach(p, ifindex, XDP_MODE_UNSPEC, 0);
		err = -EOPNOTSUPP;
	}
	return err;
}

static int dispatch_attach(int prog_fd, const struct desired_iface *di, int *fd, enum vosfp_xdp_mode *used,
			   char *why, size_t len)
{
	int ifindex = (int)if_nametoindex(di->name);
	struct dispatch_info there;
	enum vosfp_xdp_mode modes[3], now;
	unsigned n = di->mode_count;
	size_t off = 0;

	why[0] = '\0';
	if (!ifindex) {
		snprintf(why, len, "no such interface");
		return -ENODEV;
	}
	memcpy(modes, di->modes, sizeof(modes));
	/* A dispatcher already there runs in one mode for every program in it. */
	if (hook_prog(ifindex, &now)) {
		if (dispatch_read(ifindex, &there) != 1) {
			snprintf(why, len, "the XDP program on the interface is not a libxdp dispatcher");
			return -EBUSY;
		}
		if (!mode_declared(di, there.mode)) {
			snprintf(why, len,
				 "the libxdp dispatcher there (id %u, %u program%s) runs in %s mode, which xdp_mode does not list: every program of a dispatcher runs in its mode",
				 there.id, there.n, there.n == 1 ? "" : "s", xdp_mode_name(there.mode));
			return -EBUSY;
		}
		modes[0] = there.mode;
		n = 1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct xdp_program *p = program_of(prog_fd, di);
		int err = p ? add_to(p, ifindex, modes[i]) : -ENOMEM;

		xdp_program__close(p);
		if (!err) {
			*fd = dup(prog_fd);
			*used = modes[i];
			return *fd < 0 ? -errno : 0;
		}
		off += snprintf(why + off, off < len ? len - off : 0, "%s%s: %s", off ? "; " : "",
				xdp_mode_name(modes[i]),
				err == -EOPNOTSUPP ? "libxdp could not load a dispatcher (the kernel refuses freplace programs?)"
						   : strerror(-err));
	}
	return -EOPNOTSUPP;
}

static int dispatch_take_off(int ifindex, int fd)
{
	struct xdp_program *p = program_of(fd, NULL);
	int err = p ? xdp_program__detach(p, ifindex, XDP_MODE_UNSPEC, 0) : -ENOMEM;

	xdp_program__close(p);
	return err;
}

/* libxdp 1.3 swaps a dispatcher for one program more or one less, never for another program in
 * a slot: the new program goes in first (one atomic swap), the old one comes out next (another).
 * In between both run, one after the other: a packet is dropped if either drops it (never looser
 * than the old or the new policy), and what the first passes is counted by both. */
static int dispatch_replace(const struct desired_iface *di, int ifindex, int *fd, int new_prog_fd, char *why,
			    size_t len)
{
	struct xdp_program *np = program_of(new_prog_fd, di), *op = program_of(*fd, NULL);
	enum vosfp_xdp_mode mode;
	uint64_t t0;
	int err = -ENOMEM, nfd;

	if (!np || !op)
		goto out;
	if (!hook_prog(ifindex, &mode)) {
		err = -ENOENT;
		snprintf(why, len, "no dispatcher on the interface any more");
		goto out;
	}
	t0 = mono_ns();
	err = add_to(np, ifindex, mode);
	if (err) {
		snprintf(why, len, "cannot add the new program to the dispatcher: %s", strerror(-err));
		goto out;
	}
	err = xdp_program__detach(op, ifindex, XDP_MODE_UNSPEC, 0);
	if (err) {
		snprintf(why, len, "cannot take the previous program out of the dispatcher: %s", strerror(-err));
		xdp_program__detach(np, ifindex, XDP_MODE_UNSPEC, 0);
		goto out;
	}
	log_msg(LOG_INFO, "%s: both programs ran in the dispatcher for %ld us while libxdp swapped it twice",
		di->name, us_since(t0));
	nfd = dup(new_prog_fd);
	if (nfd >= 0) {
		close(*fd);
		*fd = nfd;
	}
out:
	xdp_program__close(np);
	xdp_program__close(op);
	return err;
}

static int dispatch_pin(const char *pin_path, const char *ifname, int fd)
{
	char dir[4352], path[4352];

	pins_dispatch_dir(pin_path, dir, sizeof(dir));
	pins_dispatch_path(pin_path, ifname, path, sizeof(path));
	return pins_replace_in(dir, "pin_path's dispatch directory", fd, path);
}

static int dispatch_open_pinned(const char *pin_path, const char *ifname)
{
	char path[4352];
	int fd;

	pins_dispatch_path(pin_path, ifname, path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int dispatch_unpin(const char *pin_path, const char *ifname)
{
	char path[4352];

	pins_dispatch_path(pin_path, ifname, path, sizeof(path));
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

static int dispatch_attached(const char *pin_path, const char *ifname)
{
	enum vosfp_xdp_mode mode;
	int fd = dispatch_open_pinned(pin_path, ifname), ok;

	if (fd < 0)
		return 0;
	ok = linked_into(prog_id_of(fd), hook_prog((int)if_nametoindex(ifname), &mode));
	close(fd);
	return ok;
}

/* Out of the dispatcher (which libxdp rebuilds without it, or removes when it was the last one);
 * the others there keep running. */
static int dispatch_remove(const char *pin_path, const char *ifname)
{
	int fd = dispatch_open_pinned(pin_path, ifname), err = 0;

	if (fd >= 0 && dispatch_attached(pin_path, ifname))
		err = dispatch_take_off((int)if_nametoindex(ifname), fd);
	if (fd >= 0)
		close(fd);
	return err ? err : dispatch_unpin(pin_path, ifname);
}

const struct xdp_hook xdp_hook_dispatch = {
	.method = VOSFP_ATTACH_DISPATCHER,
	.what = "libxdp dispatcher",
	.attach = dispatch_attach,
	.take_off = dispatch_take_off,
	.replace = dispatch_replace,
	.pin = dispatch_pin,
	.open_pinned = dispatch_open_pinned,
	.remove = dispatch_remove,
	.unpin = dispatch_unpin,
	.prog_id = prog_id_of,
	.attached = dispatch_attached,
};

int dispatch_read(int ifindex, struct dispatch_info *out)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p = NULL;
	enum vosfp_xdp_mode mode;

	memset(out, 0, sizeof(*out));
	if (!hook_prog(ifindex, &mode))
		return 0;
	quiet_libxdp();
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || !mp)
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		xdp_multiprog__close(mp);
		return 0;
	}
	out->id = xdp_program__id(xdp_multiprog__main_prog(mp));
	out->mode = mode;
	while ((p = xdp_multiprog__next_prog(p, mp)) && out->n < DISPATCH_PROGS_MAX) {
		struct dispatch_prog *d = &out->progs[out->n++];

		d->id = xdp_program__id(p);
		snprintf(d->name, sizeof(d->name), "%s", xdp_program__name(p));
		d->run_priority = xdp_program__run_prio(p);
		for (unsigned a = 0; a < 5; a++)
			d->chain_call_actions |= (unsigned)xdp_program__chain_call_enabled(p, a) << a;
	}
	xdp_multiprog__close(mp);
	return 1;
}

void dispatch_actions_str(unsigned actions, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned a = 0; a < 5; a++)
		if (actions & (1u << a))
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? "," : "", action_names[a]);
	if (!off)
		snprintf(buf, len, "none");
}
