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

const struct vosfp_counter_info vosfp_answer_counters[VOSFP_ANS_COUNT] = {
	[VOSFP_ANS_RESPONSES] = { "RESPONSES", "responses", "SIP responses read" },
	[VOSFP_ANS_CHALLENGES] = { "CHALLENGES", "challenges", "Challenges (401, 407)" },
	[VOSFP_ANS_REFUSED] = { "REFUSED", "refused", "Refusals (403)" },
	[VOSFP_ANS_NOT_FOUND] = { "NOT_FOUND", "not_found", "Not found (404, 410, 484, 485, 604)" },
	[VOSFP_ANS_AUTH_FAILURES] = { "AUTH_FAILURES", "auth_failures", "Auth failures counted" },
	[VOSFP_ANS_BLOCKED_AUTH] = { "BLOCKED_AUTH", "blocked_auth_failures", "Auto-blocked for auth failures" },
	[VOSFP_ANS_BLOCKED_ENUM] = { "BLOCKED_ENUM", "blocked_enumeration", "Auto-blocked for enumeration" },
	[VOSFP_ANS_ALLOWLISTED] = { "ALLOWLISTED", "allowlisted", "Allowlisted peers over a limit (not blocked)" },
	[VOSFP_ANS_NO_CALL_ID] = { "NO_CALL_ID", "no_call_id", "Challenges and refusals without a Call-ID" },
};

const char *vosfp_counter_name(int i)
{
	return i >= 0 && i < VOSFP_CNT_COUNT ? vosfp_counters[i].name : "unused slot";
}
