/* list_file_fuzz.c - libFuzzer target: the input as an allow/block list file through list_file_read,
 * unbounded (as --check-list reads it) and bounded by a limit (as desired_build does, which then
 * finishes the set and checks the limit itself). Beyond no crash, leak or undefined behaviour: a
 * refusal says why; the bounded reading never holds more than 3/2 of the limit, refuses a file of
 * more distinct entries than that, and otherwise holds the same entries as the unbounded one; every
 * entry goes back to the same prefix through its text (vosfp_prefix_str, then the parser) and
 * through its map key; and each line the IPv4 fast path accepts, the general parser accepts as the
 * same prefix. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "diag.h"
#include "fuzz_file.h"
#include "lists.h"
#include "prefix_set.h"

static void check_round_trips(const struct vosfp_prefix *p)
{
	char text[VOSFP_PREFIX_STRLEN], err[256];
	unsigned char key[VOSFP_LIST_KEY_MAX];
	struct vosfp_prefix back;

	if (vosfp_prefix_parse(vosfp_prefix_str(p, text, sizeof(text)), &back, err, sizeof(err)) ||
	    prefix_cmp(p, &back))
		abort();	/* its own text does not parse back to it */
	vosfp_prefix_key(p, key);
	memset(&back, 0, sizeof(back));
	vosfp_prefix_from_key(vosfp_prefix_map(p), key, &back);
	if (prefix_cmp(p, &back))
		abort();	/* its map key stands for another prefix */
}

/* The fast path may decline anything, but what it accepts the general parser must accept alike. */
static void check_fast_path(const uint8_t *data, size_t size)
{
	const uint8_t *line = data, *end = data + size;

	for (int i = 0; i < 64 && line < end; i++) {
		const uint8_t *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		char *text = malloc(len + 1), err[256];
		struct vosfp_prefix fast, general;

		if (!text)
			abort();
		memcpy(text, line, len);
		text[len] = 0;
		memset(&fast, 0, sizeof(fast));
		memset(&general, 0, sizeof(general));
		if (vosfp_prefix_parse_v4(text, &fast) == 1 &&
		    (vosfp_prefix_parse_general(text, &general, err, sizeof(err)) || prefix_cmp(&fast, &general)))
			abort();
		free(text);
		line += len + 1;
	}
}

/* Small, so that a few kilobytes of input go past it; list_file_read holds at most 3/2 of it
 * (then drops duplicates, and refuses the file if still over). */
#define LIMIT 16
#define HELD_MAX (LIMIT + LIMIT / 2 + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_write("list.txt", data, size);
	const struct list_bound bound = {
		.max = LIMIT,
		.list = "blocklist",
		.limit = { .file = "vosfp.yaml", .line = 7, .key = "limits.blocklist_max" },
	};
	struct prefix_set all = { 0 }, bounded = { 0 };
	struct diag d = { 0 }, db = { 0 };
	long n = list_file_read(path, 0, &all, &d, NULL, NULL), nb;

	if ((n < 0) != diag_failed(&d))
		abort();	/* a failure without a reason, or a reason without a failure */
	nb = list_file_read(path, 0, &bounded, &db, NULL, &bound);
	if ((nb < 0) != diag_failed(&db))
		abort();
	if (n >= 0) {
		prefix_set_finish(&all);
		for (size_t i = 0; i < all.n; i++) {
			check_round_trips(&all.v[i]);
			if (i && prefix_cmp(&all.v[i - 1], &all.v[i]) >= 0)
				abort();	/* a finished set is sorted and duplicate-free */
		}
		if (bounded.n > HELD_MAX)
			abort();	/* held more than the bound allows */
		if (nb >= 0) {
			/* Taken: the same entries (its duplicates go when the caller finishes it). */
			prefix_set_finish(&bounded);
			if (bounded.n != all.n || (all.n && memcmp(bounded.v, all.v, all.n * sizeof(*all.v))))
				abort();
		} else if (nb != -E2BIG || all.n <= LIMIT) {
			abort();	/* refused, and not for a file past the bound */
		}
	}
	check_fast_path(data, size);
	prefix_set_free(&all);
	prefix_set_free(&bounded);
	diag_clear(&d);
	diag_clear(&db);
	return 0;
}
