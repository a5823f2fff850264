#!/usr/bin/env bash
# stress_test.sh - the seed's multi-phase correctness run (make test), with exact counter
# assertions: XDP counters on a veth are exact, so every expected delta is exact, no tolerance.
# A thin layer over the other scripts (sip_sim_*.sh, block_ip.sh, unblock_ip.sh, allow_ip.sh,
# read_xdp_stats.sh) and vosfp-agent: no map or attach logic here. Self-contained and safe on an
# operator's host: its own namespace, veth pair, 198.18.x.0/24, temp config, temp state files and
# pin path, all removed however it exits; /etc/vosfp.yaml, /var/lib/vosfp and the default pin
# path are never touched.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
root=$(cd "$here/.." && pwd)
# This tree's build, when there is one (make test tests what make built); else the installed one.
if [ -z "${VOSFP_AGENT:-}" ] && [ -x "$root/build/vosfp-agent" ]; then
	VOSFP_AGENT=$root/build/vosfp-agent
fi
if [ -z "${VOSFP_SEND:-}" ] && [ -x "$root/build/vosfp-send" ]; then
	VOSFP_SEND=$root/build/vosfp-send
fi
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

MAX_ROUNDS=100
N=1000		# datagrams of each kind per phase (sip_sim_send.sh N sends 4N)
HAMMER=5000	# the hammer phase: sip_sim_send.sh HAMMER from a blocked source, 4 * HAMMER datagrams

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] [rounds]
The seed's correctness run: ROUNDS (default 1, 1 to $MAX_ROUNDS) rounds, each on a fresh simulation
(its own namespace, veth pair and 198.18.x.0/24, its own temp config, state files and pin path
/sys/fs/bpf/vosfp-stress-PID, applied with vosfp-agent --once), with exact counter assertions:
  volume    sip_sim_send.sh $N from an unknown source: OPTIONS dropped +$N, Malformed +$N,
            Passed +$((2 * N)) (REGISTER, keep-alive), Blocked +0
  block     block_ip.sh the source, send again: Blocked +$((4 * N)), nothing else moves
  unblock   unblock_ip.sh the source, send again: the volume deltas
  allow     allow_ip.sh the source, send again: Passed +$((3 * N)) (OPTIONS too), Malformed +$N,
            OPTIONS dropped +0
  hammer    block a second source, sip_sim_send.sh $HAMMER from it: Blocked +$((4 * HAMMER))
  teardown  vosfp-agent --down, sip_sim_teardown.sh, temp files and lock removed; verifies that
            no namespace, veth, pin directory, lock or temp file is left
One line per phase: "PASS: round R phase NAME: counts" or "FAIL: ... expected X got Y", then a
summary line. Never touches /etc/vosfp.yaml, /var/lib/vosfp or /sys/fs/bpf/vosfp.

Environment: VOSFP_AGENT, VOSFP_SEND (default: this tree's build/, else the installed ones),
VOSFP_BPF_OBJECT (default: build/sip_logic.bpf.o, else the installed object).
Needs root (after the argument checks).

Exit status: 0 every phase passed; 1 a phase failed, bad rounds argument, not root, or
something missing (run make); 2 usage error.
USAGE
}

script_args 1 "$@"
set -- "${ARGS[@]}"
rounds=1
[ $# -eq 0 ] || rounds=$1
if ! [[ $rounds =~ ^[0-9]{1,3}$ ]] || [ $((10#$rounds)) -lt 1 ] || [ $((10#$rounds)) -gt $MAX_ROUNDS ]; then
	die "rounds '$rounds' must be a number from 1 to $MAX_ROUNDS"
fi
rounds=$((10#$rounds))
require_root
require_agent
[ -x "$VOSFP_SEND" ] || die "vosfp-send not found at $VOSFP_SEND: run make"
if [ -z "${VOSFP_BPF_OBJECT:-}" ]; then
	for VOSFP_BPF_OBJECT in "$root/build/sip_logic.bpf.o" \
		"$(dirname "$(readlink -f "$VOSFP_AGENT")")/../lib/vosfp/sip_logic.bpf.o" \
		/usr/local/lib/vosfp/sip_logic.bpf.o /usr/lib/vosfp/sip_logic.bpf.o; do
		[ ! -r "$VOSFP_BPF_OBJECT" ] || break
	done
fi
[ -r "$VOSFP_BPF_OBJECT" ] || die "the XDP object sip_logic.bpf.o was not found: run make (or set VOSFP_BPF_OBJECT)"

# --- our names: nothing an operator's setup uses --------------------------------------------------
pin=/sys/fs/bpf/vosfp-stress-$$
lock=/run/vosfp/vosfp${pin//\//_}.lock
export VOSFP_SIM_NS="vosfp-stress-$$" VOSFP_SIM_HOST_IF="vst$$h" VOSFP_SIM_PEER_IF="vst$$p"
# A 198.18.x.0/24 (x from 1 to 250, starting from our PID) with no route or address on this host.
net=""
for ((i = 0; i < 250; i++)); do
	x=$((($$ + i) % 250 + 1))
	used=$(ip -4 -o route show to root "198.18.$x.0/24"; ip -4 -o addr show to "198.18.$x.0/24")
	[ -n "$used" ] || { net=$x; break; }
done
[ -n "$net" ] || die "no free 198.18.x.0/24 on this host (x = 1 to 250)"
export VOSFP_SIM_HOST_IP="198.18.$net.1" VOSFP_SIM_PEER_IP="198.18.$net.2" VOSFP_SIM_ADDR_COUNT=2
export VOSFP_AGENT VOSFP_SEND
unset VOSFP_SIM_SRC
src1="198.18.$net.2" src2="198.18.$net.3"
work=""
failed=0 passed=0

# --- cleanup, however we exit ---------------------------------------------------------------------
teardown() {	# everything this run may have created; idempotent, quiet
	if [ -n "$work" ]; then
		"$VOSFP_AGENT" --down --config "$work/vosfp.yaml" >/dev/null 2>&1 || true
	fi
	"$here/sip_sim_teardown.sh" >/dev/null 2>&1 || true
	rm -rf -- "$pin" 2>/dev/null || true
	rm -f -- "$lock"
	[ -z "$work" ] || rm -rf -- "$work"
}
on_exit() {
	local rc=$?
	trap - EXIT
	teardown
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 129' HUP	# bash runs the EXIT trap on a signal only through exit
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { echo "PASS: $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

# must LABEL CMD...: run CMD (its output kept for the failure message); if it fails, a FAIL line
# and the run stops (the trap cleans up).
must() {
	local label=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] && return 0
	fail "$label: '$*' exited $rc: $(tr '\n' ' ' <<<"$out")"
	summary
	exit 1
}

# counters: the read_xdp_stats.sh values, one line "OPTIONS BLOCKED MALFORMED REDIRECTED PASSED TOTAL".
counters() {
	local out
	out=$(cd / && "$here/read_xdp_stats.sh" 2>/dev/null) || return 1
	awk -F': ' '
		$1 == "OPTIONS dropped (stealth)" { v[0] = $2 } $1 == "Blocked (DoS list)" { v[1] = $2 }
		$1 == "Malformed (dropped)" { v[2] = $2 } $1 == "Redirected (AF_XDP)" { v[3] = $2 }
		$1 == "Passed to stack" { v[4] = $2 } $1 == "Total UDP 5060 handled" { v[5] = $2 }
		END { for (i = 0; i < 6; i++) if (v[i] == "") exit 1; print v[0], v[1], v[2], v[3], v[4], v[5] }' <<<"$out"
}

describe() {	# describe "O B M R P T": the counters, named
	local o b m r p t
	read -r o b m r p t <<<"$1"
	echo "OPTIONS dropped $o, Blocked $b, Malformed $m, Redirected $r, Passed $p, Total $t"
}

# check ROUND PHASE BEFORE "dO dB dM dR dP": the counters must be BEFORE plus exactly these deltas
# (Total plus their sum). The last frames may still be in flight when the sender returns: wait (at
# most 5 s) for the exact values, never accept others.
check() {
	local round=$1 phase=$2 before=$3 d want got="" i
	local -a b delta g
	read -ra b <<<"$before"
	read -ra delta <<<"$4"
	delta+=($((delta[0] + delta[1] + delta[2] + delta[3] + delta[4])))
	want=""
	for i in 0 1 2 3 4 5; do
		want+="${want:+ }$((b[i] + delta[i]))"
	done
	for ((i = 0; i < 100; i++)); do
		got=$(counters) || got="(unreadable)"
		[ "$got" != "$want" ] || break
		sleep 0.05
	done
	d=$(describe "$(printf '+%s ' "${delta[@]}")")
	if [ "$got" = "$want" ]; then
		pass "round $round phase $phase: $d"
	else
		if [[ $got =~ ^[0-9\ ]+$ ]]; then
			read -ra g <<<"$got"
			got=""
			for i in 0 1 2 3 4 5; do
				got+="+$((g[i] - b[i])) "
			done
			got=$(describe "$got")
		fi
		fail "round $round phase $phase: expected $d got $got"
	fi
}

summary() {
	if [ "$failed" -eq 0 ]; then
		echo "stress_test: all $passed phases passed ($rounds round(s), $N of each kind per phase, hammer $((4 * HAMMER)))"
	else
		echo "stress_test: $failed of $((passed + failed)) phases FAILED ($rounds round(s))"
	fi
}

echo "stress_test: $rounds round(s) on namespace $VOSFP_SIM_NS, veth $VOSFP_SIM_HOST_IF/$VOSFP_SIM_PEER_IF, 198.18.$net.0/24, pin $pin"
for ((r = 1; r <= rounds; r++)); do
	# --- a fresh sim, config, state files and pin path --------------------------------------------
	work=$(mktemp -d /tmp/vosfp-stress.XXXXXX)
	export VOSFP_CONFIG="$work/vosfp.yaml" VOSFP_BLOCK_FILE="$work/state/blocked.txt" VOSFP_ALLOW_FILE="$work/state/allowed.txt"
	cat >"$VOSFP_CONFIG" <<CFG
version: 1
pin_path: $pin
bpf_object: $VOSFP_BPF_OBJECT
interfaces:
  - name: $VOSFP_SIM_HOST_IF
    xdp_mode: [native, generic]
allowlist:
  optional_files: [$VOSFP_ALLOW_FILE]
blocklist:
  optional_files: [$VOSFP_BLOCK_FILE]
CFG
	must "round $r setup" "$here/sip_sim_setup.sh"
	must "round $r setup" "$VOSFP_AGENT" --once --config "$VOSFP_CONFIG"
	before=$(counters) || must "round $r setup: read_xdp_stats.sh" false

	# 1. volume: an unknown source
	must "round $r phase volume" "$here/sip_sim_send.sh" "$N"
	check "$r" volume "$before" "$N 0 $N 0 $((2 * N))"
	# 2. block: everything from it dropped as blocked
	before=$(counters)
	must "round $r phase block" "$here/block_ip.sh" "$src1"
	must "round $r phase block" "$here/sip_sim_send.sh" "$N"
	check "$r" block "$before" "0 $((4 * N)) 0 0 0"
	# 3. unblock: back to the volume deltas
	before=$(counters)
	must "round $r phase unblock" "$here/unblock_ip.sh" "$src1"
	must "round $r phase unblock" "$here/sip_sim_send.sh" "$N"
	check "$r" unblock "$before" "$N 0 $N 0 $((2 * N))"
	# 4. allow: OPTIONS pass stealth mode too
	before=$(counters)
	must "round $r phase allow" "$here/allow_ip.sh" "$src1"
	must "round $r phase allow" "$here/sip_sim_send.sh" "$N"
	check "$r" allow "$before" "0 0 $N 0 $((3 * N))"
	# 5. hammer: a bigger burst from a second, blocked source
	before=$(counters)
	must "round $r phase hammer" "$here/block_ip.sh" "$src2"
	must "round $r phase hammer" env VOSFP_SIM_SRC="$src2" "$here/sip_sim_send.sh" "$HAMMER"
	check "$r" hammer "$before" "0 $((4 * HAMMER)) 0 0 0"
	# 6. teardown: down, sim removed, temp files and lock removed; nothing left
	must "round $r phase teardown" "$VOSFP_AGENT" --down --config "$VOSFP_CONFIG"
	must "round $r phase teardown" "$here/sip_sim_teardown.sh"
	rm -rf -- "$work"
	rm -f -- "$lock"
	work=""
	left=()
	names=$(ip netns list | awk '{ print $1 }')
	! grep -qxF -- "$VOSFP_SIM_NS" <<<"$names" || left+=("namespace $VOSFP_SIM_NS")
	! ip link show dev "$VOSFP_SIM_HOST_IF" >/dev/null 2>&1 || left+=("veth $VOSFP_SIM_HOST_IF")
	[ ! -e "$pin" ] || left+=("pin directory $pin")
	[ ! -e "$lock" ] || left+=("lock file")
	[ ! -e "$VOSFP_CONFIG" ] && [ ! -e "$VOSFP_BLOCK_FILE" ] && [ ! -e "$VOSFP_ALLOW_FILE" ] || left+=("temp files")
	if [ ${#left[@]} -eq 0 ]; then
		pass "round $r phase teardown: nothing left (namespace, veth, pin directory, lock, temp files)"
	else
		fail "round $r phase teardown: expected nothing left got $(printf '%s, ' "${left[@]}" | sed 's/, $//')"
	fi
done
summary
[ "$failed" -eq 0 ]
