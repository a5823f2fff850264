/* stats.c - sum the per-CPU counters and print them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "pins.h"
#include "stats.h"
#include "vosfp.h"

int stats_print(const char *pin_path, int json, FILE *out)
{
	unsigned long long total[VOSFP_CNT_COUNT] = { 0 }, handled = 0;
	int ncpus = libbpf_num_possible_cpus();
	char path[4352];
	int fd;

	pins_map_path(pin_path, "xdp_counters", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "vosfp-agent: cannot open %s: %s%s\n", path, strerror(errno),
			errno == ENOENT ? " (is the agent's config applied?)" : errno == EPERM || errno == EACCES ? " (run as root)" : "");
		return -errno;
	}
	for (__u32 i = 0; i < VOSFP_CNT_COUNT; i++) {
		unsigned long long values[ncpus > 0 ? ncpus : 1];

		if (bpf_map_lookup_elem(fd, &i, values)) {
			fprintf(stderr, "vosfp-agent: reading %s: %s\n", path, strerror(errno));
			close(fd);
			return -errno;
		}
		for (int c = 0; c < ncpus; c++)
			total[i] += values[c];
		handled += total[i];
	}
	close(fd);
	if (json) {
		fprintf(out, "{\"counters\": {");
		for (int i = 0; i < VOSFP_CNT_COUNT; i++)
			fprintf(out, "%s\"%s\": %llu", i ? ", " : "", vosfp_counters[i].key, total[i]);
		fprintf(out, "}, \"handled\": %llu}\n", handled);
		return 0;
	}
	for (int i = 0; i < VOSFP_CNT_COUNT; i++)
		fprintf(out, "%s: %llu\n", vosfp_counters[i].label, total[i]);
	fprintf(out, "Total UDP 5060 handled: %llu\n", handled);
	return 0;
}
