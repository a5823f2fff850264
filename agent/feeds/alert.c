/* alert.c - see alert.h. The scenario of each reason is one row below: a reason added to the
 * datapath is published under ALERT_SCENARIO_OTHER until it gets its row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "alert.h"
#include "decision.h"

static const struct {
	uint32_t reason;
	const char *scenario;
} scenario_of[] = {
	{ VOSFP_REASON_RATE, "vosfp/sip-flood" },
	{ VOSFP_REASON_AUTH_FAILURES, "vosfp/sip-bruteforce" },
	{ VOSFP_REASON_ENUMERATION, "vosfp/sip-enumeration" },
	{ VOSFP_REASON_SCANNER, "vosfp/sip-scanner" },
};

#define ROWS (sizeof(scenario_of) / sizeof(scenario_of[0]))

const char *alert_scenario(uint32_t reason)
{
	for (size_t i = 0; i < ROWS; i++)
		if (scenario_of[i].reason == reason)
			return scenario_of[i].scenario;
	return ALERT_SCENARIO_OTHER;
}

const char *const *alert_scenarios(size_t *n)
{
	static const char *all[ROWS + 1];

	for (size_t i = 0; i < ROWS; i++)
		all[i] = scenario_of[i].scenario;
	all[ROWS] = ALERT_SCENARIO_OTHER;
	*n = ROWS + 1;
	return all;
}

static void add_string(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

static json_object *one_alert(const struct autoblock *b, uint64_t now, const char *when, const char *host)
{
	char addr[AUTOBLOCK_ADDR_STRLEN], reason[AUTOBLOCK_REASON_STRLEN], text[256], duration[32];
	unsigned long long left = autoblock_seconds_left(b, now);
	const char *scenario = alert_scenario(b->reason);
	json_object *a = json_object_new_object(), *src = json_object_new_object();
	json_object *d = json_object_new_object(), *ds = json_object_new_array();

	autoblock_addr(&b->key, addr, sizeof(addr));
	autoblock_reason(b->reason, b->method, reason, sizeof(reason));
	snprintf(text, sizeof(text), "vosfp on %s: %s auto-blocked for %llu s (%s)", host, addr, left, reason);
	snprintf(duration, sizeof(duration), "%llus", left);
	add_string(a, "scenario", scenario);
	add_string(a, "scenario_hash", "");
	add_string(a, "scenario_version", "1");
	add_string(a, "message", text);
	json_object_object_add(a, "events_count", json_object_new_int(1));
	add_string(a, "start_at", when);
	add_string(a, "stop_at", when);
	json_object_object_add(a, "capacity", json_object_new_int(0));
	add_string(a, "leakspeed", "0");
	json_object_object_add(a, "simulated", json_object_new_boolean(0));
	json_object_object_add(a, "remediation", json_object_new_boolean(1));
	json_object_object_add(a, "events", json_object_new_array());
	add_string(src, "scope", "Ip");
	add_string(src, "value", addr);
	add_string(src, "ip", addr);
	json_object_object_add(a, "source", src);
	add_string(d, "duration", duration);
	add_string(d, "origin", DECISION_OWN_ORIGIN);
	add_string(d, "scenario", scenario);
	add_string(d, "scope", "Ip");
	add_string(d, "type", "ban");
	add_string(d, "value", addr);
	json_object_array_add(ds, d);
	json_object_object_add(a, "decisions", ds);
	return a;
}

char *alert_json(const struct autoblock *blocks, size_t n, uint64_t now, long long now_unix, const char *host)
{
	json_object *all = json_object_new_array();
	time_t t = (time_t)now_unix;
	struct tm tm;
	char when[32];
	char *out;

	if (!all)
		return NULL;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(all, one_alert(&blocks[i], now, when, host));
	out = strdup(json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN));
	json_object_put(all);
	return out;
}
