/* scanner.h - scanner User-Agent tokens as the datapath looks them up (map scanner_tokens). */
#ifndef VOSFP_SCANNER_H
#define VOSFP_SCANNER_H

#include <linux/types.h>

#include "vosfp.h"

/* The tokens used when the config names none. */
extern const char *const scanner_default_tokens[];
extern const unsigned scanner_default_count;

/* The key of a token: its first word (leading ASCII letters and digits), lower-cased, as the
 * datapath keys a User-Agent value (see struct vosfp_scanner_key). -1 when the token does not
 * start with a letter or digit (the datapath could never match it). */
int scanner_key(const char *token, struct vosfp_scanner_key *key);

/* Map scanner_free's value (bpf/vosfp.h) for the keys of a and of b (either may be empty): every
 * slot free but theirs. The union is what the map holds while a moves to b. */
void scanner_free_build(const struct vosfp_scanner_key *a, unsigned n, const struct vosfp_scanner_key *b,
			unsigned m, struct vosfp_scanner_free *out);

#endif
