/* admission_test.c - which connection of the metrics endpoint gives way to a newcomer
 * (agent/serve/admission.c), table-driven: every row a table of slots and the slot the newcomer
 * must get. */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"

#define SLOTS_MAX 8

/* Slots as text: one token per slot, "-" for a free one, else a stage letter (D draining,
 * R reading, W writing), a source digit (127.0.0.N) and "@age" (accept order: lower is older). */
static const struct {
	const char *name;
	const char *slots;
	int from;		/* the newcomer's source digit */
	int want;		/* the slot it must get */
} choose_rows[] = {
	{ "a free slot is taken first", "R1@1 - R1@2", 1, 1 },
	{ "the first free slot", "- R1@1 -", 2, 0 },
	{ "full, one source, newcomer of that source: its oldest", "R1@3 R1@1 R1@2", 1, 1 },
	{ "full, one source, newcomer of another: the flood's oldest", "R1@3 R1@1 R1@2", 2, 1 },
	{ "an answered (draining) connection gives way before a reading one", "R1@1 D1@5 W1@0", 1, 1 },
	{ "a reading connection gives way before one being answered", "W1@1 R1@5", 2, 1 },
	{ "the source holding the most gives way, not the oldest connection", "R2@1 R1@2 R1@3 R1@4", 3, 1 },
	{ "the newcomer counts with its own source (2 then holds 3)", "R1@1 R1@2 R2@3 R2@4", 2, 2 },
	{ "the newcomer counts with its own source (1 then holds 3)", "R1@1 R1@2 R2@3 R2@4", 1, 0 },
	{ "sources holding equally many: the more expendable candidate", "R1@5 R1@6 R2@3 R2@4", 3, 2 },
	{ "a lone connection stays while another source holds two", "R9@1 R5@2 R5@3", 7, 1 },
	{ "one connection per source: the oldest gives way", "R1@3 R2@1 R3@2", 4, 1 },
	{ "one each, the newcomer's source too: its own gives way", "R1@3 R2@1 R3@2", 1, 0 },
	{ "stage before age within the busiest source", "R1@1 W2@2 R2@3 W2@4", 1, 2 },
};

static unsigned parse_slots(const char *text, struct admission_slot *slots)
{
	char buf[256], *save = NULL;
	unsigned n = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, " ", &save); tok && n < SLOTS_MAX; tok = strtok_r(NULL, " ", &save), n++) {
		struct admission_slot *s = &slots[n];

		memset(s, 0, sizeof(*s));
		if (tok[0] == '-')
			continue;
		s->stage = tok[0] == 'D' ? STAGE_DRAINING : tok[0] == 'R' ? STAGE_READING : STAGE_WRITING;
		s->source.key[0] = 4;
		s->source.key[1] = 127;
		s->source.key[4] = (unsigned char)(tok[1] - '0');
		s->since = strtoull(strchr(tok, '@') + 1, NULL, 10);
	}
	return n;
}

static struct admission_source source_digit(int d)
{
	struct admission_source s = { .key = { 4, 127, 0, 0, (unsigned char)d } };

	return s;
}

START_TEST(test_admission_choose)
{
	struct admission_slot slots[SLOTS_MAX];
	unsigned n = parse_slots(choose_rows[_i].slots, slots);
	struct admission_source from = source_digit(choose_rows[_i].from);
	int got = admission_choose(slots, n, &from);

	ck_assert_msg(got == choose_rows[_i].want, "'%s' (%s, newcomer from %d): slot %d, expected %d",
		      choose_rows[_i].name, choose_rows[_i].slots, choose_rows[_i].from, got, choose_rows[_i].want);
}
END_TEST

START_TEST(test_admission_edges)
{
	struct admission_slot slots[SLOTS_MAX] = { 0 };
	struct admission_source from = source_digit(1);

	ck_assert_int_eq(admission_choose(slots, 0, &from), -1);
	ck_assert_int_eq(admission_expendable(slots, parse_slots("- - -", slots)), -1);
	ck_assert_int_eq(admission_expendable(slots, parse_slots("W1@1 - R2@9 R3@4", slots)), 3);
	ck_assert_int_eq(admission_expendable(slots, parse_slots("W1@1 D2@9 R3@4", slots)), 1);
}
END_TEST

/* Sources: IPv4 by address, IPv6 by /64, the two families never equal. */
static const struct {
	const char *a, *b;
	int same;
} source_rows[] = {
	{ "127.0.0.1", "127.0.0.1", 1 },
	{ "127.0.0.1", "127.0.0.2", 0 },
	{ "198.18.0.1", "198.19.0.1", 0 },
	{ "2001:db8::1", "2001:db8::2", 1 },
	{ "2001:db8::1", "2001:db8:0:0:ffff::1", 1 },
	{ "2001:db8::1", "2001:db8:0:1::1", 0 },
	{ "::ffff:127.0.0.1", "127.0.0.1", 0 },
	{ "::", "0.0.0.0", 0 },
};

static struct sockaddr_storage peer(const char *text)
{
	struct sockaddr_storage ss = { 0 };

	if (strchr(text, ':')) {
		ss.ss_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
	} else {
		ss.ss_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
	}
	return ss;
}

START_TEST(test_admission_source)
{
	struct sockaddr_storage pa = peer(source_rows[_i].a), pb = peer(source_rows[_i].b);
	struct admission_source a, b;

	admission_source_of(&pa, &a);
	admission_source_of(&pb, &b);
	ck_assert_msg((memcmp(&a, &b, sizeof(a)) == 0) == source_rows[_i].same, "%s and %s: expected %s", source_rows[_i].a,
		      source_rows[_i].b, source_rows[_i].same ? "one source" : "two sources");
}
END_TEST

TCase *admission_tcase(void)
{
	TCase *tc = tcase_create("admission");

	tcase_add_loop_test(tc, test_admission_choose, 0, sizeof(choose_rows) / sizeof(choose_rows[0]));
	tcase_add_test(tc, test_admission_edges);
	tcase_add_loop_test(tc, test_admission_source, 0, sizeof(source_rows) / sizeof(source_rows[0]));
	return tc;
}
