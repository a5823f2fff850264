/* admission.h - which connection of the metrics endpoint gives way when a new one arrives and
 * the slots are taken: the server always accepts, so a flood of idle or half-sent requests can
 * never keep a real scraper waiting in the listen backlog. Pure (slots in, a choice out): the
 * sockets are metrics_server.c's. */
#ifndef VOSFP_ADMISSION_H
#define VOSFP_ADMISSION_H

#include <sys/socket.h>

/* What a slot's connection is doing, in the order a newcomer may take it over: one already
 * answered (lingering before the close) first, then one that has not sent a whole request yet,
 * last one being answered. */
enum client_stage { STAGE_FREE = 0, STAGE_DRAINING, STAGE_READING, STAGE_WRITING };

/* Who a connection is from, as far as sharing goes: an IPv4 address, or the /64 of an IPv6 one
 * (one host usually holds a whole /64, so its single addresses are no limit). */
struct admission_source {
	unsigned char key[9];	/* family (4 or 6), then 4 or 8 address bytes, zero-padded */
};

struct admission_slot {
	enum client_stage stage;
	struct admission_source source;
	unsigned long long since;	/* accept order: the older gives way first */
};

void admission_source_of(const struct sockaddr_storage *peer, struct admission_source *out);

/* The slot a newcomer from `from` takes: a free one if there is one; otherwise an occupied one,
 * whose connection the caller closes first: the most expendable (stage, then age) of the source
 * holding the most slots, the newcomer counted with its own source. So a flood from one source
 * displaces only itself, and a source holding one connection gives way only once every source
 * holds one. -1 when n is 0. */
int admission_choose(const struct admission_slot *slots, unsigned n, const struct admission_source *from);

/* The most expendable occupied slot of all (to free a descriptor), or -1 when every slot is free. */
int admission_expendable(const struct admission_slot *slots, unsigned n);

#endif
