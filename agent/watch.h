/* watch.h - turns file changes (inotify) and signals into "reload" and "stop" events. Watches the
 * directories holding the config and list files, so editors that write a temp file and rename
 * it, sed -i, delete-then-recreate and the Kubernetes ConfigMap "..data" symlink swap are all
 * seen. Bursts are coalesced: one reload once the files have been quiet for a moment. */
#ifndef VOSFP_WATCH_H
#define VOSFP_WATCH_H

enum watch_event { WATCH_RELOAD, WATCH_STOP, WATCH_ERROR };

struct watcher;

/* Blocks SIGHUP, SIGTERM and SIGINT for the process and takes them through a signalfd. */
struct watcher *watcher_new(void);
void watcher_free(struct watcher *w);

/* Watch exactly these files (replacing the previous set). */
int watcher_set(struct watcher *w, const char *const *files, unsigned count);

/* Wait for the next event. `why` gets a short description for the log. */
enum watch_event watcher_wait(struct watcher *w, char *why, unsigned whylen);

#endif
