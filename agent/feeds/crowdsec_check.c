/* crowdsec_check.c - see crowdsec_check.h. */
#include <string.h>

#include "autoblock_map.h"
#include "crowdsec_check.h"
#include "decision_set.h"
#include "lapi_client.h"
#include "secret_file.h"

#define DRY_RUN_TIMEOUT_S 10

static void describe_filter(const struct desired_crowdsec *cs, char *buf, size_t len)
{
	size_t used = 0;

	for (unsigned i = 0; i < cs->type_count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "/" : "", cs->types[i]);
	if (used < len)
		used += (size_t)snprintf(buf + used, len - used, " on %s",
					 cs->scopes == 3 ? "Ip and Range" : cs->scopes == 1 ? "Ip" : "Range");
	for (unsigned i = 0; i < cs->origin_count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : " from ", cs->origins[i]);
}

/* GET /v1/decisions and what it would give here. */
static void ask(const struct desired_crowdsec *cs, const char *key, const char *version, FILE *out)
{
	const char *types[DESIRED_CROWDSEC_TYPES], *origins[DESIRED_CROWDSEC_ORIGINS];
	struct lapi_filter f = { .scopes = cs->scopes, .types = types, .type_count = cs->type_count,
				 .origins = origins, .origin_count = cs->origin_count };
	char ua[64], why[512], filter[256];
	struct lapi_client *c;
	struct lapi_reply r;
	struct lapi_batch b;
	struct decision_set held = { 0 };
	size_t skipped = 0;

	for (unsigned i = 0; i < cs->type_count; i++)
		types[i] = cs->types[i];
	for (unsigned i = 0; i < cs->origin_count; i++)
		origins[i] = cs->origins[i];
	snprintf(ua, sizeof(ua), "vosfp/%s", version);
	c = lapi_client_new(cs->lapi_url, cs->ca_file, ua, cs->max_response_bytes, DRY_RUN_TIMEOUT_S, NULL);
	if (!c) {
		fprintf(out, "crowdsec: cannot start libcurl: the LAPI was not asked\n");
		return;
	}
	if (lapi_client_call(c, "GET", "/v1/decisions", key, NULL, NULL, &r)) {
		fprintf(out, "crowdsec: LAPI %s does not answer: %s\n", cs->lapi_url, r.err);
	} else if (r.status == 401 || r.status == 403) {
		fprintf(out, "crowdsec: LAPI %s answers but refuses the API key read from %s (HTTP %ld)\n", cs->lapi_url,
			cs->api_key_file, r.status);
	} else if (r.status != 200) {
		fprintf(out, "crowdsec: LAPI %s answers HTTP %ld\n", cs->lapi_url, r.status);
	} else if (lapi_list_parse(r.body, r.len, &f, &b, why, sizeof(why))) {
		fprintf(out, "crowdsec: LAPI %s answers, but its decision list would be refused: %s\n", cs->lapi_url, why);
	} else {
		for (int k = 0; k < LAPI_SKIPS; k++)
			skipped += b.skipped[k];
		decision_set_replace(&held, &b.add, autoblock_now());
		describe_filter(cs, filter, sizeof(filter));
		fprintf(out, "crowdsec: LAPI %s answers (key from %s): it holds %zu decisions; %zu sources would be enforced here (%s), %zu decisions set aside\n",
			cs->lapi_url, cs->api_key_file, b.add.n + skipped, held.n, filter, skipped);
		decision_set_free(&held);
		lapi_batch_free(&b);
	}
	lapi_reply_free(&r);
	lapi_client_free(c);
}

void crowdsec_dry_run(const struct desired_crowdsec *cs, const char *version, FILE *out)
{
	char key[SECRET_KEY_MAX + 1], err[1024];
	struct machine_credentials m;

	fprintf(out, "crowdsec: decisions from %s every %u s, in maps of their own (not in the lists above)\n",
		cs->lapi_url, cs->poll_interval_s);
	if (secret_key_read(cs->api_key_file, key, err, sizeof(err))) {
		fprintf(out, "crowdsec: cannot use the API key: %s\n", err);
	} else {
		ask(cs, key, version, out);
		explicit_bzero(key, sizeof(key));
	}
	if (!cs->credentials_file[0])
		return;
	if (secret_credentials_read(cs->credentials_file, &m, err, sizeof(err)))
		fprintf(out, "crowdsec: cannot publish auto-blocks: %s\n", err);
	else
		fprintf(out, "crowdsec: publishing vosfp's auto-blocks as machine '%s' (%s)\n", m.login,
			cs->credentials_file);
	explicit_bzero(&m, sizeof(m));
}
