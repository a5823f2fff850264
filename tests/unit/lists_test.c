/* lists_test.c - the list-file reader (agent/desired/lists.c) on generated files bigger than its
 * 1 MiB read chunk: lines straddling chunks, an overlong line, binary data past the first chunk,
 * a last line without its newline, and the bound: a file of millions of repeated lines holds one
 * entry and never more than 3/2 of the limit, one past the limit is refused. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lists.h"

#define MiB (1 << 20)

enum gen { DISTINCT, STRADDLE, OVERLONG, NO_NEWLINE, LATE_NUL, REPEATED, CRLF };

static const struct {
	const char *name;
	enum gen gen;
	long n;			/* lines the generator writes */
	size_t max;		/* the bound; 0: none */
	long ret;		/* of list_file_read */
	size_t set_n;		/* entries in the set after */
	const char *msg;	/* a diag message containing this, or NULL for none */
} rows[] = {
	{ "100,000 distinct addresses (1.4 MB: two chunks)", DISTINCT, 100000, 0, 100000, 100000, NULL },
	{ "an address straddling the 1 MiB chunk boundary", STRADDLE, 0, 0, 2, 2, NULL },
	{ "a 3 MiB line between two addresses", OVERLONG, 0, 0, -EINVAL, 2, ":2: line of 3145729 characters" },
	{ "a last line without its newline", NO_NEWLINE, 0, 0, 2, 2, NULL },
	{ "a NUL byte in the second chunk: reported at its line, reading stops", LATE_NUL, 0, 0, -EINVAL, 100000,
	  ":100001: binary data" },
	{ "CRLF line ends", CRLF, 1000, 0, 1000, 1000, NULL },
	{ "2,000,000 copies of one address, limit 1000: one entry", REPEATED, 2000000, 1000, 2000000, 1, NULL },
	{ "1001 distinct addresses, limit 1000: accepted here (the final count is checked by the caller)",
	  DISTINCT, 1001, 1000, 1001, 1001, NULL },
	{ "2000 distinct addresses, limit 1000: refused before the end", DISTINCT, 2000, 1000, -E2BIG, 0,
	  "blocklist holds more than limits.blocklist_max (1000) entries by " },
};

static void addr(FILE *f, long i, const char *end)
{
	fprintf(f, "10.%ld.%ld.%ld%s", (i >> 16) & 255, (i >> 8) & 255, i & 255, end);
}

static void generate(enum gen gen, long n, FILE *f)
{
	switch (gen) {
	case DISTINCT:
	case CRLF:
		for (long i = 0; i < n; i++)
			addr(f, i, gen == CRLF ? "\r\n" : "\n");
		break;
	case STRADDLE:
		/* Comment lines up to 5 bytes before the boundary: "10.0.0.1" crosses it. */
		for (long i = 0; i < (MiB - 5) / 100; i++)
			fprintf(f, "#%098d\n", 0);
		fprintf(f, "#%0*d\n", (MiB - 5) % 100 - 2, 0);
		fputs("10.0.0.1\n10.0.0.2\n", f);
		break;
	case OVERLONG:
		addr(f, 1, "\n");
		for (long i = 0; i < 3 * MiB; i++)
			fputc('x', f);
		fputs("\n", f);
		addr(f, 2, "\n");
		break;
	case NO_NEWLINE:
		addr(f, 1, "\n");
		addr(f, 2, "");
		break;
	case LATE_NUL: {
		static const char bad[] = "10.9.9\0009\n10.9.9.10\n";

		for (long i = 0; i < 100000; i++)
			addr(f, i, "\n");
		fwrite(bad, 1, sizeof(bad) - 1, f);
		break;
	}
	case REPEATED:
		for (long i = 0; i < n; i++)
			fputs("198.18.0.1\n", f);
		break;
	}
}

START_TEST(test_list_file_read)
{
	char path[] = "/tmp/vosfp-lists-test.XXXXXX";
	struct list_bound bound = { .max = rows[_i].max, .list = "blocklist",
				    .limit = { "vosfp.yaml", 12, "limits.blocklist_max" } };
	struct prefix_set set = { 0 };
	struct diag d = { 0 };
	int fd = mkstemp(path), found = !rows[_i].msg;
	FILE *f = fdopen(fd, "w");
	long ret;

	ck_assert_ptr_nonnull(f);
	generate(rows[_i].gen, rows[_i].n, f);
	ck_assert_int_eq(fclose(f), 0);
	ret = list_file_read(path, 0, &set, &d, NULL, rows[_i].max ? &bound : NULL);
	unlink(path);
	prefix_set_finish(&set);	/* as the caller does */
	ck_assert_msg(ret == rows[_i].ret, "%s: returned %ld, expected %ld", rows[_i].name, ret, rows[_i].ret);
	if (rows[_i].ret != -E2BIG)
		ck_assert_msg(set.n == rows[_i].set_n, "%s: %zu entries, expected %zu", rows[_i].name, set.n, rows[_i].set_n);
	/* With a bound, the set never grows past 3/2 of it: what the file costs is the limit's. */
	if (rows[_i].max)
		ck_assert_msg(set.cap <= rows[_i].max + rows[_i].max / 2 + 1, "%s: room for %zu entries", rows[_i].name,
			      set.cap);
	for (size_t i = 0; i < d.kept; i++)
		found |= rows[_i].msg && strstr(d.msgs[i], rows[_i].msg) != NULL;
	if (!found || (!rows[_i].msg && d.count))
		diag_print(&d, stderr);
	ck_assert_msg(found && (rows[_i].msg || !d.count), "%s: messages (above) are not as expected", rows[_i].name);
	prefix_set_free(&set);
	diag_clear(&d);
}
END_TEST

TCase *lists_tcase(void)
{
	TCase *tc = tcase_create("lists");

	tcase_set_timeout(tc, 30);	/* ASan: 2,000,000 lines take a few seconds */
	tcase_add_loop_test(tc, test_list_file_read, 0, sizeof(rows) / sizeof(rows[0]));
	return tc;
}
