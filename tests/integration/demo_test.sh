#!/usr/bin/env bash
# demo_test.sh - `make demo`'s contract (scripts/demo.sh; make check has done deps and build): real
# SIP through the filter to Kamailio with the exact counters, under a minute, nothing left behind
# after success, failure or ^C; and it refuses, touching nothing, when the sim already exists.
# It uses the demo's fixed names (sip-sim, veth-sip, /sys/fs/bpf/vosfp-demo): held by anyone else,
# the test skips rather than touch them.
# "check && pass || fail" is the idiom of these tests (pass never fails); cleanup runs from a trap.
# shellcheck disable=SC2015,SC2317
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "make demo (scripts/demo.sh)"

# The demo's defaults, whatever the caller's environment says.
unset VOSFP_SIM_NS VOSFP_SIM_HOST_IF VOSFP_SIM_PEER_IF VOSFP_SIM_HOST_IP VOSFP_SIM_PEER_IP \
	VOSFP_SIM_ADDR_COUNT VOSFP_SIM_SRC VOSFP_AGENT VOSFP_SEND VOSFP_CONFIG
demo="$VOSFP_ROOT/scripts/demo.sh"
scripts="$VOSFP_ROOT/scripts"
ns=sip-sim hostif=veth-sip
pin=/sys/fs/bpf/vosfp-demo lock=/run/vosfp/vosfp_sys_fs_bpf_vosfp-demo.lock
work=$(mktemp -d /tmp/vosfp-demo-test.XXXXXX)
demo_pid=""

ns_exists() {
	local names
	names=$(ip netns list | awk '{ print $1 }')
	grep -qxF "$ns" <<<"$names"
}
if_exists() { ip link show dev "$hostif" >/dev/null 2>&1; }
# Processes of a demo run: the agent's --config and Kamailio's -Y both live in its temp directory.
demo_procs() { pgrep -f "/tmp/vosfp-demo\.[A-Za-z0-9]{6}/" >/dev/null; }

if ns_exists || if_exists || [ -e "$pin" ]; then
	echo "SKIP: demo: namespace $ns, interface $hostif or $pin is already in use on this host (not ours to touch)"
	rm -rf "$work"
	exit 0
fi

# Everything below is ours (checked absent above): remove whatever a failed run left.
cleanup() {
	if [ -n "$demo_pid" ] && kill -0 "$demo_pid" 2>/dev/null; then
		kill -TERM "$demo_pid" 2>/dev/null
		wait_for 30 bash -c "! kill -0 $demo_pid"
	fi
	[ ! -e "$pin" ] || "$VOSFP_ROOT/build/vosfp-agent" --down \
		--config <(printf 'version: 1\npin_path: %s\ninterfaces: []\n' "$pin") >/dev/null 2>&1
	rm -f "$lock"
	"$scripts/sip_sim_teardown.sh" >/dev/null 2>&1
	rm -rf "$work"
	cleanup_netns
}
trap cleanup EXIT

# nothing_left LABEL OUTPUT: no sim, pins, lock file, agent or Kamailio of the run remain (the
# PIDs are the ones the demo printed).
nothing_left() {
	local label=$1 pids pid left=()
	ns_exists && left+=("namespace $ns")
	if_exists && left+=("$hostif")
	[ -e "$pin" ] && left+=("$pin")
	[ -e "$lock" ] && left+=("$lock")
	pids=$(sed -n 's/.*(pid \([0-9]*\)[,)].*/\1/p' <<<"$2")
	for pid in $pids; do
		kill -0 "$pid" 2>/dev/null && left+=("process $pid")
	done
	demo_procs && left+=("a process of the demo: $(pgrep -af "/tmp/vosfp-demo\.[A-Za-z0-9]{6}/" | head -n 3)")
	compgen -G "/tmp/vosfp-demo.??????" >/dev/null && left+=("its temp directory")
	[ ${#left[@]} -eq 0 ] && pass "$label" || fail "$label: left $(printf '%s; ' "${left[@]}")"
}

# --- usage -----------------------------------------------------------------------------------------
out=$(bash "$demo" -h 2>&1) && grep -q "^Usage: demo.sh" <<<"$out" && grep -q "Exit status" <<<"$out" &&
	pass "demo.sh -h: usage with exit codes" || fail "demo.sh -h: $out"
bash "$demo" extra >/dev/null 2>&1
[ $? -eq 2 ] && pass "demo.sh with an argument: usage error, exit 2" || fail "demo.sh extra: not exit 2"

# --- the demo ----------------------------------------------------------------------------------------
start=$SECONDS
out=$(timeout 120 bash "$demo" 2>"$work/err")
rc=$?
took=$((SECONDS - start))
[ "$rc" -eq 0 ] && pass "demo: exit 0" || fail "demo: exit $rc; stdout: $out; stderr: $(cat "$work/err")"
[ "$took" -lt 60 ] && pass "demo: finished in under a minute (${took} s)" || fail "demo took ${took} s (contract: under 60)"
grep -q "^demo OK: everything behaved as expected" <<<"$out" && ! grep -q "FAIL" <<<"$out" &&
	pass "demo: says every step behaved as expected, no FAIL line" || fail "demo verdict: $(grep -E 'FAIL|^demo' <<<"$out")"

# has_line LABEL REGEX: the demo printed a line matching REGEX.
has_line() { grep -qE -- "$2" <<<"$out" && pass "$1" || fail "$1: no line matching '$2' in: $out"; }
has_line "setup: agent filtering veth-sip with the demo's lists and pins" \
	"^  \[ok\] vosfp-agent \(pid [0-9]+\): XDP on veth-sip \((native|generic) mode\), allowlist 198\.18\.0\.2, blocklist 198\.18\.0\.9, pins /sys/fs/bpf/vosfp-demo$"
has_line "setup: Kamailio listening on udp 198.18.0.1:5060 only" \
	"^  \[ok\] Kamailio [0-9.]+ \(pid [0-9]+, [0-9]+ children\): listening on udp 198\.18\.0\.1:5060 only$"
has_line "allowlisted OPTIONS: Kamailio answered all 5 with 200 OK (sipp)" \
	"^  \[ok\] OPTIONS x5 from 198\.18\.0\.2 \(allowlisted\), sipp: 5 of 5 answered 200 OK by Kamailio"
has_line "OPTIONS from an unknown source: none answered (stealth drop at XDP)" \
	"^  \[ok\] OPTIONS x5 from 198\.18\.0\.3 \(unknown source\), sipp: 0 of 5 answered, as expected"
has_line "REGISTER: Kamailio registered all 5 (sipp got 200 OK)" \
	"^  \[ok\] REGISTER x5 from 198\.18\.0\.3 \(unknown source\), sipp: 5 of 5 registered, 200 OK by Kamailio"
has_line "garbage: all 6 dropped as malformed" "^  \[ok\] garbage x6 from 198\.18\.0\.3 .*malformed \+6\)$"
has_line "flood from the blocklisted source: all 1000 dropped" "^  \[ok\] flood: 1000 INVITE from 198\.18\.0\.9 \(blocklisted\).*blocked \+1000\)$"
has_line "Kamailio received exactly what XDP passed" \
	"^  \[ok\] Kamailio's log: it received 5 OPTIONS from 198\.18\.0\.2 and 5 REGISTER from 198\.18\.0\.3, nothing else$"
# The counters, exact, each with a line of meaning after the value.
for row in "OPTIONS dropped (stealth)|5" "Blocked (DoS list)|1000" "Malformed (dropped)|6" \
	"Redirected (AF_XDP)|0" "Passed to stack|10" "Total UDP 5060 handled|1021"; do
	label=${row%|*} value=${row#*|}
	re=${label//(/\\(} && re=${re//)/\\)}
	has_line "counter $label: $value, with its meaning" "^  $re: +$value  [A-Za-z]"
done
has_line "teardown: the filtering removed with vosfp-agent --down" "^  filtering removed from veth-sip, pins under /sys/fs/bpf/vosfp-demo removed"
nothing_left "after the demo: no sim, pins, lock file, agent or Kamailio left" "$out"

# --- a setup step that fails: named, exit 1, everything removed ------------------------------------
out=$(VOSFP_AGENT=/bin/false timeout 120 bash "$demo" 2>"$work/err")
rc=$?
[ "$rc" -eq 1 ] && grep -q "^  \[FAIL\] vosfp-agent exited while applying the config" <<<"$out" &&
	grep -q "^demo FAILED" <<<"$out" && pass "an agent that dies at start: exit 1, the failed step named" ||
	fail "agent that dies: exit $rc; $out $(cat "$work/err")"
nothing_left "after a failed setup: nothing left" "$out"

# --- interrupted (^C) while traffic flows ------------------------------------------------------------
# A background job of a script starts with SIGINT ignored, and bash cannot trap a signal ignored at
# entry: restore its default so the demo sees ^C as from a terminal.
env --default-signal=INT bash "$demo" >"$work/int.out" 2>&1 &
demo_pid=$!
if wait_for 60 grep -q "^== Sending SIP" "$work/int.out"; then
	kill -INT "$demo_pid"
	wait_for 30 bash -c "! kill -0 $demo_pid"
	wait "$demo_pid"
	rc=$?
	demo_pid=""
	out=$(cat "$work/int.out")
	[ "$rc" -eq 130 ] && grep -q "^demo interrupted; everything it set up was removed" <<<"$out" &&
		pass "^C during the traffic: exit 130, says it cleaned up" || fail "^C: exit $rc; $out"
	nothing_left "after ^C: nothing left" "$out"
else
	fail "interrupt test: the demo never reached the traffic: $(cat "$work/int.out")"
fi

# --- the sim already there: refused, left intact ----------------------------------------------------
if "$scripts/sip_sim_setup.sh" >/dev/null 2>&1; then
	out=$(timeout 120 bash "$demo" 2>"$work/err")
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "the sim already exists.*sip_sim_teardown.sh" "$work/err" &&
		pass "sim already present: refused, exit 1, says how to remove it" || fail "sim present: exit $rc; $out $(cat "$work/err")"
	verified=$("$scripts/sip_sim_setup.sh" 2>/dev/null)
	grep -q "^already set up, verified" <<<"$verified" && [ ! -e "$pin" ] && ! demo_procs &&
		pass "sim present: left intact, no pins made, nothing started" || fail "sim present: sim changed or demo started: $verified"
	"$scripts/sip_sim_teardown.sh" >/dev/null 2>&1
	! ns_exists && ! if_exists && pass "the test removed its sim" || fail "the sim could not be removed"
else
	fail "sip_sim_setup.sh failed: cannot test the refusal"
fi

exit $test_status
