# lib.sh - what every vosfp script shares: where the repo, the agent and the config are, how to
# fail, how to print usage. Sourced, never run. Scripts stay thin layers over vosfp-agent: no map
# or attach logic lives in bash.
# shellcheck shell=bash

VOSFP_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# The agent: the installed one, else the one built in this tree.
VOSFP_AGENT=${VOSFP_AGENT:-$(command -v vosfp-agent 2>/dev/null || echo "$VOSFP_ROOT/build/vosfp-agent")}
VOSFP_CONFIG=${VOSFP_CONFIG:-/etc/vosfp.yaml}
# Traffic generator for the simulation and the stress test (built by make).
VOSFP_SEND=${VOSFP_SEND:-$(command -v vosfp-send 2>/dev/null || echo "$VOSFP_ROOT/build/vosfp-send")}

# die MESSAGE [CODE]: message to stderr, exit CODE (default 1).
die() {
	echo "$(basename "$0"): $1" >&2
	exit "${2:-1}"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (sudo $0 ...)"
}

require_agent() {
	[ -x "$VOSFP_AGENT" ] || die "vosfp-agent not found at $VOSFP_AGENT: run make (or make install)"
}
