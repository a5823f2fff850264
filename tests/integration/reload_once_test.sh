#!/usr/bin/env bash
# reload_once_test.sh - one reconcile per real change: a daemon started right after its config and
# list were renamed into place (what editors, scripts and installers do) reconciles once at start,
# never a second time "because a file changed while it was being read", and once per later edit.
# Repeated, because the spurious reload this guards against came from a clock race (a config's
# ctime stamped by a finer clock than the window the agent compared it with). No interface: the
# agent's log and the pinned blocked_ips map are the evidence.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh disable=SC1091 # followed with -x
. "$(dirname "$(readlink -f "$0")")/lib.sh"

case "${1:-}" in
-h | --help) echo "usage: $0 [ROUNDS]  (root; runs build/vosfp-agent against its own pin path)"; exit 0 ;;
"" | [0-9]*) ;;
*) echo "usage: $0 [ROUNDS]" >&2; exit 2 ;;
esac
rounds=${1:-12}
require_root "daemon reconciles"

agent="$VOSFP_ROOT/build/vosfp-agent"
pin="/sys/fs/bpf/vosfp-reloadonce-$$"
work=$(mktemp -d /tmp/vosfp-reload-once-test.XXXXXX)
agent_pid=""

stop_agent() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	agent_pid=""
}
cleanup() {
	stop_agent
	remove_agent_state "$work/vosfp.yaml" "$pin"
	rm -rf "$work"
}
trap cleanup EXIT
[ -x "$agent" ] || { fail "$agent not built (make)"; exit 1; }
[ ! -e "$pin" ] || { fail "$pin already exists: leftovers of another run (vosfp-agent --down)"; exit 1; }

# Everything renamed into place, as an editor or a policy script writes it.
put() { printf '%s\n' "$2" >"$1.tmp" && mv "$1.tmp" "$1"; }
reconciles() { grep -cE "reconciled in|no change:" "$work/agent.log"; }
reconciles_are() { [ "$(reconciles)" -eq "$1" ]; }
blocked() { pinned_has_v4 "$pin" blocked_ips "$1"; }

spurious=0 extra=0 missed=0
for round in $(seq 1 "$rounds"); do
	put "$work/blocked.txt" "198.19.159.$round"
	put "$work/vosfp.yaml" "$(config_head "$pin" | sed 's/^interfaces:$/interfaces: []/'
		printf 'blocklist:\n  files: [%s]\n' "$work/blocked.txt")"
	"$agent" -v -c "$work/vosfp.yaml" 2>"$work/agent.log" &
	agent_pid=$!
	if ! wait_for 20 blocked "198.19.159.$round"; then
		fail "round $round: the start did not apply the list: $(cat "$work/agent.log")"
		break
	fi
	# A real change: its reconcile is the event to wait for. A spurious reload after the start
	# would come before it (it is immediate) and show as one reconcile too many.
	put "$work/blocked.txt" "198.19.158.$round"
	wait_for 20 blocked "198.19.158.$round" || missed=$((missed + 1))
	wait_for 20 reconciles_are 2
	grep -q "changed while it was being read" "$work/agent.log" && spurious=$((spurious + 1))
	[ "$(reconciles)" -eq 2 ] || extra=$((extra + 1))
	stop_agent
	[ "$round" -lt "$rounds" ] || cp "$work/agent.log" "$work/last.log"
done

[ "$missed" -eq 0 ] && pass "$rounds starts right after a rename: each later edit applied" ||
	fail "$missed of $rounds edits after the start not applied"
[ "$spurious" -eq 0 ] && pass "no start saw 'a file changed while it was being read' ($rounds starts)" ||
	fail "$spurious of $rounds starts reloaded 'because a file changed while it was being read'"
[ "$extra" -eq 0 ] && pass "exactly 2 reconciles per round: the start and the one real edit ($rounds rounds)" ||
	fail "$extra of $rounds rounds had a reconcile count other than 2; last log: $(cat "$work/agent.log")"
exit "$test_status"
