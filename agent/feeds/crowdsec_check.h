/* crowdsec_check.h - what --dry-run says about the crowdsec section: whether the LAPI answers
 * with the configured key, how many decisions it holds and how many this node would enforce, and
 * whether the machine credentials can be used. One blocking exchange (this is not the daemon);
 * never prints a secret. */
#ifndef VOSFP_CROWDSEC_CHECK_H
#define VOSFP_CROWDSEC_CHECK_H

#include <stdio.h>

#include "desired.h"

/* Lines "crowdsec: ..." on out. Changes nothing (GET /v1/decisions: see the README on why the
 * poll interval stays under a minute). */
void crowdsec_dry_run(const struct desired_crowdsec *cs, const char *version, FILE *out);

#endif
