#!/usr/bin/env bash
# block_ip.sh - block one source (IPv4, IPv6 or CIDR) on every inspected port, persistently: the
# entry goes into the blocklist state file the config names, then one reconcile applies it.
# Never writes a map itself, so the agent's reconcile never undoes it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] <ip>
Block <ip> (IPv4, IPv6 or CIDR: 198.51.100.7, 203.0.113.0/24, 2001:db8::/32) on every
inspected port. Adds it (canonical) to $VOSFP_BLOCK_FILE (\$VOSFP_BLOCK_FILE), which
$VOSFP_CONFIG (\$VOSFP_CONFIG) must name under blocklist.optional_files, then runs
vosfp-agent --once: the block survives agent restarts, reloads and reboots.
Exit status: 0 blocked or already blocked; 1 bad input, not root, or the agent refused
the change (the state file is then restored).
USAGE
}

policy_one_arg "$@"
policy_parse_entry "$POLICY_ARG"
require_root
policy_add "$POLICY_ENTRY" "$VOSFP_BLOCK_FILE" blocklist blocked
