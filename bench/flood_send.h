/* flood_send.h - the flood bench's one sender: one frame, sent again and again on one veth of the
 * bench's own namespace. It must never send on any other interface. */
#ifndef VOSFP_BENCH_FLOOD_SEND_H
#define VOSFP_BENCH_FLOOD_SEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct flood_sender {
	int fd;				/* from flood_socket */
	const uint8_t *frame;
	size_t len;
	uint64_t max_packets;		/* bounds: whichever comes first, or flood_stop */
	double max_seconds;
	atomic_int stop;
	uint64_t sent;			/* frames the kernel took */
	uint64_t busy;			/* sendmmsg calls refused for lack of buffer space (retried) */
	int err;			/* errno that ended the flood early, or 0 */
	pthread_t thread;
};

/* An AF_PACKET socket bound to ifname (resolved in the calling thread's network namespace),
 * bypassing the qdisc, receiving nothing. Returns the fd or a negative errno. */
int flood_socket(const char *ifname);

/* Flood on a thread of its own until flood_stop or a bound. 0 or a negative errno. */
int flood_start(struct flood_sender *s);
void flood_stop(struct flood_sender *s);

#endif
