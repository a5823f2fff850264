#!/usr/bin/env bash
# allow_ip.sh - let SIP OPTIONS from one source (IPv4, IPv6 or CIDR) through stealth mode,
# persistently: the entry goes into the allowlist state file the config names, then one reconcile
# applies it. Never writes a map itself, so the agent's reconcile never undoes it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] <ip>
Allow SIP OPTIONS from <ip> (IPv4, IPv6 or CIDR: 198.51.100.7, 203.0.113.0/24,
2001:db8::/32). Adds it (canonical) to $VOSFP_ALLOW_FILE (\$VOSFP_ALLOW_FILE), which
$VOSFP_CONFIG (\$VOSFP_CONFIG) must name under allowlist.optional_files, then runs
vosfp-agent --once: it survives agent restarts, reloads and reboots. The blocklist wins:
a blocked source stays blocked (a warning says so for IPv4).
Exit status: 0 allowed or already allowed; 1 bad input, not root, or the agent refused
the change (the state file is then restored).
USAGE
}

policy_one_arg "$@"
policy_parse_entry "$POLICY_ARG"
require_root
policy_add "$POLICY_ENTRY" "$VOSFP_ALLOW_FILE" allowlist allowed
if policy_blocked_v4 "$POLICY_ENTRY"; then
	note "warning: $POLICY_ENTRY is also on the blocklist, which wins: its packets are still dropped"
fi
