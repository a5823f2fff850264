#!/usr/bin/env bash
# stress_script_test.sh - scripts/stress_test.sh (make test): one round passes every one of its six
# phases with exact counts and exits 0; bad input is refused (with the documented exit codes)
# before anything is created; nothing is left behind (namespaces, interfaces, /sys/fs/bpf).
# The script's own "PASS: round ..." / "FAIL: round ..." lines are forwarded as they are (tests/run.sh
# counts each once); this test's own checks say "stress_test.sh ..." and never repeat them.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" is the idiom of these tests (pass never fails)
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "stress_test.sh"

script="$VOSFP_ROOT/scripts/stress_test.sh"
work=$(mktemp -d /tmp/vosfp-stress-test.XXXXXX)
cleanup() {
	rm -rf "$work"
}
trap cleanup EXIT

# snapshot: what could be left behind (namespaces, interfaces, bpffs entries), one per line, sorted.
snapshot() {
	{
		ip netns list | awk '{ print "netns " $1 }'
		ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print "link " $2 }'
		find /sys/fs/bpf -maxdepth 1 -mindepth 1 -printf 'bpf %f\n'
	} | sort
}

# run ARGS...: the script from another directory; sets rc, out (stdout), err (stderr).
run() {
	out=$(cd / && timeout 600 "$script" "$@" 2>"$work/err")
	rc=$?
	err=$(cat "$work/err")
}

# --- bad input: refused before any side effect -------------------------------------------------------
snapshot >"$work/before"
run -h
[ "$rc" -eq 0 ] && grep -q "^Usage: stress_test.sh" <<<"$out" && grep -q "Exit status" <<<"$out" &&
	pass "stress_test.sh -h: usage with exit codes, exit 0" || fail "stress_test.sh -h: exit $rc, $out $err"
for arg in 0 00 x 101 1.5; do
	run "$arg"
	[ "$rc" -eq 1 ] && grep -q "must be a number from 1 to 100" <<<"$err" && [ -z "$out" ] &&
		pass "stress_test.sh $arg: refused, exit 1" || fail "stress_test.sh $arg: exit $rc (expected 1), stdout: $out stderr: $err"
done
run 1 2
[ "$rc" -eq 2 ] && [ -z "$out" ] && pass "stress_test.sh 1 2: usage error, exit 2" || fail "stress_test.sh 1 2: exit $rc, $out $err"
run --bogus
[ "$rc" -eq 2 ] && [ -z "$out" ] && pass "stress_test.sh --bogus: usage error, exit 2" || fail "stress_test.sh --bogus: exit $rc, $out $err"
snapshot >"$work/after"
cmp -s "$work/before" "$work/after" && pass "stress_test.sh: bad input created nothing" ||
	fail "stress_test.sh: bad input left: $(comm -13 "$work/before" "$work/after" | paste -sd ' ')"

# --- one round ------------------------------------------------------------------------------------------
snapshot >"$work/before"
run 1
# Forward the script's own PASS:/FAIL: lines (counted once, by tests/run.sh); the rest indented.
grep -E '^(PASS|FAIL): ' <<<"$out"
grep -vE '^(PASS|FAIL): ' <<<"$out" | sed 's/^/  /'
[ -z "$err" ] || while IFS= read -r line; do echo "  stderr: $line"; done <<<"$err"
[ "$rc" -eq 0 ] && pass "stress_test.sh 1: exit 0" || fail "stress_test.sh 1: exit $rc (expected 0)"
missing=()
for phase in volume block unblock allow hammer teardown; do
	grep -q "^PASS: round 1 phase $phase: " <<<"$out" || missing+=("$phase")
done
[ ${#missing[@]} -eq 0 ] && pass "stress_test.sh 1: a PASS line for each of the 6 phases" ||
	fail "stress_test.sh 1: no PASS line for phase(s): ${missing[*]}"
[ "$(grep -c '^PASS: ' <<<"$out")" -eq 6 ] && ! grep -q '^FAIL: ' <<<"$out" &&
	grep -q '^stress_test: all 6 phases passed' <<<"$out" &&
	pass "stress_test.sh 1: 6 PASS lines, no FAIL line, summary line" || fail "stress_test.sh 1: unexpected output"
grep -q "^PASS: round 1 phase hammer: .*Blocked +20000," <<<"$out" &&
	pass "stress_test.sh 1: the hammer phase counted 20000 blocked datagrams" || fail "stress_test.sh 1: no hammer count"

# Nothing left: the names the script announced, and nothing new on the host at all.
read -r ns host pin < <(sed -n 's/^stress_test: .* on namespace \([^,]*\), veth \([^/]*\)\/[^,]*, [^,]*, pin \(.*\)$/\1 \2 \3/p' <<<"$out")
if [ -n "${ns:-}" ] && [ -n "${host:-}" ] && [ -n "${pin:-}" ]; then
	names=$(ip netns list | awk '{ print $1 }')
	! grep -qxF -- "$ns" <<<"$names" && ! ip link show dev "$host" >/dev/null 2>&1 && [ ! -e "$pin" ] &&
		[ ! -e "/run/vosfp/vosfp${pin//\//_}.lock" ] &&
		pass "stress_test.sh 1: no $ns namespace, no $host veth, no $pin, no lock file left" ||
		fail "stress_test.sh 1: left $ns, $host, $pin or its lock behind"
else
	fail "stress_test.sh 1: did not say which names it used"
fi
snapshot >"$work/after"
cmp -s "$work/before" "$work/after" && pass "stress_test.sh 1: ip netns list, ip link and /sys/fs/bpf as before" ||
	fail "stress_test.sh 1: left behind: $(comm -13 "$work/before" "$work/after" | paste -sd ' ')"
leftover=$(find /tmp -maxdepth 1 -name 'vosfp-stress.*' -newer "$work/before")
[ -z "$leftover" ] && pass "stress_test.sh 1: no temp directory left" || fail "stress_test.sh 1: left $leftover"

exit "$test_status"
