/* pins.c - the pin layout, in one place. */
#include <stdio.h>

#include "pins.h"

const char *const pins_block_maps[VOSFP_LIST_MAPS] = {
	[VOSFP_LIST_EXACT4] = "blocked_ips",
	[VOSFP_LIST_EXACT6] = "blocked_ips6",
	[VOSFP_LIST_NETS4] = "blocked_nets",
	[VOSFP_LIST_NETS6] = "blocked_nets6",
};

const char *const pins_allow_maps[VOSFP_LIST_MAPS] = {
	[VOSFP_LIST_EXACT4] = "allowed_ips",
	[VOSFP_LIST_EXACT6] = "allowed_ips6",
	[VOSFP_LIST_NETS4] = "allowed_nets",
	[VOSFP_LIST_NETS6] = "allowed_nets6",
};

const char *const pins_summary_maps[2] = { "blocked_v4_sum", "allowed_v4_sum" };

void pins_map_path(const char *pin_path, const char *map, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", pin_path, map);
}

void pins_links_dir(const char *pin_path, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links", pin_path);
}

void pins_link_path(const char *pin_path, const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%s", pin_path, ifname);
}
