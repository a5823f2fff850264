#!/usr/bin/env bash
# enable_busy_poll.sh - set net.core.busy_poll and net.core.busy_read (microseconds a socket read
# or poll spins on the device queue before sleeping: lower SIP latency for some CPU). Run before
# starting OpenSIPS. It changes only these two sysctls, and only until the next reboot.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

KEYS=(net.core.busy_poll net.core.busy_read)
PERSIST=/etc/sysctl.d/60-vosfp-busy-poll.conf

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h]
Set ${KEYS[0]} and ${KEYS[1]} (default 50 microseconds); print the old and new values.
Not persistent: the values return to the kernel default at reboot. To keep them, write
  ${KEYS[0]} = 50
  ${KEYS[1]} = 50
to $PERSIST and run: sysctl --system

Environment: VOSFP_BUSY_POLL  the value, an integer 0..1000 (0 turns busy polling off) [50]

Exit status: 0 set; 1 bad value, not root, or the kernel refused (old values kept); 2 usage error.
USAGE
}

script_args 0 "$@"
set -- "${ARGS[@]}"

value=${VOSFP_BUSY_POLL:-50}
[[ $value =~ ^0*([0-9]{1,4})$ && $((10#${BASH_REMATCH[1]})) -le 1000 ]] ||
	die "VOSFP_BUSY_POLL='$value': expected an integer from 0 to 1000 (microseconds)"
value=$((10#${BASH_REMATCH[1]}))
require_root
command -v sysctl >/dev/null || die "sysctl not found (apt-get install procps)"

declare -A old
for key in "${KEYS[@]}"; do
	old[$key]=$(sysctl -n "$key") || die "cannot read $key"
done
done_keys=()
for key in "${KEYS[@]}"; do
	if ! sysctl -q -w "$key=$value" >/dev/null; then
		# All or nothing: put back what this run already changed.
		for k in "${done_keys[@]}"; do
			sysctl -q -w "$k=${old[$k]}" >/dev/null || true
		done
		die "cannot set $key=$value; old values kept"
	fi
	done_keys+=("$key")
done
for key in "${KEYS[@]}"; do
	echo "$key: ${old[$key]} -> $(sysctl -n "$key")"
done
echo "note: not persistent across reboot; to persist, put '${KEYS[0]} = $value' and '${KEYS[1]} = $value' in $PERSIST and run 'sysctl --system'" >&2
