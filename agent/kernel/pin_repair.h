/* pin_repair.h - a pin removed from under a running configuration (rm in the pin directory) is
 * put back from the kernel's own state: a map pin from the program on our links that holds the
 * map (link -> program -> map ids, matched by name). What cannot be put back is said, with why:
 * a map nothing else held is gone with its pin; a link pin was its link's only holder. It never
 * unpins anything and never replaces a pin that exists. */
#ifndef VOSFP_PIN_REPAIR_H
#define VOSFP_PIN_REPAIR_H

#include "desired.h"

/* Pin again every map of want->bpf_object whose pin is missing under want->pin_path and which a
 * program attached through one of our links holds. 1 if some map pin could not be put back (the
 * caller makes new maps: the state read finds them outdated), 0 otherwise. */
int pin_repair(const struct desired *want);

/* Say which declared interfaces lost their link pin since a transaction attached them (they hold
 * a counter slot but have no link pin): the transaction attaches them again. */
void pin_repair_links(const struct desired *want);

#endif
