/* flood_send.c - the flood bench's sender: the same frame in sendmmsg batches through an AF_PACKET
 * socket (qdisc bypassed), so the sender costs as little as a socket allows. It sends only on the
 * one interface its socket was bound to, and stops at its packet and time bounds. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include "flood_send.h"

#define FLOOD_BATCH 64

int flood_socket(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int one = 1, fd, err;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex)
		return -errno;
	/* Protocol 0: the socket is hooked to no receive path, so nothing queues up on it. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *flood_loop(void *arg)
{
	struct flood_sender *s = arg;
	struct iovec iov = { .iov_base = (void *)s->frame, .iov_len = s->len };
	struct mmsghdr msgs[FLOOD_BATCH];
	double deadline = now_s() + s->max_seconds;
	unsigned int calls = 0;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < FLOOD_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed) && s->sent < s->max_packets) {
		uint64_t left = s->max_packets - s->sent;
		int n = sendmmsg(s->fd, msgs, left < FLOOD_BATCH ? (unsigned int)left : FLOOD_BATCH, 0);

		if (n < 0) {
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				s->err = errno;
				break;
			}
			s->busy++;
		} else {
			s->sent += (uint64_t)n;
		}
		/* The clock every 64 calls: its cost stays out of the per-packet figure. */
		if (!(++calls & 63) && now_s() > deadline)
			break;
	}
	return NULL;
}

int flood_start(struct flood_sender *s)
{
	atomic_store(&s->stop, 0);
	s->sent = s->busy = 0;
	s->err = 0;
	return -pthread_create(&s->thread, NULL, flood_loop, s);
}

void flood_stop(struct flood_sender *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
}
