/* reconcile.c - the transaction. Rules that keep a host safe while it runs:
 *  - nothing changes until the whole desired state is valid;
 *  - interfaces first, lists after, detaches last; any failure undoes what this run did;
 *  - new maps are filled before any interface switches to them (bpf_link_update is atomic);
 *  - a program vosfp does not own is never replaced. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "datapath.h"
#include "links.h"
#include "log.h"
#include "pins.h"
#include "plan.h"
#include "reconcile.h"
#include "state.h"

/* What this run changed on interfaces, so a failure can put each one back. */
struct iface_change {
	const char *name;
	int link_fd;			/* the link this run created or switched */
	int created;			/* new link (closing it detaches) vs switched */
	int old_prog_fd;		/* switched/re-attached: the program to go back to */
	enum vosfp_xdp_mode old_mode;	/* re-attached: the mode to go back to */
	int reattached;
	enum vosfp_xdp_mode mode;
};

struct txn {
	const struct desired *want;
	const struct observed *have;
	struct datapath dp;
	struct iface_change *changes;
	unsigned change_count;
	size_t list_done[PLAN_OPS];	/* entries applied per list op, for undo */
	int swap;			/* kept interfaces switch to the program loaded here */
	char err[1024];
};

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static const struct observed_iface *observed_iface(const struct observed *o, const char *name)
{
	for (unsigned i = 0; i < o->iface_count; i++)
		if (!strcmp(o->ifaces[i].name, name))
			return &o->ifaces[i];
	return NULL;
}

static int prog_fd_of_link(int link_fd)
{
	unsigned id = link_prog_id(link_fd);

	return id ? bpf_prog_get_fd_by_id(id) : -1;
}

/* Put every interface back as it was before this run. */
static void undo_ifaces(struct txn *t)
{
	for (unsigned i = t->change_count; i-- > 0;) {
		struct iface_change *c = &t->changes[i];

		if (c->reattached && c->old_prog_fd >= 0) {
			struct desired_iface old = { .modes = { c->old_mode }, .mode_count = 1 };
			enum vosfp_xdp_mode used;
			char why[256];
			int fd;

			close(c->link_fd);	/* not pinned yet: this detaches the new one */
			snprintf(old.name, sizeof(old.name), "%s", c->name);
			if (link_attach(c->old_prog_fd, &old, &fd, &used, why, sizeof(why)) == 0) {
				link_pin(t->want->pin_path, c->name, fd);
				close(fd);
			} else {
				log_msg(LOG_ERR, "%s: rollback could not re-attach the previous program: %s", c->name, why);
			}
		} else if (c->created) {
			close(c->link_fd);
		} else if (c->old_prog_fd >= 0) {
			if (bpf_link_update(c->link_fd, c->old_prog_fd, NULL))
				log_msg(LOG_ERR, "%s: rollback could not restore the previous program: %s", c->name,
					strerror(errno));
			close(c->link_fd);
		}
		if (c->old_prog_fd >= 0)
			close(c->old_prog_fd);
	}
	t->change_count = 0;
}

static int fail_iface(struct txn *t, const char *name, const char *fmt, const char *detail)
{
	size_t off = (size_t)snprintf(t->err, sizeof(t->err), "%s: ", name);

	snprintf(t->err + off, sizeof(t->err) - off, fmt, detail);
	return -EIO;
}

static int change_iface(struct txn *t, const struct plan_iface *pi)
{
	const struct observed_iface *oi = observed_iface(t->have, pi->name);
	struct iface_change *c = &t->changes[t->change_count];
	char why[512], id[32];
	unsigned foreign;
	int fd;

	memset(c, 0, sizeof(*c));
	c->name = pi->name;
	c->old_prog_fd = -1;
	c->link_fd = -1;

	if (pi->action == IFACE_KEEP) {
		if (!t->swap)
			return 0;
		/* New maps or a new object: switch the running link to the new program atomically. */
		fd = link_open_pinned(t->want->pin_path, pi->name);
		if (fd < 0)
			return fail_iface(t, pi->name, "cannot open its pinned link: %s", strerror(-fd));
		c->link_fd = fd;
		c->old_prog_fd = prog_fd_of_link(fd);
		t->change_count++;
		if (bpf_link_update(fd, t->dp.prog_fd, NULL))
			return fail_iface(t, pi->name, "cannot switch to the new program: %s", strerror(errno));
		c->mode = oi ? oi->mode : VOSFP_MODE_NATIVE;
		return 0;
	}

	foreign = foreign_xdp_prog(t->want->pin_path, pi->name);
	if (foreign && pi->action == IFACE_ATTACH) {
		snprintf(id, sizeof(id), "%u", foreign);
		return fail_iface(t, pi->name,
				  "carries an XDP program vosfp does not own (prog id %s): refusing to replace it; remove it first (ip link set dev IFACE xdp off)",
				  id);
	}
	if (pi->action == IFACE_REATTACH) {
		/* Modes cannot be held at once: drop the old link, keep its program for rollback. */
		fd = link_open_pinned(t->want->pin_path, pi->name);
		if (fd >= 0) {
			c->old_prog_fd = prog_fd_of_link(fd);
			c->old_mode = oi->mode;
			c->reattached = 1;
			bpf_link_detach(fd);
			close(fd);
			link_unpin(t->want->pin_path, pi->name);
		}
	}
	t->change_count++;
	if (link_attach(t->dp.prog_fd, pi->want, &c->link_fd, &c->mode, why, sizeof(why)))
		return fail_iface(t, pi->name, "cannot attach XDP (tried %s)", why);
	c->created = 1;
	return 0;
}

static const struct prefix_set *op_set(const struct plan *p, enum plan_op op)
{
	return &p->lists[op];
}

static const struct list_fds *op_fds(const struct txn *t, enum plan_op op)
{
	return op == PLAN_BLOCK_ADD || op == PLAN_BLOCK_DEL ? &t->dp.block : &t->dp.allow;
}

static int op_adds(enum plan_op op)
{
	return op == PLAN_BLOCK_ADD || op == PLAN_ALLOW_ADD;
}

/* Undo list ops already applied, newest first, by applying their inverse. */
static void undo_lists(struct txn *t, const struct plan *p, int upto, const struct vosfp_config *old_rt)
{
	char err[256];
	size_t done;
	__u32 zero = 0;

	for (int op = upto; op-- > 0;) {
		struct prefix_set partial = *op_set(p, op);

		if (op == PLAN_RUNTIME) {
			if (p->runtime_changed)
				bpf_map_update_elem(t->dp.config_fd, &zero, old_rt, BPF_ANY);
			continue;
		}
		partial.n = t->list_done[op];
		if (partial.n && apply_list(op_fds(t, op), &partial, !op_adds(op), &done, err, sizeof(err)))
			log_msg(LOG_ERR, "rollback of %s incomplete: %s", plan_op_name(op), err);
	}
}

static int apply_lists(struct txn *t, const struct plan *p)
{
	__u32 zero = 0;

	for (int op = 0; op < PLAN_OPS; op++) {
		int ret = 0;

		if (op == PLAN_RUNTIME) {
			if (p->runtime_changed &&
			    bpf_map_update_elem(t->dp.config_fd, &zero, &t->want->runtime, BPF_ANY)) {
				ret = -errno;
				snprintf(t->err, sizeof(t->err), "runtime config: %s", strerror(errno));
			}
		} else if (op_set(p, op)->n) {
			char err[256];

			ret = apply_list(op_fds(t, op), op_set(p, op), op_adds(op), &t->list_done[op], err,
					 sizeof(err));
			if (ret)
				snprintf(t->err, sizeof(t->err), "%s: %s", plan_op_name(op), err);
		}
		if (ret) {
			undo_lists(t, p, op + 1, &t->have->runtime);
			return ret;
		}
	}
	return 0;
}

static int needs_program(const struct plan *p)
{
	for (unsigned i = 0; i < p->iface_count; i++)
		if (p->ifaces[i].action == IFACE_ATTACH || p->ifaces[i].action == IFACE_REATTACH)
			return 1;
	return p->new_maps || p->swap_program;
}

static void commit_ifaces(struct txn *t, const struct plan *p)
{
	for (unsigned i = 0; i < t->change_count; i++) {
		struct iface_change *c = &t->changes[i];

		if (c->created && link_pin(t->want->pin_path, c->name, c->link_fd))
			log_msg(LOG_ERR, "%s: cannot pin its link: %s (filtering stops when the agent exits)",
				c->name, strerror(errno));
		if (c->created || c->old_prog_fd >= 0)
			log_msg(LOG_INFO, "%s: %s (%s mode)", c->name,
				c->created ? "attached" : "switched to the new program", xdp_mode_name(c->mode));
		close(c->link_fd);
		if (c->old_prog_fd >= 0)
			close(c->old_prog_fd);
	}
	for (unsigned i = 0; i < p->iface_count; i++)
		if (p->ifaces[i].action == IFACE_DETACH) {
			link_unpin(t->want->pin_path, p->ifaces[i].name);
			log_msg(LOG_INFO, "%s: detached (no longer declared)", p->ifaces[i].name);
		}
}

static int execute(struct txn *t, const struct plan *p)
{
	int ret;

	if (p->new_maps)
		ret = datapath_load(t->want, DP_FRESH_MAPS, &t->dp, t->err, sizeof(t->err));
	else if (needs_program(p))
		ret = datapath_load(t->want, DP_REUSE_PINS, &t->dp, t->err, sizeof(t->err));
	else
		ret = datapath_open_pinned_maps(t->want->pin_path, &t->dp, t->err, sizeof(t->err));
	if (ret)
		return ret;
	t->swap = p->new_maps || p->swap_program;

	/* Fresh maps: fill them completely before any interface can see them. */
	if (p->new_maps) {
		ret = apply_lists(t, p);
		if (ret)
			goto out;
	}

	t->changes = calloc(p->iface_count + 1, sizeof(*t->changes));
	ret = t->changes ? 0 : -ENOMEM;
	for (unsigned i = 0; !ret && i < p->iface_count; i++)
		if (p->ifaces[i].action != IFACE_DETACH)
			ret = change_iface(t, &p->ifaces[i]);
	if (ret) {
		undo_ifaces(t);
		goto out;
	}

	if (!p->new_maps) {
		ret = apply_lists(t, p);
	} else {
		ret = datapath_pin(t->want, &t->dp, t->err, sizeof(t->err));
	}
	if (ret) {
		undo_ifaces(t);
		goto out;
	}
	commit_ifaces(t, p);
out:
	free(t->changes);
	datapath_close(&t->dp);
	return ret;
}

static int on_bpffs(const char *pin_path)
{
	char parent[4096];
	struct statfs st;
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_path);
	if (statfs(parent, &st) == 0)
		return st.f_type == BPF_FS_MAGIC;
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	return statfs(parent, &st) == 0 && st.f_type == BPF_FS_MAGIC;
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

/* Is the program on our links the declared object's? Loading the object (on the pinned maps)
 * is the only way to know its program's tag, so it is done once per object file version:
 * at start, and when bpf_object's path or mtime changes. */
static int program_outdated(const struct desired *want, const struct observed *have)
{
	static char checked_path[PATH_MAX];
	static struct timespec checked_mtime;
	__u8 running[BPF_TAG_SIZE], declared[BPF_TAG_SIZE];
	struct datapath dp;
	struct stat st;
	char err[512];
	int link_fd, prog_fd, outdated = 0;

	if (!have->pinned || !have->iface_count || stat(want->bpf_object, &st))
		return 0;
	if (!strcmp(checked_path, want->bpf_object) && st.st_mtim.tv_sec == checked_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == checked_mtime.tv_nsec)
		return 0;
	link_fd = link_open_pinned(want->pin_path, have->ifaces[0].name);
	if (link_fd < 0)
		return 0;
	prog_fd = prog_fd_of_link(link_fd);
	close(link_fd);
	if (prog_fd < 0 || prog_tag(prog_fd, running)) {
		if (prog_fd >= 0)
			close(prog_fd);
		return 0;
	}
	close(prog_fd);
	if (datapath_load(want, DP_REUSE_PINS, &dp, err, sizeof(err)) == 0) {
		outdated = prog_tag(dp.prog_fd, declared) == 0 && memcmp(running, declared, BPF_TAG_SIZE);
		datapath_close(&dp);
	} else {
		outdated = 1;	/* the swap will fail the same way, with the message and a rollback */
	}
	snprintf(checked_path, sizeof(checked_path), "%s", want->bpf_object);
	checked_mtime = st.st_mtim;
	return outdated;
}

static void log_summary(const struct plan *p, long ms)
{
	log_msg(LOG_INFO, "reconciled in %ld ms: blocklist +%zu -%zu, allowlist +%zu -%zu%s%s", ms,
		p->lists[PLAN_BLOCK_ADD].n, p->lists[PLAN_BLOCK_DEL].n, p->lists[PLAN_ALLOW_ADD].n,
		p->lists[PLAN_ALLOW_DEL].n, p->runtime_changed ? ", runtime config updated" : "",
		p->new_maps ? ", new maps" : p->swap_program ? ", new program" : "");
}

enum reconcile_result reconcile(const char *config, struct desired *want)
{
	struct timespec t0;
	struct observed have;
	struct diag d = { 0 };
	struct plan p;
	struct txn t = { 0 };
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (desired_build(config, want, &d)) {
		for (size_t i = 0; i < d.kept; i++)
			log_msg(LOG_ERR, "%s", d.msgs[i]);
		log_msg(LOG_ERR, "%s: invalid (%zu problem%s): nothing changed", config, d.count,
			d.count == 1 ? "" : "s");
		diag_clear(&d);
		return RECONCILE_INVALID;
	}
	if (!on_bpffs(want->pin_path)) {
		log_msg(LOG_ERR, "pin_path %s is not on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)",
			want->pin_path);
		return RECONCILE_FAILED;
	}
	if (state_read(want->pin_path, &have))
		return RECONCILE_FAILED;
	if (!have.readable) {
		log_msg(LOG_ERR, "cannot read %s: run as root (CAP_BPF, CAP_NET_ADMIN)", want->pin_path);
		return RECONCILE_FAILED;
	}
	have.program_outdated = program_outdated(want, &have);
	if (plan_build(want, &have, &p)) {
		observed_free(&have);
		return RECONCILE_FAILED;
	}
	if (plan_empty(&p)) {
		log_msg(LOG_INFO, "no change: %zu blocked, %zu allowed, %u interface%s (%ld ms)",
			want->blocked.n, want->allowed.n, want->iface_count,
			want->iface_count == 1 ? "" : "s", elapsed_ms(&t0));
		ret = 0;
	} else {
		t.want = want;
		t.have = &have;
		ret = execute(&t, &p);
		if (ret)
			log_msg(LOG_ERR, "%s; rolled back, previous state kept", t.err);
		else
			log_summary(&p, elapsed_ms(&t0));
	}
	plan_free(&p);
	observed_free(&have);
	return ret ? RECONCILE_FAILED : RECONCILE_OK;
}

int reconcile_down(const char *pin_path)
{
	char dir_path[4352], path[4608];
	struct dirent *e;
	DIR *dir;
	int detached = 0, unpinned = 0;

	pins_links_dir(pin_path, dir_path, sizeof(dir_path));
	dir = opendir(dir_path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir_path, e->d_name);
		if (unlink(path) == 0) {
			log_msg(LOG_INFO, "%s: detached", e->d_name);
			detached++;
		}
	}
	if (dir)
		closedir(dir);
	rmdir(dir_path);
	dir = opendir(pin_path);
	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, e->d_name);
		unpinned += unlink(path) == 0;
	}
	if (dir)
		closedir(dir);
	if (rmdir(pin_path) && errno != ENOENT) {
		log_msg(LOG_ERR, "cannot remove %s: %s", pin_path, strerror(errno));
		return -errno;
	}
	log_msg(LOG_INFO, "down: %d interface%s detached, %d pin%s removed", detached,
		detached == 1 ? "" : "s", unpinned, unpinned == 1 ? "" : "s");
	return 0;
}
