#!/usr/bin/env bash
# crowdsec_fleet_test.sh - three vosfp nodes (three agents, three veth pairs with their peers in
# three namespaces, three pin paths) sharing one real CrowdSec LAPI, each a bouncer and a watcher
# with its own key and machine. A source that floods node 1 into an auto-block is published by
# node 1 as an alert (scenario vosfp/sip-flood, seen in `cscli alerts list`) and dropped by nodes
# 2 and 3 within two poll intervals, before it ever sent them a packet; node 1 does not hold its
# own decision a second time (its packets stay AUTO_BLOCKED, none DECISION_DROPPED), and nobody
# publishes it twice.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=tests/integration/crowdsec_lib.sh
. "$(dirname "$(readlink -f "$0")")/crowdsec_lib.sh"
require_root "CrowdSec fleet of three vosfp nodes"
lapi_require "CrowdSec fleet of three vosfp nodes"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-crowdsec-fleet.XXXXXX)
port=18130 interval=2
attacker=198.19.177.66 bystander=198.19.177.67
NODES=(1 2 3)
declare -A pin ns host peer agent_pid

cleanup() {
	local n
	for n in "${NODES[@]}"; do
		stop_pid "${agent_pid[$n]:-}"
		remove_agent_state "$work/node$n.yaml" "${pin[$n]}"
		ip link del "${host[$n]}" 2>/dev/null
	done
	lapi_stop
	cleanup_netns
	rm -rf "$work"
}
for n in "${NODES[@]}"; do
	pin[$n]="/sys/fs/bpf/vosfp-crowdsec-f$n-$$" ns[$n]="vosfp-crowdsec-f$n-$$"
	host[$n]="vcf$n$$h" peer[$n]="vcf$n$$p"
done
trap cleanup EXIT

lapi_setup "$work/lapi" "$port"
lapi_start || { fail "the LAPI did not start: $(tail -5 "$work/lapi/lapi.log")"; exit 1; }

# Each node: a veth whose peer namespace holds the attacker's and a bystander's address (the same
# two addresses on every node, as one attacker probing a fleet), its own key and machine.
for n in "${NODES[@]}"; do
	new_netns "${ns[$n]}" || { fail "cannot create namespace ${ns[$n]}"; exit 1; }
	ip link add "${host[$n]}" type veth peer name "${peer[$n]}" netns "${ns[$n]}" || { fail "veth $n"; exit 1; }
	ip link set "${host[$n]}" up
	ip -n "${ns[$n]}" addr add "$attacker/24" dev "${peer[$n]}"
	ip -n "${ns[$n]}" addr add "$bystander/24" dev "${peer[$n]}"
	ip -n "${ns[$n]}" link set "${peer[$n]}" up
	ip -n "${ns[$n]}" neigh add 198.19.177.1 lladdr "$(cat "/sys/class/net/${host[$n]}/address")" \
		dev "${peer[$n]}" nud permanent
	lapi_bouncer_key "vosfp-node$n-$$" "$work/node$n.key" || { fail "bouncer key $n"; exit 1; }
	lapi_machine "vosfp-node$n-$$" "$work/node$n-machine.yaml" || { fail "machine $n"; exit 1; }
	{
		config_head "${pin[$n]}" "${host[$n]}"
		cat <<CFG
rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 2}
auto_block:
  after_seconds: 0
  duration_seconds: 120
crowdsec:
  lapi_url: http://127.0.0.1:$port
  api_key_file: node$n.key
  poll_interval_seconds: $interval
  publish:
    credentials_file: node$n-machine.yaml
CFG
	} >"$work/node$n.yaml"
	"$agent" -c "$work/node$n.yaml" >"$work/node$n.log" 2>&1 &
	agent_pid[$n]=$!
done
for n in "${NODES[@]}"; do
	wait_for 15 grep -q "crowdsec: startup answer" "$work/node$n.log" ||
		{ fail "node $n: no startup answer: $(cat "$work/node$n.log")"; exit 1; }
done

C_PASSED=2 C_AUTO=6 C_DECISION=8
REG='REGISTER sip:198.19.177.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.177.66:5060\r\nContent-Length: 0\r\n\r\n'
# INVITE has no limit here: probing a node with it never makes that node block the source itself.
INV='INVITE sip:2002@198.19.177.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.177.66:5060\r\nContent-Length: 0\r\n\r\n'
send() {	# send NODE SRC COUNT [TEXT]: REGISTERs (or TEXT) from SRC to NODE
	ip netns exec "${ns[$1]}" "$udp_send" -s "$2" 198.19.177.1 5060 "${4:-$REG}" "$3"
}
counter_of() { pinned_counter "${pin[$1]}" "$2"; }

# dropped_by NODE: one datagram from the attacker to NODE is counted DECISION_DROPPED.
dropped_by() {
	local d0 p0
	d0=$(counter_of "$1" $C_DECISION) p0=$(counter_of "$1" $C_PASSED)
	send "$1" "$attacker" 1 "$INV"
	for _ in $(seq 40); do
		[ "$(counter_of "$1" $C_DECISION)" -gt "$d0" ] && return 0
		[ "$(counter_of "$1" $C_PASSED)" -gt "$p0" ] && return 1
		sleep 0.05
	done
	return 1
}

# --- the flood on node 1 ---
t0=$(now_ms)
send 1 "$attacker" 6
if wait_for 5 grep -q "$attacker: auto-blocked" "$work/node1.log"; then
	pass "node 1: the flood auto-blocks $attacker"
else
	fail "node 1: no auto-block: $(tail -5 "$work/node1.log")"
fi
limit=$((2 * interval * 1000))
for n in 2 3; do
	if wait_ms "$limit" dropped_by "$n" && [ $(($(now_ms) - t0)) -le "$limit" ]; then
		pass "node $n drops $attacker $(($(now_ms) - t0)) ms after the flood on node 1 (limit: two poll intervals, $limit ms)"
	else
		fail "node $n: $attacker not dropped within $limit ms of the flood on node 1 ($(($(now_ms) - t0)) ms)"
	fi
done
if wait_for 5 grep -q "crowdsec: published 1 auto-block" "$work/node1.log"; then
	pass "node 1 logs its publication"
else
	fail "node 1 did not log a publication"
fi

alerts=$(lapi_cscli alerts list -o raw)
if grep -q "vosfp/sip-flood" <<<"$alerts" && grep -q "$attacker" <<<"$alerts"; then
	pass "cscli alerts list shows vosfp's alert on $attacker"
else
	fail "cscli alerts list lacks vosfp's alert: $alerts"
fi
published=$(grep -c "vosfp/sip-flood" <<<"$alerts")
if [ "$published" -eq 1 ]; then
	pass "one alert for one auto-block (nodes 2 and 3 publish nothing)"
else
	fail "$published alerts for one auto-block"
fi
decisions=$(lapi_cscli decisions list -o raw)
if grep -q "$attacker" <<<"$decisions" && grep -q "vosfp/sip-flood" <<<"$decisions"; then
	pass "the LAPI holds a ban on $attacker under vosfp/sip-flood"
else
	fail "no vosfp decision at the LAPI: $decisions"
fi

# --- exact counts: node 1 keeps dropping it as its own auto-block, 2 and 3 as a decision ---
if wait_for 5 grep -q "1 own auto-block echoed: 0 decisions in force" "$work/node1.log"; then
	pass "node 1: its own decision came back and is not held twice"
else
	fail "node 1: no echo noted: $(grep crowdsec "$work/node1.log" | tail -3)"
fi
for n in "${NODES[@]}"; do
	a0=$(counter_of "$n" $C_AUTO) d0=$(counter_of "$n" $C_DECISION) p0=$(counter_of "$n" $C_PASSED)
	send "$n" "$attacker" 5 "$INV"
	send "$n" "$bystander" 2 "$INV"
	for _ in $(seq 60); do
		[ $(($(counter_of "$n" $C_AUTO) - a0 + $(counter_of "$n" $C_DECISION) - d0 + $(counter_of "$n" $C_PASSED) - p0)) -ge 7 ] && break
		sleep 0.05
	done
	da=$(($(counter_of "$n" $C_AUTO) - a0)) dd=$(($(counter_of "$n" $C_DECISION) - d0)) dp=$(($(counter_of "$n" $C_PASSED) - p0))
	if [ "$n" -eq 1 ]; then want="5 0 2"; else want="0 5 2"; fi
	if [ "$da $dd $dp" = "$want" ]; then
		pass "node $n: attacker x5, bystander x2 -> AUTO_BLOCKED/DECISION_DROPPED/PASSED +$da/+$dd/+$dp"
	else
		fail "node $n: AUTO_BLOCKED/DECISION_DROPPED/PASSED +$da/+$dd/+$dp (expected +${want// /\/+})"
	fi
done
for n in 2 3; do
	if grep -q "crowdsec: published" "$work/node$n.log"; then fail "node $n published something"; else pass "node $n published nothing"; fi
	got=$("$agent" --stats --json -c "$work/node$n.yaml" 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)["decisions"]["by_origin"]["vosfp"]
print(d["ip"], d["dropped"]["packets"])')
	if [ "$got" = "1 $(counter_of "$n" $C_DECISION)" ]; then
		pass "node $n --stats: 1 decision of origin vosfp, every DECISION_DROPPED counted under it"
	else
		fail "node $n --stats: vosfp ip / dropped = $got, DECISION_DROPPED $(counter_of "$n" $C_DECISION)"
	fi
done
for n in "${NODES[@]}"; do
	kill -0 "${agent_pid[$n]}" 2>/dev/null || fail "node $n's agent died"
done
exit $test_status
