#!/usr/bin/env bash
# crowdsec_bad_input_test.sh - what vosfp-agent does with LAPI answers no real LAPI sends: a bad
# address, an unknown scope, a 50 MB body (with and without Content-Length), invalid JSON, a
# truncated answer, HTTP 500, and a server that hangs. Each is rejected as the README says (the
# answer refused whole, nothing of it applied, one log line naming the fault; an unknown scope's
# decision set aside and counted), the agent keeps running and keeps the decisions it holds, and
# a list edit takes effect in the usual time while the LAPI hangs (measured). The answers come
# from tests/integration/crowdsec_fake_lapi.py: a real LAPI cannot be made to send them.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=tests/integration/crowdsec_lib.sh
. "$(dirname "$(readlink -f "$0")")/crowdsec_lib.sh"
require_root "CrowdSec feed against bad LAPI answers"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-crowdsec-bad.XXXXXX)
pin="/sys/fs/bpf/vosfp-crowdsec-bad-$$"
ns="vosfp-crowdsec-bad-$$" host="vcsx$$h" peer="vcsx$$p"
port=18120 key=vosfp-bad-input-test-key
agent_pid="" fake_pid=""

cleanup() {
	touch "$work/release" 2>/dev/null
	stop_pid "$agent_pid"
	stop_pid "$fake_pid"
	remove_agent_state "$work/vosfp.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

logged() { grep -qF -- "$1" "$work/agent.log"; }
count() { grep -cF -- "$1" "$work/agent.log"; }
more_than() { [ "$(count "$2")" -gt "$1" ]; }	# more_than N TEXT

new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip addr add 198.19.176.1/24 dev "$host"
ip link set "$host" up
for i in 5 6 7 8; do ip -n "$ns" addr add "198.19.176.$i/24" dev "$peer"; done
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add 198.19.176.1 lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent

echo good >"$work/mode"
: >"$work/requests"
# Debian's interpreter: a version-manager shim in front of python3 costs ~1 s per start.
"${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}" "$VOSFP_ROOT/tests/integration/crowdsec_fake_lapi.py" "$port" "$key" "$work" &
fake_pid=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" || { fail "the fake LAPI did not start"; exit 1; }
(umask 077 && echo "$key" >"$work/bouncer.key")
: >"$work/block.txt"
{
	config_head "$pin" "$host"
	cat <<CFG
blocklist:
  files: [block.txt]
crowdsec:
  lapi_url: http://127.0.0.1:$port
  api_key_file: bouncer.key
  poll_interval_seconds: 1
CFG
} >"$work/vosfp.yaml"
"$agent" -c "$work/vosfp.yaml" >"$work/agent.log" 2>&1 &
agent_pid=$!
wait_for 10 logged "crowdsec: startup answer: 1 new" || { fail "no startup answer: $(cat "$work/agent.log")"; exit 1; }

C_PASSED=2 C_BLOCKED=3 C_DECISION=8
REG='REGISTER sip:198.19.176.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.176.5:5060\r\nContent-Length: 0\r\n\r\n'

# verdict SRC: the counter one datagram from SRC moved (passed, blocked, decision, or none).
verdict() {
	local p0 b0 d0
	p0=$(pinned_counter "$pin" $C_PASSED) b0=$(pinned_counter "$pin" $C_BLOCKED) d0=$(pinned_counter "$pin" $C_DECISION)
	ip netns exec "$ns" "$udp_send" -s "$1" 198.19.176.1 5060 "$REG" 1
	for _ in $(seq 60); do
		[ "$(pinned_counter "$pin" $C_PASSED)" -gt "$p0" ] && { echo passed; return; }
		[ "$(pinned_counter "$pin" $C_BLOCKED)" -gt "$b0" ] && { echo blocked; return; }
		[ "$(pinned_counter "$pin" $C_DECISION)" -gt "$d0" ] && { echo decision; return; }
		sleep 0.05
	done
	echo none
}

# held_as_before LABEL: the decision held from the good startup answer still drops, and nothing of
# the bad answer (198.19.176.6, .7) was applied.
held_as_before() {
	local a b c
	a=$(verdict 198.19.176.5) b=$(verdict 198.19.176.6) c=$(verdict 198.19.176.7)
	if [ "$a $b $c" = "decision passed passed" ]; then
		pass "$1: nothing applied, the decision held still drops"
	else
		fail "$1: 198.19.176.5/6/7 got $a/$b/$c (expected decision/passed/passed)"
	fi
}

# bad MODE LABEL MESSAGE: serve MODE until the agent logs MESSAGE (once), then good answers again.
bad() {
	local before
	before=$(count "$3")
	echo "$1" >"$work/mode"
	if wait_for 20 more_than "$before" "$3"; then
		pass "$2: rejected as '$3'"
	else
		fail "$2: no '$3' in the log: $(grep crowdsec "$work/agent.log" | tail -2)"
	fi
	held_as_before "$2"
	echo good >"$work/mode"
	before=$(count "answers again")
	wait_for 20 more_than "$before" "answers again" || fail "$2: the agent did not resynchronise afterwards"
	kill -0 "$agent_pid" 2>/dev/null || { fail "$2: the agent died"; exit 1; }
}

if [ "$(verdict 198.19.176.5)" = decision ]; then pass "the good startup answer is in force"; else fail "good answer not applied"; fi
bad badaddr "a bad address" "new[1]: value '198.19.176.999' (scope Ip): not an IPv4 or IPv6 address; nothing applied"
bad huge "a 50 MB answer with Content-Length" "answer rejected whole: the answer is larger than 32 MB"
bad hugestream "a 50 MB answer without Content-Length" "answer rejected whole: the answer is larger than 32 MB"
bad invalid "invalid JSON" "new[1]: not valid JSON"
bad truncated "a truncated answer" "answer rejected whole: truncated: transfer closed with"
bad error500 "HTTP 500" "answered HTTP 500 ({\"message\":\"database is locked\"}); nothing applied"

# An unknown scope: that decision is set aside and counted, the rest of the answer applies.
before=$(count "1 set aside (1 other scope")
echo badscope >"$work/mode"
if wait_for 10 more_than "$before" "1 set aside (1 other scope"; then
	pass "an unknown scope: its decision set aside and counted"
else
	fail "an unknown scope: not counted: $(grep crowdsec "$work/agent.log" | tail -2)"
fi
if [ "$(verdict 198.19.176.6)" = decision ]; then pass "an unknown scope: the rest of the answer applies"; else fail "unknown scope: 198.19.176.6 not dropped"; fi
echo good >"$work/mode"

# --- a hanging LAPI: the loop goes on; a list edit takes effect as usual (measured both ways) ---
edit_to_effect() {	# edit_to_effect SRC: add SRC to the blocklist file; ms until it is BLOCKED
	local t0
	t0=$(now_ms)
	echo "$1" >>"$work/block.txt"
	if wait_ms 5000 blocked_now "$1"; then echo $(($(now_ms) - t0)); else echo never; fi
}
blocked_now() { [ "$(verdict "$1")" = blocked ]; }
usual=$(edit_to_effect 198.19.176.7)
rm -f "$work/hanging" "$work/release"
echo hang >"$work/mode"
wait_for 10 test -e "$work/hanging" || fail "the agent never reached the hanging LAPI"
failures=$(count "LAPI at http://127.0.0.1:$port")
hung=$(edit_to_effect 198.19.176.8)
if [ "$hung" != never ] && [ "$(count "LAPI at http://127.0.0.1:$port")" -eq "$failures" ] && [ ! -e "$work/release" ]; then
	pass "LAPI hanging: a list edit took effect in $hung ms while the request was still in flight (usual: $usual ms)"
else
	fail "LAPI hanging: the list edit took $hung ms (usual: $usual ms)"
fi
touch "$work/release"
wait_for 10 more_than "$failures" "LAPI at http://127.0.0.1:$port" || fail "the released request was not noticed"
echo good >"$work/mode"
if kill -0 "$agent_pid" 2>/dev/null; then pass "the agent kept running throughout"; else fail "the agent died"; fi
exit $test_status
