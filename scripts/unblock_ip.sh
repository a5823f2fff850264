#!/usr/bin/env bash
# unblock_ip.sh - remove one source (IPv4, IPv6 or CIDR) from the blocklist state file the config
# names, then apply with one reconcile. Only that file: entries the config lists elsewhere stay,
# and for IPv4 a warning says when the source is still blocked.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] <ip>
Unblock <ip> (IPv4, IPv6 or CIDR, as it was blocked: 198.51.100.7, 203.0.113.0/24,
2001:db8::/32). Removes it from $VOSFP_BLOCK_FILE (\$VOSFP_BLOCK_FILE), which
$VOSFP_CONFIG (\$VOSFP_CONFIG) names under blocklist.optional_files, then runs
vosfp-agent --once. Entries in the config itself or in other list files are not touched;
if an IPv4 source is still blocked afterwards (by one of those, or by a CIDR covering it),
a warning says so.
Exit status: 0 unblocked or not in the state file; 1 bad input, not root, or the agent
refused the change (the state file is then restored).
USAGE
}

policy_one_arg "$@"
policy_parse_entry "$POLICY_ARG"
require_root
policy_remove "$POLICY_ENTRY" "$VOSFP_BLOCK_FILE" blocklist unblocked
if policy_blocked_v4 "$POLICY_ENTRY"; then
	note "warning: $POLICY_ENTRY is still blocked: the config lists it (or a prefix covering it) inline or in another list file"
fi
