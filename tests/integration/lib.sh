# lib.sh - shared helpers for the integration tests: unique names, namespaces that are always
# removed, PASS/FAIL lines for tests/run.sh, and reading the program's counters through bpftool.
# Source it; it sets an EXIT trap that removes what the test created.

VOSFP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BPFTOOL=${BPFTOOL:-$(command -v bpftool || echo /usr/sbin/bpftool)}
test_status=0
created_netns=()

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; test_status=1; }

cleanup_netns() {
	local ns
	for ns in "${created_netns[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}
trap cleanup_netns EXIT
# bash runs the EXIT trap on a signal only through exit: so that a test stopped by a signal
# (CI's timeout, ^C) still removes what it created, whichever EXIT trap it sets later.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# new_netns NAME: create a namespace that is deleted when the test exits, however it exits.
new_netns() {
	ip netns add "$1" && created_netns+=("$1") && ip -n "$1" link set lo up
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: $1 (needs root)"
		exit 0
	fi
}

# xdp_prog_id NS DEV: id of the XDP program attached to DEV in NS.
xdp_prog_id() {
	ip -n "$1" -d link show dev "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}

# prog_map_id PROG_ID MAP_NAME: id of the program's map with that name.
prog_map_id() {
	local id
	for id in $("$BPFTOOL" prog show id "$1" | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' ' '); do
		if grep -q " name $2 " <<<"$("$BPFTOOL" map show id "$id")"; then
			echo "$id"
			return 0
		fi
	done
	return 1
}

# counter MAP_ID INDEX: a per-CPU counter summed over CPUs.
counter() {
	local key
	key=$(printf '%d 0 0 0' "$2")
	# shellcheck disable=SC2086
	"$BPFTOOL" map lookup id "$1" key $key | awk '/"value"/ { gsub(/[^0-9]/, "", $2); s += $2 } END { print s + 0 }'
}

# config_head PIN_PATH IFACE...: the lines every test config starts with: the test's own pin
# path, this tree's object, the interfaces (native, then generic). The test appends the sections
# it is about.
config_head() {
	local pin=$1 dev
	shift
	printf 'version: 1\npin_path: %s\nbpf_object: %s/build/sip_logic.bpf.o\ninterfaces:\n' "$pin" "$VOSFP_ROOT"
	for dev in "$@"; do
		printf '  - name: %s\n    xdp_mode: [native, generic]\n' "$dev"
	done
}

# remove_agent_state CONFIG PIN_PATH: undo what the agent left for a test's config, however the
# test ended: filtering and pins (--down), anything --down could not remove, and the reconcile
# lock file, which --down keeps (removing a lock file others may wait on is unsafe in general).
remove_agent_state() {
	"$VOSFP_ROOT/build/vosfp-agent" --down -c "$1" >/dev/null 2>&1
	rm -rf "$2" 2>/dev/null
	rm -f "/run/vosfp/vosfp${2//\//_}.lock" "/run/vosfp/vosfp${2//\//_}.daemon"
}

# stop_pid PID: stop a process this test started (SIGTERM, up to 5 s, then SIGKILL) and reap it.
stop_pid() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds (every 50 ms), bounded in time.
wait_for() {
	local deadline=$((SECONDS + $1)) 
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# pinned_counter PIN_PATH INDEX: a counter of the pinned xdp_counters map, summed over CPUs.
pinned_counter() {
	local key
	key=$(printf '%d 0 0 0' "$2")
	# shellcheck disable=SC2086
	"$BPFTOOL" map lookup pinned "$1/xdp_counters" key $key | awk '/"value"/ { gsub(/[^0-9]/, "", $2); s += $2 } END { print s + 0 }'
}

# pinned_has_v4 PIN_PATH MAP A.B.C.D: is this IPv4 address a key of the pinned exact map?
pinned_has_v4() {
	# shellcheck disable=SC2046
	"$BPFTOOL" map lookup pinned "$1/$2" key $(tr '.' ' ' <<<"$3") >/dev/null 2>&1
}

# pinned_slots_taken PIN_PATH: how many slots the pinned scanner_free does not mark free (those a
# scanner token hashes to, bpf/vosfp.h).
pinned_slots_taken() {
	"$BPFTOOL" -j map lookup pinned "$1/scanner_free" key 0 0 0 0 | python3 -c '
import json, sys
print(sum(8 - bin(int(b, 16)).count("1") for b in json.load(sys.stdin)["value"]))'
}

# run_script NAME ARGS...: run scripts/NAME from another directory, bounded to 120 s; sets rc,
# out (stdout) and err (stderr). The caller's $work (its temp directory) holds stderr meanwhile.
run_script() {
	local name=$1
	shift
	out=$(cd / && timeout 120 "$VOSFP_ROOT/scripts/$name" "$@" 2>"$work/err")
	rc=$?
	err=$(cat "$work/err")
}

# expect_exit LABEL RC [PATTERN]: the last run_script exited RC (and its stderr matches PATTERN).
expect_exit() {
	if [ "$rc" -eq "$2" ] && { [ -z "${3:-}" ] || grep -qE -- "$3" <<<"$err"; }; then
		pass "$1"
	else
		fail "$1: exit $rc (expected $2); stderr: $err"
	fi
}
