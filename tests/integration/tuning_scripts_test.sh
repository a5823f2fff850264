#!/usr/bin/env bash
# tuning_scripts_test.sh - enable_busy_poll.sh and pin_opensips_cores.sh on the real kernel: the
# sysctls really change (and are restored to their original values afterwards, however the test
# ends); pinning really changes a process's affinity, and touches only a process this test started.
# "check && pass || fail" is the idiom of these tests (pass never fails); cleanup runs from a trap.
# shellcheck disable=SC2015,SC2317
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "tuning scripts"

work=$(mktemp -d /tmp/vosfp-tuning-test.XXXXXX)
unset VOSFP_BUSY_POLL VOSFP_SIP_CPUS
orig_poll=$(sysctl -n net.core.busy_poll)
orig_read=$(sysctl -n net.core.busy_read)
sleeper=""

cleanup() {
	sysctl -q -w "net.core.busy_poll=$orig_poll" "net.core.busy_read=$orig_read" >/dev/null
	[ -z "$sleeper" ] || { kill "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null; }
	rm -rf "$work"
}
trap cleanup EXIT
# Killed (a CI timeout, ^C): still clean up.

sysctls() { echo "$(sysctl -n net.core.busy_poll) $(sysctl -n net.core.busy_read)"; }
affinity() { taskset -p "$1" | sed -n 's/.*current affinity mask: //p'; }
cpu_online() {	# cpu_online N
	local d=/sys/devices/system/cpu/cpu$1
	[ -d "$d" ] && { [ ! -e "$d/online" ] || [ "$(cat "$d/online")" = 1 ]; }
}

for s in enable_busy_poll.sh pin_opensips_cores.sh; do
	run_script "$s" -h
	[ "$rc" -eq 0 ] && grep -q "^Usage: $s" <<<"$out" && grep -q "Exit status" <<<"$out" &&
		pass "$s -h: usage with exit codes, exit 0" || fail "$s -h: exit $rc, $out"
	run_script "$s" --bogus
	expect_exit "$s: unknown option is a usage error" 2
done

# --- enable_busy_poll.sh --------------------------------------------------------------------------
# Start from values the script will visibly change.
sysctl -q -w net.core.busy_poll=7 net.core.busy_read=8 >/dev/null
run_script enable_busy_poll.sh
expect_exit "enable_busy_poll.sh: exit 0, persistence reminder" 0 "not persistent.*/etc/sysctl.d/"
[ "$(sysctls)" = "50 50" ] && pass "busy_poll and busy_read are 50 (read back)" || fail "sysctls are $(sysctls)"
grep -q "^net.core.busy_poll: 7 -> 50$" <<<"$out" && grep -q "^net.core.busy_read: 8 -> 50$" <<<"$out" &&
	pass "old and new values printed" || fail "output: $out"
VOSFP_BUSY_POLL=100 run_script enable_busy_poll.sh
[ "$rc" -eq 0 ] && [ "$(sysctls)" = "100 100" ] && pass "VOSFP_BUSY_POLL=100 sets 100" || fail "VOSFP_BUSY_POLL=100: rc=$rc $(sysctls)"
for bad in abc 1001 -1 5.5 " 50"; do
	VOSFP_BUSY_POLL=$bad run_script enable_busy_poll.sh
	[ "$rc" -eq 1 ] && grep -q "0 to 1000" <<<"$err" && [ "$(sysctls)" = "100 100" ] &&
		pass "VOSFP_BUSY_POLL='$bad': exit 1, sysctls unchanged" || fail "VOSFP_BUSY_POLL='$bad': rc=$rc $(sysctls) $err"
done
run_script enable_busy_poll.sh extra
expect_exit "enable_busy_poll.sh with an argument: usage error" 2

# --- pin_opensips_cores.sh ----------------------------------------------------------------------------
sleep 120 &
sleeper=$!
VOSFP_SIP_CPUS=0 run_script pin_opensips_cores.sh "$sleeper"
[ "$rc" -eq 0 ] && [ "$(affinity "$sleeper")" = 1 ] && pass "VOSFP_SIP_CPUS=0: our sleep pinned to CPU 0 (taskset -p: mask 1)" ||
	fail "pin to 0: rc=$rc mask=$(affinity "$sleeper") $err"
grep -q "^pinned $sleeper (sleep, 1 thread) to CPUs 0$" <<<"$out" && pass "pin says what it pinned" || fail "pin said: $out"
online=$(cat /sys/devices/system/cpu/online)
if cpu_online 0 && cpu_online 1; then
	VOSFP_SIP_CPUS=0-1 run_script pin_opensips_cores.sh "$sleeper"
	[ "$rc" -eq 0 ] && [ "$(affinity "$sleeper")" = 3 ] && pass "VOSFP_SIP_CPUS=0-1: mask 3" ||
		fail "pin to 0-1: rc=$rc mask=$(affinity "$sleeper") $err"
else
	echo "SKIP: pin to 0-1 (CPUs 0 and 1 not both online: $online)"
fi
before=$(affinity "$sleeper")
if ! { cpu_online 4 && cpu_online 5 && cpu_online 6 && cpu_online 7; }; then
	run_script pin_opensips_cores.sh "$sleeper"
	expect_exit "default 4-7 on a host without those CPUs ($online): exit 1, says so" 1 "4-7.*does not have.*VOSFP_SIP_CPUS"
	[ "$(affinity "$sleeper")" = "$before" ] && pass "default 4-7 refused: affinity untouched" || fail "affinity changed"
else
	run_script pin_opensips_cores.sh "$sleeper"
	[ "$rc" -eq 0 ] && [ "$(affinity "$sleeper")" = f0 ] && pass "default 4-7 on a host that has them: mask f0" ||
		fail "default 4-7: rc=$rc mask=$(affinity "$sleeper") $err"
	before=$(affinity "$sleeper")
fi
for bad in a-b 3-1 "0,,1" "0," "1-2-3"; do
	VOSFP_SIP_CPUS=$bad run_script pin_opensips_cores.sh "$sleeper"
	expect_exit "VOSFP_SIP_CPUS='$bad': exit 1" 1 "not a CPU list"
done
VOSFP_SIP_CPUS=0,9999 run_script pin_opensips_cores.sh "$sleeper"
expect_exit "a CPU that does not exist: exit 1" 1 "not online"
[ "$(affinity "$sleeper")" = "$before" ] && pass "refused runs left the affinity alone" || fail "affinity changed to $(affinity "$sleeper")"
VOSFP_SIP_CPUS=0 run_script pin_opensips_cores.sh abc
expect_exit "a PID that is not a number: exit 1" 1 "not a PID"
VOSFP_SIP_CPUS=0 run_script pin_opensips_cores.sh $(($(cat /proc/sys/kernel/pid_max) + 1))
expect_exit "a PID that does not exist: exit 1" 1 "no process with PID"
VOSFP_SIP_CPUS=0 run_script pin_opensips_cores.sh "$sleeper" abc
[ "$rc" -eq 1 ] && [ "$(affinity "$sleeper")" = "$before" ] && pass "one bad PID: nothing pinned" ||
	fail "one bad PID: rc=$rc, mask $(affinity "$sleeper")"
# Without PIDs the script pins every opensips: never run it that way where one exists.
if [ -z "$(pgrep -x opensips)" ]; then
	VOSFP_SIP_CPUS=0 run_script pin_opensips_cores.sh
	expect_exit "no PIDs and no opensips running: exit 1" 1 "no opensips process"
else
	echo "SKIP: no-PID case (an opensips is running here; the test does not touch it)"
fi
kill "$sleeper" && wait "$sleeper" 2>/dev/null
sleeper=""

if command -v shellcheck >/dev/null; then
	(cd "$VOSFP_ROOT" && shellcheck -x scripts/enable_busy_poll.sh scripts/pin_opensips_cores.sh) >"$work/sc" 2>&1 &&
		pass "tuning scripts are shellcheck-clean" || fail "shellcheck: $(head -20 "$work/sc")"
else
	echo "SKIP: shellcheck not installed (apt-get install shellcheck)"
fi

exit $test_status
