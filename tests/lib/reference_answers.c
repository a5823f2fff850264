/* reference_answers.c - see reference_answers.h. Byte by byte, one rule per step, in the order
 * bpf/vosfp.h states them. */
#include <string.h>

#include "reference_answers.h"

enum kind { NOT_A_RESPONSE, TRYING, SETTLES, CHALLENGE, REFUSED, NOT_FOUND };

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_blank(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* "SIP/2.0 " three digits (the first 1-6), then a space, CR or LF. */
static enum kind kind_of(const uint8_t *p, size_t len)
{
	int code;

	if (len < 12 || memcmp(p, "SIP/2.0 ", 8) || p[8] < '1' || p[8] > '6' || !is_digit(p[9]) ||
	    !is_digit(p[10]) || (p[11] != ' ' && p[11] != '\r' && p[11] != '\n'))
		return NOT_A_RESPONSE;
	code = (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
	if (code == 100)
		return TRYING;
	if (code == 401 || code == 407)
		return CHALLENGE;
	if (code == 403)
		return REFUSED;
	if (code == 404 || code == 410 || code == 484 || code == 485 || code == 604)
		return NOT_FOUND;
	return SETTLES;
}

/* The Call-ID header's value in the first n bytes: its first VOSFP_CALL_ID_MAX bytes in id,
 * the length returned; 0 when there is none there. */
static size_t call_id(const uint8_t *p, size_t n, char *id, int mutant)
{
	int blanks_before = VOSFP_CALL_ID_BLANKS + (mutant == REF_MUTANT_NINE_BLANKS);
	size_t line = 0;

	/* The status line is not a header: line by line from the first line feed. */
	for (;;) {
		size_t k, len = 0;
		int blanks;

		while (line < n && p[line] != '\n')
			line++;
		line++;				/* the start of the next line */
		if (line >= n || p[line] == '\r' || p[line] == '\n')
			return 0;		/* the end of what we may read, or of the headers */
		if (line + 7 <= n && lower(p[line]) == 'c' && lower(p[line + 1]) == 'a' &&
		    lower(p[line + 2]) == 'l' && lower(p[line + 3]) == 'l' && p[line + 4] == '-' &&
		    lower(p[line + 5]) == 'i' && lower(p[line + 6]) == 'd')
			k = line + 7;
		else if (lower(p[line]) == 'i')
			k = line + 1;
		else
			continue;
		for (blanks = 0; blanks < blanks_before && k < n && is_blank(p[k]); blanks++)
			k++;
		if (k >= n || p[k] != ':')
			continue;
		k++;
		for (blanks = 0; blanks < VOSFP_CALL_ID_BLANKS && k < n && is_blank(p[k]); blanks++)
			k++;
		while (k + len < n && len < VOSFP_CALL_ID_MAX && p[k + len] != '\r' && p[k + len] != '\n' &&
		       !is_blank(p[k + len])) {
			id[len] = (char)p[k + len];
			len++;
		}
		return len;	/* an empty value ends the search too */
	}
}

static int same_key(const struct vosfp_src_key *a, const struct vosfp_src_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static struct ref_peer *find_peer(struct ref_answers *r, const struct vosfp_src_key *key, int add)
{
	for (unsigned i = 0; i < r->n_peers; i++)
		if (same_key(&r->peers[i].key, key))
			return &r->peers[i];
	if (!add || r->n_peers == REF_PEERS)
		return NULL;
	memset(&r->peers[r->n_peers], 0, sizeof(r->peers[0]));
	r->peers[r->n_peers].key = *key;
	return &r->peers[r->n_peers++];
}

static struct ref_call *find_call(struct ref_answers *r, const struct vosfp_src_key *key, const char *id,
				  size_t len)
{
	for (unsigned i = 0; i < r->n_calls; i++)
		if (same_key(&r->calls[i].key, key) && r->calls[i].len == len && !memcmp(r->calls[i].id, id, len))
			return &r->calls[i];
	return NULL;
}

static void forget_call(struct ref_answers *r, struct ref_call *c)
{
	*c = r->calls[--r->n_calls];
}

void ref_answers_init(struct ref_answers *r, const struct ref_rule *rule)
{
	memset(r, 0, sizeof(*r));
	r->rule = *rule;
}

void ref_answers_allow(struct ref_answers *r, const struct vosfp_src_key *key)
{
	struct ref_peer *p = find_peer(r, key, 1);

	if (p)
		p->allowlisted = 1;
}

const struct ref_peer *ref_answers_peer(const struct ref_answers *r, const struct vosfp_src_key *key)
{
	for (unsigned i = 0; i < r->n_peers; i++)
		if (same_key(&r->peers[i].key, key))
			return &r->peers[i];
	return NULL;
}

/* A new block as vosfp_auto_block makes it: none while one is live; repeat_factor times longer
 * for each repeat in a row, up to repeat_max_ms. 1 when made. */
static int block(struct ref_answers *r, struct ref_peer *p, uint32_t reason, uint64_t now)
{
	const struct ref_rule *u = &r->rule;
	uint64_t d = (uint64_t)u->block_ms * 1000000, max = (uint64_t)u->repeat_max_ms * 1000000;
	uint32_t repeats = 0;

	if (p->has_block && p->block_expires > now)
		return 0;
	if (max < d)
		max = d;
	if (u->repeat_within_ms && p->has_history && u->mutant != REF_MUTANT_NO_REPEATS &&
	    now < p->history_expires + (uint64_t)u->repeat_within_ms * 1000000) {
		repeats = p->repeats + 1 > VOSFP_REPEATS_MAX ? VOSFP_REPEATS_MAX : p->repeats + 1;
		for (uint32_t i = 0; i < repeats && d < max; i++)
			d *= u->repeat_factor;
		if (d > max)
			d = max;
	}
	p->has_block = p->has_history = 1;
	p->block_expires = p->history_expires = now + d;
	p->block_reason = reason;
	p->repeats = repeats;
	return 1;
}

/* Failures and not-found answers count within window_ms of the first of the window. */
static void open_window(const struct ref_rule *u, struct ref_peer *p, uint64_t now)
{
	if ((p->failures == 0 && p->not_found == 0) || now - p->window_start >= (uint64_t)u->window_ms * 1000000) {
		p->failures = p->not_found = 0;
		p->window_start = now;
	}
}

static void fail(struct ref_answers *r, struct ref_peer *p, uint64_t now, uint32_t n)
{
	if (!n)
		return;
	open_window(&r->rule, p, now);
	p->failures += n;
	r->counters[VOSFP_ANS_AUTH_FAILURES] += n;
}

/* The call's challenge, when it is of generation gen or gen - 1, leaves that generation's
 * count; the call is forgotten either way. 1 when it was such a challenge. */
static int take(struct ref_answers *r, struct ref_peer *p, struct ref_call *c)
{
	int was = 0;

	if (!c)
		return 0;
	if (c->gen == p->gen && p->pending) {
		p->pending--;
		was = 1;
	} else if (c->gen + 1 == p->gen && p->pending_prev) {
		p->pending_prev--;
		was = 1;
	}
	forget_call(r, c);
	return was;
}

void ref_answers_step(struct ref_answers *r, const struct vosfp_src_key *key, const uint8_t *payload,
		      size_t len, uint64_t now)
{
	const struct ref_rule *u = &r->rule;
	enum kind kind = kind_of(payload, len);
	uint64_t gen = now / ((uint64_t)(u->challenge_ms ? u->challenge_ms : 1) * 1000000);
	char id[VOSFP_CALL_ID_MAX];
	struct ref_peer *p;
	size_t id_len = 0;

	if (kind == NOT_A_RESPONSE)
		return;
	r->counters[VOSFP_ANS_RESPONSES]++;
	r->counters[VOSFP_ANS_CHALLENGES] += kind == CHALLENGE;
	r->counters[VOSFP_ANS_REFUSED] += kind == REFUSED;
	r->counters[VOSFP_ANS_NOT_FOUND] += kind == NOT_FOUND;
	if (kind == TRYING && u->mutant != REF_MUTANT_TRYING_SETTLES)
		return;
	if (kind == TRYING)
		kind = SETTLES;
	/* State for a peer that may fail; an answer that only settles needs one already. */
	p = find_peer(r, key, kind != SETTLES);
	if (!p || (kind == SETTLES && !p->has_state))
		return;
	if (!p->has_state) {
		p->has_state = 1;
		p->gen = gen;
	}
	/* A new generation: the challenges two generations old are unanswered. */
	if (gen > p->gen) {
		uint32_t judged = p->pending_prev;

		if (gen == p->gen + 1) {
			p->pending_prev = p->pending;
		} else {
			judged += p->pending;
			p->pending_prev = 0;
		}
		p->pending = 0;
		p->gen = gen;
		fail(r, p, now, u->mutant == REF_MUTANT_NO_AGING ? 0 : judged);
	}
	if (kind == NOT_FOUND) {
		open_window(u, p, now);
		p->not_found++;
	}
	if (kind == CHALLENGE || kind == REFUSED || p->pending || p->pending_prev) {
		id_len = call_id(payload, len < VOSFP_ANSWER_SEARCH_MAX ? len : VOSFP_ANSWER_SEARCH_MAX, id,
				 u->mutant);
		if (!id_len) {
			r->counters[VOSFP_ANS_NO_CALL_ID] += kind == CHALLENGE || kind == REFUSED;
			if (kind == REFUSED)
				fail(r, p, now, 1);
		} else if (kind == CHALLENGE) {
			struct ref_call *c;

			/* Challenged again before anything settled the call: credentials refused. */
			fail(r, p, now, take(r, p, find_call(r, key, id, id_len)));
			if (r->n_calls < REF_CALLS) {
				c = &r->calls[r->n_calls++];
				c->key = *key;
				memcpy(c->id, id, id_len);
				c->len = id_len;
				c->gen = p->gen;
			}
			p->pending++;
		} else {
			take(r, p, find_call(r, key, id, id_len));
			if (kind == REFUSED)
				fail(r, p, now, 1);
		}
	}
	if (u->auth_failures_max && p->failures >= u->auth_failures_max + (u->mutant == REF_MUTANT_OFF_BY_ONE)) {
		p->failures = p->not_found = 0;
		if (p->allowlisted)
			r->counters[VOSFP_ANS_ALLOWLISTED]++;
		else if (block(r, p, VOSFP_REASON_AUTH_FAILURES, now))
			r->counters[VOSFP_ANS_BLOCKED_AUTH]++;
	} else if (u->not_found_max && p->not_found >= u->not_found_max) {
		p->failures = p->not_found = 0;
		if (p->allowlisted)
			r->counters[VOSFP_ANS_ALLOWLISTED]++;
		else if (block(r, p, VOSFP_REASON_ENUMERATION, now))
			r->counters[VOSFP_ANS_BLOCKED_ENUM]++;
	}
}
