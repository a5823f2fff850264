/* addr.h - IPv4/IPv6 addresses and CIDR prefixes as the operator writes them, and the list-map
 * keys they become. Pure user space, no kernel access: shared by the agent, tests and bench. */
#ifndef VOSFP_ADDR_H
#define VOSFP_ADDR_H

#include <stddef.h>
#include <linux/types.h>
#include "vosfp.h"

struct vosfp_prefix {
	__u8 family;		/* 4 or 6 */
	__u8 len;		/* prefix length: 0..32 or 0..128 (32/128 = one host) */
	__u8 addr[16];		/* network byte order; IPv4 uses the first 4 bytes */
};

/* Which of a list's four maps holds a prefix: hosts go to the exact hashes, shorter prefixes to
 * the LPM tries. */
enum vosfp_list_map {
	VOSFP_LIST_EXACT4,
	VOSFP_LIST_EXACT6,
	VOSFP_LIST_NETS4,
	VOSFP_LIST_NETS6,
	VOSFP_LIST_MAPS
};

/* Longest key of any list map (struct vosfp_lpm6_key). */
#define VOSFP_LIST_KEY_MAX sizeof(struct vosfp_lpm6_key)

/* Parse "198.51.100.7", "203.0.113.0/24", "2001:db8::/32". Host bits set, lengths out of range
 * and anything else malformed fail with -EINVAL and a one-line reason in err (what was expected).
 * An IPv4-mapped IPv6 address or prefix (::ffff:198.51.100.7, ::ffff:203.0.113.0/120) is the IPv4
 * one it maps: the datapath matches an IPv4 packet's source in the IPv4 maps only. */
int vosfp_prefix_parse(const char *text, struct vosfp_prefix *out, char *err, size_t errlen);

/* Was text, which parsed into p, written IPv4-mapped (::ffff:a.b.c.d)? For the warning: */
int vosfp_prefix_was_mapped(const char *text, const struct vosfp_prefix *p);
/* ... and for a prefix of length 0 in a blocklist: valid, but it drops SIP from every source of
 * its family (the blocklist is checked before the allowlist, which cannot exempt any). */
#define VOSFP_WHOLE_FAMILY_NOTE "'%s' in the blocklist drops SIP from every %s source (the allowlist exempts none)"
#define VOSFP_MAPPED_NOTE "'%s' is an IPv4-mapped IPv6 address, read as the IPv4 %s (the datapath matches an IPv4 packet's source as IPv4)"
/* Only the common case, a plain "a.b.c.d" or "a.b.c.d/n" that the general parser would accept:
 * 1 and *out filled, else 0 and nothing said (the general parser then judges it). */
int vosfp_prefix_parse_v4(const char *text, struct vosfp_prefix *out);

/* The same without the IPv4 fast path; exported so a test can hold the fast path to it. */
int vosfp_prefix_parse_general(const char *text, struct vosfp_prefix *out, char *err, size_t errlen);

/* Back to text, canonical form ("2001:db8::/32", "198.51.100.7"); buf >= VOSFP_PREFIX_STRLEN. */
#define VOSFP_PREFIX_STRLEN 64
const char *vosfp_prefix_str(const struct vosfp_prefix *p, char *buf, size_t len);

enum vosfp_list_map vosfp_prefix_map(const struct vosfp_prefix *p);

/* Write the map key for p into key (VOSFP_LIST_KEY_MAX bytes); returns the key's size. */
size_t vosfp_prefix_key(const struct vosfp_prefix *p, void *key);

/* The inverse: the prefix a key of list map m stands for. */
void vosfp_prefix_from_key(enum vosfp_list_map m, const void *key, struct vosfp_prefix *p);

/* The key of an IPv6 prefix shorter than /128 in the blocklist's prefix index (blocked_nets6_h,
 * bpf/vosfp.h): its first address with the bit just past the prefix set, 16 bytes that name both
 * the prefix and its length. And back: -EINVAL for a key with no bit set. */
void vosfp_prefix_index_key(const struct vosfp_prefix *p, __u8 key[16]);
int vosfp_prefix_from_index_key(const __u8 key[16], struct vosfp_prefix *p);

/* Does prefix p contain the address addr (family's length, network order)? */
int vosfp_prefix_contains(const struct vosfp_prefix *p, int family, const __u8 *addr);

#endif
