/* flood_nic.c - a veth's own XDP counters through ethtool (SIOCETHTOOL): the flood bench counts
 * what the receive path saw in the kernel, the same way for sip_xdp_prog and a bare XDP_DROP. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "flood_nic.h"

static int ethtool(const struct flood_nic *nic, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nic->ifname);
	ifr.ifr_data = cmd;
	return ioctl(nic->fd, SIOCETHTOOL, &ifr) ? -errno : 0;
}

static int find_stats(struct flood_nic *nic)
{
	struct { struct ethtool_sset_info info; __u32 count; } sset = {
		.info = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS },
	};
	struct ethtool_gstrings *names;
	unsigned int queue;
	char what[ETH_GSTRING_LEN + 1];
	int err = ethtool(nic, &sset);

	if (err)
		return err;
	nic->n_stats = sset.count;
	names = calloc(1, sizeof(*names) + (size_t)nic->n_stats * ETH_GSTRING_LEN);
	if (!names)
		return -ENOMEM;
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_STATS;
	names->len = nic->n_stats;
	err = ethtool(nic, names);
	for (unsigned int i = 0; !err && i < nic->n_stats; i++) {
		const char *name = (const char *)names->data + (size_t)i * ETH_GSTRING_LEN;

		if (sscanf(name, "rx_queue_%u_%32s", &queue, what) != 2 || queue >= FLOOD_NIC_QUEUES)
			continue;
		if (!strcmp(what, "xdp_packets"))
			nic->packets_idx[nic->n_packets++] = i;
		else if (!strcmp(what, "xdp_drops"))
			nic->drops_idx[nic->n_drops++] = i;
	}
	free(names);
	return err ? err : nic->n_packets && nic->n_drops ? 0 : -ENOENT;
}

int flood_nic_open(struct flood_nic *nic, const char *ifname)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	int err;

	memset(nic, 0, sizeof(*nic));
	snprintf(nic->ifname, sizeof(nic->ifname), "%s", ifname);
	nic->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (nic->fd < 0)
		return -errno;
	err = ethtool(nic, &drv);
	if (!err && strcmp(drv.driver, "veth")) {
		fprintf(stderr, "flood_bench: %s is a %s interface, not a veth: refusing to flood it\n",
			ifname, drv.driver);
		err = -EPERM;
	} else if (!err && (err = find_stats(nic))) {
		fprintf(stderr, "flood_bench: %s: no rx_queue_N_xdp_packets/xdp_drops in its ethtool stats: %s\n",
			ifname, strerror(-err));
	} else if (err) {
		fprintf(stderr, "flood_bench: %s: ethtool: %s\n", ifname, strerror(-err));
	}
	if (err)
		flood_nic_close(nic);
	return err;
}

int flood_nic_read(const struct flood_nic *nic, struct flood_count *c)
{
	struct ethtool_stats *st = calloc(1, sizeof(*st) + (size_t)nic->n_stats * sizeof(__u64));
	int err;

	if (!st)
		return -ENOMEM;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = nic->n_stats;
	err = ethtool(nic, st);
	if (!err) {
		c->packets = c->drops = 0;
		for (int i = 0; i < nic->n_packets; i++)
			c->packets += st->data[nic->packets_idx[i]];
		for (int i = 0; i < nic->n_drops; i++)
			c->drops += st->data[nic->drops_idx[i]];
	}
	free(st);
	return err;
}

void flood_nic_close(struct flood_nic *nic)
{
	if (nic->fd >= 0)
		close(nic->fd);
	nic->fd = -1;
}
