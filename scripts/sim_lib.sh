# sim_lib.sh - what the simulation scripts (sip_sim_setup.sh, sip_sim_send.sh,
# sip_sim_teardown.sh) share: the sim's names and addresses, checked before anything is touched,
# and how to tell that a veth pair is the sim's. Sourced after lib.sh, never run. It must never
# touch an interface or namespace it cannot prove belongs to the sim.
# shellcheck shell=bash
# (No "cmd | grep -q" here: with pipefail, grep -q exiting early makes the pipeline fail.)

# The simulated peer host: namespace, veth pair (host side in the root namespace, where XDP runs),
# addresses. Every one of them can be overridden from the environment.
VOSFP_SIM_NS=${VOSFP_SIM_NS:-sip-sim}
VOSFP_SIM_HOST_IF=${VOSFP_SIM_HOST_IF:-veth-sip}
VOSFP_SIM_PEER_IF=${VOSFP_SIM_PEER_IF:-veth-sim}
VOSFP_SIM_HOST_IP=${VOSFP_SIM_HOST_IP:-198.18.0.1}
VOSFP_SIM_PEER_IP=${VOSFP_SIM_PEER_IP:-198.18.0.2}
# How many source addresses the sim holds: VOSFP_SIM_PEER_IP and the ones after it.
VOSFP_SIM_ADDR_COUNT=${VOSFP_SIM_ADDR_COUNT:-8}
SIM_PREFIX_LEN=24
# shellcheck disable=SC2034 # used by sip_sim_send.sh
SIM_SIP_PORT=5060

# The environment variables a user may set, for usage texts.
sim_env_help() {
	cat <<HELP
Environment (defaults in brackets; addresses must be in 198.18.0.0/15, RFC 2544 benchmarking):
  VOSFP_SIM_NS          network namespace of the sim [sip-sim]
  VOSFP_SIM_HOST_IF     host side of the veth pair, in this namespace; XDP runs here [veth-sip]
  VOSFP_SIM_PEER_IF     sim side of the veth pair, inside the namespace [veth-sim]
  VOSFP_SIM_HOST_IP     host address, /24 [198.18.0.1]
  VOSFP_SIM_PEER_IP     first sim address, /24, same /24 as the host [198.18.0.2]
  VOSFP_SIM_ADDR_COUNT  sim source addresses: VOSFP_SIM_PEER_IP and the next COUNT-1 [8]
HELP
}

# valid_name KIND VALUE MAXLEN: interface and namespace names we are willing to pass to ip(8).
valid_name() {
	[[ $2 =~ ^[A-Za-z0-9_.-]+$ && ${#2} -le $3 && $2 != . && $2 != .. ]] ||
		die "$1 '$2' is not a usable name (letters, digits, '_', '.', '-'; at most $3 characters)"
}

# ip4_to_int A.B.C.D: the address as an integer; fails on anything but a dotted quad.
ip4_to_int() {
	local a b c d
	[[ $1 =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
	a=$((10#${BASH_REMATCH[1]})) b=$((10#${BASH_REMATCH[2]})) c=$((10#${BASH_REMATCH[3]})) d=$((10#${BASH_REMATCH[4]}))
	[ "$a" -le 255 ] && [ "$b" -le 255 ] && [ "$c" -le 255 ] && [ "$d" -le 255 ] || return 1
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

int_to_ip4() {
	echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

# sim_ip VARNAME VALUE: VALUE as an integer if it is an IPv4 address in 198.18.0.0/15, else die.
# Only the benchmarking range is allowed: the sim must never answer for a real network.
sim_ip() {
	local n
	n=$(ip4_to_int "$2") || die "$1=$2 is not an IPv4 address (A.B.C.D)"
	[ $((n >> 17)) -eq $(((198 << 7) | (18 >> 1))) ] ||
		die "$1=$2 is outside 198.18.0.0/15: the sim uses only the benchmarking range (RFC 2544)"
	echo "$n"
}

# sim_check: every name and address of the sim is valid and consistent, or die (exit 1).
# Sets SIM_HOST_N, SIM_PEER_N (the addresses as integers) and SIM_ADDRS (the sim's addresses).
sim_check() {
	local net i
	valid_name VOSFP_SIM_NS "$VOSFP_SIM_NS" 64
	valid_name VOSFP_SIM_HOST_IF "$VOSFP_SIM_HOST_IF" 15
	valid_name VOSFP_SIM_PEER_IF "$VOSFP_SIM_PEER_IF" 15
	SIM_HOST_N=$(sim_ip VOSFP_SIM_HOST_IP "$VOSFP_SIM_HOST_IP") || exit 1
	SIM_PEER_N=$(sim_ip VOSFP_SIM_PEER_IP "$VOSFP_SIM_PEER_IP") || exit 1
	# Canonical spelling (no leading zeros), so comparisons with ip(8) output hold.
	VOSFP_SIM_HOST_IP=$(int_to_ip4 "$SIM_HOST_N")
	VOSFP_SIM_PEER_IP=$(int_to_ip4 "$SIM_PEER_N")
	[[ $VOSFP_SIM_ADDR_COUNT =~ ^[0-9]{1,3}$ && $((10#$VOSFP_SIM_ADDR_COUNT)) -ge 1 ]] ||
		die "VOSFP_SIM_ADDR_COUNT=$VOSFP_SIM_ADDR_COUNT: expected a number of addresses, 1 to 253"
	VOSFP_SIM_ADDR_COUNT=$((10#$VOSFP_SIM_ADDR_COUNT))
	net=$((SIM_HOST_N >> 8))
	[ $((SIM_PEER_N >> 8)) -eq "$net" ] ||
		die "VOSFP_SIM_HOST_IP=$VOSFP_SIM_HOST_IP and VOSFP_SIM_PEER_IP=$VOSFP_SIM_PEER_IP must share one /$SIM_PREFIX_LEN"
	(((SIM_HOST_N & 255) >= 1 && (SIM_HOST_N & 255) <= 254)) ||
		die "VOSFP_SIM_HOST_IP=$VOSFP_SIM_HOST_IP is the network or broadcast address of its /$SIM_PREFIX_LEN"
	(((SIM_PEER_N & 255) >= 1 && (SIM_PEER_N & 255) + VOSFP_SIM_ADDR_COUNT - 1 <= 254)) ||
		die "VOSFP_SIM_PEER_IP=$VOSFP_SIM_PEER_IP with VOSFP_SIM_ADDR_COUNT=$VOSFP_SIM_ADDR_COUNT does not fit in $(int_to_ip4 $((net << 8)))/$SIM_PREFIX_LEN (.1 to .254)"
	[ "$SIM_HOST_N" -lt "$SIM_PEER_N" ] || [ "$SIM_HOST_N" -ge $((SIM_PEER_N + VOSFP_SIM_ADDR_COUNT)) ] ||
		die "VOSFP_SIM_HOST_IP=$VOSFP_SIM_HOST_IP falls among the sim's addresses ($(sim_range))"
	SIM_ADDRS=()
	for ((i = 0; i < VOSFP_SIM_ADDR_COUNT; i++)); do
		SIM_ADDRS+=("$(int_to_ip4 $((SIM_PEER_N + i)))")
	done
}

# sim_range: the sim's addresses, as "first-last" (or one address).
sim_range() {
	local last
	last=$(int_to_ip4 $((SIM_PEER_N + VOSFP_SIM_ADDR_COUNT - 1)))
	if [ "$VOSFP_SIM_ADDR_COUNT" -eq 1 ]; then
		echo "$VOSFP_SIM_PEER_IP"
	else
		echo "$VOSFP_SIM_PEER_IP-$last"
	fi
}

sim_subnet() {
	echo "$(int_to_ip4 $(((SIM_HOST_N >> 8) << 8)))/$SIM_PREFIX_LEN"
}

sim_ns_exists() {
	local names
	names=$(ip netns list | awk '{ print $1 }')
	grep -qxF -- "$VOSFP_SIM_NS" <<<"$names"
}

host_if_exists() {
	ip link show dev "$VOSFP_SIM_HOST_IF" >/dev/null 2>&1
}

peer_if_exists() {
	sim_ns_exists && ip -n "$VOSFP_SIM_NS" link show dev "$VOSFP_SIM_PEER_IF" >/dev/null 2>&1
}

# sim_pair_is_ours: the host interface is a veth whose other end is VOSFP_SIM_PEER_IF inside
# VOSFP_SIM_NS. Anything else with that name is someone else's and is left alone.
sim_pair_is_ours() {
	local host peer h_idx h_peer p_idx p_peer
	host=$(ip -d -o link show dev "$VOSFP_SIM_HOST_IF" 2>/dev/null) || return 1
	peer=$(ip -n "$VOSFP_SIM_NS" -o link show dev "$VOSFP_SIM_PEER_IF" 2>/dev/null) || return 1
	[[ $host == *" veth "* && $host == *" link-netns $VOSFP_SIM_NS "* ]] || return 1
	read -r h_idx h_peer < <(sed -n 's/^\([0-9]*\): [^:@]*@if\([0-9]*\):.*/\1 \2/p' <<<"$host")
	read -r p_idx p_peer < <(sed -n 's/^\([0-9]*\): [^:@]*@if\([0-9]*\):.*/\1 \2/p' <<<"$peer")
	[ -n "$h_idx" ] && [ "$h_peer" = "$p_idx" ] && [ "$p_peer" = "$h_idx" ]
}

# is_up DEV [NS]: the interface (in NS, else here) is administratively up.
is_up() {
	local line re='<([^>]*,)?UP[,>]'
	line=$(ip ${2:+-n "$2"} -o link show dev "$1" 2>/dev/null) && [[ $line =~ $re ]]
}
