/* metrics_test.c - the Prometheus exposition (agent/serve/metrics.c) of a hand-made snapshot: the exact
 * sample lines, label escaping, and the format's rules (one HELP and TYPE per family, before its
 * samples; counters end in _total; no family split in two). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crowdsec_feed.h"
#include "metrics.h"

/* A daemon's CrowdSec feed: up, publishing, a few of each figure. */
static const struct feed_status sample_feed = {
	.enabled = 1, .publishing = 1, .echoes = 2,
	.w = { .lapi_up = 1, .synced = 1, .last_success = 1764100001.5, .polls_ok = 40, .polls_failed = 3,
	       .skipped = { [LAPI_SKIP_TYPE] = 7 }, .alerts_posted = 5, .alerts_failed = 1, .alerts_pending = 1 },
};

/* The daemon's page: the snapshot's figures, then the feed's (feed NULL: no crowdsec section). */
static char *render_with(const struct snapshot *s, const struct reload_stats *r, const struct feed_status *feed)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	metrics_write(s, r, f);
	if (feed)
		metrics_write_feed(feed, f);
	fclose(f);
	return text;
}

static char *render(const struct snapshot *s, const struct reload_stats *r)
{
	return render_with(s, r, &sample_feed);
}

static void sample_snapshot(struct snapshot *s, struct iface_traffic ifaces[3], struct snapshot_link links[2])
{
	memset(s, 0, sizeof(*s));
	memset(ifaces, 0, 3 * sizeof(*ifaces));
	snprintf(ifaces[0].name, sizeof(ifaces[0].name), "%s", IFACE_OTHER_NAME);
	ifaces[0].t[VOSFP_CNT_PASSED] = (struct vosfp_traffic){ 1, 90 };
	snprintf(ifaces[1].name, sizeof(ifaces[1].name), "veth0");
	ifaces[1].ifindex = 7;
	ifaces[1].t[VOSFP_CNT_BLOCKED] = (struct vosfp_traffic){ 5, 435 };
	ifaces[1].t[VOSFP_CNT_PASSED] = (struct vosfp_traffic){ 3, 261 };
	snprintf(ifaces[2].name, sizeof(ifaces[2].name), "we\"ird\\if");
	ifaces[2].ifindex = 9;
	ifaces[2].t[VOSFP_CNT_MALFORMED] = (struct vosfp_traffic){ 18446744073709551615ULL, 2 };
	s->ifaces = ifaces;
	s->iface_count = 3;
	s->per_iface = 1;
	s->total[VOSFP_CNT_PASSED] = 4;
	s->total[VOSFP_CNT_BLOCKED] = 5;
	s->total[VOSFP_CNT_MALFORMED] = 18446744073709551615ULL;
	s->lists[SNAP_BLOCKLIST][SNAP_IPV4] = 1000000;
	s->lists[SNAP_ALLOWLIST][SNAP_IPV6] = 2;
	snprintf(links[0].name, sizeof(links[0].name), "veth0");
	links[0].mode = VOSFP_MODE_NATIVE;
	snprintf(links[1].name, sizeof(links[1].name), "veth1");
	links[1].mode = VOSFP_MODE_GENERIC;
	s->links = links;
	s->link_count = 2;
	s->decisions_present = 1;
	s->decisions[VOSFP_ORIGIN_CROWDSEC][0] = 12;
	s->decisions[VOSFP_ORIGIN_LISTS][1] = 3;
	s->decision_traffic[0][VOSFP_ORIGIN_VOSFP] = (struct vosfp_traffic){ 9, 801 };
	s->decision_traffic[1][VOSFP_ORIGIN_CSCLI] = (struct vosfp_traffic){ 2, 180 };
	/* The answer rule: its counters, its filter on veth0, and one block it made. */
	static struct autoblock block = { .reason = VOSFP_REASON_AUTH_FAILURES, .expires = 1 };
	static char egress[1][16] = { "veth0" };
	s->has_answers = 1;
	s->answers[VOSFP_ANS_RESPONSES] = 42;
	s->answers[VOSFP_ANS_BLOCKED_AUTH] = 1;
	s->egress = egress;
	s->egress_count = 1;
	s->blocks = (struct autoblock_set){ &block, 1 };
}

static const struct reload_stats sample_reloads = {
	.ok = 3, .failed = 1, .generation = 3, .last_timestamp = 1764100000.25, .last_duration = 0.0125,
	.last_ok = 0,
};

/* Lines that must appear exactly. */
static const char *const expected_lines[] = {
	"vosfp_packets_total{interface=\":other\",verdict=\"passed\",action=\"pass\"} 1",
	"vosfp_packets_total{interface=\"veth0\",verdict=\"blocked\",action=\"drop\"} 5",
	"vosfp_packets_total{interface=\"veth0\",verdict=\"passed\",action=\"pass\"} 3",
	"vosfp_packets_total{interface=\"veth0\",verdict=\"options_dropped\",action=\"drop\"} 0",
	"vosfp_packets_total{interface=\"veth0\",verdict=\"redirected\",action=\"redirect\"} 0",
	"vosfp_packets_total{interface=\"we\\\"ird\\\\if\",verdict=\"malformed\",action=\"drop\"} 18446744073709551615",
	"vosfp_bytes_total{interface=\"veth0\",verdict=\"blocked\",action=\"drop\"} 435",
	"vosfp_bytes_total{interface=\"veth0\",verdict=\"passed\",action=\"pass\"} 261",
	"vosfp_bytes_total{interface=\":other\",verdict=\"passed\",action=\"pass\"} 90",
	"vosfp_datapath_packets_total{verdict=\"passed\",action=\"pass\"} 4",
	"vosfp_datapath_packets_total{verdict=\"malformed\",action=\"drop\"} 18446744073709551615",
	"vosfp_list_entries{list=\"blocklist\",family=\"ipv4\"} 1000000",
	"vosfp_list_entries{list=\"blocklist\",family=\"ipv6\"} 0",
	"vosfp_list_entries{list=\"allowlist\",family=\"ipv6\"} 2",
	"vosfp_dynamic_blocks 1",
	"vosfp_auto_blocks{reason=\"rate-limit\"} 0",
	"vosfp_auto_blocks{reason=\"auth-failures\"} 1",
	"vosfp_auto_blocks{reason=\"enumeration\"} 0",
	"vosfp_answers_total{answer=\"responses\"} 42",
	"vosfp_answers_total{answer=\"blocked_auth_failures\"} 1",
	"vosfp_answers_total{answer=\"not_found\"} 0",
	"vosfp_egress_attached{interface=\"veth0\"} 1",
	"vosfp_xdp_mode{interface=\"veth0\",mode=\"native\"} 1",
	"vosfp_xdp_mode{interface=\"veth1\",mode=\"generic\"} 1",
	"vosfp_reloads_total{result=\"ok\"} 3",
	"vosfp_reloads_total{result=\"failed\"} 1",
	"vosfp_last_reload_success 0",
	"vosfp_last_reload_timestamp_seconds 1764100000.250",
	"vosfp_last_reload_duration_seconds 0.012500",
	"vosfp_config_generation 3",
	"# TYPE vosfp_packets_total counter",
	"# TYPE vosfp_xdp_mode gauge",
	"vosfp_decisions{origin=\"crowdsec\",scope=\"ip\"} 12",
	"vosfp_decisions{origin=\"lists\",scope=\"range\"} 3",
	"vosfp_decisions{origin=\"vosfp\",scope=\"ip\"} 0",
	"vosfp_decision_packets_total{origin=\"vosfp\",action=\"drop\"} 9",
	"vosfp_decision_bytes_total{origin=\"vosfp\",action=\"drop\"} 801",
	"vosfp_decision_packets_total{origin=\"cscli\",action=\"pass\"} 2",
	"vosfp_decision_bytes_total{origin=\"cscli\",action=\"pass\"} 180",
	"vosfp_decision_packets_total{origin=\"other\",action=\"drop\"} 0",
	"vosfp_crowdsec_up 1",
	"vosfp_crowdsec_last_success_timestamp_seconds 1764100001.500",
	"vosfp_crowdsec_polls_total{result=\"ok\"} 40",
	"vosfp_crowdsec_polls_total{result=\"failed\"} 3",
	"vosfp_crowdsec_decisions_set_aside_total{reason=\"type\"} 7",
	"vosfp_crowdsec_decisions_set_aside_total{reason=\"scope\"} 0",
	"vosfp_crowdsec_echoes_total 2",
	"vosfp_crowdsec_alerts_total{result=\"published\"} 5",
	"vosfp_crowdsec_alerts_total{result=\"failed\"} 1",
	"vosfp_crowdsec_alerts_pending 1",
};

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

START_TEST(test_expected_line)
{
	struct iface_traffic ifaces[3];
	struct snapshot_link links[2];
	struct snapshot s;
	char *text;

	sample_snapshot(&s, ifaces, links);
	text = render(&s, &sample_reloads);
	ck_assert_msg(has_line(text, expected_lines[_i]), "missing line: %s\nin:\n%s", expected_lines[_i], text);
	free(text);
}
END_TEST

/* The samples of a family: 5 verdicts per interface, and nothing for an unused counter slot. */
START_TEST(test_sample_counts)
{
	static const struct { const char *prefix; int count; } families[] = {
		{ "vosfp_packets_total{", 3 * VOSFP_CNT_COUNT },
		{ "vosfp_bytes_total{", 3 * VOSFP_CNT_COUNT },
		{ "vosfp_datapath_packets_total{", VOSFP_CNT_COUNT },
		{ "vosfp_list_entries{", 4 },
		{ "vosfp_xdp_mode{", 2 },
		{ "vosfp_reloads_total{", 2 },
		{ "vosfp_decisions{", 2 * VOSFP_ORIGINS },
		{ "vosfp_decision_packets_total{", 2 * VOSFP_ORIGINS },
		{ "vosfp_crowdsec_decisions_set_aside_total{", LAPI_SKIPS },
		{ "vosfp_answers_total{", VOSFP_ANS_COUNT },
	};
	struct iface_traffic ifaces[3];
	struct snapshot_link links[2];
	struct snapshot s;
	char *text, *line, *save = NULL;
	int counts[10] = { 0 };

	sample_snapshot(&s, ifaces, links);
	text = render(&s, &sample_reloads);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (size_t f = 0; f < 10; f++)
			counts[f] += !strncmp(line, families[f].prefix, strlen(families[f].prefix));
	for (size_t f = 0; f < 10; f++)
		ck_assert_msg(counts[f] == families[f].count, "%s: %d samples, expected %d", families[f].prefix,
			      counts[f], families[f].count);
	free(text);
}
END_TEST

/* Format rules, checked over the whole text: HELP then TYPE once per family, before its first
 * sample, samples of a family contiguous; counter names end in _total, gauges' do not. */
START_TEST(test_format_rules)
{
	struct iface_traffic ifaces[3];
	struct snapshot_link links[2];
	struct snapshot s;
	char *text, *line, *save = NULL, current[128] = "", seen[64][128];
	int nseen = 0, expect_type = 0;

	sample_snapshot(&s, ifaces, links);
	text = render(&s, &sample_reloads);
	ck_assert(text[strlen(text) - 1] == '\n');
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], type[32];

		if (!strncmp(line, "# HELP ", 7)) {
			ck_assert_msg(!expect_type, "HELP without TYPE before: %s", line);
			ck_assert(sscanf(line + 7, "%127s", name) == 1);
			for (int i = 0; i < nseen; i++)
				ck_assert_msg(strcmp(seen[i], name), "family %s appears twice", name);
			ck_assert_int_lt(nseen, 64);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
			snprintf(current, sizeof(current), "%s", name);
			ck_assert_msg(strlen(line) > 8 + strlen(name), "%s: empty HELP", name);
			expect_type = 1;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			ck_assert(sscanf(line + 7, "%127s %31s", name, type) == 2);
			ck_assert_msg(expect_type && !strcmp(name, current), "TYPE %s not right after its HELP", name);
			ck_assert_msg(!strcmp(type, "counter") == (strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total")),
				      "%s is a %s: counters and only counters end in _total", name, type);
			ck_assert_msg(!strncmp(name, "vosfp_", 6), "%s: no vosfp_ prefix", name);
			expect_type = 0;
			continue;
		}
		ck_assert_msg(line[0] != '#', "stray comment: %s", line);
		ck_assert_msg(!expect_type, "sample before TYPE: %s", line);
		ck_assert_msg(!strncmp(line, current, strlen(current)) &&
			      (line[strlen(current)] == '{' || line[strlen(current)] == ' '),
			      "sample outside its family (%s): %s", current, line);
	}
	ck_assert_int_eq(nseen, 11 + 3 + 7 + 3);
	free(text);
}
END_TEST

/* Pins of an older object: no per-interface samples, the families still declared. */
START_TEST(test_no_interfaces)
{
	struct snapshot s = { 0 };
	struct reload_stats r = { 0 };
	char *text = render(&s, &r);

	ck_assert(has_line(text, "# TYPE vosfp_packets_total counter"));
	ck_assert_ptr_null(strstr(text, "vosfp_packets_total{"));
	ck_assert_ptr_null(strstr(text, "vosfp_xdp_mode{"));
	ck_assert_ptr_null(strstr(text, "vosfp_answers_total{"));	/* no answer_counters pinned */
	ck_assert(has_line(text, "vosfp_auto_blocks{reason=\"enumeration\"} 0"));
	ck_assert(has_line(text, "vosfp_config_generation 0"));
	free(text);
}
END_TEST

/* No crowdsec section, pins of an older object: no decision or feed family at all. */
START_TEST(test_no_crowdsec)
{
	struct snapshot s = { 0 };
	struct reload_stats r = { 0 };
	struct feed_status off = { 0 };
	char *text = render_with(&s, &r, &off);

	ck_assert_ptr_null(strstr(text, "vosfp_decision"));
	ck_assert_ptr_null(strstr(text, "vosfp_crowdsec"));
	free(text);
}
END_TEST

TCase *metrics_tcase(void)
{
	TCase *tc = tcase_create("metrics");

	tcase_add_loop_test(tc, test_expected_line, 0, (int)(sizeof(expected_lines) / sizeof(expected_lines[0])));
	tcase_add_test(tc, test_sample_counts);
	tcase_add_test(tc, test_format_rules);
	tcase_add_test(tc, test_no_interfaces);
	tcase_add_test(tc, test_no_crowdsec);
	return tc;
}
