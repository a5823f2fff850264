/* diag.h - collects every problem found in the operator's input, each with the file and line it
 * comes from, so one run reports them all and nothing is applied while any remain. */
#ifndef VOSFP_DIAG_H
#define VOSFP_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define DIAG_MAX_KEPT 64	/* beyond this, only counted: a binary file would flood */

struct diag {
	char *msgs[DIAG_MAX_KEPT];
	size_t kept;
	size_t count;
};

/* line 0 means "no line" (e.g. a file that cannot be opened). */
void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void diag_print(const struct diag *d, FILE *out);
void diag_clear(struct diag *d);

static inline int diag_failed(const struct diag *d)
{
	return d->count != 0;
}

#endif
