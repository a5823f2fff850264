#!/usr/bin/env bash
# sip_sim_send.sh - drive SIP traffic from the simulated peer (sip_sim_setup.sh) to the host side of
# the veth pair, where XDP runs: one datagram per message, so every counter moves by exactly COUNT.
# It only sends; it never changes the sim or the policy.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/sim_lib.sh
. "$here/sim_lib.sh"

MAX_COUNT=1000000

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] [count]
From the sim's namespace, send COUNT (default 10, at most $MAX_COUNT) of each of these UDP
datagrams to $VOSFP_SIM_HOST_IP:$SIM_SIP_PORT:
  OPTIONS     a SIP OPTIONS ping (dropped by stealth unless the source is allowlisted)
  REGISTER    a valid SIP REGISTER (passes)
  malformed   a non-SIP payload of at least 20 bytes (dropped as malformed)
  keep-alive  a CRLF keep-alive (passes)
From a blocklisted source all of them are dropped as blocked. Then: read_xdp_stats.sh.

  VOSFP_SIM_SRC   source address: one of the sim's addresses [$VOSFP_SIM_PEER_IP]
$(sim_env_help)

Exit status: 0 all sent; 1 bad count or source, sim not set up, not root, or sending failed;
2 usage error.
USAGE
}

script_args 1 "$@"
set -- "${ARGS[@]}"

count=10
[ $# -eq 0 ] || count=$1
[[ $count =~ ^[0-9]+$ ]] || die "count '$count' is not a number (1 to $MAX_COUNT)"
[[ $count =~ ^0*([0-9]{1,7})$ ]] || die "count $count is too big: at most $MAX_COUNT"
count=$((10#${BASH_REMATCH[1]}))
[ "$count" -ge 1 ] || die "count must be at least 1"
[ "$count" -le "$MAX_COUNT" ] || die "count $count is too big: at most $MAX_COUNT"

sim_check
src_n=$(sim_ip VOSFP_SIM_SRC "${VOSFP_SIM_SRC:-$VOSFP_SIM_PEER_IP}") || exit 1
src=$(int_to_ip4 "$src_n")
dst=$VOSFP_SIM_HOST_IP
require_root
[ -x "$VOSFP_SEND" ] || die "vosfp-send not found at $VOSFP_SEND: run make"

if ! sim_ns_exists || ! sim_pair_is_ours || ! is_up "$VOSFP_SIM_HOST_IF" || ! is_up "$VOSFP_SIM_PEER_IF" "$VOSFP_SIM_NS"; then
	die "the sim is not set up (namespace $VOSFP_SIM_NS, veth $VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF): run $here/sip_sim_setup.sh first"
fi
addrs=$(ip -n "$VOSFP_SIM_NS" -4 -o addr show dev "$VOSFP_SIM_PEER_IF" | awk '{ print $4 }')
grep -qxF -- "$src/$SIM_PREFIX_LEN" <<<"$addrs" ||
	die "$src is not an address of the sim (it has: $(awk -F/ '{ print $1 }' <<<"$addrs" | paste -sd ' ')): choose one of those, or raise VOSFP_SIM_ADDR_COUNT and run sip_sim_setup.sh again"
has_dst=$(ip -4 -o addr show dev "$VOSFP_SIM_HOST_IF" | awk '{ print $4 }')
grep -qxF -- "$dst/$SIM_PREFIX_LEN" <<<"$has_dst" ||
	die "$VOSFP_SIM_HOST_IF does not have $dst: run $here/sip_sim_setup.sh with the same VOSFP_SIM_* settings"

# The messages (vosfp-send understands \r \n \xHH). Each is one datagram.
hdrs="Via: SIP/2.0/UDP $src:$SIM_SIP_PORT;branch=z9hG4bK-vosfp-sim\\r\\nMax-Forwards: 70\\r\\nFrom: <sip:sim@$src>;tag=vosfp-sim\\r\\n"
OPTIONS="OPTIONS sip:$dst SIP/2.0\\r\\n${hdrs}To: <sip:$dst>\\r\\nCall-ID: options@$src\\r\\nCSeq: 1 OPTIONS\\r\\nContent-Length: 0\\r\\n\\r\\n"
REGISTER="REGISTER sip:$dst SIP/2.0\\r\\n${hdrs}To: <sip:sim@$src>\\r\\nCall-ID: register@$src\\r\\nCSeq: 1 REGISTER\\r\\nContact: <sip:sim@$src:$SIM_SIP_PORT>\\r\\nExpires: 60\\r\\nContent-Length: 0\\r\\n\\r\\n"
MALFORMED='GARBAGE \x00\x01\x02 this is not SIP at all, just bytes on port 5060'
KEEPALIVE='\r\n\r\n'

send() {	# send WHAT TEXT
	ip netns exec "$VOSFP_SIM_NS" "$VOSFP_SEND" -s "$src" "$dst" "$SIM_SIP_PORT" "$2" "$count" ||
		die "sending $1 from $src to $dst:$SIM_SIP_PORT failed"
}
send OPTIONS "$OPTIONS"
send REGISTER "$REGISTER"
send malformed "$MALFORMED"
send keep-alive "$KEEPALIVE"
echo "sent $count OPTIONS, $count REGISTER, $count malformed, $count keep-alive from $src to $dst:$SIM_SIP_PORT"
