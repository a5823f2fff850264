/* counters.c - see counters.h. */
#include "counters.h"

const struct vosfp_counter_info vosfp_counters[VOSFP_CNT_COUNT] = {
	[VOSFP_CNT_OPTIONS_DROPPED] = { "OPTIONS_DROPPED", "options_dropped", "OPTIONS dropped (stealth)" },
	[VOSFP_CNT_REDIRECTED] = { "REDIRECTED", "redirected", "Redirected (AF_XDP)" },
	[VOSFP_CNT_PASSED] = { "PASSED", "passed", "Passed to stack" },
	[VOSFP_CNT_BLOCKED] = { "BLOCKED", "blocked", "Blocked (DoS list)" },
	[VOSFP_CNT_MALFORMED] = { "MALFORMED", "malformed", "Malformed (dropped)" },
	[VOSFP_CNT_RATE_LIMITED] = { "RATE_LIMITED", "rate_limited", "Rate limited (dropped)" },
	[VOSFP_CNT_AUTO_BLOCKED] = { "AUTO_BLOCKED", "auto_blocked", "Auto-blocked (dropped)" },
	[VOSFP_CNT_SCANNER_DROPPED] = { "SCANNER_DROPPED", "scanner_dropped", "Scanner User-Agent (dropped)" },
	[VOSFP_CNT_DECISION_DROPPED] = { "DECISION_DROPPED", "decision_dropped", "Decision (CrowdSec) (dropped)" },
};

const char *vosfp_counter_name(int i)
{
	return i >= 0 && i < VOSFP_CNT_COUNT ? vosfp_counters[i].name : "unused slot";
}
