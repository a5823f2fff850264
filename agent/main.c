/* main.c - vosfp-agent's command line: parse options and dispatch to one mode. Nothing else. */
#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "autoblock_map.h"
#include "crowdsec_check.h"
#include "crowdsec_feed.h"
#include "daemon_claim.h"
#include "desired.h"
#include "hook_watch.h"
#include "iface_wait.h"
#include "lists.h"
#include "log.h"
#include "mono_time.h"
#include "metrics.h"
#include "metrics_server.h"
#include "plan.h"
#include "reconcile.h"
#include "state.h"
#include "stats.h"
#include "wall_time.h"
#include "watch.h"
#include "xdp_census.h"

/* From debian/changelog, through the Makefile: the package and --version never disagree. */
#ifndef VOSFP_VERSION
#error "VOSFP_VERSION comes from debian/changelog: build with make"
#endif

enum exit_code { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

enum mode { MODE_RUN, MODE_DRY_RUN, MODE_ONCE, MODE_STATS, MODE_DOWN, MODE_CHECK_LIST, MODE_PIN_PATH };

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
		"Usage: %s [--config FILE] [MODE] [-v]\n"
		"Make the kernel's XDP SIP filter match /etc/vosfp.yaml, and keep it matching.\n"
		"\n"
		"Modes (default: run):\n"
		"  (none)        reconcile, then watch the config and list files and keep reconciling;\n"
		"                with metrics.listen in the config, serve GET /metrics (Prometheus)\n"
		"  -n, --dry-run validate the config and print the plan against the live kernel state;\n"
		"                changes nothing; without privileges it plans against an empty kernel;\n"
		"                with a crowdsec section, says whether the LAPI answers the key\n"
		"      --once    reconcile once and exit\n"
		"      --stats   print the counters, in total and per interface, list sizes,\n"
		"                live auto-blocks (source, reason, time left), CrowdSec\n"
		"                decisions by origin, and whether a daemon keeps the pins\n"
		"                (--json for JSON)\n"
		"      --down    detach from every interface, unpin, remove state\n"
		"      --pin-path  print the pin path the config names (for scripts and packaging);\n"
		"                exit 2 if the config cannot be read\n"
		"      --check-list FILE...  validate list files (one address or CIDR per line);\n"
		"                changes nothing, needs no privileges (for scripts and editors);\n"
		"                --canonical prints the valid entries, canonical, on stdout\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default " VOSFP_CONFIG_DEFAULT_PATH ")\n"
		"  -v, --verbose      more log detail (repeat for debug)\n"
		"  -h, --help         this help\n"
		"  -V, --version      version\n"
		"\n"
		"Exit status: 0 success; 1 runtime failure (attach failed and was rolled back, kernel\n"
		"refused; a daemon already runs on the pins: a second daemon, or --down); 2 usage\n"
		"error, invalid config, or a pin or lock directory another user could change.\n",
		argv0);
}

static int dry_run(const char *config)
{
	struct desired want;
	struct observed have;
	struct diag d = { 0 };
	struct plan p;
	int err;

	if (desired_build(config, &want, &d)) {
		diag_print(&d, stderr);
		fprintf(stderr, "%s: invalid, nothing would change (%zu problem%s)\n", config, d.count,
			d.count == 1 ? "" : "s");
		diag_clear(&d);
		desired_free(&want);
		return EXIT_USAGE;
	}
	diag_print(&d, stderr);	/* the warnings of a valid config */
	diag_clear(&d);
	if (access(want.bpf_object, R_OK))
		fprintf(stderr, "warning: bpf_object %s: %s: a real run would fail\n", want.bpf_object,
			strerror(errno));
	/* Names are looked up without privileges too, so an unprivileged dry run says it as well. */
	for (unsigned i = 0; i < want.iface_count; i++)
		if (!if_nametoindex(want.ifaces[i].name))
			fprintf(stderr, "warning: interface %s: no such interface: --once would fail and change nothing; the daemon waits for it\n",
				want.ifaces[i].name);
	err = state_read(want.pin_path, &have, 1);
	if (err) {
		desired_free(&want);
		return EXIT_RUNTIME;
	}
	err = plan_build(&want, &have, &p);
	if (!err) {
		printf("%s: valid (%u interface%s, blocklist %zu, allowlist %zu entries)\n", config,
		       want.iface_count, want.iface_count == 1 ? "" : "s", want.blocked.n, want.allowed.n);
		/* Which object a real run loads (scripts compare it: deploy.sh [obj]). */
		printf("object: %s\n", want.bpf_object);
		if (want.metrics_listen[0])
			printf("metrics: GET /metrics on %s (served by the running agent)\n", want.metrics_listen);
		plan_print(&p, &want, &have, stdout);
		plan_free(&p);
		for (unsigned i = 0; have.readable && i < want.iface_count; i++) {
			char hook[1024];

			xdp_census_report(want.pin_path, want.ifaces[i].name, hook, sizeof(hook));
			printf("hook %s: %s (declared: %s)\n", want.ifaces[i].name, hook,
			       attach_method_name(want.ifaces[i].method));
		}
		if (want.crowdsec.enabled) {
			fflush(stdout);
			crowdsec_dry_run(&want.crowdsec, VOSFP_VERSION, stdout);
		}
	}
	observed_free(&have);
	desired_free(&want);
	return err ? EXIT_RUNTIME : EXIT_OK;
}

/* Did any file read this round change since it was read? Each was stamped just before it was
 * read; a stamp taken now that differs means an edit raced the read or came before its watch was
 * armed. Stamps, not a time window: a file written just before the start is not "changed while
 * being read" whatever clock the kernel stamped it with (the spurious reload of issue 13). */
static int changed_since_read(const char *config, const struct desired *read)
{
	struct file_stamp now;

	file_stamp_take(config, &now);
	if (!file_stamp_same(&now, &read->config_stamp))
		return 1;
	for (unsigned i = 0; i < read->list_file_count; i++) {
		file_stamp_take(read->list_files[i], &now);
		if (!file_stamp_same(&now, &read->list_stamps[i]))
			return 1;
	}
	return 0;
}

/* One reconcile with the watch set right around it: the previous round's watches exist before
 * the files are read, this round's are armed after, and a change that raced the read or came
 * before a new watch (seen by its stamp) asks for another round. That covers a directory whose
 * watch is armed only now (it was awaited from an ancestor): a file made in it after it was
 * found missing changes its stamp. */
static enum reconcile_result watched_reconcile(struct watcher *w, const char *config,
					       const struct desired *last_good, struct desired *want,
					       struct list_cache *cache, int *raced)
{
	enum reconcile_result r;
	const struct desired *files_of;

	r = reconcile(config, want, cache);
	/* A failed reload keeps the last good state, and the last good watch set. */
	files_of = r == RECONCILE_OK || !last_good ? want : last_good;
	{
		const char *files[files_of->list_file_count + 1];

		files[0] = config;
		for (unsigned i = 0; i < files_of->list_file_count; i++)
			files[i + 1] = files_of->list_files[i];
		watcher_set(w, files, files_of->list_file_count + 1);
	}
	/* An invalid config keeps the stamps of what was read (desired_build): a fix that raced the
	 * read, or came before a list file's new watch, asks for another round as well. */
	*raced = changed_since_read(config, want);
	return r;
}

/* What the daemon reports beyond the kernel's counters; lives as long as run(). */
struct daemon {
	struct watcher *w;
	struct metrics_server *metrics;
	const struct desired *want;		/* the last good desired state (NULL: none yet) */
	size_t lists[SNAP_LISTS][SNAP_FAMILIES];	/* what the last good reconcile wrote */
	struct reload_stats reloads;
	struct autoblock_watch blocks;
	long long next_tick;			/* monotonic ms of the next auto-block reading */
	struct feed *feed;			/* the crowdsec section's (its network is a thread's) */
	struct hook_watch hooks;		/* the XDP attachments of the last good reconcile */
	struct iface_wait awaited;		/* declared interfaces the last failed one missed */
	struct daemon_claim claim;		/* on the last good reconcile's pin_path (at start, the
						 * config's, while it waits) */
	int feed_slot;				/* its eventfd's index in the pollfds, -1: none */
};

static int render_metrics(void *ctx, FILE *out)
{
	struct daemon *dm = ctx;
	struct snapshot s;
	char err[4608];
	int ret = stats_collect(dm->want->pin_path, (const size_t (*)[SNAP_FAMILIES])dm->lists, &s, err,
				sizeof(err));

	struct feed_status fs;

	if (ret) {
		log_msg(LOG_WARNING, "metrics: %s", err);
		return ret;
	}
	/* The decisions in force are the feed's to count: it holds them. */
	feed_get_status(dm->feed, &fs);
	memcpy(s.decisions, fs.held, sizeof(s.decisions));
	metrics_write(&s, &dm->reloads, out);
	metrics_write_feed(&fs, out);
	snapshot_free(&s);
	return 0;
}

/* The metrics sockets and the auto-block tick share the watcher's poll: the tick is one more
 * deadline, so no thread and no timer fd. */
static unsigned daemon_fill(void *ctx, struct pollfd *fds, unsigned max, long long *deadline_ms)
{
	struct daemon *dm = ctx;
	unsigned n = 0;

	*deadline_ms = -1;
	if (dm->metrics)
		n = metrics_server_pollfds(dm->metrics, fds, max - 1, deadline_ms);
	dm->feed_slot = -1;
	if (feed_fd(dm->feed) >= 0) {
		dm->feed_slot = (int)n;
		fds[n++] = (struct pollfd){ .fd = feed_fd(dm->feed), .events = POLLIN };
	}
	if (*deadline_ms < 0 || dm->next_tick < *deadline_ms)
		*deadline_ms = dm->next_tick;
	return n;
}

static int daemon_serve(void *ctx, const struct pollfd *fds, unsigned n, char *why, unsigned whylen)
{
	struct daemon *dm = ctx;
	long long now;
	int lost = 0;

	if (dm->metrics)
		metrics_server_serve(dm->metrics, fds, n);
	if (dm->feed_slot >= 0 && (unsigned)dm->feed_slot < n && fds[dm->feed_slot].revents)
		feed_serve(dm->feed);
	now = mono_ms();
	if (now >= dm->next_tick) {
		if (dm->want) {
			autoblock_watch_tick(&dm->blocks, dm->want->pin_path);
			feed_tick(dm->feed, &dm->blocks.seen);
			lost = hook_watch_check(&dm->hooks, dm->want, why, whylen);
		}
		if (!lost)
			lost = iface_wait_check(&dm->awaited, why, whylen);
		/* From now, not from the missed deadline: a late tick never causes a burst of them. */
		dm->next_tick = now + AUTOBLOCK_TICK_MS;
	}
	return lost;
}

/* Follow metrics.listen: open, move or close the endpoint. A bind that fails leaves the previous
 * endpoint (if any) serving and is tried again at the next reload; filtering never depends on it. */
static void metrics_follow(struct daemon *dm)
{
	const char *want = dm->want->metrics_listen;
	struct metrics_server *next;
	char err[512];

	if (dm->metrics && !strcmp(metrics_server_listen(dm->metrics), want))
		return;
	if (!want[0]) {
		if (dm->metrics)
			log_msg(LOG_INFO, "metrics: %s closed (no metrics.listen)", metrics_server_listen(dm->metrics));
		metrics_server_close(dm->metrics);
		dm->metrics = NULL;
		return;
	}
	next = metrics_server_open(want, render_metrics, dm, err, sizeof(err));
	if (!next) {
		log_msg(LOG_ERR, "%s; %s", err,
			dm->metrics ? "the previous endpoint keeps serving" : "no metrics until a reload succeeds in binding it");
		return;
	}
	metrics_server_close(dm->metrics);
	dm->metrics = next;
	log_msg(LOG_INFO, "metrics: serving GET /metrics on %s", want);
}

/* watched_reconcile, with its outcome counted for /metrics. */
static enum reconcile_result counted_reconcile(struct daemon *dm, const char *config,
					       const struct desired *last_good, struct desired *want,
					       struct list_cache *cache, int *raced)
{
	uint64_t t0 = mono_ns();
	enum reconcile_result r = watched_reconcile(dm->w, config, last_good, want, cache, raced);
	struct reload_stats *rs = &dm->reloads;

	rs->last_duration = (mono_ns() - t0) / 1e9;
	rs->last_timestamp = unix_seconds();
	rs->last_ok = r == RECONCILE_OK;
	iface_wait_note(&dm->awaited, want, r == RECONCILE_FAILED);
	if (r == RECONCILE_OK) {
		hook_watch_reset(&dm->hooks, want);
		daemon_claim_follow(&dm->claim, want->pin_path);
		rs->ok++;
		rs->generation++;
		/* The cache holds exactly what the maps hold now (reconcile moved want's lists in). */
		snapshot_count_lists(&cache->blocked, &cache->allowed, dm->lists);
	} else {
		rs->failed++;
	}
	return r;
}

static void daemon_free(struct daemon *dm, struct list_cache *cache, struct desired *want)
{
	daemon_claim_release(&dm->claim);
	metrics_server_close(dm->metrics);
	feed_free(dm->feed);
	autoblock_watch_free(&dm->blocks);
	list_cache_drop(cache);
	desired_free(want);
	watcher_free(dm->w);
}

/* The daemon's first reconcile applied nothing, so what is pinned keeps filtering, never an empty
 * policy. An invalid config (an edit the previous agent never applied, found by an upgrade's
 * restart or a reboot) waits for a valid edit of the config or a list file it names, as a running
 * agent would; a declared interface that does not exist (a VLAN or bond the network configuration
 * makes after this unit started) waits for it, or for an edit. The daemon holds its claim on the
 * pins the config names meanwhile (a config too broken to name them: none), so --down refuses
 * rather than remove what it would put back. Any other failure is returned. *stop says
 * SIGTERM/SIGINT came first. */
static enum reconcile_result await_first_good(struct daemon *dm, const char *config, struct desired *want,
					      struct list_cache *cache, int *raced, enum reconcile_result r,
					      int *stop)
{
	char why[128];

	if (r == RECONCILE_INVALID)
		log_msg(LOG_WARNING, "%s: invalid at start (the lines above say where): nothing changed, whatever "
			"is pinned keeps filtering; waiting for a valid edit", config);
	*stop = 0;
	while (r == RECONCILE_INVALID || (r == RECONCILE_FAILED && dm->awaited.count)) {
		enum watch_event ev = WATCH_RELOAD;

		if (want->pin_path[0])
			daemon_claim_follow(&dm->claim, want->pin_path);
		if (*raced)
			snprintf(why, sizeof(why), "a file changed while it was being read");
		else
			ev = watcher_wait(dm->w, why, sizeof(why));
		if (ev == WATCH_STOP) {
			log_msg(LOG_INFO, "%s: exiting; filtering stays in place (vosfp-agent --down removes it)", why);
			*stop = 1;
			return r;
		}
		if (ev == WATCH_ERROR) {
			log_msg(LOG_ERR, "watching failed: %s", strerror(errno));
			return RECONCILE_FAILED;
		}
		log_msg(LOG_INFO, "reload: %s", why);
		desired_free(want);
		r = counted_reconcile(dm, config, NULL, want, cache, raced);
	}
	return r;
}

/* Does a daemon already run on pin_path? Its pid (DAEMON_CLAIM_HELD_PID_UNKNOWN: unreadable),
 * said in who; 0: none, or none that can be told. */
static pid_t daemon_on(const char *pin_path, char *who, size_t wholen)
{
	pid_t pid = daemon_claim_holder(pin_path);

	if (pid == DAEMON_CLAIM_CANNOT_TELL)
		return 0;
	if (pid > 0)
		snprintf(who, wholen, "pid %ld", (long)pid);
	else if (pid)
		snprintf(who, wholen, "pid unknown");
	return pid;
}

/* The same for the pins config names; a config that cannot be read names none (the first
 * reconcile says what is wrong with it). */
static pid_t daemon_on_pins_of(const char *config, char *pin_path, size_t len, char *who, size_t wholen)
{
	struct config_file cf;
	struct diag d = { 0 };
	pid_t pid = 0;

	if (config_load(config, &cf, &d) == 0) {
		snprintf(pin_path, len, "%s", cf.doc->pin_path ? cf.doc->pin_path : VOSFP_DEFAULT_PIN_PATH);
		pid = daemon_on(pin_path, who, wholen);
		config_free(&cf);
	}
	diag_clear(&d);
	return pid;
}

/* Foreground daemon: reconcile, then reconcile again on every change until told to stop. */
static int run(const char *config)
{
	struct desired want, next;
	struct list_cache cache = { 0 };
	struct daemon dm = { .w = watcher_new(), .feed = feed_new(VOSFP_VERSION), .feed_slot = -1,
			     .claim = DAEMON_CLAIM_INIT };
	struct watch_source src = { .fill = daemon_fill, .serve = daemon_serve, .ctx = &dm };
	struct watcher *w = dm.w;
	enum reconcile_result r;
	char why[128];
	int raced, stop = 0;

	/* A reload of a million-entry list allocates tens of MB of short-lived arrays; handing them
	 * back to the kernel after each reload makes the next one page-fault them in again (costly
	 * on VMs). Keep freed memory in the heap: RSS stays at the first reload's peak. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);	/* glibc's maximum */
	mallopt(M_TRIM_THRESHOLD, 512 << 20);

	if (!w || !dm.feed) {
		log_msg(LOG_ERR, "cannot set up inotify/signals: %s", strerror(errno));
		feed_free(dm.feed);
		watcher_free(w);
		return EXIT_RUNTIME;
	}
	/* Two daemons on one pin path undo each other's changes at every reload (a terminal's
	 * vosfp-agent beside the service): the second changes nothing and goes. */
	{
		char pin_path[4096], who[32];

		if (daemon_on_pins_of(config, pin_path, sizeof(pin_path), who, sizeof(who))) {
			log_msg(LOG_ERR, "a vosfp-agent daemon (%s) already runs on %s: one daemon per pin path (stop it, or give this config another pin_path); nothing changed",
				who, pin_path);
			feed_free(dm.feed);
			watcher_free(w);
			return EXIT_RUNTIME;
		}
	}
	watcher_set(w, &config, 1);
	watcher_set_source(w, &src);
	dm.next_tick = mono_ms() + AUTOBLOCK_TICK_MS;
	r = counted_reconcile(&dm, config, NULL, &want, &cache, &raced);
	if (r != RECONCILE_OK)
		r = await_first_good(&dm, config, &want, &cache, &raced, r, &stop);
	if (r != RECONCILE_OK) {
		daemon_free(&dm, &cache, &want);
		return stop ? EXIT_OK : EXIT_RUNTIME;
	}
	dm.want = &want;
	metrics_follow(&dm);
	autoblock_watch_follow(&dm.blocks, want.pin_path, want.autoblock_persist, want.runtime.repeat_within_ms);
	autoblock_watch_tick(&dm.blocks, want.pin_path);	/* blocks already in place: logged once */
	feed_follow(dm.feed, &want);
	feed_tick(dm.feed, &dm.blocks.seen);
	for (;;) {
		enum watch_event ev = WATCH_RELOAD;

		if (raced)
			snprintf(why, sizeof(why), "a file changed while it was being read");
		else
			ev = watcher_wait(w, why, sizeof(why));
		switch (ev) {
		case WATCH_STOP:
			log_msg(LOG_INFO, "%s: exiting; filtering stays in place (vosfp-agent --down removes it)", why);
			daemon_free(&dm, &cache, &want);
			return EXIT_OK;
		case WATCH_ERROR:
			log_msg(LOG_ERR, "watching failed: %s", strerror(errno));
			daemon_free(&dm, &cache, &want);
			return EXIT_RUNTIME;
		case WATCH_RELOAD:
			log_msg(LOG_INFO, "reload: %s", why);
			/* SIGHUP is the operator's "resync": read the kernel back, trust nothing cached. */
			if (!strcmp(why, "SIGHUP"))
				list_cache_drop(&cache);
			if (counted_reconcile(&dm, config, &want, &next, &cache, &raced) == RECONCILE_OK) {
				desired_free(&want);
				want = next;
				metrics_follow(&dm);
				autoblock_watch_follow(&dm.blocks, want.pin_path, want.autoblock_persist,
						       want.runtime.repeat_within_ms);
				feed_follow(dm.feed, &want);
				feed_tick(dm.feed, &dm.blocks.seen);
			} else {
				desired_free(&next);
				if (dm.metrics == NULL && want.metrics_listen[0])
					metrics_follow(&dm);	/* retry a bind that failed */
			}
			break;
		}
	}
}

static int once(const char *config)
{
	struct desired want;
	enum reconcile_result r = reconcile(config, &want, NULL);

	desired_free(&want);
	return r == RECONCILE_OK ? EXIT_OK : r == RECONCILE_INVALID ? EXIT_USAGE : EXIT_RUNTIME;
}

/* --stats and --down need only the pin path. --stats reads: with a broken config it reads the
 * default pin path and says so. --down destroys: a config it cannot read (a typo in --config, a
 * half-written edit) must not make it remove the default, production, state; it refuses. */
static int pin_path_of(const char *config, char *out, size_t len, int strict)
{
	struct config_file cf;
	struct diag d = { 0 };

	int loaded = config_load(config, &cf, &d) == 0;

	if (!loaded && strict) {
		diag_print(&d, stderr);
		log_msg(LOG_ERR, "%s: cannot tell which pin path it names; nothing changed (give a valid config, e.g. one with only version: 1, interfaces: [] and its pin_path)",
			config);
		diag_clear(&d);
		return -1;
	}
	snprintf(out, len, "%s", loaded && cf.doc->pin_path ? cf.doc->pin_path : VOSFP_DEFAULT_PIN_PATH);
	/* Say so: reading the default state when another config was meant would mislead. */
	if (!loaded)
		log_msg(LOG_WARNING, "%s; using the default pin path %s",
			d.kept ? d.msgs[0] : "the config is unreadable", VOSFP_DEFAULT_PIN_PATH);
	if (loaded)
		config_free(&cf);
	diag_clear(&d);
	return 0;
}

/* --check-list: the list-file parser, for scripts that must refuse bad input before writing.
 * With --canonical the valid entries go to stdout, one per line in canonical form and in file
 * order, and the summary to stderr: a bulk script keeps the good lines and counts the bad. */
static int check_lists(const char *const *files, unsigned count, int canonical)
{
	struct diag d = { 0 };
	size_t valid = 0, invalid;

	for (unsigned i = 0; i < count; i++) {
		struct prefix_set set = { 0 };
		char buf[VOSFP_PREFIX_STRLEN];

		list_file_read(files[i], 0, &set, &d, NULL, NULL);
		for (size_t k = 0; canonical && k < set.n; k++)
			printf("%s\n", vosfp_prefix_str(&set.v[k], buf, sizeof(buf)));
		valid += set.n;
		prefix_set_free(&set);
	}
	invalid = d.count;
	diag_print(&d, stderr);
	diag_clear(&d);
	fprintf(canonical ? stderr : stdout, "%zu entr%s valid, %zu invalid\n", valid,
		valid == 1 ? "y" : "ies", invalid);
	return invalid ? EXIT_USAGE : EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, 'o' },
		{ "stats", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "down", no_argument, NULL, 'd' },
		{ "check-list", no_argument, NULL, 'l' },
		{ "pin-path", no_argument, NULL, 'P' },
		{ "canonical", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *config = VOSFP_CONFIG_DEFAULT_PATH;
	enum mode mode = MODE_RUN;
	int modes = 0, json = 0, canonical = 0, opt;

	while ((opt = getopt_long(argc, argv, "c:nvhV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			mode = MODE_DRY_RUN, modes++;
			break;
		case 'o':
			mode = MODE_ONCE, modes++;
			break;
		case 's':
			mode = MODE_STATS, modes++;
			break;
		case 'd':
			mode = MODE_DOWN, modes++;
			break;
		case 'l':
			mode = MODE_CHECK_LIST, modes++;
			break;
		case 'P':
			mode = MODE_PIN_PATH, modes++;
			break;
		case 'C':
			canonical = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'v':
			log_level = log_level < LOG_DEBUG ? log_level + 1 : LOG_DEBUG;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return EXIT_OK;
		case 'V':
			printf("vosfp-agent %s\n", VOSFP_VERSION);
			return EXIT_OK;
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if ((optind < argc && mode != MODE_CHECK_LIST) || (optind == argc && mode == MODE_CHECK_LIST) ||
	    modes > 1 || (json && mode != MODE_STATS)) {
		fprintf(stderr, "%s: %s\n", argv[0],
			mode == MODE_CHECK_LIST && optind == argc ? "--check-list needs list files" :
			optind < argc ? "unexpected argument" :
			modes > 1 ? "choose one mode" : "--json goes with --stats");
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}

	libbpf_set_print(NULL);	/* our messages say what failed; libbpf's would repeat it */
	switch (mode) {
	case MODE_DRY_RUN:
		return dry_run(config);
	case MODE_ONCE:
		return once(config);
	case MODE_STATS: {
		char pin_path[4096];

		pin_path_of(config, pin_path, sizeof(pin_path), 0);
		return stats_print(pin_path, json, stdout) ? EXIT_RUNTIME : EXIT_OK;
	}
	case MODE_DOWN: {
		char pin_path[4096], who[32];
		int ret;

		if (pin_path_of(config, pin_path, sizeof(pin_path), 1))
			return EXIT_USAGE;
		if (daemon_on(pin_path, who, sizeof(who))) {
			log_msg(LOG_ERR, "a vosfp-agent daemon (%s) runs on %s and would attach everything again within a second: stop it first (systemctl stop vosfp-agent), then run --down; nothing changed",
				who, pin_path);
			return EXIT_RUNTIME;
		}
		ret = reconcile_down(pin_path);
		/* > 0: a pin directory that is not the agent's own, refused */
		return ret > 0 ? EXIT_USAGE : ret ? EXIT_RUNTIME : EXIT_OK;
	}
	case MODE_PIN_PATH: {
		char pin_path[4096];

		if (pin_path_of(config, pin_path, sizeof(pin_path), 1))
			return EXIT_USAGE;
		printf("%s\n", pin_path);
		return EXIT_OK;
	}
	case MODE_CHECK_LIST:
		return check_lists((const char *const *)argv + optind, (unsigned)(argc - optind), canonical);
	default:
		return run(config);
	}
}
