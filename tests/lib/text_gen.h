/* text_gen.h - what the randomized SIP-text tests share to write their payloads: appending
 * bytes, strings and strings in a random case, a padding header that puts the next line at a
 * chosen offset, and one random byte-level mutation. A payload is a struct text; its mark is
 * where the line under test starts (-1: none), for the mutations to aim at. */
#ifndef VOSFP_TEST_TEXT_GEN_H
#define VOSFP_TEST_TEXT_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test_rng.h"

#define TEXT_MAX 2048

struct text {
	uint8_t buf[TEXT_MAX];
	size_t len;
	long mark;
};

static inline void text_put(struct text *t, const void *s, size_t n)
{
	if (t->len + n > sizeof(t->buf))
		n = sizeof(t->buf) - t->len;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static inline void text_puts(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* s in a random case when asked to (each letter on its own). */
static inline void text_put_cased(struct rng *r, struct text *t, const char *s, int random_case)
{
	for (; *s; s++) {
		char c = *s;

		if (random_case && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && below(r, 2))
			c ^= 0x20;
		text_put(t, &c, 1);
	}
}

/* A padding header that makes the next line start at target, when there is room for one. */
static inline void text_pad_to(struct rng *r, struct text *t, size_t target, const char *end)
{
	size_t fixed = strlen("X-Pad: ") + strlen(end);

	if (target <= t->len + fixed || target > sizeof(t->buf))
		return;
	text_puts(t, "X-Pad: ");
	while (t->len + strlen(end) < target) {
		char c = "abcdefghij0123456789 ;=-"[below(r, 24)];

		text_put(t, &c, 1);
	}
	text_puts(t, end);
}

/* One mutation at byte at (< len): a hot byte written over it or inserted before it, one bit
 * flipped, or the byte deleted. */
static inline void text_mutate_at(struct rng *r, struct text *t, size_t at, const uint8_t *hot, size_t n_hot)
{
	switch (below(r, 4)) {
	case 0:
		t->buf[at] = hot[below(r, (unsigned)n_hot)];
		break;
	case 1:
		t->buf[at] ^= 1u << below(r, 8);
		break;
	case 2:		/* insert a byte */
		if (t->len < sizeof(t->buf)) {
			memmove(t->buf + at + 1, t->buf + at, t->len - at);
			t->buf[at] = hot[below(r, (unsigned)n_hot)];
			t->len++;
		}
		break;
	default:	/* delete a byte */
		memmove(t->buf + at, t->buf + at + 1, t->len - at - 1);
		t->len--;
		break;
	}
}

/* The first max bytes of t for a failure message: printable ASCII as is, the rest escaped, a
 * line break after each line feed. */
static inline void text_dump(FILE *out, const struct text *t, size_t max)
{
	for (size_t i = 0; i < t->len && i < max; i++) {
		uint8_t c = t->buf[i];

		if (c >= 0x20 && c < 0x7F && c != '\\')
			fputc(c, out);
		else
			fprintf(out, "\\x%02x%s", c, c == '\n' ? "\n" : "");
	}
	fputc('\n', out);
}

#endif
