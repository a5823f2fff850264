/* scanner.c - see scanner.h. */
#include <string.h>

#include "scanner.h"

/* The User-Agents of the SIP scanners seen most in the wild: SIPVicious ("friendly-scanner",
 * "sipvicious"), sipcli, VaxSIPUserAgent, sundayddr, iWar and SIPScan. */
const char *const scanner_default_tokens[] = {
	"friendly-scanner", "sipvicious", "sipcli", "VaxSIPUserAgent", "sundayddr", "iWar", "SIPScan",
};
const unsigned scanner_default_count = sizeof(scanner_default_tokens) / sizeof(scanner_default_tokens[0]);

static __u8 word_char(unsigned char c)
{
	unsigned char l = c | 0x20;

	if (l >= 'a' && l <= 'z')
		return l;
	if (c >= '0' && c <= '9')
		return c;
	return 0;
}

int scanner_key(const char *token, struct vosfp_scanner_key *key)
{
	memset(key, 0, sizeof(*key));
	for (unsigned i = 0; i < VOSFP_UA_WORD_MAX && token[i]; i++) {
		__u8 c = word_char((unsigned char)token[i]);

		if (!c)
			break;
		if (i < VOSFP_UA_WORD_BYTES)
			key->word[i] = c;
		key->len = i + 1;
	}
	return key->len ? 0 : -1;
}

static void take_slots(const struct vosfp_scanner_key *keys, unsigned n, struct vosfp_scanner_free *out)
{
	for (unsigned i = 0; i < n; i++) {
		__u32 slot = vosfp_scanner_slot(&keys[i]);

		out->bits[slot >> 6] &= ~(1ULL << (slot & 63));
	}
}

void scanner_free_build(const struct vosfp_scanner_key *a, unsigned n, const struct vosfp_scanner_key *b,
			unsigned m, struct vosfp_scanner_free *out)
{
	memset(out->bits, 0xFF, sizeof(out->bits));
	take_slots(a, n, out);
	take_slots(b, m, out);
}
