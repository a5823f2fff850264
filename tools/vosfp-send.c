/* vosfp-send - send COUNT identical UDP datagrams, each in one sendto(): traffic for the simulation,
 * the stress test and the integration tests
 * (a shell's /dev/udp splits a message into one datagram per write).
 * usage: vosfp-send [-s SRC] [-p SRC_PORT] [-r PPS] ADDR PORT TEXT [COUNT]
 * (-p: send from that port, e.g. 5060 to play the SIP server whose answers the egress filter reads)
 * TEXT understands \r \n \t \\ and \xHH. -r paces the datagrams at PPS per second (a stream that
 * lasts, e.g. across an agent's transaction), else they go as fast as the kernel takes them.
 * Exit 0 when every datagram was handed to the kernel. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static size_t unescape(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in && n < cap; in++) {
		if (*in != '\\' || !in[1]) {
			out[n++] = *in;
			continue;
		}
		switch (*++in) {
		case 'r': out[n++] = '\r'; break;
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'x': {
			char hex[3] = { in[1], in[1] ? in[2] : 0, 0 };

			out[n++] = (char)strtoul(hex, NULL, 16);
			in += 2;
			break;
		}
		default: out[n++] = *in; break;
		}
	}
	return n;
}

/* Sleep until datagram i of a stream of pps per second, begun at t0, is due. Sleeps only when
 * ahead by more than a millisecond: one nanosleep per datagram would cost more than it paces. */
static void pace(const struct timespec *t0, long i, long pps)
{
	struct timespec now;
	long long due, at;

	clock_gettime(CLOCK_MONOTONIC, &now);
	due = (long long)i * 1000000000LL / pps;
	at = (now.tv_sec - t0->tv_sec) * 1000000000LL + (now.tv_nsec - t0->tv_nsec);
	if (due - at > 1000000) {
		struct timespec d = { (time_t)((due - at) / 1000000000LL), (long)((due - at) % 1000000000LL) };

		nanosleep(&d, NULL);
	}
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST }, *dst, *src = NULL;
	static char payload[65536];
	const char *src_addr = NULL, *src_port = NULL;
	struct timespec t0;
	long count = 1, pps = 0;
	size_t len;
	int opt, fd;

	while ((opt = getopt(argc, argv, "s:p:r:")) != -1) {
		if (opt == 's') {
			src_addr = optarg;
		} else if (opt == 'p') {
			src_port = optarg;
		} else if (opt == 'r' && (pps = strtol(optarg, NULL, 10)) > 0) {
			continue;
		} else {
			fprintf(stderr, "usage: vosfp-send [-s SRC] [-p SRC_PORT] [-r PPS] ADDR PORT TEXT [COUNT]\n");
			return 2;
		}
	}
	if (argc - optind < 3) {
		fprintf(stderr, "usage: vosfp-send [-s SRC] [-p SRC_PORT] [-r PPS] ADDR PORT TEXT [COUNT]\n");
		return 2;
	}
	if (argc - optind > 3)
		count = strtol(argv[optind + 3], NULL, 10);
	if (getaddrinfo(argv[optind], argv[optind + 1], &hints, &dst)) {
		fprintf(stderr, "vosfp-send: bad address %s\n", argv[optind]);
		return 2;
	}
	hints.ai_family = dst->ai_family;
	hints.ai_flags |= AI_PASSIVE | AI_NUMERICSERV;
	if ((src_addr || src_port) && getaddrinfo(src_addr, src_port ? src_port : "0", &hints, &src)) {
		fprintf(stderr, "vosfp-send: bad source %s port %s\n", src_addr ? src_addr : "(any)",
			src_port ? src_port : "(any)");
		return 2;
	}
	len = unescape(argv[optind + 2], payload, sizeof(payload));
	fd = socket(dst->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || (src && bind(fd, src->ai_addr, src->ai_addrlen))) {
		perror("vosfp-send: socket/bind");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		if (pps)
			pace(&t0, i, pps);
		/* An ICMP port unreachable for an earlier datagram surfaces as ECONNREFUSED on an
		 * unconnected socket only with IP_RECVERR; plain sendto keeps going. */
		if (sendto(fd, payload, len, 0, dst->ai_addr, dst->ai_addrlen) != (ssize_t)len) {
			perror("vosfp-send: sendto");
			return 1;
		}
	}
	close(fd);
	return 0;
}
