#!/usr/bin/env bash
# policy_scripts_test.sh - allow_ip.sh, block_ip.sh, unblock_ip.sh and block_ips_from_file.sh
# against the real agent and kernel: every change proved with real frames sent from a peer
# namespace over a veth (host side in the root namespace, where XDP runs), bad input refused with
# nothing changed, idempotence, a running daemon, restart and --down (reboot), and a 100,000-line
# bulk file applied in one reconcile with exact counts. Never touches /etc/vosfp.yaml or
# /var/lib/vosfp: config, state files and pins are this test's own, removed however it exits.
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "policy scripts"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
scripts="$VOSFP_ROOT/scripts"
work=$(mktemp -d /tmp/vosfp-pol-test.XXXXXX)
pin="/sys/fs/bpf/vosfp-pol-$$"
ns="vosfp-pol-$$" host="vpol$$h" peer="vpol$$p"
state="$work/state"		# does not exist yet: the scripts create it
block="$state/blocked.txt" allow="$state/allowed.txt"
config="$work/vosfp.yaml"
daemon_pid=""

cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	remove_agent_state "$config" "$pin"
	[ -z "${nobody_dir:-}" ] || rm -rf "$nobody_dir"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM	# bash runs the EXIT trap on a signal only through exit
[ -n "${VOSFP_KEEP_LOG:-}" ] && trap 'cp "$work/agent.log" /tmp/policy-test-agent.log; cleanup' EXIT

# The scripts run the agent through a shim that counts its invocations (one reconcile per run).
cat >"$work/agent-shim" <<SHIM
#!/bin/sh
echo "\$*" >>"$work/agent-calls"
exec "$agent" "\$@"
SHIM
chmod 755 "$work/agent-shim"
: >"$work/agent-calls"
export VOSFP_AGENT="$work/agent-shim" VOSFP_CONFIG="$config" VOSFP_BLOCK_FILE="$block" VOSFP_ALLOW_FILE="$allow"

# --- a veth into a namespace; the host side has no address (no route in the root namespace can
# clash with another test's): frames from the peer reach XDP through a static neighbour entry.
new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip link set "$host" up
for i in $(seq 2 20); do ip -n "$ns" addr add "198.19.77.$i/24" dev "$peer"; done
ip -n "$ns" addr add 198.18.0.9/32 dev "$peer"		# sources inside the bulk file's ranges
ip -n "$ns" addr add 198.19.130.33/32 dev "$peer"
ip -n "$ns" addr add 2001:db8:77::2/64 dev "$peer" nodad
ip -n "$ns" addr add 2001:db8:77::5/64 dev "$peer" nodad
ip -n "$ns" addr add 2001:db8:1::9/128 dev "$peer" nodad
ip -n "$ns" link set "$peer" up
hmac=$(cat "/sys/class/net/$host/address")
ip -n "$ns" neigh add 198.19.77.1 lladdr "$hmac" dev "$peer" nud permanent
ip -n "$ns" neigh add 2001:db8:77::1 lladdr "$hmac" dev "$peer" nud permanent

REGISTER='REGISTER sip:198.19.77.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.77.2:5060\r\nContent-Length: 0\r\n\r\n'
OPTIONS='OPTIONS sip:198.19.77.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.19.77.2:5060\r\nContent-Length: 0\r\n\r\n'
C_OPTIONS=0 C_PASSED=2 C_BLOCKED=3

# write_config FILE [BLOCKLIST_MAX [BLOCK_FILES [ALLOW_FILES]]]: the test's config, written atomically.
write_config() {
	{
		config_head "$pin" "$host"
		cat <<CFG
allowlist:
  addresses: []
  optional_files: [${4-$allow}]
blocklist:
  addresses: [198.19.77.20]    # inline: unblock_ip.sh cannot remove it, and says so
  optional_files: [${3-$block}]
limits:
  blocklist_max: ${2:-1048576}
CFG
	} >"$1.tmp"
	mv "$1.tmp" "$1"
}
write_config "$config"

# traffic LABEL SRC TEXT COUNT COUNTER: COUNT datagrams from SRC must move COUNTER by exactly COUNT.
traffic() {
	local label=$1 src=$2 text=$3 count=$4 idx=$5 before want dst=198.19.77.1
	case $src in *:*) dst=2001:db8:77::1 ;; esac
	before=$(pinned_counter "$pin" "$idx")
	want=$((before + count))
	ip netns exec "$ns" "$udp_send" -s "$src" "$dst" 5060 "$text" "$count"
	if wait_for 20 counter_is "$idx" "$want"; then
		pass "$label"
	else
		fail "$label: counter $idx = $(pinned_counter "$pin" "$idx"), expected $want"
	fi
}
counter_is() { [ "$(pinned_counter "$pin" "$1")" -eq "$2" ]; }

onces() { grep -c -- '--once' "$work/agent-calls"; }
state_sum() { cat "$block" "$allow" 2>/dev/null | md5sum; }

# run SCRIPT ARGS...: run a script from / (not the repo); sets rc, out (stdout), err (stderr).
run() {
	(cd / && "$scripts/$1" "${@:2}") >"$work/run.out" 2>"$work/run.err"
	rc=$?
	out=$(cat "$work/run.out")
	err=$(cat "$work/run.err")
}

# ok LABEL MESSAGE: the last run exited 0 and said MESSAGE (fixed string) on stderr.
ok() {
	if [ "$rc" -eq 0 ] && grep -qF -- "$2" <<<"$err"; then
		pass "$1"
	else
		fail "$1: rc=$rc, stderr: $err"
	fi
}

# bad LABEL MESSAGE SCRIPT ARGS...: exit 1, MESSAGE (fixed string) on stderr, no state file
# changed, no reconcile run.
bad() {
	local label=$1 msg=$2 sum calls
	shift 2
	sum=$(state_sum) calls=$(onces)
	run "$@"
	if [ "$rc" -eq 1 ] && grep -qF -- "$msg" <<<"$err" && [ "$(state_sum)" = "$sum" ] && [ "$(onces)" = "$calls" ]; then
		pass "$label: exit 1, nothing changed"
	else
		fail "$label: rc=$rc (want 1), reconciles $calls -> $(onces), stderr: $err"
	fi
}

# in_file FILE LINE: FILE holds LINE exactly once.
in_file() { [ "$(grep -cxF -- "$2" "$1" 2>/dev/null)" = 1 ]; }

# pinned_has_v6 MAP BYTES...: is this 16-byte key in the pinned exact IPv6 map?
pinned_has_v6() {
	local map=$1
	shift
	"$BPFTOOL" map lookup pinned "$pin/$map" key hex "$@" >/dev/null 2>&1
}
# pinned_lpm4 A.B.C.D LEN: does the pinned IPv4 prefix trie hold LEN (or a prefix covering it)?
pinned_lpm4() {
	# shellcheck disable=SC2046
	"$BPFTOOL" map lookup pinned "$pin/blocked_nets" key "$2" 0 0 0 $(tr . ' ' <<<"$1") >/dev/null 2>&1
}

# --- bad input: exit 1, the agent's reason, nothing changed -----------------------------------
for s in block_ip.sh allow_ip.sh unblock_ip.sh; do
	run "$s" -h
	[ "$rc" -eq 0 ] && grep -q "^Usage: $s \[-h\] <ip>" <<<"$out" && pass "$s -h: usage on stdout, exit 0" ||
		fail "$s -h: rc=$rc out=$out"
	bad "$s: no address" "expected exactly one argument, got 0" "$s"
	bad "$s: two addresses" "expected exactly one argument, got 2" "$s" 198.19.77.3 198.19.77.4
	bad "$s: garbage" "'garbage' is not an IPv4 or IPv6 address" "$s" garbage
	bad "$s: host bits set" "'10.0.0.1/8' has host bits set: expected the network address (10.0.0.0/8)" "$s" 10.0.0.1/8
	bad "$s: /33" "'198.19.77.0/33': prefix length must be a number from 0 to 32" "$s" 198.19.77.0/33
	bad "$s: IPv6 /129" "'2001:db8::/129': prefix length must be a number from 0 to 128" "$s" 2001:db8::/129
	bad "$s: empty string" "'': expected one IPv4 or IPv6 address or CIDR prefix" "$s" ""
	bad "$s: a comment" "'#198.19.77.3': expected one IPv4 or IPv6 address or CIDR prefix" "$s" '#198.19.77.3'
	bad "$s: two lines in one argument" "expected one IPv4 or IPv6 address or CIDR prefix" "$s" $'198.19.77.3\n198.19.77.4'
	bad "$s: unknown option" "unknown option -x" "$s" -x
done
[ ! -e "$state" ] && pass "bad input created no state directory" || fail "bad input created $state"

# Unprivileged: -h and bad input work; a valid address needs root and changes nothing.
for s in block_ip.sh allow_ip.sh unblock_ip.sh block_ips_from_file.sh; do
	out=$(cd / && runuser -u nobody -- env VOSFP_AGENT="$agent" "$scripts/$s" -h 2>&1) && grep -q "^Usage: $s" <<<"$out" && pass "$s -h works unprivileged" || fail "$s -h as nobody: $out"
done
out=$(cd / && runuser -u nobody -- env VOSFP_AGENT="$agent" "$scripts/block_ip.sh" 198.19.77.0/33 2>&1)
[ $? -eq 1 ] && grep -qF "prefix length must be a number from 0 to 32" <<<"$out" &&
	pass "bad input refused unprivileged with the agent's reason" || fail "bad input as nobody: $out"
out=$(cd / && runuser -u nobody -- env VOSFP_AGENT="$agent" VOSFP_BLOCK_FILE="$block" "$scripts/block_ip.sh" 198.19.77.3 2>&1)
[ $? -eq 1 ] && grep -qF "must run as root" <<<"$out" && [ ! -e "$state" ] &&
	pass "valid input unprivileged: 'must run as root', nothing changed" || fail "valid input as nobody: $out"

# The bulk script's own bad input.
printf '198.19.77.3\n' >"$work/one.txt"
bad "block_ips_from_file.sh: no file" "expected exactly one argument, got 0" block_ips_from_file.sh
bad "block_ips_from_file.sh: two files" "expected exactly one argument, got 2" block_ips_from_file.sh "$work/one.txt" "$work/one.txt"
bad "block_ips_from_file.sh: missing file" "cannot read $work/missing.txt" block_ips_from_file.sh "$work/missing.txt"
bad "block_ips_from_file.sh: a directory" "cannot read $work" block_ips_from_file.sh "$work"
printf '198.19.77.3\n198.19\0.77.4\n198.19.77.5\n' >"$work/binary.txt"
bad "block_ips_from_file.sh: binary file" "holds binary data (NUL bytes)" block_ips_from_file.sh "$work/binary.txt"
run block_ips_from_file.sh -h
[ "$rc" -eq 0 ] && grep -q "^Usage: block_ips_from_file.sh \[-h\] <file>" <<<"$out" &&
	pass "block_ips_from_file.sh -h: usage, exit 0" || fail "block_ips_from_file.sh -h: rc=$rc"

# A config that does not name the state file (or names it under the other list) is refused.
write_config "$work/unnamed.yaml" "" "$work/other.txt" "$work/other2.txt"
VOSFP_CONFIG="$work/unnamed.yaml" bad "block_ip.sh: config does not name the state file" \
	"does not name $block under blocklist: add it to blocklist.optional_files" block_ip.sh 198.19.77.3
write_config "$work/swapped.yaml" "" "$allow" "$block"
VOSFP_CONFIG="$work/swapped.yaml" bad "block_ip.sh: state file named under allowlist only" \
	"does not name $block under blocklist" block_ip.sh 198.19.77.3
VOSFP_CONFIG="$work/swapped.yaml" bad "allow_ip.sh: state file named under blocklist only" \
	"does not name $allow under allowlist" allow_ip.sh 198.19.77.3
VOSFP_CONFIG="$work/unnamed.yaml" bad "block_ips_from_file.sh: config does not name the state file" \
	"does not name $block under blocklist" block_ips_from_file.sh "$work/one.txt"
[ ! -e "$state" ] && pass "refused configs created no state directory" || fail "refused config created $state"

# --- block_ip.sh: the first run creates the state directory and brings the datapath up ---------
calls=$(onces)
run block_ip.sh 198.19.77.3
ok "block_ip.sh 198.19.77.3 (from /)" "198.19.77.3 blocked (added to $block, applied)"
[ "$(cat "$block" 2>/dev/null)" = "198.19.77.3" ] && pass "state directory created, the entry stored" ||
	fail "state file: $(cat "$block" 2>/dev/null)"
[ "$(($(onces) - calls))" -eq 1 ] && pass "block_ip.sh: one reconcile" || fail "block_ip.sh: $(($(onces) - calls)) reconciles"
[ -e "$block.lock" ] && pass "the lock file sits beside the state file" || fail "no $block.lock"
traffic "blocked source: REGISTER dropped (BLOCKED +5)" 198.19.77.3 "$REGISTER" 5 $C_BLOCKED
traffic "another source: REGISTER passes (PASSED +4)" 198.19.77.2 "$REGISTER" 4 $C_PASSED

calls=$(onces)
run block_ip.sh 198.19.77.3
ok "block_ip.sh twice: exit 0" "198.19.77.3 is already blocked (in $block): nothing changed"
[ "$(wc -l <"$block")" -eq 1 ] && [ "$(onces)" = "$calls" ] && pass "block twice: one line in the file, no reconcile" ||
	fail "block twice: $(wc -l <"$block") lines, $(($(onces) - calls)) reconciles"

(cd / && "${scripts#/}/block_ip.sh" 198.19.77.16/28) 2>/dev/null && in_file "$block" 198.19.77.16/28 &&
	pass "block_ip.sh by a relative path from /: CIDR stored" || fail "block_ip.sh CIDR from /: $(cat "$block")"
traffic "blocked CIDR 198.19.77.16/28: source .17 dropped" 198.19.77.17 "$REGISTER" 3 $C_BLOCKED

(cd "$work" && VOSFP_CONFIG=vosfp.yaml VOSFP_BLOCK_FILE=state/blocked.txt "$scripts/block_ip.sh" 198.19.77.19) 2>/dev/null &&
	in_file "$block" 198.19.77.19 && pass "relative VOSFP_CONFIG and VOSFP_BLOCK_FILE resolve against the working directory" ||
	fail "relative paths: $(cat "$block")"
run unblock_ip.sh 198.19.77.19

run block_ip.sh 2001:DB8:77:0:0:0:0:5
ok "block_ip.sh IPv6 (non-canonical spelling)" "2001:db8:77::5 blocked"
in_file "$block" 2001:db8:77::5 && pass "IPv6 stored canonical" || fail "IPv6 entry: $(cat "$block")"
traffic "blocked IPv6 source dropped" 2001:db8:77::5 "$REGISTER" 3 $C_BLOCKED
traffic "another IPv6 source passes" 2001:db8:77::2 "$REGISTER" 2 $C_PASSED
run block_ip.sh 2001:db8:77::5/128
ok "the same IPv6 as /128: already blocked" "2001:db8:77::5 is already blocked"

# --- allow_ip.sh -----------------------------------------------------------------------------------
traffic "before allow_ip.sh: OPTIONS from .4 dropped (stealth)" 198.19.77.4 "$OPTIONS" 3 $C_OPTIONS
run allow_ip.sh 198.19.77.4
ok "allow_ip.sh 198.19.77.4" "198.19.77.4 allowed (added to $allow, applied)"
[ "$(cat "$allow")" = "198.19.77.4" ] && pass "allow state file holds the entry" || fail "allow file: $(cat "$allow")"
traffic "allowed source: OPTIONS passes (PASSED +3)" 198.19.77.4 "$OPTIONS" 3 $C_PASSED
traffic "unlisted source: OPTIONS still dropped" 198.19.77.5 "$OPTIONS" 2 $C_OPTIONS
calls=$(onces)
run allow_ip.sh 198.19.77.4
ok "allow_ip.sh twice: exit 0" "198.19.77.4 is already allowed (in $allow): nothing changed"
[ "$(wc -l <"$allow")" -eq 1 ] && [ "$(onces)" = "$calls" ] && pass "allow twice: one line, no reconcile" ||
	fail "allow twice: $(wc -l <"$allow") lines"
run allow_ip.sh 198.19.77.3
ok "allow_ip.sh of a blocked source warns that the blocklist wins" "warning: 198.19.77.3 is also on the blocklist"
traffic "blocked and allowed: OPTIONS still dropped as BLOCKED" 198.19.77.3 "$OPTIONS" 2 $C_BLOCKED

# --- unblock_ip.sh ------------------------------------------------------------------------------
run unblock_ip.sh 198.19.77.3
ok "unblock_ip.sh 198.19.77.3" "198.19.77.3 unblocked (removed from $block, applied)"
! grep -qxF 198.19.77.3 "$block" && in_file "$block" 198.19.77.16/28 && pass "only that entry left the state file" ||
	fail "state file after unblock: $(cat "$block")"
traffic "unblocked source: REGISTER passes again" 198.19.77.3 "$REGISTER" 4 $C_PASSED
traffic "unblocked and allowed: OPTIONS passes" 198.19.77.3 "$OPTIONS" 2 $C_PASSED
calls=$(onces) sum=$(state_sum)
run unblock_ip.sh 198.19.77.3
ok "unblock_ip.sh twice: exit 0" "198.19.77.3 is not in $block: nothing changed"
[ "$(state_sum)" = "$sum" ] && [ "$(onces)" = "$calls" ] && pass "unblock twice: nothing changed, no reconcile" ||
	fail "unblock twice changed something"
run unblock_ip.sh 2001:db8:77:0::5
ok "unblock_ip.sh IPv6 in another spelling" "2001:db8:77::5 unblocked"
traffic "unblocked IPv6 source passes" 2001:db8:77::5 "$REGISTER" 2 $C_PASSED
run unblock_ip.sh 198.19.77.20
ok "unblock_ip.sh of an inline config entry: nothing changed" "198.19.77.20 is not in $block: nothing changed"
grep -qF "warning: 198.19.77.20 is still blocked" <<<"$err" && pass "... and warns that it is still blocked" ||
	fail "no still-blocked warning: $err"
traffic "the inline entry stays blocked" 198.19.77.20 "$REGISTER" 2 $C_BLOCKED
run block_ip.sh 198.19.77.18
run unblock_ip.sh 198.19.77.18
grep -qF "warning: 198.19.77.18 is still blocked" <<<"$err" && pass "unblock inside a blocked CIDR warns" ||
	fail "no warning for an address a CIDR still covers: $err"

# --- the agent refuses the change: the previous state file is restored -----------------------------
cp "$block" "$work/block.before"
entries=$(($(wc -l <"$block") + 1))	# + the inline entry: the blocklist is exactly full
write_config "$config" "$entries"
run block_ip.sh 198.19.77.6
[ "$rc" -eq 1 ] && grep -qF "vosfp-agent --once --config $config failed (exit 2); previous $block restored" <<<"$err" &&
	pass "block_ip.sh when the agent refuses (blocklist full): exit 1" || fail "agent refused: rc=$rc err=$err"
grep -qF "limits.blocklist_max (2)" <<<"$err" &&
	pass "the agent's reason is shown" || fail "agent's reason missing: $err"
cmp -s "$block" "$work/block.before" && pass "state file restored byte for byte" || fail "state file not restored"
traffic "refused change: 198.19.77.6 still passes" 198.19.77.6 "$REGISTER" 2 $C_PASSED
write_config "$config"

# --- concurrent scripts serialize on the lock ------------------------------------------------
pids=()
for i in 6 7 8 9 10 11; do
	(cd / && "$scripts/block_ip.sh" "198.19.77.$i") 2>/dev/null &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
n=0
for i in 6 7 8 9 10 11; do in_file "$block" "198.19.77.$i" && n=$((n + 1)); done
[ "$fails" -eq 0 ] && [ "$n" -eq 6 ] && pass "6 concurrent block_ip.sh: all succeed, all 6 entries stored" ||
	fail "concurrent: $fails failed, $n of 6 stored: $(cat "$block")"
for i in 6 11; do traffic "concurrently blocked 198.19.77.$i dropped" "198.19.77.$i" "$REGISTER" 2 $C_BLOCKED; done
for i in 7 8 9 10 11; do run unblock_ip.sh "198.19.77.$i"; done

# --- with the daemon running: in force without another command, never undone ---------------------------
reloads() { grep -c "reload: " "$work/agent.log" || true; }
more_reloads_than() { [ "$(reloads)" -gt "$1" ]; }
reconciles() { grep -cE "reconciled in|no change:" "$work/agent.log" || true; }
more_reconciles_than() { [ "$(reconciles)" -gt "$1" ]; }
start_daemon() {
	local before
	before=$(reconciles)
	"$agent" -c "$config" 2>>"$work/agent.log" &
	daemon_pid=$!
	wait_for 20 more_reconciles_than "$before" || { fail "daemon did not come up: $(tail -5 "$work/agent.log")"; exit 1; }
}
stop_daemon() {
	kill "$daemon_pid" && wait "$daemon_pid"
	daemon_pid=""
}
blocked4() { pinned_has_v4 "$pin" blocked_ips "$1"; }
unblocked4() { ! pinned_has_v4 "$pin" blocked_ips "$1"; }

: >"$work/agent.log"
start_daemon
before=$(reloads)
run block_ip.sh 198.19.77.12
ok "daemon running: block_ip.sh 198.19.77.12" "198.19.77.12 blocked"
wait_for 20 blocked4 198.19.77.12 && pass "daemon running: block in force" ||
	fail "daemon running: block not in force"
traffic "daemon running: blocked source dropped" 198.19.77.12 "$REGISTER" 3 $C_BLOCKED
wait_for 20 more_reloads_than "$before" && pass "the daemon saw the state file change" ||
	fail "daemon did not reload on the state file: $(tail -3 "$work/agent.log")"
before=$(reloads)
kill -HUP "$daemon_pid"
wait_for 20 more_reloads_than "$before" || fail "SIGHUP: no reload logged"
traffic "daemon reloads never undo the script's block" 198.19.77.12 "$REGISTER" 2 $C_BLOCKED
run allow_ip.sh 198.19.77.13
ok "daemon running: allow_ip.sh 198.19.77.13" "198.19.77.13 allowed"
wait_for 20 pinned_has_v4 "$pin" allowed_ips 198.19.77.13 && pass "daemon running: allow in force" ||
	fail "daemon running: allow not in force"
traffic "daemon running: allowed source's OPTIONS passes" 198.19.77.13 "$OPTIONS" 2 $C_PASSED
run unblock_ip.sh 198.19.77.12
ok "daemon running: unblock_ip.sh 198.19.77.12" "198.19.77.12 unblocked"
wait_for 20 unblocked4 198.19.77.12 && pass "daemon running: unblock in force" ||
	fail "daemon running: unblock not in force"
traffic "daemon running: unblocked source passes" 198.19.77.12 "$REGISTER" 2 $C_PASSED
kill -0 "$daemon_pid" && pass "the daemon keeps running" || fail "the daemon died"

# --- restart and reboot: the state files are the desired state ---------------------------------
stop_daemon
"$agent" --down -c "$config" 2>/dev/null		# a reboot loses every pin
[ ! -e "$pin" ] && pass "--down removed the pins (as a reboot does)" || fail "--down left $pin"
start_daemon
traffic "after restart + reboot: the script's block is back" 198.19.77.6 "$REGISTER" 2 $C_BLOCKED
traffic "after restart + reboot: the CIDR block is back" 198.19.77.17 "$REGISTER" 2 $C_BLOCKED
traffic "after restart + reboot: the script's allow is back" 198.19.77.4 "$OPTIONS" 2 $C_PASSED
traffic "after restart + reboot: the unblocked source passes" 198.19.77.3 "$REGISTER" 2 $C_PASSED
stop_daemon

# --- block_ips_from_file.sh: 100,000 lines, one reconcile, exact counts ------------------------
# 80,000 IPv4 (198.18.0.0 - 198.19.56.127), 10,000 IPv6, 1,000 IPv4 /28s in 198.19.128.0/17,
# 100 IPv6 /64s: 91,100 new. 500 invalid lines. 2,000 repeats (half spelled differently), the 2
# entries already in the state file: not new, not invalid. Comments and blank lines fill up.
bulk="$work/bulk.txt"
awk 'BEGIN {
	for (i = 0; i < 80000; i++)
		printf "198.%d.%d.%d\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256
	for (i = 0; i < 10000; i++)
		printf "2001:db8:1::%x\n", i + 1
	for (j = 0; j < 1000; j++)
		printf "198.19.%d.%d/28\n", 128 + int(j / 16), (j % 16) * 16
	for (j = 0; j < 100; j++)
		printf "2001:db8:2:%x::/64\n", j
	for (k = 0; k < 500; k++) {
		if (k % 5 == 0) printf "garbage-%d\n", k
		else if (k % 5 == 1) printf "198.18.%d.1/24\n", k % 256
		else if (k % 5 == 2) printf "198.18.0.0/33\n"
		else if (k % 5 == 3) printf "198.18.0.%d 198.18.0.%d\n", k % 256, (k + 1) % 256
		else printf "2001:db8::%x::1\n", k
	}
	for (k = 0; k < 1000; k++)
		printf "198.18.%d.%d\n", int(k / 256), k % 256
	for (k = 0; k < 1000; k++)
		printf "198.18.%d.%d/32   # the same, spelled as a prefix\n", int(k / 256), k % 256
	print "198.19.77.6"
	print "198.19.77.16/28"
	for (n = 80000 + 10000 + 1000 + 100 + 500 + 2000 + 2; n < 100000; n++)
		print (n % 3 ? "# a comment line" : "")
}' | shuf --random-source=<(yes) >"$bulk"
[ "$(wc -l <"$bulk")" -eq 100000 ] && pass "generated a 100,000-line file" || fail "bulk file has $(wc -l <"$bulk") lines"
lines_before=$(wc -l <"$block")
calls=$(onces)
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
run block_ips_from_file.sh "$bulk"
t1=$(ms)
[ "$rc" -eq 0 ] && [ "$out" = "Done: 91100 blocked, 500 skipped (invalid), 0 failed" ] &&
	pass "bulk: '$out', exit 0 ($((t1 - t0)) ms)" || fail "bulk: rc=$rc out='$out' err=$(tail -3 <<<"$err")"
[ "$(($(onces) - calls))" -eq 1 ] && pass "bulk: exactly one reconcile for the whole file" ||
	fail "bulk: $(($(onces) - calls)) reconciles"
grep -q "2002 valid entries were already blocked or repeated: unchanged" <<<"$err" &&
	pass "bulk: repeats and already-blocked entries reported, not counted" || fail "bulk: no note on repeats: $err"
[ "$(wc -l <"$block")" -eq $((lines_before + 91100)) ] && [ -z "$(sort "$block" | uniq -d)" ] &&
	pass "bulk: state file grew by 91,100 lines, no duplicates" || fail "bulk: state file has $(wc -l <"$block") lines"
n=0
for a in 198.18.0.0 198.18.0.9 198.18.128.77 198.18.255.255 198.19.0.0 198.19.56.127; do
	pinned_has_v4 "$pin" blocked_ips "$a" && n=$((n + 1))
done
pinned_has_v6 blocked_ips6 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01 && n=$((n + 1))	# 2001:db8:1::1
pinned_has_v6 blocked_ips6 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 27 10 && n=$((n + 1))	# 2001:db8:1::2710
pinned_lpm4 198.19.128.0 28 && n=$((n + 1))
pinned_lpm4 198.19.190.112 28 && n=$((n + 1))
[ "$n" -eq 10 ] && pass "bulk: a sample of 10 entries (IPv4, IPv6, CIDR) is in the pinned maps" ||
	fail "bulk: $n of 10 sampled entries in the pinned maps"
! pinned_has_v4 "$pin" blocked_ips 198.19.56.128 && pass "bulk: nothing beyond the file" || fail "bulk: 198.19.56.128 blocked"
traffic "bulk: a listed IPv4 source dropped" 198.18.0.9 "$REGISTER" 3 $C_BLOCKED
traffic "bulk: a source in a listed /28 dropped" 198.19.130.33 "$REGISTER" 3 $C_BLOCKED
traffic "bulk: a listed IPv6 source dropped" 2001:db8:1::9 "$REGISTER" 3 $C_BLOCKED
traffic "bulk: an unlisted source passes" 198.19.77.2 "$REGISTER" 2 $C_PASSED

calls=$(onces)
run block_ips_from_file.sh "$bulk"
[ "$rc" -eq 0 ] && [ "$out" = "Done: 0 blocked, 500 skipped (invalid), 0 failed" ] && [ "$(onces)" = "$calls" ] &&
	pass "bulk again: 0 blocked, no reconcile" || fail "bulk again: rc=$rc out='$out'"

printf '# only comments and blanks\n\n   \n# 198.19.77.14\n' >"$work/comments.txt"
run block_ips_from_file.sh "$work/comments.txt"
[ "$rc" -eq 0 ] && [ "$out" = "Done: 0 blocked, 0 skipped (invalid), 0 failed" ] &&
	pass "bulk: comments and blanks are neither blocked nor skipped" || fail "comments only: rc=$rc out='$out'"
printf 'nope\n198.19.77.14/8\n198.19.77.15\n' >"$work/mixed.txt"
run block_ips_from_file.sh "$work/mixed.txt"
[ "$rc" -eq 0 ] && [ "$out" = "Done: 1 blocked, 2 skipped (invalid), 0 failed" ] &&
	grep -qF "$work/mixed.txt:2: '198.19.77.14/8' has host bits set" <<<"$err" &&
	pass "bulk: invalid lines skipped with file:line reasons, exit 0" || fail "mixed: rc=$rc out='$out' err=$err"
traffic "bulk: the valid line of a mixed file applies" 198.19.77.15 "$REGISTER" 2 $C_BLOCKED

# The agent refuses (blocklist full): everything new failed, state file restored, exit 1.
cp "$block" "$work/block.before"
write_config "$config" $(($(wc -l <"$block") + 1 + 2))
printf '198.19.77.14\n198.19.77.13\n198.19.77.12\nbad\n' >"$work/three.txt"
calls=$(onces)
run block_ips_from_file.sh "$work/three.txt"
[ "$rc" -eq 1 ] && [ "$out" = "Done: 0 blocked, 1 skipped (invalid), 3 failed" ] && [ "$(($(onces) - calls))" -eq 1 ] &&
	pass "bulk refused by the agent: 3 failed, exit 1" || fail "bulk refused: rc=$rc out='$out' err=$err"
cmp -s "$block" "$work/block.before" && pass "bulk refused: state file restored" || fail "bulk refused: state file changed"
traffic "bulk refused: 198.19.77.14 still passes" 198.19.77.14 "$REGISTER" 2 $C_PASSED
write_config "$config"

# --- StrictModes: the operator may import any file; a state file others could change is refused --
nobody_dir=$(runuser -u nobody -- mktemp -d /tmp/vosfp-pol-nobody.XXXXXX)
runuser -u nobody -- sh -c "printf '198.19.77.13\n' >'$nobody_dir/in.txt'"
run block_ips_from_file.sh "$nobody_dir/in.txt"
[ "$rc" -eq 0 ] && [ "$out" = "Done: 1 blocked, 0 skipped (invalid), 0 failed" ] &&
	pass "bulk: a file of nobody's, in nobody's directory, is imported (the operator named it)" ||
	fail "bulk of nobody's file: rc=$rc out='$out' err=$err"
traffic "bulk: its entry applies" 198.19.77.13 "$REGISTER" 2 $C_BLOCKED
rm -rf "$nobody_dir"
cp "$block" "$work/block.before"
chmod 666 "$block"
run block_ip.sh 198.19.77.12
[ "$rc" -eq 1 ] && grep -qF "$block is refused by the agent" <<<"$err" &&
	grep -qF "unsafe: writable by group or others (mode 0666), who could change it: chmod go-w $block" <<<"$err" &&
	cmp -s "$block" "$work/block.before" && pass "block_ip.sh with a world-writable state file: refused with the fix, nothing changed" ||
	fail "world-writable state file: rc=$rc err=$err"
traffic "... 198.19.77.12 still passes" 198.19.77.12 "$REGISTER" 2 $C_PASSED
chmod 644 "$block"

exit $test_status
