/* desired.c - config + list files -> one validated desired state. Defaults live here, once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desired.h"
#include "iface_file.h"
#include "lists.h"

const char *xdp_mode_name(enum vosfp_xdp_mode m)
{
	static const char *const names[] = { "native", "generic", "offload" };

	return m <= VOSFP_MODE_OFFLOAD ? names[m] : "?";
}

const char *attach_method_name(enum vosfp_attach_method m)
{
	return m == VOSFP_ATTACH_DISPATCHER ? "dispatcher" : "link";
}

/* xdp_attach into an interface: each field from the interface's section when it has it, else from
 * the top-level one, else the default. */
static void resolve_attach(struct desired_iface *di, const struct vosfp_attach_cfg *own,
			   const struct vosfp_attach_cfg *top)
{
	const struct vosfp_attach_cfg *from[] = { own, top };

	di->method = VOSFP_ATTACH_LINK;
	di->run_priority = VOSFP_DEFAULT_RUN_PRIORITY;
	di->chain_call_actions = VOSFP_DEFAULT_CHAIN_CALL;
	for (int k = 1; k >= 0; k--) {
		const struct vosfp_attach_cfg *a = from[k];

		if (!a)
			continue;
		if (a->method)
			di->method = *a->method;
		if (a->run_priority)
			di->run_priority = *a->run_priority;
		if (a->chain_given) {
			di->chain_call_actions = 0;
			for (unsigned i = 0; i < a->chain_call_actions_count; i++)
				di->chain_call_actions |= 1u << a->chain_call_actions[i];
		}
	}
}

/* Interfaces of interface files take the top-level xdp_attach; their modes are checked here. */
static void check_file_ifaces(const struct desired *s, unsigned yaml_count, struct diag *d)
{
	for (unsigned i = yaml_count; i < s->iface_count; i++) {
		const struct desired_iface *di = &s->ifaces[i];

		for (unsigned m = 0; di->method == VOSFP_ATTACH_DISPATCHER && m < di->mode_count; m++)
			if (di->modes[m] == VOSFP_MODE_OFFLOAD)
				diag_add(d, di->file, di->line,
					 "%s: 'offload' cannot go with xdp_attach.method 'dispatcher' (libxdp's dispatcher runs in native or generic mode): use native or generic, or method 'link'",
					 di->name);
	}
}

int xdp_mode_parse(const char *name, enum vosfp_xdp_mode *m)
{
	for (enum vosfp_xdp_mode i = VOSFP_MODE_NATIVE; i <= VOSFP_MODE_OFFLOAD; i++)
		if (!strcmp(name, xdp_mode_name(i))) {
			*m = i;
			return 0;
		}
	return -1;
}

void xdp_modes_default(struct desired_iface *di)
{
	di->modes[0] = VOSFP_MODE_NATIVE;
	di->modes[1] = VOSFP_MODE_GENERIC;
	di->mode_count = 2;
}

/* The object: the config's, else the installed one, else the one built beside this binary. */
static void resolve_object(const struct vosfp_config_doc *c, char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (c->bpf_object) {
		snprintf(out, len, "%s", c->bpf_object);
		return;
	}
	if (access(VOSFP_INSTALLED_OBJECT, R_OK) == 0) {
		snprintf(out, len, "%s", VOSFP_INSTALLED_OBJECT);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		/* A cut path would name another file: then the installed path, whose absence is reported. */
		if ((size_t)snprintf(out, len, "%s/sip_logic.bpf.o", exe) < len)
			return;
	}
	snprintf(out, len, "%s", VOSFP_INSTALLED_OBJECT);
}

static void set_port(__u8 *bitmap, unsigned port)
{
	bitmap[port / 8] |= (__u8)(1u << (port % 8));
}

static bool on(const bool *flag)
{
	return !flag || *flag;
}

static struct vosfp_rate rate_of(uint32_t rate, uint32_t burst, bool burst_given)
{
	return (struct vosfp_rate){ .rate = rate, .burst = burst_given ? burst : rate ? rate : 1 };
}

static uint32_t given_or(bool given, uint32_t v, uint32_t def)
{
	return given ? v : def;
}

/* answers and auto_block.repeat into the runtime config: the rule's limits, the duration of
 * every auto-block and the repeat offenders' growth. */
static void build_answers(const struct vosfp_config_doc *c, struct vosfp_config *rt)
{
	const struct vosfp_answers_cfg *a = c->answers;
	const struct vosfp_auto_block_cfg *ab = c->auto_block;
	const struct vosfp_repeat_cfg *r = ab ? ab->repeat : NULL;
	uint32_t duration = ab ? given_or(ab->duration_given, ab->duration_seconds,
					  VOSFP_DEFAULT_AUTO_BLOCK_DURATION) : VOSFP_DEFAULT_AUTO_BLOCK_DURATION;

	if (a && on(a->enabled)) {
		rt->flags |= VOSFP_F_ANSWERS;
		rt->answers_window_ms = given_or(a->window_given, a->window_seconds, VOSFP_DEFAULT_ANSWERS_WINDOW) * 1000u;
		rt->answers_challenge_ms = given_or(a->challenge_given, a->challenge_seconds,
						    VOSFP_DEFAULT_CHALLENGE) * 1000u;
		rt->auth_failures_max = given_or(a->auth_given, a->auth_failures, VOSFP_DEFAULT_AUTH_FAILURES);
		rt->not_found_max = given_or(a->not_found_given, a->not_found, VOSFP_DEFAULT_NOT_FOUND);
		rt->auto_block_ms = duration * 1000u;
	}
	if (r && (rt->flags & (VOSFP_F_AUTO_BLOCK | VOSFP_F_ANSWERS))) {
		uint32_t max = given_or(r->max_given, r->max_seconds, VOSFP_DEFAULT_REPEAT_MAX);

		/* ms in a __u32: config.c's bounds (VOSFP_AUTO_BLOCK_DURATION_MAX) keep them below 2^32. */
		rt->repeat_within_ms = given_or(r->within_given, r->within_seconds, VOSFP_DEFAULT_REPEAT_WITHIN) * 1000u;
		rt->repeat_factor = given_or(r->factor_given, r->factor, VOSFP_DEFAULT_REPEAT_FACTOR);
		rt->repeat_max_ms = (max > duration ? max : duration) * 1000u;
	}
}

/* rate_limit, auto_block and scanners into the runtime config (the token set is separate). */
static void build_defence(const struct vosfp_config_doc *c, struct vosfp_config *rt)
{
	const struct vosfp_rate_limit_cfg *rl = c->rate_limit;
	const struct vosfp_auto_block_cfg *ab = c->auto_block;

	if (rl && on(rl->enabled)) {
		const struct vosfp_per_method_cfg *pm = rl->per_method;
		const struct vosfp_rate_cfg *per[VOSFP_METHODS] = {
			[VOSFP_M_REGISTER] = pm ? pm->reg : NULL, [VOSFP_M_INVITE] = pm ? pm->invite : NULL,
			[VOSFP_M_OPTIONS] = pm ? pm->options : NULL, [VOSFP_M_OTHER] = pm ? pm->other : NULL,
		};
		uint32_t rate = rl->rate_given ? rl->rate : VOSFP_DEFAULT_RATE;

		rt->flags |= VOSFP_F_RATE_LIMIT;
		for (int m = 0; m < VOSFP_METHODS; m++)
			rt->rate[m] = per[m] ? rate_of(per[m]->rate, per[m]->burst, per[m]->burst_given)
					     : rate_of(rate, rl->burst, rl->burst_given);
	}
	if (c->scanners && on(c->scanners->enabled))
		rt->flags |= VOSFP_F_SCANNERS;
	/* The XDP program's own blocks: a source over its rate limit, or a scanner. */
	if (ab && on(ab->enabled) && (rt->flags & (VOSFP_F_RATE_LIMIT | VOSFP_F_SCANNERS))) {
		rt->flags |= VOSFP_F_AUTO_BLOCK;
		rt->auto_block_after_ms = (ab->after_given ? ab->after_seconds
							   : VOSFP_DEFAULT_AUTO_BLOCK_AFTER) * 1000u;
		rt->auto_block_ms = (ab->duration_given ? ab->duration_seconds
							: VOSFP_DEFAULT_AUTO_BLOCK_DURATION) * 1000u;
	}
}

static int cmp_scanner_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vosfp_scanner_key));
}

/* The token set, sorted (plan.c diffs two sorted sets). Empty while the feature is off: the
 * map then holds nothing the datapath could match. */
static int build_scanners(const struct vosfp_scanners_cfg *sc, struct desired *s)
{
	const char *const *tokens = sc && sc->user_agents_given ? (const char *const *)sc->user_agents
								 : scanner_default_tokens;
	unsigned n = sc && sc->user_agents_given ? sc->user_agents_count : scanner_default_count;

	if (sc && on(sc->enabled) && n) {
		s->scanners = calloc(n, sizeof(*s->scanners));
		if (!s->scanners)
			return -ENOMEM;
		for (unsigned i = 0; i < n; i++)
			if (scanner_key(tokens[i], &s->scanners[s->scanner_count]) == 0)
				s->scanner_count++;
		qsort(s->scanners, s->scanner_count, sizeof(*s->scanners), cmp_scanner_key);
	}
	scanner_free_build(s->scanners, s->scanner_count, NULL, 0, &s->scanner_free);
	return 0;
}

static void build_runtime(const struct vosfp_sip_cfg *sip, struct vosfp_config *rt)
{
	memset(rt, 0, sizeof(*rt));
	/* the agent keeps the summaries */
	rt->flags = VOSFP_F_PORTS | VOSFP_F_V4_SUMMARY | VOSFP_F_V6_SUMMARY_BLOCK | VOSFP_F_V6_SUMMARY_ALLOW |
		    VOSFP_F_V6_PREFIX_INDEX | VOSFP_F_V4_PART_SUMMARY;
	if (sip && sip->udp_ports_given) {
		for (unsigned i = 0; i < sip->udp_ports_count; i++)
			set_port(rt->udp_ports, sip->udp_ports[i]);
	} else {
		set_port(rt->udp_ports, VOSFP_DEFAULT_SIP_PORT);
	}
	for (unsigned i = 0; sip && i < sip->tcp_ports_count; i++)
		set_port(rt->tcp_ports, sip->tcp_ports[i]);
	if (sip && sip->stealth_options && !*sip->stealth_options)
		rt->flags |= VOSFP_F_NO_STEALTH;
	if (sip && sip->drop_malformed && !*sip->drop_malformed)
		rt->flags |= VOSFP_F_NO_MALFORMED;
}

/* Remember a file for the watcher, stamped before it is read: a change from then on shows. */
static int remember_file(struct desired *s, const char *path)
{
	char **v = realloc(s->list_files, (s->list_file_count + 1) * sizeof(*v));
	struct file_stamp *st;

	if (!v)
		return -ENOMEM;
	s->list_files = v;
	st = realloc(s->list_stamps, (s->list_file_count + 1) * sizeof(*st));
	if (!st)
		return -ENOMEM;
	s->list_stamps = st;
	v[s->list_file_count] = strdup(path);
	if (!v[s->list_file_count])
		return -ENOMEM;
	file_stamp_take(path, &st[s->list_file_count]);
	s->list_file_count++;
	return 0;
}

/* A file the config names: relative to the config's directory unless absolute, so a config and
 * its lists can move together (and tests can use relative names). A result that does not fit is
 * an error at the config's line, never a shortened path: that would name another file. */
static const char *resolve_path(const struct desired *s, const struct config_file *cf, const char *key,
				const char *name, char *buf, size_t len, struct diag *d)
{
	const char *slash = strrchr(s->config_path, '/');
	int n;

	if (name[0] == '/' || !slash)
		n = snprintf(buf, len, "%s", name);
	else
		n = snprintf(buf, len, "%.*s/%s", (int)(slash - s->config_path), s->config_path, name);
	if (n < 0 || (size_t)n >= len) {
		diag_add(d, cf->path, config_line(cf, key),
			 "%s: '%.40s...%s' is %d bytes long once joined to the config's directory, more than a path can be (%zu): use a shorter or an absolute path",
			 key, name, name + strlen(name) - (strlen(name) > 20 ? 20 : strlen(name)), n, len - 1);
		return NULL;
	}
	return buf;
}

/* Inline addresses (already validated with the config) and list files, within the list's limit:
 * a file that goes past it is refused as soon as that is known (and no further file is read);
 * *over says so, and the limit's message is then given. */
static void build_list(struct desired *s, const struct config_file *cf, const char *list, uint32_t max,
		       const struct vosfp_list_cfg *l, struct prefix_set *set, struct diag *d, int *over)
{
	struct vosfp_prefix p;
	char buf[PATH_MAX], key[64], limit_key[64];
	struct list_bound bound = { .max = max, .list = list };

	*over = 0;
	if (!l)
		return;
	snprintf(limit_key, sizeof(limit_key), "limits.%s_max", list);
	bound.limit = (struct diag_ref){ cf->path, config_line(cf, limit_key), limit_key };
	for (unsigned i = 0; i < l->addresses_count; i++)
		if (vosfp_prefix_parse(l->addresses[i], &p, NULL, 0) == 0 && prefix_set_add(set, &p))
			diag_add(d, s->config_path, 0, "out of memory");
	for (unsigned i = 0; !*over && i < l->files_count + l->optional_files_count; i++) {
		int optional = i >= l->files_count;
		const char *name = optional ? l->optional_files[i - l->files_count] : l->files[i];
		const char *path;

		snprintf(key, sizeof(key), "%s.%s[%u]", list, optional ? "optional_files" : "files",
			 optional ? i - l->files_count : i);
		path = resolve_path(s, cf, key, name, buf, sizeof(buf), d);
		if (!path)
			continue;
		if (remember_file(s, path))
			diag_add(d, s->config_path, 0, "out of memory");
		*over = list_file_read(path, optional, set, d, &(struct diag_ref){ cf->path, config_line(cf, key), key },
				       &bound) == -E2BIG;
	}
	prefix_set_finish(set);
}

/* The crowdsec section: VOSFP_F_DECISIONS on, its files watched (a rotated key is read again). */
static void build_crowdsec(const struct config_file *cf, struct desired *s, struct diag *d)
{
	const struct vosfp_crowdsec_cfg *c = cf->doc->crowdsec;
	struct desired_crowdsec *cs = &s->crowdsec;

	if (!c)
		return;
	cs->enabled = 1;
	s->runtime.flags |= VOSFP_F_DECISIONS;
	snprintf(cs->lapi_url, sizeof(cs->lapi_url), "%s", c->lapi_url);
	resolve_path(s, cf, "crowdsec.api_key_file", c->api_key_file, cs->api_key_file,
		     sizeof(cs->api_key_file), d);
	if (c->ca_file)
		resolve_path(s, cf, "crowdsec.ca_file", c->ca_file, cs->ca_file, sizeof(cs->ca_file), d);
	if (c->publish)
		resolve_path(s, cf, "crowdsec.publish.credentials_file", c->publish->credentials_file,
			     cs->credentials_file, sizeof(cs->credentials_file), d);
	cs->poll_interval_s = c->poll_given ? c->poll_interval_seconds : VOSFP_CROWDSEC_POLL_DEFAULT;
	cs->scopes = c->scopes_given ? 0 : 1u << VOSFP_SCOPE_IP | 1u << VOSFP_SCOPE_RANGE;
	for (unsigned i = 0; i < c->scopes_count; i++)
		cs->scopes |= 1u << c->scopes[i];
	if (!c->types_given)
		snprintf(cs->types[cs->type_count++], sizeof(cs->types[0]), "ban");
	for (unsigned i = 0; i < c->types_count && i < DESIRED_CROWDSEC_TYPES; i++)
		snprintf(cs->types[cs->type_count++], sizeof(cs->types[0]), "%s", c->types[i]);
	for (unsigned i = 0; i < c->origins_count && i < DESIRED_CROWDSEC_ORIGINS; i++)
		snprintf(cs->origins[cs->origin_count++], sizeof(cs->origins[0]), "%s", c->origins[i]);
	cs->max_response_bytes = (size_t)(c->max_response_given ? c->max_response_mb
								  : VOSFP_CROWDSEC_RESPONSE_MB_DEFAULT) << 20;
	if (remember_file(s, cs->api_key_file) || (cs->credentials_file[0] && remember_file(s, cs->credentials_file)))
		diag_add(d, s->config_path, 0, "out of memory");
}

static void check_limit(const struct config_file *cf, const char *list, const struct prefix_set *set,
			uint32_t max, struct diag *d)
{
	char key[64];

	if (set->n <= max)
		return;
	snprintf(key, sizeof(key), "limits.%s_max", list);
	diag_add(d, cf->path, config_line(cf, key),
		 "%s holds %zu entries, more than %s (%u): raise the limit or shorten the list", list,
		 set->n, key, max);
}

/* An invalid desired state keeps only the files it read, with their stamps: a daemon waiting for
 * a valid edit must see a fix made in a list file as well as in the config; and the pin path the
 * config names, whose pins that daemon keeps (daemon_claim.h). */
static void desired_keep_files(struct desired *s)
{
	struct desired files = { .list_files = s->list_files, .list_stamps = s->list_stamps,
				 .list_file_count = s->list_file_count, .config_stamp = s->config_stamp };

	memcpy(files.config_path, s->config_path, sizeof(files.config_path));
	memcpy(files.pin_path, s->pin_path, sizeof(files.pin_path));
	s->list_files = NULL;
	s->list_stamps = NULL;
	s->list_file_count = 0;
	desired_free(s);
	*s = files;
}

int desired_build(const char *path, struct desired *s, struct diag *d)
{
	struct config_file cf;
	const struct vosfp_config_doc *c;
	size_t before = d->count;
	int over;

	memset(s, 0, sizeof(*s));
	file_stamp_take(path, &s->config_stamp);
	if (config_load(path, &cf, d))
		return -EINVAL;
	c = cf.doc;
	snprintf(s->config_path, sizeof(s->config_path), "%s", path);
	snprintf(s->pin_path, sizeof(s->pin_path), "%s", c->pin_path ? c->pin_path : VOSFP_DEFAULT_PIN_PATH);
	s->pin_path_line = c->pin_path ? config_line(&cf, "pin_path") : 0;
	/* Whether the object loads is found out by loading it, before anything changes. */
	resolve_object(c, s->bpf_object, sizeof(s->bpf_object));

	s->ifaces = calloc(c->interfaces_count + 1, sizeof(*s->ifaces));
	for (unsigned i = 0; s->ifaces && i < c->interfaces_count; i++) {
		struct desired_iface *di = &s->ifaces[i];

		snprintf(di->name, sizeof(di->name), "%s", c->interfaces[i].name);
		di->mode_count = c->interfaces[i].xdp_mode_count;
		if (di->mode_count)
			memcpy(di->modes, c->interfaces[i].xdp_mode, di->mode_count * sizeof(di->modes[0]));
		else
			xdp_modes_default(di);
		resolve_attach(di, c->interfaces[i].xdp_attach, c->xdp_attach);
	}
	s->iface_count = c->interfaces_count;
	for (unsigned i = 0; s->ifaces && i < c->interface_files_count; i++) {
		char buf[PATH_MAX], key[64];
		const char *path;

		snprintf(key, sizeof(key), "interface_files[%u]", i);
		path = resolve_path(s, &cf, key, c->interface_files[i], buf, sizeof(buf), d);
		if (!path)
			continue;
		if (remember_file(s, path)) {
			diag_add(d, s->config_path, 0, "out of memory");
			break;
		}
		/* The remembered copy outlives this call: interfaces point at it for their origin. */
		iface_file_read(s->list_files[s->list_file_count - 1], s, c->interfaces_count, d,
				&(struct diag_ref){ cf.path, config_line(&cf, key), key });
	}
	for (unsigned i = c->interfaces_count; s->ifaces && i < s->iface_count; i++)
		resolve_attach(&s->ifaces[i], NULL, c->xdp_attach);
	if (s->ifaces)
		check_file_ifaces(s, c->interfaces_count, d);
	build_runtime(c->sip, &s->runtime);
	if (c->metrics)
		snprintf(s->metrics_listen, sizeof(s->metrics_listen), "%s", c->metrics->listen);
	build_defence(c, &s->runtime);
	build_answers(c, &s->runtime);
	s->egress = (s->runtime.flags & VOSFP_F_ANSWERS) != 0;
	build_crowdsec(&cf, s, d);
	if (c->auto_block && c->auto_block->persist_file &&
	    (s->runtime.flags & (VOSFP_F_AUTO_BLOCK | VOSFP_F_ANSWERS))) {
		resolve_path(s, &cf, "auto_block.persist_file", c->auto_block->persist_file,
			     s->autoblock_persist, sizeof(s->autoblock_persist), d);
	}
	if (build_scanners(c->scanners, s))
		diag_add(d, s->config_path, 0, "out of memory");

	s->blocklist_max = c->limits && c->limits->blocklist_max ? c->limits->blocklist_max
								 : VOSFP_DEFAULT_BLOCKLIST_MAX;
	s->allowlist_max = c->limits && c->limits->allowlist_max ? c->limits->allowlist_max
								 : VOSFP_DEFAULT_ALLOWLIST_MAX;
	s->rate_sources_max = c->limits && c->limits->rate_sources_max ? c->limits->rate_sources_max
								       : VOSFP_RATE_SOURCES_DEFAULT_MAX;
	s->auto_block_max = c->limits && c->limits->auto_block_max ? c->limits->auto_block_max
								   : VOSFP_AUTO_BLOCK_DEFAULT_MAX;
	build_list(s, &cf, "blocklist", s->blocklist_max, c->blocklist, &s->blocked, d, &over);
	if (!over)
		check_limit(&cf, "blocklist", &s->blocked, s->blocklist_max, d);
	build_list(s, &cf, "allowlist", s->allowlist_max, c->allowlist, &s->allowed, d, &over);
	if (!over)
		check_limit(&cf, "allowlist", &s->allowed, s->allowlist_max, d);
	config_free(&cf);

	if (d->count != before) {
		desired_keep_files(s);
		return -EINVAL;
	}
	return 0;
}

void desired_free(struct desired *s)
{
	free(s->ifaces);
	free(s->scanners);
	prefix_set_free(&s->blocked);
	prefix_set_free(&s->allowed);
	for (unsigned i = 0; i < s->list_file_count; i++)
		free(s->list_files[i]);
	free(s->list_files);
	free(s->list_stamps);
	memset(s, 0, sizeof(*s));
}
