/* lapi_client.h - one HTTP exchange with a CrowdSec LAPI through libcurl: bounded in time and
 * size, TLS verified (the system's CAs or ca_file), no proxy and no redirect (the key goes to the
 * configured host only), the key sent as a header and never logged. Blocking: called by the
 * feed's worker thread and by --dry-run, never by the reconcile loop. */
#ifndef VOSFP_LAPI_CLIENT_H
#define VOSFP_LAPI_CLIENT_H

#include <stddef.h>

struct lapi_client;

struct lapi_reply {
	long status;			/* HTTP status; 0 when no answer came */
	char *body;			/* NUL-terminated (not counted in len); NULL when none */
	size_t len;
	int too_big;			/* the answer passed max_bytes: cut off, body dropped */
	int cut_short;			/* the answer ended before its announced end: dropped */
	char err[320];			/* why there is no answer (status 0, too_big, cut_short) */
};

/* user_agent: "vosfp/0.1.0" (the LAPI shows it in `cscli bouncers list`). max_bytes bounds every
 * answer; timeout_s every exchange; *stop, when it becomes non-zero, aborts one in progress
 * within a second (NULL: never). NULL when libcurl cannot start. */
struct lapi_client *lapi_client_new(const char *base_url, const char *ca_file, const char *user_agent,
				    size_t max_bytes, long timeout_s, const volatile int *stop);
void lapi_client_free(struct lapi_client *c);

/* method "GET" or "POST" to base_url + path ("/v1/decisions/stream?startup=true"). Credentials:
 * api_key (X-Api-Key) or bearer (Authorization), either or none. json: the request body (POST).
 * Returns 0 when an answer came (any status, in r->status), -1 when none did (r->err). The caller
 * frees r with lapi_reply_free. */
int lapi_client_call(struct lapi_client *c, const char *method, const char *path, const char *api_key,
		     const char *bearer, const char *json, struct lapi_reply *r);
void lapi_reply_free(struct lapi_reply *r);

/* curl_global_init: once, in the main thread, before any client exists. 0 or -1. */
int lapi_client_global_init(void);

#endif
