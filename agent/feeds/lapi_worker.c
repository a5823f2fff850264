/* lapi_worker.c - see lapi_worker.h. The thread and the loop share one struct under one mutex;
 * whoever lets go of it last frees it, so the loop never waits for a request to end. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "alert.h"
#include "autoblock_map.h"
#include "lapi_client.h"
#include "lapi_worker.h"
#include "log.h"
#include "mono_time.h"
#include "wall_time.h"

/* A request may take this long (a big startup answer over a slow link included). */
#define REQUEST_TIMEOUT_S 60
/* Backoff while the LAPI does not answer: from the poll interval, doubling, up to this many
 * intervals (and never past BACKOFF_MAX_S). */
#define BACKOFF_INTERVALS 8
#define BACKOFF_MAX_S 300
/* A LAPI decision expiring this close after an own block covers it (posting rounds the duration
 * up to the second, and the post takes a moment). */
#define ECHO_SLACK_NS (5 * 1000000000ULL)
#define ALERTS_PER_POST 100

struct known {				/* vosfp decisions the LAPI holds, by source */
	struct vosfp_src_key key;
	uint64_t expires;
};

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int refs;			/* the loop's and the thread's */
	volatile int stop;
	int efd;
	struct worker_settings s;
	/* Under lock. */
	struct worker_batch *head, *tail;
	struct worker_stats stats;
	struct autoblock *outbox;
	size_t outbox_n, outbox_cap;
	/* The thread's own. */
	struct known *known;
	size_t known_n, known_cap;
	char token[2048];
	uint64_t post_retry_at;
};

static void release(struct worker *w)
{
	int last;

	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	for (struct worker_batch *b = w->head, *next; b; b = next) {
		next = b->next;
		worker_batch_free(b);
	}
	explicit_bzero(&w->s, sizeof(w->s));
	explicit_bzero(w->token, sizeof(w->token));
	close(w->efd);
	free(w->outbox);
	free(w->known);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}

static void notify(struct worker *w)
{
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARNING, "crowdsec: cannot wake the main loop: %s", strerror(errno));
}

/* One failure of an exchange: the LAPI is down for /metrics; logged when it starts an outage or
 * changes its kind, never once per poll. */
static void failed(struct worker *w, enum worker_failure kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failed(struct worker *w, enum worker_failure kind, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	int log_it;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&w->lock);
	log_it = w->stats.failing != kind;
	w->stats.failing = kind;
	w->stats.lapi_up = 0;
	pthread_mutex_unlock(&w->lock);
	if (log_it)
		log_msg(LOG_WARNING, "crowdsec: %s; retrying with backoff, logged again only when this changes (the YAML and the decisions held stay enforced, each until its expiry)",
			msg);
	notify(w);
}

/* A short, printable head of an error answer for the log. */
static const char *excerpt(const struct lapi_reply *r, char *buf, size_t len)
{
	size_t i = 0;

	for (; r->body && i < r->len && i + 1 < len && i < 120; i++)
		buf[i] = r->body[i] >= 0x20 && r->body[i] < 0x7F ? r->body[i] : ' ';
	buf[i] = '\0';
	return buf;
}

static void stream_path(const struct worker *w, int startup, char *out, size_t len)
{
	const struct desired_crowdsec *cs = &w->s.cs;
	size_t used = (size_t)snprintf(out, len, "/v1/decisions/stream?startup=%s&scopes=%s", startup ? "true" : "false",
				       cs->scopes == 3 ? "ip,range" : cs->scopes == 1 ? "ip" : "range");

	for (unsigned i = 0; i < cs->origin_count && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? "," : "&origins=", cs->origins[i]);
}

static void filter_of(const struct desired_crowdsec *cs, const char **types, const char **origins,
		      struct lapi_filter *f)
{
	for (unsigned i = 0; i < cs->type_count; i++)
		types[i] = cs->types[i];
	for (unsigned i = 0; i < cs->origin_count; i++)
		origins[i] = cs->origins[i];
	*f = (struct lapi_filter){ .scopes = cs->scopes, .types = types, .type_count = cs->type_count,
				   .origins = origins, .origin_count = cs->origin_count };
}

static struct known *find_known(struct worker *w, const struct vosfp_src_key *k)
{
	for (size_t i = 0; i < w->known_n; i++)
		if (!memcmp(&w->known[i].key, k, sizeof(*k)))
			return &w->known[i];
	return NULL;
}

static void note_known(struct worker *w, const struct vosfp_src_key *k, uint64_t expires)
{
	struct known *e = find_known(w, k);

	if (!e && w->known_n == w->known_cap) {
		size_t cap = w->known_cap ? w->known_cap * 2 : 64;
		struct known *v = realloc(w->known, cap * sizeof(*v));

		if (!v)
			return;
		w->known = v;
		w->known_cap = cap;
	}
	if (!e) {
		e = &w->known[w->known_n++];
		e->key = *k;
		e->expires = 0;
	}
	if (expires > e->expires)
		e->expires = expires;
}

/* The vosfp decisions of an answer: what the LAPI already holds of ours (or another node's). */
static void learn_known(struct worker *w, const struct lapi_batch *b, int startup, uint64_t received)
{
	struct vosfp_src_key k;

	if (!w->s.cs.credentials_file[0])
		return;
	if (startup)
		w->known_n = 0;
	for (size_t i = 0; i < b->del.n; i++) {
		struct known *e = decision_source_key(&b->del.v[i].prefix, &k) ? NULL : find_known(w, &k);

		if (e)
			*e = w->known[--w->known_n];
	}
	for (size_t i = 0; i < b->add.n; i++)
		if (b->add.v[i].origin == VOSFP_ORIGIN_VOSFP && !decision_source_key(&b->add.v[i].prefix, &k))
			note_known(w, &k, received + (uint64_t)b->add.v[i].duration_ns);
}

/* One poll of the stream. 1 when an answer was taken. */
static int poll_once(struct worker *w, struct lapi_client *c, int *startup)
{
	const char *types[DESIRED_CROWDSEC_TYPES], *origins[DESIRED_CROWDSEC_ORIGINS];
	struct worker_batch *nb = calloc(1, sizeof(*nb));
	struct lapi_reply r;
	uint64_t t0;
	struct lapi_filter f;
	char path[2400], why[512], head[128];
	const char *url = w->s.cs.lapi_url;

	if (!nb)
		return 0;
	stream_path(w, *startup, path, sizeof(path));
	filter_of(&w->s.cs, types, origins, &f);
	t0 = mono_ns();
	if (lapi_client_call(c, "GET", path, w->s.api_key, NULL, NULL, &r)) {
		int whole = r.too_big || r.cut_short;

		failed(w, whole ? WF_REJECTED : WF_UNREACHABLE, "LAPI at %s: %s%s%s", url,
		       whole ? "answer rejected whole: " : "no answer: ", r.err, whole ? "; nothing applied" : "");
	} else if (r.status == 401 || r.status == 403) {
		failed(w, WF_KEY, "LAPI at %s refused the API key read from %s (HTTP %ld): give it the key `cscli bouncers add NAME` printed",
		       url, w->s.cs.api_key_file, r.status);
	} else if (r.status != 200) {
		failed(w, WF_STATUS, "LAPI at %s answered HTTP %ld (%s); nothing applied", url, r.status,
		       excerpt(&r, head, sizeof(head)));
	} else if ((nb->fetch_ms = (mono_ns() - t0) / 1e6, lapi_stream_parse(r.body, r.len, &f, &nb->b, why, sizeof(why)))) {
		failed(w, WF_REJECTED, "answer from LAPI at %s rejected whole (%zu bytes): %s; nothing applied", url,
		       r.len, why);
	} else {
		nb->startup = *startup;
		nb->received = autoblock_now();
		nb->parse_ms = (mono_ns() - t0) / 1e6 - nb->fetch_ms;
		learn_known(w, &nb->b, nb->startup, nb->received);
		pthread_mutex_lock(&w->lock);
		if (w->stats.failing)
			log_msg(LOG_NOTICE, "crowdsec: LAPI at %s answers again (%s)", url,
				*startup ? "resynchronising with a startup answer" : "incremental");
		w->stats.failing = WF_NONE;
		w->stats.lapi_up = 1;
		w->stats.synced |= *startup;
		w->stats.last_success = unix_seconds();
		w->stats.polls_ok++;
		for (int k = 0; k < LAPI_SKIPS; k++)
			w->stats.skipped[k] += nb->b.skipped[k];
		if (w->tail)
			w->tail->next = nb;
		else
			w->head = nb;
		w->tail = nb;
		pthread_mutex_unlock(&w->lock);
		notify(w);
		lapi_reply_free(&r);
		/* Increments only after a whole startup answer; any failure (the LAPI may have moved
		 * our last-pull mark on an answer we refused) starts over from one. */
		*startup = 0;
		return 1;
	}
	lapi_reply_free(&r);
	free(nb);
	pthread_mutex_lock(&w->lock);
	w->stats.polls_failed++;
	pthread_mutex_unlock(&w->lock);
	*startup = 1;
	return 0;
}

/* POST /v1/watchers/login: a JWT in w->token. 0 or -1 (logged). */
static int login(struct worker *w, struct lapi_client *c)
{
	json_object *req = json_object_new_object(), *scenarios = json_object_new_array(), *ans = NULL, *tok;
	struct lapi_reply r;
	size_t n;
	const char *const *names = alert_scenarios(&n);
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		json_object_array_add(scenarios, json_object_new_string(names[i]));
	json_object_object_add(req, "machine_id", json_object_new_string(w->s.creds.login));
	json_object_object_add(req, "password", json_object_new_string(w->s.creds.password));
	json_object_object_add(req, "scenarios", scenarios);
	w->token[0] = '\0';
	if (lapi_client_call(c, "POST", "/v1/watchers/login", NULL, NULL, json_object_to_json_string(req), &r)) {
		failed(w, WF_UNREACHABLE, "LAPI at %s: no answer to the watcher login: %s", w->s.cs.lapi_url, r.err);
	} else if (r.status != 200) {
		failed(w, WF_KEY, "LAPI at %s refused the machine credentials in %s (HTTP %ld): give it what `cscli machines add NAME -f FILE` wrote",
		       w->s.cs.lapi_url, w->s.cs.credentials_file, r.status);
	} else if (!(ans = json_tokener_parse(r.body)) || !json_object_object_get_ex(ans, "token", &tok) ||
		   !json_object_is_type(tok, json_type_string) || (size_t)json_object_get_string_len(tok) >= sizeof(w->token)) {
		failed(w, WF_REJECTED, "LAPI at %s: the watcher login's answer holds no token", w->s.cs.lapi_url);
	} else {
		snprintf(w->token, sizeof(w->token), "%s", json_object_get_string(tok));
		ret = 0;
	}
	/* The request held the password. */
	explicit_bzero((char *)json_object_to_json_string(req), strlen(json_object_to_json_string(req)));
	json_object_put(req);
	json_object_put(ans);
	lapi_reply_free(&r);
	return ret;
}

/* The outbox's blocks still worth posting, moved to out (at most max). */
static size_t take_ready(struct worker *w, uint64_t now, struct autoblock *out, size_t max)
{
	size_t n = 0, k = 0;

	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->outbox_n; i++) {
		const struct autoblock *b = &w->outbox[i];
		const struct known *e = find_known(w, &b->key);

		if (b->expires <= now || (e && e->expires + ECHO_SLACK_NS >= b->expires))
			continue;	/* over, or held at the LAPI already: nothing to say */
		if (n < max)
			out[n++] = *b;
		else
			w->outbox[k++] = *b;
	}
	w->outbox_n = k;
	w->stats.alerts_pending = k;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void post_alerts(struct worker *w, struct lapi_client *c)
{
	static struct autoblock batch[ALERTS_PER_POST];
	uint64_t now = autoblock_now();
	size_t n = take_ready(w, now, batch, ALERTS_PER_POST);
	struct lapi_reply r = { 0 };
	char *json;
	int ok = 0;

	if (!n)
		return;
	json = alert_json(batch, n, now, (long long)unix_seconds(), w->s.host);
	for (int attempt = 0; json && attempt < 2 && !ok; attempt++) {
		if (!w->token[0] && login(w, c))
			break;
		lapi_reply_free(&r);
		if (lapi_client_call(c, "POST", "/v1/alerts", NULL, w->token, json, &r)) {
			failed(w, WF_UNREACHABLE, "LAPI at %s: no answer to %zu alert%s: %s", w->s.cs.lapi_url, n,
			       n == 1 ? "" : "s", r.err);
			break;
		}
		ok = r.status == 200 || r.status == 201;
		if (r.status == 401 || r.status == 403)
			w->token[0] = '\0';	/* expired: log in again, once */
		else if (!ok)
			break;
	}
	if (ok) {
		for (size_t i = 0; i < n; i++)
			note_known(w, &batch[i].key, batch[i].expires);
		log_msg(LOG_INFO, "crowdsec: published %zu auto-block%s to the LAPI", n, n == 1 ? "" : "s");
	} else if (json && r.status) {
		char head[128];

		failed(w, WF_STATUS, "LAPI at %s answered HTTP %ld to %zu alert%s (%s)", w->s.cs.lapi_url, r.status, n,
		       n == 1 ? "" : "s", excerpt(&r, head, sizeof(head)));
	}
	pthread_mutex_lock(&w->lock);
	if (ok) {
		w->stats.alerts_posted += n;
	} else {
		/* Back in the outbox, tried again after the next poll. */
		w->stats.alerts_failed += n;
		for (size_t i = 0; i < n && w->outbox_n < w->outbox_cap; i++)
			w->outbox[w->outbox_n++] = batch[i];
		w->stats.alerts_pending = w->outbox_n;
	}
	pthread_mutex_unlock(&w->lock);
	w->post_retry_at = ok ? 0 : now + (uint64_t)w->s.cs.poll_interval_s * 1000000000ULL;
	lapi_reply_free(&r);
	free(json);
}

static void deadline_at(uint64_t coarse_ns, struct timespec *abs)
{
	uint64_t now = autoblock_now(), wait = coarse_ns > now ? coarse_ns - now : 0;

	clock_gettime(CLOCK_MONOTONIC, abs);
	abs->tv_sec += (time_t)(wait / 1000000000ULL);
	abs->tv_nsec += (long)(wait % 1000000000ULL);
	if (abs->tv_nsec >= 1000000000L) {
		abs->tv_sec++;
		abs->tv_nsec -= 1000000000L;
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;
	sigset_t sigpipe;
	const uint64_t interval = (uint64_t)w->s.cs.poll_interval_s * 1000000000ULL;
	uint64_t backoff = interval, next_poll = 0, max_backoff = interval * BACKOFF_INTERVALS;
	int startup = 1, publishing = w->s.cs.credentials_file[0] != '\0';
	struct lapi_client *c = lapi_client_new(w->s.cs.lapi_url, w->s.cs.ca_file, w->s.user_agent,
						w->s.cs.max_response_bytes, REQUEST_TIMEOUT_S, &w->stop);

	/* A LAPI that closes while TLS writes would raise SIGPIPE in this thread (libcurl ignores it
	 * only when it may touch signals, which CURLOPT_NOSIGNAL forbids): blocked here, the write
	 * fails with EPIPE instead of ending the agent. */
	sigemptyset(&sigpipe);
	sigaddset(&sigpipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigpipe, NULL);
	if (max_backoff > BACKOFF_MAX_S * 1000000000ULL)
		max_backoff = BACKOFF_MAX_S * 1000000000ULL;
	if (!c)
		log_msg(LOG_ERR, "crowdsec: cannot start libcurl; no decisions will be fetched until a reload");
	while (c && !w->stop) {
		uint64_t now = autoblock_now();
		int post_now;

		if (now >= next_poll) {
			if (poll_once(w, c, &startup)) {
				backoff = interval;
				next_poll = autoblock_now() + interval;
			} else {
				next_poll = autoblock_now() + backoff;
				backoff = backoff * 2 > max_backoff ? max_backoff : backoff * 2;
			}
		}
		if (publishing && w->stats.synced && autoblock_now() >= w->post_retry_at)
			post_alerts(w, c);
		pthread_mutex_lock(&w->lock);
		for (;;) {
			struct timespec until;

			post_now = publishing && w->stats.synced && w->outbox_n && autoblock_now() >= w->post_retry_at;
			if (w->stop || post_now || autoblock_now() >= next_poll)
				break;
			deadline_at(w->post_retry_at > autoblock_now() && w->post_retry_at < next_poll && w->outbox_n
					    ? w->post_retry_at : next_poll, &until);
			pthread_cond_timedwait(&w->wake, &w->lock, &until);
		}
		pthread_mutex_unlock(&w->lock);
	}
	lapi_client_free(c);
	release(w);
	return NULL;
}

struct worker *worker_start(const struct worker_settings *s, char *err, size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (!w || (w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		snprintf(err, errlen, "cannot create an eventfd: %s", strerror(errno));
		free(w);
		return NULL;
	}
	w->s = *s;
	w->refs = 2;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (lapi_client_global_init() || pthread_create(&w->thread, NULL, run, w)) {
		snprintf(err, errlen, "cannot start the worker thread");
		w->refs = 1;
		release(w);
		return NULL;
	}
	return w;
}

int worker_fd(const struct worker *w)
{
	return w->efd;
}

struct worker_batch *worker_take(struct worker *w)
{
	struct worker_batch *b;
	uint64_t count;

	if (read(w->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_msg(LOG_WARNING, "crowdsec: reading the worker's eventfd: %s", strerror(errno));
	pthread_mutex_lock(&w->lock);
	b = w->head;
	w->head = w->tail = NULL;
	pthread_mutex_unlock(&w->lock);
	return b;
}

void worker_batch_free(struct worker_batch *b)
{
	lapi_batch_free(&b->b);
	free(b);
}

void worker_get_stats(struct worker *w, struct worker_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void worker_publish(struct worker *w, const struct autoblock *blocks, size_t n)
{
	if (!w->s.cs.credentials_file[0] || !n)
		return;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < n; i++) {
		if (w->outbox_n == w->outbox_cap) {
			size_t cap = w->outbox_cap ? w->outbox_cap * 2 : 64;
			struct autoblock *v = realloc(w->outbox, cap * sizeof(*v));

			if (!v)
				break;
			w->outbox = v;
			w->outbox_cap = cap;
		}
		w->outbox[w->outbox_n++] = blocks[i];
	}
	w->stats.alerts_pending = w->outbox_n;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void worker_stop(struct worker *w, long wait_ms)
{
	struct timespec until;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (wait_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait_ms / 1000;
		until.tv_nsec += (wait_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(w->thread, NULL, &until) == 0) {
			release(w);	/* the thread let go of it on its way out */
			return;
		}
	}
	pthread_detach(w->thread);
	release(w);
}
