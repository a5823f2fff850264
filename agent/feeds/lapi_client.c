/* lapi_client.c - see lapi_client.h. One easy handle per client: the connection to the LAPI is
 * kept between polls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lapi_client.h"

struct lapi_client {
	CURL *curl;
	char *base;
	size_t max_bytes;
	const volatile int *stop;
	char errbuf[CURL_ERROR_SIZE];
};

/* One exchange's answer being received. */
struct exchange {
	struct lapi_client *c;
	struct lapi_reply *r;
	size_t cap;
};

int lapi_client_global_init(void)
{
	static int done;

	if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
		done = 1;
	return done ? 0 : -1;
}

static size_t on_data(char *data, size_t size, size_t count, void *ctx)
{
	struct exchange *x = ctx;
	struct lapi_reply *r = x->r;
	size_t add = size * count;

	if (!x->cap) {
		curl_off_t announced = -1;

		/* Sized once from Content-Length when there is one: no doubling copies of a big
		 * startup answer. */
		curl_easy_getinfo(x->c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
		if (announced > (curl_off_t)x->c->max_bytes) {
			r->too_big = 1;
			return 0;
		}
		x->cap = announced > 0 ? (size_t)announced + 1 : 65536;
		r->body = malloc(x->cap);
		if (!r->body)
			return 0;
	}
	if (r->len + add > x->c->max_bytes) {
		r->too_big = 1;
		return 0;
	}
	if (r->len + add + 1 > x->cap) {
		size_t cap = x->cap * 2 > r->len + add + 1 ? x->cap * 2 : r->len + add + 1;
		char *b = realloc(r->body, cap > x->c->max_bytes + 1 ? x->c->max_bytes + 1 : cap);

		if (!b)
			return 0;
		r->body = b;
		x->cap = cap > x->c->max_bytes + 1 ? x->c->max_bytes + 1 : cap;
	}
	memcpy(r->body + r->len, data, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const struct lapi_client *c = ctx;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return c->stop && *c->stop;
}

struct lapi_client *lapi_client_new(const char *base_url, const char *ca_file, const char *user_agent,
				    size_t max_bytes, long timeout_s, const volatile int *stop)
{
	struct lapi_client *c = calloc(1, sizeof(*c));
	size_t n = strlen(base_url);

	if (!c || lapi_client_global_init() || !(c->curl = curl_easy_init()) || !(c->base = strdup(base_url))) {
		lapi_client_free(c);
		return NULL;
	}
	while (n && c->base[n - 1] == '/')
		c->base[--n] = '\0';
	c->max_bytes = max_bytes;
	c->stop = stop;
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	/* The environment's http_proxy would see the key: the LAPI is reached directly. */
	curl_easy_setopt(c->curl, CURLOPT_PROXY, "");
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, timeout_s < 5 ? timeout_s : 5L);
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file && ca_file[0])
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, ca_file);
	return c;
}

void lapi_client_free(struct lapi_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->base);
	free(c);
}

void lapi_reply_free(struct lapi_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int lapi_client_call(struct lapi_client *c, const char *method, const char *path, const char *api_key,
		     const char *bearer, const char *json, struct lapi_reply *r)
{
	struct exchange x = { .c = c, .r = r };
	struct curl_slist *headers = NULL;
	char url[2048], header[2048];	/* a JWT is a few hundred bytes */
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	c->errbuf[0] = '\0';
	headers = curl_slist_append(headers, "Accept: application/json");
	if (json)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	if (api_key) {
		snprintf(header, sizeof(header), "X-Api-Key: %s", api_key);
		headers = curl_slist_append(headers, header);
	}
	if (bearer) {
		snprintf(header, sizeof(header), "Authorization: Bearer %s", bearer);
		headers = curl_slist_append(headers, header);
	}
	explicit_bzero(header, sizeof(header));
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &x);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, json ? json : "");
	} else {
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
		return 0;
	}
	if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		r->too_big = 1;
		snprintf(r->err, sizeof(r->err), "the answer is larger than %zu MB (crowdsec.max_response_mb)",
			 c->max_bytes >> 20);
	} else {
		r->cut_short = rc == CURLE_PARTIAL_FILE;
		snprintf(r->err, sizeof(r->err), "%s%s", r->cut_short ? "truncated: " : "",
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
	}
	free(r->body);
	r->body = NULL;
	r->len = 0;
	r->status = 0;
	return -1;
}
