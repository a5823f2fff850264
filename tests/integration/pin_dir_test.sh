#!/usr/bin/env bash
# pin_dir_test.sh - nothing an unprivileged user can do to the pin directory or the lock subverts
# the agent, and pins removed under a running configuration come back.
#  1. In a private mount namespace whose /sys/fs/bpf is a fresh bpf filesystem of mode 1777 (as
#     on Debian; the host's mounts are never touched): as user nobody, a pin directory made
#     before root's agent runs (mkdir -m777), a symbolic link in its place, a parent directory
#     of nobody's; a root-owned pin directory writable by its group; a lock directory another
#     user could write (/run is a tmpfs of that namespace). Each is refused with exit 2 and a
#     message naming the directory, owner, mode and what to do; nothing is pinned, --down
#     removes nothing. A new pin_path in the 1777 directory is made mode 0700, root's.
#  2. A running daemon (in a namespace of the test, nsenter keeps /sys/fs/bpf) loses the pins of
#     blocked_nets and sip_config: the next policy update puts them back (same map ids, from
#     the attached program) and applies; then its interface's link pin (which detaches it): the
#     next update says why it cannot come back, attaches anew and applies; then iface_names,
#     which no program holds: new maps are made, the policy still applies, blocked traffic is
#     dropped.
# shellcheck disable=SC2015,SC2016,SC2317 # check && pass || fail; remote $ expansions; trap
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "pin directory rules"

agent="$VOSFP_ROOT/build/vosfp-agent"
send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-harden-attach-pins.XXXXXX)
chmod 755 "$work"
pin="/sys/fs/bpf/vosfp-harden-attach-pins-$$"
ns="vosfp-ha-pd-$$" tx="vosfp-ha-pt-$$"
daemon_pid=""

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	[ -e "$work/live.yaml" ] && nsenter --net="/run/netns/$ns" "$agent" --down -c "$work/live.yaml" >/dev/null 2>&1
	remove_agent_state "$work/live.yaml" "$pin"
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

# --- 1. squatting, in a private mount namespace -------------------------------------------------
# pins_config FILE PIN_PATH: no interface, one blocklisted address.
pins_config() {
	printf 'version: 1\npin_path: %s\nbpf_object: %s/build/sip_logic.bpf.o\ninterfaces: []\nblocklist:\n  addresses: [198.19.166.9]\n' \
		"$2" "$VOSFP_ROOT" >"$1"
}
sq=/sys/fs/bpf/vosfp-harden-attach-sq
pins_config "$work/squat.yaml" "$sq"
pins_config "$work/link.yaml" /sys/fs/bpf/vosfp-harden-attach-ln
pins_config "$work/parent.yaml" /sys/fs/bpf/vosfp-harden-attach-nb/vosfp
pins_config "$work/groupw.yaml" /sys/fs/bpf/vosfp-harden-attach-gw
pins_config "$work/fresh.yaml" /sys/fs/bpf/vosfp-harden-attach-ok

out=$(timeout 120 unshare -m --propagation private bash -c '
	agent=$1 work=$2 sq=$3
	mount -t bpf bpf /sys/fs/bpf -o mode=1777 && mount -t tmpfs vosfp-test /run || exit 1
	echo "bpffs=$(stat -c %a:%U /sys/fs/bpf)"
	nobody() { runuser -u nobody -- "$@"; }
	nobody mkdir -m 777 "$sq" && echo squatted=yes
	"$agent" --once -c "$work/squat.yaml"; echo "squat_rc=$?"
	echo "squat_entries=$(ls -A "$sq" | wc -l)"
	mkdir -m 700 "$work/victim" && touch "$work/victim/keep"
	nobody ln -s "$work/victim" "$sq/links"
	"$agent" --down -c "$work/squat.yaml"; echo "down_rc=$?"
	[ -e "$work/victim/keep" ] && [ -L "$sq/links" ] && echo down_kept=yes
	nobody ln -s /sys/fs/bpf/vosfp-harden-attach-elsewhere /sys/fs/bpf/vosfp-harden-attach-ln
	"$agent" --once -c "$work/link.yaml"; echo "link_rc=$?"
	[ ! -e /sys/fs/bpf/vosfp-harden-attach-elsewhere ] && echo link_followed=no
	nobody mkdir -m 755 /sys/fs/bpf/vosfp-harden-attach-nb
	"$agent" --once -c "$work/parent.yaml"; echo "parent_rc=$?"
	[ ! -e /sys/fs/bpf/vosfp-harden-attach-nb/vosfp ] && echo parent_made=no
	mkdir -m 775 /sys/fs/bpf/vosfp-harden-attach-gw
	"$agent" --once -c "$work/groupw.yaml"; echo "groupw_rc=$?"
	echo "groupw_entries=$(ls -A /sys/fs/bpf/vosfp-harden-attach-gw | wc -l)"
	rm -rf /run/vosfp && mkdir -m 1777 /run/vosfp
	"$agent" --once -c "$work/fresh.yaml"; echo "lockw_rc=$?"
	[ ! -e /sys/fs/bpf/vosfp-harden-attach-ok ] && echo lockw_made=no
	rmdir /run/vosfp && mkdir -m 700 /run/vosfp && chown nobody /run/vosfp
	"$agent" --once -c "$work/fresh.yaml"; echo "lockn_rc=$?"
	rmdir /run/vosfp
	"$agent" --once -c "$work/fresh.yaml"; echo "fresh_rc=$?"
	echo "fresh=$(stat -c %a:%U /sys/fs/bpf/vosfp-harden-attach-ok) lockdir=$(stat -c %a:%U /run/vosfp)"
	[ -e /sys/fs/bpf/vosfp-harden-attach-ok/blocked_ips ] && echo fresh_pinned=yes
' _ "$agent" "$work" "$sq" 2>&1)

grep -q '^bpffs=1777:root$' <<<"$out" && grep -q '^squatted=yes$' <<<"$out" &&
	pass "setup: a bpffs of mode 1777 (as on Debian), where nobody made $sq mode 0777" || fail "setup: $out"
grep -q '^squat_rc=2$' <<<"$out" &&
	grep -q "pin_path $sq is owned by nobody (uid [0-9]*), mode 0777, not by root (uid 0) that runs the agent: .* remove it (rmdir $sq) and run again: the agent creates it, mode 0700; nothing changed" <<<"$out" &&
	grep -q '^squat_entries=0$' <<<"$out" &&
	pass "a pin directory nobody made: refused, exit 2, owner, mode and what to do; nothing pinned" ||
	fail "squatted pin directory: $out"
grep -q '^down_rc=2$' <<<"$out" && grep -q '^down_kept=yes$' <<<"$out" &&
	pass "--down on it: refused, exit 2; the file its links symlink leads to is still there" || fail "--down: $out"
grep -q '^link_rc=2$' <<<"$out" && grep -q 'pin_path /sys/fs/bpf/vosfp-harden-attach-ln is a symbolic link (owned by nobody' <<<"$out" &&
	grep -q '^link_followed=no$' <<<"$out" &&
	pass "a symbolic link as pin_path: refused, exit 2; its target is not made" || fail "symlink pin_path: $out"
grep -q '^parent_rc=2$' <<<"$out" &&
	grep -q 'its parent /sys/fs/bpf/vosfp-harden-attach-nb is owned by nobody (uid [0-9]*), mode 0755' <<<"$out" &&
	grep -q '^parent_made=no$' <<<"$out" &&
	pass "a parent directory owned by nobody: refused, exit 2, nothing made" || fail "parent of nobody's: $out"
grep -q '^groupw_rc=2$' <<<"$out" &&
	grep -q 'pin_path /sys/fs/bpf/vosfp-harden-attach-gw has mode 0775: writable by group or others, .*: chmod go-w' <<<"$out" &&
	grep -q '^groupw_entries=0$' <<<"$out" &&
	pass "a root-owned, group-writable pin directory: refused, exit 2, 'chmod go-w'" || fail "group-writable: $out"
grep -q '^lockw_rc=2$' <<<"$out" && grep -q 'lock directory /run/vosfp has mode 1777: writable by group or others' <<<"$out" &&
	grep -q '^lockw_made=no$' <<<"$out" && grep -q '^lockn_rc=2$' <<<"$out" &&
	grep -q 'lock directory /run/vosfp is owned by nobody' <<<"$out" &&
	pass "a lock directory others can write, or nobody's: refused, exit 2, nothing pinned" || fail "lock directory: $out"
grep -q '^fresh_rc=0$' <<<"$out" && grep -q '^fresh=700:root lockdir=700:root$' <<<"$out" &&
	grep -q '^fresh_pinned=yes$' <<<"$out" &&
	pass "a new pin_path in the 1777 directory: made 0700 by root, pinned; the lock directory made 0700" ||
	fail "fresh pin_path: $out"

# --- 2. pins removed under a running daemon ----------------------------------------------------
new_netns "$ns" && new_netns "$tx" || { fail "cannot create namespaces"; exit 1; }
ip -n "$ns" link add hcfi type veth peer name hcfp netns "$tx" || { fail "cannot create the veth"; exit 1; }
ip -n "$ns" link set hcfi up
ip -n "$ns" addr add 198.19.166.1/24 dev hcfi
ip -n "$tx" addr add 198.19.166.2/24 dev hcfp
ip -n "$tx" addr add 198.19.166.3/24 dev hcfp
ip -n "$tx" addr add 198.19.166.4/24 dev hcfp
ip -n "$tx" link set hcfp up
ip -n "$tx" neigh add 198.19.166.1 lladdr "$(ip -n "$ns" -br link show hcfi | awk '{ print $3 }')" dev hcfp nud permanent
echo 198.19.166.2 >"$work/block.txt"
{
	config_head "$pin" hcfi
	printf 'blocklist:\n  files: [%s/block.txt]\n' "$work"
} >"$work/live.yaml"
nsenter --net="/run/netns/$ns" "$agent" -c "$work/live.yaml" >"$work/agent.log" 2>&1 &
daemon_pid=$!
wait_for 10 grep -q "reconciled in" "$work/agent.log" || { fail "the daemon did not start: $(cat "$work/agent.log")"; exit 1; }

map_id() { "$BPFTOOL" -j map show pinned "$pin/$1" 2>/dev/null | sed -n 's/^{"id":\([0-9]*\),.*/\1/p'; }
attached() { ip -n "$ns" -d link show dev hcfi 2>/dev/null | grep -q 'prog/xdp'; }
blocked_from() { # SRC: 5 INVITEs from SRC must all be counted BLOCKED
	local before
	before=$(pinned_counter "$pin" 3)
	ip netns exec "$tx" "$send" -s "$1" 198.19.166.1 5060 'INVITE sip:x SIP/2.0\r\n\r\n' 5
	wait_for 5 test "$(pinned_counter "$pin" 3)" -ge $((before + 5)) && [ "$(pinned_counter "$pin" 3)" -eq $((before + 5)) ]
}
nets_id=$(map_id blocked_nets) config_id=$(map_id sip_config)
[ -n "$nets_id" ] && [ -n "$config_id" ] && attached && blocked_from 198.19.166.2 &&
	pass "running: hcfi attached, 198.19.166.2 dropped" || fail "setup: $(cat "$work/agent.log")"

# Map pins: the attached program still holds the maps.
rm "$pin/blocked_nets" "$pin/sip_config"
echo 198.19.166.3 >>"$work/block.txt"
wait_for 10 pinned_has_v4 "$pin" blocked_ips 198.19.166.3 && attached &&
	pass "map pins removed: the next policy update applies (198.19.166.3 blocked), hcfi still attached" ||
	fail "after removing map pins: $(tail -n 5 "$work/agent.log")"
[ "$(map_id blocked_nets)" = "$nets_id" ] && [ "$(map_id sip_config)" = "$config_id" ] &&
	grep -q "$pin/blocked_nets: pin missing: restored from the program attached to hcfi (map id $nets_id)" "$work/agent.log" &&
	grep -q "$pin/sip_config: pin missing: restored from the program attached to hcfi (map id $config_id)" "$work/agent.log" &&
	pass "blocked_nets and sip_config pinned again: the same maps (ids $nets_id, $config_id), from the attached program" ||
	fail "map pins: blocked_nets $(map_id blocked_nets) (was $nets_id), sip_config $(map_id sip_config) (was $config_id); $(grep -i pin "$work/agent.log" | tail -n 3)"
blocked_from 198.19.166.2 && blocked_from 198.19.166.3 && pass "both blocklisted sources dropped, counted exactly" ||
	fail "traffic after the repair: BLOCKED $(pinned_counter "$pin" 3)"

# The link pin: its removal detaches the program, which cannot be pinned again.
rm "$pin/links/hcfi"
wait_for 5 bash -c "! ip -n '$ns' -d link show dev hcfi | grep -q prog/xdp" &&
	pass "removing the link pin detached XDP (the pin was the link's only holder)" || fail "still attached after rm"
sed -i '/^198.19.166.3$/d' "$work/block.txt"
if wait_for 10 bash -c "! '$BPFTOOL' map lookup pinned '$pin/blocked_ips' key 198 19 166 3 >/dev/null 2>&1" &&
	wait_for 5 attached; then
	pass "the next policy update applies (198.19.166.3 unblocked) and hcfi is attached anew"
else
	fail "after removing the link pin: $(tail -n 5 "$work/agent.log")"
fi
grep -q "hcfi: its link pin $pin/links/hcfi is gone, and the XDP program with it: .* it cannot be pinned again; attaching anew" "$work/agent.log" &&
	[ -e "$pin/links/hcfi" ] && pass "the lost link pin: said why it cannot be pinned again; a new link is pinned" ||
	fail "link pin: $(tail -n 4 "$work/agent.log")"
blocked_from 198.19.166.2 && pass "198.19.166.2 dropped again, counted exactly" ||
	fail "traffic after the re-attach: BLOCKED $(pinned_counter "$pin" 3)"

rm "$pin/iface_names"
echo 198.19.166.4 >>"$work/block.txt"
if wait_for 10 pinned_has_v4 "$pin" blocked_ips 198.19.166.4 &&
	grep -q "$pin/iface_names: pin missing, and the attached program does not use that map: .* new maps are made from the config" "$work/agent.log"; then
	pass "iface_names removed (no program holds it): said why it cannot come back; new maps, the update applied"
else
	fail "iface_names: $(tail -n 4 "$work/agent.log")"
fi
[ -e "$pin/iface_names" ] && nsenter --net="/run/netns/$ns" "$agent" --stats -c "$work/live.yaml" | grep -q hcfi &&
	blocked_from 198.19.166.4 && blocked_from 198.19.166.2 && kill -0 "$daemon_pid" &&
	pass "afterwards: every pin there, --stats names hcfi, the policy in force, the daemon running" ||
	fail "after new maps: $(ls "$pin"); $(tail -n 3 "$work/agent.log")"

exit "$test_status"
