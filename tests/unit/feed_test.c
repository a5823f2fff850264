/* feed_test.c - the CrowdSec feed's pure parts (agent/feeds/): Go durations, decision values,
 * the LAPI answers accepted whole or refused whole, their sort, the held set with the kernel
 * image it gives (covers carried into nested prefixes, merges, expiry, diffs, summaries), the
 * alerts the watcher posts, and the trust check of the secrets' files. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "alert.h"
#include "decision_set.h"
#include "lapi_stream.h"
#include "secret_file.h"

#define S 1000000000LL

START_TEST(go_durations)
{
	static const struct {
		const char *text;
		int ok;
		int64_t ns;
	} rows[] = {
		{ "0", 1, 0 }, { "0s", 1, 0 }, { "4h", 1, 4 * 3600 * S }, { "3h59m58.3s", 1, (3 * 3600 + 59 * 60 + 58) * S + 300000000 },
		{ "-14.247294ms", 1, -14247294 }, { "+1m", 1, 60 * S }, { "1.5us", 1, 1500 }, { "2\xc2\xb5s", 1, 2000 },
		{ "2\xce\xbcs", 1, 2000 }, { "7ns", 1, 7 }, { ".5s", 1, S / 2 }, { "1.s", 1, S },
		{ "1h1h", 1, 7200 * S }, { "2562047h47m16.854775807s", 1, INT64_MAX },
		{ "-2562047h47m16.854775808s", 1, INT64_MIN },
		{ "", 0, 0 }, { "-", 0, 0 }, { "5", 0, 0 }, { "1d", 0, 0 }, { "s", 0, 0 }, { ".s", 0, 0 },
		{ "1 s", 0, 0 }, { "1s ", 0, 0 }, { "2562047h47m16.854775808s", 0, 0 },
		{ "99999999999999999999s", 0, 0 }, { "1.2.3s", 0, 0 }, { "--1s", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t ns = 12345;
		int ret = decision_duration_parse(rows[i].text, &ns);

		ck_assert_msg((ret == 0) == rows[i].ok, "'%s': %s", rows[i].text, ret ? "refused" : "accepted");
		if (rows[i].ok)
			ck_assert_msg(ns == rows[i].ns, "'%s': %lld ns, expected %lld", rows[i].text, (long long)ns,
				      (long long)rows[i].ns);
	}
}
END_TEST

START_TEST(decision_values)
{
	static const struct {
		int range;
		const char *value;
		const char *canonical;	/* NULL: refused */
	} rows[] = {
		{ 0, "198.51.100.7", "198.51.100.7" }, { 0, "2001:db8::5", "2001:db8::5" },
		{ 0, "198.51.100.7/32", "198.51.100.7" }, { 0, "::ffff:198.51.100.8", "198.51.100.8" },
		{ 1, "198.51.100.0/24", "198.51.100.0/24" }, { 1, "198.51.100.7/24", "198.51.100.0/24" },
		{ 1, "2001:db8:1::/48", "2001:db8:1::/48" }, { 1, "2001:db8:1:2::/48", "2001:db8:1::/48" },
		{ 1, "::ffff:198.51.100.0/120", "198.51.100.0/24" }, { 1, "0.0.0.0/0", "0.0.0.0/0" },
		{ 1, "198.51.100.7/32", "198.51.100.7" },
		{ 0, "198.51.100.0/24", NULL }, { 0, "198.51.100.999", NULL }, { 0, "", NULL },
		{ 0, "example.com", NULL }, { 1, "198.51.100.0", NULL }, { 1, "198.51.100.0/33", NULL },
		{ 1, "198.51.100.0/024", NULL }, { 1, "198.51.100.0/", NULL }, { 1, "2001:db8::/129", NULL },
		{ 0, " 198.51.100.7", NULL }, { 1, "198.51.100.0/24/8", NULL }, { 0, "fe80::1%eth0", NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vosfp_prefix p;
		char err[96] = "", text[VOSFP_PREFIX_STRLEN];
		int ret = decision_value_parse(rows[i].range, rows[i].value, &p, err, sizeof(err));

		if (!rows[i].canonical) {
			ck_assert_msg(ret == -1 && err[0], "'%s' (range %d) accepted", rows[i].value, rows[i].range);
			continue;
		}
		ck_assert_msg(ret == 0, "'%s' (range %d): %s", rows[i].value, rows[i].range, err);
		ck_assert_str_eq(vosfp_prefix_str(&p, text, sizeof(text)), rows[i].canonical);
	}
}
END_TEST

START_TEST(origin_classes)
{
	static const struct {
		const char *origin, *scenario;
		uint8_t want;
	} rows[] = {
		{ "crowdsec", "crowdsecurity/ssh-bf", VOSFP_ORIGIN_CROWDSEC }, { "cscli", NULL, VOSFP_ORIGIN_CSCLI },
		{ "cscli-import", "", VOSFP_ORIGIN_CSCLI }, { "CAPI", "crowdsecurity/community-blocklist", VOSFP_ORIGIN_LISTS },
		{ "lists", "firehol_cybercrime", VOSFP_ORIGIN_LISTS }, { "crowdsec", "vosfp/sip-flood", VOSFP_ORIGIN_VOSFP },
		{ "cscli", "vosfp/auto-block", VOSFP_ORIGIN_VOSFP }, { "appsec", NULL, VOSFP_ORIGIN_OTHER },
		{ "crowdsec", "vosfpx/sip-flood", VOSFP_ORIGIN_CROWDSEC },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(decision_origin_class(rows[i].origin, rows[i].scenario) == rows[i].want, "%s %s",
			      rows[i].origin, rows[i].scenario ? rows[i].scenario : "(none)");
	ck_assert_str_eq(decision_origin_name(VOSFP_ORIGIN_LISTS), "lists");
	ck_assert_str_eq(decision_origin_name(200), "other");
}
END_TEST

static const char *const ban[] = { "ban" };
static const struct lapi_filter ip_and_range = { .scopes = LAPI_SCOPE_IP | LAPI_SCOPE_RANGE, .types = ban,
						 .type_count = 1 };

#define D(scope, value, type, duration, origin)                                                      \
	"{\"duration\":\"" duration "\",\"id\":1,\"origin\":\"" origin "\",\"scenario\":\"s\",\"scope\":\"" \
	scope "\",\"type\":\"" type "\",\"value\":\"" value "\"}"

/* Answers accepted whole: how many new/deleted decisions come out, how many set aside. */
START_TEST(stream_accepted)
{
	static const struct {
		const char *body;
		size_t add, del, skipped_scope, skipped_type, skipped_expired;
	} rows[] = {
		{ "{\"deleted\":null,\"new\":null}", 0, 0, 0, 0, 0 },
		{ " {} ", 0, 0, 0, 0, 0 },
		{ "{\"new\":[" D("Ip", "198.51.100.7", "ban", "4h", "cscli") "," D("Range", "198.51.100.0/24", "ban", "1m",
		  "crowdsec") "],\"deleted\":[" D("Ip", "2001:db8::5", "ban", "-1.5s", "cscli") "]}", 2, 1, 0, 0, 0 },
		/* LAPI's own shape, with whitespace between the tokens. */
		{ "{\n \"deleted\" : [ ] ,\n \"new\" : [\n  " D("ip", "198.51.100.7", "BAN", "1s", "CAPI") "\n ]\n}\n", 1, 0, 0, 0, 0 },
		/* Set aside, counted: another scope (its value is not an address), another type, over. */
		{ "{\"new\":[" D("Country", "FR", "ban", "4h", "cscli") "," D("Ip", "198.51.100.8", "captcha", "4h", "cscli")
		  "," D("Ip", "198.51.100.9", "ban", "-3s", "cscli") "," D("Ip", "198.51.100.10", "ban", "0s", "cscli") "]}",
		  0, 0, 1, 1, 2 },
		/* Keys a newer LAPI may add are stepped over, whatever they hold. */
		{ "{\"new\":[],\"links\":{\"next\":[1,{\"a\":null}]},\"deleted\":null}", 0, 0, 0, 0, 0 },
		{ "{\"new\":[{\"scope\":\"Ip\",\"value\":\"198.51.100.7\",\"type\":\"ban\",\"duration\":\"1h\",\"origin\":\"x\","
		  "\"until\":\"2030-01-01T00:00:00Z\",\"simulated\":false,\"uuid\":\"u\"}]}", 1, 0, 0, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lapi_batch b;
		char err[256] = "";
		int ret = lapi_stream_parse(rows[i].body, strlen(rows[i].body), &ip_and_range, &b, err, sizeof(err));

		ck_assert_msg(ret == 0, "row %zu refused: %s", i, err);
		ck_assert_msg(b.add.n == rows[i].add && b.del.n == rows[i].del, "row %zu: %zu new, %zu deleted", i,
			      b.add.n, b.del.n);
		ck_assert_uint_eq(b.skipped[LAPI_SKIP_SCOPE], rows[i].skipped_scope);
		ck_assert_uint_eq(b.skipped[LAPI_SKIP_TYPE], rows[i].skipped_type);
		ck_assert_uint_eq(b.skipped[LAPI_SKIP_EXPIRED], rows[i].skipped_expired);
		lapi_batch_free(&b);
	}
}
END_TEST

/* Answers refused whole, each with the reason it must give. */
START_TEST(stream_refused)
{
	static const struct {
		const char *body;
		const char *reason;
	} rows[] = {
		{ "", "expected a JSON object" },
		{ "[]", "expected a JSON object" },
		{ "{\"new\":[" D("Ip", "198.51.100.7", "ban", "4h", "cscli") "," D("Ip", "198.51.100.999", "ban", "4h", "cscli")
		  "]}", "new[1]: value '198.51.100.999' (scope Ip): not an IPv4 or IPv6 address" },
		{ "{\"new\":[" D("Range", "198.51.100.0/40", "ban", "4h", "cscli") "]}", "new[0]: value '198.51.100.0/40'" },
		{ "{\"new\":[" D("Ip", "198.51.100.7", "ban", "4 hours", "cscli") "]}", "new[0]: duration '4 hours'" },
		{ "{\"new\":[" D("Ip", "198.51.100.7", "ban", "4h", "cscli"), "truncated" },
		{ "{\"new\":[{\"scope\":\"Ip\",\"value\":\"198.51.100.7\",\"type\":\"ban\",\"duration\":\"4h\"", "truncated" },
		{ "{\"new\":[{\"scope\":\"Ip\",\"value\":7,\"type\":\"ban\",\"duration\":\"4h\",\"origin\":\"o\"}]}",
		  "new[0]: expected the strings" },
		{ "{\"new\":[{\"scope\":\"Ip\",\"type\":\"ban\",\"duration\":\"4h\",\"origin\":\"o\"}]}", "new[0]: expected the strings" },
		{ "{\"new\":[{\"scope\":\"Ip\",\"value\":\"198.51.100.7\",\"type\":\"ban\",\"duration\":\"4h\",\"origin\":\"o\","
		  "\"scenario\":3}]}", "new[0]: expected the strings" },
		{ "{\"new\":[{\"scope\":\"Ip\",\"value\":\"198.51.100.7\\u0000x\",\"type\":\"ban\",\"duration\":\"4h\",\"origin\":\"o\"}]}",
		  "new[0]: expected the strings" },
		{ "{\"new\":[" D("Ip", "198.51.100.7", "ban", "4h", "cscli") ",]}", "new[1]: not valid JSON" },
		{ "{\"new\":[1]}", "new[0]: expected a decision object" },
		{ "{\"new\":{}}", "new: expected a list" },
		{ "{\"new\":nul}", "new: not valid JSON" },
		{ "{\"new\":[],\"new\":[]}", "\"new\" given twice" },
		{ "{\"new\":[]}x", "unexpected bytes after the answer" },
		{ "{\"new\":[]} {}", "unexpected bytes after the answer" },
		{ "{'new':[]}", "a key: not valid JSON" },
		{ "{\"new\" []}", "expected ':'" },
		{ "{\"new\":[] \"deleted\":[]}", "expected ',' or '}'" },
		{ "{\"deleted\":[" D("Ip", "bogus", "ban", "-1s", "cscli") "]}", "deleted[0]: value 'bogus'" },
		{ "{\"new\":[{\"scope\":\"Ip\",\"value\":\"\xff\xfe\",\"type\":\"ban\",\"duration\":\"4h\",\"origin\":\"o\"}]}",
		  "new[0]: not valid JSON" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct lapi_batch b = { .add.n = 99 };
		char err[256] = "";
		int ret = lapi_stream_parse(rows[i].body, strlen(rows[i].body), &ip_and_range, &b, err, sizeof(err));

		ck_assert_msg(ret == -1, "row %zu accepted", i);
		ck_assert_msg(strstr(err, rows[i].reason), "row %zu: '%s', expected '%s'", i, err, rows[i].reason);
		ck_assert_msg(!b.add.n && !b.del.n && !b.add.v, "row %zu: something partial came out", i);
	}
}
END_TEST

START_TEST(stream_filters)
{
	static const char *const origins[] = { "crowdsec", "CAPI" };
	struct lapi_filter only_ranges = { .scopes = LAPI_SCOPE_RANGE, .types = ban, .type_count = 1 };
	struct lapi_filter by_origin = ip_and_range;
	const char body[] = "{\"new\":[" D("Ip", "198.51.100.7", "ban", "4h", "cscli") "," D("Range", "198.51.100.0/24",
		"ban", "4h", "crowdsec") "," D("Ip", "198.51.100.8", "ban", "4h", "CAPI") "]}";
	struct lapi_batch b;
	char err[256];

	ck_assert_int_eq(lapi_stream_parse(body, strlen(body), &only_ranges, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.add.n, 1);
	ck_assert_uint_eq(b.skipped[LAPI_SKIP_SCOPE], 2);
	lapi_batch_free(&b);
	by_origin.origins = origins;
	by_origin.origin_count = 2;
	ck_assert_int_eq(lapi_stream_parse(body, strlen(body), &by_origin, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.add.n, 2);
	ck_assert_uint_eq(b.add.v[1].origin, VOSFP_ORIGIN_LISTS);
	ck_assert_uint_eq(b.skipped[LAPI_SKIP_ORIGIN], 1);
	lapi_batch_free(&b);
}
END_TEST

START_TEST(list_answer)
{
	const char body[] = "[" D("Ip", "198.51.100.7", "ban", "4h", "cscli") "," D("Ip", "198.51.100.7", "ban", "2h",
		"crowdsec") "," D("Ip", "198.51.100.9", "captcha", "4h", "cscli") ",{\"duration\":\"1m\",\"origin\":"
		"\"crowdsec\",\"scenario\":\"vosfp/sip-flood\",\"scope\":\"Ip\",\"type\":\"ban\",\"value\":\"192.0.2.1\"}]";
	struct lapi_batch b;
	char err[256];

	ck_assert_int_eq(lapi_list_parse(body, strlen(body), &ip_and_range, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.add.n, 3);
	ck_assert_uint_eq(b.add.v[1].origin, VOSFP_ORIGIN_CROWDSEC);
	ck_assert_uint_eq(b.add.v[2].origin, VOSFP_ORIGIN_VOSFP);
	ck_assert_uint_eq(b.skipped[LAPI_SKIP_TYPE], 1);
	lapi_batch_free(&b);
	ck_assert_int_eq(lapi_list_parse("null", 4, &ip_and_range, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.add.n, 0);
	ck_assert_int_eq(lapi_list_parse("{}", 2, &ip_and_range, &b, err, sizeof(err)), -1);
}
END_TEST

/* ---- the held set ---- */

static struct lapi_list list_of(const char *const *values, const int64_t *seconds, uint8_t origin, size_t n)
{
	struct lapi_list l = { .v = calloc(n + 1, sizeof(*l.v)), .n = n, .cap = n };
	char err[96];

	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(decision_value_parse(strchr(values[i], '/') != NULL, values[i], &l.v[i].prefix, err,
						   sizeof(err)) == 0, "%s: %s", values[i], err);
		l.v[i].duration_ns = seconds ? seconds[i] * S : 0;
		l.v[i].origin = origin;
	}
	return l;
}

/* The set as "prefix@expiry_s" words, in order. */
static const char *held(const struct decision_set *s, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n && used < len; i++) {
		char text[VOSFP_PREFIX_STRLEN];

		used += (size_t)snprintf(buf + used, len - used, "%s%s@%llu", i ? " " : "",
					 vosfp_prefix_str(&s->v[i].prefix, text, sizeof(text)),
					 (unsigned long long)(s->v[i].expires / S));
	}
	return buf;
}

START_TEST(set_replace_and_update)
{
	static const char *const start[] = { "198.51.100.0/24", "2001:db8::5", "198.51.100.7", "198.51.100.7", "10.0.0.1" };
	static const int64_t start_s[] = { 100, 50, 30, 60, -1 };
	static const char *const more[] = { "198.51.100.7", "10.0.0.2", "198.51.100.0/24" };
	static const int64_t more_s[] = { 10, 20, 500 };
	static const char *const gone[] = { "2001:db8::5", "10.9.9.9", "198.51.100.0/24" };
	struct lapi_list a = list_of(start, start_s, VOSFP_ORIGIN_CSCLI, 5);
	struct lapi_list b = list_of(more, more_s, VOSFP_ORIGIN_CROWDSEC, 3);
	struct lapi_list d = list_of(gone, NULL, 0, 3);
	struct lapi_list none = { 0 };
	struct decision_set s = { 0 };
	char buf[512];

	/* Sorted by family, address, length; one per prefix, the later expiry; the over one dropped. */
	ck_assert_int_eq(decision_set_replace(&s, &a, 1000 * S), 0);
	ck_assert_str_eq(held(&s, buf, sizeof(buf)), "198.51.100.0/24@1100 198.51.100.7@1060 2001:db8::5@1050");
	/* A shorter decision arriving later never cuts a held one short; a deleted-then-new one
	 * takes the new expiry; unknown deletions are nothing. */
	ck_assert_int_eq(decision_set_update(&s, &b, &d, 2000 * S), 0);
	ck_assert_str_eq(held(&s, buf, sizeof(buf)), "10.0.0.2@2020 198.51.100.0/24@2500 198.51.100.7@2010");
	ck_assert_int_eq(decision_set_update(&s, &none, &d, 2000 * S), 0);
	ck_assert_str_eq(held(&s, buf, sizeof(buf)), "10.0.0.2@2020 198.51.100.7@2010");
	ck_assert_uint_eq(decision_set_next_expiry(&s), 2010 * S);
	ck_assert_uint_eq(decision_set_expire(&s, 2010 * S), 1);
	ck_assert_str_eq(held(&s, buf, sizeof(buf)), "10.0.0.2@2020");
	/* A startup answer replaces everything. */
	ck_assert_int_eq(decision_set_replace(&s, &none, 3000 * S), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(decision_set_next_expiry(&s), UINT64_MAX);
	free(a.v);
	free(b.v);
	free(d.v);
	decision_set_free(&s);
}
END_TEST

/* decision_sort on a big mixed array (the radix path for IPv4, from 64 decisions on): the order of
 * decision_cmp, nothing lost or duplicated, and equal prefixes kept in their input order (a
 * startup answer's duplicates keep the first of equal expiries, as qsort did). */
START_TEST(sort_big_mixed)
{
	enum { N = 5000 };
	static struct decision v[N];
	static unsigned seen[N];
	uint32_t x = 0x5EC0FF;

	for (size_t i = 0; i < N; i++) {
		struct vosfp_prefix *p = &v[i].prefix;

		x = x * 1103515245u + 12345u;	/* small values so that duplicates happen */
		memset(p, 0, sizeof(*p));
		p->family = (x >> 8) % 10 == 0 ? 6 : 4;
		p->addr[0] = (uint8_t)(x >> 24) % 4 + 10;
		p->addr[1] = (uint8_t)(x >> 16) % 3;
		p->addr[3] = (uint8_t)(x >> 12) % 5;
		p->addr[15] = p->family == 6 ? (uint8_t)(x >> 4) % 3 : 0;
		p->len = p->family == 6 ? 128 : (x >> 20) % 4 == 0 ? 24 : 32;
		if (p->len == 24)
			p->addr[3] = 0;
		v[i].expires = i;	/* the input order */
	}
	decision_sort(v, N);
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < N; i++) {
		ck_assert_uint_lt(v[i].expires, N);
		ck_assert_msg(!seen[v[i].expires]++, "decision %llu twice", (unsigned long long)v[i].expires);
		if (i) {
			int c = decision_cmp(&v[i - 1].prefix, &v[i].prefix);

			ck_assert_msg(c < 0 || (c == 0 && v[i - 1].expires < v[i].expires),
				      "at %zu: out of order (cmp %d, input %llu then %llu)", i, c,
				      (unsigned long long)v[i - 1].expires, (unsigned long long)v[i].expires);
		}
	}
}
END_TEST

/* Each entry carries the latest expiry of its covers, so the kernel's longest match settles it. */
START_TEST(image_carries_covers)
{
	static const char *const v[] = { "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "10.2.0.0/16",
					 "11.0.0.1", "2001:db8::/32", "2001:db8::1" };
	static const int64_t secs[] = { 500, 100, 900, 50, 10, 70, 40, 80 };
	static const struct {
		uint64_t expires, own;
	} want[] = { { 500, 500 }, { 500, 100 }, { 900, 900 }, { 900, 50 }, { 500, 10 }, { 70, 70 }, { 40, 40 }, { 80, 80 } };
	struct lapi_list l = list_of(v, secs, VOSFP_ORIGIN_LISTS, 8);
	struct decision_set s = { 0 }, back;
	struct decision_image img, empty = { 0 }, w, r;
	size_t counts[VOSFP_ORIGINS][2];

	l.v[2].origin = VOSFP_ORIGIN_CSCLI;
	ck_assert_int_eq(decision_set_replace(&s, &l, 0), 0);
	ck_assert_int_eq(decision_image_build(&s, &img), 0);
	ck_assert_uint_eq(img.n, 8);
	for (size_t i = 0; i < img.n; i++) {
		ck_assert_msg(img.v[i].value.expires == want[i].expires * S && img.v[i].value.own_expires == want[i].own * S,
			      "entry %zu: expires %llu own %llu", i, (unsigned long long)(img.v[i].value.expires / S),
			      (unsigned long long)(img.v[i].value.own_expires / S));
	}
	/* 10.1.2.3 (own origin lists) is dropped under its /24's origin, cscli. */
	ck_assert_uint_eq(img.v[3].value.origin, VOSFP_ORIGIN_CSCLI);
	ck_assert_uint_eq(img.v[3].value.own_origin, VOSFP_ORIGIN_LISTS);
	decision_set_count(&s, counts);
	ck_assert_uint_eq(counts[VOSFP_ORIGIN_LISTS][0], 3);
	ck_assert_uint_eq(counts[VOSFP_ORIGIN_LISTS][1], 4);
	ck_assert_uint_eq(counts[VOSFP_ORIGIN_CSCLI][1], 1);
	/* Back from the image: the own decisions, those live at 60 s. */
	ck_assert_int_eq(decision_set_from_image(&img, 60 * S, &back), 0);
	ck_assert_uint_eq(back.n, 5);
	/* From nothing: everything is written; to nothing: everything removed. */
	ck_assert_int_eq(decision_image_diff(&empty, &img, &w, &r), 0);
	ck_assert_uint_eq(w.n, 8);
	ck_assert_uint_eq(r.n, 0);
	decision_image_free(&w);
	decision_image_free(&r);
	ck_assert_int_eq(decision_image_diff(&img, &empty, &w, &r), 0);
	ck_assert_uint_eq(w.n, 0);
	ck_assert_uint_eq(r.n, 8);
	decision_image_free(&w);
	decision_image_free(&r);
	free(l.v);
	decision_set_free(&s);
	decision_set_free(&back);
	decision_image_free(&img);
}
END_TEST

/* An incremental change rewrites only what it changes, nested entries whose cover changed
 * included. */
START_TEST(image_diff_is_minimal)
{
	static const char *const v[] = { "10.0.0.0/8", "10.1.2.3", "10.9.9.9", "192.0.2.1" };
	static const int64_t secs[] = { 100, 50, 500, 60 };
	static const char *const grow[] = { "10.0.0.0/8" };
	static const int64_t grow_s[] = { 300 };
	struct lapi_list l = list_of(v, secs, VOSFP_ORIGIN_LISTS, 4), g = list_of(grow, grow_s, VOSFP_ORIGIN_LISTS, 1);
	struct lapi_list none = { 0 };
	struct decision_set s = { 0 };
	struct decision_image before, after, w, r;
	char text[VOSFP_PREFIX_STRLEN];

	ck_assert_int_eq(decision_set_replace(&s, &l, 0), 0);
	ck_assert_int_eq(decision_image_build(&s, &before), 0);
	ck_assert_int_eq(decision_set_update(&s, &g, &none, 0), 0);
	ck_assert_int_eq(decision_image_build(&s, &after), 0);
	ck_assert_int_eq(decision_image_diff(&before, &after, &w, &r), 0);
	/* The /8 itself and 10.1.2.3 under it; 10.9.9.9 keeps its own later expiry; 192.0.2.1 untouched. */
	ck_assert_uint_eq(w.n, 2);
	ck_assert_str_eq(vosfp_prefix_str(&w.v[0].prefix, text, sizeof(text)), "10.0.0.0/8");
	ck_assert_str_eq(vosfp_prefix_str(&w.v[1].prefix, text, sizeof(text)), "10.1.2.3");
	ck_assert_uint_eq(w.v[1].value.expires, 300 * S);
	ck_assert_uint_eq(r.n, 0);
	decision_image_free(&w);
	decision_image_free(&r);
	free(l.v);
	free(g.v);
	decision_set_free(&s);
	decision_image_free(&before);
	decision_image_free(&after);
}
END_TEST

START_TEST(image_summaries)
{
	static const char *const v[] = { "198.51.100.7", "203.0.113.0/23", "2001:db8::1", "2001:da0::/28" };
	static const int64_t secs[] = { 1, 1, 1, 1 };
	struct lapi_list l = list_of(v, secs, VOSFP_ORIGIN_LISTS, 4);
	uint64_t *w[DECISION_SUMS];
	struct decision_set s = { 0 };
	struct decision_image img;
	size_t set = 0;
	uint32_t slash24 = (198u << 16 | 51u << 8 | 100u);

	for (int k = 0; k < DECISION_SUMS; k++)
		ck_assert_ptr_nonnull(w[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t)));
	ck_assert_int_eq(decision_set_replace(&s, &l, 0), 0);
	ck_assert_int_eq(decision_image_build(&s, &img), 0);
	decision_summaries(&img, w);
	ck_assert(w[DECISION_SUM_V4][slash24 >> 6] & (1ULL << (slash24 & 63)));
	for (int k = 0; k < DECISION_SUMS; k++)
		for (uint32_t i = 0; i < SUMMARY_WORDS; i++)
			set += (size_t)__builtin_popcountll(w[k][i]);
	/* One /24, the two of the /23, one hashed /32, the /24 the IPv6 /28 lies in. */
	ck_assert_uint_eq(set, 1 + 2 + 1 + 1);
	for (int k = 0; k < DECISION_SUMS; k++)
		free(w[k]);
	free(l.v);
	decision_set_free(&s);
	decision_image_free(&img);
}
END_TEST

/* ---- alerts ---- */

static const char *str_at(json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		ck_assert_msg(json_object_object_get_ex(o, key, &o), "no %s", key);
		path = dot + 1;
	}
	ck_assert_msg(json_object_object_get_ex(o, path, &o), "no %s", path);
	return json_object_get_string(o);
}

START_TEST(alerts_posted)
{
	struct autoblock b[2] = { { .expires = 1000 * S + 1, .reason = VOSFP_REASON_RATE, .method = VOSFP_M_REGISTER },
				  { .expires = 700 * S, .reason = 77 } };
	json_object *all, *a, *d;
	size_t n;
	const char *const *names = alert_scenarios(&n);
	char *text;

	ck_assert_int_eq(autoblock_key_parse("198.51.100.9", &b[0].key), 0);
	ck_assert_int_eq(autoblock_key_parse("2001:db8::9", &b[1].key), 0);
	text = alert_json(b, 2, 400 * S, 1800000000LL, "edge1");
	ck_assert_ptr_nonnull(text);
	all = json_tokener_parse(text);
	ck_assert_msg(all && json_object_is_type(all, json_type_array) && json_object_array_length(all) == 2, "%s", text);
	a = json_object_array_get_idx(all, 0);
	ck_assert_str_eq(str_at(a, "scenario"), "vosfp/sip-flood");
	ck_assert_str_eq(str_at(a, "source.scope"), "Ip");
	ck_assert_str_eq(str_at(a, "source.value"), "198.51.100.9");
	ck_assert_str_eq(str_at(a, "start_at"), "2027-01-15T08:00:00Z");
	ck_assert_str_eq(str_at(a, "message"), "vosfp on edge1: 198.51.100.9 auto-blocked for 601 s (rate limit REGISTER)");
	ck_assert(json_object_object_get_ex(a, "decisions", &d) && json_object_array_length(d) == 1);
	d = json_object_array_get_idx(d, 0);
	ck_assert_str_eq(str_at(d, "duration"), "601s");
	ck_assert_str_eq(str_at(d, "origin"), "crowdsec");
	ck_assert_str_eq(str_at(d, "type"), "ban");
	ck_assert_str_eq(str_at(d, "value"), "198.51.100.9");
	/* A reason this file has no row for: the generic scenario, and still its own decision. */
	a = json_object_array_get_idx(all, 1);
	ck_assert_str_eq(str_at(a, "scenario"), ALERT_SCENARIO_OTHER);
	ck_assert_str_eq(str_at(a, "source.value"), "2001:db8::9");
	/* The answer rule's reasons have scenarios of their own. */
	ck_assert_str_eq(alert_scenario(VOSFP_REASON_AUTH_FAILURES), "vosfp/sip-bruteforce");
	ck_assert_str_eq(alert_scenario(VOSFP_REASON_ENUMERATION), "vosfp/sip-enumeration");
	ck_assert_str_eq(alert_scenario(VOSFP_REASON_SCANNER), "vosfp/sip-scanner");
	/* What comes back under these scenarios is class vosfp; the login names every one. */
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(decision_origin_class(DECISION_OWN_ORIGIN, names[i]), VOSFP_ORIGIN_VOSFP);
	ck_assert_str_eq(names[n - 1], ALERT_SCENARIO_OTHER);
	json_object_put(all);
	free(text);
}
END_TEST

/* ---- secret files ---- */

/* A file under a fresh directory of the given mode; returns its path (static buffer). */
static const char *secret(const char *dir_mode_name, mode_t dir_mode, const char *content, mode_t mode)
{
	static char path[256];
	char dir[192];
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/vosfp-feed-test-%d-%s", (int)getpid(), dir_mode_name);
	mkdir(dir, 0700);
	ck_assert_int_eq(chmod(dir, dir_mode), 0);
	snprintf(path, sizeof(path), "%s/secret", dir);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static void secret_gone(const char *dir_mode_name)
{
	char path[256];

	snprintf(path, sizeof(path), "/tmp/vosfp-feed-test-%d-%s/secret", (int)getpid(), dir_mode_name);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
}

START_TEST(secret_files_trusted)
{
	static const struct {
		mode_t dir_mode;
		const char *content;
		mode_t mode;
		const char *key;	/* NULL: refused, with err containing `why` */
		const char *why;
	} rows[] = {
		{ 0700, "0123456789abcdef\n", 0600, "0123456789abcdef", NULL },
		{ 0700, "  k3y-with_symbols.~!  \r\nsecond line\n", 0400, "k3y-with_symbols.~!", NULL },
		{ 01777, "sticky-dir-is-fine\n", 0600, "sticky-dir-is-fine", NULL },
		{ 0755, "other-read-only-dir\n", 0600, "other-read-only-dir", NULL },
		{ 0700, "key\n", 0644, NULL, "mode 0644 lets group or others at a secret" },
		{ 0700, "key\n", 0640, NULL, "mode 0640" },
		{ 0700, "key\n", 0604, NULL, "mode 0604" },
		{ 0770, "key\n", 0600, NULL, "writable by group or others (mode 0770)" },
		{ 0777, "key\n", 0600, NULL, "(mode 0777), who could replace the file" },
		{ 0700, "\n", 0600, NULL, "expected the API key on its first line" },
		{ 0700, "two words\n", 0600, NULL, "a space or a non-ASCII byte" },
		{ 0700, "caf\xc3\xa9\n", 0600, NULL, "a space or a non-ASCII byte" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char name[16], key[SECRET_KEY_MAX + 1] = "", err[512] = "";
		const char *path;
		int ret;

		snprintf(name, sizeof(name), "row%zu", i);
		path = secret(name, rows[i].dir_mode, rows[i].content, rows[i].mode);
		ret = secret_key_read(path, key, err, sizeof(err));
		if (rows[i].key) {
			ck_assert_msg(ret == 0, "row %zu refused: %s", i, err);
			ck_assert_str_eq(key, rows[i].key);
		} else {
			ck_assert_msg(ret == -1 && strstr(err, rows[i].why) && strstr(err, path),
				      "row %zu: '%s', expected '%s' naming %s", i, err, rows[i].why, path);
			ck_assert_msg(!strstr(err, "key\n"), "row %zu: the message quotes the file", i);
		}
		secret_gone(name);
	}
}
END_TEST

START_TEST(machine_credentials)
{
	struct machine_credentials m;
	char err[512] = "";
	const char *path = secret("creds", 0700, "url: http://127.0.0.1:8080\nlogin: vosfp-edge1\npassword: s3cret\n", 0600);

	ck_assert_msg(secret_credentials_read(path, &m, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(m.login, "vosfp-edge1");
	ck_assert_str_eq(m.password, "s3cret");
	path = secret("creds", 0700, "login: vosfp-edge1\n", 0600);
	ck_assert_int_eq(secret_credentials_read(path, &m, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "expected YAML with login: and password:"), "%s", err);
	path = secret("creds", 0700, "login: vosfp-edge1\npassword: s3cret\n", 0644);
	ck_assert_int_eq(secret_credentials_read(path, &m, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "mode 0644") && !strstr(err, "s3cret"), "%s", err);
	secret_gone("creds");
}
END_TEST

TCase *feed_tcase(void)
{
	TCase *tc = tcase_create("feed");

	tcase_add_test(tc, go_durations);
	tcase_add_test(tc, decision_values);
	tcase_add_test(tc, origin_classes);
	tcase_add_test(tc, stream_accepted);
	tcase_add_test(tc, stream_refused);
	tcase_add_test(tc, stream_filters);
	tcase_add_test(tc, list_answer);
	tcase_add_test(tc, set_replace_and_update);
	tcase_add_test(tc, sort_big_mixed);
	tcase_add_test(tc, image_carries_covers);
	tcase_add_test(tc, image_diff_is_minimal);
	tcase_add_test(tc, image_summaries);
	tcase_add_test(tc, alerts_posted);
	tcase_add_test(tc, secret_files_trusted);
	tcase_add_test(tc, machine_credentials);
	return tc;
}
