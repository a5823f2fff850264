/* yamldoc.c - line-exact structural checks of the config, driven by the libcyaml schema so the
 * schema is written once. Scalars are resolved as YAML 1.1 does (what PyYAML and so the JSON
 * Schema test see): an unquoted 5060 is an integer, yes/no/true/false are booleans, ~ is null. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

enum scalar_kind { SCALAR_STRING, SCALAR_INT, SCALAR_BOOL, SCALAR_NULL, SCALAR_FLOAT, SCALAR_TIMESTAMP };

/* Spaces before the first character of the line holding buf[index]. */
static size_t indent_of_line(const unsigned char *buf, size_t len, size_t index)
{
	size_t start = index < len ? index : len, n = 0;

	while (start > 0 && buf[start - 1] != '\n')
		start--;
	while (start + n < len && buf[start + n] == ' ')
		n++;
	return n;
}

/* libyaml notices an unclosed '[' or '{' only where the input ends or the next key starts, and
 * says so there. Scan the tokens up to that point again: when a flow collection is still open,
 * and the error is at the end of the input or on a later line indented no deeper than the line
 * that opened it (the next key: the flow ran past its block), the opening bracket is the line to
 * fix. *at gets it. */
static int unclosed_flow(const unsigned char *buf, size_t len, const yaml_mark_t *problem, yaml_mark_t *at,
			 char *bracket)
{
	yaml_mark_t open[64];
	char kind[64];
	unsigned depth = 0;
	yaml_parser_t p;
	yaml_token_t t;
	int done = 0;

	if (!yaml_parser_initialize(&p))
		return 0;
	yaml_parser_set_input_string(&p, buf, len);
	while (!done && yaml_parser_scan(&p, &t)) {
		done = t.type == YAML_STREAM_END_TOKEN || t.start_mark.index >= problem->index;
		if (!done && (t.type == YAML_FLOW_SEQUENCE_START_TOKEN || t.type == YAML_FLOW_MAPPING_START_TOKEN)) {
			if (depth < sizeof(open) / sizeof(open[0])) {
				open[depth] = t.start_mark;
				kind[depth] = t.type == YAML_FLOW_SEQUENCE_START_TOKEN ? '[' : '{';
			}
			depth++;
		} else if (!done && depth &&
			   (t.type == YAML_FLOW_SEQUENCE_END_TOKEN || t.type == YAML_FLOW_MAPPING_END_TOKEN)) {
			depth--;
		}
		yaml_token_delete(&t);
	}
	yaml_parser_delete(&p);
	if (!depth || depth > sizeof(open) / sizeof(open[0]))
		return 0;
	if (problem->index < len &&
	    !(problem->line > open[depth - 1].line &&
	      indent_of_line(buf, len, problem->index) <= indent_of_line(buf, len, open[depth - 1].index)))
		return 0;
	*at = open[depth - 1];
	*bracket = kind[depth - 1];
	return 1;
}

int yamldoc_parse(struct yamldoc *y, const char *file, const unsigned char *buf, size_t len,
		  struct diag *d)
{
	yaml_parser_t parser;
	int ok;

	memset(y, 0, sizeof(*y));
	y->file = file;
	if (!yaml_parser_initialize(&parser)) {
		diag_add(d, file, 0, "out of memory starting the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	ok = yaml_parser_load(&parser, &y->doc);
	if (!ok) {
		yaml_mark_t open;
		char bracket;

		if (unclosed_flow(buf, len, &parser.problem_mark, &open, &bracket))
			diag_add(d, file, (int)open.line + 1,
				 "not valid YAML: this '%c' is not closed (found %s at line %d: %s)", bracket,
				 parser.problem_mark.index < len ? "the next key" : "the end of the file",
				 (int)parser.problem_mark.line + 1, parser.problem ? parser.problem : "unknown error");
		else
			diag_add(d, file, (int)parser.problem_mark.line + 1, "not valid YAML: %s%s%s",
				 parser.problem ? parser.problem : "unknown error",
				 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	y->loaded = 1;
	if (!yaml_document_get_root_node(&y->doc)) {
		yaml_parser_delete(&parser);
		diag_add(d, file, 0, "the file is empty: expected a YAML mapping starting with 'version: 1'");
		return -EINVAL;
	}
	/* A second document would be ignored by libcyaml: refuse it rather than drop it silently. */
	{
		yaml_document_t next;

		if (yaml_parser_load(&parser, &next)) {
			yaml_node_t *root = yaml_document_get_root_node(&next);

			if (root)
				diag_add(d, file, (int)root->start_mark.line + 1,
					 "a second YAML document: expected exactly one (remove the '---' and what follows, or merge them)");
			yaml_document_delete(&next);
		}
	}
	yaml_parser_delete(&parser);
	return d->count ? -EINVAL : 0;
}

void yamldoc_free(struct yamldoc *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = 0;
}

/* YAML 1.1's implicit types, as PyYAML resolves them. */
enum yaml11 { RE_NULL, RE_BOOL, RE_INT, RE_TIMESTAMP, RE_FLOAT_SEXAGESIMAL, RE_FLOAT, RE_FLOAT_DOT, RE_FLOAT_SPECIAL, RE_COUNT };

static const char *const yaml11_patterns[RE_COUNT] = {
	[RE_NULL] = "^(~|null|Null|NULL)$",
	[RE_BOOL] = "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
	[RE_INT] = "^[-+]?(0|[1-9][0-9_]*|0b[01_]+|0[0-7_]+|0x[0-9a-fA-F_]+|[1-9][0-9_]*(:[0-5]?[0-9])+)$",
	[RE_TIMESTAMP] = "^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ]|$)",
	[RE_FLOAT_SEXAGESIMAL] = "^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*$",
	[RE_FLOAT] = "^[-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?$",
	[RE_FLOAT_DOT] = "^\\.[0-9_]+([eE][-+][0-9]+)?$",
	[RE_FLOAT_SPECIAL] = "^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)$",
};

/* Compiled at the first scalar and kept for the life of the process: compiled for every scalar,
 * they made 100,000 inline addresses take seconds. */
static int matches(enum yaml11 which, const char *s)
{
	static regex_t re[RE_COUNT];
	static signed char state[RE_COUNT];	/* 0: not compiled yet, 1: ready, -1: failed */

	if (!state[which])
		state[which] = regcomp(&re[which], yaml11_patterns[which], REG_EXTENDED | REG_NOSUB) ? -1 : 1;
	return state[which] > 0 && regexec(&re[which], s, 0, NULL, 0) == 0;
}

/* An explicit tag (!!int "5060") decides; libyaml gives untagged scalars the str tag too, so
 * only the other core tags can be told apart. */
static int explicit_kind(const yaml_node_t *n, enum scalar_kind *kind)
{
	static const struct { const char *tag; enum scalar_kind kind; } tags[] = {
		{ YAML_INT_TAG, SCALAR_INT }, { YAML_BOOL_TAG, SCALAR_BOOL }, { YAML_NULL_TAG, SCALAR_NULL },
		{ YAML_FLOAT_TAG, SCALAR_FLOAT }, { YAML_TIMESTAMP_TAG, SCALAR_TIMESTAMP },
	};

	for (size_t i = 0; n->tag && i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp((const char *)n->tag, tags[i].tag)) {
			*kind = tags[i].kind;
			return 1;
		}
	return 0;
}

static enum scalar_kind scalar_kind(const yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	enum scalar_kind kind;

	if (explicit_kind(n, &kind))
		return kind;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return SCALAR_STRING;
	if (!*s || matches(RE_NULL, s))
		return SCALAR_NULL;
	if (matches(RE_BOOL, s))
		return SCALAR_BOOL;
	if (matches(RE_INT, s))
		return SCALAR_INT;
	if (matches(RE_TIMESTAMP, s))
		return SCALAR_TIMESTAMP;
	if (matches(RE_FLOAT_SEXAGESIMAL, s) || matches(RE_FLOAT, s) || matches(RE_FLOAT_DOT, s) ||
	    matches(RE_FLOAT_SPECIAL, s))
		return SCALAR_FLOAT;
	return SCALAR_STRING;
}

static const char *kind_name(const yaml_node_t *n)
{
	static const char *const names[] = { "a string", "an integer", "a boolean", "nothing", "a number", "a date" };

	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return names[scalar_kind(n)];
	}
}

static int line_of(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

struct walk {
	struct yamldoc *y;
	struct diag *d;
};

static void check_node(struct walk *w, yaml_node_t *n, const cyaml_schema_value_t *s, const char *path);

/* What was expected and what was found, the value quoted; then the hint, if any. */
static void expected_hint(struct walk *w, yaml_node_t *n, const char *path, const char *what, const char *hint)
{
	const char *v = n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : "";
	/* A long value is quoted by its start: the message stays one readable line. */
	int shown = strlen(v) > 64 ? 60 : 64;

	diag_add(w->d, w->y->file, line_of(n), "%s%sexpected %s, found %s%s%.*s%s%s", path, *path ? ": " : "", what,
		 kind_name(n), *v ? " '" : "", shown, v, !*v ? "" : shown == 60 ? "...'" : "'", hint);
}

static void expected(struct walk *w, yaml_node_t *n, const char *path, const char *what)
{
	expected_hint(w, n, path, what, "");
}

/* The one key a mapping requires, or NULL (none, or several). */
static const char *sole_required_key(const cyaml_schema_field_t *f)
{
	const char *key = NULL;

	for (; f->key; f++)
		if (!(f->value.flags & CYAML_FLAG_OPTIONAL)) {
			if (key)
				return NULL;
			key = f->key;
		}
	return key;
}

static void key_list(const cyaml_schema_field_t *f, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (; f->key && used < len; f++)
		used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "", f->key);
}

static void check_mapping(struct walk *w, yaml_node_t *n, const cyaml_schema_value_t *s, const char *path)
{
	const cyaml_schema_field_t *fields = s->mapping.fields;
	char child[256], keys[256];

	if (n->type != YAML_MAPPING_NODE) {
		const char *key = sole_required_key(fields);
		char hint[160] = "";

		/* "interfaces: [eth0]": the value of the one key the mapping needs, written alone. */
		if (key && n->type == YAML_SCALAR_NODE && scalar_kind(n) != SCALAR_NULL)
			snprintf(hint, sizeof(hint), " (did you mean '%s: %.64s'?)", key,
				 (const char *)n->data.scalar.value);
		expected_hint(w, n, path, "a mapping of keys to values", hint);
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&w->y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&w->y->doc, p->value);
		const cyaml_schema_field_t *f;
		const char *key;

		if (k->type != YAML_SCALAR_NODE) {
			expected(w, k, path, "a plain key");
			continue;
		}
		key = (const char *)k->data.scalar.value;
		for (f = fields; f->key && strcmp(f->key, key); f++)
			;
		if (!f->key) {
			key_list(fields, keys, sizeof(keys));
			diag_add(w->d, w->y->file, line_of(k), "unknown key '%s'%s%s: expected one of %s",
				 key, *path ? " in " : "", path, keys);
			continue;
		}
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(&w->y->doc, q->key);

			if (qk->type == YAML_SCALAR_NODE && !strcmp((const char *)qk->data.scalar.value, key))
				diag_add(w->d, w->y->file, line_of(k), "duplicate key '%s'%s%s (first at line %d)",
					 key, *path ? " in " : "", path, line_of(qk));
		}
		snprintf(child, sizeof(child), "%s%s%s", path, *path ? "." : "", key);
		check_node(w, v, &f->value, child);
	}
	for (const cyaml_schema_field_t *f = fields; f->key; f++) {
		int present = 0;

		if (f->value.flags & CYAML_FLAG_OPTIONAL)
			continue;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(&w->y->doc, p->key);

			present |= k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, f->key);
		}
		if (!present)
			diag_add(w->d, w->y->file, line_of(n), "missing required key '%s'%s%s", f->key,
				 *path ? " in " : "", path);
	}
}

static void check_sequence(struct walk *w, yaml_node_t *n, const cyaml_schema_value_t *s, const char *path)
{
	char child[256];
	unsigned count = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		expected(w, n, path, "a list ([a, b] or '- a' lines)");
		return;
	}
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
		snprintf(child, sizeof(child), "%s[%u]", path, count++);
		check_node(w, yaml_document_get_node(&w->y->doc, *i), s->sequence.entry, child);
	}
	if (count < s->sequence.min)
		diag_add(w->d, w->y->file, line_of(n), "%s: expected at least %u entr%s, found %u", path,
			 s->sequence.min, s->sequence.min == 1 ? "y" : "ies", count);
	if (s->sequence.max != CYAML_UNLIMITED && count > s->sequence.max)
		diag_add(w->d, w->y->file, line_of(n), "%s: expected at most %u entries, found %u", path,
			 s->sequence.max, count);
}

static void check_uint(struct walk *w, yaml_node_t *n, const cyaml_schema_value_t *s, const char *path)
{
	unsigned long long max = s->data_size >= 8 ? ~0ULL : (1ULL << (8 * s->data_size)) - 1;
	char what[64];
	const char *text;
	char *end;
	unsigned long long v;

	snprintf(what, sizeof(what), "a whole number from 0 to %llu", max);
	if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != SCALAR_INT) {
		expected(w, n, path, what);
		return;
	}
	text = (const char *)n->data.scalar.value;
	errno = 0;
	v = strtoull(text, &end, 0);	/* decimal, 0x hex, 0 octal */
	if (*end || (text[0] == '+')) {
		/* YAML 1.1 also has +N, 1_000, 0b101 and 1:30 for integers; say what we take. */
		snprintf(what, sizeof(what), "a whole number from 0 to %llu in plain decimal or 0x hex", max);
		expected(w, n, path, what);
	} else if (text[0] == '-' || errno || v > max) {
		expected(w, n, path, what);
	}
}

static void check_enum(struct walk *w, yaml_node_t *n, const cyaml_schema_value_t *s, const char *path)
{
	char what[128] = "one of ";
	size_t used = strlen(what);

	for (uint32_t i = 0; i < s->enumeration.count; i++)
		used += snprintf(what + used, sizeof(what) - used, "%s%s", i ? ", " : "",
				 s->enumeration.strings[i].str);
	if (n->type == YAML_SCALAR_NODE && scalar_kind(n) == SCALAR_STRING)
		for (uint32_t i = 0; i < s->enumeration.count; i++)
			if (!strcmp((const char *)n->data.scalar.value, s->enumeration.strings[i].str))
				return;
	expected(w, n, path, what);
}

static void check_node(struct walk *w, yaml_node_t *n, const cyaml_schema_value_t *s, const char *path)
{
	switch (s->type) {
	case CYAML_MAPPING:
		check_mapping(w, n, s, path);
		break;
	case CYAML_SEQUENCE:
		check_sequence(w, n, s, path);
		break;
	case CYAML_UINT:
		check_uint(w, n, s, path);
		break;
	case CYAML_BOOL:
		if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != SCALAR_BOOL)
			expected(w, n, path, "true or false");
		break;
	case CYAML_ENUM:
		check_enum(w, n, s, path);
		break;
	case CYAML_STRING:
		if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != SCALAR_STRING)
			expected(w, n, path, "a string (quote it if it looks like a number)");
		else if (strlen((const char *)n->data.scalar.value) < s->string.min)
			expected(w, n, path, "a non-empty string");
		else if (s->string.max != CYAML_UNLIMITED &&
			 strlen((const char *)n->data.scalar.value) > s->string.max) {
			char what[64];

			snprintf(what, sizeof(what), "a string of at most %u bytes", s->string.max);
			expected(w, n, path, what);
		}
		break;
	default:
		break;
	}
}

void yamldoc_check(struct yamldoc *y, const cyaml_schema_value_t *schema, struct diag *d)
{
	struct walk w = { .y = y, .d = d };
	yaml_node_t *root = yaml_document_get_root_node(&y->doc);

	if (root)
		check_node(&w, root, schema, "");
}

/* Follow path from the root; *deepest gets the last node reached. Returns the node or NULL. */
static yaml_node_t *lookup(const struct yamldoc *y, const char *path, yaml_node_t **deepest)
{
	yaml_document_t *doc = (yaml_document_t *)&y->doc;
	yaml_node_t *n = yaml_document_get_root_node(doc);
	const char *p = path;

	*deepest = n;
	while (n && *p) {
		if (*p == '.')
			p++;
		if (*p == '[') {
			long idx = strtol(p + 1, (char **)&p, 10);

			p++;	/* ']' */
			if (n->type != YAML_SEQUENCE_NODE ||
			    idx >= n->data.sequence.items.top - n->data.sequence.items.start)
				return NULL;
			n = yaml_document_get_node(doc, n->data.sequence.items.start[idx]);
		} else {
			size_t len = strcspn(p, ".[");
			yaml_node_t *next = NULL;

			if (n->type != YAML_MAPPING_NODE)
				return NULL;
			for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < n->data.mapping.pairs.top; q++) {
				yaml_node_t *k = yaml_document_get_node(doc, q->key);

				if (k->type == YAML_SCALAR_NODE && strlen((char *)k->data.scalar.value) == len &&
				    !strncmp((char *)k->data.scalar.value, p, len))
					next = yaml_document_get_node(doc, q->value);
			}
			n = next;
			p += len;
		}
		if (n)
			*deepest = n;
	}
	return n;
}

int yamldoc_line(const struct yamldoc *y, const char *path)
{
	yaml_node_t *deepest = NULL, *n;

	if (!y->loaded)
		return 0;
	n = lookup(y, path, &deepest);
	if (n)
		return line_of(n);
	return deepest ? line_of(deepest) : 0;
}

int yamldoc_has(const struct yamldoc *y, const char *path)
{
	yaml_node_t *deepest;

	return y->loaded && lookup(y, path, &deepest) != NULL;
}
