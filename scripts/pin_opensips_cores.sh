#!/usr/bin/env bash
# pin_opensips_cores.sh - pin SIP proxy processes (every thread) to a CPU list, away from the CPUs
# that serve the NIC's queues. Run after starting OpenSIPS. It touches only the PIDs it is given,
# or the ones `pgrep -x opensips` finds, and nothing else.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

DEFAULT_CPUS=4-7
ONLINE=/sys/devices/system/cpu/online

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] [PID...]
Pin each PID (all of its threads, taskset -a) to the CPUs in VOSFP_SIP_CPUS. Without PIDs,
pin every process named opensips (pgrep -x opensips).

Environment: VOSFP_SIP_CPUS  CPU list, e.g. 4-7 or 2,3,6-7; every CPU must be online [$DEFAULT_CPUS]

Exit status: 0 every process pinned; 1 bad CPU list or CPUs not online, a PID that is not a
running process, no opensips process found, or taskset failed for a process (named); 2 usage error.
USAGE
}

script_args -1 "$@"
set -- "${ARGS[@]}"

# expand_cpus LIST: one CPU number per line; fails unless LIST is N or N-M items, comma-separated.
expand_cpus() {
	local item items a b re='^([0-9]{1,4})(-([0-9]{1,4}))?$'
	[[ $1 =~ ^[0-9,-]+$ && $1 != *,,* && $1 != ,* && $1 != *, ]] || return 1
	IFS=, read -ra items <<<"$1"
	for item in "${items[@]}"; do
		[[ $item =~ $re ]] || return 1
		a=$((10#${BASH_REMATCH[1]}))
		b=$((10#${BASH_REMATCH[3]:-${BASH_REMATCH[1]}}))
		[ "$a" -le "$b" ] || return 1
		seq "$a" "$b"
	done
}

cpus=${VOSFP_SIP_CPUS:-$DEFAULT_CPUS}
want=$(expand_cpus "$cpus") ||
	die "VOSFP_SIP_CPUS='$cpus' is not a CPU list (e.g. 4-7, or 2,3,6-7: numbers and ascending ranges, comma-separated)"
online_list=$(cat "$ONLINE" 2>/dev/null) || die "cannot read $ONLINE"
online=$(expand_cpus "$online_list") || die "cannot parse $ONLINE ('$online_list')"
missing=$(grep -vxF -f <(printf '%s\n' "$online") <<<"$want" | sort -nu | paste -sd, || true)
if [ -n "$missing" ]; then
	if [ -z "${VOSFP_SIP_CPUS:-}" ]; then
		die "the default CPU list $DEFAULT_CPUS needs CPUs $missing, which this host does not have (online: $online_list): set VOSFP_SIP_CPUS to CPUs it has, e.g. VOSFP_SIP_CPUS=$online_list"
	fi
	die "VOSFP_SIP_CPUS=$cpus: CPU(s) $missing not online on this host (online: $online_list)"
fi
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"

pids=()
if [ $# -gt 0 ]; then
	for pid in "$@"; do
		[[ $pid =~ ^[1-9][0-9]{0,9}$ ]] || die "'$pid' is not a PID"
		[ -d "/proc/$pid" ] || die "no process with PID $pid"
		pids+=("$pid")
	done
else
	found=$(pgrep -x opensips || true)
	[ -n "$found" ] || die "no opensips process found (pgrep -x opensips): start OpenSIPS first, or give PIDs"
	mapfile -t pids <<<"$found"
fi

failed=()
for pid in "${pids[@]}"; do
	comm=$(cat "/proc/$pid/comm" 2>/dev/null || echo '?')
	if ! taskset -a -c -p "$cpus" "$pid" >/dev/null; then
		failed+=("$pid ($comm)")
		continue
	fi
	threads=$(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
	now=$(taskset -c -p "$pid" 2>/dev/null | sed -n 's/.*current affinity list: //p')
	echo "pinned $pid ($comm, $threads thread$([ "$threads" -eq 1 ] || echo s)) to CPUs ${now:-$cpus}"
done
[ ${#failed[@]} -eq 0 ] || die "could not pin: $(printf '%s, ' "${failed[@]}" | sed 's/, $//')"
