/* reference_scanner.c - see reference_scanner.h. One byte at a time, one rule per step, no
 * tricks: a walk over the lines that stops at the blank line, where the datapath samples the
 * payload and looks for the blank line only behind a scanner's User-Agent. No code shared with
 * the datapath or the agent: only the limits of bpf/vosfp.h. */
#include <string.h>

#include <linux/types.h>

#include "reference_scanner.h"
#include "vosfp.h"

#define NAME		"user-agent"
#define NAME_LEN	10
#define BLANKS_MAX	8	/* blanks skipped before the value (the datapath's UA_WS_MAX) */

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* A request: at least 8 bytes, an upper-case first letter, not a response ("SIP/2.0 ..."). */
static int is_request(const uint8_t *p, size_t len, size_t avail)
{
	return len >= 8 && avail >= 8 && p[0] >= 'A' && p[0] <= 'Z' && memcmp(p, "SIP/", 4) != 0;
}

/* Does a line start after byte k? After a line feed. */
static int line_starts_after(const uint8_t *p, size_t k)
{
	return p[k] == '\n';
}

/* "User-Agent:" in any case. Case is folded by setting bit 0x20, as the datapath does, so a
 * CR (0x0D) passes for the '-' (0x2D); the colon is exact. */
static int is_ua_name(const uint8_t *q)
{
	for (int i = 0; i < NAME_LEN; i++)
		if ((q[i] | 0x20) != (uint8_t)NAME[i])
			return 0;
	return q[NAME_LEN] == ':';
}

static int is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* The first word of s (its leading ASCII letters and digits, lower-cased), at most max bytes
 * looked at; its length. */
static size_t first_word(const uint8_t *s, size_t max, uint8_t word[VOSFP_UA_WORD_MAX])
{
	size_t n = 0;

	while (n < max && n < VOSFP_UA_WORD_MAX && (is_alpha(s[n]) || is_digit(s[n]))) {
		word[n] = is_alpha(s[n]) ? s[n] | 0x20 : s[n];
		n++;
	}
	return n;
}

/* Two first words are the same token when they have the same length (VOSFP_UA_WORD_MAX meaning
 * "that long or longer") and the same first VOSFP_UA_WORD_BYTES letters: the map's key keeps
 * no more (struct vosfp_scanner_key). */
static int same_token(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && memcmp(a, b, min_size(an, VOSFP_UA_WORD_BYTES)) == 0;
}

/* The value from pos on, the payload's bytes ending at end: a scanner's? */
static int value_is_scanner(const uint8_t *p, size_t pos, size_t end,
			    const char *const *tokens, size_t n_tokens)
{
	uint8_t word[VOSFP_UA_WORD_MAX], tw[VOSFP_UA_WORD_MAX];
	size_t n;

	for (int i = 0; i < BLANKS_MAX && pos < end && (p[pos] == ' ' || p[pos] == '\t'); i++)
		pos++;
	n = first_word(p + pos, end > pos ? end - pos : 0, word);
	if (n == 0)
		return 0;
	for (size_t t = 0; t < n_tokens; t++) {
		const uint8_t *tok = (const uint8_t *)tokens[t];
		size_t tn = first_word(tok, strlen(tokens[t]), tw);

		if (tn && same_token(word, n, tw, tn))
			return 1;
	}
	return 0;
}

int reference_is_scanner(const uint8_t *payload, size_t len, size_t avail,
			 const char *const *tokens, size_t n_tokens)
{
	/* Header lines are looked for in the first VOSFP_UA_SEARCH_MAX bytes the payload holds;
	 * the value may run on to the end of the payload. */
	size_t limit = min_size(min_size(len, VOSFP_UA_SEARCH_MAX), avail);

	if (!is_request(payload, len, avail))
		return 0;
	for (size_t k = 0; k < limit; k++) {
		size_t line = k + 1;

		if (!line_starts_after(payload, k))
			continue;
		if (line + NAME_LEN + 1 > limit)	/* no room left for the name: nor further on */
			return 0;
		if (payload[line] == '\r' || payload[line] == '\n')	/* the end of the headers */
			return 0;
		if (is_ua_name(payload + line))
			return value_is_scanner(payload, line + NAME_LEN + 1, min_size(len, avail),
						tokens, n_tokens);
	}
	return 0;
}
