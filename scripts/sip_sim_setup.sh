#!/usr/bin/env bash
# sip_sim_setup.sh - create the simulated SIP peer host (SPEC §7): a network namespace joined to
# this host by a veth pair whose host side is where XDP runs. Idempotent. It never touches an
# interface or namespace it did not create, and it never attaches anything (that is the agent's job).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/sim_lib.sh
. "$here/sim_lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h]
Set up the simulated SIP peer: namespace $VOSFP_SIM_NS, veth pair $VOSFP_SIM_HOST_IF (this host,
where XDP runs) / $VOSFP_SIM_PEER_IF (in the namespace), $VOSFP_SIM_HOST_IP/$SIM_PREFIX_LEN on the host side,
the sim's source addresses from $VOSFP_SIM_PEER_IP on the other, static neighbour entries on both
sides (no ARP crosses the pair) and IPv6 off on both ends (no ND either): every frame the XDP
program sees on $VOSFP_SIM_HOST_IF is one a script sent. Running it again verifies the setup and
completes whatever is missing.

Then: sip_sim_send.sh [count], read_xdp_stats.sh, sip_sim_teardown.sh.

$(sim_env_help)

Exit status: 0 set up (or already set up, verified); 1 refused or failed (address outside
198.18.0.0/15, a name or address already used by something else, not root); 2 usage error.
USAGE
}

script_args 0 "$@"
set -- "${ARGS[@]}"

sim_check
require_root

# --- refuse conflicts before changing anything ------------------------------------------------
if host_if_exists && ! sim_pair_is_ours; then
	die "$VOSFP_SIM_HOST_IF exists and is not the sim's veth (peer $VOSFP_SIM_PEER_IF in namespace $VOSFP_SIM_NS): refusing to touch it; choose another name with VOSFP_SIM_HOST_IF"
fi
if ! host_if_exists && peer_if_exists; then
	die "namespace $VOSFP_SIM_NS already has $VOSFP_SIM_PEER_IF but $VOSFP_SIM_HOST_IF is missing: a half-removed sim? run sip_sim_teardown.sh, then this again"
fi
# (Output captured before it is filtered: no early-exiting reader in a pipeline under pipefail.)
found=$(ip -4 -o addr show to "$VOSFP_SIM_HOST_IP/32")
other=$(awk -v me="$VOSFP_SIM_HOST_IF" '$2 != me { print $2; exit }' <<<"$found")
[ -z "$other" ] || die "$VOSFP_SIM_HOST_IP is already an address of $other: choose another VOSFP_SIM_HOST_IP"
found=$(ip -4 -o route show exact "$(sim_subnet)")
other=$(awk -v me="$VOSFP_SIM_HOST_IF" '{ for (i = 1; i < NF; i++) if ($i == "dev" && $(i + 1) != me) { print $(i + 1); exit } }' <<<"$found")
[ -z "$other" ] || die "$(sim_subnet) is already routed via $other: choose another subnet with VOSFP_SIM_HOST_IP/VOSFP_SIM_PEER_IP"

# --- what a complete sim looks like -------------------------------------------------------------
has_addr() {	# has_addr DEV ADDR [NS]
	local out
	out=$(ip ${3:+-n "$3"} -4 -o addr show dev "$1" 2>/dev/null) && [[ $out == *" inet $2/$SIM_PREFIX_LEN "* ]]
}
has_neigh() {	# has_neigh DEV ADDR MAC [NS]: a permanent entry with that MAC
	local out
	out=$(ip ${4:+-n "$4"} neigh show "$2" dev "$1" 2>/dev/null) && [[ $out == *"lladdr $3 "*PERMANENT* ]]
}
mac_of() {	# mac_of DEV [NS]
	ip ${2:+-n "$2"} -o link show dev "$1" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}
ipv6_off() {	# ipv6_off DEV [NS] (true where the kernel has no IPv6)
	local f=/proc/sys/net/ipv6/conf/$1/disable_ipv6
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" sh -c "[ ! -e '$f' ] || [ \"\$(cat '$f')\" = 1 ]"
	else
		[ ! -e "$f" ] || [ "$(cat "$f")" = 1 ]
	fi
}

# verify: print each thing missing from a complete sim; true when nothing is.
verify() {
	local missing=() hmac pmac a
	sim_ns_exists || missing+=("namespace $VOSFP_SIM_NS")
	if ! sim_pair_is_ours; then
		missing+=("veth pair $VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF")
	else
		hmac=$(mac_of "$VOSFP_SIM_HOST_IF") pmac=$(mac_of "$VOSFP_SIM_PEER_IF" "$VOSFP_SIM_NS")
		is_up "$VOSFP_SIM_HOST_IF" || missing+=("$VOSFP_SIM_HOST_IF up")
		is_up "$VOSFP_SIM_PEER_IF" "$VOSFP_SIM_NS" || missing+=("$VOSFP_SIM_PEER_IF up")
		is_up lo "$VOSFP_SIM_NS" || missing+=("lo up in $VOSFP_SIM_NS")
		ipv6_off "$VOSFP_SIM_HOST_IF" || missing+=("IPv6 off on $VOSFP_SIM_HOST_IF")
		ipv6_off "$VOSFP_SIM_PEER_IF" "$VOSFP_SIM_NS" || missing+=("IPv6 off on $VOSFP_SIM_PEER_IF")
		has_addr "$VOSFP_SIM_HOST_IF" "$VOSFP_SIM_HOST_IP" || missing+=("$VOSFP_SIM_HOST_IP on $VOSFP_SIM_HOST_IF")
		has_neigh "$VOSFP_SIM_PEER_IF" "$VOSFP_SIM_HOST_IP" "$hmac" "$VOSFP_SIM_NS" ||
			missing+=("neighbour $VOSFP_SIM_HOST_IP in $VOSFP_SIM_NS")
		for a in "${SIM_ADDRS[@]}"; do
			has_addr "$VOSFP_SIM_PEER_IF" "$a" "$VOSFP_SIM_NS" || missing+=("$a on $VOSFP_SIM_PEER_IF")
			has_neigh "$VOSFP_SIM_HOST_IF" "$a" "$pmac" || missing+=("neighbour $a on $VOSFP_SIM_HOST_IF")
		done
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	printf '%s\n' "${missing[@]}"
	return 1
}

summary() {
	echo "$1: namespace $VOSFP_SIM_NS; $VOSFP_SIM_HOST_IF $VOSFP_SIM_HOST_IP/$SIM_PREFIX_LEN (host, XDP here) <-> $VOSFP_SIM_PEER_IF $(sim_range) (sim)"
}

if verify >/dev/null; then
	summary "already set up, verified"
	exit 0
fi

# --- build what is missing; on failure undo what this run created ---------------------------------
created_ns=0 created_veth=0
undo() {
	local rc=$?
	[ "$rc" -eq 0 ] && return
	[ "$created_veth" -eq 0 ] || ip link del "$VOSFP_SIM_HOST_IF" 2>/dev/null || true
	[ "$created_ns" -eq 0 ] || ip netns del "$VOSFP_SIM_NS" 2>/dev/null || true
	echo "$(basename "$0"): setup failed; undid what this run created" >&2
}
trap undo EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! sim_ns_exists; then
	ip netns add "$VOSFP_SIM_NS"
	created_ns=1
fi
if ! host_if_exists; then
	ip link add "$VOSFP_SIM_HOST_IF" type veth peer name "$VOSFP_SIM_PEER_IF" netns "$VOSFP_SIM_NS"
	created_veth=1
fi
sim_pair_is_ours || die "$VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF is not a veth pair into $VOSFP_SIM_NS"

# IPv6 off before the links come up, so no duplicate address detection, router or multicast
# listener messages cross the pair.
f="/proc/sys/net/ipv6/conf/$VOSFP_SIM_HOST_IF/disable_ipv6"
[ ! -e "$f" ] || echo 1 >"$f"
f="/proc/sys/net/ipv6/conf/$VOSFP_SIM_PEER_IF/disable_ipv6"
ip netns exec "$VOSFP_SIM_NS" sh -c "[ ! -e '$f' ] || echo 1 >'$f'"

ip addr replace "$VOSFP_SIM_HOST_IP/$SIM_PREFIX_LEN" dev "$VOSFP_SIM_HOST_IF"
for a in "${SIM_ADDRS[@]}"; do
	ip -n "$VOSFP_SIM_NS" addr replace "$a/$SIM_PREFIX_LEN" dev "$VOSFP_SIM_PEER_IF"
done
ip -n "$VOSFP_SIM_NS" link set lo up
ip link set "$VOSFP_SIM_HOST_IF" up
ip -n "$VOSFP_SIM_NS" link set "$VOSFP_SIM_PEER_IF" up

# Static neighbours both ways: the host's replies (e.g. ICMP port unreachable) and the sim's SIP
# need no ARP, so the only frames on the pair are the ones we send and their answers.
hmac=$(mac_of "$VOSFP_SIM_HOST_IF")
pmac=$(mac_of "$VOSFP_SIM_PEER_IF" "$VOSFP_SIM_NS")
ip -n "$VOSFP_SIM_NS" neigh replace "$VOSFP_SIM_HOST_IP" lladdr "$hmac" dev "$VOSFP_SIM_PEER_IF" nud permanent
for a in "${SIM_ADDRS[@]}"; do
	ip neigh replace "$a" lladdr "$pmac" dev "$VOSFP_SIM_HOST_IF" nud permanent
done

if ! left=$(verify); then
	die "setup incomplete, still missing: $(tr '\n' ';' <<<"$left" | sed 's/;$//; s/;/; /g')"
fi
trap - EXIT INT TERM
summary "set up"
echo "next: $(dirname "$0")/sip_sim_send.sh [count]; attach XDP to $VOSFP_SIM_HOST_IF with vosfp-agent first" >&2
