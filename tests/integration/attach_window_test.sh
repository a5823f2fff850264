#!/usr/bin/env bash
# attach_window_test.sh - no blocked packet gets through while the agent changes an interface's
# XDP mode or rolls a transaction back: a blocklisted source streams UDP to a real socket on the
# host behind the interface during every mode-change and rollback case (native -> generic,
# generic -> native, a mode change with a second interface that refuses every mode, a mode
# change undone because another one is refused), repeated; 0 datagrams may reach the socket
# and the BLOCKED counters (total and the interface's) must grow by exactly what was sent.
# The agent runs inside the test's namespace (nsenter keeps /sys/fs/bpf), so its interfaces
# are the test's own; everything is removed however the test exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "attach window"

agent="$VOSFP_ROOT/build/vosfp-agent"
send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-harden-attach-win.XXXXXX)
pin="/sys/fs/bpf/vosfp-harden-attach-win-$$"
rx="vosfp-ha-rx-$$" tx="vosfp-ha-tx-$$"
# In $rx: hafi (filtered, its peer hafp in $tx), habig (MTU 9000: native refused), hasl (a port of the
# bridge habr, which carries an XDP program: every mode refused).
ROUNDS=${VOSFP_WINDOW_ROUNDS:-5}
# The stream starts before each agent run and stops once it has exited (bounded to 120 s at
# most): whatever a reconcile takes on a loaded machine, its windows fall inside the stream.
PPS=20000 STREAM_MAX=$((20000 * 120))
receiver_pid="" sender_pid=""

cleanup() {
	local pid
	for pid in "$sender_pid" "$receiver_pid"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	[ -e "$work/base.yaml" ] && nsenter --net="/run/netns/$rx" true 2>/dev/null &&
		nsenter --net="/run/netns/$rx" "$agent" --down -c "$work/base.yaml" >/dev/null 2>&1
	remove_agent_state "$work/base.yaml" "$pin"
	cleanup_netns
	[ -n "${VOSFP_KEEP_LOG:-}" ] && cp "$work/agent.log" /tmp/vosfp-harden-attach-win.log
	rm -rf "$work"
}
trap cleanup EXIT

new_netns "$rx" && new_netns "$tx" || { fail "cannot create namespaces"; exit 1; }
ip -n "$rx" link add hafi type veth peer name hafp netns "$tx" &&
	ip -n "$rx" link add habig mtu 9000 type veth peer name habigp mtu 9000 &&
	ip -n "$rx" link add habr type bridge &&
	ip -n "$rx" link add hasl type veth peer name haslp &&
	ip -n "$rx" link set hasl master habr || { fail "cannot create the test's interfaces"; exit 1; }
for dev in hafi habig habigp habr hasl haslp; do ip -n "$rx" link set "$dev" up; done
ip -n "$rx" addr add 198.19.164.1/24 dev hafi
ip -n "$tx" addr add 198.19.164.2/24 dev hafp
# No IPv6 on the sender's side: its transmit counter is then the test's datagrams alone.
ip netns exec "$tx" sysctl -qw net.ipv6.conf.hafp.disable_ipv6=1
ip -n "$tx" link set hafp up
ip -n "$tx" neigh add 198.19.164.1 lladdr "$(ip -n "$rx" -br link show hafi | awk '{ print $3 }')" dev hafp nud permanent
ip -n "$rx" link set dev habr xdpgeneric obj "$VOSFP_ROOT/build/sip_logic.bpf.o" sec xdp ||
	{ fail "cannot put an XDP program on the bridge"; exit 1; }

# config NAME FI_MODES BIG_MODES [hasl]: hafi and habig with these mode lists (and hasl when asked);
# the blocklist is the same in every config, so only attachments change.
config() {
	{
		printf 'version: 1\npin_path: %s\nbpf_object: %s/build/sip_logic.bpf.o\ninterfaces:\n' \
			"$pin" "$VOSFP_ROOT"
		printf '  - name: hafi\n    xdp_mode: [%s]\n  - name: habig\n    xdp_mode: [%s]\n' "$2" "$3"
		[ -z "${4:-}" ] || printf '  - name: hasl\n    xdp_mode: [native, generic]\n'
		printf 'blocklist:\n  addresses: [198.19.164.2]\n'
	} >"$work/$1.yaml"
}
config base native generic
config to-generic generic generic
config to-generic-hasl-refused generic generic hasl
config to-generic-habig-refused generic native

run_agent() { nsenter --net="/run/netns/$rx" "$agent" "$@"; }
xdp_mode() { ip -n "$rx" -o link show dev "$1" 2>/dev/null | sed -n 's/.* mtu [0-9]* \(xdp[a-z]*\) .*/\1/p'; }
received() { cat "$work/received"; }
# udp_reached: datagrams the UDP layer of the host behind hafi took in (delivered, refused for a
# full socket buffer, or to no socket): the kernel's count, whether the reader kept up or not.
# shellcheck disable=SC2016 # awk fields, not shell expansions
udp_reached() { ip netns exec "$rx" awk '/^Udp: [0-9]/ { print $2 + $3 + $4 }' /proc/net/snmp; }
blocked() { pinned_counter "$pin" 3; }
# iface_blocked: BLOCKED in hafi's own slot (vosfp-agent --stats --json).
iface_blocked() {
	run_agent --stats --json -c "$work/base.yaml" 2>/dev/null | python3 -c '
import json, sys
for i in json.load(sys.stdin).get("interfaces", []):
    if i["name"] == "hafi":
        print(i["packets"]["blocked"])'
}
counted() { [ "$(blocked)" -ge "$1" ]; }
sent_total() { ip netns exec "$tx" cat /sys/class/net/hafp/statistics/tx_packets; }

# A real socket on the host behind hafi: it counts every datagram that reaches it.
echo 0 >"$work/received"
ip netns exec "$rx" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.19.164.1", 5060))
open(sys.argv[1] + ".ready", "w").close()
n = 0
while True:
    s.recv(65536)
    n += 1
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % n)
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])' "$work/received" &
receiver_pid=$!
wait_for 5 test -e "$work/received.ready" || { fail "the receiver did not start"; exit 1; }

if ! run_agent --once -c "$work/base.yaml" 2>"$work/agent.log"; then
	fail "base config not applied: $(cat "$work/agent.log")"
	exit 1
fi
[ "$(xdp_mode hafi)" = xdp ] && [ "$(xdp_mode habig)" = xdpgeneric ] && pass "base: hafi native, habig generic" ||
	fail "base: hafi '$(xdp_mode hafi)', habig '$(xdp_mode habig)'"
# The stream reaches the socket when nothing filters (a leak would be seen): one datagram from
# an address that is not blocklisted.
ip -n "$tx" addr add 198.19.164.3/24 dev hafp
ip netns exec "$tx" "$send" -s 198.19.164.3 198.19.164.1 5060 'KEEPALIVE' 1
wait_for 5 test "$(received)" -eq 1 && pass "the socket behind hafi receives what vosfp passes" ||
	fail "the socket got $(received) datagrams, expected 1"

leaks=0 miscounts=0 wrong=0 streamed=0
# step CASE CONFIG EXPECT_RC FI_MODE: one transaction while the blocklisted source streams.
step() {
	local name=$1 before ibefore rbefore ubefore sbefore rc after iafter got reached sent
	rbefore=$(received)
	ubefore=$(udp_reached)
	before=$(blocked)
	ibefore=$(iface_blocked)
	sbefore=$(sent_total)
	ip netns exec "$tx" "$send" -s 198.19.164.2 -r "$PPS" 198.19.164.1 5060 'INVITE sip:x SIP/2.0\r\n\r\n' "$STREAM_MAX" &
	sender_pid=$!
	wait_for 5 counted $((before + 1))	# the stream is flowing
	run_agent --once -c "$work/$2.yaml" >>"$work/agent.log" 2>&1
	rc=$?
	kill "$sender_pid"
	wait "$sender_pid"
	sender_pid=""
	sent=$(($(sent_total) - sbefore))
	wait_for 5 counted $((before + sent))
	after=$(blocked)
	iafter=$(iface_blocked)
	got=$(($(received) - rbefore))
	reached=$(($(udp_reached) - ubefore))
	streamed=$((streamed + sent))
	if [ "$rc" -ne "$3" ] || [ "$(xdp_mode hafi)" != "$4" ]; then
		wrong=$((wrong + 1))
		echo "  $name: exit $rc (expected $3), hafi '$(xdp_mode hafi)' (expected $4)"
	fi
	if [ "$reached" -ne 0 ] || [ "$got" -ne 0 ]; then
		leaks=$((leaks + reached))
		echo "  $name: $reached datagrams reached the host's UDP layer (the socket read $got)"
	fi
	if [ $((after - before)) -ne "$sent" ] || [ $((iafter - ibefore)) -ne "$sent" ]; then
		miscounts=$((miscounts + 1))
		echo "  $name: BLOCKED +$((after - before)) (hafi's slot +$((iafter - ibefore))), sent $sent"
	fi
}

for round in $(seq 1 "$ROUNDS"); do
	step "round $round, mode change + hasl refusing every mode" to-generic-hasl-refused 1 xdp
	step "round $round, native -> generic undone (habig refuses native)" to-generic-habig-refused 1 xdp
	step "round $round, native -> generic" to-generic 0 xdpgeneric
	step "round $round, generic -> native" base 0 xdp
done
cases=$((ROUNDS * 4))
[ "$wrong" -eq 0 ] && pass "$cases transactions: each ended as expected (exit status, hafi's mode)" ||
	fail "$wrong of $cases transactions ended otherwise"
[ "$leaks" -eq 0 ] && pass "$cases transactions under a $PPS/s blocked stream ($streamed datagrams): 0 reached the host's UDP layer or socket" ||
	fail "$leaks blocked datagrams reached the host behind hafi"
[ "$miscounts" -eq 0 ] && pass "BLOCKED grew by exactly what each stream sent (total and hafi's slot)" ||
	fail "$miscounts of $cases transactions counted otherwise"
grep -q "rolled back, previous state kept" "$work/agent.log" && pass "refused transactions say they rolled back" ||
	fail "no rollback message: $(tail -n 5 "$work/agent.log")"

exit "$test_status"
