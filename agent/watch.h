/* watch.h - turns file changes (inotify) and signals into "reload" and "stop" events. Watches the
 * directories holding the config and list files, so editors that write a temp file and rename
 * it, sed -i, delete-then-recreate and the Kubernetes ConfigMap "..data" symlink swap are all
 * seen. Bursts are coalesced: one reload once the files have been quiet for a moment.
 * A directory that does not exist yet (or was removed) is awaited from its deepest existing
 * ancestor: creating the next level reloads, and the watcher_set after that reload goes deeper,
 * so a file is followed into existence without SIGHUP. Never polls. */
#ifndef VOSFP_WATCH_H
#define VOSFP_WATCH_H

#include <poll.h>

enum watch_event { WATCH_RELOAD, WATCH_STOP, WATCH_ERROR };

struct watcher;

/* More sockets served by the same poll (the metrics endpoint): fill gives the pollfds to wait on
 * and the earliest deadline of its own (monotonic ms, -1: none); serve handles their revents
 * (and its deadlines) after every wakeup, and returns 1 with why set to ask for a reconcile now
 * (an XDP attachment gone). Neither may block. */
#define WATCH_EXTRA_MAX 32
struct watch_source {
	unsigned (*fill)(void *ctx, struct pollfd *fds, unsigned max, long long *deadline_ms);
	int (*serve)(void *ctx, const struct pollfd *fds, unsigned n, char *why, unsigned whylen);
	void *ctx;
};

/* Blocks SIGHUP, SIGTERM and SIGINT for the process and takes them through a signalfd. */
struct watcher *watcher_new(void);
void watcher_free(struct watcher *w);

/* Watch exactly these files (replacing the previous set). Call it again after every reload: a
 * directory that appeared since gets its own watch only then. Says once (info) which directory is
 * awaited from which ancestor. */
int watcher_set(struct watcher *w, const char *const *files, unsigned count);

/* Serve this source while waiting (NULL: none). */
void watcher_set_source(struct watcher *w, const struct watch_source *src);

/* Wait for the next event, serving the source meanwhile. `why` gets a short description for the
 * log. */
enum watch_event watcher_wait(struct watcher *w, char *why, unsigned whylen);

#endif
