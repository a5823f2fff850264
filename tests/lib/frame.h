/* frame.h - builds the Ethernet frames the kernel tests, the reference classifier and the bench
 * feed to sip_xdp_prog: VLAN tags, IPv4 options, IPv6 extension headers, fragments, and lengths
 * that lie on purpose. */
#ifndef VOSFP_TEST_FRAME_H
#define VOSFP_TEST_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 4096

enum frame_frag {
	FRAG_NONE,
	FRAG_FIRST,	/* offset 0, more fragments: carries the first frag_bytes of the L4 datagram */
	FRAG_LATER,	/* offset frag_offset (bytes, multiple of 8): carries payload only, no L4 */
	FRAG_ATOMIC,	/* IPv6 fragment header with offset 0 and M=0 (RFC 6946) */
};

struct frame_spec {
	int family;			/* 4 or 6 */
	int vlans;			/* VLAN tags before the IP header (2+: QinQ) */
	const char *src, *dst;		/* addresses as text; defaults 198.18.0.2 / 198.18.0.1 */
	int proto;			/* 17 UDP (default when 0), 6 TCP, or any other */
	uint16_t sport, dport;		/* dport 0 means 5060 */
	const void *payload;		/* L4 payload (UDP/TCP data) */
	size_t payload_len;
	int ipv4_options;		/* bytes of IPv4 options (multiple of 4, <= 40) */
	int ipv6_ext[8];		/* IPv6 extension header types before L4, in order */
	int ipv6_ext_count;
	enum frame_frag frag;
	size_t frag_bytes;		/* FRAG_FIRST: bytes of the L4 datagram in this fragment */
	size_t frag_offset;		/* FRAG_LATER: fragment offset in bytes */
	int udp_len_delta;		/* added to the true UDP length (lying headers) */
	int ip_len_delta;		/* added to the true IP total/payload length */
	size_t pad;			/* Ethernet padding bytes after the IP datagram */
	size_t truncate;		/* when non-zero, cut the frame to this many bytes */
};

/* Build the frame; returns its length (0 if it does not fit in cap). */
size_t frame_build(const struct frame_spec *s, uint8_t *buf, size_t cap);

/* Offset of the L4 payload inside a frame built from s (before truncation). */
size_t frame_payload_offset(const struct frame_spec *s);

/* What a DNS or NTP amplification aimed at the SIP port looks like to sip_xdp_prog: 400 bytes
 * (at most cap) and no SIP at all, the benches' malformed traffic. Returns its length. */
size_t frame_junk_payload(char *buf, size_t cap);

#endif
