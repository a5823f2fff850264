/* flood_nic.h - what the flood bench reads from a veth through ethtool: that it is a veth, and
 * the exact packet counts its XDP receive path keeps. Read-only: it never changes an interface. */
#ifndef VOSFP_BENCH_FLOOD_NIC_H
#define VOSFP_BENCH_FLOOD_NIC_H

#include <net/if.h>
#include <stdint.h>

#define FLOOD_NIC_QUEUES 64

struct flood_nic {
	int fd;			/* an AF_INET socket of the interface's network namespace */
	char ifname[IF_NAMESIZE];
	unsigned int n_stats;
	int n_packets, n_drops;
	unsigned int packets_idx[FLOOD_NIC_QUEUES];	/* rx_queue_N_xdp_packets */
	unsigned int drops_idx[FLOOD_NIC_QUEUES];	/* rx_queue_N_xdp_drops */
};

struct flood_count {
	uint64_t packets;	/* frames the receive path ran XDP on (all rx queues) */
	uint64_t drops;		/* of those, XDP_DROP */
};

/* Open ifname in the calling thread's network namespace; it must be a veth. 0 or a negative
 * errno (message on stderr). */
int flood_nic_open(struct flood_nic *nic, const char *ifname);
int flood_nic_read(const struct flood_nic *nic, struct flood_count *c);
void flood_nic_close(struct flood_nic *nic);

#endif
