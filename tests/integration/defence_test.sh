#!/usr/bin/env bash
# defence_test.sh - flood defence through vosfp-agent on real frames crossing a veth (host side in
# the root namespace, where the agent runs; peer in a namespace this test creates): rate limits,
# scanner User-Agents and timed auto-blocks as the YAML declares them, retuned and switched by
# `--once` reloads that never reload the program (same XDP program id throughout).
set -uo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
require_root "flood defence through vosfp-agent"

agent="$VOSFP_ROOT/build/vosfp-agent"
udp_send="$VOSFP_ROOT/build/vosfp-send"
work=$(mktemp -d /tmp/vosfp-defence-test.XXXXXX)
pin="/sys/fs/bpf/vosfp-def-$$"
ns="vosfp-def-$$" host="vdf$$h" peer="vdf$$p"

cleanup() {
	"$agent" --down -c "$work/vosfp.yaml" >/dev/null 2>&1
	rm -rf "$pin" 2>/dev/null
	rm -f "/run/lock/vosfp${pin//\//_}.lock" "/tmp/vosfp${pin//\//_}.lock"
	ip link del "$host" 2>/dev/null
	cleanup_netns
	rm -rf "$work"
}
trap cleanup EXIT

new_netns "$ns" || { fail "cannot create namespace"; exit 1; }
ip link add "$host" type veth peer name "$peer" netns "$ns" || { fail "cannot create veth"; exit 1; }
ip addr add 198.18.2.1/24 dev "$host"
ip link set "$host" up
for i in $(seq 2 12); do ip -n "$ns" addr add "198.18.2.$i/24" dev "$peer"; done
ip -n "$ns" link set "$peer" up
ip -n "$ns" neigh add 198.18.2.1 lladdr "$(cat "/sys/class/net/$host/address")" dev "$peer" nud permanent

C_PASSED=2 C_RATE=5 C_AUTO=6 C_SCANNER=7

request() {	# request METHOD USER_AGENT: a SIP request as vosfp-send's TEXT (escapes expanded there)
	printf '%s sip:198.18.2.1 SIP/2.0\\r\\nVia: SIP/2.0/UDP 198.18.2.2:5060\\r\\nUser-Agent: %s\\r\\nContent-Length: 0\\r\\n\\r\\n' "$1" "$2"
}

write_config() {	# write_config DEFENCE_YAML: the base config plus the given sections
	cat >"$work/vosfp.yaml.tmp" <<CFG
version: 1
pin_path: $pin
bpf_object: $VOSFP_ROOT/build/sip_logic.bpf.o
interfaces:
  - name: $host
    xdp_mode: [native, generic]
sip:
  stealth_options: false
allowlist:
  addresses: [198.18.2.4]
$1
CFG
	mv "$work/vosfp.yaml.tmp" "$work/vosfp.yaml"
}

once() {	# once LABEL: apply the config; its log must say the runtime changed and nothing more
	local out
	if ! out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1); then
		fail "$1: --once failed: $out"
		return
	fi
	if grep -q "runtime config updated" <<<"$out" && ! grep -qE "new maps|new program" <<<"$out"; then
		pass "$1: applied as a runtime config write"
	else
		fail "$1: unexpected reconcile: $out"
	fi
}

# burst LABEL SRC TEXT COUNT WANT_PASSED WANT_IDX WANT_COUNT: COUNT datagrams from SRC must move
# PASSED by exactly WANT_PASSED and counter WANT_IDX by exactly WANT_COUNT (bounded wait).
burst() {
	local label=$1 src=$2 text=$3 count=$4 wpass=$5 idx=$6 wcount=$7 p0 c0 dp dc
	p0=$(pinned_counter "$pin" "$C_PASSED")
	c0=$(pinned_counter "$pin" "$idx")
	ip netns exec "$ns" "$udp_send" -s "$src" 198.18.2.1 5060 "$text" "$count"
	# Every datagram is counted once it has crossed the veth: wait for all of them, bounded.
	wait_for 3 moved "$p0" "$idx" "$c0" "$((wpass + wcount))"
	dp=$(($(pinned_counter "$pin" "$C_PASSED") - p0))
	dc=$(($(pinned_counter "$pin" "$idx") - c0))
	if [ "$dp" -eq "$wpass" ] && [ "$dc" -eq "$wcount" ]; then
		pass "$label"
	else
		fail "$label: PASSED +$dp (expected +$wpass), counter $idx +$dc (expected +$wcount)"
	fi
}

moved() {	# moved PASSED0 IDX COUNTER0 N: PASSED and counter IDX moved by N together, at least
	[ $(($(pinned_counter "$pin" "$C_PASSED") - $1 + $(pinned_counter "$pin" "$2") - $3)) -ge "$4" ]
}

# --- rate limit and scanners on at the first start ---
write_config "rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 3}
scanners: {}"
if ! out=$("$agent" --once -c "$work/vosfp.yaml" 2>&1); then
	fail "first --once: $out"
	exit 1
fi
prog=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
[ -n "$prog" ] || { fail "no XDP program on $host"; exit 1; }

REG=$(request REGISTER "Linphone/5.2")
burst "REGISTER burst 3 + 4 from one source: 3 passed, 4 RATE_LIMITED" 198.18.2.2 "$REG" 7 3 $C_RATE 4
burst "another source has its own bucket" 198.18.2.3 "$REG" 3 3 $C_RATE 0
burst "an allowlisted source is never limited" 198.18.2.4 "$REG" 20 20 $C_RATE 0
burst "INVITE is unlimited (rate 0)" 198.18.2.5 "$(request INVITE "Linphone/5.2")" 10 10 $C_RATE 0
burst "friendly-scanner (default token) dropped as SCANNER_DROPPED" 198.18.2.6 \
	"$(request OPTIONS "friendly-scanner")" 3 0 $C_SCANNER 3
burst "a later token in the value passes" 198.18.2.6 "$(request INVITE "Zoiper sipvicious")" 2 2 $C_SCANNER 0

# --- retuned: bigger burst, own token list ---
write_config "rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 10}
scanners:
  user_agents: [MyScanner]"
once "retune burst 3 -> 10, tokens -> [MyScanner]"
burst "a fresh source now gets a burst of 10" 198.18.2.7 "$REG" 12 10 $C_RATE 2
burst "the new token is dropped" 198.18.2.8 "$(request REGISTER "myscanner/2.0")" 2 0 $C_SCANNER 2
burst "the replaced default token passes" 198.18.2.8 "$(request INVITE "friendly-scanner")" 2 2 $C_SCANNER 0

# --- auto-block: the first request over the limit blocks for 2 s, then the datapath releases ---
write_config "rate_limit:
  rate: 0
  per_method:
    register: {rate: 1, burst: 2}
auto_block:
  after_seconds: 0
  duration_seconds: 2"
once "auto-block on"
burst "flood: 2 passed, 1 RATE_LIMITED (starts the block)" 198.18.2.9 "$REG" 3 2 $C_RATE 1
burst "while blocked, even an INVITE is AUTO_BLOCKED" 198.18.2.9 "$(request INVITE "Linphone/5.2")" 4 0 $C_AUTO 4
sleep 3	# the time under test: the block's 2 s, plus a coarse clock tick
burst "after 2 s the block has expired by itself" 198.18.2.9 "$REG" 2 2 $C_AUTO 0

# --- everything off: nothing is limited, the program is still the same ---
write_config ""
once "flood defence off"
burst "no limit with rate_limit removed" 198.18.2.10 "$REG" 15 15 $C_RATE 0
burst "no scanner check with scanners removed" 198.18.2.10 "$(request REGISTER "friendly-scanner")" 2 2 $C_SCANNER 0

now=$(ip -d link show dev "$host" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1)
if [ "$now" = "$prog" ]; then
	pass "every reload kept the program (XDP prog id $prog)"
else
	fail "the program changed: id $prog -> $now"
fi
exit "$test_status"
