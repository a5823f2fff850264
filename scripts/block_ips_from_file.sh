#!/usr/bin/env bash
# block_ips_from_file.sh - block every address or CIDR listed in a file, persistently, with one
# reconcile for the whole file: the valid lines go into the blocklist state file the config names.
# Never one process per line, never a map write from here.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] <file>
Block every source listed in <file>: one IPv4, IPv6 or CIDR per line, '#' comments and blank
lines ignored (the list-file format of the config). Valid entries are added (canonical, without
duplicates) to $VOSFP_BLOCK_FILE (\$VOSFP_BLOCK_FILE), which $VOSFP_CONFIG (\$VOSFP_CONFIG)
must name under blocklist.optional_files, then ONE vosfp-agent --once applies them all.
Prints: Done: N blocked, N skipped (invalid), N failed
  blocked  entries newly added to the state file (already there or repeated: not counted)
  skipped  invalid lines, left out (the reasons go to stderr); the valid ones still apply
  failed   entries that could not be applied: all newly added ones if the agent refused the
           change (the state file is then restored), else 0
Exit status: 0 nothing failed (invalid lines alone do not fail the run); 1 bad usage, unreadable
or binary file, not root, or something failed.
USAGE
}

policy_one_arg "$@"
input=$POLICY_ARG
if [ ! -f "$input" ] || [ ! -r "$input" ]; then
	die "cannot read $input: expected a readable file with one address or CIDR per line"
fi
# The agent's parser stops at a NUL byte: the counts would not be exact, so refuse the whole file.
if [ "$(tr -d '\000' <"$input" | wc -c)" -ne "$(wc -c <"$input")" ]; then
	die "$input holds binary data (NUL bytes): expected text, one address or CIDR per line; nothing changed"
fi
require_agent

valid="" errors="" current="" added="" new="" snap=""	# temp files, set by policy_mktemp
policy_mktemp valid
policy_mktemp errors
# A private copy is checked: the agent trusts only files nobody else could change, and <file> is
# imported by the operator's own choice, wherever it is (a download, another user's directory).
policy_mktemp snap
cat -- "$input" >"$snap" || die "cannot read $input; nothing changed"
rc=0
"$VOSFP_AGENT" --check-list --canonical "$snap" >"$valid" 2>"$errors" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || die "vosfp-agent --check-list failed (exit $rc): $(cat "$errors")"
summary=$(tail -n 1 "$errors")
skipped=$(sed -n 's/^[0-9]* entr[a-z]* valid, \([0-9]*\) invalid$/\1/p' <<<"$summary")
nvalid=$(sed -n 's/^\([0-9]*\) entr[a-z]* valid, [0-9]* invalid$/\1/p' <<<"$summary")
if [ -z "$skipped" ] || [ -z "$nvalid" ]; then
	die "unexpected summary from vosfp-agent --check-list: $summary"
fi
if [ "$skipped" -gt 0 ]; then
	# Not "sed | head": head exiting first would fail the pipeline (SIGPIPE) under pipefail.
	sed -n '$!p' "$errors" | sed -n '1,10p' | while IFS= read -r line; do
		printf '%s\n' "${line/#"$snap:"/"$input:"}"	# the operator's file, not our copy
	done >&2
	[ "$skipped" -le 10 ] || note "... $skipped invalid lines in all, skipped"
fi

require_root
policy_require_listed "$VOSFP_BLOCK_FILE" blocklist
policy_lock "$VOSFP_BLOCK_FILE"
policy_mktemp current
policy_read_state "$VOSFP_BLOCK_FILE" "$current"
# New entries: valid, not in the state file yet, first occurrence only, in input order.
policy_mktemp added
awk 'FILENAME == ARGV[1] { have[$0] = 1; next } !have[$0]++' "$current" "$valid" >"$added"
blocked=$(wc -l <"$added")
[ "$nvalid" -eq "$blocked" ] || note "$((nvalid - blocked)) valid entries were already blocked or repeated: unchanged"

failed=0
if [ "$blocked" -eq 0 ]; then
	note "nothing new to block: $VOSFP_BLOCK_FILE unchanged"
else
	policy_mktemp new
	cat -- "$current" "$added" >"$new"
	policy_write_state "$VOSFP_BLOCK_FILE" "$new"
	if ! policy_apply "$VOSFP_BLOCK_FILE"; then
		failed=$blocked
		blocked=0
	fi
fi
echo "Done: $blocked blocked, $skipped skipped (invalid), $failed failed"
[ "$failed" -eq 0 ]
