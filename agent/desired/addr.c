/* addr.c - parse and print the addresses and prefixes of allow/block lists, and turn them into
 * the keys of the datapath's list maps. Never touches the kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const __u8 v4_mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static void set_err(char *err, size_t errlen, const char *fmt, const char *text)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, text);
}

/* Strict decimal 0..max: no sign, no spaces, no leading zeros beyond "0". */
static int parse_prefix_len(const char *s, int max)
{
	int v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

static int host_bits_set(const __u8 *addr, int bytes, int len)
{
	for (int i = 0; i < bytes; i++) {
		int keep = len - i * 8;
		__u8 mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : (__u8)(0xFF << (8 - keep));

		if (addr[i] & ~mask)
			return 1;
	}
	return 0;
}

/* The common case of a big list, "a.b.c.d" or "a.b.c.d/n", without inet_pton's generality.
 * Accepts exactly what the general path accepts (no leading zeros, octets to 255, lengths to
 * 32, no host bits) and leaves everything else, errors included, to it. */
int vosfp_prefix_parse_v4(const char *s, struct vosfp_prefix *out)
{
	unsigned octet = 0, digits = 0, dots = 0, len = 32;
	__u8 a[4];

	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			if (digits && octet == 0)
				return 0;	/* leading zero */
			octet = octet * 10 + (unsigned)(*s - '0');
			if (++digits > 3 || octet > 255)
				return 0;
			continue;
		}
		if (!digits)
			return 0;
		a[dots] = (__u8)octet;
		octet = digits = 0;
		if (*s == '.' && dots < 3) {
			dots++;
			continue;
		}
		break;
	}
	if (dots != 3)
		return 0;
	if (*s == '/') {
		const char *n = s + 1;

		if (!*n || (n[0] == '0' && n[1]) || strlen(n) > 2)
			return 0;
		len = 0;
		for (; *n; n++) {
			if (*n < '0' || *n > '9')
				return 0;
			len = len * 10 + (unsigned)(*n - '0');
		}
		if (len > 32)
			return 0;
	} else if (*s) {
		return 0;
	}
	if (host_bits_set(a, 4, (int)len))
		return 0;
	memset(out, 0, sizeof(*out));
	out->family = 4;
	out->len = (__u8)len;
	memcpy(out->addr, a, 4);
	return 1;
}

int vosfp_prefix_parse(const char *text, struct vosfp_prefix *out, char *err, size_t errlen)
{
	if (text && vosfp_prefix_parse_v4(text, out))
		return 0;
	return vosfp_prefix_parse_general(text, out, err, errlen);
}

int vosfp_prefix_parse_general(const char *text, struct vosfp_prefix *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	int max;

	memset(out, 0, sizeof(*out));
	if (!text || !*text) {
		set_err(err, errlen, "empty address%s: expected an IPv4 or IPv6 address or CIDR prefix", "");
		return -EINVAL;
	}
	if (strlen(text) >= sizeof(buf)) {
		set_err(err, errlen, "'%.60s...' is too long for an IPv4/IPv6 address or CIDR prefix", text);
		return -EINVAL;
	}
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';

	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = 6;
		max = 128;
	} else {
		set_err(err, errlen, "'%s' is not an IPv4 or IPv6 address (expected e.g. 198.51.100.7, 203.0.113.0/24 or 2001:db8::/32)", text);
		return -EINVAL;
	}

	out->len = max;
	if (slash) {
		int len = parse_prefix_len(slash + 1, max);

		if (len < 0) {
			if (err && errlen)
				snprintf(err, errlen, "'%s': prefix length must be a number from 0 to %d", text, max);
			return -EINVAL;
		}
		out->len = len;
	}
	if (host_bits_set(out->addr, max / 8, out->len)) {
		struct vosfp_prefix net = *out;
		char canon[VOSFP_PREFIX_STRLEN];

		for (int i = 0; i < max / 8; i++) {
			int keep = out->len - i * 8;

			net.addr[i] &= keep >= 8 ? 0xFF : keep <= 0 ? 0 : (__u8)(0xFF << (8 - keep));
		}
		if (err && errlen)
			snprintf(err, errlen, "'%s' has host bits set: expected the network address (%s)", text,
				 vosfp_prefix_str(&net, canon, sizeof(canon)));
		return -EINVAL;
	}
	/* ::ffff:a.b.c.d is how a dual-stack socket (and so a SIP proxy's log) writes an IPv4 peer.
	 * The datapath looks an IPv4 packet's source up in the IPv4 maps only: kept as IPv6, the
	 * entry would never match. It is the IPv4 address (or prefix, from /96 on). */
	if (out->family == 6 && out->len >= 96 && !memcmp(out->addr, v4_mapped_prefix, sizeof(v4_mapped_prefix))) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = 4;
		out->len -= 96;
	}
	return 0;
}

int vosfp_prefix_was_mapped(const char *text, const struct vosfp_prefix *p)
{
	return p->family == 4 && strchr(text, ':') != NULL;
}

const char *vosfp_prefix_str(const struct vosfp_prefix *p, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	int host = p->len == (p->family == 4 ? 32 : 128);

	inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, addr, sizeof(addr));
	if (host)
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, "%s/%u", addr, p->len);
	return buf;
}

enum vosfp_list_map vosfp_prefix_map(const struct vosfp_prefix *p)
{
	if (p->family == 4)
		return p->len == 32 ? VOSFP_LIST_EXACT4 : VOSFP_LIST_NETS4;
	return p->len == 128 ? VOSFP_LIST_EXACT6 : VOSFP_LIST_NETS6;
}

size_t vosfp_prefix_key(const struct vosfp_prefix *p, void *key)
{
	switch (vosfp_prefix_map(p)) {
	case VOSFP_LIST_EXACT4:
		memcpy(key, p->addr, 4);
		return 4;
	case VOSFP_LIST_EXACT6:
		memcpy(key, p->addr, 16);
		return sizeof(struct vosfp_addr6);
	case VOSFP_LIST_NETS4: {
		struct vosfp_lpm4_key k = { .prefixlen = p->len };

		memcpy(k.addr, p->addr, 4);
		memcpy(key, &k, sizeof(k));
		return sizeof(k);
	}
	default: {
		struct vosfp_lpm6_key k = { .prefixlen = p->len };

		memcpy(k.addr, p->addr, 16);
		memcpy(key, &k, sizeof(k));
		return sizeof(k);
	}
	}
}

void vosfp_prefix_index_key(const struct vosfp_prefix *p, __u8 key[16])
{
	memcpy(key, p->addr, 16);
	if (p->len < 128)
		key[p->len / 8] |= 0x80 >> (p->len % 8);
}

int vosfp_prefix_from_index_key(const __u8 key[16], struct vosfp_prefix *p)
{
	int last = 127;

	while (last >= 0 && !(key[last / 8] & (0x80 >> (last % 8))))
		last--;
	if (last < 0)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->family = 6;
	p->len = (__u8)last;
	memcpy(p->addr, key, 16);
	p->addr[last / 8] &= ~(0x80 >> (last % 8));
	return 0;
}

void vosfp_prefix_from_key(enum vosfp_list_map m, const void *key, struct vosfp_prefix *p)
{
	memset(p, 0, sizeof(*p));
	switch (m) {
	case VOSFP_LIST_EXACT4:
		p->family = 4;
		p->len = 32;
		memcpy(p->addr, key, 4);
		break;
	case VOSFP_LIST_EXACT6:
		p->family = 6;
		p->len = 128;
		memcpy(p->addr, key, 16);
		break;
	case VOSFP_LIST_NETS4: {
		const struct vosfp_lpm4_key *k = key;

		p->family = 4;
		p->len = (__u8)k->prefixlen;
		memcpy(p->addr, k->addr, 4);
		break;
	}
	default: {
		const struct vosfp_lpm6_key *k = key;

		p->family = 6;
		p->len = (__u8)k->prefixlen;
		memcpy(p->addr, k->addr, 16);
		break;
	}
	}
}

int vosfp_prefix_contains(const struct vosfp_prefix *p, int family, const __u8 *addr)
{
	int full = p->len / 8, rest = p->len % 8;

	if (p->family != family)
		return 0;
	if (memcmp(p->addr, addr, full))
		return 0;
	if (!rest)
		return 1;
	return ((p->addr[full] ^ addr[full]) & (__u8)(0xFF << (8 - rest))) == 0;
}
