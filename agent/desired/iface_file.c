/* iface_file.c - interface files (see iface_file.h): read with file:line errors, merged into the
 * desired state after the YAML's interfaces. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_trust.h"
#include "iface_file.h"

#define IFACE_LINE_MAX 256
/* 64 interfaces with their modes take 2 KB: 1 MiB leaves room for any comments, and bounds what a
 * file named by mistake can make the agent hold. */
#define IFACE_FILE_MAX (1u << 20)

int iface_line_parse(char *line, struct desired_iface *out, char *err, size_t errlen)
{
	static const char seps[] = " \t,";
	char *save = NULL, *tok;

	line[strcspn(line, "#\r\n")] = '\0';
	tok = strtok_r(line, " \t", &save);
	if (!tok)
		return 0;
	memset(out, 0, sizeof(*out));
	if (!config_valid_ifname(tok)) {
		snprintf(err, errlen, "'%s' is not a valid interface name (at most 15 bytes, no '/', ':' or spaces)",
			 tok);
		return -EINVAL;
	}
	snprintf(out->name, sizeof(out->name), "%s", tok);
	while ((tok = strtok_r(NULL, seps, &save))) {
		enum vosfp_xdp_mode m;

		if (xdp_mode_parse(tok, &m)) {
			snprintf(err, errlen, "%s: unknown XDP mode '%s': expected native, generic or offload",
				 out->name, tok);
			return -EINVAL;
		}
		for (unsigned i = 0; i < out->mode_count; i++)
			if (out->modes[i] == m) {
				snprintf(err, errlen, "%s: mode '%s' is listed twice", out->name, tok);
				return -EINVAL;
			}
		out->modes[out->mode_count++] = m;	/* three distinct modes at most: fits */
	}
	if (!out->mode_count)
		xdp_modes_default(out);
	return 1;
}

static const struct desired_iface *find_iface(const struct desired *s, const char *name)
{
	for (unsigned i = 0; i < s->iface_count; i++)
		if (!strcmp(s->ifaces[i].name, name))
			return &s->ifaces[i];
	return NULL;
}

static int add_iface(struct desired *s, const struct desired_iface *di)
{
	struct desired_iface *v = realloc(s->ifaces, (s->iface_count + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->ifaces = v;
	v[s->iface_count++] = *di;
	memset(&v[s->iface_count], 0, sizeof(*v));
	return 0;
}

int iface_file_read(const char *path, struct desired *s, unsigned yaml_count, struct diag *d,
		    const struct diag_ref *ref)
{
	char *buf, *line, *next, err[512];
	size_t size, before = d->count;
	long lineno = 0;
	int ret = trusted_read(path, 0, IFACE_FILE_MAX, &buf, &size, err, sizeof(err));

	if (ret == -ENOENT)
		return 0;
	if (ret) {
		diag_add_ref(d, ref, path, "cannot read interface file: %s", err);
		return ret;
	}
	for (line = buf; line < buf + size; line = next) {
		const struct desired_iface *seen;
		struct desired_iface di;
		char *nl = memchr(line, '\n', (size_t)(buf + size - line));
		size_t len = nl ? (size_t)(nl - line) + 1 : (size_t)(buf + size - line);

		next = line + len;
		lineno++;
		if (memchr(line, '\0', len) || len > IFACE_LINE_MAX) {
			diag_add(d, path, (int)lineno, "%s: expected NAME [MODE ...] per line",
				 len > IFACE_LINE_MAX ? "line too long" : "binary data");
			break;
		}
		if (nl)
			*nl = '\0';	/* our copy: the line is now a string */
		ret = iface_line_parse(line, &di, err, sizeof(err));
		if (ret < 0)
			diag_add(d, path, (int)lineno, "%s", err);
		if (ret <= 0)
			continue;
		seen = find_iface(s, di.name);
		if (seen && seen < s->ifaces + yaml_count)
			continue;	/* the YAML declares it: its modes win, nothing is lost */
		if (seen && seen->file == path) {
			diag_add(d, path, (int)lineno, "interface '%s' is declared twice (first at line %d)",
				 di.name, seen->line);
			continue;
		}
		if (seen) {
			diag_add(d, path, (int)lineno, "interface '%s' is declared twice (first at %s:%d)",
				 di.name, seen->file, seen->line);
			continue;
		}
		if (s->iface_count >= VOSFP_MAX_INTERFACES) {
			diag_add(d, path, (int)lineno, "more than %d interfaces declared", VOSFP_MAX_INTERFACES);
			break;
		}
		di.file = path;
		di.line = (int)lineno;
		if (add_iface(s, &di)) {
			diag_add(d, path, (int)lineno, "out of memory");
			break;
		}
	}
	free(buf);
	return d->count == before ? 0 : -EINVAL;
}
