/* iface_file.h - interface files: interfaces declared outside the YAML, one per line, so that
 * deploy.sh can add one without editing /etc/vosfp.yaml. Line format:
 *
 *	NAME [MODE ...]		e.g. "eth1", "eth1 generic", "eth1 native,generic"
 *
 * modes as in the config's xdp_mode (native, generic, offload), in preference order, separated by
 * blanks or commas; none means "native generic". '#' starts a comment; blank lines are ignored.
 * A missing file declares nothing (deploy.sh creates it on first use). */
#ifndef VOSFP_IFACE_FILE_H
#define VOSFP_IFACE_FILE_H

#include "desired.h"
#include "diag.h"

/* Parse one line (modified in place): 1 = an interface in *out, 0 = nothing on the line,
 * negative = bad (reason in err). */
int iface_line_parse(char *line, struct desired_iface *out, char *err, size_t errlen);

/* Add the interfaces of path to s->ifaces, every bad line reported as path:line. An interface the
 * YAML already declares is skipped (the YAML's modes apply); one declared twice in interface
 * files is an error naming both places. Problems with the file as a whole are reported where ref
 * says it was named. */
int iface_file_read(const char *path, struct desired *s, unsigned yaml_count, struct diag *d,
		    const struct diag_ref *ref);

#endif
