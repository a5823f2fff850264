/* list_file_fuzz.c - libFuzzer target: the input as an allow/block list file through list_file_read,
 * as the agent reads one. Beyond no crash, leak or undefined behaviour: every entry accepted goes
 * back to the same prefix through its text (vosfp_prefix_str, then the parser) and through its map
 * key; and each line the IPv4 fast path accepts, the general parser accepts as the same prefix. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file_write("list.txt", data, size);
	struct prefix_set set = { 0 };
	struct diag d = { 0 };
	long n = list_file_read(path, 0, &set, &d);

	if ((n < 0) != diag_failed(&d))
		abort();	/* a failure without a reason, or a reason without a failure */
	if (n >= 0) {
		prefix_set_finish(&set);
		for (size_t i = 0; i < set.n; i++) {
			check_round_trips(&set.v[i]);
			if (i && prefix_cmp(&set.v[i - 1], &set.v[i]) >= 0)
				abort();	/* a finished set is sorted and duplicate-free */
		}
	}
	check_fast_path(data, size);
	prefix_set_free(&set);
	diag_clear(&d);
	return 0;
}
