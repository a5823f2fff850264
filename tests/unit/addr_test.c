/* addr_test.c - address and prefix parsing, printing and key layout. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

struct parse_row {
	const char *text;
	int ok;
	int family, len;
	const char *canonical;	/* ok rows: printed form; bad rows: part of the message */
};

static const struct parse_row parse_rows[] = {
	{ "198.51.100.7", 1, 4, 32, "198.51.100.7" },
	{ "198.51.100.7/32", 1, 4, 32, "198.51.100.7" },
	{ "203.0.113.0/24", 1, 4, 24, "203.0.113.0/24" },
	{ "0.0.0.0/0", 1, 4, 0, "0.0.0.0/0" },
	{ "10.128.0.0/9", 1, 4, 9, "10.128.0.0/9" },
	{ "2001:db8::/32", 1, 6, 32, "2001:db8::/32" },
	{ "2001:DB8:0:0::1", 1, 6, 128, "2001:db8::1" },
	{ "::/0", 1, 6, 0, "::/0" },
	/* IPv4-mapped: the IPv4 address or prefix it maps (the datapath matches IPv4 as IPv4). */
	{ "::ffff:198.51.100.7", 1, 4, 32, "198.51.100.7" },
	{ "::FFFF:C633:6407", 1, 4, 32, "198.51.100.7" },
	{ "::ffff:198.51.100.0/120", 1, 4, 24, "198.51.100.0/24" },
	{ "::ffff:0.0.0.0/96", 1, 4, 0, "0.0.0.0/0" },
	{ "::ffff:198.51.100.7/120", 0, 0, 0, "host bits set: expected the network address (::ffff:198.51.100.0/120)" },
	{ "::fffe:0:0/95", 1, 6, 95, "::fffe:0:0/95" },
	{ "::198.51.100.7", 1, 6, 128, "::198.51.100.7" },
	{ "2001:db8::1/128", 1, 6, 128, "2001:db8::1" },
	{ "203.0.113.1/24", 0, 0, 0, "host bits set: expected the network address (203.0.113.0/24)" },
	{ "2001:db8::1/32", 0, 0, 0, "host bits set: expected the network address (2001:db8::/32)" },
	{ "10.0.0.0/33", 0, 0, 0, "prefix length must be a number from 0 to 32" },
	{ "2001:db8::/129", 0, 0, 0, "prefix length must be a number from 0 to 128" },
	{ "10.0.0.0/", 0, 0, 0, "prefix length must be a number from 0 to 32" },
	{ "10.0.0.0/-1", 0, 0, 0, "prefix length" },
	{ "10.0.0.0/08", 0, 0, 0, "prefix length" },
	{ "10.0.0.0/ 8", 0, 0, 0, "prefix length" },
	{ "10.0.0.0/8/8", 0, 0, 0, "prefix length" },
	{ "256.1.1.1", 0, 0, 0, "is not an IPv4 or IPv6 address" },
	{ "1.2.3", 0, 0, 0, "is not an IPv4 or IPv6 address" },
	{ "example.com", 0, 0, 0, "is not an IPv4 or IPv6 address" },
	{ " 1.2.3.4", 0, 0, 0, "is not an IPv4 or IPv6 address" },
	{ "2001:db8::g", 0, 0, 0, "is not an IPv4 or IPv6 address" },
	{ "", 0, 0, 0, "empty address" },
};

START_TEST(test_prefix_parse)
{
	const struct parse_row *r = &parse_rows[_i];
	struct vosfp_prefix p;
	char err[256] = "", buf[VOSFP_PREFIX_STRLEN];
	int ret = vosfp_prefix_parse(r->text, &p, err, sizeof(err));

	if (r->ok) {
		ck_assert_msg(ret == 0, "'%s' rejected: %s", r->text, err);
		ck_assert_int_eq(p.family, r->family);
		ck_assert_int_eq(p.len, r->len);
		ck_assert_str_eq(vosfp_prefix_str(&p, buf, sizeof(buf)), r->canonical);
	} else {
		ck_assert_msg(ret < 0, "'%s' accepted", r->text);
		ck_assert_msg(strstr(err, r->canonical), "'%s': message '%s' lacks '%s'", r->text, err,
			      r->canonical);
	}
}
END_TEST

START_TEST(test_prefix_keys)
{
	struct vosfp_prefix p;
	struct vosfp_lpm4_key k4;
	struct vosfp_lpm6_key k6;
	__u8 key[VOSFP_LIST_KEY_MAX];

	ck_assert_int_eq(vosfp_prefix_parse("198.51.100.7", &p, NULL, 0), 0);
	ck_assert_int_eq(vosfp_prefix_map(&p), VOSFP_LIST_EXACT4);
	ck_assert_uint_eq(vosfp_prefix_key(&p, key), 4);
	ck_assert_mem_eq(key, "\xc6\x33\x64\x07", 4);

	ck_assert_int_eq(vosfp_prefix_parse("203.0.113.0/24", &p, NULL, 0), 0);
	ck_assert_int_eq(vosfp_prefix_map(&p), VOSFP_LIST_NETS4);
	ck_assert_uint_eq(vosfp_prefix_key(&p, key), sizeof(k4));
	memcpy(&k4, key, sizeof(k4));
	ck_assert_uint_eq(k4.prefixlen, 24);
	ck_assert_mem_eq(k4.addr, "\xcb\x00\x71\x00", 4);

	ck_assert_int_eq(vosfp_prefix_parse("2001:db8::7", &p, NULL, 0), 0);
	ck_assert_int_eq(vosfp_prefix_map(&p), VOSFP_LIST_EXACT6);
	ck_assert_uint_eq(vosfp_prefix_key(&p, key), 16);

	ck_assert_int_eq(vosfp_prefix_parse("2001:db8::/32", &p, NULL, 0), 0);
	ck_assert_int_eq(vosfp_prefix_map(&p), VOSFP_LIST_NETS6);
	ck_assert_uint_eq(vosfp_prefix_key(&p, key), sizeof(k6));
	memcpy(&k6, key, sizeof(k6));
	ck_assert_uint_eq(k6.prefixlen, 32);
	ck_assert_mem_eq(k6.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0", 16);
}
END_TEST

/* The prefix index's keys (bpf/vosfp.h: blocked_nets6_h): a prefix's first address with the bit
 * past it set, and back, for every length the index holds; a key with no bit names nothing. */
START_TEST(test_prefix_index_keys)
{
	static const struct {
		const char *prefix, *key;	/* the key as an address */
	} rows[] = {
		{ "::/0", "8000::" },
		{ "8000::/1", "c000::" },
		{ "2400::/12", "2408::" },
		{ "2001:d80::/25", "2001:dc0::" },
		{ "2001:db8::/32", "2001:db8:8000::" },
		{ "2001:db8:bad::/48", "2001:db8:bad:8000::" },
		{ "2001:db8::/63", "2001:db8:0:1::" },
		{ "2001:db8::/64", "2001:db8::8000:0:0:0" },
		{ "2001:db8::/127", "2001:db8::1" },
	};
	__u8 zero[16] = { 0 };

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vosfp_prefix p, back, want;
		__u8 key[16];

		ck_assert_int_eq(vosfp_prefix_parse(rows[i].prefix, &p, NULL, 0), 0);
		ck_assert_int_eq(vosfp_prefix_parse(rows[i].key, &want, NULL, 0), 0);
		vosfp_prefix_index_key(&p, key);
		ck_assert_msg(!memcmp(key, want.addr, 16), "%s: wrong key", rows[i].prefix);
		ck_assert_int_eq(vosfp_prefix_from_index_key(key, &back), 0);
		ck_assert_msg(back.family == 6 && back.len == p.len && !memcmp(back.addr, p.addr, 16),
			      "%s: came back as /%u", rows[i].prefix, back.len);
	}
	ck_assert_int_eq(vosfp_prefix_from_index_key(zero, &(struct vosfp_prefix){ 0 }), -EINVAL);
}
END_TEST

START_TEST(test_prefix_contains)
{
	struct vosfp_prefix p;
	const __u8 in[4] = { 198, 19, 200, 9 }, out[4] = { 198, 19, 127, 255 };
	const __u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	ck_assert_int_eq(vosfp_prefix_parse("198.19.128.0/17", &p, NULL, 0), 0);
	ck_assert(vosfp_prefix_contains(&p, 4, in));
	ck_assert(!vosfp_prefix_contains(&p, 4, out));
	ck_assert(!vosfp_prefix_contains(&p, 6, v6));
	ck_assert_int_eq(vosfp_prefix_parse("::/0", &p, NULL, 0), 0);
	ck_assert(vosfp_prefix_contains(&p, 6, v6));
	ck_assert(!vosfp_prefix_contains(&p, 4, in));
}
END_TEST

/* The IPv4 fast path must accept exactly what the general parser accepts, with the same result:
 * strings built from the characters and boundaries that matter. */
START_TEST(test_fast_path_matches_general)
{
	static const char *const parts[] = { "0", "1", "9", "10", "25", "99", "100", "199", "255", "256",
					      "300", "01", "001", "0255", "", "x" };
	static const char *const lens[] = { "", "/0", "/8", "/24", "/31", "/32", "/33", "/08", "/", "/x", "/1a" };
	uint64_t seed = 42;
	unsigned compared = 0, accepted = 0;

	for (int n = 0; n < 200000; n++) {
		char text[64];
		struct vosfp_prefix a, b;
		int ra, rb;
		const char *p[4];

		for (int k = 0; k < 4; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			p[k] = parts[(seed >> 33) % (sizeof(parts) / sizeof(parts[0]))];
		}
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		snprintf(text, sizeof(text), "%s.%s.%s.%s%s", p[0], p[1], p[2], p[3],
			 lens[(seed >> 33) % (sizeof(lens) / sizeof(lens[0]))]);
		if ((seed >> 20) % 7 == 0)
			text[(seed >> 40) % strlen(text)] = "./0a"[(seed >> 50) % 4];
		ra = vosfp_prefix_parse(text, &a, NULL, 0);
		rb = vosfp_prefix_parse_general(text, &b, NULL, 0);
		ck_assert_msg(ra == rb, "'%s': fast path %d, general %d", text, ra, rb);
		if (!ra) {
			ck_assert_msg(a.family == b.family && a.len == b.len && !memcmp(a.addr, b.addr, 16),
				      "'%s': different results", text);
			accepted++;
		}
		compared++;
	}
	ck_assert_uint_eq(compared, 200000);
	ck_assert_msg(accepted > 1000 && accepted < compared, "only %u accepted", accepted);
}
END_TEST

TCase *addr_tcase(void)
{
	TCase *tc = tcase_create("addr");

	tcase_add_loop_test(tc, test_prefix_parse, 0, sizeof(parse_rows) / sizeof(parse_rows[0]));
	tcase_add_test(tc, test_prefix_keys);
	tcase_add_test(tc, test_prefix_index_keys);
	tcase_add_test(tc, test_prefix_contains);
	tcase_add_test(tc, test_fast_path_matches_general);
	return tc;
}
