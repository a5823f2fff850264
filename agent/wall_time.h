/* wall_time.h - the wall clock as /metrics stamps it: Unix time in seconds, fractions kept.
 * Only for timestamps shown to people and scrapers; deadlines and durations use mono_time.h
 * (the wall clock may be set back under a running daemon). */
#ifndef VOSFP_WALL_TIME_H
#define VOSFP_WALL_TIME_H

#include <time.h>

static inline double unix_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

#endif
