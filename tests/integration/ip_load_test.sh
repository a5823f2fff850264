#!/usr/bin/env bash
# ip_load_test.sh - the object attached by plain ip(8), with no loader and no config at all,
# behaves as the seed says (UDP 5060 inspected, stealth on, malformed checks on, empty lists),
# on real frames crossing a veth pair between two namespaces.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "ip(8)-loaded object on a veth"

obj="$VOSFP_ROOT/build/sip_logic.bpf.o"
host="vosfp-ipl-h-$$" peer="vosfp-ipl-p-$$"
new_netns "$host" && new_netns "$peer" || { fail "cannot create namespaces"; exit 1; }
ip link add vipl-h type veth peer name vipl-p || { fail "cannot create veth"; exit 1; }
ip link set vipl-h netns "$host"
ip link set vipl-p netns "$peer"
ip -n "$host" addr add 198.18.0.1/24 dev vipl-h
ip -n "$host" addr add 2001:db8:18::1/64 dev vipl-h nodad
ip -n "$peer" addr add 198.18.0.2/24 dev vipl-p
ip -n "$peer" addr add 2001:db8:18::2/64 dev vipl-p nodad
ip -n "$host" link set vipl-h up
ip -n "$peer" link set vipl-p up
# Static neighbours: no ARP/ND on the wire, so every frame is one we sent.
hmac=$(ip -n "$host" -br link show dev vipl-h | awk '{print $3}')
ip -n "$peer" neigh add 198.18.0.1 lladdr "$hmac" dev vipl-p nud permanent
ip -n "$peer" neigh add 2001:db8:18::1 lladdr "$hmac" dev vipl-p nud permanent

if ! err=$(ip -n "$host" link set dev vipl-h xdp obj "$obj" sec xdp 2>&1); then
	fail "ip link set xdp obj: $err"
	exit 1
fi
prog=$(xdp_prog_id "$host" vipl-h)
counters=$(prog_map_id "$prog" xdp_counters)
[ -n "$counters" ] || { fail "no xdp_counters map on program $prog"; exit 1; }

udp_send="$VOSFP_ROOT/build/vosfp-send"
# send ADDRESS PORT TEXT [COUNT]: UDP datagrams from the peer namespace, one sendto() each.
send() {
	ip netns exec "$peer" "$udp_send" "$@" || fail "udp_send $*"
}

register='REGISTER sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2:5060\r\nContent-Length: 0\r\n\r\n'
options='OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2:5060\r\nContent-Length: 0\r\n\r\n'
garbage='GET / HTTP/1.1\r\nHost: 198.18.0.1\r\n\r\n'
send 198.18.0.1 5060 "$options" 3
send 2001:db8:18::1 5060 "$options" 2
send 198.18.0.1 5060 "$register" 4
send 2001:db8:18::1 5060 "$register"
send 198.18.0.1 5060 "$garbage" 2
send 198.18.0.1 5060 '\r\n\r\n'
send 198.18.0.1 5080 "$garbage"
send 198.18.0.1 5080 "$options"

counter_is() { [ "$(counter "$counters" "$1")" = "$2" ]; }
expect() {
	local got
	# The verdicts of a veth's frames land in NAPI, maybe a moment after the sender returns.
	wait_for 20 counter_is "$2" "$3"
	got=$(counter "$counters" "$2")
	if [ "$got" = "$3" ]; then
		pass "ip-loaded object: $1 = $3"
	else
		fail "ip-loaded object: $1 = $got, expected $3"
	fi
}
expect "OPTIONS_DROPPED (v4 and v6 OPTIONS from unknown sources)" 0 5
expect "PASSED (REGISTER v4+v6 and a CRLF keep-alive)" 2 6
expect "MALFORMED (non-SIP to 5060)" 4 2
expect "BLOCKED (empty blocklist)" 3 0
expect "REDIRECTED (no AF_XDP socket)" 1 0

ip -n "$host" link set dev vipl-h xdp off
[ -z "$(xdp_prog_id "$host" vipl-h)" ] && pass "ip link set xdp off detaches" || fail "program still attached"
exit $test_status
