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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mono_time.h"
#include "watch.h"

/* Changes closer together than this are one edit (editors, sed -i, partial writes). */
#define QUIET_MS 100
#define SETTLE_MS 50	/* after an atomic replace (rename into place): a burst of them still coalesces */

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB | \
		    IN_DELETE_SELF | IN_MOVE_SELF)
/* A watched directory removed or moved away takes its watch with it: the files named there are
 * gone too, and only a reload rebuilds the watch set (on an ancestor, until the directory is back). */
#define SELF_GONE (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)

/* How often watcher_set looks again when a directory appears while its ancestor's watch is being
 * armed: each look normally goes one level deeper, so this only caps a path created and removed
 * over and over meanwhile. */
#define ARM_TRIES 64

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
	/* Directories awaited from an ancestor at the last watcher_set, so each is logged once when
	 * it goes missing, not at every reload until it appears. */
	char **missing;
	unsigned missing_count;
	struct watch_source src;
};

static void free_missing(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

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
	free_missing(w->missing, w->missing_count);
	free(w);
}

/* The watch descriptor, or -errno. IN_ONLYDIR: a file standing where a directory is expected must
 * read as "not there yet", not be watched as if it were the directory. */
static int watch_dir(struct watcher *w, const char *dir)
{
	struct watched_dir *v;
	int wd;

	for (unsigned i = 0; i < w->dir_count; i++)
		if (!strcmp(w->dirs[i].path, dir))
			return w->dirs[i].wd;
	wd = inotify_add_watch(w->ifd, dir, DIR_EVENTS | IN_ONLYDIR);
	if (wd < 0)
		return -errno;
	v = realloc(w->dirs, (w->dir_count + 1) * sizeof(*v));
	if (!v) {
		/* Not recorded, so nothing would remove it later: drop it now. */
		inotify_rm_watch(w->ifd, wd);
		return -ENOMEM;
	}
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

/* Cut the last component off path (into name): "a/b" -> "a", "b"; "b" -> ".", "b"; "/b" -> "/",
 * "b". -1 when nothing is above ("/", "."). */
static int step_up(char *path, char *name, size_t namelen)
{
	size_t n = strlen(path);
	char *slash;

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (!n || !strcmp(path, "/") || !strcmp(path, "."))
		return -1;
	slash = strrchr(path, '/');
	snprintf(name, namelen, "%s", slash ? slash + 1 : path);
	if (!slash)
		snprintf(path, PATH_MAX, ".");
	else
		slash[slash == path] = '\0';
	return 0;
}

static int is_dir(const char *parent, const char *name)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void note_missing(struct watcher *w, char ***now, unsigned *count, const char *dir, const char *ancestor)
{
	char **v;
	int before = 0;

	for (unsigned i = 0; i < *count; i++)
		if (!strcmp((*now)[i], dir))
			return;
	for (unsigned i = 0; i < w->missing_count; i++)
		before |= !strcmp(w->missing[i], dir);
	if (!before)
		log_msg(LOG_INFO, "%s does not exist yet; watching %s for it", dir, ancestor);
	v = realloc(*now, (*count + 1) * sizeof(*v));
	if (!v)
		return;
	*now = v;
	if ((v[*count] = strdup(dir)))
		(*count)++;
}

/* Watch dir for the file `name`. A directory not there yet is awaited from its deepest existing
 * ancestor: the next component's creation (or rename into place) is a watched name there, so it
 * reloads, and the watcher_set after that reload goes one level deeper, or to dir itself. */
static void watch_file_dir(struct watcher *w, const char *dir, const char *name, char ***missing,
			   unsigned *missing_count)
{
	char ancestor[PATH_MAX], next[NAME_MAX + 1];
	int wd = -ENOENT;

	for (unsigned tries = 0; tries < ARM_TRIES; tries++) {
		wd = watch_dir(w, dir);
		if (wd >= 0) {
			watch_name(w, wd, name);
			/* Kubernetes ConfigMap volumes swap a "..data" symlink to publish a new version. */
			watch_name(w, wd, "..data");
			return;
		}
		if (wd != -ENOENT && wd != -ENOTDIR)
			break;
		snprintf(ancestor, sizeof(ancestor), "%s", dir);
		do {
			if (step_up(ancestor, next, sizeof(next)))
				break;
			wd = watch_dir(w, ancestor);
		} while (wd == -ENOENT || wd == -ENOTDIR);
		if (wd < 0) {
			log_msg(LOG_WARNING, "cannot watch %s or any directory above it: %s (changes there need SIGHUP)",
				dir, strerror(-wd));
			return;
		}
		/* `next` may have been made between the failed look and the watch being armed: its
		 * creation came before the watch and will never be reported, so look again. */
		if (!is_dir(ancestor, next)) {
			watch_name(w, wd, next);
			note_missing(w, missing, missing_count, dir, ancestor);
			return;
		}
	}
	log_msg(LOG_WARNING, "cannot watch %s: %s (changes there need SIGHUP)", dir,
		wd < 0 ? strerror(-wd) : "it kept being created and removed while being watched");
}

int watcher_set(struct watcher *w, const char *const *files, unsigned count)
{
	unsigned old_dirs = w->dir_count, missing_count = 0;
	struct watched_dir *old = w->dirs;
	char **missing = NULL;

	/* Keep the watches of directories still needed: events already queued on them (a change
	 * made while we were reconciling) must not be lost. */
	w->dirs = NULL;
	w->dir_count = w->name_count = 0;
	for (unsigned i = 0; i < count; i++) {
		char dir[PATH_MAX];
		const char *slash = strrchr(files[i], '/');

		if (slash)
			snprintf(dir, sizeof(dir), "%.*s", slash == files[i] ? 1 : (int)(slash - files[i]), files[i]);
		else
			snprintf(dir, sizeof(dir), ".");
		watch_file_dir(w, dir, slash ? slash + 1 : files[i], &missing, &missing_count);
	}
	for (unsigned i = 0; i < old_dirs; i++) {
		int still = 0;

		for (unsigned j = 0; j < w->dir_count; j++)
			still |= w->dirs[j].wd == old[i].wd;
		if (!still)
			inotify_rm_watch(w->ifd, old[i].wd);
	}
	free(old);
	free_missing(w->missing, w->missing_count);
	w->missing = missing;
	w->missing_count = missing_count;
	return 0;
}

static const char *gone_dir(const struct watcher *w, const struct inotify_event *e)
{
	if (!(e->mask & SELF_GONE))
		return NULL;
	for (unsigned i = 0; i < w->dir_count; i++)
		if (w->dirs[i].wd == e->wd)
			return w->dirs[i].path;
	return NULL;
}

static int relevant(const struct watcher *w, const struct inotify_event *e)
{
	if (e->mask & IN_Q_OVERFLOW)
		return 1;
	if (gone_dir(w, e))
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
				if (!hit && gone_dir(w, e))
					snprintf(why, whylen, "%s went away", gone_dir(w, e));
				else if (!hit)
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
		now = mono_ms();
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
			long long until = mono_ms() + (change == CHANGE_COMPLETE ? SETTLE_MS : QUIET_MS);

			if (change && until > quiet_until)
				quiet_until = until;
		}
		if (w->src.serve && w->src.serve(w->src.ctx, fds + 2, extra, why, whylen))
			return WATCH_RELOAD;
		if (quiet_until >= 0 && mono_ms() >= quiet_until)
			return WATCH_RELOAD;	/* quiet long enough: the edit is complete */
	}
}
