/* diag.c - the problem collector behind every "file:line: what was expected" message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	char msg[512], *full;
	va_list ap;
	int n;

	d->count++;
	if (d->kept >= DIAG_MAX_KEPT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		n = asprintf(&full, "%s: %s", file, msg);
	if (n >= 0)
		d->msgs[d->kept++] = full;
}

void diag_add_ref(struct diag *d, const struct diag_ref *ref, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ref)
		diag_add(d, ref->file, ref->line, "%s: '%s': %s", ref->key, path, msg);
	else
		diag_add(d, path, 0, "%s", msg);
}

void diag_print(const struct diag *d, FILE *out)
{
	for (size_t i = 0; i < d->kept; i++)
		fprintf(out, "%s\n", d->msgs[i]);
	if (d->count > d->kept)
		fprintf(out, "... and %zu more problems\n", d->count - d->kept);
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->kept; i++)
		free(d->msgs[i]);
	memset(d, 0, sizeof(*d));
}
