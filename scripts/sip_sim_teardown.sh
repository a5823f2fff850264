#!/usr/bin/env bash
# sip_sim_teardown.sh - remove the simulated SIP peer host made by sip_sim_setup.sh: its veth pair
# (with the addresses and neighbour entries on it) and its namespace. Idempotent. It removes only
# what it can prove is the sim's: a same-named interface that is not the sim's veth is left alone.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/sim_lib.sh
. "$here/sim_lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h]
Remove the simulated SIP peer: the veth pair $VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF and the namespace
$VOSFP_SIM_NS. Nothing set up is fine (a note, exit 0). An XDP program attached to
$VOSFP_SIM_HOST_IF goes with the interface; remove it from the agent's config (or run
vosfp-agent --down) as well.

Environment: VOSFP_SIM_NS [sip-sim], VOSFP_SIM_HOST_IF [veth-sip], VOSFP_SIM_PEER_IF [veth-sim]
(the names sip_sim_setup.sh was run with).

Exit status: 0 removed (or nothing to remove); 1 failed or refused (not root, a name held by
something that is not the sim); 2 usage error.
USAGE
}

script_args 0 "$@"
set -- "${ARGS[@]}"
valid_name VOSFP_SIM_NS "$VOSFP_SIM_NS" 64
valid_name VOSFP_SIM_HOST_IF "$VOSFP_SIM_HOST_IF" 15
valid_name VOSFP_SIM_PEER_IF "$VOSFP_SIM_PEER_IF" 15
require_root

removed=()
# The veth first, and synchronously: deleting a namespace destroys its interfaces only later,
# in the background, and a setup run right after must not find the old host side still there.
if host_if_exists; then
	if sim_pair_is_ours; then
		line=$(ip -d -o link show dev "$VOSFP_SIM_HOST_IF")
		prog=$(sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' <<<"$line" | head -n 1)
		[ -z "$prog" ] ||
			echo "note: $VOSFP_SIM_HOST_IF carried XDP program id $prog; it is detached with the interface: drop $VOSFP_SIM_HOST_IF from the agent's config or run vosfp-agent --down" >&2
		ip link del "$VOSFP_SIM_HOST_IF"
		removed+=("veth pair $VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF")
	elif sim_ns_exists; then
		echo "note: $VOSFP_SIM_HOST_IF exists but is not the sim's veth (peer $VOSFP_SIM_PEER_IF in $VOSFP_SIM_NS): left alone" >&2
	fi
fi
if sim_ns_exists; then
	ip netns del "$VOSFP_SIM_NS"
	removed+=("namespace $VOSFP_SIM_NS")
fi
if [ ${#removed[@]} -eq 0 ]; then
	echo "nothing to tear down: no namespace $VOSFP_SIM_NS, no veth $VOSFP_SIM_HOST_IF of the sim" >&2
	exit 0
fi
echo "removed: $(printf '%s, ' "${removed[@]}" | sed 's/, $//')"
