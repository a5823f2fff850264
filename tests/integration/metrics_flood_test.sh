#!/usr/bin/env bash
# metrics_flood_test.sh - the agent's /metrics endpoint keeps answering a real scraper
# (tests/lib/metrics_client.py: urllib, 5 s timeouts) while a flood (tests/lib/metrics_flood.py)
# holds connections to it: 1,000 idle connections from the scraper's own address, 1,000 half-sent
# requests (slowloris) from another, 1,000 idle connections reopened as fast as the agent closes
# them; and, with the agent limited to 128 descriptors, a list edit is still applied while a flood
# holds every slot it may use. Before the endpoint always accepted, a scrape waited 20 s behind
# 1,000 idle connections: the 5 s timeouts separate "answered" from "starved until the idle
# clients time out" (no slot can free before the 5 s client deadline).
# The real daemon on loopback with no interfaces (it filters nothing); its own pin path, work
# directory and processes, all removed however it exits; every flood is bounded (1,000
# connections, 60 s) and all its sockets are closed before the next case.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "metrics endpoint under connection floods"

agent="$VOSFP_ROOT/build/vosfp-agent"
client="$VOSFP_ROOT/tests/lib/metrics_client.py"
flood_tool="$VOSFP_ROOT/tests/lib/metrics_flood.py"
work=$(mktemp -d /tmp/vosfp-metrics-flood.XXXXXX)
pin=/sys/fs/bpf/vosfp-metrics-flood-$$
config="$work/vosfp.yaml" blocked="$work/blocked.txt"
daemon_pid="" flood_pid=""

stop_flood() {
	[ -n "$flood_pid" ] || return 0
	kill "$flood_pid" 2>/dev/null
	wait "$flood_pid" 2>/dev/null
	flood_pid=""
}
stop_daemon() {
	[ -n "$daemon_pid" ] || return 0
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=""
}
cleanup() {
	stop_flood
	stop_daemon
	remove_agent_state "$config" "$pin"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM	# bash runs the EXIT trap on a signal only through exit

command -v python3 >/dev/null || { fail "python3 is not installed (scripts/install-deps.sh installs it)"; exit 1; }
command -v prlimit >/dev/null || { fail "prlimit is not installed (util-linux)"; exit 1; }
port=$(python3 "$client" free-port 18200 18299) || { fail "no free port: $port"; exit 1; }
printf '# metrics flood test\n198.18.0.5\n' >"$blocked"
cat >"$config" <<CFG
version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces: []
blocklist:
  files: [$blocked]
metrics:
  listen: "127.0.0.1:$port"
CFG

scrape() { python3 "$client" scrape "127.0.0.1:$port" "$work/scrape.txt" >"$work/scrape.err"; }
# start_daemon [PRLIMIT_ARGS...]: the agent, serving /metrics (bounded wait).
start_daemon() {
	prlimit "$@" -- "$agent" -c "$config" 2>>"$work/agent.log" &
	daemon_pid=$!
	wait_for 15 scrape || { fail "the agent does not serve /metrics: $(cat "$work/scrape.err"); log: $(tail -5 "$work/agent.log")"; exit 1; }
}
# The slots the agent may fill: METRICS_CLIENTS_MAX (256), at most a quarter of its descriptors.
slots() {
	local soft
	soft=$(awk '/^Max open files/ { print $4 }' "/proc/$daemon_pid/limits")
	echo $((soft / 4 < 256 ? soft / 4 : 256))
}
# Connections the agent has accepted (not the ones waiting in its backlog, which have no owner).
agent_connections() { ss -Htnp state established "( sport = :$port )" | grep -c "pid=$daemon_pid,"; }
agent_holds() { [ "$(agent_connections)" -ge "$1" ]; }
# start_flood ARGS...: a flood in the background, waited for until its connections are open.
start_flood() {
	rm -f "$work/ready"
	python3 "$flood_tool" "127.0.0.1:$port" --hold 60 --ready "$work/ready" "$@" >"$work/flood.out" 2>&1 &
	flood_pid=$!
	wait_for 15 test -e "$work/ready" || fail "the flood did not start: $(cat "$work/flood.out")"
}
# flood_case LABEL FLOOD_ARGS...: the scrape is answered while the flood holds the agent's slots;
# then the flood ends, every socket of it is closed, and the agent lets go of every connection.
flood_case() {
	local label=$1 n
	shift
	start_flood "$@"
	n=$(slots)
	# Idle connections reach the agent once the kernel stops deferring them (a second).
	wait_for 10 agent_holds "$n" && pass "$label: the flood holds all $n slots of the agent" ||
		fail "$label: the agent holds $(agent_connections) connections, expected $n; flood: $(cat "$work/flood.out")"
	if scrape; then
		kill -0 "$flood_pid" 2>/dev/null && pass "$label: a scrape is answered while the flood holds its connections" ||
			fail "$label: the flood was gone before the scrape: $(cat "$work/flood.out")"
	else
		fail "$label: the scrape was not answered: $(cat "$work/scrape.err"); flood: $(cat "$work/flood.out")"
	fi
	stop_flood
	grep -q "all [0-9]* closed here" "$work/flood.out" && pass "$label: the flood closed all its sockets" ||
		fail "$label: flood: $(cat "$work/flood.out")"
	wait_for 8 agent_holds_none && pass "$label: the agent holds no connection after the flood" ||
		fail "$label: the agent still holds $(agent_connections) connections"
}
agent_holds_none() { [ "$(agent_connections)" -eq 0 ]; }

start_daemon
pass "the agent serves /metrics on 127.0.0.1:$port"
flood_case "1,000 idle connections from the scraper's own address" --idle 1000
flood_case "1,000 half-sent requests (a byte a second) from 127.0.0.2" --partial 1000 --source 127.0.0.2

# The same, reopened as fast as the agent closes them: three scrapes, each answered.
label="1,000 idle connections reopened as they are closed, from the scraper's address"
start_flood --idle 1000 --reconnect
wait_for 10 agent_holds "$(slots)" && wait_for 10 grep -q "reopened so far" "$work/flood.out" &&
	pass "$label: the agent closes connections to make room, the flood reopens them" ||
	fail "$label: the agent holds $(agent_connections) connections; flood: $(cat "$work/flood.out")"
answered=0
for _ in 1 2 3; do scrape && answered=$((answered + 1)); done
[ "$answered" = 3 ] && pass "$label: 3 of 3 scrapes answered" ||
	fail "$label: $answered of 3 scrapes answered: $(cat "$work/scrape.err")"
stop_flood
grep -q "closed before their deadline to make room" "$work/agent.log" && pass "$label: the agent logged the evictions" ||
	fail "$label: no eviction logged: $(tail -3 "$work/agent.log")"

# Few descriptors: the flood gets a quarter of them, a reload still finds what it needs.
stop_daemon
start_daemon --nofile=128:128
label="agent limited to 128 descriptors"
start_flood --idle 1000 --source 127.0.0.3
n=$(slots)
wait_for 10 agent_holds "$n" && pass "$label: the flood holds all $n slots (a quarter)" ||
	fail "$label: the agent holds $(agent_connections), expected $n"
printf '# metrics flood test\n198.18.0.5\n198.18.0.7\n' >"$blocked.tmp" && mv "$blocked.tmp" "$blocked"
wait_for 10 pinned_has_v4 "$pin" blocked_ips 198.18.0.7 && pass "$label: a list edit is applied during the flood" ||
	fail "$label: the list edit was not applied: $(tail -5 "$work/agent.log")"
scrape && pass "$label: a scrape is answered during the flood" || fail "$label: scrape: $(cat "$work/scrape.err")"
stop_flood
! grep -q "out of file descriptors\|Too many open files" "$work/agent.log" && pass "$label: the agent never ran out of descriptors" ||
	fail "$label: $(grep "out of file descriptors\|Too many open files" "$work/agent.log" | head -3)"

exit "$test_status"
