#!/usr/bin/env bash
# sanitized_agent_test.sh - every mode of the agent built with ASan+UBSan (build/san/vosfp-agent,
# every finding fatal) against live pins: --once, --dry-run, --stats, --stats --json, the daemon
# (reload on a list edit and on SIGHUP, GET /metrics, SIGTERM), --check-list and --down, once with a
# config that has no scanners section (an empty scanner_tokens map: qsort(NULL, 0) in
# read_scanners before) and once with every section (lists of both families, an interface file,
# rate limit, a restored auto-block, scanners), and a daemon that waits for an interface made after
# it started. A mode passes on its exit code and a stderr with no sanitizer report. Its own pin
# path, veth pairs and processes, removed however it exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; cleanup called through the trap
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "sanitized agent against live pins"

agent="$VOSFP_ROOT/build/san/vosfp-agent"
client="$VOSFP_ROOT/tests/lib/metrics_client.py"
work=$(mktemp -d /tmp/vosfp-harden-input-san.XXXXXX)
pin=/sys/fs/bpf/vosfp-harden-input-san
host="hisan$$h" peer="hisan$$p" late="hisan$$w"
daemon_pid=""

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	remove_agent_state "$work/plain.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	ip link del "$late" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

[ -x "$agent" ] || { fail "$agent not built (make build-tests)"; exit 1; }
[ ! -e "$pin" ] || { fail "$pin exists: another run of this test, or leftovers (vosfp-agent --down)"; exit 1; }
ip link add "$host" type veth peer name "$peer" && ip link set "$host" up && ip link set "$peer" up ||
	{ fail "cannot create the veth pair"; exit 1; }
# Leaks are findings too; a UBSan report aborts (exit code and stack on stderr).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1

head="version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces:
  - name: $host
    xdp_mode: [native, generic]"
port=$(python3 "$client" free-port)
printf '%s\nmetrics:\n  listen: 127.0.0.1:%s\n' "$head" "$port" >"$work/plain.yaml"
printf '198.19.160.9\n2001:db8:a0::/48\n198.19.161.0/24\n' >"$work/block.txt"
printf '%s generic\n' "$peer" >"$work/ifaces.txt"
mkdir "$work/state"
# A live auto-block to restore, a line that does not parse and (repeat offenders) an expired
# one kept for its history.
printf '198.19.160.50 %s rate limit INVITE\nnot-an-address 1 x\n198.19.160.51 %s auth-failures repeat=2\n' \
	"$(($(date +%s) + 600))" "$(($(date +%s) - 60))" >"$work/state/blocked.txt"
cat >"$work/full.yaml" <<CFG
$head
interface_files: [ifaces.txt]
allowlist:
  addresses: [198.19.162.1, "2001:db8:a1::1"]
blocklist:
  addresses: [198.19.160.7]
  files: [block.txt]
  optional_files: [absent.txt]
rate_limit:
  rate: 5
auto_block:
  persist_file: state/blocked.txt
  repeat: {}
answers: {}
scanners: {}
metrics:
  listen: 127.0.0.1:$port
CFG

# clean LABEL WANT_RC RC: the mode exited WANT_RC and its stderr ($work/err) has no sanitizer report.
clean() {
	if [ "$3" -eq "$2" ] && ! grep -qE "runtime error|Sanitizer|SUMMARY:" "$work/err"; then
		pass "$1"
	else
		fail "$1: exit $3 (expected $2): $(grep -m 3 -E "runtime error|Sanitizer|SUMMARY|error" "$work/err")"
	fi
}

modes() {	# modes CONFIG: every mode but the daemon and --down against the config's live pins
	local cfg=$1 name
	name=$(basename "$cfg" .yaml)
	"$agent" --once -c "$cfg" 2>"$work/err"; clean "$name: --once" 0 $?
	cp "$work/err" "$work/once-$name.err"
	"$agent" --dry-run -c "$cfg" >/dev/null 2>"$work/err"; clean "$name: --dry-run against live pins" 0 $?
	"$agent" --stats -c "$cfg" >/dev/null 2>"$work/err"; clean "$name: --stats" 0 $?
	"$agent" --stats --json -c "$cfg" >/dev/null 2>"$work/err"; clean "$name: --stats --json" 0 $?
}

daemon() {	# daemon CONFIG: reconcile, scrape, edit a list, SIGHUP, scrape, SIGTERM
	local cfg=$1 name log="$work/daemon.log" rc
	name=$(basename "$cfg" .yaml)
	: >"$log"
	"$agent" -c "$cfg" 2>"$log" &
	daemon_pid=$!
	wait_for 20 python3 "$client" scrape "127.0.0.1:$port" "$work/scrape" ||
		fail "$name: daemon: no /metrics: $(tail -n 3 "$log")"
	if grep -q block.txt "$cfg"; then
		printf '198.19.160.10\n' >>"$work/block.txt"
		wait_for 20 grep -q "reload: block.txt changed" "$log" || fail "$name: daemon: the edit was not seen"
	fi
	kill -HUP "$daemon_pid"
	wait_for 20 grep -q "reload: SIGHUP" "$log" || fail "$name: daemon: SIGHUP not seen"
	python3 "$client" scrape "127.0.0.1:$port" "$work/scrape" || fail "$name: daemon: no /metrics after the reloads"
	kill -TERM "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	daemon_pid=""
	cp "$log" "$work/err"
	clean "$name: daemon (reconcile, edit, SIGHUP, two scrapes, SIGTERM)" 0 $rc
}

modes "$work/plain.yaml"
daemon "$work/plain.yaml"
modes "$work/full.yaml"
daemon "$work/full.yaml"
grep -q "auto-block: restored 1 of 1 live entry" "$work/err" && grep -q "restored the repeat history of 1 source from" "$work/err" &&
	grep -q "$peer: attached" "$work/once-full.err" &&
	pass "full: the daemon restored the auto-block and the repeat history, attached the interface file's interface" ||
	fail "full: daemon log: $(head -n 5 "$work/err")"
# The daemon waiting for a declared interface that does not exist yet, then attaching it.
printf '%s\n  - name: %s\n' "$head" "$late" >"$work/late.yaml"
"$agent" -c "$work/late.yaml" 2>"$work/late.log" &
daemon_pid=$!
wait_for 20 grep -q "waiting for $late to exist" "$work/late.log" || fail "late: the daemon does not wait: $(tail -n 3 "$work/late.log")"
ip link add "$late" type veth peer name "${late}p" && ip link set "$late" up
wait_for 20 grep -q "$late: attached" "$work/late.log" || fail "late: not attached: $(tail -n 3 "$work/late.log")"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
rc=$?
daemon_pid=""
cp "$work/late.log" "$work/err"
clean "late: the daemon waits for a missing interface, attaches it once made, exits on SIGTERM" 0 $rc
"$agent" --check-list --canonical "$work/block.txt" >/dev/null 2>"$work/err"; clean "--check-list --canonical" 0 $?
"$agent" --down -c "$work/full.yaml" 2>"$work/err"; clean "--down" 0 $?
[ ! -e "$pin" ] && pass "--down removed $pin" || fail "--down left $pin"

exit $test_status
