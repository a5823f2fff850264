#!/usr/bin/env bash
# input_files_test.sh - the real agent against input files an attacker or a careless operator
# could name: FIFOs, devices and directories as the config, a list file or an interface file are
# refused at once with file:line and exit 2 (a FIFO never blocks: not even a running daemon, which
# keeps answering GET /metrics and keeps its last good policy). Its own temp dir, pin path, veth
# pair and processes, removed however it exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; cleanup called through the trap
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "hostile input files"

agent="$VOSFP_ROOT/build/vosfp-agent"
client="$VOSFP_ROOT/tests/lib/metrics_client.py"
work=$(mktemp -d /tmp/vosfp-harden-input-files.XXXXXX)
pin=/sys/fs/bpf/vosfp-harden-input-files
host="hiin$$h" peer="hiin$$p"
daemon_pid=""

gone() { ! kill -0 "$1" 2>/dev/null; }
cleanup() {
	# A daemon stuck in open() of a FIFO (the bug this test is about) never reads its SIGTERM.
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait_for 5 gone "$daemon_pid" || kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	remove_agent_state "$work/base.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$agent" ] || { fail "$agent not built (make)"; exit 1; }
[ ! -e "$pin" ] || { fail "$pin exists: another run of this test, or leftovers (vosfp-agent --down)"; exit 1; }

head="version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces: []"
mkfifo "$work/fifo"
mkdir "$work/dir"
printf '198.19.160.1\n' >"$work/good.txt"

# refused LABEL PATTERN ARGS...: the agent exits 2 within 10 s (a wait on a FIFO would be killed
# by timeout: 124) and says PATTERN on stderr.
refused() {
	local label=$1 pattern=$2 out rc
	shift 2
	out=$(timeout 10 "$agent" "$@" 2>&1)
	rc=$?
	[ "$rc" -eq 2 ] && grep -qE -- "$pattern" <<<"$out" && pass "$label" || fail "$label: exit $rc: $out"
}

# --- FIFOs, devices, directories where a file is expected -----------------------------------------
for what in fifo /dev/zero dir; do
	case $what in
	fifo) path="$work/fifo" kind="a FIFO" ;;
	/dev/zero) path=/dev/zero kind="a character device" ;;
	dir) path="$work/dir" kind="a directory" ;;
	esac
	refused "$kind as the config: exit 2 at once" "cannot read the config: $kind" --dry-run -c "$path"
	printf '%s\nblocklist:\n  files: [good.txt, %s]\n' "$head" "$path" >"$work/list.yaml"
	refused "$kind as a list file: exit 2 at once, at the config line" \
		"list.yaml:6: blocklist.files\[1\]: '$path': cannot open list file: $kind.*not a regular file" --dry-run -c "$work/list.yaml"
	printf '%s\ninterface_files: [%s]\n' "$head" "$path" >"$work/iface.yaml"
	refused "$kind as an interface file: exit 2 at once, at the config line" \
		"iface.yaml:5: interface_files\[0\]: '$path': cannot read interface file: $kind.*not a regular file" --dry-run -c "$work/iface.yaml"
	refused "$kind as a list file for --check-list: exit 2 at once" "^$path: cannot open list file: $kind" --check-list "$path"
done

# --- a running daemon told to read a FIFO keeps its policy and keeps serving -----------------------
ip link add "$host" type veth peer name "$peer" && ip link set "$host" up && ip link set "$peer" up ||
	{ fail "cannot create the veth pair"; exit 1; }
port=$(python3 "$client" free-port)
config() {	# config LIST-FILE: the daemon's config, written atomically
	printf '%s\n  - name: %s\n    xdp_mode: [native, generic]\nblocklist:\n  files: [%s]\nmetrics:\n  listen: 127.0.0.1:%s\n' \
		"${head%\[\]}" "$host" "$1" "$port" >"$work/base.yaml.tmp" && mv "$work/base.yaml.tmp" "$work/base.yaml"
}
config good.txt
"$agent" -c "$work/base.yaml" 2>"$work/daemon.log" &
daemon_pid=$!
wait_for 20 pinned_has_v4 "$pin" blocked_ips 198.19.160.1 && pass "daemon up with good.txt applied" ||
	fail "daemon did not apply good.txt: $(tail -n 3 "$work/daemon.log")"
config fifo
wait_for 10 grep -q "base.yaml:8: blocklist.files\[0\]: '$work/fifo': cannot open list file: a FIFO" "$work/daemon.log" &&
	pass "daemon: a reload naming a FIFO is refused at the config line" || fail "daemon: $(tail -n 3 "$work/daemon.log")"
timeout 10 python3 "$client" scrape "127.0.0.1:$port" "$work/scrape" && grep -q '^vosfp_reloads_total{result="failed"} 1' "$work/scrape" &&
	pass "daemon: GET /metrics answered after the FIFO reload, which it counts as failed" ||
	fail "daemon: no scrape after the FIFO reload: $(head -c 300 "$work/scrape" 2>/dev/null)"
pinned_has_v4 "$pin" blocked_ips 198.19.160.1 && kill -0 "$daemon_pid" &&
	pass "daemon: still running, the last good blocklist still pinned" || fail "daemon: policy or process lost"

exit $test_status
