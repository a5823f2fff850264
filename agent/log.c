/* log.c - see log.h. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

int log_level = LOG_INFO;

void log_msg(int level, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vosfp-agent: %s: %s\n", names[level & 7], line);
}
