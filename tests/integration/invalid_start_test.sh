#!/usr/bin/env bash
# invalid_start_test.sh - the agent started on an invalid config while a policy is pinned (what an
# upgrade's restart meets when the operator left a broken /etc/vosfp.yaml): it reports file:line,
# changes nothing (same program, same maps, the blocked source still dropped), keeps running, and
# applies the first valid edit of the list file or of the config; SIGTERM while it waits exits 0
# and leaves the policy in place. Names, addresses (198.19.168.0/24) and pins are this test's own.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for, trap
set -uo pipefail
# shellcheck source=tests/integration/lib.sh disable=SC1091 # followed with -x
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	echo "usage: $0  (root; runs build/vosfp-agent on a veth pair of its own)" >&2
}
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) usage; exit 2 ;;
esac
require_root "the agent started on an invalid config"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-deb-invalid-start.XXXXXX)
pin="/sys/fs/bpf/vosfp-deb-inv-$$"
ns="vosfp-deb-inv-$$" edge="vosfp-deb-inve-$$" host="debinv$$h" peer="debinv$$p"
agent_pid=""
C_BLOCKED=3

cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	# The config may be the broken one: --down needs a readable one for the pin path.
	config_head "$pin" >"$work/down.yaml"
	remove_agent_state "$work/down.yaml" "$pin"	# unpinning the links detaches them, any namespace
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

for f in "$agent" "$udp_send"; do
	[ -x "$f" ] || { fail "$f not built (make)"; exit 1; }
done
# The agent's side (XDP here) and the peers' side, each in a namespace of its own.
new_netns "$ns" && new_netns "$edge" || { fail "cannot create namespaces"; exit 1; }
ip -n "$edge" link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip -n "$edge" addr add 198.19.168.1/24 dev "$host"
ip -n "$edge" link set "$host" up
for i in 2 3 4; do ip -n "$ns" addr add "198.19.168.$i/24" dev "$peer"; done
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add 198.19.168.1 lladdr "$(ip -n "$edge" -br link show dev "$host" | awk '{ print $3 }')" dev "$peer" nud permanent
# The agent in the edge namespace, with the host's bpf filesystem (ip netns exec would remount /sys).
in_edge() { exec nsenter --net="/run/netns/$edge" "$@"; }

REGISTER='REGISTER sip:198.19.168.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.168.2:5060\r\nContent-Length: 0\r\n\r\n'

write_config() {	# write_config [EXTRA-YAML-LINE]: temp + rename, as an editor does
	{
		config_head "$pin" "$host"
		printf 'blocklist:\n  files: [block.txt]\n%s' "${1:-}"
	} >"$work/vosfp.yaml.tmp"
	mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
}

# dropped LABEL SRC COUNT: COUNT datagrams from SRC move the BLOCKED counter by exactly COUNT.
dropped() {
	local want=$(($(pinned_counter "$pin" $C_BLOCKED) + $3))
	ip netns exec "$ns" "$udp_send" -s "$2" 198.19.168.1 5060 "$REGISTER" "$3"
	wait_for 3 test "$(pinned_counter "$pin" $C_BLOCKED)" -eq "$want"
	[ "$(pinned_counter "$pin" $C_BLOCKED)" -eq "$want" ] && pass "$1" ||
		fail "$1: BLOCKED $(pinned_counter "$pin" $C_BLOCKED), expected $want"
}

blocked() { pinned_has_v4 "$pin" blocked_ips "$1"; }
logged() { grep -q -- "$1" "$work/agent.log"; }
pinned_state() {	# the program on the interface and the blocklist map's keys
	xdp_prog_id "$edge" "$host"
	"$BPFTOOL" map dump pinned "$pin/blocked_ips" 2>/dev/null | grep -c '"key"'
}

# start_waiting LABEL: start the daemon on the (broken) config; it must log the wait and stay up.
start_waiting() {
	: >"$work/agent.log"
	(cd "$work" && in_edge "$agent" -c vosfp.yaml 2>>"$work/agent.log") &
	agent_pid=$!
	if wait_for 5 logged "invalid at start" && kill -0 "$agent_pid" 2>/dev/null; then
		pass "$1: the agent says so and keeps running"
	else
		fail "$1: agent $(kill -0 "$agent_pid" 2>/dev/null && echo running || echo exited): $(tail -3 "$work/agent.log")"
	fi
}

# --- a policy in force: 198.19.168.2 blocked, pinned by a first agent run ----------------------
printf '198.19.168.2\n' >"$work/block.txt"
write_config
if ! (cd "$work" && in_edge "$agent" --once -c vosfp.yaml 2>"$work/once.log"); then
	fail "first reconcile: $(cat "$work/once.log")"
	exit 1
fi
before=$(pinned_state)
dropped "policy in force: blocked source dropped" 198.19.168.2 20

# --- 1. a bad line in a list file -------------------------------------------------------------
printf '198.19.168.2\n198.19.168.3/8\n' >"$work/block.txt"
start_waiting "started with a bad list line"
logged "block.txt:2: '198.19.168.3/8' has host bits set" && pass "the bad line is reported as file:line" ||
	fail "no file:line for the bad line: $(head -3 "$work/agent.log")"
[ "$(pinned_state)" = "$before" ] && pass "nothing changed: same program id, same blocklist ($(tr '\n' ' ' <<<"$before"))" ||
	fail "pinned state changed: $(tr '\n' ' ' <<<"$before") -> $(pinned_state | tr '\n' ' ')"
dropped "the running policy still drops the blocked source" 198.19.168.2 30
out=$("$agent" --down -c "$work/vosfp.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "a vosfp-agent daemon (pid $agent_pid) runs on $pin" <<<"$out" && [ "$(pinned_state)" = "$before" ] &&
	pass "--down while the agent waits for a valid edit: refused, names it, nothing removed" ||
	fail "--down beside the waiting agent: $out"
printf '198.19.168.2\n198.19.168.3\n' >"$work/block.txt"
wait_for 5 blocked 198.19.168.3 && pass "the fixed list file is applied without a restart or SIGHUP" ||
	fail "the fix was not applied: $(tail -3 "$work/agent.log")"
dropped "the fixed policy drops the new entry" 198.19.168.3 10
[ "$(xdp_prog_id "$edge" "$host")" = "$(head -n 1 <<<"$before")" ] && pass "same program throughout" ||
	fail "program replaced: $(head -n 1 <<<"$before") -> $(xdp_prog_id "$edge" "$host")"
kill -TERM "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=""
[ "$rc" -eq 0 ] && pass "SIGTERM after the fix: exit 0" || fail "SIGTERM after the fix: exit $rc"

# --- 2. the config itself is not YAML ---------------------------------------------------------
before=$(pinned_state)
printf 'version: 1\ninterfaces: [\n' >"$work/vosfp.yaml"
start_waiting "started with a config that is not YAML"
logged "vosfp.yaml:2: not valid YAML" && pass "the broken config is reported as file:line" ||
	fail "no file:line for the broken config: $(head -3 "$work/agent.log")"
[ "$(pinned_state)" = "$before" ] && pass "nothing changed while waiting" ||
	fail "pinned state changed while waiting: $(pinned_state | tr '\n' ' ')"
dropped "both blocked sources still dropped" 198.19.168.3 10

# --- 3. SIGTERM while waiting: exit 0, the policy stays -----------------------------------------
kill -TERM "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=""
[ "$rc" -eq 0 ] && logged "exiting; filtering stays in place" && pass "SIGTERM while waiting: exit 0, filtering stays" ||
	fail "SIGTERM while waiting: exit $rc: $(tail -2 "$work/agent.log")"
[ "$(pinned_state)" = "$before" ] && pass "the policy is still pinned after the waiting agent left" ||
	fail "pinned state changed: $(pinned_state | tr '\n' ' ')"

# --- 4. the config fixed while it waits: applied ------------------------------------------------
start_waiting "started again on the broken config"
write_config '  addresses: [198.19.168.4]
'
wait_for 5 blocked 198.19.168.4 && pass "the fixed config is applied without a restart" ||
	fail "fixed config not applied: $(tail -3 "$work/agent.log")"
dropped "the fixed config's new entry is dropped" 198.19.168.4 10
exit $test_status
