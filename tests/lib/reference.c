/* reference.c - what sip_xdp_prog must decide for a frame, written for a reader rather than
 * for the verifier: straight-line parsing, linear list scans, no tricks. The differential test
 * holds the kernel program to it; keep the two in step with SPEC §3 and the header comment of
 * bpf/sip_logic.bpf.c. */
#include <string.h>

#include "counters.h"
#include "reference.h"

#define UNCOUNTED_PASS ((struct ref_verdict){ REF_PASS, REF_UNCOUNTED })
#define VERDICT(a, c) ((struct ref_verdict){ (a), (c) })

struct parsed {
	int family;
	uint8_t saddr[16];
	size_t l4;		/* offset of the transport header */
	long ip_end;		/* offset where the IP datagram ends, per its header */
	int proto;
	int portless;		/* non-first fragment or too many IPv6 extension headers */
	int first_fragment;
};

static unsigned be16(const uint8_t *p)
{
	return (p[0] << 8) | p[1];
}

static int on_list(const struct vosfp_prefix *list, size_t n, const struct parsed *pk)
{
	for (size_t i = 0; i < n; i++)
		if (vosfp_prefix_contains(&list[i], pk->family, pk->saddr))
			return 1;
	return 0;
}

static int is_ipv6_extension(int type)
{
	return type == 0 || type == 43 || type == 44 || type == 51 || type == 60;
}

/* 0 = parsed, -1 = cannot parse (pass untouched). */
static int parse(const uint8_t *f, size_t len, struct parsed *pk)
{
	size_t l3 = 14;
	unsigned type;

	memset(pk, 0, sizeof(*pk));
	if (len < 14)
		return -1;
	type = be16(f + 12);
	for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88A8); tags++) {
		if (len < l3 + 4)
			return -1;
		type = be16(f + l3 + 2);
		l3 += 4;
	}

	if (type == 0x0800) {
		const uint8_t *ip = f + l3;
		size_t ihl;
		unsigned frag;

		if (len < l3 + 20 || ip[0] >> 4 != 4 || (ip[0] & 0xF) < 5)
			return -1;
		ihl = (ip[0] & 0xF) * 4;
		if (len < l3 + ihl || be16(ip + 2) < ihl)
			return -1;
		pk->family = 4;
		memcpy(pk->saddr, ip + 12, 4);
		frag = be16(ip + 6);
		pk->portless = (frag & 0x1FFF) != 0;
		pk->first_fragment = !pk->portless && (frag & 0x2000);
		pk->proto = ip[9];
		pk->l4 = l3 + ihl;
		pk->ip_end = (long)(l3 + be16(ip + 2));
		return 0;
	}
	if (type == 0x86DD) {
		const uint8_t *ip = f + l3;
		size_t off = l3 + 40;
		int next;

		if (len < l3 + 40 || ip[0] >> 4 != 6 || be16(ip + 4) == 0)
			return -1;
		pk->family = 6;
		memcpy(pk->saddr, ip + 8, 16);
		pk->ip_end = (long)(l3 + 40 + be16(ip + 4));
		next = ip[6];
		for (int i = 0; i < VOSFP_IPV6_EXT_MAX && is_ipv6_extension(next); i++) {
			const uint8_t *ext = f + off;

			if (len < off + 8)
				return -1;
			if (next == 44) {
				if (be16(ext + 2) & 0xFFF8) {
					pk->portless = 1;
					return 0;
				}
				pk->first_fragment = be16(ext + 2) & 1;
				off += 8;
			} else if (next == 51) {
				off += (ext[1] + 2) * 4;
			} else {
				off += (ext[1] + 1) * 8;
			}
			next = ext[0];
			if (off > 0x3FFF)
				return -1;
		}
		if (is_ipv6_extension(next)) {
			pk->portless = 1;
			return 0;
		}
		pk->proto = next;
		pk->l4 = off;
		return 0;
	}
	return -1;
}

static int port_selected(const struct vosfp_config *cfg, int udp, unsigned port)
{
	const uint8_t *bitmap = udp ? cfg->udp_ports : cfg->tcp_ports;

	if (!(cfg->flags & VOSFP_F_PORTS))
		return udp && port == VOSFP_DEFAULT_SIP_PORT;
	return (bitmap[port / 8] >> (port % 8)) & 1;
}

/* "SIP/2.0" starting at some i with i + 7 <= limit. */
static int has_sip_version(const uint8_t *payload, size_t limit)
{
	for (size_t i = 0; i + 7 <= limit; i++)
		if (memcmp(payload + i, "SIP/2.0", 7) == 0)
			return 1;
	return 0;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static struct ref_verdict classify_udp(const uint8_t *f, size_t len, const struct parsed *pk,
				       const struct ref_policy *pol, const struct vosfp_config *cfg)
{
	const uint8_t *payload = f + pk->l4 + 8;
	unsigned udp_len = be16(f + pk->l4 + 4);
	long ip_l4_len = pk->ip_end - (long)pk->l4;
	size_t payload_len = udp_len >= 8 ? udp_len - 8 : 0;
	size_t in_frame = len - (pk->l4 + 8);
	size_t seen = payload_len;	/* payload bytes within the UDP length and the IP datagram */
	size_t visible;			/* ... and within the frame */
	int lengths_ok, is_register, has_version;

	if (ip_l4_len - 8 < (long)seen)
		seen = ip_l4_len > 8 ? (size_t)(ip_l4_len - 8) : 0;
	visible = min_size(seen, in_frame);

	lengths_ok = udp_len >= 8 && pk->ip_end <= (long)len &&
		     (pk->first_fragment ? (long)udp_len >= ip_l4_len : (long)udp_len == ip_l4_len);

	if (!(cfg->flags & VOSFP_F_NO_STEALTH) && visible >= 8 &&
	    memcmp(payload, "OPTIONS ", 8) == 0 && !on_list(pol->allowed, pol->n_allowed, pk))
		return VERDICT(REF_DROP, VOSFP_CNT_OPTIONS_DROPPED);

	if (!(cfg->flags & VOSFP_F_NO_MALFORMED)) {
		is_register = visible >= 9 && memcmp(payload, "REGISTER ", 9) == 0;
		has_version = has_sip_version(payload, min_size(visible, VOSFP_SIP_VERSION_WINDOW));
		if (!lengths_ok)
			return VERDICT(REF_DROP, VOSFP_CNT_MALFORMED);
		if (is_register && (payload_len < VOSFP_SIP_MIN_LEN || !has_version))
			return VERDICT(REF_DROP, VOSFP_CNT_MALFORMED);
		if (payload_len >= VOSFP_SIP_MIN_LEN && !has_version)
			return VERDICT(REF_DROP, VOSFP_CNT_MALFORMED);
	}

	/* Fragments never go to AF_XDP: the kernel must reassemble the whole datagram. */
	if (pol->xsk_on_queue && !pk->first_fragment)
		return VERDICT(REF_REDIRECT, VOSFP_CNT_REDIRECTED);
	return VERDICT(REF_PASS, VOSFP_CNT_PASSED);
}

struct ref_verdict reference_classify(const uint8_t *f, size_t len, const struct ref_policy *pol)
{
	static const struct vosfp_config seed_defaults;
	const struct vosfp_config *cfg = pol->cfg ? pol->cfg : &seed_defaults;
	struct parsed pk;
	int udp;

	if (parse(f, len, &pk))
		return UNCOUNTED_PASS;

	if (pk.portless)
		return on_list(pol->blocked, pol->n_blocked, &pk) ?
			       VERDICT(REF_DROP, VOSFP_CNT_BLOCKED) : UNCOUNTED_PASS;

	if (pk.proto != 17 && pk.proto != 6)
		return UNCOUNTED_PASS;
	udp = pk.proto == 17;
	if (len < pk.l4 + (udp ? 8 : 20))
		return UNCOUNTED_PASS;
	if (!port_selected(cfg, udp, be16(f + pk.l4 + 2)))
		return UNCOUNTED_PASS;

	if (on_list(pol->blocked, pol->n_blocked, &pk))
		return VERDICT(REF_DROP, VOSFP_CNT_BLOCKED);
	if (!udp)
		return VERDICT(REF_PASS, VOSFP_CNT_PASSED);	/* TCP: blocklist only */
	return classify_udp(f, len, &pk, pol, cfg);
}

const char *ref_counter_name(int counter)
{
	return counter == REF_UNCOUNTED ? "uncounted" : vosfp_counter_name(counter);
}

const char *ref_action_name(int action)
{
	static const char *const names[] = { "ABORTED", "DROP", "PASS", "TX", "REDIRECT" };

	return action >= 0 && action <= REF_REDIRECT ? names[action] : "?";
}
