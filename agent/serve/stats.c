/* stats.c - read the counters (per-CPU, summed), the per-interface slots, the links' modes and
 * the list sizes; print them. The seed's lines come first and unchanged: read_xdp_stats.sh and
 * operators' scripts parse them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "autoblock_map.h"
#include "counters.h"
#include "daemon_claim.h"
#include "decision_map.h"
#include "pins.h"
#include "state.h"
#include "stats.h"
#include "xdp_census.h"

/* Slots 0..n-1 of the pinned per-CPU counter map `name`, summed over CPUs into out. -ENOENT
 * (err untouched) when there is no such pin. */
static int read_counters(const char *pin_path, const char *name, unsigned long long *out, unsigned n,
			 char *err, size_t errlen)
{
	int ncpus = libbpf_num_possible_cpus();
	char path[4352];
	int fd, ret = 0;

	pins_map_path(pin_path, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		if (ret != -ENOENT)
			snprintf(err, errlen, "cannot open %s: %s%s", path, strerror(errno),
				 errno == EPERM || errno == EACCES ? " (run as root)" : "");
		return ret;
	}
	for (__u32 i = 0; i < n; i++) {
		unsigned long long values[ncpus > 0 ? ncpus : 1];

		if (bpf_map_lookup_elem(fd, &i, values)) {
			ret = -errno;
			snprintf(err, errlen, "reading %s: %s", path, strerror(errno));
			break;
		}
		for (int c = 0; c < ncpus; c++)
			out[i] += values[c];
	}
	close(fd);
	return ret;
}

static int read_totals(const char *pin_path, struct snapshot *s, char *err, size_t errlen)
{
	int ret = read_counters(pin_path, "xdp_counters", s->total, VOSFP_CNT_COUNT, err, errlen);

	if (ret == -ENOENT)
		snprintf(err, errlen, "cannot open %s/xdp_counters: %s (is the agent's config applied?)", pin_path,
			 strerror(ENOENT));
	for (int i = 0; !ret && i < VOSFP_CNT_COUNT; i++)
		s->handled += s->total[i];
	return ret;
}

/* The answer rule's counters; pins of an older object have none. */
static int read_answers(const char *pin_path, struct snapshot *s, char *err, size_t errlen)
{
	int ret = read_counters(pin_path, "answer_counters", s->answers, VOSFP_ANS_COUNT, err, errlen);

	s->has_answers = !ret;
	return ret == -ENOENT ? 0 : ret;
}

/* The repeats of the live blocks, from auto_block_history (both sets sorted). */
static void add_repeats(const char *pin_path, struct snapshot *s)
{
	struct autoblock_set h;
	char err[4608];
	size_t j = 0;

	if (autoblock_history_read(pin_path, &h, err, sizeof(err)))
		return;
	for (size_t i = 0; i < s->blocks.n; i++) {
		while (j < h.n && memcmp(&h.v[j].key, &s->blocks.v[i].key, sizeof(h.v[j].key)) < 0)
			j++;
		if (j < h.n && !memcmp(&h.v[j].key, &s->blocks.v[i].key, sizeof(h.v[j].key)))
			s->blocks.v[i].repeats = h.v[j].repeats;
	}
	autoblock_set_free(&h);
}

static int read_per_iface(const char *pin_path, struct snapshot *s, char *err, size_t errlen)
{
	char names[4352], counters[4352];
	int names_fd, counters_fd, ret;

	pins_map_path(pin_path, "iface_names", names, sizeof(names));
	pins_map_path(pin_path, "iface_counters", counters, sizeof(counters));
	names_fd = bpf_obj_get(names);
	counters_fd = bpf_obj_get(counters);
	if (names_fd < 0 || counters_fd < 0) {
		ret = errno == ENOENT ? 0 : -errno;	/* pins of an older object: no such figures */
		if (ret)
			snprintf(err, errlen, "cannot open %s: %s", names_fd < 0 ? names : counters, strerror(-ret));
	} else {
		ret = iface_traffic_read(names_fd, counters_fd, &s->ifaces, &s->iface_count);
		if (ret)
			snprintf(err, errlen, "reading %s: %s", counters, strerror(-ret));
		s->per_iface = !ret;
	}
	if (names_fd >= 0)
		close(names_fd);
	if (counters_fd >= 0)
		close(counters_fd);
	return ret;
}

static int read_links_and_lists(const char *pin_path, const size_t (*lists)[SNAP_FAMILIES],
				struct snapshot *s, char *err, size_t errlen)
{
	struct observed o;
	int ret = state_read(pin_path, &o, lists == NULL);

	if (ret) {
		snprintf(err, errlen, "cannot read the state pinned under %s: %s", pin_path, strerror(-ret));
		return ret;
	}
	if (lists)
		memcpy(s->lists, lists, sizeof(s->lists));
	else
		snapshot_count_lists(&o.blocked, &o.allowed, s->lists);
	s->links = calloc(o.iface_count + 1, sizeof(*s->links));
	for (unsigned i = 0; s->links && i < o.iface_count; i++) {
		if (!o.ifaces[i].ours)
			continue;
		memcpy(s->links[s->link_count].name, o.ifaces[i].name, sizeof(s->links->name));
		s->links[s->link_count].method = o.ifaces[i].method;
		xdp_census_report(pin_path, o.ifaces[i].name, s->links[s->link_count].hook,
				  sizeof(s->links->hook));
		s->links[s->link_count++].mode = o.ifaces[i].mode;
	}
	s->egress = calloc(o.egress_count + 1, sizeof(*s->egress));
	for (unsigned i = 0; s->egress && i < o.egress_count; i++)
		if (o.egress[i].attached)
			memcpy(s->egress[s->egress_count++], o.egress[i].name, sizeof(*s->egress));
	observed_free(&o);
	if (!s->links || !s->egress) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The decisions in force (their own expiries, by origin and scope) and their traffic. */
static int read_decisions(const char *pin_path, int count_held, struct snapshot *s, char *err, size_t errlen)
{
	struct decision_image img;
	struct decision_set held;
	struct decision_maps m;
	int ret = decision_maps_open(pin_path, &m, err, errlen);

	if (ret == -ENOENT)
		return 0;	/* pins of an older object: nothing decided there */
	if (ret)
		return ret;
	s->decisions_present = 1;
	ret = decision_traffic_read(pin_path, s->decision_traffic);
	if (!ret && count_held && !(ret = decision_maps_read(&m, &img))) {
		ret = decision_set_from_image(&img, s->now, &held);
		if (!ret)
			decision_set_count(&held, s->decisions);
		decision_set_free(&held);
		decision_image_free(&img);
	}
	if (ret)
		snprintf(err, errlen, "reading the decision maps under %s: %s", pin_path, strerror(-ret));
	decision_maps_close(&m);
	return ret;
}

int stats_collect(const char *pin_path, const size_t (*lists)[SNAP_FAMILIES], struct snapshot *s,
		  char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = read_totals(pin_path, s, err, errlen);
	if (!ret)
		ret = read_per_iface(pin_path, s, err, errlen);
	if (!ret)
		ret = read_links_and_lists(pin_path, lists, s, err, errlen);
	if (!ret)
		ret = read_answers(pin_path, s, err, errlen);
	if (!ret) {
		s->now = autoblock_now();
		ret = autoblock_map_read(pin_path, s->now, &s->blocks, err, errlen);
	}
	if (!ret)
		add_repeats(pin_path, s);
	if (!ret)
		ret = read_decisions(pin_path, lists == NULL, s, err, errlen);
	if (ret)
		snapshot_free(s);
	return ret;
}

static const char *mode_of(const struct snapshot *s, const char *name)
{
	for (unsigned i = 0; i < s->link_count; i++)
		if (!strcmp(s->links[i].name, name))
			return xdp_mode_name(s->links[i].mode);
	return NULL;
}

/* The answer rule: where its filter is attached, and its counters. */
static void write_answers_text(const struct snapshot *s, FILE *out)
{
	if (!s->has_answers)
		return;
	fprintf(out, "\nAnswers (egress filter on");
	for (unsigned k = 0; k < s->egress_count; k++)
		fprintf(out, "%s %s", k ? "," : "", s->egress[k]);
	fprintf(out, "%s):\n", s->egress_count ? "" : " no interface");
	for (int i = 0; i < VOSFP_ANS_COUNT; i++)
		fprintf(out, "  %s: %llu\n", vosfp_answer_counters[i].label, s->answers[i]);
}

static size_t decisions_total(const struct snapshot *s)
{
	size_t n = 0;

	for (int o = 0; o < VOSFP_ORIGINS; o++)
		n += s->decisions[o][0] + s->decisions[o][1];
	return n;
}

/* Decisions by origin: in force (ip / range), dropped and allowlisted (packets / bytes). */
static void text_decisions(const struct snapshot *s, FILE *out)
{
	if (!s->decisions_present)
		return;
	fprintf(out, "\nDecisions (CrowdSec): %zu in force\n", decisions_total(s));
	fprintf(out, "  %-9s %8s %8s %26s %26s\n", "origin", "ip", "range", "dropped (packets / bytes)",
		"allowlisted, passed");
	for (int o = 0; o < VOSFP_ORIGINS; o++) {
		char dropped[48], passed[48];

		snprintf(dropped, sizeof(dropped), "%llu / %llu", (unsigned long long)s->decision_traffic[0][o].packets,
			 (unsigned long long)s->decision_traffic[0][o].bytes);
		snprintf(passed, sizeof(passed), "%llu / %llu", (unsigned long long)s->decision_traffic[1][o].packets,
			 (unsigned long long)s->decision_traffic[1][o].bytes);
		fprintf(out, "  %-9s %8zu %8zu %26s %26s\n", decision_origin_name((uint8_t)o), s->decisions[o][0],
			s->decisions[o][1], dropped, passed);
	}
}

/* Whether a daemon keeps the pins matching the config: without one, the pinned policy stays as
 * last applied and edits wait (a stopped service is fail-static, and easy to miss). */
static void write_daemon_text(const struct snapshot *s, FILE *out)
{
	if (s->daemon_pid > 0)
		fprintf(out, "\nDaemon: pid %ld keeps these pins matching its config\n", (long)s->daemon_pid);
	else if (s->daemon_pid == DAEMON_CLAIM_HELD_PID_UNKNOWN)
		fprintf(out, "\nDaemon: running (pid unknown)\n");
	else if (s->daemon_pid == 0)
		fprintf(out, "\nDaemon: none: the pinned policy stays as last applied; edits apply when vosfp-agent runs (or with --once)\n");
}

static const char *daemon_state(pid_t pid)
{
	return pid > 0 || pid == DAEMON_CLAIM_HELD_PID_UNKNOWN ? "running" : pid == 0 ? "none" : "unknown";
}

void stats_write_text(const struct snapshot *s, FILE *out)
{
	for (int i = 0; i < VOSFP_CNT_COUNT; i++)
		fprintf(out, "%s: %llu\n", vosfp_counters[i].label, s->total[i]);
	fprintf(out, "Total UDP 5060 handled: %llu\n", s->handled);

	fprintf(out, "\nPer interface (packets / bytes):\n");
	fprintf(out, "  %-15s %-8s", "interface", "mode");
	for (int i = 0; i < VOSFP_CNT_COUNT; i++)
		fprintf(out, " %23s", vosfp_counters[i].key);
	fprintf(out, "\n");
	for (unsigned k = 0; k < s->iface_count; k++) {
		const char *mode = mode_of(s, s->ifaces[k].name);

		fprintf(out, "  %-15s %-8s", s->ifaces[k].name, mode ? mode : "-");
		for (int i = 0; i < VOSFP_CNT_COUNT; i++) {
			char cell[48];

			snprintf(cell, sizeof(cell), "%llu / %llu", (unsigned long long)s->ifaces[k].t[i].packets,
				 (unsigned long long)s->ifaces[k].t[i].bytes);
			fprintf(out, " %23s", cell);
		}
		fprintf(out, "\n");
	}
	if (!s->per_iface)
		fprintf(out, "  (the pinned maps predate per-interface counters: the next reconcile adds them)\n");
	for (unsigned k = 0; k < s->link_count; k++) {
		int has_slot = 0;

		for (unsigned j = 0; j < s->iface_count; j++)
			has_slot |= !strcmp(s->ifaces[j].name, s->links[k].name);
		if (!has_slot)
			fprintf(out, "  %-15s %-8s (counted as %s)\n", s->links[k].name,
				xdp_mode_name(s->links[k].mode), IFACE_OTHER_NAME);
	}
	fprintf(out, "\nXDP attachments:\n");
	for (unsigned k = 0; k < s->link_count; k++)
		fprintf(out, "  %-15s %-8s %s\n", s->links[k].name, xdp_mode_name(s->links[k].mode), s->links[k].hook);
	if (!s->link_count)
		fprintf(out, "  (none)\n");
	write_daemon_text(s, out);
	fprintf(out, "\nList entries:");
	for (int l = 0; l < SNAP_LISTS; l++)
		for (int f = 0; f < SNAP_FAMILIES; f++)
			fprintf(out, " %s %s %zu%s", snapshot_list_names[l], snapshot_family_names[f], s->lists[l][f],
				l == SNAP_LISTS - 1 && f == SNAP_FAMILIES - 1 ? "\n" : ",");
	fprintf(out, "\nAuto-blocks: %zu active\n", s->blocks.n);
	if (s->blocks.n)
		fprintf(out, "  %-39s %-24s %s\n", "source", "reason", "time left (s)");
	for (size_t i = 0; i < s->blocks.n; i++) {
		char addr[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN];

		fprintf(out, "  %-39s %-24s %llu\n", autoblock_addr(&s->blocks.v[i].key, addr, sizeof(addr)),
			autoblock_reason(s->blocks.v[i].reason, s->blocks.v[i].method, reason, sizeof(reason)),
			autoblock_seconds_left(&s->blocks.v[i], s->now));
	}
	if (s->blocks.n) {
		fprintf(out, "  by reason:");
		for (__u32 r = 1; r < VOSFP_REASONS; r++)
			fprintf(out, " %s %zu%s", autoblock_reason_key(r), snapshot_blocks_by_reason(s, r),
				r + 1 < VOSFP_REASONS ? "," : "\n");
	}
	write_answers_text(s, out);
	text_decisions(s, out);
}

static void json_decisions(const struct snapshot *s, FILE *out)
{
	static const char *const kinds[2] = { "dropped", "allowlisted" };

	fprintf(out, ", \"decisions\": {\"present\": %s, \"in_force\": %zu, \"by_origin\": {",
		s->decisions_present ? "true" : "false", decisions_total(s));
	for (int o = 0; o < VOSFP_ORIGINS; o++) {
		fprintf(out, "%s\"%s\": {\"ip\": %zu, \"range\": %zu", o ? ", " : "", decision_origin_name((uint8_t)o),
			s->decisions[o][0], s->decisions[o][1]);
		for (int k = 0; k < 2; k++)
			fprintf(out, ", \"%s\": {\"packets\": %llu, \"bytes\": %llu}", kinds[k],
				(unsigned long long)s->decision_traffic[k][o].packets,
				(unsigned long long)s->decision_traffic[k][o].bytes);
		fprintf(out, "}");
	}
	fprintf(out, "}}");
}

static void json_verdicts(const struct vosfp_traffic *t, int bytes, FILE *out)
{
	fprintf(out, "{");
	for (int i = 0; i < VOSFP_CNT_COUNT; i++)
		fprintf(out, "%s\"%s\": %llu", i ? ", " : "", vosfp_counters[i].key,
			(unsigned long long)(bytes ? t[i].bytes : t[i].packets));
	fprintf(out, "}");
}

/* The kernel refuses only '/', ':' and whitespace in an interface name: quotes and backslashes
 * are possible, so names are escaped. */
static void json_string(const char *v, FILE *out)
{
	fputc('"', out);
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

void stats_write_json(const struct snapshot *s, FILE *out)
{
	fprintf(out, "{\"counters\": {");
	for (int i = 0; i < VOSFP_CNT_COUNT; i++)
		fprintf(out, "%s\"%s\": %llu", i ? ", " : "", vosfp_counters[i].key, s->total[i]);
	fprintf(out, "}, \"handled\": %llu, \"per_interface\": %s, \"interfaces\": [", s->handled,
		s->per_iface ? "true" : "false");
	for (unsigned k = 0; k < s->iface_count; k++) {
		const char *mode = mode_of(s, s->ifaces[k].name);

		fprintf(out, "%s{\"name\": ", k ? ", " : "");
		json_string(s->ifaces[k].name, out);
		fprintf(out, ", \"ifindex\": %u, \"xdp_mode\": ", s->ifaces[k].ifindex);
		if (mode)
			fprintf(out, "\"%s\"", mode);
		else
			fprintf(out, "null");
		fprintf(out, ", \"packets\": ");
		json_verdicts(s->ifaces[k].t, 0, out);
		fprintf(out, ", \"bytes\": ");
		json_verdicts(s->ifaces[k].t, 1, out);
		fprintf(out, "}");
	}
	fprintf(out, "], \"xdp_modes\": {");
	for (unsigned k = 0; k < s->link_count; k++) {
		fprintf(out, "%s", k ? ", " : "");
		json_string(s->links[k].name, out);
		fprintf(out, ": \"%s\"", xdp_mode_name(s->links[k].mode));
	}
	fprintf(out, "}, \"attachments\": [");
	for (unsigned k = 0; k < s->link_count; k++) {
		fprintf(out, "%s{\"name\": ", k ? ", " : "");
		json_string(s->links[k].name, out);
		fprintf(out, ", \"method\": \"%s\", \"xdp_mode\": \"%s\", \"hook\": ",
			attach_method_name(s->links[k].method), xdp_mode_name(s->links[k].mode));
		json_string(s->links[k].hook, out);
		fprintf(out, "}");
	}
	fprintf(out, "], \"daemon\": \"%s\", \"daemon_pid\": ", daemon_state(s->daemon_pid));
	if (s->daemon_pid > 0)
		fprintf(out, "%ld", (long)s->daemon_pid);
	else
		fprintf(out, "null");
	fprintf(out, ", \"lists\": {");
	for (int l = 0; l < SNAP_LISTS; l++) {
		fprintf(out, "%s\"%s\": {", l ? ", " : "", snapshot_list_names[l]);
		for (int f = 0; f < SNAP_FAMILIES; f++)
			fprintf(out, "%s\"%s\": %zu", f ? ", " : "", snapshot_family_names[f], s->lists[l][f]);
		fprintf(out, "}");
	}
	/* dynamic_blocks: the count, as the /metrics gauge; auto_blocks: the entries. */
	fprintf(out, "}, \"dynamic_blocks\": %zu, \"auto_blocks\": [", s->blocks.n);
	for (size_t i = 0; i < s->blocks.n; i++) {
		const struct autoblock *b = &s->blocks.v[i];
		char addr[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN];

		fprintf(out, "%s{\"source\": \"%s\", \"reason\": \"%s\", \"seconds_left\": %llu, \"ms_left\": %llu, \"repeats\": %u}",
			i ? ", " : "", autoblock_addr(&b->key, addr, sizeof(addr)),
			autoblock_reason(b->reason, b->method, reason, sizeof(reason)),
			autoblock_seconds_left(b, s->now), (unsigned long long)((b->expires - s->now) / 1000000),
			b->repeats);
	}
	fprintf(out, "], \"auto_blocks_by_reason\": {");
	for (__u32 r = 1; r < VOSFP_REASONS; r++)
		fprintf(out, "%s\"%s\": %zu", r > 1 ? ", " : "", autoblock_reason_key(r), snapshot_blocks_by_reason(s, r));
	fprintf(out, "}, \"answers\": ");
	if (!s->has_answers) {
		fprintf(out, "null");
	} else {
		fprintf(out, "{\"egress_interfaces\": [");
		for (unsigned k = 0; k < s->egress_count; k++) {
			fprintf(out, "%s", k ? ", " : "");
			json_string(s->egress[k], out);
		}
		fprintf(out, "]");
		for (int i = 0; i < VOSFP_ANS_COUNT; i++)
			fprintf(out, ", \"%s\": %llu", vosfp_answer_counters[i].key, s->answers[i]);
		fprintf(out, "}");
	}
	json_decisions(s, out);
	fprintf(out, "}\n");
}

int stats_print(const char *pin_path, int json, FILE *out)
{
	struct snapshot s;
	char err[4608];
	int ret = stats_collect(pin_path, NULL, &s, err, sizeof(err));

	if (ret) {
		pid_t daemon = ret == -ENOENT ? daemon_claim_holder(pin_path) : 0;
		char who[32] = "pid unknown";

		/* A daemon that has applied nothing yet (after a boot, waiting for an interface the
		 * network makes later) holds its claim with no pins. */
		if (daemon > 0)
			snprintf(who, sizeof(who), "pid %ld", (long)daemon);
		if (daemon > 0 || daemon == DAEMON_CLAIM_HELD_PID_UNKNOWN)
			fprintf(stderr, "vosfp-agent: nothing is pinned at %s yet: the daemon (%s) runs on it and has applied nothing; its log says what it waits for (an interface to exist, say)\n",
				pin_path, who);
		else
			fprintf(stderr, "vosfp-agent: %s\n", err);
		return ret;
	}
	s.daemon_pid = daemon_claim_holder(pin_path);
	if (json)
		stats_write_json(&s, out);
	else
		stats_write_text(&s, out);
	snapshot_free(&s);
	return 0;
}
