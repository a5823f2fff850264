/* main.c - vosfp-agent's command line: parse options and dispatch to one mode. Nothing else. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desired.h"
#include "log.h"
#include "plan.h"
#include "state.h"

#define VOSFP_VERSION "0.1.0"

enum exit_code { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

enum mode { MODE_RUN, MODE_DRY_RUN, MODE_ONCE, MODE_STATS, MODE_DOWN };

static void usage(FILE *out, const char *argv0)
{
	fprintf(out,
		"Usage: %s [--config FILE] [MODE] [-v]\n"
		"Make the kernel's XDP SIP filter match /etc/vosfp.yaml, and keep it matching.\n"
		"\n"
		"Modes (default: run):\n"
		"  (none)        reconcile, then watch the config and list files and keep reconciling\n"
		"  -n, --dry-run validate the config and print the plan against the live kernel state;\n"
		"                changes nothing; without privileges it plans against an empty kernel\n"
		"      --once    reconcile once and exit\n"
		"      --stats   print the counters (--json for JSON)\n"
		"      --down    detach from every interface, unpin, remove state\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default " VOSFP_CONFIG_DEFAULT_PATH ")\n"
		"  -v, --verbose      more log detail (repeat for debug)\n"
		"  -h, --help         this help\n"
		"  -V, --version      version\n"
		"\n"
		"Exit status: 0 success; 1 runtime failure (attach failed and was rolled back, kernel\n"
		"refused); 2 usage error or invalid config.\n",
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
		return EXIT_USAGE;
	}
	if (access(want.bpf_object, R_OK))
		fprintf(stderr, "warning: bpf_object %s: %s: a real run would fail\n", want.bpf_object,
			strerror(errno));
	err = state_read(want.pin_path, &have);
	if (err) {
		desired_free(&want);
		return EXIT_RUNTIME;
	}
	err = plan_build(&want, &have, &p);
	if (!err) {
		printf("%s: valid (%u interface%s, blocklist %zu, allowlist %zu entries)\n", config,
		       want.iface_count, want.iface_count == 1 ? "" : "s", want.blocked.n, want.allowed.n);
		plan_print(&p, &want, &have, stdout);
		plan_free(&p);
	}
	observed_free(&have);
	desired_free(&want);
	return err ? EXIT_RUNTIME : EXIT_OK;
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *config = VOSFP_CONFIG_DEFAULT_PATH;
	enum mode mode = MODE_RUN;
	int modes = 0, json = 0, opt;

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
	if (optind < argc || modes > 1 || (json && mode != MODE_STATS)) {
		fprintf(stderr, "%s: %s\n", argv[0],
			optind < argc ? "unexpected argument" :
			modes > 1 ? "choose one mode" : "--json goes with --stats");
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}

	switch (mode) {
	case MODE_DRY_RUN:
		return dry_run(config);
	default:
		/* Applying (attach transaction, pins, watch) is the next step of this agent. */
		log_msg(LOG_ERR, "this build implements --dry-run only; run, --once, --stats and --down are not available yet");
		return EXIT_RUNTIME;
	}
}
