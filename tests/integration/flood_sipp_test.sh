#!/usr/bin/env bash
# flood_sipp_test.sh - the issue's promise on real peers: sipp from source A floods REGISTER far
# above its per-source limit while sipp from source B registers at a normal rate against Kamailio
# (Debian's) behind the XDP filter, and B sees no failure at all. A veth pair: host side in the
# root namespace (XDP and vosfp-agent there, Kamailio on 198.18.60.1), peer in a namespace this
# test creates holding A (198.18.60.2) and B (198.18.60.3).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "sipp REGISTER flood against Kamailio behind vosfp"
for tool in sipp kamailio; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 0; }
done

agent="$VOSFP_ROOT/build/vosfp-agent"
work=$(mktemp -d /tmp/vosfp-flood-sipp.XXXXXX)
pin=/sys/fs/bpf/vosfp-flood-test
ns="vosfp-flood-$$" host="vfl$$h" peer="vfl$$p"
host_ip=198.18.60.1 src_a=198.18.60.2 src_b=198.18.60.3
RATE=20 BURST=20		# REGISTER limit per source
A_CALLS=1000 A_RATE=500		# 2 s of flood
B_CALLS=10 B_RATE=5		# a phone's pace, 2 s
kam_pid="" a_pid=""

cleanup() {
	[ -n "$a_pid" ] && kill "$a_pid" 2>/dev/null
	if [ -n "$kam_pid" ]; then
		kill "$kam_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$kam_pid" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$kam_pid" 2>/dev/null
	fi
	wait 2>/dev/null
	remove_agent_state "$work/vosfp.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

if [ -e "$pin" ]; then
	fail "$pin exists (another run of this test?): not touching it"
	trap - EXIT
	rm -rf "$work"
	exit 1
fi
new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip addr add "$host_ip/24" dev "$host"
ip link set "$host" up
ip -n "$ns" addr add "$src_a/24" dev "$peer"
ip -n "$ns" addr add "$src_b/24" dev "$peer"
ip -n "$ns" link set "$peer" up
# No ARP exchange to wait for on either side (and none racing the first sipp datagrams).
ip -n "$ns" neigh add "$host_ip" lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent
peer_mac=$(ip -n "$ns" -o link show dev "$peer" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
ip neigh add "$src_a" lladdr "$peer_mac" dev "$host" nud permanent
ip neigh add "$src_b" lladdr "$peer_mac" dev "$host" nud permanent

{
	config_head "$pin" "$host"
	cat <<CFG
rate_limit:
  rate: 0
  per_method:
    register: {rate: $RATE, burst: $BURST}
CFG
} >"$work/vosfp.yaml"
if ! out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1); then
	fail "vosfp-agent --once: $out"
	exit 1
fi
pass "vosfp-agent: XDP on $host, REGISTER limited to $RATE/s burst $BURST per source"

# Kamailio as the demo runs it (demo/kamailio.cfg: one log line per request it receives), on the
# host address only; it drops root to its own user once bound.
# shellcheck source=scripts/kamailio_lib.sh
. "$VOSFP_ROOT/scripts/kamailio_lib.sh"
kamailio_args "$work" "$VOSFP_ROOT/demo/kamailio.cfg" "udp:$host_ip:5060" || { fail "cannot create $work/kamailio"; exit 1; }
kamailio "${KAM_ARGS[@]}" -DD -E >"$work/kamailio.log" 2>&1 &
kam_pid=$!
kam_up() { grep -q "$host_ip:5060" <<<"$(ss -H -ulnp 2>/dev/null)"; }
if ! wait_for 10 kam_up || ! kill -0 "$kam_pid" 2>/dev/null; then
	fail "Kamailio did not start listening on $host_ip:5060: $(tail -5 "$work/kamailio.log")"
	exit 1
fi
pass "Kamailio (pid $kam_pid) listening on udp $host_ip:5060"

C_PASSED=2 C_RATE=5
passed0=$(pinned_counter "$pin" $C_PASSED) limited0=$(pinned_counter "$pin" $C_RATE)

# sipp_start NAME SRC CALLS RATE: one REGISTER datagram per call (-nr: no retransmission, -nd: no
# BYE on failure), unanswered calls fail after 1 s; bounded by timeout(1) whatever happens.
sipp_start() {
	(cd "$work" && exec timeout -k 2 30 ip netns exec "$ns" sipp "$host_ip:5060" \
		-sf "$VOSFP_ROOT/demo/register.xml" -i "$2" -p 5060 -m "$3" -r "$4" -nr -nd \
		-recv_timeout 1000 -timeout 20 -nostdin -trace_stat -stf "$work/$1.csv" \
		>"$work/$1.out" 2>&1)
}
# sipp_stat NAME COLUMN: a cumulative column of sipp's last statistics line.
sipp_stat() {
	local hdr last
	hdr=$(head -n 1 "$work/$1.csv") last=$(tail -n 1 "$work/$1.csv")
	awk -F';' -v h="$hdr" -v c="$2" '{ n = split(h, name, ";")
		for (i = 1; i <= n; i++) if (name[i] == c) { print $i + 0; exit } print -1 }' <<<"$last"
}

t0=$(date +%s%N)
sipp_start flood "$src_a" "$A_CALLS" "$A_RATE" &
a_pid=$!
sipp_start phone "$src_b" "$B_CALLS" "$B_RATE"
b_rc=$?
wait "$a_pid"
a_rc=$? a_pid=""
# The flood's calls were all started within this long (it ends 1 s, recv_timeout, after).
a_secs=$(( ($(date +%s%N) - t0 + 999999999) / 1000000000 ))

if [ ! -s "$work/phone.csv" ] || [ ! -s "$work/flood.csv" ]; then
	fail "sipp did not run: $(tail -3 "$work/phone.out" "$work/flood.out")"
	exit 1
fi
b_ok=$(sipp_stat phone "SuccessfulCall(C)") b_failed=$(sipp_stat phone "FailedCall(C)")
b_sent=$(sipp_stat phone "TotalCallCreated")
a_sent=$(sipp_stat flood "TotalCallCreated") a_ok=$(sipp_stat flood "SuccessfulCall(C)")
if [ "$b_rc" -eq 0 ] && [ "$b_ok" -eq "$B_CALLS" ] && [ "$b_failed" -eq 0 ] && [ "$b_sent" -eq "$B_CALLS" ]; then
	pass "B ($src_b, $B_RATE/s): $b_ok of $B_CALLS REGISTERs answered 200 OK during the flood, 0 failed, sipp exit 0"
else
	fail "B: $b_ok of $B_CALLS answered, $b_failed failed, sipp exit $b_rc: $(tail -5 "$work/phone.out")"
fi
if [ "$a_sent" -eq "$A_CALLS" ] && [ "$a_rc" -eq 1 ]; then
	pass "A ($src_a): sent all $a_sent REGISTERs at $A_RATE/s, sipp exit 1 (failed calls: the limited ones)"
else
	fail "A: sent $a_sent of $A_CALLS, sipp exit $a_rc: $(tail -5 "$work/flood.out")"
fi

# Every datagram sipp sent crossed the veth and got exactly one verdict: PASSED or RATE_LIMITED.
sent=$((a_sent + b_sent))
counted() { [ $(($(pinned_counter "$pin" "$C_PASSED") - passed0 + $(pinned_counter "$pin" "$C_RATE") - limited0)) -ge "$sent" ]; }
wait_for 20 counted
passed=$(($(pinned_counter "$pin" $C_PASSED) - passed0)) limited=$(($(pinned_counter "$pin" $C_RATE) - limited0))
if [ $((passed + limited)) -eq "$sent" ]; then
	pass "PASSED $passed + RATE_LIMITED $limited = $sent, exactly what the two sipps sent"
else
	fail "PASSED $passed + RATE_LIMITED $limited != $sent sent"
fi
# The same packets, counted on the interface.
json=$("$agent" --stats --json -c "$work/vosfp.yaml")
if python3 -c 'import json,sys
j = json.loads(sys.argv[1]); i = [x for x in j["interfaces"] if x["name"] == sys.argv[2]][0]["packets"]
assert i["passed"] == j["counters"]["passed"] and i["rate_limited"] == j["counters"]["rate_limited"], (i, j["counters"])' \
	"$json" "$host"; then
	pass "$host's per-interface counters equal the totals (PASSED and RATE_LIMITED)"
else
	fail "per-interface counters: $json"
fi
# A got its bucket and its refill over the flood's duration, no more (one coarse-clock tick of
# slack); B was never limited, so every limited request was A's.
a_passed=$((passed - b_sent))
a_max=$((BURST + RATE * a_secs + 1))
if [ "$a_passed" -ge "$BURST" ] && [ "$a_passed" -le "$a_max" ] && [ "$limited" -eq $((a_sent - a_passed)) ]; then
	pass "A: $a_passed passed (burst $BURST to $a_max over ${a_secs} s), $limited RATE_LIMITED"
else
	fail "A: $a_passed passed (expected $BURST..$a_max), $limited limited"
fi
# Kamailio saw exactly what XDP passed, and answered A's as well as B's.
from() { grep -c "received REGISTER from $1\$" "$work/kamailio.log"; }
kam_seen() { [ "$(from "$src_a")" -ge "$a_passed" ] && [ "$(from "$src_b")" -ge "$b_sent" ]; }
wait_for 20 kam_seen
if [ "$(from "$src_a")" -eq "$a_passed" ] && [ "$(from "$src_b")" -eq "$b_sent" ] && [ "$a_ok" -eq "$a_passed" ]; then
	pass "Kamailio received exactly what XDP passed (A $a_passed, B $b_sent) and answered all of A's ($a_ok 200 OK)"
else
	fail "Kamailio received A $(from "$src_a") (XDP passed $a_passed, sipp A got $a_ok answers), B $(from "$src_b") of $b_sent"
fi
exit "$test_status"
