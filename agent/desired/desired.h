/* desired.h - the complete desired state: the config with its defaults resolved plus every list
 * file it names, validated as a whole. Built before anything touches the kernel. */
#ifndef VOSFP_DESIRED_H
#define VOSFP_DESIRED_H

#include <limits.h>
#include <stdint.h>

#include "config.h"
#include "prefix_set.h"
#include "scanner.h"

struct desired_iface {
	char name[16];
	enum vosfp_xdp_mode modes[3];
	unsigned mode_count;
	const char *file;			/* declared in an interface file: which (NULL: the YAML) */
	int line;				/* and at which line */
};

struct desired {
	char config_path[PATH_MAX];
	char pin_path[PATH_MAX];
	int pin_path_line;			/* its line in the config (0: the default) */
	char bpf_object[PATH_MAX];
	struct desired_iface *ifaces;
	unsigned iface_count;
	struct vosfp_config runtime;		/* the value of the sip_config map */
	struct vosfp_scanner_key *scanners;	/* the keys of map scanner_tokens, sorted */
	unsigned scanner_count;
	struct prefix_set blocked, allowed;
	uint32_t blocklist_max, allowlist_max;
	uint32_t rate_sources_max, auto_block_max;	/* sizes of maps rate_state, auto_blocked */
	char metrics_listen[72];		/* metrics.listen, "" when metrics are off */
	char autoblock_persist[PATH_MAX];	/* auto_block.persist_file resolved, "" when auto-blocks
						 * are off or not kept */
	char **list_files;			/* every list and interface file named, for the watcher */
	unsigned list_file_count;
};

/* Build from the config at path; every problem goes to d and nothing is returned then. */
int desired_build(const char *path, struct desired *out, struct diag *d);
void desired_free(struct desired *s);

const char *xdp_mode_name(enum vosfp_xdp_mode m);
/* "native", "generic" or "offload" -> *m; -1 for anything else. */
int xdp_mode_parse(const char *name, enum vosfp_xdp_mode *m);

#endif
