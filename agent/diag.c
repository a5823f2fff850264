/* diag.c - the problem collector behind every "file:line: what was expected" message. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static void keep(char **v, size_t *kept, const char *file, int line, const char *fmt, va_list ap)
{
	char msg[512], *full;
	int n;

	if (*kept >= DIAG_MAX_KEPT)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		n = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		n = asprintf(&full, "%s: %s", file, msg);
	if (n >= 0)
		v[(*kept)++] = full;
}

void diag_add(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	d->count++;
	va_start(ap, fmt);
	keep(d->msgs, &d->kept, file, line, fmt, ap);
	va_end(ap);
}

void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	d->notes_count++;
	va_start(ap, fmt);
	keep(d->notes, &d->notes_kept, file, line, fmt, ap);
	va_end(ap);
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
	for (size_t i = 0; i < d->notes_kept; i++)
		fprintf(out, "warning: %s\n", d->notes[i]);
	if (d->notes_count > d->notes_kept)
		fprintf(out, "warning: ... and %zu more warnings\n", d->notes_count - d->notes_kept);
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->kept; i++)
		free(d->msgs[i]);
	for (size_t i = 0; i < d->notes_kept; i++)
		free(d->notes[i]);
	memset(d, 0, sizeof(*d));
}
