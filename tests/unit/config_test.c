/* config_test.c - the config and list-file corpus: every bad file must be rejected with exactly
 * the message beside it (file, line, what was expected), every good file accepted. Adding a case
 * is adding tests/data/config/bad/NAME.yaml and NAME.expect. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired.h"
#include "iface_file.h"

#define CORPUS "tests/data/config"

static char **bad_files;
static int bad_count;

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_corpus(void)
{
	DIR *dir = opendir(CORPUS "/bad");
	struct dirent *e;

	if (!dir)
		return 0;
	while ((e = readdir(dir))) {
		if (!ends_with(e->d_name, ".yaml"))
			continue;
		bad_files = realloc(bad_files, (bad_count + 1) * sizeof(*bad_files));
		bad_files[bad_count++] = strdup(e->d_name);
	}
	closedir(dir);
	qsort(bad_files, bad_count, sizeof(*bad_files), cmp_str);
	return bad_count;
}

/* The .expect line, turned into the exact message: "N: msg" is at line N of the yaml file,
 * "@rel: msg" is about the file rel (a list file), anything else is about the yaml file with
 * no line. */
static void expected_message(const char *yaml, char *out, size_t len)
{
	char expect_path[512], line[1024];
	FILE *f;

	snprintf(expect_path, sizeof(expect_path), CORPUS "/bad/%.*s.expect", (int)(strlen(yaml) - 5), yaml);
	f = fopen(expect_path, "r");
	ck_assert_msg(f, "%s: missing", expect_path);
	ck_assert(fgets(line, sizeof(line), f));
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (line[0] == '@')
		snprintf(out, len, CORPUS "/bad/%s", line + 1);
	else if (line[0] >= '0' && line[0] <= '9')
		snprintf(out, len, CORPUS "/bad/%s:%s", yaml, line);
	else
		snprintf(out, len, CORPUS "/bad/%s: %s", yaml, line);
}

START_TEST(test_bad_config)
{
	const char *name = bad_files[_i];
	char path[512], want[1280];
	struct desired s;
	struct diag d = { 0 };
	int found = 0;

	snprintf(path, sizeof(path), CORPUS "/bad/%s", name);
	expected_message(name, want, sizeof(want));
	ck_assert_msg(desired_build(path, &s, &d) < 0, "%s was accepted", name);
	for (size_t i = 0; i < d.kept; i++)
		found |= !strcmp(d.msgs[i], want);
	if (!found) {
		fprintf(stderr, "%s: expected message:\n  %s\ngot:\n", name, want);
		diag_print(&d, stderr);
	}
	ck_assert_msg(found, "%s: the expected message is missing (see above)", name);
	diag_clear(&d);
	desired_free(&s);	/* the names of the files read stay, for a waiting daemon's watcher */
}
END_TEST

START_TEST(test_corpus_size)
{
	ck_assert_msg(bad_count >= 40, "only %d bad configs in the corpus", bad_count);
}
END_TEST

START_TEST(test_good_full)
{
	struct desired s;
	struct diag d = { 0 };
	struct vosfp_prefix p;

	if (desired_build(CORPUS "/good/full.yaml", &s, &d))
		diag_print(&d, stderr);
	ck_assert(!diag_failed(&d));
	ck_assert_str_eq(s.pin_path, "/sys/fs/bpf/vosfp-test");
	ck_assert_str_eq(s.bpf_object, "/usr/local/lib/vosfp/sip_logic.bpf.o");
	ck_assert_uint_eq(s.iface_count, 2);
	ck_assert_str_eq(s.ifaces[1].name, "eth1");
	ck_assert_uint_eq(s.ifaces[0].mode_count, 2);
	ck_assert_int_eq(s.ifaces[0].modes[0], VOSFP_MODE_NATIVE);
	ck_assert_int_eq(s.ifaces[0].modes[1], VOSFP_MODE_GENERIC);
	ck_assert_uint_eq(s.runtime.flags, VOSFP_F_PORTS | VOSFP_F_V4_SUMMARY | VOSFP_F_V6_SUMMARY_BLOCK |
					    VOSFP_F_V6_SUMMARY_ALLOW | VOSFP_F_V6_PREFIX_INDEX |
					    VOSFP_F_V4_PART_SUMMARY | VOSFP_F_NO_STEALTH);
	ck_assert(s.runtime.udp_ports[5060 / 8] & (1 << (5060 % 8)));
	ck_assert(s.runtime.udp_ports[5080 / 8] & (1 << (5080 % 8)));
	ck_assert(s.runtime.tcp_ports[5061 / 8] & (1 << (5061 % 8)));
	ck_assert(!(s.runtime.tcp_ports[5060 / 8] & (1 << (5060 % 8))));
	/* 3 inline + 5 from the list file (comments, blanks and a trailing comment skipped). */
	ck_assert_uint_eq(s.allowed.n, 7);
	ck_assert_int_eq(vosfp_prefix_parse("198.18.0.0/15", &p, NULL, 0), 0);
	ck_assert(prefix_set_contains(&s.allowed, &p));
	ck_assert_uint_eq(s.blocked.n, 0);
	ck_assert_uint_eq(s.blocklist_max, 100);
	ck_assert_uint_eq(s.list_file_count, 2);
	desired_free(&s);
}
END_TEST

/* deploy.sh's interface file merged after the YAML: the YAML's entry keeps its modes, a line
 * without modes means native then generic, a missing file declares nothing, origins are kept. */
START_TEST(test_good_interface_files)
{
	struct desired s;
	struct diag d = { 0 };

	if (desired_build(CORPUS "/good/interface-files.yaml", &s, &d))
		diag_print(&d, stderr);
	ck_assert(!diag_failed(&d));
	ck_assert_uint_eq(s.iface_count, 4);
	ck_assert_str_eq(s.ifaces[0].name, "veth0");
	ck_assert_uint_eq(s.ifaces[0].mode_count, 1);
	ck_assert_int_eq(s.ifaces[0].modes[0], VOSFP_MODE_GENERIC);
	ck_assert_ptr_null(s.ifaces[0].file);
	ck_assert_str_eq(s.ifaces[1].name, "veth1");
	ck_assert_uint_eq(s.ifaces[1].mode_count, 2);
	ck_assert_int_eq(s.ifaces[1].modes[0], VOSFP_MODE_NATIVE);
	ck_assert_int_eq(s.ifaces[1].modes[1], VOSFP_MODE_GENERIC);
	ck_assert_int_eq(s.ifaces[1].line, 3);
	ck_assert_str_eq(s.ifaces[2].name, "veth2");
	ck_assert_uint_eq(s.ifaces[2].mode_count, 1);
	ck_assert_int_eq(s.ifaces[2].modes[0], VOSFP_MODE_GENERIC);
	ck_assert_str_eq(s.ifaces[3].name, "veth3");
	ck_assert_uint_eq(s.ifaces[3].mode_count, 2);
	ck_assert_ptr_nonnull(strstr(s.ifaces[3].file, "interfaces-good.txt"));
	/* Both interface files are watched, the missing one too (it may appear). */
	ck_assert_uint_eq(s.list_file_count, 2);
	desired_free(&s);
	/* A YAML interface without xdp_mode gets what an interface file's line without modes gets. */
	if (desired_build(CORPUS "/good/interface-default-modes.yaml", &s, &d))
		diag_print(&d, stderr);
	ck_assert(!diag_failed(&d));
	ck_assert_uint_eq(s.iface_count, 2);
	ck_assert_uint_eq(s.ifaces[0].mode_count, 2);
	ck_assert_int_eq(s.ifaces[0].modes[0], VOSFP_MODE_NATIVE);
	ck_assert_int_eq(s.ifaces[0].modes[1], VOSFP_MODE_GENERIC);
	ck_assert_uint_eq(s.ifaces[1].mode_count, 1);
	ck_assert_int_eq(s.ifaces[1].modes[0], VOSFP_MODE_GENERIC);
	desired_free(&s);
}
END_TEST

/* xdp_attach resolved per interface: its own fields, then the top-level ones, then the defaults;
 * interfaces from interface files take the top-level ones. */
START_TEST(test_good_xdp_attach)
{
	static const struct {
		const char *name;
		enum vosfp_attach_method method;
		uint32_t priority, chain;
	} rows[] = {
		{ "veth0", VOSFP_ATTACH_DISPATCHER, 20, 1u << VOSFP_XDP_PASS },	/* all from the top */
		{ "veth1", VOSFP_ATTACH_LINK, 20, 1u << VOSFP_XDP_PASS },	/* its own method */
		{ "veth2", VOSFP_ATTACH_DISPATCHER, 5, 0 },			/* own priority, chain [] */
		{ "veth3", VOSFP_ATTACH_DISPATCHER, 20, 1u << VOSFP_XDP_PASS },	/* an interface file's */
	};
	struct desired s;
	struct diag d = { 0 };

	if (desired_build(CORPUS "/good/xdp-attach.yaml", &s, &d))
		diag_print(&d, stderr);
	ck_assert(!diag_failed(&d));
	ck_assert_uint_eq(s.iface_count, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_str_eq(s.ifaces[i].name, rows[i].name);
		ck_assert_msg(s.ifaces[i].method == rows[i].method && s.ifaces[i].run_priority == rows[i].priority &&
				      s.ifaces[i].chain_call_actions == rows[i].chain,
			      "%s: method %d priority %u chain %#x, expected %d %u %#x", rows[i].name, s.ifaces[i].method,
			      s.ifaces[i].run_priority, s.ifaces[i].chain_call_actions, rows[i].method, rows[i].priority,
			      rows[i].chain);
	}
	desired_free(&s);
	/* Absent: every interface through a bpf_link, the dispatcher's defaults ready. */
	ck_assert_int_eq(desired_build(CORPUS "/good/interface-files.yaml", &s, &d), 0);
	for (unsigned i = 0; i < s.iface_count; i++)
		ck_assert(s.ifaces[i].method == VOSFP_ATTACH_LINK && s.ifaces[i].run_priority == VOSFP_DEFAULT_RUN_PRIORITY &&
			  s.ifaces[i].chain_call_actions == VOSFP_DEFAULT_CHAIN_CALL);
	desired_free(&s);
}
END_TEST

START_TEST(test_iface_line_parse)
{
	static const struct {
		const char *line;
		int ret;
		unsigned modes;
		const char *err;
	} cases[] = {
		{ "eth0\n", 1, 2, NULL },
		{ "  eth0   # comment\n", 1, 2, NULL },
		{ "eth0 offload,native generic", 1, 3, NULL },
		{ "# only a comment", 0, 0, NULL },
		{ "   \r\n", 0, 0, NULL },
		{ "eth0 native native", -EINVAL, 0, "mode 'native' is listed twice" },
		{ "eth0 xdpdrv", -EINVAL, 0, "unknown XDP mode 'xdpdrv'" },
		{ "an-interface-name-too-long", -EINVAL, 0, "not a valid interface name" },
		{ "eth:0", -EINVAL, 0, "not a valid interface name" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct desired_iface di;
		char line[128], err[256] = "";
		int ret;

		snprintf(line, sizeof(line), "%s", cases[i].line);
		ret = iface_line_parse(line, &di, err, sizeof(err));
		ck_assert_msg(ret == cases[i].ret, "'%s': %d, expected %d", cases[i].line, ret, cases[i].ret);
		if (ret > 0)
			ck_assert_uint_eq(di.mode_count, cases[i].modes);
		if (cases[i].err)
			ck_assert_msg(strstr(err, cases[i].err), "'%s': error '%s'", cases[i].line, err);
	}
}
END_TEST

START_TEST(test_good_defaults)
{
	struct desired s;
	struct diag d = { 0 };
	/* Empty lists: every IPv6 entry (none) fits the summaries. */
	const uint32_t flags = VOSFP_F_PORTS | VOSFP_F_V4_SUMMARY | VOSFP_F_V6_SUMMARY_BLOCK | VOSFP_F_V6_SUMMARY_ALLOW |
			       VOSFP_F_V6_PREFIX_INDEX | VOSFP_F_V4_PART_SUMMARY;
	struct vosfp_config want = { .flags = flags };

	ck_assert_int_eq(desired_build(CORPUS "/good/minimal.yaml", &s, &d), 0);
	want.udp_ports[5060 / 8] = 1 << (5060 % 8);
	ck_assert_mem_eq(&s.runtime, &want, sizeof(want));
	ck_assert_str_eq(s.pin_path, "/sys/fs/bpf/vosfp");
	ck_assert_uint_eq(s.blocklist_max, 1048576);
	ck_assert_uint_eq(s.allowlist_max, 65536);
	desired_free(&s);

	/* An empty list is not an absent one: no UDP port inspected. */
	ck_assert_int_eq(desired_build(CORPUS "/good/empty-ports.yaml", &s, &d), 0);
	memset(&want, 0, sizeof(want));
	want.flags = flags;
	ck_assert_mem_eq(&s.runtime, &want, sizeof(want));
	desired_free(&s);
}
END_TEST

/* metrics.listen: off when absent, kept verbatim when given (the endpoint parses it again). */
START_TEST(test_good_metrics)
{
	struct desired s;
	struct diag d = { 0 };

	ck_assert_int_eq(desired_build(CORPUS "/good/minimal.yaml", &s, &d), 0);
	ck_assert_str_eq(s.metrics_listen, "");
	desired_free(&s);
	if (desired_build(CORPUS "/good/metrics.yaml", &s, &d))
		diag_print(&d, stderr);
	ck_assert(!diag_failed(&d));
	ck_assert_str_eq(s.metrics_listen, "[::1]:9477");
	desired_free(&s);
}
END_TEST

/* Flood defence settings into the runtime config: explicit values, then every default. */
START_TEST(test_good_flood_defence)
{
	struct desired s;
	struct diag d = { 0 };
	static const struct { uint32_t rate, burst; } want[VOSFP_METHODS] = {
		[VOSFP_M_REGISTER] = { 5, 5 }, [VOSFP_M_INVITE] = { 1000000, 1000000 },
		[VOSFP_M_OPTIONS] = { 0, 1 }, [VOSFP_M_OTHER] = { 1, 1 },
	};
	struct vosfp_scanner_key k;

	ck_assert_int_eq(desired_build(CORPUS "/good/flood-defence.yaml", &s, &d), 0);
	ck_assert_uint_eq(s.runtime.flags & (VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK | VOSFP_F_SCANNERS),
			  VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK);
	for (int m = 0; m < VOSFP_METHODS; m++) {
		ck_assert_uint_eq(s.runtime.rate[m].rate, want[m].rate);
		ck_assert_uint_eq(s.runtime.rate[m].burst, want[m].burst);
	}
	ck_assert_uint_eq(s.runtime.auto_block_after_ms, 0);
	ck_assert_uint_eq(s.runtime.auto_block_ms, 4294967000u);
	/* Relative to the config's directory, as list files. */
	ck_assert_str_eq(s.autoblock_persist, CORPUS "/good/state/auto_blocked.txt");
	ck_assert_uint_eq(s.scanner_count, 0);
	desired_free(&s);

	/* Scanners alone make timed blocks: auto_block needs no rate limit for them. */
	ck_assert_int_eq(desired_build(CORPUS "/good/scanners-auto-block.yaml", &s, &d), 0);
	ck_assert_uint_eq(s.runtime.flags & (VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK | VOSFP_F_SCANNERS),
			  VOSFP_F_AUTO_BLOCK | VOSFP_F_SCANNERS);
	ck_assert_uint_eq(s.runtime.auto_block_ms, 600000);
	desired_free(&s);

	ck_assert_int_eq(desired_build(CORPUS "/good/flood-defence-defaults.yaml", &s, &d), 0);
	ck_assert_uint_eq(s.runtime.flags & (VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK | VOSFP_F_SCANNERS),
			  VOSFP_F_RATE_LIMIT | VOSFP_F_SCANNERS);
	for (int m = 0; m < VOSFP_METHODS; m++) {
		ck_assert_uint_eq(s.runtime.rate[m].rate, VOSFP_DEFAULT_RATE);
		ck_assert_uint_eq(s.runtime.rate[m].burst, VOSFP_DEFAULT_RATE);
	}
	ck_assert_uint_eq(s.runtime.auto_block_ms, 0);
	ck_assert_str_eq(s.autoblock_persist, "");
	ck_assert_uint_eq(s.scanner_count, scanner_default_count);
	/* Sorted, and keyed on the first word: "friendly" of "friendly-scanner", 8 bytes long. */
	for (unsigned i = 1; i < s.scanner_count; i++)
		ck_assert_int_lt(memcmp(&s.scanners[i - 1], &s.scanners[i], sizeof(k)), 0);
	ck_assert_int_eq(scanner_key("Friendly-Scanner/1.0", &k), 0);
	ck_assert_mem_eq(k.word, "friendly", 8);
	ck_assert_uint_eq(k.len, 8);
	ck_assert_int_eq(scanner_key("VaxSIPUserAgent", &k), 0);
	ck_assert_mem_eq(k.word, "vaxsipus", 8);
	ck_assert_uint_eq(k.len, 15);
	ck_assert_int_eq(scanner_key("iWar", &k), 0);
	ck_assert_mem_eq(k.word, "iwar\0\0\0\0", 8);
	ck_assert_uint_eq(k.len, 4);
	ck_assert_int_eq(scanner_key("/x", &k), -1);
	desired_free(&s);

	/* The defaults of a config without the sections: everything off, as the seed. */
	ck_assert_int_eq(desired_build(CORPUS "/good/minimal.yaml", &s, &d), 0);
	ck_assert_uint_eq(s.runtime.flags & (VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK | VOSFP_F_SCANNERS), 0);
	ck_assert_uint_eq(s.scanner_count, 0);
	desired_free(&s);
}
END_TEST

/* The answer rule and repeat offenders into the runtime config: explicit values, then every
 * default; an answers section alone blocks (for auto_block's default duration) without a rate
 * limit, and turns the egress program on. */
START_TEST(test_good_answers)
{
	struct desired s;
	struct diag d = { 0 };

	ck_assert_int_eq(desired_build(CORPUS "/good/answers.yaml", &s, &d), 0);
	ck_assert_uint_eq(s.runtime.flags & (VOSFP_F_ANSWERS | VOSFP_F_RATE_LIMIT | VOSFP_F_AUTO_BLOCK), VOSFP_F_ANSWERS);
	ck_assert_int_eq(s.egress, 1);
	ck_assert_uint_eq(s.runtime.answers_window_ms, 30000);
	ck_assert_uint_eq(s.runtime.auth_failures_max, 3);
	ck_assert_uint_eq(s.runtime.not_found_max, 0);
	ck_assert_uint_eq(s.runtime.answers_challenge_ms, 5000);
	ck_assert_uint_eq(s.runtime.auto_block_ms, 120000);
	ck_assert_uint_eq(s.runtime.repeat_within_ms, 3600000);
	ck_assert_uint_eq(s.runtime.repeat_factor, 4);
	ck_assert_uint_eq(s.runtime.repeat_max_ms, 86400000);
	ck_assert_str_eq(s.autoblock_persist, CORPUS "/good/state/auto_blocked.txt");
	desired_free(&s);

	ck_assert_int_eq(desired_build(CORPUS "/good/answers-defaults.yaml", &s, &d), 0);
	ck_assert_uint_eq(s.runtime.flags & VOSFP_F_ANSWERS, VOSFP_F_ANSWERS);
	ck_assert_uint_eq(s.runtime.answers_window_ms, VOSFP_DEFAULT_ANSWERS_WINDOW * 1000);
	ck_assert_uint_eq(s.runtime.auth_failures_max, VOSFP_DEFAULT_AUTH_FAILURES);
	ck_assert_uint_eq(s.runtime.not_found_max, VOSFP_DEFAULT_NOT_FOUND);
	ck_assert_uint_eq(s.runtime.answers_challenge_ms, VOSFP_DEFAULT_CHALLENGE * 1000);
	ck_assert_uint_eq(s.runtime.auto_block_ms, VOSFP_DEFAULT_AUTO_BLOCK_DURATION * 1000);
	ck_assert_uint_eq(s.runtime.repeat_within_ms, VOSFP_DEFAULT_REPEAT_WITHIN * 1000);
	ck_assert_uint_eq(s.runtime.repeat_factor, VOSFP_DEFAULT_REPEAT_FACTOR);
	ck_assert_uint_eq(s.runtime.repeat_max_ms, VOSFP_DEFAULT_REPEAT_MAX * 1000u);
	desired_free(&s);

	/* Without the section: no egress program, no answer fields. */
	ck_assert_int_eq(desired_build(CORPUS "/good/flood-defence.yaml", &s, &d), 0);
	ck_assert_int_eq(s.egress, 0);
	ck_assert_uint_eq(s.runtime.flags & VOSFP_F_ANSWERS, 0);
	ck_assert_uint_eq(s.runtime.auth_failures_max + s.runtime.repeat_within_ms, 0);
	desired_free(&s);
}
END_TEST

/* Valid, but said: an IPv4-mapped address is the IPv4 one (one warning per list file), a
 * whole-family prefix in a blocklist is a warning at its own line. */
START_TEST(test_good_with_warnings)
{
	static const char *const want[] = {
		CORPUS "/good/warnings.yaml:6: blocklist.addresses[0]: '::ffff:203.0.113.9' is an IPv4-mapped IPv6 address, read as the IPv4 203.0.113.9",
		CORPUS "/good/warnings.yaml:6: blocklist.addresses[1]: '::/0' in the blocklist drops SIP from every IPv6 source (the allowlist exempts none)",
		CORPUS "/good/lists/mapped.txt:3: '::ffff:198.51.100.2' is an IPv4-mapped IPv6 address, read as the IPv4 198.51.100.2 (the datapath matches an IPv4 packet's source as IPv4); and 1 more line like it",
		CORPUS "/good/lists/mapped.txt:5: '0.0.0.0/0' in the blocklist drops SIP from every IPv4 source",
	};
	struct desired s;
	struct diag d = { 0 };
	struct vosfp_prefix p;

	ck_assert_int_eq(desired_build(CORPUS "/good/warnings.yaml", &s, &d), 0);
	ck_assert_uint_eq(d.count, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int found = 0;

		for (size_t k = 0; k < d.notes_kept; k++)
			found |= !strncmp(d.notes[k], want[i], strlen(want[i]));
		if (!found)
			diag_print(&d, stderr);
		ck_assert_msg(found, "warning missing: %s", want[i]);
	}
	ck_assert_uint_eq(d.notes_count, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(vosfp_prefix_parse("198.51.100.3", &p, NULL, 0), 0);
	ck_assert(prefix_set_contains(&s.blocked, &p));
	ck_assert_int_eq(vosfp_prefix_parse("203.0.113.9", &p, NULL, 0), 0);
	ck_assert(prefix_set_contains(&s.blocked, &p));
	ck_assert_uint_eq(s.blocked.n, 6);	/* .1 .2 .3, 0.0.0.0/0, 203.0.113.9, ::/0 */
	desired_free(&s);
	diag_clear(&d);
}
END_TEST

START_TEST(test_example_config_is_valid)
{
	struct desired s;
	struct diag d = { 0 };

	if (desired_build("etc/vosfp.yaml", &s, &d))
		diag_print(&d, stderr);
	ck_assert_msg(!diag_failed(&d), "etc/vosfp.yaml is not valid as shipped");
	desired_free(&s);
}
END_TEST

TCase *config_tcase(void)
{
	TCase *tc = tcase_create("config");

	scan_corpus();
	tcase_add_test(tc, test_corpus_size);
	tcase_add_loop_test(tc, test_bad_config, 0, bad_count);
	tcase_add_test(tc, test_good_full);
	tcase_add_test(tc, test_good_interface_files);
	tcase_add_test(tc, test_good_xdp_attach);
	tcase_add_test(tc, test_iface_line_parse);
	tcase_add_test(tc, test_good_defaults);
	tcase_add_test(tc, test_good_metrics);
	tcase_add_test(tc, test_good_with_warnings);
	tcase_add_test(tc, test_example_config_is_valid);
	tcase_add_test(tc, test_good_flood_defence);
	tcase_add_test(tc, test_good_answers);
	return tc;
}
