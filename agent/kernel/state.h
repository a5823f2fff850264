/* state.h - read what the kernel holds for vosfp (pinned maps and links) into a struct observed,
 * the other input of the planner. Reads only. */
#ifndef VOSFP_STATE_H
#define VOSFP_STATE_H

#include "plan.h"

/* Fill o from pin_path. Unreadable state (no privilege) is not an error: o->readable = 0 and
 * the caller plans against an empty kernel. With with_lists = 0 the list maps' contents are not
 * read (the caller knows them); everything else is. 0 or a negative errno. */
int state_read(const char *pin_path, struct observed *o, int with_lists);

#endif
