#!/usr/bin/env bash
# kubernetes_configmap_test.sh - the ConfigMap of deploy/kubernetes drives the real agent as a pod
# sees it: its data keys laid out the way the kubelet's atomic writer does (DIR/..<timestamp>/KEY,
# DIR/..data -> ..<timestamp>, DIR/KEY -> ..data/KEY), only the interface name and pin_path
# replaced by this test's. Then kubelet-style updates (new directory, ..data_tmp symlink renamed
# over ..data, old directory removed): a changed blocklist is applied without a restart and proved
# with real frames from a peer namespace (exact counter deltas); an invalid one is refused and the
# last good policy stays; SIGTERM leaves the filter in place (the DaemonSet's fail-static claim).
# shellcheck disable=SC2015,SC2317 # "check && pass || fail" lines; helpers called through wait_for
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "Kubernetes ConfigMap volume"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
configmap="$VOSFP_ROOT/deploy/kubernetes/configmap.yaml"
work=$(mktemp -d /tmp/vosfp-k8s-test.XXXXXX)
vol="$work/vosfp"	# the ConfigMap volume: /etc/vosfp in the pod
pin=/sys/fs/bpf/vosfp-k8s-test
lock=/run/vosfp/vosfp_sys_fs_bpf_vosfp-k8s-test.lock
ns="vosfp-k8s-$$" host="vk8s$$h" peer="vk8s$$p"
agent_pid="" owns_pin=0

cleanup() {
	if [ -n "$agent_pid" ]; then
		kill "$agent_pid" 2>/dev/null
		wait "$agent_pid" 2>/dev/null
	fi
	# --down from a config of our own: the volume's may be the invalid one, and an unreadable
	# config would send --down to the default pin path, someone else's filter.
	if [ "$owns_pin" -eq 1 ]; then
		"$agent" --down --config "$work/down.yaml" >/dev/null 2>&1
		rm -rf "$pin" 2>/dev/null
		rm -f "$lock"
	fi
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT
[ -n "${VOSFP_KEEP_LOG:-}" ] && trap 'cp "$work/agent.log" /tmp/k8s-test-agent.log; cleanup' EXIT

for f in "$agent" "$udp_send"; do [ -x "$f" ] || { fail "$f not built (make)"; exit 1; }; done
if [ -e "$pin" ]; then
	fail "$pin already exists: another run of this test, or leftovers of one (vosfp-agent --down)"
	exit 1
fi
owns_pin=1

# --- a veth: host side in the root namespace (XDP, the agent), peer in a namespace of ours. The
# host side has no address; frames reach XDP through a static neighbour entry on the peer.
new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip link set "$host" up
for i in 2 66 77 88; do ip -n "$ns" addr add "198.18.30.$i/24" dev "$peer"; done
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add 198.18.30.1 lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent
printf 'version: 1\npin_path: %s\ninterfaces:\n  - name: %s\n    xdp_mode: [native, generic]\n' \
	"$pin" "$host" >"$work/down.yaml"

REGISTER='REGISTER sip:198.18.30.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.30.2:5060\r\nContent-Length: 0\r\n\r\n'
OPTIONS='OPTIONS sip:198.18.30.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.30.2:5060\r\nContent-Length: 0\r\n\r\n'
C_OPTIONS=0 C_PASSED=2 C_BLOCKED=3 C_MALFORMED=4

# --- the ConfigMap's data keys, and the one substitution this host needs ----------------------------
mkdir -p "$work/keys" "$vol"
if ! keys=$(python3 - "$configmap" "$work/keys" <<'PY'
import os, sys, yaml
cms = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "ConfigMap"]
for key, value in cms[0]["data"].items():
    open(os.path.join(sys.argv[2], key), "w").write(value)
    print(key)
PY
); then
	fail "cannot read the ConfigMap's data from $configmap"
	exit 1
fi
grep -qx vosfp.yaml <<<"$keys" && grep -qx blocklist.txt <<<"$keys" ||
	{ fail "ConfigMap keys are '$(xargs <<<"$keys")': need vosfp.yaml and blocklist.txt"; exit 1; }
sed -E -e "s|^([[:space:]]*pin_path:[[:space:]]*)[^[:space:]#]+|\1$pin|" \
	-e "s|^([[:space:]]*- name:[[:space:]]*)[^[:space:]#]+|\1$host|" "$work/keys/vosfp.yaml" >"$work/vosfp.yaml"
ifaces=$(grep -cE '^[[:space:]]*- name:' "$work/keys/vosfp.yaml")
changed=$(diff "$work/keys/vosfp.yaml" "$work/vosfp.yaml" | grep -c '^>')
[ "$changed" -eq $((ifaces + 1)) ] && grep -q "^pin_path: $pin\$" "$work/vosfp.yaml" &&
	pass "ConfigMap vosfp.yaml used as shipped but for pin_path and $ifaces interface name(s)" ||
	{ fail "substitution changed $changed line(s), expected $((ifaces + 1)): $(diff "$work/keys/vosfp.yaml" "$work/vosfp.yaml")"; exit 1; }
cp "$work/vosfp.yaml" "$work/keys/vosfp.yaml"
original_blocklist=$(cat "$work/keys/blocklist.txt")
# The shipped blocklist's exact IPv4 entries: what the pinned exact-match map must hold.
mapfile -t shipped_v4 < <(grep -E '^[0-9]+(\.[0-9]+){3}$' <<<"$original_blocklist")
[ "${#shipped_v4[@]}" -ge 2 ] || { fail "the ConfigMap's blocklist has fewer than 2 exact IPv4 entries to check"; exit 1; }

# publish BLOCKLIST: what the kubelet does when the ConfigMap changes: every key written to a new
# timestamped directory, a ..data_tmp symlink to it renamed over ..data (one atomic rename), the
# user-visible KEY -> ..data/KEY links created once, the previous directory removed.
publish() {
	local old new key
	old=$(readlink "$vol/..data" 2>/dev/null)
	new=$(mktemp -d "$vol/..$(date -u +%Y_%m_%d_%H_%M_%S).XXXXXXXXX")
	chmod 755 "$new"
	for key in $keys; do cp "$work/keys/$key" "$new/$key"; done
	printf '%s\n' "$1" >"$new/blocklist.txt"
	chmod 644 "$new"/*
	ln -s "$(basename "$new")" "$vol/..data_tmp"
	mv -T "$vol/..data_tmp" "$vol/..data"
	for key in $keys; do [ -L "$vol/$key" ] || ln -s "..data/$key" "$vol/$key"; done
	[ -z "$old" ] || rm -rf "${vol:?}/$old"
}

# --- helpers ---------------------------------------------------------------------------------------
slots=("$C_OPTIONS" "$C_PASSED" "$C_BLOCKED" "$C_MALFORMED")
counters() { local i; for i in "${slots[@]}"; do printf '%s ' "$(pinned_counter "$pin" "$i")"; done; }
counters_are() { [ "$(counters)" = "$1" ]; }
# traffic LABEL SRC TEXT COUNT COUNTER: COUNT datagrams from SRC move COUNTER by exactly COUNT and
# no other counter at all.
traffic() {
	local label=$1 src=$2 text=$3 count=$4 idx=$5 before=() want="" i
	read -ra before <<<"$(counters)"
	for i in "${!slots[@]}"; do
		want+="$((before[i] + (slots[i] == idx ? count : 0))) "
	done
	ip netns exec "$ns" timeout 10 "$udp_send" -s "$src" 198.18.30.1 5060 "$text" "$count"
	if wait_for 20 counters_are "$want"; then
		pass "$label"
	else
		fail "$label: counters (OPTIONS PASSED BLOCKED MALFORMED) $(counters)- expected $want"
	fi
}
blocked() { pinned_has_v4 "$pin" blocked_ips "$1"; }
not_blocked() { ! blocked "$1"; }
reconciles() { grep -cE "reconciled in|no change:" "$work/agent.log" 2>/dev/null; }
more_reconciles_than() { [ "$(reconciles)" -gt "$1" ]; }
prog_id() { ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1; }

# --- the pod starts: the volume as the kubelet lays it out, then the agent on it --------------------
publish "$original_blocklist"
[ -L "$vol/..data" ] && [ -L "$vol/vosfp.yaml" ] && [ "$(readlink "$vol/vosfp.yaml")" = ..data/vosfp.yaml ] &&
	pass "volume laid out as the kubelet does: ..data -> $(readlink "$vol/..data"), KEY -> ..data/KEY" ||
	fail "volume layout: $(ls -la "$vol")"
"$agent" --config "$vol/vosfp.yaml" 2>>"$work/agent.log" &
agent_pid=$!
if ! wait_for 10 more_reconciles_than 0; then
	fail "agent did not come up on the ConfigMap config: $(tail -n 5 "$work/agent.log")"
	exit 1
fi
prog=$(prog_id)
[ -n "$prog" ] && pass "agent running (pid $agent_pid), XDP program $prog attached to $host" || fail "no XDP program on $host"
missing=""
for a in "${shipped_v4[@]}"; do blocked "$a" || missing="$missing $a"; done
[ -z "$missing" ] && pass "the ConfigMap's blocklist is pinned: ${shipped_v4[*]}" || fail "not in the pinned blocklist:$missing"
traffic "REGISTER from an unlisted source passes" 198.18.30.2 "$REGISTER" 3 $C_PASSED
traffic "OPTIONS from a source not on the ConfigMap's allowlist dropped (stealth)" 198.18.30.2 "$OPTIONS" 2 $C_OPTIONS
traffic "198.18.30.66 passes before the update" 198.18.30.66 "$REGISTER" 2 $C_PASSED

# --- a ConfigMap update: 198.18.30.66 added, one shipped entry removed ------------------------------
removed=${shipped_v4[0]}
updated=$(grep -vx -- "$removed" <<<"$original_blocklist"; echo 198.18.30.66)
publish "$updated"
wait_for 20 blocked 198.18.30.66 && pass "..data swap: the new entry 198.18.30.66 is in the pinned map" ||
	fail "..data swap not applied: $(tail -n 3 "$work/agent.log")"
traffic "..data swap: REGISTER from 198.18.30.66 BLOCKED" 198.18.30.66 "$REGISTER" 4 $C_BLOCKED
wait_for 20 not_blocked "$removed" && pass "..data swap: the removed entry $removed left the pinned map" ||
	fail "..data swap: $removed still pinned"
[ "$(prog_id)" = "$prog" ] && kill -0 "$agent_pid" 2>/dev/null &&
	pass "update applied by the running agent: same process, program $prog never detached" ||
	fail "update: agent restarted or program replaced ($(prog_id))"

# --- an invalid update: refused as a whole, last good state kept, agent still running ---------------
publish "$(printf '%s\n198.18.30.77\n198.18.30.300' "$updated")"
bad_line=$(($(wc -l <<<"$updated") + 2))
wait_for 20 grep -q "blocklist.txt:$bad_line: '198.18.30.300'" "$work/agent.log" &&
	pass "invalid update refused, logged with file:line (blocklist.txt:$bad_line)" ||
	fail "invalid update not reported: $(tail -n 3 "$work/agent.log")"
not_blocked 198.18.30.77 && pass "invalid update: none of it applied (198.18.30.77, valid, not pinned)" ||
	fail "invalid update partly applied: 198.18.30.77 pinned"
traffic "invalid update: the last good policy still blocks 198.18.30.66" 198.18.30.66 "$REGISTER" 3 $C_BLOCKED
traffic "invalid update: 198.18.30.77 still passes" 198.18.30.77 "$REGISTER" 2 $C_PASSED
kill -0 "$agent_pid" 2>/dev/null && pass "agent keeps running after the invalid update" || fail "agent died on the invalid update"

# --- the next valid update applies again ----------------------------------------------------------
publish "$(printf '%s\n198.18.30.77' "$updated")"
wait_for 20 blocked 198.18.30.77 && traffic "valid update after an invalid one: 198.18.30.77 BLOCKED" 198.18.30.77 "$REGISTER" 2 $C_BLOCKED ||
	fail "valid update after an invalid one not applied"

# --- SIGTERM (pod deleted, rolling update): exit 0, the filter stays ----------------------------------
kill -TERM "$agent_pid"
wait "$agent_pid"
rc=$?
agent_pid=""
[ $rc -eq 0 ] && [ "$(prog_id)" = "$prog" ] && pass "SIGTERM: agent exits 0, program $prog stays attached" ||
	fail "SIGTERM: exit $rc, program '$(prog_id)'"
traffic "after SIGTERM the ConfigMap's policy is still in force" 198.18.30.66 "$REGISTER" 2 $C_BLOCKED

exit $test_status
