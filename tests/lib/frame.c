/* frame.c - build test frames byte by byte (no kernel headers' packing quirks), including the
 * ones real networks should never carry: lying lengths, truncation, odd header chains. */
#include <arpa/inet.h>
#include <string.h>

#include "frame.h"

#define ETH_LEN 14
#define VLAN_LEN 4
#define IPV4_LEN 20
#define IPV6_LEN 40
#define UDP_LEN 8
#define TCP_LEN 20

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xFF;
}

static int ext_len(int type)
{
	return type == 51 ? 16 : 8;	/* AH carries a 4-byte ICV here; the rest are minimal */
}

static int is_v6(const struct frame_spec *s)
{
	return s->family == 6;
}

static int proto_of(const struct frame_spec *s)
{
	return s->proto ? s->proto : 17;
}

static size_t l3_header_len(const struct frame_spec *s)
{
	size_t len;

	if (!is_v6(s))
		return IPV4_LEN + s->ipv4_options;
	len = IPV6_LEN;
	for (int i = 0; i < s->ipv6_ext_count; i++)
		len += ext_len(s->ipv6_ext[i]);
	if (s->frag != FRAG_NONE)
		len += 8;
	return len;
}

static size_t l4_header_len(const struct frame_spec *s)
{
	if (s->frag == FRAG_LATER)
		return 0;
	switch (proto_of(s)) {
	case 17:
		return UDP_LEN;
	case 6:
		return TCP_LEN;
	default:
		return 0;
	}
}

size_t frame_payload_offset(const struct frame_spec *s)
{
	return ETH_LEN + VLAN_LEN * s->vlans + l3_header_len(s) + l4_header_len(s);
}

static uint16_t ipv4_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (h[i] << 8) | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return ~sum & 0xFFFF;
}

/* The L4 datagram (header + payload) as it would be before any fragmentation. */
static size_t build_l4(const struct frame_spec *s, uint8_t *p, size_t cap)
{
	size_t hl = l4_header_len(s), total = hl + s->payload_len;

	if (total > cap)
		return 0;
	memset(p, 0, hl);
	if (proto_of(s) == 17 && hl) {
		put16(p, s->sport ? s->sport : 5062);
		put16(p + 2, s->dport ? s->dport : 5060);
		put16(p + 4, (uint16_t)(UDP_LEN + s->payload_len + s->udp_len_delta));
	} else if (proto_of(s) == 6 && hl) {
		put16(p, s->sport ? s->sport : 40000);
		put16(p + 2, s->dport ? s->dport : 5060);
		p[12] = 5 << 4;		/* data offset: 20 bytes */
		p[13] = 0x18;		/* PSH|ACK */
		put16(p + 14, 65535);
	}
	if (s->payload_len)
		memcpy(p + hl, s->payload, s->payload_len);
	return total;
}

static size_t build_ipv4(const struct frame_spec *s, uint8_t *p, size_t l4_bytes)
{
	size_t hl = IPV4_LEN + s->ipv4_options;
	uint16_t frag = 0;

	memset(p, 0, hl);
	p[0] = 0x40 | (hl / 4);
	put16(p + 2, (uint16_t)(hl + l4_bytes + s->ip_len_delta));
	put16(p + 4, 0x1234);
	if (s->frag == FRAG_FIRST)
		frag = 0x2000;
	else if (s->frag == FRAG_LATER)
		frag = (s->frag_offset / 8) & 0x1FFF;
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto_of(s);
	inet_pton(AF_INET, s->src ? s->src : "198.18.0.2", p + 12);
	inet_pton(AF_INET, s->dst ? s->dst : "198.18.0.1", p + 16);
	memset(p + IPV4_LEN, 1, s->ipv4_options);	/* NOP options */
	put16(p + 10, ipv4_checksum(p, hl));
	return hl;
}

static size_t build_ipv6(const struct frame_spec *s, uint8_t *p, size_t l4_bytes)
{
	size_t hl = l3_header_len(s), off = IPV6_LEN;
	uint8_t *next = p + 6;

	memset(p, 0, hl);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)(hl - IPV6_LEN + l4_bytes + s->ip_len_delta));
	p[7] = 64;
	inet_pton(AF_INET6, s->src ? s->src : "2001:db8::2", p + 8);
	inet_pton(AF_INET6, s->dst ? s->dst : "2001:db8::1", p + 24);
	for (int i = 0; i < s->ipv6_ext_count; i++) {
		int type = s->ipv6_ext[i];

		*next = type;
		next = p + off;
		if (type == 51)
			p[off + 1] = ext_len(type) / 4 - 2;
		else if (type != 44)
			p[off + 1] = ext_len(type) / 8 - 1;
		off += ext_len(type);
	}
	if (s->frag != FRAG_NONE) {
		uint16_t fo = 0;

		*next = 44;
		next = p + off;
		if (s->frag == FRAG_FIRST)
			fo = 1;
		else if (s->frag == FRAG_LATER)
			fo = (uint16_t)(s->frag_offset & ~7u);
		put16(p + off + 2, fo);
		put16(p + off + 4, 0xBEEF);
		off += 8;
	}
	*next = proto_of(s);
	return hl;
}

size_t frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap)
{
	uint8_t l4[FRAME_MAX];
	size_t l4_len, l4_bytes, off = 0, l3_len;
	uint16_t type = is_v6(s) ? 0x86DD : 0x0800;

	l4_len = build_l4(s, l4, sizeof(l4));
	if (l4_len == 0 && l4_header_len(s) + s->payload_len > 0)
		return 0;
	l4_bytes = s->frag == FRAG_FIRST && s->frag_bytes < l4_len ? s->frag_bytes : l4_len;
	if (frame_payload_offset(s) - l4_header_len(s) + l4_bytes + s->pad > cap)
		return 0;

	memset(buf, 0, ETH_LEN);
	memcpy(buf, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(buf + 6, "\x02\x00\x00\x00\x00\x02", 6);
	off = 12;
	for (int i = 0; i < s->vlans; i++) {
		/* QinQ: 802.1ad outermost, 802.1Q inside. */
		put16(buf + off, s->vlans >= 2 && i == 0 ? 0x88A8 : 0x8100);
		put16(buf + off + 2, 100 + i);
		off += VLAN_LEN;
	}
	put16(buf + off, type);
	off += 2;

	l3_len = is_v6(s) ? build_ipv6(s, buf + off, l4_bytes) : build_ipv4(s, buf + off, l4_bytes);
	off += l3_len;
	memcpy(buf + off, l4, l4_bytes);
	off += l4_bytes;
	memset(buf + off, 0, s->pad);
	off += s->pad;
	if (s->truncate && s->truncate < off)
		off = s->truncate;
	return off;
}

size_t frame_junk_payload(char *buf, size_t cap)
{
	size_t n;

	for (n = 0; n < 400 && n < cap; n++)
		buf[n] = (char)(0x41 + n % 23);
	return n;
}
