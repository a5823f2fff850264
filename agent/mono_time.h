/* mono_time.h - CLOCK_MONOTONIC readings for the agent's deadlines and durations: the wall clock
 * may be set back under a running daemon (NTP, an operator), the monotonic one never is. */
#ifndef VOSFP_MONO_TIME_H
#define VOSFP_MONO_TIME_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline long long mono_ms(void)
{
	return (long long)(mono_ns() / 1000000);
}

/* Whole milliseconds and microseconds since t0, a mono_ns() reading. */
static inline long ms_since(uint64_t t0)
{
	return (long)((mono_ns() - t0) / 1000000);
}

static inline long us_since(uint64_t t0)
{
	return (long)((mono_ns() - t0) / 1000);
}

#endif
