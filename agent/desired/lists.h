/* lists.h - allow/block list files: one IPv4/IPv6 address or CIDR prefix per line, '#' starts a
 * comment, blank lines are ignored. Every bad line is reported as file:line. */
#ifndef VOSFP_LISTS_H
#define VOSFP_LISTS_H

#include "diag.h"
#include "prefix_set.h"

/* How many distinct entries a list may hold (limits.blocklist_max), and where that is set, for
 * the message when a file goes past it. */
struct list_bound {
	size_t max;
	const char *list;		/* "blocklist" */
	struct diag_ref limit;		/* the config, the line and the key of the limit */
};

/* Add the entries of path to set. A missing file is an error unless optional (then: empty).
 * Problems with the file as a whole are reported where ref says it was named (NULL: at the file
 * itself), bad lines at their own line. With a bound, the set never holds more than 3/2 of it
 * (duplicates are dropped, and sorted, on the way: the set is then a finished one) and a file
 * that takes it past the bound is refused as soon as that is known (-E2BIG, at the limit's
 * line); NULL: no bound, entries kept in file order (--check-list). Returns the number of
 * entries read, or a negative errno when the file failed. */
long list_file_read(const char *path, int optional, struct prefix_set *set, struct diag *d,
		    const struct diag_ref *ref, const struct list_bound *bound);

/* Parse one line's text (comment and blanks stripped); 1 = entry, 0 = nothing on the line,
 * negative = bad (reason in err). */
int list_line_parse(char *line, struct vosfp_prefix *p, char *err, size_t errlen);

#endif
