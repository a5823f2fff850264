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
	/* Warnings: said, but the input is valid (a whole-internet blocklist prefix). */
	char *notes[DIAG_MAX_KEPT];
	size_t notes_kept;
	size_t notes_count;
};

/* line 0 means "no line" (e.g. a file that cannot be opened). */
void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Where the operator named a file (the config, its line, the key): a problem with the file as a
 * whole (missing, unsafe, too long a name) is reported there; problems inside it at its own lines. */
struct diag_ref {
	const char *file;
	int line;
	const char *key;
};

/* "FILE:LINE: KEY: 'path': msg" when ref is given, else "path: msg". */
void diag_add_ref(struct diag *d, const struct diag_ref *ref, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A warning: the same form as diag_add, not counted as a problem. */
void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Problems, then warnings ("warning: " before each). */
void diag_print(const struct diag *d, FILE *out);
void diag_clear(struct diag *d);

static inline int diag_failed(const struct diag *d)
{
	return d->count != 0;
}

#endif
