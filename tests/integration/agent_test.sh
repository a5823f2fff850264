#!/usr/bin/env bash
# agent_test.sh - vosfp-agent against the real kernel: the declared policy in force on real
# frames crossing a veth (host side in the root namespace, where the agent runs; peer in a
# namespace this test creates), every way files really change, invalid edits, rollback on a
# real attach failure, SIGKILL without a filtering gap, restart without writes, --down.
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "vosfp-agent integration"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-agent-test.XXXXXX)
pin="/sys/fs/bpf/vosfp-it-$$"
ns="vosfp-it-$$" host="vit$$h" peer="vit$$p" bridge="vit$$br"
agent_pid=""

cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	remove_agent_state "$work/vosfp.yaml" "$pin"
	ip link del "$host" 2>/dev/null
	ip link del "$bridge" 2>/dev/null
	ip link del "${host}f" 2>/dev/null
	ip link del "${host}w" 2>/dev/null
	ip link del "vit$$nx" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${VOSFP_KEEP_LOG:-}" ] && trap 'cp "$work/agent.log" /tmp/agent-test.log; cleanup' EXIT

# The veth pair: made at the start, and made again after a test deletes it.
make_veth() {
	ip link add "$host" type veth peer name "$peer" netns "$ns" || return 1
	ip addr add 198.18.1.1/24 dev "$host"
	ip link set "$host" up
	for i in 2 3 4 5 6 7 8 9 10 11 12 13 14; do ip -n "$ns" addr add "198.18.1.$i/24" dev "$peer"; done
	ip -n "$ns" link set "$peer" up
	ip -n "$ns" neigh add 198.18.1.1 lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent
}
new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
make_veth || { fail "cannot create veth"; exit 1; }

REGISTER='REGISTER sip:198.18.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.1.2:5060\r\nContent-Length: 0\r\n\r\n'
OPTIONS='OPTIONS sip:198.18.1.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.1.2:5060\r\nContent-Length: 0\r\n\r\n'
C_OPTIONS=0 C_PASSED=2 C_BLOCKED=3

write_config() {	# write_config FILE LISTFILES... (atomically: temp + rename)
	local file=$1 files
	shift
	files=$(printf '%s, ' "$@")
	{
		config_head "$pin" "$host"
		cat <<CFG
allowlist:
  addresses: [198.18.1.4]
blocklist:
  addresses: [198.18.1.3]
  files: [${files%, }]
limits:
  blocklist_max: ${BLOCKLIST_MAX:-1048576}
CFG
	} >"$file.tmp"
	mv "$file.tmp" "$file"
}

counter_is() { [ "$(pinned_counter "$pin" "$1")" -eq "$2" ]; }
# traffic LABEL SRC TEXT COUNT COUNTER: COUNT datagrams from SRC must move COUNTER by exactly COUNT.
traffic() {
	local label=$1 src=$2 text=$3 count=$4 idx=$5 before want
	before=$(pinned_counter "$pin" "$idx")
	want=$((before + count))
	ip netns exec "$ns" "$udp_send" -s "$src" 198.18.1.1 5060 "$text" "$count"
	if wait_for 20 counter_is "$idx" "$want"; then
		pass "$label"
	else
		fail "$label: counter $idx = $(pinned_counter "$pin" "$idx"), expected $want"
	fi
}


# wait for the agent to have applied a block of SRC (or its removal, with "!").
blocked_soon() { wait_for 20 pinned_has_v4 "$pin" blocked_ips "$1"; }
not_blocked() { ! pinned_has_v4 "$pin" blocked_ips "$1"; }
unblocked_soon() { wait_for 20 not_blocked "$1"; }

reconciles() { grep -cE "reconciled in|no change:" "$work/agent.log" 2>/dev/null; }
more_reconciles_than() { [ "$(reconciles)" -gt "$1" ]; }

start_agent() {	# start_agent CONFIG: returns once its first reconcile is done
	local before
	before=$(reconciles)
	"$agent" -c "$1" 2>>"$work/agent.log" &
	agent_pid=$!
	wait_for 20 more_reconciles_than "${before:-0}" || { fail "agent did not come up: $(tail -5 "$work/agent.log")"; exit 1; }
}

# --- start: the declared policy in force --------------------------------------------------
printf '# blocked by file\n198.18.1.5\n' >"$work/block.txt"
write_config "$work/vosfp.yaml" block.txt
start_agent "$work/vosfp.yaml"
pass "agent started on $host"
traffic "start: blocked address (inline) dropped" 198.18.1.3 "$REGISTER" 5 $C_BLOCKED
traffic "start: blocked address (list file) dropped" 198.18.1.5 "$REGISTER" 4 $C_BLOCKED
traffic "start: OPTIONS from the allowlist passes" 198.18.1.4 "$OPTIONS" 3 $C_PASSED
traffic "start: OPTIONS from an unknown source dropped" 198.18.1.2 "$OPTIONS" 2 $C_OPTIONS
traffic "start: REGISTER from an unknown source passes" 198.18.1.2 "$REGISTER" 1 $C_PASSED

# --- every way a file changes ---------------------------------------------------------------
printf '198.18.1.5\n198.18.1.6\n' >"$work/block.txt"			# in place
blocked_soon 198.18.1.6 && traffic "in-place write applied" 198.18.1.6 "$REGISTER" 3 $C_BLOCKED ||
	fail "in-place write not applied"

printf '198.18.1.5\n198.18.1.7\n' >"$work/block.txt.new" && mv "$work/block.txt.new" "$work/block.txt"
blocked_soon 198.18.1.7 && unblocked_soon 198.18.1.6 &&
	traffic "write-to-temp + rename applied" 198.18.1.7 "$REGISTER" 2 $C_BLOCKED ||
	fail "temp + rename not applied"
traffic "temp + rename: the removed entry passes again" 198.18.1.6 "$REGISTER" 2 $C_PASSED

sed -i 's/^198\.18\.1\.7$/198.18.1.8/' "$work/block.txt"			# sed -i
blocked_soon 198.18.1.8 && unblocked_soon 198.18.1.7 &&
	traffic "sed -i applied" 198.18.1.8 "$REGISTER" 2 $C_BLOCKED || fail "sed -i not applied"

invalid_reloads() { grep -c ": invalid (" "$work/agent.log"; }
more_invalid_than() { [ "$(invalid_reloads)" -gt "$1" ]; }
before=$(invalid_reloads)
rm "$work/block.txt"							# delete, then recreate
wait_for 20 more_invalid_than "$before" && pass "deleted list file: the reload is refused" ||
	fail "deleted list file: no refused reload logged: $(tail -3 "$work/agent.log")"
traffic "deleted list file: last good policy kept" 198.18.1.8 "$REGISTER" 1 $C_BLOCKED
printf '198.18.1.5\n198.18.1.9\n' >"$work/block.txt"
blocked_soon 198.18.1.9 && traffic "delete + recreate applied" 198.18.1.9 "$REGISTER" 2 $C_BLOCKED ||
	fail "delete + recreate not applied"

printf '198.18.1.5\n198.' >"$work/block.txt"				# partial writes
printf '18.1.10\n' >>"$work/block.txt"
blocked_soon 198.18.1.10 && traffic "partial writes applied" 198.18.1.10 "$REGISTER" 2 $C_BLOCKED ||
	fail "partial writes not applied"

printf '198.18.1.11\n' >"$work/extra.txt"				# list file added
write_config "$work/vosfp.yaml" block.txt extra.txt
blocked_soon 198.18.1.11 && traffic "list file added to the config applied" 198.18.1.11 "$REGISTER" 2 $C_BLOCKED ||
	fail "added list file not applied"
printf '198.18.1.12\n' >"$work/extra.txt"
blocked_soon 198.18.1.12 && traffic "the added list file is watched" 198.18.1.12 "$REGISTER" 2 $C_BLOCKED ||
	fail "added list file not watched"

write_config "$work/vosfp.yaml" block.txt				# list file removed
unblocked_soon 198.18.1.12 && traffic "list file removed from the config: its entries go" 198.18.1.12 "$REGISTER" 2 $C_PASSED ||
	fail "removed list file still applied"

# --- a burst of writes is one reconcile ---------------------------------------------------------
reloads() { grep -c "reload: " "$work/agent.log"; }
before=$(reloads)
for i in $(seq 1 49); do printf '198.18.1.5\n198.18.1.%d\n' $((i % 2 + 10)) >"$work/block.txt"; done
printf '198.18.1.5\n198.18.1.10\n198.18.1.12\n' >"$work/block.txt"	# the 50th: only the last write names .12
wait_for 20 blocked_soon 198.18.1.12
# The event that closes the count: one more edit, made once a reload has read the burst's last
# write. A burst split in two would have reloaded before that, so the count is exact.
printf '198.18.1.5\n198.18.1.10\n198.18.1.15\n' >"$work/block.txt"
blocked_soon 198.18.1.15 || fail "the edit after the burst was not applied"
[ $(($(reloads) - before)) -eq 2 ] && pass "50 writes in a burst: one reconcile (and one for the edit after it)" ||
	fail "50 writes in a burst and one edit: $(($(reloads) - before)) reconciles, expected 2"

# --- invalid edits keep the last good state --------------------------------------------------
printf '198.18.1.5\nnot-an-address\n' >"$work/block.txt"
wait_for 20 grep -q "block.txt:2: 'not-an-address' is not an IPv4 or IPv6 address" "$work/agent.log" &&
	pass "invalid list edit logged with file:line" || fail "invalid edit not logged: $(tail -3 "$work/agent.log")"
traffic "invalid list edit: last good policy kept" 198.18.1.10 "$REGISTER" 2 $C_BLOCKED
kill -0 "$agent_pid" && pass "agent keeps running after an invalid edit" || fail "agent died on an invalid edit"
printf 'version: 1\ninterfaces: [oops\n' >"$work/vosfp.yaml.tmp" && mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml.bad"
cp "$work/vosfp.yaml" "$work/vosfp.yaml.good"
cp "$work/vosfp.yaml.bad" "$work/vosfp.yaml"
wait_for 20 grep -q "vosfp.yaml:2: not valid YAML: this '\\[' is not closed" "$work/agent.log" && pass "invalid config edit logged with file:line (the unclosed '[')" ||
	fail "invalid config not logged"
traffic "invalid config edit: last good policy kept" 198.18.1.3 "$REGISTER" 2 $C_BLOCKED
cp "$work/vosfp.yaml.good" "$work/vosfp.yaml"
printf '198.18.1.5\n198.18.1.13\n' >"$work/block.txt"
blocked_soon 198.18.1.13 && pass "valid edits apply again after invalid ones" || fail "agent stuck after invalid edit"

# --- another process's reconcile (a script's --once) is noticed, not papered over by the cache ---
printf '198.18.1.5\n' >"$work/other.txt"
write_config "$work/other.yaml" other.txt
"$agent" --once -c "$work/other.yaml" 2>/dev/null
not_blocked 198.18.1.13 && pass "a separate --once changed the kernel (198.18.1.13 unblocked)" ||
	fail "the separate --once did not apply"
printf '198.18.1.5\n198.18.1.13\n' >"$work/block.txt.new" && mv "$work/block.txt.new" "$work/block.txt"
blocked_soon 198.18.1.13 && pass "the daemon re-reads the kernel after another process's reconcile" ||
	fail "the daemon trusted a stale cache: 198.18.1.13 not blocked again"

# --- SIGHUP ---------------------------------------------------------------------------------
kill -HUP "$agent_pid"
wait_for 20 grep -q "reload: SIGHUP" "$work/agent.log" && pass "SIGHUP reloads" || fail "SIGHUP ignored"

# --- a real attach failure rolls back (the bridge driver has no native XDP) -----------------------
ip link add "$bridge" type bridge
prog_before=$(xdp_prog_id "" "$host" 2>/dev/null || ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
sed "s/^interfaces:/interfaces:\n  - name: $bridge\n    xdp_mode: [native]/" "$work/vosfp.yaml.good" >"$work/vosfp.yaml.tmp"
sed -i 's/addresses: \[198.18.1.3\]/addresses: [198.18.1.3, 198.18.1.14]/' "$work/vosfp.yaml.tmp"
mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
if wait_for 20 grep -q "$bridge: cannot attach XDP (tried native: Operation not supported); rolled back, previous state kept" "$work/agent.log"; then
	pass "attach failure names the interface, the mode and the kernel's reason"
else
	fail "attach failure message: $(tail -3 "$work/agent.log")"
fi
prog_after=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
[ "$prog_before" = "$prog_after" ] && pass "rollback: $host keeps its program ($prog_after)" ||
	fail "rollback: program on $host changed $prog_before -> $prog_after"
! pinned_has_v4 "$pin" blocked_ips 198.18.1.14 && pass "rollback: the failed transaction's list change is not applied" ||
	fail "rollback: 198.18.1.14 was applied"
[ -z "$(ip -d link show dev "$bridge" | grep prog/xdp)" ] && pass "rollback: nothing left on $bridge" || fail "program left on $bridge"
kill -0 "$agent_pid" && pass "agent keeps running after a failed reload" || fail "agent died after a failed reload"
before=$(reconciles)
cp "$work/vosfp.yaml.good" "$work/vosfp.yaml"
wait_for 20 more_reconciles_than "$before" || fail "the good config back: no reconcile: $(tail -3 "$work/agent.log")"

# --- new map sizes swap in new maps under traffic with no instant unfiltered ---------------------
before=$(pinned_counter "$pin" $C_BLOCKED)
ip netns exec "$ns" "$udp_send" -s 198.18.1.3 198.18.1.1 5060 "$REGISTER" 20000 &
sender=$!
BLOCKLIST_MAX=4096 write_config "$work/vosfp.yaml" block.txt
wait "$sender"
wait_for 20 counter_is $C_BLOCKED $((before + 20000)) && pass "size change under traffic: all 20000 from a blocked source dropped" ||
	fail "size change: BLOCKED moved by $(($(pinned_counter "$pin" $C_BLOCKED) - before)), expected 20000"
blocklist_size() { "$BPFTOOL" map show pinned "$pin/blocked_ips" | sed -n 's/.*max_entries \([0-9]*\).*/\1/p'; }
size_is() { [ "$(blocklist_size)" = "$1" ]; }
wait_for 20 size_is 4096 && pass "pinned blocklist map now has 4096 entries of room" ||
	fail "blocked_ips max_entries=$(blocklist_size)"
traffic "after the swap the lists are complete" 198.18.1.13 "$REGISTER" 2 $C_BLOCKED
cp "$work/vosfp.yaml" "$work/vosfp.yaml.good"

# --- a new object swaps the program on the same maps, under traffic, with no gap ---------------------
# The same source built with another code generation option: same maps, different instructions.
clang -target bpf -O2 -mcpu=v3 -mllvm -bpf-disable-serialize-icmp -I "$VOSFP_ROOT/build" -I "$VOSFP_ROOT/bpf" -D__TARGET_ARCH_x86 -g \
	-c "$VOSFP_ROOT/bpf/sip_logic.bpf.c" -o "$work/variant.bpf.o" 2>/dev/null
prog_before=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
before=$(pinned_counter "$pin" $C_BLOCKED)
ip netns exec "$ns" "$udp_send" -s 198.18.1.3 198.18.1.1 5060 "$REGISTER" 20000 &
sender=$!
sed "s|^bpf_object: .*|bpf_object: $work/variant.bpf.o|" "$work/vosfp.yaml.good" >"$work/vosfp.yaml.tmp"
mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
wait "$sender"
wait_for 20 grep -q "reconciled in .*, new program" "$work/agent.log" && pass "a new bpf_object swaps the program" ||
	fail "object change not applied: $(tail -3 "$work/agent.log")"
prog_after=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
[ "$prog_before" != "$prog_after" ] && pass "program swapped on $host ($prog_before -> $prog_after)" ||
	fail "program not swapped"
wait_for 20 counter_is $C_BLOCKED $((before + 20000)) && pass "object swap under traffic: all 20000 from a blocked source dropped" ||
	fail "object swap: BLOCKED moved by $(($(pinned_counter "$pin" $C_BLOCKED) - before)), expected 20000"
cp "$work/vosfp.yaml" "$work/vosfp.yaml.good"

# --- a program vosfp does not own is never replaced ----------------------------------------------
ip link add "${host}f" type veth peer name "${peer}f" netns "$ns"
ip link set "${host}f" up
ip link set dev "${host}f" xdpgeneric obj "$VOSFP_ROOT/build/sip_logic.bpf.o" sec xdp
foreign=$(ip -d link show dev "${host}f" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
sed "s/^interfaces:/interfaces:\n  - name: ${host}f\n    xdp_mode: [generic]/" "$work/vosfp.yaml.good" >"$work/foreign.yaml"
out=$("$agent" --once -c "$work/foreign.yaml" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "${host}f carries prog $foreign sip_xdp_prog, attached through netlink (generic), not attached by vosfp" <<<"$out" &&
	pass "a foreign XDP program is refused (exit 1, named)" || fail "foreign program: rc=$rc $out"
[ "$(ip -d link show dev "${host}f" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')" = "$foreign" ] &&
	pass "the foreign program is left in place" || fail "the foreign program was replaced"
ip link del "${host}f"

# --- the interface deleted, then made again (networkd, a VLAN or veth re-created): vosfp is back ---
ip link del "$host"
wait_for 10 grep -q "error: $host: no such interface; rolled back, previous state kept" "$work/agent.log" &&
	grep -q "warning: waiting for $host to exist: attaching vosfp as soon as it does" "$work/agent.log" &&
	pass "$host deleted: the daemon saw the loss, its reattach says why it cannot, and it waits" ||
	fail "$host deleted: $(tail -n 5 "$work/agent.log")"
attaches() { grep -c "$host: attached" "$work/agent.log"; }
attached_more_than() { [ "$(attaches)" -gt "$1" ]; }
before=$(attaches)
make_veth || { fail "cannot create the veth again"; exit 1; }
wait_for 20 attached_more_than "$before" && grep -q "reload: $host exists now" "$work/agent.log" &&
	pass "$host made again: the daemon attached vosfp by itself" || fail "$host made again: $(tail -n 5 "$work/agent.log")"
traffic "$host made again: a blocked source dropped" 198.18.1.3 "$REGISTER" 5 $C_BLOCKED

# --- an edit that names an interface before it is made: refused as a whole, then applied by itself ---
# (an operator adding a VLAN to the config first, then creating it)
late="${host}w"
sed "s/^interfaces:/interfaces:\n  - name: $late/" "$work/vosfp.yaml.good" >"$work/vosfp.yaml.tmp"
sed -i 's/addresses: \[198.18.1.3\]/addresses: [198.18.1.3, 198.18.1.14]/' "$work/vosfp.yaml.tmp"
mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
wait_for 20 grep -q "warning: waiting for $late to exist" "$work/agent.log" &&
	grep -q "error: $late: no such interface; rolled back, previous state kept" "$work/agent.log" &&
	pass "an edit naming $late before it exists: refused as a whole, the daemon waits for it" ||
	fail "edit naming a missing interface: $(tail -n 5 "$work/agent.log")"
traffic "while $late is missing the edit is not applied (198.18.1.14 passes)" 198.18.1.14 "$REGISTER" 3 $C_PASSED
ip link add "$late" type veth peer name "${peer}w" netns "$ns" && ip link set "$late" up
late_attached() { ip -d link show dev "$late" | grep -q "prog/xdp"; }
blocked_soon 198.18.1.14 && late_attached && grep -q "reload: $late exists now" "$work/agent.log" &&
	pass "$late made: the waiting edit applied by itself (attached, 198.18.1.14 blocked)" ||
	fail "$late made: $(tail -n 5 "$work/agent.log")"
traffic "$late made: the edit's blocked source dropped on $host" 198.18.1.14 "$REGISTER" 4 $C_BLOCKED
cp "$work/vosfp.yaml.good" "$work/vosfp.yaml"
unblocked_soon 198.18.1.14 && ! late_attached && pass "$late removed from the config: detached" ||
	fail "$late removed from the config: $(tail -n 3 "$work/agent.log")"
ip link del "$late"

# --- --down while the daemon runs: refused (the daemon would put everything back within a second) ---
xdp_prog() { ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
prog_before=$(xdp_prog)
out=$("$agent" --down -c "$work/vosfp.yaml" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "error: a vosfp-agent daemon (pid $agent_pid) runs on $pin and would attach everything again within a second: stop it first" <<<"$out" &&
	[ -n "$prog_before" ] && [ "$(xdp_prog)" = "$prog_before" ] && [ -e "$pin/xdp_counters" ] &&
	pass "--down while the daemon (pid $agent_pid) runs: exit 1, names it, nothing removed" ||
	fail "--down beside a running daemon: rc=$rc prog '$(xdp_prog)' (was $prog_before): $out"

# --- a second daemon on the same pins: refused before it changes anything ---------------------------
# Bounded: were the refusal gone, this daemon would run on (timeout stops it, rc 124: a failure).
out=$(timeout 20 "$agent" -c "$work/vosfp.yaml" 2>&1)
rc=$?
[ $rc -eq 1 ] && grep -q "error: a vosfp-agent daemon (pid $agent_pid) already runs on $pin: one daemon per pin path" <<<"$out" &&
	! grep -qE "reconciled in|no change:" <<<"$out" && [ "$(xdp_prog)" = "$prog_before" ] && kill -0 "$agent_pid" &&
	pass "a second daemon on the same pins: exit 1, names the first, changes nothing" ||
	fail "second daemon: rc=$rc prog '$(xdp_prog)' (was $prog_before): $out"

# --- --stats says whether a daemon keeps the pins: running (its pid) here, none after it stops ------
out=$("$agent" --stats -c "$work/vosfp.yaml" 2>&1)
json=$("$agent" --stats --json -c "$work/vosfp.yaml" 2>/dev/null)
grep -qx "Daemon: pid $agent_pid keeps these pins matching its config" <<<"$out" &&
	python3 -c 'import json, sys; j = json.load(sys.stdin); sys.exit(0 if j["daemon"] == "running" and j["daemon_pid"] == int(sys.argv[1]) else 1)' "$agent_pid" <<<"$json" &&
	pass "--stats and --json: the daemon (pid $agent_pid) keeps the pins" || fail "--stats, daemon running: $out"

# --- SIGTERM leaves filtering; SIGKILL while packets flow leaves no gap ----------------------------
before=$(pinned_counter "$pin" $C_BLOCKED)
ip netns exec "$ns" "$udp_send" -s 198.18.1.3 198.18.1.1 5060 "$REGISTER" 20000 &
sender=$!
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
agent_pid=""
wait "$sender"
wait_for 20 counter_is $C_BLOCKED $((before + 20000)) && pass "SIGKILL while packets flow: all 20000 from a blocked source dropped" ||
	fail "SIGKILL: BLOCKED moved by $(($(pinned_counter "$pin" $C_BLOCKED) - before)), expected 20000"

# --- restart with the same config: no writes, no detach ---------------------------------------
prog_before=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
echo "--- restart ---" >>"$work/agent.log"
start_agent "$work/vosfp.yaml"
wait_for 20 bash -c "sed -n '/--- restart ---/,\$p' \"$work/agent.log\" | grep -q 'no change:'" && pass "restart with the same config: no change planned, no map written" ||
	fail "restart planned changes: $(cat "$work/agent.log")"
prog_after=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
[ "$prog_before" = "$prog_after" ] && pass "restart: program $prog_after never detached" || fail "restart replaced the program"
kill -TERM "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=""
[ $rc -eq 0 ] && [ -n "$(ip -d link show dev "$host" | grep prog/xdp)" ] &&
	pass "SIGTERM: agent exits 0, filtering stays" || fail "SIGTERM: rc=$rc"
out=$("$agent" --stats -c "$work/vosfp.yaml" 2>&1)
grep -q "^Daemon: none: the pinned policy stays as last applied" <<<"$out" &&
	"$agent" --stats --json -c "$work/vosfp.yaml" | python3 -c 'import json, sys; j = json.load(sys.stdin); sys.exit(0 if j["daemon"] == "none" and j["daemon_pid"] is None else 1)' &&
	pass "--stats and --json after SIGTERM: no daemon, the pinned policy stays" || fail "--stats, no daemon: $out"
traffic "after SIGTERM the policy is still in force" 198.18.1.3 "$REGISTER" 2 $C_BLOCKED

# --- Kubernetes ConfigMap volume: a "..data" symlink swapped to a new directory ---------------------
cm="$work/cm"
mkdir -p "$cm/..v1" "$cm/..v2"
write_config "$cm/..v1/vosfp.yaml" block.txt
printf '198.18.1.5\n' >"$cm/..v1/block.txt"
ln -s ..v1 "$cm/..data"
ln -s ..data/vosfp.yaml "$cm/vosfp.yaml"
ln -s ..data/block.txt "$cm/block.txt"
start_agent "$cm/vosfp.yaml"
write_config "$cm/..v2/vosfp.yaml" block.txt
printf '198.18.1.5\n198.18.1.14\n' >"$cm/..v2/block.txt"
ln -s ..v2 "$cm/..data_tmp" && mv -T "$cm/..data_tmp" "$cm/..data"
blocked_soon 198.18.1.14 && traffic "ConfigMap ..data swap applied" 198.18.1.14 "$REGISTER" 2 $C_BLOCKED ||
	fail "ConfigMap ..data swap not applied"
kill -TERM "$agent_pid" && wait "$agent_pid"
agent_pid=""

# --- exit codes ---------------------------------------------------------------------------------
"$agent" --once -c "$VOSFP_ROOT/tests/data/config/bad/mode-unknown.yaml" 2>/dev/null
[ $? -eq 2 ] && pass "invalid config: exit 2" || fail "invalid config: wrong exit code"
"$agent" --bogus 2>/dev/null
[ $? -eq 2 ] && pass "usage error: exit 2" || fail "usage error: wrong exit code"
# A declared interface that does not exist: the config is valid, so the dry run exits 0 but warns;
# a real run changes nothing (not even the pin path) and says only that.
printf 'version: 1\npin_path: %s\ninterfaces:\n  - name: vit%snx\n' "$pin-nx" "$$" >"$work/missing.yaml"
out=$("$agent" --dry-run -c "$work/missing.yaml" 2>&1)
[ $? -eq 0 ] && grep -q "warning: interface vit$$nx: no such interface: --once would fail and change nothing; the daemon waits for it" <<<"$out" &&
	pass "--dry-run warns of a declared interface that does not exist" || fail "dry run, missing interface: $out"
out=$("$agent" --once -c "$work/missing.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "error: vit$$nx: no such interface; rolled back, previous state kept" <<<"$out" && [ ! -e "$pin-nx" ] &&
	pass "--once with a missing interface: exit 1, says so, creates nothing" || fail "--once, missing interface: $out"
# The daemon started before the interface exists (a VLAN or bond the network brings up after the
# unit): it waits, holding its claim and changing nothing, then attaches once the interface is made.
printf 'blocklist:\n  addresses: [198.18.2.2]\n' >>"$work/missing.yaml"
"$agent" -c "$work/missing.yaml" 2>"$work/missing.log" &
agent_pid=$!
wait_for 20 grep -q "warning: waiting for vit$$nx to exist" "$work/missing.log" && kill -0 "$agent_pid" && [ ! -e "$pin-nx" ] &&
	pass "daemon started before its interface exists: keeps running, waits, creates nothing" ||
	fail "daemon, missing interface at start: $(cat "$work/missing.log")"
out=$("$agent" --stats -c "$work/missing.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "nothing is pinned at $pin-nx yet: the daemon (pid $agent_pid) runs on it and has applied nothing" <<<"$out" &&
	pass "--stats while the daemon waits: nothing pinned yet, the daemon named" || fail "--stats beside a waiting daemon: $out"
out=$("$agent" --down -c "$work/missing.yaml" 2>&1)
[ $? -eq 1 ] && grep -q "a vosfp-agent daemon (pid $agent_pid) runs on $pin-nx" <<<"$out" &&
	pass "--down while the daemon waits for its interface: refused (it will attach)" || fail "--down beside a waiting daemon: $out"
ip link add "vit$$nx" type veth peer name "vit$$ny" netns "$ns" &&
	ip addr add 198.18.2.1/24 dev "vit$$nx" && ip link set "vit$$nx" up &&
	ip -n "$ns" addr add 198.18.2.2/24 dev "vit$$ny" && ip -n "$ns" link set "vit$$ny" up &&
	ip -n "$ns" neigh add 198.18.2.1 lladdr "$(cat "/sys/class/net/vit$$nx/address")" dev "vit$$ny" nud permanent
nx_blocked() { [ "$(pinned_counter "$pin-nx" $C_BLOCKED)" -eq "$1" ]; }
if wait_for 20 grep -q "info: vit$$nx: attached" "$work/missing.log" && grep -q "reload: vit$$nx exists now" "$work/missing.log"; then
	ip netns exec "$ns" "$udp_send" -s 198.18.2.2 198.18.2.1 5060 "$REGISTER" 3
	wait_for 20 nx_blocked 3 && pass "vit$$nx made: the daemon attached by itself, 3 of 3 from its blocked source dropped" ||
		fail "vit$$nx made: BLOCKED $(pinned_counter "$pin-nx" $C_BLOCKED), expected 3"
else
	fail "vit$$nx made: not attached: $(cat "$work/missing.log")"
fi
kill -TERM "$agent_pid" && wait "$agent_pid"
agent_pid=""
"$agent" --down -c "$work/missing.yaml" 2>/dev/null
ip link del "vit$$nx"
remove_agent_state "$work/missing.yaml" "$pin-nx"
chmod 755 "$work" && chmod 644 "$work/vosfp.yaml" "$work/block.txt"
out=$(runuser -u nobody -- "$agent" --dry-run -c "$work/vosfp.yaml" 2>&1)
rc=$?
[ $rc -eq 0 ] && grep -q "planning against an empty kernel" <<<"$out" &&
	pass "unprivileged --dry-run plans against an empty kernel and says so" || fail "unprivileged dry-run: rc=$rc $out"

# --- --check-list: the list parser for scripts, no privileges needed ------------------------------
printf '198.51.100.7\n2001:db8::/32\n' >"$work/ok.txt"
printf '198.51.100.7\n10.0.0.1/8\n' >"$work/bad.txt"
chmod 644 "$work/ok.txt" "$work/bad.txt"
out=$(runuser -u nobody -- "$agent" --check-list "$work/ok.txt" 2>&1)
[ $? -eq 0 ] && [ "$out" = "2 entries valid, 0 invalid" ] && pass "--check-list accepts a valid list (unprivileged)" ||
	fail "--check-list on a valid list: $out"
out=$("$agent" --check-list "$work/ok.txt" "$work/bad.txt" 2>&1)
[ $? -eq 2 ] && grep -q "bad.txt:2: '10.0.0.1/8' has host bits set" <<<"$out" &&
	pass "--check-list rejects a bad line with file:line, exit 2" || fail "--check-list on a bad list: $out"

# --- --down -----------------------------------------------------------------------------------------
# A config --down cannot read (a typo, a broken edit) must not send it to the default pin path.
printf 'version: 1\ninterfaces: [\n' >"$work/broken.yaml"
for cfg in "$work/no-such.yaml" "$work/broken.yaml"; do
	out=$("$agent" --down -c "$cfg" 2>&1)
	[ $? -eq 2 ] && grep -q "cannot tell which pin path it names; nothing changed" <<<"$out" &&
		[ -e "$pin" ] && [ -n "$(ip -d link show dev "$host" | sed -n '/prog\/xdp/p')" ] &&
		pass "--down with $(basename "$cfg"): refused (exit 2), nothing removed" ||
		fail "--down with $(basename "$cfg"): $out"
done
"$agent" --down -c "$work/vosfp.yaml" 2>/dev/null
[ -z "$(ip -d link show dev "$host" | grep prog/xdp)" ] && [ ! -e "$pin" ] &&
	pass "--down leaves no XDP program and no pin" || fail "--down left state behind"

exit $test_status
