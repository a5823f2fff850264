#!/usr/bin/env bash
# read_xdp_stats.sh - print the XDP counters in the seed's format and order, through
# vosfp-agent --stats. A thin layer: it reorders the agent's lines and never reads maps itself.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# The seed's lines, in the seed's order (the agent prints them in counter index order).
LABELS=(
	"OPTIONS dropped (stealth)"
	"Blocked (DoS list)"
	"Malformed (dropped)"
	"Redirected (AF_XDP)"
	"Passed to stack"
	"Total UDP 5060 handled"
)

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] [-j]
Print the counters of the vosfp XDP program pinned by the config's pin_path:
$(printf '  %s: N\n' "${LABELS[@]}")
  -j  JSON instead (vosfp-agent --stats --json)
  -h  this help

Environment: VOSFP_CONFIG (config naming the pin path) [/etc/vosfp.yaml],
VOSFP_AGENT (the vosfp-agent binary) [vosfp-agent on PATH, else build/vosfp-agent].
Needs root (or read access to the bpf filesystem).

Exit status: 0 printed; 1 nothing pinned (apply the config first) or the counters could not be
read; 2 usage error.
USAGE
}

json=0
[ "${1:-}" != --help ] || { usage; exit 0; }
while getopts "hj" opt; do
	case "$opt" in
	h) usage; exit 0 ;;
	j) json=1 ;;
	*) die "usage: $(basename "$0") [-h] [-j] (see -h)" 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die "unexpected argument '$1' (see -h)" 2
require_agent

err=$(mktemp)
trap 'rm -f "$err"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
args=(--stats --config "$VOSFP_CONFIG")
[ "$json" -eq 0 ] || args+=(--json)
if ! out=$("$VOSFP_AGENT" "${args[@]}" 2>"$err"); then
	cat "$err" >&2
	if grep -q "No such file or directory" "$err"; then
		die "no vosfp state is pinned for $VOSFP_CONFIG: apply it first (vosfp-agent --once --config $VOSFP_CONFIG, or start the agent)"
	fi
	die "cannot read the counters (see above)"
fi
cat "$err" >&2
if [ "$json" -eq 1 ]; then
	printf '%s\n' "$out"
	exit 0
fi

declare -A value
while IFS= read -r line; do
	[[ $line =~ ^(.+):\ ([0-9]+)$ ]] && value[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <<<"$out"
for label in "${LABELS[@]}"; do
	[ -n "${value[$label]:-}" ] || die "unexpected output from $VOSFP_AGENT --stats: no '$label' line"
done
for label in "${LABELS[@]}"; do
	echo "$label: ${value[$label]}"
done
