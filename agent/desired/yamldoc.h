/* yamldoc.h - the config file as a libyaml node tree, kept beside libcyaml's typed load for one
 * reason: exact line numbers. It checks the document against the libcyaml schema itself (unknown
 * keys, wrong types, missing keys, each at its own line) and answers "which line holds
 * interfaces[1].name?" for the semantic checks that run on the typed structs. */
#ifndef VOSFP_YAMLDOC_H
#define VOSFP_YAMLDOC_H

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "diag.h"

struct yamldoc {
	const char *file;
	yaml_document_t doc;
	int loaded;
};

/* Parse buf; syntax errors (and an empty document) go to d. Returns 0 when a document was read. */
int yamldoc_parse(struct yamldoc *y, const char *file, const unsigned char *buf, size_t len,
		  struct diag *d);
void yamldoc_free(struct yamldoc *y);

/* Check the document against schema; every mismatch goes to d with its line. */
void yamldoc_check(struct yamldoc *y, const cyaml_schema_value_t *schema, struct diag *d);

/* Line (1-based) of the node at path ("sip.udp_ports[2]"); for a missing path, the line of its
 * nearest present ancestor; 0 when nothing matches. */
int yamldoc_line(const struct yamldoc *y, const char *path);

/* Is there a node at path? */
int yamldoc_has(const struct yamldoc *y, const char *path);

#endif
