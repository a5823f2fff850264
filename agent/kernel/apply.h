/* apply.h - writes list changes into the datapath's maps: grouped per map, batched where the
 * kernel supports batch updates, one by one where it does not (LPM tries). */
#ifndef VOSFP_APPLY_H
#define VOSFP_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "prefix_set.h"
#include "scanner.h"

/* The four maps of one list (block or allow), indexed by enum vosfp_list_map. index_keys: the
 * v6 prefixes' map is the blocklist's prefix index (blocked_nets6_h), keyed by marked addresses
 * (vosfp_prefix_index_key), not the trie's keys. */
struct list_fds {
	int fd[VOSFP_LIST_MAPS];
	int index_keys;
};

/* Add (add=1) or delete every prefix of s. On failure returns a negative errno with the first
 * failing entry in err; entries before it stay applied (the caller undoes them). *done counts
 * the entries applied. */
int apply_list(const struct list_fds *fds, const struct prefix_set *s, int add, size_t *done,
	       char *err, size_t errlen);

/* Write (add=1: key i gets value i) or delete n entries of a hash or LPM map: batches of up to
 * 65536 where the map takes them, one by one where it does not; deleting a missing key is no
 * failure. 0 or a negative errno; *done counts the entries applied (those before a failure stay). */
int apply_entries(int fd, const void *keys, size_t key_size, const void *values, size_t value_size, size_t n,
		  int add, size_t *done);

/* Make the scanner_tokens map (fd) hold exactly want (n keys) given that it holds have (m keys):
 * the keys only in want are added, the keys only in have deleted; and scanner_free (free_fd, -1
 * for an object without it) the free slots of want, never freeing a slot a key still holds.
 * 0 or a negative errno. */
int apply_scanners(int fd, int free_fd, const struct vosfp_scanner_key *want, unsigned n,
		   const struct vosfp_scanner_key *have, unsigned m);

#include "summary.h"

enum summary_phase {
	SUMMARY_GROW,		/* old and new (summary_grow): before blocklist entries are added */
	SUMMARY_FINAL,		/* new: once the entries are where they belong */
	SUMMARY_UNDO,		/* old again */
	SUMMARY_SHRINK,		/* new, after GROW: only where old has bits new lacks (GROW wrote
				 * old|new, which is new everywhere else) */
};

/* Bring a summary map (fd, of kind k) from `old` towards `new` for one phase. */
int apply_summary(int fd, enum summary_kind k, const uint64_t *old, const uint64_t *new,
		  enum summary_phase phase);

#endif
