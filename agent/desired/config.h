/* config.h - the desired state as the operator declares it in /etc/vosfp.yaml, loaded with
 * libcyaml and validated whole. No kernel access here: loading a config never changes anything. */
#ifndef VOSFP_CONFIG_H
#define VOSFP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "yamldoc.h"

#define VOSFP_CONFIG_DEFAULT_PATH "/etc/vosfp.yaml"
#define VOSFP_DEFAULT_PIN_PATH "/sys/fs/bpf/vosfp"
#ifndef VOSFP_INSTALLED_OBJECT	/* set by the Makefile from PREFIX */
#define VOSFP_INSTALLED_OBJECT "/usr/local/lib/vosfp/sip_logic.bpf.o"
#endif

enum vosfp_xdp_mode {
	VOSFP_MODE_NATIVE,
	VOSFP_MODE_GENERIC,
	VOSFP_MODE_OFFLOAD,
};

struct vosfp_iface_cfg {
	char *name;
	enum vosfp_xdp_mode *xdp_mode;		/* preference order */
	unsigned xdp_mode_count;
};

struct vosfp_list_cfg {
	char **addresses;
	unsigned addresses_count;
	char **files;				/* must exist */
	unsigned files_count;
	char **optional_files;			/* a missing one counts as empty */
	unsigned optional_files_count;
};

struct vosfp_sip_cfg {
	uint16_t *udp_ports;
	unsigned udp_ports_count;
	uint16_t *tcp_ports;
	unsigned tcp_ports_count;
	bool *stealth_options;			/* NULL: absent, default true */
	bool *drop_malformed;			/* NULL: absent, default true */
	/* Not in the YAML schema: filled by config_load, since an empty list and an absent one
	 * mean different things (absent udp_ports = [5060]; [] = inspect no UDP port). */
	bool udp_ports_given;
	bool tcp_ports_given;
};

struct vosfp_limits_cfg {
	uint32_t blocklist_max;
	uint32_t allowlist_max;
	uint32_t rate_sources_max;		/* sources the rate limiter tracks (map rate_state) */
	uint32_t auto_block_max;		/* live auto-blocks (map auto_blocked) */
};

/* The Prometheus endpoint; absent: no listening socket at all. */
struct vosfp_metrics_cfg {
	char *listen;				/* "127.0.0.1:9477", "[::1]:9477" (endpoint.h) */
};

/* One request class's limit. */
struct vosfp_rate_cfg {
	uint32_t rate;				/* requests/s, 0 = unlimited */
	uint32_t burst;
	bool burst_given;			/* filled by config_load: absent burst = rate */
};

struct vosfp_per_method_cfg {
	struct vosfp_rate_cfg *reg;		/* YAML key "register" */
	struct vosfp_rate_cfg *invite;
	struct vosfp_rate_cfg *options;
	struct vosfp_rate_cfg *other;
};

struct vosfp_rate_limit_cfg {
	bool *enabled;				/* NULL: absent, default true (the section turns it on) */
	uint32_t rate;				/* for every method not in per_method */
	uint32_t burst;
	struct vosfp_per_method_cfg *per_method;
	bool rate_given, burst_given;		/* filled by config_load */
};

/* Repeat offenders: a block within within_seconds of the source's last block's expiry lasts
 * factor times the last one, up to max_seconds. */
struct vosfp_repeat_cfg {
	uint32_t within_seconds;
	uint32_t factor;
	uint32_t max_seconds;
	bool within_given, factor_given, max_given;	/* filled by config_load */
};

struct vosfp_auto_block_cfg {
	bool *enabled;				/* NULL: absent, default true */
	uint32_t after_seconds;
	uint32_t duration_seconds;
	char *persist_file;			/* NULL: auto-blocks are not kept across restarts */
	struct vosfp_repeat_cfg *repeat;	/* NULL: every block lasts duration_seconds */
	bool after_given, duration_given;	/* filled by config_load */
};

/* The answer rule (bpf/vosfp.h), applied by the egress program; absent: not attached at all. */
struct vosfp_answers_cfg {
	bool *enabled;				/* NULL: absent, default true (the section turns it on) */
	uint32_t window_seconds;
	uint32_t auth_failures;			/* 0: no auth-failure blocks */
	uint32_t not_found;			/* 0: no enumeration blocks */
	uint32_t challenge_seconds;
	bool window_given, auth_given, not_found_given, challenge_given;	/* filled by config_load */
};

struct vosfp_scanners_cfg {
	bool *enabled;				/* NULL: absent, default true */
	char **user_agents;
	unsigned user_agents_count;
	bool user_agents_given;			/* filled by config_load: absent = the default list */
};

/* The CrowdSec feed (agent/feeds/); absent: off. */
enum vosfp_crowdsec_scope { VOSFP_SCOPE_IP, VOSFP_SCOPE_RANGE };

struct vosfp_crowdsec_publish_cfg {
	char *credentials_file;			/* what `cscli machines add NAME -f FILE` writes */
};

struct vosfp_crowdsec_cfg {
	char *lapi_url;				/* http:// or https:// */
	char *api_key_file;			/* the bouncer key (`cscli bouncers add NAME`) */
	char *ca_file;				/* https: the CA to trust instead of the system's */
	uint32_t poll_interval_seconds;
	enum vosfp_crowdsec_scope *scopes;
	unsigned scopes_count;
	char **types;				/* decision types enforced (dropped) */
	unsigned types_count;
	char **origins;				/* only decisions from these origins; absent: all */
	unsigned origins_count;
	uint32_t max_response_mb;
	struct vosfp_crowdsec_publish_cfg *publish;
	/* Filled by config_load: absent and empty differ. */
	bool poll_given, scopes_given, types_given, max_response_given;
};

#define VOSFP_CROWDSEC_POLL_DEFAULT 10
/* The LAPI counts any other read with the same key as the bouncer's pull once the last pull is a
 * minute old (then the stream would skip what came between): a poll comes well within that. */
#define VOSFP_CROWDSEC_POLL_MAX 50
#define VOSFP_CROWDSEC_RESPONSE_MB_DEFAULT 32	/* ~200,000 decisions */
#define VOSFP_CROWDSEC_RESPONSE_MB_MAX 1024

/* Exactly the YAML document, as libcyaml fills it. */
struct vosfp_config_doc {
	uint32_t version;
	char *pin_path;
	char *bpf_object;
	struct vosfp_iface_cfg *interfaces;
	unsigned interfaces_count;
	char **interface_files;			/* more interfaces, one per line (iface_file.h) */
	unsigned interface_files_count;
	struct vosfp_sip_cfg *sip;
	struct vosfp_list_cfg *allowlist;
	struct vosfp_list_cfg *blocklist;
	struct vosfp_limits_cfg *limits;
	struct vosfp_metrics_cfg *metrics;
	struct vosfp_rate_limit_cfg *rate_limit;
	struct vosfp_auto_block_cfg *auto_block;
	struct vosfp_scanners_cfg *scanners;
	struct vosfp_answers_cfg *answers;
	struct vosfp_crowdsec_cfg *crowdsec;
};

/* pin_path, bpf_object, persist_file, in bytes: room below PATH_MAX for what is joined to them
 * (pins, links, ".tmp"), so no path is ever cut short. */
#define VOSFP_PATH_FIELD_MAX 4000
/* The config file itself: far more than any hand-written one, and a bound on what a file named
 * by mistake (a log, a disk image) can make the agent hold. */
#define VOSFP_CONFIG_MAX_BYTES (16u << 20)
#define VOSFP_MAX_PORTS 64
#define VOSFP_MAX_INTERFACES 64
#define VOSFP_DEFAULT_BLOCKLIST_MAX 1048576
#define VOSFP_DEFAULT_ALLOWLIST_MAX 65536
/* Flood defence defaults and bounds. A rate above 1e6/s would make the datapath's emission
 * interval (1e9 / rate ns) too coarse; durations are kept in ms in a __u32. */
#define VOSFP_DEFAULT_RATE 20
#define VOSFP_RATE_MAX 1000000
#define VOSFP_BURST_MAX 1000000
#define VOSFP_DEFAULT_AUTO_BLOCK_AFTER 10
#define VOSFP_DEFAULT_AUTO_BLOCK_DURATION 600
#define VOSFP_AUTO_BLOCK_AFTER_MAX 86400
#define VOSFP_AUTO_BLOCK_DURATION_MAX 4294967	/* (2^32 - 1) ms */
#define VOSFP_USER_AGENT_MAX_LEN 128
/* The answer rule's and repeat offenders' defaults and bounds (man vosfp.yaml(5) says why). */
#define VOSFP_DEFAULT_ANSWERS_WINDOW 60
#define VOSFP_DEFAULT_AUTH_FAILURES 10
#define VOSFP_DEFAULT_NOT_FOUND 20
#define VOSFP_DEFAULT_CHALLENGE 10
#define VOSFP_ANSWERS_WINDOW_MAX 86400
#define VOSFP_ANSWERS_COUNT_MAX 65535
#define VOSFP_CHALLENGE_MAX 3600
#define VOSFP_DEFAULT_REPEAT_WITHIN 86400
#define VOSFP_DEFAULT_REPEAT_FACTOR 2
#define VOSFP_DEFAULT_REPEAT_MAX 604800
#define VOSFP_REPEAT_FACTOR_MAX 16
/* The flood-defence maps are LRU hashes, which the kernel preallocates whole: ~100 bytes an
 * entry, so the largest costs ~400 MB; the smallest keeps the LRU's per-CPU lists useful. */
#define VOSFP_DEFENCE_MAP_MIN 1024
#define VOSFP_DEFENCE_MAP_MAX 4194304

/* A loaded config: the typed document and, for messages about it, where each value stands. */
struct config_file {
	char path[4096];
	struct vosfp_config_doc *doc;
	struct yamldoc y;
};

/* Load and validate path (schema, then meaning). On failure every problem found is added to d
 * with its file and line, and cf->doc is NULL. */
int config_load(const char *path, struct config_file *cf, struct diag *d);
void config_free(struct config_file *cf);

/* Line of a value ("limits.blocklist_max"), or of its nearest present parent. */
int config_line(const struct config_file *cf, const char *key_path);

/* A name the kernel would accept for a network interface (dev_valid_name()). */
int config_valid_ifname(const char *name);

#endif
