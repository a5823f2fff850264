#!/usr/bin/env bash
# sim_scripts_test.sh - the simulation scripts (sip_sim_setup.sh, sip_sim_send.sh,
# sip_sim_teardown.sh) and read_xdp_stats.sh against the real kernel and the real agent: exact
# counters for the traffic the scripts send, idempotent setup and teardown, bad input refused
# before anything changes. Unique names and addresses, so a real sim on this host is never touched.
# "check && pass || fail" is the idiom of these tests (pass never fails); cleanup runs from a trap.
# shellcheck disable=SC2015,SC2317
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "simulation scripts"

scripts="$VOSFP_ROOT/scripts"
agent="$VOSFP_ROOT/build/vosfp-agent"
work=$(mktemp -d /tmp/vosfp-sim-test.XXXXXX)
pin="/sys/fs/bpf/vosfp-sim-$$"
net=$(($$ % 250 + 1))
export VOSFP_SIM_NS="vosfp-sim-$$" VOSFP_SIM_HOST_IF="vss$$h" VOSFP_SIM_PEER_IF="vss$$p"
export VOSFP_SIM_HOST_IP="198.19.$net.1" VOSFP_SIM_PEER_IP="198.19.$net.2" VOSFP_SIM_ADDR_COUNT=4
export VOSFP_CONFIG="$work/vosfp.yaml" VOSFP_AGENT="$agent" VOSFP_SEND="$VOSFP_ROOT/build/vosfp-send"
unset VOSFP_SIM_SRC
sim="198.19.$net.2" other="198.19.$net.3"

cleanup() {
	remove_agent_state "$work/vosfp.yaml" "$pin"
	ip link del "$VOSFP_SIM_HOST_IF" 2>/dev/null
	ip netns del "$VOSFP_SIM_NS" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# Killed (a CI timeout, ^C): still clean up.

stats() {	# stats OPTIONS BLOCKED MALFORMED REDIRECTED PASSED: the expected read_xdp_stats.sh output
	printf 'OPTIONS dropped (stealth): %d\nBlocked (DoS list): %d\nMalformed (dropped): %d\nRedirected (AF_XDP): %d\nPassed to stack: %d\nTotal UDP 5060 handled: %d\n' \
		"$@" $(($1 + $2 + $3 + $4 + $5))
}
stats_are() { [ "$(cd / && "$scripts/read_xdp_stats.sh" 2>/dev/null)" = "$1" ]; }
# expect_stats LABEL OPTIONS BLOCKED MALFORMED REDIRECTED PASSED (bounded wait: the receiving
# side may still be processing the last frames when the sender returns)
expect_stats() {
	local label=$1 want
	shift
	want=$(stats "$@")
	if wait_for 20 stats_are "$want"; then
		pass "$label"
	else
		fail "$label: got $(cd / && "$scripts/read_xdp_stats.sh" 2>&1 | tr '\n' ';'), expected $(tr '\n' ';' <<<"$want")"
	fi
}

# has PATTERN COMMAND...: COMMAND's output matches PATTERN (output captured first: with pipefail,
# "cmd | grep -q" fails when grep stops reading early).
has() {
	local o
	o=$("${@:2}" 2>/dev/null)
	grep -qE -- "$1" <<<"$o"
}
ns_exists() { has "^$VOSFP_SIM_NS( |\$)" ip netns list; }
if_exists() { ip link show dev "$VOSFP_SIM_HOST_IF" >/dev/null 2>&1; }

# --- usage and bad input, before anything exists -------------------------------------------------
for s in sip_sim_setup.sh sip_sim_send.sh sip_sim_teardown.sh read_xdp_stats.sh; do
	run_script "$s" -h
	[ "$rc" -eq 0 ] && grep -q "^Usage: $s" <<<"$out" && grep -q "Exit status" <<<"$out" &&
		pass "$s -h: usage with exit codes, exit 0" || fail "$s -h: exit $rc, $out"
	run_script "$s" --bogus
	expect_exit "$s: unknown option is a usage error" 2
done
run_script sip_sim_send.sh 7
expect_exit "send before setup: exit 1, says to run sip_sim_setup.sh" 1 "not set up.*sip_sim_setup.sh"
VOSFP_SIM_HOST_IP=10.0.0.1 run_script sip_sim_setup.sh
expect_exit "setup: host address outside 198.18.0.0/15 refused" 1 "outside 198.18.0.0/15"
VOSFP_SIM_PEER_IP=198.20.0.2 run_script sip_sim_setup.sh
expect_exit "setup: sim address outside 198.18.0.0/15 refused" 1 "outside 198.18.0.0/15"
VOSFP_SIM_PEER_IP=198.18.$net.2 run_script sip_sim_setup.sh
expect_exit "setup: host and sim in different /24s refused" 1 "share one /24"
! ns_exists && ! if_exists && pass "refused setups created nothing" || fail "a refused setup left state behind"
run_script read_xdp_stats.sh
expect_exit "read_xdp_stats.sh with nothing pinned: exit 1, clear message" 1 "no vosfp state is pinned for $work/vosfp.yaml"
run_script sip_sim_teardown.sh
expect_exit "teardown with nothing set up: exit 0" 0 "nothing to tear down"

# --- setup, twice ----------------------------------------------------------------------------------
run_script sip_sim_setup.sh
expect_exit "setup: exit 0" 0
grep -q "^set up: namespace $VOSFP_SIM_NS" <<<"$out" && pass "setup reports what it set up" || fail "setup said: $out"
ns_exists && if_exists && has " 198\.19\.$net\.5/24 " ip -n "$VOSFP_SIM_NS" -4 -o addr show dev "$VOSFP_SIM_PEER_IF" &&
	has " 198\.19\.$net\.1/24 " ip -4 -o addr show dev "$VOSFP_SIM_HOST_IF" &&
	pass "namespace, veth pair and addresses (4 sim sources) exist" || fail "setup incomplete"
has PERMANENT ip neigh show "$sim" dev "$VOSFP_SIM_HOST_IF" &&
	has PERMANENT ip -n "$VOSFP_SIM_NS" neigh show "198.19.$net.1" dev "$VOSFP_SIM_PEER_IF" &&
	pass "static neighbour entries both ways" || fail "neighbour entries missing"
run_script sip_sim_setup.sh
expect_exit "setup again: exit 0" 0
grep -q "^already set up, verified" <<<"$out" && pass "setup again: says it is already set up" || fail "setup again said: $out"
ip -n "$VOSFP_SIM_NS" neigh del "198.19.$net.1" dev "$VOSFP_SIM_PEER_IF"
run_script sip_sim_setup.sh
[ "$rc" -eq 0 ] && grep -q "^set up" <<<"$out" &&
	has PERMANENT ip -n "$VOSFP_SIM_NS" neigh show "198.19.$net.1" dev "$VOSFP_SIM_PEER_IF" &&
	pass "setup again repairs a missing piece" || fail "setup did not repair: rc=$rc $out $err"

# --- the agent on the host side; the scripts' traffic, counted exactly -------------------------------
: >"$work/block.txt"
cat >"$work/vosfp.yaml" <<CFG
version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces:
  - name: $VOSFP_SIM_HOST_IF
    xdp_mode: [native, generic]
blocklist:
  files: [block.txt]
CFG
if ! "$agent" --once -c "$work/vosfp.yaml" 2>"$work/agent.log"; then
	fail "agent --once: $(cat "$work/agent.log")"
	exit 1
fi
pass "agent applied the config to $VOSFP_SIM_HOST_IF"
run_script read_xdp_stats.sh
[ "$rc" -eq 0 ] && [ "$out" = "$(stats 0 0 0 0 0)" ] && pass "read_xdp_stats.sh: seed format, all zero" ||
	fail "read_xdp_stats.sh: rc=$rc $out $err"

run_script sip_sim_send.sh 7
expect_exit "sip_sim_send.sh 7: exit 0" 0
[ "$out" = "sent 7 OPTIONS, 7 REGISTER, 7 malformed, 7 keep-alive from $sim to 198.19.$net.1:5060" ] &&
	pass "sip_sim_send.sh says what it sent" || fail "sip_sim_send.sh said: $out"
expect_stats "7 of each: OPTIONS 7, malformed 7, passed 14 (REGISTER + keep-alive), total 28" 7 0 7 0 14

run_script read_xdp_stats.sh -j
[ "$rc" -eq 0 ] && grep -q '"options_dropped": 7' <<<"$out" && grep -q '"passed": 14' <<<"$out" && grep -q '"handled": 28' <<<"$out" &&
	pass "read_xdp_stats.sh -j: the agent's JSON" || fail "read_xdp_stats.sh -j: rc=$rc $out"

# --- block the sim's source through a list file named by the config --------------------------------
printf '# the sim\n%s\n' "$sim" >"$work/block.txt"
"$agent" --once -c "$work/vosfp.yaml" 2>>"$work/agent.log" && pass "agent applied the blocklist edit" ||
	fail "agent --once after the edit: $(tail -3 "$work/agent.log")"
run_script sip_sim_send.sh 7
expect_exit "sip_sim_send.sh 7 from the blocked source: exit 0" 0
expect_stats "blocked source: Blocked moves by exactly 28, nothing else moves" 7 28 7 0 14

VOSFP_SIM_SRC=$other run_script sip_sim_send.sh 3
[ "$rc" -eq 0 ] && [ "$out" = "sent 3 OPTIONS, 3 REGISTER, 3 malformed, 3 keep-alive from $other to 198.19.$net.1:5060" ] &&
	pass "VOSFP_SIM_SRC chooses another sim source" || fail "VOSFP_SIM_SRC: rc=$rc $out $err"
expect_stats "another (unblocked) source: OPTIONS 3, malformed 3, passed 6" 10 28 10 0 20

# --- bad input to sip_sim_send.sh: refused, nothing sent ----------------------------------------
run_script sip_sim_send.sh abc
expect_exit "count not a number: exit 1" 1 "not a number"
run_script sip_sim_send.sh 1000001
expect_exit "count above 1,000,000: exit 1" 1 "too big"
run_script sip_sim_send.sh 0
expect_exit "count 0: exit 1" 1 "at least 1"
run_script sip_sim_send.sh 1 2
expect_exit "two arguments: usage error" 2
VOSFP_SIM_SRC=10.0.0.2 run_script sip_sim_send.sh 1
expect_exit "source outside 198.18.0.0/15: exit 1" 1 "outside 198.18.0.0/15"
VOSFP_SIM_SRC=198.19.$net.200 run_script sip_sim_send.sh 1
expect_exit "source that is not the sim's: exit 1" 1 "not an address of the sim"
VOSFP_SIM_HOST_IP=192.0.2.1 run_script sip_sim_send.sh 1
expect_exit "destination outside 198.18.0.0/15: exit 1" 1 "outside 198.18.0.0/15"
expect_stats "refused sends sent nothing" 10 28 10 0 20

# --- teardown, twice; then nothing left ------------------------------------------------------------
run_script sip_sim_teardown.sh
expect_exit "teardown: exit 0, notes the attached program" 0 "carried XDP program"
grep -q "^removed: veth pair $VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF, namespace $VOSFP_SIM_NS" <<<"$out" &&
	pass "teardown says what it removed" || fail "teardown said: $out"
run_script sip_sim_teardown.sh
expect_exit "teardown again: exit 0, nothing to do" 0 "nothing to tear down"
! ns_exists && ! if_exists && ! has "vss$$" ip link show && pass "no namespace or veth left" ||
	fail "teardown left state behind"
run_script sip_sim_send.sh 1
expect_exit "send after teardown: exit 1" 1 "not set up"
"$agent" --down -c "$work/vosfp.yaml" 2>>"$work/agent.log"
rm -f "/run/vosfp/vosfp${pin//\//_}.lock"
[ ! -e "$pin" ] && pass "agent --down: no pin left" || fail "pin $pin left"
run_script read_xdp_stats.sh
expect_exit "read_xdp_stats.sh after --down: exit 1" 1 "no vosfp state is pinned"

# --- shellcheck ------------------------------------------------------------------------------------
if command -v shellcheck >/dev/null; then
	(cd "$VOSFP_ROOT" && shellcheck -x scripts/sip_sim_setup.sh scripts/sip_sim_send.sh scripts/sip_sim_teardown.sh \
		scripts/read_xdp_stats.sh scripts/sim_lib.sh) >"$work/sc" 2>&1 &&
		pass "simulation scripts are shellcheck-clean" || fail "shellcheck: $(head -20 "$work/sc")"
else
	echo "SKIP: shellcheck not installed (apt-get install shellcheck)"
fi

exit $test_status
