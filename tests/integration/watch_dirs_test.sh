#!/usr/bin/env bash
# watch_dirs_test.sh - the real agent follows a list file into existence: its directory (two
# levels) missing at start, then made and filled in one command, later edited, removed and made
# again, each seen through inotify alone (no SIGHUP), the "does not exist yet" line logged once per
# disappearance. No interface: the pinned blocked_ips map is the evidence. Names and pins are this
# test's own; everything is removed on exit.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh disable=SC1091 # followed with -x
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	echo "usage: $0  (root; runs build/vosfp-agent against its own pin path)" >&2
}
case "${1:-}" in
-h | --help) usage; exit 0 ;;
"") ;;
*) usage; exit 2 ;;
esac
require_root "watching directories that do not exist yet"

agent="$VOSFP_ROOT/build/vosfp-agent"
pin="/sys/fs/bpf/vosfp-watchdirs-$$"
work=$(mktemp -d /tmp/vosfp-watchdirs-test.XXXXXX)
agent_pid=""
# Relative to $work, where the agent runs: relative paths are watched too, from ".".
listdir=state/lists
list="$listdir/blocked.txt"
# An optional file under a directory missing right below "/": awaited from "/" itself. The name is
# unique and nothing ever creates it.
rootmiss="/vosfp-watchdirs-absent-$$/lists/blocked.txt"

cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	remove_agent_state "$work/vosfp.yaml" "$pin"
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${VOSFP_KEEP_LOG:-}" ] && trap 'cp "$work/agent.log" /tmp/watch-dirs-agent.log; cleanup' EXIT

[ -x "$agent" ] || { fail "$agent not built (make)"; exit 1; }
if [ -e "$pin" ]; then
	fail "$pin already exists: leftovers of another run (vosfp-agent --down)"
	exit 1
fi

{
	config_head "$pin" | sed 's/^interfaces:$/interfaces: []/'
	printf 'blocklist:\n  optional_files: [%s, %s]\n' "$list" "$rootmiss"
} >"$work/vosfp.yaml"

reconciles() { grep -cE "reconciled in|no change:" "$work/agent.log" 2>/dev/null; }
more_reconciles_than() { [ "$(reconciles)" -gt "$1" ]; }
blocked() { pinned_has_v4 "$pin" blocked_ips "$1"; }
not_blocked() { ! blocked "$1"; }
awaited() { grep -c "$listdir does not exist yet; watching " "$work/agent.log"; }

# hup: a reload the file system did not ask for; returns once it is done.
hup() {
	local before
	before=$(reconciles)
	kill -HUP "$agent_pid"
	wait_for 10 more_reconciles_than "$before"
}

# --- start with the list's directory two levels missing --------------------------------------
(cd "$work" && exec "$agent" -c vosfp.yaml 2>>"$work/agent.log") &
agent_pid=$!
wait_for 10 more_reconciles_than 0 || { fail "agent did not come up: $(tail -5 "$work/agent.log")"; exit 1; }
pass "agent started with $list absent (optional) and its directory two levels missing"
grep -q "$listdir does not exist yet; watching . for it" "$work/agent.log" &&
	pass "log: $listdir awaited from its deepest existing ancestor (.)" ||
	fail "log: 'does not exist yet' for $listdir $(awaited) times: $(tail -5 "$work/agent.log")"
grep -q "/vosfp-watchdirs-absent-$$/lists does not exist yet; watching / for it" "$work/agent.log" &&
	pass "a directory missing right below / is awaited from /" ||
	fail "no ancestor watch on /: $(grep -i "watch" "$work/agent.log" | tail -3)"
hup && hup && [ "$(awaited)" -eq 1 ] && pass "two reloads while it is still missing: logged once" ||
	fail "'does not exist yet' logged $(awaited) times after two reloads"

# --- (1) directory and file made in one command --------------------------------------------
(cd "$work" && mkdir -p "$listdir" && printf '198.18.40.1\n' >"$list")
wait_for 20 blocked 198.18.40.1 && pass "(1) mkdir -p + write in one go: entry applied without SIGHUP" ||
	fail "(1) 198.18.40.1 not in blocked_ips: $(tail -3 "$work/agent.log")"

# --- (2) the directory has its own watch now --------------------------------------------------
printf '198.18.40.1\n198.18.40.2\n' >"$work/$list"
wait_for 20 blocked 198.18.40.2 && pass "(2) a later edit in the new directory applied" ||
	fail "(2) 198.18.40.2 not in blocked_ips: $(tail -3 "$work/agent.log")"

# --- (3) the directory removed, then made again -------------------------------------------------
rm -r "${work:?}/$listdir"
wait_for 20 not_blocked 198.18.40.2 && not_blocked 198.18.40.1 &&
	pass "(3) directory removed: the optional file's entries went" ||
	fail "(3) entries of the removed file still in blocked_ips"
hup && [ "$(awaited)" -eq 2 ] && pass "(4) removed again: logged once more, not per reload" ||
	fail "(4) 'does not exist yet' logged $(awaited) times (expected 2)"
(cd "$work" && mkdir "$listdir" && printf '198.18.40.3\n' >"$list")
wait_for 20 blocked 198.18.40.3 && pass "(3) directory made again with a new entry: applied" ||
	fail "(3) 198.18.40.3 not in blocked_ips: $(tail -3 "$work/agent.log")"

# --- the file removed first and its (now empty) directory later, in separate reloads: the
# directory's own watch goes with it, and the set falls back to its parent -------------------------
before=$(reconciles)
rm "$work/$list"
wait_for 20 not_blocked 198.18.40.3 || fail "removed file: 198.18.40.3 still blocked"
# The map changes before the reload re-arms its watches; the directory goes after its log line.
wait_for 20 more_reconciles_than "$before"
rmdir "$work/$listdir"
awaited_is() { [ "$(awaited)" -eq "$1" ]; }
wait_for 20 awaited_is 3 && pass "an empty directory removed on its own reloads, and is awaited again" ||
	fail "removing $listdir alone went unnoticed: $(tail -3 "$work/agent.log")"
(cd "$work" && mkdir "$listdir" && printf '198.18.40.4\n' >"$list")
wait_for 20 blocked 198.18.40.4 && pass "...and made again later: applied" ||
	fail "198.18.40.4 not in blocked_ips: $(tail -3 "$work/agent.log")"

# --- one level at a time, each past the debounce: every step reloads and the watch goes deeper ---
rm -r "${work:?}/state"
wait_for 20 not_blocked 198.18.40.4 || fail "removed tree: 198.18.40.4 still blocked"
before=$(reconciles)
mkdir "$work/state"
wait_for 20 more_reconciles_than "$before"	# each level's reload is the event to wait for
before=$(reconciles)
mkdir "$work/$listdir"
wait_for 20 more_reconciles_than "$before"
printf '198.18.40.5\n' >"$work/$list"
wait_for 20 blocked 198.18.40.5 && pass "made one level at a time, each after a reload: applied" ||
	fail "198.18.40.5 not in blocked_ips: $(tail -3 "$work/agent.log")"
[ "$(awaited)" -eq 4 ] && pass "(4) four disappearances, four 'does not exist yet' lines" ||
	fail "(4) 'does not exist yet' logged $(awaited) times (expected 4)"

# --- removed and made again, the steps spaced around the 100 ms debounce so that reloads land
# between them: whatever step a reload's watches are armed in, nothing made is lost ---------------
missed=""
rounds=0
for gap in 0 0.05 0.09 0.1 0.11 0.15 0.2 0.03; do
	rounds=$((rounds + 1))
	addr="198.18.40.$((10 + rounds))"
	rm -r "${work:?}/state"
	mkdir "$work/state"
	sleep "$gap"
	mkdir "$work/$listdir"
	sleep "$gap"
	printf '%s\n' "$addr" >"$work/$list.tmp"
	sleep "$gap"
	mv "$work/$list.tmp" "$work/$list"
	wait_for 20 blocked "$addr" || missed="$missed $addr(gap $gap)"
done
[ -z "$missed" ] && pass "$rounds rounds of remove and re-create, steps 0-200 ms apart: every entry applied" ||
	fail "entries never applied:$missed"
grep -q "cannot watch" "$work/agent.log" &&
	fail "a watch warning: $(grep "cannot watch" "$work/agent.log" | head -2)" ||
	pass "no 'cannot watch ... need SIGHUP' warning"
kill -0 "$agent_pid" && pass "agent still running" || fail "agent died: $(tail -3 "$work/agent.log")"

exit "${test_status:-1}"	# lib.sh sets it; unset, the test did not run
