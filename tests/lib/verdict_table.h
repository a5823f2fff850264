/* verdict_table.h - one row per rule of SPEC §3 and per parsing edge: a frame, the policy it
 * meets and the verdict and counter it must get. The reference classifier (unit tests) and the
 * kernel program (prog tests) are both held to the same rows. */
#ifndef VOSFP_TEST_VERDICT_TABLE_H
#define VOSFP_TEST_VERDICT_TABLE_H

#include "frame.h"
#include "reference.h"

enum table_config {
	CFG_SEED,		/* all-zero config: the seed's behaviour */
	CFG_PORTS,		/* UDP 5080 and 5090, TCP 5061 */
	CFG_NO_STEALTH,
	CFG_NO_MALFORMED,
};

struct verdict_row {
	const char *name;
	struct frame_spec spec;
	const char *text;	/* payload text, unless one of the generated payloads below is set */
	size_t invite_size;	/* generated INVITE of exactly this many bytes */
	int version_at;		/* generated request with "SIP/2.0" starting at this byte */
	enum table_config config;
	enum ref_action action;
	int counter;		/* enum vosfp_counter or REF_UNCOUNTED */
};

extern const struct verdict_row verdict_rows[];
extern const size_t verdict_row_count;

/* The policy every row meets: the lists below plus the row's config. */
extern const struct vosfp_prefix *table_blocked;
extern const struct vosfp_prefix *table_allowed;
extern size_t table_blocked_count, table_allowed_count;

/* Parse the table's address literals; call once before using the lists. */
void verdict_table_init(void);
const struct vosfp_config *table_config(enum table_config which);

/* Build row r's frame into buf; returns its length. */
size_t verdict_row_frame(const struct verdict_row *r, uint8_t *buf, size_t cap);

/* The policy of row r, for reference_classify (no AF_XDP socket). */
struct ref_policy verdict_row_policy(const struct verdict_row *r);

struct harness;
/* Load sip_xdp_prog through the harness with the table's lists (tests/prog/table_test.c). */
void load_table_policy(struct harness *h);

/* Realistic SIP payloads shared by tests and bench. */
extern const char SIP_REGISTER[];
extern const char SIP_OPTIONS[];
size_t sip_invite(char *buf, size_t size);	/* an INVITE of exactly size bytes (>= 200) */

#endif
