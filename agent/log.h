/* log.h - the one logging helper: one line per event on stderr (journald keeps it), with a level
 * word, filtered by the verbosity the operator chose. */
#ifndef VOSFP_LOG_H
#define VOSFP_LOG_H

#include <syslog.h>

extern int log_level;	/* LOG_ERR .. LOG_DEBUG; messages above it are dropped */

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
