#!/usr/bin/env bash
# deploy.sh - put the SIP filter on one interface, persistently: the interface goes into the
# interface file the config names (interface_files), then one reconcile attaches it, native mode
# first, then generic. The agent does the attaching (and rolls back if the kernel refuses every
# mode), so a running agent never undoes what this script did, and a reboot keeps it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

VOSFP_IFACE_FILE=${VOSFP_IFACE_FILE:-/var/lib/vosfp/interfaces.txt}
case $VOSFP_IFACE_FILE in /*) ;; *) VOSFP_IFACE_FILE=$PWD/$VOSFP_IFACE_FILE ;; esac

usage() {
	cat <<USAGE
Usage: $(basename "$0") [-h] <interface> [obj]
Filter SIP on <interface> with XDP: native mode if the driver has it, else generic. Adds
"<interface> native generic" to $VOSFP_IFACE_FILE (\$VOSFP_IFACE_FILE), which
$VOSFP_CONFIG (\$VOSFP_CONFIG) must name under interface_files, then runs
vosfp-agent --once: the filter survives agent restarts, reloads and reboots. An interface the
config already declares is only reconciled.
  obj  the XDP object to expect; it must be the one the config loads (bpf_object), since one
       program serves every interface: change bpf_object in the config to change it.
Remove it again: delete its line from $VOSFP_IFACE_FILE (the agent detaches it);
vosfp-agent --down removes filtering everywhere.
Exit status: 0 attached (or already attached); 1 not root, no such interface, a config or object
that does not fit, or the kernel refused every mode (its reason is printed; nothing changed);
2 usage error.
USAGE
}

script_args 2 "$@"
set -- "${ARGS[@]}"
[ $# -ge 1 ] || die "missing <interface> (see -h)" 2
iface=$1 obj=${2:-}
[[ $iface =~ ^[^/:[:space:]]{1,15}$ && $iface != . && $iface != .. ]] ||
	die "'$iface' is not an interface name (at most 15 characters, no '/', ':' or spaces)"
require_root
require_agent
ip link show dev "$iface" >/dev/null 2>&1 || die "no network interface '$iface' on this host (ip link shows them)"
[ -z "$obj" ] || [ -r "$obj" ] || die "cannot read the object $obj"

# plan: the agent's dry run of the config (validates it whole, lists the declared interfaces).
plan() {
	local rc=0
	PLAN=$("$VOSFP_AGENT" --dry-run --config "$VOSFP_CONFIG" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || die "vosfp-agent --dry-run --config $VOSFP_CONFIG failed (exit $rc); nothing changed:
$PLAN"
}

declared() {
	grep -q "^interface $iface: " <<<"$PLAN"
}

policy_lock "$VOSFP_IFACE_FILE"
plan
configured_obj=$(sed -n 's/^object: //p' <<<"$PLAN")
if [ -n "$obj" ] && ! cmp -s -- "$obj" "$configured_obj"; then
	die "$obj is not the object $VOSFP_CONFIG loads ($configured_obj): set bpf_object: $obj there to change the program on every interface; nothing changed"
fi

added=0
if ! declared; then
	policy_require_listed "$VOSFP_IFACE_FILE" interface_files
	new=""
	policy_mktemp new
	[ ! -e "$VOSFP_IFACE_FILE" ] || cat -- "$VOSFP_IFACE_FILE" >"$new"
	# A file whose last line lacks its newline must not glue our line onto it.
	[ ! -s "$new" ] || [ -z "$(tail -c 1 "$new")" ] || echo >>"$new"
	printf '%s native generic\n' "$iface" >>"$new"
	policy_write_state "$VOSFP_IFACE_FILE" "$new"
	added=1
fi

# One reconcile. If the kernel refuses every mode the agent rolls back the whole transaction;
# the interface's line goes too, or every later reload would fail on it.
rc=0
out=$("$VOSFP_AGENT" --once --config "$VOSFP_CONFIG" 2>&1) || rc=$?
if [ "$rc" -ne 0 ]; then
	[ "$added" -eq 0 ] || policy_restore_state "$VOSFP_IFACE_FILE"
	printf '%s\n' "$out" >&2
	die "$iface: not attached (vosfp-agent --once exit $rc); nothing changed"
fi

# ip(8)'s link line names the attach mode right after the MTU: xdp (native), xdpgeneric, xdpoffload.
mode=$(ip -o link show dev "$iface" | sed -n 's/.* mtu [0-9]* \(xdp[a-z]*\) .*/\1/p')
case $mode in
xdp) mode=native ;;
xdpgeneric) mode=generic ;;
xdpoffload) mode=offload ;;
*) die "$iface: the agent reported success but no XDP program is attached (ip link show dev $iface)" ;;
esac
if [ "$added" -eq 1 ]; then
	echo "$iface: XDP filter attached ($mode mode; declared in $VOSFP_IFACE_FILE)"
else
	echo "$iface: XDP filter in place ($mode mode; already declared)"
fi
