/* decision.c - see decision.h. */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decision.h"

static const struct {
	const char *lapi;
	uint8_t origin;
} origin_names[] = {
	{ "crowdsec", VOSFP_ORIGIN_CROWDSEC },
	{ "cscli", VOSFP_ORIGIN_CSCLI },
	{ "cscli-import", VOSFP_ORIGIN_CSCLI },
	{ "CAPI", VOSFP_ORIGIN_LISTS },
	{ "lists", VOSFP_ORIGIN_LISTS },
};

uint8_t decision_origin_class(const char *origin, const char *scenario)
{
	if (scenario && !strncmp(scenario, DECISION_OWN_SCENARIO_PREFIX, strlen(DECISION_OWN_SCENARIO_PREFIX)))
		return VOSFP_ORIGIN_VOSFP;
	for (size_t i = 0; i < sizeof(origin_names) / sizeof(origin_names[0]); i++)
		if (!strcasecmp(origin, origin_names[i].lapi))
			return origin_names[i].origin;
	return VOSFP_ORIGIN_OTHER;
}

const char *decision_origin_name(uint8_t origin)
{
	static const char *const names[VOSFP_ORIGINS] = {
		[VOSFP_ORIGIN_OTHER] = "other", [VOSFP_ORIGIN_CROWDSEC] = "crowdsec",
		[VOSFP_ORIGIN_CSCLI] = "cscli", [VOSFP_ORIGIN_LISTS] = "lists", [VOSFP_ORIGIN_VOSFP] = "vosfp",
	};

	return origin < VOSFP_ORIGINS ? names[origin] : "other";
}

/* One "<number><unit>" of a Go duration at *s; ns added to *total. 0 or -1. */
static int duration_term(const char **s, uint64_t *total)
{
	/* Two-letter units first: "ms" must not read as "m" then "s". */
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 }, { "\xce\xbcs", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000ULL }, { "m", 60000000000ULL }, { "h", 3600000000000ULL },
	};
	const char *p = *s;
	uint64_t whole = 0, frac = 0, scale = 1, unit = 0, value;
	int pre = 0, post = 0;

	for (; *p >= '0' && *p <= '9'; p++, pre = 1) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		/* Digits past 10^18 cannot change a whole nanosecond: dropped, as Go does. */
		for (p++; *p >= '0' && *p <= '9'; p++, post = 1)
			if (scale < 1000000000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	if (!pre && !post)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && !unit; i++) {
		size_t n = strlen(units[i].unit);

		if (!strncmp(p, units[i].unit, n)) {
			unit = units[i].ns;
			p += n;
		}
	}
	if (!unit || whole > UINT64_MAX / unit)
		return -1;
	value = (uint64_t)((unsigned __int128)frac * unit / scale);	/* < unit */
	if (whole * unit > UINT64_MAX - value || *total > UINT64_MAX - (value += whole * unit))
		return -1;
	*total += value;
	*s = p;
	return 0;
}

int decision_duration_parse(const char *text, int64_t *ns)
{
	const char *s = text;
	uint64_t total = 0;
	int neg = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s)
		if (duration_term(&s, &total))
			return -1;
	if (total > (uint64_t)INT64_MAX + (uint64_t)neg)
		return -1;
	*ns = neg ? (int64_t)(0 - total) : (int64_t)total;
	return 0;
}

static void clear_host_bits(struct vosfp_prefix *p)
{
	int bytes = p->family == 4 ? 4 : 16;

	for (int i = 0; i < bytes; i++) {
		int keep = p->len - i * 8;

		p->addr[i] &= keep >= 8 ? 0xFF : keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));
	}
}

int decision_value_parse(int range, const char *value, struct vosfp_prefix *out, char *err, size_t errlen)
{
	const char *slash = strchr(value, '/');
	size_t addr_len = slash ? (size_t)(slash - value) : strlen(value);
	char addr[64];
	int len;

	if (range && !slash) {
		snprintf(err, errlen, "a Range needs address/length");
		return -1;
	}
	/* A copy, not snprintf: a startup answer brings 100,000 of these. */
	if (addr_len < sizeof(addr)) {
		memcpy(addr, value, addr_len);
		addr[addr_len] = '\0';
	}
	if (addr_len >= sizeof(addr) || vosfp_prefix_parse(addr, out, NULL, 0)) {
		snprintf(err, errlen, "not an IPv4 or IPv6 address");
		return -1;
	}
	if (slash) {
		/* ::ffff:a.b.c.d came back as the IPv4 address it maps (addr.c): its length is
		 * written in IPv6 terms, and from /96 on it is an IPv4 prefix. */
		int written6 = strchr(addr, ':') != NULL, mapped = vosfp_prefix_was_mapped(addr, out);
		struct vosfp_prefix probe;
		char whole[16];

		/* The length as the list parser takes it, on a prefix that has no host bits. */
		len = -1;
		if (strlen(slash + 1) < 4) {
			snprintf(whole, sizeof(whole), "%s/%s", written6 ? "::" : "0.0.0.0", slash + 1);
			if (!vosfp_prefix_parse(whole, &probe, NULL, 0))
				len = probe.len;
		}
		if (len < 0) {
			snprintf(err, errlen, "bad prefix length (expected 0 to %d)", written6 ? 128 : 32);
			return -1;
		}
		if (mapped && len < 96) {
			snprintf(err, errlen, "an IPv4-mapped address needs a length of /96 or more");
			return -1;
		}
		if (!range && len != (mapped ? 128 : out->len)) {
			snprintf(err, errlen, "an Ip decision covers one address: a /%d is a Range", len);
			return -1;
		}
		out->len = (uint8_t)(mapped ? len - 96 : len);
		clear_host_bits(out);
	}
	return 0;
}

int decision_source_key(const struct vosfp_prefix *p, struct vosfp_src_key *k)
{
	memset(k, 0, sizeof(*k));
	if (p->family == 4 && p->len == 32) {
		k->addr[10] = k->addr[11] = 0xFF;
		memcpy(k->addr + 12, p->addr, 4);
		return 0;
	}
	if (p->family == 6 && p->len == 128) {
		memcpy(k->addr, p->addr, 16);
		return 0;
	}
	return -1;
}

static inline uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* Two 64-bit compares, not memcmp: a 100,000-decision answer is sorted with it (~25% faster). */
int decision_cmp(const struct vosfp_prefix *a, const struct vosfp_prefix *b)
{
	uint64_t x, y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	x = be64_at(a->addr), y = be64_at(b->addr);
	if (x == y)
		x = be64_at(a->addr + 8), y = be64_at(b->addr + 8);
	if (x != y)
		return x < y ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int cmp_decision(const void *a, const void *b)
{
	return decision_cmp(&((const struct decision *)a)->prefix, &((const struct decision *)b)->prefix);
}

/* An IPv4 prefix's place in decision_cmp's order among IPv4 prefixes: address, then length. */
struct v4_key {
	uint64_t key;
	size_t at;			/* its index in the array sorted */
};

/* Stable LSD radix sort of keys by their low 40 bits, a byte at a time; a byte all keys share
 * takes no pass. */
static void radix_sort_v4(struct v4_key *k, struct v4_key *tmp, size_t n)
{
	for (int shift = 0; shift < 40; shift += 8) {
		size_t count[257] = { 0 };

		for (size_t i = 0; i < n; i++)
			count[((k[i].key >> shift) & 0xFF) + 1]++;
		if (count[((k[0].key >> shift) & 0xFF) + 1] == n)
			continue;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			tmp[count[(k[i].key >> shift) & 0xFF]++] = k[i];
		memcpy(k, tmp, n * sizeof(*k));
	}
}

/* A big answer is ~95% IPv4: those go through a radix sort (~5x faster than qsort's 1.7
 * million indirect compares for 100,000), the IPv6 ones through qsort after them (IPv4 sorts
 * first). Stable like glibc's qsort, so duplicates keep the answer's order. */
void decision_sort(struct decision *v, size_t n)
{
	struct v4_key *keys = n >= 64 ? malloc(2 * n * sizeof(*keys)) : NULL;
	struct decision *out = keys ? malloc(n * sizeof(*out)) : NULL;
	size_t n4 = 0, n6 = 0;

	if (!out) {
		free(keys);
		if (n)	/* v may be NULL then, and qsort(NULL, 0) is undefined */
			qsort(v, n, sizeof(*v), cmp_decision);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].prefix.family == 4) {
			uint32_t a;

			memcpy(&a, v[i].prefix.addr, sizeof(a));
			keys[n4++] = (struct v4_key){ .key = (uint64_t)be32toh(a) << 8 | v[i].prefix.len, .at = i };
		}
	radix_sort_v4(keys, keys + n, n4);
	for (size_t i = 0; i < n4; i++)
		out[i] = v[keys[i].at];
	for (size_t i = 0; i < n; i++)
		if (v[i].prefix.family != 4)
			out[n4 + n6++] = v[i];
	qsort(out + n4, n6, sizeof(*out), cmp_decision);
	memcpy(v, out, n * sizeof(*v));
	free(out);
	free(keys);
}
