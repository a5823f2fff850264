/* metrics.c - see metrics.h. Names follow Prometheus conventions: vosfp_ prefix, _total on
 * counters, base units (bytes, seconds); one HELP and TYPE per family, before its samples. */
#include <string.h>

#include "counters.h"
#include "metrics.h"

/* Label values escape backslash, double quote and newline (the exposition format's rule). */
static void label_value(const char *v, FILE *out)
{
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
	fputc('"', out);
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void per_iface(const struct snapshot *s, int bytes, FILE *out)
{
	for (unsigned k = 0; k < s->iface_count; k++)
		for (int c = 0; c < VOSFP_CNT_COUNT; c++) {
			fprintf(out, "%s{interface=", bytes ? "vosfp_bytes_total" : "vosfp_packets_total");
			label_value(s->ifaces[k].name, out);
			fprintf(out, ",verdict=\"%s\",action=\"%s\"} %llu\n", vosfp_counters[c].key,
				snapshot_action(c),
				(unsigned long long)(bytes ? s->ifaces[k].t[c].bytes : s->ifaces[k].t[c].packets));
		}
}

void metrics_write(const struct snapshot *s, const struct reload_stats *r, FILE *out)
{
	family(out, "vosfp_packets_total", "counter",
	       "Packets given a verdict by the XDP program, by receiving interface and verdict (interface=\":other\": interfaces without a counter slot).");
	per_iface(s, 0, out);
	family(out, "vosfp_bytes_total", "counter",
	       "Bytes of those packets as XDP sees them (Ethernet header included, no FCS), by interface and verdict.");
	per_iface(s, 1, out);
	family(out, "vosfp_datapath_packets_total", "counter",
	       "Packets by verdict on all interfaces together (the xdp_counters map that read_xdp_stats.sh reads).");
	for (int c = 0; c < VOSFP_CNT_COUNT; c++)
		fprintf(out, "vosfp_datapath_packets_total{verdict=\"%s\",action=\"%s\"} %llu\n",
			vosfp_counters[c].key, snapshot_action(c), s->total[c]);

	family(out, "vosfp_list_entries", "gauge",
	       "Entries in the kernel's list maps, by list and address family (exact addresses and prefixes).");
	for (int l = 0; l < SNAP_LISTS; l++)
		for (int f = 0; f < SNAP_FAMILIES; f++)
			fprintf(out, "vosfp_list_entries{list=\"%s\",family=\"%s\"} %zu\n", snapshot_list_names[l],
				snapshot_family_names[f], s->lists[l][f]);
	family(out, "vosfp_dynamic_blocks", "gauge",
	       "Sources under a timed auto-block right now (unexpired entries of the auto_blocked map).");
	fprintf(out, "vosfp_dynamic_blocks %zu\n", s->blocks.n);
	family(out, "vosfp_auto_blocks", "gauge",
	       "Sources under a timed auto-block right now, by reason (rate-limit, auth-failures, enumeration).");
	for (__u32 r = 1; r < VOSFP_REASONS; r++)
		fprintf(out, "vosfp_auto_blocks{reason=\"%s\"} %zu\n", autoblock_reason_key(r),
			snapshot_blocks_by_reason(s, r));
	family(out, "vosfp_answers_total", "counter",
	       "SIP responses the egress program read for the answer rule, and what the rule made of them (answer=responses: all of them).");
	for (int i = 0; s->has_answers && i < VOSFP_ANS_COUNT; i++)
		fprintf(out, "vosfp_answers_total{answer=\"%s\"} %llu\n", vosfp_answer_counters[i].key, s->answers[i]);
	family(out, "vosfp_egress_attached", "gauge",
	       "1 for each interface the egress program (the answer rule) is attached to.");
	for (unsigned k = 0; k < s->egress_count; k++) {
		fprintf(out, "vosfp_egress_attached{interface=");
		label_value(s->egress[k], out);
		fprintf(out, "} 1\n");
	}
	family(out, "vosfp_xdp_mode", "gauge",
	       "1 for each interface vosfp's XDP program is attached to, with the mode it runs in.");
	for (unsigned k = 0; k < s->link_count; k++) {
		fprintf(out, "vosfp_xdp_mode{interface=");
		label_value(s->links[k].name, out);
		fprintf(out, ",mode=\"%s\"} 1\n", xdp_mode_name(s->links[k].mode));
	}

	family(out, "vosfp_reloads_total", "counter",
	       "Reconciles of the config and list files by this agent since it started, the initial one included, by result.");
	fprintf(out, "vosfp_reloads_total{result=\"ok\"} %llu\n", r->ok);
	fprintf(out, "vosfp_reloads_total{result=\"failed\"} %llu\n", r->failed);
	family(out, "vosfp_last_reload_success", "gauge", "1 if the last reconcile succeeded, 0 if it failed (the previous state is kept).");
	fprintf(out, "vosfp_last_reload_success %d\n", r->last_ok);
	family(out, "vosfp_last_reload_timestamp_seconds", "gauge", "Unix time at which the last reconcile ended.");
	fprintf(out, "vosfp_last_reload_timestamp_seconds %.3f\n", r->last_timestamp);
	family(out, "vosfp_last_reload_duration_seconds", "gauge", "How long the last reconcile took.");
	fprintf(out, "vosfp_last_reload_duration_seconds %.6f\n", r->last_duration);
	family(out, "vosfp_config_generation", "gauge",
	       "Successful reconciles since the agent started (1 after the initial one): changes whenever a reload is applied.");
	fprintf(out, "vosfp_config_generation %llu\n", r->generation);
}
