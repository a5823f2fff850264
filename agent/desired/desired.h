/* desired.h - the complete desired state: the config with its defaults resolved plus every list
 * file it names, validated as a whole. Built before anything touches the kernel. */
#ifndef VOSFP_DESIRED_H
#define VOSFP_DESIRED_H

#include <limits.h>
#include <stdint.h>

#include "config.h"
#include "file_stamp.h"
#include "prefix_set.h"
#include "scanner.h"

struct desired_iface {
	char name[16];
	enum vosfp_xdp_mode modes[3];
	unsigned mode_count;
	enum vosfp_attach_method method;	/* xdp_attach resolved: the interface's, the top's, or
						 * the defaults */
	uint32_t run_priority;			/* dispatcher only */
	uint32_t chain_call_actions;		/* dispatcher only: bit 1 << enum vosfp_xdp_action */
	const char *file;			/* declared in an interface file: which (NULL: the YAML) */
	int line;				/* and at which line */
};

/* The crowdsec section resolved: paths against the config's directory, defaults filled in. */
#define DESIRED_CROWDSEC_TYPES 16
#define DESIRED_CROWDSEC_ORIGINS 32
struct desired_crowdsec {
	int enabled;				/* the section is there */
	char lapi_url[1024];
	char api_key_file[PATH_MAX];
	char ca_file[PATH_MAX];			/* "": the system's CAs */
	char credentials_file[PATH_MAX];	/* "": vosfp's auto-blocks are not published */
	unsigned poll_interval_s;
	unsigned scopes;			/* bit 1 << enum vosfp_crowdsec_scope */
	char types[DESIRED_CROWDSEC_TYPES][33];
	unsigned type_count;
	char origins[DESIRED_CROWDSEC_ORIGINS][65];
	unsigned origin_count;			/* 0: every origin */
	size_t max_response_bytes;
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
	struct vosfp_scanner_free scanner_free;	/* map scanner_free for them */
	struct prefix_set blocked, allowed;
	uint32_t blocklist_max, allowlist_max;
	uint32_t rate_sources_max, auto_block_max;	/* sizes of maps rate_state, auto_blocked */
	char metrics_listen[72];		/* metrics.listen, "" when metrics are off */
	char autoblock_persist[PATH_MAX];	/* auto_block.persist_file resolved, "" when auto-blocks
						 * are off or not kept */
	int egress;				/* the answer rule is on: the egress program is attached to
						 * every interface (egress.h) */
	struct desired_crowdsec crowdsec;
	char **list_files;			/* every list and interface file named, for the watcher
						 * (and the crowdsec key and credentials: a new key is
						 * picked up like a list edit) */
	struct file_stamp *list_stamps;		/* each as it was just before it was read */
	unsigned list_file_count;
	struct file_stamp config_stamp;		/* the config, just before it was read */
};

/* Build from the config at path; every problem goes to d. On failure nothing but config_path,
 * config_stamp and list_files with their stamps (the files read, for the watcher) is returned:
 * desired_free releases them, as it releases a built state. */
int desired_build(const char *path, struct desired *out, struct diag *d);
void desired_free(struct desired *s);

const char *xdp_mode_name(enum vosfp_xdp_mode m);
const char *attach_method_name(enum vosfp_attach_method m);	/* "link", "dispatcher" */
/* "native", "generic" or "offload" -> *m; -1 for anything else. */
int xdp_mode_parse(const char *name, enum vosfp_xdp_mode *m);
/* An interface declared without modes (in the YAML or an interface file): native where the
 * driver has it, else generic, as `ip link set dev X xdp` and deploy.sh have always tried. */
void xdp_modes_default(struct desired_iface *di);

#endif
