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

int xdp_mode_parse(const char *name, enum vosfp_xdp_mode *m)
{
	for (enum vosfp_xdp_mode i = VOSFP_MODE_NATIVE; i <= VOSFP_MODE_OFFLOAD; i++)
		if (!strcmp(name, xdp_mode_name(i))) {
			*m = i;
			return 0;
		}
	return -1;
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
		snprintf(out, len, "%.*s/sip_logic.bpf.o", (int)(len - 20), exe);
	} else {
		snprintf(out, len, "%s", VOSFP_INSTALLED_OBJECT);
	}
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
		if (ab && on(ab->enabled)) {
			rt->flags |= VOSFP_F_AUTO_BLOCK;
			rt->auto_block_after_ms = (ab->after_given ? ab->after_seconds
								   : VOSFP_DEFAULT_AUTO_BLOCK_AFTER) * 1000u;
			rt->auto_block_ms = (ab->duration_given ? ab->duration_seconds
								: VOSFP_DEFAULT_AUTO_BLOCK_DURATION) * 1000u;
		}
	}
	if (c->scanners && on(c->scanners->enabled))
		rt->flags |= VOSFP_F_SCANNERS;
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

	if (!sc || !on(sc->enabled) || !n)
		return 0;
	s->scanners = calloc(n, sizeof(*s->scanners));
	if (!s->scanners)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		if (scanner_key(tokens[i], &s->scanners[s->scanner_count]) == 0)
			s->scanner_count++;
	qsort(s->scanners, s->scanner_count, sizeof(*s->scanners), cmp_scanner_key);
	return 0;
}

static void build_runtime(const struct vosfp_sip_cfg *sip, struct vosfp_config *rt)
{
	memset(rt, 0, sizeof(*rt));
	/* the agent keeps the summaries */
	rt->flags = VOSFP_F_PORTS | VOSFP_F_V4_SUMMARY | VOSFP_F_V6_SUMMARY_BLOCK | VOSFP_F_V6_SUMMARY_ALLOW |
		    VOSFP_F_V6_PREFIX_INDEX;
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

/* List files named relative to the config resolve against the config's directory, so a config
 * and its lists can move together (and tests can use relative names). */
static const char *resolve_list_path(const struct desired *s, const char *name, char *buf, size_t len)
{
	const char *slash = strrchr(s->config_path, '/');

	if (name[0] == '/' || !slash)
		return name;
	snprintf(buf, len, "%.*s/%s", (int)(slash - s->config_path), s->config_path, name);
	return buf;
}

/* Inline addresses (already validated with the config) and list files. */
static void build_list(struct desired *s, const struct vosfp_list_cfg *l, struct prefix_set *set,
		       struct diag *d)
{
	struct vosfp_prefix p;
	char buf[PATH_MAX];

	if (!l)
		return;
	for (unsigned i = 0; i < l->addresses_count; i++)
		if (vosfp_prefix_parse(l->addresses[i], &p, NULL, 0) == 0 && prefix_set_add(set, &p))
			diag_add(d, s->config_path, 0, "out of memory");
	for (unsigned i = 0; i < l->files_count + l->optional_files_count; i++) {
		int optional = i >= l->files_count;
		const char *name = optional ? l->optional_files[i - l->files_count] : l->files[i];
		const char *path = resolve_list_path(s, name, buf, sizeof(buf));

		if (remember_file(s, path))
			diag_add(d, s->config_path, 0, "out of memory");
		list_file_read(path, optional, set, d);
	}
	prefix_set_finish(set);
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

int desired_build(const char *path, struct desired *s, struct diag *d)
{
	struct config_file cf;
	const struct vosfp_config_doc *c;
	size_t before = d->count;

	memset(s, 0, sizeof(*s));
	file_stamp_take(path, &s->config_stamp);
	if (config_load(path, &cf, d))
		return -EINVAL;
	c = cf.doc;
	snprintf(s->config_path, sizeof(s->config_path), "%s", path);
	snprintf(s->pin_path, sizeof(s->pin_path), "%s", c->pin_path ? c->pin_path : VOSFP_DEFAULT_PIN_PATH);
	/* Whether the object loads is found out by loading it, before anything changes. */
	resolve_object(c, s->bpf_object, sizeof(s->bpf_object));

	s->ifaces = calloc(c->interfaces_count + 1, sizeof(*s->ifaces));
	for (unsigned i = 0; s->ifaces && i < c->interfaces_count; i++) {
		struct desired_iface *di = &s->ifaces[i];

		snprintf(di->name, sizeof(di->name), "%s", c->interfaces[i].name);
		di->mode_count = c->interfaces[i].xdp_mode_count;
		memcpy(di->modes, c->interfaces[i].xdp_mode, di->mode_count * sizeof(di->modes[0]));
	}
	s->iface_count = c->interfaces_count;
	for (unsigned i = 0; s->ifaces && i < c->interface_files_count; i++) {
		char buf[PATH_MAX];

		if (remember_file(s, resolve_list_path(s, c->interface_files[i], buf, sizeof(buf)))) {
			diag_add(d, s->config_path, 0, "out of memory");
			break;
		}
		/* The remembered copy outlives this call: interfaces point at it for their origin. */
		iface_file_read(s->list_files[s->list_file_count - 1], s, c->interfaces_count, d);
	}
	build_runtime(c->sip, &s->runtime);
	if (c->metrics)
		snprintf(s->metrics_listen, sizeof(s->metrics_listen), "%s", c->metrics->listen);
	build_defence(c, &s->runtime);
	if (c->auto_block && c->auto_block->persist_file && (s->runtime.flags & VOSFP_F_AUTO_BLOCK)) {
		char buf[PATH_MAX];

		snprintf(s->autoblock_persist, sizeof(s->autoblock_persist), "%s",
			 resolve_list_path(s, c->auto_block->persist_file, buf, sizeof(buf)));
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
	build_list(s, c->blocklist, &s->blocked, d);
	build_list(s, c->allowlist, &s->allowed, d);
	check_limit(&cf, "blocklist", &s->blocked, s->blocklist_max, d);
	check_limit(&cf, "allowlist", &s->allowed, s->allowlist_max, d);
	config_free(&cf);

	if (d->count != before) {
		desired_free(s);
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
