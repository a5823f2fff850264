/* config.c - /etc/vosfp.yaml: the libcyaml schema (the one description of the file's shape),
 * loading, and the checks of meaning that a schema cannot express. Never touches the kernel. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "addr.h"
#include "endpoint.h"
#include "file_trust.h"
#include "scanner.h"

static const cyaml_strval_t mode_names[] = {
	{ "native", VOSFP_MODE_NATIVE },
	{ "generic", VOSFP_MODE_GENERIC },
	{ "offload", VOSFP_MODE_OFFLOAD },
};

static const cyaml_schema_value_t mode_schema = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, enum vosfp_xdp_mode, mode_names, 3),
};

static const cyaml_strval_t method_names[] = {
	{ "link", VOSFP_ATTACH_LINK },
	{ "dispatcher", VOSFP_ATTACH_DISPATCHER },
};

static const cyaml_strval_t action_names[] = {
	{ "aborted", VOSFP_XDP_ABORTED },
	{ "drop", VOSFP_XDP_DROP },
	{ "pass", VOSFP_XDP_PASS },
	{ "tx", VOSFP_XDP_TX },
	{ "redirect", VOSFP_XDP_REDIRECT },
};

static const cyaml_schema_value_t action_schema = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, enum vosfp_xdp_action, action_names, 5),
};

static const cyaml_schema_field_t attach_fields[] = {
	CYAML_FIELD_ENUM_PTR("method", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
			     struct vosfp_attach_cfg, method, method_names, 2),
	CYAML_FIELD_UINT_PTR("run_priority", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_attach_cfg,
			     run_priority),
	CYAML_FIELD_SEQUENCE("chain_call_actions", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_attach_cfg, chain_call_actions, &action_schema, 0, 5),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t iface_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_POINTER, struct vosfp_iface_cfg, name, 1, 15),
	CYAML_FIELD_SEQUENCE("xdp_mode", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_iface_cfg,
			     xdp_mode, &mode_schema, 1, 3),
	CYAML_FIELD_MAPPING_PTR("xdp_attach", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_iface_cfg,
				xdp_attach, attach_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t iface_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct vosfp_iface_cfg, iface_fields),
};

static const cyaml_schema_value_t port_schema = {
	CYAML_VALUE_UINT(CYAML_FLAG_DEFAULT, uint16_t),
};

static const cyaml_schema_field_t sip_fields[] = {
	CYAML_FIELD_SEQUENCE("udp_ports", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_sip_cfg, udp_ports, &port_schema, 0, VOSFP_MAX_PORTS),
	CYAML_FIELD_SEQUENCE("tcp_ports", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_sip_cfg, tcp_ports, &port_schema, 0, VOSFP_MAX_PORTS),
	CYAML_FIELD_BOOL_PTR("stealth_options", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_sip_cfg, stealth_options),
	CYAML_FIELD_BOOL_PTR("drop_malformed", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_sip_cfg, drop_malformed),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t string_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CYAML_UNLIMITED),
};

static const cyaml_schema_field_t list_fields[] = {
	CYAML_FIELD_SEQUENCE("addresses", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_list_cfg, addresses, &string_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("files", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_list_cfg, files, &string_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("optional_files", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_list_cfg, optional_files, &string_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t limits_fields[] = {
	CYAML_FIELD_UINT("blocklist_max", CYAML_FLAG_OPTIONAL, struct vosfp_limits_cfg, blocklist_max),
	CYAML_FIELD_UINT("allowlist_max", CYAML_FLAG_OPTIONAL, struct vosfp_limits_cfg, allowlist_max),
	CYAML_FIELD_UINT("rate_sources_max", CYAML_FLAG_OPTIONAL, struct vosfp_limits_cfg, rate_sources_max),
	CYAML_FIELD_UINT("auto_block_max", CYAML_FLAG_OPTIONAL, struct vosfp_limits_cfg, auto_block_max),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t metrics_fields[] = {
	CYAML_FIELD_STRING_PTR("listen", CYAML_FLAG_POINTER, struct vosfp_metrics_cfg, listen, 1, 64),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t rate_fields[] = {
	CYAML_FIELD_UINT("rate", CYAML_FLAG_DEFAULT, struct vosfp_rate_cfg, rate),
	CYAML_FIELD_UINT("burst", CYAML_FLAG_OPTIONAL, struct vosfp_rate_cfg, burst),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t per_method_fields[] = {
	CYAML_FIELD_MAPPING_PTR("register", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_per_method_cfg, reg, rate_fields),
	CYAML_FIELD_MAPPING_PTR("invite", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_per_method_cfg, invite, rate_fields),
	CYAML_FIELD_MAPPING_PTR("options", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_per_method_cfg, options, rate_fields),
	CYAML_FIELD_MAPPING_PTR("other", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_per_method_cfg, other, rate_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t rate_limit_fields[] = {
	CYAML_FIELD_BOOL_PTR("enabled", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_rate_limit_cfg, enabled),
	CYAML_FIELD_UINT("rate", CYAML_FLAG_OPTIONAL, struct vosfp_rate_limit_cfg, rate),
	CYAML_FIELD_UINT("burst", CYAML_FLAG_OPTIONAL, struct vosfp_rate_limit_cfg, burst),
	CYAML_FIELD_MAPPING_PTR("per_method", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_rate_limit_cfg, per_method, per_method_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t repeat_fields[] = {
	CYAML_FIELD_UINT("within_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_repeat_cfg, within_seconds),
	CYAML_FIELD_UINT("factor", CYAML_FLAG_OPTIONAL, struct vosfp_repeat_cfg, factor),
	CYAML_FIELD_UINT("max_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_repeat_cfg, max_seconds),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t answers_fields[] = {
	CYAML_FIELD_BOOL_PTR("enabled", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_answers_cfg, enabled),
	CYAML_FIELD_UINT("window_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_answers_cfg, window_seconds),
	CYAML_FIELD_UINT("auth_failures", CYAML_FLAG_OPTIONAL, struct vosfp_answers_cfg, auth_failures),
	CYAML_FIELD_UINT("not_found", CYAML_FLAG_OPTIONAL, struct vosfp_answers_cfg, not_found),
	CYAML_FIELD_UINT("challenge_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_answers_cfg,
			 challenge_seconds),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t auto_block_fields[] = {
	CYAML_FIELD_BOOL_PTR("enabled", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_auto_block_cfg, enabled),
	CYAML_FIELD_UINT("after_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_auto_block_cfg, after_seconds),
	CYAML_FIELD_UINT("duration_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_auto_block_cfg,
			 duration_seconds),
	CYAML_FIELD_STRING_PTR("persist_file", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct vosfp_auto_block_cfg, persist_file, 1, VOSFP_PATH_FIELD_MAX),
	CYAML_FIELD_MAPPING_PTR("repeat", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_auto_block_cfg, repeat, repeat_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t scanners_fields[] = {
	CYAML_FIELD_BOOL_PTR("enabled", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_scanners_cfg, enabled),
	CYAML_FIELD_SEQUENCE("user_agents", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_scanners_cfg, user_agents, &string_schema, 0, VOSFP_SCANNER_TOKENS_MAX),
	CYAML_FIELD_END
};

static const cyaml_strval_t scope_names[] = {
	{ "Ip", VOSFP_SCOPE_IP },
	{ "Range", VOSFP_SCOPE_RANGE },
};

static const cyaml_schema_value_t scope_schema = {
	CYAML_VALUE_ENUM(CYAML_FLAG_STRICT, enum vosfp_crowdsec_scope, scope_names, 2),
};

static const cyaml_schema_field_t publish_fields[] = {
	CYAML_FIELD_STRING_PTR("credentials_file", CYAML_FLAG_POINTER, struct vosfp_crowdsec_publish_cfg,
			       credentials_file, 1, 4000),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t crowdsec_fields[] = {
	CYAML_FIELD_STRING_PTR("lapi_url", CYAML_FLAG_POINTER, struct vosfp_crowdsec_cfg, lapi_url, 1, 1000),
	CYAML_FIELD_STRING_PTR("api_key_file", CYAML_FLAG_POINTER, struct vosfp_crowdsec_cfg, api_key_file, 1, 4000),
	CYAML_FIELD_STRING_PTR("ca_file", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg,
			       ca_file, 1, 4000),
	CYAML_FIELD_UINT("poll_interval_seconds", CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg,
			 poll_interval_seconds),
	CYAML_FIELD_SEQUENCE("scopes", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg,
			     scopes, &scope_schema, 1, 2),
	CYAML_FIELD_SEQUENCE("types", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg,
			     types, &string_schema, 1, 16),
	CYAML_FIELD_SEQUENCE("origins", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg,
			     origins, &string_schema, 1, 32),
	CYAML_FIELD_UINT("max_response_mb", CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg, max_response_mb),
	CYAML_FIELD_MAPPING_PTR("publish", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_crowdsec_cfg,
				publish, publish_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t top_fields[] = {
	CYAML_FIELD_UINT("version", CYAML_FLAG_DEFAULT, struct vosfp_config_doc, version),
	CYAML_FIELD_STRING_PTR("pin_path", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct vosfp_config_doc, pin_path, 1, VOSFP_PATH_FIELD_MAX),
	CYAML_FIELD_STRING_PTR("bpf_object", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct vosfp_config_doc, bpf_object, 1, VOSFP_PATH_FIELD_MAX),
	CYAML_FIELD_SEQUENCE("interfaces", CYAML_FLAG_POINTER, struct vosfp_config_doc, interfaces,
			     &iface_schema, 0, VOSFP_MAX_INTERFACES),
	CYAML_FIELD_SEQUENCE("interface_files", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct vosfp_config_doc, interface_files, &string_schema, 0, CYAML_UNLIMITED),
	CYAML_FIELD_MAPPING_PTR("sip", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, sip, sip_fields),
	CYAML_FIELD_MAPPING_PTR("allowlist", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, allowlist, list_fields),
	CYAML_FIELD_MAPPING_PTR("blocklist", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, blocklist, list_fields),
	CYAML_FIELD_MAPPING_PTR("limits", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, limits, limits_fields),
	CYAML_FIELD_MAPPING_PTR("rate_limit", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, rate_limit, rate_limit_fields),
	CYAML_FIELD_MAPPING_PTR("auto_block", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, auto_block, auto_block_fields),
	CYAML_FIELD_MAPPING_PTR("scanners", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, scanners, scanners_fields),
	CYAML_FIELD_MAPPING_PTR("answers", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, answers, answers_fields),
	CYAML_FIELD_MAPPING_PTR("metrics", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, metrics, metrics_fields),
	CYAML_FIELD_MAPPING_PTR("crowdsec", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct vosfp_config_doc, crowdsec, crowdsec_fields),
	CYAML_FIELD_MAPPING_PTR("xdp_attach", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, struct vosfp_config_doc,
				xdp_attach, attach_fields),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t vosfp_config_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct vosfp_config_doc, top_fields),
};

/* libcyaml's own messages, kept for the rare error our line-exact pre-check did not catch. */
struct cyaml_capture {
	char msg[512];
	int line;
};

static void capture_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cyaml_capture *c = ctx;
	char line[512];
	const char *at;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = '\0';
	at = strstr(line, "(line: ");
	if (at)
		c->line = atoi(at + 7);
	else if (!c->msg[0] && strncmp(line, "Load: Backtrace", 15))
		snprintf(c->msg, sizeof(c->msg), "%s", strncmp(line, "Load: ", 6) ? line : line + 6);
}

static const cyaml_config_t *cyaml_settings(struct cyaml_capture *capture)
{
	static cyaml_config_t cfg;

	cfg = (cyaml_config_t){
		.log_fn = capture_log,
		.log_ctx = capture,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_DEFAULT,
	};
	return &cfg;
}

static void free_doc(struct vosfp_config_doc *doc)
{
	struct cyaml_capture ignored = { 0 };

	if (doc)
		cyaml_free(cyaml_settings(&ignored), &vosfp_config_schema, doc, 0);
}

void config_free(struct config_file *cf)
{
	free_doc(cf->doc);
	cf->doc = NULL;
	yamldoc_free(&cf->y);
}

int config_line(const struct config_file *cf, const char *key_path)
{
	return yamldoc_line(&cf->y, key_path);
}

static int read_file(const char *path, unsigned char **buf, size_t *len, struct diag *d)
{
	char why[512];
	int ret = trusted_read(path, 0, VOSFP_CONFIG_MAX_BYTES, (char **)buf, len, why, sizeof(why));

	if (ret)
		diag_add(d, path, 0, "cannot read the config: %s%s", why,
			 ret == -EFBIG ? " (long address lists belong in list files: blocklist.files)" : "");
	return ret;
}

static int has_duplicate_string(char **v, unsigned i)
{
	for (unsigned j = 0; j < i; j++)
		if (!strcmp(v[j], v[i]))
			return 1;
	return 0;
}

/* As the kernel's dev_valid_name(): no '/', ':' or whitespace, not "." or "..". */
int config_valid_ifname(const char *name)
{
	if (!name[0] || strlen(name) > 15 || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c == '/' || *c == ':' || isspace(*c))
			return 0;
	return 1;
}

static void check_range(const struct yamldoc *y, struct diag *d, const char *key, uint32_t v,
			uint32_t min, uint32_t max)
{
	if (yamldoc_has(y, key) && (v < min || v > max))
		diag_add(d, y->file, yamldoc_line(y, key), "%s: expected %u to %u, found %u", key, min,
			 max, v);
}

static bool enabled(const bool *flag)
{
	return !flag || *flag;
}

/* answers, and auto_block.repeat (which serves every auto-block, the answer rule's too). */
static void validate_answers(const struct vosfp_config_doc *c, const struct yamldoc *y, struct diag *d)
{
	const struct vosfp_answers_cfg *a = c->answers;
	const struct vosfp_repeat_cfg *r = c->auto_block ? c->auto_block->repeat : NULL;

	if (a) {
		check_range(y, d, "answers.window_seconds", a->window_seconds, 1, VOSFP_ANSWERS_WINDOW_MAX);
		check_range(y, d, "answers.auth_failures", a->auth_failures, 0, VOSFP_ANSWERS_COUNT_MAX);
		check_range(y, d, "answers.not_found", a->not_found, 0, VOSFP_ANSWERS_COUNT_MAX);
		check_range(y, d, "answers.challenge_seconds", a->challenge_seconds, 1, VOSFP_CHALLENGE_MAX);
		if (yamldoc_has(y, "answers.auth_failures") && yamldoc_has(y, "answers.not_found") &&
		    !a->auth_failures && !a->not_found)
			diag_add(d, y->file, yamldoc_line(y, "answers"),
				 "answers: auth_failures and not_found are both 0: nothing would ever be blocked (remove the section, or set answers.enabled: false)");
		/* The answer rule's only outcome is an auto-block. */
		if (enabled(a->enabled) && c->auto_block && !enabled(c->auto_block->enabled))
			diag_add(d, y->file, yamldoc_line(y, "auto_block.enabled"),
				 "auto_block.enabled: false turns off the blocks the answers section makes: set answers.enabled: false too, or remove auto_block.enabled");
	}
	if (r) {
		uint32_t duration = c->auto_block->duration_seconds ? c->auto_block->duration_seconds
								    : VOSFP_DEFAULT_AUTO_BLOCK_DURATION;

		check_range(y, d, "auto_block.repeat.within_seconds", r->within_seconds, 1,
			    VOSFP_AUTO_BLOCK_DURATION_MAX);
		check_range(y, d, "auto_block.repeat.factor", r->factor, 2, VOSFP_REPEAT_FACTOR_MAX);
		check_range(y, d, "auto_block.repeat.max_seconds", r->max_seconds, duration,
			    VOSFP_AUTO_BLOCK_DURATION_MAX);
	}
}

/* rate_limit, auto_block, scanners. */
static void validate_defence(const struct vosfp_config_doc *c, const struct yamldoc *y, struct diag *d)
{
	static const char *const methods[] = { "register", "invite", "options", "other" };
	const char *f = y->file;
	char path[96];

	if (c->rate_limit) {
		const struct vosfp_per_method_cfg *pm = c->rate_limit->per_method;
		const struct vosfp_rate_cfg *per[] = { pm ? pm->reg : NULL, pm ? pm->invite : NULL,
						       pm ? pm->options : NULL, pm ? pm->other : NULL };

		check_range(y, d, "rate_limit.rate", c->rate_limit->rate, 0, VOSFP_RATE_MAX);
		check_range(y, d, "rate_limit.burst", c->rate_limit->burst, 1, VOSFP_BURST_MAX);
		for (int m = 0; m < 4; m++) {
			if (!per[m])
				continue;
			snprintf(path, sizeof(path), "rate_limit.per_method.%s.rate", methods[m]);
			check_range(y, d, path, per[m]->rate, 0, VOSFP_RATE_MAX);
			snprintf(path, sizeof(path), "rate_limit.per_method.%s.burst", methods[m]);
			check_range(y, d, path, per[m]->burst, 1, VOSFP_BURST_MAX);
		}
	}
	if (c->auto_block) {
		check_range(y, d, "auto_block.after_seconds", c->auto_block->after_seconds, 0,
			    VOSFP_AUTO_BLOCK_AFTER_MAX);
		check_range(y, d, "auto_block.duration_seconds", c->auto_block->duration_seconds, 1,
			    VOSFP_AUTO_BLOCK_DURATION_MAX);
		/* Auto-blocks are made by the rate limit, the scanner check and the answer rule:
		 * without one of them the setting would do nothing. */
		if (enabled(c->auto_block->enabled) && !(c->rate_limit && enabled(c->rate_limit->enabled)) &&
		    !(c->answers && enabled(c->answers->enabled)) && !(c->scanners && enabled(c->scanners->enabled)))
			diag_add(d, f, yamldoc_line(y, "auto_block"),
				 "auto_block: needs rate_limit, scanners or answers (a source is auto-blocked for staying over its rate limit, for a scanner's User-Agent, or for the answers the SIP server gives it): add one of those sections or set auto_block.enabled: false");
		/* The agent writes PATH.tmp and renames it over PATH: a directory cannot be that. */
		if (c->auto_block->persist_file) {
			const char *pf = c->auto_block->persist_file;

			if (pf[strlen(pf) - 1] == '/')
				diag_add(d, f, yamldoc_line(y, "auto_block.persist_file"),
					 "auto_block.persist_file: expected a file, found the directory '%s'", pf);
		}
	}
	validate_answers(c, y, d);
	for (unsigned i = 0; c->scanners && i < c->scanners->user_agents_count; i++) {
		const char *ua = c->scanners->user_agents[i];
		struct vosfp_scanner_key k, prev;

		snprintf(path, sizeof(path), "scanners.user_agents[%u]", i);
		if (strlen(ua) > VOSFP_USER_AGENT_MAX_LEN || scanner_key(ua, &k)) {
			diag_add(d, f, yamldoc_line(y, path),
				 "%s: '%s' must start with a letter or digit and be at most %d bytes", path,
				 ua, VOSFP_USER_AGENT_MAX_LEN);
			continue;
		}
		for (unsigned j = 0; j < i; j++)
			if (!scanner_key(c->scanners->user_agents[j], &prev) && !memcmp(&prev, &k, sizeof(k))) {
				diag_add(d, f, yamldoc_line(y, path),
					 "%s: '%s' matches the same User-Agents as '%s' (tokens match on their first word, case-insensitively)",
					 path, ua, c->scanners->user_agents[j]);
				break;
			}
	}
}

/* A word of the LAPI's vocabulary (a decision type, an origin): letters, digits, '-', '_', '.'. */
static int lapi_word(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* The URL's shape only; whether it answers is for the feed (and --dry-run) to find out. */
static const char *lapi_url_problem(const char *url)
{
	const char *host = !strncmp(url, "http://", 7) ? url + 7 : !strncmp(url, "https://", 8) ? url + 8 : NULL;

	if (!host)
		return "expected http:// or https:// followed by the LAPI's host and port, e.g. http://127.0.0.1:8080";
	if (!*host || *host == '/' || *host == ':')
		return "expected a host after the scheme, e.g. http://127.0.0.1:8080";
	for (const char *c = url; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '?' || *c == '#' || *c == '@' || *c == 0x7F)
			return "no spaces, query, fragment or user@ in the URL (the key goes in api_key_file)";
	return NULL;
}

static void check_words(const struct yamldoc *y, struct diag *d, const char *key, char **v, unsigned n,
			size_t max)
{
	char path[96];

	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%u]", key, i);
		if (!lapi_word(v[i], max))
			diag_add(d, y->file, yamldoc_line(y, path),
				 "%s: '%s': expected a word of letters, digits, '-', '_' or '.' (at most %zu bytes)", path,
				 v[i], max);
		else if (has_duplicate_string(v, i))
			diag_add(d, y->file, yamldoc_line(y, path), "%s: '%s' is listed twice", path, v[i]);
	}
}

static void validate_crowdsec(const struct vosfp_crowdsec_cfg *c, const struct yamldoc *y, struct diag *d)
{
	const char *problem = lapi_url_problem(c->lapi_url);

	if (problem)
		diag_add(d, y->file, yamldoc_line(y, "crowdsec.lapi_url"), "crowdsec.lapi_url: '%s': %s", c->lapi_url,
			 problem);
	else if (c->ca_file && strncmp(c->lapi_url, "https://", 8))
		diag_add(d, y->file, yamldoc_line(y, "crowdsec.ca_file"),
			 "crowdsec.ca_file: a CA is for an https:// lapi_url, found '%s'", c->lapi_url);
	check_range(y, d, "crowdsec.poll_interval_seconds", c->poll_interval_seconds, 1, VOSFP_CROWDSEC_POLL_MAX);
	check_range(y, d, "crowdsec.max_response_mb", c->max_response_mb, 1, VOSFP_CROWDSEC_RESPONSE_MB_MAX);
	for (unsigned i = 0; i < c->scopes_count; i++)
		for (unsigned j = 0; j < i; j++)
			if (c->scopes[i] == c->scopes[j]) {
				char path[64];

				snprintf(path, sizeof(path), "crowdsec.scopes[%u]", i);
				diag_add(d, y->file, yamldoc_line(y, path), "%s: '%s' is listed twice", path,
					 scope_names[c->scopes[i]].str);
			}
	check_words(y, d, "crowdsec.types", c->types, c->types_count, 32);
	check_words(y, d, "crowdsec.origins", c->origins, c->origins_count, 64);
}

/* One xdp_attach section (at key, e.g. "xdp_attach" or "interfaces[0].xdp_attach"). */
static void validate_attach(const struct vosfp_attach_cfg *a, const char *key, const struct yamldoc *y,
			    struct diag *d)
{
	char path[128];

	for (unsigned i = 0; a && i < a->chain_call_actions_count; i++) {
		enum vosfp_xdp_action act = a->chain_call_actions[i];

		snprintf(path, sizeof(path), "%s.chain_call_actions[%u]", key, i);
		for (unsigned k = 0; k < i; k++)
			if (a->chain_call_actions[k] == act)
				diag_add(d, y->file, yamldoc_line(y, path), "%s: '%s' is listed twice", path,
					 action_names[act].str);
		if (act != VOSFP_XDP_PASS)
			diag_warn(d, y->file, yamldoc_line(y, path),
				  "%s: '%s': the next program of the dispatcher runs after vosfp's %s verdict and may overrule it (vosfp's verdict is then not final)",
				  path, action_names[act].str, action_names[act].str);
	}
}

/* An interface attached through the dispatcher cannot be offloaded: libxdp runs a dispatcher in
 * native or generic mode only. */
static void validate_iface_attach(const struct vosfp_config_doc *c, unsigned i, const struct yamldoc *y,
				  struct diag *d)
{
	const struct vosfp_iface_cfg *it = &c->interfaces[i];
	const struct vosfp_attach_cfg *a = it->xdp_attach && it->xdp_attach->method ? it->xdp_attach : c->xdp_attach;
	char path[96];

	snprintf(path, sizeof(path), "interfaces[%u].xdp_attach", i);
	validate_attach(it->xdp_attach, path, y, d);
	if (!a || !a->method || *a->method != VOSFP_ATTACH_DISPATCHER)
		return;
	for (unsigned m = 0; m < it->xdp_mode_count; m++)
		if (it->xdp_mode[m] == VOSFP_MODE_OFFLOAD) {
			snprintf(path, sizeof(path), "interfaces[%u].xdp_mode[%u]", i, m);
			diag_add(d, y->file, yamldoc_line(y, path),
				 "%s: 'offload' cannot go with xdp_attach.method 'dispatcher' (libxdp's dispatcher runs in native or generic mode): use native or generic, or method 'link'",
				 path);
		}
}

/* The checks of meaning: everything libcyaml's types cannot say. */
static void validate(const struct vosfp_config_doc *c, const struct yamldoc *y, struct diag *d)
{
	const char *f = y->file;
	char path[96];

	if (c->version != 1)
		diag_add(d, f, yamldoc_line(y, "version"), "version: unsupported version %u: expected 1",
			 c->version);
	if (c->pin_path && c->pin_path[0] != '/')
		diag_add(d, f, yamldoc_line(y, "pin_path"),
			 "pin_path: expected an absolute path under a bpf filesystem (e.g. /sys/fs/bpf/vosfp), found '%s'",
			 c->pin_path);

	for (unsigned i = 0; i < c->interfaces_count; i++) {
		const struct vosfp_iface_cfg *it = &c->interfaces[i];

		snprintf(path, sizeof(path), "interfaces[%u].name", i);
		if (!config_valid_ifname(it->name))
			diag_add(d, f, yamldoc_line(y, path),
				 "%s: '%s' is not a valid interface name (at most 15 bytes, no '/', ':' or spaces)",
				 path, it->name);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(c->interfaces[j].name, it->name)) {
				char first[96];

				snprintf(first, sizeof(first), "interfaces[%u].name", j);
				diag_add(d, f, yamldoc_line(y, path),
					 "%s: interface '%s' is declared twice (first at line %d)", path,
					 it->name, yamldoc_line(y, first));
				break;
			}
		for (unsigned m = 0; m < it->xdp_mode_count; m++)
			for (unsigned k = 0; k < m; k++)
				if (it->xdp_mode[k] == it->xdp_mode[m]) {
					snprintf(path, sizeof(path), "interfaces[%u].xdp_mode[%u]", i, m);
					diag_add(d, f, yamldoc_line(y, path), "%s: mode '%s' is listed twice", path,
						 mode_names[it->xdp_mode[m]].str);
				}
		validate_iface_attach(c, i, y, d);
	}
	validate_attach(c->xdp_attach, "xdp_attach", y, d);

	for (unsigned i = 0; i < c->interface_files_count; i++) {
		snprintf(path, sizeof(path), "interface_files[%u]", i);
		if (has_duplicate_string(c->interface_files, i))
			diag_add(d, f, yamldoc_line(y, path), "%s: file '%s' is listed twice", path,
				 c->interface_files[i]);
	}

	if (c->sip) {
		static const struct { const char *key; size_t off, count_off; } port_lists[] = {
			{ "sip.udp_ports", offsetof(struct vosfp_sip_cfg, udp_ports), offsetof(struct vosfp_sip_cfg, udp_ports_count) },
			{ "sip.tcp_ports", offsetof(struct vosfp_sip_cfg, tcp_ports), offsetof(struct vosfp_sip_cfg, tcp_ports_count) },
		};

		for (size_t l = 0; l < 2; l++) {
			const uint16_t *ports = *(uint16_t *const *)((const char *)c->sip + port_lists[l].off);
			unsigned n = *(const unsigned *)((const char *)c->sip + port_lists[l].count_off);

			for (unsigned i = 0; i < n; i++) {
				snprintf(path, sizeof(path), "%s[%u]", port_lists[l].key, i);
				if (ports[i] == 0)
					diag_add(d, f, yamldoc_line(y, path), "%s: expected a port from 1 to 65535, found 0", path);
				for (unsigned j = 0; j < i; j++)
					if (ports[j] == ports[i])
						diag_add(d, f, yamldoc_line(y, path), "%s: port %u is listed twice", path, ports[i]);
			}
		}
	}

	if (c->limits) {
		if (yamldoc_has(y, "limits.blocklist_max") && c->limits->blocklist_max == 0)
			diag_add(d, f, yamldoc_line(y, "limits.blocklist_max"),
				 "limits.blocklist_max: expected at least 1");
		if (yamldoc_has(y, "limits.allowlist_max") && c->limits->allowlist_max == 0)
			diag_add(d, f, yamldoc_line(y, "limits.allowlist_max"),
				 "limits.allowlist_max: expected at least 1");
		check_range(y, d, "limits.rate_sources_max", c->limits->rate_sources_max, VOSFP_DEFENCE_MAP_MIN,
			    VOSFP_DEFENCE_MAP_MAX);
		check_range(y, d, "limits.auto_block_max", c->limits->auto_block_max, VOSFP_DEFENCE_MAP_MIN,
			    VOSFP_DEFENCE_MAP_MAX);
	}

	if (c->metrics) {
		struct endpoint ep;
		char err[256];

		if (endpoint_parse(c->metrics->listen, &ep, err, sizeof(err)))
			diag_add(d, f, yamldoc_line(y, "metrics.listen"), "metrics.listen: %s", err);
	}

	validate_defence(c, y, d);
	if (c->crowdsec)
		validate_crowdsec(c->crowdsec, y, d);

	for (int b = 0; b < 2; b++) {
		const struct vosfp_list_cfg *l = b ? c->blocklist : c->allowlist;
		const char *name = b ? "blocklist" : "allowlist";

		if (!l)
			continue;
		for (unsigned i = 0; i < l->addresses_count; i++) {
			struct vosfp_prefix p;
			char err[256];

			snprintf(path, sizeof(path), "%s.addresses[%u]", name, i);
			if (vosfp_prefix_parse(l->addresses[i], &p, err, sizeof(err))) {
				diag_add(d, f, yamldoc_line(y, path), "%s: %s", path, err);
				continue;
			}
			if (vosfp_prefix_was_mapped(l->addresses[i], &p))
				diag_warn(d, f, yamldoc_line(y, path), "%s: " VOSFP_MAPPED_NOTE, path, l->addresses[i],
					  vosfp_prefix_str(&p, err, sizeof(err)));
			if (b && p.len == 0)
				diag_warn(d, f, yamldoc_line(y, path), "%s: " VOSFP_WHOLE_FAMILY_NOTE, path, l->addresses[i],
					  p.family == 4 ? "IPv4" : "IPv6");
		}
		for (unsigned i = 0; i < l->files_count; i++) {
			snprintf(path, sizeof(path), "%s.files[%u]", name, i);
			if (has_duplicate_string(l->files, i))
				diag_add(d, f, yamldoc_line(y, path), "%s: file '%s' is listed twice", path, l->files[i]);
		}
	}
}

/* Absent and zero differ for these: record which were written. */
static void note_given(struct vosfp_config_doc *doc, const struct yamldoc *y)
{
	if (doc->rate_limit) {
		struct vosfp_per_method_cfg *pm = doc->rate_limit->per_method;
		struct vosfp_rate_cfg *per[] = { pm ? pm->reg : NULL, pm ? pm->invite : NULL,
						 pm ? pm->options : NULL, pm ? pm->other : NULL };
		static const char *const keys[] = {
			"rate_limit.per_method.register.burst", "rate_limit.per_method.invite.burst",
			"rate_limit.per_method.options.burst", "rate_limit.per_method.other.burst",
		};

		doc->rate_limit->rate_given = yamldoc_has(y, "rate_limit.rate");
		doc->rate_limit->burst_given = yamldoc_has(y, "rate_limit.burst");
		for (int m = 0; m < 4; m++)
			if (per[m])
				per[m]->burst_given = yamldoc_has(y, keys[m]);
	}
	if (doc->auto_block) {
		doc->auto_block->after_given = yamldoc_has(y, "auto_block.after_seconds");
		doc->auto_block->duration_given = yamldoc_has(y, "auto_block.duration_seconds");
	}
	if (doc->auto_block && doc->auto_block->repeat) {
		doc->auto_block->repeat->within_given = yamldoc_has(y, "auto_block.repeat.within_seconds");
		doc->auto_block->repeat->factor_given = yamldoc_has(y, "auto_block.repeat.factor");
		doc->auto_block->repeat->max_given = yamldoc_has(y, "auto_block.repeat.max_seconds");
	}
	if (doc->answers) {
		doc->answers->window_given = yamldoc_has(y, "answers.window_seconds");
		doc->answers->auth_given = yamldoc_has(y, "answers.auth_failures");
		doc->answers->not_found_given = yamldoc_has(y, "answers.not_found");
		doc->answers->challenge_given = yamldoc_has(y, "answers.challenge_seconds");
	}
	if (doc->scanners)
		doc->scanners->user_agents_given = yamldoc_has(y, "scanners.user_agents");
	if (doc->xdp_attach)
		doc->xdp_attach->chain_given = yamldoc_has(y, "xdp_attach.chain_call_actions");
	for (unsigned i = 0; i < doc->interfaces_count; i++) {
		char key[96];

		snprintf(key, sizeof(key), "interfaces[%u].xdp_attach.chain_call_actions", i);
		if (doc->interfaces[i].xdp_attach)
			doc->interfaces[i].xdp_attach->chain_given = yamldoc_has(y, key);
	}
	if (doc->crowdsec) {
		doc->crowdsec->poll_given = yamldoc_has(y, "crowdsec.poll_interval_seconds");
		doc->crowdsec->scopes_given = yamldoc_has(y, "crowdsec.scopes");
		doc->crowdsec->types_given = yamldoc_has(y, "crowdsec.types");
		doc->crowdsec->max_response_given = yamldoc_has(y, "crowdsec.max_response_mb");
	}
}

int config_load(const char *path, struct config_file *cf, struct diag *d)
{
	struct cyaml_capture capture = { 0 };
	struct vosfp_config_doc *doc = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	size_t before = d->count;
	cyaml_err_t err;

	memset(cf, 0, sizeof(*cf));
	if (strlen(path) >= sizeof(cf->path)) {
		diag_add(d, "config", 0, "'%.40s...': a path of %zu bytes, more than a path can be (%zu)", path,
			 strlen(path), sizeof(cf->path) - 1);
		return -ENAMETOOLONG;
	}
	snprintf(cf->path, sizeof(cf->path), "%s", path);
	if (read_file(path, &buf, &len, d))
		return -EINVAL;
	if (yamldoc_parse(&cf->y, cf->path, buf, len, d) == 0)
		yamldoc_check(&cf->y, &vosfp_config_schema, d);
	if (d->count == before) {
		err = cyaml_load_data(buf, len, cyaml_settings(&capture), &vosfp_config_schema,
				      (cyaml_data_t **)&doc, NULL);
		if (err != CYAML_OK)
			diag_add(d, path, capture.line, "%s", capture.msg[0] ? capture.msg : cyaml_strerror(err));
		else
			validate(doc, &cf->y, d);
		if (doc && doc->sip) {
			doc->sip->udp_ports_given = yamldoc_has(&cf->y, "sip.udp_ports");
			doc->sip->tcp_ports_given = yamldoc_has(&cf->y, "sip.tcp_ports");
		}
		if (doc)
			note_given(doc, &cf->y);
	}
	free(buf);
	if (d->count != before) {
		free_doc(doc);
		yamldoc_free(&cf->y);
		return -EINVAL;
	}
	cf->doc = doc;
	return 0;
}
