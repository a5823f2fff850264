#!/usr/bin/env bash
# deploy_script_test.sh - deploy.sh against the real agent and kernel: attach in native mode on a
# veth (proved with real frames), the fallback to generic when the driver refuses native (a
# veth whose MTU is too large for native XDP), the kernel refusing both modes (an upper device
# already has a program) with its reason and nothing changed, idempotence, [obj], a config that
# does not name the interface file, usage errors, a running agent that applies the change itself
# and never undoes it, and the line's removal detaching the interface. Own config, interface
# file, pins and interfaces, all removed however the test exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "deploy.sh"

agent="$VOSFP_ROOT/build/vosfp-agent"
work=$(mktemp -d /tmp/vosfp-dep-test.XXXXXX)
pin="/sys/fs/bpf/vosfp-dep-$$"
ns="vosfp-dep-$$"
host="vdep$$a" peer="vdep$$b"		# native XDP, traffic from the namespace
big="vdep$$m" bigpeer="vdep$$n"		# MTU 9000: native refused, generic works
bridge="vdep$$r" slave="vdep$$s" slavepeer="vdep$$t"	# the bridge carries a foreign program
ifaces="$work/state/interfaces.txt"	# does not exist yet: deploy.sh creates it
config="$work/vosfp.yaml"
daemon_pid=""

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	remove_agent_state "$config" "$pin"
	for dev in "$host" "$big" "$slave" "$bridge"; do
		ip link del "$dev" 2>/dev/null
	done
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$config" <<CFG
version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces: []
interface_files: [state/interfaces.txt]
CFG
export VOSFP_CONFIG="$config" VOSFP_IFACE_FILE="$ifaces"

new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" &&
	ip link add "$big" mtu 9000 type veth peer name "$bigpeer" mtu 9000 &&
	ip link add "$bridge" type bridge &&
	ip link add "$slave" type veth peer name "$slavepeer" &&
	ip link set "$slave" master "$bridge" || { fail "cannot create the test's interfaces"; exit 1; }
for dev in "$host" "$big" "$bigpeer" "$bridge" "$slave" "$slavepeer"; do ip link set "$dev" up; done
ip -n "$ns" addr add 198.18.40.2/24 dev "$peer"
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add 198.18.40.1 lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent

OPTIONS='OPTIONS sip:198.18.40.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.40.2:5060\r\nContent-Length: 0\r\n\r\n'
C_OPTIONS=0
counter_is() { [ "$(pinned_counter "$pin" "$1")" -eq "$2" ]; }
# xdp_mode DEV: the attach mode ip(8) shows after the MTU (xdp, xdpgeneric), empty if none.
xdp_mode() { ip -o link show dev "$1" | sed -n 's/.* mtu [0-9]* \(xdp[a-z]*\) .*/\1/p'; }
no_xdp() { [ -z "$(xdp_mode "$1")" ]; }
file_sum() { if [ -e "$ifaces" ]; then md5sum <"$ifaces"; else echo absent; fi; }

# --- usage and refusals before anything exists --------------------------------------------------
run_script deploy.sh -h
[ "$rc" -eq 0 ] && grep -q "^Usage: deploy.sh" <<<"$out" && pass "-h prints usage, exit 0" || fail "-h: rc=$rc out=$out"
run_script deploy.sh
expect_exit "no interface: usage error" 2 "missing <interface>"
run_script deploy.sh "$host" "$VOSFP_ROOT/build/sip_logic.bpf.o" extra
expect_exit "three operands: usage error" 2 "unexpected argument 'extra'"
run_script deploy.sh -x "$host"
expect_exit "unknown option: usage error" 2 "usage: deploy.sh"
run_script deploy.sh "eth0/1"
expect_exit "bad interface name refused" 1 "'eth0/1' is not an interface name"
run_script deploy.sh "vdepnone$$"
expect_exit "missing interface refused" 1 "no network interface 'vdepnone$$'"
out=$(cd / && runuser -u nobody -- env VOSFP_AGENT="$agent" "$VOSFP_ROOT/scripts/deploy.sh" "$host" 2>&1)
[ $? -eq 1 ] && grep -q "must run as root" <<<"$out" && pass "not root: refused" || fail "not root: $out"
[ ! -e "$ifaces" ] && [ ! -e "$pin" ] && pass "refusals wrote nothing, pinned nothing" ||
	fail "a refusal left $ifaces or $pin behind"

# --- native mode on a veth, proved with frames ------------------------------------------------------
run_script deploy.sh "$host"
expect_exit "deploy.sh $host: exit 0" 0
[ "$out" = "$host: XDP filter attached (native mode; declared in $ifaces)" ] &&
	pass "reports native mode and the file" || fail "output: $out"
[ "$(cat "$ifaces")" = "$host native generic" ] && pass "interface file holds one line" ||
	fail "interface file: $(cat "$ifaces")"
[ "$(xdp_mode "$host")" = xdp ] && [ -e "$pin/links/$host" ] && pass "native XDP link attached and pinned" ||
	fail "mode '$(xdp_mode "$host")', link pin: $(ls "$pin/links" 2>&1)"
prog=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
ip netns exec "$ns" "$VOSFP_ROOT/build/vosfp-send" -s 198.18.40.2 198.18.40.1 5060 "$OPTIONS" 25
wait_for 20 counter_is $C_OPTIONS 25 && pass "25 OPTIONS from an unknown source: exactly 25 dropped (stealth)" ||
	fail "OPTIONS_DROPPED = $(pinned_counter "$pin" $C_OPTIONS), expected 25"

sum=$(file_sum)
run_script deploy.sh "$host"
[ "$rc" -eq 0 ] && [ "$out" = "$host: XDP filter in place (native mode; already declared)" ] &&
	[ "$(file_sum)" = "$sum" ] && pass "second deploy: exit 0, file unchanged" || fail "second deploy: rc=$rc out=$out"
now=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
[ -n "$prog" ] && [ "$now" = "$prog" ] && pass "second deploy kept the program (id $prog)" || fail "program $prog -> $now"

# --- [obj] ------------------------------------------------------------------------------------
run_script deploy.sh "$host" "$VOSFP_ROOT/build/sip_logic.bpf.o"
expect_exit "obj = the config's object: accepted" 0
cp "$VOSFP_ROOT/build/sip_logic.bpf.o" "$work/other.o" && printf 'x' >>"$work/other.o"
run_script deploy.sh "$big" "$work/other.o"
expect_exit "obj != the config's object: refused" 1 "is not the object $config loads"
run_script deploy.sh "$big" "$work/absent.o"
expect_exit "unreadable obj refused" 1 "cannot read the object"
[ "$(file_sum)" = "$sum" ] && [ -z "$(xdp_mode "$big")" ] && pass "refused [obj]: nothing written or attached" ||
	fail "refused [obj] changed something"

# --- native refused by the driver: generic ------------------------------------------------------
run_script deploy.sh "$big"
[ "$rc" -eq 0 ] && [ "$out" = "$big: XDP filter attached (generic mode; declared in $ifaces)" ] &&
	[ "$(xdp_mode "$big")" = xdpgeneric ] && pass "MTU 9000 veth: native refused, generic attached" ||
	fail "MTU 9000 veth: rc=$rc out=$out err=$err mode=$(xdp_mode "$big")"

# --- the kernel refuses both modes: its reason, nothing changed ---------------------------------
ip link set dev "$bridge" xdpgeneric obj "$VOSFP_ROOT/build/sip_logic.bpf.o" sec xdp
sum=$(file_sum)
run_script deploy.sh "$slave"
expect_exit "both modes refused: exit 1 with the kernel's reasons" 1 "tried native: File exists; generic: File exists"
[ "$(file_sum)" = "$sum" ] && [ -z "$(xdp_mode "$slave")" ] && [ "$(xdp_mode "$host")" = xdp ] &&
	[ "$(xdp_mode "$big")" = xdpgeneric ] && pass "refused attach: interface file restored, other interfaces untouched" ||
	fail "refused attach changed something: $(cat "$ifaces")"
ip link set dev "$bridge" xdpgeneric off

# --- the config must name the interface file -------------------------------------------------------
sed 's|^interface_files:.*|interface_files: []|' "$config" >"$work/unnamed.yaml"
VOSFP_CONFIG="$work/unnamed.yaml" run_script deploy.sh "$slave"
expect_exit "config without the interface file: refused" 1 "does not name $ifaces under interface_files"
printf 'version: 1\ninterfaces: [\n' >"$work/broken.yaml"
VOSFP_CONFIG="$work/broken.yaml" run_script deploy.sh "$slave"
expect_exit "invalid config: refused with the agent's reason" 1 "broken.yaml"
[ "$(file_sum)" = "$sum" ] && pass "refused configs: interface file unchanged" || fail "interface file changed"

# --- a running agent applies the file change and never undoes deploy.sh ----------------------------
"$agent" -c "$config" >"$work/agent.log" 2>&1 &
daemon_pid=$!
wait_for 20 grep -q "no change: 0 blocked, 0 allowed, 2 interfaces" "$work/agent.log" ||
	fail "the daemon did not start: $(cat "$work/agent.log")"
run_script deploy.sh "$slave"
expect_exit "deploy.sh with a running agent: exit 0" 0
# The daemon reconciles the file change itself, after deploy.sh's --once: 3 interfaces, no change.
wait_for 20 grep -q "no change: 0 blocked, 0 allowed, 3 interfaces" "$work/agent.log" &&
	[ "$(xdp_mode "$slave")" = xdp ] && kill -0 "$daemon_pid" && pass "running agent keeps the deployed interface" ||
	fail "after the daemon's reconcile: mode '$(xdp_mode "$slave")'; log: $(tail -n 3 "$work/agent.log")"
grep -v "^$big " "$ifaces" >"$work/new" && mv "$work/new" "$ifaces"
wait_for 20 no_xdp "$big" && [ "$(xdp_mode "$host")" = xdp ] &&
	pass "line removed from the interface file: the running agent detached that interface only" ||
	fail "after removing $big's line: $big '$(xdp_mode "$big")', $host '$(xdp_mode "$host")'"

exit "$test_status"
