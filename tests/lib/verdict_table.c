/* verdict_table.c - the rows of the verdict table (see verdict_table.h). Adding a case is adding
 * a row: name it after what it proves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict_table.h"

const char SIP_REGISTER[] =
	"REGISTER sip:198.18.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-524287-1\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:alice@198.18.0.1>;tag=4711\r\n"
	"To: <sip:alice@198.18.0.1>\r\n"
	"Call-ID: 8c2d0a7e@198.18.0.2\r\n"
	"CSeq: 1 REGISTER\r\n"
	"Contact: <sip:alice@198.18.0.2:5062>\r\n"
	"Expires: 3600\r\n"
	"Content-Length: 0\r\n\r\n";

const char SIP_OPTIONS[] =
	"OPTIONS sip:198.18.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-524287-2\r\n"
	"Max-Forwards: 70\r\n"
	"From: <sip:probe@198.18.0.2>;tag=99\r\n"
	"To: <sip:198.18.0.1>\r\n"
	"Call-ID: 77a1@198.18.0.2\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Content-Length: 0\r\n\r\n";

static const char SIP_RESPONSE[] =
	"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-1\r\nContent-Length: 0\r\n\r\n";
static const char GARBAGE[] = "GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n";
static const char REGISTER_NO_VERSION[] = "REGISTER sip:198.18.0.1 HTTP/1.1\r\n\r\n";
static const char REGISTER_SHORT[] = "REGISTER sip:x SIP";	/* 18 bytes */
static const char OPTIONS_GARBAGE[] = "OPTIONS nothing that looks like SIP at all\r\n\r\n";
static const char KEEPALIVE[] = "\r\n\r\n";
static const char SHORT_TEXT[] = "hello";
/* "SIP/2.0" ends the request line at byte 21; the rows below end the datagram at byte 20 or 21
 * (UDP and IP lengths agree), so the rest of the text lies in the frame past the datagram. */
static const char VERSION_AT_14[] =
	"INVITE sip:ab SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-cut\r\n\r\n";
#define CUT_AT(n) ((n) - ((int)sizeof(VERSION_AT_14) - 1))	/* length delta: n bytes left */

size_t sip_invite(char *buf, size_t size)
{
	static const char head[] =
		"INVITE sip:bob@198.18.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.18.0.2:5062;branch=z9hG4bK-524287-3\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:alice@198.18.0.2>;tag=1928301774\r\n"
		"To: <sip:bob@198.18.0.1>\r\n"
		"Call-ID: a84b4c76e66710@198.18.0.2\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Contact: <sip:alice@198.18.0.2:5062>\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %05u\r\n\r\n";
	size_t hlen = sizeof(head) - 1 - 4 + 5;	/* "%05u" prints 5 digits */
	size_t body = size - hlen;

	if (size < hlen + 2 || body > 99999)
		abort();
	snprintf(buf, hlen + 1, head, (unsigned)(body % 100000));
	memset(buf + hlen, 'a', body - 2);
	memcpy(buf + size - 2, "\r\n", 2);
	return size;
}

/* A request whose "SIP/2.0" starts exactly at byte `at` (>= 12), 120 bytes long. */
static size_t request_with_version_at(char *buf, int at)
{
	size_t len = 120;

	memset(buf, 'a', len);
	memcpy(buf, "INVITE sip:", 11);
	buf[at - 1] = ' ';
	memcpy(buf + at, "SIP/2.0\r\n", 9);
	memcpy(buf + len - 4, "\r\n\r\n", 4);
	return len;
}

#define V4(...) { .family = 4, __VA_ARGS__ }
#define V6(...) { .family = 6, __VA_ARGS__ }

#define BLOCKED4	"198.18.66.6"
#define IN_BLOCKNET4	"198.19.200.9"		/* inside 198.19.128.0/17 */
#define BLOCKED6	"2001:db8:bad::6"
#define IN_BLOCKNET6	"2001:db8:dead:1::9"	/* inside 2001:db8:dead::/48 */
#define ALLOWED4	"198.18.7.7"
#define IN_ALLOWNET4	"198.18.100.50"		/* inside 198.18.100.0/24 */
#define ALLOWED6	"2001:db8:a11::7"
#define IN_ALLOWNET6	"2001:db8:a110:5::1"	/* inside 2001:db8:a110::/48 */
#define IN_BOTH4	"198.18.9.9"		/* on both lists: the blocklist wins */
/* Shorter than /32, so the v6 summaries cover them /32 by /32 (2001:dc0..2001:dc7, 2a00:1000..
 * 2a00:1fff) and sources outside every entry's /32 meet a clear bit. */
#define BLOCKNET6_29	"2001:dc0::/29"
#define ALLOWNET6_20	"2a00:1000::/20"

static const char *const blocked_text[] = {
	BLOCKED4, "198.19.128.0/17", BLOCKED6, "2001:db8:dead::/48", IN_BOTH4, "198.18.44.128/25",
	"198.18.50.0/23", BLOCKNET6_29,
};
static const char *const allowed_text[] = {
	ALLOWED4, "198.18.100.0/24", ALLOWED6, "2001:db8:a110::/48", IN_BOTH4, ALLOWNET6_20,
};

#define PASSED REF_PASS, VOSFP_CNT_PASSED
#define UNCOUNTED REF_PASS, REF_UNCOUNTED
#define BLOCKED REF_DROP, VOSFP_CNT_BLOCKED
#define STEALTH REF_DROP, VOSFP_CNT_OPTIONS_DROPPED
#define MALFORMED REF_DROP, VOSFP_CNT_MALFORMED

#define ROW(nm, sp, txt, cfg, verdict) { .name = nm, .spec = sp, .text = txt, .config = cfg, verdict }

const struct verdict_row verdict_rows[] = {
	/* Valid SIP passes, both families, with and without VLAN tags. */
	ROW("v4 REGISTER passes", V4(), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 REGISTER passes", V6(), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v4 one VLAN tag", V4(.vlans = 1), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v4 two VLAN tags (QinQ)", V4(.vlans = 2), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 one VLAN tag", V6(.vlans = 1), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 two VLAN tags (QinQ)", V6(.vlans = 2), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("three VLAN tags are not parsed", V4(.vlans = 3, .src = BLOCKED4), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("v4 SIP response passes", V4(), SIP_RESPONSE, CFG_SEED, PASSED),
	ROW("v6 SIP response passes", V6(), SIP_RESPONSE, CFG_SEED, PASSED),

	/* IPv4 options and IPv6 extension headers. */
	ROW("v4 with 4 bytes of options", V4(.ipv4_options = 4), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v4 with 40 bytes of options", V4(.ipv4_options = 40), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v4 options, blocked source", V4(.ipv4_options = 40, .src = BLOCKED4), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("v4 options, OPTIONS from unknown", V4(.ipv4_options = 8), SIP_OPTIONS, CFG_SEED, STEALTH),
	ROW("v6 hop-by-hop header", V6(.ipv6_ext = { 0 }, .ipv6_ext_count = 1), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 destination options header", V6(.ipv6_ext = { 60 }, .ipv6_ext_count = 1), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 routing header", V6(.ipv6_ext = { 43 }, .ipv6_ext_count = 1), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 AH header", V6(.ipv6_ext = { 51 }, .ipv6_ext_count = 1), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 hop+dest+routing, blocked source", V6(.ipv6_ext = { 0, 60, 43 }, .ipv6_ext_count = 3, .src = BLOCKED6), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("v6 hop+dest, OPTIONS from unknown", V6(.ipv6_ext = { 0, 60 }, .ipv6_ext_count = 2), SIP_OPTIONS, CFG_SEED, STEALTH),
	ROW("v6 six extension headers (the bound)", V6(.ipv6_ext = { 0, 60, 43, 51, 60, 60 }, .ipv6_ext_count = 6), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 seven extension headers, unknown source", V6(.ipv6_ext = { 0, 60, 43, 51, 60, 60, 60 }, .ipv6_ext_count = 7), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("v6 seven extension headers, blocked source", V6(.ipv6_ext = { 0, 60, 43, 51, 60, 60, 60 }, .ipv6_ext_count = 7, .src = BLOCKED6), SIP_REGISTER, CFG_SEED, BLOCKED),

	/* Fragments: first fragments are inspected, later ones carry no port. */
	{ .name = "v4 first fragment of a 3000-byte INVITE passes", .spec = V4(.frag = FRAG_FIRST, .frag_bytes = 1480), .invite_size = 3000, .config = CFG_SEED, PASSED },
	{ .name = "v6 first fragment of a 3000-byte INVITE passes", .spec = V6(.frag = FRAG_FIRST, .frag_bytes = 1448), .invite_size = 3000, .config = CFG_SEED, PASSED },
	{ .name = "v4 first fragment from blocked source", .spec = V4(.frag = FRAG_FIRST, .frag_bytes = 1480, .src = BLOCKED4), .invite_size = 3000, .config = CFG_SEED, BLOCKED },
	{ .name = "v4 first fragment whose UDP length is below its IP payload", .spec = V4(.frag = FRAG_FIRST, .frag_bytes = 1480, .udp_len_delta = -2000), .invite_size = 3000, .config = CFG_SEED, MALFORMED },
	ROW("v4 non-first fragment, blocked exact", V4(.frag = FRAG_LATER, .frag_offset = 1480, .src = BLOCKED4), GARBAGE, CFG_SEED, BLOCKED),
	ROW("v4 non-first fragment, blocked prefix", V4(.frag = FRAG_LATER, .frag_offset = 1480, .src = IN_BLOCKNET4), GARBAGE, CFG_SEED, BLOCKED),
	ROW("v4 non-first fragment, unknown source", V4(.frag = FRAG_LATER, .frag_offset = 1480), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("v4 non-first fragment, any protocol, blocked", V4(.proto = 1, .frag = FRAG_LATER, .frag_offset = 8, .src = BLOCKED4), GARBAGE, CFG_SEED, BLOCKED),
	ROW("v6 non-first fragment, blocked exact", V6(.frag = FRAG_LATER, .frag_offset = 1448, .src = BLOCKED6), GARBAGE, CFG_SEED, BLOCKED),
	ROW("v6 non-first fragment, blocked prefix", V6(.frag = FRAG_LATER, .frag_offset = 1448, .src = IN_BLOCKNET6), GARBAGE, CFG_SEED, BLOCKED),
	ROW("v6 non-first fragment, unknown source", V6(.frag = FRAG_LATER, .frag_offset = 1448), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("v6 atomic fragment is a whole datagram", V6(.frag = FRAG_ATOMIC), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 atomic fragment, garbage", V6(.frag = FRAG_ATOMIC), GARBAGE, CFG_SEED, MALFORMED),

	/* Truncated headers pass untouched: the kernel drops them itself. */
	ROW("truncated Ethernet header", V4(.truncate = 10), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated VLAN tag", V4(.vlans = 1, .truncate = 16), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated IPv4 header", V4(.truncate = 14 + 12), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated IPv4 options", V4(.ipv4_options = 40, .truncate = 14 + 30), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated IPv6 header", V6(.truncate = 14 + 30), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated IPv6 extension header", V6(.ipv6_ext = { 0 }, .ipv6_ext_count = 1, .truncate = 14 + 40 + 4), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated UDP header", V4(.truncate = 14 + 20 + 5), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("truncated TCP header", V4(.proto = 6, .dport = 5061, .truncate = 14 + 20 + 10), SIP_REGISTER, CFG_PORTS, UNCOUNTED),
	ROW("IPv4 total length below header length", V4(.ip_len_delta = -(20 + 8 + (int)sizeof(SIP_REGISTER) - 1) + 10), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("IPv6 payload length zero", V6(.ip_len_delta = -(8 + (int)sizeof(SIP_REGISTER) - 1)), SIP_REGISTER, CFG_SEED, UNCOUNTED),

	/* Lengths that lie, and Ethernet padding that must not count. */
	ROW("UDP length larger than the frame", V4(.udp_len_delta = 10), SIP_REGISTER, CFG_SEED, MALFORMED),
	ROW("UDP length smaller than the datagram", V4(.udp_len_delta = -10), SIP_REGISTER, CFG_SEED, MALFORMED),
	ROW("v6 UDP length larger than the frame", V6(.udp_len_delta = 10), SIP_REGISTER, CFG_SEED, MALFORMED),
	ROW("v6 UDP length smaller than the datagram", V6(.udp_len_delta = -10), SIP_REGISTER, CFG_SEED, MALFORMED),
	ROW("UDP length below its own header", V4(.udp_len_delta = -(8 + 4) + 4), KEEPALIVE, CFG_SEED, MALFORMED),
	ROW("IPv4 total length beyond the frame", V4(.ip_len_delta = 20, .udp_len_delta = 20), SIP_REGISTER, CFG_SEED, MALFORMED),
	ROW("IPv6 payload length beyond the frame", V6(.ip_len_delta = 20, .udp_len_delta = 20), SIP_REGISTER, CFG_SEED, MALFORMED),
	ROW("Ethernet padding after a keep-alive", V4(.pad = 30), KEEPALIVE, CFG_SEED, PASSED),
	ROW("Ethernet padding after a short text", V4(.pad = 40), SHORT_TEXT, CFG_SEED, PASSED),
	ROW("v6 Ethernet padding after a keep-alive", V6(.pad = 30), KEEPALIVE, CFG_SEED, PASSED),
	ROW("lying lengths pass when malformed checks are off", V4(.udp_len_delta = 10), SIP_REGISTER, CFG_NO_MALFORMED, PASSED),

	/* Malformed SIP. */
	ROW("CRLF keep-alive passes", V4(), KEEPALIVE, CFG_SEED, PASSED),
	ROW("v6 CRLF keep-alive passes", V6(), KEEPALIVE, CFG_SEED, PASSED),
	ROW("short non-SIP text passes", V4(), SHORT_TEXT, CFG_SEED, PASSED),
	ROW("empty UDP payload passes", V4(), "", CFG_SEED, PASSED),
	ROW("REGISTER shorter than 20 bytes", V4(), REGISTER_SHORT, CFG_SEED, MALFORMED),
	ROW("REGISTER without SIP/2.0", V4(), REGISTER_NO_VERSION, CFG_SEED, MALFORMED),
	ROW("v6 REGISTER without SIP/2.0", V6(), REGISTER_NO_VERSION, CFG_SEED, MALFORMED),
	ROW("20+ bytes of non-SIP", V4(), GARBAGE, CFG_SEED, MALFORMED),
	ROW("v6 20+ bytes of non-SIP", V6(), GARBAGE, CFG_SEED, MALFORMED),
	ROW("non-SIP passes when malformed checks are off", V4(), GARBAGE, CFG_NO_MALFORMED, PASSED),
	{ .name = "SIP/2.0 at byte 56 (inside the window)", .spec = V4(), .version_at = 56, .config = CFG_SEED, PASSED },
	{ .name = "SIP/2.0 at byte 57 (last place inside)", .spec = V4(), .version_at = 57, .config = CFG_SEED, PASSED },
	{ .name = "SIP/2.0 at byte 58 (outside the window)", .spec = V4(), .version_at = 58, .config = CFG_SEED, MALFORMED },
	{ .name = "v6 SIP/2.0 at byte 58 (outside the window)", .spec = V6(), .version_at = 58, .config = CFG_SEED, MALFORMED },
	ROW("SIP/2.0 ending the datagram", V4(.udp_len_delta = CUT_AT(21), .ip_len_delta = CUT_AT(21)), VERSION_AT_14, CFG_SEED, PASSED),
	ROW("SIP/2.0 cut by the datagram's end (its last byte in the frame)", V4(.udp_len_delta = CUT_AT(20), .ip_len_delta = CUT_AT(20)), VERSION_AT_14, CFG_SEED, MALFORMED),
	ROW("v6 SIP/2.0 cut by the datagram's end", V6(.udp_len_delta = CUT_AT(20), .ip_len_delta = CUT_AT(20)), VERSION_AT_14, CFG_SEED, MALFORMED),
	{ .name = "1400-byte INVITE passes", .spec = V4(), .invite_size = 1400, .config = CFG_SEED, PASSED },

	/* Stealth OPTIONS. */
	ROW("OPTIONS from unknown v4 source", V4(), SIP_OPTIONS, CFG_SEED, STEALTH),
	ROW("OPTIONS from allowed v4 /32", V4(.src = ALLOWED4), SIP_OPTIONS, CFG_SEED, PASSED),
	ROW("OPTIONS from allowed v4 prefix", V4(.src = IN_ALLOWNET4), SIP_OPTIONS, CFG_SEED, PASSED),
	ROW("OPTIONS from unknown v6 source", V6(), SIP_OPTIONS, CFG_SEED, STEALTH),
	ROW("OPTIONS from allowed v6 /128", V6(.src = ALLOWED6), SIP_OPTIONS, CFG_SEED, PASSED),
	ROW("OPTIONS from allowed v6 prefix", V6(.src = IN_ALLOWNET6), SIP_OPTIONS, CFG_SEED, PASSED),
	ROW("OPTIONS from allowed v6 /20, its last /32", V6(.src = "2a00:1fff:ffff::1"), SIP_OPTIONS, CFG_SEED, PASSED),
	ROW("OPTIONS from just above an allowed v6 /20", V6(.src = "2a00:2000::1"), SIP_OPTIONS, CFG_SEED, STEALTH),
	ROW("OPTIONS from unknown, stealth off", V4(), SIP_OPTIONS, CFG_NO_STEALTH, PASSED),
	ROW("OPTIONS garbage from allowed source", V4(.src = ALLOWED4), OPTIONS_GARBAGE, CFG_SEED, MALFORMED),
	ROW("OPTIONS from a source on both lists", V4(.src = IN_BOTH4), SIP_OPTIONS, CFG_SEED, BLOCKED),

	/* Blocklist. */
	ROW("blocked v4 exact", V4(.src = BLOCKED4), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v4 prefix", V4(.src = IN_BLOCKNET4), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v4 prefix, its first address", V4(.src = "198.19.128.0"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v4 prefix, its last address", V4(.src = "198.19.255.255"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("just below a blocked v4 prefix", V4(.src = "198.19.127.255"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("just above a blocked v4 prefix", V4(.src = "198.20.0.0"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("same /24 as a blocked v4 address", V4(.src = "198.18.66.7"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("blocked v4 /23, just below", V4(.src = "198.18.49.255"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("blocked v4 /23, first address", V4(.src = "198.18.50.0"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v4 /23, last address", V4(.src = "198.18.51.255"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v4 /23, just above", V4(.src = "198.18.52.0"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("blocked v4 /25: inside", V4(.src = "198.18.44.130"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v4 /25: the other half of its /24", V4(.src = "198.18.44.127"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("blocked v6 exact", V6(.src = BLOCKED6), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v6 prefix", V6(.src = IN_BLOCKNET6), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v6 /29, its first address", V6(.src = "2001:dc0::"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v6 /29, its last /32", V6(.src = "2001:dc7:ffff::1"), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("just above a blocked v6 /29", V6(.src = "2001:dc8::1"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("v6 REGISTER from a /32 no entry is in", V6(.src = "2001:db9::1"), SIP_REGISTER, CFG_SEED, PASSED),
	ROW("blocked source sending garbage counts as blocked", V4(.src = BLOCKED4), GARBAGE, CFG_SEED, BLOCKED),
	ROW("blocked source to a non-SIP port passes", V4(.src = BLOCKED4, .dport = 53), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("blocked v4 via 1 VLAN", V4(.vlans = 1, .src = BLOCKED4), SIP_REGISTER, CFG_SEED, BLOCKED),
	ROW("blocked v6 via QinQ", V6(.vlans = 2, .src = IN_BLOCKNET6), SIP_REGISTER, CFG_SEED, BLOCKED),

	/* Ports and protocols. */
	ROW("UDP 53 is not inspected", V4(.dport = 53), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("UDP 5080 is not inspected by default", V4(.dport = 5080), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("configured UDP 5080 is inspected", V4(.dport = 5080), GARBAGE, CFG_PORTS, MALFORMED),
	ROW("configured UDP 5090 passes SIP", V6(.dport = 5090), SIP_REGISTER, CFG_PORTS, PASSED),
	ROW("UDP 5060 not configured is not inspected", V4(.dport = 5060, .src = BLOCKED4), SIP_REGISTER, CFG_PORTS, UNCOUNTED),
	ROW("TCP 5060 is not inspected by default", V4(.proto = 6, .src = BLOCKED4), SIP_REGISTER, CFG_SEED, UNCOUNTED),
	ROW("TCP to configured port from blocked v4", V4(.proto = 6, .dport = 5061, .src = BLOCKED4), SIP_REGISTER, CFG_PORTS, BLOCKED),
	ROW("TCP to configured port from blocked v6 prefix", V6(.proto = 6, .dport = 5061, .src = IN_BLOCKNET6), SIP_REGISTER, CFG_PORTS, BLOCKED),
	ROW("TCP to configured port from unknown source", V4(.proto = 6, .dport = 5061), GARBAGE, CFG_PORTS, PASSED),
	ROW("TCP OPTIONS from unknown is not stealth-dropped", V4(.proto = 6, .dport = 5061), SIP_OPTIONS, CFG_PORTS, PASSED),
	ROW("ICMP is not inspected", V4(.proto = 1, .src = BLOCKED4), GARBAGE, CFG_SEED, UNCOUNTED),
	ROW("v6 ICMP is not inspected", V6(.proto = 58, .src = BLOCKED6), GARBAGE, CFG_SEED, UNCOUNTED),
};

const size_t verdict_row_count = sizeof(verdict_rows) / sizeof(verdict_rows[0]);

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
static struct vosfp_prefix blocked[COUNT_OF(blocked_text)];
static struct vosfp_prefix allowed[COUNT_OF(allowed_text)];
const struct vosfp_prefix *table_blocked = blocked;
const struct vosfp_prefix *table_allowed = allowed;
size_t table_blocked_count = COUNT_OF(blocked_text);
size_t table_allowed_count = COUNT_OF(allowed_text);

static void parse_all(const char *const *text, struct vosfp_prefix *out, size_t n)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		if (vosfp_prefix_parse(text[i], &out[i], err, sizeof(err))) {
			fprintf(stderr, "verdict table: %s\n", err);
			abort();
		}
	}
}

void verdict_table_init(void)
{
	parse_all(blocked_text, blocked, COUNT_OF(blocked));
	parse_all(allowed_text, allowed, COUNT_OF(allowed));
}

static void set_port(__u8 *bitmap, unsigned port)
{
	bitmap[port / 8] |= 1u << (port % 8);
}

const struct vosfp_config *table_config(enum table_config which)
{
	static struct vosfp_config ports, no_stealth, no_malformed;

	switch (which) {
	case CFG_PORTS:
		ports.flags = VOSFP_F_PORTS;
		set_port(ports.udp_ports, 5080);
		set_port(ports.udp_ports, 5090);
		set_port(ports.tcp_ports, 5061);
		return &ports;
	case CFG_NO_STEALTH:
		no_stealth.flags = VOSFP_F_NO_STEALTH;
		return &no_stealth;
	case CFG_NO_MALFORMED:
		no_malformed.flags = VOSFP_F_NO_MALFORMED;
		return &no_malformed;
	default:
		return NULL;
	}
}

size_t verdict_row_frame(const struct verdict_row *r, uint8_t *buf, size_t cap)
{
	static char payload[FRAME_MAX];
	struct frame_spec spec = r->spec;

	if (r->invite_size)
		spec.payload_len = sip_invite(payload, r->invite_size);
	else if (r->version_at)
		spec.payload_len = request_with_version_at(payload, r->version_at);
	else
		spec.payload_len = strlen(strcpy(payload, r->text));
	spec.payload = payload;
	return frame_build(&spec, buf, cap);
}

struct ref_policy verdict_row_policy(const struct verdict_row *r)
{
	struct ref_policy pol = {
		.cfg = table_config(r->config),
		.blocked = table_blocked,
		.n_blocked = table_blocked_count,
		.allowed = table_allowed,
		.n_allowed = table_allowed_count,
	};

	return pol;
}
