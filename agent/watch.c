/* watch.c - inotify on parent directories + signalfd, with a quiet-period debounce. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "watch.h"

/* Changes closer together than this are one edit (editors, sed -i, partial writes). */
#define QUIET_MS 100
#define SETTLE_MS 50	/* after an atomic replace (rename into place): a burst of them still coalesces */

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB)

struct watched_dir {
	int wd;
	char path[PATH_MAX];
};

struct watched_name {
	int wd;
	char name[NAME_MAX + 1];
};

struct watcher {
	int ifd, sfd;
	struct watched_dir *dirs;
	unsigned dir_count;
	struct watched_name *names;
	unsigned name_count;
	struct watch_source src;
};

struct watcher *watcher_new(void)
{
	struct watcher *w = calloc(1, sizeof(*w));
	sigset_t set;

	if (!w)
		return NULL;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	w->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	w->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->sfd < 0 || w->ifd < 0) {
		watcher_free(w);
		return NULL;
	}
	return w;
}

void watcher_free(struct watcher *w)
{
	if (!w)
		return;
	if (w->ifd >= 0)
		close(w->ifd);
	if (w->sfd >= 0)
		close(w->sfd);
	free(w->dirs);
	free(w->names);
	free(w);
}

static int watch_dir(struct watcher *w, const char *dir)
{
	struct watched_dir *v;
	int wd;

	for (unsigned i = 0; i < w->dir_count; i++)
		if (!strcmp(w->dirs[i].path, dir))
			return w->dirs[i].wd;
	wd = inotify_add_watch(w->ifd, dir, DIR_EVENTS);
	if (wd < 0) {
		log_msg(LOG_WARNING, "cannot watch %s: %s (changes there need SIGHUP)", dir, strerror(errno));
		return -1;
	}
	v = realloc(w->dirs, (w->dir_count + 1) * sizeof(*v));
	if (!v)
		return -1;
	w->dirs = v;
	v[w->dir_count].wd = wd;
	snprintf(v[w->dir_count].path, sizeof(v->path), "%s", dir);
	w->dir_count++;
	return wd;
}

static void watch_name(struct watcher *w, int wd, const char *name)
{
	struct watched_name *v = realloc(w->names, (w->name_count + 1) * sizeof(*v));

	if (!v)
		return;
	w->names = v;
	v[w->name_count].wd = wd;
	snprintf(v[w->name_count].name, sizeof(v->name), "%s", name);
	w->name_count++;
}

int watcher_set(struct watcher *w, const char *const *files, unsigned count)
{
	unsigned old_dirs = w->dir_count;
	struct watched_dir *old = w->dirs;

	/* Keep the watches of directories still needed: events already queued on them (a change
	 * made while we were reconciling) must not be lost. */
	w->dirs = NULL;
	w->dir_count = w->name_count = 0;
	for (unsigned i = 0; i < count; i++) {
		char dir[PATH_MAX];
		const char *slash = strrchr(files[i], '/');
		int wd = -1;

		if (slash)
			snprintf(dir, sizeof(dir), "%.*s", slash == files[i] ? 1 : (int)(slash - files[i]), files[i]);
		else
			snprintf(dir, sizeof(dir), ".");
		wd = watch_dir(w, dir);
		if (wd < 0)
			continue;
		watch_name(w, wd, slash ? slash + 1 : files[i]);
		/* Kubernetes ConfigMap volumes swap a "..data" symlink to publish a new version. */
		watch_name(w, wd, "..data");
	}
	for (unsigned i = 0; i < old_dirs; i++) {
		int still = 0;

		for (unsigned j = 0; j < w->dir_count; j++)
			still |= w->dirs[j].wd == old[i].wd;
		if (!still)
			inotify_rm_watch(w->ifd, old[i].wd);
	}
	free(old);
	return 0;
}

static int relevant(const struct watcher *w, const struct inotify_event *e)
{
	if (e->mask & IN_Q_OVERFLOW)
		return 1;
	if (!e->len)
		return 0;
	for (unsigned i = 0; i < w->name_count; i++)
		if (w->names[i].wd == e->wd && !strcmp(w->names[i].name, e->name))
			return 1;
	return 0;
}

/* Drain pending inotify events: 0 if none concerns a watched file; CHANGE_COMPLETE if every one
 * that does is a rename into place (an atomic replace: the new file is whole), else
 * CHANGE_IN_PROGRESS (a write, a create, a delete: more may follow). */
enum { CHANGE_COMPLETE = 1, CHANGE_IN_PROGRESS = 2 };

static int drain(struct watcher *w, char *why, unsigned whylen)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int hit = 0;
	ssize_t n;

	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			if (relevant(w, e)) {
				if (!hit)
					snprintf(why, whylen, "%s changed", e->len ? e->name : "a watched file");
				hit |= e->mask == IN_MOVED_TO ? CHANGE_COMPLETE : CHANGE_IN_PROGRESS;
			}
			p += sizeof(*e) + e->len;
		}
	}
	return hit & CHANGE_IN_PROGRESS ? CHANGE_IN_PROGRESS : hit;
}

void watcher_set_source(struct watcher *w, const struct watch_source *src)
{
	memset(&w->src, 0, sizeof(w->src));
	if (src)
		w->src = *src;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

enum watch_event watcher_wait(struct watcher *w, char *why, unsigned whylen)
{
	struct pollfd fds[2 + WATCH_EXTRA_MAX];
	/* When the pending reload fires: QUIET_MS after the last change, an absolute time, so that
	 * wakeups for the other sockets (a client sending a byte a second) never postpone it. */
	long long quiet_until = -1;

	for (;;) {
		long long deadline = quiet_until, src_deadline = -1, now;
		unsigned extra = 0;
		int n;

		fds[0] = (struct pollfd){ .fd = w->sfd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = w->ifd, .events = POLLIN };
		if (w->src.fill)
			extra = w->src.fill(w->src.ctx, fds + 2, WATCH_EXTRA_MAX, &src_deadline);
		if (src_deadline >= 0 && (deadline < 0 || src_deadline < deadline))
			deadline = src_deadline;
		now = now_ms();
		n = poll(fds, 2 + extra, deadline < 0 ? -1 : deadline <= now ? 0 : (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return WATCH_ERROR;
		if (n < 0)
			continue;
		if (n > 0 && (fds[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(w->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					snprintf(why, whylen, "SIGHUP");
					return WATCH_RELOAD;
				}
				snprintf(why, whylen, "%s", strsignal((int)si.ssi_signo));
				return WATCH_STOP;
			}
		}
		if (n > 0 && (fds[1].revents & POLLIN)) {
			int change = drain(w, why, whylen);
			/* A rename into place needs no quiet period, only a moment for a burst of
			 * them; never earlier than a write still settling elsewhere. */
			long long until = now_ms() + (change == CHANGE_COMPLETE ? SETTLE_MS : QUIET_MS);

			if (change && until > quiet_until)
				quiet_until = until;
		}
		if (w->src.serve)
			w->src.serve(w->src.ctx, fds + 2, extra);
		if (quiet_until >= 0 && now_ms() >= quiet_until)
			return WATCH_RELOAD;	/* quiet long enough: the edit is complete */
	}
}
