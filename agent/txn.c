/* txn.c - rollback decisions. Undo runs newest first so every intermediate state is one the
 * host has already been in during this transaction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "txn.h"

int journal_record(struct journal *j, const struct change *c)
{
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;
		struct change *v = realloc(j->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		j->v = v;
		j->cap = cap;
	}
	j->v[j->n++] = *c;
	return 0;
}

void journal_free(struct journal *j)
{
	free(j->v);
	memset(j, 0, sizeof(*j));
}

static int is_addition(enum plan_op op)
{
	return op == PLAN_BLOCK_ADD || op == PLAN_INDEX_ADD || op == PLAN_ALLOW_ADD;
}

size_t journal_undo(const struct journal *j, struct undo_step *out)
{
	size_t steps = 0;

	for (size_t i = j->n; i-- > 0;) {
		const struct change *c = &j->v[i];
		enum undo_action a;

		switch (c->kind) {
		case CHANGE_LINK_CREATED:
			a = UNDO_CLOSE_LINK;
			break;
		case CHANGE_LINK_SWITCHED:
			a = UNDO_SWITCH_BACK;
			break;
		case CHANGE_MODE_CHANGED:
			a = UNDO_MODE_BACK;
			break;
		case CHANGE_LIST:
			if (!c->count)
				continue;
			a = is_addition(c->op) ? UNDO_LIST_DEL : UNDO_LIST_ADD;
			break;
		case CHANGE_SUMMARY:
			a = UNDO_RESTORE_SUMMARY;
			break;
		case CHANGE_EGRESS_ATTACHED:
			a = UNDO_EGRESS_DETACH;
			break;
		case CHANGE_EGRESS_SWITCHED:
			a = UNDO_EGRESS_SWITCH_BACK;
			break;
		case CHANGE_IFACE_SLOTS:
			a = UNDO_RESTORE_IFACE_SLOTS;
			break;
		case CHANGE_PINS_MADE:
			a = UNDO_UNPIN;
			break;
		default:
			a = UNDO_RESTORE_RUNTIME;
			break;
		}
		out[steps].action = a;
		out[steps].change = i;
		steps++;
	}
	return steps;
}
