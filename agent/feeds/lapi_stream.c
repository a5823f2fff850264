/* lapi_stream.c - see lapi_stream.h. Every JSON value is parsed by json-c; this file only steps
 * over the punctuation between the top-level values ('{', ':', ',', '[', ']', '}'), so that one
 * decision's objects exist at a time: json-c holds a whole 100,000-decision answer in ~150 MB,
 * one decision in ~1 KB. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "lapi_stream.h"

const char *const lapi_skip_names[LAPI_SKIPS] = {
	[LAPI_SKIP_SCOPE] = "scope", [LAPI_SKIP_TYPE] = "type", [LAPI_SKIP_ORIGIN] = "origin",
	[LAPI_SKIP_EXPIRED] = "expired",
};

/* Deep enough for any decision (flat objects) and for what a newer LAPI may add beside them. */
#define JSON_DEPTH 16

struct walk {
	const char *p, *end, *start;
	json_tokener *tok;
	const struct lapi_filter *f;
	char *err;
	size_t errlen;
};

static int fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->err, w->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* JSON whitespace (RFC 8259). */
static void skip_ws(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

static int at(struct walk *w, char c)
{
	skip_ws(w);
	if (w->p < w->end && *w->p == c) {
		w->p++;
		return 1;
	}
	return 0;
}

/* What to call element i of `name` in a message ("new[12]"; i = NO_INDEX: just name). Made only
 * when a message needs it: a 100,000-decision answer would format 100,000 names for nothing. */
#define NO_INDEX ((size_t)-1)
static const char *called(const char *name, size_t i, char *buf, size_t len)
{
	if (i == NO_INDEX)
		return name;
	snprintf(buf, len, "%s[%zu]", name, i);
	return buf;
}

/* One JSON value at the cursor, by json-c: *out (NULL for null), the cursor past it. */
static int value(struct walk *w, json_object **out, const char *name, size_t i)
{
	char what[64];

	size_t left;
	enum json_tokener_error e;

	skip_ws(w);
	left = (size_t)(w->end - w->p);
	json_tokener_reset(w->tok);
	*out = json_tokener_parse_ex(w->tok, w->p, left > INT_MAX ? INT_MAX : (int)left);
	e = json_tokener_get_error(w->tok);
	if (e == json_tokener_continue) {
		/* All of the input, and json-c still waits: a literal or number at the very end
		 * completes with a NUL; anything else was cut off. */
		*out = json_tokener_parse_ex(w->tok, "", 1);
		if (json_tokener_get_error(w->tok) != json_tokener_success) {
			json_object_put(*out);
			*out = NULL;
			return fail(w, "%s: the answer ends inside it (truncated at byte %zu)",
				    called(name, i, what, sizeof(what)), (size_t)(w->end - w->start));
		}
		w->p = w->end;
		return 0;
	}
	if (e != json_tokener_success)
		return fail(w, "%s: not valid JSON at byte %zu: %s", called(name, i, what, sizeof(what)),
			    (size_t)(w->p - w->start) + json_tokener_get_parse_end(w->tok), json_tokener_error_desc(e));
	w->p += json_tokener_get_parse_end(w->tok);
	return 0;
}

/* At most 48 bytes of a value for a message, anything unprintable as '?'. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s[i] && i + 1 < len && i < 48; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7F ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* A decision's string fields, found in one walk over its keys (six hash lookups cost more). */
enum decision_field { F_SCOPE, F_VALUE, F_TYPE, F_DURATION, F_ORIGIN, F_SCENARIO, F_FIELDS };
static const char *const field_names[F_FIELDS] = {
	[F_SCOPE] = "scope", [F_VALUE] = "value", [F_TYPE] = "type", [F_DURATION] = "duration",
	[F_ORIGIN] = "origin", [F_SCENARIO] = "scenario",
};

/* out[k]: field k's string, NULL when absent or null. 0, or -1 when one is not a string or holds
 * a NUL (it would read as its head in C), or a required one (all but scenario) is missing. */
static int fields(json_object *o, const char *out[F_FIELDS])
{
	memset(out, 0, F_FIELDS * sizeof(*out));
	json_object_object_foreach(o, key, v) {
		int k = 0;

		while (k < F_FIELDS && (key[0] != field_names[k][0] || strcmp(key, field_names[k])))
			k++;
		if (k == F_FIELDS || json_object_is_type(v, json_type_null))
			continue;
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return -1;
		out[k] = json_object_get_string(v);
	}
	for (int k = 0; k < F_FIELDS; k++)
		if (!out[k] && k != F_SCENARIO)
			return -1;
	return 0;
}

static int listed(const char *s, const char *const *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcasecmp(s, v[i]))
			return 1;
	return 0;
}

static int push(struct lapi_list *l, const struct lapi_decision *d)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct lapi_decision *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *d;
	return 0;
}

/* One decision object, element i of the list `name`: kept (to), set aside (counted in skipped,
 * when not NULL) or refused. Its name for messages is made only when one is needed. */
static int decision(struct walk *w, json_object *o, const char *name, size_t i, struct lapi_list *to,
		    size_t *skipped)
{
	const char *f[F_FIELDS], *scope, *value_text, *type, *duration, *origin, *scenario;
	struct lapi_decision d = { 0 };
	char why[96], shown_buf[64], where[64];
	int range;

	if (!json_object_is_type(o, json_type_object))
		return fail(w, "%s: expected a decision object", called(name, i, where, sizeof(where)));
	if (fields(o, f))
		return fail(w, "%s: expected the strings scope, value, type, duration and origin (and scenario, if any)",
			    called(name, i, where, sizeof(where)));
	scope = f[F_SCOPE], value_text = f[F_VALUE], type = f[F_TYPE], duration = f[F_DURATION];
	origin = f[F_ORIGIN], scenario = f[F_SCENARIO];
	range = !strcasecmp(scope, "range");
	if (!range && strcasecmp(scope, "ip")) {
		if (skipped)
			skipped[LAPI_SKIP_SCOPE]++;
		return 0;
	}
	if (!(w->f->scopes & (range ? LAPI_SCOPE_RANGE : LAPI_SCOPE_IP))) {
		if (skipped)
			skipped[LAPI_SKIP_SCOPE]++;
		return 0;
	}
	if (!listed(type, w->f->types, w->f->type_count)) {
		if (skipped)
			skipped[LAPI_SKIP_TYPE]++;
		return 0;
	}
	if (w->f->origin_count && !listed(origin, w->f->origins, w->f->origin_count)) {
		if (skipped)
			skipped[LAPI_SKIP_ORIGIN]++;
		return 0;
	}
	if (decision_value_parse(range, value_text, &d.prefix, why, sizeof(why)))
		return fail(w, "%s: value '%s' (scope %s): %s", called(name, i, where, sizeof(where)),
			    shown(value_text, shown_buf, sizeof(shown_buf)),
			    range ? "Range" : "Ip", why);
	if (decision_duration_parse(duration, &d.duration_ns))
		return fail(w, "%s: duration '%s': expected a Go duration such as 3h59m58.3s",
			    called(name, i, where, sizeof(where)), shown(duration, shown_buf, sizeof(shown_buf)));
	if (skipped && d.duration_ns <= 0) {
		skipped[LAPI_SKIP_EXPIRED]++;
		return 0;
	}
	d.origin = decision_origin_class(origin, scenario);
	if (push(to, &d))
		return fail(w, "out of memory");
	return 0;
}

/* An array of decisions (or null) at the cursor, each parsed alone. */
static int decisions(struct walk *w, const char *name, struct lapi_list *to, size_t *skipped)
{
	char where[64];
	size_t i = 0;

	skip_ws(w);
	if (w->p < w->end && *w->p == 'n') {
		json_object *nothing;

		if (value(w, &nothing, name, NO_INDEX))
			return -1;
		if (nothing) {
			json_object_put(nothing);
			return fail(w, "%s: expected a list of decisions or null", name);
		}
		return 0;
	}
	if (!at(w, '['))
		return fail(w, "%s: expected a list of decisions or null", name);
	if (at(w, ']'))
		return 0;
	for (;; i++) {
		json_object *o;
		int ret;

		if (value(w, &o, name, i))
			return -1;
		ret = decision(w, o, name, i, to, skipped);
		json_object_put(o);
		if (ret)
			return -1;
		if (at(w, ']'))
			return 0;
		if (!at(w, ','))
			return fail(w, w->p == w->end ? "%s: the answer ends after it (truncated)" :
					"%s: expected ',' or ']' after it", called(name, i, where, sizeof(where)));
	}
}

/* Nothing may follow the answer but whitespace. */
static int finish(struct walk *w)
{
	skip_ws(w);
	if (w->p != w->end)
		return fail(w, "unexpected bytes after the answer (byte %zu)", (size_t)(w->p - w->start));
	return 0;
}

static int stream(struct walk *w, struct lapi_batch *out)
{
	int seen_new = 0, seen_deleted = 0;

	if (!at(w, '{'))
		return fail(w, "expected a JSON object {\"new\": [...], \"deleted\": [...]}");
	if (at(w, '}'))
		return finish(w);
	for (;;) {
		json_object *key, *ignored;
		const char *name;
		int ret = 0;

		if (value(w, &key, "a key", NO_INDEX))
			return -1;
		if (!key || !json_object_is_type(key, json_type_string)) {
			json_object_put(key);
			return fail(w, "expected a key string at byte %zu", (size_t)(w->p - w->start));
		}
		name = json_object_get_string(key);
		if (!at(w, ':')) {
			json_object_put(key);
			return fail(w, "expected ':' after a key");
		}
		if (!strcmp(name, "new") || !strcmp(name, "deleted")) {
			int is_new = name[0] == 'n', *seen = is_new ? &seen_new : &seen_deleted;

			if ((*seen)++)
				ret = fail(w, "\"%s\" given twice", name);
			else
				ret = decisions(w, is_new ? "new" : "deleted", is_new ? &out->add : &out->del,
						is_new ? out->skipped : NULL);
		} else if (!value(w, &ignored, name, NO_INDEX)) {	/* a newer LAPI's addition */
			json_object_put(ignored);
		} else {
			ret = -1;
		}
		json_object_put(key);
		if (ret)
			return -1;
		if (at(w, '}'))
			return finish(w);
		if (!at(w, ','))
			return fail(w, "expected ',' or '}' at byte %zu", (size_t)(w->p - w->start));
	}
}

static int parse(const char *body, size_t len, const struct lapi_filter *f, struct lapi_batch *out,
		 char *err, size_t errlen, int is_stream)
{
	struct walk w = { .p = body, .end = body + len, .start = body, .f = f, .err = err, .errlen = errlen };
	int ret;

	memset(out, 0, sizeof(*out));
	w.tok = json_tokener_new_ex(JSON_DEPTH);
	if (!w.tok)
		return fail(&w, "out of memory");
	/* Strict JSON; what follows a value is this file's to judge. */
	json_tokener_set_flags(w.tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	if (is_stream)
		ret = stream(&w, out);
	else
		ret = decisions(&w, "decisions", &out->add, out->skipped) || finish(&w);
	json_tokener_free(w.tok);
	if (ret)
		lapi_batch_free(out);
	return ret ? -1 : 0;
}

int lapi_stream_parse(const char *body, size_t len, const struct lapi_filter *f, struct lapi_batch *out,
		      char *err, size_t errlen)
{
	return parse(body, len, f, out, err, errlen, 1);
}

int lapi_list_parse(const char *body, size_t len, const struct lapi_filter *f, struct lapi_batch *out,
		    char *err, size_t errlen)
{
	return parse(body, len, f, out, err, errlen, 0);
}

void lapi_batch_free(struct lapi_batch *b)
{
	free(b->add.v);
	free(b->del.v);
	memset(b, 0, sizeof(*b));
}
