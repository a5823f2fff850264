/* xsk_count - an AF_XDP socket bound the way most AF_XDP applications bind one: through libxdp,
 * which adds its own XDP program (redirect to the socket) to the interface's dispatcher. Counts the
 * frames that reach it; for coexist_test.sh. usage: xsk_count IFACE QUEUE EXPECTED [SECONDS]
 * Prints "ready" once bound, then "received N" at every new frame; exits after EXPECTED frames or
 * SECONDS (default 10). It never sends anything. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <xdp/xsk.h>

#define FRAMES 256

int main(int argc, char **argv)
{
	struct xsk_umem_config ucfg = { .fill_size = FRAMES, .comp_size = FRAMES,
					.frame_size = XSK_UMEM__DEFAULT_FRAME_SIZE };
	struct xsk_socket_config scfg = { .rx_size = FRAMES, .tx_size = FRAMES, .bind_flags = XDP_COPY };
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	size_t size = (size_t)FRAMES * XSK_UMEM__DEFAULT_FRAME_SIZE;
	long expected, seconds = argc > 4 ? atol(argv[4]) : 10, received = 0;
	time_t end;
	void *area;
	__u32 idx = 0;
	int err;

	if (argc < 4) {
		fprintf(stderr, "usage: xsk_count IFACE QUEUE EXPECTED [SECONDS]\n");
		return 2;
	}
	expected = atol(argv[3]);
	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || (err = xsk_umem__create(&umem, area, size, &fill, &comp, &ucfg))) {
		fprintf(stderr, "xsk_count: umem: %s\n", strerror(area == MAP_FAILED ? errno : -err));
		return 1;
	}
	err = xsk_socket__create(&xsk, argv[1], (__u32)atoi(argv[2]), umem, &rx, NULL, &scfg);
	if (err) {
		fprintf(stderr, "xsk_count: bind %s queue %s: %s\n", argv[1], argv[2], strerror(-err));
		return 1;
	}
	if (xsk_ring_prod__reserve(&fill, FRAMES, &idx) != FRAMES) {
		fprintf(stderr, "xsk_count: cannot fill the ring\n");
		return 1;
	}
	for (__u32 i = 0; i < FRAMES; i++)
		*xsk_ring_prod__fill_addr(&fill, idx + i) = (__u64)i * XSK_UMEM__DEFAULT_FRAME_SIZE;
	xsk_ring_prod__submit(&fill, FRAMES);
	printf("ready\n");
	fflush(stdout);
	end = time(NULL) + seconds;
	while (received < expected && time(NULL) < end) {
		struct pollfd p = { .fd = xsk_socket__fd(xsk), .events = POLLIN };
		__u32 n, rx_idx, fill_idx;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = xsk_ring_cons__peek(&rx, FRAMES, &rx_idx);
		if (!n)
			continue;
		/* Give the frames back to the fill ring: the count must not depend on ring room. */
		if (xsk_ring_prod__reserve(&fill, n, &fill_idx) == n) {
			for (__u32 i = 0; i < n; i++)
				*xsk_ring_prod__fill_addr(&fill, fill_idx + i) =
					xsk_ring_cons__rx_desc(&rx, rx_idx + i)->addr;
			xsk_ring_prod__submit(&fill, n);
		}
		xsk_ring_cons__release(&rx, n);
		received += n;
		printf("received %ld\n", received);
		fflush(stdout);
	}
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	return received == expected ? 0 : 1;
}
