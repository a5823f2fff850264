/* crowdsec_feed.c - see crowdsec_feed.h. The held set and what the maps hold (their image and
 * summaries) live here, in the loop; each batch becomes one diff written to the maps. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autoblock_map.h"
#include "crowdsec_feed.h"
#include "decision_map.h"
#include "log.h"
#include "mono_time.h"

/* An own block's echo: the LAPI's decision ends this close after the block (see lapi_worker.c). */
#define ECHO_SLACK_NS (5 * 1000000000ULL)

struct feed {
	char version[32];
	char pin_path[PATH_MAX];
	struct worker *w;
	struct worker_settings running;		/* what w was started with */
	char last_problem[1024];			/* the last start refusal logged (not repeated) */
	struct decision_set held;
	struct decision_image written;		/* what the entry maps hold */
	int written_known;
	uint32_t maps_id;			/* the maps `written` describes (decision_maps_id) */
	uint64_t *sums[DECISION_SUMS];		/* the summaries of `written`: what the summary maps
						 * hold (at least: the agent is their only writer, and
						 * sets bits before entries, clears them after) */
	struct autoblock_set blocks;		/* the auto-blocks at the last tick */
	int offer_all;				/* a new worker: offer it every live block once */
	uint64_t next_expiry;
	unsigned long long echoes, apply_failures;
};

struct feed *feed_new(const char *version)
{
	struct feed *f = calloc(1, sizeof(*f));

	if (f) {
		snprintf(f->version, sizeof(f->version), "%s", version);
		f->next_expiry = UINT64_MAX;
	}
	return f;
}

static void forget_kernel(struct feed *f)
{
	decision_image_free(&f->written);
	f->written_known = 0;
}

/* Empty summaries (or those of `written`, from_written): 0 or -ENOMEM. */
static int new_summaries(const struct feed *f, int from_written, uint64_t *out[DECISION_SUMS])
{
	for (int k = 0; k < DECISION_SUMS; k++) {
		out[k] = calloc(SUMMARY_WORDS, sizeof(uint64_t));
		if (!out[k]) {
			while (k--)
				free(out[k]);
			return -ENOMEM;
		}
	}
	if (from_written)
		decision_summaries(&f->written, out);
	return 0;
}

static void set_summaries(struct feed *f, uint64_t *v[DECISION_SUMS])
{
	for (int k = 0; k < DECISION_SUMS; k++) {
		free(f->sums[k]);
		f->sums[k] = v ? v[k] : NULL;
	}
}

/* The maps read back: what they hold and its summaries. 0 or a negative errno. */
static int read_back(struct feed *f, const struct decision_maps *m)
{
	uint64_t *sums[DECISION_SUMS];
	int ret;

	f->maps_id = decision_maps_id(f->pin_path);
	ret = decision_maps_read(m, &f->written);

	if (!ret && !(ret = new_summaries(f, 1, sums)))
		set_summaries(f, sums);
	if (ret)
		forget_kernel(f);
	f->written_known = !ret;
	return ret;
}

/* Bring the maps to the image of the held set: one diff. A failure leaves them read back next
 * time (their content is then unknown here). */
static int sync_maps(struct feed *f)
{
	struct decision_image want = { 0 }, wr = { 0 }, rm = { 0 };
	uint64_t *fresh[DECISION_SUMS] = { 0 };
	struct decision_maps m;
	char err[4608];
	int ret = decision_maps_open(f->pin_path, &m, err, sizeof(err));

	if (!ret && !f->written_known && (ret = read_back(f, &m)))
		snprintf(err, sizeof(err), "reading the decision maps under %s: %s", f->pin_path, strerror(-ret));
	if (!ret && (ret = decision_image_build(&f->held, &want)) == 0)
		ret = decision_image_diff(&f->written, &want, &wr, &rm);
	/* Expiries alone change no summary bit: new summaries only when entries come or go. */
	if (!ret && (wr.n || rm.n) && !(ret = new_summaries(f, 0, fresh))) {
		decision_summaries(&want, fresh);
		ret = decision_maps_write(&m, &wr, &rm, (const uint64_t *const *)f->sums,
					  (const uint64_t *const *)fresh, err, sizeof(err));
		if (!ret) {
			set_summaries(f, fresh);
			memset(fresh, 0, sizeof(fresh));
		}
	}
	if (!ret) {
		decision_image_free(&f->written);
		f->written = want;
		memset(&want, 0, sizeof(want));
	} else {
		if (ret == -ENOMEM)
			snprintf(err, sizeof(err), "out of memory");
		log_msg(LOG_ERR, "crowdsec: %s; the maps are read back and written again at the next change", err);
		forget_kernel(f);
		f->apply_failures++;
	}
	decision_maps_close(&m);
	for (int k = 0; k < DECISION_SUMS; k++)
		free(fresh[k]);
	decision_image_free(&want);
	decision_image_free(&wr);
	decision_image_free(&rm);
	f->next_expiry = decision_set_next_expiry(&f->held);
	return ret;
}

/* The held set from the maps, at a start or a new pin path: a restart keeps every decision. */
static void adopt_maps(struct feed *f, const char *pin_path)
{
	struct decision_maps m;
	char err[4608];

	forget_kernel(f);
	decision_set_free(&f->held);
	snprintf(f->pin_path, sizeof(f->pin_path), "%s", pin_path);
	if (decision_maps_open(pin_path, &m, err, sizeof(err))) {
		log_msg(LOG_ERR, "crowdsec: %s", err);
		return;
	}
	if (read_back(f, &m) == 0 && decision_set_from_image(&f->written, autoblock_now(), &f->held))
		forget_kernel(f);
	decision_maps_close(&m);
	f->next_expiry = decision_set_next_expiry(&f->held);
	if (f->held.n)
		log_msg(LOG_INFO, "crowdsec: %zu decision%s kept in the maps from before; the startup answer resynchronises them",
			f->held.n, f->held.n == 1 ? "" : "s");
}

static void stop_worker(struct feed *f, long wait_ms)
{
	worker_stop(f->w, wait_ms);
	f->w = NULL;
	explicit_bzero(&f->running, sizeof(f->running));
}

/* The worker's settings from the desired state; the secrets read and checked. 0 or -1 (err). */
static int settings_of(const struct feed *f, const struct desired_crowdsec *cs, struct worker_settings *s,
		       char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->cs = *cs;
	snprintf(s->user_agent, sizeof(s->user_agent), "vosfp/%s", f->version);
	if (gethostname(s->host, sizeof(s->host) - 1))
		snprintf(s->host, sizeof(s->host), "?");
	if (secret_key_read(cs->api_key_file, s->api_key, err, errlen))
		return -1;
	if (cs->credentials_file[0] && secret_credentials_read(cs->credentials_file, &s->creds, err, errlen))
		return -1;
	return 0;
}

/* No crowdsec section: no worker, and no decision left in the maps (inert with the flag off, but
 * --stats would still count them). */
static void follow_off(struct feed *f, const char *pin_path)
{
	size_t n;

	if (f->w)
		log_msg(LOG_INFO, "crowdsec: section removed: stopping the feed");
	stop_worker(f, 0);
	if (strcmp(f->pin_path, pin_path) || !f->written_known)
		adopt_maps(f, pin_path);
	if (!f->written_known || !f->written.n)
		return;
	n = f->written.n;
	decision_set_free(&f->held);
	if (sync_maps(f) == 0)
		log_msg(LOG_INFO, "crowdsec: %zu decision%s removed from the maps (no crowdsec section)", n,
			n == 1 ? "" : "s");
}

void feed_follow(struct feed *f, const struct desired *want)
{
	struct worker_settings s;
	char err[1024];

	if (!want->crowdsec.enabled) {
		follow_off(f, want->pin_path);
		return;
	}
	if (settings_of(f, &want->crowdsec, &s, err, sizeof(err))) {
		/* A key that cannot be trusted is bad input: nothing changes, said once. */
		if (strcmp(err, f->last_problem))
			log_msg(LOG_ERR, "crowdsec: %s; %s", err,
				f->w ? "the feed keeps its previous key" : "no decisions are fetched until it is fixed");
		snprintf(f->last_problem, sizeof(f->last_problem), "%s", err);
		explicit_bzero(&s, sizeof(s));
		return;
	}
	f->last_problem[0] = '\0';
	if (f->w && !strcmp(f->pin_path, want->pin_path) && !memcmp(&s, &f->running, sizeof(s))) {
		explicit_bzero(&s, sizeof(s));
		return;
	}
	if (f->w)
		log_msg(LOG_INFO, "crowdsec: settings or key changed: restarting the feed");
	stop_worker(f, 0);
	if (strcmp(f->pin_path, want->pin_path) || !f->written_known)
		adopt_maps(f, want->pin_path);
	f->w = worker_start(&s, err, sizeof(err));
	if (!f->w) {
		log_msg(LOG_ERR, "crowdsec: %s", err);
	} else {
		f->running = s;
		/* Every live own block is offered once: the worker posts those the LAPI lacks. */
		f->offer_all = 1;
		log_msg(LOG_INFO, "crowdsec: following the LAPI at %s every %u s%s", s.cs.lapi_url, s.cs.poll_interval_s,
			s.cs.credentials_file[0] ? "; publishing vosfp's auto-blocks" : "");
	}
	explicit_bzero(&s, sizeof(s));
}

int feed_fd(const struct feed *f)
{
	return f->w ? worker_fd(f->w) : -1;
}

static const struct autoblock *find_block(const struct autoblock_set *s, const struct vosfp_src_key *k)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(&s->v[mid].key, k, sizeof(*k));

		if (!c)
			return &s->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A vosfp decision the LAPI holds for a source this node blocks itself, ending with the block:
 * the block already drops it; holding it as a decision too would count it twice. */
static size_t drop_echoes(struct feed *f, struct lapi_list *add, uint64_t received)
{
	size_t k = 0, echoes = 0;

	for (size_t i = 0; i < add->n; i++) {
		const struct lapi_decision *d = &add->v[i];
		struct vosfp_src_key key;
		const struct autoblock *b = NULL;

		if (d->origin == VOSFP_ORIGIN_VOSFP && !decision_source_key(&d->prefix, &key))
			b = find_block(&f->blocks, &key);
		if (b && received + (uint64_t)d->duration_ns <= b->expires + ECHO_SLACK_NS) {
			echoes++;
			continue;
		}
		add->v[k++] = *d;
	}
	add->n = k;
	f->echoes += echoes;
	return echoes;
}

static void apply(struct feed *f, struct worker_batch *b)
{
	size_t before = f->held.n, skipped = 0, echoes = drop_echoes(f, &b->b.add, b->received);
	uint64_t t0 = mono_ns(), t1;
	int ret;

	ret = b->startup ? decision_set_replace(&f->held, &b->b.add, b->received)
			 : decision_set_update(&f->held, &b->b.add, &b->b.del, b->received);
	if (ret) {
		log_msg(LOG_ERR, "crowdsec: out of memory applying an answer; the next startup answer tries again");
		return;
	}
	decision_set_expire(&f->held, autoblock_now());
	if (sync_maps(f))
		return;
	t1 = mono_ns();
	for (int k = 0; k < LAPI_SKIPS; k++)
		skipped += b->b.skipped[k];
	if (b->startup || b->b.add.n || b->b.del.n || skipped || echoes)
		log_msg(LOG_INFO, "crowdsec: %s: %zu new, %zu deleted, %zu set aside (%zu other scope, %zu other type, %zu other origin, %zu over), %zu own auto-block%s echoed: %zu decision%s in force (%zu before; fetched in %.1f ms, parsed in %.1f ms, applied in %.1f ms)",
			b->startup ? "startup answer" : "answer", b->b.add.n, b->b.del.n, skipped,
			b->b.skipped[LAPI_SKIP_SCOPE], b->b.skipped[LAPI_SKIP_TYPE], b->b.skipped[LAPI_SKIP_ORIGIN],
			b->b.skipped[LAPI_SKIP_EXPIRED], echoes, echoes == 1 ? "" : "s", f->held.n,
			f->held.n == 1 ? "" : "s", before, b->fetch_ms, b->parse_ms,
			(t1 - t0) / 1e6);
}

void feed_serve(struct feed *f)
{
	struct worker_batch *b, *next;

	if (!f->w)
		return;
	for (b = worker_take(f->w); b; b = next) {
		next = b->next;
		apply(f, b);
		worker_batch_free(b);
	}
}

struct collect {
	struct autoblock *v;
	size_t n;
};

static void collect_new(void *ctx, enum autoblock_change what, const struct autoblock *b)
{
	struct collect *c = ctx;

	if (what == AUTOBLOCK_BLOCKED)
		c->v[c->n++] = *b;
}

void feed_tick(struct feed *f, const struct autoblock_set *blocks)
{
	struct collect c = { .v = malloc((blocks->n ? blocks->n : 1) * sizeof(*c.v)) };
	const struct autoblock_set none = { 0 };
	uint32_t id = f->maps_id;
	size_t more;

	if (f->w && c.v) {
		autoblock_diff(f->offer_all ? &none : &f->blocks, blocks, collect_new, &c, (size_t)-1, &more);
		worker_publish(f->w, c.v, c.n);
		f->offer_all = 0;
	}
	free(c.v);
	if (autoblock_set_copy(&f->blocks, blocks))
		autoblock_set_free(&f->blocks);
	if (f->written_known && f->held.n)
		id = decision_maps_id(f->pin_path);
	/* Maps made anew under us (a new object whose decision maps could not be kept): the held
	 * decisions go into them now, not at the next answer. No maps at all (taken down under the
	 * agent): nothing to write into, nothing said. */
	if (id && id != f->maps_id) {
		log_msg(LOG_NOTICE, "crowdsec: the decision maps under %s were replaced: writing the %zu decision%s held into them",
			f->pin_path, f->held.n, f->held.n == 1 ? "" : "s");
		forget_kernel(f);
		sync_maps(f);
	} else if (f->held.n && autoblock_now() >= f->next_expiry) {
		decision_set_expire(&f->held, autoblock_now());
		sync_maps(f);
	}
}

void feed_get_status(struct feed *f, struct feed_status *out)
{
	memset(out, 0, sizeof(*out));
	out->enabled = f->w != NULL;
	out->publishing = f->w && f->running.cs.credentials_file[0];
	if (f->w)
		worker_get_stats(f->w, &out->w);
	decision_set_count(&f->held, out->held);
	out->echoes = f->echoes;
	out->apply_failures = f->apply_failures;
}

void feed_free(struct feed *f)
{
	if (!f)
		return;
	/* At exit: give a request in flight a moment to end before libcurl is torn down. */
	stop_worker(f, 2000);
	decision_set_free(&f->held);
	decision_image_free(&f->written);
	set_summaries(f, NULL);
	autoblock_set_free(&f->blocks);
	free(f);
}
